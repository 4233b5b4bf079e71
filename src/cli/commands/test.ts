// `govern test [PATH…]`: Rego unit tests for CI. Every rule named test_* (in any package, in any
// file) is compiled as an entrypoint by our compiler and evaluated through the opa-wasm SDK; a test
// passes when it is defined and not false. `with` mocking is compiled like any other Rego.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { Option, type Command } from 'commander';
import { createHostBuiltins } from '../../builtins/index.js';
import { STEPS_PER_MS } from '../../wasm/govern-abi.js';
import type { Expr, Module, Rule, Term } from '../../syntax/ast.js';
import { formatRegoError, type RegoError } from '../../syntax/diagnostics.js';
import { parseModule } from '../../syntax/parser.js';
import { compilePolicy } from '../../wasm/compile.js';
import { CliError } from '../errors.js';
import { mergeData, parseDocument } from './build.js';

export type TestStatus = 'pass' | 'fail' | 'error' | 'skip';

export interface RegoTestResult {
  /** `data.pkg.test_name` */
  name: string;
  package: string;
  rule: string;
  file: string;
  row: number;
  col: number;
  status: TestStatus;
  durationMs: number;
  /** Why it failed or errored. */
  message?: string;
  /** With -v: the first expression of the body that did not hold, and its operands' values. */
  detail?: string;
}

export interface RegoTestRun {
  results: RegoTestResult[];
  /** Compile errors: when there are any, no test ran. */
  errors: RegoError[];
  sources: { file: string; text: string }[];
}

interface SourceFile {
  file: string;
  text: string;
}

interface FoundTest {
  module: Module;
  rule: Rule;
  pkg: string[];
  name: string;
  skip: boolean;
}

const DATA_FILES = new Set(['data.json', 'data.yaml', 'data.yml']);

/** .rego files and data.json/data.yaml files under the paths (dot folders and node_modules skipped). */
function collectFiles(paths: string[]): { sources: SourceFile[]; data: Record<string, unknown> } {
  const sources: SourceFile[] = [];
  const data: Record<string, unknown> = {};
  const seen = new Set<string>();
  const addRego = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    sources.push({ file, text: readFileSync(file, 'utf8') });
  };
  const walk = (dir: string, root: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path, root);
      else if (extname(entry.name) === '.rego') addRego(path);
      else if (DATA_FILES.has(entry.name)) {
        const at = relative(root, dir).split(sep).filter((s) => s !== '');
        mergeData(data, at, parseDocument(path, readFileSync(path, 'utf8'), 'data file'), path);
      }
    }
  };
  for (const path of paths) {
    if (!existsSync(path)) throw new CliError(`file not found: ${path}`);
    if (statSync(path).isDirectory()) walk(path, path);
    else if (extname(path) === '.rego') addRego(path);
    else if (['.json', '.yaml', '.yml'].includes(extname(path))) mergeData(data, [], parseDocument(path, readFileSync(path, 'utf8'), 'data file'), path);
    else throw new CliError(`${path} is not a Rego file, a data file or a directory`);
  }
  return { sources, data };
}

function refName(terms: Term[]): string | undefined {
  const head = terms[0];
  if (terms.length !== 1 || head?.type !== 'var') return undefined;
  return head.name;
}

function packagePath(module: Module): string[] {
  return module.package.path.terms.slice(1).map((t) => (t.type === 'string' ? t.value : t.type === 'var' ? t.name : '?'));
}

function findTests(modules: Module[]): FoundTest[] {
  const tests: FoundTest[] = [];
  const seen = new Set<string>();
  for (const module of modules) {
    const pkg = packagePath(module);
    for (const rule of module.rules) {
      const name = refName(rule.head.ref.terms);
      if (!name || rule.kind === 'function' || rule.default) continue;
      const skip = name.startsWith('todo_test_');
      if (!name.startsWith('test_') && !skip) continue;
      const key = [...pkg, name].join('/');
      if (seen.has(key)) continue; // several definitions of one test are one document
      seen.add(key);
      tests.push({ module, rule, pkg, name, skip });
    }
  }
  return tests;
}

function errorText(err: unknown): string {
  return typeof err === 'string' ? err : err instanceof Error ? err.message : String(err);
}

/** Finds and runs the tests under `paths`. */
export async function runRegoTests(
  paths: string[],
  options: { run?: RegExp; verbose?: boolean; regoVersion?: 'v0' | 'v1'; timeoutMs?: number } = {},
): Promise<RegoTestRun> {
  // Each test may run this many loop iterations (govern's step budget): a runaway test is an
  // ERROR, not a hung CI job.
  const timeoutMs = options.timeoutMs ?? DEFAULT_TEST_TIMEOUT_MS;
  const stepBudget = BigInt(timeoutMs * STEPS_PER_MS);
  const { sources, data } = collectFiles(paths);
  // time.now_ns is one value for the whole run (constant within every evaluation, as in OPA).
  const runClock = BigInt(Date.now()) * 1_000_000n;
  const modules: Module[] = [];
  const errors: RegoError[] = [];
  for (const s of sources) {
    const parsed = parseModule(s.text, s.file, { regoVersion: options.regoVersion });
    errors.push(...parsed.errors);
    if (parsed.value) modules.push(parsed.value);
  }
  if (errors.length > 0) return { results: [], errors, sources };
  const tests = findTests(modules).filter((t) => !options.run || options.run.test(`data.${[...t.pkg, t.name].join('.')}`));
  const runnable = tests.filter((t) => !t.skip);
  const entrypoints = runnable.map((t) => [...t.pkg, t.name].join('/'));
  const results: RegoTestResult[] = [];
  const describe = (t: FoundTest): Omit<RegoTestResult, 'status' | 'durationMs'> => ({
    name: `data.${[...t.pkg, t.name].join('.')}`,
    package: `data.${t.pkg.join('.')}`,
    rule: t.name,
    file: t.rule.location.file,
    row: t.rule.location.row,
    col: t.rule.location.col,
  });
  if (runnable.length > 0) {
    const compiled = compilePolicy(sources, { entrypoints, regoVersion: options.regoVersion });
    if (compiled.errors.length > 0 || !compiled.wasm) return { results: [], errors: compiled.errors, sources };
    const load = async () => {
      const loaded = await loadPolicy(compiled.wasm!, undefined, createHostBuiltins({ now: () => runClock, regoSets: true }) as never);
      loaded.setData(data);
      return loaded;
    };
    let policy = await load();
    for (const [i, t] of runnable.entries()) {
      const started = performance.now();
      let status: TestStatus;
      let message: string | undefined;
      try {
        (policy as unknown as { wasmInstance: { exports: { govern_steps_set(budget: bigint): void } } }).wasmInstance.exports.govern_steps_set(stepBudget);
        const rs = policy.evaluate(undefined, entrypoints[i]) as { result: unknown }[];
        if (rs.length === 0) [status, message] = ['fail', 'the test is undefined (some expression in its body did not hold)'];
        else if (rs[0]!.result === false) [status, message] = ['fail', 'the test is false'];
        else status = 'pass';
      } catch (err) {
        const text = errorText(err);
        const stopped = /govern_step_limit/.test(text);
        [status, message] = ['error', stopped ? `the test ran past its step budget (${stepBudget} loop iterations, from --timeout ${timeoutMs} ms) and was stopped` : text];
        policy = await load(); // the instance stopped part-way: the next test gets a fresh one
      }
      const result: RegoTestResult = { ...describe(t), status, durationMs: performance.now() - started };
      if (message) result.message = message;
      results.push(result);
    }
    if (options.verbose) {
      for (const [i, t] of runnable.entries()) {
        if (results[i]!.status === 'fail') {
          const detail = await explainFailure(t, sources, data, runClock, options.regoVersion);
          if (detail) results[i]!.detail = detail;
        }
      }
    }
  }
  for (const t of tests.filter((x) => x.skip)) results.push({ ...describe(t), status: 'skip', durationMs: 0 });
  results.sort((a, b) => (a.file === b.file ? a.row - b.row : a.file < b.file ? -1 : 1));
  return { results, errors: [], sources };
}

const COMPARISONS = new Set(['equal', 'eq', 'neq', 'lt', 'lte', 'gt', 'gte', '==', '!=', '<', '<=', '>', '>=']);

function sourceOf(expr: { location: { offset: number; length: number } }, text: string): string {
  return text.slice(expr.location.offset, expr.location.offset + expr.location.length);
}

/**
 * For -v: re-compiles the test's module with one helper rule per body prefix to find the first
 * expression that does not hold, and, when it is a comparison without `with`, the values of its
 * two sides. Returns undefined when the body cannot be split that way (else chains, …).
 */
async function explainFailure(t: FoundTest, sources: SourceFile[], data: Record<string, unknown>, runClock: bigint, regoVersion?: 'v0' | 'v1'): Promise<string | undefined> {
  const source = sources.find((s) => s.file === t.module.file);
  if (!source || t.rule.else || t.rule.body.length === 0) return undefined;
  const body = [...t.rule.body].sort((a, b) => a.location.offset - b.location.offset);
  const texts = body.map((e) => sourceOf(e, source.text));
  const pkgPath = t.pkg.join('/');
  try {
    for (let k = 0; k < body.length; k++) {
      const helper = `__govern_explain_${k}`;
      const extra = `\n${helper} if {\n${texts.slice(0, k + 1).join('\n')}\n}\n`;
      const others = sources.filter((s) => s !== source);
      const compiled = compilePolicy([...others, { file: source.file, text: source.text + extra }], { entrypoints: [`${pkgPath}/${helper}`], regoVersion });
      if (!compiled.wasm) return undefined;
      const policy = await loadPolicy(compiled.wasm, undefined, createHostBuiltins({ now: () => runClock, regoSets: true }) as never);
      policy.setData(data);
      const rs = policy.evaluate(undefined, `${pkgPath}/${helper}`) as unknown[];
      if (rs.length > 0) continue;
      const expr = body[k]!;
      let detail = `${expr.location.file}:${expr.location.row}: first expression that does not hold: ${texts[k]!.trim()}`;
      const values = await comparisonValues(expr, k, texts, source, others, data, pkgPath, runClock, regoVersion);
      if (values) detail += `\n    left:  ${values[0]}\n    right: ${values[1]}`;
      return detail;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

async function comparisonValues(
  expr: Expr,
  k: number,
  texts: string[],
  source: SourceFile,
  others: SourceFile[],
  data: Record<string, unknown>,
  pkgPath: string,
  runClock: bigint,
  regoVersion?: 'v0' | 'v1',
): Promise<[string, string] | undefined> {
  const value = expr.value;
  if (expr.negated || expr.with.length > 0 || value.type !== 'call' || value.args.length !== 2) return undefined;
  const opName = value.operator.terms.map((x) => (x.type === 'var' ? x.name : x.type === 'string' ? x.value : '')).join('.');
  if (!COMPARISONS.has(opName)) return undefined;
  const operands = value.args;
  const helper = '__govern_explain_values';
  const [l, r] = operands.map((o) => sourceOf(o, source.text));
  const prefix = texts.slice(0, k).join('\n');
  const extra = `\n${helper} := [${l}, ${r}] if {\n${prefix}\ntrue\n}\n`;
  const compiled = compilePolicy([...others, { file: source.file, text: source.text + extra }], { entrypoints: [`${pkgPath}/${helper}`], regoVersion });
  if (!compiled.wasm) return undefined;
  const policy = await loadPolicy(compiled.wasm, undefined, createHostBuiltins({ now: () => runClock, regoSets: true }) as never);
  policy.setData(data);
  const rs = policy.evaluate(undefined, `${pkgPath}/${helper}`) as { result: unknown[] }[];
  if (rs.length === 0) return undefined;
  return [JSON.stringify(rs[0]!.result[0]), JSON.stringify(rs[0]!.result[1])];
}

function summary(results: RegoTestResult[]): { line: string; failed: boolean; counts: Record<TestStatus, number> } {
  const counts = { pass: 0, fail: 0, error: 0, skip: 0 } as Record<TestStatus, number>;
  for (const r of results) counts[r.status]++;
  const total = results.length;
  const failed = counts.fail + counts.error > 0;
  const parts = [`${counts.pass}/${total - counts.skip} passed`];
  if (counts.fail) parts.push(`${counts.fail} failed`);
  if (counts.error) parts.push(`${counts.error} errored`);
  if (counts.skip) parts.push(`${counts.skip} skipped`);
  return { line: `${failed ? 'FAIL' : 'PASS'}: ${parts.join(', ')}`, failed, counts };
}

const xmlEscape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

/** JUnit XML (the dialect Jenkins, GitLab and GitHub reporters read): one testsuite per package. */
export function junitXml(results: RegoTestResult[]): string {
  const seconds = (ms: number) => (ms / 1000).toFixed(6);
  const byPackage = new Map<string, RegoTestResult[]>();
  for (const r of results) byPackage.set(r.package, [...(byPackage.get(r.package) ?? []), r]);
  const count = (rs: RegoTestResult[], s: TestStatus) => rs.filter((r) => r.status === s).length;
  const time = (rs: RegoTestResult[]) => seconds(rs.reduce((a, r) => a + r.durationMs, 0));
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="govern test" tests="${results.length}" failures="${count(results, 'fail')}" errors="${count(results, 'error')}" skipped="${count(results, 'skip')}" time="${time(results)}">`);
  for (const [pkg, rs] of byPackage) {
    out.push(`  <testsuite name="${xmlEscape(pkg)}" tests="${rs.length}" failures="${count(rs, 'fail')}" errors="${count(rs, 'error')}" skipped="${count(rs, 'skip')}" time="${time(rs)}">`);
    for (const r of rs) {
      const open = `    <testcase name="${xmlEscape(r.rule)}" classname="${xmlEscape(pkg)}" file="${xmlEscape(r.file)}" line="${r.row}" time="${seconds(r.durationMs)}"`;
      const where = `${r.file}:${r.row}: ${r.name}`;
      if (r.status === 'pass') out.push(`${open}/>`);
      else if (r.status === 'skip') out.push(`${open}>\n      <skipped/>\n    </testcase>`);
      else {
        const tag = r.status === 'fail' ? 'failure' : 'error';
        const body = [where, r.message, r.detail].filter(Boolean).join('\n');
        out.push(`${open}>\n      <${tag} message="${xmlEscape(r.message ?? r.status)}" type="${r.status.toUpperCase()}">${xmlEscape(body)}</${tag}>\n    </testcase>`);
      }
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

const LABEL: Record<TestStatus, string> = { pass: 'PASS', fail: 'FAIL', error: 'ERROR', skip: 'SKIP' };

/** OPA's default for `opa test --timeout`. */
const DEFAULT_TEST_TIMEOUT_MS = 5000;

/** `500ms`, `5s`, `1m` or a plain number of milliseconds. */
function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  const ms = m ? Number(m[1]) * (m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 1) : NaN;
  if (!Number.isFinite(ms) || ms <= 0) throw new CliError(`--timeout must be a duration such as 500ms, 5s or 1m, got "${text}"`);
  return Math.ceil(ms);
}

export function registerTest(program: Command): void {
  program
    .command('test [paths...]')
    .description('Run Rego unit tests (rules named test_*) and print PASS/FAIL per test with FILE:ROW; exit 1 on any failure.')
    .option('--run <regex>', 'only tests whose full name (data.pkg.test_x) matches this regular expression')
    .addOption(new Option('--format <format>', 'output format').choices(['pretty', 'json']).default('pretty'))
    .option('--junit <file>', 'also write the results as JUnit XML to this file (for CI)')
    .option('-v, --verbose', 'for failing tests, show the first expression that did not hold and its values')
    .option('--v0-compatible', 'parse the sources as Rego v0')
    .option('--timeout <duration>', 'how long one test may run (500ms, 5s, 1m), as a step budget of 10,000 loop iterations per ms; a test past it is an ERROR', '5s')
    .addHelpText('after', '\nExamples:\n  govern test rego/\n  govern test policies/ --run "authz" --junit report.xml\n  govern test -v policies/authz_test.rego\n\nPaths default to ./rego (or . when there is no rego folder). Directories are searched for .rego files\nand data.json / data.yaml files (mounted at their folder, as OPA does).')
    .action(async (paths: string[], opts: { run?: string; format: string; junit?: string; verbose?: boolean; v0Compatible?: boolean; timeout: string }) => {
      const timeoutMs = parseDuration(opts.timeout);
      let run: RegExp | undefined;
      if (opts.run !== undefined) {
        try {
          run = new RegExp(opts.run);
        } catch (err) {
          throw new CliError(`--run: not a regular expression: ${errorText(err)}`);
        }
      }
      const targets = paths.length > 0 ? paths : [existsSync('rego') ? 'rego' : '.'];
      const outcome = await runRegoTests(targets, { run, verbose: opts.verbose, regoVersion: opts.v0Compatible ? 'v0' : 'v1', timeoutMs });
      if (outcome.errors.length > 0) {
        for (const e of outcome.errors) {
          const text = outcome.sources.find((s) => s.file === e.location.file)?.text;
          process.stderr.write(`${formatRegoError(e, text)}\n`);
        }
        process.stderr.write(`${outcome.errors.length} error${outcome.errors.length === 1 ? '' : 's'}: no test ran\n`);
        if (opts.junit) writeFileSync(opts.junit, junitXml([]));
        process.exitCode = 1;
        return;
      }
      const { results } = outcome;
      const sum = summary(results);
      if (opts.junit) writeFileSync(opts.junit, junitXml(results));
      if (opts.format === 'json') {
        process.stdout.write(`${JSON.stringify({ results, summary: { ...sum.counts, total: results.length, ok: !sum.failed } }, null, 2)}\n`);
      } else {
        for (const r of results) {
          process.stdout.write(`${LABEL[r.status].padEnd(5)} ${r.file}:${r.row}: ${r.name} (${r.durationMs.toFixed(2)} ms)\n`);
          if (r.status === 'fail' || r.status === 'error') {
            if (r.message) process.stdout.write(`      ${r.message}\n`);
            if (r.detail) process.stdout.write(`      ${r.detail.replace(/\n/g, '\n      ')}\n`);
          }
        }
        const closing = results.length === 0 ? `FAIL: no tests found in ${targets.join(', ')}` : sum.line;
        process.stdout.write(`${'-'.repeat(80)}\n${closing}\n`);
      }
      process.exitCode = sum.failed || results.length === 0 ? 1 : 0;
    });
}

