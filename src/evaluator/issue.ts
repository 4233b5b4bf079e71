// Authorization artifacts: on allow, a JWS (typ govern-authz+jwt) binding the exact intent, the
// exact policy, the input, the decision record and the environment to a short validity window.
// An executor verifies it (src/artifact/verify.ts) before it runs anything. The governor builds the
// claims (decision.ts) and an evaluation worker signs them.
import { randomFillSync } from 'node:crypto';

export const ARTIFACT_TYPE = 'govern-authz+jwt';
export const DEFAULT_TTL_SECONDS = 60;
export const DEFAULT_ISSUER = 'govern';
export const DEFAULT_AUDIENCE = 'govern-executor';

export interface ArtifactIntent {
  action: string;
  resource: string;
  /** sha256 (hex) of the canonical JSON of the arguments. */
  args_sha256: string;
}

export interface ArtifactClaims {
  iss: string;
  sub: string;
  aud: string;
  iat: number;
  nbf: number;
  exp: number;
  jti: string;
  intent: ArtifactIntent;
  policy: { bundle_sha256: string; entrypoint: string };
  input_sha256: string;
  decision_sha256: string;
  /** sha256 of the canonical environment attestation (see environment.ts). */
  env_sha256: string;
  parent_jti?: string;
  scope: string[];
}

/** 128 random bits, base64url; never starting with '-', which a command line would read as an option. */
// Random bytes drawn in blocks: one system call per 256 ids instead of one per id.
const JTI_BYTES = 16;
const pool = Buffer.alloc(JTI_BYTES * 256);
let poolOffset = pool.length;

export function newJti(): string {
  for (;;) {
    if (poolOffset === pool.length) {
      randomFillSync(pool);
      poolOffset = 0;
    }
    const id = pool.toString('base64url', poolOffset, poolOffset + JTI_BYTES);
    poolOffset += JTI_BYTES;
    if (id[0] !== '-') return id;
  }
}
