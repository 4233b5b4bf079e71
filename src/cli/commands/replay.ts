// `govern replay RECORD|JTI`: re-evaluates a logged decision with the recorded request and clock
// against the bundle it was made with, and shows that the decision bytes are the same, or exactly
// which fields differ (another bundle, another result, another reason).
import { existsSync, readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { generateKeys } from '../../artifact/keys.js';
import { createGovernor, canonicalize, parseTimeNs, sha256Hex, type DecisionRecord } from '../../evaluator/index.js';
import { MemoryAuditStore, readLogLines, withAudit, type AuditRecord, type DecisionAuditBody } from '../../audit/index.js';
import { CliError } from '../errors.js';
import { defaultAuditLog } from './audit.js';

export interface ReplayDifference {
  field: string;
  recorded: unknown;
  replayed: unknown;
}

export interface ReplayReport {
  seq: number;
  jti?: string;
  same: boolean;
  recordedSha256: string;
  replayedSha256: string;
  differences: ReplayDifference[];
  replayed: DecisionRecord;
}

/** Field-by-field differences between two decision records (nested values compared canonically). */
export function diffRecords(recorded: Record<string, unknown>, replayed: Record<string, unknown>): ReplayDifference[] {
  const fields = [...new Set([...Object.keys(recorded), ...Object.keys(replayed)])].sort();
  return fields
    .filter((f) => canonicalize(recorded[f] ?? null) !== canonicalize(replayed[f] ?? null) || (f in recorded) !== (f in replayed))
    .map((f) => ({ field: f, recorded: recorded[f], replayed: replayed[f] }));
}

function findRecord(records: AuditRecord[], ref: string): AuditRecord {
  const seq = /^#?(\d+)$/.exec(ref);
  const found = seq ? records.find((r) => r.seq === Number(seq[1])) : records.find((r) => r.kind === 'decision' && r.jti === ref);
  if (!found) throw new CliError(seq ? `the log has no record ${seq[1]}` : `no decision in the log issued artifact ${ref}`);
  if (found.kind !== 'decision') throw new CliError(`record ${found.seq} is a ${found.kind}, not a decision${found.jti ? ` (its decision: govern replay ${found.jti})` : ''}`);
  return found;
}

export async function replayDecision(record: AuditRecord, options: { bundle?: string; jwks?: string; pins?: string }): Promise<ReplayReport> {
  const body = record.body as unknown as DecisionAuditBody;
  const recorded = body?.record;
  if (!recorded || typeof recorded !== 'object') throw new CliError(`record ${record.seq} holds no decision record`);
  if (body.request === undefined) throw new CliError(`record ${record.seq} was logged without its request; it cannot be replayed`);
  const bundle = options.bundle ?? body.source?.bundle;
  if (!bundle) throw new CliError(`record ${record.seq} does not say which bundle decided it: pass --bundle FILE`);
  if (!existsSync(bundle)) throw new CliError(`bundle not found: ${bundle}`);
  const timeNs = parseTimeNs(recorded.time_ns ?? '');
  if (timeNs === undefined) throw new CliError(`record ${record.seq} has no evaluation time`);
  // The signing key does not enter the decision record; a throwaway key lets an allow be reproduced.
  const keys = await generateKeys();
  const parentKeys = options.jwks !== undefined ? readFileSync(options.jwks, 'utf8') : undefined;
  const inner = await createGovernor({
    bundle,
    entrypoint: recorded.entrypoint ?? body.source?.entrypoint ?? '',
    now: () => timeNs,
    allowUnpinned: options.pins === undefined,
    pins: options.pins,
    signingKey: JSON.stringify(keys.privateJwk),
    ...(parentKeys !== undefined ? { parentKeys } : {}),
  });
  // The same wrapper as when it was decided (lineage rules included), over a log that is thrown away.
  const governor = withAudit(inner, new MemoryAuditStore());
  try {
    const decision = await governor.authorize(body.request);
    const recordedJson = canonicalize(recorded);
    const differences = diffRecords(recorded as unknown as Record<string, unknown>, decision.record as unknown as Record<string, unknown>);
    return {
      seq: record.seq,
      jti: record.jti,
      same: recordedJson === decision.recordJson,
      recordedSha256: sha256Hex(recordedJson),
      replayedSha256: sha256Hex(decision.recordJson),
      differences,
      replayed: decision.record,
    };
  } finally {
    await governor.close();
  }
}

function explain(d: ReplayDifference): string {
  const show = (v: unknown) => (v === undefined ? '(absent)' : JSON.stringify(v));
  const why: Record<string, string> = {
    bundle_sha256: ' (a different bundle)',
    result: ' (the policy produced a different result)',
    reasons: ' (a different reason)',
    decision: ' (the decision changed)',
    input_sha256: ' (a different input)',
  };
  return `  ${d.field}${why[d.field] ?? ''}:\n    recorded: ${show(d.recorded)}\n    replayed: ${show(d.replayed)}`;
}

export function registerReplay(program: Command): void {
  program
    .command('replay <record>')
    .description('Re-evaluate a logged decision (record number or artifact jti) with its recorded request and clock; exit 0 if the decision bytes are the same, 1 with the differences if not.')
    .option('--log <file>', 'the audit log (default: $GOVERN_AUDIT_LOG or .govern/audit.log)')
    .option('-b, --bundle <file>', 'the bundle to replay against (default: the one the record names)')
    .option('--jwks <file>', 'public keys that signed parent artifacts (needed to replay a delegated decision)')
    .option('--pins <file>', 'require the bundle to be pinned in this lock file (default: any bundle; its hash is compared)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', '\nExamples:\n  govern replay 42\n  govern replay --bundle old-policy.tar.gz -- 3q2-7wEb0rR4XCuQmD0kgA')
    .action(async (ref: string, opts: { log?: string; bundle?: string; jwks?: string; pins?: string; format: string }) => {
      const path = opts.log ?? defaultAuditLog();
      if (!existsSync(path)) throw new CliError(`no audit log at ${path}`);
      if (opts.jwks !== undefined && !existsSync(opts.jwks)) throw new CliError(`key file not found: ${opts.jwks}`);
      const records = (await readLogLines(path)).map((l, i) => {
        try {
          return JSON.parse(l) as AuditRecord;
        } catch {
          throw new CliError(`${path}:${i + 1}: not a JSON record (run \`govern audit verify\`)`);
        }
      });
      const report = await replayDecision(findRecord(records, ref), opts);
      if (opts.format === 'json') {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else if (report.same) {
        process.stdout.write(`SAME record ${report.seq}: the replayed decision is byte-identical (${report.replayed.decision}, sha256 ${report.replayedSha256})\n`);
      } else {
        process.stdout.write(`DIFFERENT record ${report.seq}: recorded sha256 ${report.recordedSha256}, replayed ${report.replayedSha256}\n`);
        for (const d of report.differences) process.stdout.write(`${explain(d)}\n`);
      }
      process.exitCode = report.same ? 0 : 1;
    });
}
