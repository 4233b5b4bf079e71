// Mutation fuzzing of the front end: conformance modules are cut, spliced, shuffled and sprinkled
// with random characters; the parser (and the compile-time checks on what still parses) must only
// ever answer with well-formed errors, never throw or hang. The seed is fixed, so a failure is
// reproducible from its mutant number.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkModules } from '../src/check/index.js';
import { loadCases } from '../src/conformance/cases.js';
import type { RegoError } from '../src/syntax/diagnostics.js';
import { parseModule, parseQuery } from '../src/syntax/parser.js';
import { assertLocations } from './syntax-helpers.js';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const conformanceRoot = resolve(repoRoot, '../shared/conformance/opa-v1');
const MUTANTS = 3000;
const ERROR_CODES = new Set(['rego_parse_error', 'rego_type_error', 'rego_compile_error', 'rego_unsafe_var_error', 'rego_recursion_error']);

function corpus(): string[] {
  const seen = new Set<string>();
  for (const c of loadCases(conformanceRoot)) for (const m of c.modules ?? []) seen.add(m);
  return [...seen];
}

/** mulberry32: a small, fast PRNG with a fixed seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Characters that steer the lexer and parser into their less common paths.
const SPICE = [...'{}[]()"`$\\#:=.,;|&+-*/%<>!_ \n\t\r0123456789eE', 'if', 'else', 'contains', 'every', 'some', 'not', 'with', 'as', 'in', 'default', 'import', 'package', '$"{', '\\u', '\\{', 'é', '😀', '\ud800', '\u0000', '1e99999', '# METADATA\n# title: x\n'];

function mutate(source: string, others: string[], rnd: () => number): string {
  const pick = (n: number) => Math.floor(rnd() * n);
  let s = source;
  const rounds = 1 + pick(4);
  for (let r = 0; r < rounds; r++) {
    const at = pick(s.length + 1);
    switch (pick(7)) {
      case 0: // cut the rest off
        s = s.slice(0, at);
        break;
      case 1: {
        // delete a span
        s = s.slice(0, at) + s.slice(at + 1 + pick(20));
        break;
      }
      case 2: {
        // duplicate a span in place
        const len = 1 + pick(40);
        s = s.slice(0, at + len) + s.slice(at, at + len) + s.slice(at + len);
        break;
      }
      case 3: {
        // swap two whitespace-separated words
        const words = s.split(/(\s+)/);
        const i = pick(words.length);
        const j = pick(words.length);
        [words[i], words[j]] = [words[j]!, words[i]!];
        s = words.join('');
        break;
      }
      case 4: {
        // insert something spicy
        s = s.slice(0, at) + SPICE[pick(SPICE.length)] + s.slice(at);
        break;
      }
      case 5: {
        // insert random code units
        let junk = '';
        for (let k = 1 + pick(6); k > 0; k--) junk += String.fromCharCode(pick(rnd() < 0.8 ? 128 : 0x10000));
        s = s.slice(0, at) + junk + s.slice(at);
        break;
      }
      default: {
        // splice in part of another module
        const other = others[pick(others.length)]!;
        const from = pick(other.length);
        s = s.slice(0, at) + other.slice(from, from + 1 + pick(80)) + s.slice(at);
      }
    }
  }
  return s;
}

function assertCleanErrors(errors: RegoError[], source: string, file: string, what: string): void {
  for (const e of errors) {
    expect(ERROR_CODES.has(e.code), `${what}: code ${e.code}`).toBe(true);
    expect(typeof e.message === 'string' && e.message.length > 0, `${what}: message`).toBe(true);
    const l = e.location;
    expect(l.file, `${what}: file`).toBe(file);
    expect(l.row >= 1 && l.col >= 1, `${what}: row/col ${l.row}:${l.col}`).toBe(true);
    expect(l.offset >= 0 && l.offset <= source.length, `${what}: offset ${l.offset}`).toBe(true);
    expect(l.offset + l.length <= source.length, `${what}: length ${l.offset}+${l.length} > ${source.length} (${e.message})`).toBe(true);
  }
}

describe('front-end fuzzing', () => {
  const modules = corpus();

  it('has a corpus to mutate', () => {
    expect(modules.length).toBeGreaterThan(500);
  });

  it(`answers ${MUTANTS} mutated modules with clean errors only`, () => {
    const rnd = prng(0x5eed1234);
    let parsedClean = 0;
    for (let n = 0; n < MUTANTS; n++) {
      const base = modules[Math.floor(rnd() * modules.length)]!;
      const source = mutate(base, modules, rnd);
      const file = `mutant-${n}.rego`;
      const what = `mutant ${n}: ${JSON.stringify(source.slice(0, 200))}`;
      const regoVersion = rnd() < 0.2 ? 'v0' : 'v1';
      const result = parseModule(source, file, { regoVersion });
      assertCleanErrors(result.errors, source, file, what);
      if (result.errors.length > 0) {
        expect(result.value, what).toBeUndefined();
        continue;
      }
      expect(result.value, what).toBeDefined();
      assertLocations(result.value, source, file, what);
      parsedClean++;
      let checked;
      try {
        checked = checkModules([result.value!]);
      } catch (err) {
        throw new Error(`checkModules threw on ${what}: ${(err as Error).stack}`);
      }
      assertCleanErrors(checked.errors, source, file, `${what} (checks)`);
    }
    // Mutations must leave a good share parseable, or the checks above were barely exercised.
    expect(parsedClean).toBeGreaterThan(MUTANTS / 20);
  });

  it('answers mutated queries with clean errors only', () => {
    const rnd = prng(0xfeed);
    for (let n = 0; n < 1000; n++) {
      const base = modules[Math.floor(rnd() * modules.length)]!;
      const body = base.slice(base.indexOf('\n') + 1);
      const source = mutate(body, modules, rnd).slice(0, 400);
      const result = parseQuery(source, `q-${n}`);
      assertCleanErrors(result.errors, source, `q-${n}`, `query ${n}: ${JSON.stringify(source)}`);
    }
  });
});
