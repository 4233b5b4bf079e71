// `govern run -- COMMAND [ARGS…]`: the pre-execution gate. Builds the request from the command line,
// the working directory and a digest of the environment; authorizes it (the decision is in the
// audit log before anything runs); verifies its own artifact; only then executes, and appends the
// outcome (exit code, duration) linked to the artifact. A denial runs nothing and exits 126.
import { spawn } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { constants as osConstants, userInfo } from 'node:os';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import type { JWK } from 'jose';
import { fileStateStores } from '../../artifact/replay.js';
import { verifyArtifact } from '../../artifact/verify.js';
import { bundleEntrypoints, readBundle } from '../../bundle/bundle.js';
import { defaultPinsPath, isHashPinned, readPins } from '../../bundle/pins.js';
import { parseSigningKey } from '../../bundle/signatures.js';
import { createGovernor, digestJson, type AuthorizationRequest } from '../../evaluator/index.js';
import {
  FileAuditStore,
  createCheckpointSigner,
  loadPrivateKey,
  AUDIT_UNAVAILABLE,
  lineageRevocations,
  withAudit,
  type CheckpointSigner,
} from '../../audit/index.js';
import { CliError } from '../errors.js';
import { defaultAuditLog } from './audit.js';

/** Exit code of a denial (as a shell uses 126 for "found but cannot execute"). */
export const DENIED_EXIT_CODE = 126;

export interface RunOptions {
  bundle?: string;
  entrypoint?: string;
  subject?: string;
  action: string;
  key?: string;
  pins?: string;
  allowUnpinned?: boolean;
  parent?: string;
  log?: string;
  checkpointEvery?: number;
  auditKey?: string;
  ttl?: number;
  stateDir: string;
}

/** A digest of the environment variables (names and values), so the artifact binds the environment without revealing it. */
export function environmentVariablesDigest(env: NodeJS.ProcessEnv = process.env): string {
  const entries = Object.keys(env)
    .sort()
    .map((k) => [k, env[k] ?? '']);
  return digestJson(entries);
}

/** The request `govern run` sends for `argv`. */
export function runRequest(argv: string[], options: { subject: string; action: string; cwd?: string; env?: NodeJS.ProcessEnv; parent?: string }): AuthorizationRequest {
  const request: AuthorizationRequest = {
    subject: { id: options.subject },
    action: options.action,
    resource: argv[0]!,
    args: { argv, cwd: options.cwd ?? process.cwd() },
    context: { env_sha256: environmentVariablesDigest(options.env) },
  };
  if (options.parent !== undefined) request.parent = options.parent;
  return request;
}

function readKeyText(file: string, what: string): string {
  if (!existsSync(file)) throw new CliError(`${what} not found: ${file}`);
  return readFileSync(file, 'utf8');
}

/** The public JWKS for a private signing key (what an executor would be configured with). */
function publicJwksOf(privateKeyText: string): { keys: JWK[] } {
  const signing = parseSigningKey(privateKeyText);
  const jwk = createPublicKey(signing.key).export({ format: 'jwk' }) as JWK;
  return { keys: [{ ...jwk, alg: signing.alg, ...(signing.kid !== undefined ? { kid: signing.kid } : {}) }] };
}

function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (osConstants.signals[signal] ?? 0);
}

function executeCommand(argv: string[]): Promise<{ exitCode: number; signal?: string; error?: string; durationMs: number }> {
  const started = performance.now();
  return new Promise((resolvePromise) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit' });
    // Signals meant for the command go to it; govern stays to record the outcome.
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    for (const s of signals) process.on(s, forward);
    const done = (result: { exitCode: number; signal?: string; error?: string }) => {
      for (const s of signals) process.off(s, forward);
      resolvePromise({ ...result, durationMs: Math.round((performance.now() - started) * 1000) / 1000 });
    };
    child.on('error', (err: NodeJS.ErrnoException) => done({ exitCode: err.code === 'ENOENT' ? 127 : 126, error: err.message }));
    child.on('exit', (code, signal) => done(signal ? { exitCode: signalExitCode(signal), signal } : { exitCode: code ?? 1 }));
  });
}

export async function governedRun(argv: string[], opts: RunOptions): Promise<number> {
  const bundle = opts.bundle ?? process.env.GOVERN_BUNDLE;
  if (!bundle) throw new CliError('no bundle: pass --bundle FILE (or set GOVERN_BUNDLE)');
  if (!existsSync(bundle)) throw new CliError(`bundle not found: ${bundle}`);
  const keyFile = opts.key ?? process.env.GOVERN_KEY;
  if (!keyFile) throw new CliError('no signing key: pass --key FILE (a private JWK from `govern keygen`, or set GOVERN_KEY)');
  const keyText = readKeyText(keyFile, 'signing key');
  let entrypoint = opts.entrypoint;
  if (entrypoint === undefined) {
    try {
      entrypoint = bundleEntrypoints(readBundle(new Uint8Array(readFileSync(bundle))))[0];
    } catch (err) {
      throw new CliError(`${bundle}: ${(err as Error).message}`);
    }
    if (entrypoint === undefined) throw new CliError(`${bundle} declares no entrypoint; pass --entrypoint`);
  }
  const parent = opts.parent === undefined ? undefined : existsSync(opts.parent) ? readFileSync(opts.parent, 'utf8').trim() : opts.parent.trim();
  const subject = opts.subject ?? process.env.GOVERN_SUBJECT ?? `user:${userInfo().username}`;

  let signer: CheckpointSigner | undefined;
  if (opts.auditKey) {
    const { key, kid } = await loadPrivateKey(opts.auditKey);
    signer = await createCheckpointSigner(key, kid);
  }
  let store: FileAuditStore;
  try {
    store = await FileAuditStore.open(opts.log ?? defaultAuditLog(), { signer, checkpointEvery: signer ? opts.checkpointEvery : undefined });
  } catch (err) {
    // No audit log, no decision: nothing runs.
    process.stderr.write(`govern: denied: ${AUDIT_UNAVAILABLE}: the audit log cannot be opened: ${(err as Error).message}\n`);
    return DENIED_EXIT_CODE;
  }
  const pinsPath = resolve(opts.pins ?? defaultPinsPath(resolve(bundle)));
  const inner = await createGovernor({
    bundle,
    entrypoint,
    pins: pinsPath,
    allowUnpinned: opts.allowUnpinned === true,
    signingKey: keyText,
    ttlSeconds: opts.ttl,
  });
  // Revocations (`govern revoke`) count for the whole line: a revoked ancestor revokes this run.
  const { revocations, replay } = fileStateStores(opts.stateDir);
  const governor = withAudit(inner, store, { revocations, source: { bundle: resolve(bundle), entrypoint } });
  try {
    const request = runRequest(argv, { subject, action: opts.action, parent });
    const decision = await governor.authorize(request);
    if (!decision.allowed || !decision.artifact || !decision.claims) {
      process.stderr.write(`govern: denied: ${decision.record.reasons.join(', ')}${decision.record.detail ? `: ${decision.record.detail}` : ''}\n`);
      // The policy's own explanations, when its decision carries them ({"allow": false, "reasons": [...]}).
      const result = decision.record.result as { reasons?: unknown } | undefined;
      if (result && Array.isArray(result.reasons)) for (const r of result.reasons) process.stderr.write(`  ${typeof r === 'string' ? r : JSON.stringify(r)}\n`);
      return DENIED_EXIT_CODE;
    }
    // Verify our own artifact exactly as an executor would, before running anything.
    const check = await verifyArtifact(decision.artifact, { action: request.action, resource: request.resource, args: request.args }, {
      jwks: publicJwksOf(keyText),
      isBundlePinned: (sha) => (existsSync(pinsPath) && isHashPinned(readPins(pinsPath), sha)) || (opts.allowUnpinned === true && sha === decision.record.bundle_sha256),
      environment: inner.status().environment_sha256,
      revocations: lineageRevocations(revocations, store),
      replay,
    });
    if (!check.ok) {
      await store
        .append({ kind: 'outcome', jti: decision.claims.jti, parent: decision.claims.parent_jti, body: { executed: false, reason: check.reason, detail: check.detail } })
        .catch(() => undefined);
      process.stderr.write(`govern: denied: the artifact does not verify: ${check.reason}: ${check.detail}\n`);
      return DENIED_EXIT_CODE;
    }
    const outcome = await executeCommand(argv);
    const body: Record<string, string | number | boolean | string[]> = { executed: outcome.error === undefined, exitCode: outcome.exitCode, durationMs: outcome.durationMs, argv };
    if (outcome.signal) body.signal = outcome.signal;
    if (outcome.error) {
      body.error = outcome.error;
      process.stderr.write(`govern: cannot execute ${argv[0]}: ${outcome.error}\n`);
    }
    try {
      await store.append({ kind: 'outcome', jti: decision.claims.jti, parent: decision.claims.parent_jti, body });
    } catch (err) {
      process.stderr.write(`govern: warning: the outcome could not be written to the audit log: ${(err as Error).message}\n`);
    }
    return outcome.exitCode;
  } finally {
    await governor.close();
    await store.close();
  }
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .argument('<command...>', 'the command to run and its arguments (after --)')
    .description('Authorize a command with the policy, verify the artifact, then run it; the decision and the outcome go to the audit log.\nExits with the command\'s own exit code, or 126 (nothing run) on a denial.')
    .option('-b, --bundle <file>', 'the policy bundle (default: $GOVERN_BUNDLE)')
    .option('-e, --entrypoint <path>', "the decision entrypoint (default: the bundle's first)")
    .option('--subject <id>', 'who is acting (default: $GOVERN_SUBJECT or user:<login name>)')
    .option('--action <name>', 'the action name the policy sees', 'shell.exec')
    .option('--key <file>', 'private key that signs the artifact (default: $GOVERN_KEY)')
    .option('--pins <file>', 'lock file with the bundle pin (default: govern.lock beside the bundle)')
    .option('--allow-unpinned', 'accept a bundle that has no pin (a pin that differs is still refused)')
    .option('--parent <jws-or-file>', 'the parent artifact this run is delegated under (lineage)')
    .option('--ttl <seconds>', 'validity of the artifact', (v) => {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n <= 0) throw new CliError(`--ttl: "${v}" is not a positive number of seconds`);
      return n;
    })
    .option('--log <file>', 'the audit log (default: $GOVERN_AUDIT_LOG or .govern/audit.log)')
    .option('--state-dir <dir>', 'folder with the revocation list and the single-use store (as for govern revoke)', '.govern')
    .option('--audit-key <file>', 'Ed25519 key that signs audit checkpoints')
    .option('--checkpoint-every <n>', 'sign a checkpoint every N records (with --audit-key)', (v) => {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n <= 0) throw new CliError(`--checkpoint-every: "${v}" is not a positive number`);
      return n;
    })
    .addHelpText('after', '\nExamples:\n  govern run --bundle policy.tar.gz --key govern-key.jwk -- echo hello\n  GOVERN_BUNDLE=policy.tar.gz GOVERN_KEY=govern-key.jwk govern run -- terraform apply')
    .action(async (argv: string[], opts: RunOptions) => {
      process.exitCode = await governedRun(argv, opts);
    });
}

