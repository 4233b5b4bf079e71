// Bump allocator over the imported memory. Values are never freed one by one: the SDK resets the
// heap pointer between evaluations (opa_heap_ptr_set / opa_eval's heap_ptr), which reclaims every
// per-evaluation allocation at once and keeps memory flat.

@external("env", "opa_abort")
declare function env_opa_abort(msg: usize): void;

// The heap starts at a fixed address so the initial value is a constant the linker can rewrite:
// the runtime's own static data lies below it (checked by the tests), the linker places the
// policy's static data from here on and moves the initial value past it.
export let rt_heap_ptr: usize = 65536;

// Bumped on every heap reset: caches allocated in the heap (sorted views of objects and sets)
// remember the epoch they were built in and are rebuilt after a reset.
export let rt_epoch: u32 = 1;

// Pointer to a NUL-terminated "file:row:col" the generated code sets before calls that may fail.
export let rt_location: usize = 0;

// 1: builtin errors abort evaluation (OPA's strict-builtin-errors); 0: the builtin is undefined.
export let rt_strict: i32 = 0;

// 1 while the generated code calls a host builtin: opa_json_dump then marks sets (see json.ts).
export let rt_host_args: i32 = 0;

// @ts-ignore: decorator
@inline
export function alloc(size: usize): usize {
  const ptr = rt_heap_ptr;
  const end = (ptr + size + 7) & ~7;
  if (end > (<usize>memory.size() << 16)) grow(end);
  rt_heap_ptr = end;
  return ptr;
}

function grow(end: usize): void {
  const have = memory.size();
  const need = <i32>((end + 0xffff) >>> 16) - have;
  // Grow at least by half the current size so repeated growth stays cheap.
  let pages = need > (have >> 1) ? need : (have >> 1);
  if (memory.grow(pages) < 0 && memory.grow(need) < 0) {
    abortWith("internal_error: out of memory");
  }
}

export function opa_malloc(size: usize): usize {
  return alloc(size);
}

export function opa_free(ptr: usize): void {}

export function opa_heap_ptr_get(): usize {
  return rt_heap_ptr;
}

export function opa_heap_ptr_set(ptr: usize): void {
  rt_heap_ptr = ptr;
  rt_epoch++;
  rt_host_args = 0; // a new evaluation: no host call is under way, even if the last one threw
}

// Writes an ASCII AssemblyScript literal as NUL-terminated bytes at `dst`; returns the end.
export function writeAscii(dst: usize, text: string): usize {
  const n = text.length;
  for (let i = 0; i < n; i++) store<u8>(dst + i, <u8>text.charCodeAt(i));
  return dst + n;
}

export function cstrLen(p: usize): usize {
  let n: usize = 0;
  while (load<u8>(p + n) != 0) n++;
  return n;
}

// Aborts with `[location: ]message`. Never returns (opa_abort throws in the host).
export function abortWith(message: string): void {
  abortBytes(message, 0, 0);
}

// Aborts with `[location: ]prefix` followed by `len` raw bytes at `extra`.
export function abortBytes(prefix: string, extra: usize, len: usize): void {
  let locLen: usize = rt_location != 0 ? cstrLen(rt_location) : 0;
  // The message lives past the heap pointer: nothing else will run after the abort.
  const buf = rt_heap_ptr;
  const total = locLen + 2 + <usize>prefix.length + len + 1;
  if (buf + total > (<usize>memory.size() << 16)) memory.grow(<i32>((total + 0xffff) >>> 16));
  let p = buf;
  if (locLen != 0) {
    memory.copy(p, rt_location, locLen);
    p += locLen;
    store<u8>(p, 0x3a); store<u8>(p + 1, 0x20); p += 2;
  }
  p = writeAscii(p, prefix);
  if (len != 0) { memory.copy(p, extra, len); p += len; }
  store<u8>(p, 0);
  env_opa_abort(buf);
  unreachable();
}

// Target of AssemblyScript's own `abort` (assertions in the standard library).
export function rt_as_abort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  abortWith("internal_error: runtime assertion failed");
}
