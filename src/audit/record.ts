// One line of the audit log: a decision (or the outcome of an execution, or a revocation), its
// position, and the hash chain that ties it to every record before it.
import { canonicalJson, sha256Hex, type JsonValue } from './canonical.js';

/** What a caller hands to the store. */
export interface AuditEntry {
  /** 'decision' (allow or deny), 'outcome' (what an executed command did), 'revocation', … */
  kind: string;
  /** The authorization artifact the entry is about (its `jti`). */
  jti?: string;
  /** The artifact's parent, when it was issued under another artifact (lineage). */
  parent?: string;
  /** The decision record, the outcome, … as plain JSON. */
  body: JsonValue;
}

/** What the store writes: the entry plus its place in the chain. */
export interface AuditRecord extends AuditEntry {
  /** 1-based; record N is line N of a file log. */
  seq: number;
  /** When the record was appended (ISO 8601, UTC). */
  time: string;
  /** `hash` of the record before (64 zeros for the first). */
  prev: string;
  /** SHA-256 (hex) of this record's canonical JSON without the `hash` field. */
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

export function recordHash(record: Omit<AuditRecord, 'hash'> & { hash?: string }): string {
  const { hash: _ignored, ...rest } = record;
  return sha256Hex(canonicalJson(rest));
}

/** Seals an entry at position `seq` after the record whose hash is `prev`; returns the record and its line (no newline). */
export function sealRecord(entry: AuditEntry, seq: number, prev: string, time: string): { record: AuditRecord; line: string } {
  const unsealed: Omit<AuditRecord, 'hash'> = { seq, time, kind: entry.kind, body: entry.body, prev };
  if (entry.jti !== undefined) unsealed.jti = entry.jti;
  if (entry.parent !== undefined) unsealed.parent = entry.parent;
  const record: AuditRecord = { ...unsealed, hash: recordHash(unsealed) };
  return { record, line: canonicalJson(record) };
}

/** Checks the shape of a parsed line; returns what is wrong, or undefined. */
export function recordShapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'is not a JSON object';
  const r = value as Record<string, unknown>;
  if (!Number.isSafeInteger(r.seq) || (r.seq as number) < 1) return 'has no valid "seq"';
  if (typeof r.time !== 'string') return 'has no "time"';
  if (typeof r.kind !== 'string') return 'has no "kind"';
  if (!('body' in r)) return 'has no "body"';
  if (r.jti !== undefined && typeof r.jti !== 'string') return 'has a "jti" that is not a string';
  if (r.parent !== undefined && typeof r.parent !== 'string') return 'has a "parent" that is not a string';
  if (typeof r.prev !== 'string' || !/^[0-9a-f]{64}$/.test(r.prev)) return 'has no valid "prev" hash';
  if (typeof r.hash !== 'string' || !/^[0-9a-f]{64}$/.test(r.hash)) return 'has no valid "hash"';
  return undefined;
}
