// Key pairs for authorization artifacts and bundle signatures: a private JWK (kept secret, never
// printed) and a public JWKS that verifiers load. The kid is the RFC 7638 thumbprint of the public
// key, so the same key always has the same id.
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { SigningAlgorithm } from '../bundle/signatures.js';

export type ArtifactAlgorithm = Extract<SigningAlgorithm, 'EdDSA' | 'ES256'>;
export const ARTIFACT_ALGORITHMS: readonly ArtifactAlgorithm[] = ['EdDSA', 'ES256'];

export interface GeneratedKeys {
  kid: string;
  alg: ArtifactAlgorithm;
  privateJwk: JWK;
  publicJwks: { keys: JWK[] };
}

export async function generateKeys(alg: ArtifactAlgorithm = 'EdDSA'): Promise<GeneratedKeys> {
  const pair = alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicJwk = pair.publicKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
  const meta = { kid, alg, use: 'sig' };
  return {
    kid,
    alg,
    privateJwk: { ...(pair.privateKey.export({ format: 'jwk' }) as JWK), ...meta },
    publicJwks: { keys: [{ ...publicJwk, ...meta }] },
  };
}

/** Writes the private JWK (mode 0600) and the public JWKS; returns the kid. */
export async function writeKeyFiles(privatePath: string, publicPath: string, alg: ArtifactAlgorithm = 'EdDSA'): Promise<GeneratedKeys> {
  const keys = await generateKeys(alg);
  writeFileSync(privatePath, JSON.stringify(keys.privateJwk, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(privatePath, 0o600);
  writeFileSync(publicPath, JSON.stringify(keys.publicJwks, null, 2) + '\n');
  return keys;
}
