// Builtins implemented in the Wasm runtime, checked against the answers OPA gives (values taken
// from OPA's documentation and the conformance cases under ../shared/conformance/opa-v1).
import { describe, expect, it } from 'vitest';
import { AbortError, loadRuntime } from './runtime-harness.js';

const rt = loadRuntime();
const call = rt.call;
const sprintf = (format: string, args: string) => call('sprintf', JSON.stringify(format), args);

describe('arithmetic', () => {
  it('is exact for integers of any size', () => {
    expect(call('plus', '18446744073709551617', '1')).toBe('18446744073709551618');
    expect(call('minus', '18446744073709551617', '1')).toBe('18446744073709551616');
    expect(call('mul', '18446744073709551617', '2')).toBe('36893488147419103234');
    expect(call('plus', '123456789012345678901234567890', '1')).toBe('123456789012345678901234567891');
    expect(call('minus', '-18446744073709551617', '1')).toBe('-18446744073709551618');
    expect(call('plus', '9223372036854775807', '1')).toBe('9223372036854775808');
    expect(call('mul', '-2147483648', '-2147483648')).toBe('4611686018427387904');
    expect(call('plus', '1e30', '1')).toBe('1000000000000000000000000000001');
    expect(call('plus', '10.00', '5')).toBe('15');
  });

  it('computes decimals like OPA (0.1 + 0.2 is 0.3)', () => {
    expect(call('plus', '0.1', '0.2')).toBe('0.3');
    expect(call('mul', '1.1', '2.2')).toBe('2.42');
    expect(call('plus', '1.5', '2.5')).toBe('4');
    expect(call('plus', '1', '2.5')).toBe('3.5');
    expect(call('mul', '2.5', '2')).toBe('5');
    expect(call('div', '1', '4')).toBe('0.25');
    expect(call('div', '0.3', '0.1')).toBe('3');
    expect(call('div', '6', '3')).toBe('2');
    expect(call('div', '-6', '3')).toBe('-2');
    expect(Number(call('div', '1', '3'))).toBe(1 / 3);
  });

  it('agrees with float arithmetic on every pair of a grid of mixed operands', () => {
    const values = ['0', '0.25', '-0.25', '1', '-1', '10.5', '0.001', '-3', '100', '0.1', '-0.1', '2.5e3', '1e-3', '-7.75', '123456789012345678901234567890'];
    for (const a of values) {
      for (const b of values) {
        const x = Number(a), y = Number(b);
        const ops: [string, number][] = [['plus', x + y], ['minus', x - y], ['mul', x * y]];
        if (y !== 0) ops.push(['div', x / y]);
        for (const [op, want] of ops) {
          const got = Number(call(op, a, b));
          expect(Math.abs(got - want), `${op}(${a}, ${b}) = ${call(op, a, b)}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want)));
        }
      }
    }
    expect(call('minus', '0', '0.25')).toBe('-0.25');
    expect(call('abs', '-0.1000000000000000000001')).toBe('0.1000000000000000000001');
  });

  it('orders a grid of mixed numbers like their values', () => {
    const values = ['0', '-0', '0.0', '1', '1.0', '1e0', '0.5', '-0.5', '2.5e-3', '-18446744073709551617', '18446744073709551617', '1e30', '-7', '9007199254740993'];
    for (const a of values) {
      for (const b of values) {
        if (a === '9007199254740993' || b === '9007199254740993') continue; // not an f64: checked below
        const got = Math.sign(rt.exports.opa_value_compare(rt.value(a), rt.value(b)));
        expect(got || 0, `compare(${a}, ${b})`).toBe(Math.sign(Number(a) - Number(b)) || 0);
      }
    }
    expect(call('lt', '9007199254740992', '9007199254740993')).toBe('true');
    expect(call('equal', '9007199254740993', '9007199254740992')).toBe('false');
  });

  it('takes the remainder with the sign of the dividend', () => {
    expect(call('rem', '-17', '5')).toBe('-2');
    expect(call('rem', '17', '-5')).toBe('2');
    expect(call('rem', '4.0', '3')).toBe('1');
    expect(call('rem', '10', '18446744073709551616')).toBe('10');
    expect(call('rem', '18446744073709551617', '18446744073709551616')).toBe('1');
    expect(call('rem', '100', '-18446744073709551616')).toBe('100');
    expect(call('rem', '7', '340282366920938463463374607431768211456')).toBe('7');
  });

  it('rounds half away from zero; abs/ceil/floor', () => {
    expect(call('round', '2.5')).toBe('3');
    expect(call('round', '-2.5')).toBe('-3');
    expect(call('round', '2.4')).toBe('2');
    expect(call('round', '10.00')).toBe('10');
    expect(call('abs', '-9223372036854775808')).toBe('9223372036854775808');
    expect(call('abs', '-2.5')).toBe('2.5');
    expect(call('ceil', '1.2')).toBe('2');
    expect(call('floor', '-1.2')).toBe('-2');
  });

  it('divide/modulo by zero and float modulo are undefined, or errors when strict', () => {
    expect(call('div', '1', '0')).toBeUndefined();
    expect(call('div', '1', '0.0')).toBeUndefined();
    expect(call('rem', '1.1', '1')).toBeUndefined();
    rt.exports.rt_strict.value = 1;
    try {
      expect(() => call('div', '1', '0')).toThrow(new AbortError('eval_builtin_error: div: divide by zero'));
      expect(() => call('rem', '1.1', '1')).toThrow('modulo on floating-point number');
      expect(() => call('minus', '{1}', '1')).toThrow('eval_type_error: minus: operand 2 must be set but got number');
      expect(() => call('minus', '1', '{1}')).toThrow('operand 2 must be number but got set');
    } finally {
      rt.exports.rt_strict.value = 0;
    }
    expect(call('plus', '"a"', '1')).toBeUndefined();
  });
});

describe('comparison and sets', () => {
  it('compares any values', () => {
    expect(call('lt', '1', '"a"')).toBe('true');
    expect(call('gte', '[1, 2]', '[1]')).toBe('true');
    expect(call('equal', '1', '1.0')).toBe('true');
    expect(call('neq', '{"a": 1}', '{"a": 1}')).toBe('false');
  });

  it('intersects, unions and subtracts sets', () => {
    expect(call('and', '{1, 2, 3}', '{2, 3, 4}')).toBe('{2, 3}');
    expect(call('or', '{1, 2}', '{2, 3}')).toBe('{1, 2, 3}');
    expect(call('minus', '{1, 2, 3}', '{2}')).toBe('{1, 3}');
    expect(call('intersection', '{{1, 2}, {2, 3}}')).toBe('{2}');
    expect(call('union', '{{1}, {2}, set()}')).toBe('{1, 2}');
    expect(call('union', 'set()')).toBe('set()');
    expect(call('intersection', 'set()')).toBe('set()');
  });
});

describe('aggregates', () => {
  it('counts, sums, multiplies, finds extremes and sorts', () => {
    expect(call('count', '"héllo"')).toBe('5');
    expect(call('count', '{"a": 1}')).toBe('1');
    expect(call('count', '1')).toBeUndefined();
    expect(call('sum', '[1, 2.5, 3]')).toBe('6.5');
    expect(call('sum', '{1, 2}')).toBe('3');
    expect(call('product', '[2, 3, 4]')).toBe('24');
    expect(call('max', '[1, "a", null]')).toBe('"a"');
    expect(call('min', '{3, 1, 2}')).toBe('1');
    expect(call('max', '[]')).toBeUndefined();
    expect(call('sort', '[3, 1, "b", "a"]')).toBe('[1, 3, "a", "b"]');
    expect(call('sort', '{3, 1}')).toBe('[1, 3]');
    expect(call('all', '[true, true]')).toBe('true');
    expect(call('any', '{false}')).toBe('false');
  });
});

describe('arrays and objects', () => {
  it('concatenates, slices, reverses and flattens arrays', () => {
    expect(call('array.concat', '[1]', '[2, 3]')).toBe('[1, 2, 3]');
    expect(call('array.slice', '[1, 2, 3, 4]', '1', '3')).toBe('[2, 3]');
    expect(call('array.slice', '[1, 2, 3]', '-1', '10')).toBe('[1, 2, 3]');
    expect(call('array.slice', '[1, 2, 3]', '2', '1')).toBe('[]');
    expect(call('array.reverse', '[1, 2, 3]')).toBe('[3, 2, 1]');
    expect(call('array.flatten', '[1, [2, [3]], []]')).toBe('[1, 2, [3]]');
  });

  it('gets, removes, filters, unions and lists keys of objects', () => {
    expect(call('object.get', '{"a": {"b": 1}}', '["a", "b"]', '0')).toBe('1');
    expect(call('object.get', '{"a": 1}', '"x"', '"d"')).toBe('"d"');
    expect(call('object.get', '{"a": 1}', '[]', '"d"')).toBe('{"a": 1}');
    expect(call('object.remove', '{"a": 1, "b": 2, "c": 3}', '["a", "c"]')).toBe('{"b": 2}');
    expect(call('object.remove', '{"a": 1, "b": 2}', '{"b": 0}')).toBe('{"a": 1}');
    expect(call('object.filter', '{"a": 1, "b": 2}', '{"a"}')).toBe('{"a": 1}');
    expect(call('object.union', '{"a": {"b": 1, "c": 2}, "d": 1}', '{"a": {"b": 3}, "e": 4}'))
      .toBe('{"a": {"b": 3, "c": 2}, "d": 1, "e": 4}');
    expect(call('object.union_n', '[{"a": 1}, {"a": 2, "b": 1}, {"c": 3}]')).toBe('{"a": 2, "b": 1, "c": 3}');
    expect(call('object.keys', '{"b": 1, "a": 2}')).toBe('{"a", "b"}');
    expect(call('object.subset', '{"a": {"b": 1, "c": 2}}', '{"a": {"b": 1}}')).toBe('true');
    expect(call('object.subset', '[1, 2, 3]', '[2, 3]')).toBe('true');
    expect(call('object.subset', '{1, 2}', '{3}')).toBe('false');
  });
});

describe('types and casts', () => {
  it('names types and tests them', () => {
    expect(call('type_name', '{1}')).toBe('"set"');
    expect(call('type_name', 'null')).toBe('"null"');
    expect(call('is_number', '1.5')).toBe('true');
    expect(call('is_string', '1')).toBe('false');
    expect(call('is_object', '{"a": 1}')).toBe('true');
    expect(call('is_set', 'set()')).toBe('true');
  });

  it('converts to numbers', () => {
    expect(call('to_number', '"10"')).toBe('10');
    expect(call('to_number', '"-1.5"')).toBe('-1.5');
    expect(call('to_number', 'true')).toBe('1');
    expect(call('to_number', 'null')).toBe('0');
    expect(call('to_number', '"x"')).toBeUndefined();
  });
});

describe('strings', () => {
  it('concatenates, searches and splits', () => {
    expect(call('concat', '", "', '["a", "b"]')).toBe('"a, b"');
    expect(call('concat', '"-"', '{"b", "a"}')).toBe('"a-b"');
    expect(call('contains', '"abc"', '"bc"')).toBe('true');
    expect(call('startswith', '"abc"', '"ab"')).toBe('true');
    expect(call('endswith', '"abc"', '"ab"')).toBe('false');
    expect(call('split', '"a,b,,c"', '","')).toBe('["a", "b", "", "c"]');
    expect(call('split', '"héllo"', '""')).toBe('["h", "é", "l", "l", "o"]');
    expect(call('indexof', '"héllo"', '"l"')).toBe('2');
    expect(call('indexof', '"abc"', '"z"')).toBe('-1');
    expect(call('indexof_n', '"aaa"', '"aa"')).toBe('[0, 1]');
    expect(call('strings.count', '"cheese"', '"e"')).toBe('3');
    expect(call('strings.any_prefix_match', '["a/b", "c/d"]', '"c/"')).toBe('true');
    expect(call('strings.any_suffix_match', '"abc"', '{"x", "bc"}')).toBe('true');
  });

  it('changes case, replaces, reverses and takes substrings by rune', () => {
    expect(call('lower', '"ÀBC"')).toBe('"àbc"');
    expect(call('upper', '"straße é"')).toBe('"STRAßE É"');
    expect(call('replace', '"aaa"', '"a"', '"b"')).toBe('"bbb"');
    expect(call('strings.replace_n', '{"a": "1", "b": "2"}', '"abc"')).toBe('"12c"');
    expect(call('strings.reverse', '"héllo"')).toBe('"olléh"');
    expect(call('substring', '"héllo"', '1', '3')).toBe('"éll"');
    expect(call('substring', '"abc"', '1', '-1')).toBe('"bc"');
    expect(call('substring', '"abc"', '5', '1')).toBe('""');
    expect(call('format_int', '15.5', '16')).toBe('"f"');
    expect(call('format_int', '-10', '2')).toBe('"-1010"');
  });

  it('trims', () => {
    expect(call('trim', '"  xx  "', '" "')).toBe('"xx"');
    expect(call('trim_left', '"aabca"', '"a"')).toBe('"bca"');
    expect(call('trim_right', '"aabca"', '"a"')).toBe('"aabc"');
    expect(call('trim_prefix', '"foobar"', '"foo"')).toBe('"bar"');
    expect(call('trim_suffix', '"foobar"', '"bar"')).toBe('"foo"');
    expect(call('trim_space', '"\\t hi \\n"')).toBe('"hi"');
  });
});

describe('sprintf (Go fmt semantics)', () => {
  it('formats the common verbs', () => {
    expect(sprintf('%s is %d years', '["bob", 42]')).toBe('"bob is 42 years"');
    expect(sprintf('%v|%v|%v', '[1.5, "s", true]')).toBe('"1.5|s|true"');
    expect(sprintf('%.2f', '[3.14159]')).toBe('"3.14"');
    expect(sprintf('%f', '[2.5]')).toBe('"2.500000"');
    expect(sprintf('%x %X %o %b', '[255, 255, 8, 5]')).toBe('"ff FF 10 101"');
    expect(sprintf('%q', '["a\\"b"]')).toBe('"\\"a\\\\\\"b\\""');
    expect(sprintf('%5d|%-5s|%05d', '[7, "ab", -42]')).toBe('"    7|ab   |-0042"');
    expect(sprintf('%e', '[123456.789]')).toBe('"1.234568e+05"');
    expect(sprintf('100%%', '[]')).toBe('"100%"');
  });

  it('prints big integers exactly and composite values in Rego syntax', () => {
    expect(sprintf('%s', '[123456789123456789123]')).toBe('"123456789123456789123"');
    expect(sprintf('%v', '[18446744073709551618]')).toBe('"18446744073709551618"');
    expect(sprintf('%v', '[[1, "a"]]')).toBe('"[1, \\"a\\"]"');
    expect(sprintf('%v', '[{"a": {1}}]')).toBe('"{\\"a\\": {1}}"');
    expect(sprintf('%v', '[0.1]')).toBe('"0.1"');
  });

  it('reports wrong verbs, missing and extra arguments like Go', () => {
    expect(sprintf('%d', '["x"]')).toBe('"%!d(string=x)"');
    expect(sprintf('%s', '[5]')).toBe('"%!s(int=5)"');
    expect(sprintf('%d %d', '[1]')).toBe('"1 %!d(MISSING)"');
    expect(sprintf('%d', '[1, 2]')).toBe('"1%!(EXTRA int=2)"');
  });
});

describe('numbers, bits, json, walk, membership, templates', () => {
  it('makes ranges', () => {
    expect(call('numbers.range', '1', '4')).toBe('[1, 2, 3, 4]');
    expect(call('numbers.range', '2', '-1')).toBe('[2, 1, 0, -1]');
    expect(call('numbers.range_step', '0', '10', '4')).toBe('[0, 4, 8]');
    expect(call('numbers.range_step', '0', '10', '0')).toBeUndefined();
  });

  it('does bit operations', () => {
    expect(call('bits.and', '12', '10')).toBe('8');
    expect(call('bits.or', '12', '10')).toBe('14');
    expect(call('bits.xor', '12', '10')).toBe('6');
    expect(call('bits.negate', '12')).toBe('-13');
    expect(call('bits.lsh', '1', '70')).toBe('1180591620717411303424');
    expect(call('bits.rsh', '-8', '1')).toBe('-4');
    expect(call('bits.and', '1.5', '1')).toBeUndefined();
  });

  it('marshals and unmarshals JSON', () => {
    expect(call('json.marshal', '{"b": [1, {2}], "a": "<x>"}')).toBe('"{\\"a\\":\\"\\\\u003cx\\\\u003e\\",\\"b\\":[1,[2]]}"');
    expect(call('json.unmarshal', '"{\\"a\\": [1, 2.5]}"')).toBe('{"a": [1, 2.5]}');
    // Go's encoding/json escapes U+2028/U+2029 as well as <, >, &.
    expect(rt.rego(rt.exports.rt_builtin_json_marshal(rt.str('a\u2028b&')))).toBe('"\\"a\\\\u2028b\\\\u0026\\""');
    expect(call('json.unmarshal', '"{"')).toBeUndefined();
    expect(call('json.is_valid', '"[1]"')).toBe('true');
    expect(call('json.is_valid', '"[1"')).toBe('false');
  });

  it('walks values into [path, value] pairs in pre-order', () => {
    expect(call('walk', '{"a": [1]}')).toBe('[[[], {"a": [1]}], [["a"], [1]], [["a", 0], 1]]');
  });

  it('tests membership', () => {
    expect(call('internal.member_2', '2', '[1, 2]')).toBe('true');
    expect(call('internal.member_2', '1', '{"a": 1}')).toBe('true');
    expect(call('internal.member_2', '"a"', '{"a": 1}')).toBe('false');
    expect(call('internal.member_3', '"a"', '1', '{"a": 1}')).toBe('true');
    expect(call('internal.member_3', '0', '2', '[1, 2]')).toBe('false');
  });

  it('renders template strings', () => {
    const parts = '["n=", {42}, ", s=", {"foo"}, ", c=", {[42, 13.37, true, "foo", null]}, ", u=", set()]';
    expect(call('internal.template_string', parts)).toBe('"n=42, s=foo, c=[42, 13.37, true, \\"foo\\", null], u=<undefined>"');
    expect(call('internal.template_string', '[{{null, true, 13.37, 42, "foo"}}]')).toBe('"{null, true, 13.37, 42, \\"foo\\"}"');
    expect(rt.rego(rt.exports.rt_template_string(rt.value('{"a": "b"}')))).toBe('"{\\"a\\": \\"b\\"}"');
  });
});
