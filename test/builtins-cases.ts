// Picks conformance cases whose module reduces to one direct builtin call with literal arguments,
// so the host builtins can be checked against OPA's answers without the compiler.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { SET_MARKER } from '../src/wasm/govern-abi.js';

export const CONFORMANCE_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'shared', 'conformance', 'opa-v1');

export type Expectation =
  | { kind: 'value'; value: unknown }
  | { kind: 'undefined' }
  | { kind: 'not-equal'; value: unknown }
  | { kind: 'error'; message: string; strict: boolean; code: string };

export interface DirectCase {
  note: string;
  builtin: string;
  args: unknown[];
  expect: Expectation;
}


const SET = Symbol('set');

/**
 * Parses a Rego scalar/composite literal (JSON plus sets, raw strings, trailing commas). Sets
 * become arrays (how a builtin's result reads, and what OPA's own Wasm hands builtins), or, with
 * `sets: 'marked'`, the marker a govern module sends for a set argument (src/wasm/govern-abi.ts).
 */
export function parseRegoLiteral(text: string, sets: 'arrays' | 'marked' = 'arrays'): { value: unknown } | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const fail = (): never => {
    throw new Error('not a literal');
  };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const s = JSON.parse(text.slice(i, j + 1));
      i = j + 1;
      return s;
    }
    if (c === '`') {
      const j = text.indexOf('`', i + 1);
      if (j < 0) fail();
      const s = text.slice(i + 1, j);
      i = j + 1;
      return s;
    }
    if (c === '[') {
      i++;
      const items: unknown[] = [];
      ws();
      while (text[i] !== ']') {
        items.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== ']') fail();
        ws();
      }
      i++;
      return items;
    }
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return {};
      }
      const first = value();
      ws();
      if (text[i] === ':') {
        const out: Record<string, unknown> = {};
        i++;
        out[String(first)] = value();
        ws();
        while (text[i] === ',') {
          i++;
          ws();
          if (text[i] === '}') break;
          const k = value();
          ws();
          if (text[i] !== ':') fail();
          i++;
          if (typeof k !== 'string') fail();
          out[k as string] = value();
          ws();
        }
        if (text[i] !== '}') fail();
        i++;
        return out;
      }
      const items = [first];
      while (text[i] === ',') {
        i++;
        ws();
        if (text[i] === '}') break;
        items.push(value());
        ws();
      }
      if (text[i] !== '}') fail();
      i++;
      return { [SET]: items };
    }
    if (text.startsWith('set()', i)) {
      i += 5;
      return { [SET]: [] };
    }
    const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i));
    if (!m) fail();
    i += m![0].length;
    return JSON.parse(m![0]);
  };
  try {
    const v = value();
    ws();
    if (i !== text.length) return undefined;
    return { value: normalizeSets(v, sets === 'marked') };
  } catch {
    return undefined;
  }
}

/** Sets become arrays, or set markers when `marked`. */
function normalizeSets(v: unknown, marked: boolean): unknown {
  if (Array.isArray(v)) return v.map((x) => normalizeSets(x, marked));
  if (v && typeof v === 'object') {
    const set = (v as any)[SET] as unknown[] | undefined;
    if (set) return marked ? { [SET_MARKER]: set.map((x) => normalizeSets(x, marked)) } : set.map((x) => normalizeSets(x, marked));
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalizeSets(x, marked)]));
  }
  return v;
}

/** Splits "a, b, c" at top-level commas. */
function splitArgs(text: string): string[] | undefined {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    } else if (c === '`') {
      i = text.indexOf('`', i + 1);
      if (i < 0) return undefined;
    } else if ('[{('.includes(c)) depth++;
    else if (']})'.includes(c)) depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  const last = text.slice(start);
  if (last.trim() !== '') parts.push(last);
  return parts.map((p) => p.trim());
}

/** `name(args)` with literal args: the builtin name and the parsed arguments. */
function parseCall(text: string, prefixes: string[]): { builtin: string; args: string[] } | undefined {
  const m = /^([a-z_][a-z0-9_.]*)\(([\s\S]*)\)$/.exec(text.trim());
  if (!m || !prefixes.some((p) => m[1]!.startsWith(p))) return undefined;
  const args = splitArgs(m[2]!);
  if (!args) return undefined;
  return { builtin: m[1]!, args };
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...yamlFiles(path));
    else if (entry.endsWith('.yaml')) out.push(path);
  }
  return out;
}

/** The body of the module after the package line, as trimmed non-empty lines. */
function bodyLines(module: string): string[] {
  return module
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('package ') && !l.startsWith('import ') && !l.startsWith('#'));
}

export function collectDirectCases(folders: string[], prefixes: string[]): DirectCase[] {
  const out: DirectCase[] = [];
  for (const folder of folders) {
    for (const file of yamlFiles(join(CONFORMANCE_DIR, folder))) {
      const doc = parseYaml(readFileSync(file, 'utf8')) as { cases: any[] };
      for (const c of doc.cases ?? []) {
        if (!Array.isArray(c.modules) || c.modules.length !== 1 || c.input_term !== undefined) continue;
        if (c.data && Object.keys(c.data).length > 0) continue;
        const found = matchCase(c, bodyLines(c.modules[0]), prefixes);
        if (found) out.push({ note: c.note, ...found });
      }
    }
  }
  return out;
}

type Step =
  | { kind: 'literal'; name: string; value: unknown }
  | { kind: 'alias'; name: string; from: string }
  | { kind: 'call'; builtin: string; args: string[]; out?: string; compare?: { negated: boolean; value: unknown } };

function parseStep(line: string, prefixes: string[]): Step | undefined {
  let m: RegExpExecArray | null;
  if ((m = /^(not )?(.*) == (.*)$/.exec(line))) {
    const call = parseCall(m[2]!, prefixes);
    const expected = parseRegoLiteral(m[3]!);
    if (!call || !expected) return undefined;
    return { kind: 'call', ...call, compare: { negated: !!m[1], value: expected.value } };
  }
  if ((m = /^([a-z_][a-z0-9_]*) :?= (.*)$/i.exec(line))) {
    const name = m[1]!;
    const rhs = m[2]!;
    const lit = parseRegoLiteral(rhs, 'marked'); // a constant the builtin call takes as an argument
    if (lit) return { kind: 'literal', name, value: lit.value };
    if (/^[a-z_][a-z0-9_]*$/i.test(rhs)) return { kind: 'alias', name, from: rhs };
    const call = parseCall(rhs, prefixes);
    if (call) return { kind: 'call', ...call, out: name };
    return undefined;
  }
  const call = parseCall(line, prefixes);
  return call && { kind: 'call', ...call };
}

function matchCase(c: any, lines: string[], prefixes: string[]): Omit<DirectCase, 'note'> | undefined {
  if (!/^data\.[a-z_]+\.p = x$/.test(c.query)) return undefined;
  // package-level constants before the rule: `name := literal`
  const prelude: Step[] = [];
  let first = 0;
  while (first < lines.length && !lines[first]!.startsWith('p ')) {
    const m = /^([a-z_][a-z0-9_]*) :?= (.*)$/i.exec(lines[first]!);
    const lit = m && parseRegoLiteral(m[2]!, 'marked');
    if (!m || !lit) return undefined;
    prelude.push({ kind: 'literal', name: m[1]!, value: lit.value });
    first++;
  }
  const text = lines.slice(first).join('\n');
  let head: string;
  let body: string[];
  let m: RegExpExecArray | null;
  let resultExpr = 'x';
  if ((m = /^p (if|:= ([a-z_][a-z0-9_]*|\[x, y, z\]) if|= ([a-z_][a-z0-9_]*) if|contains ([a-z_][a-z0-9_]*) if) \{\n([\s\S]*)\n\}$/.exec(text))) {
    head = m[1]!.split(' ')[0]!;
    resultExpr = m[2] ?? m[3] ?? m[4] ?? 'x';
    body = m[5]!.split('\n');
  } else if ((m = /^p := ([^\n]*)$/.exec(text))) {
    head = ':=';
    body = [`x := ${m[1]}`];
  } else return undefined;
  const steps = body.map((l) => parseStep(l, prefixes));
  if (steps.some((s) => !s)) return undefined;
  const calls = steps.filter((s) => s!.kind === 'call') as Extract<Step, { kind: 'call' }>[];
  if (calls.length !== 1) return undefined;
  const call = calls[0]!;
  const env = new Map<string, unknown>();
  for (const s of [...prelude, ...steps]) if (s!.kind === 'literal') env.set(s!.name, s!.value);
  if (c.input && typeof c.input === 'object') for (const [k, v] of Object.entries(c.input)) env.set(`input.${k}`, v);
  let outVar = call.out;
  let argTexts = call.args;
  if (!outVar && !call.compare && head !== 'if') {
    // the output is the extra last argument, an unbound variable
    const last = argTexts.at(-1)!;
    if (last !== resultExpr && (!/^[a-z_][a-z0-9_]*$/i.test(last) || env.has(last))) return undefined;
    outVar = last;
    argTexts = argTexts.slice(0, -1);
  }
  const args: unknown[] = [];
  for (const t of argTexts) {
    if (env.has(t)) args.push(env.get(t));
    else {
      const lit = parseRegoLiteral(t, 'marked');
      if (!lit) return undefined;
      args.push(lit.value);
    }
  }
  const base = { builtin: call.builtin, args };
  if (c.want_error !== undefined) {
    return { ...base, expect: { kind: 'error', message: String(c.want_error), strict: !!c.strict_error, code: String(c.want_error_code ?? '') } };
  }
  const want = c.want_result as any[] | undefined;
  if (!want) return undefined;
  if (head === 'if') {
    if (want.length === 1 && want[0].x === true) {
      if (call.compare) return { ...base, expect: { kind: call.compare.negated ? 'not-equal' : 'value', value: call.compare.value } };
      if (!call.out) return { ...base, expect: { kind: 'value', value: true } };
    }
    return undefined;
  }
  // follow aliases x = out
  let resultVar = resultExpr;
  for (const s of steps) if (s!.kind === 'alias' && s!.name === resultExpr) resultVar = s!.from;
  if (resultVar !== outVar || call.compare) return undefined;
  if (want.length === 0) return { ...base, expect: { kind: 'undefined' } };
  const x = want[0].x;
  if (head === 'contains') {
    if (!Array.isArray(x) || x.length > 1) return undefined;
    if (x.length === 0) return { ...base, expect: { kind: 'undefined' } };
    return { ...base, expect: { kind: 'value', value: x[0] } };
  }
  return { ...base, expect: { kind: 'value', value: x } };
}
