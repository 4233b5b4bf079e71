// Running one conformance case: compile its modules and query with govern's compiler, load the
// Wasm with the official opa-wasm SDK (govern's host builtins as custom builtins), evaluate, and
// compare with the answer OPA gives.
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { createHostBuiltins } from '../builtins/index.js';
import { parseQuery } from '../syntax/parser.js';
import type { Term } from '../syntax/ast.js';
import { compilePolicy } from '../wasm/compile.js';
import type { CaseResult, CaseStatus, ConformanceCase } from './cases.js';

export type { CaseResult, CaseStatus };


/** The name the case's query is compiled under (the query plan's entrypoint). */
export const QUERY_ENTRYPOINT = 'conformance/query';

/** Generated vars (wildcards `$…`, `__localN__`) are not part of the answer OPA gives. */
function isGeneratedVar(name: string): boolean {
  return name.startsWith('$') || /^__local\d+__$/.test(name);
}

class SkipCase extends Error {}

/** A constant Rego term (the case's `input_term`) as a JSON value; sets cannot cross the SDK's JSON. */
export function constantTermToJson(term: Term): unknown {
  switch (term.type) {
    case 'null':
      return null;
    case 'boolean':
      return term.value;
    case 'number':
      return Number(term.value);
    case 'string':
      return term.value;
    case 'array':
      return term.items.map(constantTermToJson);
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of term.entries) {
        const key = constantTermToJson(k);
        if (typeof key !== 'string') throw new SkipCase('input_term has a non-string object key (not representable as JSON input)');
        out[key] = constantTermToJson(v);
      }
      return out;
    }
    case 'set':
      throw new SkipCase('input_term holds a set (the SDK passes input as JSON, which has no sets)');
    case 'call':
      if (term.operator.terms.length === 1 && term.operator.terms[0]!.type === 'var' && term.operator.terms[0]!.name === 'set' && term.args.length === 0)
        throw new SkipCase('input_term holds a set (the SDK passes input as JSON, which has no sets)');
      throw new SkipCase(`input_term is not a constant (${term.type})`);
    default:
      throw new SkipCase(`input_term is not a constant (${term.type})`);
  }
}

function inputTermValue(text: string): unknown {
  const parsed = parseQuery(text, 'input_term');
  if (parsed.errors.length > 0 || !parsed.value) throw new SkipCase(`input_term does not parse: ${parsed.errors[0]?.message ?? 'no term'}`);
  const body = parsed.value.body;
  const value = body.length === 1 ? body[0]!.value : undefined;
  if (!value || value.type === 'some' || value.type === 'every') throw new SkipCase('input_term is not a single term');
  return constantTermToJson(value as Term);
}

/** Deep equality of JSON values; numbers compare by value (1 == 1.0). */
export function jsonEqual(a: unknown, b: unknown, unorderedArrays = false): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    if (!unorderedArrays) return a.every((x, i) => jsonEqual(x, b[i]));
    return multisetEqual(a, b, (x, y) => jsonEqual(x, y));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual((a as any)[k], (b as any)[k]));
}

function multisetEqual<T>(a: T[], b: T[], eq: (x: T, y: T) => boolean): boolean {
  if (a.length !== b.length) return false;
  const used = new Array<boolean>(b.length).fill(false);
  for (const x of a) {
    const i = b.findIndex((y, j) => !used[j] && eq(x, y));
    if (i < 0) return false;
    used[i] = true;
  }
  return true;
}

/**
 * Compares a result set with `want_result`: the set of bindings is unordered; with sort_bindings
 * the order of each binding's collection does not matter either.
 */
export function resultsMatch(got: Record<string, unknown>[], want: Record<string, unknown>[], sortBindings: boolean): boolean {
  const bindingsEqual = (x: Record<string, unknown>, y: Record<string, unknown>): boolean => {
    const kx = Object.keys(x);
    if (kx.length !== Object.keys(y).length) return false;
    return kx.every((k) => k in y && jsonEqual(x[k], y[k], sortBindings));
  };
  return multisetEqual(got, want, bindingsEqual);
}

/** The error code an evaluation error stands for, from what the SDK threw. */
export function classifyError(err: unknown): { code: string; message: string } {
  const message = typeof err === 'string' ? err : err instanceof Error ? err.message : String((err as any)?.message ?? err);
  const kind = (err as { kind?: unknown } | null)?.kind;
  if (kind === 'type') return { code: 'eval_type_error', message };
  if (kind === 'builtin') return { code: 'eval_builtin_error', message };
  const explicit = (err as { code?: unknown } | null)?.code;
  if (typeof explicit === 'string' && /^(eval|rego)_/.test(explicit)) return { code: explicit, message };
  const named = /\b((?:eval|rego)_[a-z_]+_error)\b/.exec(message);
  if (named) return { code: named[1]!, message };
  if (/conflict|multiple outputs|must not produce/i.test(message)) return { code: 'eval_conflict_error', message };
  if (/operand \d+ must be|must be .* but got/.test(message)) return { code: 'eval_type_error', message };
  return { code: 'eval_internal_error', message };
}

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? 'undefined' : text.length > 300 ? text.slice(0, 300) + '…' : text;
}

/** What a compiled case needs to be evaluated. Compiling once lets a caller evaluate again cheaply. */
export interface CompiledCase {
  wasm: Uint8Array;
}

export function compileCase(c: ConformanceCase): CompiledCase | { error: { code: string; message: string } } {
  const sources = (c.modules ?? []).map((text, i) => ({ file: `test-${i}.rego`, text }));
  const result = compilePolicy(sources, {
    entrypoints: [],
    queries: [{ name: QUERY_ENTRYPOINT, text: c.query ?? '' }],
    strictBuiltinErrors: c.strict_error === true,
  });
  if (!result.wasm || result.errors.length > 0) {
    const first = result.errors[0];
    return {
      error: {
        code: first?.code ?? 'rego_compile_error',
        message: first ? `${first.location.file}:${first.location.row}:${first.location.col}: ${first.message}` : 'no wasm produced',
      },
    };
  }
  return { wasm: result.wasm };
}

/** Runs one case to the end and says whether govern gives OPA's answer. */
export async function runCase(c: ConformanceCase): Promise<CaseResult> {
  const done = (status: CaseStatus, reason = ''): CaseResult => ({ file: c.file, note: c.note, status, reason });
  if (c.unknownFields.length > 0) return done('skipped', `unknown field(s): ${c.unknownFields.join(', ')}`);
  if (c.query === undefined) return done('skipped', 'case has no query');
  const wantsError = c.want_error_code !== undefined || c.want_error !== undefined;
  if (!wantsError && c.want_result === undefined) return done('skipped', 'case has neither want_result nor want_error');

  let input: unknown = c.input;
  try {
    if (c.input_term !== undefined) input = inputTermValue(c.input_term);
  } catch (err) {
    if (err instanceof SkipCase) return done('skipped', err.message);
    throw err;
  }

  let compiled: ReturnType<typeof compileCase>;
  try {
    compiled = compileCase(c);
  } catch (err) {
    return done('failed', `compiler crashed: ${(err as Error)?.stack?.split('\n').slice(0, 3).join(' | ') ?? String(err)}`);
  }
  if ('error' in compiled) {
    if (wantsError) return checkError(c, compiled.error, done);
    return done('failed', `compile error: ${compiled.error.code}: ${compiled.error.message}`);
  }

  let got: unknown;
  try {
    // OPA answers nondeterministic builtins (time.now_ns, rand.intn) too; the cases only check shapes.
    const builtins = createHostBuiltins({ strict: c.strict_error === true, allowNondeterministic: true, regoSets: true });
    const policy = await loadPolicy(compiled.wasm, undefined, builtins as any);
    if (c.data !== undefined) policy.setData(c.data as object);
    got = policy.evaluate(input, QUERY_ENTRYPOINT);
  } catch (err) {
    const error = classifyError(err);
    if (wantsError) return checkError(c, error, done);
    return done('failed', `evaluation error: ${error.code}: ${error.message}`);
  }
  if (wantsError) return done('failed', `expected error ${c.want_error_code ?? ''} ${c.want_error ?? ''}, got ${describe(got)}`.replace(/\s+/g, ' '));
  if (!Array.isArray(got)) return done('failed', `result set is not an array: ${describe(got)}`);
  const bindings = got.map((row) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries((row ?? {}) as Record<string, unknown>)) if (!isGeneratedVar(k)) out[k] = v;
    return out;
  });
  if (resultsMatch(bindings, c.want_result ?? [], c.sort_bindings === true)) return done('passed');
  return done('failed', `want ${describe(c.want_result)}, got ${describe(bindings)}`);
}

function checkError(
  c: ConformanceCase,
  error: { code: string; message: string },
  done: (status: CaseStatus, reason?: string) => CaseResult,
): CaseResult {
  if (c.want_error_code !== undefined && error.code !== c.want_error_code)
    return done('failed', `want error code ${c.want_error_code}, got ${error.code}: ${error.message}`);
  if (c.want_error && !error.message.includes(c.want_error))
    return done('failed', `want error message containing ${JSON.stringify(c.want_error)}, got ${JSON.stringify(error.message)}`);
  return done('passed');
}
