// `govern check PATH…`: parses Rego files (and runs the compile-time checks on them) and reports
// every error found, as `FILE:ROW:COL: CODE: message` with the source line and a caret.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { checkModules } from '../../check/index.js';
import type { Module } from '../../syntax/ast.js';
import { formatRegoError, type RegoError } from '../../syntax/diagnostics.js';
import { parseModule } from '../../syntax/parser.js';
import { CliError } from '../errors.js';

export interface SourceFile {
  file: string;
  text: string;
}

/** Reads the given files, and every `*.rego` below the given folders (sorted, recursively). */
export function collectRegoFiles(paths: string[]): SourceFile[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.endsWith('.rego')) files.push(path);
    }
  };
  for (const path of paths) {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      throw new CliError(`no such file or folder: ${path}`);
    }
    if (stat.isDirectory()) walk(path);
    else files.push(path);
  }
  // A file named twice (`check a.rego .`) is read once, or its rules would clash with themselves.
  const unique = [...new Map(files.map((f) => [resolve(f), f])).values()];
  return unique.map((file) => readSource(file));
}

export function readSource(file: string): SourceFile {
  try {
    return { file, text: readFileSync(file, 'utf8') };
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export interface CheckReport {
  files: number;
  modules: Module[];
  errors: RegoError[];
}

/** Parses every source, then (when all parse) runs the compile-time checks over all modules together. */
export function checkSources(sources: SourceFile[], regoVersion: 'v0' | 'v1'): CheckReport {
  const modules: Module[] = [];
  const errors: RegoError[] = [];
  for (const { file, text } of sources) {
    const result = parseModule(text, file, { regoVersion });
    errors.push(...result.errors);
    if (result.value) modules.push(result.value);
  }
  if (errors.length === 0 && modules.length > 0) {
    const checked = checkModules(modules);
    errors.push(...checked.errors);
    return { files: sources.length, modules: checked.modules, errors };
  }
  return { files: sources.length, modules, errors };
}

/** Each error with its source line and caret, as one text block. */
export function formatErrors(errors: RegoError[], sources: SourceFile[]): string {
  const byFile = new Map(sources.map((s) => [s.file, s.text]));
  return errors.map((e) => formatRegoError(e, byFile.get(e.location.file))).join('\n');
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('Check Rego files for syntax and compile errors; prints every error found (exit 1 when any).')
    .argument('<paths...>', 'Rego files, or folders searched recursively for *.rego')
    .option('--v0-compatible', 'read the sources as Rego v0 (rule bodies without `if`, partial sets without `contains`)')
    .addOption(new Option('--format <format>', 'output format').choices(['pretty', 'json']).default('pretty'))
    .addHelpText(
      'after',
      '\nExamples:\n  govern check policies/\n  govern check authz.rego lib.rego --format json\n  govern check legacy/ --v0-compatible',
    )
    .action((paths: string[], opts: { v0Compatible?: boolean; format: string }) => {
      const sources = collectRegoFiles(paths);
      if (sources.length === 0) throw new CliError(`no .rego files found in ${paths.join(', ')}`);
      const report = checkSources(sources, opts.v0Compatible ? 'v0' : 'v1');
      if (opts.format === 'json') {
        process.stdout.write(`${JSON.stringify({ files: report.files, errors: report.errors }, null, 2)}\n`);
      } else if (report.errors.length > 0) {
        process.stderr.write(`${formatErrors(report.errors, sources)}\n`);
        const n = report.errors.length;
        process.stderr.write(`${n} error${n === 1 ? '' : 's'} in ${report.files} file${report.files === 1 ? '' : 's'} checked\n`);
      } else {
        process.stdout.write(`${report.files} file${report.files === 1 ? '' : 's'} checked, no errors\n`);
      }
      process.exitCode = report.errors.length > 0 ? 1 : 0;
    });
}
