// The signatures of OPA's builtin functions: name, argument types, result type, and whether the
// builtin is variadic or a relation (may produce several results, like `walk`).
//
// Types use OPA's own type JSON (the shape of `opa capabilities` output), so a declaration can be
// read next to OPA's documentation: {"type": "number"}, {"type": "array", "dynamic": T},
// {"type": "set", "of": T}, {"type": "object", "dynamic": {"key": K, "value": V}},
// {"type": "any", "of": [T1, T2]} for "one of", {"type": "any"} for anything.
//
// Most declarations come from the capabilities.json that ships with @open-policy-agent/opa-wasm
// (OPA's declarations of the builtins its Wasm runtime knows). Builtins newer than that file, or
// outside the Wasm set, are declared below in the same notation.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type RegoType =
  | { type: 'any'; of?: RegoType[] }
  | { type: 'null' }
  | { type: 'boolean' }
  | { type: 'number' }
  | { type: 'string' }
  | { type: 'array'; static?: RegoType[]; dynamic?: RegoType }
  | { type: 'set'; of: RegoType }
  | { type: 'object'; static?: { key: unknown; value: RegoType }[]; dynamic?: { key: RegoType; value: RegoType } }
  | { type: 'function'; args: RegoType[]; result?: RegoType; variadic?: RegoType };

export interface BuiltinDecl {
  name: string;
  /** Declared argument types (without the result). */
  args: RegoType[];
  /** Result type; absent for builtins that return nothing (print). */
  result?: RegoType;
  /** Type of any further arguments when the builtin takes a variable number of them. */
  variadic?: RegoType;
  /** A relation yields several results (walk); the planner iterates over them. */
  relation: boolean;
  /** The operator written infix, for builtins that have one (`+` is plus). */
  infix?: string;
  /** Deprecated in OPA (still callable). */
  deprecated: boolean;
  /** Number of declared arguments. A call may pass one more: the output. */
  arity: number;
}

// --- a small notation for the declarations below -------------------------------------------

const A: RegoType = { type: 'any' };
const S: RegoType = { type: 'string' };
const N: RegoType = { type: 'number' };
const B: RegoType = { type: 'boolean' };
const NULL: RegoType = { type: 'null' };
const arr = (of: RegoType = A): RegoType => ({ type: 'array', dynamic: of });
const tuple = (...items: RegoType[]): RegoType => ({ type: 'array', static: items });
const set = (of: RegoType = A): RegoType => ({ type: 'set', of });
const obj = (key: RegoType = A, value: RegoType = A): RegoType => ({ type: 'object', dynamic: { key, value } });
const oneOf = (...of: RegoType[]): RegoType => ({ type: 'any', of });
const OS = obj(S, A);
const timeArg = oneOf(N, tuple(N, S));

interface Extra {
  args: RegoType[];
  result?: RegoType;
  variadic?: RegoType;
  relation?: boolean;
  deprecated?: boolean;
}

/**
 * Builtins not declared in the capabilities.json shipped with opa-wasm, and (marked `newer`)
 * declarations OPA has widened since that file was written.
 */
const EXTRA: Record<string, Extra & { newer?: boolean }> = {
  'glob.match': { args: [S, oneOf(NULL, arr(S)), S], result: B, newer: true },
  // arrays, objects, sets
  'array.flatten': { args: [arr()], result: arr() },
  'array.reverse': { args: [arr()], result: arr() },
  'object.keys': { args: [obj()], result: set() },
  'object.subset': { args: [oneOf(obj(), set(), arr()), oneOf(obj(), set(), arr())], result: B },
  'object.union_n': { args: [arr(obj())], result: obj() },
  'json.patch': { args: [A, arr(obj())], result: A },
  // strings
  indexof_n: { args: [S, S], result: arr(N) },
  'strings.any_prefix_match': { args: [oneOf(S, arr(S), set(S)), oneOf(S, arr(S), set(S))], result: B },
  'strings.any_suffix_match': { args: [oneOf(S, arr(S), set(S)), oneOf(S, arr(S), set(S))], result: B },
  'strings.count': { args: [S, S], result: N },
  'strings.render_template': { args: [S, OS], result: S },
  'strings.reverse': { args: [S], result: S },
  'strings.split_n': { args: [S, S, N], result: arr(S) },
  // regular expressions and globs
  'regex.find_n': { args: [S, S, N], result: arr(S) },
  'regex.globs_match': { args: [S, S], result: B },
  'regex.replace': { args: [S, S, S], result: S },
  'regex.split': { args: [S, S], result: arr(S) },
  'regex.template_match': { args: [S, S, S, S], result: B },
  'glob.quote_meta': { args: [S], result: S },
  // conversions and types (the cast_* family is deprecated)
  cast_array: { args: [A], result: arr(), deprecated: true },
  cast_boolean: { args: [A], result: B, deprecated: true },
  cast_null: { args: [A], result: NULL, deprecated: true },
  cast_object: { args: [A], result: obj(), deprecated: true },
  cast_set: { args: [A], result: set(), deprecated: true },
  cast_string: { args: [A], result: S, deprecated: true },
  'units.parse': { args: [S], result: N },
  'units.parse_bytes': { args: [S], result: N },
  // encodings
  'base64url.encode_no_pad': { args: [S], result: S },
  'hex.encode': { args: [S], result: S },
  'hex.decode': { args: [S], result: S },
  'json.marshal_with_options': { args: [A, OS], result: S },
  'json.verify_schema': { args: [oneOf(S, obj())], result: tuple(B, A) },
  'json.match_schema': { args: [oneOf(S, obj()), oneOf(S, obj())], result: tuple(B, arr(obj())) },
  'urlquery.encode': { args: [S], result: S },
  'urlquery.decode': { args: [S], result: S },
  'urlquery.encode_object': { args: [obj(S, oneOf(S, arr(S), set(S)))], result: S },
  'urlquery.decode_object': { args: [S], result: obj(S, arr(S)) },
  // cryptography and tokens
  'crypto.md5': { args: [S], result: S },
  'crypto.sha1': { args: [S], result: S },
  'crypto.sha256': { args: [S], result: S },
  'crypto.hmac.md5': { args: [S, S], result: S },
  'crypto.hmac.sha1': { args: [S, S], result: S },
  'crypto.hmac.sha256': { args: [S, S], result: S },
  'crypto.hmac.sha512': { args: [S, S], result: S },
  'crypto.hmac.equal': { args: [S, S], result: B },
  'crypto.x509.parse_certificates': { args: [S], result: arr(OS) },
  'crypto.x509.parse_and_verify_certificates': { args: [S], result: tuple(B, arr(OS)) },
  'crypto.x509.parse_and_verify_certificates_with_options': { args: [S, OS], result: tuple(B, arr(OS)) },
  'crypto.x509.parse_certificate_request': { args: [S], result: OS },
  'crypto.x509.parse_keypair': { args: [S, S], result: OS },
  'crypto.x509.parse_rsa_private_key': { args: [S], result: OS },
  'crypto.parse_private_keys': { args: [S], result: arr(OS) },
  'io.jwt.decode': { args: [S], result: tuple(obj(), obj(), S) },
  'io.jwt.decode_verify': { args: [S, OS], result: tuple(B, obj(), obj()) },
  'io.jwt.encode_sign': { args: [OS, OS, OS], result: S },
  'io.jwt.encode_sign_raw': { args: [S, S, S], result: S },
  ...Object.fromEntries(
    ['rs256', 'rs384', 'rs512', 'ps256', 'ps384', 'ps512', 'es256', 'es384', 'es512', 'hs256', 'hs384', 'hs512', 'eddsa'].map(
      (alg) => [`io.jwt.verify_${alg}`, { args: [S, S], result: B }],
    ),
  ),
  // time
  'time.now_ns': { args: [], result: N },
  'time.parse_ns': { args: [S, S], result: N },
  'time.parse_rfc3339_ns': { args: [S], result: N },
  'time.parse_duration_ns': { args: [S], result: N },
  'time.format': { args: [oneOf(N, tuple(N, S), tuple(N, S, S))], result: S },
  'time.date': { args: [timeArg], result: tuple(N, N, N) },
  'time.clock': { args: [timeArg], result: tuple(N, N, N) },
  'time.weekday': { args: [timeArg], result: S },
  'time.add_date': { args: [N, N, N, N], result: N },
  // networks
  'net.cidr_expand': { args: [S], result: set(S) },
  'net.cidr_merge': { args: [oneOf(arr(S), set(S))], result: set(S) },
  'net.cidr_contains_matches': { args: [A, A], result: set(tuple(A, A)) },
  'net.cidr_is_valid': { args: [S], result: B },
  'net.cidr_overlap': { args: [S, S], result: B, deprecated: true },
  'net.lookup_ip_addr': { args: [S], result: set(S) },
  // identifiers, versions, numbers, graphs
  'uuid.rfc4122': { args: [S], result: S },
  'uuid.parse': { args: [S], result: OS },
  'semver.is_valid': { args: [A], result: B },
  'semver.compare': { args: [S, S], result: N },
  'numbers.range_step': { args: [N, N, N], result: arr(N) },
  'graph.reachable_paths': { args: [obj(A, oneOf(arr(), set())), oneOf(arr(), set())], result: set(arr()) },
  'graphql.is_valid': { args: [oneOf(S, obj()), oneOf(S, obj())], result: B },
  'graphql.parse': { args: [oneOf(S, obj()), oneOf(S, obj())], result: tuple(obj(), obj()) },
  'graphql.parse_and_verify': { args: [oneOf(S, obj()), oneOf(S, obj())], result: tuple(B, obj(), obj()) },
  'graphql.parse_query': { args: [S], result: obj() },
  'graphql.parse_schema': { args: [S], result: obj() },
  'graphql.schema_is_valid': { args: [oneOf(S, obj())], result: B },
  // the outside world and the engine itself
  'http.send': { args: [OS], result: obj() },
  'providers.aws.sign_req': { args: [obj(), obj(), N], result: obj() },
  'opa.runtime': { args: [], result: obj() },
  'rego.parse_module': { args: [S, S], result: obj() },
  'rego.metadata.chain': { args: [], result: arr() },
  'rego.metadata.rule': { args: [], result: A },
  trace: { args: [S], result: B },
  print: { args: [], variadic: A },
  // `$"…{x}…"` template strings evaluate through this builtin in OPA.
  'internal.template_string': { args: [arr()], result: S },
};

interface CapabilityEntry {
  name: string;
  decl: { args?: RegoType[]; result?: RegoType; variadic?: RegoType };
  infix?: string;
  relation?: boolean;
  deprecated?: boolean;
}

function loadCapabilities(): CapabilityEntry[] {
  // The package's `exports` hide its capabilities.json from `import`; find it beside the entry.
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@open-policy-agent/opa-wasm');
  let dir = dirname(entry);
  for (let i = 0; i < 4; i++) {
    try {
      const parsed = JSON.parse(readFileSync(join(dir, 'capabilities.json'), 'utf8')) as { builtins: CapabilityEntry[] };
      return parsed.builtins;
    } catch {
      dir = dirname(dir);
    }
  }
  throw new Error('capabilities.json of @open-policy-agent/opa-wasm not found');
}

/** Builtins OPA deprecated; Rego v1 modules may not call them. */
const DEPRECATED = new Set([
  'all', 'any', 're_match', 'set_diff', 'net.cidr_overlap',
  'cast_array', 'cast_boolean', 'cast_null', 'cast_object', 'cast_set', 'cast_string',
]);

function buildTable(): Map<string, BuiltinDecl> {
  const table = new Map<string, BuiltinDecl>();
  for (const b of loadCapabilities()) {
    const args = b.decl.args ?? [];
    table.set(b.name, {
      name: b.name,
      args,
      result: b.decl.result,
      variadic: b.decl.variadic,
      relation: b.relation === true,
      infix: b.infix,
      deprecated: b.deprecated === true || DEPRECATED.has(b.name),
      arity: args.length,
    });
  }
  for (const [name, e] of Object.entries(EXTRA)) {
    if (table.has(name) && e.newer !== true) continue;
    table.set(name, {
      name,
      args: e.args,
      result: e.result,
      variadic: e.variadic,
      relation: e.relation === true,
      infix: table.get(name)?.infix,
      deprecated: e.deprecated === true || DEPRECATED.has(name),
      arity: e.args.length,
    });
  }
  return table;
}

/** Every OPA builtin this compiler knows, by name (`count`, `io.jwt.decode`, `plus` for `+`). */
export const BUILTINS: ReadonlyMap<string, BuiltinDecl> = buildTable();

/** The declaration of a builtin, or undefined when `name` is not a builtin. */
export function lookupBuiltin(name: string): BuiltinDecl | undefined {
  return BUILTINS.get(name);
}

/** Arity (declared arguments) and result type of a builtin, for the planner and code generator. */
export function builtinSignature(name: string): { arity: number; result?: RegoType; variadic: boolean; relation: boolean } | undefined {
  const b = BUILTINS.get(name);
  if (b === undefined) return undefined;
  return { arity: b.arity, result: b.result, variadic: b.variadic !== undefined, relation: b.relation };
}

/** OPA's short name of a type, as its type errors print it: number, string, array[any], … */
export function typeName(t: RegoType | undefined): string {
  if (t === undefined) return 'none';
  switch (t.type) {
    case 'any':
      return t.of === undefined ? 'any' : `any<${t.of.map(typeName).join(', ')}>`;
    case 'array':
      if (t.static !== undefined && t.dynamic === undefined) return `array<${t.static.map(typeName).join(', ')}>`;
      return `array[${typeName(t.dynamic)}]`;
    case 'set':
      return `set[${typeName(t.of)}]`;
    case 'object':
      if (t.dynamic !== undefined) return `object[${typeName(t.dynamic.key)}: ${typeName(t.dynamic.value)}]`;
      return 'object';
    case 'function':
      return `(${t.args.map(typeName).join(', ')}) => ${typeName(t.result)}`;
    default:
      return t.type;
  }
}
