// The planner's IR, run by the reference interpreter in plan-interp.ts: each test states what a
// small policy must evaluate to, so a planning mistake shows as a wrong answer.
import { describe, expect, test } from 'vitest';
import { parseModule, parseQuery } from '../src/syntax/parser.js';
import { checkModules } from '../src/check/index.js';
import { planPolicy } from '../src/plan/planner.js';
import type { Policy, Stmt } from '../src/plan/ir.js';
import { Interpreter } from './plan-interp.js';

function compile(sources: string[], entrypoints: string[], queries: Record<string, string> = {}): Policy {
  const parsed = sources.map((src, i) => {
    const r = parseModule(src, `m${i}.rego`);
    if (r.errors.length > 0 || !r.value) throw new Error(JSON.stringify(r.errors));
    return r.value;
  });
  const checked = checkModules(parsed);
  if (checked.errors.length > 0) throw new Error(JSON.stringify(checked.errors));
  return planPolicy(checked.modules, {
    entrypoints,
    queries: Object.entries(queries).map(([name, text]) => {
      const q = parseQuery(text, 'query');
      if (q.errors.length > 0 || !q.value) throw new Error(JSON.stringify(q.errors));
      return { name, query: q.value };
    }),
  });
}

/** The value of one entrypoint (undefined when the result set is empty). */
function evalEntry(sources: string[], entrypoint: string, input?: unknown, data: unknown = {}): unknown {
  const results = new Interpreter(compile(sources, [entrypoint])).run(entrypoint, input, data) as { result: unknown }[];
  if (results.length > 1) throw new Error(`several results: ${JSON.stringify(results)}`);
  return results[0]?.result;
}

function evalQuery(sources: string[], query: string, input?: unknown, data: unknown = {}): unknown[] {
  return new Interpreter(compile(sources, [], { q: query })).run('q', input, data);
}

const sortByJSON = (xs: unknown[]): unknown[] => [...xs].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

function allStmts(policy: Policy, funcsOnly = false): Stmt[] {
  const out: Stmt[] = [];
  const visit = (stmts: Stmt[]): void => {
    for (const s of stmts) {
      out.push(s);
      if (s.type === 'Block') s.blocks.forEach((b) => visit(b.stmts));
      if (s.type === 'Not' || s.type === 'Scan' || s.type === 'With') visit(s.block.stmts);
    }
  };
  for (const f of funcsOnly ? policy.funcs : [...policy.funcs, ...policy.plans]) f.blocks.forEach((b) => visit(b.stmts));
  return out;
}

describe('IR shape', () => {
  test('every Func takes input and data first, then its own arguments', () => {
    const policy = compile(['package a\nf(x, y) := x + y\np := f(1, 2)'], ['a/p']);
    const f = policy.funcs.find((fn) => fn.path.join('.') === 'a.f')!;
    expect(f.params.slice(0, 2)).toEqual([0, 1]);
    expect(f.params).toHaveLength(4);
    const call = allStmts(policy).find((s) => s.type === 'Call' && s.func === f.name) as Extract<Stmt, { type: 'Call' }>;
    expect(call.args.slice(0, 2)).toEqual([
      { type: 'local', local: 0 },
      { type: 'local', local: 1 },
    ]);
  });

  test('a complete rule assigns once, with the rule location for the conflict message', () => {
    const policy = compile(['package a\n\np := 1 if input.x'], ['a/p']);
    const once = allStmts(policy).find((s) => s.type === 'AssignVarOnce') as Extract<Stmt, { type: 'AssignVarOnce' }>;
    expect(once.where).toEqual({ file: policy.static.files.indexOf('m0.rego'), row: 3, col: 1 });
  });

  test('a constant-valued rule stops at its first solution; a rule with a computed value does not', () => {
    const breaks = (src: string): number => allStmts(compile([src], ['a/p']), true).filter((st) => st.type === 'Break').length;
    expect(breaks('package a\np if { some x in input; x == 1 }')).toBe(1);
    expect(breaks('package a\np := x if { some x in input; x == 1 }')).toBe(0);
    // Both solutions are still seen when the value varies, so a conflict is reported.
    expect(() => evalEntry(['package a\np := x if { some x in input }'], 'a/p', [1, 2])).toThrow(/conflict/);
    expect(evalEntry(['package a\np if { some x in input; x > 1 }'], 'a/p', [1, 2, 3])).toBe(true);
  });

  test('builtins are declared by name and arity', () => {
    const policy = compile(['package a\np := count([1, 2])'], ['a/p']);
    expect(policy.static.builtins).toContainEqual({ name: 'count', arity: 1 });
  });
});

describe('entrypoints', () => {
  const src = ['package authz\nallow if input.user == "alice"\nreasons contains "x" if not allow'];
  test('slash, dotted and data-prefixed paths name the same rule', () => {
    for (const e of ['authz/allow', 'authz.allow', 'data.authz.allow']) expect(evalEntry(src, e, { user: 'alice' })).toBe(true);
  });
  test('an undefined rule gives an empty result set', () => {
    expect(new Interpreter(compile(src, ['authz/allow'])).run('authz/allow', { user: 'bob' })).toEqual([]);
  });
  test('a package gives the object of its rules, merged over base data', () => {
    expect(evalEntry(src, 'authz', { user: 'bob' }, { authz: { extra: 1 } })).toEqual({ reasons: ['x'], extra: 1 });
  });
  test('a path deeper than a rule reads into its value', () => {
    expect(evalEntry(['package a\nobj := {"k": {"z": 20}}'], 'a/obj/k/z')).toBe(20);
  });
});

describe('rules', () => {
  test('complete rules with two different values are a conflict', () => {
    const src = ['package a\np := 1 if input.x\np := 2 if input.y'];
    expect(evalEntry(src, 'a/p', { x: true })).toBe(1);
    expect(() => evalEntry(src, 'a/p', { x: true, y: true })).toThrow(/eval_conflict_error: complete rules/);
  });
  test('default applies only when no other definition holds', () => {
    const src = ['package a\ndefault p := "no"\np := "yes" if input.ok'];
    expect(evalEntry(src, 'a/p', { ok: true })).toBe('yes');
    expect(evalEntry(src, 'a/p', { ok: false })).toBe('no');
  });
  test('else chains take the first link that holds', () => {
    const src = ['package a\np := 1 if input.n == 1\nelse := 2 if input.n == 2\nelse := 3'];
    expect([1, 2, 5].map((n) => evalEntry(src, 'a/p', { n }))).toEqual([1, 2, 3]);
  });
  test('partial sets collect every solution', () => {
    const src = ['package a\ns contains x if { some x in input; x > 1 }'];
    expect(evalEntry(src, 'a/s', [1, 2, 3, 2])).toEqual([2, 3]);
  });
  test('partial objects: keys must be unique', () => {
    const src = ['package a\no[k] := v if { some k, v in input }'];
    expect(evalEntry(src, 'a/o', { a: 1 })).toEqual({ a: 1 });
    const conflict = ['package a\no[k] := v if { some v in input; k := "same" }'];
    expect(() => evalEntry(conflict, 'a/o', [1, 2])).toThrow(/object keys must be unique/);
  });
  test('ref heads build nested objects', () => {
    const src = ['package a\nusers[name].roles contains r if { some u in input; name := u.name; some r in u.roles }\nusers.admin.level := 9'];
    expect(evalEntry(src, 'a/users', [{ name: 'x', roles: ['r1', 'r2'] }])).toEqual({ x: { roles: ['r1', 'r2'] }, admin: { level: 9 } });
  });
  test('functions: definitions that disagree conflict, else applies', () => {
    const src = ['package a\nf(x) := 1 if x > 0\nf(x) := 2 if x > 10\ng(x) := "small" if x < 5\nelse := "big"\np := f(input)\nq := g(input)'];
    expect(evalEntry(src, 'a/p', 3)).toBe(1);
    expect(() => evalEntry(src, 'a/p', 30)).toThrow(/functions must not produce multiple outputs/);
    expect(evalEntry(src, 'a/q', 30)).toBe('big');
  });
  test('a function with constant and pattern arguments', () => {
    const src = ['package a\nf(0) := "zero"\nf([x, y]) := x + y\np := [f(0), f([2, 3])]'];
    expect(evalEntry(src, 'a/p')).toEqual(['zero', 5]);
  });
});

describe('documents', () => {
  test('virtual documents merge over base data at the same prefix', () => {
    const src = ['package x.y\nv := 1'];
    expect(evalEntry(src, 'x', undefined, { x: { base: true, y: { b: 2 } } })).toEqual({ base: true, y: { b: 2, v: 1 } });
  });
  test('variables iterate over rules and base data at a level', () => {
    const src = ['package t\nk contains n if { some n; data.lib[n].on }', 'package lib.one\non := true', 'package lib.two\non := false'];
    expect(evalEntry(src, 't/k', undefined, { lib: { three: { on: true } } })).toEqual(['one', 'three']);
  });
  test('a rule reading data at a run-time key does not evaluate unrelated rules', () => {
    const src = ['package t\np := data[input.pkg].v', 'package q\nv := 5'];
    expect(evalEntry(src, 't/p', { pkg: 'q' })).toBe(5);
  });
});

describe('expressions', () => {
  test('unification destructures arrays and objects on either side', () => {
    const src = ['package a\np := [a, b, v] if { [a, b] = input.pair; {"k": v} = input.obj }'];
    expect(evalEntry(src, 'a/p', { pair: [1, 2], obj: { k: 'v' } })).toEqual([1, 2, 'v']);
    expect(evalEntry(src, 'a/p', { pair: [1, 2, 3], obj: { k: 'v' } })).toBeUndefined();
  });
  test('an output argument is unified with the result', () => {
    expect(evalEntry(['package a\np := n if count(input, n)'], 'a/p', [1, 2, 3])).toBe(3);
  });
  test('comprehensions, some-in and every', () => {
    const src = [
      'package a\nall_pos if every x in input { x > 0 }\nsquares := [y | some x in input; y := x * x]\nidx := {i: x | some i, x in input}',
    ];
    expect(evalEntry(src, 'a/all_pos', [1, 2])).toBe(true);
    expect(evalEntry(src, 'a/all_pos', [1, -2])).toBeUndefined();
    expect(evalEntry(src, 'a/squares', [1, 2])).toEqual([1, 4]);
    expect(evalEntry(src, 'a/idx', ['x', 'y'])).toEqual({ 0: 'x', 1: 'y' });
  });
  test('not holds when its expression is undefined or false', () => {
    const src = ['package a\np if not input.blocked'];
    expect(evalEntry(src, 'a/p', {})).toBe(true);
    expect(evalEntry(src, 'a/p', { blocked: false })).toBe(true);
    expect(evalEntry(src, 'a/p', { blocked: true })).toBeUndefined();
  });
  test('references into composite values and call results', () => {
    const src = ['package a\nf(x) := {"y": [x]}\np := [[1, 2][1], f(7).y[0]]'];
    expect(evalEntry(src, 'a/p')).toEqual([2, 7]);
  });
  test('a function head argument computed from body variables is compared after the body', () => {
    expect(evalEntry(['package a\nf($"{x}!") := 42 if x = "hi"\np := f("hi!")'], 'a/p')).toBe(42);
  });
  test('template strings show undefined parts as <undefined>', () => {
    expect(evalEntry(['package a\np := $"a {input.x} b {input.missing}"'], 'a/p', { x: 'X' })).toBe('a X b <undefined>');
  });
});

describe('rego.metadata', () => {
  test('chain and rule are the annotations around the calling rule', () => {
    const src = [
      '# METADATA\n# description: pkg\npackage a\n\n# METADATA\n# title: P\n# authors:\n# - Ann <ann@x.org>\np := [rego.metadata.chain(), rego.metadata.rule()]',
    ];
    const rule = { title: 'P', authors: [{ name: 'Ann', email: 'ann@x.org' }], scope: 'rule' };
    expect(evalEntry(src, 'a/p')).toEqual([
      [
        { annotations: rule, path: ['a', 'p'] },
        { annotations: { description: 'pkg', scope: 'package' }, path: ['a'] },
      ],
      rule,
    ]);
  });
});

describe('with', () => {
  test('replaces input and data only for its expression', () => {
    const src = ['package a\nq := input.v\nr := data.d\np := [x, y, input.v] if { x := q with input.v as 2; y := r with data.d as "w" }'];
    expect(evalEntry(src, 'a/p', { v: 1 }, { d: 'orig' })).toEqual([2, 'w', 1]);
  });
  test('replaces a rule with a value', () => {
    const src = ['package a\nallow if input.admin\np if allow with data.a.allow as true'];
    expect(evalEntry(src, 'a/p', { admin: false })).toBe(true);
  });
  test('a rule evaluated under `with` inside a loop sees each iteration\'s replacement', () => {
    const src = ['package a\none if input.x == 1\np contains x if { some x in [1, 2, 3]; not one with input.x as x }'];
    expect(evalEntry(src, 'a/p', {})).toEqual([2, 3]);
  });
  test('replaces functions and builtins with functions or values', () => {
    const src = [
      'package a\nfake_count(_) := 100\nn := count(input)\np := [x, y, z] if { x := n with count as fake_count; y := n with count as 7; z := n }',
    ];
    expect(evalEntry(src, 'a/p', [1])).toEqual([100, 7, 1]);
  });
});

describe('queries', () => {
  test('one result per solution, with only the user variables', () => {
    const rows = evalQuery(['package a\nxs := [1, 2]'], 'some i; x := data.a.xs[i]; _ = i');
    expect(sortByJSON(rows)).toEqual([
      { i: 0, x: 1 },
      { i: 1, x: 2 },
    ]);
  });
  test('an undefined query has no results', () => {
    expect(evalQuery(['package a\nxs := [1]'], 'data.a.nope = x')).toEqual([]);
  });
});
