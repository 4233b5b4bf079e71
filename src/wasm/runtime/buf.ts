// A growable byte buffer in the heap (for dumps and string building).
import { alloc } from "./alloc";
import { copySmall } from "./value";

// +0 data, +4 len, +8 cap
export function bufNew(cap: usize): usize {
  if (cap < 16) cap = 16;
  const b = alloc(12 + cap);
  store<u32>(b, b + 12);
  store<u32>(b, 0, 4);
  store<u32>(b, cap, 8);
  return b;
}

// @ts-ignore: decorator
@inline export function bufData(b: usize): usize { return load<u32>(b); }
// @ts-ignore: decorator
@inline export function bufLen(b: usize): usize { return load<u32>(b, 4); }

/** Makes room for `n` more bytes; returns the write position. */
export function bufReserve(b: usize, n: usize): usize {
  const len = load<u32>(b, 4);
  const cap = load<u32>(b, 8);
  if (len + n > cap) {
    let ncap = cap << 1;
    if (ncap < len + n) ncap = len + n + 16;
    const nd = alloc(ncap);
    memory.copy(nd, load<u32>(b), len);
    store<u32>(b, nd);
    store<u32>(b, ncap, 8);
  }
  return load<u32>(b) + len;
}

export function bufByte(b: usize, c: u32): void {
  const p = bufReserve(b, 1);
  store<u8>(p, <u8>c);
  store<u32>(b, load<u32>(b, 4) + 1, 4);
}

export function bufBytes(b: usize, src: usize, n: usize): void {
  const p = bufReserve(b, n);
  copySmall(p, src, n);
  store<u32>(b, load<u32>(b, 4) + n, 4);
}

export function bufAscii(b: usize, text: string): void {
  const n = <usize>text.length;
  const p = bufReserve(b, n);
  for (let i: usize = 0; i < n; i++) store<u8>(p + i, <u8>text.charCodeAt(<i32>i));
  store<u32>(b, load<u32>(b, 4) + n, 4);
}

export function bufSetLen(b: usize, n: usize): void {
  store<u32>(b, n, 4);
}

/** NUL-terminates and returns the data pointer. */
export function bufCStr(b: usize): usize {
  bufByte(b, 0);
  return load<u32>(b);
}

export function bufU64(b: usize, x: u64): void {
  const p = bufReserve(b, 20);
  let n: usize = 0;
  let y = x;
  do {
    store<u8>(p + n, <u8>(0x30 + <u32>(y % 10)));
    y /= 10;
    n++;
  } while (y != 0);
  for (let i: usize = 0, j = n - 1; i < j; i++, j--) {
    const t = load<u8>(p + i);
    store<u8>(p + i, load<u8>(p + j));
    store<u8>(p + j, t);
  }
  store<u32>(b, load<u32>(b, 4) + n, 4);
}

export function bufI64(b: usize, x: i64): void {
  if (x < 0) {
    bufByte(b, 0x2d);
    bufU64(b, <u64>(-(x + 1)) + 1);
  } else {
    bufU64(b, <u64>x);
  }
}
