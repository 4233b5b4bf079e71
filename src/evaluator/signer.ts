// Artifact signatures. An Ed25519 signature is the costliest step of an allow (~60 µs of CPU on
// our CI machines). When other decisions are waiting, it is computed on libuv's thread pool
// (crypto.sign with a callback), beside the next evaluation; that hand-off costs more CPU in all
// (~110 µs per signature here), so a decision with nothing else in flight signs on its own thread.
import { sign } from 'node:crypto';
import { jwsCryptoParams, signBytes, type SigningKey } from '../bundle/signatures.js';

/** The base64url JWS signature of `signingInput` (header.payload), on this thread. */
export function signJwsNow(signer: SigningKey, signingInput: string): string {
  return signBytes(signer.alg, signer.key, Buffer.from(signingInput)).toString('base64url');
}

/** The base64url JWS signature of `signingInput` (header.payload), on the thread pool. */
export function signJws(signer: SigningKey, signingInput: string): Promise<string> {
  const { digest, key } = jwsCryptoParams(signer.alg, signer.key);
  return new Promise((resolve, reject) => {
    sign(digest, Buffer.from(signingInput), key, (err, signature) => (err ? reject(err) : resolve(signature.toString('base64url'))));
  });
}
