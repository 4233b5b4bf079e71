// Authorization artifacts: keys, verification, single use and revocation.
export { generateKeys, writeKeyFiles, ARTIFACT_ALGORITHMS, type ArtifactAlgorithm, type GeneratedKeys } from './keys.js';
export { verifyArtifact, VERIFY_REASONS, type VerifyReason, type VerifyOptions, type VerifyResult, type ExpectedIntent } from './verify.js';
export {
  FileReplayStore,
  FileRevocationList,
  MemoryReplayStore,
  MemoryRevocationList,
  fileStateStores,
  type ReplayStore,
  type RevocationList,
} from './replay.js';
export { ARTIFACT_TYPE, type ArtifactClaims } from '../evaluator/issue.js';
