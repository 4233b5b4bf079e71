// Numbers: exact integers (i64, and arbitrary size as decimal text), floats (f64) that keep the
// literal text they were written with, parsing, OPA/Go formatting and arithmetic.
import { alloc } from "./alloc";
import { bufByte, bufBytes, bufI64, bufAscii } from "./buf";
import { dtoa_buffered } from "util/number";
import {
  N_BIG, N_FLOAT, N_INT, T_NUM, newInt, newNumRaw, numFloat, numInt, numKind, numText, numTextLen, tag,
} from "./value";

const POW10: usize = memory.data<f64>([
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
  1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
]);

// @ts-ignore: decorator
@inline function isDigit(c: u32): bool { return c - 0x30 < 10; }

function pow10f(e: i32): f64 {
  if (e >= 0 && e <= 22) return load<f64>(POW10 + (<usize>e << 3));
  return Math.pow(10, <f64>e);
}

/** Decimal digits (ASCII) times 10^exp as f64; exact for the common short cases. */
export function digitsToF64(p: usize, n: usize, exp: i32): f64 {
  let m: u64 = 0;
  let used: usize = 0;
  for (; used < n && used < 19; used++) m = m * 10 + <u64>(load<u8>(p + used) - 0x30);
  exp += <i32>(n - used);
  if (m == 0) return 0;
  const f = <f64>m;
  if (m < (<u64>1 << 53)) {
    if (exp >= 0 && exp <= 22) return f * pow10f(exp);
    if (exp < 0 && exp >= -22) return f / pow10f(-exp);
  }
  if (exp < -300) return f * pow10f(exp + 300) / 1e300;
  return exp < 0 ? f / pow10f(-exp) : f * pow10f(exp);
}

/**
 * Parses a JSON number at p[0..n). Returns the value or 0 if the text is not exactly a number.
 * Integral values (also `1.0`, `1e3`) become integers; the original text is kept when it is not
 * the canonical integer spelling, so values round-trip through JSON unchanged.
 */
export function parseNumber(p: usize, n: usize): usize {
  let i: usize = 0;
  let neg = false;
  if (i < n && load<u8>(p) == 0x2d) { neg = true; i++; }
  const intStart = i;
  while (i < n && isDigit(load<u8>(p + i))) i++;
  const intEnd = i;
  if (intEnd == intStart) return 0;
  if (intEnd - intStart > 1 && load<u8>(p + intStart) == 0x30) return 0; // leading zero
  let fracStart = i, fracEnd = i;
  if (i < n && load<u8>(p + i) == 0x2e) {
    i++;
    fracStart = i;
    while (i < n && isDigit(load<u8>(p + i))) i++;
    fracEnd = i;
    if (fracEnd == fracStart) return 0;
  }
  let exp: i32 = 0;
  let hasExp = false;
  if (i < n && (load<u8>(p + i) | 0x20) == 0x65) {
    hasExp = true;
    i++;
    let eneg = false;
    if (i < n && (load<u8>(p + i) == 0x2b || load<u8>(p + i) == 0x2d)) { eneg = load<u8>(p + i) == 0x2d; i++; }
    const es = i;
    while (i < n && isDigit(load<u8>(p + i))) {
      if (exp < 100000) exp = exp * 10 + <i32>(load<u8>(p + i) - 0x30);
      i++;
    }
    if (i == es) return 0;
    if (eneg) exp = -exp;
  }
  if (i != n) return 0;
  // Fast path: a plain integer of at most 18 digits.
  if (fracEnd == fracStart && !hasExp && intEnd - intStart <= 18) {
    let x: i64 = 0;
    for (let j = intStart; j < intEnd; j++) x = x * 10 + <i64>(load<u8>(p + j) - 0x30);
    if (neg && x == 0) return newNumRaw(N_INT, p, n, 0); // "-0" keeps its text
    return newInt(neg ? -x : x);
  }
  // Significant digits: integer digits then fraction digits, value = digits * 10^(exp - fracLen).
  const fracLen = <i32>(fracEnd - fracStart);
  let scaleExp = exp - fracLen;
  // Collect all digits contiguously, without leading zeros.
  const total = (intEnd - intStart) + (fracEnd - fracStart);
  const digits = alloc(total + 1);
  let d: usize = 0;
  for (let j = intStart; j < intEnd; j++) {
    const c = load<u8>(p + j);
    if (d == 0 && c == 0x30) continue;
    store<u8>(digits + d++, c);
  }
  for (let j = fracStart; j < fracEnd; j++) {
    const c = load<u8>(p + j);
    if (d == 0 && c == 0x30) continue;
    store<u8>(digits + d++, c);
  }
  // Trailing zeros move into the exponent.
  while (d > 0 && load<u8>(digits + d - 1) == 0x30) { d--; scaleExp++; }
  if (d == 0) return newNumRaw(N_INT, p, n, 0);
  if (scaleExp >= 0 && <i32>d + scaleExp <= 400) {
    // Integral: digits followed by scaleExp zeros.
    const len = d + <usize>scaleExp;
    const q = alloc(len + 1);
    store<u8>(q, 0x2d);
    memory.copy(q + 1, digits, d);
    memory.fill(q + 1 + d, 0x30, <usize>scaleExp);
    const v = intFromDigits(neg ? q : q + 1, neg ? len + 1 : len);
    // Keep the literal's text for dumping when it differs from the canonical spelling (a big
    // integer's text is its canonical digits, which it needs for arithmetic).
    if (numKind(v) == N_INT) return newNumRaw(N_INT, p, n, numInt(v));
    return v;
  }
  const f = digitsToF64(digits, d, scaleExp);
  return newNumRaw(N_FLOAT, p, n, reinterpret<i64>(neg ? -f : f));
}

/** An integer from canonical decimal text ("-?[1-9][0-9]*" or "0"): i64 when it fits, else big. */
export function intFromDigits(p: usize, n: usize): usize {
  const neg = load<u8>(p) == 0x2d;
  const ds = neg ? p + 1 : p;
  const dn = neg ? n - 1 : n;
  if (dn <= 18 || (dn == 19 && fitsI64(ds, neg))) {
    let x: u64 = 0;
    for (let j: usize = 0; j < dn; j++) x = x * 10 + <u64>(load<u8>(ds + j) - 0x30);
    return newInt(neg ? <i64>(0 - x) : <i64>x);
  }
  return newNumRaw(N_BIG, p, n, reinterpret<i64>((neg ? -1 : 1) * digitsToF64(ds, dn, 0)));
}

function fitsI64(ds: usize, neg: bool): bool {
  // 9223372036854775807 / 9223372036854775808
  const lim = "9223372036854775808";
  for (let j = 0; j < 19; j++) {
    const c = <u32>load<u8>(ds + j);
    const l = <u32>lim.charCodeAt(j);
    if (c != l) return c < l || false;
  }
  return neg; // equal to 2^63: only -2^63 fits
}

/** A number from an f64: integral values become integers. NaN/Inf give 0 (undefined). */
export function numFromF64(f: f64): usize {
  if (!isFinite(f)) return 0;
  if (f == Math.floor(f)) {
    if (f >= -9.223372036854775808e18 && f < 9.223372036854775808e18) return newInt(<i64>f);
    return bigFromIntegralF64(f);
  }
  return newNumRaw(N_FLOAT, 0, 0, reinterpret<i64>(f));
}

function bigFromIntegralF64(f: f64): usize {
  const neg = f < 0;
  if (neg) f = -f;
  // f = m * 2^e with m < 2^53.
  const bits = reinterpret<u64>(f);
  const e = <i32>((bits >> 52) & 0x7ff) - 1075;
  const m = (bits & 0xfffffffffffff) | 0x10000000000000;
  const b = bufDigitsU64(m);
  let p = b, n = digitsLen(b);
  for (let i = 0; i < e; i++) {
    const r = magMulSmall(p, n, 2);
    p = r; n = magLen;
  }
  return bigFromMag(neg, p, n);
}

// ---------------------------------------------------------------- magnitudes (decimal digit text)
// Results of the mag* functions are returned as a pointer, their length in `magLen`.
export let magLen: usize = 0;

function bufDigitsU64(x: u64): usize {
  const p = alloc(21);
  let n: usize = 0;
  let y = x;
  do { store<u8>(p + n, <u8>(0x30 + <u32>(y % 10))); y /= 10; n++; } while (y != 0);
  for (let i: usize = 0, j = n - 1; i < j; i++, j--) {
    const t = load<u8>(p + i); store<u8>(p + i, load<u8>(p + j)); store<u8>(p + j, t);
  }
  store<u8>(p + n, 0);
  return p;
}

function digitsLen(p: usize): usize {
  let n: usize = 0;
  while (load<u8>(p + n) != 0) n++;
  return n;
}

function magCompare(a: usize, an: usize, b: usize, bn: usize): i32 {
  if (an != bn) return an < bn ? -1 : 1;
  const c = memory.compare(a, b, an);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

function magTrim(p: usize, n: usize): usize {
  let s: usize = 0;
  while (s + 1 < n && load<u8>(p + s) == 0x30) s++;
  magLen = n - s;
  return p + s;
}

function magAdd(a: usize, an: usize, b: usize, bn: usize): usize {
  const n = (an > bn ? an : bn) + 1;
  const r = alloc(n);
  let carry: u32 = 0;
  for (let i: usize = 0; i < n; i++) {
    let s = carry;
    if (i < an) s += <u32>load<u8>(a + an - 1 - i) - 0x30;
    if (i < bn) s += <u32>load<u8>(b + bn - 1 - i) - 0x30;
    carry = s >= 10 ? 1 : 0;
    store<u8>(r + n - 1 - i, <u8>(0x30 + s - carry * 10));
  }
  return magTrim(r, n);
}

// a >= b
function magSub(a: usize, an: usize, b: usize, bn: usize): usize {
  const r = alloc(an);
  let borrow: i32 = 0;
  for (let i: usize = 0; i < an; i++) {
    let s = <i32>load<u8>(a + an - 1 - i) - 0x30 - borrow;
    if (i < bn) s -= <i32>load<u8>(b + bn - 1 - i) - 0x30;
    borrow = s < 0 ? 1 : 0;
    store<u8>(r + an - 1 - i, <u8>(0x30 + s + borrow * 10));
  }
  return magTrim(r, an);
}

function magMulSmall(a: usize, an: usize, k: u32): usize {
  const n = an + 10;
  const r = alloc(n);
  let carry: u64 = 0;
  for (let i: usize = 0; i < n; i++) {
    let s = carry;
    if (i < an) s += <u64>(load<u8>(a + an - 1 - i) - 0x30) * k;
    store<u8>(r + n - 1 - i, <u8>(0x30 + <u32>(s % 10)));
    carry = s / 10;
  }
  return magTrim(r, n);
}

function magMul(a: usize, an: usize, b: usize, bn: usize): usize {
  const n = an + bn;
  const acc = alloc(n << 2);
  memory.fill(acc, 0, n << 2);
  for (let i: usize = 0; i < an; i++) {
    const x = <u32>load<u8>(a + an - 1 - i) - 0x30;
    if (x == 0) continue;
    for (let j: usize = 0; j < bn; j++) {
      const q = acc + ((i + j) << 2);
      store<u32>(q, load<u32>(q) + x * (<u32>load<u8>(b + bn - 1 - j) - 0x30));
    }
    // Normalise every so often so u32 accumulators never overflow.
    if ((i & 63) == 63) carryAcc(acc, n);
  }
  carryAcc(acc, n);
  const r = alloc(n);
  for (let i: usize = 0; i < n; i++) store<u8>(r + n - 1 - i, <u8>(0x30 + load<u32>(acc + (i << 2))));
  return magTrim(r, n);
}

function carryAcc(acc: usize, n: usize): void {
  let carry: u32 = 0;
  for (let i: usize = 0; i < n; i++) {
    const s = load<u32>(acc + (i << 2)) + carry;
    store<u32>(acc + (i << 2), s % 10);
    carry = s / 10;
  }
}

// Long division; returns the quotient, the remainder in remPtr/remLen.
let remPtr: usize = 0;
let remLen: usize = 0;
function magDivMod(a: usize, an: usize, b: usize, bn: usize): usize {
  const q = alloc(an + 1);
  let r = alloc(1); store<u8>(r, 0x30);
  let rn: usize = 1;
  for (let i: usize = 0; i < an; i++) {
    // r = r * 10 + digit
    const t = alloc(rn + 1);
    memory.copy(t, r, rn);
    store<u8>(t + rn, load<u8>(a + i));
    r = magTrim(t, rn + 1); rn = magLen;
    let d: u8 = 0;
    while (magCompare(r, rn, b, bn) >= 0) {
      r = magSub(r, rn, b, bn); rn = magLen;
      d++;
    }
    store<u8>(q + i, 0x30 + d);
  }
  remPtr = r; remLen = rn;
  return magTrim(q, an);
}

// ---------------------------------------------------------------- signed integer views
// Any integer number value as (sign, magnitude digits).
let iNeg = false;
let iMag: usize = 0;
let iLen: usize = 0;
function intParts(v: usize): void {
  if (numKind(v) == N_INT) {
    const x = numInt(v);
    iNeg = x < 0;
    const m: u64 = x < 0 ? <u64>(-(x + 1)) + 1 : <u64>x;
    iMag = bufDigitsU64(m);
    iLen = digitsLen(iMag);
  } else {
    const p = numText(v), n = numTextLen(v);
    iNeg = load<u8>(p) == 0x2d;
    iMag = iNeg ? p + 1 : p;
    iLen = iNeg ? n - 1 : n;
  }
}

function bigFromMag(neg: bool, p: usize, n: usize): usize {
  if (n == 1 && load<u8>(p) == 0x30) return newInt(0);
  if (!neg) return intFromDigits(p, n);
  const q = alloc(n + 1);
  store<u8>(q, 0x2d);
  memory.copy(q + 1, p, n);
  return intFromDigits(q, n + 1);
}

function bigAddSigned(an: bool, a: usize, al: usize, bn: bool, b: usize, bl: usize): usize {
  if (an == bn) {
    const r = magAdd(a, al, b, bl);
    return bigFromMag(an, r, magLen);
  }
  const c = magCompare(a, al, b, bl);
  if (c == 0) return newInt(0);
  if (c > 0) { const r = magSub(a, al, b, bl); return bigFromMag(an, r, magLen); }
  const r = magSub(b, bl, a, al);
  return bigFromMag(bn, r, magLen);
}

// ---------------------------------------------------------------- arithmetic
export function isNum(v: usize): bool { return v != 0 && tag(v) == T_NUM; }

export function numAdd(a: usize, b: usize, negateB: bool): usize {
  const ka = numKind(a), kb = numKind(b);
  if (ka == N_INT && kb == N_INT) {
    const x = numInt(a);
    const y = numInt(b);
    if (!negateB) {
      const r = x + y;
      if (((x ^ r) & (y ^ r)) >= 0) return newInt(r);
    } else {
      const r = x - y;
      if (((x ^ y) & (x ^ r)) >= 0) return newInt(r);
    }
  }
  if (ka == N_FLOAT || kb == N_FLOAT) {
    const exact = decimalOp(a, b, negateB ? OP_SUB : OP_ADD);
    if (exact != 0) return exact;
    const x = numF64(a), y = numF64(b);
    return numFromF64(negateB ? x - y : x + y);
  }
  intParts(a);
  const an = iNeg, ap = iMag, al = iLen;
  intParts(b);
  return bigAddSigned(an, ap, al, negateB ? !iNeg : iNeg, iMag, iLen);
}

function mulOverflows(x: i64, y: i64): bool {
  if (x == 0 || y == 0) return false;
  if ((x >= -0x80000000 && x <= 0x7fffffff) && (y >= -0x80000000 && y <= 0x7fffffff)) return false;
  if (x == -1) return y == i64.MIN_VALUE;
  if (y == -1) return x == i64.MIN_VALUE;
  const r = x * y;
  return r / y != x;
}

export function numMul(a: usize, b: usize): usize {
  const ka = numKind(a), kb = numKind(b);
  if (ka == N_INT && kb == N_INT) {
    const x = numInt(a), y = numInt(b);
    if (!mulOverflows(x, y)) return newInt(x * y);
  }
  if (ka == N_FLOAT || kb == N_FLOAT) {
    const exact = decimalOp(a, b, OP_MUL);
    if (exact != 0) return exact;
    return numFromF64(numF64(a) * numF64(b));
  }
  intParts(a);
  const an = iNeg, ap = iMag, al = iLen;
  intParts(b);
  const r = magMul(ap, al, iMag, iLen);
  return bigFromMag(an != iNeg, r, magLen);
}

export function isZero(v: usize): bool {
  const k = numKind(v);
  if (k == N_INT) return numInt(v) == 0;
  if (k == N_FLOAT) return numFloat(v) == 0;
  return false;
}

/** a / b; the caller checks b != 0. Exact for integers that divide, else a float. */
export function numDiv(a: usize, b: usize): usize {
  const ka = numKind(a), kb = numKind(b);
  if (ka == N_INT && kb == N_INT) {
    const x = numInt(a), y = numInt(b);
    if (!(x == i64.MIN_VALUE && y == -1) && x % y == 0) return newInt(x / y);
  }
  const exact = decimalDiv(a, b);
  if (exact != 0) return exact;
  return numFromF64(numF64(a) / numF64(b));
}

/** a % b for integers (sign of the dividend, like Go); 0 when either is not integral. */
export function numRem(a: usize, b: usize): usize {
  const ka = numKind(a), kb = numKind(b);
  if (ka == N_FLOAT || kb == N_FLOAT) return 0;
  if (ka == N_INT && kb == N_INT) {
    const x = numInt(a), y = numInt(b);
    if (y == -1) return newInt(0);
    return newInt(x % y);
  }
  intParts(a);
  const an = iNeg, ap = iMag, al = iLen;
  intParts(b);
  magDivMod(ap, al, iMag, iLen);
  return bigFromMag(an, remPtr, remLen);
}

export function numNeg(a: usize): usize {
  const k = numKind(a);
  if (k == N_INT && numInt(a) != i64.MIN_VALUE) return newInt(-numInt(a));
  if (k == N_FLOAT) {
    const tp = numText(a), tn = numTextLen(a);
    if (tp == 0) return numFromF64(-numFloat(a));
    // Keep the exact literal: toggle its sign.
    const neg = load<u8>(tp) == 0x2d;
    if (neg) return newNumRaw(N_FLOAT, tp + 1, tn - 1, reinterpret<i64>(-numFloat(a)));
    const t = alloc(tn + 1);
    store<u8>(t, 0x2d);
    memory.copy(t + 1, tp, tn);
    return newNumRaw(N_FLOAT, t, tn + 1, reinterpret<i64>(-numFloat(a)));
  }
  intParts(a);
  return bigFromMag(!iNeg, iMag, iLen);
}

export function numIsNegative(a: usize): bool {
  const k = numKind(a);
  if (k == N_INT) return numInt(a) < 0;
  if (k == N_FLOAT) return numFloat(a) < 0;
  return load<u8>(numText(a)) == 0x2d;
}

export function numAbs(a: usize): usize {
  return numIsNegative(a) ? numNeg(a) : canonical(a);
}

/** The number without its literal text (results of arithmetic print canonically, like OPA). */
export function canonical(a: usize): usize {
  if (numText(a) == 0 || numKind(a) != N_INT) return a;
  return newInt(numInt(a));
}

/** mode 0 round (half away from zero), 1 ceil, 2 floor. Integers are returned as they are. */
export function numRound(a: usize, mode: i32): usize {
  if (numKind(a) != N_FLOAT) return canonical(a);
  const f = numFloat(a);
  let r: f64;
  if (mode == 1) r = Math.ceil(f);
  else if (mode == 2) r = Math.floor(f);
  else r = f < 0 ? -Math.floor(-f + 0.5) : Math.floor(f + 0.5);
  return numFromF64(r);
}

/** The number as i64 if it is an integer that fits; sets `intOk`. */
export let intOk = false;
export function numToI64(v: usize): i64 {
  intOk = numKind(v) == N_INT;
  return intOk ? numInt(v) : 0;
}

// ---------------------------------------------------------------- formatting
// Scratch for dtoa (UTF-16) and the digits of a float.
const DTOA_BUF: usize = memory.data(128);
const DIGITS: usize = memory.data(32);
let digitCount: i32 = 0;
let digitPoint: i32 = 0; // value = 0.DIGITS * 10^digitPoint

/** Shortest round-trip digits of a finite non-zero |f| into DIGITS / digitCount / digitPoint. */
function shortestDigits(f: f64): void {
  const n = <i32>dtoa_buffered(DTOA_BUF, f < 0 ? -f : f);
  let nd: i32 = 0;
  let point: i32 = -1;
  let exp: i32 = 0;
  let i: i32 = 0;
  let leading = true;
  let zerosBefore: i32 = 0; // leading zeros after the point, e.g. 0.00025
  for (; i < n; i++) {
    const c = <u32>load<u16>(DTOA_BUF + (<usize>i << 1));
    if (c == 0x2e) { point = nd; continue; }
    if (c == 0x65) break;
    if (leading && c == 0x30) { if (point >= 0) zerosBefore++; continue; }
    leading = false;
    store<u8>(DIGITS + <usize>nd, <u8>c);
    nd++;
  }
  if (i < n) {
    i++;
    let eneg = false;
    let c = <u32>load<u16>(DTOA_BUF + (<usize>i << 1));
    if (c == 0x2b || c == 0x2d) { eneg = c == 0x2d; i++; }
    for (; i < n; i++) exp = exp * 10 + <i32>(<u32>load<u16>(DTOA_BUF + (<usize>i << 1)) - 0x30);
    if (eneg) exp = -exp;
  }
  if (point < 0) point = nd;
  // Strip trailing zeros ("2.0", "100").
  let dp = point - zerosBefore + exp;
  while (nd > 1 && load<u8>(DIGITS + <usize>(nd - 1)) == 0x30) nd--;
  digitCount = nd;
  digitPoint = dp;
  // Grisu2 always round-trips but its long outputs are not always the closest digits (Go prints
  // 0.1 + 0.2 in f64 as 0.30000000000000004, Grisu2 as ...07): redo long ones exactly.
  if (nd >= 16) closestDigits(f < 0 ? -f : f, nd);
}

/** The n-digit decimal closest to f (> 0), from f's exact expansion, into DIGITS. */
function closestDigits(f: f64, n: i32): void {
  const bits = reinterpret<u64>(f);
  const be = <i32>((bits >> 52) & 0x7ff);
  let m = bits & 0xfffffffffffff;
  let e: i32;
  if (be == 0) e = -1074; else { m |= 0x10000000000000; e = be - 1075; }
  let p = bufDigitsU64(m);
  let len = digitsLen(p);
  let exp10: i32 = 0;
  if (e >= 0) { p = magMulPow(p, len, 2, e); len = magLen; }
  else { p = magMulPow(p, len, 5, -e); len = magLen; exp10 = e; }
  let point = <i32>len + exp10;
  if (<i32>len <= n) {
    memory.copy(DIGITS, p, len);
    n = <i32>len;
  } else {
    memory.copy(DIGITS, p, <usize>n);
    const next = load<u8>(p + <usize>n);
    let up = next > 0x35;
    if (next == 0x35) {
      let rest = false;
      for (let k = <usize>n + 1; k < len; k++) if (load<u8>(p + k) != 0x30) { rest = true; break; }
      up = rest || ((load<u8>(p + <usize>n - 1) - 0x30) & 1) == 1;
    }
    if (up) {
      let k = n - 1;
      while (k >= 0 && load<u8>(DIGITS + <usize>k) == 0x39) { store<u8>(DIGITS + <usize>k, 0x30); k--; }
      if (k >= 0) store<u8>(DIGITS + <usize>k, load<u8>(DIGITS + <usize>k) + 1);
      else { store<u8>(DIGITS, 0x31); memory.fill(DIGITS + 1, 0x30, <usize>(n - 1)); point++; }
    }
  }
  while (n > 1 && load<u8>(DIGITS + <usize>(n - 1)) == 0x30) n--;
  // Grisu2 may also miss a shorter form: drop digits while the closest shorter decimal still lies
  // strictly inside f's rounding interval (bounds included for an even mantissa, like Go).
  const even = (m & 1) == 0;
  const lowerHalf = m == 0x10000000000000 && be > 1; // the gap below a power of two is half as wide
  const loM: u64 = lowerHalf ? 4 * m - 1 : 2 * m - 1, loE: i32 = lowerHalf ? e - 2 : e - 1;
  const hiM: u64 = 2 * m + 1, hiE: i32 = e - 1;
  const cand = alloc(32);
  while (n > 1) {
    const k = n - 1;
    memory.copy(cand, p, <usize>k);
    let cpoint = point;
    const next = load<u8>(p + <usize>k);
    let up = next > 0x35;
    if (next == 0x35) {
      let rest = false;
      for (let j = <usize>k + 1; j < len; j++) if (load<u8>(p + j) != 0x30) { rest = true; break; }
      up = rest || ((load<u8>(p + <usize>k - 1) - 0x30) & 1) == 1;
    }
    if (up) {
      let j = k - 1;
      while (j >= 0 && load<u8>(cand + <usize>j) == 0x39) { store<u8>(cand + <usize>j, 0x30); j--; }
      if (j >= 0) store<u8>(cand + <usize>j, load<u8>(cand + <usize>j) + 1);
      else { store<u8>(cand, 0x31); memory.fill(cand + 1, 0x30, <usize>(k - 1)); cpoint++; }
    }
    const cexp = cpoint - k;
    const lo = compareBinToDecimal(loM, loE, cand, <usize>k, cexp);
    const hi = compareBinToDecimal(hiM, hiE, cand, <usize>k, cexp);
    if (!((lo < 0 || (lo == 0 && even)) && (hi > 0 || (hi == 0 && even)))) break;
    memory.copy(DIGITS, cand, <usize>k);
    n = k;
    point = cpoint;
    while (n > 1 && load<u8>(DIGITS + <usize>(n - 1)) == 0x30) n--;
  }
  digitCount = n;
  digitPoint = point;
}

/** Go's strconv 'g' with the shortest precision (the way OPA prints computed floats). */
export function writeF64(b: usize, f: f64): void {
  if (f == 0) { bufByte(b, 0x30); return; }
  if (!isFinite(f)) { bufAscii(b, isNaN(f) ? "NaN" : (f < 0 ? "-Inf" : "+Inf")); return; }
  if (f < 0) bufByte(b, 0x2d);
  shortestDigits(f);
  const exp = digitPoint - 1;
  if (exp < -4 || exp >= 6) {
    bufByte(b, load<u8>(DIGITS));
    if (digitCount > 1) { bufByte(b, 0x2e); bufBytes(b, DIGITS + 1, <usize>(digitCount - 1)); }
    bufByte(b, 0x65);
    bufByte(b, exp < 0 ? 0x2d : 0x2b);
    const e = exp < 0 ? -exp : exp;
    if (e < 10) bufByte(b, 0x30);
    bufI64(b, e);
    return;
  }
  if (digitPoint <= 0) {
    bufByte(b, 0x30); bufByte(b, 0x2e);
    for (let i = digitPoint; i < 0; i++) bufByte(b, 0x30);
    bufBytes(b, DIGITS, <usize>digitCount);
    return;
  }
  if (digitPoint >= digitCount) {
    bufBytes(b, DIGITS, <usize>digitCount);
    for (let i = digitCount; i < digitPoint; i++) bufByte(b, 0x30);
    return;
  }
  bufBytes(b, DIGITS, <usize>digitPoint);
  bufByte(b, 0x2e);
  bufBytes(b, DIGITS + <usize>digitPoint, <usize>(digitCount - digitPoint));
}

/** Writes a number as OPA prints it: its literal text when it has one, else canonical. */
export function writeNumber(b: usize, v: usize): void {
  const tp = numText(v);
  if (tp != 0) { bufBytes(b, tp, numTextLen(v)); return; }
  const k = numKind(v);
  if (k == N_INT) bufI64(b, numInt(v));
  else writeF64(b, numFloat(v));
}

/** Writes a number in canonical form (ignores the literal text): integers exactly. */
export function writeNumberCanonical(b: usize, v: usize): void {
  const k = numKind(v);
  if (k == N_INT) bufI64(b, numInt(v));
  else if (k == N_BIG) {
    intParts(v);
    if (iNeg) bufByte(b, 0x2d);
    bufBytes(b, iMag, iLen);
  } else writeF64(b, numFloat(v));
}

export function numF64(v: usize): f64 {
  return numKind(v) == N_INT ? <f64>numInt(v) : numFloat(v);
}

// ---------------------------------------------------------------- exact decimal arithmetic
// OPA computes with 64-bit-mantissa big floats, so 0.1 + 0.2 is 0.3 there. Sums, differences and
// products of decimals are computed exactly here (digits * 10^exp), which gives the same text
// whenever the exact result has at most 19 significant digits; beyond that f64 arithmetic is used.
const OP_ADD: i32 = 0, OP_SUB: i32 = 1, OP_MUL: i32 = 2;
let dNeg = false;
let dMag: usize = 0;
let dLen: usize = 0;
let dExp: i32 = 0;

/** Decimal parts of any number into dNeg/dMag/dLen/dExp (magnitude without leading zeros). */
function decParts(v: usize): void {
  const k = numKind(v);
  if (k != N_FLOAT) {
    intParts(v);
    dNeg = iNeg; dMag = iMag; dLen = iLen; dExp = 0;
    return;
  }
  const tp = numText(v);
  if (tp == 0) {
    const f = numFloat(v);
    dNeg = f < 0;
    shortestDigits(f);
    const m = alloc(<usize>digitCount);
    memory.copy(m, DIGITS, <usize>digitCount);
    dMag = m; dLen = <usize>digitCount; dExp = digitPoint - digitCount;
    return;
  }
  const n = numTextLen(v);
  const m = alloc(n);
  let i: usize = 0, len: usize = 0;
  let frac: i32 = 0, inFrac = false;
  dNeg = false;
  if (load<u8>(tp) == 0x2d) { dNeg = true; i = 1; }
  for (; i < n; i++) {
    const c = load<u8>(tp + i);
    if (c == 0x2e) { inFrac = true; continue; }
    if ((c | 0x20) == 0x65) break;
    if (inFrac) frac++;
    if (len == 0 && c == 0x30) continue;
    store<u8>(m + len++, c);
  }
  let e: i32 = 0;
  if (i < n) {
    i++;
    let eneg = false;
    if (load<u8>(tp + i) == 0x2d) { eneg = true; i++; } else if (load<u8>(tp + i) == 0x2b) i++;
    for (; i < n; i++) if (e < 100000) e = e * 10 + <i32>(load<u8>(tp + i) - 0x30);
    if (eneg) e = -e;
  }
  if (len == 0) { store<u8>(m, 0x30); len = 1; }
  dMag = m; dLen = len; dExp = e - frac;
}

function shiftZeros(p: usize, n: usize, z: i32): usize {
  const r = alloc(n + <usize>z);
  memory.copy(r, p, n);
  memory.fill(r + n, 0x30, <usize>z);
  return r;
}

function decimalOp(a: usize, b: usize, op: i32): usize {
  decParts(a);
  const an = dNeg, ap = dMag, al = dLen, ae = dExp;
  decParts(b);
  let bn = dNeg, bp = dMag, bl = dLen, be = dExp;
  let neg: bool, mag: usize, len: usize, exp: i32;
  if (op == OP_MUL) {
    mag = magMul(ap, al, bp, bl); len = magLen;
    neg = an != bn; exp = ae + be;
  } else {
    if (op == OP_SUB) bn = !bn;
    let xp = ap, xl = al, yp = bp, yl = bl;
    exp = ae < be ? ae : be;
    const dx = ae - exp, dy = be - exp;
    if (dx > 60 || dy > 60) return 0;
    // (magTrim: a zero operand "0" shifted to "000" must compare as the shortest magnitude.)
    if (dx > 0) { xp = magTrim(shiftZeros(ap, al, dx), al + <usize>dx); xl = magLen; }
    if (dy > 0) { yp = magTrim(shiftZeros(bp, bl, dy), bl + <usize>dy); yl = magLen; }
    if (an == bn) { mag = magAdd(xp, xl, yp, yl); len = magLen; neg = an; }
    else {
      const c = magCompare(xp, xl, yp, yl);
      if (c == 0) return newInt(0);
      if (c > 0) { mag = magSub(xp, xl, yp, yl); neg = an; }
      else { mag = magSub(yp, yl, xp, xl); neg = bn; }
      len = magLen;
    }
  }
  return decimalResult(neg, mag, len, exp);
}

/**
 * a / b in decimal: exact when the quotient terminates, else rounded to 20 significant digits
 * (OPA's 64-bit-mantissa quotient prints with 19-20 digits).
 */
function decimalDiv(a: usize, b: usize): usize {
  decParts(a);
  const an = dNeg, ap = dMag, al = dLen, ae = dExp;
  decParts(b);
  const bn = dNeg, bp = dMag, bl = dLen, be = dExp;
  if (al + bl > 200) return 0;
  let s: i32 = 22 + <i32>bl - <i32>al;
  if (s < 0) s = 0;
  const num = s > 0 ? shiftZeros(ap, al, s) : ap;
  let q = magDivMod(num, al + <usize>s, bp, bl);
  let ql = magLen;
  const exp = ae - be - s;
  if (remLen == 1 && load<u8>(remPtr) == 0x30) return decimalResultMax(an != bn, q, ql, exp, 20);
  // Round to 20 digits, half to even; the non-zero remainder breaks ties upwards.
  const drop = <i32>ql - 20;
  if (drop > 0) {
    const next = load<u8>(q + 20);
    let up = next > 0x35;
    if (next == 0x35) up = true;
    const r = alloc(21);
    store<u8>(r, 0x30);
    memory.copy(r + 1, q, 20);
    if (up) {
      let k: i32 = 20;
      while (k >= 0) {
        const c = load<u8>(r + <usize>k);
        if (c == 0x39) { store<u8>(r + <usize>k, 0x30); k--; } else { store<u8>(r + <usize>k, c + 1); break; }
      }
    }
    q = magTrim(r, 21); ql = magLen;
    return decimalResultMax(an != bn, q, ql, exp + drop, 20);
  }
  return decimalResultMax(an != bn, q, ql, exp, 20);
}

function decimalResult(neg: bool, mag: usize, len: usize, exp: i32): usize {
  return decimalResultMax(neg, mag, len, exp, 19);
}

function decimalResultMax(neg: bool, mag: usize, len: usize, exp: i32, maxDigits: usize): usize {
  while (len > 1 && load<u8>(mag + len - 1) == 0x30) { len--; exp++; }
  if (len == 1 && load<u8>(mag) == 0x30) return newInt(0);
  if (exp >= 0) {
    if (exp > 400) return 0;
    const z = shiftZeros(mag, len, exp);
    return bigFromMag(neg, z, len + <usize>exp);
  }
  if (len > maxDigits) return 0;
  // Text the way Go prints a shortest big.Float with %g.
  const x = <i32>len + exp - 1; // decimal exponent of the first digit
  const t = alloc(len + 32);
  let o: usize = 0;
  if (neg) store<u8>(t + o++, 0x2d);
  if (x < -4 || x >= 6) {
    store<u8>(t + o++, load<u8>(mag));
    if (len > 1) { store<u8>(t + o++, 0x2e); memory.copy(t + o, mag + 1, len - 1); o += len - 1; }
    store<u8>(t + o++, 0x65);
    store<u8>(t + o++, x < 0 ? 0x2d : 0x2b);
    const ax = x < 0 ? -x : x;
    if (ax < 10) store<u8>(t + o++, 0x30);
    if (ax >= 100) store<u8>(t + o++, <u8>(0x30 + ax / 100));
    if (ax >= 10) store<u8>(t + o++, <u8>(0x30 + (ax / 10) % 10));
    store<u8>(t + o++, <u8>(0x30 + ax % 10));
  } else if (x < 0) {
    store<u8>(t + o++, 0x30); store<u8>(t + o++, 0x2e);
    for (let k = x + 1; k < 0; k++) store<u8>(t + o++, 0x30);
    memory.copy(t + o, mag, len); o += len;
  } else {
    const ip = <usize>(x + 1);
    memory.copy(t + o, mag, ip); o += ip;
    store<u8>(t + o++, 0x2e);
    memory.copy(t + o, mag + ip, len - ip); o += len - ip;
  }
  const f = digitsToF64(mag, len, exp);
  return newNumRaw(N_FLOAT, t, o, reinterpret<i64>(neg ? -f : f));
}

function magMulPow(p: usize, n: usize, base: u32, times: i32): usize {
  // Multiplies by base^times in chunks that keep magMulSmall's factor below 2^31.
  const chunk: i32 = base == 2 ? 30 : (base == 5 ? 13 : 9);
  let r = p;
  magLen = n;
  while (times > 0) {
    const k = times > chunk ? chunk : times;
    let f: u32 = 1;
    for (let i = 0; i < k; i++) f *= base;
    r = magMulSmall(r, magLen, f);
    times -= k;
  }
  return r;
}

/** Sign of (f - digits * 10^exp10) computed exactly, for a finite f > 0. */
export function compareF64ToDecimal(f: f64, digits: usize, n: usize, exp10: i32): i32 {
  const bits = reinterpret<u64>(f);
  const be = <i32>((bits >> 52) & 0x7ff);
  let m = bits & 0xfffffffffffff;
  let e: i32;
  if (be == 0) e = -1074; else { m |= 0x10000000000000; e = be - 1075; }
  return compareBinToDecimal(m, e, digits, n, exp10);
}

/** Sign of (m * 2^e - digits * 10^exp10), exactly. */
function compareBinToDecimal(m: u64, e: i32, digits: usize, n: usize, exp10: i32): i32 {
  let l = bufDigitsU64(m), ln = digitsLen(l);
  let r = magTrim(digits, n), rn = magLen;
  if (e >= 0) { l = magMulPow(l, ln, 2, e); ln = magLen; } else { r = magMulPow(r, rn, 2, -e); rn = magLen; }
  if (exp10 >= 0) { r = magMulPow(r, rn, 10, exp10); rn = magLen; } else { l = magMulPow(l, ln, 10, -exp10); ln = magLen; }
  return magCompare(l, ln, r, rn);
}

/** Exact order of two numbers through their decimal digits. */
export function decCompare(a: usize, b: usize): i32 {
  decParts(a);
  const an = dNeg, ap = dMag, al = dLen, ae = dExp;
  decParts(b);
  const bn = dNeg, bp = dMag, bl = dLen, be = dExp;
  const aZero = al == 1 && load<u8>(ap) == 0x30, bZero = bl == 1 && load<u8>(bp) == 0x30;
  const sa: i32 = aZero ? 0 : (an ? -1 : 1), sb: i32 = bZero ? 0 : (bn ? -1 : 1);
  if (sa != sb) return sa < sb ? -1 : 1;
  if (sa == 0) return 0;
  // Same sign: the position of the first digit decides, then the digits (missing ones are 0).
  const ma = <i64>al + <i64>ae, mb = <i64>bl + <i64>be;
  let c: i32 = 0;
  if (ma != mb) c = ma < mb ? -1 : 1;
  else {
    const n = al < bl ? al : bl;
    const d = memory.compare(ap, bp, n);
    if (d != 0) c = d < 0 ? -1 : 1;
    else {
      for (let i = n; i < al; i++) if (load<u8>(ap + i) != 0x30) { c = 1; break; }
      for (let i = n; i < bl; i++) if (load<u8>(bp + i) != 0x30) { c = -1; break; }
    }
  }
  return sa > 0 ? c : -c;
}
