#!/usr/bin/env node
// The `govern` command line. Each subcommand lives in ./commands and registers itself here.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { CliError } from './errors.js';
import { registerParse } from './commands/parse.js';
import { registerCheck } from './commands/check.js';
import { registerBuild } from './commands/build.js';
import { registerEval } from './commands/eval.js';
import { registerAudit } from './commands/audit.js';
import { registerLineage } from './commands/lineage.js';
import { registerTest } from './commands/test.js';
import { registerRun } from './commands/run.js';
import { registerReplay } from './commands/replay.js';
import { registerKeys } from './commands/keys.js';
import { registerPin } from './commands/pin.js';
import { registerAuthorize } from './commands/authorize.js';
import { registerVerify } from './commands/verify.js';
import { registerRevoke } from './commands/revoke.js';

export function buildProgram(): Command {
  const program = new Command('govern')
    .description(
      'Policy-as-code execution governance: compile Rego to WebAssembly, evaluate fail-closed,\n' +
        'and bind every decision to a signed authorization artifact.',
    )
    .version(process.env.npm_package_version ?? '0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerParse(program);
  registerCheck(program);
  registerBuild(program);
  registerEval(program);
  registerAudit(program);
  registerLineage(program);
  registerTest(program);
  registerRun(program);
  registerReplay(program);
  registerKeys(program);
  registerPin(program);
  registerAuthorize(program);
  registerVerify(program);
  registerRevoke(program);
  return program;
}

/** Runs the CLI; returns the exit code instead of exiting so tests can call it in-process. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version end here with code 0; usage mistakes with a non-zero code.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof CliError) {
      process.stderr.write(`govern: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`govern: internal error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    return 70;
  }
}

// Run when executed as a program (directly or through the npm `bin` link), not when imported.
const entry = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (entry === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
