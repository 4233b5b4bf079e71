// The audit stage: tamper-evident decision log, signed checkpoints, proofs and lineage.
export { canonicalJson, sha256Hex, type JsonValue } from './canonical.js';
export { GENESIS_HASH, recordHash, sealRecord, type AuditEntry, type AuditRecord } from './record.js';
export { FileAuditStore, MemoryAuditStore, AuditUnavailableError, checkpointsPath, type AuditStore, type FileAuditStoreOptions } from './store.js';
export {
  createCheckpointSigner,
  decodeCheckpoint,
  verifyCheckpoint,
  loadPrivateKey,
  loadJwks,
  CHECKPOINT_TYP,
  type CheckpointSigner,
  type TreeHead,
} from './checkpoint.js';
export { verifyLog, verifyLogFile, formatVerifyReport, type VerifyReport, type AuditBreak, type BreakKind } from './verify.js';
export {
  buildInclusionProof,
  verifyInclusionProof,
  buildConsistencyProof,
  verifyConsistencyProof,
  readLogLines,
  type InclusionProof,
  type ConsistencyProof,
  type ProofCheck,
} from './proof.js';
export { leafHash, nodeHash, treeRoot, inclusionPath, verifyInclusion, consistencyProof, verifyConsistency, MerkleFrontier } from './merkle.js';
export {
  checkAttenuation,
  scopeWithin,
  revokedThroughLineage,
  LineageIndex,
  LINEAGE_VIOLATION,
  type LineageClaims,
  type AttenuationCheck,
} from './lineage.js';
export {
  withAudit,
  denyDecision,
  lineageRevocations,
  lineageIndexOf,
  AUDIT_UNAVAILABLE,
  type WithAuditOptions,
  type DecisionAuditBody,
  type RevocationSource,
} from './governed.js';
