// `govern parse FILE`: prints a Rego module's syntax tree.
import type { Command } from 'commander';

export function registerParse(program: Command): void {
  program.command('parse <file>').description('Parse a Rego file and print its syntax tree (work in progress).');
}
