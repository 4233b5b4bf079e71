// The parser's tricky parts, checked through a compact Rego-like rendering of the AST.
import { describe, expect, it } from 'vitest';
import type { Body, Expr, Module, Rule, Term } from '../src/syntax/ast.js';
import { parse as parseYaml } from 'yaml';
import { parseModule, parseQuery } from '../src/syntax/parser.js';

/** Renders a term as text: calls as `name(args)`, numbers as `#n`, refs as `head[seg]…`. */
function show(t: Term | undefined): string {
  if (t === undefined) return '∅';
  switch (t.type) {
    case 'null':
      return 'null';
    case 'boolean':
      return String(t.value);
    case 'number':
      return `#${t.value}`;
    case 'string':
      return JSON.stringify(t.value);
    case 'var':
      return t.name;
    case 'ref':
      return t.terms.map((x, i) => (i === 0 ? show(x) : `[${show(x)}]`)).join('');
    case 'array':
      return `[${t.items.map(show).join(', ')}]`;
    case 'set':
      return `set(${t.items.map(show).join(', ')})`;
    case 'object':
      return `{${t.entries.map(([k, v]) => `${show(k)}: ${show(v)}`).join(', ')}}`;
    case 'arraycomprehension':
      return `[${show(t.head)} | ${showBody(t.body)}]`;
    case 'setcomprehension':
      return `set{${show(t.head)} | ${showBody(t.body)}}`;
    case 'objectcomprehension':
      return `{${show(t.key)}: ${show(t.value)} | ${showBody(t.body)}}`;
    case 'call':
      return `${show(t.operator)}(${t.args.map(show).join(', ')})`;
    case 'templatestring':
      return `$<${t.parts.map(show).join(' ~ ')}>`;
  }
}

function showExpr(e: Expr): string {
  const v = e.value;
  let text: string;
  if (v.type === 'some') text = `some(${v.symbols.map(show).join(', ')})`;
  else if (v.type === 'every') text = `every(${show(v.key)}, ${show(v.value)} in ${show(v.domain)} { ${showBody(v.body)} })`;
  else text = show(v);
  return `${e.negated ? 'not ' : ''}${text}${e.with.map((w) => ` with ${show(w.target)} as ${show(w.value)}`).join('')}`;
}

function showBody(body: Body): string {
  return body.map(showExpr).join('; ');
}

function showRule(r: Rule): string {
  const h = r.head;
  const args = h.args ? `(${h.args.map(show).join(', ')})` : '';
  const key = h.key ? ` key=${show(h.key)}` : '';
  const value = h.value ? ` ${h.assign ?? '·'} ${show(h.value)}` : '';
  const head = `${r.default ? 'default ' : ''}${r.kind} ${show(h.ref)}${args}${key}${value}`;
  return `${head} { ${showBody(r.body)} }${r.else ? ` else ${showRule(r.else)}` : ''}`;
}

function query(src: string): string {
  const r = parseQuery(src, 'q.rego');
  expect(r.errors).toEqual([]);
  return showBody(r.value!.body);
}

function module(src: string, regoVersion: 'v0' | 'v1' = 'v1'): Module {
  const r = parseModule(src, 'm.rego', { regoVersion });
  expect(r.errors.map((e) => `${e.location.row}:${e.location.col}: ${e.message}`)).toEqual([]);
  return r.value!;
}

function rules(src: string, regoVersion: 'v0' | 'v1' = 'v1'): string[] {
  return module(`package test\n${src}`, regoVersion).rules.map(showRule);
}

function errors(src: string, regoVersion: 'v0' | 'v1' = 'v1'): string[] {
  const r = parseModule(src, 'm.rego', { regoVersion });
  expect(r.value).toBeUndefined();
  return r.errors.map((e) => `${e.location.row}:${e.location.col}: ${e.message}`);
}

describe('operator precedence', () => {
  it('binds * / % over + - over & over | over comparisons over in over =/:=', () => {
    expect(query('x := 1 + 2 * 3 - 4 % 5 / 6')).toBe('assign(x, minus(plus(#1, mul(#2, #3)), div(rem(#4, #5), #6)))');
    expect(query('a | b & c == d')).toBe('equal(or(a, and(b, c)), d)');
    expect(query('x = a < b')).toBe('eq(x, lt(a, b))');
    expect(query('a == b in c')).toBe('internal["member_2"](equal(a, b), c)');
    expect(query('a != b; a <= b; a >= b; a > b')).toBe('neq(a, b); lte(a, b); gte(a, b); gt(a, b)');
  });

  it('is left-associative at each level', () => {
    expect(query('1 - 2 - 3')).toBe('minus(minus(#1, #2), #3)');
    expect(query('a / b * c')).toBe('mul(div(a, b), c)');
    expect(query('x in xs in ys')).toBe('internal["member_2"](internal["member_2"](x, xs), ys)');
  });

  it('groups with parentheses', () => {
    expect(query('(1 + 2) * 3')).toBe('mul(plus(#1, #2), #3)');
  });

  it('reads `k, v in xs` as member_3 only in expression position', () => {
    expect(query('k, v in xs')).toBe('internal["member_3"](k, v, xs)');
    expect(query('f(k, v in xs)')).toBe('f(k, internal["member_2"](v, xs))');
    expect(query('[1, 2 in xs]')).toBe('[#1, internal["member_2"](#2, xs)]');
  });

  it('folds a minus sign into a number literal only', () => {
    expect(query('x := -1; y := 3 - -2; z := x -1')).toBe('assign(x, #-1); assign(y, minus(#3, #-2)); assign(z, minus(x, #1))');
    expect(parseQuery('x := -y').errors[0]?.message).toBe('unexpected ident token: expected number');
  });
});

describe('terms', () => {
  it('decodes every string escape, including surrogate pairs', () => {
    const r = parseQuery('x := "q\\"b\\\\s\\/b\\bf\\fn\\nr\\rt\\t\\u00e9\\ud83d\\ude00"');
    const call = r.value!.body[0]!.value as Extract<Term, { type: 'call' }>;
    expect(call.args[1]).toMatchObject({ type: 'string', value: 'q"b\\s/b\bf\fn\nr\rt\té😀' });
    expect(parseQuery('x := "\\q"').errors[0]?.message).toMatch(/escape/);
    expect(parseQuery('x := "abc').errors[0]?.message).toBe('non-terminated string');
  });

  it('keeps raw strings as written', () => {
    const r = parseQuery('x := `a\\n"b\nc`');
    const call = r.value!.body[0]!.value as Extract<Term, { type: 'call' }>;
    expect(call.args[1]).toMatchObject({ type: 'string', value: 'a\\n"b\nc', raw: true });
  });

  it('keeps number literals as written, however big', () => {
    expect(query('x := 123456789012345678901234567890123; y := 1.5e300; z := 0.1; w := 1e-400')).toBe(
      'assign(x, #123456789012345678901234567890123); assign(y, #1.5e300); assign(z, #0.1); assign(w, #1e-400)',
    );
    expect(parseQuery('x := 1e999999').errors[0]?.message).toBe('number too big');
    expect(parseQuery('x := 007').errors[0]?.message).toBe('unexpected number token: expected number without leading zero');
    // Malformed numbers are one bad token, as OPA's scanner has them.
    expect(parseQuery('x := 1.').errors[0]?.message).toBe('expected fraction');
    expect(parseQuery('x := 2e').errors[0]?.message).toBe('expected exponent');
    expect(parseQuery('x := 0a2b').errors[0]).toMatchObject({ message: 'illegal number format', location: { col: 6, length: 4 } });
  });

  it('tells empty objects, sets and set() apart', () => {
    expect(query('a := {}; b := set(); c := {1}; d := {"k": 1, }; e := [1, 2, ]')).toBe(
      'assign(a, {}); assign(b, set()); assign(c, set(#1)); assign(d, {"k": #1}); assign(e, [#1, #2])',
    );
  });

  it('parses comprehensions, preferring them over `|` in the head', () => {
    expect(query('[x | x := xs[_]]')).toBe('[x | assign(x, xs[$wildcard0])]');
    expect(query('{x | some x in xs}')).toBe('set{x | some(internal["member_2"](x, xs))}');
    expect(query('{k: v | some k, v in o}')).toBe('{k: v | some(internal["member_3"](k, v, o))}');
    expect(query('{a | b, c}')).toBe('set(or(a, b), c)');
  });

  it('builds refs on vars, calls and composites, and dotted calls', () => {
    expect(query('data.a["b"][c].d')).toBe('data["a"]["b"][c]["d"]');
    expect(query('input')).toBe('input');
    expect(query('io.jwt.decode(t)[1].sub')).toBe('io["jwt"]["decode"](t)[#1]["sub"]');
    expect(query('[1, 2][i]; {"a": 1}.a')).toBe('[#1, #2][i]; {"a": #1}["a"]');
    // A space ends the ref: `a [1]` is not `a[1]`.
    expect(errors('package a\np if { a [1] }')).toEqual(['2:10: unexpected [ token: expected \\n or ; or }']);
  });

  it('numbers each wildcard afresh', () => {
    expect(query('x[_] = y[_]')).toBe('eq(x[$wildcard0], y[$wildcard1])');
    const r = parseQuery('_ = 1');
    expect((r.value!.body[0]!.value as Extract<Term, { type: 'call' }>).args[0]).toMatchObject({ name: '$wildcard0', wildcard: true });
  });

  it('accepts keywords after a dot in refs', () => {
    expect(query('input.if.contains.in')).toBe('input["if"]["contains"]["in"]');
  });
});

describe('template strings', () => {
  it('splits text and expressions, with escaped braces', () => {
    expect(query('x := $"a {y} \\{b\\} {1 + 2}"')).toBe('assign(x, $<"a " ~ y ~ " {b} " ~ plus(#1, #2)>)');
    expect(query('x := $""')).toBe('assign(x, $<>)');
  });

  it('nests strings, templates, sets and objects inside expressions', () => {
    expect(query('x := $"{$"{a}"} {{1}} {{"k": "}"}} {"s"}"')).toBe(
      'assign(x, $<$<a> ~ " " ~ set(#1) ~ " " ~ {"k": "}"} ~ " " ~ "s">)',
    );
  });

  it('reads the multi-line raw form', () => {
    expect(query('x := $`line {a}\nnext \\{ {b}`')).toBe('assign(x, $<"line " ~ a ~ "\\nnext { " ~ b>)');
  });

  it('rejects assignments and unterminated templates', () => {
    expect(parseQuery('x := $"{y := 1}"').errors[0]?.message).toBe("unexpected assignment (':=') in template-string expression");
    expect(parseQuery('x := $"abc').errors[0]?.message).toBe('non-terminated string');
  });
});

describe('expressions', () => {
  it('parses some declarations and some … in', () => {
    expect(query('some x, y; some x in xs; some k, v in o')).toBe(
      'some(x, y); some(internal["member_2"](x, xs)); some(internal["member_3"](k, v, o))',
    );
  });

  it('parses every with and without a key', () => {
    expect(query('every x in xs { x > 0 }')).toBe('every(∅, x in xs { gt(x, #0) })');
    expect(query('every k, v in o { k != v; v }')).toBe('every(k, v in o { neq(k, v); v })');
    expect(parseQuery('every x in xs').errors[0]?.message).toBe('unexpected eof token: missing body');
  });

  it('parses negation and several with modifiers', () => {
    expect(query('not f(x) with input as {"a": 1} with data.b.c as 2 with g as h')).toBe(
      'not f(x) with input as {"a": #1} with data["b"]["c"] as #2 with g as h',
    );
    expect(parseQuery('not some x in xs').errors[0]?.message).toBe("unexpected some keyword: illegal negation of 'some'");
  });

  it('separates body expressions by newlines or semicolons', () => {
    expect(query('a\nb; c\n\n d')).toBe('a; b; c; d');
    // An operator at the line end continues the expression.
    expect(query('x := 1 +\n 2')).toBe('assign(x, plus(#1, #2))');
  });
});

describe('rules', () => {
  it('reads complete rules, constants and defaults', () => {
    expect(rules('p := 1\nq = 2\nr if true\ns := v if v := 3\ndefault t := {"a": [1]}')).toEqual([
      'complete p := #1 { true }',
      'complete q = #2 { true }',
      'complete r · true { true }',
      'complete s := v { assign(v, #3) }',
      'default complete t := {"a": [#1]} { true }',
    ]);
  });

  it('reads single-expression bodies and set-literal-looking bodies', () => {
    expect(rules('p if x > 1\nq if { true }\nr if { x := 1; x }')).toEqual([
      'complete p · true { gt(x, #1) }',
      'complete q · true { true }',
      'complete r · true { assign(x, #1); x }',
    ]);
  });

  it('reads partial sets, partial objects and ref heads', () => {
    expect(rules('s contains x if some x in [1]\no[k] := v if some k, v in {"a": 1}\nb[x] if x := 1\na.b[x] contains y if { x := 1; y := 2 }\na.b.c := 1\nm["k"] if true')).toEqual([
      'partial_set s key=x { some(internal["member_2"](x, [#1])) }',
      'partial_object o[k] key=k := v { some(internal["member_3"](k, v, {"a": #1})) }',
      'partial_object b[x] key=x · true { assign(x, #1) }',
      'partial_set a["b"][x] key=y { assign(x, #1); assign(y, #2) }',
      'complete a["b"]["c"] := #1 { true }',
      'complete m["k"] · true { true }',
    ]);
  });

  it('reads a bare call as a function that is true for those arguments', () => {
    expect(rules('is_name("var", 0)\nis_name("string", pos) if pos > 0')).toEqual([
      'function is_name("var", #0) · true { true }',
      'function is_name("string", pos) · true { gt(pos, #0) }',
    ]);
  });

  it('reads functions, several definitions and default functions', () => {
    expect(rules('f(x) := x + 1\nf(x, _) := 2 if true\ng(x) if x > 0\ndefault f(_) := 0')).toEqual([
      'function f(x) := plus(x, #1) { true }',
      'function f(x, $wildcard0) := #2 { true }',
      'function g(x) · true { gt(x, #0) }',
      'default function f($wildcard1) := #0 { true }',
    ]);
  });

  it('reads else chains with and without values and bodies', () => {
    expect(rules('p := 1 if false else := 2 if { true } else = 3\nq if false else if true\nf(x) := 1 if x > 1 else := 0')).toEqual([
      'complete p := #1 { false } else complete p := #2 { true } else complete p = #3 { true }',
      'complete q · true { false } else complete q · true { true }',
      'function f(x) := #1 { gt(x, #1) } else function f(x) := #0 { true }',
    ]);
  });

  it('refuses else on multi-value and variable heads', () => {
    expect(errors('package a\nq[x] := 1 if { x := 1 } else := 2')).toEqual([
      '2:25: else keyword cannot be used on rules with variables in head',
    ]);
    expect(errors('package a\ns contains 1 if true else := 2')).toEqual(['2:22: else keyword cannot be used on multi-value rules']);
  });

  it('validates default rules', () => {
    expect(errors('package a\ndefault p')).toEqual(['2:1: illegal default rule (must have a value)']);
    expect(errors('package a\ndefault p := x')).toEqual(['2:1: illegal default rule (value cannot contain var)']);
    expect(errors('package a\ndefault f(1) := 1')).toEqual(['2:1: illegal default rule (arguments cannot contain number)']);
  });
});

describe('imports and packages', () => {
  it('reads package paths and every import form', () => {
    const m = module('package a.b["c"]\nimport rego.v1\nimport future.keywords.in\nimport data.x.y as z\nimport input.foo\n');
    expect(show(m.package.path)).toBe('data["a"]["b"]["c"]');
    expect(m.imports.map((i) => `${show(i.path)}${i.alias ? ` as ${i.alias}` : ''}`)).toEqual([
      'rego["v1"]',
      'future["keywords"]["in"]',
      'data["x"]["y"] as z',
      'input["foo"]',
    ]);
  });

  it('takes keywords as plain names in package paths', () => {
    expect(show(module('package rules.if.every\n').package.path)).toBe('data["rules"]["if"]["every"]');
    expect(show(module('package contains\n').package.path)).toBe('data["contains"]');
    expect(errors('package foo.')).toEqual(['1:13: unexpected eof token: expected ident']);
    expect(errors('package a[1]')).toEqual(['1:11: unexpected number token: expecting string']);
  });

  it('rejects bad import paths', () => {
    expect(errors('package a\nimport foo.bar')).toEqual([
      '2:8: unexpected import path, must begin with one of: {data, future, input, rego}, got: foo',
    ]);
    expect(errors('package a\nimport rego.v9')).toEqual(['2:8: invalid import `rego.v9`, must be `rego.v1` or `rego.v2`']);
    expect(errors('package a\nimport future.keywords.foo')[0]).toMatch(/unexpected keyword, must be one of/);
  });

  it('requires a package first and only once', () => {
    expect(errors('p := 1')).toEqual(['1:1: package expected']);
    expect(errors('package a\npackage b')).toEqual(['2:1: unexpected package']);
    expect(errors('')).toEqual(['1:1: empty module']);
  });
});

describe('Rego v1 and v0', () => {
  it('requires if and contains in v1', () => {
    expect(errors('package a\np[x] { x := 1 }\nr { true }\nf(x) { true }\na.b.c')).toEqual([
      '2:1: `if` keyword is required before rule body',
      '2:1: `contains` keyword is required for partial set rules',
      '3:1: `if` keyword is required before rule body',
      '4:1: `if` keyword is required before function body',
      '5:1: rule must have value assignment and/or body declaration',
    ]);
  });

  it('reads v0 syntax when asked', () => {
    expect(rules('p[x] { x := 1 }\nq[x] = y { x := 1; y := 2 }\nr { true }\ns = 1 { true } { false }', 'v0')).toEqual([
      'partial_set p key=x { assign(x, #1) }',
      'partial_object q[x] key=x = y { assign(x, #1); assign(y, #2) }',
      'complete r · true { true }',
      'complete s = #1 { true }',
      'complete s = #1 { false }',
    ]);
  });

  it('knows v0 keywords only after their import', () => {
    // Without the import, `in` is a name; `x in xs` is then not an expression.
    expect(errors('package a\np { x in [1] }', 'v0')[0]).toMatch(/^2:7: unexpected ident token/);
    expect(rules('import future.keywords.in\np { 1 in [1] }', 'v0')).toEqual(['complete p · true { internal["member_2"](#1, [#1]) }']);
    expect(rules('import rego.v1\np contains 1 if true', 'v0')).toEqual(['partial_set p key=#1 { true }']);
    // `import rego.v1` in a v0 module brings the v1 rule checks with it.
    expect(errors('package a\nimport rego.v1\np { true }', 'v0')).toEqual(['3:1: `if` keyword is required before rule body']);
  });
});

describe('improved negation', () => {
  it('evaluates the whole negated expression or body inside the negation', () => {
    const m = module('package a\nimport future.keywords.not\np if {\n  not input.x + 1 == 2\n  not { input.a; input.b } with input as {}\n  not input.c\n}');
    expect(m.rules.map(showRule)).toEqual([
      'complete p · true { equal([true | equal(plus(input["x"], #1), #2)], []); equal([true | input["a"]; input["b"]], []) with input as {}; not input["c"] }',
    ]);
  });
});

describe('annotations', () => {
  it('attaches METADATA blocks to the next package or rule with their scope', () => {
    const m = module(
      '# METADATA\n# title: pkg\npackage a\n\n# METADATA\n# title: rule p\n# custom:\n#  x: [1, 2]\np := 1\n\n# METADATA\n# scope: document\n# entrypoint: true\nq if true\n\n# plain comment\nr := 2\n',
    );
    expect(m.annotations.map((a) => [a.scope, a.value, a.location.row])).toEqual([
      ['package', { title: 'pkg' }, 1],
      ['rule', { title: 'rule p', custom: { x: [1, 2] } }, 5],
      ['document', { scope: 'document', entrypoint: true }, 11],
    ]);
    expect(m.rules[0]!.annotations?.[0]?.value).toEqual({ title: 'rule p', custom: { x: [1, 2] } });
    expect(m.rules[2]!.annotations).toBeUndefined();
    expect(m.comments.map((c) => c.text)).toContain(' plain comment');
  });

  it('reports a scope on the wrong statement and bad YAML', () => {
    expect(errors('# METADATA\n# scope: rule\npackage a\n')).toEqual(["1:1: annotation scope 'rule' must be applied to rule (have package)"]);
    expect(errors('package a\n# METADATA\n# title: [unclosed\np := 1')[0]).toMatch(/^2:1: yaml: /);
  });
});

describe('locations', () => {
  it('gives each node its row, column, offset and length', () => {
    const src = 'package a\n\np if {\n\tx := input.y + 1\n}\n';
    const m = module(src);
    const rule = m.rules[0]!;
    expect(rule.location).toMatchObject({ file: 'm.rego', row: 3, col: 1, offset: 11 });
    expect(src.slice(rule.location.offset, rule.location.offset + rule.location.length)).toBe('p if {\n\tx := input.y + 1\n}');
    const expr = rule.body[0]!;
    expect(expr.location).toMatchObject({ row: 4, col: 2 });
    expect(src.substr(expr.location.offset, expr.location.length)).toBe('x := input.y + 1');
    const plus = (expr.value as Extract<Term, { type: 'call' }>).args[1]!;
    expect(src.substr(plus.location.offset, plus.location.length)).toBe('input.y + 1');
    expect(plus.location).toMatchObject({ row: 4, col: 7 });
  });

  it('counts columns in UTF-16 units after multi-byte text', () => {
    const src = 'package a\np := "é😀" + x';
    const r = parseModule(src, 'u.rego');
    const value = r.value!.rules[0]!.head.value as Extract<Term, { type: 'call' }>;
    expect(value.args[1]!.location).toMatchObject({ row: 2, col: 14 });
  });

  it('reports errors at the offending token and goes on to the next rule', () => {
    expect(errors('package a\n\np if {\n\tx := [1,\n}\n\nq := 2 +\n\nr := 1\ns := )\n')).toEqual([
      '5:1: unexpected } token',
      // `q := 2 +` continues on the next line: `2 + r`, then `:=` is out of place.
      '9:3: unexpected assign token',
      '10:6: unexpected ) token',
    ]);
  });

  it('reads nested terms that need a second look once each (no doubling per level)', () => {
    // Each level is first read as a collection head, then again as an operand of `+`; without
    // reuse this takes 2^40 steps and the test never ends.
    let t = 'a';
    for (let i = 0; i < 40; i++) t = i % 2 === 0 ? `{ ${t} } + 1` : `[ ${t} ] == 1`;
    const m = module(`package a\np := ${t}`);
    expect(show(m.rules[0]!.head.value).startsWith('equal(')).toBe(true);
  });

  it('never throws on hostile input and caps deep nesting', () => {
    const deep = `package a\np := ${'['.repeat(5000)}`;
    expect(errors(deep)[0]).toMatch(/max parsing recursion depth exceeded/);
    const parens = `package a\np := ${'('.repeat(5000)}1${')'.repeat(5000)}`;
    expect(errors(parens)[0]).toMatch(/max parsing recursion depth exceeded/);
  });
});

describe('METADATA values', () => {
  // Simple blocks skip the YAML library; whatever the route, the value must be what YAML says.
  const blocks = [
    'title: A title (v2)\ndescription: text/with slashes. and dots\nentrypoint: true',
    'custom:\n  severity: high\n  n: 3\n  deep:\n    x: y\n  empty:\nscope: rule',
    'title: 1.5\ndescription: yes\nother: no\nn: -12\nbig: 123456789012345678901',
    'title: "quoted"\nauthors:\n- a\n- name: b',
    'title: has # a comment\nx: null\ny: ~\nz: .inf\nw: 0x1F\nv: 1e3',
    'description: >\n  folded\n  text\ntitle: a: b',
  ];
  for (const yamlText of blocks) {
    it(`parses ${JSON.stringify(yamlText.slice(0, 30))} as YAML does`, () => {
      const comments = yamlText.split('\n').map((l) => `# ${l}`).join('\n');
      const r = parseModule(`package a\n\n# METADATA\n${comments}\np := 1\n`, 'a.rego');
      let expected: unknown;
      try {
        expected = parseYaml(`${yamlText}\n`);
      } catch {
        expected = undefined;
      }
      if (expected === undefined) {
        expect(r.errors[0]?.message).toMatch(/^yaml: /);
      } else {
        expect(r.errors).toEqual([]);
        expect(r.value!.rules[0]!.annotations?.[0]?.value).toEqual(expected);
      }
    });
  }
});
