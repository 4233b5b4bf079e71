// uuid.*, rand.intn, strings.render_template, strings.any_{prefix,suffix}_match, graph.reachable*.
import {
  type BuiltinContext,
  type BuiltinFamily,
  type Json,
  exactInteger,
  fail,
  int,
  isObject,
  obj,
  operandError,
  str,
  toSet,
  typeFail,
  typeName,
} from './common.js';
import { renderTemplate } from './template.js';

// --- uuid --------------------------------------------------------------------------------------

function uuidV4(ctx: BuiltinContext, key: string): string {
  const b = [...ctx.randomBytes(`uuid.rfc4122\u0000${key}`, 16)];
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** 100ns intervals between 1582-10-15 and 1970-01-01. */
const GREGORIAN_OFFSET = 122192928000000000n;

function uuidParse(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== 'string') return undefined;
  let s = value;
  if (s.length === 45 && s.toLowerCase().startsWith('urn:uuid:')) s = s.slice(9);
  else if (s.length === 38 && s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1);
  let hex: string;
  if (s.length === 36) {
    if (s[8] !== '-' || s[13] !== '-' || s[18] !== '-' || s[23] !== '-') return undefined;
    hex = s.replace(/-/g, '');
  } else if (s.length === 32) hex = s;
  else return undefined;
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return undefined;
  const b = Array.from({ length: 16 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
  const version = b[6]! >> 4;
  const variant = (b[8]! & 0xc0) === 0x80 ? 'RFC4122' : (b[8]! & 0xe0) === 0xc0 ? 'Microsoft' : (b[8]! & 0xe0) === 0xe0 ? 'Future' : 'Reserved';
  const out: Record<string, unknown> = { version, variant };
  if (version === 1 || version === 2) {
    const t =
      BigInt((b[0]! << 24) >>> 0 | (b[1]! << 16) | (b[2]! << 8) | b[3]!) |
      (BigInt((b[4]! << 8) | b[5]!) << 32n) |
      (BigInt(((b[6]! << 8) | b[7]!) & 0xfff) << 48n);
    const since = t - GREGORIAN_OFFSET;
    out.time = exactInteger((since / 10_000_000n) * 1_000_000_000n + (since % 10_000_000n) * 100n);
    out.clocksequence = ((b[8]! << 8) | b[9]!) & 0x3fff;
    const node = b.slice(10);
    out.nodeid = node.map((x) => x.toString(16).padStart(2, '0')).join('-');
    out.macvariables = `${node[0]! & 0x02 ? 'local' : 'global'}:${node[0]! & 0x01 ? 'multicast' : 'unicast'}`;
    if (version === 2) {
      const domains: Record<number, string> = { 0: 'Person', 1: 'Group', 2: 'Org' };
      out.domain = domains[b[9]!] ?? `Domain${b[9]}`;
      out.id = ((b[0]! << 24) >>> 0) + ((b[1]! << 16) | (b[2]! << 8) | b[3]!);
    }
  }
  return out;
}

// --- strings.any_prefix_match / any_suffix_match ------------------------------------------------

function stringOrList(value: unknown, position: number): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) {
    for (const v of value) {
      if (typeof v !== 'string') typeFail(`operand ${position} must be array of strings but got array containing ${typeName(v)}`);
    }
    return value as string[];
  }
  operandError(position, 'one of {string, set, array}', value);
}

// --- graph.reachable ----------------------------------------------------------------------------

function edgesOf(graph: Record<string, Json>, node: Json): Json[] | undefined {
  if (typeof node !== 'string' || !Object.prototype.hasOwnProperty.call(graph, node)) return undefined;
  const edges = graph[node];
  if (Array.isArray(edges)) return edges;
  if (isObject(edges)) return Object.values(edges);
  return [];
}

function initialNodes(value: unknown): Json[] {
  if (Array.isArray(value)) return value;
  if (isObject(value)) return Object.values(value);
  operandError(2, 'one of {set, array, object}', value);
}

function reachable(graphValue: unknown, initial: unknown): Json[] {
  const graph = obj(graphValue, 1);
  const queue = [...initialNodes(initial)];
  const reached: Json[] = [];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const node = queue.shift()!;
    const edges = edgesOf(graph, node);
    if (edges === undefined) continue;
    const key = JSON.stringify(node);
    if (seen.has(key)) continue;
    seen.add(key);
    reached.push(node);
    for (const n of edges) if (!seen.has(JSON.stringify(n))) queue.push(n);
  }
  return toSet(reached);
}

function reachablePaths(graphValue: unknown, initial: unknown): Json[][] {
  const graph = obj(graphValue, 1);
  const paths: Json[][] = [];
  const visit = (node: Json, path: Json[], onPath: Set<string>) => {
    const next = [...path, node];
    const inPath = new Set(onPath).add(JSON.stringify(node));
    const edges = (edgesOf(graph, node) ?? []).filter((n) => !inPath.has(JSON.stringify(n)));
    if (edges.length === 0) {
      paths.push(next);
      return;
    }
    for (const n of edges) visit(n, next, inPath);
  };
  for (const node of initialNodes(initial)) {
    if (edgesOf(graph, node) !== undefined) visit(node, [], new Set());
  }
  return toSet(paths);
}

export const miscBuiltins: BuiltinFamily = {
  'uuid.rfc4122': (ctx, key) => {
    const k = str(key, 1);
    const cache = ctx.evaluationCache();
    if (!cache.has(`uuid:${k}`)) cache.set(`uuid:${k}`, uuidV4(ctx, k));
    return cache.get(`uuid:${k}`);
  },
  'uuid.parse': (_ctx, value) => uuidParse(value),
  'rand.intn': (ctx, key, n) => {
    const max = Math.abs(int(n, 2));
    const k = `rand.intn\u0000${str(key, 1)}\u0000${max}`;
    if (max === 0) return 0;
    const cache = ctx.evaluationCache();
    if (!cache.has(k)) {
      const bytes = ctx.randomBytes(k, 8);
      const fraction = (Buffer.from(bytes).readUInt32BE(0) + Buffer.from(bytes).readUInt32BE(4) / 2 ** 32) / 2 ** 32;
      cache.set(k, Math.floor(fraction * max));
    }
    return cache.get(k);
  },
  'strings.render_template': (_ctx, template, vars) => renderTemplate(str(template, 1), obj(vars, 2)),
  'strings.any_prefix_match': (_ctx, search, base) => {
    const s = stringOrList(search, 1);
    const b = stringOrList(base, 2);
    return s.some((x) => b.some((p) => x.startsWith(p)));
  },
  'strings.any_suffix_match': (_ctx, search, base) => {
    const s = stringOrList(search, 1);
    const b = stringOrList(base, 2);
    return s.some((x) => b.some((p) => x.endsWith(p)));
  },
  'strings.split_n': (_ctx, value, delimiter, n) => {
    const s = str(value, 1);
    const d = str(delimiter, 2);
    const count = int(n, 3);
    // Go's strings.Split: an empty delimiter splits into UTF-8 characters
    const parts = d === '' ? [...s] : s.split(d);
    if (s === '' && d === '') return [];
    // n > 0: the first n parts; n < 0: the last |n| parts
    return count >= 0 ? parts.slice(0, count) : parts.slice(Math.max(0, parts.length + count));
  },
  'graph.reachable': (_ctx, graph, initial) => reachable(graph, initial),
  'graph.reachable_paths': (_ctx, graph, initial) => reachablePaths(graph, initial),
  'opa.runtime': () => ({}),
  // deprecated casts and set_diff, still callable in OPA
  cast_array: (_ctx, x) => (Array.isArray(x) ? x : operandError(1, 'one of {array, set}', x)),
  cast_set: (_ctx, x) => (Array.isArray(x) ? toSet(x) : operandError(1, 'one of {array, set}', x)),
  cast_boolean: (_ctx, x) => (typeof x === 'boolean' ? x : operandError(1, 'boolean', x)),
  cast_null: (_ctx, x) => (x === null ? x : operandError(1, 'null', x)),
  cast_object: (_ctx, x) => (isObject(x) ? x : operandError(1, 'object', x)),
  cast_string: (_ctx, x) => (typeof x === 'string' ? x : operandError(1, 'string', x)),
  set_diff: (_ctx, a, b) => {
    if (!Array.isArray(a)) operandError(1, 'set', a);
    if (!Array.isArray(b)) operandError(2, 'set', b);
    const drop = new Set((b as Json[]).map((x) => JSON.stringify(x)));
    return toSet((a as Json[]).filter((x) => !drop.has(JSON.stringify(x))));
  },
};

export { fail };
