// RFC 8785 (JCS) canonical JSON: object members sorted by UTF-16 code units, no whitespace,
// numbers and strings serialized the way ECMAScript's JSON.stringify does. Same value → same bytes,
// which is what makes input digests and decision records reproducible across processes.
import * as crypto from 'node:crypto';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export class NotJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotJsonError';
  }
}

/** Canonical JSON text of `value`. Throws NotJsonError for anything JSON cannot hold. */
export function canonicalize(value: unknown, maxDepth = 128): string {
  try {
    // Most values on the hot path (records built in key order, results dumped by the runtime in
    // sorted order) are canonical as they stand: then the native JSON.stringify writes the bytes.
    if (inCanonicalOrder(value, maxDepth)) return JSON.stringify(value);
    return write(value, maxDepth, undefined);
  } catch (err) {
    // The fast pass tracks no paths; redo it with paths to say where the problem is.
    if (err instanceof NotJsonError) write(value, maxDepth, '$');
    throw err;
  }
}

/** `path` is undefined on the fast pass (no string building per value). */
function write(value: unknown, depth: number, path: string | undefined): string {
  if (depth < 0) throw new NotJsonError(`${path}: nested too deeply`);
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new NotJsonError(`${path}: ${value} is not a JSON number`);
      return JSON.stringify(value);
    case 'string':
      if (!isWellFormed(value)) throw new NotJsonError(`${path}: string holds a lone surrogate`);
      return JSON.stringify(value);
    case 'object': {
      // Built by concatenation (no intermediate arrays): this runs for every decision.
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          out += write(value[i], depth - 1, path === undefined ? undefined : `${path}[${i}]`);
        }
        return out + ']';
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new NotJsonError(`${path}: a ${proto?.constructor?.name ?? 'non-plain'} object is not JSON`);
      }
      const record = value as Record<string, unknown>;
      // Array.prototype.sort compares UTF-16 code units, exactly RFC 8785's member order.
      const keys = Object.keys(record);
      if (keys.length > 1) keys.sort();
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        const v = record[key];
        if (v === undefined) throw new NotJsonError(`${path}.${key}: undefined is not JSON`);
        if (!isWellFormed(key)) throw new NotJsonError(`${path}: key holds a lone surrogate`);
        if (i > 0) out += ',';
        out += JSON.stringify(key) + ':' + write(v, depth - 1, path === undefined ? undefined : `${path}.${key}`);
      }
      return out + '}';
    }
    default:
      throw new NotJsonError(`${path}: a ${typeof value} is not JSON`);
  }
}

/**
 * Whether JSON.stringify(value) already is the canonical text: only plain JSON values, every
 * object's keys in RFC 8785 order, finite numbers, no lone surrogates. (Strings and numbers are
 * serialized the way RFC 8785 asks by JSON.stringify itself.) Anything else: false, and write()
 * sorts, or says what is not JSON.
 */
function inCanonicalOrder(value: unknown, depth: number): boolean {
  if (depth < 0) return false;
  if (value === null) return true;
  switch (typeof value) {
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'string':
      return isWellFormed(value);
    case 'object': {
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!inCanonicalOrder(value[i], depth - 1)) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        if (i > 0 && !(keys[i - 1]! < key)) return false;
        if (!isWellFormed(key) || !inCanonicalOrder(record[key], depth - 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const nativeWellFormed = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed;

function isWellFormed(text: string): boolean {
  return nativeWellFormed ? nativeWellFormed.call(text) : !LONE_SURROGATE.test(text);
}

// crypto.hash (Node >= 20.12) is a one-shot digest without a Hash object: twice as fast on the
// short texts hashed for every decision.
const oneShot = (crypto as { hash?: (algorithm: string, data: string | Uint8Array, encoding: 'hex') => string }).hash;

export function sha256Hex(data: string | Uint8Array): string {
  return oneShot ? oneShot('sha256', data, 'hex') : crypto.createHash('sha256').update(data).digest('hex');
}

/** sha256 (hex) of the canonical JSON of `value`. */
export function digestJson(value: unknown): string {
  return sha256Hex(canonicalize(value));
}
