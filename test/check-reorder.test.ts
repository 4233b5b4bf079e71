// Safety reordering and name resolution: the checked AST evaluates left to right with every var
// bound before it is used, and names point at what they mean.
import { describe, expect, it } from 'vitest';
import { checkModules, checkQuery } from '../src/check/index.js';
import { showTerm } from '../src/check/terms.js';
import type { Body, Expr, Module, Rule, Term } from '../src/syntax/ast.js';
import { parseModule, parseQuery } from '../src/syntax/parser.js';

function showT(t: Term): string {
  switch (t.type) {
    case 'arraycomprehension':
      return `[${showT(t.head)} | ${showBody(t.body)}]`;
    case 'setcomprehension':
      return `{${showT(t.head)} | ${showBody(t.body)}}`;
    case 'objectcomprehension':
      return `{${showT(t.key)}: ${showT(t.value)} | ${showBody(t.body)}}`;
    case 'call':
      return `${showTerm(t.operator)}(${t.args.map(showT).join(', ')})`;
    case 'array':
      return `[${t.items.map(showT).join(', ')}]`;
    default:
      return showTerm(t);
  }
}

function showExpr(e: Expr): string {
  const v = e.value;
  let s: string;
  if (v.type === 'some') s = `some ${v.symbols.map(showT).join(', ')}`;
  else if (v.type === 'every') s = `every ${v.key ? showT(v.key) + ', ' : ''}${showT(v.value)} in ${showT(v.domain)} { ${showBody(v.body)} }`;
  else s = showT(v);
  return (e.negated ? 'not ' : '') + s + e.with.map((w) => ` with ${showTerm(w.target)} as ${showT(w.value)}`).join('');
}

function showBody(b: Body): string {
  return b.map(showExpr).join('; ');
}

function checked(source: string, ...others: string[]): Module {
  const parsed = [source, ...others].map((text, i) => parseModule(text, `m${i}.rego`));
  for (const p of parsed) expect(p.errors).toEqual([]);
  const r = checkModules(parsed.map((p) => p.value!));
  expect(r.errors).toEqual([]);
  return r.modules[0]!;
}

function rule(m: Module, name: string): Rule {
  const r = m.rules.find((x) => x.head.ref.terms[0]!.type === 'var' && (x.head.ref.terms[0] as { name: string }).name === name);
  expect(r, name).toBeDefined();
  return r!;
}

function body(source: string, name = 'p'): string {
  return showBody(rule(checked(source), name).body);
}

describe('bodies are reordered so vars are bound before use', () => {
  it('a comparison waits for the unification that binds its var', () => {
    expect(body('package a\np if { x > 1; x = input.a }')).toBe('eq(x, input.a); gt(x, 1)');
  });
  it('a chain of unifications is ordered from the bound end', () => {
    expect(body('package a\np if { x = y; y = z; z = 1 }')).toBe('eq(z, 1); eq(y, z); eq(x, y)');
    expect(body('package a\np if { y = x; x = 1 }')).toBe('eq(x, 1); eq(y, x)');
  });
  it('a negation waits for its vars', () => {
    expect(body('package a\nf(x) := x\np if { not f(x); x = 2 }')).toBe('eq(x, 2); not data.a.f(x)');
  });
  it('a ref binds its path vars once its head is bound', () => {
    expect(body('package a\np if { obj[k] = v; obj = {"a": 1}; v }')).toBe('eq(obj, {"a": 1}); eq(obj[k], v); v');
  });
  it('a call with an output argument binds it once its inputs are bound', () => {
    expect(body('package a\np if { count(xs, n); n > 0; xs = [1] }')).toBe('eq(xs, [1]); count(xs, n); gt(n, 0)');
  });
  it('array patterns unify element by element', () => {
    expect(body('package a\np if { [a, b] = [c, 1]; c = 2; a == b }')).toBe('eq(c, 2); eq([a, b], [c, 1]); equal(a, b)');
  });
  it('an already ordered body keeps its order', () => {
    expect(body('package a\np if { x := input.a; y := x + 1; y > 2 }')).toBe('assign(__local0__, input.a); assign(__local1__, plus(__local0__, 1)); gt(__local1__, 2)');
  });
  it('expression indexes keep the source positions', () => {
    const r = rule(checked('package a\np if { x > 1; x = input.a }'), 'p');
    expect(r.body.map((e) => e.index)).toEqual([1, 0]);
  });
});

describe('comprehension and every bodies see outer bound vars', () => {
  it('an every waits for the vars its body reads from outside', () => {
    expect(body('package a\np if { every v in xs { v > m }; m = 0; xs = [1] }')).toBe(
      'eq(m, 0); eq(xs, [1]); every __local0__ in xs { gt(__local0__, m) }',
    );
  });
  it('a comprehension waits for the outer var it cannot bind itself', () => {
    expect(body('package a\np if { a = [b | b = c[_]]; c = [1]; count(a, 1) }')).toBe('eq(c, [1]); eq(a, [b | eq(b, c[_])]); count(a, 1)');
  });
  it('a comprehension body is itself reordered', () => {
    const m = checked('package a\np := [z | z := y + 1; y = input.xs[_]]');
    expect(showT(rule(m, 'p').head.value!)).toBe('[__local0__ | eq(y, input.xs[_]); assign(__local0__, plus(y, 1))]');
  });
  it('a var declared again inside a comprehension is a different variable', () => {
    expect(body('package a\np if { z := 1; a := [z | z := 2]; b := [z | z = 3]; a; b }')).toBe(
      'assign(__local0__, 1); assign(__local2__, [__local1__ | assign(__local1__, 2)]); assign(__local3__, [__local0__ | eq(__local0__, 3)]); __local2__; __local3__',
    );
  });
});

describe('names are resolved', () => {
  it('rules of the package and imports become absolute refs', () => {
    const m = checked('package a.b\nimport data.lib as l\nimport input.user\nq := 1\np if { q == 1; l.f(1); user.name == "x" }\n', 'package lib\nf(x) := x\n');
    expect(showBody(rule(m, 'p').body)).toBe('equal(data.a.b.q, 1); data.lib.f(1); equal(input.user.name, "x")');
  });
  it('a local declared with := hides a rule of the same name', () => {
    const m = checked('package a\nq := 1\np if { q := 2; q > 1 }\n');
    expect(showBody(rule(m, 'p').body)).toBe('assign(__local0__, 2); gt(__local0__, 1)');
  });
  it('function arguments hide rules and keep their names', () => {
    const m = checked('package a\nx := 1\nf(x) := y if { y := x + 1 }\n');
    const f = rule(m, 'f');
    expect(showBody(f.body)).toBe('assign(__local0__, plus(x, 1))');
    expect(showT(f.head.value!)).toBe('__local0__');
  });
  it('with targets naming user functions are resolved', () => {
    const m = checked('package a\nf(x) := 1\ng(x) := 2\np if { f(1) with f as g }\n');
    expect(showBody(rule(m, 'p').body)).toBe('data.a.f(1) with data.a.f as data.a.g');
  });
  it('the input modules are not modified', () => {
    const parsed = parseModule('package a\nq := 1\np if { x > 1; x = q }', 'm.rego').value!;
    const before = JSON.stringify(parsed);
    checkModules([parsed]);
    expect(JSON.stringify(parsed)).toBe(before);
  });
});

describe('queries', () => {
  it('keep their top-level var names and are reordered', () => {
    const q = parseQuery('y > 1; y := x; data.test.p = x', 'q.rego').value!;
    const modules = [parseModule('package test\np := 2\n', 'm.rego').value!];
    const r = checkQuery(q, modules);
    expect(r.errors.map((e) => e.message)).toEqual(['var y referenced above']);
    const ok = checkQuery(parseQuery('y > 1; y = x; data.test.p = x', 'q.rego').value!, modules);
    expect(ok.errors).toEqual([]);
    expect(showBody(ok.query.body)).toBe('eq(data.test.p, x); eq(y, x); gt(y, 1)');
  });
});
