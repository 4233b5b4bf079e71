// Valid Rego that is easy to reject by mistake: the checks must accept all of it (a false positive
// rejects a working policy). Each policy here is one OPA compiles.
import { describe, expect, it } from 'vitest';
import { checkModules, checkQuery } from '../src/check/index.js';
import { formatRegoError } from '../src/syntax/diagnostics.js';
import { parseModule, parseQuery } from '../src/syntax/parser.js';

function errorsOf(...sources: string[]): string[] {
  const modules = sources.map((text, i) => {
    const r = parseModule(text, `m${i}.rego`);
    expect(r.errors).toEqual([]);
    return r.value!;
  });
  return checkModules(modules).errors.map((e) => formatRegoError(e, sources[Number(e.location.file.slice(1, -5))]));
}

const VALID: Record<string, string[]> = {
  'wildcards everywhere': ['package a\np if { input.a[_] == 1; [_, x] = [1, 2]; x }\nq contains k if input.o[k][_]\n'],
  'a wildcard under not (accepted on purpose: it needs no binding)': ['package a\np if not input.blocked[_] == "x"\n'],
  'refs with vars in rule heads': ['package a\nusers[name].roles contains r if {\n  some u in input.users\n  name := u.name\n  some r in u.roles\n}\n'],
  'every reading outer vars bound later in the body': ['package a\np if {\n  every x in xs { x > min }\n  xs = input.xs\n  min = 0\n}\n'],
  'with on functions and builtins': [
    'package a\nf(x) := x + 1\nmock(x) := 0\nq := f(1)\np if {\n  q == 0 with f as mock\n  count([1]) == 7 with count as 7\n  time.now_ns() == 1 with time.now_ns as 1\n}\n',
  ],
  'nested comprehensions sharing outer vars': ['package a\np := {k: vs | some k in ks; vs := [v | some v in input[k]; v != k]} if ks := object.keys(input)\n'],
  'else chains in functions': ['package a\nf(x) := "neg" if x < 0\nelse := "zero" if x == 0\nelse := "pos"\np := f(input.n)\n'],
  'a local hiding a rule, and shadowing in a nested body': [
    'package a\nx := 1\np if {\n  x := 2\n  ys := [x | some x in [3, 4]]\n  x == 2\n  count(ys) == 2\n}\n',
  ],
  'imports of data and input': [
    'package a\nimport data.lib\nimport data.lib.helpers as h\nimport input.request as req\np if { lib.ok; h.check(req.user) }\n',
    'package lib\nok := true\nhelpers.check(u) if u != ""\n',
  ],
  'rules of one package across modules': ['package a\np if q\n', 'package a\nq := true\n'],
  'partial rules of every kind in one package': [
    'package a\ns contains 1\ns contains 2\no[k] := v if { some k, v in input.o }\nc := count(s)\nf(x) := x\nf(y) := y\ndefault d := 0\nd := 1 if input.d\n',
  ],
  'ref head rules beside a dynamic one': ['package a\np.q.r := 1\np.q.s := 2\nt[x] := 1 if some x in input.xs\n'],
  'unification binding both sides': ['package a\np if {\n  [a, 1] = [2, b]\n  {"k": c} = input.obj\n  a + b + c > 0\n}\n'],
  'calls with an output argument': ['package a\nf(x) := x * 2\np if {\n  f(2, y)\n  count(input.xs, n)\n  walk(input, [path, v])\n  y + n > 0\n  path\n  v\n}\n'],
  'some declarations used later': ['package a\np if {\n  some i, j\n  input.m[i][j] == 1\n}\n'],
  'recursion-free self reads through data with vars': ['package a\nallow := data[pkg].rules.ok if pkg := "b"\n', 'package b\nrules.ok := true\n'],
  'template strings': ['package a\np := $"user {input.user} has {count(input.roles)} roles"\n'],
  'improved negation (rego.v2)': ['package a\nimport rego.v2\np if not { input.a; input.b }\n'],
  'key/value every and some with patterns': ['package a\np if {\n  every k, v in input.o { startswith(k, "x"); v > 0 }\n  some [a, b] in input.pairs\n  a < b\n}\n'],
};

describe('valid policies produce no error', () => {
  for (const [name, sources] of Object.entries(VALID)) {
    it(name, () => {
      expect(errorsOf(...sources)).toEqual([]);
    });
  }

  it('queries binding result vars and calling user functions', () => {
    const modules = [parseModule('package t\nf(x) := x\np := 1\n', 'm.rego').value!];
    for (const text of ['data.t.p = x', 'x := data.t.p', 'data.t.f(1, y)', 'y := data.t.f(2); z := [w | w := y]', 'some k in {"a": 1}; k']) {
      const q = parseQuery(text, 'q.rego');
      expect(q.errors).toEqual([]);
      expect(checkQuery(q.value!, modules).errors, text).toEqual([]);
    }
  });
});
