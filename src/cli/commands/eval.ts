// `govern eval`: evaluates a bundle's entrypoint, or compiles a query on the fly (like `opa eval`),
// through the official opa-wasm SDK with govern's host builtins.
import { existsSync, readFileSync } from 'node:fs';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import type { Command } from 'commander';
import { BundleError, bundleEntrypoints, bundleWasm, readBundle } from '../../bundle/bundle.js';
import { createHostBuiltins } from '../../builtins/index.js';
import { isGovernLinked, Wasm } from '../../wasm/govern-abi.js';
import type { Term } from '../../syntax/ast.js';
import { parseQuery } from '../../syntax/parser.js';
import { someTerm } from '../../syntax/terms.js';
import { CliError } from '../errors.js';
import { loadCompiler, loadPaths, normalizeEntrypoint, parseDocument, printRegoErrors } from './build.js';

interface EvalOptions {
  bundle?: string;
  entrypoint?: string;
  data?: string[];
  input?: string;
  format: string;
  v0Compatible?: boolean;
}

/** The entrypoint name a query is compiled under. */
const QUERY_ENTRYPOINT = 'eval/query';
/** The variable a one-term query's value is bound to (query results leave out `__` names). */
const VALUE_VAR = 'govern_eval_value';
/** Operators whose expression is a condition or a binding, not a value to show. */
const CONDITION_OPERATORS = new Set(['assign', 'eq', 'equal', 'neq', 'lt', 'lte', 'gt', 'gte']);

/** Whether the query is a single plain term (no condition, binding, `some`, `every`, `not` or `with`). */
function isSingleTerm(query: string, regoVersion: 'v0' | 'v1'): boolean {
  const parsed = parseQuery(query, QUERY_ENTRYPOINT, { regoVersion });
  const body = parsed.value?.body;
  if (!body || body.length !== 1) return false;
  const expr = body[0]!;
  if (expr.negated || expr.with.length > 0) return false;
  const term = expr.value;
  if (term.type === 'some' || term.type === 'every') return false;
  if (term.type === 'call') {
    const head = term.operator.terms[0];
    const name = term.operator.terms.length === 1 && head?.type === 'var' ? head.name : undefined;
    if (name !== undefined && CONDITION_OPERATORS.has(name)) return false;
  }
  // `data.users[name]` binds name: that query shows its bindings.
  return !hasQueryVars(term);
}

/** Whether a term mentions variables of the query itself (comprehension bodies have their own). */
function hasQueryVars(term: Term): boolean {
  return someTerm(term, (t) => t.type === 'var' && t.name !== 'data' && t.name !== 'input');
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function readInput(path: string | undefined): unknown {
  if (path === undefined) return undefined;
  if (!existsSync(path)) throw new CliError(`input file not found: ${path}`);
  return parseDocument(path, readFileSync(path, 'utf8'), 'input');
}

function evaluationError(err: unknown): CliError {
  const message = typeof err === 'string' ? err : err instanceof Error ? err.message : String(err);
  return new CliError(`evaluation failed: ${message}`, 1);
}

export async function evaluate(wasm: Uint8Array, data: unknown, input: unknown, entrypoint: string): Promise<unknown[]> {
  // time.now_ns is one value for the whole evaluation, as in OPA.
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  let policy;
  try {
    const module = new Wasm.Module(wasm); // compiled once: inspected, then loaded
    const builtins = createHostBuiltins({ now: () => nowNs, regoSets: isGovernLinked(module) });
    policy = await loadPolicy(module as never, undefined, builtins as any);
  } catch (err) {
    throw new CliError(`cannot load the policy's Wasm module: ${typeof err === 'string' ? err : (err as Error).message}`);
  }
  try {
    policy.setData(data as object);
    return policy.evaluate(input, entrypoint) as unknown[];
  } catch (err) {
    throw evaluationError(err);
  }
}

function print(result: unknown[], format: string, query: boolean): void {
  if (format === 'json') {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  if (result.length === 0) {
    process.stdout.write('undefined\n');
    return;
  }
  for (const row of result as Record<string, unknown>[]) {
    if (!query) {
      process.stdout.write(JSON.stringify(row.result, null, 2) + '\n');
      continue;
    }
    const entries = Object.entries(row);
    if (entries.length === 0) process.stdout.write('true\n');
    for (const [name, value] of entries) process.stdout.write(`${name} = ${JSON.stringify(value)}\n`);
  }
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .argument('[query]', 'Rego query to compile and evaluate, e.g. "data.authz.allow = x"')
    .description(
      'Evaluate a bundle entrypoint, or a query over Rego/data files, through the opa-wasm SDK.\n' +
        'Examples: govern eval -b bundle.tar.gz -e authz/allow -i input.json\n' +
        '          govern eval "x = data.authz.allow" -d policy/ -d data.json -i input.json',
    )
    .option('-b, --bundle <file>', 'bundle (.tar.gz) built by govern build or opa build -t wasm')
    .option('-e, --entrypoint <path>', 'entrypoint of the bundle to evaluate, e.g. authz/allow')
    .option('-d, --data <path>', 'Rego module, JSON/YAML data file or directory (with a query; repeatable)', collect)
    .option('-i, --input <file>', 'input document (JSON, or YAML by extension)')
    .option('-f, --format <format>', 'output format: json or pretty', 'json')
    .option('--v0-compatible', 'parse the sources as Rego v0')
    .action(async (query: string | undefined, opts: EvalOptions) => {
      if (opts.format !== 'json' && opts.format !== 'pretty') throw new CliError(`unknown format ${opts.format} (use json or pretty)`);
      if (opts.bundle !== undefined) {
        if (query !== undefined) throw new CliError('give either a query or --bundle, not both');
        if (!existsSync(opts.bundle)) throw new CliError(`bundle not found: ${opts.bundle}`);
        let bundle;
        try {
          bundle = readBundle(new Uint8Array(readFileSync(opts.bundle)));
        } catch (err) {
          if (err instanceof BundleError) throw new CliError(`${opts.bundle}: ${err.message}`);
          throw err;
        }
        const valid = bundleEntrypoints(bundle);
        if (valid.length === 0) throw new CliError(`${opts.bundle} declares no Wasm entrypoints in its .manifest`);
        const entrypoint = opts.entrypoint === undefined ? valid[0]! : normalizeEntrypoint(opts.entrypoint);
        if (!valid.includes(entrypoint))
          throw new CliError(`unknown entrypoint ${opts.entrypoint}; the bundle has: ${valid.join(', ')}`);
        const wasm = bundleWasm(bundle, entrypoint);
        if (!wasm) throw new CliError(`${opts.bundle} has no Wasm module for entrypoint ${entrypoint}`);
        const input = readInput(opts.input);
        print(await evaluate(wasm, bundle.data, input, entrypoint), opts.format, false);
        return;
      }
      if (query === undefined) throw new CliError('nothing to evaluate: give a QUERY or --bundle BUNDLE (see govern eval --help)');
      const { sources, data } = loadPaths(opts.data ?? [], { allowData: true });
      const input = readInput(opts.input);
      const { compilePolicy } = await loadCompiler();
      const regoVersion = opts.v0Compatible ? 'v0' : 'v1';
      const compile = (text: string) => compilePolicy(sources, { entrypoints: [], queries: [{ name: QUERY_ENTRYPOINT, text }], regoVersion });
      // A query that is one term (`data.authz`, `upper(input.name)`) shows that term's value, as
      // OPA does, false included; other queries show their variables' bindings.
      const valueQuery = isSingleTerm(query, regoVersion);
      let result = compile(valueQuery ? `${VALUE_VAR} := (${query})` : query);
      // Errors are reported against the query as written.
      if (valueQuery && (result.errors.length > 0 || !result.wasm)) result = compile(query);
      if (result.errors.length > 0 || !result.wasm) {
        printRegoErrors(result.errors, [...sources, { file: QUERY_ENTRYPOINT, text: query }]);
        process.exitCode = 1;
        return;
      }
      const rows = await evaluate(result.wasm, data, input, QUERY_ENTRYPOINT);
      if (valueQuery) {
        print(rows.map((row) => ({ result: (row as Record<string, unknown>)[VALUE_VAR] })), opts.format, false);
        return;
      }
      const bindings = rows.map((row) =>
        Object.fromEntries(Object.entries((row ?? {}) as Record<string, unknown>).filter(([k]) => !k.startsWith('$') && !/^__local\d+__$/.test(k))),
      );
      print(bindings, opts.format, true);
    });
}
