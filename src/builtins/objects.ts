// object.* and json.filter / json.remove / json.patch. Sets arrive as arrays; a set result leaves
// as a sorted, de-duplicated array.
import {
  type BuiltinFamily,
  type Json,
  arr,
  deepEqual,
  fail,
  isObject,
  obj,
  operandError,
  toSet,
  typeFail,
  typeName,
} from './common.js';

function keysOf(value: unknown, position: number): string[] {
  if (Array.isArray(value)) return value.filter((k): k is string => typeof k === 'string');
  if (isObject(value)) return Object.keys(value);
  operandError(position, 'one of {object, set, array}', value);
}

function objectGet(o: Record<string, Json>, key: unknown, fallback: unknown): unknown {
  if (Array.isArray(key)) {
    let cur: unknown = o;
    for (const segment of key) {
      if (isObject(cur) && typeof segment === 'string' && segment in cur) cur = cur[segment];
      else if (Array.isArray(cur) && typeof segment === 'number' && Number.isInteger(segment) && segment >= 0 && segment < cur.length) cur = cur[segment];
      else return fallback;
    }
    return cur;
  }
  if (typeof key === 'string' && Object.prototype.hasOwnProperty.call(o, key)) return o[key];
  return fallback;
}

function union(a: Json, b: Json): Json {
  if (isObject(a) && isObject(b)) {
    const out: Record<string, Json> = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = k in a ? union(a[k]!, v) : v;
    return out;
  }
  return b;
}

/** Ordered (not necessarily contiguous) subsequence, as OPA checks arrays. */
function arraySubset(superArr: Json[], sub: Json[]): boolean {
  let i = 0;
  for (const item of superArr) {
    if (i === sub.length) break;
    if (deepEqual(item, sub[i])) i++;
  }
  return i === sub.length;
}

function subset(superValue: Json, sub: Json): boolean {
  if (isObject(superValue) && isObject(sub)) {
    return Object.entries(sub).every(([k, v]) => k in superValue && subset(superValue[k]!, v));
  }
  if (Array.isArray(superValue) && Array.isArray(sub)) return arraySubset(superValue, sub);
  return deepEqual(superValue, sub);
}

// --- json.filter / json.remove ----------------------------------------------------------------

type PathTree = Map<string, PathTree>;

function parsePaths(name: string, value: unknown): PathTree {
  if (!Array.isArray(value)) typeFail(`operand 2 must be one of {set, array} but got ${typeName(value)}`);
  const root: PathTree = new Map();
  for (const p of value) {
    let segments: string[];
    if (typeof p === 'string') segments = p.replace(/^\//, '').split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    else if (Array.isArray(p)) segments = p.map((s) => (typeof s === 'string' ? s : JSON.stringify(s)));
    else typeFail(`operand 2 must be one of {set, array} containing string paths or array of path segments but got ${typeName(p)}`);
    let node = root;
    for (const s of segments) {
      if (!node.has(s)) node.set(s, new Map());
      node = node.get(s)!;
    }
    // a path ends here: everything below is selected; mark with an empty-string sentinel key
    node.set('\u0000end', new Map());
  }
  void name;
  return root;
}

function isLeaf(tree: PathTree): boolean {
  return tree.has('\u0000end');
}

function filterValue(value: Json, tree: PathTree): Json | undefined {
  if (isLeaf(tree)) return value;
  if (isObject(value)) {
    const out: Record<string, Json> = {};
    for (const [k, sub] of tree) {
      if (k in value) {
        const v = filterValue(value[k]!, sub);
        if (v !== undefined) out[k] = v;
      }
    }
    return out;
  }
  if (Array.isArray(value)) {
    const out: Json[] = [];
    value.forEach((item, i) => {
      const sub = tree.get(String(i));
      if (sub) {
        const v = filterValue(item, sub);
        if (v !== undefined) out.push(v);
      }
    });
    return out;
  }
  return undefined;
}

function removeValue(value: Json, tree: PathTree): Json | undefined {
  if (isLeaf(tree)) return undefined;
  if (isObject(value)) {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) {
      const sub = tree.get(k);
      if (!sub) out[k] = v;
      else {
        const kept = removeValue(v, sub);
        if (kept !== undefined) out[k] = kept;
      }
    }
    return out;
  }
  if (Array.isArray(value)) {
    const out: Json[] = [];
    value.forEach((item, i) => {
      const sub = tree.get(String(i));
      if (!sub) out.push(item);
      else {
        const kept = removeValue(item, sub);
        if (kept !== undefined) out.push(kept);
      }
    });
    return out;
  }
  return value;
}

// --- json.patch (RFC 6902) ---------------------------------------------------------------------

function pointer(path: unknown): string[] {
  if (Array.isArray(path)) return path.map(String);
  if (typeof path !== 'string') fail('invalid patch path');
  if (path === '') return [];
  if (!path.startsWith('/')) fail(`invalid patch path ${JSON.stringify(path)}`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function clone(v: Json): Json {
  return v === null || typeof v !== 'object' ? v : JSON.parse(JSON.stringify(v));
}

function getAt(doc: Json, path: string[]): Json | undefined {
  let cur: Json | undefined = doc;
  for (const s of path) {
    if (isObject(cur) && s in cur) cur = cur[s];
    else if (Array.isArray(cur) && /^(0|[1-9]\d*)$/.test(s) && Number(s) < cur.length) cur = cur[Number(s)];
    else return undefined;
  }
  return cur;
}

/** Applies f to the parent container of path; returns the new document (or undefined on failure). */
function withParent(doc: Json, path: string[], f: (parent: Json, key: string) => boolean): Json | undefined {
  if (path.length === 0) return undefined;
  const copy = clone(doc);
  const parent = getAt(copy, path.slice(0, -1));
  if (parent === undefined || parent === null || typeof parent !== 'object') return undefined;
  return f(parent, path.at(-1)!) ? copy : undefined;
}

function addAt(doc: Json, path: string[], value: Json): Json | undefined {
  if (path.length === 0) return value;
  return withParent(doc, path, (parent, key) => {
    if (Array.isArray(parent)) {
      const index = key === '-' ? parent.length : /^(0|[1-9]\d*)$/.test(key) ? Number(key) : -1;
      if (index < 0 || index > parent.length) return false;
      parent.splice(index, 0, value);
      return true;
    }
    (parent as Record<string, Json>)[key] = value;
    return true;
  });
}

function removeAt(doc: Json, path: string[]): Json | undefined {
  return withParent(doc, path, (parent, key) => {
    if (Array.isArray(parent)) {
      if (!/^(0|[1-9]\d*)$/.test(key) || Number(key) >= parent.length) return false;
      parent.splice(Number(key), 1);
      return true;
    }
    if (!(key in (parent as object))) return false;
    delete (parent as Record<string, Json>)[key];
    return true;
  });
}

function applyPatch(doc: Json, patches: Json[]): Json | undefined {
  let cur: Json | undefined = doc;
  for (const p of patches) {
    if (!isObject(p) || cur === undefined) return undefined;
    const op = p.op;
    const path = pointer(p.path);
    switch (op) {
      case 'add':
        if (!('value' in p)) return undefined;
        cur = addAt(cur, path, p.value!);
        break;
      case 'remove':
        cur = removeAt(cur, path);
        break;
      case 'replace':
        if (!('value' in p) || getAt(cur, path) === undefined) return undefined;
        cur = path.length === 0 ? p.value! : removeAt(cur, path);
        if (cur !== undefined && path.length > 0) cur = addAt(cur, path, p.value!);
        break;
      case 'move': {
        const from = pointer(p.from);
        const value = getAt(cur, from);
        if (value === undefined) return undefined;
        if (path.length > from.length && from.every((s, i) => s === path[i])) return undefined;
        cur = removeAt(cur, from);
        if (cur !== undefined) cur = addAt(cur, path, value);
        break;
      }
      case 'copy': {
        const value = getAt(cur, pointer(p.from));
        if (value === undefined) return undefined;
        cur = addAt(cur, path, clone(value));
        break;
      }
      case 'test': {
        if (!('value' in p)) return undefined;
        const value = getAt(cur, path);
        if (value === undefined || !deepEqual(value, p.value)) return undefined;
        break;
      }
      default:
        return undefined;
    }
  }
  return cur;
}

export const objectBuiltins: BuiltinFamily = {
  'object.get': (_ctx, o, key, fallback) => objectGet(obj(o, 1), key, fallback),
  'object.keys': (_ctx, o) => toSet(Object.keys(obj(o, 1))),
  'object.remove': (_ctx, o, keys) => {
    const source = obj(o, 1);
    const drop = new Set(keysOf(keys, 2));
    return Object.fromEntries(Object.entries(source).filter(([k]) => !drop.has(k)));
  },
  'object.filter': (_ctx, o, keys) => {
    const source = obj(o, 1);
    const keep = new Set(keysOf(keys, 2));
    return Object.fromEntries(Object.entries(source).filter(([k]) => keep.has(k)));
  },
  'object.union': (_ctx, a, b) => union(obj(a, 1), obj(b, 2)),
  'object.union_n': (_ctx, list) => {
    const items = arr(list, 1);
    let out: Json = {};
    for (const item of items) {
      if (!isObject(item)) typeFail(`operand 1 must be array of objects but got array containing ${typeName(item)}`);
      out = union(out, item);
    }
    return out;
  },
  'object.subset': (_ctx, superValue, sub) => {
    if (!isObject(superValue) && !Array.isArray(superValue)) operandError(1, 'one of {object, set, array}', superValue);
    if (!isObject(sub) && !Array.isArray(sub)) operandError(2, 'one of {object, set, array}', sub);
    if (isObject(superValue) !== isObject(sub)) {
      typeFail(`both arguments object.subset must be of the same type or array and set`);
    }
    return subset(superValue as Json, sub as Json);
  },
  'json.filter': (_ctx, o, paths) => filterValue(obj(o, 1), parsePaths('json.filter', paths)) ?? {},
  'json.remove': (_ctx, o, paths) => removeValue(obj(o, 1), parsePaths('json.remove', paths)) ?? {},
  'json.patch': (_ctx, doc, patches) => applyPatch(doc as Json, arr(patches, 2)),
};
