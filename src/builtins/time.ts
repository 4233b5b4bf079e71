// time.*: nanosecond timestamps (int64 range, as OPA), Go layouts for parse/format, IANA zones
// through Intl. time.now_ns reads the evaluation's clock (the pinned clock when govern pins one).
import { type BuiltinContext, type BuiltinFamily, type RawNumber, exactInteger, fail, int, num, str, typeFail, typeName } from './common.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const NS_PER_MS = 1_000_000n;

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** A moment: ns since the epoch, in a zone. */
interface Moment {
  ns: bigint;
  zone: string;
}

/** A timestamp in ns: a number, or a bigint when the policy's integer was beyond ±2^53 (exact). */
function toNs(value: number | bigint): bigint {
  if (typeof value === 'number' && !Number.isFinite(value)) fail('timestamp too big');
  const ns = typeof value === 'bigint' ? value : BigInt(Math.trunc(value));
  if (ns < INT64_MIN || ns > INT64_MAX) fail('timestamp too big');
  return ns;
}

function checkRange(ns: bigint): number | RawNumber {
  if (ns < INT64_MIN || ns > INT64_MAX) fail('time outside of valid range');
  return exactInteger(ns);
}

function validateZone(zone: string): string {
  if (zone === '' || zone === 'UTC' || zone === 'Local') return 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    fail(`unknown time zone ${zone}`);
  }
  return zone;
}

/** `ns` or `[ns, zone]` operands. */
function momentOperand(value: unknown, position = 1): Moment {
  if (typeof value === 'number' || typeof value === 'bigint') return { ns: toNs(value), zone: 'UTC' };
  if (Array.isArray(value)) {
    if (value.length !== 2 && value.length !== 3) typeFail(`operand ${position} must be array of two elements but got array of ${value.length} elements`);
    const ns = timestamp(value[0], position);
    const zone = value[1];
    if (typeof zone !== 'string') typeFail(`operand ${position} must be string but got ${typeName(zone)}`);
    return { ns: toNs(ns), zone: validateZone(zone as string) };
  }
  typeFail(`operand ${position} must be one of {number, array} but got ${typeName(value)}`);
}

function timestamp(value: unknown, position: number): number | bigint {
  return typeof value === 'bigint' ? value : num(value, position);
}

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's UTC offset in seconds at the given instant. */
function zoneOffset(zone: string, ms: number): number {
  if (zone === 'UTC') return 0;
  let f = offsetFormatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    offsetFormatters.set(zone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  let year = Number(parts.year);
  if (parts.era === 'BC' || parts.era === 'B') year = 1 - year;
  const asUtc = utcMs(year, Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 1000);
}

function zoneAbbreviation(zone: string, ms: number, offset: number): string {
  if (zone === 'UTC') return 'UTC';
  const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'short' }).formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value;
  if (name && !/^GMT[+-]/.test(name)) return name;
  // Go prints numeric abbreviations like "+03" when the zone has no name
  const sign = offset < 0 ? '-' : '+';
  const a = Math.abs(offset);
  const h = String(Math.floor(a / 3600)).padStart(2, '0');
  const m = Math.floor((a % 3600) / 60);
  return m ? `${sign}${h}${String(m).padStart(2, '0')}` : `${sign}${h}`;
}

/** Date.UTC without its 0–99 → 1900s year mapping (400 years later has the same calendar). */
function utcMs(year: number, month: number, day: number, h = 0, mi = 0, s = 0, ms = 0): number {
  if (year >= 0 && year <= 99) return Date.UTC(year + 400, month, day, h, mi, s, ms) - 12622780800000;
  return Date.UTC(year, month, day, h, mi, s, ms);
}

interface Fields {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  nanos: number;
  weekday: number;
  yearDay: number;
  offset: number; // seconds east of UTC
}

function fields(m: Moment): Fields {
  const floorMs = m.ns >= 0n ? m.ns / NS_PER_MS : -((-m.ns + NS_PER_MS - 1n) / NS_PER_MS);
  const ms = Number(floorMs);
  const nanosOfSecond = Number(((m.ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n);
  const offset = zoneOffset(m.zone, ms);
  const d = new Date(ms + offset * 1000);
  const startOfYear = utcMs(d.getUTCFullYear(), 0, 1);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    nanos: nanosOfSecond,
    weekday: d.getUTCDay(),
    yearDay: Math.floor((utcMs(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - startOfYear) / 86_400_000) + 1,
    offset,
  };
}

// --- Go layouts --------------------------------------------------------------------------------

type Chunk = { literal: string } | { std: string; digits?: number; fracChar?: string };

const STD_PREFIXES = [
  'January', 'Jan', 'Monday', 'Mon', 'MST',
  '2006', '002', '01', '02', '03', '04', '05', '06', '15',
  '__2', '_2',
  'Z07:00:00', 'Z070000', 'Z07:00', 'Z0700', 'Z07',
  '-07:00:00', '-070000', '-07:00', '-0700', '-07',
  'PM', 'pm',
  '1', '2', '3', '4', '5',
];

const chunkCache = new Map<string, Chunk[]>();

function layoutChunks(layout: string): Chunk[] {
  let cached = chunkCache.get(layout);
  if (!cached) {
    cached = splitLayout(layout);
    if (chunkCache.size > 256) chunkCache.clear();
    chunkCache.set(layout, cached);
  }
  return cached;
}

function splitLayout(layout: string): Chunk[] {
  const chunks: Chunk[] = [];
  let literal = '';
  let i = 0;
  const push = (c: Chunk) => {
    if (literal) chunks.push({ literal });
    literal = '';
    chunks.push(c);
  };
  while (i < layout.length) {
    const c = layout[i]!;
    if ((c === '.' || c === ',') && (layout[i + 1] === '0' || layout[i + 1] === '9')) {
      const ch = layout[i + 1]!;
      let j = i + 1;
      while (layout[j] === ch) j++;
      if (!/[0-9]/.test(layout[j] ?? '')) {
        push({ std: ch === '0' ? 'frac0' : 'frac9', digits: j - i - 1, fracChar: c });
        i = j;
        continue;
      }
    }
    const std = STD_PREFIXES.find((p) => layout.startsWith(p, i));
    if (std && !(std === '2006' && false)) {
      // "Mon" inside "Monday" etc. are handled by list order; "_2006" is "_" then "2006"
      if (std === '_2' && layout.startsWith('_2006', i)) {
        literal += '_';
        i += 1;
        continue;
      }
      push({ std });
      i += std.length;
      continue;
    }
    literal += c;
    i++;
  }
  if (literal) chunks.push({ literal });
  return chunks;
}

function pad(n: number, width: number, char = '0'): string {
  const s = String(Math.abs(n));
  return (n < 0 ? '-' : '') + s.padStart(width, char);
}

function formatOffset(offset: number, std: string): string {
  if (std.startsWith('Z') && offset === 0) return 'Z';
  const sign = offset < 0 ? '-' : '+';
  const a = Math.abs(offset);
  const h = pad(Math.floor(a / 3600), 2);
  const m = pad(Math.floor((a % 3600) / 60), 2);
  const s = pad(a % 60, 2);
  const body = std.slice(1);
  switch (body) {
    case '07':
      return `${sign}${h}`;
    case '0700':
      return `${sign}${h}${m}`;
    case '07:00':
      return `${sign}${h}:${m}`;
    case '070000':
      return `${sign}${h}${m}${s}`;
    default:
      return `${sign}${h}:${m}:${s}`;
  }
}

function formatTime(m: Moment, layout: string): string {
  const f = fields(m);
  const ms = Number(m.ns / NS_PER_MS);
  let out = '';
  for (const chunk of layoutChunks(layout)) {
    if ('literal' in chunk) {
      out += chunk.literal;
      continue;
    }
    switch (chunk.std) {
      case 'January': out += MONTHS[f.month - 1]; break;
      case 'Jan': out += MONTHS[f.month - 1]!.slice(0, 3); break;
      case 'Monday': out += DAYS[f.weekday]; break;
      case 'Mon': out += DAYS[f.weekday]!.slice(0, 3); break;
      case 'MST': out += zoneAbbreviation(m.zone, ms, f.offset); break;
      case '2006': out += pad(f.year, 4); break;
      case '06': out += pad(((f.year % 100) + 100) % 100, 2); break;
      case '01': out += pad(f.month, 2); break;
      case '1': out += String(f.month); break;
      case '02': out += pad(f.day, 2); break;
      case '_2': out += pad(f.day, 2, ' '); break;
      case '2': out += String(f.day); break;
      case '002': out += pad(f.yearDay, 3); break;
      case '__2': out += pad(f.yearDay, 3, ' '); break;
      case '15': out += pad(f.hour, 2); break;
      case '3': out += String(f.hour % 12 === 0 ? 12 : f.hour % 12); break;
      case '03': out += pad(f.hour % 12 === 0 ? 12 : f.hour % 12, 2); break;
      case '04': out += pad(f.minute, 2); break;
      case '4': out += String(f.minute); break;
      case '05': out += pad(f.second, 2); break;
      case '5': out += String(f.second); break;
      case 'PM': out += f.hour >= 12 ? 'PM' : 'AM'; break;
      case 'pm': out += f.hour >= 12 ? 'pm' : 'am'; break;
      case 'frac0':
        out += chunk.fracChar + String(f.nanos).padStart(9, '0').slice(0, chunk.digits);
        break;
      case 'frac9': {
        const digits = String(f.nanos).padStart(9, '0').slice(0, chunk.digits).replace(/0+$/, '');
        if (digits) out += chunk.fracChar + digits;
        break;
      }
      default:
        out += formatOffset(f.offset, chunk.std);
    }
  }
  return out;
}

/** Go's time.Parse for a layout (zone names other than UTC/GMT are taken as UTC, as Go does). */
function parseTime(layout: string, value: string): bigint {
  let rest = value;
  let year = 1;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let nanos = 0;
  let pm: boolean | undefined;
  let offset: number | undefined;
  let yearDay = -1;
  const bad = (what = ''): never => fail(`parsing time ${JSON.stringify(value)} as ${JSON.stringify(layout)}: cannot parse ${JSON.stringify(rest)} as ${JSON.stringify(what)}`);
  const takeDigits = (min: number, max: number, what: string): number => {
    let n = 0;
    while (n < max && n < rest.length && rest.charCodeAt(n) >= 48 && rest.charCodeAt(n) <= 57) n++;
    if (n < min) bad(what);
    const digits = rest.slice(0, n);
    rest = rest.slice(n);
    return Number(digits);
  };
  const takeName = (names: string[], what: string): number => {
    const i = names.findIndex((n) => rest.toLowerCase().startsWith(n.toLowerCase()));
    if (i < 0) bad(what);
    rest = rest.slice(names[i]!.length);
    return i;
  };
  const chunks = layoutChunks(layout);
  for (let ci = 0; ci < chunks.length; ci++) {
    const chunk = chunks[ci]!;
    if ('literal' in chunk) {
      if (!rest.startsWith(chunk.literal)) bad(chunk.literal);
      rest = rest.slice(chunk.literal.length);
      continue;
    }
    const std = chunk.std;
    switch (std) {
      case 'January': month = takeName(MONTHS, std) + 1; break;
      case 'Jan': month = takeName(MONTHS.map((x) => x.slice(0, 3)), std) + 1; break;
      case 'Monday': takeName(DAYS, std); break;
      case 'Mon': takeName(DAYS.map((x) => x.slice(0, 3)), std); break;
      case 'MST': {
        const m = /^[A-Z]{3,5}|^[+-]\d{2,4}/.exec(rest);
        if (!m) bad(std);
        rest = rest.slice(m![0].length);
        if (m![0] === 'UTC' || m![0] === 'GMT') offset = 0;
        break;
      }
      case '2006': {
        const m = /^\d{4}/.exec(rest);
        if (!m) bad(std);
        year = Number(m![0]);
        rest = rest.slice(4);
        break;
      }
      case '06': {
        const y = takeDigits(2, 2, std);
        year = y >= 69 ? 1900 + y : 2000 + y;
        break;
      }
      case '01': month = takeDigits(2, 2, std); break;
      case '1': month = takeDigits(1, 2, std); break;
      case '02': day = takeDigits(2, 2, std); break;
      case '_2':
        if (rest.startsWith(' ')) rest = rest.slice(1);
        day = takeDigits(1, 2, std);
        break;
      case '2': day = takeDigits(1, 2, std); break;
      case '002': yearDay = takeDigits(3, 3, std); break;
      case '__2':
        rest = rest.replace(/^ {1,2}/, '');
        yearDay = takeDigits(1, 3, std);
        break;
      case '15': hour = takeDigits(1, 2, std); break;
      case '3': case '03': hour = takeDigits(std === '3' ? 1 : 2, 2, std); break;
      case '04': case '4': minute = takeDigits(std === '4' ? 1 : 2, 2, std); break;
      case '05': case '5': {
        second = takeDigits(std === '5' ? 1 : 2, 2, std);
        // Go accepts a fractional second after seconds even when the layout has none
        const next = chunks[ci + 1];
        if (!(next && 'std' in next && next.std.startsWith('frac'))) {
          const m = /^[.,](\d+)/.exec(rest);
          if (m) {
            nanos = Number(m[1]!.slice(0, 9).padEnd(9, '0'));
            rest = rest.slice(m[0].length);
          }
        }
        break;
      }
      case 'PM': case 'pm': {
        const m = /^(AM|PM|am|pm)/.exec(rest);
        if (!m) bad(std);
        pm = m![0].toUpperCase() === 'PM';
        rest = rest.slice(2);
        break;
      }
      case 'frac0': case 'frac9': {
        const m = std === 'frac0' ? new RegExp(`^[.,](\\d{${chunk.digits}})`).exec(rest) : /^[.,](\d+)/.exec(rest);
        if (!m) {
          if (std === 'frac9') break;
          bad(std);
        }
        nanos = Number(m![1]!.slice(0, 9).padEnd(9, '0'));
        rest = rest.slice(m![0].length);
        break;
      }
      default: {
        // numeric zone offsets
        if (std.startsWith('Z') && rest.startsWith('Z')) {
          rest = rest.slice(1);
          offset = 0;
          break;
        }
        const patterns: Record<string, RegExp> = {
          '07': /^([+-])(\d{2})/,
          '0700': /^([+-])(\d{2})(\d{2})/,
          '07:00': /^([+-])(\d{2}):(\d{2})/,
          '070000': /^([+-])(\d{2})(\d{2})(\d{2})/,
          '07:00:00': /^([+-])(\d{2}):(\d{2}):(\d{2})/,
        };
        const m = patterns[std.slice(1)]!.exec(rest);
        if (!m) bad(std);
        const secs = Number(m![2]) * 3600 + Number(m![3] ?? 0) * 60 + Number(m![4] ?? 0);
        offset = m![1] === '-' ? -secs : secs;
        rest = rest.slice(m![0].length);
      }
    }
  }
  if (rest !== '') fail(`parsing time ${JSON.stringify(value)}: extra text: ${JSON.stringify(rest)}`);
  if (pm !== undefined) {
    if (hour > 12) fail(`parsing time ${JSON.stringify(value)}: hour out of range`);
    if (pm && hour < 12) hour += 12;
    if (!pm && hour === 12) hour = 0;
  }
  if (month < 1 || month > 12) fail(`parsing time ${JSON.stringify(value)}: month out of range`);
  if (yearDay >= 0) {
    const d = new Date(utcMs(year, 0, yearDay));
    month = d.getUTCMonth() + 1;
    day = d.getUTCDate();
  }
  const daysIn = new Date(utcMs(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysIn) fail(`parsing time ${JSON.stringify(value)}: day out of range`);
  if (hour > 23 || minute > 59 || second > 59) fail(`parsing time ${JSON.stringify(value)}: ${hour > 23 ? 'hour' : minute > 59 ? 'minute' : 'second'} out of range`);
  const ms = utcMs(year, month - 1, day, hour, minute, second);
  return BigInt(ms) * NS_PER_MS - BigInt((offset ?? 0) * 1000) * NS_PER_MS + BigInt(nanos);
}

const RFC3339 = '2006-01-02T15:04:05Z07:00';
const RFC3339_NANO = '2006-01-02T15:04:05.999999999Z07:00';

const LAYOUT_NAMES: Record<string, string> = {
  ANSIC: 'Mon Jan _2 15:04:05 2006',
  UnixDate: 'Mon Jan _2 15:04:05 MST 2006',
  RubyDate: 'Mon Jan 02 15:04:05 -0700 2006',
  RFC822: '02 Jan 06 15:04 MST',
  RFC822Z: '02 Jan 06 15:04 -0700',
  RFC850: 'Monday, 02-Jan-06 15:04:05 MST',
  RFC1123: 'Mon, 02 Jan 2006 15:04:05 MST',
  RFC1123Z: 'Mon, 02 Jan 2006 15:04:05 -0700',
  RFC3339,
  RFC3339Nano: RFC3339_NANO,
  Kitchen: '3:04PM',
  Stamp: 'Jan _2 15:04:05',
  StampMilli: 'Jan _2 15:04:05.000',
  StampMicro: 'Jan _2 15:04:05.000000',
  StampNano: 'Jan _2 15:04:05.000000000',
  DateTime: '2006-01-02 15:04:05',
  DateOnly: '2006-01-02',
  TimeOnly: '15:04:05',
};

function parseRfc3339(value: string): bigint {
  // RFC 3339 requires a full zone; Go also accepts "-00:00"
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(value)) {
    fail(`parsing time ${JSON.stringify(value)} as ${JSON.stringify(RFC3339)}: cannot parse ${JSON.stringify(value)} as ${JSON.stringify(RFC3339)}`);
  }
  return parseTime(RFC3339, value.replace(/t/, 'T').replace(/z$/, 'Z'));
}

// --- durations -----------------------------------------------------------------------------------

const DURATION_UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  µs: 1000n,
  μs: 1000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** Go's time.ParseDuration. */
function parseDuration(s: string): number | RawNumber {
  const invalid = (): never => fail(`time: invalid duration ${JSON.stringify(s)}`);
  let rest = s;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest[0] === '-';
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') invalid();
  let total = 0n;
  while (rest !== '') {
    const m = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/.exec(rest);
    if (!m) {
      if (/^[\d.]+$/.test(rest)) fail(`time: missing unit in duration ${JSON.stringify(s)}`);
      if (/^[\d.]+/.test(rest)) fail(`time: unknown unit ${JSON.stringify(rest.replace(/^[\d.]+/, '').replace(/[\d.].*$/, ''))} in duration ${JSON.stringify(s)}`);
      invalid();
    }
    if (m![1] === '' && (m![2] ?? '') === '') invalid();
    const unit = DURATION_UNITS[m![3]!]!;
    const whole = BigInt(m![1] || '0') * unit;
    const fracDigits = m![2] ?? '';
    const frac = fracDigits ? (BigInt(fracDigits) * unit) / 10n ** BigInt(fracDigits.length) : 0n;
    total += whole + frac;
    rest = rest.slice(m![0].length);
  }
  if (total > INT64_MAX) fail(`time: invalid duration ${JSON.stringify(s)}`);
  return exactInteger(negative ? -total : total);
}

// --- builtins ------------------------------------------------------------------------------------

function addDate(ns: bigint, years: number, months: number, days: number): number | RawNumber {
  const ms = Number(ns >= 0n ? ns / NS_PER_MS : -((-ns + NS_PER_MS - 1n) / NS_PER_MS));
  const subMs = ns - BigInt(ms) * NS_PER_MS;
  const d = new Date(ms);
  const shifted = utcMs(
    d.getUTCFullYear() + years,
    d.getUTCMonth() + months,
    d.getUTCDate() + days,
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    d.getUTCMilliseconds(),
  );
  return checkRange(BigInt(shifted) * NS_PER_MS + subMs);
}

function diff(a: Moment, b: Moment): number[] {
  let t1 = a;
  let t2 = { ns: b.ns, zone: a.zone };
  if (t1.ns > t2.ns) [t1, t2] = [t2, t1];
  const f1 = fields(t1);
  const f2 = fields(t2);
  let year = f2.year - f1.year;
  let month = f2.month - f1.month;
  let day = f2.day - f1.day;
  let hour = f2.hour - f1.hour;
  let min = f2.minute - f1.minute;
  let sec = f2.second - f1.second;
  if (sec < 0) {
    sec += 60;
    min--;
  }
  if (min < 0) {
    min += 60;
    hour--;
  }
  if (hour < 0) {
    hour += 24;
    day--;
  }
  if (day < 0) {
    // days in t1's month
    day += new Date(utcMs(f1.year, f1.month, 0)).getUTCDate();
    month--;
  }
  if (month < 0) {
    month += 12;
    year--;
  }
  return [year, month, day, hour, min, sec];
}

/** The evaluation's clock: constant within an evaluation, so every call answers the same. */
function nowNs(ctx: BuiltinContext): number | RawNumber {
  return exactInteger(ctx.now());
}

export const timeBuiltins: BuiltinFamily = {
  'time.now_ns': (ctx) => nowNs(ctx),
  'time.parse_ns': (_ctx, layout, value) => {
    const l = str(layout, 1);
    return checkRange(parseTime(LAYOUT_NAMES[l] ?? l, str(value, 2)));
  },
  'time.parse_rfc3339_ns': (_ctx, value) => checkRange(parseRfc3339(str(value, 1))),
  'time.parse_duration_ns': (_ctx, value) => parseDuration(str(value, 1)),
  'time.date': (_ctx, x) => {
    const f = fields(momentOperand(x));
    return [f.year, f.month, f.day];
  },
  'time.clock': (_ctx, x) => {
    const f = fields(momentOperand(x));
    return [f.hour, f.minute, f.second];
  },
  'time.weekday': (_ctx, x) => DAYS[fields(momentOperand(x)).weekday],
  'time.add_date': (_ctx, ns, years, months, days) => addDate(toNs(timestamp(ns, 1)), int(years, 2), int(months, 3), int(days, 4)),
  'time.diff': (_ctx, a, b) => diff(momentOperand(a, 1), momentOperand(b, 2)),
  'time.format': (_ctx, x) => {
    const m = momentOperand(x);
    const layout = Array.isArray(x) && x.length === 3 ? str(x[2], 1) : RFC3339_NANO;
    return formatTime(m, LAYOUT_NAMES[layout] ?? layout);
  },
};
