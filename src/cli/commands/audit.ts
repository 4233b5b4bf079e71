// `govern audit …`: check, inspect and prove the tamper-evident decision log.
import { existsSync, readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { CliError } from '../errors.js';
import {
  FileAuditStore,
  buildInclusionProof,
  checkpointsPath,
  createCheckpointSigner,
  decodeCheckpoint,
  formatVerifyReport,
  loadJwks,
  loadPrivateKey,
  readLogLines,
  verifyInclusionProof,
  verifyConsistencyProof,
  buildConsistencyProof,
  verifyLogFile,
  type AuditRecord,
  type InclusionProof,
  type ConsistencyProof,
  type ProofCheck,
} from '../../audit/index.js';

/** Where the audit log is when no --log is given: $GOVERN_AUDIT_LOG, else .govern/audit.log. */
export function defaultAuditLog(): string {
  return process.env.GOVERN_AUDIT_LOG || '.govern/audit.log';
}

const logOption = () =>
  new Option('--log <file>', 'the audit log (default: $GOVERN_AUDIT_LOG or .govern/audit.log)');

function requireLog(path: string): string {
  if (!existsSync(path)) throw new CliError(`no audit log at ${path}`);
  return path;
}

async function jwksFrom(file: string | undefined) {
  if (file === undefined) return undefined;
  if (!existsSync(file)) throw new CliError(`no key file at ${file}`);
  try {
    return await loadJwks(file);
  } catch (err) {
    throw new CliError(`cannot read keys from ${file}: ${(err as Error).message}`);
  }
}

/** Accepts an ISO 8601 time or a duration back from now: 30s, 15m, 2h, 7d. */
export function parseSince(text: string, now = Date.now()): number {
  const rel = /^(\d+)\s*(s|m|h|d)$/.exec(text.trim());
  if (rel) return now - Number(rel[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[rel[2] as 's' | 'm' | 'h' | 'd'];
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new CliError(`--since: "${text}" is neither a time (2026-01-31T12:00:00Z) nor a duration (15m, 2h, 7d)`);
  return t;
}

/** One line per record for `audit show --format text`. */
export function formatRecordLine(r: AuditRecord): string {
  // A governed decision keeps its decision record under body.record; other kinds are flat.
  const outer = (r.body ?? {}) as Record<string, unknown>;
  const body = (typeof outer.record === 'object' && outer.record !== null ? outer.record : outer) as Record<string, unknown>;
  const parts = [`#${r.seq}`, r.time, r.kind];
  const allow = typeof body.allow === 'boolean' ? body.allow : typeof body.allowed === 'boolean' ? body.allowed : undefined;
  if (allow !== undefined) parts.push(allow ? 'ALLOW' : 'DENY');
  if (Array.isArray(body.reasons) && body.reasons.length > 0) parts.push(`[${body.reasons.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(',')}]`);
  if (typeof body.action === 'string' && typeof body.resource === 'string') parts.push(`${body.action} ${body.resource}`);
  if (typeof body.exitCode === 'number') parts.push(`exit=${body.exitCode}`);
  if (typeof body.durationMs === 'number') parts.push(`${body.durationMs}ms`);
  if (r.jti) parts.push(`jti=${r.jti}`);
  if (r.parent) parts.push(`parent=${r.parent}`);
  return parts.join(' ');
}

export function registerAudit(program: Command): void {
  const audit = program
    .command('audit')
    .description('Check, inspect and prove the tamper-evident audit log of decisions.')
    .addHelpText('after', '\nExamples:\n  govern audit verify .govern/audit.log --jwks keys.json\n  govern audit show --jti 01J… --format json\n  govern audit prove 01J… > proof.json');

  audit
    .command('verify [log]')
    .description('Verify the hash chain and signed checkpoints; prints OK or the first broken record (exit 0/1).')
    .option('--jwks <file>', 'trusted public keys for checkpoint signatures (JWKS, JWK or SPKI PEM)')
    .option('--checkpoint <file...>', 'checkpoints kept elsewhere (one compact JWS per line) to check as well')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', '\nExample:\n  govern audit verify .govern/audit.log --jwks audit-keys.json')
    .action(async (log: string | undefined, opts: { jwks?: string; checkpoint?: string[]; format: string }) => {
      const path = requireLog(log ?? defaultAuditLog());
      const extra = (opts.checkpoint ?? []).flatMap((f) => {
        if (!existsSync(f)) throw new CliError(`no checkpoint file at ${f}`);
        return readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '');
      });
      const report = await verifyLogFile(path, { keys: await jwksFrom(opts.jwks), extraCheckpoints: extra });
      process.stdout.write(opts.format === 'json' ? `${JSON.stringify({ log: path, ...report }, null, 2)}\n` : `${formatVerifyReport(path, report)}\n`);
      process.exitCode = report.ok ? 0 : 1;
    });

  audit
    .command('show')
    .description('Print audit records, optionally only those about one artifact or since a time.')
    .addOption(logOption())
    .option('--jti <jti>', 'only records about this artifact (its decision, outcome, revocation)')
    .option('--since <time>', 'only records appended at or after this time (ISO 8601, or 30m / 2h / 7d ago)')
    .option('--kind <kind>', 'only records of this kind (decision, outcome, revocation)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', '\nExamples:\n  govern audit show --since 1h\n  govern audit show --jti 01J… --format json')
    .action(async (opts: { log?: string; jti?: string; since?: string; kind?: string; format: string }) => {
      const path = requireLog(opts.log ?? defaultAuditLog());
      const since = opts.since !== undefined ? parseSince(opts.since) : undefined;
      const records = (await readLogLines(path))
        .map((line, i) => {
          try {
            return JSON.parse(line) as AuditRecord;
          } catch {
            throw new CliError(`${path}:${i + 1}: not a JSON record (run \`govern audit verify\`)`);
          }
        })
        .filter((r) => opts.jti === undefined || r.jti === opts.jti || r.parent === opts.jti)
        .filter((r) => since === undefined || Date.parse(r.time) >= since)
        .filter((r) => opts.kind === undefined || r.kind === opts.kind);
      if (opts.format === 'json') process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
      else for (const r of records) process.stdout.write(`${formatRecordLine(r)}\n`);
    });

  audit
    .command('checkpoint')
    .description('Sign the current tree head (size, Merkle root, time) with an Ed25519 key and keep it in LOG.checkpoints.')
    .addOption(logOption())
    .requiredOption('--key <file>', 'Ed25519 private key (JWK with "d", or PKCS#8 PEM); or $GOVERN_AUDIT_KEY', process.env.GOVERN_AUDIT_KEY)
    .addHelpText('after', '\nExample:\n  govern audit checkpoint --log .govern/audit.log --key audit-key.jwk')
    .action(async (opts: { log?: string; key: string }) => {
      const path = requireLog(opts.log ?? defaultAuditLog());
      if (!existsSync(opts.key)) throw new CliError(`no key file at ${opts.key}`);
      let signer;
      try {
        const { key, kid } = await loadPrivateKey(opts.key);
        signer = await createCheckpointSigner(key, kid);
      } catch (err) {
        throw new CliError(`cannot use ${opts.key} as an Ed25519 signing key: ${(err as Error).message}`);
      }
      const store = await FileAuditStore.open(path, { signer });
      try {
        const jws = await store.checkpoint();
        const head = decodeCheckpoint(jws);
        process.stdout.write(`${JSON.stringify({ ...head, checkpoint: jws }, null, 2)}\n`);
      } finally {
        await store.close();
      }
    });

  audit
    .command('prove [jti]')
    .description('Print an inclusion proof (JSON) that the decision for an artifact is in the log, against the newest signed checkpoint covering it.')
    .addOption(logOption())
    .option('--seq <n>', 'prove the record with this sequence number instead of naming a jti', (v) => {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 1) throw new CliError(`--seq: "${v}" is not a record number`);
      return n;
    })
    .addHelpText('after', '\nA jti that starts with "-" goes after "--": govern audit prove -- -x3Fq…\nExamples:\n  govern audit prove 01J… > proof.json && govern audit verify-proof proof.json --jwks audit-keys.json\n  govern audit prove --seq 42')
    .action(async (jti: string | undefined, opts: { log?: string; seq?: number }) => {
      if (jti === undefined && opts.seq === undefined) throw new CliError('name the artifact (JTI) or the record (--seq N) to prove');
      const path = requireLog(opts.log ?? defaultAuditLog());
      const lines = await readLogLines(path);
      const cps = existsSync(checkpointsPath(path)) ? readFileSync(checkpointsPath(path), 'utf8').split('\n').filter((l) => l.trim() !== '') : [];
      let proof: InclusionProof;
      try {
        proof = buildInclusionProof(lines, cps, opts.seq !== undefined ? { seq: opts.seq } : { jti });
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      process.stdout.write(`${JSON.stringify(proof, null, 2)}\n`);
    });

  audit
    .command('consistency <old-checkpoint> [new-checkpoint]')
    .description('Print a consistency proof (JSON) that the log signed by an older checkpoint is a prefix of the log signed by a newer one (default: the newest).')
    .addOption(logOption())
    .addHelpText('after', '\nCheckpoints are compact JWS strings or files holding one (e.g. kept by a monitor).\nExample:\n  govern audit consistency monday.jws > consistency.json && govern audit verify-proof consistency.json --jwks audit-keys.json')
    .action(async (oldArg: string, newArg: string | undefined, opts: { log?: string }) => {
      const path = requireLog(opts.log ?? defaultAuditLog());
      const readJws = (arg: string) => (existsSync(arg) ? readFileSync(arg, 'utf8').trim().split('\n').filter((l) => l.trim() !== '').at(-1) ?? '' : arg.trim());
      const cps = existsSync(checkpointsPath(path)) ? readFileSync(checkpointsPath(path), 'utf8').split('\n').filter((l) => l.trim() !== '') : [];
      const newest = newArg !== undefined ? readJws(newArg) : cps.at(-1);
      if (!newest) throw new CliError(`${path} has no checkpoint yet; run \`govern audit checkpoint\` first`);
      let proof: ConsistencyProof;
      try {
        proof = buildConsistencyProof(await readLogLines(path), readJws(oldArg), newest);
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      process.stdout.write(`${JSON.stringify(proof, null, 2)}\n`);
    });

  audit
    .command('verify-proof <file>')
    .description('Check an inclusion or consistency proof offline against trusted checkpoint keys (exit 0 if it holds, 1 if not).')
    .requiredOption('--jwks <file>', 'trusted public keys for checkpoint signatures (JWKS, JWK or SPKI PEM)')
    .addHelpText('after', '\nExample:\n  govern audit verify-proof proof.json --jwks audit-keys.json')
    .action(async (file: string, opts: { jwks: string }) => {
      if (!existsSync(file)) throw new CliError(`no proof file at ${file}`);
      let proof: InclusionProof | ConsistencyProof;
      try {
        proof = JSON.parse(readFileSync(file, 'utf8')) as InclusionProof | ConsistencyProof;
      } catch (err) {
        throw new CliError(`${file}: not JSON: ${(err as Error).message}`);
      }
      const keys = (await jwksFrom(opts.jwks))!;
      let check: ProofCheck;
      let what: string;
      if (proof?.type === 'govern.audit.inclusion') {
        check = await verifyInclusionProof(proof, keys);
        what = `record ${proof.record.seq}${proof.record.jti ? ` (jti ${proof.record.jti})` : ''} is in the log`;
      } else if (proof?.type === 'govern.audit.consistency') {
        check = await verifyConsistencyProof(proof, keys);
        what = 'the older checkpoint\'s log is a prefix of the log';
      } else {
        throw new CliError(`${file}: not a proof (type govern.audit.inclusion or govern.audit.consistency)`);
      }
      if (check.ok) {
        process.stdout.write(`OK ${what} of ${check.head.size} records signed at ${check.head.time}\n`);
        process.exitCode = 0;
      } else {
        process.stdout.write(`FAILED ${check.reason}\n`);
        process.exitCode = 1;
      }
    });
}
