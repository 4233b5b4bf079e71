#!/usr/bin/env node
// The `govern` command line. Each subcommand lives in ./commands and registers itself here.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Command, CommanderError } from 'commander';
import { governVersion } from '../evaluator/environment.js';
import { CliError } from './errors.js';
type Register = (program: Command) => void;

/**
 * Each command's module, loaded on demand: the modules pull in heavy dependencies (binaryen, the
 * opa-wasm SDK, jose), so `govern --version` or `govern check` must not load them all.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  parse: async () => (await import('./commands/parse.js')).registerParse,
  check: async () => (await import('./commands/check.js')).registerCheck,
  build: async () => (await import('./commands/build.js')).registerBuild,
  eval: async () => (await import('./commands/eval.js')).registerEval,
  audit: async () => (await import('./commands/audit.js')).registerAudit,
  lineage: async () => (await import('./commands/lineage.js')).registerLineage,
  test: async () => (await import('./commands/test.js')).registerTest,
  run: async () => (await import('./commands/run.js')).registerRun,
  replay: async () => (await import('./commands/replay.js')).registerReplay,
  keys: async () => (await import('./commands/keys.js')).registerKeys,
  pin: async () => (await import('./commands/pin.js')).registerPin,
  authorize: async () => (await import('./commands/authorize.js')).registerAuthorize,
  verify: async () => (await import('./commands/verify.js')).registerVerify,
  revoke: async () => (await import('./commands/revoke.js')).registerRevoke,
};

/** Commands that compile once and exit. */
const ONE_SHOT = new Set(['parse', 'check', 'build']);

/**
 * The commands `argv` needs: only the named command when the first argument names one, none for
 * `--version`, every command otherwise (top-level help, usage errors list them all).
 */
function commandsFor(argv: string[]): string[] {
  const first = argv[0];
  if (first !== undefined && Object.hasOwn(COMMANDS, first)) return [first];
  if (argv.length === 1 && (first === '-V' || first === '--version')) return [];
  return Object.keys(COMMANDS);
}

/** The program with the commands `argv` needs registered (all of them by default). */
export async function buildProgram(argv: string[] = []): Promise<Command> {
  const program = new Command('govern')
    .description(
      'Policy-as-code execution governance: compile Rego to WebAssembly, evaluate fail-closed, ' +
        'and bind every decision to a signed authorization artifact.',
    )
    .version(governVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const names = commandsFor(argv);
  const registers = await Promise.all(names.map((name) => COMMANDS[name]!()));
  for (const register of registers) register(program);
  return program;
}

/** Runs the CLI; returns the exit code instead of exiting so tests can call it in-process. */
export async function main(argv: string[]): Promise<number> {
  const program = await buildProgram(argv);
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
  // One-shot compiler commands finish before V8's optimising compiler pays off: it only burns CPU
  // (measured ~30% of a 50 KB build). Long-lived commands (run, eval's workers…) keep it.
  if (ONE_SHOT.has(process.argv[2] ?? '')) setFlagsFromString('--no-opt');
  // `govern parse x.rego | head` closes the pipe early: stop quietly, as Unix tools do.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
