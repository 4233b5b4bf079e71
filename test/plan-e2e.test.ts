// The planner end to end: Rego → compilePolicy (parse, check, plan, codegen, link) → the official
// opa-wasm SDK, one small policy per language feature. Needs dist/runtime/runtime.wasm (npm run build).
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { describe, expect, test } from 'vitest';
import { createHostBuiltins } from '../src/builtins/index.js';
import { compilePolicy } from '../src/wasm/compile.js';

async function evaluate(source: string | string[], entrypoint: string, input?: unknown, data?: object): Promise<unknown[]> {
  const sources = (Array.isArray(source) ? source : [source]).map((text, i) => ({ file: `p${i}.rego`, text }));
  const compiled = compilePolicy(sources, { entrypoints: [entrypoint] });
  if (!compiled.wasm) throw new Error(compiled.errors.map((e) => `${e.location.file}:${e.location.row}: ${e.message}`).join('\n'));
  const policy = await loadPolicy(compiled.wasm, undefined, createHostBuiltins({}) as any);
  if (data) policy.setData(data);
  return policy.evaluate(input, entrypoint) as unknown[];
}

/** The single result's value, or undefined for an empty result set. */
async function value(source: string | string[], entrypoint: string, input?: unknown, data?: object): Promise<unknown> {
  const rs = (await evaluate(source, entrypoint, input, data)) as { result: unknown }[];
  expect(rs.length).toBeLessThanOrEqual(1);
  return rs[0]?.result;
}

const sorted = (xs: unknown): unknown => (Array.isArray(xs) ? [...xs].sort() : xs);

describe('rules end to end', () => {
  test('complete rule, default and conflict', async () => {
    const src = 'package a\ndefault p := 0\np := 1 if input.x\np := 2 if input.y';
    expect(await value(src, 'a/p', {})).toBe(0);
    expect(await value(src, 'a/p', { x: true })).toBe(1);
    await expect(value(src, 'a/p', { x: true, y: true })).rejects.toThrow(/eval_conflict_error/);
  });

  test('else chain', async () => {
    const src = 'package a\np := "one" if input == 1\nelse := "two" if input == 2\nelse := "many"';
    expect(await value(src, 'a/p', 2)).toBe('two');
    expect(await value(src, 'a/p', 9)).toBe('many');
  });

  test('partial set and partial object', async () => {
    const src = 'package a\ns contains x if { some x in input; x > 1 }\no[k] := count(v) if { some k, v in {"a": [1], "b": [1, 2]} }';
    expect(sorted(await value(src, 'a/s', [1, 2, 3]))).toEqual([2, 3]);
    expect(await value(src, 'a/o')).toEqual({ a: 1, b: 2 });
  });

  test('ref heads build nested objects', async () => {
    const src = 'package a\nby_team[t][name] := u.age if { some u in input; t := u.team; name := u.name }';
    expect(await value(src, 'a/by_team', [{ team: 'x', name: 'n', age: 3 }])).toEqual({ x: { n: 3 } });
  });

  test('functions with several definitions and else', async () => {
    // Two definitions agreeing on a value is no conflict; the else link only runs when its rule fails.
    const src = 'package a\nf(x) := "small" if x < 10\nf(x) := "small" if x < 5\ng(x) := "pos" if x > 0\nelse := "non-pos"\np := [f(1), g(1), g(0)]';
    expect(await value(src, 'a/p')).toEqual(['small', 'pos', 'non-pos']);
  });

  test('package entrypoint merges virtual documents over base data', async () => {
    const src = 'package app.rules\nok := true';
    expect(await value(src, 'app', undefined, { app: { limits: { n: 1 } } })).toEqual({ limits: { n: 1 }, rules: { ok: true } });
  });
});

describe('expressions end to end', () => {
  test('iteration over data with variables, some-in, every, not', async () => {
    const src = `package a
names contains n if { some n; data.users[n].active }
all_small if every v in input { v < 10 }
no_admin if not data.users.admin`;
    const data = { users: { ann: { active: true }, bob: { active: false } } };
    expect(sorted(await value(src, 'a/names', undefined, data))).toEqual(['ann']);
    expect(await value(src, 'a/all_small', [1, 2], data)).toBe(true);
    expect(await value(src, 'a/all_small', [1, 20], data)).toBeUndefined();
    expect(await value(src, 'a/no_admin', undefined, data)).toBe(true);
  });

  test('unification, output arguments and comprehensions', async () => {
    const src = `package a
p := [a, b, n, doubled] if {
  [a, {"k": b}] = input
  count(input, n)
  doubled := [y | some x in [1, 2]; y := x * 2]
}`;
    expect(await value(src, 'a/p', [1, { k: 'v' }])).toEqual([1, 'v', 2, [2, 4]]);
  });

  test('a function chosen at run time (data.pkg[name](…))', async () => {
    const src = ['package lib\ninc(x) := x + 1\ndouble(x) := x * 2', 'package a\np := data.lib[input.fn](10)'];
    expect(await value(src, 'a/p', { fn: 'double' })).toBe(20);
    expect(await value(src, 'a/p', { fn: 'inc' })).toBe(11);
    expect(await value(src, 'a/p', { fn: 'nope' })).toBeUndefined();
  });

  test('template strings', async () => {
    expect(await value('package a\np := $"hi {input.name}, {input.nope}"', 'a/p', { name: 'x' })).toBe('hi x, <undefined>');
  });

  test('with replaces input, data, rules and functions for one expression', async () => {
    const src = `package a
allow if input.role == "admin"
fake(_) := 99
n := count(input.items)
p := [x, y, z, n] if {
  x := allow with input.role as "admin"
  y := n with count as fake
  z := n with count as 5
}`;
    expect(await value(src, 'a/p', { role: 'guest', items: [1] })).toEqual([true, 99, 5, 1]);
    expect(await value(src, 'a/allow', { role: 'guest', items: [1] })).toBeUndefined();
  });
});
