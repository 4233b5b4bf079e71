// Artifact signatures. An Ed25519 signature is the costliest step of an allow (~60 µs of CPU on
// our CI machines). When other decisions are waiting, it is computed on libuv's thread pool
// (crypto.sign with a callback), beside the next evaluation; that hand-off costs more CPU in all
// (~110 µs per signature here), so a decision with nothing else in flight signs on its own thread.
import { sign } from 'node:crypto';
import type { SigningKey } from '../bundle/signatures.js';

/** The base64url JWS signature of `signingInput` (header.payload), on this thread. */
export function signJwsNow(signer: SigningKey, signingInput: string): string {
  const data = Buffer.from(signingInput);
  if (signer.alg === 'EdDSA') return sign(null, data, signer.key).toString('base64url');
  if (signer.alg === 'ES256') return sign('sha256', data, { key: signer.key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  return sign('sha256', data, signer.key).toString('base64url');
}

/** The base64url JWS signature of `signingInput` (header.payload), on the thread pool. */
export function signJws(signer: SigningKey, signingInput: string): Promise<string> {
  const data = Buffer.from(signingInput);
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, signature: Buffer): void => (err ? reject(err) : resolve(signature.toString('base64url')));
    if (signer.alg === 'EdDSA') sign(null, data, signer.key, done);
    else if (signer.alg === 'ES256') sign('sha256', data, { key: signer.key, dsaEncoding: 'ieee-p1363' }, done);
    else sign('sha256', data, signer.key, done);
  });
}
