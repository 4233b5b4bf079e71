// `govern authorize -b BUNDLE -e ENTRYPOINT --request REQUEST.json --key PRIVATE.jwk`: asks the
// fail-closed governor, prints the decision record and (on allow) the signed artifact as JSON.
// Exit 0 = allowed, 3 = denied (with reason codes in the record), 2 = usage error.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { fileStateStores } from '../../artifact/replay.js';
import { SignatureError } from '../../bundle/signatures.js';
import { createGovernor, parseTimeNs, type Governor } from '../../evaluator/index.js';
import { CliError } from '../errors.js';

export const EXIT_DENIED = 3;

interface AuthorizeOptions {
  bundle: string;
  entrypoint: string;
  request: string;
  key?: string;
  pins?: string;
  allowUnpinned?: boolean;
  verificationKey?: string;
  signatureScope?: string;
  now?: string;
  timeout: string;
  stepLimit?: string;
  memoryLimit: string;
  ttl: string;
  issuer?: string;
  audience?: string;
  auditLog?: string;
  stateDir: string;
}

function readFileOrStdin(path: string, what: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new CliError(`${flag} must be a positive integer, got "${text}"`);
  return n;
}

export function registerAuthorize(program: Command): void {
  program
    .command('authorize')
    .description(
      'Decide a request with a pinned bundle, fail-closed. Prints {"decision": record, "artifact": JWS}\n' +
        'as JSON; the artifact (on allow only) is what an executor verifies with `govern verify`.\n' +
        'Exit codes: 0 allowed, 3 denied (reason codes in decision.reasons), 2 usage error.\n' +
        'Example: govern authorize -b bundles/agent.tar.gz -e agent/decision --request request.json --key keys/govern.private.jwk',
    )
    .requiredOption('-b, --bundle <file>', 'the bundle (.tar.gz) to decide with; it must be pinned')
    .requiredOption('-e, --entrypoint <path>', 'the decision rule, e.g. agent/decision or data.agent.decision')
    .requiredOption('--request <file>', 'the request envelope as JSON ({subject, action, resource, args, context, parent?}); - for stdin')
    .option('--key <file>', 'private JWK (or PEM) that signs the artifact; without it an allow becomes SIGNING_KEY_MISSING')
    .option('--pins <file>', 'lock file with the bundle\'s pin (default: govern.lock beside the bundle)')
    .option('--allow-unpinned', 'accept a bundle that has no pin (a bundle whose pin differs is still refused)')
    .option('--verification-key <file>', 'require a bundle signature that verifies with this public key (JWKS, JWK or PEM)')
    .option('--signature-scope <scope>', 'the scope the bundle signature must carry')
    .option('--now <time>', 'evaluation time (RFC 3339 or ns since the epoch) to re-evaluate a past decision; default: now')
    .option(
      '--timeout <ms>',
      'evaluation time limit in milliseconds: the wall clock for a policy evaluated in a worker, and the default\n' +
        'step budget (× 10,000 loop iterations) for one evaluated inline (a bundle built by govern)',
      '250',
    )
    .option('--step-limit <n>', 'loop iterations one evaluation may run before it is stopped (EVAL_TIMEOUT); default: --timeout × 10,000')
    .option('--memory-limit <bytes>', 'cap on the policy\'s Wasm memory in bytes', String(64 * 1024 * 1024))
    .option('--ttl <seconds>', 'artifact lifetime in seconds', '60')
    .option('--issuer <iss>', 'artifact issuer (iss)', 'govern')
    .option('--audience <aud>', 'artifact audience (aud)', 'govern-executor')
    .option(
      '--audit-log <file>',
      'append the decision (allow or deny) to this audit log before printing it, and check a parent\'s lineage\n' +
        '(attenuation, revoked ancestors); if the append fails the decision is a denial AUDIT_UNAVAILABLE.\n' +
        'Default: $GOVERN_AUDIT_LOG when set; otherwise the decision is not recorded.',
    )
    .option('--state-dir <dir>', 'folder holding the revocation list (as for govern revoke); used with an audit log', '.govern')
    .action(async (opts: AuthorizeOptions) => {
      const requestText = readFileOrStdin(opts.request, 'request');
      let request: unknown;
      try {
        request = JSON.parse(requestText);
      } catch {
        // Not JSON: still a decision (a denial INPUT_INVALID), so the caller gets a record.
        request = { invalid_json: requestText.slice(0, 64) };
      }
      let nowNs: bigint | undefined;
      if (opts.now !== undefined) {
        nowNs = parseTimeNs(opts.now);
        if (nowNs === undefined) throw new CliError(`--now must be RFC 3339 (2026-01-31T12:00:00Z) or ns since the epoch, got "${opts.now}"`);
      }
      // A missing key file is the denial SIGNING_KEY_MISSING, not a crash: fail closed, visibly.
      const signingKey = opts.key !== undefined && existsSync(opts.key) ? readFileOrStdin(opts.key, 'key') : undefined;
      const verificationKey = opts.verificationKey !== undefined ? readFileOrStdin(opts.verificationKey, 'verification key') : undefined;
      let governor: Governor;
      try {
        governor = await createGovernor({
          bundle: opts.bundle,
          entrypoint: opts.entrypoint,
          pins: opts.pins,
          allowUnpinned: opts.allowUnpinned === true,
          verificationKey,
          signatureScope: opts.signatureScope,
          signingKey,
          now: nowNs === undefined ? undefined : () => nowNs!,
          timeoutMs: positiveInt(opts.timeout, '--timeout'),
          stepLimit: opts.stepLimit === undefined ? undefined : positiveInt(opts.stepLimit, '--step-limit'),
          memoryLimitBytes: positiveInt(opts.memoryLimit, '--memory-limit'),
          ttlSeconds: positiveInt(opts.ttl, '--ttl'),
          issuer: opts.issuer,
          audience: opts.audience,
          workers: 1, // one decision: one worker is enough, when the policy needs one
        });
      } catch (err) {
        if (err instanceof SignatureError) throw new CliError(`unusable key: ${err.message}`);
        throw err;
      }
      let audited: { governor: Governor; close(): Promise<void> } = { governor, close: () => governor.close() };
      const auditLog = opts.auditLog ?? (process.env.GOVERN_AUDIT_LOG || undefined);
      if (auditLog !== undefined) {
        const { FileAuditStore, withAudit } = await import('../../audit/index.js');
        const store = await FileAuditStore.open(auditLog);
        const { revocations } = fileStateStores(opts.stateDir);
        audited = {
          governor: withAudit(governor, store, { revocations, source: { bundle: resolve(opts.bundle), entrypoint: opts.entrypoint } }),
          close: async () => {
            await governor.close();
            await store.close();
          },
        };
      }
      try {
        const decision = await audited.governor.authorize(request);
        // Keys in canonical order, so the printed record reads the same as the bytes that were hashed.
        const output: Record<string, unknown> = { decision: JSON.parse(decision.recordJson) };
        if (decision.artifact !== undefined) output.artifact = decision.artifact;
        // What the artifact's env_sha256 attests, so an executor can pin it (`verify --environment`).
        const status = governor.status();
        if (status.environment) output.environment = { ...status.environment, sha256: status.environment_sha256 };
        process.stdout.write(JSON.stringify(output, null, 2) + '\n');
        process.exitCode = decision.allowed ? 0 : EXIT_DENIED;
      } finally {
        await audited.close();
      }
    });
}
