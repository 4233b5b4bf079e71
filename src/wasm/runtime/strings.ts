// String builtins (UTF-8, rune-indexed like Go/OPA), sprintf with Go fmt semantics, and the
// string form used by template strings.
import { alloc } from "./alloc";
import { bufAscii, bufByte, bufBytes, bufNew, bufReserve, bufU64, bufI64 } from "./buf";
import { builtinError, intError, typeError, typeErrorBytes, typeErrorText, typeName } from "./errors";
import { utf8Encode, writeQuoted, writeRego } from "./json";
import { compareF64ToDecimal, intOk, numToI64, writeF64, writeNumberCanonical, isNum, numF64 } from "./numbers";
import {
  FALSE_V, TRUE_V, N_BIG, N_FLOAT, N_INT, T_ARR, T_NUM, T_OBJ, T_SET, T_STR, arrGet, arrLen, arrayPush,
  boolValue, newArray, newInt, newString, newStringCopy, numInt, numKind, numText, numTextLen, sortedView,
  strData, strLen, tag, tblCount, utf8Count,
} from "./value";

// @ts-ignore: decorator
@inline function isStr(v: usize): bool { return v != 0 && tag(v) == T_STR; }

function bufToString(b: usize): usize { return newString(load<u32>(b), load<u32>(b, 4)); }

// ---------------------------------------------------------------- UTF-8
let runeSize: usize = 1;
/** Decodes the rune at p (end e); invalid bytes decode as U+FFFD of size 1. */
function decodeRune(p: usize, e: usize): u32 {
  const c = <u32>load<u8>(p);
  runeSize = 1;
  if (c < 0x80) return c;
  if (c >= 0xc2 && c < 0xe0 && p + 1 < e) {
    const c1 = <u32>load<u8>(p + 1);
    if ((c1 & 0xc0) == 0x80) { runeSize = 2; return ((c & 0x1f) << 6) | (c1 & 0x3f); }
  } else if (c >= 0xe0 && c < 0xf0 && p + 2 < e) {
    const c1 = <u32>load<u8>(p + 1), c2 = <u32>load<u8>(p + 2);
    if ((c1 & 0xc0) == 0x80 && (c2 & 0xc0) == 0x80) {
      const r = ((c & 0x0f) << 12) | ((c1 & 0x3f) << 6) | (c2 & 0x3f);
      if (r >= 0x800 && (r < 0xd800 || r > 0xdfff)) { runeSize = 3; return r; }
    }
  } else if (c >= 0xf0 && c < 0xf5 && p + 3 < e) {
    const c1 = <u32>load<u8>(p + 1), c2 = <u32>load<u8>(p + 2), c3 = <u32>load<u8>(p + 3);
    if ((c1 & 0xc0) == 0x80 && (c2 & 0xc0) == 0x80 && (c3 & 0xc0) == 0x80) {
      const r = ((c & 0x07) << 18) | ((c1 & 0x3f) << 12) | ((c2 & 0x3f) << 6) | (c3 & 0x3f);
      if (r >= 0x10000 && r <= 0x10ffff) { runeSize = 4; return r; }
    }
  }
  return 0xfffd;
}

function bufRune(b: usize, cp: u32): void {
  const p = bufReserve(b, 4);
  const n = utf8Encode(p, cp);
  store<u32>(b, load<u32>(b, 4) + n, 4);
}

/** Byte offset of rune index `i` (or the end). */
function runeOffset(p: usize, n: usize, i: i64): usize {
  let off: usize = 0;
  let k: i64 = 0;
  while (off < n && k < i) { decodeRune(p + off, p + n); off += runeSize; k++; }
  return off;
}

function findBytes(h: usize, hn: usize, from: usize, nd: usize, nn: usize): i32 {
  if (nn == 0) return <i32>from;
  if (nn > hn) return -1;
  const first = load<u8>(nd);
  for (let i = from; i + nn <= hn; i++) {
    if (load<u8>(h + i) == first && memory.compare(h + i, nd, nn) == 0) return <i32>i;
  }
  return -1;
}

// ---------------------------------------------------------------- simple predicates
export function rt_builtin_contains(s: usize, sub: usize): usize {
  if (!isStr(s)) return typeError("contains", 1, "string", s);
  if (!isStr(sub)) return typeError("contains", 2, "string", sub);
  return boolValue(findBytes(strData(s), strLen(s), 0, strData(sub), strLen(sub)) >= 0);
}

export function rt_builtin_startswith(s: usize, pre: usize): usize {
  if (!isStr(s)) return typeError("startswith", 1, "string", s);
  if (!isStr(pre)) return typeError("startswith", 2, "string", pre);
  const n = strLen(pre);
  return boolValue(n <= strLen(s) && memory.compare(strData(s), strData(pre), n) == 0);
}

export function rt_builtin_endswith(s: usize, suf: usize): usize {
  if (!isStr(s)) return typeError("endswith", 1, "string", s);
  if (!isStr(suf)) return typeError("endswith", 2, "string", suf);
  const n = strLen(suf), m = strLen(s);
  return boolValue(n <= m && memory.compare(strData(s) + m - n, strData(suf), n) == 0);
}

// strings.any_prefix_match / any_suffix_match: each side a string or an array/set of strings.
function stringsOf(name: string, operand: u32, v: usize): usize {
  const out = newArray(4);
  if (isStr(v)) { arrayPush(out, v); return out; }
  if (v != 0 && tag(v) == T_ARR) {
    const n = arrLen(v);
    for (let i: u32 = 0; i < n; i++) {
      const x = arrGet(v, i);
      if (!isStr(x)) return collectionTypeError(name, operand, "array", x);
      arrayPush(out, x);
    }
    return out;
  }
  if (v != 0 && tag(v) == T_SET) {
    const view = sortedView(v);
    const n = tblCount(v);
    for (let i: u32 = 0; i < n; i++) {
      const x = load<u32>(load<u32>(view + (<usize>i << 2)));
      if (!isStr(x)) return collectionTypeError(name, operand, "set", x);
      arrayPush(out, x);
    }
    return out;
  }
  return typeError(name, operand, "one of {string, set, array}", v);
}

// `operand 1 must be array of strings but got array containing number`
function collectionTypeError(name: string, operand: u32, kind: string, elem: usize): usize {
  const b = bufNew(96);
  bufAscii(b, "operand ");
  bufU64(b, operand);
  bufAscii(b, " must be ");
  bufAscii(b, kind);
  bufAscii(b, " of strings but got ");
  bufAscii(b, kind);
  bufAscii(b, " containing ");
  bufAscii(b, typeName(elem));
  return typeErrorBytes(name, load<u32>(b), load<u32>(b, 4));
}

function anyMatch(name: string, s: usize, p: usize, suffix: bool): usize {
  const ss = stringsOf(name, 1, s);
  if (ss == 0) return 0;
  const ps = stringsOf(name, 2, p);
  if (ps == 0) return 0;
  for (let i: u32 = 0; i < arrLen(ss); i++) {
    const x = arrGet(ss, i);
    for (let j: u32 = 0; j < arrLen(ps); j++) {
      const y = arrGet(ps, j);
      const n = strLen(y), m = strLen(x);
      if (n > m) continue;
      const at = suffix ? strData(x) + m - n : strData(x);
      if (memory.compare(at, strData(y), n) == 0) return TRUE_V;
    }
  }
  return FALSE_V;
}
export function rt_builtin_strings_any_prefix_match(s: usize, p: usize): usize {
  return anyMatch("strings.any_prefix_match", s, p, false);
}
export function rt_builtin_strings_any_suffix_match(s: usize, p: usize): usize {
  return anyMatch("strings.any_suffix_match", s, p, true);
}

// ---------------------------------------------------------------- building strings
export function rt_builtin_concat(delim: usize, coll: usize): usize {
  if (!isStr(delim)) return typeError("concat", 1, "string", delim);
  if (isStr(coll)) return typeError("concat", 2, "one of {set, array}", coll);
  const parts = stringsOf("concat", 2, coll);
  if (parts == 0) return 0;
  const b = bufNew(64);
  const n = arrLen(parts);
  for (let i: u32 = 0; i < n; i++) {
    if (i > 0) bufBytes(b, strData(delim), strLen(delim));
    const x = arrGet(parts, i);
    bufBytes(b, strData(x), strLen(x));
  }
  return bufToString(b);
}

function caseMap(cp: u32, upper: bool): u32 {
  if (upper) {
    if (cp >= 0x61 && cp <= 0x7a) return cp - 32;
    if (cp < 0x80) return cp;
    if ((cp >= 0xe0 && cp <= 0xfe && cp != 0xf7)) return cp - 32;
    if (cp == 0xff) return 0x178;
    if (cp >= 0x100 && cp <= 0x17f && cp != 0x131 && cp != 0x138 && cp != 0x149 && cp != 0x17f) {
      // Latin Extended-A alternates upper/lower in pairs (with an offset range in the middle).
      if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17e)) return (cp & 1) == 0 ? cp - 1 : cp;
      return (cp & 1) == 1 ? cp - 1 : cp;
    }
    if (cp >= 0x3b1 && cp <= 0x3c9 && cp != 0x3c2) return cp - 32;
    if (cp >= 0x430 && cp <= 0x44f) return cp - 32;
    if (cp >= 0x450 && cp <= 0x45f) return cp - 80;
    return cp;
  }
  if (cp >= 0x41 && cp <= 0x5a) return cp + 32;
  if (cp < 0x80) return cp;
  if (cp >= 0xc0 && cp <= 0xde && cp != 0xd7) return cp + 32;
  if (cp == 0x178) return 0xff;
  if (cp >= 0x100 && cp <= 0x17f && cp != 0x130 && cp != 0x138 && cp != 0x149 && cp != 0x17f) {
    if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17e)) return (cp & 1) == 1 ? cp + 1 : cp;
    return (cp & 1) == 0 ? cp + 1 : cp;
  }
  if (cp >= 0x391 && cp <= 0x3a9 && cp != 0x3a2) return cp + 32;
  if (cp >= 0x410 && cp <= 0x42f) return cp + 32;
  if (cp >= 0x400 && cp <= 0x40f) return cp + 80;
  return cp;
}

function mapCase(name: string, s: usize, upper: bool): usize {
  if (!isStr(s)) return typeError(name, 1, "string", s);
  const p = strData(s), n = strLen(s);
  const b = bufNew(n + 4);
  let i: usize = 0;
  while (i < n) {
    const c = load<u8>(p + i);
    if (c < 0x80) {
      let d = <u32>c;
      if (upper && d >= 0x61 && d <= 0x7a) d -= 32;
      else if (!upper && d >= 0x41 && d <= 0x5a) d += 32;
      bufByte(b, d);
      i++;
      continue;
    }
    const cp = decodeRune(p + i, p + n);
    if (cp == 0xfffd && runeSize == 1) bufByte(b, c); // keep invalid bytes as they are
    else bufRune(b, caseMap(cp, upper));
    i += runeSize;
  }
  return bufToString(b);
}
export function rt_builtin_lower(s: usize): usize { return mapCase("lower", s, false); }
export function rt_builtin_upper(s: usize): usize { return mapCase("upper", s, true); }

export function rt_builtin_split(s: usize, d: usize): usize {
  if (!isStr(s)) return typeError("split", 1, "string", s);
  if (!isStr(d)) return typeError("split", 2, "string", d);
  return splitImpl(s, d, -1);
}

function splitImpl(s: usize, d: usize, limit: i64): usize {
  const p = strData(s), n = strLen(s), dp = strData(d), dn = strLen(d);
  const out = newArray(4);
  if (dn == 0) {
    // Split into runes.
    let i: usize = 0;
    while (i < n) {
      if (limit > 0 && <i64>arrLen(out) == limit - 1) { arrayPush(out, newString(p + i, n - i)); return out; }
      decodeRune(p + i, p + n);
      arrayPush(out, newString(p + i, runeSize));
      i += runeSize;
    }
    return out;
  }
  let start: usize = 0;
  while (true) {
    if (limit > 0 && <i64>arrLen(out) == limit - 1) break;
    const at = findBytes(p, n, start, dp, dn);
    if (at < 0) break;
    arrayPush(out, newString(p + start, <usize>at - start));
    start = <usize>at + dn;
  }
  arrayPush(out, newString(p + start, n - start));
  return out;
}

function replaceImpl(s: usize, old: usize, nw: usize, limit: i64): usize {
  const p = strData(s), n = strLen(s), op = strData(old), on = strLen(old);
  const b = bufNew(n + 16);
  let done: i64 = 0;
  if (on == 0) {
    // Go: the replacement goes before every rune and at the end.
    let i: usize = 0;
    while (true) {
      if (limit < 0 || done < limit) { bufBytes(b, strData(nw), strLen(nw)); done++; }
      if (i >= n) break;
      decodeRune(p + i, p + n);
      bufBytes(b, p + i, runeSize);
      i += runeSize;
    }
    return bufToString(b);
  }
  let start: usize = 0;
  while (limit < 0 || done < limit) {
    const at = findBytes(p, n, start, op, on);
    if (at < 0) break;
    bufBytes(b, p + start, <usize>at - start);
    bufBytes(b, strData(nw), strLen(nw));
    start = <usize>at + on;
    done++;
  }
  bufBytes(b, p + start, n - start);
  return bufToString(b);
}

export function rt_builtin_replace(s: usize, old: usize, nw: usize): usize {
  if (!isStr(s)) return typeError("replace", 1, "string", s);
  if (!isStr(old)) return typeError("replace", 2, "string", old);
  if (!isStr(nw)) return typeError("replace", 3, "string", nw);
  return replaceImpl(s, old, nw, -1);
}

/**
 * strings.replace_n(patterns, s) like Go's strings.NewReplacer with the pairs in key order: at each
 * position the first matching key wins; an empty key matches everywhere, but not twice in a row.
 */
export function rt_builtin_strings_replace_n(pats: usize, s: usize): usize {
  if (pats == 0 || tag(pats) != T_OBJ) return typeError("strings.replace_n", 1, "object", pats);
  if (!isStr(s)) return typeError("strings.replace_n", 2, "string", s);
  const view = sortedView(pats);
  const k = tblCount(pats);
  for (let j: u32 = 0; j < k; j++) {
    const e = load<u32>(view + (<usize>j << 2));
    if (!isStr(load<u32>(e))) return typeErrorText("strings.replace_n", "operand 1 non-string key found in pattern object");
    if (!isStr(load<u32>(e, 4))) return typeErrorText("strings.replace_n", "operand 1 non-string value found in pattern object");
  }
  const p = strData(s), n = strLen(s);
  const b = bufNew(n + 16);
  let i: usize = 0;
  let prevEmpty = false;
  while (i <= n) {
    let matched = false;
    for (let j: u32 = 0; j < k; j++) {
      const e = load<u32>(view + (<usize>j << 2));
      const key = load<u32>(e);
      const kn = strLen(key);
      if (kn == 0 && prevEmpty) continue;
      if (i + kn > n) continue;
      if (kn == 0 || memory.compare(p + i, strData(key), kn) == 0) {
        const val = load<u32>(e, 4);
        bufBytes(b, strData(val), strLen(val));
        i += kn;
        prevEmpty = kn == 0;
        matched = true;
        break;
      }
    }
    if (matched) continue;
    prevEmpty = false;
    if (i == n) break;
    decodeRune(p + i, p + n);
    bufBytes(b, p + i, runeSize);
    i += runeSize;
  }
  return bufToString(b);
}

/** strings.split_n(s, delim, n): the first n parts (n > 0), the last -n parts (n < 0), none for 0. */
export function rt_builtin_strings_split_n(s: usize, d: usize, count: usize): usize {
  if (!isStr(s)) return typeError("strings.split_n", 1, "string", s);
  if (!isStr(d)) return typeError("strings.split_n", 2, "string", d);
  if (count == 0 || tag(count) != T_NUM) return typeError("strings.split_n", 3, "number", count);
  const c = numToI64(count);
  if (!intOk) return intError("strings.split_n", 3);
  const all = splitImpl(s, d, -1);
  const len = <i64>arrLen(all);
  let from: i64 = 0, to: i64 = len;
  if (c >= 0) to = c < len ? c : len;
  else from = -c < len ? len + c : 0;
  const out = newArray(<u32>(to - from));
  for (let i = from; i < to; i++) arrayPush(out, arrGet(all, <u32>i));
  return out;
}

// ---------------------------------------------------------------- trimming
function inCutset(cp: u32, cs: usize, cn: usize): bool {
  let i: usize = 0;
  while (i < cn) {
    const c = decodeRune(cs + i, cs + cn);
    if (c == cp) return true;
    i += runeSize;
  }
  return false;
}

function isSpace(cp: u32): bool {
  if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0d);
  return cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
    cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

// Trims runes from the left and/or right; cs == 0 means white space.
function trimImpl(s: usize, cs: usize, left: bool, right: bool): usize {
  const p = strData(s), n = strLen(s);
  const cp = cs != 0 ? strData(cs) : 0, cn = cs != 0 ? strLen(cs) : 0;
  let a: usize = 0, z = n;
  if (left) {
    while (a < z) {
      const c = decodeRune(p + a, p + z);
      if (cs != 0 ? !inCutset(c, cp, cn) : !isSpace(c)) break;
      a += runeSize;
    }
  }
  if (right) {
    while (z > a) {
      // Step back to the start of the last rune.
      let st = z - 1;
      while (st > a && (load<u8>(p + st) & 0xc0) == 0x80) st--;
      const c = decodeRune(p + st, p + z);
      if (cs != 0 ? !inCutset(c, cp, cn) : !isSpace(c)) break;
      z = st;
    }
  }
  return newString(p + a, z - a);
}

export function rt_builtin_trim(s: usize, c: usize): usize {
  if (!isStr(s)) return typeError("trim", 1, "string", s);
  if (!isStr(c)) return typeError("trim", 2, "string", c);
  return trimImpl(s, c, true, true);
}
export function rt_builtin_trim_left(s: usize, c: usize): usize {
  if (!isStr(s)) return typeError("trim_left", 1, "string", s);
  if (!isStr(c)) return typeError("trim_left", 2, "string", c);
  return trimImpl(s, c, true, false);
}
export function rt_builtin_trim_right(s: usize, c: usize): usize {
  if (!isStr(s)) return typeError("trim_right", 1, "string", s);
  if (!isStr(c)) return typeError("trim_right", 2, "string", c);
  return trimImpl(s, c, false, true);
}
export function rt_builtin_trim_space(s: usize): usize {
  if (!isStr(s)) return typeError("trim_space", 1, "string", s);
  return trimImpl(s, 0, true, true);
}
export function rt_builtin_trim_prefix(s: usize, pre: usize): usize {
  if (!isStr(s)) return typeError("trim_prefix", 1, "string", s);
  if (!isStr(pre)) return typeError("trim_prefix", 2, "string", pre);
  const n = strLen(pre), m = strLen(s);
  if (n <= m && memory.compare(strData(s), strData(pre), n) == 0) return newString(strData(s) + n, m - n);
  return s;
}
export function rt_builtin_trim_suffix(s: usize, suf: usize): usize {
  if (!isStr(s)) return typeError("trim_suffix", 1, "string", s);
  if (!isStr(suf)) return typeError("trim_suffix", 2, "string", suf);
  const n = strLen(suf), m = strLen(s);
  if (n <= m && memory.compare(strData(s) + m - n, strData(suf), n) == 0) return newString(strData(s), m - n);
  return s;
}

// ---------------------------------------------------------------- indexing
export function rt_builtin_substring(s: usize, start: usize, len: usize): usize {
  if (!isStr(s)) return typeError("substring", 1, "string", s);
  if (!isNum(start)) return typeError("substring", 2, "number", start);
  if (!isNum(len)) return typeError("substring", 3, "number", len);
  const st = numToI64(start);
  if (!intOk) return typeError("substring", 2, "integer", start);
  const ln = numToI64(len);
  if (!intOk) return typeError("substring", 3, "integer", len);
  if (st < 0) return builtinError("substring", "negative offset");
  const p = strData(s), n = strLen(s);
  const a = runeOffset(p, n, st);
  if (a >= n) return newString(p, 0);
  const z = ln < 0 ? n : a + runeOffset(p + a, n - a, ln);
  return newString(p + a, z - a);
}

export function rt_builtin_indexof(s: usize, sub: usize): usize {
  if (!isStr(s)) return typeError("indexof", 1, "string", s);
  if (!isStr(sub)) return typeError("indexof", 2, "string", sub);
  const at = findBytes(strData(s), strLen(s), 0, strData(sub), strLen(sub));
  if (at < 0) return newInt(-1);
  return newInt(utf8Count(strData(s), <usize>at));
}

export function rt_builtin_indexof_n(s: usize, sub: usize): usize {
  if (!isStr(s)) return typeError("indexof_n", 1, "string", s);
  if (!isStr(sub)) return typeError("indexof_n", 2, "string", sub);
  const out = newArray(4);
  const p = strData(s), n = strLen(s);
  let from: usize = 0;
  while (from <= n) {
    const at = findBytes(p, n, from, strData(sub), strLen(sub));
    if (at < 0) break;
    arrayPush(out, newInt(utf8Count(p, <usize>at)));
    // Next search starts one rune further (matches may overlap).
    if (<usize>at >= n) break;
    decodeRune(p + <usize>at, p + n);
    from = <usize>at + runeSize;
  }
  return out;
}

export function rt_builtin_strings_count(s: usize, sub: usize): usize {
  if (!isStr(s)) return typeError("strings.count", 1, "string", s);
  if (!isStr(sub)) return typeError("strings.count", 2, "string", sub);
  const p = strData(s), n = strLen(s), sn = strLen(sub);
  if (sn == 0) return newInt(utf8Count(p, n) + 1);
  let c: i64 = 0;
  let from: usize = 0;
  while (true) {
    const at = findBytes(p, n, from, strData(sub), sn);
    if (at < 0) break;
    c++;
    from = <usize>at + sn;
  }
  return newInt(c);
}

export function rt_builtin_strings_reverse(s: usize): usize {
  if (!isStr(s)) return typeError("strings.reverse", 1, "string", s);
  const p = strData(s), n = strLen(s);
  const out = alloc(n + 1);
  let i: usize = 0;
  while (i < n) {
    decodeRune(p + i, p + n);
    memory.copy(out + n - i - runeSize, p + i, runeSize);
    i += runeSize;
  }
  return newString(out, n);
}

export function rt_builtin_format_int(x: usize, base: usize): usize {
  if (!isNum(x)) return typeError("format_int", 1, "number", x);
  if (!isNum(base)) return typeError("format_int", 2, "number", base);
  const bs = numToI64(base);
  if (!intOk || (bs != 2 && bs != 8 && bs != 10 && bs != 16)) return builtinError("format_int", "operand 2 must be one of {2, 8, 10, 16}");
  // Floats are truncated towards zero.
  let v: i64;
  if (numKind(x) == N_INT) v = numInt(x);
  else if (numKind(x) == N_FLOAT) { const f = numF64(x); v = <i64>(f < 0 ? Math.ceil(f) : Math.floor(f)); }
  else {
    if (bs == 10) { const b = bufNew(32); writeNumberCanonical(b, x); return bufToString(b); }
    return builtinError("format_int", "number too large");
  }
  const b = bufNew(70);
  writeIntBase(b, v, <u32>bs, false);
  return bufToString(b);
}

function writeIntBase(b: usize, v: i64, base: u32, upper: bool): void {
  if (v < 0) bufByte(b, 0x2d);
  let m: u64 = v < 0 ? <u64>(-(v + 1)) + 1 : <u64>v;
  const tmp = alloc(72);
  let n: usize = 0;
  do {
    const d = <u32>(m % base);
    store<u8>(tmp + n, <u8>(d < 10 ? 0x30 + d : (upper ? 0x41 : 0x61) + d - 10));
    m /= base;
    n++;
  } while (m != 0);
  for (let i = n; i > 0; i--) bufByte(b, load<u8>(tmp + i - 1));
}

// ---------------------------------------------------------------- string forms
/** Template-string form: strings unquoted, everything else in Rego syntax. */
function writeStringForm(b: usize, v: usize): void {
  if (tag(v) == T_STR) bufBytes(b, strData(v), strLen(v));
  else writeRego(b, v);
}

export function rt_template_string(v: usize): usize {
  if (v == 0) return 0;
  if (tag(v) == T_STR) return v;
  const b = bufNew(32);
  writeRego(b, v);
  return bufToString(b);
}

/**
 * internal.template_string(parts): strings are literal text; a set is an expression's values
 * (empty: "<undefined>", one: its string form, more: an error); anything else its string form.
 */
export function rt_builtin_internal_template_string(parts: usize): usize {
  if (parts == 0 || tag(parts) != T_ARR) return typeError("internal.template_string", 1, "array", parts);
  const b = bufNew(64);
  const n = arrLen(parts);
  for (let i: u32 = 0; i < n; i++) {
    const x = arrGet(parts, i);
    if (tag(x) == T_SET) {
      const c = tblCount(x);
      if (c == 0) { bufAscii(b, "<undefined>"); continue; }
      if (c > 1) return builtinError("internal.template_string", "template-strings must not produce multiple outputs");
      writeStringForm(b, load<u32>(load<u32>(sortedView(x))));
    } else writeStringForm(b, x);
  }
  return bufToString(b);
}

// ---------------------------------------------------------------- sprintf (Go fmt)
// Argument classes as OPA hands them to fmt.Sprintf.
const A_INT: i32 = 0, A_BIG: i32 = 1, A_FLOAT: i32 = 2, A_STR: i32 = 3;

function argClass(v: usize): i32 {
  if (tag(v) == T_NUM) {
    const k = numKind(v);
    return k == N_INT ? A_INT : (k == N_BIG ? A_BIG : A_FLOAT);
  }
  return A_STR;
}

// Flags of the directive being formatted.
let fMinus = false, fPlus = false, fSpace = false, fZero = false, fSharp = false;
let fWidth: i32 = -1, fPrec: i32 = -1;

/** Writes `len` bytes at `p` padded to the width (zero padding after a sign when allowed). */
function pad(b: usize, p: usize, len: usize, zeroOk: bool): void {
  const runes = <i32>utf8Count(p, len);
  const fill = fWidth > runes ? fWidth - runes : 0;
  if (fill == 0) { bufBytes(b, p, len); return; }
  if (fMinus) { bufBytes(b, p, len); for (let i = 0; i < fill; i++) bufByte(b, 0x20); return; }
  if (fZero && zeroOk) {
    let s: usize = 0;
    if (len > 0 && (load<u8>(p) == 0x2d || load<u8>(p) == 0x2b || load<u8>(p) == 0x20)) { bufByte(b, load<u8>(p)); s = 1; }
    for (let i = 0; i < fill; i++) bufByte(b, 0x30);
    bufBytes(b, p + s, len - s);
    return;
  }
  for (let i = 0; i < fill; i++) bufByte(b, 0x20);
  bufBytes(b, p, len);
}

function goQuote(b: usize, p: usize, n: usize): void {
  bufByte(b, 0x22);
  let i: usize = 0;
  while (i < n) {
    const c = decodeRune(p + i, p + n);
    const sz = runeSize;
    if (c == 0xfffd && sz == 1) {
      bufAscii(b, "\\x");
      writeHexByte(b, load<u8>(p + i), false);
    } else if (c == 0x22) bufAscii(b, "\\\"");
    else if (c == 0x5c) bufAscii(b, "\\\\");
    else if (c == 0x0a) bufAscii(b, "\\n");
    else if (c == 0x09) bufAscii(b, "\\t");
    else if (c == 0x0d) bufAscii(b, "\\r");
    else if (c == 0x07) bufAscii(b, "\\a");
    else if (c == 0x08) bufAscii(b, "\\b");
    else if (c == 0x0c) bufAscii(b, "\\f");
    else if (c == 0x0b) bufAscii(b, "\\v");
    else if (c < 0x20 || c == 0x7f) { bufAscii(b, "\\x"); writeHexByte(b, c, false); }
    else if (c >= 0x80 && c < 0xa0) { bufAscii(b, "\\u00"); writeHexByte(b, c, false); }
    else bufBytes(b, p + i, sz);
    i += sz;
  }
  bufByte(b, 0x22);
}

function writeHexByte(b: usize, c: u32, upper: bool): void {
  const a = upper ? 0x41 : 0x61;
  const hi = (c >> 4) & 15, lo = c & 15;
  bufByte(b, hi < 10 ? 0x30 + hi : a + hi - 10);
  bufByte(b, lo < 10 ? 0x30 + lo : a + lo - 10);
}

/** `%!verb(type=value)` for an argument of the wrong kind. */
function badVerb(b: usize, verb: u32, v: usize): void {
  bufAscii(b, "%!");
  bufRune(b, verb);
  bufByte(b, 0x28);
  const cls = argClass(v);
  if (cls == A_INT) { bufAscii(b, "int="); bufI64(b, numInt(v)); }
  else if (cls == A_BIG) { bufAscii(b, "*big.Int="); writeNumberCanonical(b, v); }
  else if (cls == A_FLOAT) { bufAscii(b, "float64="); writeF64(b, numF64(v)); }
  else { bufAscii(b, "string="); writeStringForm(b, v); }
  bufByte(b, 0x29);
}

function signPrefix(t: usize, neg: bool): void {
  if (neg) bufByte(t, 0x2d);
  else if (fPlus) bufByte(t, 0x2b);
  else if (fSpace) bufByte(t, 0x20);
}

function fmtInteger(b: usize, v: usize, verb: u32): void {
  const t = bufNew(32);
  if (verb == 0x63 || verb == 0x71 || verb == 0x55) {
    if (argClass(v) != A_INT) { badVerb(b, verb, v); return; }
    const cp = <u32>numInt(v);
    if (verb == 0x63) bufRune(t, cp);
    else if (verb == 0x71) { bufByte(t, 0x27); bufRune(t, cp); bufByte(t, 0x27); }
    else { bufAscii(t, "U+"); const h = bufNew(8); writeIntBase(h, numInt(v), 16, true); for (let i = <i32>load<u32>(h, 4); i < 4; i++) bufByte(t, 0x30); bufBytes(t, load<u32>(h), load<u32>(h, 4)); }
    pad(b, load<u32>(t), load<u32>(t, 4), false);
    return;
  }
  let base: u32 = 10;
  if (verb == 0x62) base = 2;
  else if (verb == 0x6f || verb == 0x4f) base = 8;
  else if (verb == 0x78 || verb == 0x58) base = 16;
  if (argClass(v) == A_BIG) {
    if (base != 10) { bufAscii(b, "%!"); bufRune(b, verb); bufAscii(b, "(big base)"); return; }
    const neg = load<u8>(numText(v)) == 0x2d;
    signPrefix(t, neg);
    bufBytes(t, numText(v) + (neg ? 1 : 0), numTextLen(v) - (neg ? 1 : 0));
    pad(b, load<u32>(t), load<u32>(t, 4), true);
    return;
  }
  const x = numInt(v);
  signPrefix(t, x < 0);
  if (fSharp || verb == 0x4f) {
    if (base == 8) bufAscii(t, verb == 0x4f ? "0o" : "0");
    else if (base == 16) bufAscii(t, verb == 0x58 ? "0X" : "0x");
    else if (base == 2) bufAscii(t, "0b");
  }
  const digits = bufNew(70);
  writeIntBase(digits, x < 0 ? (x == i64.MIN_VALUE ? x : -x) : x, base, verb == 0x58);
  let dp = load<u32>(digits), dn = <usize>load<u32>(digits, 4);
  if (load<u8>(dp) == 0x2d) { dp++; dn--; }
  if (fPrec >= 0) {
    for (let i = <i32>dn; i < fPrec; i++) bufByte(t, 0x30);
    if (fPrec == 0 && x == 0) dn = 0;
  }
  bufBytes(t, dp, dn);
  pad(b, load<u32>(t), load<u32>(t, 4), fPrec < 0);
}

// %e / %f with a precision, from the shortest digits rounded half-to-even.
function fmtFloatFixed(t: usize, f: f64, verb: u32, prec: i32): void {
  const neg = f < 0 || (f == 0 && 1 / f < 0);
  signPrefix(t, neg);
  if (!isFinite(f)) { bufAscii(t, isNaN(f) ? "NaN" : "Inf"); return; }
  const a = neg ? -f : f;
  // Shortest digits via the %g writer into a scratch buffer, then re-round.
  const s = bufNew(40);
  writeF64(s, a);
  const sp = load<u32>(s), sn = <usize>load<u32>(s, 4);
  // Parse back into digits + decimal point position.
  const dig = alloc(48);
  let nd: i32 = 0, point: i32 = -1, exp: i32 = 0;
  let i: usize = 0;
  for (; i < sn; i++) {
    const c = <u32>load<u8>(sp + i);
    if (c == 0x2e) { point = nd; continue; }
    if (c == 0x65) break;
    store<u8>(dig + <usize>nd, <u8>c); nd++;
  }
  if (i < sn) {
    i++;
    let eneg = false;
    if (load<u8>(sp + i) == 0x2d) { eneg = true; i++; } else if (load<u8>(sp + i) == 0x2b) i++;
    for (; i < sn; i++) exp = exp * 10 + <i32>(load<u8>(sp + i) - 0x30);
    if (eneg) exp = -exp;
  }
  if (point < 0) point = nd;
  point += exp;
  // Strip leading zeros.
  let lead: i32 = 0;
  while (lead < nd - 1 && load<u8>(dig + <usize>lead) == 0x30) { lead++; point--; }
  const d = dig + <usize>lead;
  nd -= lead;
  if (nd == 1 && load<u8>(d) == 0x30) point = 1;
  // Number of digits to keep.
  const isE = (verb | 0x20) == 0x65;
  let keep = isE ? prec + 1 : point + prec;
  const r = alloc(<usize>(nd + 2 + (keep > 0 ? keep : 0)));
  store<u8>(r, 0x30);
  memory.copy(r + 1, d, <usize>nd);
  let rn = nd + 1;
  let rpoint = point + 1;
  let rkeep = keep + 1;
  if (rkeep < rn) {
    if (rkeep < 0) { rn = 1; store<u8>(r, 0x30); }
    else {
      const next = load<u8>(r + <usize>rkeep);
      let roundUp = next > 0x35;
      if (next == 0x35) {
        let rest = false;
        for (let k = rkeep + 1; k < rn; k++) if (load<u8>(r + <usize>k) != 0x30) { rest = true; break; }
        if (!rest) {
          // The shortest digits end in a 5 exactly here: the double itself lies above, below or
          // on that decimal; Go rounds the exact binary value, half to even only on a true tie.
          const c = compareF64ToDecimal(a, r, <usize>rn, rpoint - rn);
          rest = c > 0;
          if (c < 0) { roundUp = false; }
          else roundUp = rest || (rkeep > 0 && ((load<u8>(r + <usize>(rkeep - 1)) - 0x30) & 1) == 1);
        } else roundUp = true;
      }
      rn = rkeep;
      if (roundUp) {
        let k = rn - 1;
        while (k >= 0) {
          const c = load<u8>(r + <usize>k);
          if (c == 0x39) { store<u8>(r + <usize>k, 0x30); k--; }
          else { store<u8>(r + <usize>k, c + 1); break; }
        }
      }
    }
  }
  while (rn < rkeep) { store<u8>(r + <usize>rn, 0x30); rn++; }
  // Drop the guard zero when unused.
  let rs = r;
  if (load<u8>(r) == 0x30 && rn > 1) { rs = r + 1; rn--; rpoint--; }
  if (isE) {
    // One digit before the point (rn == prec + 1, or prec + 2 when rounding carried).
    let e10 = rpoint - 1;
    if (rn > prec + 1) { rn = prec + 1; e10++; }
    if (rn == 1 && load<u8>(rs) == 0x30) e10 = 0;
    bufByte(t, load<u8>(rs));
    if (prec > 0) { bufByte(t, 0x2e); bufBytes(t, rs + 1, <usize>(rn - 1)); }
    bufByte(t, verb == 0x45 ? 0x45 : 0x65);
    bufByte(t, e10 < 0 ? 0x2d : 0x2b);
    const ea = e10 < 0 ? -e10 : e10;
    if (ea < 10) bufByte(t, 0x30);
    bufI64(t, ea);
    return;
  }
  if (rpoint <= 0) {
    bufByte(t, 0x30);
    if (prec > 0) {
      bufByte(t, 0x2e);
      for (let k = rpoint; k < 0 && prec > 0; k++) bufByte(t, 0x30);
      const have = rn - (rpoint < 0 ? 0 : 0);
      bufBytes(t, rs, <usize>(have > 0 ? have : 0));
    }
    return;
  }
  bufBytes(t, rs, <usize>rpoint);
  if (prec > 0) { bufByte(t, 0x2e); bufBytes(t, rs + <usize>rpoint, <usize>(rn - rpoint)); }
}

function fmtFloat(b: usize, f: f64, verb: u32): void {
  const t = bufNew(40);
  if (verb == 0x76 || ((verb | 0x20) == 0x67 && fPrec < 0)) {
    const neg = f < 0;
    signPrefix(t, neg);
    writeF64(t, neg ? -f : f);
    if (verb == 0x47) {
      // %G upper-cases the exponent marker.
      const p = load<u32>(t), n = <usize>load<u32>(t, 4);
      for (let i: usize = 0; i < n; i++) if (load<u8>(p + i) == 0x65) store<u8>(p + i, 0x45);
    }
  } else if ((verb | 0x20) == 0x67) {
    // %g with a precision: %e or %f depending on the exponent.
    const e = f == 0 ? 0 : <i32>Math.floor(Math.log10(f < 0 ? -f : f));
    const p = fPrec == 0 ? 1 : fPrec;
    if (e < -4 || e >= p) fmtFloatFixed(t, f, verb == 0x47 ? 0x45 : 0x65, p - 1);
    else fmtFloatFixed(t, f, 0x66, p - 1 - e);
  } else {
    fmtFloatFixed(t, f, verb, fPrec < 0 ? 6 : fPrec);
  }
  pad(b, load<u32>(t), load<u32>(t, 4), true);
}

function fmtString(b: usize, v: usize, verb: u32): void {
  const t = bufNew(32);
  writeStringForm(t, v);
  let p = load<u32>(t), n = <usize>load<u32>(t, 4);
  if (verb == 0x73 || verb == 0x76) {
    if (fPrec >= 0) n = runeOffset(p, n, fPrec);
    pad(b, p, n, false);
    return;
  }
  if (verb == 0x71) {
    const q = bufNew(n + 8);
    goQuote(q, p, n);
    pad(b, load<u32>(q), load<u32>(q, 4), false);
    return;
  }
  if (verb == 0x78 || verb == 0x58) {
    const h = bufNew(n * 2 + 4);
    for (let i: usize = 0; i < n; i++) writeHexByte(h, load<u8>(p + i), verb == 0x58);
    pad(b, load<u32>(h), load<u32>(h, 4), false);
    return;
  }
  badVerb(b, verb, v);
}

export function rt_builtin_sprintf(format: usize, args: usize): usize {
  if (!isStr(format)) return typeError("sprintf", 1, "string", format);
  if (args == 0 || tag(args) != T_ARR) return typeError("sprintf", 2, "array", args);
  const p = strData(format), n = strLen(format);
  const b = bufNew(n + 32);
  const argc = arrLen(args);
  let argi: u32 = 0;
  let i: usize = 0;
  while (i < n) {
    const c = load<u8>(p + i);
    if (c != 0x25) {
      let j = i;
      while (j < n && load<u8>(p + j) != 0x25) j++;
      bufBytes(b, p + i, j - i);
      i = j;
      continue;
    }
    i++;
    fMinus = false; fPlus = false; fSpace = false; fZero = false; fSharp = false; fWidth = -1; fPrec = -1;
    while (i < n) {
      const f = load<u8>(p + i);
      if (f == 0x2d) { fMinus = true; fZero = false; }
      else if (f == 0x2b) fPlus = true;
      else if (f == 0x20) fSpace = true;
      else if (f == 0x30) fZero = !fMinus;
      else if (f == 0x23) fSharp = true;
      else break;
      i++;
    }
    if (i < n && load<u8>(p + i) == 0x2a) {
      i++;
      if (argi < argc && argClass(arrGet(args, argi)) == A_INT) { fWidth = <i32>numInt(arrGet(args, argi)); if (fWidth < 0) { fMinus = true; fWidth = -fWidth; } }
      else bufAscii(b, "%!(BADWIDTH)");
      argi++;
    } else {
      while (i < n && load<u8>(p + i) >= 0x30 && load<u8>(p + i) <= 0x39) {
        fWidth = (fWidth < 0 ? 0 : fWidth) * 10 + <i32>(load<u8>(p + i) - 0x30);
        i++;
      }
    }
    if (i < n && load<u8>(p + i) == 0x2e) {
      i++;
      fPrec = 0;
      if (i < n && load<u8>(p + i) == 0x2a) {
        i++;
        if (argi < argc && argClass(arrGet(args, argi)) == A_INT) fPrec = <i32>numInt(arrGet(args, argi));
        else bufAscii(b, "%!(BADPREC)");
        argi++;
      } else {
        while (i < n && load<u8>(p + i) >= 0x30 && load<u8>(p + i) <= 0x39) {
          fPrec = fPrec * 10 + <i32>(load<u8>(p + i) - 0x30);
          i++;
        }
      }
    }
    if (i >= n) { bufAscii(b, "%!(NOVERB)"); break; }
    const verb = decodeRune(p + i, p + n);
    i += runeSize;
    if (verb == 0x25) { bufByte(b, 0x25); continue; }
    if (argi >= argc) { bufAscii(b, "%!"); bufRune(b, verb); bufAscii(b, "(MISSING)"); continue; }
    const v = arrGet(args, argi++);
    const cls = argClass(v);
    if (cls == A_STR) {
      if (verb == 0x73 || verb == 0x76 || verb == 0x71 || verb == 0x78 || verb == 0x58) fmtString(b, v, verb);
      else badVerb(b, verb, v);
    } else if (cls == A_FLOAT) {
      if (verb == 0x76 || verb == 0x65 || verb == 0x45 || verb == 0x66 || verb == 0x46 || verb == 0x67 || verb == 0x47) fmtFloat(b, numF64(v), verb);
      else badVerb(b, verb, v);
    } else {
      if (verb == 0x76 || verb == 0x64 || verb == 0x62 || verb == 0x6f || verb == 0x4f || verb == 0x78 || verb == 0x58 || verb == 0x63 || verb == 0x71 || verb == 0x55) fmtInteger(b, v, verb == 0x76 ? 0x64 : verb);
      else if (cls == A_BIG && verb == 0x73) fmtInteger(b, v, 0x64);
      else badVerb(b, verb, v);
    }
  }
  if (argi < argc) {
    bufAscii(b, "%!(EXTRA ");
    for (let k = argi; k < argc; k++) {
      if (k > argi) bufAscii(b, ", ");
      const v = arrGet(args, k);
      const cls = argClass(v);
      bufAscii(b, cls == A_INT ? "int=" : (cls == A_BIG ? "*big.Int=" : (cls == A_FLOAT ? "float64=" : "string=")));
      if (cls == A_FLOAT) writeF64(b, numF64(v));
      else if (cls == A_STR) writeStringForm(b, v);
      else writeNumberCanonical(b, v);
    }
    bufByte(b, 0x29);
  }
  return bufToString(b);
}
