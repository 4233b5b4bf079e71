// createGovernor: the one fail-closed entry point, used by the CLI and by embedders.
//
//   const governor = await createGovernor({ bundle: 'bundles/agent.tar.gz', entrypoint: 'agent/decision', signingKey });
//   const { allowed, record, artifact } = await governor.authorize(request);
//
// authorize() never throws and never allows by default: only a pinned (and, if configured, signed)
// bundle whose entrypoint answers exactly `true` or `{"allow": true, …}` allows, and every allow
// comes with a signed artifact. Everything else is a denial carrying a reason code.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { unwatchFile, watchFile } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import {
  decodeCompact,
  parseSigningKey,
  parseVerificationKeys,
  verifyCompactSignature,
  type SigningKey,
  type VerificationKey,
  algorithmForKey,
} from '../bundle/signatures.js';
import { defaultPinsPath } from '../bundle/pins.js';
import { canonicalize, sha256Hex, type JsonValue } from './canonical.js';
import { artifactHeader, interpretResultSet } from './decision.js';
import { PolicyEngine, EngineLoadError } from './engine.js';
import { InlineEngine } from './inline.js';
import type { EvalOutcome } from './outcome.js';
import { signJws, signJwsNow } from './signer.js';
import { isGovernLinked, STEPS_PER_MS, Wasm, type WasmModule } from '../wasm/govern-abi.js';
import { environmentAttestation, environmentDigest, type EnvironmentAttestation } from './environment.js';
import {
  ARTIFACT_TYPE,
  DEFAULT_AUDIENCE,
  DEFAULT_ISSUER,
  DEFAULT_TTL_SECONDS,
  newJti,
  type ArtifactClaims,
} from './issue.js';
import { loadBundle, type LoadedBundle } from './loader.js';
import { formatTimeNs, makeRecord, recordJson, type DecisionRecord, type RecordAbout } from './record.js';
import { REASONS, type ReasonCode } from './reasons.js';

export { interpretResultSet } from './decision.js';
import { validateRequest, type NormalizedRequest } from './request.js';

export interface GovernorOptions {
  /** Path of the bundle (.tar.gz) to govern with. */
  bundle: string;
  /** The decision entrypoint, `agent/decision` (or `data.agent.decision`). */
  entrypoint: string;
  /** The lock file with the bundle's pin; default govern.lock beside the bundle. */
  pins?: string;
  /** Accept a bundle without a pin (a bundle whose pin differs is still refused). */
  allowUnpinned?: boolean;
  /** Require a bundle signature that verifies with this key (JWKS / JWK / PEM text, or parsed keys). */
  verificationKey?: string | VerificationKey[];
  signatureScope?: string;
  /** The private key (JWK / PEM text, or parsed) that signs authorization artifacts. */
  signingKey?: string | SigningKey;
  issuer?: string;
  audience?: string;
  ttlSeconds?: number;
  /** The pinned clock (ns since the epoch): the policy's time.now_ns and the artifact's iat. */
  now?: () => bigint;
  /**
   * Where the policy runs. `inline` (on the caller's thread, no hand-off: the fast path) needs a
   * module linked by govern, whose step budget stops any loop, and no builtin with unbounded run
   * time (regular expressions); `worker` runs it in worker threads that the wall-clock limit
   * terminates. `auto` (the default) picks inline whenever the module allows it.
   */
  isolation?: 'auto' | 'inline' | 'worker';
  /** Wall-clock limit per evaluation in a worker (default 250 ms); also sets the default step budget. */
  timeoutMs?: number;
  /**
   * Loop iterations one evaluation may run (govern-linked modules, inline or in a worker); past it
   * the decision is EVAL_TIMEOUT. Deterministic, unlike a clock. Default: timeoutMs × 10,000
   * (a loop iteration takes ~0.1 µs on our CI machines, so the budget ends near the time limit).
   */
  stepLimit?: number;
  /** Cap on the policy's Wasm memory (default 64 MiB). */
  memoryLimitBytes?: number;
  /** Cap on the JS heap of each evaluation worker, in MB (host builtins, result JSON); default 256. */
  heapLimitMb?: number;
  /** Worker threads that evaluate in parallel, when the policy runs in workers (default 2). */
  workers?: number;
  /** Largest accepted request, canonical JSON bytes (default 1 MiB). */
  maxInputBytes?: number;
  strictBuiltins?: boolean;
  /** Reload when the bundle or its lock file changes on disk (polling; default off). */
  watch?: boolean | { intervalMs?: number };
  /** Keys that may have signed a parent artifact; default: the public half of signingKey. */
  parentKeys?: string | VerificationKey[];
  /** Called with every decision before authorize() returns (e.g. the audit log). If it throws, the decision becomes a denial. */
  onDecision?: (decision: GovernedDecision) => void;
}

export interface GovernedDecision {
  allowed: boolean;
  record: DecisionRecord;
  /** The record's canonical JSON (the exact bytes to store or compare). */
  recordJson: string;
  /** The signed authorization artifact (compact JWS), on allow only. */
  artifact?: string;
  claims?: ArtifactClaims;
}

export interface GovernorStatus {
  active: boolean;
  bundle_sha256: string | null;
  /** Where the active policy is evaluated (see GovernorOptions.isolation). */
  evaluation?: 'inline' | 'worker';
  reason?: ReasonCode;
  detail?: string;
  environment?: EnvironmentAttestation;
  environment_sha256?: string;
}

export interface Governor {
  authorize(request: unknown): Promise<GovernedDecision>;
  /** Re-reads the bundle and its pin now; activates it only if it verifies. */
  reload(): Promise<GovernorStatus>;
  status(): GovernorStatus;
  close(): Promise<void>;
}

const CLOCK_SKEW_SECONDS = 30;
/**
 * Signatures on the thread pool at once: one core's worth fewer than the machine has, so the
 * evaluating thread keeps a core to itself; past that a decision signs on its own thread.
 */
const POOL_SIGNATURES = Math.max(1, availableParallelism() - 1);
const PAGE = 65536;
/** The SDK's default initial memory; runtime + policy static data fit in it. */
const INITIAL_PAGES = 5;

/** What evaluates the active policy: inline, or a worker pool. */
interface Engine {
  evaluate(input: string, nowNs: bigint): EvalOutcome | Promise<EvalOutcome>;
  close(drain?: boolean): Promise<void>;
}

type Active =
  | { ok: true; loaded: LoadedBundle; engine: Engine; evaluation: 'inline' | 'worker'; env: EnvironmentAttestation; envDigest: string }
  | { ok: false; reason: ReasonCode; detail: string; sha256: string | null };

function wallClockNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/** `data.agent.decision` → `agent/decision`; slash paths are kept. */
export function normalizeEntrypoint(entrypoint: string): string {
  const trimmed = entrypoint.trim();
  if (trimmed.startsWith('data.')) return trimmed.slice(5).split('.').join('/');
  return trimmed.replace(/^\/+/, '');
}

function outcomeDenial(outcome: Exclude<EvalOutcome, { kind: 'result' }>, timeoutMs: number, memoryLimit: number): { reason: ReasonCode; detail: string } {
  switch (outcome.kind) {
    case 'timeout':
      return { reason: REASONS.EVAL_TIMEOUT, detail: `the evaluation exceeded ${timeoutMs} ms and was stopped` };
    case 'steps':
      return { reason: REASONS.EVAL_TIMEOUT, detail: `the evaluation ran past its step budget (${outcome.budget} loop iteration${outcome.budget === 1 ? '' : 's'}) and was stopped` };
    case 'memory':
      return { reason: REASONS.EVAL_MEMORY, detail: `the evaluation ran out of memory (Wasm memory cap ${memoryLimit} bytes): ${outcome.message}` };
    case 'trap':
      return { reason: REASONS.EVAL_TRAP, detail: `the policy trapped: ${outcome.message}` };
    default:
      return { reason: REASONS.EVAL_ERROR, detail: `the evaluation failed: ${outcome.message}` };
  }
}

export async function createGovernor(options: GovernorOptions): Promise<Governor> {
  const entrypoint = normalizeEntrypoint(options.entrypoint);
  const bundlePath = resolve(options.bundle);
  const pinsPath = resolve(options.pins ?? defaultPinsPath(bundlePath));
  const timeoutMs = options.timeoutMs ?? 250;
  const stepLimit = options.stepLimit ?? timeoutMs * STEPS_PER_MS;
  if (!Number.isSafeInteger(stepLimit) || stepLimit <= 0) throw new RangeError(`stepLimit must be a positive integer, got ${stepLimit}`);
  const isolation = options.isolation ?? 'auto';
  const memoryLimitBytes = options.memoryLimitBytes ?? 64 * 1024 * 1024;
  const maxInputBytes = options.maxInputBytes ?? 1 << 20;
  const now = options.now ?? wallClockNs;
  const issuer = options.issuer ?? DEFAULT_ISSUER;
  const audience = options.audience ?? DEFAULT_AUDIENCE;
  const ttlSeconds = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  const verificationKeys =
    typeof options.verificationKey === 'string' ? parseVerificationKeys(options.verificationKey) : options.verificationKey;
  const signingKey = typeof options.signingKey === 'string' ? parseSigningKey(options.signingKey) : options.signingKey;
  const parentKeys: VerificationKey[] =
    typeof options.parentKeys === 'string'
      ? parseVerificationKeys(options.parentKeys)
      : options.parentKeys ?? (signingKey ? [publicHalf(signingKey)] : []);
  const artifactHeaderText = signingKey ? artifactHeader(signingKey.alg, signingKey.kid) : '';
  // What the environment attestation's config digest covers: everything that changes decisions.
  const config = {
    entrypoint,
    timeout_ms: timeoutMs,
    step_limit: stepLimit,
    isolation,
    memory_limit_bytes: memoryLimitBytes,
    heap_limit_mb: options.heapLimitMb ?? 256,
    max_input_bytes: maxInputBytes,
    allow_unpinned: options.allowUnpinned === true,
    signed_bundles: verificationKeys !== undefined,
    strict_builtins: options.strictBuiltins === true,
    issuer,
    audience,
    ttl_seconds: ttlSeconds,
  };

  let active: Active = { ok: false, reason: REASONS.NO_ACTIVE_BUNDLE, detail: 'no bundle is loaded yet', sha256: null };
  let closed = false;
  /** Decisions being made now (one alone signs on this thread: see signer.ts). */
  let inFlight = 0;
  let poolSignatures = 0;
  let reloading: Promise<GovernorStatus> = Promise.resolve(status());

  function status(): GovernorStatus {
    if (active.ok) {
      return { active: true, bundle_sha256: active.loaded.sha256, evaluation: active.evaluation, environment: active.env, environment_sha256: active.envDigest };
    }
    return { active: false, bundle_sha256: active.sha256, reason: active.reason, detail: active.detail };
  }

  async function activate(): Promise<GovernorStatus> {
    if (closed) return status();
    const load = loadBundle(
      { path: bundlePath, pinsPath, allowUnpinned: options.allowUnpinned, verificationKeys, signatureScope: options.signatureScope },
      entrypoint,
    );
    if (active.ok && load.ok && load.loaded.sha256 === active.loaded.sha256) return status(); // unchanged
    const previous = active;
    if (!load.ok) {
      // A bundle that no longer verifies is not kept "just in case": fail closed until it does.
      active = { ok: false, reason: load.reason, detail: load.detail, sha256: load.sha256 ?? null };
    } else {
      try {
        const { engine, evaluation } = await startEngine(load.loaded);
        if (closed) {
          await engine.close();
          return status();
        }
        const env = environmentAttestation(load.loaded.sha256, config);
        active = { ok: true, loaded: load.loaded, engine, evaluation, env, envDigest: environmentDigest(env) };
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const reason = err instanceof EngineLoadError && /entrypoint/.test(message) ? REASONS.ENTRYPOINT_UNKNOWN : REASONS.BUNDLE_INVALID;
        active = { ok: false, reason, detail: message, sha256: load.loaded.sha256 };
      }
    }
    if (previous.ok) void previous.engine.close(true); // let its in-flight decisions finish
    return status();
  }

  /** Inline when the module allows it (and the caller did not ask for workers), else a worker pool. */
  async function startEngine(loaded: LoadedBundle): Promise<{ engine: Engine; evaluation: 'inline' | 'worker' }> {
    const dataJson = JSON.stringify(loaded.bundle.data ?? {});
    const memoryPages = { initial: INITIAL_PAGES, maximum: Math.max(INITIAL_PAGES, Math.floor(memoryLimitBytes / PAGE)) };
    const strictBuiltins = options.strictBuiltins === true;
    let module: WasmModule;
    try {
      module = new Wasm.Module(loaded.wasm); // compiled once, here
    } catch (err) {
      throw new EngineLoadError(`cannot load the policy: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (isolation !== 'worker') {
      let verdict;
      try {
        verdict = InlineEngine.start({ module, dataJson, entrypoint, memoryPages, strictBuiltins, stepLimit });
      } catch (err) {
        throw new EngineLoadError(err instanceof Error ? err.message : String(err));
      }
      if (verdict.ok) return { engine: verdict.engine, evaluation: 'inline' };
      if (isolation === 'inline') throw new EngineLoadError(`the policy cannot be evaluated inline: ${verdict.why}`);
    }
    const engine = await PolicyEngine.start({
      wasm: loaded.wasm,
      dataJson,
      entrypoint,
      timeoutMs,
      stepLimit,
      memoryPages,
      maxInputBytes,
      strictBuiltins,
      regoSets: isGovernLinked(module),
      workers: options.workers ?? 2,
      heapLimitMb: options.heapLimitMb,
    });
    return { engine, evaluation: 'worker' };
  }

  function reload(): Promise<GovernorStatus> {
    reloading = reloading.then(activate, activate);
    return reloading;
  }

  const watchInterval = typeof options.watch === 'object' ? options.watch.intervalMs ?? 500 : 500;
  const onChange = (): void => void reload();
  if (options.watch) {
    watchFile(bundlePath, { interval: watchInterval, persistent: false }, onChange);
    watchFile(pinsPath, { interval: watchInterval, persistent: false }, onChange);
  }

  function verifyParent(token: string, nowSeconds: number): { ok: true; claims: Record<string, JsonValue> } | { ok: false; detail: string } {
    try {
      const decoded = decodeCompact(token);
      if (decoded.header.typ !== ARTIFACT_TYPE) return { ok: false, detail: 'the parent is not a govern artifact' };
      const kid = decoded.header.kid;
      const key = parentKeys.find((k) => k.kid === undefined || k.kid === kid);
      if (!key || !verifyCompactSignature(decoded, key)) return { ok: false, detail: 'the parent artifact\'s signature does not verify' };
      const claims = JSON.parse(decoded.payload.toString('utf8')) as Record<string, JsonValue>;
      if (typeof claims.exp !== 'number' || nowSeconds >= claims.exp + CLOCK_SKEW_SECONDS) return { ok: false, detail: 'the parent artifact has expired' };
      if (typeof claims.nbf === 'number' && nowSeconds + CLOCK_SKEW_SECONDS < claims.nbf) return { ok: false, detail: 'the parent artifact is not yet valid' };
      if (typeof claims.jti !== 'string') return { ok: false, detail: 'the parent artifact has no jti' };
      return { ok: true, claims };
    } catch {
      return { ok: false, detail: 'the parent is not a valid artifact' };
    }
  }

  async function decide(raw: unknown): Promise<GovernedDecision> {
    const nowNs = now();
    const nowSeconds = Number(nowNs / 1_000_000_000n);
    const state = active;
    const time = formatTimeNs(nowNs);
    const timeNs = nowNs.toString();
    const bundleSha256 = state.ok ? state.loaded.sha256 : state.sha256;
    const bundleRevision = state.ok ? state.loaded.revision || undefined : undefined;
    const record = (allow: boolean, reasons: ReasonCode[], detail: string | undefined, about: RecordAbout | undefined, result?: JsonValue): DecisionRecord =>
      makeRecord({ allow, reasons, detail, bundle_sha256: bundleSha256, bundle_revision: bundleRevision, entrypoint, about, result, time, time_ns: timeNs });
    const deny = (reason: ReasonCode, detail: string, about?: RecordAbout, result?: JsonValue): GovernedDecision => {
      const denied = record(false, [reason], detail, about, result);
      return { allowed: false, record: denied, recordJson: recordJson(denied) };
    };

    const checked = validateRequest(raw, maxInputBytes);
    if (!checked.ok) return deny(REASONS.INPUT_INVALID, `malformed request: ${checked.problem}`);
    const request: NormalizedRequest = checked.request;
    if (request.ttl_seconds !== undefined && request.ttl_seconds > ttlSeconds) {
      return deny(REASONS.INPUT_INVALID, `malformed request: ttl_seconds ${request.ttl_seconds} exceeds the governor's artifact lifetime (${ttlSeconds} s)`);
    }
    const about: RecordAbout = {
      subject: request.subject.id,
      action: request.action,
      resource: request.resource,
      args_sha256: sha256Hex(checked.argsCanonical),
    };
    // The artifact's end: the asked-for or default lifetime; a child never outlives its parent.
    let exp = nowSeconds + (request.ttl_seconds ?? ttlSeconds);
    // Without a parent the policy input is exactly the normalized request, already canonicalized;
    // with one, the parent artifact is replaced by its verified claims.
    let inputJson = checked.canonical;
    if (request.parent !== undefined) {
      const parent = verifyParent(request.parent, nowSeconds);
      if (!parent.ok) return deny(REASONS.PARENT_INVALID, parent.detail, about);
      about.parent_jti = parent.claims.jti as string;
      const parentExp = parent.claims.exp as number;
      if (exp > parentExp) {
        // An explicit request to outlive the parent is refused; the default lifetime is cut to fit.
        if (request.ttl_seconds !== undefined) {
          return deny(REASONS.LINEAGE_VIOLATION, `the child would be valid until ${exp}, after its parent (${parentExp})`, about);
        }
        exp = parentExp;
      }
      const input: Record<string, JsonValue> = {
        subject: request.subject,
        action: request.action,
        resource: request.resource,
        args: request.args,
        context: request.context,
        parent: parent.claims,
      };
      if (request.ttl_seconds !== undefined) input.ttl_seconds = request.ttl_seconds;
      inputJson = canonicalize(input);
    }
    const inputSha256 = sha256Hex(inputJson);
    about.input_sha256 = inputSha256;
    if (!state.ok) return deny(state.reason, state.detail, about);

    const outcome = await state.engine.evaluate(inputJson, nowNs);
    if (outcome.kind !== 'result') {
      const { reason, detail } = outcomeDenial(outcome, timeoutMs, memoryLimitBytes);
      return deny(reason, detail, about);
    }
    const verdict = interpretResultSet(outcome.resultSet);
    if (!verdict.allow) return deny(verdict.reason, verdict.detail ?? 'denied', about, verdict.result);
    if (!signingKey) return deny(REASONS.SIGNING_KEY_MISSING, 'the policy allowed, but no signing key is configured to issue the artifact', about, verdict.result);

    const allowed = record(true, [REASONS.ALLOWED], undefined, about, verdict.result);
    const allowedJson = recordJson(allowed);
    // Written in a fixed member order: the payload bytes are what is signed.
    const claims: ArtifactClaims = {
      iss: issuer,
      sub: about.subject,
      aud: audience,
      iat: nowSeconds,
      nbf: nowSeconds,
      exp,
      jti: newJti(),
      intent: { action: about.action, resource: about.resource, args_sha256: about.args_sha256 },
      policy: { bundle_sha256: state.loaded.sha256, entrypoint },
      input_sha256: inputSha256,
      decision_sha256: sha256Hex(allowedJson),
      env_sha256: state.envDigest,
      scope: verdict.scope ?? [about.action],
    };
    if (about.parent_jti !== undefined) claims.parent_jti = about.parent_jti;
    const signingInput = `${artifactHeaderText}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    let signature: string;
    try {
      // With other decisions waiting, sign on the pool so this thread evaluates them meanwhile.
      if (inFlight > 1 && poolSignatures < POOL_SIGNATURES) {
        poolSignatures++;
        try {
          signature = await signJws(signingKey, signingInput);
        } finally {
          poolSignatures--;
        }
      } else signature = signJwsNow(signingKey, signingInput);
    } catch (err) {
      return deny(REASONS.SIGNING_FAILED, `the artifact could not be signed: ${(err as Error).message}`, about, verdict.result);
    }
    return { allowed: true, record: allowed, recordJson: allowedJson, artifact: `${signingInput}.${signature}`, claims };
  }

  async function authorize(raw: unknown): Promise<GovernedDecision> {
    let decision: GovernedDecision;
    try {
      if (closed) decision = failClosed(REASONS.GOVERNOR_CLOSED, 'the governor is closed');
      else {
        inFlight++;
        try {
          decision = await decide(raw);
        } finally {
          inFlight--;
        }
      }
    } catch (err) {
      decision = failClosed(REASONS.EVAL_ERROR, `internal error: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (options.onDecision) {
      try {
        options.onDecision(decision);
      } catch (err) {
        return failClosed(REASONS.EVAL_ERROR, `the decision could not be recorded: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return decision;
  }

  function failClosed(reason: ReasonCode, detail: string): GovernedDecision {
    let nowNs: bigint;
    try {
      nowNs = now();
    } catch {
      nowNs = 0n;
    }
    const record = makeRecord({
      allow: false,
      reasons: [reason],
      detail,
      bundle_sha256: active.ok ? active.loaded.sha256 : active.sha256,
      entrypoint,
      time: formatTimeNs(nowNs),
      time_ns: nowNs.toString(),
    });
    return { allowed: false, record, recordJson: recordJson(record) };
  }

  async function close(): Promise<void> {
    closed = true;
    if (options.watch) {
      unwatchFile(bundlePath, onChange);
      unwatchFile(pinsPath, onChange);
    }
    await reloading.catch(() => undefined);
    if (active.ok) await active.engine.close();
    active = { ok: false, reason: REASONS.GOVERNOR_CLOSED, detail: 'the governor is closed', sha256: null };
  }

  await reload();
  return { authorize, reload, status, close };
}

function publicHalf(signing: SigningKey): VerificationKey {
  const key: KeyObject = createPublicKey(signing.key);
  return signing.kid === undefined ? { key, alg: algorithmForKey(key) } : { key, alg: algorithmForKey(key), kid: signing.kid };
}
