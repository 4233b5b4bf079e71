// Inclusion proofs: a record, its place in the Merkle tree, the sibling hashes up to the root, and
// a signed tree head. Anyone holding the checkpoint key can check it offline, without the log.
import { readFile } from 'node:fs/promises';
import type { JSONWebKeySet } from 'jose';
import { canonicalJson } from './canonical.js';
import { consistencyProof, inclusionPath, leafHash, verifyConsistency, verifyInclusion } from './merkle.js';
import { decodeCheckpoint, verifyCheckpoint, type TreeHead } from './checkpoint.js';
import type { AuditRecord } from './record.js';

export interface InclusionProof {
  type: 'govern.audit.inclusion';
  /** The record exactly as logged; its canonical JSON is the leaf. */
  record: AuditRecord;
  /** 0-based leaf index (record seq - 1). */
  index: number;
  /** Tree size the proof is for (the checkpoint's size). */
  size: number;
  /** Sibling hashes (hex), leaf side first. */
  path: string[];
  /** The signed tree head (compact JWS) whose root the path leads to. */
  checkpoint: string;
}

/** Complete lines of a log file (the bytes after the last newline never completed). */
export async function readLogLines(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8');
  const end = text.lastIndexOf('\n');
  return end < 0 ? [] : text.slice(0, end).split('\n');
}

/**
 * Builds the proof that the record for `jti` (its decision record; the first record naming it) is
 * in the tree signed by the newest checkpoint that covers it.
 */
export function buildInclusionProof(lines: readonly string[], checkpoints: readonly string[], match: { jti?: string; seq?: number }): InclusionProof {
  const index = lines.findIndex((line) => {
    const r = JSON.parse(line) as AuditRecord;
    return match.seq !== undefined ? r.seq === match.seq : r.jti === match.jti;
  });
  if (index < 0) throw new Error(match.seq !== undefined ? `the log has no record ${match.seq}` : `no record in the log names artifact ${match.jti}`);
  let best: { jws: string; head: TreeHead } | undefined;
  for (const jws of checkpoints) {
    const head = decodeCheckpoint(jws);
    if (head.size > index && head.size <= lines.length && (!best || head.size > best.head.size)) best = { jws, head };
  }
  if (!best) throw new Error(`no checkpoint covers record ${index + 1} yet; run \`govern audit checkpoint\` first`);
  const leaves = lines.slice(0, best.head.size).map((l) => leafHash(l));
  return {
    type: 'govern.audit.inclusion',
    record: JSON.parse(lines[index]!) as AuditRecord,
    index,
    size: best.head.size,
    path: inclusionPath(leaves, index).map((h) => h.toString('hex')),
    checkpoint: best.jws,
  };
}

export type ProofCheck = { ok: true; head: TreeHead } | { ok: false; reason: string };

/** Checks a proof offline: the checkpoint's signature against `keys`, then the path to its root. */
export async function verifyInclusionProof(proof: InclusionProof, keys: JSONWebKeySet): Promise<ProofCheck> {
  let head: TreeHead;
  try {
    head = await verifyCheckpoint(proof.checkpoint, keys);
  } catch (err) {
    return { ok: false, reason: `the checkpoint signature does not verify: ${(err as Error).message}` };
  }
  if (head.size !== proof.size) return { ok: false, reason: `the proof is for a tree of ${proof.size} records but the checkpoint signs ${head.size}` };
  if (!Array.isArray(proof.path) || !proof.path.every((h) => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h))) {
    return { ok: false, reason: 'the proof path is not a list of SHA-256 hashes' };
  }
  if (proof.record?.seq !== proof.index + 1) return { ok: false, reason: `record ${proof.record?.seq} cannot sit at leaf ${proof.index}` };
  const leaf = leafHash(canonicalJson(proof.record));
  const path = proof.path.map((h) => Buffer.from(h, 'hex'));
  if (!verifyInclusion(leaf, proof.index, proof.size, path, Buffer.from(head.root, 'hex'))) {
    return { ok: false, reason: `record ${proof.index + 1} is not in the tree signed at ${head.time}: the record or the path was altered` };
  }
  return { ok: true, head };
}

export interface ConsistencyProof {
  type: 'govern.audit.consistency';
  oldCheckpoint: string;
  newCheckpoint: string;
  path: string[];
}

/** Proves that an older checkpoint's tree is a prefix of a newer one's (nothing rewritten in between). */
export function buildConsistencyProof(lines: readonly string[], oldCheckpoint: string, newCheckpoint: string): ConsistencyProof {
  const oldHead = decodeCheckpoint(oldCheckpoint);
  const newHead = decodeCheckpoint(newCheckpoint);
  if (newHead.size > lines.length) throw new Error(`the log has ${lines.length} records, fewer than the checkpoint's ${newHead.size}`);
  const leaves = lines.slice(0, newHead.size).map((l) => leafHash(l));
  return {
    type: 'govern.audit.consistency',
    oldCheckpoint,
    newCheckpoint,
    path: consistencyProof(leaves, oldHead.size, newHead.size).map((h) => h.toString('hex')),
  };
}

export async function verifyConsistencyProof(proof: ConsistencyProof, keys: JSONWebKeySet): Promise<ProofCheck> {
  let oldHead: TreeHead;
  let newHead: TreeHead;
  try {
    oldHead = await verifyCheckpoint(proof.oldCheckpoint, keys);
    newHead = await verifyCheckpoint(proof.newCheckpoint, keys);
  } catch (err) {
    return { ok: false, reason: `a checkpoint signature does not verify: ${(err as Error).message}` };
  }
  const ok = verifyConsistency(
    oldHead.size,
    newHead.size,
    Buffer.from(oldHead.root, 'hex'),
    Buffer.from(newHead.root, 'hex'),
    proof.path.map((h) => Buffer.from(h, 'hex')),
  );
  return ok ? { ok: true, head: newHead } : { ok: false, reason: `the tree of ${newHead.size} records does not extend the tree of ${oldHead.size}: the log was rewritten between the checkpoints` };
}
