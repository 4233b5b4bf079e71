// The decision record: what was decided, why, under which exact policy, for which exact input, at
// which time. It is plain JSON with a canonical (RFC 8785) encoding, and it contains nothing that
// varies between runs (no wall clock, no random ids, no paths), so the same bundle + request +
// clock gives byte-identical records in any process — a decision can be re-checked later.
import { canonicalize, sha256Hex, type JsonValue } from './canonical.js';
import type { ReasonCode } from './reasons.js';

export const RECORD_VERSION = 1;

export interface DecisionRecord {
  version: typeof RECORD_VERSION;
  decision: 'allow' | 'deny';
  allow: boolean;
  /** Why: `ALLOWED` on allow; one or more denial codes otherwise. */
  reasons: ReasonCode[];
  /** A human-readable explanation of a denial (deterministic text). */
  detail?: string;
  /** sha256 of the exact bundle bytes evaluated (null when no bundle was active). */
  bundle_sha256: string | null;
  bundle_revision?: string;
  entrypoint: string;
  /** sha256 of the canonical JSON of the policy input (null when the request was malformed). */
  input_sha256: string | null;
  subject?: string;
  action?: string;
  resource?: string;
  /** sha256 of the canonical JSON of the action's arguments. */
  args_sha256?: string;
  parent_jti?: string;
  /** The evaluation time (the policy's time.now_ns): RFC 3339 with nanoseconds, and as ns. */
  time: string;
  time_ns: string;
  /** The value the entrypoint produced, when it produced one. */
  result?: JsonValue;
}

/** The record's canonical bytes (what is hashed, signed over and appended to the audit log). */
export function recordJson(record: DecisionRecord): string {
  return canonicalize(record);
}

export function recordDigest(record: DecisionRecord): string {
  return sha256Hex(recordJson(record));
}

/** RFC 3339 UTC with nanoseconds: 2026-01-02T03:04:05.123456789Z. */
export function formatTimeNs(ns: bigint): string {
  const seconds = ns / 1_000_000_000n;
  const fraction = ns % 1_000_000_000n;
  // Decisions come many per second: the date part is formatted once per second.
  if (seconds !== lastSeconds) {
    lastBase = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
    lastSeconds = seconds;
  }
  return `${lastBase}.${fraction.toString().padStart(9, '0')}Z`;
}
let lastSeconds: bigint | undefined;
let lastBase = '';

/** Parses RFC 3339 (with up to 9 fractional digits) or an integer of ns. */
export function parseTimeNs(text: string): bigint | undefined {
  if (/^\d+$/.test(text)) return BigInt(text);
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}
