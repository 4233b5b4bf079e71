// Verifying an authorization artifact right before executing: the executor states exactly what it
// is about to do, and the artifact must prove that this — and nothing else — was allowed by a
// pinned policy, recently, once. The first failed check is the answer, as a reason code.
import { compactVerify, importJWK, type JWK } from 'jose';
import { decodeCompact, SignatureError } from '../bundle/signatures.js';
import { digestJson, NotJsonError } from '../evaluator/canonical.js';
import { ARTIFACT_TYPE, type ArtifactClaims } from '../evaluator/issue.js';
import { ARTIFACT_ALGORITHMS } from './keys.js';
import type { ReplayStore, RevocationList } from './replay.js';

export const VERIFY_REASONS = {
  VALID: 'VALID',
  ARTIFACT_MALFORMED: 'ARTIFACT_MALFORMED',
  ALG_NOT_ALLOWED: 'ALG_NOT_ALLOWED',
  TYPE_INVALID: 'TYPE_INVALID',
  KID_UNKNOWN: 'KID_UNKNOWN',
  SIGNATURE_INVALID: 'SIGNATURE_INVALID',
  CLAIMS_INVALID: 'CLAIMS_INVALID',
  ISSUER_MISMATCH: 'ISSUER_MISMATCH',
  AUDIENCE_MISMATCH: 'AUDIENCE_MISMATCH',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  TOKEN_NOT_YET_VALID: 'TOKEN_NOT_YET_VALID',
  INTENT_MISMATCH: 'INTENT_MISMATCH',
  BUNDLE_UNPINNED: 'BUNDLE_UNPINNED',
  ENVIRONMENT_MISMATCH: 'ENVIRONMENT_MISMATCH',
  JTI_REVOKED: 'JTI_REVOKED',
  JTI_REPLAYED: 'JTI_REPLAYED',
} as const;

export type VerifyReason = (typeof VERIFY_REASONS)[keyof typeof VERIFY_REASONS];

export interface ExpectedIntent {
  action: string;
  resource: string;
  /** The exact arguments about to be used (default `{}`); compared by canonical digest. */
  args?: unknown;
}

export interface VerifyOptions {
  /** The issuer's public keys (JWKS). Only keys with a kid are usable. */
  jwks: { keys: JWK[] };
  /** True when a bundle hash is pinned (e.g. `(h) => isHashPinned(readPins(lock), h)`). */
  isBundlePinned: (sha256: string) => boolean;
  /** When set, the artifact's environment attestation digest must equal it. */
  environment?: string;
  issuer?: string;
  audience?: string;
  /** Seconds since the epoch (default: the wall clock). */
  now?: number;
  /** Allowed clock skew for nbf/exp, seconds (default 30). */
  skewSeconds?: number;
  replay?: ReplayStore;
  revocations?: Pick<RevocationList, 'isRevoked'>;
}

export type VerifyResult =
  | { ok: true; reason: 'VALID'; claims: ArtifactClaims }
  | { ok: false; reason: Exclude<VerifyReason, 'VALID'>; detail: string; jti?: string };

const HEX64 = /^[0-9a-f]{64}$/;

function fail(reason: Exclude<VerifyReason, 'VALID'>, detail: string, jti?: string): VerifyResult {
  return jti === undefined ? { ok: false, reason, detail } : { ok: false, reason, detail, jti };
}

function claimsProblem(c: Record<string, unknown>): string | undefined {
  for (const k of ['iss', 'sub', 'aud', 'jti'] as const) if (typeof c[k] !== 'string' || c[k] === '') return `missing or invalid "${k}"`;
  for (const k of ['iat', 'nbf', 'exp'] as const) if (typeof c[k] !== 'number' || !Number.isFinite(c[k])) return `missing or invalid "${k}"`;
  const intent = c.intent as Record<string, unknown> | undefined;
  if (typeof intent !== 'object' || intent === null || typeof intent.action !== 'string' || typeof intent.resource !== 'string' || typeof intent.args_sha256 !== 'string') {
    return 'missing or invalid "intent"';
  }
  const policy = c.policy as Record<string, unknown> | undefined;
  if (typeof policy !== 'object' || policy === null || typeof policy.bundle_sha256 !== 'string' || !HEX64.test(policy.bundle_sha256)) {
    return 'missing or invalid "policy"';
  }
  if (typeof c.env_sha256 !== 'string') return 'missing "env_sha256"';
  if (!Array.isArray(c.scope)) return 'missing "scope"';
  return undefined;
}

export async function verifyArtifact(token: string, expected: ExpectedIntent, options: VerifyOptions): Promise<VerifyResult> {
  let header: Record<string, unknown>;
  try {
    header = decodeCompact(token.trim()).header;
  } catch (err) {
    return fail(VERIFY_REASONS.ARTIFACT_MALFORMED, err instanceof SignatureError ? err.message : 'not a compact JWS');
  }
  token = token.trim();
  const alg = header.alg;
  // Only asymmetric algorithms we issue: never `none`, never HS256 keyed with a public key.
  if (typeof alg !== 'string' || !(ARTIFACT_ALGORITHMS as readonly string[]).includes(alg)) {
    return fail(VERIFY_REASONS.ALG_NOT_ALLOWED, `algorithm ${JSON.stringify(alg)} is not allowed`);
  }
  if (header.typ !== ARTIFACT_TYPE) return fail(VERIFY_REASONS.TYPE_INVALID, `typ must be ${ARTIFACT_TYPE}`);
  if (header.crit !== undefined) return fail(VERIFY_REASONS.ARTIFACT_MALFORMED, 'critical header extensions are not supported');
  const kid = header.kid;
  const jwk = typeof kid === 'string' ? options.jwks.keys.find((k) => k.kid === kid) : undefined;
  if (!jwk) return fail(VERIFY_REASONS.KID_UNKNOWN, typeof kid === 'string' ? `no key with kid "${kid}"` : 'the artifact names no kid');
  if (jwk.alg !== undefined && jwk.alg !== alg) return fail(VERIFY_REASONS.ALG_NOT_ALLOWED, `key "${kid}" is for ${jwk.alg}, not ${alg}`);
  if (typeof jwk.d === 'string') return fail(VERIFY_REASONS.KID_UNKNOWN, 'the JWKS holds a private key; refusing to use it');

  let payload: Uint8Array;
  try {
    const key = await importJWK(jwk, alg);
    ({ payload } = await compactVerify(token, key, { algorithms: [alg] }));
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_JOSE_ALG_NOT_ALLOWED') return fail(VERIFY_REASONS.ALG_NOT_ALLOWED, (err as Error).message);
    return fail(VERIFY_REASONS.SIGNATURE_INVALID, 'the signature does not verify');
  }

  let claims: ArtifactClaims;
  try {
    claims = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return fail(VERIFY_REASONS.CLAIMS_INVALID, 'the payload is not JSON');
  }
  if (typeof claims !== 'object' || claims === null) return fail(VERIFY_REASONS.CLAIMS_INVALID, 'the payload is not an object');
  const problem = claimsProblem(claims as unknown as Record<string, unknown>);
  const jti = typeof claims.jti === 'string' ? claims.jti : undefined;
  if (problem) return fail(VERIFY_REASONS.CLAIMS_INVALID, problem, jti);
  if (options.issuer !== undefined && claims.iss !== options.issuer) return fail(VERIFY_REASONS.ISSUER_MISMATCH, `issuer is ${claims.iss}`, jti);
  if (options.audience !== undefined && claims.aud !== options.audience) return fail(VERIFY_REASONS.AUDIENCE_MISMATCH, `audience is ${claims.aud}`, jti);

  const now = options.now ?? Math.floor(Date.now() / 1000);
  const skew = options.skewSeconds ?? 30;
  if (now + skew < claims.nbf) return fail(VERIFY_REASONS.TOKEN_NOT_YET_VALID, `not valid before ${claims.nbf}`, jti);
  if (now - skew >= claims.exp) return fail(VERIFY_REASONS.TOKEN_EXPIRED, `expired at ${claims.exp}`, jti);

  let argsDigest: string;
  try {
    argsDigest = digestJson(expected.args ?? {});
  } catch (err) {
    if (err instanceof NotJsonError) return fail(VERIFY_REASONS.INTENT_MISMATCH, `the arguments are not JSON: ${err.message}`, jti);
    throw err;
  }
  if (claims.intent.action !== expected.action) return fail(VERIFY_REASONS.INTENT_MISMATCH, `the artifact allows action "${claims.intent.action}"`, jti);
  if (claims.intent.resource !== expected.resource) return fail(VERIFY_REASONS.INTENT_MISMATCH, `the artifact allows resource "${claims.intent.resource}"`, jti);
  if (claims.intent.args_sha256 !== argsDigest) return fail(VERIFY_REASONS.INTENT_MISMATCH, 'the arguments differ from the authorized ones', jti);

  if (!options.isBundlePinned(claims.policy.bundle_sha256)) {
    return fail(VERIFY_REASONS.BUNDLE_UNPINNED, `bundle ${claims.policy.bundle_sha256} is not pinned`, jti);
  }
  if (options.environment !== undefined && claims.env_sha256 !== options.environment) {
    return fail(VERIFY_REASONS.ENVIRONMENT_MISMATCH, 'the artifact was issued in another environment', jti);
  }
  if (options.revocations && (await options.revocations.isRevoked(claims.jti))) {
    return fail(VERIFY_REASONS.JTI_REVOKED, `artifact ${claims.jti} is revoked`, jti);
  }
  // Last, so an artifact rejected for any other reason is not burnt.
  if (options.replay && !(await options.replay.consume(claims.jti, claims.exp + skew))) {
    return fail(VERIFY_REASONS.JTI_REPLAYED, `artifact ${claims.jti} was already used`, jti);
  }
  return { ok: true, reason: VERIFY_REASONS.VALID, claims };
}
