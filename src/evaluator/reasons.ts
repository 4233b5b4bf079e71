// Reason codes: every denial carries at least one, so a caller (or an auditor) can branch on why.
export const REASONS = {
  // The policy's own answer.
  ALLOWED: 'ALLOWED',
  POLICY_DENIED: 'POLICY_DENIED',
  DECISION_UNDEFINED: 'DECISION_UNDEFINED',
  DECISION_INVALID: 'DECISION_INVALID',
  // Evaluation failures.
  EVAL_TIMEOUT: 'EVAL_TIMEOUT',
  EVAL_MEMORY: 'EVAL_MEMORY',
  EVAL_TRAP: 'EVAL_TRAP',
  EVAL_ERROR: 'EVAL_ERROR',
  // The request.
  INPUT_INVALID: 'INPUT_INVALID',
  PARENT_INVALID: 'PARENT_INVALID',
  // The bundle.
  BUNDLE_MISSING: 'BUNDLE_MISSING',
  BUNDLE_INVALID: 'BUNDLE_INVALID',
  BUNDLE_HASH_MISMATCH: 'BUNDLE_HASH_MISMATCH',
  BUNDLE_UNPINNED: 'BUNDLE_UNPINNED',
  BUNDLE_SIGNATURE_INVALID: 'BUNDLE_SIGNATURE_INVALID',
  ENTRYPOINT_UNKNOWN: 'ENTRYPOINT_UNKNOWN',
  NO_ACTIVE_BUNDLE: 'NO_ACTIVE_BUNDLE',
  // Issuing the artifact.
  SIGNING_KEY_MISSING: 'SIGNING_KEY_MISSING',
  SIGNING_FAILED: 'SIGNING_FAILED',
  GOVERNOR_CLOSED: 'GOVERNOR_CLOSED',
  // Recording and lineage (src/audit).
  /** The decision could not be appended to the audit log: no record, no allow. */
  AUDIT_UNAVAILABLE: 'AUDIT_UNAVAILABLE',
  /** A child artifact is not an attenuation of its parent (wider scope, longer validity). */
  LINEAGE_VIOLATION: 'LINEAGE_VIOLATION',
} as const;

/** Every reason code, for checking a code read back from a record. */
export const REASON_CODES: ReadonlySet<string> = new Set(Object.values(REASONS));

export type ReasonCode = (typeof REASONS)[keyof typeof REASONS];
