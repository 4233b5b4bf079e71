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

/** What a record says about the request (absent when the request was malformed). */
export interface RecordAbout {
  subject: string;
  action: string;
  resource: string;
  args_sha256: string;
  /** Unset until the policy input is known (a parent artifact is part of it). */
  input_sha256?: string;
  parent_jti?: string;
}

/** A record's own fields; `about` brings the request's. */
export type RecordParts = Pick<DecisionRecord, 'allow' | 'reasons' | 'detail' | 'bundle_sha256' | 'bundle_revision' | 'entrypoint' | 'result' | 'time' | 'time_ns'> & {
  about?: RecordAbout;
};

/**
 * A decision record, its fields inserted in RFC 8785 order (action, allow, args_sha256, …,
 * version), so that recordJson writes it with JSON.stringify and no sorting.
 */
export function makeRecord(parts: RecordParts): DecisionRecord {
  const { about } = parts;
  const record = {} as DecisionRecord;
  if (about) record.action = about.action;
  record.allow = parts.allow;
  if (about) record.args_sha256 = about.args_sha256;
  if (parts.bundle_revision) record.bundle_revision = parts.bundle_revision;
  record.bundle_sha256 = parts.bundle_sha256;
  record.decision = parts.allow ? 'allow' : 'deny';
  if (parts.detail !== undefined) record.detail = parts.detail;
  record.entrypoint = parts.entrypoint;
  record.input_sha256 = about?.input_sha256 ?? null;
  if (about?.parent_jti !== undefined) record.parent_jti = about.parent_jti;
  record.reasons = parts.reasons;
  if (about) record.resource = about.resource;
  if (parts.result !== undefined) record.result = parts.result;
  if (about) record.subject = about.subject;
  record.time = parts.time;
  record.time_ns = parts.time_ns;
  record.version = RECORD_VERSION;
  return record;
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
