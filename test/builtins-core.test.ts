// Host builtin registry behaviour (error modes, nondeterminism, network refusal) and the parts of
// regex/glob/encoding semantics that conformance cases do not pin down.
import { describe, expect, it } from 'vitest';
import { HOST_BUILTIN_NAMES, NONDETERMINISTIC_BUILTINS, createHostBuiltins } from '../src/builtins/index.js';

const lenient = createHostBuiltins({});
const strict = createHostBuiltins({ strict: true });

describe('error modes', () => {
  it('makes invalid input undefined unless strict, and then names the code and builtin', () => {
    expect(lenient['units.parse']!('100 k')).toBeUndefined();
    expect(() => strict['units.parse']!('100 k')).toThrow(
      /^eval_builtin_error: units\.parse: spaces not allowed in resource strings$/,
    );
  });

  it('always raises wrong operand types, as OPA does', () => {
    expect(() => lenient['units.parse']!(5)).toThrow(/^eval_type_error: units\.parse: operand 1 must be string but got number$/);
    expect(() => lenient['object.remove']!('x', ['a'])).toThrow('eval_type_error: object.remove: operand 1 must be object but got string');
  });
});

describe('nondeterminism', () => {
  it('refuses nondeterministic builtins by default', () => {
    for (const name of ['rand.intn', 'uuid.rfc4122', 'time.now_ns']) {
      expect(() => lenient[name]!('k', 10)).toThrow(`eval_builtin_error: ${name}: not allowed in governed evaluation (nondeterministic)`);
    }
    expect(NONDETERMINISTIC_BUILTINS).toEqual(expect.arrayContaining(['rand.intn', 'uuid.rfc4122', 'time.now_ns']));
  });

  it('is deterministic with a seed: same seed, same answers; same key, same answer', () => {
    const a = createHostBuiltins({ seed: 'decision-42' });
    const b = createHostBuiltins({ seed: 'decision-42' });
    const c = createHostBuiltins({ seed: 'other' });
    const draws = (x: typeof a) => ['k1', 'k2', 'k3', 'k4'].map((k) => x['rand.intn']!(k, 1_000_000));
    expect(draws(a)).toEqual(draws(b));
    expect(draws(a)).not.toEqual(draws(c));
    expect(a['rand.intn']!('k1', 1_000_000)).toBe(a['rand.intn']!('k1', 1_000_000));
    expect(a['uuid.rfc4122']!('x')).toBe(b['uuid.rfc4122']!('x'));
    expect(a['uuid.rfc4122']!('x')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a['rand.intn']!('z', 0)).toBe(0);
  });

  it('allows them when asked to', () => {
    const open = createHostBuiltins({ allowNondeterministic: true });
    const n = open['rand.intn']!('k', 10) as number;
    expect(Number.isInteger(n) && n >= 0 && n < 10).toBe(true);
  });

  it('never performs network access', () => {
    const open = createHostBuiltins({ allowNondeterministic: true });
    expect(() => open['http.send']!({ method: 'get', url: 'http://example.com' })).toThrow(/^eval_builtin_error: http\.send: not allowed/);
    expect(() => open['net.lookup_ip_addr']!('example.com')).toThrow(/^eval_builtin_error: net\.lookup_ip_addr: not allowed/);
  });

  it('reads the sets a govern module marks among the arguments, at any depth', () => {
    const set = (...items: unknown[]) => ({ '\u0000set': items });
    expect(lenient['net.cidr_contains_matches']!(set('1.1.2.0/24', '1.1.1.0/24'), '1.1.1.1')).toEqual([['1.1.1.0/24', '1.1.1.1']]);
    expect(lenient['net.cidr_contains_matches']!(['1.1.2.0/24', '1.1.1.0/24'], '1.1.1.1')).toEqual([[1, '1.1.1.1']]); // an array: indexes
    const sets = createHostBuiltins({ regoSets: true });
    const graph = { a: set('b'), b: set() };
    const reached = sets['graph.reachable']!(graph, set('a')) as ArrayBuffer;
    expect(new TextDecoder().decode(reached)).toBe('{"a","b"}');
  });

  it('reads the exact integers a govern module marks: timestamps stay exact, other builtins get the nearest double', () => {
    const ns = { '\u0000num': '1670006453141828752' };
    expect(lenient['time.format']!(ns)).toBe('2022-12-02T18:40:53.141828752Z');
    expect(lenient['time.format']!([ns, 'UTC'])).toBe('2022-12-02T18:40:53.141828752Z');
    // Not a timestamp builtin: the marker becomes the nearest double, as the value was before.
    expect(lenient['strings.render_template']!('{{.x}}', { x: { '\u0000num': '9007199254740993' } })).toBe('9007199254740992');
  });

  it('still reports a malformed http.send request the way OPA does (a type error), before refusing it', () => {
    expect(() => lenient['http.send']!({ method: 'get' })).toThrow('eval_type_error: http.send: missing required request parameters(s): {"url"}');
    expect(() => lenient['http.send']!({ url: 'u', method: 'get', verb: 'x', also: 1 })).toThrow('eval_type_error: http.send: invalid request parameters(s): {"also", "verb"}');
    expect(() => lenient['http.send']!('get')).toThrow('eval_type_error: http.send: operand 1 must be object but got string');
  });

  it('declares every builtin it implements', () => {
    expect(HOST_BUILTIN_NAMES).toEqual(expect.arrayContaining(['units.parse', 'regex.match', 'io.jwt.decode_verify', 'graphql.parse', 'time.format']));
    expect(Object.keys(lenient).sort()).toEqual([...HOST_BUILTIN_NAMES]);
  });
});

describe('regex (Go RE2 semantics)', () => {
  const re = (p: string, s: string) => strict['regex.match']!(p, s);
  it('rejects what RE2 rejects', () => {
    for (const bad of ['(a)\\1', 'a(?=b)', 'a(?!b)', '(?<=a)b', 'a**', 'a{1001}', '[z-a]', '(', 'x)']) {
      expect(() => re(bad, 'ab'), bad).toThrow(/^eval_builtin_error: regex\.match: error parsing regexp/);
      expect(lenient['regex.is_valid']!(bad)).toBe(false);
    }
  });
  it('understands RE2-only syntax', () => {
    expect(re('\\Aab\\z', 'ab')).toBe(true);
    expect(re('\\Aab\\z', 'ab\n')).toBe(false);
    expect(re('^[[:alpha:]]+$', 'abcXYZ')).toBe(true);
    expect(re('^[[:digit:]]+$', 'abc')).toBe(false);
    expect(re('(?P<word>\\w+)', 'hi')).toBe(true);
    expect(re('^\\Qa.b\\E$', 'a.b')).toBe(true);
    expect(re('^\\Qa.b\\E$', 'axb')).toBe(false);
    expect(re('(?i)^HELLO$', 'hello')).toBe(true);
    expect(re('^\\pL+$', 'héllo')).toBe(true);
    expect(re('^a{2}$', 'aa')).toBe(true);
    expect(re('^a{$', 'a{')).toBe(true); // a lone brace is a literal in RE2
    expect(re('^\\s$', '\u00a0')).toBe(false); // \s is ASCII-only in RE2
  });
  it('follows Go for empty matches and replacement templates', () => {
    // the empty match at 4 directly follows the match "aaa" and is dropped, as in Go
    expect(strict['regex.find_n']!('a*', 'baaab', -1)).toEqual(['', 'aaa', '']);
    expect(strict['regex.replace']!('abc', 'b', '[$0]')).toBe('a[b]c');
    expect(strict['regex.replace']!('abc', '(b)', '$1x')).toBe('ac'); // $1x names group "1x"
    expect(strict['regex.replace']!('abc', '(b)', '${1}x')).toBe('abxc');
    expect(strict['regex.split']!('a', 'banana')).toEqual(['b', 'n', 'n', '']);
  });
  it('matches templates and glob-like patterns', () => {
    expect(strict['regex.template_match']!('urn:foo:{.*}', 'urn:foo:bar:baz', '{', '}')).toBe(true);
    expect(strict['regex.template_match']!('urn:foo:{[a-z]+}', 'urn:foo:BAR', '{', '}')).toBe(false);
    expect(() => strict['regex.template_match']!('urn:{foo', 'urn:foo', '{', '}')).toThrow('unbalanced braces');
    expect(strict['regex.globs_match']!('a.a.', '.b.b')).toBe(true);
    expect(strict['regex.globs_match']!('[a-c]+', '[d-f]+')).toBe(false);
    expect(strict['regex.globs_match']!('a*b', 'aaab')).toBe(true);
  });
});

describe('glob', () => {
  const g = (p: string, d: unknown, s: string) => strict['glob.match']!(p, d, s);
  it('respects delimiters (default ".") and ** across them', () => {
    expect(g('*.github.com', [], 'api.github.com')).toBe(true);
    expect(g('*.github.com', [], 'api.cdn.github.com')).toBe(false);
    expect(g('**.github.com', [], 'api.cdn.github.com')).toBe(true);
    expect(g('*', null, 'a.b.c')).toBe(true);
    expect(g('{cat,bat}', null, 'bat')).toBe(true);
    expect(g('[!a-c]at', null, 'dat')).toBe(true);
    expect(strict['glob.quote_meta']!('*.github.com')).toBe('\\*.github.com');
  });
});

describe('encodings', () => {
  it('decodes like Go, with its error positions', () => {
    expect(strict['base64.decode']!('aGVsbG8=')).toBe('hello');
    expect(() => strict['base64.decode']!('aGVsbG8')).toThrow('illegal base64 data at input byte 4');
    expect(strict['base64url.decode']!('aGVsbG8')).toBe('hello');
    expect(() => strict['hex.decode']!('fghijkl')).toThrow("invalid byte: U+0067 'g'");
    expect(strict['urlquery.decode_object']!('a=1&b&a=2')).toEqual({ a: ['1', '2'], b: [''] });
    expect(strict['urlquery.encode']!('a b&c')).toBe('a+b%26c');
    expect(strict['json.marshal_with_options']!({ b: 1, a: [true] }, { pretty: true, indent: '  ' })).toBe('{\n  "a": [\n    true\n  ],\n  "b": 1\n}');
  });
});

describe('net', () => {
  it('merges and expands CIDRs', () => {
    expect(strict['net.cidr_merge']!(['192.0.128.0/24', '192.0.129.0/24'])).toEqual(['192.0.128.0/23']);
    expect(strict['net.cidr_merge']!(['192.0.129.0/24', '192.0.130.0/24'])).toEqual(['192.0.129.0/24', '192.0.130.0/24']);
    expect(strict['net.cidr_merge']!(['10.0.0.1', '10.0.0.0'])).toEqual(['10.0.0.0/31']);
    expect(strict['net.cidr_expand']!('10.0.0.0/31')).toEqual(['10.0.0.0', '10.0.0.1']);
    expect(strict['net.cidr_is_valid']!('::ffff:10.0.0.0/104')).toBe(true);
    expect(strict['net.cidr_is_valid']!('10.0.0.0/33')).toBe(false);
    expect(strict['net.cidr_contains']!('::/0', '10.0.0.1')).toBe(false);
  });
});

describe('json schema', () => {
  const schema = { properties: { id: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' }, maxItems: 2 } }, required: ['id'] };
  it('reports errors the way OPA (gojsonschema) words them', () => {
    expect(strict['json.match_schema']!({ id: 5 }, schema)).toEqual([true, []]);
    expect(strict['json.match_schema']!('{"id": "foo"}', JSON.stringify(schema))).toEqual([
      false,
      [{ desc: 'Invalid type. Expected: integer, given: string', error: 'id: Invalid type. Expected: integer, given: string', field: 'id', type: 'invalid_type' }],
    ]);
    const [, errors] = strict['json.match_schema']!({ tags: ['a', 1, 'c'] }, schema) as [boolean, { field: string; type: string }[]];
    expect(errors.map((e) => `${e.field}:${e.type}`).sort()).toEqual(['(root):required', 'tags.1:invalid_type', 'tags:array_max_items']);
    expect(strict['json.match_schema']!({ value: 'allow' }, { enum: [] })).toEqual([
      false,
      [{ desc: '(root) must be one of the following: ', error: '(root): (root) must be one of the following: ', field: '(root)', type: 'enum' }],
    ]);
  });
  it('rejects invalid schemas', () => {
    expect(() => strict['json.match_schema']!({}, { type: 'unknown' })).toThrow('has a primitive type that is NOT VALID -- given: /unknown/');
    expect(strict['json.verify_schema']!({ type: 'object' })).toEqual([true, null]);
    expect((strict['json.verify_schema']!({ type: 'unknown' }) as unknown[])[0]).toBe(false);
  });
});

describe('deprecated casts and set_diff', () => {
  it('pass values of the right type through and reject others', () => {
    expect(strict['cast_set']!([3, 1, 3])).toEqual([1, 3]);
    expect(strict['cast_array']!([2, 1])).toEqual([2, 1]);
    expect(strict['cast_string']!('a')).toBe('a');
    expect(() => strict['cast_boolean']!('true')).toThrow('eval_type_error: cast_boolean: operand 1 must be boolean but got string');
    expect(strict['set_diff']!([1, 2, 3], [2])).toEqual([1, 3]);
  });
});

describe('set results', () => {
  it('are sorted arrays by default and Rego set text with regoSets', () => {
    expect(strict['net.cidr_merge']!(['10.0.0.1', '10.0.0.0'])).toEqual(['10.0.0.0/31']);
    const sets = createHostBuiltins({ regoSets: true });
    const text = (v: unknown) => new TextDecoder().decode(v as ArrayBuffer);
    expect(text(sets['net.cidr_merge']!(['10.0.0.2', '10.0.0.0']))).toBe('{"10.0.0.0/32","10.0.0.2/32"}');
    expect(text(sets['graph.reachable']!({ a: ['b'], b: [] }, ['a']))).toBe('{"a","b"}');
    expect(text(sets['set_diff']!([1], [1]))).toBe('set()');
    // no set in the result: plain JSON value
    expect(sets['units.parse']!('1K')).toBe(1000);
  });
});

describe('one builtins object reused across evaluations (as the evaluator worker does)', () => {
  it('follows the pinned clock of each evaluation', () => {
    let requestNow = 1_000_000_000n;
    const b = createHostBuiltins({ now: () => requestNow });
    expect(b['time.now_ns']!()).toBe(1_000_000_000);
    requestNow = 2_000_000_000n;
    expect(b['time.now_ns']!()).toBe(2_000_000_000);
  });

  it('keeps rand.intn stable within an evaluation and fresh across evaluations', () => {
    let requestNow = 1n;
    const b = createHostBuiltins({ now: () => requestNow, allowNondeterministic: true });
    const first = b['rand.intn']!('k', 2 ** 30);
    expect(b['rand.intn']!('k', 2 ** 30)).toBe(first);
    const later: unknown[] = [];
    for (let i = 2n; i < 6n; i++) {
      requestNow = i;
      later.push(b['rand.intn']!('k', 2 ** 30));
    }
    expect(later.some((v) => v !== first)).toBe(true);
  });

  it('with a seed, answers depend only on (seed, key), not on earlier calls', () => {
    const a = createHostBuiltins({ seed: 's' });
    const b = createHostBuiltins({ seed: 's' });
    a['rand.intn']!('other', 10);
    a['uuid.rfc4122']!('other');
    expect(a['rand.intn']!('k', 1000)).toBe(b['rand.intn']!('k', 1000));
    expect(a['uuid.rfc4122']!('k')).toBe(b['uuid.rfc4122']!('k'));
  });
});
