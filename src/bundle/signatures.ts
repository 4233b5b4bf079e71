// Signed bundles, the way OPA signs them: `/.signatures.json` holds {"signatures": ["<JWS>"]} and
// the JWS payload lists every file of the bundle with its hash:
//   {"files": [{"name": ".manifest", "hash": "<hex>", "algorithm": "SHA-256"}, …], "keyid": "…"}
// Structured files (data.json, data.yaml, .manifest) are hashed over their parsed value with object
// keys in sorted order and numbers written as they were in the file (OPA's rule, so whitespace and
// key order do not matter, but `1.0` and `1` differ); every other file over its raw bytes. A bundle verifies only when the JWS verifies with the configured key and the
// files in the archive are exactly the files listed, each with the listed hash.
//
// The JWS helpers here (key loading, compact signing with node:crypto) are also what signs
// authorization artifacts (src/artifact).
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import { isLosslessNumber, parse as parseLosslessJson } from 'lossless-json';
import { parse as parseYaml } from 'yaml';

export const SIGNATURES_FILE = '.signatures.json';

/** Asymmetric algorithms only: symmetric (HS*) and `none` are never accepted. */
export type SigningAlgorithm = 'EdDSA' | 'ES256' | 'RS256';
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['EdDSA', 'ES256', 'RS256'];

export class SignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignatureError';
  }
}

// ---------------------------------------------------------------------------------------------
// Keys

export interface SigningKey {
  key: KeyObject;
  alg: SigningAlgorithm;
  kid?: string;
}

export interface VerificationKey {
  key: KeyObject;
  alg: SigningAlgorithm;
  kid?: string;
}

/** The one algorithm a key may be used with (no algorithm confusion by construction). */
export function algorithmForKey(key: KeyObject): SigningAlgorithm {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return 'EdDSA';
  if (type === 'ec') {
    if (key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new SignatureError('only P-256 EC keys are supported (ES256)');
    return 'ES256';
  }
  if (type === 'rsa') return 'RS256';
  throw new SignatureError(`unsupported key type ${type ?? key.type}`);
}

function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A private key from a JWK (JSON) or PEM text. */
export function parseSigningKey(text: string): SigningKey {
  const json = parseJsonOrUndefined(text) as Record<string, unknown> | undefined;
  let key: KeyObject;
  let kid: string | undefined;
  try {
    if (json && typeof json === 'object') {
      if (typeof json.d !== 'string') throw new SignatureError('the JWK is not a private key (no "d")');
      key = createPrivateKey({ key: json as never, format: 'jwk' });
      kid = typeof json.kid === 'string' ? json.kid : undefined;
    } else {
      key = createPrivateKey(text);
    }
  } catch (err) {
    if (err instanceof SignatureError) throw err;
    throw new SignatureError(`not a private key (${(err as Error).message})`);
  }
  const alg = algorithmForKey(key);
  if (json && typeof json.alg === 'string' && json.alg !== alg) {
    throw new SignatureError(`the JWK says alg ${json.alg} but the key is for ${alg}`);
  }
  return kid === undefined ? { key, alg } : { key, alg, kid };
}

/** Public keys from a JWKS, a single JWK or PEM (SPKI / certificate) text. */
export function parseVerificationKeys(text: string): VerificationKey[] {
  const json = parseJsonOrUndefined(text) as Record<string, unknown> | undefined;
  const jwks = json && Array.isArray(json.keys) ? (json.keys as Record<string, unknown>[]) : json ? [json] : undefined;
  try {
    if (!jwks) {
      const key = createPublicKey(text);
      return [{ key, alg: algorithmForKey(key) }];
    }
    return jwks.map((jwk) => {
      if (typeof jwk.d === 'string') throw new SignatureError('a verification key must be public (the JWK has "d")');
      const key = createPublicKey({ key: jwk as never, format: 'jwk' });
      const alg = algorithmForKey(key);
      if (typeof jwk.alg === 'string' && jwk.alg !== alg) throw new SignatureError(`the JWK says alg ${jwk.alg} but the key is for ${alg}`);
      return typeof jwk.kid === 'string' ? { key, alg, kid: jwk.kid } : { key, alg };
    });
  } catch (err) {
    if (err instanceof SignatureError) throw err;
    throw new SignatureError(`not a public key (${(err as Error).message})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Compact JWS

export function base64url(data: Uint8Array | string): string {
  return Buffer.from(data).toString('base64url');
}

/**
 * What node:crypto's sign/verify take for a JWS algorithm: the digest (none for EdDSA, which
 * hashes itself) and the key, with JWS's fixed-width r||s encoding for ES256.
 */
export function jwsCryptoParams(alg: SigningAlgorithm, key: KeyObject): { digest: string | null; key: KeyObject | { key: KeyObject; dsaEncoding: 'ieee-p1363' } } {
  if (alg === 'EdDSA') return { digest: null, key };
  if (alg === 'ES256') return { digest: 'sha256', key: { key, dsaEncoding: 'ieee-p1363' } };
  return { digest: 'sha256', key };
}

export function signBytes(alg: SigningAlgorithm, key: KeyObject, data: Buffer): Buffer {
  const p = jwsCryptoParams(alg, key);
  return cryptoSign(p.digest, data, p.key);
}

function verifyBytes(alg: SigningAlgorithm, key: KeyObject, data: Buffer, signature: Buffer): boolean {
  const p = jwsCryptoParams(alg, key);
  return cryptoVerify(p.digest, data, p.key, signature);
}

/** Signs `payload` (bytes) as a compact JWS; `header` gets `alg` (and `kid`) from the key. */
export function signCompact(payload: Uint8Array | string, signer: SigningKey, header: Record<string, unknown> = {}): string {
  const protectedHeader: Record<string, unknown> = { alg: signer.alg, ...header };
  protectedHeader.alg = signer.alg;
  if (signer.kid !== undefined && protectedHeader.kid === undefined) protectedHeader.kid = signer.kid;
  const signingInput = `${base64url(JSON.stringify(protectedHeader))}.${base64url(payload)}`;
  const signature = signBytes(signer.alg, signer.key, Buffer.from(signingInput));
  return `${signingInput}.${base64url(signature)}`;
}

export interface DecodedCompact {
  header: Record<string, unknown>;
  payload: Buffer;
  signingInput: string;
  signature: Buffer;
}

/** Splits and decodes a compact JWS without verifying it. Throws SignatureError when malformed. */
export function decodeCompact(token: string): DecodedCompact {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p, i) => i < 2 && p.length === 0) || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) {
    throw new SignatureError('not a compact JWS');
  }
  const header = parseJsonOrUndefined(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new SignatureError('the JWS header is not a JSON object');
  }
  return {
    header: header as Record<string, unknown>,
    payload: Buffer.from(parts[1]!, 'base64url'),
    signingInput: `${parts[0]}.${parts[1]}`,
    signature: Buffer.from(parts[2]!, 'base64url'),
  };
}

/** Checks the signature of a decoded JWS with `key`, using the key's own algorithm only. */
export function verifyCompactSignature(decoded: DecodedCompact, key: VerificationKey): boolean {
  if (decoded.header.alg !== key.alg) return false;
  if (decoded.header.crit !== undefined) return false; // no critical extensions are understood
  try {
    return verifyBytes(key.alg, key.key, Buffer.from(decoded.signingInput), decoded.signature);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Bundle file hashes (OPA's rule)

export interface SignedFile {
  name: string;
  hash: string;
  algorithm: 'SHA-256';
}

const STRUCTURED = new Set(['data.json', 'data.yaml', '.signatures.json', '.manifest']);

function isStructured(name: string): boolean {
  return STRUCTURED.has(name.slice(name.lastIndexOf('/') + 1));
}

// Go's encoding/json escapes U+2028/U+2029 where JSON.stringify does not.
function goJsonPrimitive(value: unknown): string {
  return JSON.stringify(value).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function hashStructured(value: unknown, hash: ReturnType<typeof createHash>): void {
  if (isLosslessNumber(value)) {
    // OPA decodes numbers as json.Number, which Go writes back exactly as it was read.
    hash.update(value.value);
  } else if (Array.isArray(value)) {
    hash.update('[');
    value.forEach((v, i) => {
      if (i > 0) hash.update(',');
      hashStructured(v, hash);
    });
    hash.update(']');
  } else if (typeof value === 'object' && value !== null) {
    hash.update('{');
    // Go sorts keys by bytes (UTF-8), which differs from UTF-16 order above the BMP.
    const keys = Object.keys(value).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    keys.forEach((k, i) => {
      if (i > 0) hash.update(',');
      hash.update(goJsonPrimitive(k));
      hash.update(':');
      hashStructured((value as Record<string, unknown>)[k], hash);
    });
    hash.update('}');
  } else {
    hash.update(goJsonPrimitive(value ?? null));
  }
}

/** The SHA-256 (hex) OPA records for a bundle file. */
export function hashBundleFile(name: string, data: Uint8Array): string {
  const hash = createHash('sha256');
  if (isStructured(name)) {
    const text = Buffer.from(data).toString('utf8');
    let value: unknown;
    try {
      // JSON numbers keep their text (lossless-json), as OPA's do; YAML numbers are converted, as OPA converts them.
      value = name.endsWith('.yaml') ? parseYaml(text) : parseLosslessJson(text);
    } catch (err) {
      throw new SignatureError(`${name}: cannot hash, not valid ${name.endsWith('.yaml') ? 'YAML' : 'JSON'} (${(err as Error).message})`);
    }
    hashStructured(value, hash);
  } else {
    hash.update(data);
  }
  return hash.digest('hex');
}

function normalizeName(name: string): string {
  return name.replace(/^\/+/, '');
}

export interface SignBundleOptions {
  /** Written as the `keyid` claim (OPA's deprecated claim) and the header's `kid`. */
  keyId?: string;
  /** OPA's optional `scope` claim; verification requires the same scope. */
  scope?: string;
}

/**
 * Signs a bundle's files: returns the `.signatures.json` file to add to the archive.
 * `files` are the bundle's files (without a `.signatures.json`), names relative to the root.
 */
export function signBundleFiles(
  files: { name: string; data: Uint8Array }[],
  signingKey: SigningKey | string,
  options: SignBundleOptions = {},
): { name: string; data: Uint8Array } {
  const signer = typeof signingKey === 'string' ? parseSigningKey(signingKey) : signingKey;
  const listed: SignedFile[] = files
    .map((f) => ({ name: normalizeName(f.name), data: f.data }))
    .filter((f) => f.name !== SIGNATURES_FILE)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => ({ name: f.name, hash: hashBundleFile(f.name, f.data), algorithm: 'SHA-256' }));
  const kid = options.keyId ?? signer.kid;
  const payload: Record<string, unknown> = { files: listed };
  if (kid !== undefined) payload.keyid = kid;
  if (options.scope !== undefined) payload.scope = options.scope;
  const token = signCompact(JSON.stringify(payload), kid === undefined ? signer : { ...signer, kid });
  return { name: SIGNATURES_FILE, data: new TextEncoder().encode(JSON.stringify({ signatures: [token] }) + '\n') };
}

export type BundleSignatureCheck = { ok: true; kid?: string } | { ok: false; problem: string };

/**
 * Verifies a bundle's `.signatures.json` against `keys`: exactly one JWS, signed by a key with the
 * JWS's kid (or the only key when neither names one), every archive file listed with its hash and
 * every listed file present.
 */
export function verifyBundleSignatures(
  files: Map<string, Uint8Array>,
  keys: VerificationKey[],
  options: { scope?: string } = {},
): BundleSignatureCheck {
  const sigFile = files.get(SIGNATURES_FILE);
  if (!sigFile) return { ok: false, problem: `the bundle has no ${SIGNATURES_FILE}` };
  let tokens: unknown;
  try {
    tokens = JSON.parse(Buffer.from(sigFile).toString('utf8')).signatures;
  } catch {
    return { ok: false, problem: `${SIGNATURES_FILE} is not valid JSON` };
  }
  if (!Array.isArray(tokens) || tokens.length !== 1 || typeof tokens[0] !== 'string') {
    return { ok: false, problem: `${SIGNATURES_FILE} must hold exactly one JWS` };
  }
  let decoded: DecodedCompact;
  let claims: Record<string, unknown>;
  try {
    decoded = decodeCompact(tokens[0]);
    claims = JSON.parse(decoded.payload.toString('utf8'));
  } catch {
    return { ok: false, problem: 'the bundle signature is not a valid JWS' };
  }
  const kid = typeof decoded.header.kid === 'string' ? decoded.header.kid : typeof claims.keyid === 'string' ? claims.keyid : undefined;
  const candidates = kid === undefined ? (keys.length === 1 ? keys : []) : keys.filter((k) => k.kid === undefined || k.kid === kid);
  if (candidates.length === 0) return { ok: false, problem: kid === undefined ? 'the signature names no key id' : `no verification key with id "${kid}"` };
  if (!SIGNING_ALGORITHMS.includes(decoded.header.alg as SigningAlgorithm)) {
    return { ok: false, problem: `signature algorithm ${JSON.stringify(decoded.header.alg)} is not allowed` };
  }
  if (!candidates.some((k) => verifyCompactSignature(decoded, k))) return { ok: false, problem: 'the bundle signature does not verify' };
  if ((claims.scope ?? undefined) !== options.scope) return { ok: false, problem: 'the signature scope does not match' };
  if (!Array.isArray(claims.files)) return { ok: false, problem: 'the signature lists no files' };
  const expected = new Map<string, SignedFile>();
  for (const f of claims.files as SignedFile[]) {
    if (typeof f?.name !== 'string' || typeof f.hash !== 'string') return { ok: false, problem: 'malformed file entry in the signature' };
    if (f.algorithm !== 'SHA-256') return { ok: false, problem: `${f.name}: unsupported hash algorithm ${JSON.stringify(f.algorithm)}` };
    expected.set(normalizeName(f.name), f);
  }
  for (const [name, data] of files) {
    if (name === SIGNATURES_FILE) continue;
    const entry = expected.get(name);
    if (!entry) return { ok: false, problem: `${name} is not included in the bundle signature` };
    let actual: string;
    try {
      actual = hashBundleFile(name, data);
    } catch (err) {
      return { ok: false, problem: (err as Error).message };
    }
    if (actual !== entry.hash.toLowerCase()) return { ok: false, problem: `${name}: digest mismatch` };
    expected.delete(name);
  }
  if (expected.size > 0) return { ok: false, problem: `signed file(s) missing from the bundle: ${[...expected.keys()].join(', ')}` };
  return kid === undefined ? { ok: true } : { ok: true, kid };
}
