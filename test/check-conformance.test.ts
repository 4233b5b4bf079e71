// The compile-time checks must accept every valid policy of the OPA conformance suite: each case
// that expects a result or an evaluation-time error has modules and a query OPA compiles without
// error, so checkModules and checkQuery must report nothing for them (a false positive here would
// reject a valid policy).
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkModules, checkQuery } from '../src/check/index.js';
import { loadCases, type ConformanceCase } from '../src/conformance/cases.js';
import type { Body, Module } from '../src/syntax/ast.js';
import { formatRegoError } from '../src/syntax/diagnostics.js';
import { parseModule, parseQuery } from '../src/syntax/parser.js';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const conformanceRoot = resolve(repoRoot, '../shared/conformance/opa-v1');

/** Cases OPA compiles: those expecting a result or an error raised while evaluating. */
function compiles(c: ConformanceCase): boolean {
  return c.want_result !== undefined || (c.want_error_code !== undefined && c.want_error_code.startsWith('eval_'));
}

const cases = loadCases(conformanceRoot);
const files = new Set(cases.map((c) => c.file));

function bodies(m: Module): Body[] {
  const out: Body[] = [];
  for (const r of m.rules) for (let l: typeof r | undefined = r; l; l = l.else) out.push(l.body);
  return out;
}

describe('checks accept every valid conformance case', () => {
  it('finds the conformance suite', () => {
    expect(files.size).toBeGreaterThan(100);
  });

  for (const c of cases) {
    if (!compiles(c)) continue;
    it(`${c.file}: ${c.note}`, () => {
      const modules: Module[] = [];
      const sources = new Map<string, string>();
      (c.modules ?? []).forEach((text, i) => {
        const name = `${c.note}/module-${i}.rego`;
        sources.set(name, text);
        const parsed = parseModule(text, name);
        expect(parsed.errors, 'the parser accepts the module').toEqual([]);
        modules.push(parsed.value!);
      });
      const before = JSON.stringify(modules);
      const checked = checkModules(modules);
      const shown = checked.errors.map((e) => formatRegoError(e, sources.get(e.location.file)));
      expect(shown).toEqual([]);
      // The input is left as it was, and no expression is lost by reordering.
      expect(JSON.stringify(modules)).toBe(before);
      const inBodies = modules.flatMap(bodies).map((b) => b.map((e) => e.index).sort((x, y) => x - y));
      const outBodies = checked.modules.flatMap(bodies).map((b) => b.map((e) => e.index).sort((x, y) => x - y));
      expect(outBodies).toEqual(inBodies);

      if (c.query !== undefined) {
        const q = parseQuery(c.query, 'query.rego');
        expect(q.errors, 'the parser accepts the query').toEqual([]);
        const cq = checkQuery(q.value!, checked.modules);
        expect(cq.errors.map((e) => formatRegoError(e, c.query))).toEqual([]);
      }
    });
  }
});
