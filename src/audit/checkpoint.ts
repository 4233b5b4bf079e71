// Signed tree heads ("checkpoints"): the size and Merkle root of the log at one moment, signed
// with Ed25519 as a compact JWS. Whoever keeps a checkpoint can later prove that the log still
// holds those records (nothing truncated, nothing rewritten) and check inclusion proofs offline.
import { readFileSync } from 'node:fs';
import {
  CompactSign,
  compactVerify,
  createLocalJWKSet,
  decodeProtectedHeader,
  base64url,
  exportJWK,
  importJWK,
  importPKCS8,
  importSPKI,
  calculateJwkThumbprint,
  type JWK,
  type JSONWebKeySet,
  type CryptoKey,
} from 'jose';
import { canonicalJson } from './canonical.js';

export const CHECKPOINT_TYP = 'govern-checkpoint+jws';

export interface TreeHead {
  /** Number of records covered. */
  size: number;
  /** RFC 6962 Merkle root over those records, hex. */
  root: string;
  /** When the head was signed (ISO 8601). */
  time: string;
}

export interface CheckpointSigner {
  sign(head: TreeHead): Promise<string>;
}

/** A signer over an Ed25519 private key (a CryptoKey, or a private JWK with `d`). */
export async function createCheckpointSigner(key: CryptoKey | JWK, kid?: string): Promise<CheckpointSigner> {
  const privateKey = isJwk(key) ? ((await importJWK(key, 'EdDSA')) as CryptoKey) : key;
  let keyId = kid ?? (isJwk(key) ? key.kid : undefined);
  if (keyId === undefined) {
    const jwk = isJwk(key) ? key : await exportJWK(key);
    const { d: _secret, ...pub } = jwk;
    keyId = await calculateJwkThumbprint(pub);
  }
  return {
    async sign(head) {
      return new CompactSign(new TextEncoder().encode(canonicalJson(head)))
        .setProtectedHeader({ alg: 'EdDSA', typ: CHECKPOINT_TYP, kid: keyId })
        .sign(privateKey);
    },
  };
}

function isJwk(key: unknown): key is JWK {
  return typeof key === 'object' && key !== null && typeof (key as JWK).kty === 'string';
}

/** Reads a tree head from a checkpoint without checking its signature (the log's own bookkeeping). */
export function decodeCheckpoint(jws: string): TreeHead {
  const parts = jws.trim().split('.');
  if (parts.length !== 3) throw new Error('not a compact JWS');
  const header = decodeProtectedHeader(jws.trim());
  if (header.typ !== CHECKPOINT_TYP) throw new Error(`not a checkpoint (typ ${String(header.typ)})`);
  return parseHead(JSON.parse(new TextDecoder().decode(base64url.decode(parts[1]!))));
}

function parseHead(value: unknown): TreeHead {
  const h = value as Partial<TreeHead> | null;
  if (
    typeof h !== 'object' || h === null ||
    !Number.isSafeInteger(h.size) || (h.size as number) < 0 ||
    typeof h.root !== 'string' || !/^[0-9a-f]{64}$/.test(h.root) ||
    typeof h.time !== 'string'
  ) {
    throw new Error('checkpoint payload is not a tree head {size, root, time}');
  }
  return { size: h.size as number, root: h.root, time: h.time };
}

/** Checks a checkpoint's signature against a key set; returns its tree head or throws. */
export async function verifyCheckpoint(jws: string, keys: JSONWebKeySet): Promise<TreeHead> {
  const { payload, protectedHeader } = await compactVerify(jws.trim(), createLocalJWKSet(keys), { algorithms: ['EdDSA'] });
  if (protectedHeader.typ !== CHECKPOINT_TYP) throw new Error(`not a checkpoint (typ ${String(protectedHeader.typ)})`);
  return parseHead(JSON.parse(new TextDecoder().decode(payload)));
}

/** A private signing key from a file: a JWK (JSON with "d") or PKCS#8 PEM. */
export async function loadPrivateKey(file: string): Promise<{ key: CryptoKey; kid?: string }> {
  const text = readFileSync(file, 'utf8').trim();
  if (text.startsWith('-----BEGIN')) return { key: await importPKCS8(text, 'EdDSA', { extractable: true }) };
  const jwk = JSON.parse(text) as JWK & { keys?: JWK[] };
  const single = jwk.keys ? jwk.keys.find((k) => k.d !== undefined) : jwk;
  if (!single || single.d === undefined) throw new Error(`${file} holds no private key (a JWK with "d" or a PKCS#8 PEM)`);
  return { key: (await importJWK(single, 'EdDSA', { extractable: true })) as CryptoKey, kid: single.kid };
}

/** Public verification keys from a file: a JWKS, a single JWK, or an SPKI PEM. Private parts are dropped. */
export async function loadJwks(file: string): Promise<JSONWebKeySet> {
  const text = readFileSync(file, 'utf8').trim();
  if (text.startsWith('-----BEGIN')) {
    const jwk = await exportJWK(await importSPKI(text, 'EdDSA', { extractable: true }));
    return { keys: [{ ...jwk, kid: await calculateJwkThumbprint(jwk) }] };
  }
  const parsed = JSON.parse(text) as JWK & { keys?: JWK[] };
  const list = parsed.keys ?? [parsed];
  return {
    keys: await Promise.all(
      list.map(async (k) => {
        const { d: _secret, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = k;
        return { ...pub, kid: pub.kid ?? (await calculateJwkThumbprint(pub)) };
      }),
    ),
  };
}
