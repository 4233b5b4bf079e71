// RFC 8785 canonical JSON (the bytes input digests and decision records are computed over) and the
// request envelope's validation.
import { describe, expect, it } from 'vitest';
import { canonicalize, NotJsonError } from '../src/evaluator/canonical.js';
import { validateRequest } from '../src/evaluator/request.js';
import { formatTimeNs, parseTimeNs } from '../src/evaluator/record.js';

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
