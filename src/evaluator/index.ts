// The fail-closed governor: public API for embedders and the CLI.
export { createGovernor, interpretResultSet, normalizeEntrypoint } from './governor.js';
export type { Governor, GovernorOptions, GovernedDecision, GovernorStatus } from './governor.js';
export type { DecisionRecord } from './record.js';
export { recordJson, recordDigest, formatTimeNs, parseTimeNs, RECORD_VERSION } from './record.js';
export { REASONS, REASON_CODES, type ReasonCode } from './reasons.js';
export { canonicalize, digestJson, sha256Hex, type JsonValue } from './canonical.js';
export { validateRequest, type AuthorizationRequest, type NormalizedRequest } from './request.js';
export { ARTIFACT_TYPE, DEFAULT_AUDIENCE, DEFAULT_ISSUER, DEFAULT_TTL_SECONDS, type ArtifactClaims, type ArtifactIntent } from './issue.js';
export { environmentAttestation, environmentDigest, governVersion, type EnvironmentAttestation } from './environment.js';
export { loadBundle, type BundleSource, type LoadedBundle } from './loader.js';
