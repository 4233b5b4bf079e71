// net.cidr_*: IPv4 and IPv6 addresses as BigInt, Go's parsing and printing rules
// (IPv4-mapped IPv6 prints as IPv4, IPv6 in RFC 5952 short form).
import { type BuiltinFamily, type Json, fail, isMarkedSet, isObject, str, toSet, typeFail, typeName } from './common.js';

interface Address {
  value: bigint;
  bits: 32 | 128;
}

interface Cidr {
  /** network address (host bits cleared) */
  network: bigint;
  /** the address as written (host bits kept) */
  address: bigint;
  prefix: number;
  bits: 32 | 128;
}

function parseIPv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255 || (p.length > 1 && p.startsWith('0'))) return undefined;
    v = (v << 8n) | BigInt(p);
  }
  return v;
}

function parseIPv6(s: string): bigint | undefined {
  let text = s;
  let tail: bigint[] = [];
  // trailing embedded IPv4
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const x = parseIPv4(v4[1]!);
    if (x === undefined) return undefined;
    tail = [x >> 16n, x & 0xffffn];
    text = text.slice(0, -v4[1]!.length);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
    else if (!text.endsWith('::')) return undefined;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const group = (g: string) => (g === '' ? [] : g.split(':'));
  const head = group(halves[0]!);
  const rest = halves.length === 2 ? group(halves[1]!) : [];
  const all = [...head, ...rest];
  if (all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const count = all.length + tail.length;
  if (halves.length === 1 ? count !== 8 : count > 7) return undefined;
  const groups = [
    ...head.map((g) => BigInt(`0x${g}`)),
    ...Array(8 - count).fill(0n),
    ...rest.map((g) => BigInt(`0x${g}`)),
    ...tail,
  ];
  if (halves.length === 1 && groups.length !== 8) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

export function parseIP(s: string): Address | undefined {
  if (s.includes(':')) {
    const v = parseIPv6(s);
    return v === undefined ? undefined : { value: v, bits: 128 };
  }
  const v = parseIPv4(s);
  return v === undefined ? undefined : { value: v, bits: 32 };
}

function mask(bits: number, prefix: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return all ^ ((1n << BigInt(bits - prefix)) - 1n);
}

export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIP(s.slice(0, slash));
  const prefixText = s.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > ip.bits) return undefined;
  return { network: ip.value & mask(ip.bits, prefix), address: ip.value, prefix, bits: ip.bits };
}

function cidrOrFail(s: string): Cidr {
  const c = parseCidr(s);
  if (!c) fail(`invalid CIDR address: ${s}`);
  return c;
}

function lastAddress(c: Cidr): bigint {
  return c.network | ((1n << BigInt(c.bits - c.prefix)) - 1n);
}

export function formatIP(value: bigint, bits: number): string {
  if (bits === 32) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.');
  // IPv4-mapped addresses print as IPv4, as Go does
  if (value >> 32n === 0xffffn) return formatIP(value & 0xffffffffn, 32);
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  // longest run of zero groups (at least two) becomes ::
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

function contains(outer: Cidr, inner: { start: bigint; end: bigint; bits: number }): boolean {
  if (outer.bits !== inner.bits) return false;
  return inner.start >= outer.network && inner.end <= lastAddress(outer);
}

/** A CIDR or a single IP, as a range. */
function rangeOf(s: string): { start: bigint; end: bigint; bits: number } {
  const ip = parseIP(s);
  if (ip) return { start: ip.value, end: ip.value, bits: ip.bits };
  const c = cidrOrFail(s);
  return { start: c.network, end: lastAddress(c), bits: c.bits };
}

function cidrContains(a: string, b: string): boolean {
  return contains(cidrOrFail(a), rangeOf(b));
}

function cidrIntersects(a: string, b: string): boolean {
  const x = cidrOrFail(a);
  const y = cidrOrFail(b);
  if (x.bits !== y.bits) return false;
  return x.network <= lastAddress(y) && y.network <= lastAddress(x);
}

const MAX_EXPAND = 1 << 20;

function cidrExpand(s: string): string[] {
  const c = cidrOrFail(s);
  const size = 1n << BigInt(c.bits - c.prefix);
  if (size > BigInt(MAX_EXPAND)) fail(`CIDR ${s} is too large to expand`);
  const out: string[] = [];
  for (let v = c.network; v <= lastAddress(c); v++) out.push(formatIP(v, c.bits));
  return toSet(out);
}

/** Minimal CIDR blocks covering [start, end]. */
function rangeToCidrs(start: bigint, end: bigint, bits: number): string[] {
  const out: string[] = [];
  let cur = start;
  while (cur <= end) {
    // the largest aligned block that starts at cur and stays inside the range
    let prefix = 0;
    while (prefix < bits) {
      const blockSize = 1n << BigInt(bits - prefix);
      if (cur % blockSize === 0n && cur + blockSize - 1n <= end) break;
      prefix++;
    }
    out.push(`${formatIP(cur, bits)}/${prefix}`);
    cur += 1n << BigInt(bits - prefix);
  }
  return out;
}

function cidrMerge(items: Json[]): string[] {
  const ranges: { start: bigint; end: bigint; bits: number }[] = [];
  for (const item of items) {
    if (typeof item !== 'string') typeFail(`operand 1 must be string but got ${typeName(item)}`);
    const s = item as string;
    if (s.includes('/')) {
      const c = parseCidr(s);
      if (!c) fail(`invalid CIDR address: ${s}`);
      ranges.push({ start: c.network, end: lastAddress(c), bits: c.bits });
    } else {
      const ip = parseIP(s);
      if (!ip) fail(`invalid IP address: ${s}`);
      if (ip.bits === 128) fail('IPv6 invalid: needs prefix length');
      ranges.push({ start: ip.value, end: ip.value, bits: 32 });
    }
  }
  const out: string[] = [];
  for (const bits of [32, 128]) {
    const list = ranges.filter((r) => r.bits === bits).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    let current: { start: bigint; end: bigint } | undefined;
    for (const r of list) {
      if (current && r.start <= current.end + 1n) {
        if (r.end > current.end) current.end = r.end;
      } else {
        if (current) out.push(...rangeToCidrs(current.start, current.end, bits));
        current = { start: r.start, end: r.end };
      }
    }
    if (current) out.push(...rangeToCidrs(current.start, current.end, bits));
  }
  return toSet(out);
}

/** Elements of a cidr_contains_matches operand with their keys: index, object key or itself. */
function matchOperand(value: unknown, position: number): { key: Json; cidr: string }[] {
  const element = (key: Json, v: unknown): { key: Json; cidr: string } => {
    if (typeof v === 'string') return { key, cidr: v };
    if (Array.isArray(v) && v.length > 0 && typeof v[0] === 'string') return { key, cidr: v[0] };
    fail(`operand ${position}: element must be string or non-empty array`);
  };
  if (typeof value === 'string') return [{ key: value, cidr: value }];
  // A set's elements are their own keys; an array's are its indexes.
  if (isMarkedSet(value)) return (value as Json[]).map((v) => element(v, v));
  if (Array.isArray(value)) return value.map((v, i) => element(i, v));
  if (isObject(value)) return Object.entries(value).map(([k, v]) => element(k, v));
  typeFail(`operand ${position} must be one of {string, array, set, object} but got ${typeName(value)}`);
}

function cidrContainsMatches(a: unknown, b: unknown): Json[][] {
  const outer = matchOperand(a, 1);
  const inner = matchOperand(b, 2);
  const out: Json[][] = [];
  for (const x of outer) {
    const c = cidrOrFail(x.cidr);
    for (const y of inner) if (contains(c, rangeOf(y.cidr))) out.push([x.key, y.key]);
  }
  return toSet(out);
}

export const netBuiltins: BuiltinFamily = {
  'net.cidr_contains': (_ctx, a, b) => cidrContains(str(a, 1), str(b, 2)),
  'net.cidr_overlap': (_ctx, a, b) => cidrContains(str(a, 1), str(b, 2)),
  'net.cidr_intersects': (_ctx, a, b) => cidrIntersects(str(a, 1), str(b, 2)),
  'net.cidr_is_valid': (_ctx, a) => typeof a === 'string' && parseCidr(a) !== undefined,
  'net.cidr_expand': (_ctx, a) => cidrExpand(str(a, 1)),
  'net.cidr_merge': (_ctx, a) => {
    if (!Array.isArray(a)) typeFail(`operand 1 must be one of {set, array} but got ${typeName(a)}`);
    return cidrMerge(a as Json[]);
  },
  'net.cidr_contains_matches': (_ctx, a, b) => cidrContainsMatches(a, b),
};
