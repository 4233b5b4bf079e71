// Entry of the runtime: OPA's Wasm ABI exports and the value operations the generated code calls.
// The contract (names, signatures, layout, errors) is README.md in this folder.
import { alloc, abortWith, opa_heap_ptr_set, rt_heap_ptr, rt_host_args } from "./alloc";
import { dumpJSON, dumpRego, parseJSON } from "./json";
import { numFromF64, parseNumber } from "./numbers";
import {
  FALSE_V, NULL_V, TRUE_V, T_ARR, T_OBJ, T_SET, T_STR, arrGet, arrLen, arrayPush, boolValue, newArray, newInt,
  newString, newTable, objGet, objGetStr, bytesEqual, strData, strLen, objInsertOnce, setAdd, shallowCopy, sortedView, tag, tblCount, tblPut,
  tblRemove, valueCompare, valueEqual, valueGet, valueHash, valueLength, numIndex,
} from "./value";

export {
  opa_malloc, opa_free, opa_heap_ptr_get, opa_heap_ptr_set, rt_heap_ptr, rt_location, rt_strict, rt_host_args,
} from "./alloc";
export * from "./builtins";
export { govern_steps_set, govern_steps_left } from "./steps";
import { spendStep } from "./steps";

// ---------------------------------------------------------------- policy hooks (linker-provided)
@external("policy", "eval")
declare function policy_eval(ctx: usize): void;
@external("policy", "builtins")
declare function policy_builtins(): usize;
@external("policy", "entrypoints")
declare function policy_entrypoints(): usize;

export const opa_wasm_abi_version: i32 = 1;
export const opa_wasm_abi_minor_version: i32 = 3;

// ---------------------------------------------------------------- evaluation context
export function opa_eval_ctx_new(): usize {
  const ctx = alloc(16);
  store<u32>(ctx, 0);
  store<u32>(ctx, 0, 4);
  store<u32>(ctx, newTable(T_SET, 0), 8);
  store<i32>(ctx, 0, 12);
  return ctx;
}
export function opa_eval_ctx_set_input(ctx: usize, v: usize): void { store<u32>(ctx, v); }
export function opa_eval_ctx_set_data(ctx: usize, v: usize): void { store<u32>(ctx, v, 4); }
export function opa_eval_ctx_set_entrypoint(ctx: usize, id: i32): void { store<i32>(ctx, id, 12); }
export function opa_eval_ctx_get_result(ctx: usize): usize { return load<u32>(ctx, 8); }
export function rt_ctx_input(ctx: usize): usize { return load<u32>(ctx); }
export function rt_ctx_data(ctx: usize): usize { return load<u32>(ctx, 4); }
export function rt_ctx_result(ctx: usize): usize { return load<u32>(ctx, 8); }
export function rt_ctx_entrypoint(ctx: usize): i32 { return load<i32>(ctx, 12); }

export function eval(ctx: usize): i32 {
  policy_eval(ctx);
  return 0;
}

export function builtins(): usize { return policy_builtins(); }
export function entrypoints(): usize { return policy_entrypoints(); }

/** ABI 1.2 one-shot evaluation: input text already in memory at `input`, heap reset to `heapPtr`. */
export function opa_eval(reserved: i32, entrypoint: i32, data: usize, input: usize, inputLen: usize, heapPtr: usize, format: i32): usize {
  opa_heap_ptr_set(heapPtr);
  const ctx = opa_eval_ctx_new();
  if (input != 0) {
    const v = parseJSON(input, inputLen, false);
    if (v == 0) abortWith("internal_error: invalid input JSON");
    store<u32>(ctx, v);
  }
  store<u32>(ctx, data, 4);
  store<i32>(ctx, entrypoint, 12);
  policy_eval(ctx);
  const result = load<u32>(ctx, 8);
  return format == 1 ? dumpRego(result) : dumpJSON(result);
}

// ---------------------------------------------------------------- JSON
// Hosts only: also reads Rego's set syntax, so a host builtin can return a set (raw text).
export function opa_json_parse(p: usize, n: usize): usize { return parseJSON(p, n, true); }
export function opa_value_parse(p: usize, n: usize): usize { return parseJSON(p, n, true); }
export function opa_json_dump(v: usize): usize { return dumpJSON(v, rt_host_args != 0); }
export function opa_value_dump(v: usize): usize { return dumpRego(v); }

// ---------------------------------------------------------------- constructors
export function opa_null(): usize { return NULL_V; }
export function opa_boolean(b: i32): usize { return b ? TRUE_V : FALSE_V; }
export function opa_number_int(i: i64): usize { return newInt(i); }
export function opa_number_float(f: f64): usize { return numFromF64(f); }
export function opa_number_ref(p: usize, n: usize): usize { return parseNumber(p, n); }
export function opa_string(p: usize, n: usize): usize { return newString(p, n); }
export function opa_array_with_cap(cap: u32): usize { return newArray(cap); }
export function opa_array(): usize { return newArray(4); }
export function opa_object(): usize { return newTable(T_OBJ, 0); }
export function opa_set(): usize { return newTable(T_SET, 0); }

export function opa_array_append(a: usize, v: usize): void { arrayPush(a, v); }
export function opa_set_add(s: usize, v: usize): void { setAdd(s, v); }
export function opa_object_insert(o: usize, k: usize, v: usize): void { tblPut(o, k, v); }
export function rt_object_insert_once(o: usize, k: usize, v: usize): i32 { return objInsertOnce(o, k, v) ? 0 : 1; }

// ---------------------------------------------------------------- reading
export function opa_value_get(v: usize, k: usize): usize {
  // Dot with a string key on an object (most lookups) skips the generic dispatch.
  if (v != 0 && k != 0 && tag(v) == T_OBJ && tag(k) == T_STR) return objGetStr(v, k);
  return valueGet(v, k);
}
export function opa_value_length(v: usize): i32 { return valueLength(v); }
export function opa_value_type(v: usize): i32 { return v == 0 ? 0 : <i32>tag(v); }
export function opa_value_compare(a: usize, b: usize): i32 { return valueCompare(a, b); }
export function opa_value_equal(a: usize, b: usize): i32 {
  if (a == 0 || b == 0) return 0;
  if (a == b) return 1;
  // Strings (most comparisons in policies) inline.
  if (tag(a) == T_STR && tag(b) == T_STR) {
    const n = strLen(a);
    return n == strLen(b) && bytesEqual(strData(a), strData(b), n) ? 1 : 0;
  }
  return valueEqual(a, b) ? 1 : 0;
}
export function rt_value_hash(v: usize): u32 { return valueHash(v); }
export function rt_is_array(v: usize): i32 { return v != 0 && tag(v) == T_ARR ? 1 : 0; }
export function rt_is_object(v: usize): i32 { return v != 0 && tag(v) == T_OBJ ? 1 : 0; }
export function rt_is_set(v: usize): i32 { return v != 0 && tag(v) == T_SET ? 1 : 0; }
export function opa_value_shallow_copy(v: usize): usize { return shallowCopy(v); }

// ---------------------------------------------------------------- iteration (Scan)
// Cursor: -1 before the first element; arrays index elements, objects/sets their sorted view.
export function rt_iter_next(v: usize, cursor: i32): i32 {
  spendStep();
  if (v == 0) return -1;
  const t = tag(v);
  let n: i32;
  if (t == T_ARR) n = <i32>arrLen(v);
  else if (t == T_OBJ || t == T_SET) {
    n = <i32>tblCount(v);
    if (cursor < 0 && n > 0) sortedView(v);
  } else return -1;
  const next = cursor + 1;
  return next < n ? next : -1;
}

export function rt_iter_key(v: usize, cursor: i32): usize {
  const t = tag(v);
  if (t == T_ARR) return newInt(cursor);
  return load<u32>(load<u32>(sortedView(v) + (<usize>cursor << 2)));
}

export function rt_iter_value(v: usize, cursor: i32): usize {
  const t = tag(v);
  if (t == T_ARR) return arrGet(v, <u32>cursor);
  const e = load<u32>(sortedView(v) + (<usize>cursor << 2));
  return t == T_OBJ ? load<u32>(e, 4) : load<u32>(e);
}

// ---------------------------------------------------------------- merge, paths, with
export function opa_value_merge(a: usize, b: usize): usize {
  if (a == 0) return b;
  if (b == 0) return a;
  if (tag(a) != T_OBJ || tag(b) != T_OBJ) return 0;
  const out = newTable(T_OBJ, tblCount(a) + tblCount(b));
  const va = sortedView(a);
  const na = tblCount(a);
  for (let i: u32 = 0; i < na; i++) {
    const e = load<u32>(va + (<usize>i << 2));
    const k = load<u32>(e);
    const other = objGet(b, k);
    if (other == 0) { tblPut(out, k, load<u32>(e, 4)); continue; }
    const m = opa_value_merge(load<u32>(e, 4), other);
    if (m == 0) return 0;
    tblPut(out, k, m);
  }
  const vb = sortedView(b);
  const nb = tblCount(b);
  for (let i: u32 = 0; i < nb; i++) {
    const e = load<u32>(vb + (<usize>i << 2));
    const k = load<u32>(e);
    if (objGet(a, k) == 0) tblPut(out, k, load<u32>(e, 4));
  }
  return out;
}

/** In place: sets `value` at `path` (array of keys) under object `base`, creating objects. */
export function opa_value_add_path(base: usize, path: usize, value: usize): i32 {
  if (base == 0 || path == 0 || tag(path) != T_ARR) return 1;
  const n = arrLen(path);
  if (n == 0) return 1;
  let cur = base;
  for (let i: u32 = 0; i + 1 < n; i++) {
    if (tag(cur) != T_OBJ) return 1;
    const k = arrGet(path, i);
    let next = objGet(cur, k);
    if (next == 0) {
      next = newTable(T_OBJ, 0);
      tblPut(cur, k, next);
    }
    cur = next;
  }
  if (tag(cur) != T_OBJ) return 1;
  tblPut(cur, arrGet(path, n - 1), value);
  return 0;
}

export function opa_value_remove_path(base: usize, path: usize): i32 {
  if (base == 0 || path == 0 || tag(path) != T_ARR) return 1;
  const n = arrLen(path);
  if (n == 0) return 1;
  let cur = base;
  for (let i: u32 = 0; i + 1 < n; i++) {
    cur = valueGet(cur, arrGet(path, i));
    if (cur == 0) return 0;
  }
  if (tag(cur) == T_OBJ || tag(cur) == T_SET) tblRemove(cur, arrGet(path, n - 1));
  return 0;
}

/** A copy of `base` (may be undefined) with `value` at `path`; copies only along the path. */
export function rt_value_upsert(base: usize, path: usize, value: usize): usize {
  return upsertFrom(base, path, 0, value);
}

function upsertFrom(base: usize, path: usize, i: u32, value: usize): usize {
  if (i >= arrLen(path)) return value;
  const k = arrGet(path, i);
  let copy: usize;
  if (base != 0 && tag(base) == T_OBJ) copy = shallowCopy(base);
  else if (base != 0 && tag(base) == T_ARR && numIndex(k) >= 0 && <u32>numIndex(k) < arrLen(base)) {
    copy = shallowCopy(base);
    const idx = <u32>numIndex(k);
    store<u32>(load<u32>(copy, 12) + (<usize>idx << 2), upsertFrom(arrGet(base, idx), path, i + 1, value));
    return copy;
  } else copy = newTable(T_OBJ, 0);
  tblPut(copy, k, upsertFrom(objGet(copy, k), path, i + 1, value));
  return copy;
}

// ---------------------------------------------------------------- errors for generated code
export function rt_abort_conflict(): void {
  abortWith("eval_conflict_error: complete rules must not produce multiple outputs");
}
export function rt_abort_object_conflict(): void {
  abortWith("eval_conflict_error: object keys must be unique");
}
export function rt_abort_function_conflict(): void {
  abortWith("eval_conflict_error: functions must not produce multiple outputs for same inputs");
}
