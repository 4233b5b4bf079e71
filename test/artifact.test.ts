// Verifying authorization artifacts: one test per rejection cause, each asserting its reason code,
// plus interop (plain jose verifies an artifact with the public JWKS, no govern code).
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSigningKey, signCompact } from '../src/bundle/signatures.js';
import { generateKeys, type GeneratedKeys } from '../src/artifact/keys.js';
import { FileReplayStore, FileRevocationList, MemoryReplayStore } from '../src/artifact/replay.js';
import { verifyArtifact, type VerifyOptions } from '../src/artifact/verify.js';
import { createGovernor, digestJson, type ArtifactClaims, type Governor } from '../src/evaluator/index.js';
import { fakePolicyWasm, SAMPLE_REQUEST, tempDir, writeFakeBundle } from './evaluator-fixtures.js';

const NOW_S = 1_767_225_600;
let keys: GeneratedKeys;
let governor: Governor;
let artifact: string;
let claims: ArtifactClaims;
const intent = { action: SAMPLE_REQUEST.action, resource: SAMPLE_REQUEST.resource, args: SAMPLE_REQUEST.args };

beforeAll(async () => {
  keys = await generateKeys();
  const dir = tempDir();
  const bundle = writeFakeBundle(dir, fakePolicyWasm({ kind: 'result', resultSet: '[{"result":true}]' }));
  governor = await createGovernor({ bundle, entrypoint: 'test/allow', signingKey: JSON.stringify(keys.privateJwk), now: () => BigInt(NOW_S) * 1_000_000_000n });
  const d = await governor.authorize(SAMPLE_REQUEST);
  expect(d.allowed).toBe(true);
  artifact = d.artifact!;
  claims = d.claims!;
});

afterAll(() => governor.close());

function options(extra: Partial<VerifyOptions> = {}): VerifyOptions {
  return { jwks: keys.publicJwks, isBundlePinned: (h) => h === claims.policy.bundle_sha256, now: NOW_S + 5, replay: new MemoryReplayStore(), ...extra };
}

/** Signs `claims` as an artifact with `jwk` (header overrides allowed). */
function sign(c: unknown, jwk: unknown = keys.privateJwk, header: Record<string, unknown> = {}): string {
  return signCompact(JSON.stringify(c), parseSigningKey(JSON.stringify(jwk)), { typ: 'govern-authz+jwt', ...header });
}

describe('artifact verification', () => {
  it('accepts a fresh artifact for exactly the authorized intent', async () => {
    const r = await verifyArtifact(artifact, intent, options());
    expect(r).toMatchObject({ ok: true, reason: 'VALID' });
  });

  it('compares args canonically (key order does not matter), but exactly', async () => {
    const reordered = { ...claims, jti: 'reordered' };
    const token = sign(reordered);
    expect((await verifyArtifact(token, { ...intent, args: { argv: ['ls', '-la'] } }, options())).ok).toBe(true);
    expect(claims.intent.args_sha256).toBe(digestJson({ argv: ['ls', '-la'] }));
  });

  it('SIGNATURE_INVALID: bad signature', async () => {
    const [h, p, s] = artifact.split('.');
    const flipped = Buffer.from(s!, 'base64url');
    flipped[0] ^= 1;
    expect((await verifyArtifact(`${h}.${p}.${flipped.toString('base64url')}`, intent, options())).reason).toBe('SIGNATURE_INVALID');
  });

  it('SIGNATURE_INVALID: signed by another key that claims our kid', async () => {
    const other = await generateKeys();
    const forged = sign(claims, { ...other.privateJwk, kid: keys.kid });
    expect((await verifyArtifact(forged, intent, options())).reason).toBe('SIGNATURE_INVALID');
  });

  it('KID_UNKNOWN: signed by a key the verifier does not know', async () => {
    const other = await generateKeys();
    expect((await verifyArtifact(sign(claims, other.privateJwk), intent, options())).reason).toBe('KID_UNKNOWN');
  });

  it('ALG_NOT_ALLOWED: alg none', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'govern-authz+jwt', kid: keys.kid })).toString('base64url');
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    expect((await verifyArtifact(`${header}.${body}.`, intent, options())).reason).toBe('ALG_NOT_ALLOWED');
  });

  it('ALG_NOT_ALLOWED: HS256 keyed with the public key (algorithm confusion)', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'govern-authz+jwt', kid: keys.kid })).toString('base64url');
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    for (const secret of [JSON.stringify(keys.publicJwks.keys[0]), Buffer.from(keys.publicJwks.keys[0]!.x!, 'base64url')]) {
      const mac = createHmac('sha256', secret).update(`${header}.${body}`).digest('base64url');
      expect((await verifyArtifact(`${header}.${body}.${mac}`, intent, options())).reason).toBe('ALG_NOT_ALLOWED');
    }
  });

  it('SIGNATURE_INVALID: payload edited after signing', async () => {
    const [h, , s] = artifact.split('.');
    const edited = Buffer.from(JSON.stringify({ ...claims, intent: { ...claims.intent, resource: 'rm' } })).toString('base64url');
    expect((await verifyArtifact(`${h}.${edited}.${s}`, { ...intent, resource: 'rm' }, options())).reason).toBe('SIGNATURE_INVALID');
  });

  it('TOKEN_EXPIRED: past exp (beyond the small skew)', async () => {
    expect((await verifyArtifact(artifact, intent, options({ now: claims.exp + 31 }))).reason).toBe('TOKEN_EXPIRED');
    expect((await verifyArtifact(artifact, intent, options({ now: claims.exp + 10 }))).ok).toBe(true);
  });

  it('TOKEN_NOT_YET_VALID: before nbf (beyond the small skew)', async () => {
    expect((await verifyArtifact(artifact, intent, options({ now: claims.nbf - 31 }))).reason).toBe('TOKEN_NOT_YET_VALID');
  });

  it('INTENT_MISMATCH: action, resource or args changed', async () => {
    expect((await verifyArtifact(artifact, { ...intent, action: 'shell.exec2' }, options())).reason).toBe('INTENT_MISMATCH');
    expect((await verifyArtifact(artifact, { ...intent, resource: 'rm' }, options())).reason).toBe('INTENT_MISMATCH');
    expect((await verifyArtifact(artifact, { ...intent, args: { argv: ['ls', '-la', '/'] } }, options())).reason).toBe('INTENT_MISMATCH');
    expect((await verifyArtifact(artifact, { action: intent.action, resource: intent.resource }, options())).reason).toBe('INTENT_MISMATCH');
  });

  it('JTI_REPLAYED: single use, also after a restart (file-backed store)', async () => {
    const dir = join(tempDir(), 'replay');
    expect((await verifyArtifact(artifact, intent, options({ replay: new FileReplayStore(dir) }))).ok).toBe(true);
    expect((await verifyArtifact(artifact, intent, options({ replay: new FileReplayStore(dir) }))).reason).toBe('JTI_REPLAYED');
  });

  it('a rejected artifact is not burnt: it stays usable for the right intent', async () => {
    const replay = new MemoryReplayStore();
    expect((await verifyArtifact(artifact, { ...intent, resource: 'rm' }, options({ replay }))).reason).toBe('INTENT_MISMATCH');
    expect((await verifyArtifact(artifact, intent, options({ replay }))).ok).toBe(true);
  });

  it('JTI_REVOKED: a revoked jti is refused', async () => {
    const revocations = new FileRevocationList(join(tempDir(), 'revoked'));
    await revocations.revoke(claims.jti);
    expect((await verifyArtifact(artifact, intent, options({ revocations }))).reason).toBe('JTI_REVOKED');
  });

  it('ENVIRONMENT_MISMATCH: required environment differs', async () => {
    const env = governor.status().environment_sha256!;
    expect((await verifyArtifact(artifact, intent, options({ environment: env }))).ok).toBe(true);
    expect((await verifyArtifact(artifact, intent, options({ environment: digestJson({ other: true }) }))).reason).toBe('ENVIRONMENT_MISMATCH');
  });

  it('BUNDLE_UNPINNED: the policy bundle is not pinned where the executor runs', async () => {
    expect((await verifyArtifact(artifact, intent, options({ isBundlePinned: () => false }))).reason).toBe('BUNDLE_UNPINNED');
  });

  it('TYPE_INVALID and ARTIFACT_MALFORMED', async () => {
    expect((await verifyArtifact(sign(claims, keys.privateJwk, { typ: 'JWT' }), intent, options())).reason).toBe('TYPE_INVALID');
    expect((await verifyArtifact('not-a-token', intent, options())).reason).toBe('ARTIFACT_MALFORMED');
  });

  it('CLAIMS_INVALID: a signed payload missing required claims', async () => {
    const { intent: _dropped, ...rest } = claims;
    expect((await verifyArtifact(sign(rest), intent, options())).reason).toBe('CLAIMS_INVALID');
  });

  it('ES256 artifacts verify too', async () => {
    const es = await generateKeys('ES256');
    const token = sign(claims, es.privateJwk);
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).alg).toBe('ES256');
    expect((await verifyArtifact(token, intent, options({ jwks: es.publicJwks }))).ok).toBe(true);
  });
});

describe('interop', () => {
  it('plain jose verifies a govern artifact with the public JWKS', async () => {
    const { payload, protectedHeader } = await jwtVerify(artifact, createLocalJWKSet(keys.publicJwks), {
      algorithms: ['EdDSA'],
      typ: 'govern-authz+jwt',
      issuer: 'govern',
      audience: 'govern-executor',
      currentDate: new Date((NOW_S + 1) * 1000),
    });
    expect(protectedHeader.kid).toBe(keys.kid);
    expect(payload.sub).toBe('agent-7');
    expect(payload.jti).toBe(claims.jti);
    expect((payload.intent as { action: string }).action).toBe('shell.exec');
  });

  it('artifacts of concurrent decisions (signed on the thread pool, or inline when the pool is busy) all verify, each with its own jti', async () => {
    const decisions = await Promise.all(Array.from({ length: 12 }, () => governor.authorize(SAMPLE_REQUEST)));
    const jwks = createLocalJWKSet(keys.publicJwks);
    const jtis = new Set<string>();
    for (const d of decisions) {
      expect(d.allowed).toBe(true);
      const { payload } = await jwtVerify(d.artifact!, jwks, { algorithms: ['EdDSA'], currentDate: new Date((NOW_S + 1) * 1000) });
      expect(payload.decision_sha256).toBe(digestJson(d.record));
      jtis.add(payload.jti!);
    }
    expect(jtis.size).toBe(12);
  });
});
