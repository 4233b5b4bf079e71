// time.* host builtins: Go layouts, zones, calendar arithmetic and the pinned clock.
import { describe, expect, it } from 'vitest';
import { createHostBuiltins, hostResultValue } from '../src/builtins/index.js';

const PINNED = 1_700_000_000_000_000_000n;
const b = createHostBuiltins({ now: () => PINNED, strict: true });
const call = (name: string, ...args: unknown[]) => hostResultValue(b[name]!(...args));
const SEC = 1_000_000_000;

describe('time parsing', () => {
  it('parses RFC 3339 at both ends of the int64 range and rejects beyond it', () => {
    expect(call('time.parse_rfc3339_ns', '1970-01-01T00:00:00-00:00')).toBe(0);
    expect(call('time.parse_rfc3339_ns', '2017-06-02T19:00:00-07:00')).toBe(1496455200000000000);
    expect(call('time.parse_rfc3339_ns', '2262-04-11T23:47:16.854775807-00:00')).toBe(9223372036854775807);
    expect(() => call('time.parse_rfc3339_ns', '2262-04-11T23:47:16.854775808-00:00')).toThrow(
      'eval_builtin_error: time.parse_rfc3339_ns: time outside of valid range',
    );
    expect(() => call('time.parse_rfc3339_ns', '1677-09-21T00:12:43.145224191-00:00')).toThrow('time outside of valid range');
  });

  it('parses Go layouts, named layouts and reports layout mismatches', () => {
    expect(call('time.parse_ns', '2006-01-02', '2020-02-02')).toBe(Date.UTC(2020, 1, 2) * 1e6);
    expect(call('time.parse_ns', 'RFC1123Z', 'Sat, 03 Dec 2022 00:10:53 +0530')).toBe(1670006453 * SEC);
    expect(call('time.parse_ns', 'Jan _2 3:04PM 2006', 'Feb  5 7:30PM 2018')).toBe(Date.UTC(2018, 1, 5, 19, 30) * 1e6);
    expect(() => call('time.parse_ns', '2006-01-02', '2020/02/02')).toThrow('eval_builtin_error: time.parse_ns: parsing time');
    expect(() => call('time.parse_ns', '2006-01-02', '2021-02-29')).toThrow('day out of range');
  });

  it('parses Go durations', () => {
    expect(call('time.parse_duration_ns', '100ms')).toBe(100_000_000);
    expect(call('time.parse_duration_ns', '1h2m3.5s')).toBe(3723.5 * SEC);
    expect(call('time.parse_duration_ns', '-1.5h')).toBe(-5400 * SEC);
    expect(call('time.parse_duration_ns', '0')).toBe(0);
    expect(() => call('time.parse_duration_ns', '10')).toThrow('missing unit');
    expect(() => call('time.parse_duration_ns', '1d')).toThrow('unknown unit');
  });
});

describe('exact nanoseconds', () => {
  it('hands timestamps beyond 2^53 to the SDK as exact JSON text', () => {
    const raw = b['time.parse_rfc3339_ns']!('2262-04-11T23:47:16.854775807-00:00');
    expect(raw).toBeInstanceOf(ArrayBuffer);
    expect(new TextDecoder().decode(raw as ArrayBuffer)).toBe('9223372036854775807');
    expect(b['time.parse_rfc3339_ns']!('1970-01-01T00:00:01Z')).toBe(SEC);
  });
  it('keeps units exact too', () => {
    const raw = createHostBuiltins({})['units.parse']!('10Ei');
    expect(new TextDecoder().decode(raw as ArrayBuffer)).toBe('11529215046068469760');
    expect(createHostBuiltins({})['units.parse']!('0.0000005M')).toBe(0.5);
  });
});

describe('calendar fields', () => {
  it('gives date, clock and weekday in UTC and in named zones', () => {
    expect(call('time.date', 1517814000 * SEC)).toEqual([2018, 2, 5]);
    expect(call('time.clock', [1517832000 * SEC, 'America/New_York'])).toEqual([7, 0, 0]);
    expect(call('time.clock', 1582977600 * SEC)).toEqual([12, 0, 0]);
    expect(call('time.weekday', 1518177600000000000)).toBe('Friday');
  });

  it('rejects timestamps beyond int64 and unknown zones', () => {
    expect(() => call('time.date', 1582977600 * SEC * 1000)).toThrow('eval_builtin_error: time.date: timestamp too big');
    expect(() => call('time.weekday', 1582977600 * SEC * 1000)).toThrow('timestamp too big');
    expect(() => call('time.date', [0, 'Mars/Olympus'])).toThrow('unknown time zone');
  });

  it('adds dates with Go normalisation and range checks', () => {
    expect(call('time.add_date', 1585852421593912000, 3, 9, 12)).toBe(1705257221593912000);
    // Jan 31 + 1 month = Mar 3 (2021 is not a leap year), as Go's AddDate normalises
    expect(call('time.add_date', Date.UTC(2021, 0, 31) * 1e6, 0, 1, 0)).toBe(Date.UTC(2021, 2, 3) * 1e6);
    expect(() => call('time.add_date', 0, 2262, 1, 1)).toThrow('time outside of valid range');
  });

  it('computes differences like OPA (leap years, zones)', () => {
    const day = (s: string) => call('time.parse_ns', '2006-01-02', s);
    expect(call('time.diff', day('2020-02-02'), day('2020-03-01'))).toEqual([0, 0, 28, 0, 0, 0]);
    expect(call('time.diff', day('2021-02-02'), day('2021-03-01'))).toEqual([0, 0, 27, 0, 0, 0]);
    expect(call('time.diff', day('2004-02-29'), day('2005-03-01'))).toEqual([1, 0, 1, 0, 0, 0]);
    const now = Number(PINNED);
    expect(call('time.diff', now + 61 * SEC, now)).toEqual([0, 0, 0, 0, 1, 1]);
    expect(call('time.diff', [now + 60 * SEC, 'UTC'], [now, 'Asia/Shanghai'])).toEqual([0, 0, 0, 0, 1, 0]);
  });
});

describe('time.format', () => {
  // 1670006453141828864 is exactly representable as a double (the SDK passes numbers as JS numbers)
  const t = 1670006453141828864;
  it('formats RFC 3339 with nanoseconds by default, in zones and Go layouts', () => {
    expect(call('time.format', t)).toBe('2022-12-02T18:40:53.141828864Z');
    expect(call('time.format', [t, 'Asia/Kolkata'])).toBe('2022-12-03T00:10:53.141828864+05:30');
    expect(call('time.format', [t, 'Asia/Kolkata', 'Mon Jan 02 15:04:05 -0700 2006'])).toBe('Sat Dec 03 00:10:53 +0530 2022');
    expect(call('time.format', [t, 'Asia/Kolkata', 'RFC1123Z'])).toBe('Sat, 03 Dec 2022 00:10:53 +0530');
    expect(call('time.format', [0, 'UTC', '3:04PM .000 Monday 002'])).toBe('12:00AM .000 Thursday 001');
  });
  it('rejects timestamps beyond int64', () => {
    expect(() => call('time.format', 1582977600 * 10e12)).toThrow('timestamp too big');
  });
});

describe('time.now_ns', () => {
  it('reads the pinned clock and answers the same within one evaluation', () => {
    expect(call('time.now_ns')).toBe(Number(PINNED));
    expect(call('time.now_ns')).toBe(call('time.now_ns'));
  });
  it('is refused without a pinned clock unless nondeterminism is allowed', () => {
    expect(() => createHostBuiltins({})['time.now_ns']!()).toThrow(
      'eval_builtin_error: time.now_ns: not allowed in governed evaluation (nondeterministic)',
    );
    const now = hostResultValue(createHostBuiltins({ allowNondeterministic: true })['time.now_ns']!()) as number;
    expect(Math.abs(now / 1e6 - Date.now())).toBeLessThan(60_000);
  });
});
