// RFC 8785 canonical JSON (the bytes input digests and decision records are computed over) and the
// request envelope's validation.
import { describe, expect, it } from 'vitest';
import { canonicalize, NotJsonError } from '../src/evaluator/canonical.js';
import { validateRequest } from '../src/evaluator/request.js';
import { formatTimeNs, makeRecord, parseTimeNs, recordJson } from '../src/evaluator/record.js';

describe('canonical JSON (RFC 8785)', () => {
  it('sorts members by UTF-16 code units, recursively, without whitespace', () => {
    expect(canonicalize({ b: 1, a: [3, { d: true, c: null }], '\u20ac': 'x', '\r': 1, '\ud83d\ude00': 2, 'ö': 3 })).toBe(
      '{"\\r":1,"a":[3,{"c":null,"d":true}],"b":1,"ö":3,"€":"x","😀":2}',
    );
  });

  it('serializes numbers the ECMAScript way (RFC 8785 §3.2.2.3)', () => {
    expect(canonicalize([1e21, 1e-7, 0.1 + 0.2, -0, 100, 1.5e300, 333333333.3333333])).toBe(
      '[1e+21,1e-7,0.30000000000000004,0,100,1.5e+300,333333333.3333333]',
    );
  });

  it('escapes only what JSON requires', () => {
    expect(canonicalize('\u0000\b\f\n\r\t"\\/\u007f\u2028')).toBe('"\\u0000\\b\\f\\n\\r\\t\\"\\\\/\u007f\u2028"');
  });

  it('is independent of key insertion order', () => {
    expect(canonicalize({ x: 1, y: { q: 2, p: 3 } })).toBe(canonicalize({ y: { p: 3, q: 2 }, x: 1 }));
  });

  it('writes the same bytes whether the keys come in canonical order (the JSON.stringify path) or not', () => {
    // A reference written independently (JS objects list integer-like keys such as "10" and "9"
    // numerically, so an object cannot hold "10" before "9": the reference writes the text itself).
    const reference = (v: unknown): string =>
      Array.isArray(v)
        ? `[${v.map(reference).join(',')}]`
        : v && typeof v === 'object'
          ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${reference((v as Record<string, unknown>)[k])}`).join(',')}}`
          : JSON.stringify(v);
    const sorted = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(sorted) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])])) : v;
    const reversed = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reversed) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().reverse().map((k) => [k, reversed((v as Record<string, unknown>)[k])])) : v;
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const KEYS = ['a', 'B', 'aa', '\u00e9', '\u20ac', '\ud83d\ude00', '_', '10', '9', 'z\u0000'];
    const value = (depth: number): unknown => {
      const r = random();
      if (depth > 3 || r < 0.3) return [null, true, -0, 1.5e-7, 'x\n"\u2028', 42][Math.floor(random() * 6)];
      if (r < 0.6) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      return Object.fromEntries(KEYS.filter(() => random() < 0.4).map((k) => [k, value(depth + 1)]));
    };
    for (let i = 0; i < 300; i++) {
      const v = value(0);
      const expected = reference(v);
      expect(canonicalize(sorted(v))).toBe(expected);
      expect(canonicalize(reversed(v))).toBe(expected);
    }
  });

  it('refuses non-JSON values inside objects whose keys are already in order', () => {
    expect(() => canonicalize({ a: 1, b: undefined })).toThrow(/\$\.b: undefined/);
    expect(() => canonicalize({ a: 1, b: [Infinity] })).toThrow(/\$\.b\[0\]: Infinity/);
    expect(() => canonicalize({ a: { toJSON: () => 1 } })).toThrow(/\$\.a\.toJSON: a function/); // never called
    expect(() => canonicalize({ a: new Date(0), b: 1 })).toThrow(/Date object/);
  });

  it('makeRecord inserts the fields in canonical order', () => {
    const record = makeRecord({
      allow: true,
      reasons: ['ALLOWED'],
      bundle_sha256: 'b'.repeat(64),
      bundle_revision: 'r1',
      entrypoint: 'agent/decision',
      about: { subject: 's', action: 'a', resource: 'r', args_sha256: 'c'.repeat(64), input_sha256: 'd'.repeat(64), parent_jti: 'p' },
      result: { scope: ['x'], allow: true },
      time: formatTimeNs(0n),
      time_ns: '0',
    });
    const keys = Object.keys(record);
    expect(keys).toEqual([...keys].sort());
    expect(keys).toHaveLength(16); // every field but detail
    expect(recordJson(record)).toBe(canonicalize(JSON.parse(JSON.stringify(record))));
  });

  it('refuses what JSON cannot hold, naming where', () => {
    expect(() => canonicalize({ a: [1, Number.NaN] })).toThrow(/\$\.a\[1\]: NaN/);
    expect(() => canonicalize({ a: undefined })).toThrow(NotJsonError);
    expect(() => canonicalize({ d: new Date(0) })).toThrow(/Date object/);
    expect(() => canonicalize({ s: '\ud800' })).toThrow(/lone surrogate/);
    expect(() => canonicalize(10n)).toThrow(/bigint/);
    const deep: unknown[] = [];
    let cur = deep;
    for (let i = 0; i < 200; i++) cur.push((cur = []));
    expect(() => canonicalize(deep)).toThrow(/nested too deeply/);
  });
});

describe('request envelope', () => {
  const ok = { subject: { id: 'a' }, action: 'x', resource: 'r' };
  it('fills in empty args and context and keeps the rest as is', () => {
    const r = validateRequest(ok);
    expect(r.ok && r.request).toEqual({ ...ok, args: {}, context: {} });
  });

  it('names the problem of a malformed request', () => {
    expect(validateRequest({ ...ok, subject: { id: '' } })).toMatchObject({ ok: false, problem: expect.stringContaining('subject.id') });
    expect(validateRequest({ ...ok, surprise: 1 })).toMatchObject({ ok: false, problem: 'unknown field "surprise"' });
    expect(validateRequest({ ...ok, args: { big: 'x'.repeat(2000) } }, 1000)).toMatchObject({ ok: false, problem: expect.stringContaining('larger') });
  });
});

describe('evaluation time', () => {
  it('formats and parses RFC 3339 with nanoseconds', () => {
    const ns = 1_767_225_600_123_456_789n;
    expect(formatTimeNs(ns)).toBe('2026-01-01T00:00:00.123456789Z');
    expect(parseTimeNs('2026-01-01T00:00:00.123456789Z')).toBe(ns);
    expect(parseTimeNs('2026-01-01T01:00:00.5+01:00')).toBe(1_767_225_600_500_000_000n);
    expect(parseTimeNs(String(ns))).toBe(ns);
    expect(parseTimeNs('yesterday')).toBeUndefined();
  });
});
