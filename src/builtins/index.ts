// Host builtins: the OPA builtins that govern's Wasm runtime does not implement, supplied to the
// opa-wasm SDK as custom builtins. Each takes JSON arguments and returns JSON (or undefined).
//
// Errors follow OPA: a wrong operand type is always an error ("eval_type_error: <name>: …");
// invalid input ("eval_builtin_error: <name>: …") makes the expression undefined unless `strict`
// is set. Nondeterministic builtins are refused unless `allowNondeterministic` is set.
import { createHash, randomBytes } from 'node:crypto';
import { NUM_MARKER, SET_MARKER } from '../wasm/govern-abi.js';
import { type BuiltinContext, type BuiltinFamily, BuiltinError, containsRaw, isObject, operandError, rawJsonText, toSet, typeFail } from './common.js';
import { unitsBuiltins } from './units.js';
import { regexBuiltins } from './regex.js';
import { globBuiltins } from './glob.js';
import { encodingBuiltins } from './encoding.js';
import { cryptoBuiltins } from './crypto.js';
import { jwtBuiltins } from './jwt.js';
import { netBuiltins } from './net.js';
import { semverBuiltins } from './semver.js';
import { objectBuiltins } from './objects.js';
import { miscBuiltins } from './misc.js';
import { timeBuiltins } from './time.js';
import { graphqlBuiltins } from './graphql.js';
import { awsBuiltins } from './aws.js';
import { jsonSchemaBuiltins } from './jsonschema.js';

export { BuiltinError, RawNumber } from './common.js';

/**
 * A host builtin's result as JSON: results with numbers beyond a double's precision come back as
 * an ArrayBuffer of JSON text (the SDK loads such a buffer as-is); this reads either form.
 */
export function hostResultValue(result: unknown): unknown {
  if (result instanceof ArrayBuffer) return JSON.parse(new TextDecoder().decode(result));
  return result;
}

export interface HostBuiltinOptions {
  /** The pinned clock: ns since the epoch. time.now_ns is deterministic (and allowed) with it. */
  now?: () => bigint;
  /** Builtin errors are errors (OPA's strict-builtin-errors) instead of undefined. */
  strict?: boolean;
  /** Allow rand.intn, uuid.rfc4122, time.now_ns without a pinned clock. */
  allowNondeterministic?: boolean;
  /** Seed for rand.intn / uuid.rfc4122: the same seed gives the same answers. */
  seed?: string;
  /**
   * Return set results (net.cidr_merge, graph.reachable, …) as Rego sets, written in Rego's set
   * syntax as raw text. Only for a Wasm module whose opa_json_parse accepts that syntax (one linked
   * by govern: isGovernLinked in src/wasm/govern-abi.ts); without it sets come back as sorted arrays
   * (what plain JSON can carry, and what OPA's own Wasm hosts hand back).
   */
  regoSets?: boolean;
}

const FAMILIES: BuiltinFamily[] = [
  unitsBuiltins,
  regexBuiltins,
  globBuiltins,
  encodingBuiltins,
  cryptoBuiltins,
  jwtBuiltins,
  netBuiltins,
  semverBuiltins,
  objectBuiltins,
  miscBuiltins,
  timeBuiltins,
  graphqlBuiltins,
  awsBuiltins,
  jsonSchemaBuiltins,
];

/** Builtins whose answer is not a function of their arguments. */
export const NONDETERMINISTIC_BUILTINS: readonly string[] = Object.freeze([
  'rand.intn',
  'uuid.rfc4122',
  'time.now_ns',
  'http.send',
  'net.lookup_ip_addr',
]);

/** Builtins that reach the network: refused always in governed evaluation. */
const NETWORK_BUILTINS = new Set(['http.send', 'net.lookup_ip_addr']);

const ALL: BuiltinFamily = Object.assign({}, ...FAMILIES, {
  'http.send': (_ctx: BuiltinContext, request: unknown) => {
    // A malformed request is the same type error as in OPA; a well-formed one is still refused.
    checkHttpRequest(request);
    return refuseNetwork('http.send');
  },
  'net.lookup_ip_addr': () => refuseNetwork('net.lookup_ip_addr'),
});

function refuseNetwork(name: string): never {
  throw new Error(`eval_builtin_error: ${name}: not allowed in governed evaluation (network access)`);
}

/** The request parameters OPA's http.send knows; method and url are required. */
const HTTP_SEND_KEYS = new Set([
  'method', 'url', 'body', 'raw_body', 'headers', 'enable_redirect', 'force_json_decode', 'force_yaml_decode',
  'tls_use_system_certs', 'tls_ca_cert', 'tls_ca_cert_file', 'tls_ca_cert_env_variable', 'tls_client_cert',
  'tls_client_cert_file', 'tls_client_cert_env_variable', 'tls_client_key', 'tls_client_key_file',
  'tls_client_key_env_variable', 'tls_insecure_skip_verify', 'tls_server_name', 'timeout', 'cache', 'force_cache',
  'force_cache_duration_seconds', 'raise_error', 'caching_mode', 'max_retry_attempts', 'cache_ignored_headers',
]);

function checkHttpRequest(request: unknown): void {
  if (!isObject(request)) return operandError(1, 'object', request);
  const asSet = (keys: string[]): string => `{${keys.sort().map((k) => JSON.stringify(k)).join(', ')}}`;
  const unknown = Object.keys(request).filter((k) => !HTTP_SEND_KEYS.has(k));
  if (unknown.length > 0) typeFail(`invalid request parameters(s): ${asSet(unknown)}`);
  const missing = ['method', 'url'].filter((k) => !(k in request));
  if (missing.length > 0) typeFail(`missing required request parameters(s): ${asSet(missing)}`);
}

/** Builtins that take nanosecond timestamps: they receive integers beyond ±2^53 as exact bigints. */
const EXACT_INTEGER_ARGS = new Set(['time.add_date', 'time.clock', 'time.date', 'time.diff', 'time.format', 'time.weekday']);

/**
 * A builtin argument as the host receives it. A govern module marks what JSON cannot carry while
 * it dumps the arguments (src/wasm/govern-abi.ts): a set ({"\u0000set": [...]}) becomes an array
 * marked as a set, which a builtin may tell apart (isMarkedSet) and which leaves it as a set again;
 * an integer beyond ±2^53 ({"\u0000num": "digits"}) becomes a bigint for the builtins that want
 * exact timestamps (`exact`), and the nearest double, as before, for the others.
 */
function fromHostArg(value: unknown, exact: boolean): unknown {
  // One pass; a value holding no marker (most arguments) comes back as the same object.
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((v, i) => {
      const decoded = fromHostArg(v, exact);
      if (decoded !== v) (copy ??= [...value])[i] = decoded;
    });
    return copy ?? value;
  }
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const inner = value[keys[0]!];
    if (keys[0] === SET_MARKER && Array.isArray(inner)) return toSet(inner.map((v) => fromHostArg(v, exact)));
    if (keys[0] === NUM_MARKER && typeof inner === 'string' && /^-?\d+$/.test(inner)) return exact ? BigInt(inner) : Number(inner);
  }
  let copy: Record<string, unknown> | undefined;
  for (const k of keys) {
    const decoded = fromHostArg(value[k], exact);
    if (decoded !== value[k]) (copy ??= { ...value })[k] = decoded;
  }
  return copy ?? value;
}

/** Every builtin name implemented here (the code generator declares these as host imports). */
export const HOST_BUILTIN_NAMES: readonly string[] = Object.freeze(Object.keys(ALL).sort());

/** Random bytes for a key: SHA-256 of (seed, key) when seeded, else the system CSPRNG. */
function randomSource(seed: string | undefined): (key: string, bytes: number) => Uint8Array {
  if (seed === undefined) return (_key, bytes) => randomBytes(bytes);
  return (key, bytes) => {
    const out = new Uint8Array(bytes);
    for (let block = 0, filled = 0; filled < bytes; block++) {
      const digest = createHash('sha256').update(`${seed}\u0000${key}\u0000${block}`).digest();
      out.set(digest.subarray(0, Math.min(32, bytes - filled)), filled);
      filled += 32;
    }
    return out;
  };
}

export function createHostBuiltins(options: HostBuiltinOptions = {}): Record<string, (...args: any[]) => unknown> {
  const strict = options.strict ?? false;
  const regoSets = options.regoSets ?? false;
  // Without a pinned clock, the wall clock is read once: this object is one evaluation's clock.
  const createdAt = BigInt(Date.now()) * 1_000_000n;
  const now = options.now ?? (() => createdAt);
  // The cache lives as long as the evaluation's time: an evaluator that reuses this object sets
  // a new pinned time per request, which starts a fresh cache.
  let cache = new Map<string, unknown>();
  let cacheTime: bigint | undefined;
  const ctx: BuiltinContext = {
    now,
    randomBytes: randomSource(options.seed),
    evaluationCache() {
      const t = now();
      if (t !== cacheTime) {
        cache = new Map();
        cacheTime = t;
      }
      return cache;
    },
  };
  const result: Record<string, (...args: any[]) => unknown> = {};
  for (const [name, impl] of Object.entries(ALL)) {
    const exact = EXACT_INTEGER_ARGS.has(name);
    const refused =
      NETWORK_BUILTINS.has(name) ||
      (NONDETERMINISTIC_BUILTINS.includes(name) &&
        !options.allowNondeterministic &&
        !(name === 'time.now_ns' && options.now) &&
        !((name === 'rand.intn' || name === 'uuid.rfc4122') && options.seed !== undefined));
    result[name] = (...args: any[]) => {
      if (refused && !NETWORK_BUILTINS.has(name)) {
        throw new Error(`eval_builtin_error: ${name}: not allowed in governed evaluation (nondeterministic)`);
      }
      try {
        const value = impl(ctx, ...args.map((arg) => fromHostArg(arg, exact)));
        // exact digits survive only as raw JSON text (see RawNumber)
        if (containsRaw(value, regoSets)) return new TextEncoder().encode(rawJsonText(value, regoSets)).buffer;
        return value;
      } catch (error) {
        if (error instanceof BuiltinError) {
          if (error.kind === 'type') throw new Error(`eval_type_error: ${name}: ${error.message}`);
          if (strict) throw new Error(`eval_builtin_error: ${name}: ${error.message}`);
          return undefined;
        }
        throw error;
      }
    };
  }
  return result;
}
