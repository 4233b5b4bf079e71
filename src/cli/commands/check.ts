// `govern check PATH...`: reports syntax and compile errors in Rego files.
import type { Command } from 'commander';

export function registerCheck(program: Command): void {
  program.command('check <paths...>').description('Check Rego files for errors (work in progress).');
}
