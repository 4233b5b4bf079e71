// The AssemblyScript value runtime on its own: JSON round trips, OPA's value order, set/object
// semantics, the allocator and the ABI entry points. Build first (`npm run build`).
import { describe, expect, it } from 'vitest';
import { AbortError, loadRuntime } from './runtime-harness.js';

describe('runtime JSON', () => {
  const rt = loadRuntime();
  const roundTrip = (text: string) => rt.dump(rt.json(text));

  it('round-trips big integers, decimals and exponent forms unchanged', () => {
    expect(roundTrip('12345678901234567890123')).toBe('12345678901234567890123');
    expect(roundTrip('-9223372036854775808')).toBe('-9223372036854775808');
    expect(roundTrip('9223372036854775808')).toBe('9223372036854775808');
    expect(roundTrip('0.1')).toBe('0.1');
    expect(roundTrip('1.0')).toBe('1.0');
    expect(roundTrip('3.14159265358979323846264338327950288')).toBe('3.14159265358979323846264338327950288');
    expect(roundTrip('1e3')).toBe('1e3');
  });

  it('decodes escapes and unicode, and dumps valid JSON', () => {
    expect(roundTrip('"a\\"b\\\\c\\n\\t\\u00e9\\ud83d\\ude00/\\/"')).toBe('"a\\"b\\\\c\\n\\té😀//"');
    expect(JSON.parse(roundTrip('"\\u0001x"'))).toBe('\u0001x');
    expect(roundTrip('"日本語"')).toBe('"日本語"');
  });

  it('dumps objects with sorted keys and nested values', () => {
    const text = '{"z":[1,{"b":null,"a":true}],"a":{"y":false,"x":"s"},"m":[]}';
    expect(roundTrip(text)).toBe('{"a":{"x":"s","y":false},"m":[],"z":[1,{"a":true,"b":null}]}');
    expect(JSON.parse(roundTrip(text))).toEqual(JSON.parse(text));
  });

  it('keeps the last of duplicate keys', () => {
    expect(roundTrip('{"a":1,"a":2}')).toBe('{"a":2}');
  });

  it('rejects malformed JSON with 0', () => {
    for (const bad of ['{', '[1,]', '{"a" 1}', '01', '1.', '"\\x"', 'tru', '1 2', '']) {
      const bytes = new TextEncoder().encode(bad);
      expect(rt.exports.opa_json_parse(rt.writeBytes(bytes), bytes.length), bad).toBe(0);
    }
  });

  it('accepts nesting up to 4096 levels and rejects deeper documents', () => {
    const nested = (d: number) => '['.repeat(d) + ']'.repeat(d);
    expect(roundTrip(nested(4096))).toBe(nested(4096));
    const bytes = new TextEncoder().encode(nested(4097));
    expect(rt.exports.opa_json_parse(rt.writeBytes(bytes), bytes.length)).toBe(0);
  });

  it('prints computed floats with the shortest closest digits, Go-style exponents', () => {
    const x = rt.exports;
    expect(rt.dump(x.opa_number_float(0.1 + 0.2))).toBe('0.30000000000000004');
    expect(rt.dump(x.opa_number_float(1234567.5))).toBe('1.2345675e+06');
    expect(rt.dump(x.opa_number_float(0.00001))).toBe('1e-05');
    expect(rt.dump(x.opa_number_float(5e-324))).toBe('5e-324');
    // Digits agree with JS's shortest round-trip digits (Go's too) on pseudo-random doubles.
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const digits = (s: string) => s.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
    for (let i = 0; i < 3000; i++) {
      const f = (random() - 0.5) * 10 ** Math.floor(random() * 60 - 30);
      if (Number.isInteger(f)) continue;
      const heap = x.opa_heap_ptr_get();
      const out = rt.dump(x.opa_number_float(f));
      x.opa_heap_ptr_set(heap);
      expect(Number(out)).toBe(f);
      expect(digits(out), String(f)).toBe(digits(String(f)));
    }
  });

  it('parses and dumps Rego value syntax with sets', () => {
    expect(rt.rego(rt.value('{3, 1, "a", [2], 1}'))).toBe('{1, 3, "a", [2]}');
    expect(rt.rego(rt.value('set()'))).toBe('set()');
    expect(rt.rego(rt.value('{1: "x", "k": {2}}'))).toBe('{1: "x", "k": {2}}');
    // JSON dump: sets as sorted arrays, non-string keys as their JSON text.
    expect(rt.dump(rt.value('{1: {3, 2}}'))).toBe('{"1":[2,3]}');
  });
});

describe('runtime values', () => {
  const rt = loadRuntime();
  const x = rt.exports;

  it('orders mixed values as OPA does', () => {
    const sorted = rt.call('sort', '[{1}, {"a": 1}, [1], "b", "a", 2, 1.5, true, false, null, [0, 1], {"a": 0}, set()]');
    expect(sorted).toBe('[null, false, true, 1.5, 2, "a", "b", [0, 1], [1], {"a": 0}, {"a": 1}, set(), {1}]');
  });

  it('compares objects by sorted keys then values, arrays lexicographically', () => {
    expect(x.opa_value_compare(rt.value('{"b": 1}'), rt.value('{"a": 1, "c": 1}'))).toBeGreaterThan(0);
    expect(x.opa_value_compare(rt.value('[1, 2]'), rt.value('[1, 2, 0]'))).toBeLessThan(0);
    expect(x.opa_value_compare(rt.value('"ab"'), rt.value('"b"'))).toBeLessThan(0);
    expect(x.opa_value_compare(rt.value('18446744073709551617'), rt.value('18446744073709551616'))).toBeGreaterThan(0);
    expect(x.opa_value_compare(rt.value('-18446744073709551617'), rt.value('-3'))).toBeLessThan(0);
  });

  it('treats 1 and 1.0 as the same number in sets and object keys', () => {
    expect(rt.rego(rt.value('{1, 1.0, 2}'))).toMatch(/^\{1(\.0)?, 2\}$/);
    const obj = rt.value('{1: "one"}');
    expect(rt.rego(x.opa_value_get(obj, rt.value('1.0')))).toBe('"one"');
    expect(x.opa_value_equal(rt.value('[1, {"a": 2}]'), rt.value('[1.0, {"a": 2.0}]'))).toBe(1);
    expect(x.rt_value_hash(rt.value('{"a": [1]}'))).toBe(x.rt_value_hash(rt.value('{"a": [1.0]}')));
  });

  it('sets and objects ignore insertion order', () => {
    expect(x.opa_value_equal(rt.value('{3, 1, 2}'), rt.value('{1, 2, 3}'))).toBe(1);
    expect(x.opa_value_equal(rt.value('{"a": 1, "b": 2}'), rt.value('{"b": 2, "a": 1}'))).toBe(1);
    expect(x.opa_value_equal(rt.value('{"a": 1}'), rt.value('{"a": 2}'))).toBe(0);
  });

  it('looks up arrays by index, objects by key, sets by member, and is undefined otherwise', () => {
    const arr = rt.value('["a", "b"]');
    expect(rt.rego(x.opa_value_get(arr, rt.value('1')))).toBe('"b"');
    expect(x.opa_value_get(arr, rt.value('2'))).toBe(0);
    expect(x.opa_value_get(arr, rt.value('1.5'))).toBe(0);
    expect(x.opa_value_get(rt.value('{"k": 1}'), rt.str('x'))).toBe(0);
    expect(rt.rego(x.opa_value_get(rt.value('{"k"}'), rt.str('k')))).toBe('"k"');
    expect(x.opa_value_get(rt.value('"str"'), rt.value('0'))).toBe(0);
    expect(x.opa_value_length(rt.value('"héllo"'))).toBe(5);
    expect(x.opa_value_length(rt.value('1'))).toBe(-1);
  });

  it('grows objects and sets past their initial capacity', () => {
    const obj = x.opa_object();
    for (let i = 0; i < 1000; i++) x.opa_object_insert(obj, rt.str('k' + i), x.opa_number_int(BigInt(i)));
    expect(x.opa_value_length(obj)).toBe(1000);
    for (let i = 0; i < 1000; i += 97) expect(rt.rego(x.opa_value_get(obj, rt.str('k' + i)))).toBe(String(i));
    const set = x.opa_set();
    for (let i = 0; i < 500; i++) x.opa_set_add(set, x.opa_number_int(BigInt(i % 250)));
    expect(x.opa_value_length(set)).toBe(250);
  });

  it('iterates arrays in order and objects/sets in sorted order', () => {
    const seen = (v: number) => {
      const out: string[] = [];
      for (let c = x.rt_iter_next(v, -1); c !== -1; c = x.rt_iter_next(v, c)) {
        out.push(`${rt.rego(x.rt_iter_key(v, c))}=${rt.rego(x.rt_iter_value(v, c))}`);
      }
      return out;
    };
    expect(seen(rt.value('["x", "y"]'))).toEqual(['0="x"', '1="y"']);
    expect(seen(rt.value('{"b": 2, "a": 1}'))).toEqual(['"a"=1', '"b"=2']);
    expect(seen(rt.value('{3, 1}'))).toEqual(['1=1', '3=3']);
    expect(seen(rt.value('"s"'))).toEqual([]);
    expect(x.rt_iter_next(0, -1)).toBe(-1);
  });

  it('inserts once, merges, upserts copies along a path', () => {
    const obj = rt.value('{"a": 1}');
    expect(x.rt_object_insert_once(obj, rt.str('a'), rt.value('1'))).toBe(0);
    expect(x.rt_object_insert_once(obj, rt.str('a'), rt.value('2'))).toBe(1);
    expect(x.rt_object_insert_once(obj, rt.str('b'), rt.value('2'))).toBe(0);
    expect(rt.rego(obj)).toBe('{"a": 1, "b": 2}');
    expect(rt.rego(x.opa_value_merge(rt.value('{"a": {"b": 1}, "c": 1}'), rt.value('{"a": {"d": 2}}'))))
      .toBe('{"a": {"b": 1, "d": 2}, "c": 1}');
    expect(x.opa_value_merge(rt.value('{"a": 1}'), rt.value('{"a": 2}'))).toBe(0);
    const base = rt.value('{"x": {"y": 1, "z": 2}, "w": 0}');
    const up = x.rt_value_upsert(base, rt.value('["x", "y"]'), rt.value('9'));
    expect(rt.rego(up)).toBe('{"w": 0, "x": {"y": 9, "z": 2}}');
    expect(rt.rego(base)).toBe('{"w": 0, "x": {"y": 1, "z": 2}}');
    expect(rt.rego(x.rt_value_upsert(0, rt.value('["a", "b"]'), rt.value('true')))).toBe('{"a": {"b": true}}');
  });

  it('repeated lookups of one key stay right across inserts, removal and heap reuse', () => {
    // A key made before the object is remembered by the object after a lookup.
    const key = rt.str('role');
    const obj = rt.value('{"role": "admin", "user": "ann"}');
    expect(rt.rego(x.opa_value_get(obj, key))).toBe('"admin"');
    expect(rt.rego(x.opa_value_get(obj, key))).toBe('"admin"');
    for (let i = 0; i < 100; i++) x.opa_object_insert(obj, rt.str('k' + i), x.opa_number_int(BigInt(i)));
    expect(rt.rego(x.opa_value_get(obj, key))).toBe('"admin"');
    x.opa_object_insert(obj, rt.str('role'), rt.str('viewer'));
    expect(rt.rego(x.opa_value_get(obj, key))).toBe('"viewer"');
    expect(x.opa_value_remove_path(obj, rt.value('["role"]'))).toBe(0);
    expect(x.opa_value_get(obj, key)).toBe(0);
    x.opa_object_insert(obj, rt.str('role'), rt.str('again'));
    expect(rt.rego(x.opa_value_get(obj, key))).toBe('"again"');
    // A key made after the object may be freed by a heap reset and its address reused by a
    // different string: lookups must still compare contents.
    const mark = x.opa_heap_ptr_get();
    expect(rt.rego(x.opa_value_get(obj, rt.str('user')))).toBe('"ann"');
    x.opa_heap_ptr_set(mark);
    expect(rt.rego(x.opa_value_get(obj, rt.str('k42')))).toBe('42');
    x.opa_heap_ptr_set(mark);
    expect(x.opa_value_get(obj, rt.str('nope'))).toBe(0);
  });

  it('adds and removes paths in place (ABI)', () => {
    const data = rt.value('{"a": {"b": 1}}');
    expect(x.opa_value_add_path(data, rt.value('["a", "c", "d"]'), rt.value('2'))).toBe(0);
    expect(rt.rego(data)).toBe('{"a": {"b": 1, "c": {"d": 2}}}');
    expect(x.opa_value_remove_path(data, rt.value('["a", "b"]'))).toBe(0);
    expect(rt.rego(data)).toBe('{"a": {"c": {"d": 2}}}');
  });
});

describe('runtime ABI', () => {
  it('declares ABI 1.3 and keeps its static data below the heap start', () => {
    const rt = loadRuntime();
    expect(rt.exports.opa_wasm_abi_version.value).toBe(1);
    expect(rt.exports.opa_wasm_abi_minor_version.value).toBe(3);
    expect(rt.exports.rt_heap_ptr.value).toBe(65536);
    // Freshly loaded: the first allocation is at the heap start.
    expect(rt.exports.opa_malloc(1)).toBe(65536);
  });

  it('opa_eval parses the input, runs policy.eval and dumps the result set', () => {
    const rt = loadRuntime();
    const x = rt.exports;
    rt.onEval = (ctx) => {
      const result = x.opa_object();
      x.opa_object_insert(result, rt.str('result'), x.opa_value_get(x.rt_ctx_input(ctx), rt.str('user')));
      x.opa_set_add(x.rt_ctx_result(ctx), result);
    };
    const data = rt.json('{}');
    const heap = x.opa_heap_ptr_get();
    const input = new TextEncoder().encode('{"user":"alice"}');
    new Uint8Array(rt.memory.buffer).set(input, heap);
    const out = x.opa_eval(0, 0, data, heap, input.length, heap + input.length, 0);
    expect(rt.cstr(out)).toBe('[{"result":"alice"}]');
  });

  it('keeps memory flat across many evaluations', () => {
    const rt = loadRuntime();
    const x = rt.exports;
    rt.onEval = (ctx) => {
      const r = x.opa_object();
      x.opa_object_insert(r, rt.str('result'), x.rt_builtin_count(x.opa_value_get(x.rt_ctx_input(ctx), rt.str('roles'))));
      x.opa_set_add(x.rt_ctx_result(ctx), r);
    };
    const data = rt.json('{"roles": {"admin": ["read", "write"]}}');
    const base = x.opa_heap_ptr_get();
    const input = new TextEncoder().encode(JSON.stringify({ roles: Array.from({ length: 50 }, (_, i) => 'r' + i) }));
    let pages = 0;
    for (let i = 0; i < 20000; i++) {
      new Uint8Array(rt.memory.buffer).set(input, base);
      const out = x.opa_eval(0, 0, data, base, input.length, base + input.length, 0);
      if (i === 0) {
        expect(rt.cstr(out)).toBe('[{"result":50}]');
        pages = rt.memory.buffer.byteLength;
      }
    }
    expect(rt.memory.buffer.byteLength).toBe(pages);
  });

  it('aborts with a classifiable message, prefixed by the location when set', () => {
    const rt = loadRuntime();
    const x = rt.exports;
    expect(() => x.rt_abort_conflict()).toThrow(new AbortError('eval_conflict_error: complete rules must not produce multiple outputs'));
    const loc = rt.writeBytes(new TextEncoder().encode('policy.rego:3:5\0'));
    x.rt_location.value = loc;
    expect(() => x.rt_abort_object_conflict()).toThrow('policy.rego:3:5: eval_conflict_error: object keys must be unique');
  });
});
