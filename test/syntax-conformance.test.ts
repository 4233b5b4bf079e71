// Every module and query of the OPA conformance suite must parse; a case that expects a
// rego_parse_error must get one.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseModule, parseQuery } from '../src/syntax/parser.js';
import { assertLocations } from './syntax-helpers.js';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const conformanceRoot = resolve(repoRoot, '../shared/conformance/opa-v1');

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...yamlFiles(path));
    else if (entry.name.endsWith('.yaml') || entry.name.endsWith('.yml')) out.push(path);
  }
  return out.sort();
}

interface Case {
  note: string;
  modules?: string[];
  query?: string;
  want_error_code?: string;
}

const files = yamlFiles(conformanceRoot);

describe('conformance sources parse', () => {
  it('finds the conformance suite', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  for (const file of files) {
    const rel = relative(conformanceRoot, file);
    it(rel, () => {
      const doc = parseYaml(readFileSync(file, 'utf8')) as { cases?: Case[] };
      for (const c of doc.cases ?? []) {
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
