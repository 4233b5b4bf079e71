// JSON (and Rego value syntax) parsing and dumping.
import { alloc } from "./alloc";
import { bufByte, bufBytes, bufNew, bufAscii, bufCStr } from "./buf";
import { parseNumber, writeNumber, writeNumberCanonical } from "./numbers";
import {
  FALSE_V, NULL_V, TRUE_V, T_ARR, T_BOOL, T_NULL, T_NUM, T_OBJ, T_SET, T_STR,
  arrGet, arrLen, arrayPush, newArray, newString, newTable, setAdd, sortedView, strData, strLen, tag,
  soleEntry, tblCount, tblPut, tblPutStr, numKind, numInt, N_INT, N_BIG,
} from "./value";

// ---------------------------------------------------------------- parsing
let src: usize = 0;
let end: usize = 0;
let pos: usize = 0;
let failed = false;
let regoSyntax = false;
let depth: i32 = 0;
// Deeper documents are rejected: recursion over them (dump, compare, hash) would exhaust the
// Wasm stack (about 9000 levels under Node's default stack).
const MAX_DEPTH: i32 = 4096;

// @ts-ignore: decorator
@inline function peek(): u32 { return pos < end ? <u32>load<u8>(pos) : 0; }

// JSON from JSON.stringify has no whitespace: check one byte inline, loop only when needed.
// @ts-ignore: decorator
@inline function skipWs(): void {
  if (pos < end && load<u8>(pos) <= 0x20) skipWsLoop();
}

function skipWsLoop(): void {
  const e = end;
  let p = pos;
  while (p < e) {
    const c = load<u8>(p);
    if (c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09) p++;
    else break;
  }
  pos = p;
}

function fail(): usize { failed = true; return 0; }

function expectWord(w: string): bool {
  const n = <usize>w.length;
  if (pos + n > end) return false;
  for (let i: usize = 0; i < n; i++) if (<u32>load<u8>(pos + i) != <u32>w.charCodeAt(<i32>i)) return false;
  pos += n;
  return true;
}

function hexVal(c: u32): i32 {
  if (c - 0x30 < 10) return <i32>(c - 0x30);
  const l = c | 0x20;
  if (l - 0x61 < 6) return <i32>(l - 0x61 + 10);
  return -1;
}

function hex4(p: usize): i32 {
  if (p + 4 > end) return -1;
  let r: i32 = 0;
  for (let i: usize = 0; i < 4; i++) {
    const h = hexVal(load<u8>(p + i));
    if (h < 0) return -1;
    r = (r << 4) | h;
  }
  return r;
}

export function utf8Encode(dst: usize, cp: u32): usize {
  if (cp < 0x80) { store<u8>(dst, <u8>cp); return 1; }
  if (cp < 0x800) {
    store<u8>(dst, <u8>(0xc0 | (cp >> 6)));
    store<u8>(dst + 1, <u8>(0x80 | (cp & 0x3f)));
    return 2;
  }
  if (cp < 0x10000) {
    store<u8>(dst, <u8>(0xe0 | (cp >> 12)));
    store<u8>(dst + 1, <u8>(0x80 | ((cp >> 6) & 0x3f)));
    store<u8>(dst + 2, <u8>(0x80 | (cp & 0x3f)));
    return 3;
  }
  store<u8>(dst, <u8>(0xf0 | (cp >> 18)));
  store<u8>(dst + 1, <u8>(0x80 | ((cp >> 12) & 0x3f)));
  store<u8>(dst + 2, <u8>(0x80 | ((cp >> 6) & 0x3f)));
  store<u8>(dst + 3, <u8>(0x80 | (cp & 0x3f)));
  return 4;
}

function parseString(): usize {
  const start = pos + 1; // after the opening quote
  // Fast path: no escapes, the value points into the source text. The scan runs on a local
  // (a global read and written per byte is much slower).
  const e = end;
  let p = start;
  while (p < e) {
    const c = load<u8>(p);
    if (c == 0x22) {
      pos = p + 1;
      return newString(start, p - start);
    }
    if (c == 0x5c) break;
    if (c < 0x20) { pos = p; return fail(); }
    p++;
  }
  pos = p;
  if (pos >= end) return fail();
  // Slow path: decode escapes into a copy (never longer than the source).
  let scan = pos;
  while (scan < end && load<u8>(scan) != 0x22) scan += load<u8>(scan) == 0x5c ? 2 : 1;
  const out = alloc(scan - start + 4);
  let o = pos - start;
  memory.copy(out, start, o);
  while (true) {
    if (pos >= end) return fail();
    const c = <u32>load<u8>(pos);
    if (c == 0x22) { pos++; break; }
    if (c < 0x20) return fail();
    if (c != 0x5c) { store<u8>(out + o++, <u8>c); pos++; continue; }
    pos++;
    if (pos >= end) return fail();
    const e = <u32>load<u8>(pos);
    pos++;
    switch (e) {
      case 0x22: store<u8>(out + o++, 0x22); break;
      case 0x5c: store<u8>(out + o++, 0x5c); break;
      case 0x2f: store<u8>(out + o++, 0x2f); break;
      case 0x62: store<u8>(out + o++, 0x08); break;
      case 0x66: store<u8>(out + o++, 0x0c); break;
      case 0x6e: store<u8>(out + o++, 0x0a); break;
      case 0x72: store<u8>(out + o++, 0x0d); break;
      case 0x74: store<u8>(out + o++, 0x09); break;
      case 0x75: {
        let cp = hex4(pos);
        if (cp < 0) return fail();
        pos += 4;
        if (cp >= 0xd800 && cp < 0xdc00) {
          // A surrogate pair; a lone high surrogate becomes U+FFFD like Go does.
          if (pos + 1 < end && load<u8>(pos) == 0x5c && load<u8>(pos + 1) == 0x75) {
            const lo = hex4(pos + 2);
            if (lo >= 0xdc00 && lo < 0xe000) {
              pos += 6;
              cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            } else cp = 0xfffd;
          } else cp = 0xfffd;
        } else if (cp >= 0xdc00 && cp < 0xe000) cp = 0xfffd;
        o += utf8Encode(out + o, <u32>cp);
        break;
      }
      default: return fail();
    }
  }
  return newString(out, o);
}

function parseNumberToken(): usize {
  const start = pos;
  const e = end;
  let p = start;
  while (p < e) {
    const c = load<u8>(p);
    if ((c >= 0x30 && c <= 0x39) || c == 0x2d || c == 0x2b || c == 0x2e || c == 0x65 || c == 0x45) p++;
    else break;
  }
  pos = p;
  const v = parseNumber(start, p - start);
  if (v == 0) return fail();
  return v;
}

function parseValue(): usize {
  skipWs();
  const c = peek();
  switch (c) {
    case 0x22: return parseString();
    case 0x7b: return parseObject();
    case 0x5b: return parseArray();
    case 0x74: return expectWord("true") ? TRUE_V : fail();
    case 0x66: return expectWord("false") ? FALSE_V : fail();
    case 0x6e: return expectWord("null") ? NULL_V : fail();
    case 0x73: {
      if (regoSyntax && expectWord("set(")) {
        skipWs();
        if (peek() != 0x29) return fail();
        pos++;
        return newTable(T_SET, 0);
      }
      return fail();
    }
  }
  if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return parseNumberToken();
  return fail();
}

function parseArray(): usize {
  if (++depth > MAX_DEPTH) return fail();
  pos++;
  const a = newArray(4);
  skipWs();
  if (peek() == 0x5d) { pos++; depth--; return a; }
  while (true) {
    const v = parseValue();
    if (failed) return 0;
    arrayPush(a, v);
    skipWs();
    const c = peek();
    pos++;
    if (c == 0x2c) continue;
    if (c == 0x5d) break;
    return fail();
  }
  depth--;
  return a;
}

function parseObject(): usize {
  if (++depth > MAX_DEPTH) return fail();
  pos++;
  skipWs();
  if (peek() == 0x7d) { pos++; depth--; return newTable(T_OBJ, 0); }
  let first: usize;
  if (regoSyntax) first = parseValue();
  else {
    if (peek() != 0x22) return fail();
    first = parseString();
  }
  if (failed) return 0;
  skipWs();
  if (regoSyntax && peek() != 0x3a) {
    // A set literal {a, b, …}.
    const s = newTable(T_SET, 0);
    setAdd(s, first);
    while (true) {
      skipWs();
      const c = peek();
      pos++;
      if (c == 0x7d) break;
      if (c != 0x2c) return fail();
      const v = parseValue();
      if (failed) return 0;
      setAdd(s, v);
    }
    depth--;
    return s;
  }
  const o = newTable(T_OBJ, 0);
  let key = first;
  while (true) {
    skipWs();
    if (peek() != 0x3a) return fail();
    pos++;
    const v = parseValue();
    if (failed) return 0;
    if (regoSyntax) tblPut(o, key, v);
    else tblPutStr(o, key, v);
    skipWs();
    const c = peek();
    pos++;
    if (c == 0x7d) break;
    if (c != 0x2c) return fail();
    skipWs();
    if (regoSyntax) key = parseValue();
    else {
      if (peek() != 0x22) return fail();
      key = parseString();
    }
    if (failed) return 0;
  }
  depth--;
  return o;
}

export function parseJSON(p: usize, n: usize, rego: bool): usize {
  src = p; end = p + n; pos = p; failed = false; regoSyntax = rego; depth = 0;
  const v = parseValue();
  if (failed) return 0;
  skipWs();
  if (pos != end) return 0;
  return v;
}

// ---------------------------------------------------------------- dumping
const HEX: usize = memory.data<u8>([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102]);

/** Writes a JSON string literal; `html` escapes <, > and & like Go's encoding/json. */
export function writeQuoted(b: usize, p: usize, n: usize, html: bool): void {
  bufByte(b, 0x22);
  let run = p;
  const e = p + n;
  for (let q = p; q < e; q++) {
    const c = <u32>load<u8>(q);
    let esc = c < 0x20 || c == 0x22 || c == 0x5c;
    if (html && (c == 0x3c || c == 0x3e || c == 0x26)) esc = true;
    // Go's encoding/json also escapes U+2028 and U+2029 (E2 80 A8/A9).
    if (html && c == 0xe2 && q + 2 < e && load<u8>(q + 1) == 0x80 && (load<u8>(q + 2) & 0xfe) == 0xa8) {
      if (q > run) bufBytes(b, run, q - run);
      bufAscii(b, load<u8>(q + 2) == 0xa8 ? "\\u2028" : "\\u2029");
      q += 2;
      run = q + 1;
      continue;
    }
    if (!esc) continue;
    if (q > run) bufBytes(b, run, q - run);
    run = q + 1;
    bufByte(b, 0x5c);
    switch (c) {
      case 0x22: bufByte(b, 0x22); break;
      case 0x5c: bufByte(b, 0x5c); break;
      case 0x0a: bufByte(b, 0x6e); break;
      case 0x0d: bufByte(b, 0x72); break;
      case 0x09: bufByte(b, 0x74); break;
      default: {
        bufAscii(b, "u00");
        bufByte(b, load<u8>(HEX + (c >> 4)));
        bufByte(b, load<u8>(HEX + (c & 15)));
      }
    }
  }
  if (e > run) bufBytes(b, run, e - run);
  bufByte(b, 0x22);
}

/** JSON: sets as arrays, objects with sorted keys, non-string keys as their JSON text. */
export function writeJSON(b: usize, v: usize, html: bool): void {
  switch (tag(v)) {
    case T_NULL: bufAscii(b, "null"); return;
    case T_BOOL: bufAscii(b, load<u32>(v, 4) ? "true" : "false"); return;
    case T_NUM:
      if (forHostArgs && isBigInteger(v)) {
        // An integer a double cannot hold, among a host builtin's arguments: its exact digits.
        bufAscii(b, NUM_MARKER_OPEN);
        writeNumberCanonical(b, v);
        bufAscii(b, "\"}");
      } else writeNumber(b, v);
      return;
    case T_STR: writeQuoted(b, strData(v), strLen(v), html); return;
    case T_ARR: {
      bufByte(b, 0x5b);
      const n = arrLen(v);
      for (let i: u32 = 0; i < n; i++) {
        if (i > 0) bufByte(b, 0x2c);
        writeJSON(b, arrGet(v, i), html);
      }
      bufByte(b, 0x5d);
      return;
    }
    case T_SET: {
      if (forHostArgs) bufAscii(b, SET_MARKER_OPEN);
      bufByte(b, 0x5b);
      const n = tblCount(v);
      if (n == 1) writeJSON(b, load<u32>(soleEntry(v)), html); // a result set: no sorted view needed
      else if (n > 1) {
        const view = sortedView(v);
        for (let i: u32 = 0; i < n; i++) {
          if (i > 0) bufByte(b, 0x2c);
          writeJSON(b, load<u32>(load<u32>(view + (<usize>i << 2))), html);
        }
      }
      bufByte(b, 0x5d);
      if (forHostArgs) bufByte(b, 0x7d);
      return;
    }
    case T_OBJ: {
      bufByte(b, 0x7b);
      const n = tblCount(v);
      if (n == 1) writeEntryJSON(b, soleEntry(v), html); // {"result": …}
      else if (n > 1) {
        const view = sortedView(v);
        for (let i: u32 = 0; i < n; i++) {
          if (i > 0) bufByte(b, 0x2c);
          writeEntryJSON(b, load<u32>(view + (<usize>i << 2)), html);
        }
      }
      bufByte(b, 0x7d);
      return;
    }
  }
  bufAscii(b, "null");
}

function writeEntryJSON(b: usize, e: usize, html: bool): void {
  const k = load<u32>(e);
  if (tag(k) == T_STR) writeQuoted(b, strData(k), strLen(k), html);
  else {
    const kb = bufNew(32);
    writeJSON(kb, k, html);
    writeQuoted(b, load<u32>(kb), load<u32>(kb, 4), html);
  }
  bufByte(b, 0x3a);
  writeJSON(b, load<u32>(e, 4), html);
}

/** Rego value syntax, as OPA prints values: `[1, 2]`, `{"a": 1}`, `{1, 2}`, `set()`. */
export function writeRego(b: usize, v: usize): void {
  switch (tag(v)) {
    case T_ARR: {
      bufByte(b, 0x5b);
      const n = arrLen(v);
      for (let i: u32 = 0; i < n; i++) {
        if (i > 0) bufAscii(b, ", ");
        writeRego(b, arrGet(v, i));
      }
      bufByte(b, 0x5d);
      return;
    }
    case T_SET: {
      const n = tblCount(v);
      if (n == 0) { bufAscii(b, "set()"); return; }
      bufByte(b, 0x7b);
      const view = sortedView(v);
      for (let i: u32 = 0; i < n; i++) {
        if (i > 0) bufAscii(b, ", ");
        writeRego(b, load<u32>(load<u32>(view + (<usize>i << 2))));
      }
      bufByte(b, 0x7d);
      return;
    }
    case T_OBJ: {
      bufByte(b, 0x7b);
      const view = sortedView(v);
      const n = tblCount(v);
      for (let i: u32 = 0; i < n; i++) {
        if (i > 0) bufAscii(b, ", ");
        const e = load<u32>(view + (<usize>i << 2));
        writeRego(b, load<u32>(e));
        bufAscii(b, ": ");
        writeRego(b, load<u32>(e, 4));
      }
      bufByte(b, 0x7d);
      return;
    }
  }
  writeJSON(b, v, false);
}

// While a host builtin's arguments are dumped (rt_host_args, set by the generated code around the
// call), a set is written as {"\u0000set":[…]} and an integer beyond ±2^53 as {"\u0000num":"digits"}:
// plain JSON has no sets, and a double would round the integer; the host reads both markers back
// (src/builtins). Every other dump writes sets as arrays and numbers as numbers, as OPA does.
const SET_MARKER_OPEN = '{"\\u0000set":';
const NUM_MARKER_OPEN = '{"\\u0000num":"';
const MAX_SAFE: i64 = 9007199254740991;
let forHostArgs = false;

function isBigInteger(v: usize): bool {
  const k = numKind(v);
  if (k == N_BIG) return true;
  if (k != N_INT) return false;
  const n = numInt(v);
  return n > MAX_SAFE || n < -MAX_SAFE;
}

export function dumpJSON(v: usize, hostArgs: bool = false): usize {
  const b = bufNew(256);
  forHostArgs = hostArgs;
  if (v == 0) bufAscii(b, "null");
  else writeJSON(b, v, false);
  forHostArgs = false;
  return bufCStr(b);
}

export function dumpRego(v: usize): usize {
  const b = bufNew(256);
  if (v == 0) bufAscii(b, "null");
  else writeRego(b, v);
  return bufCStr(b);
}
