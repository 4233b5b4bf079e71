// Rego values laid out in linear memory (layout documented in README.md), their constructors,
// hashing, equality, OPA's total order, and the hash tables behind objects and sets.
import { alloc, rt_epoch } from "./alloc";
import { decCompare } from "./numbers";

export const T_NULL: u8 = 1;
export const T_BOOL: u8 = 2;
export const T_NUM: u8 = 3;
export const T_STR: u8 = 4;
export const T_ARR: u8 = 5;
export const T_OBJ: u8 = 6;
export const T_SET: u8 = 7;

export const N_INT: u8 = 0;
export const N_FLOAT: u8 = 1;
export const N_BIG: u8 = 2;

// Static singletons: null, false, true need no allocation.
export const NULL_V: usize = memory.data<u32>([1, 0]);
export const FALSE_V: usize = memory.data<u32>([2, 0]);
export const TRUE_V: usize = memory.data<u32>([2, 1]);

// @ts-ignore: decorator
@inline export function tag(v: usize): u8 { return load<u8>(v); }

// ---------------------------------------------------------------- numbers
// +1 kind, +4 text ptr, +8 text len, +16 i64 / f64
// @ts-ignore: decorator
@inline export function numKind(v: usize): u8 { return load<u8>(v, 1); }
// @ts-ignore: decorator
@inline export function numText(v: usize): usize { return load<u32>(v, 4); }
// @ts-ignore: decorator
@inline export function numTextLen(v: usize): usize { return load<u32>(v, 8); }
// @ts-ignore: decorator
@inline export function numInt(v: usize): i64 { return load<i64>(v, 16); }
// @ts-ignore: decorator
@inline export function numFloat(v: usize): f64 { return load<f64>(v, 16); }

// Static values for the integers 0..255 (array indexes, counts): values are immutable, so they
// are shared instead of allocated.
const SMALL_INTS: usize = memory.data<u64>([3, 0, 0, 3, 0, 1, 3, 0, 2, 3, 0, 3, 3, 0, 4, 3, 0, 5, 3, 0, 6, 3, 0, 7, 3, 0, 8, 3, 0, 9, 3, 0, 10, 3, 0, 11, 3, 0, 12, 3, 0, 13, 3, 0, 14, 3, 0, 15, 3, 0, 16, 3, 0, 17, 3, 0, 18, 3, 0, 19, 3, 0, 20, 3, 0, 21, 3, 0, 22, 3, 0, 23, 3, 0, 24, 3, 0, 25, 3, 0, 26, 3, 0, 27, 3, 0, 28, 3, 0, 29, 3, 0, 30, 3, 0, 31, 3, 0, 32, 3, 0, 33, 3, 0, 34, 3, 0, 35, 3, 0, 36, 3, 0, 37, 3, 0, 38, 3, 0, 39, 3, 0, 40, 3, 0, 41, 3, 0, 42, 3, 0, 43, 3, 0, 44, 3, 0, 45, 3, 0, 46, 3, 0, 47, 3, 0, 48, 3, 0, 49, 3, 0, 50, 3, 0, 51, 3, 0, 52, 3, 0, 53, 3, 0, 54, 3, 0, 55, 3, 0, 56, 3, 0, 57, 3, 0, 58, 3, 0, 59, 3, 0, 60, 3, 0, 61, 3, 0, 62, 3, 0, 63, 3, 0, 64, 3, 0, 65, 3, 0, 66, 3, 0, 67, 3, 0, 68, 3, 0, 69, 3, 0, 70, 3, 0, 71, 3, 0, 72, 3, 0, 73, 3, 0, 74, 3, 0, 75, 3, 0, 76, 3, 0, 77, 3, 0, 78, 3, 0, 79, 3, 0, 80, 3, 0, 81, 3, 0, 82, 3, 0, 83, 3, 0, 84, 3, 0, 85, 3, 0, 86, 3, 0, 87, 3, 0, 88, 3, 0, 89, 3, 0, 90, 3, 0, 91, 3, 0, 92, 3, 0, 93, 3, 0, 94, 3, 0, 95, 3, 0, 96, 3, 0, 97, 3, 0, 98, 3, 0, 99, 3, 0, 100, 3, 0, 101, 3, 0, 102, 3, 0, 103, 3, 0, 104, 3, 0, 105, 3, 0, 106, 3, 0, 107, 3, 0, 108, 3, 0, 109, 3, 0, 110, 3, 0, 111, 3, 0, 112, 3, 0, 113, 3, 0, 114, 3, 0, 115, 3, 0, 116, 3, 0, 117, 3, 0, 118, 3, 0, 119, 3, 0, 120, 3, 0, 121, 3, 0, 122, 3, 0, 123, 3, 0, 124, 3, 0, 125, 3, 0, 126, 3, 0, 127, 3, 0, 128, 3, 0, 129, 3, 0, 130, 3, 0, 131, 3, 0, 132, 3, 0, 133, 3, 0, 134, 3, 0, 135, 3, 0, 136, 3, 0, 137, 3, 0, 138, 3, 0, 139, 3, 0, 140, 3, 0, 141, 3, 0, 142, 3, 0, 143, 3, 0, 144, 3, 0, 145, 3, 0, 146, 3, 0, 147, 3, 0, 148, 3, 0, 149, 3, 0, 150, 3, 0, 151, 3, 0, 152, 3, 0, 153, 3, 0, 154, 3, 0, 155, 3, 0, 156, 3, 0, 157, 3, 0, 158, 3, 0, 159, 3, 0, 160, 3, 0, 161, 3, 0, 162, 3, 0, 163, 3, 0, 164, 3, 0, 165, 3, 0, 166, 3, 0, 167, 3, 0, 168, 3, 0, 169, 3, 0, 170, 3, 0, 171, 3, 0, 172, 3, 0, 173, 3, 0, 174, 3, 0, 175, 3, 0, 176, 3, 0, 177, 3, 0, 178, 3, 0, 179, 3, 0, 180, 3, 0, 181, 3, 0, 182, 3, 0, 183, 3, 0, 184, 3, 0, 185, 3, 0, 186, 3, 0, 187, 3, 0, 188, 3, 0, 189, 3, 0, 190, 3, 0, 191, 3, 0, 192, 3, 0, 193, 3, 0, 194, 3, 0, 195, 3, 0, 196, 3, 0, 197, 3, 0, 198, 3, 0, 199, 3, 0, 200, 3, 0, 201, 3, 0, 202, 3, 0, 203, 3, 0, 204, 3, 0, 205, 3, 0, 206, 3, 0, 207, 3, 0, 208, 3, 0, 209, 3, 0, 210, 3, 0, 211, 3, 0, 212, 3, 0, 213, 3, 0, 214, 3, 0, 215, 3, 0, 216, 3, 0, 217, 3, 0, 218, 3, 0, 219, 3, 0, 220, 3, 0, 221, 3, 0, 222, 3, 0, 223, 3, 0, 224, 3, 0, 225, 3, 0, 226, 3, 0, 227, 3, 0, 228, 3, 0, 229, 3, 0, 230, 3, 0, 231, 3, 0, 232, 3, 0, 233, 3, 0, 234, 3, 0, 235, 3, 0, 236, 3, 0, 237, 3, 0, 238, 3, 0, 239, 3, 0, 240, 3, 0, 241, 3, 0, 242, 3, 0, 243, 3, 0, 244, 3, 0, 245, 3, 0, 246, 3, 0, 247, 3, 0, 248, 3, 0, 249, 3, 0, 250, 3, 0, 251, 3, 0, 252, 3, 0, 253, 3, 0, 254, 3, 0, 255]);

export function newInt(i: i64): usize {
  if (<u64>i < 256) return SMALL_INTS + (<usize>i) * 24;
  const v = alloc(24);
  store<u32>(v, T_NUM);
  store<u32>(v, 0, 4);
  store<u32>(v, 0, 8);
  store<i64>(v, i, 16);
  return v;
}

export function newNumRaw(kind: u8, text: usize, len: usize, bits: i64): usize {
  const v = alloc(24);
  store<u32>(v, <u32>T_NUM | (<u32>kind << 8));
  store<u32>(v, text, 4);
  store<u32>(v, len, 8);
  store<i64>(v, bits, 16);
  return v;
}

/** The number's value as f64 (approximate for big integers). */
export function numAsF64(v: usize): f64 {
  const k = numKind(v);
  if (k == N_INT) return <f64>numInt(v);
  return numFloat(v);
}

export function isInteger(v: usize): bool {
  return numKind(v) != N_FLOAT;
}

// ---------------------------------------------------------------- strings
// +4 len, +8 data ptr, +12 hash cache
// @ts-ignore: decorator
@inline export function strLen(v: usize): usize { return load<u32>(v, 4); }
// @ts-ignore: decorator
@inline export function strData(v: usize): usize { return load<u32>(v, 8); }

export function newString(data: usize, len: usize): usize {
  const v = alloc(16);
  store<u32>(v, T_STR);
  store<u32>(v, len, 4);
  store<u32>(v, data, 8);
  store<u32>(v, 0, 12);
  return v;
}

/** A string value copying `len` bytes from `src`. */
export function newStringCopy(src: usize, len: usize): usize {
  const v = alloc(16 + len);
  memory.copy(v + 16, src, len);
  store<u32>(v, T_STR);
  store<u32>(v, len, 4);
  store<u32>(v, v + 16, 8);
  store<u32>(v, 0, 12);
  return v;
}

/** A string value from an ASCII AssemblyScript literal. */
export function newStringLit(text: string): usize {
  const n = <usize>text.length;
  const v = alloc(16 + n);
  for (let i: usize = 0; i < n; i++) store<u8>(v + 16 + i, <u8>text.charCodeAt(<i32>i));
  store<u32>(v, T_STR);
  store<u32>(v, n, 4);
  store<u32>(v, v + 16, 8);
  store<u32>(v, 0, 12);
  return v;
}

export function bytesCompare(a: usize, alen: usize, b: usize, blen: usize): i32 {
  const n = alen < blen ? alen : blen;
  if (a != b) {
    const c = memory.compare(a, b, n);
    if (c != 0) return c;
  }
  return alen < blen ? -1 : (alen > blen ? 1 : 0);
}

// Keys and values compared here are short: eight bytes at a time beats a call to memory.compare.
// @ts-ignore: decorator
@inline export function bytesEqual(a: usize, b: usize, n: usize): bool {
  if (a == b) return true;
  let i: usize = 0;
  while (i + 8 <= n) {
    if (load<u64>(a + i) != load<u64>(b + i)) return false;
    i += 8;
  }
  if (i + 4 <= n) {
    if (load<u32>(a + i) != load<u32>(b + i)) return false;
    i += 4;
  }
  while (i < n) {
    if (load<u8>(a + i) != load<u8>(b + i)) return false;
    i++;
  }
  return true;
}

// ---------------------------------------------------------------- arrays
// +4 len, +8 cap, +12 elems
// @ts-ignore: decorator
@inline export function arrLen(v: usize): u32 { return load<u32>(v, 4); }
// @ts-ignore: decorator
@inline export function arrGet(v: usize, i: u32): usize { return load<u32>(load<u32>(v, 12) + (<usize>i << 2)); }

export function newArray(cap: u32): usize {
  if (cap < 1) cap = 1;
  const v = alloc(16 + (<usize>cap << 2));
  store<u32>(v, T_ARR);
  store<u32>(v, 0, 4);
  store<u32>(v, cap, 8);
  store<u32>(v, v + 16, 12);
  return v;
}

export function arrayPush(a: usize, x: usize): void {
  const len = load<u32>(a, 4);
  let cap = load<u32>(a, 8);
  let elems = load<u32>(a, 12);
  if (len == cap) {
    const ncap = cap < 4 ? 8 : cap << 1;
    const ne = alloc(<usize>ncap << 2);
    memory.copy(ne, elems, <usize>len << 2);
    elems = ne;
    store<u32>(a, ncap, 8);
    store<u32>(a, ne, 12);
  }
  store<u32>(elems + (<usize>len << 2), x);
  store<u32>(a, len + 1, 4);
}

// ---------------------------------------------------------------- objects and sets
// +4 count, +8 buckets ptr (u32 entry index + 1), +12 bucket mask, +16 entries ptr, +20 entries cap,
// +24 sorted view ptr (u32 entry indices), +28 sorted view epoch.
// Entry (16 bytes): key, value, hash, next (entry index + 1 in the bucket chain, 0 = end).
// A removed entry has key 0; `count` counts live entries, +32 holds the number of used entry slots.
// +36 the string key of the last successful Dot (0 = none) and +40 its entry index: a policy looks
// up the same constant key on the same object again and again (input.action in a loop).
const OBJ_SIZE: usize = 44;

// @ts-ignore: decorator
@inline export function tblCount(t: usize): u32 { return load<u32>(t, 4); }
// @ts-ignore: decorator
@inline function tblUsed(t: usize): u32 { return load<u32>(t, 32); }
// @ts-ignore: decorator
@inline export function entryAt(t: usize, i: u32): usize { return load<u32>(t, 16) + (<usize>i << 4); }

export function newTable(t: u8, cap: u32): usize {
  let nb: u32 = 8;
  while (nb < cap + (cap >> 1)) nb <<= 1;
  const ecap: u32 = cap < 4 ? 4 : cap;
  const v = alloc(OBJ_SIZE + (<usize>nb << 2) + (<usize>ecap << 4));
  store<u32>(v, t);
  store<u32>(v, 0, 4);
  store<u32>(v, v + OBJ_SIZE, 8);
  store<u32>(v, nb - 1, 12);
  store<u32>(v, v + OBJ_SIZE + (<usize>nb << 2), 16);
  store<u32>(v, ecap, 20);
  store<u32>(v, 0, 24);
  store<u32>(v, 0, 28);
  store<u32>(v, 0, 32);
  store<u32>(v, 0, 36);
  zeroWords(v + OBJ_SIZE, <usize>nb << 2);
  return v;
}

/** tblFind for a string key (the common case: Dot lookups), compared inline. */
// @ts-ignore: decorator
@inline export function tblFindStr(t: usize, key: usize, h: u32): usize {
  let idx = load<u32>(load<u32>(t, 8) + (<usize>(h & load<u32>(t, 12)) << 2));
  const entries = load<u32>(t, 16);
  const kl = strLen(key), kd = strData(key);
  while (idx != 0) {
    const e = entries + (<usize>(idx - 1) << 4);
    if (load<u32>(e, 8) == h) {
      const k = load<u32>(e);
      if (k == key) return e;
      if (k != 0 && tag(k) == T_STR && strLen(k) == kl && bytesEqual(strData(k), kd, kl)) return e;
    }
    idx = load<u32>(e, 12);
  }
  return 0;
}

/** The value under string key `key` in object `t`, or 0: lookup without a generic call chain. */
// @ts-ignore: decorator
@inline export function objGetStr(t: usize, key: usize): usize {
  if (load<u32>(t, 36) == key) return load<u32>(entryAt(t, load<u32>(t, 40)), 4);
  const e = tblFindStr(t, key, strHash(key));
  if (e == 0) return 0;
  // Remember the key only if it was allocated before the table, so it lives at least as long
  // (a key from a later allocation could be freed by a heap reset and its address reused).
  if (key < t) {
    store<u32>(t, key, 36);
    store<u32>(t, <u32>((e - load<u32>(t, 16)) >> 4), 40);
  }
  return load<u32>(e, 4);
}

// Small clears and copies inline: V8 runs memory.fill/memory.copy as calls out of the Wasm code,
// which cost more than the few stores that tables, short strings and buffers need.
// @ts-ignore: decorator
@inline export function zeroWords(p: usize, n: usize): void {
  if (n > 64) { memory.fill(p, 0, n); return; }
  for (let i: usize = 0; i < n; i += 8) store<u64>(p + i, 0); // n is a multiple of 8
}

// @ts-ignore: decorator
@inline export function copySmall(dst: usize, src: usize, n: usize): void {
  if (n > 32) { memory.copy(dst, src, n); return; }
  let i: usize = 0;
  while (i + 8 <= n) { store<u64>(dst + i, load<u64>(src + i)); i += 8; }
  while (i < n) { store<u8>(dst + i, load<u8>(src + i)); i++; }
}

/** The entry for `key` (pointer to the 16-byte entry) or 0. */
export function tblFind(t: usize, key: usize, h: u32): usize {
  if (tag(key) == T_STR) return tblFindStr(t, key, h);
  const buckets = load<u32>(t, 8);
  let idx = load<u32>(buckets + (<usize>(h & load<u32>(t, 12)) << 2));
  const entries = load<u32>(t, 16);
  while (idx != 0) {
    const e = entries + (<usize>(idx - 1) << 4);
    if (load<u32>(e, 8) == h) {
      const k = load<u32>(e);
      if (k != 0 && valueEqual(k, key)) return e;
    }
    idx = load<u32>(e, 12);
  }
  return 0;
}

function tblRehash(t: usize, nb: u32): void {
  const buckets = alloc(<usize>nb << 2);
  memory.fill(buckets, 0, <usize>nb << 2);
  const mask = nb - 1;
  const entries = load<u32>(t, 16);
  const used = tblUsed(t);
  for (let i: u32 = 0; i < used; i++) {
    const e = entries + (<usize>i << 4);
    if (load<u32>(e) == 0) continue;
    const b = buckets + (<usize>(load<u32>(e, 8) & mask) << 2);
    store<u32>(e, load<u32>(b), 12);
    store<u32>(b, i + 1);
  }
  store<u32>(t, buckets, 8);
  store<u32>(t, mask, 12);
}

/** Inserts or replaces; returns the entry. */
export function tblPut(t: usize, key: usize, value: usize): usize {
  const h = valueHash(key);
  const found = tblFind(t, key, h);
  if (found != 0) {
    store<u32>(found, value, 4);
    return found;
  }
  return tblAppend(t, key, value, h);
}

/** tblPut for a string key (JSON object members). */
export function tblPutStr(t: usize, key: usize, value: usize): void {
  const h = strHash(key);
  const found = tblFindStr(t, key, h);
  if (found != 0) store<u32>(found, value, 4);
  else tblAppend(t, key, value, h);
}

/** Appends an entry known to be absent. */
export function tblAppend(t: usize, key: usize, value: usize, h: u32): usize {
  let used = tblUsed(t);
  let cap = load<u32>(t, 20);
  let entries = load<u32>(t, 16);
  if (used == cap) {
    const ncap = cap << 1;
    const ne = alloc(<usize>ncap << 4);
    memory.copy(ne, entries, <usize>used << 4);
    entries = ne;
    store<u32>(t, ne, 16);
    store<u32>(t, ncap, 20);
  }
  const e = entries + (<usize>used << 4);
  store<u32>(e, key);
  store<u32>(e, value, 4);
  store<u32>(e, h, 8);
  const count = tblCount(t) + 1;
  store<u32>(t, count, 4);
  store<u32>(t, used + 1, 32);
  store<u32>(t, 0, 24); // sorted view is stale
  let mask = load<u32>(t, 12);
  if (count + (count >> 1) > mask + 1) {
    store<u32>(e, 0, 12);
    tblRehash(t, (mask + 1) << 1);
  } else {
    const b = load<u32>(t, 8) + (<usize>(h & mask) << 2);
    store<u32>(e, load<u32>(b), 12);
    store<u32>(b, used + 1);
  }
  return e;
}

/** Removes `key` if present; returns true if it was. */
export function tblRemove(t: usize, key: usize): bool {
  const e = tblFind(t, key, valueHash(key));
  if (e == 0) return false;
  store<u32>(e, 0);
  store<u32>(t, 0, 36); // the remembered lookup may be this entry
  store<u32>(t, tblCount(t) - 1, 4);
  store<u32>(t, 0, 24);
  tblRehash(t, load<u32>(t, 12) + 1);
  return true;
}

export function objGet(t: usize, key: usize): usize {
  if (tag(key) == T_STR) return objGetStr(t, key);
  const e = tblFind(t, key, valueHash(key));
  return e == 0 ? 0 : load<u32>(e, 4);
}

/** The first live entry of a non-empty table (the only one when its count is 1). */
export function soleEntry(t: usize): usize {
  let e = load<u32>(t, 16);
  while (load<u32>(e) == 0) e += 16;
  return e;
}

// Sorted view: an array of entry pointers ordered by key, rebuilt after inserts or a heap reset.
export function sortedView(t: usize): usize {
  const view = load<u32>(t, 24);
  if (view != 0 && load<u32>(t, 28) == rt_epoch) return view;
  const n = tblCount(t);
  const out = alloc((<usize>n << 2) + 4);
  const used = tblUsed(t);
  let j: usize = 0;
  for (let i: u32 = 0; i < used; i++) {
    const e = entryAt(t, i);
    if (load<u32>(e) != 0) { store<u32>(out + (j << 2), e); j++; }
  }
  sortEntries(out, n);
  store<u32>(t, out, 24);
  store<u32>(t, rt_epoch, 28);
  return out;
}

// Insertion sort for short runs, merge sort beyond: keys are distinct, so stability is moot.
function sortEntries(a: usize, n: u32): void {
  if (n < 2) return;
  if (n <= 12) {
    for (let i: u32 = 1; i < n; i++) {
      const x = load<u32>(a + (<usize>i << 2));
      const xk = load<u32>(x);
      let j = i;
      while (j > 0) {
        const y = load<u32>(a + (<usize>(j - 1) << 2));
        if (valueCompare(load<u32>(y), xk) <= 0) break;
        store<u32>(a + (<usize>j << 2), y);
        j--;
      }
      store<u32>(a + (<usize>j << 2), x);
    }
    return;
  }
  const tmp = alloc(<usize>n << 2);
  mergeSort(a, tmp, 0, n);
}

function mergeSort(a: usize, tmp: usize, lo: u32, hi: u32): void {
  if (hi - lo <= 12) {
    for (let i: u32 = lo + 1; i < hi; i++) {
      const x = load<u32>(a + (<usize>i << 2));
      const xk = load<u32>(x);
      let j = i;
      while (j > lo) {
        const y = load<u32>(a + (<usize>(j - 1) << 2));
        if (valueCompare(load<u32>(y), xk) <= 0) break;
        store<u32>(a + (<usize>j << 2), y);
        j--;
      }
      store<u32>(a + (<usize>j << 2), x);
    }
    return;
  }
  const mid = (lo + hi) >> 1;
  mergeSort(a, tmp, lo, mid);
  mergeSort(a, tmp, mid, hi);
  let i = lo, j = mid, k = lo;
  while (i < mid && j < hi) {
    const x = load<u32>(a + (<usize>i << 2));
    const y = load<u32>(a + (<usize>j << 2));
    if (valueCompare(load<u32>(x), load<u32>(y)) <= 0) { store<u32>(tmp + (<usize>k << 2), x); i++; }
    else { store<u32>(tmp + (<usize>k << 2), y); j++; }
    k++;
  }
  while (i < mid) { store<u32>(tmp + (<usize>k << 2), load<u32>(a + (<usize>i << 2))); i++; k++; }
  while (j < hi) { store<u32>(tmp + (<usize>k << 2), load<u32>(a + (<usize>j << 2))); j++; k++; }
  memory.copy(a + (<usize>lo << 2), tmp + (<usize>lo << 2), <usize>(hi - lo) << 2);
}

/** Sorts an array of value pointers in place (OPA order). */
export function sortValues(a: usize, n: u32): void {
  // Reuse the entry sort by sorting pointers to the pointers: cheaper to write a direct one.
  if (n < 2) return;
  const tmp = alloc(<usize>n << 2);
  mergeSortValues(a, tmp, 0, n);
}

function mergeSortValues(a: usize, tmp: usize, lo: u32, hi: u32): void {
  if (hi - lo <= 12) {
    for (let i: u32 = lo + 1; i < hi; i++) {
      const x = load<u32>(a + (<usize>i << 2));
      let j = i;
      while (j > lo) {
        const y = load<u32>(a + (<usize>(j - 1) << 2));
        if (valueCompare(y, x) <= 0) break;
        store<u32>(a + (<usize>j << 2), y);
        j--;
      }
      store<u32>(a + (<usize>j << 2), x);
    }
    return;
  }
  const mid = (lo + hi) >> 1;
  mergeSortValues(a, tmp, lo, mid);
  mergeSortValues(a, tmp, mid, hi);
  let i = lo, j = mid, k = lo;
  while (i < mid && j < hi) {
    const x = load<u32>(a + (<usize>i << 2));
    const y = load<u32>(a + (<usize>j << 2));
    if (valueCompare(x, y) <= 0) { store<u32>(tmp + (<usize>k << 2), x); i++; }
    else { store<u32>(tmp + (<usize>k << 2), y); j++; }
    k++;
  }
  while (i < mid) { store<u32>(tmp + (<usize>k << 2), load<u32>(a + (<usize>i << 2))); i++; k++; }
  while (j < hi) { store<u32>(tmp + (<usize>k << 2), load<u32>(a + (<usize>j << 2))); j++; k++; }
  memory.copy(a + (<usize>lo << 2), tmp + (<usize>lo << 2), <usize>(hi - lo) << 2);
}

// ---------------------------------------------------------------- hashing
// @ts-ignore: decorator
@inline function mix32(h: u32): u32 {
  h ^= h >> 16; h *= 0x85ebca6b; h ^= h >> 13; h *= 0xc2b2ae35; h ^= h >> 16;
  return h;
}

function mix64(x: u64): u32 {
  x ^= x >> 33; x *= 0xff51afd7ed558ccd; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53; x ^= x >> 33;
  return <u32>x;
}

export function bytesHash(p: usize, n: usize): u32 {
  let h: u32 = 0x9747b28c ^ <u32>n;
  let i: usize = 0;
  while (i + 4 <= n) {
    let k = load<u32>(p + i);
    k *= 0xcc9e2d51; k = rotl<u32>(k, 15); k *= 0x1b873593;
    h ^= k; h = rotl<u32>(h, 13); h = h * 5 + 0xe6546b64;
    i += 4;
  }
  let k: u32 = 0;
  const rest = n - i;
  if (rest == 3) k = <u32>load<u8>(p + i + 2) << 16;
  if (rest >= 2) k |= <u32>load<u8>(p + i + 1) << 8;
  if (rest >= 1) {
    k |= <u32>load<u8>(p + i);
    k *= 0xcc9e2d51; k = rotl<u32>(k, 15); k *= 0x1b873593; h ^= k;
  }
  return mix32(h);
}

/** A string's hash, computed once and cached in the value (+12; 0 = not yet). */
// @ts-ignore: decorator
@inline export function strHash(v: usize): u32 {
  let h = load<u32>(v, 12);
  if (h == 0) {
    h = bytesHash(strData(v), strLen(v));
    if (h == 0) h = 1;
    store<u32>(v, h, 12);
  }
  return h;
}

export function valueHash(v: usize): u32 {
  switch (tag(v)) {
    case T_STR: return strHash(v);
    case T_NUM: {
      const k = numKind(v);
      if (k == N_INT) return mix64(<u64>numInt(v));
      if (k == N_BIG) return bytesHash(numText(v), numTextLen(v)) ^ 0x5bd1e995;
      return mix64(reinterpret<u64>(numFloat(v)));
    }
    case T_NULL: return 0x1b873593;
    case T_BOOL: return load<u32>(v, 4) ? 0x2a6d3a5b : 0x3c6ef372;
    case T_ARR: {
      let h: u32 = 0x811c9dc5;
      const n = arrLen(v);
      for (let i: u32 = 0; i < n; i++) h = (h ^ valueHash(arrGet(v, i))) * 0x01000193;
      return mix32(h ^ n);
    }
    case T_OBJ: {
      // Order-independent: the sum over entries.
      let h: u32 = 0x6b43a9b5;
      const used = tblUsed(v);
      for (let i: u32 = 0; i < used; i++) {
        const e = entryAt(v, i);
        if (load<u32>(e) == 0) continue;
        h += mix32(load<u32>(e, 8) * 31 + valueHash(load<u32>(e, 4)));
      }
      return mix32(h);
    }
    case T_SET: {
      let h: u32 = 0x1f83d9ab;
      const used = tblUsed(v);
      for (let i: u32 = 0; i < used; i++) {
        const e = entryAt(v, i);
        if (load<u32>(e) == 0) continue;
        h += mix32(load<u32>(e, 8));
      }
      return mix32(h);
    }
  }
  return 0;
}

// ---------------------------------------------------------------- equality and order
export function numCompare(a: usize, b: usize): i32 {
  const ka = numKind(a), kb = numKind(b);
  if (ka == N_INT && kb == N_INT) {
    const x = numInt(a), y = numInt(b);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (ka == N_BIG && kb == N_BIG) return bigCompareText(a, b);
  // Approximations first; when they tie (or lie beyond f64's range) compare the exact decimals.
  const x = numAsF64(a), y = numAsF64(b);
  if (x < y) return -1;
  if (x > y) return 1;
  return decCompare(a, b);
}

// Big integers: text is "-?digits" without leading zeros.
function bigCompareText(a: usize, b: usize): i32 {
  const ap = numText(a), an = numTextLen(a), bp = numText(b), bn = numTextLen(b);
  const aneg = load<u8>(ap) == 0x2d, bneg = load<u8>(bp) == 0x2d;
  if (aneg != bneg) return aneg ? -1 : 1;
  let c: i32;
  if (an != bn) c = an < bn ? -1 : 1;
  else c = memory.compare(ap, bp, an);
  c = c < 0 ? -1 : (c > 0 ? 1 : 0);
  return aneg ? -c : c;
}

export function valueEqual(a: usize, b: usize): bool {
  if (a == b) return true;
  if (a == 0 || b == 0) return false;
  const ta = tag(a);
  if (ta != tag(b)) return false;
  switch (ta) {
    case T_STR: {
      const n = strLen(a);
      if (n != strLen(b)) return false;
      return bytesEqual(strData(a), strData(b), n);
    }
    case T_NUM: {
      if (numKind(a) == N_INT && numKind(b) == N_INT) return numInt(a) == numInt(b);
      return numCompare(a, b) == 0;
    }
    case T_BOOL: return load<u32>(a, 4) == load<u32>(b, 4);
    case T_NULL: return true;
    case T_ARR: {
      const n = arrLen(a);
      if (n != arrLen(b)) return false;
      for (let i: u32 = 0; i < n; i++) if (!valueEqual(arrGet(a, i), arrGet(b, i))) return false;
      return true;
    }
    case T_OBJ: {
      if (tblCount(a) != tblCount(b)) return false;
      const used = tblUsed(a);
      for (let i: u32 = 0; i < used; i++) {
        const e = entryAt(a, i);
        const k = load<u32>(e);
        if (k == 0) continue;
        const o = tblFind(b, k, load<u32>(e, 8));
        if (o == 0 || !valueEqual(load<u32>(e, 4), load<u32>(o, 4))) return false;
      }
      return true;
    }
    case T_SET: {
      if (tblCount(a) != tblCount(b)) return false;
      const used = tblUsed(a);
      for (let i: u32 = 0; i < used; i++) {
        const e = entryAt(a, i);
        const k = load<u32>(e);
        if (k == 0) continue;
        if (tblFind(b, k, load<u32>(e, 8)) == 0) return false;
      }
      return true;
    }
  }
  return false;
}

export function valueCompare(a: usize, b: usize): i32 {
  if (a == b) return 0;
  if (a == 0) return -1;
  if (b == 0) return 1;
  const ta = tag(a), tb = tag(b);
  if (ta != tb) return ta < tb ? -1 : 1;
  switch (ta) {
    case T_NULL: return 0;
    case T_BOOL: return <i32>load<u32>(a, 4) - <i32>load<u32>(b, 4);
    case T_NUM: return numCompare(a, b);
    case T_STR: {
      const c = bytesCompare(strData(a), strLen(a), strData(b), strLen(b));
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case T_ARR: {
      const n = arrLen(a), m = arrLen(b);
      const k = n < m ? n : m;
      for (let i: u32 = 0; i < k; i++) {
        const c = valueCompare(arrGet(a, i), arrGet(b, i));
        if (c != 0) return c;
      }
      return n < m ? -1 : (n > m ? 1 : 0);
    }
    case T_OBJ: {
      const va = sortedView(a), vb = sortedView(b);
      const n = tblCount(a), m = tblCount(b);
      const k = n < m ? n : m;
      for (let i: u32 = 0; i < k; i++) {
        const ea = load<u32>(va + (<usize>i << 2)), eb = load<u32>(vb + (<usize>i << 2));
        let c = valueCompare(load<u32>(ea), load<u32>(eb));
        if (c != 0) return c;
        c = valueCompare(load<u32>(ea, 4), load<u32>(eb, 4));
        if (c != 0) return c;
      }
      return n < m ? -1 : (n > m ? 1 : 0);
    }
    case T_SET: {
      const va = sortedView(a), vb = sortedView(b);
      const n = tblCount(a), m = tblCount(b);
      const k = n < m ? n : m;
      for (let i: u32 = 0; i < k; i++) {
        const ea = load<u32>(va + (<usize>i << 2)), eb = load<u32>(vb + (<usize>i << 2));
        const c = valueCompare(load<u32>(ea), load<u32>(eb));
        if (c != 0) return c;
      }
      return n < m ? -1 : (n > m ? 1 : 0);
    }
  }
  return 0;
}

// ---------------------------------------------------------------- generic helpers
export function setAdd(s: usize, x: usize): void {
  const h = valueHash(x);
  if (tblFind(s, x, h) == 0) tblAppend(s, x, x, h);
}

export function setContains(s: usize, x: usize): bool {
  return tblFind(s, x, valueHash(x)) != 0;
}

/** Rune count of a UTF-8 string. */
export function utf8Count(p: usize, n: usize): u32 {
  let c: u32 = 0;
  for (let i: usize = 0; i < n; i++) if ((load<u8>(p + i) & 0xc0) != 0x80) c++;
  return c;
}

/** Index from a number value when it is a non-negative integer below 2^31, else -1. */
export function numIndex(v: usize): i32 {
  if (tag(v) != T_NUM || numKind(v) != N_INT) return -1;
  const i = numInt(v);
  if (i < 0 || i > 0x7fffffff) return -1;
  return <i32>i;
}

export function valueGet(v: usize, key: usize): usize {
  if (v == 0 || key == 0) return 0;
  const t = tag(v);
  if (t == T_OBJ) return objGet(v, key);
  if (t == T_ARR) {
    const i = numIndex(key);
    if (i < 0 || <u32>i >= arrLen(v)) return 0;
    return arrGet(v, <u32>i);
  }
  if (t == T_SET) {
    const e = tblFind(v, key, valueHash(key));
    return e == 0 ? 0 : load<u32>(e);
  }
  return 0;
}

export function valueLength(v: usize): i32 {
  if (v == 0) return -1;
  switch (tag(v)) {
    case T_ARR: return <i32>arrLen(v);
    case T_OBJ: return <i32>tblCount(v);
    case T_SET: return <i32>tblCount(v);
    case T_STR: return <i32>utf8Count(strData(v), strLen(v));
  }
  return -1;
}

export function shallowCopy(v: usize): usize {
  if (v == 0) return 0;
  const t = tag(v);
  if (t == T_ARR) {
    const n = arrLen(v);
    const c = newArray(n);
    memory.copy(load<u32>(c, 12), load<u32>(v, 12), <usize>n << 2);
    store<u32>(c, n, 4);
    return c;
  }
  if (t == T_OBJ || t == T_SET) {
    const c = newTable(t, tblCount(v));
    const used = tblUsed(v);
    for (let i: u32 = 0; i < used; i++) {
      const e = entryAt(v, i);
      if (load<u32>(e) == 0) continue;
      tblAppend(c, load<u32>(e), load<u32>(e, 4), load<u32>(e, 8));
    }
    return c;
  }
  return v;
}

/** Object insert that fails (returns false) if the key holds a different value. */
export function objInsertOnce(o: usize, k: usize, v: usize): bool {
  const h = valueHash(k);
  const e = tblFind(o, k, h);
  if (e != 0) return valueEqual(load<u32>(e, 4), v);
  tblAppend(o, k, v, h);
  return true;
}

export function boolValue(b: bool): usize { return b ? TRUE_V : FALSE_V; }
