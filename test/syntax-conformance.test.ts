// Every module and query of the OPA conformance suite must parse; a case that expects a
// rego_parse_error must get one.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadCases, type ConformanceCase } from '../src/conformance/cases.js';
import { parseModule, parseQuery } from '../src/syntax/parser.js';
import { assertLocations } from './syntax-helpers.js';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const conformanceRoot = resolve(repoRoot, '../shared/conformance/opa-v1');

// The suite's cases grouped by YAML file (one test per file).
const files = new Map<string, ConformanceCase[]>();
for (const c of loadCases(conformanceRoot)) {
  const inFile = files.get(c.file);
  if (inFile) inFile.push(c);
  else files.set(c.file, [c]);
}

describe('conformance sources parse', () => {
  it('finds the conformance suite', () => {
    expect(files.size).toBeGreaterThan(100);
  });

  for (const [file, cases] of files) {
    it(file, () => {
      for (const c of cases) {
        const errors = [];
        (c.modules ?? []).forEach((source, i) => {
          const name = `${c.note}#${i}.rego`;
          const result = parseModule(source, name);
          errors.push(...result.errors);
          if (result.errors.length === 0) {
            expect(result.value?.package.path.terms.length, name).toBeGreaterThan(1);
            assertLocations(result.value, source, name, name);
          }
        });
        if (c.query !== undefined) {
          const q = parseQuery(c.query, `${c.note}#query`);
          errors.push(...q.errors);
          if (q.value) assertLocations(q.value.body, c.query, `${c.note}#query`, `${c.note}#query`);
        }
        if (c.want_error_code === 'rego_parse_error') {
          expect(errors.length, `${c.note}: expected a parse error`).toBeGreaterThan(0);
        } else {
          const shown = errors.map((e) => `${e.location.file}:${e.location.row}:${e.location.col}: ${e.message}`);
          expect(shown, c.note).toEqual([]);
        }
      }
    });
  }
});
