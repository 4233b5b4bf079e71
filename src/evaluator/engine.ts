// Worker evaluation, for policies that cannot run inline (inline.ts): a pool of persistent
// workers, one request in flight per worker over a shared-memory channel, with a hard time limit.
// A worker that times out, traps or throws is terminated and replaced (its Wasm state may be
// broken), so every evaluation starts from a clean instance and a runaway policy never blocks the
// caller past the limit.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DONE, EvalStatus, HEADER_BYTES, IDLE, LENGTH, NOW_INDEX, REQUEST, STATE, STATUS, type WorkerConfig, type WorkerHello } from './channel.js';
import type { EvalOutcome } from './outcome.js';

export interface EngineOptions {
  wasm: Uint8Array;
  /** The bundle's data document as JSON text. */
  dataJson: string;
  entrypoint: string;
  timeoutMs: number;
  memoryPages: { initial: number; maximum: number };
  maxInputBytes: number;
  strictBuiltins: boolean;
  /** The module is govern-linked: its host builtins may hand sets back (see createHostBuiltins). */
  regoSets: boolean;
  /** Loop iterations one evaluation may run (govern-linked modules only). */
  stepLimit: number;
  /** Worker threads evaluating in parallel; default 1. */
  workers?: number;
  /** Cap on each worker's JS heap (MB), default 256. */
  heapLimitMb?: number;
}

export class EngineLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineLoadError';
  }
}

// Atomics.waitAsync is in Node 20 but not in the ES2022 lib types.
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number, timeoutMs: number): { async: boolean; value: Promise<string> | string };
}).waitAsync.bind(Atomics);

/** The compiled worker script (dist/evaluator/worker.js), also when this module runs from src/. */
function workerScript(): URL {
  const here = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = new URL('../../dist/evaluator/worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new EngineLoadError('the evaluation worker is not built (run `npm run build`)');
}

interface Slot {
  worker: Worker;
  ctrl: Int32Array;
  clock: BigInt64Array;
  region: Uint8Array;
  ready: Promise<void>;
}

/** How long a worker may take to load the policy (or the time limit, if longer). */
const LOAD_TIMEOUT_MS = 10_000;

type Exchange = { kind: 'answer'; status: EvalStatus; text: string } | { kind: 'timeout' } | { kind: 'unavailable'; message: string };

export class PolicyEngine {
  private readonly slots: Slot[] = [];
  private readonly idle: Slot[] = [];
  private readonly waiting: ((slot: Slot | undefined) => void)[] = [];
  private inFlight = 0;
  private drained: (() => void) | undefined;
  private closed = false;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();

  private constructor(private readonly options: EngineOptions) {}

  /** Starts the worker pool with the policy; rejects with EngineLoadError when the policy cannot load. */
  static async start(options: EngineOptions): Promise<PolicyEngine> {
    const engine = new PolicyEngine(options);
    const count = Math.max(1, Math.floor(options.workers ?? 1));
    for (let i = 0; i < count; i++) engine.slots.push(engine.spawn());
    try {
      await Promise.all(engine.slots.map((s) => s.ready));
    } catch (err) {
      await engine.close();
      throw err;
    }
    engine.idle.push(...engine.slots);
    return engine;
  }

  private spawn(): Slot {
    // The region carries the input in and the result set out; results are small decisions.
    const channel = new SharedArrayBuffer(HEADER_BYTES + Math.max(this.options.maxInputBytes, 64 * 1024));
    const config: WorkerConfig = {
      wasm: this.options.wasm,
      dataJson: this.options.dataJson,
      entrypoint: this.options.entrypoint,
      memoryPages: this.options.memoryPages,
      strictBuiltins: this.options.strictBuiltins,
      channel,
      stepLimit: this.options.stepLimit,
      regoSets: this.options.regoSets,
    };
    // The worker is plain compiled JS: it takes none of the main process's flags (`--input-type`,
    // `--expose-gc` and others are refused by worker threads).
    const worker = new Worker(workerScript(), {
      workerData: config,
      execArgv: [],
      // The JS side of an evaluation (host builtins, the SDK's JSON) is capped too.
      resourceLimits: { maxOldGenerationSizeMb: this.options.heapLimitMb ?? 256 },
    });
    const ctrl = new Int32Array(channel, 0, HEADER_BYTES / 4);
    const region = new Uint8Array(channel, HEADER_BYTES);
    // A worker that dies mid-request (out of JS heap, a crash) answers for itself at once, instead
    // of leaving the caller to wait for the time limit.
    const died = (reason: EvalStatus, message: string): void => {
      if (Atomics.load(ctrl, STATE) !== REQUEST) return;
      const bytes = this.encoder.encode(message).subarray(0, region.length);
      region.set(bytes, 0);
      ctrl[LENGTH] = bytes.length;
      ctrl[STATUS] = reason;
      Atomics.store(ctrl, STATE, DONE);
      Atomics.notify(ctrl, STATE);
    };
    worker.on('error', (err: Error & { code?: string }) =>
      died(err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? EvalStatus.MEMORY : EvalStatus.ERROR, `the evaluation worker failed: ${err.message}`),
    );
    worker.on('exit', (code) => died(EvalStatus.ERROR, `the evaluation worker exited (${code})`));
    const ready = new Promise<void>((resolve, reject) => {
      // A module that never finishes loading (a start function that does not return) is refused.
      const loadLimitMs = Math.max(LOAD_TIMEOUT_MS, this.options.timeoutMs);
      const timer = setTimeout(() => {
        reject(new EngineLoadError(`the policy did not load within ${loadLimitMs} ms`));
        void worker.terminate();
      }, loadLimitMs);
      const settle = (outcome: () => void): void => {
        clearTimeout(timer);
        outcome();
      };
      worker.once('message', (hello: WorkerHello) =>
        settle(() => (hello.type === 'ready' ? resolve() : reject(new EngineLoadError(hello.message)))),
      );
      worker.once('error', (err) => settle(() => reject(new EngineLoadError(`the evaluation worker failed: ${err.message}`))));
      worker.once('exit', (code) => settle(() => reject(new EngineLoadError(`the evaluation worker exited (${code})`))));
    });
    // Referenced while starting and while working, so a pending decision keeps the process alive;
    // unreferenced when idle, so a forgotten governor does not keep it alive.
    ready.then(() => worker.unref(), () => undefined);
    return { worker, ctrl, clock: new BigInt64Array(channel, 0, HEADER_BYTES / 8), region, ready };
  }

  private acquire(): Promise<Slot | undefined> {
    const slot = this.idle.pop();
    if (slot) return Promise.resolve(slot);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(slot: Slot): void {
    if (this.closed) return;
    const next = this.waiting.shift();
    if (next) next(slot);
    else this.idle.push(slot);
  }

  /** Terminates a worker whose state can no longer be trusted; a fresh one takes its place. */
  private replace(slot: Slot): Slot {
    void slot.worker.terminate();
    const fresh = this.spawn();
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots[index] = fresh;
    return fresh;
  }

  /** Runs one request on an idle worker; the worker is replaced after a timeout or failure. */
  private async run(bytes: Uint8Array, nowNs: bigint, timeoutMs: number): Promise<Exchange> {
    if (this.closed) return { kind: 'unavailable', message: 'the governor is closed' };
    this.inFlight++;
    try {
      return await this.runOnSlot(bytes, nowNs, timeoutMs);
    } finally {
      if (--this.inFlight === 0 && this.drained) this.drained();
    }
  }

  private async runOnSlot(bytes: Uint8Array, nowNs: bigint, timeoutMs: number): Promise<Exchange> {
    const acquired = await this.acquire();
    if (!acquired || this.closed) {
      if (acquired) this.release(acquired);
      return { kind: 'unavailable', message: 'the governor is closed' };
    }
    let slot = acquired;
    try {
      await slot.ready;
    } catch {
      // A replacement worker that could not start: one more try, then report.
      slot = this.replace(slot);
      try {
        await slot.ready;
      } catch (err) {
        this.release(slot);
        return { kind: 'unavailable', message: (err as Error).message };
      }
    }
    if (bytes.length > slot.region.length) {
      this.release(slot);
      return { kind: 'unavailable', message: `the input is larger than ${slot.region.length} bytes` };
    }
    slot.worker.ref();
    let replaceAfter = false;
    try {
      slot.region.set(bytes, 0);
      slot.ctrl[LENGTH] = bytes.length;
      slot.clock[NOW_INDEX] = nowNs;
      Atomics.store(slot.ctrl, STATE, REQUEST);
      Atomics.notify(slot.ctrl, STATE);
      const waited = waitAsync(slot.ctrl, STATE, REQUEST, timeoutMs);
      if (waited.async) await waited.value;
      if (Atomics.load(slot.ctrl, STATE) !== DONE) {
        replaceAfter = true;
        return { kind: 'timeout' };
      }
      const status = slot.ctrl[STATUS] as EvalStatus;
      const text = this.decoder.decode(slot.region.subarray(0, slot.ctrl[LENGTH]));
      Atomics.store(slot.ctrl, STATE, IDLE);
      // After a trap or an error the instance may be half-updated (or the worker is gone): never reuse it.
      replaceAfter = status !== EvalStatus.OK;
      return { kind: 'answer', status, text };
    } finally {
      slot.worker.unref();
      this.release(replaceAfter && !this.closed ? this.replace(slot) : slot);
    }
  }

  /** Evaluates the policy's entrypoint on `input` (JSON text) with the request clock `nowNs`. */
  async evaluate(input: string, nowNs: bigint): Promise<EvalOutcome> {
    const answer = await this.run(this.encoder.encode(input), nowNs, this.options.timeoutMs);
    if (answer.kind === 'timeout') return { kind: 'timeout' };
    if (answer.kind === 'unavailable') return { kind: 'error', message: answer.message };
    switch (answer.status) {
      case EvalStatus.OK:
        return { kind: 'result', resultSet: JSON.parse(answer.text) };
      case EvalStatus.STEPS:
        return { kind: 'steps', budget: this.options.stepLimit };
      case EvalStatus.MEMORY:
        return { kind: 'memory', message: answer.text };
      case EvalStatus.TRAP:
        return { kind: 'trap', message: answer.text };
      default:
        return { kind: 'error', message: answer.text };
    }
  }

  /**
   * Stops the workers. With `drain`, requests already running finish first (a hot reload must not
   * turn in-flight decisions into timeouts); requests still queued are answered "closed".
   */
  async close(drain = false): Promise<void> {
    if (drain && this.inFlight > 0 && !this.closed) {
      const limit = this.options.timeoutMs + 1000;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, limit);
        this.drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.closed = true;
    for (const waiter of this.waiting.splice(0)) waiter(undefined);
    const slots = this.slots.splice(0);
    this.idle.length = 0;
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}
