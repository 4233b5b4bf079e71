// base64 / base64url / hex / urlquery encodings and json.marshal_with_options, with Go's
// decoding rules and error messages (OPA's answers come from Go's encoding packages).
import {
  type BuiltinFamily,
  type Json,
  bool,
  fail,
  isObject,
  obj,
  operandError,
  str,
  typeFail,
  typeName,
  utf8,
} from './common.js';

const STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function decodeMap(alphabet: string): Int16Array {
  const map = new Int16Array(256).fill(-1);
  for (let i = 0; i < alphabet.length; i++) map[alphabet.charCodeAt(i)] = i;
  return map;
}
const STD_MAP = decodeMap(STD);
const URL_MAP = decodeMap(URL);

/**
 * Go's base64 decoding: `padded` requires '=' padding (StdEncoding/URLEncoding), otherwise
 * none is allowed (Raw*Encoding). Line breaks are skipped. Errors name the offending byte.
 */
export function decodeBase64Go(input: string, alphabet: 'std' | 'url', padded: boolean): Uint8Array {
  const src = Buffer.from(input, 'utf8');
  const map = alphabet === 'std' ? STD_MAP : URL_MAP;
  const out: number[] = [];
  const corrupt = (at: number): never => fail(`illegal base64 data at input byte ${at}`);
  let si = 0;
  while (true) {
    const buf = [0, 0, 0, 0];
    let dlen = 4;
    let j = 0;
    let done = false;
    for (j = 0; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return Uint8Array.from(out);
        if (j === 1 || padded) corrupt(si - j);
        dlen = j;
        done = true;
        break;
      }
      const c = src[si++]!;
      const v = map[c]!;
      if (v >= 0) {
        buf[j] = v;
        continue;
      }
      if (c === 0x0a || c === 0x0d) {
        j--;
        continue;
      }
      if (!padded || c !== 0x3d) corrupt(si - 1);
      // padding
      if (j === 0 || j === 1) corrupt(si - 1);
      if (j === 2) {
        while (si < src.length && (src[si] === 0x0a || src[si] === 0x0d)) si++;
        if (si === src.length) corrupt(src.length);
        if (src[si] !== 0x3d) corrupt(si - 1);
        si++;
      }
      while (si < src.length && (src[si] === 0x0a || src[si] === 0x0d)) si++;
      if (si < src.length) corrupt(si);
      dlen = j;
      done = true;
      break;
    }
    const n = (buf[0]! << 18) | (buf[1]! << 12) | (buf[2]! << 6) | buf[3]!;
    const bytes = [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
    out.push(...bytes.slice(0, dlen - 1));
    if (done) return Uint8Array.from(out);
  }
}

export function encodeBase64(bytes: Uint8Array | string, url = false, pad = true): string {
  let s = Buffer.from(bytes as Uint8Array).toString('base64');
  if (url) s = s.replace(/\+/g, '-').replace(/\//g, '_');
  if (!pad) s = s.replace(/=+$/, '');
  return s;
}

/** base64url.decode: padded when the length is a multiple of 4, raw otherwise (as OPA does). */
export function decodeBase64Url(s: string): Uint8Array {
  return decodeBase64Go(s, 'url', s.length % 4 === 0);
}

function hexDecode(s: string): string {
  const bytes: number[] = [];
  const invalid = (ch: string): never => {
    const cp = ch.codePointAt(0)!;
    fail(`encoding/hex: invalid byte: U+${cp.toString(16).toUpperCase().padStart(4, '0')} ${JSON.stringify(ch).replace(/^"|"$/g, "'")}`);
  };
  const raw = Buffer.from(s, 'utf8');
  const nibble = (b: number): number => {
    const ch = String.fromCharCode(b);
    const v = parseInt(ch, 16);
    if (Number.isNaN(v) || !/[0-9a-fA-F]/.test(ch)) invalid(b < 0x80 ? ch : String.fromCharCode(b));
    return v;
  };
  let i = 0;
  for (; i + 1 < raw.length; i += 2) bytes.push((nibble(raw[i]!) << 4) | nibble(raw[i + 1]!));
  if (raw.length % 2 === 1) {
    nibble(raw[i]!);
    fail('encoding/hex: odd length hex string');
  }
  return utf8(Uint8Array.from(bytes));
}

/** Go's url.QueryEscape. */
export function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(ch)) out += ch;
    else if (ch === ' ') out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Go's url.QueryUnescape. */
function queryUnescape(s: string): string {
  const bytes: number[] = [];
  const raw = Buffer.from(s, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (b === 0x25) {
      const hex = raw.subarray(i + 1, i + 3).toString('latin1');
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) {
        fail(`invalid URL escape ${JSON.stringify(raw.subarray(i, i + 3).toString('utf8'))}`);
      }
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (b === 0x2b) bytes.push(0x20);
    else bytes.push(b);
  }
  return utf8(Uint8Array.from(bytes));
}

function encodeObject(value: unknown): string {
  const o = obj(value, 1);
  const pairs: string[] = [];
  for (const key of Object.keys(o).sort()) {
    const v = o[key];
    const values: Json[] = typeof v === 'string' ? [v] : Array.isArray(v) ? v : [];
    if (typeof v !== 'string' && !Array.isArray(v)) {
      typeFail(`operand 1 must be one of {string, array, set} but got ${typeName(v)}`);
    }
    for (const item of values) {
      if (typeof item !== 'string') typeFail(`operand 1 must be string but got ${typeName(item)}`);
      pairs.push(`${queryEscape(key)}=${queryEscape(item as string)}`);
    }
  }
  return pairs.join('&');
}

/** Go's url.ParseQuery: values per key in order; a key without '=' gets "". */
function decodeObject(s: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const part of s.split('&')) {
    if (part === '') continue;
    if (part.includes(';')) fail('invalid semicolon separator in query');
    const eq = part.indexOf('=');
    const key = queryUnescape(eq < 0 ? part : part.slice(0, eq));
    const val = eq < 0 ? '' : queryUnescape(part.slice(eq + 1));
    (out[key] ??= []).push(val);
  }
  return out;
}

/** Go's encoding/json Marshal ordering: keys sorted; HTML-safe escaping of <, >, &. */
export function goJson(value: unknown, indent = '', prefix = '', level = 0): string {
  const nl = indent === '' && prefix === '' ? '' : `\n${prefix}${indent.repeat(level + 1)}`;
  const close = indent === '' && prefix === '' ? '' : `\n${prefix}${indent.repeat(level)}`;
  const sep = indent === '' && prefix === '' ? ':' : ': ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${value.map((v) => nl + goJson(v, indent, prefix, level + 1)).join(',')}${close}]`;
  }
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    if (keys.length === 0) return '{}';
    return `{${keys.map((k) => `${nl}${goString(k)}${sep}${goJson(value[k], indent, prefix, level + 1)}`).join(',')}${close}}`;
  }
  if (typeof value === 'string') return goString(value);
  return JSON.stringify(value);
}

function goString(s: string): string {
  return JSON.stringify(s)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function marshalWithOptions(value: unknown, options: unknown): string {
  const opts = obj(options, 2);
  let pretty = false;
  let indent = '\t';
  let prefix = '';
  let indentSet = false;
  for (const [k, v] of Object.entries(opts)) {
    if (k === 'pretty') pretty = bool(v, 2);
    else if (k === 'indent') {
      if (typeof v !== 'string') typeFail(`operand 2 must be string but got ${typeName(v)}`);
      indent = v as string;
      indentSet = true;
    } else if (k === 'prefix') {
      if (typeof v !== 'string') typeFail(`operand 2 must be string but got ${typeName(v)}`);
      prefix = v as string;
      indentSet = true;
    } else fail(`object contained unknown key ${JSON.stringify(k)}`);
  }
  if (!pretty && !('pretty' in opts) && indentSet) pretty = true;
  if (!pretty) return goJson(value);
  return prefix + goJson(value, indent, prefix);
}

export const encodingBuiltins: BuiltinFamily = {
  'base64.encode': (_ctx, x) => encodeBase64(str(x, 1)),
  'base64.decode': (_ctx, x) => utf8(decodeBase64Go(str(x, 1), 'std', true)),
  'base64.is_valid': (_ctx, x) => {
    if (typeof x !== 'string') return false;
    try {
      decodeBase64Go(x, 'std', true);
      return true;
    } catch {
      return false;
    }
  },
  'base64url.encode': (_ctx, x) => encodeBase64(str(x, 1), true),
  'base64url.encode_no_pad': (_ctx, x) => encodeBase64(str(x, 1), true, false),
  'base64url.decode': (_ctx, x) => utf8(decodeBase64Url(str(x, 1))),
  'hex.encode': (_ctx, x) => Buffer.from(str(x, 1), 'utf8').toString('hex'),
  'hex.decode': (_ctx, x) => hexDecode(str(x, 1)),
  'urlquery.encode': (_ctx, x) => queryEscape(str(x, 1)),
  'urlquery.decode': (_ctx, x) => queryUnescape(str(x, 1)),
  'urlquery.encode_object': (_ctx, x) => encodeObject(x),
  'urlquery.decode_object': (_ctx, x) => decodeObject(str(x, 1)),
  'json.marshal_with_options': (_ctx, x, options) => {
    if (!isObject(options)) operandError(2, 'object', options);
    return marshalWithOptions(x, options);
  },
};
