// Compile-time errors with OPA's codes, messages and the row:col of the offending term.
import { describe, expect, it } from 'vitest';
import { checkModules, checkQuery } from '../src/check/index.js';
import type { Module } from '../src/syntax/ast.js';
import { parseModule, parseQuery } from '../src/syntax/parser.js';

function parse(...sources: string[]): Module[] {
  return sources.map((text, i) => {
    const r = parseModule(text, `m${i}.rego`);
    expect(r.errors).toEqual([]);
    return r.value!;
  });
}

/** `CODE row:col message` (first line of the message) for each error of checking `sources`. */
function check(...sources: string[]): string[] {
  return checkModules(parse(...sources)).errors.map((e) => `${e.code} ${e.location.row}:${e.location.col} ${e.message.split('\n')[0]}`);
}

describe('rego_type_error: conflicting rules', () => {
  it('a complete and a partial set rule of one name', () => {
    expect(check('package a\np := 1\np contains 2\n')).toEqual(['rego_type_error 2:1 conflicting rules data.a.p found']);
  });
  it('a complete rule and a function of one name, across modules', () => {
    expect(check('package a\ng := 1\n', 'package a\ng(x) := 2\n')).toEqual(['rego_type_error 2:1 conflicting rules data.a.g found']);
  });
  it('functions of different arities', () => {
    expect(check('package a\nf(x) := 1\nf(x, y) := 2\n')).toEqual(['rego_type_error 2:1 conflicting rules data.a.f found']);
  });
  it('a complete rule and a rule defining a key inside its value', () => {
    expect(check('package a\np := {}\np.q := 1\n')).toEqual(['rego_type_error 2:1 rule data.a.p conflicts with [data.a.p.q]']);
  });
  it('rules of the same kind do not conflict', () => {
    expect(check('package a\np contains 1\np contains 2\nf(x) := 1\nf(y) := 2\nq.r := 1\nq.s := 2\n')).toEqual([]);
  });
});

describe('rego_type_error: multiple default rules', () => {
  it('two defaults in one module', () => {
    expect(check('package a\ndefault q := 1\ndefault q := 2\n')).toEqual([
      'rego_type_error 2:1 multiple default rules data.a.q found at m0.rego:2, m0.rego:3',
    ]);
  });
  it('defaults in two modules of one package', () => {
    expect(check('package a\ndefault allow := false\n', 'package a\n\ndefault allow := true\n')).toEqual([
      'rego_type_error 2:1 multiple default rules data.a.allow found at m0.rego:2, m1.rego:3',
    ]);
  });
  it('default functions', () => {
    expect(check('package a\ndefault f(_) := 1\ndefault f(_) := 2\n')).toEqual([
      'rego_type_error 2:1 multiple default rules data.a.f found at m0.rego:2, m0.rego:3',
    ]);
  });
  it('one default per name is fine', () => {
    expect(check('package a\ndefault p := 1\np := 2 if input.x\ndefault q := 1\n')).toEqual([]);
  });
});

describe('rego_type_error: undefined functions', () => {
  it('a name that is neither builtin nor user function', () => {
    expect(check('package a\np if { foo(1) }\n')).toEqual(['rego_type_error 2:8 undefined function foo']);
  });
  it('a dotted name that is not a builtin, nested in an assignment', () => {
    expect(check('package a\np if {\n  x := strings.nope("a")\n  x\n}\n')).toEqual(['rego_type_error 3:8 undefined function strings.nope']);
  });
  it('a call into a package that defines no such function', () => {
    expect(check('package a\np if data.b.f(1)\n', 'package b\ng(x) := x\n')).toEqual(['rego_type_error 2:6 undefined function data.b.f']);
  });
  it('a function of the same package or an import resolves', () => {
    expect(check('package a\nimport data.b\np if { f(1); b.g(2) }\nf(x) := x\n', 'package b\ng(x) := x\n')).toEqual([]);
  });
});

describe('rego_type_error: arity mismatch', () => {
  it('too many arguments to a builtin', () => {
    expect(check('package a\np if { count([1], 2, 3) }\n')).toEqual(['rego_type_error 2:8 count: too many arguments']);
  });
  it('too few arguments to a builtin', () => {
    expect(check('package a\np if { x := substring("abc", 1)\n x }\n')).toEqual(['rego_type_error 2:13 substring: too few arguments']);
  });
  it('too many arguments to a user function in a nested call', () => {
    expect(check('package a\nf(x) := x\np if { y := f(1, 2)\n y }\n')).toEqual(['rego_type_error 3:13 data.a.f: too many arguments']);
  });
  it('one extra argument at the top of an expression is the output', () => {
    expect(check('package a\nf(x) := x\np if { f(1, y); count([1], n); y == n }\n')).toEqual([]);
  });
});

describe('rego_type_error: wrong argument types known statically', () => {
  it('count of a number', () => {
    expect(check('package a\np if { count(1) > 0 }\n')).toEqual(['rego_type_error 2:8 count: invalid argument(s)']);
  });
  it('adding a string to a number', () => {
    expect(check('package a\np := x if { x := 1 + "a" }\n')).toEqual(['rego_type_error 2:18 plus: invalid argument(s)']);
  });
  it('the result of a builtin used as the wrong type', () => {
    expect(check('package a\np if { upper(count([1])) }\n')).toEqual(['rego_type_error 2:8 upper: invalid argument(s)']);
  });
  it('values whose type is not known are not judged', () => {
    expect(check('package a\np if { count(input.x) > 0; x := input.a + input.b; x; upper(input.s) }\n')).toEqual([]);
  });
  it('the message shows what was passed and what is wanted', () => {
    const [e] = checkModules(parse('package a\np if { count(1) > 0 }\n')).errors;
    expect(e!.message).toContain('have: (number)');
    expect(e!.message).toContain('want: (any<');
  });
});

describe('rego_type_error: deprecated builtins in Rego v1', () => {
  it('are reported where they are called', () => {
    expect(check('package a\np if { re_match("a", "b") }\nq if { x := any([true]); x }\nr := set_diff({1}, {2})\n')).toEqual([
      'rego_type_error 2:8 deprecated built-in function calls in expression: re_match',
      'rego_type_error 3:13 deprecated built-in function calls in expression: any',
      'rego_type_error 4:6 deprecated built-in function calls in expression: set_diff',
    ]);
  });
  it('are accepted in Rego v0 modules', () => {
    const m = parseModule('package a\np { re_match("a", "b") }\n', 'm.rego', { regoVersion: 'v0' });
    expect(m.errors).toEqual([]);
    expect(checkModules([m.value!]).errors).toEqual([]);
  });
});

describe('rego_compile_error: redeclared variables', () => {
  it('two := of one name in a body', () => {
    expect(check('package a\np if { x := 1; x := 2 }\n')).toEqual(['rego_compile_error 2:16 var x assigned above']);
  });
  it(':= of a name used earlier in the body', () => {
    expect(check('package a\np if { y = 1; y := 2 }\n')).toEqual(['rego_compile_error 2:15 var y referenced above']);
  });
  it('some declaring a name twice', () => {
    expect(check('package a\np if { some x; x = 1; some x }\n')).toEqual(['rego_compile_error 2:28 var x declared above']);
  });
  it('a nested body may declare a name of the enclosing body again', () => {
    expect(check('package a\np if { x := 1; y := [x | x := 2]; y; x }\n')).toEqual([]);
  });
});

describe('rego_compile_error: assignment to input or data', () => {
  it('input := 1', () => {
    expect(check('package a\np if { input := 1 }\n')).toEqual(['rego_compile_error 2:8 variables must not shadow input (use a different variable name)']);
  });
  it('some data', () => {
    expect(check('package a\np if {\n  some data\n}\n')).toEqual(['rego_compile_error 3:8 variables must not shadow data (use a different variable name)']);
  });
  it('data as a destructured name', () => {
    expect(check('package a\np if { [data, x] := [1, 2]; x }\n')).toEqual(['rego_compile_error 2:9 variables must not shadow data (use a different variable name)']);
  });
});

describe('Rego v0 modules', () => {
  it('may shadow input and import one name twice, as OPA allows outside strict mode', () => {
    const m = parseModule('package a\nimport data.x.y\nimport data.z.y\np { input := 1; input }\n', 'm.rego', { regoVersion: 'v0' });
    expect(m.errors).toEqual([]);
    expect(checkModules([m.value!]).errors).toEqual([]);
  });
});

describe('rego_compile_error: other structural errors', () => {
  it(':= with a constant on the left', () => {
    expect(check('package a\np if { 1 := y }\n')).toEqual(['rego_compile_error 2:8 cannot assign to number']);
  });
  it(':= with a ref on the left', () => {
    expect(check('package a\np if { input.x := 1 }\n')).toEqual(['rego_compile_error 2:8 cannot assign to ref']);
  });
  it('a with target that is neither input, data nor a function', () => {
    expect(check('package a\np if { true with foo as 1 }\n')).toEqual([
      'rego_compile_error 2:18 with keyword target must reference existing input, data, or a function',
    ]);
  });
  it('a some-declared var never used', () => {
    expect(check('package a\np if { some z; true }\n')).toEqual(['rego_compile_error 2:13 declared var z unused']);
  });
  it('two imports of one name', () => {
    expect(check('package a\nimport data.x.y\nimport data.z.y\np := y\n')).toEqual(['rego_compile_error 3:1 import must not shadow import data.x.y']);
  });
  it('valid with targets: input, data, builtins, user functions', () => {
    expect(check('package a\nf(x) := 1\ng(x) := 2\np if { f(1) with input.x as 1 with data.a.q as 2 with count as g with f as g }\nq := 1\n')).toEqual([]);
  });
});

describe('rego_unsafe_var_error', () => {
  it('a var only compared', () => {
    expect(check('package a\np if { x > 1 }\n')).toEqual(['rego_unsafe_var_error 2:8 var x is unsafe']);
  });
  it('a head var not bound by the body is reported at the rule', () => {
    expect(check('package a\n\nq contains y if { true }\n')).toEqual(['rego_unsafe_var_error 3:1 var y is unsafe']);
  });
  it('a var under not', () => {
    expect(check('package a\nf(x) := x\np if { y := 1; not f(z); y }\n')).toEqual(['rego_unsafe_var_error 3:22 var z is unsafe']);
  });
  it('a var in an every body, a comprehension body and a function body', () => {
    expect(check('package a\np if { every v in input.xs { v > w } }\ns := [u | u > 1]\ng(a) := 1 if { a > c }\n')).toEqual([
      'rego_unsafe_var_error 2:34 var w is unsafe',
      'rego_unsafe_var_error 3:11 var u is unsafe',
      'rego_unsafe_var_error 4:20 var c is unsafe',
    ]);
  });
  it('the first occurrence of the var is reported', () => {
    expect(check('package a\np if {\n  x > 1\n  x < 5\n}\n')).toEqual(['rego_unsafe_var_error 3:3 var x is unsafe']);
  });
  it('an unbindable wildcard makes the expression unsafe', () => {
    expect(check('package a\nf(x) := x\np if { f(_) }\n')).toEqual(['rego_unsafe_var_error 3:8 expression is unsafe']);
  });
  it('function arguments are bound', () => {
    expect(check('package a\nf(x, [y, _]) := z if { z := x + y }\n')).toEqual([]);
  });
  it('an unsafe var in a query', () => {
    const q = parseQuery('x > 1', 'q.rego').value!;
    const r = checkQuery(q, []);
    expect(r.errors.map((e) => `${e.code} ${e.location.row}:${e.location.col} ${e.message}`)).toEqual(['rego_unsafe_var_error 1:1 var x is unsafe']);
  });
});

describe('rego_recursion_error', () => {
  it('a cycle through three rules is reported for each rule', () => {
    expect(check('package a\np if q\nq if r\nr if p\n')).toEqual([
      'rego_recursion_error 2:1 rule data.a.p is recursive: data.a.p -> data.a.q -> data.a.r -> data.a.p',
      'rego_recursion_error 3:1 rule data.a.q is recursive: data.a.q -> data.a.r -> data.a.p -> data.a.q',
      'rego_recursion_error 4:1 rule data.a.r is recursive: data.a.r -> data.a.p -> data.a.q -> data.a.r',
    ]);
  });
  it('a function calling itself', () => {
    expect(check('package a\nf(x) := y if { y := f(x) }\n')).toEqual(['rego_recursion_error 2:1 rule data.a.f is recursive: data.a.f -> data.a.f']);
  });
  it('a cycle across packages through a comprehension and an else', () => {
    expect(check('package a\np := [x | x := data.b.q[_]]\n', 'package b\nq := [1] if false else := data.a.p\n')).toEqual([
      'rego_recursion_error 2:1 rule data.a.p is recursive: data.a.p -> data.b.q -> data.a.p',
      'rego_recursion_error 2:1 rule data.b.q is recursive: data.b.q -> data.a.p -> data.b.q',
    ]);
  });
  it('a rule reading data with a var does not depend on itself unless the path can reach it', () => {
    expect(check('package a\np := data[x].allow if x := "b"\n', 'package b\nallow := true\n')).toEqual([]);
  });
});

describe('several errors in one run', () => {
  it('are all reported, in source order', () => {
    const errors = check('package a\np if { x > 1 }\nq if { y < 2 }\nr contains z if true\n');
    expect(errors).toEqual([
      'rego_unsafe_var_error 2:8 var x is unsafe',
      'rego_unsafe_var_error 3:8 var y is unsafe',
      'rego_unsafe_var_error 4:1 var z is unsafe',
    ]);
  });
  it('of different kinds within one stage', () => {
    expect(check('package a\np if { x := 1; x := 2 }\nq if { input := 1 }\nr if { 1 := 2 }\n')).toEqual([
      'rego_compile_error 2:16 var x assigned above',
      'rego_compile_error 3:8 variables must not shadow input (use a different variable name)',
      'rego_compile_error 4:8 cannot assign to number',
    ]);
  });
  it('stop at the first failing stage, as OPA does', () => {
    // The conflict (type error stage) hides the unsafe var of a later stage.
    expect(check('package a\np := 1\np contains 1\nq if { x > 1 }\n')).toEqual(['rego_type_error 2:1 conflicting rules data.a.p found']);
  });
});

describe('rego_parse_error comes from the parser', () => {
  it('is not something checkModules sees', () => {
    const r = parseModule('package a\np if {', 'm.rego');
    expect(r.errors[0]?.code).toBe('rego_parse_error');
  });
});
