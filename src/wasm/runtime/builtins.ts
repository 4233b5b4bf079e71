// Builtins done in Wasm: one export per OPA builtin, `rt_builtin_<name with . as _>`.
// Arguments and result are value pointers; 0 is undefined (also the result of a builtin error when
// strict builtin errors are off, see errors.ts).
import { alloc } from "./alloc";
import { bufNew } from "./buf";
import { builtinError, intError, typeError, typeErrorText } from "./errors";
import { dumpJSON, parseJSON, writeJSON } from "./json";
import {
  intOk, isNum, isZero, numAbs, numAdd, numDiv, numF64, numFromF64, numIsNegative, numMul, numNeg, numRem,
  numRound, numToI64, parseNumber,
} from "./numbers";
import {
  FALSE_V, NULL_V, TRUE_V, N_FLOAT, T_ARR, T_BOOL, T_NULL, T_NUM, T_OBJ, T_SET, T_STR, arrGet, arrLen,
  arrayPush, boolValue, entryAt, newArray, newInt, newString, newTable, numKind, objGet, setAdd,
  setContains, shallowCopy, sortValues, sortedView, strData, strLen, tag, tblAppend, tblCount, tblFind,
  tblPut, valueCompare, valueEqual, valueGet, valueHash, valueLength,
} from "./value";

export * from "./strings";

// @ts-ignore: decorator
@inline function isT(v: usize, t: u8): bool { return v != 0 && tag(v) == t; }

// Entries of an object/set in sorted order: entry pointer i of the view.
// @ts-ignore: decorator
@inline function viewEntry(view: usize, i: u32): usize { return load<u32>(view + (<usize>i << 2)); }

// ---------------------------------------------------------------- arithmetic
export function rt_builtin_plus(a: usize, b: usize): usize {
  if (!isNum(a)) return typeError("plus", 1, "number", a);
  if (!isNum(b)) return typeError("plus", 2, "number", b);
  return numAdd(a, b, false);
}

function setDiff(a: usize, b: usize): usize {
  const out = newTable(T_SET, 0);
  const view = sortedView(a);
  const n = tblCount(a);
  for (let i: u32 = 0; i < n; i++) {
    const e = viewEntry(view, i);
    if (tblFind(b, load<u32>(e), load<u32>(e, 8)) == 0) tblAppend(out, load<u32>(e), load<u32>(e), load<u32>(e, 8));
  }
  return out;
}

export function rt_builtin_minus(a: usize, b: usize): usize {
  if (isT(a, T_SET)) {
    if (!isT(b, T_SET)) return typeError("minus", 2, "set", b);
    return setDiff(a, b);
  }
  if (!isNum(a)) return typeError("minus", 1, "number", a);
  if (!isNum(b)) return typeError("minus", 2, "number", b);
  return numAdd(a, b, true);
}

export function rt_builtin_mul(a: usize, b: usize): usize {
  if (!isNum(a)) return typeError("mul", 1, "number", a);
  if (!isNum(b)) return typeError("mul", 2, "number", b);
  return numMul(a, b);
}

export function rt_builtin_div(a: usize, b: usize): usize {
  if (!isNum(a)) return typeError("div", 1, "number", a);
  if (!isNum(b)) return typeError("div", 2, "number", b);
  if (isZero(b)) return builtinError("div", "divide by zero");
  return numDiv(a, b);
}

export function rt_builtin_rem(a: usize, b: usize): usize {
  if (!isNum(a)) return typeError("rem", 1, "number", a);
  if (!isNum(b)) return typeError("rem", 2, "number", b);
  if (numKind(a) == N_FLOAT || numKind(b) == N_FLOAT) return builtinError("rem", "modulo on floating-point number");
  if (isZero(b)) return builtinError("rem", "modulo by zero");
  return numRem(a, b);
}

export function rt_builtin_abs(a: usize): usize {
  if (!isNum(a)) return typeError("abs", 1, "number", a);
  return numAbs(a);
}
export function rt_builtin_round(a: usize): usize {
  if (!isNum(a)) return typeError("round", 1, "number", a);
  return numRound(a, 0);
}
export function rt_builtin_ceil(a: usize): usize {
  if (!isNum(a)) return typeError("ceil", 1, "number", a);
  return numRound(a, 1);
}
export function rt_builtin_floor(a: usize): usize {
  if (!isNum(a)) return typeError("floor", 1, "number", a);
  return numRound(a, 2);
}

// ---------------------------------------------------------------- comparison
export function rt_builtin_equal(a: usize, b: usize): usize { return boolValue(valueEqual(a, b)); }
export function rt_builtin_neq(a: usize, b: usize): usize { return boolValue(!valueEqual(a, b)); }
export function rt_builtin_lt(a: usize, b: usize): usize { return boolValue(valueCompare(a, b) < 0); }
export function rt_builtin_lte(a: usize, b: usize): usize { return boolValue(valueCompare(a, b) <= 0); }
export function rt_builtin_gt(a: usize, b: usize): usize { return boolValue(valueCompare(a, b) > 0); }
export function rt_builtin_gte(a: usize, b: usize): usize { return boolValue(valueCompare(a, b) >= 0); }

// ---------------------------------------------------------------- sets
function setAnd(a: usize, b: usize): usize {
  // Iterate the smaller set.
  if (tblCount(b) < tblCount(a)) { const t = a; a = b; b = t; }
  const out = newTable(T_SET, 0);
  const view = sortedView(a);
  const n = tblCount(a);
  for (let i: u32 = 0; i < n; i++) {
    const e = viewEntry(view, i);
    if (tblFind(b, load<u32>(e), load<u32>(e, 8)) != 0) tblAppend(out, load<u32>(e), load<u32>(e), load<u32>(e, 8));
  }
  return out;
}

function setOrInto(out: usize, a: usize): void {
  const view = sortedView(a);
  const n = tblCount(a);
  for (let i: u32 = 0; i < n; i++) {
    const e = viewEntry(view, i);
    if (tblFind(out, load<u32>(e), load<u32>(e, 8)) == 0) tblAppend(out, load<u32>(e), load<u32>(e), load<u32>(e, 8));
  }
}

export function rt_builtin_and(a: usize, b: usize): usize {
  if (!isT(a, T_SET)) return typeError("and", 1, "set", a);
  if (!isT(b, T_SET)) return typeError("and", 2, "set", b);
  return setAnd(a, b);
}

export function rt_builtin_or(a: usize, b: usize): usize {
  if (!isT(a, T_SET)) return typeError("or", 1, "set", a);
  if (!isT(b, T_SET)) return typeError("or", 2, "set", b);
  const out = newTable(T_SET, tblCount(a) + tblCount(b));
  setOrInto(out, a);
  setOrInto(out, b);
  return out;
}

export function rt_builtin_intersection(s: usize): usize {
  if (!isT(s, T_SET)) return typeError("intersection", 1, "set", s);
  const n = tblCount(s);
  if (n == 0) return newTable(T_SET, 0);
  const view = sortedView(s);
  let acc: usize = 0;
  for (let i: u32 = 0; i < n; i++) {
    const x = load<u32>(viewEntry(view, i));
    if (!isT(x, T_SET)) return typeError("intersection", 1, "set of sets", s);
    acc = acc == 0 ? x : setAnd(acc, x);
  }
  return acc;
}

export function rt_builtin_union(s: usize): usize {
  if (!isT(s, T_SET)) return typeError("union", 1, "set", s);
  const out = newTable(T_SET, 0);
  const view = sortedView(s);
  const n = tblCount(s);
  for (let i: u32 = 0; i < n; i++) {
    const x = load<u32>(viewEntry(view, i));
    if (!isT(x, T_SET)) return typeError("union", 1, "set of sets", s);
    setOrInto(out, x);
  }
  return out;
}

// ---------------------------------------------------------------- aggregates
// Elements of an array or set (sorted for sets) into a fresh pointer array; count in `elemCount`.
let elemCount: u32 = 0;
function elements(v: usize): usize {
  if (tag(v) == T_ARR) { elemCount = arrLen(v); return load<u32>(v, 12); }
  const n = tblCount(v);
  const view = sortedView(v);
  const out = alloc((<usize>n << 2) + 4);
  for (let i: u32 = 0; i < n; i++) store<u32>(out + (<usize>i << 2), load<u32>(viewEntry(view, i)));
  elemCount = n;
  return out;
}

export function rt_builtin_count(v: usize): usize {
  const n = valueLength(v);
  if (n < 0) return typeError("count", 1, "one of {array, object, set, string}", v);
  return newInt(n);
}

export function rt_builtin_sum(v: usize): usize {
  if (!isT(v, T_ARR) && !isT(v, T_SET)) return typeError("sum", 1, "one of {array, set}", v);
  const p = elements(v);
  const n = elemCount;
  let acc = newInt(0);
  for (let i: u32 = 0; i < n; i++) {
    const x = load<u32>(p + (<usize>i << 2));
    if (!isNum(x)) return typeError("sum", 1, "collection of numbers", v);
    acc = numAdd(acc, x, false);
  }
  return acc;
}

export function rt_builtin_product(v: usize): usize {
  if (!isT(v, T_ARR) && !isT(v, T_SET)) return typeError("product", 1, "one of {array, set}", v);
  const p = elements(v);
  const n = elemCount;
  let acc = newInt(1);
  for (let i: u32 = 0; i < n; i++) {
    const x = load<u32>(p + (<usize>i << 2));
    if (!isNum(x)) return typeError("product", 1, "collection of numbers", v);
    acc = numMul(acc, x);
  }
  return acc;
}

function extreme(name: string, v: usize, sign: i32): usize {
  if (!isT(v, T_ARR) && !isT(v, T_SET)) return typeError(name, 1, "one of {array, set}", v);
  const p = elements(v);
  const n = elemCount;
  if (n == 0) return 0;
  let best = load<u32>(p);
  for (let i: u32 = 1; i < n; i++) {
    const x = load<u32>(p + (<usize>i << 2));
    if (valueCompare(x, best) * sign > 0) best = x;
  }
  return best;
}
export function rt_builtin_max(v: usize): usize { return extreme("max", v, 1); }
export function rt_builtin_min(v: usize): usize { return extreme("min", v, -1); }

export function rt_builtin_sort(v: usize): usize {
  if (!isT(v, T_ARR) && !isT(v, T_SET)) return typeError("sort", 1, "one of {array, set}", v);
  const p = elements(v);
  const n = elemCount;
  const out = newArray(n);
  memory.copy(load<u32>(out, 12), p, <usize>n << 2);
  store<u32>(out, n, 4);
  if (tag(v) == T_ARR) sortValues(load<u32>(out, 12), n);
  return out;
}

function allAny(name: string, v: usize, wantAll: bool): usize {
  if (!isT(v, T_ARR) && !isT(v, T_SET)) return typeError(name, 1, "one of {array, set}", v);
  const p = elements(v);
  const n = elemCount;
  for (let i: u32 = 0; i < n; i++) {
    const isTrue = load<u32>(p + (<usize>i << 2)) == TRUE_V || valueEqual(load<u32>(p + (<usize>i << 2)), TRUE_V);
    if (wantAll && !isTrue) return FALSE_V;
    if (!wantAll && isTrue) return TRUE_V;
  }
  return boolValue(wantAll);
}
export function rt_builtin_all(v: usize): usize { return allAny("all", v, true); }
export function rt_builtin_any(v: usize): usize { return allAny("any", v, false); }

// ---------------------------------------------------------------- arrays
export function rt_builtin_array_concat(a: usize, b: usize): usize {
  if (!isT(a, T_ARR)) return typeError("array.concat", 1, "array", a);
  if (!isT(b, T_ARR)) return typeError("array.concat", 2, "array", b);
  const n = arrLen(a), m = arrLen(b);
  const out = newArray(n + m);
  memory.copy(load<u32>(out, 12), load<u32>(a, 12), <usize>n << 2);
  memory.copy(load<u32>(out, 12) + (<usize>n << 2), load<u32>(b, 12), <usize>m << 2);
  store<u32>(out, n + m, 4);
  return out;
}

export function rt_builtin_array_slice(a: usize, s: usize, e: usize): usize {
  if (!isT(a, T_ARR)) return typeError("array.slice", 1, "array", a);
  if (!isNum(s)) return typeError("array.slice", 2, "number", s);
  if (!isNum(e)) return typeError("array.slice", 3, "number", e);
  const n = <i64>arrLen(a);
  let start = numToI64(s);
  if (!intOk) return intError("array.slice", 2);
  let stop = numToI64(e);
  if (!intOk) return intError("array.slice", 3);
  if (start < 0) start = 0;
  if (stop > n) stop = n;
  if (start > stop) start = stop;
  const len = <u32>(stop - start);
  const out = newArray(len);
  memory.copy(load<u32>(out, 12), load<u32>(a, 12) + (<usize>start << 2), <usize>len << 2);
  store<u32>(out, len, 4);
  return out;
}

export function rt_builtin_array_reverse(a: usize): usize {
  if (!isT(a, T_ARR)) return typeError("array.reverse", 1, "array", a);
  const n = arrLen(a);
  const out = newArray(n);
  for (let i: u32 = 0; i < n; i++) store<u32>(load<u32>(out, 12) + (<usize>i << 2), arrGet(a, n - 1 - i));
  store<u32>(out, n, 4);
  return out;
}

export function rt_builtin_array_flatten(a: usize): usize {
  if (!isT(a, T_ARR)) return typeError("array.flatten", 1, "array", a);
  const out = newArray(arrLen(a));
  const n = arrLen(a);
  for (let i: u32 = 0; i < n; i++) {
    const x = arrGet(a, i);
    // One level only, as OPA: [[1, [2]]] becomes [1, [2]].
    if (tag(x) == T_ARR) {
      const m = arrLen(x);
      for (let j: u32 = 0; j < m; j++) arrayPush(out, arrGet(x, j));
    } else arrayPush(out, x);
  }
  return out;
}

// ---------------------------------------------------------------- objects
export function rt_builtin_object_get(o: usize, key: usize, dflt: usize): usize {
  if (!isT(o, T_OBJ)) return typeError("object.get", 1, "object", o);
  // An array key is a path (an empty path is the object itself).
  if (isT(key, T_ARR)) {
    let cur = o;
    const n = arrLen(key);
    for (let i: u32 = 0; i < n; i++) {
      cur = valueGet(cur, arrGet(key, i));
      if (cur == 0) return dflt;
    }
    return cur;
  }
  const v = objGet(o, key);
  return v == 0 ? dflt : v;
}

/** Keys given as an array, set or object (its keys); 0 if not a collection. */
function keySet(k: usize): usize {
  if (isT(k, T_SET)) return k;
  const s = newTable(T_SET, 0);
  if (isT(k, T_ARR)) {
    const n = arrLen(k);
    for (let i: u32 = 0; i < n; i++) setAdd(s, arrGet(k, i));
    return s;
  }
  if (isT(k, T_OBJ)) {
    const view = sortedView(k);
    const n = tblCount(k);
    for (let i: u32 = 0; i < n; i++) setAdd(s, load<u32>(viewEntry(view, i)));
    return s;
  }
  return 0;
}

export function rt_builtin_object_remove(o: usize, keys: usize): usize {
  if (!isT(o, T_OBJ)) return typeError("object.remove", 1, "object", o);
  const ks = keySet(keys);
  if (ks == 0) return typeError("object.remove", 2, "one of {object, set, array}", keys);
  const out = newTable(T_OBJ, tblCount(o));
  const view = sortedView(o);
  const n = tblCount(o);
  for (let i: u32 = 0; i < n; i++) {
    const e = viewEntry(view, i);
    if (!setContains(ks, load<u32>(e))) tblAppend(out, load<u32>(e), load<u32>(e, 4), load<u32>(e, 8));
  }
  return out;
}

export function rt_builtin_object_filter(o: usize, keys: usize): usize {
  if (!isT(o, T_OBJ)) return typeError("object.filter", 1, "object", o);
  const ks = keySet(keys);
  if (ks == 0) return typeError("object.filter", 2, "one of {object, set, array}", keys);
  const out = newTable(T_OBJ, 0);
  const view = sortedView(o);
  const n = tblCount(o);
  for (let i: u32 = 0; i < n; i++) {
    const e = viewEntry(view, i);
    if (setContains(ks, load<u32>(e))) tblAppend(out, load<u32>(e), load<u32>(e, 4), load<u32>(e, 8));
  }
  return out;
}

export function rt_builtin_object_keys(o: usize): usize {
  if (!isT(o, T_OBJ)) return typeError("object.keys", 1, "object", o);
  const out = newTable(T_SET, tblCount(o));
  const view = sortedView(o);
  const n = tblCount(o);
  for (let i: u32 = 0; i < n; i++) {
    const e = viewEntry(view, i);
    tblAppend(out, load<u32>(e), load<u32>(e), load<u32>(e, 8));
  }
  return out;
}

// Recursive union: b wins, objects under the same key are merged.
function unionObjects(a: usize, b: usize): usize {
  const out = shallowCopy(a);
  const view = sortedView(b);
  const n = tblCount(b);
  for (let i: u32 = 0; i < n; i++) {
    const e = viewEntry(view, i);
    const k = load<u32>(e);
    const bv = load<u32>(e, 4);
    const av = objGet(a, k);
    if (av != 0 && tag(av) == T_OBJ && tag(bv) == T_OBJ) tblPut(out, k, unionObjects(av, bv));
    else tblPut(out, k, bv);
  }
  return out;
}

export function rt_builtin_object_union(a: usize, b: usize): usize {
  if (!isT(a, T_OBJ)) return typeError("object.union", 1, "object", a);
  if (!isT(b, T_OBJ)) return typeError("object.union", 2, "object", b);
  return unionObjects(a, b);
}

export function rt_builtin_object_union_n(arr: usize): usize {
  if (!isT(arr, T_ARR)) return typeError("object.union_n", 1, "array", arr);
  let acc = newTable(T_OBJ, 0);
  const n = arrLen(arr);
  for (let i: u32 = 0; i < n; i++) {
    const x = arrGet(arr, i);
    if (!isT(x, T_OBJ)) return typeError("object.union_n", 1, "array of objects", arr);
    acc = unionObjects(acc, x);
  }
  return acc;
}

function isSubset(sup: usize, sub: usize): bool {
  if (tag(sup) == T_OBJ && tag(sub) == T_OBJ) {
    const view = sortedView(sub);
    const n = tblCount(sub);
    for (let i: u32 = 0; i < n; i++) {
      const e = viewEntry(view, i);
      const v = objGet(sup, load<u32>(e));
      if (v == 0 || !isSubset(v, load<u32>(e, 4))) return false;
    }
    return true;
  }
  if (tag(sup) == T_SET && tag(sub) == T_SET) {
    const view = sortedView(sub);
    const n = tblCount(sub);
    for (let i: u32 = 0; i < n; i++) if (!setContains(sup, load<u32>(viewEntry(view, i)))) return false;
    return true;
  }
  if (tag(sup) == T_ARR && tag(sub) == T_ARR) {
    // A contiguous sub-slice.
    const n = arrLen(sup), m = arrLen(sub);
    if (m == 0) return true;
    for (let s: u32 = 0; s + m <= n; s++) {
      let ok = true;
      for (let j: u32 = 0; j < m && ok; j++) ok = valueEqual(arrGet(sup, s + j), arrGet(sub, j));
      if (ok) return true;
    }
    return false;
  }
  if (tag(sup) == T_ARR && tag(sub) == T_SET) {
    // Every member of the set is an element of the array.
    const view = sortedView(sub);
    const n = tblCount(sub), m = arrLen(sup);
    for (let i: u32 = 0; i < n; i++) {
      const x = load<u32>(viewEntry(view, i));
      let found = false;
      for (let j: u32 = 0; j < m && !found; j++) found = valueEqual(arrGet(sup, j), x);
      if (!found) return false;
    }
    return true;
  }
  return valueEqual(sup, sub);
}

function isCollection(t: u8): bool { return t == T_OBJ || t == T_SET || t == T_ARR; }

export function rt_builtin_object_subset(sup: usize, sub: usize): usize {
  if (sup == 0 || !isCollection(tag(sup))) return typeError("object.subset", 1, "one of {object, set, array}", sup);
  if (sub == 0 || !isCollection(tag(sub))) return typeError("object.subset", 2, "one of {object, set, array}", sub);
  if (tag(sup) == T_OBJ && tag(sub) != T_OBJ) return typeError("object.subset", 2, "object", sub);
  return boolValue(isSubset(sup, sub));
}

// ---------------------------------------------------------------- types
export function rt_builtin_is_number(v: usize): usize { return boolValue(isT(v, T_NUM)); }
export function rt_builtin_is_string(v: usize): usize { return boolValue(isT(v, T_STR)); }
export function rt_builtin_is_boolean(v: usize): usize { return boolValue(isT(v, T_BOOL)); }
export function rt_builtin_is_array(v: usize): usize { return boolValue(isT(v, T_ARR)); }
export function rt_builtin_is_set(v: usize): usize { return boolValue(isT(v, T_SET)); }
export function rt_builtin_is_object(v: usize): usize { return boolValue(isT(v, T_OBJ)); }
export function rt_builtin_is_null(v: usize): usize { return boolValue(isT(v, T_NULL)); }

const TYPE_NAMES: usize = memory.data<u8>([
  // "null" "boolean" "number" "string" "array" "object" "set"
  110, 117, 108, 108, 98, 111, 111, 108, 101, 97, 110, 110, 117, 109, 98, 101, 114, 115, 116, 114, 105,
  110, 103, 97, 114, 114, 97, 121, 111, 98, 106, 101, 99, 116, 115, 101, 116,
]);
export function rt_builtin_type_name(v: usize): usize {
  if (v == 0) return 0;
  switch (tag(v)) {
    case T_NULL: return newString(TYPE_NAMES, 4);
    case T_BOOL: return newString(TYPE_NAMES + 4, 7);
    case T_NUM: return newString(TYPE_NAMES + 11, 6);
    case T_STR: return newString(TYPE_NAMES + 17, 6);
    case T_ARR: return newString(TYPE_NAMES + 23, 5);
    case T_OBJ: return newString(TYPE_NAMES + 28, 6);
    case T_SET: return newString(TYPE_NAMES + 34, 3);
  }
  return 0;
}

// ---------------------------------------------------------------- casts
export function rt_builtin_to_number(v: usize): usize {
  if (v == 0) return 0;
  switch (tag(v)) {
    case T_NUM: return v;
    case T_NULL: return newInt(0);
    case T_BOOL: return newInt(load<u32>(v, 4) ? 1 : 0);
    case T_STR: {
      const r = parseNumber(strData(v), strLen(v));
      if (r != 0) return r;
      // Go's ParseFloat takes NaN and infinities, which OPA then rejects as a type error.
      if (isNanOrInf(strData(v), strLen(v))) return typeErrorText("to_number", "operand 1 must be a valid number string but got string");
      return builtinError("to_number", "invalid syntax");
    }
  }
  return typeError("to_number", 1, "one of {boolean, null, number, string}", v);
}

// ---------------------------------------------------------------- numbers.range
function rangeImpl(name: string, a: usize, b: usize, step: i64): usize {
  let x = numToI64(a);
  if (!intOk) return intError(name, 1);
  const y = numToI64(b);
  if (!intOk) return intError(name, 2);
  const n = (x <= y ? (y - x) / step : (x - y) / step) + 1;
  if (n > 100000000) return builtinError(name, "range too large");
  const out = newArray(<u32>n);
  if (x <= y) for (; x <= y; x += step) arrayPush(out, newInt(x));
  else for (; x >= y; x -= step) arrayPush(out, newInt(x));
  return out;
}
export function rt_builtin_numbers_range(a: usize, b: usize): usize {
  if (!isNum(a)) return typeError("numbers.range", 1, "number", a);
  if (!isNum(b)) return typeError("numbers.range", 2, "number", b);
  return rangeImpl("numbers.range", a, b, 1);
}
export function rt_builtin_numbers_range_step(a: usize, b: usize, s: usize): usize {
  if (!isNum(a)) return typeError("numbers.range_step", 1, "number", a);
  if (!isNum(b)) return typeError("numbers.range_step", 2, "number", b);
  if (!isNum(s)) return typeError("numbers.range_step", 3, "number", s);
  if (numKind(s) == N_FLOAT) return intError("numbers.range_step", 3);
  if (numIsNegative(s) || isZero(s)) return builtinError("numbers.range_step", "step must be a positive integer");
  // A step beyond i64 is larger than any range of i64 bounds: only the start remains.
  const step = numKind(s) == N_INT ? numToI64(s) : i64.MAX_VALUE;
  return rangeImpl("numbers.range_step", a, b, step);
}

// ---------------------------------------------------------------- bits
function bitsArgs(name: string, a: usize, b: usize): bool {
  if (!isNum(a)) { typeError(name, 1, "number", a); return false; }
  if (!isNum(b)) { typeError(name, 2, "number", b); return false; }
  numToI64(a);
  if (!intOk) { intError(name, 1); return false; }
  numToI64(b);
  if (!intOk) { intError(name, 2); return false; }
  return true;
}
export function rt_builtin_bits_and(a: usize, b: usize): usize {
  return bitsArgs("bits.and", a, b) ? newInt(numToI64(a) & numToI64(b)) : 0;
}
export function rt_builtin_bits_or(a: usize, b: usize): usize {
  return bitsArgs("bits.or", a, b) ? newInt(numToI64(a) | numToI64(b)) : 0;
}
export function rt_builtin_bits_xor(a: usize, b: usize): usize {
  return bitsArgs("bits.xor", a, b) ? newInt(numToI64(a) ^ numToI64(b)) : 0;
}
export function rt_builtin_bits_negate(a: usize): usize {
  if (!isNum(a)) return typeError("bits.negate", 1, "number", a);
  const x = numToI64(a);
  if (!intOk) return intError("bits.negate", 1);
  return newInt(~x);
}
export function rt_builtin_bits_lsh(a: usize, b: usize): usize {
  if (!bitsArgs("bits.lsh", a, b)) return 0;
  const s = numToI64(b);
  if (s < 0) return typeError("bits.lsh", 2, "unsigned integer", b);
  const x = numToI64(a);
  // Exact: shifting left is multiplying by 2^s (may leave the i64 range).
  let r = a;
  let k = s;
  while (k > 0) {
    const step: i64 = k > 30 ? 30 : k;
    r = numMul(r, newInt(<i64>1 << step));
    k -= step;
  }
  return x == 0 ? newInt(0) : r;
}
export function rt_builtin_bits_rsh(a: usize, b: usize): usize {
  if (!bitsArgs("bits.rsh", a, b)) return 0;
  const s = numToI64(b);
  if (s < 0) return typeError("bits.rsh", 2, "unsigned integer", b);
  return newInt(s >= 64 ? (numToI64(a) < 0 ? -1 : 0) : numToI64(a) >> s);
}

// ---------------------------------------------------------------- json
export function rt_builtin_json_marshal(v: usize): usize {
  if (v == 0) return 0;
  const b = bufNew(64);
  writeJSON(b, v, true);
  return newString(load<u32>(b), load<u32>(b, 4));
}
export function rt_builtin_json_unmarshal(s: usize): usize {
  if (!isT(s, T_STR)) return typeError("json.unmarshal", 1, "string", s);
  const v = parseJSON(strData(s), strLen(s), false);
  if (v == 0) return builtinError("json.unmarshal", "invalid JSON");
  return v;
}
export function rt_builtin_json_is_valid(s: usize): usize {
  if (!isT(s, T_STR)) return FALSE_V;
  return boolValue(parseJSON(strData(s), strLen(s), false) != 0);
}

// ---------------------------------------------------------------- walk
function walkInto(out: usize, path: usize, v: usize): void {
  const pair = newArray(2);
  arrayPush(pair, path);
  arrayPush(pair, v);
  arrayPush(out, pair);
  const t = tag(v);
  if (t == T_ARR) {
    const n = arrLen(v);
    for (let i: u32 = 0; i < n; i++) walkInto(out, extendPath(path, newInt(i)), arrGet(v, i));
  } else if (t == T_OBJ || t == T_SET) {
    const view = sortedView(v);
    const n = tblCount(v);
    for (let i: u32 = 0; i < n; i++) {
      const e = viewEntry(view, i);
      walkInto(out, extendPath(path, load<u32>(e)), t == T_OBJ ? load<u32>(e, 4) : load<u32>(e));
    }
  }
}
function extendPath(path: usize, k: usize): usize {
  const n = arrLen(path);
  const p = newArray(n + 1);
  memory.copy(load<u32>(p, 12), load<u32>(path, 12), <usize>n << 2);
  store<u32>(p, n, 4);
  arrayPush(p, k);
  return p;
}
/** walk(x): array of [path, value] pairs in pre-order (the generated code Scans it). */
export function rt_builtin_walk(v: usize): usize {
  if (v == 0) return 0;
  const out = newArray(16);
  walkInto(out, newArray(1), v);
  return out;
}

// ---------------------------------------------------------------- membership (`in`)
export function rt_builtin_internal_member_2(x: usize, c: usize): usize {
  if (x == 0 || c == 0) return 0;
  const t = tag(c);
  if (t == T_SET) return boolValue(setContains(c, x));
  if (t == T_ARR) {
    const n = arrLen(c);
    for (let i: u32 = 0; i < n; i++) if (valueEqual(arrGet(c, i), x)) return TRUE_V;
    return FALSE_V;
  }
  if (t == T_OBJ) {
    const used = load<u32>(c, 32);
    for (let i: u32 = 0; i < used; i++) {
      const e = entryAt(c, i);
      if (load<u32>(e) != 0 && valueEqual(load<u32>(e, 4), x)) return TRUE_V;
    }
    return FALSE_V;
  }
  return FALSE_V;
}

export function rt_builtin_internal_member_3(k: usize, x: usize, c: usize): usize {
  if (k == 0 || x == 0 || c == 0) return 0;
  const t = tag(c);
  if (t == T_OBJ || t == T_ARR) {
    const v = valueGet(c, k);
    return boolValue(v != 0 && valueEqual(v, x));
  }
  if (t == T_SET) return boolValue(valueEqual(k, x) && setContains(c, x));
  return FALSE_V;
}

// "nan", "inf", "infinity" in any case, optionally signed.
function isNanOrInf(p: usize, n: usize): bool {
  let i: usize = 0;
  if (n > 0 && (load<u8>(p) == 0x2b || load<u8>(p) == 0x2d)) i = 1;
  const len = n - i;
  if (len != 3 && len != 8) return false;
  const w = len == 3 ? (load<u8>(p + i) == 0x6e || load<u8>(p + i) == 0x4e ? "nan" : "inf") : "infinity";
  for (let k: usize = 0; k < len; k++) if ((<u32>load<u8>(p + i + k) | 0x20) != <u32>w.charCodeAt(<i32>k)) return false;
  return true;
}
