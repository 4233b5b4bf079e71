// `govern audit verify`: walks the log and its checkpoints and names the first record that is not
// what was appended: edited, deleted, reordered, or cut off after a signed checkpoint.
import { readFile } from 'node:fs/promises';
import type { JSONWebKeySet } from 'jose';
import { canonicalJson } from './canonical.js';
import { leafHash, MerkleFrontier } from './merkle.js';
import { GENESIS_HASH, recordHash, recordShapeProblem, type AuditRecord } from './record.js';
import { decodeCheckpoint, verifyCheckpoint, type TreeHead } from './checkpoint.js';
import { checkpointsPath } from './store.js';

export type BreakKind = 'edited' | 'deleted' | 'reordered' | 'inserted' | 'truncated' | 'rewritten' | 'bad-checkpoint';

export interface AuditBreak {
  kind: BreakKind;
  /** The record (1-based sequence number) where the log stops being trustworthy. */
  record: number;
  /** The line of the file where it shows, when there is one. */
  line?: number;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  /** Complete records that verified (all of them when ok). */
  records: number;
  /** Checkpoints whose signature (when keys were given) and root matched. */
  checkpoints: number;
  /** Whether checkpoint signatures were checked against trusted keys. */
  signaturesChecked: boolean;
  /** Bytes after the last newline: an append that never completed (not tampering). */
  incompleteTailBytes: number;
  problem?: AuditBreak;
}

export interface VerifyOptions {
  /** Trusted keys for checkpoint signatures; without them the heads are read but not authenticated. */
  keys?: JSONWebKeySet;
  /** Extra checkpoints kept elsewhere (for example by a monitor): they make a rollback of the checkpoint file detectable too. */
  extraCheckpoints?: string[];
}

/** Verifies a log file and its `LOG.checkpoints`. */
export async function verifyLogFile(path: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const log = await readFile(path);
  const cps = await readFile(checkpointsPath(path), 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  const checkpoints = [...cps.split('\n').filter((l) => l.trim() !== ''), ...(options.extraCheckpoints ?? [])];
  return verifyLog(log, checkpoints, options);
}

/** Verifies raw log bytes (JSON lines) against checkpoints (compact JWS strings). */
export async function verifyLog(log: Uint8Array, checkpoints: readonly string[], options: VerifyOptions = {}): Promise<VerifyReport> {
  const bytes = Buffer.from(log);
  const lastNewline = bytes.lastIndexOf(0x0a);
  const complete = lastNewline < 0 ? Buffer.alloc(0) : bytes.subarray(0, lastNewline);
  const incompleteTailBytes = bytes.length - (lastNewline + 1);
  const lines = lastNewline < 0 ? [] : complete.toString('utf8').split('\n');
  const report: VerifyReport = { ok: false, records: 0, checkpoints: 0, signaturesChecked: options.keys !== undefined, incompleteTailBytes };

  // Checkpoints first: a bad signature or a head that is not a head is itself a finding.
  const heads: { head: TreeHead; index: number }[] = [];
  for (const [index, jws] of checkpoints.entries()) {
    try {
      const head = options.keys ? await verifyCheckpoint(jws, options.keys) : decodeCheckpoint(jws);
      heads.push({ head, index });
    } catch (err) {
      report.problem = { kind: 'bad-checkpoint', record: 0, message: `checkpoint ${index + 1} is not valid: ${(err as Error).message}` };
      return report;
    }
  }
  heads.sort((a, b) => a.head.size - b.head.size);

  // Where each sequence number sits, to tell a deletion from a move.
  const parsed: (AuditRecord | undefined)[] = lines.map((line) => {
    try {
      return JSON.parse(line) as AuditRecord;
    } catch {
      return undefined;
    }
  });
  const lineOfSeq = new Map<number, number>();
  parsed.forEach((r, i) => {
    if (r && Number.isSafeInteger(r.seq) && !lineOfSeq.has(r.seq)) lineOfSeq.set(r.seq, i + 1);
  });

  const frontier = new MerkleFrontier();
  let nextHead = 0;
  let prevHash = GENESIS_HASH;
  const fail = (problem: AuditBreak): VerifyReport => {
    report.problem = problem;
    return report;
  };
  const checkHeadsUpTo = (size: number): AuditBreak | undefined => {
    while (nextHead < heads.length && heads[nextHead]!.head.size <= size) {
      const { head, index } = heads[nextHead]!;
      if (head.size === frontier.size) {
        if (frontier.root().toString('hex') !== head.root) {
          return {
            kind: 'rewritten',
            record: head.size,
            message: `records 1..${head.size} no longer hash to the root signed by checkpoint ${index + 1} (${head.time}): the log was rewritten or rolled back`,
          };
        }
        report.checkpoints++;
        nextHead++;
      } else break;
    }
    return undefined;
  };
  const early = checkHeadsUpTo(0);
  if (early) return fail(early);

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const expected = report.records + 1;
    const line = lines[i]!;
    const record = parsed[i];
    if (record === undefined) {
      return fail({ kind: 'edited', record: expected, line: lineNo, message: `record ${expected} (line ${lineNo}) was edited: it is not valid JSON` });
    }
    const shape = recordShapeProblem(record);
    if (shape) return fail({ kind: 'edited', record: expected, line: lineNo, message: `record ${expected} (line ${lineNo}) was edited: it ${shape}` });
    if (canonicalJson(record) !== line) {
      return fail({ kind: 'edited', record: expected, line: lineNo, message: `record ${expected} (line ${lineNo}) was edited: it is not in the canonical form it was written in` });
    }
    if (recordHash(record) !== record.hash) {
      return fail({ kind: 'edited', record: expected, line: lineNo, message: `record ${expected} (line ${lineNo}) was edited: its content does not match its hash` });
    }
    if (record.seq !== expected) {
      const movedTo = lineOfSeq.get(expected);
      if (record.seq > expected && movedTo === undefined) {
        const missing = record.seq - 1 === expected ? `record ${expected} is` : `records ${expected}..${record.seq - 1} are`;
        return fail({ kind: 'deleted', record: expected, line: lineNo, message: `${missing} missing (deleted): line ${lineNo} holds record ${record.seq}` });
      }
      if (movedTo !== undefined) {
        return fail({ kind: 'reordered', record: expected, line: lineNo, message: `records are out of order: line ${lineNo} holds record ${record.seq}, record ${expected} is at line ${movedTo}` });
      }
      return fail({ kind: 'inserted', record: expected, line: lineNo, message: `line ${lineNo} holds record ${record.seq} again (a duplicate or inserted record) where record ${expected} belongs` });
    }
    if (record.prev !== prevHash) {
      return fail({
        kind: 'edited',
        record: expected > 1 ? expected - 1 : expected,
        line: lineNo,
        message:
          expected > 1
            ? `record ${expected - 1} (line ${lineNo - 1}) was changed: record ${expected} was chained to a different record ${expected - 1}`
            : `record 1 was edited: it does not start the chain`,
      });
    }
    prevHash = record.hash;
    frontier.add(leafHash(line));
    report.records++;
    const atHead = checkHeadsUpTo(report.records);
    if (atHead) return fail(atHead);
  }

  if (nextHead < heads.length) {
    const { head, index } = heads[heads.length - 1]!;
    return fail({
      kind: 'truncated',
      record: report.records + 1,
      message: `the log was truncated: checkpoint ${index + 1} (${head.time}) covers ${head.size} records but the log ends after record ${report.records}; records ${report.records + 1}..${head.size} are missing`,
    });
  }
  report.ok = true;
  return report;
}

/** The one-line summary `govern audit verify` prints. */
export function formatVerifyReport(path: string, report: VerifyReport): string {
  const tail = report.incompleteTailBytes > 0 ? `; ignored an incomplete last record (${report.incompleteTailBytes} bytes, never acknowledged)` : '';
  const sig = report.checkpoints > 0 && !report.signaturesChecked ? ' (signatures not checked: pass --jwks)' : '';
  if (report.ok) return `OK ${path}: ${report.records} record${report.records === 1 ? '' : 's'}, ${report.checkpoints} checkpoint${report.checkpoints === 1 ? '' : 's'}${sig}${tail}`;
  const p = report.problem!;
  return `BROKEN ${path}: record ${p.record}: ${p.kind}: ${p.message} (${report.records} records verified before it${tail})`;
}
