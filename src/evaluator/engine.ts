// The main-thread side of policy evaluation: a persistent worker per loaded policy, one request in
// flight at a time over a shared-memory channel, with a hard time limit. A worker that times out,
// traps or throws is terminated and replaced (its Wasm state may be broken), so every evaluation
// starts from a clean instance and a runaway policy never blocks the caller past the limit.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DONE, EvalStatus, HEADER_BYTES, IDLE, LENGTH, NOW_INDEX, REQUEST, STATE, STATUS, type WorkerConfig, type WorkerHello } from './channel.js';

export type EvalOutcome =
  | { kind: 'result'; resultSet: unknown }
  | { kind: 'timeout' }
  | { kind: 'memory'; message: string }
  | { kind: 'trap'; message: string }
  | { kind: 'error'; message: string };

export interface EngineOptions {
  wasm: Uint8Array;
  data: unknown;
  entrypoint: string;
  timeoutMs: number;
  memoryLimitBytes: number;
  maxInputBytes: number;
  strictBuiltins: boolean;
}

export class EngineLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineLoadError';
  }
}

const PAGE = 65536;

// Atomics.waitAsync is in Node 20 but not in the ES2022 lib types.
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number, timeoutMs: number): { async: boolean; value: Promise<string> | string };
}).waitAsync.bind(Atomics);
const INITIAL_PAGES = 5; // the SDK's default; runtime + policy static data fit in it

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

export class PolicyEngine {
  private slot: Slot | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();
  private readonly dataJson: string;

  private constructor(private readonly options: EngineOptions) {
    this.dataJson = JSON.stringify(options.data ?? {});
  }

  /** Starts a worker with the policy; rejects with EngineLoadError when the policy cannot load. */
  static async start(options: EngineOptions): Promise<PolicyEngine> {
    const engine = new PolicyEngine(options);
    engine.slot = engine.spawn();
    try {
      await engine.slot.ready;
    } catch (err) {
      await engine.close();
      throw err;
    }
    return engine;
  }

  private spawn(): Slot {
    const maximum = Math.max(INITIAL_PAGES, Math.floor(this.options.memoryLimitBytes / PAGE));
    // The region carries the input in and the result set out; results are small decisions.
    const channel = new SharedArrayBuffer(HEADER_BYTES + Math.max(this.options.maxInputBytes, 64 * 1024));
    const config: WorkerConfig = {
      wasm: this.options.wasm,
      dataJson: this.dataJson,
      entrypoint: this.options.entrypoint,
      memoryPages: { initial: INITIAL_PAGES, maximum },
      strictBuiltins: this.options.strictBuiltins,
      channel,
    };
    // The worker is plain compiled JS: it takes none of the main process's flags (`--input-type`,
    // `--expose-gc` and others are refused by worker threads).
    const worker = new Worker(workerScript(), { workerData: config, execArgv: [] });
    const ready = new Promise<void>((resolve, reject) => {
      worker.once('message', (hello: WorkerHello) => {
        if (hello.type === 'ready') resolve();
        else reject(new EngineLoadError(hello.message));
      });
      worker.once('error', (err) => reject(new EngineLoadError(`the evaluation worker failed: ${err.message}`)));
      worker.once('exit', (code) => reject(new EngineLoadError(`the evaluation worker exited (${code})`)));
    });
    // Referenced while starting and while evaluating, so a pending decision keeps the process
    // alive; unreferenced when idle, so a forgotten governor does not keep it alive.
    ready.then(() => worker.unref(), () => undefined);
    return {
      worker,
      ctrl: new Int32Array(channel, 0, HEADER_BYTES / 4),
      clock: new BigInt64Array(channel, 0, HEADER_BYTES / 8),
      region: new Uint8Array(channel, HEADER_BYTES),
      ready,
    };
  }

  /** Evaluates the policy's entrypoint on `input` (JSON text) with the request clock `nowNs`. */
  evaluate(input: string, nowNs: bigint): Promise<EvalOutcome> {
    const run = this.queue.then(() => this.evaluateNow(input, nowNs));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private replace(): void {
    const old = this.slot;
    if (old) void old.worker.terminate();
    if (!this.closed) this.slot = this.spawn();
  }

  private async evaluateNow(input: string, nowNs: bigint): Promise<EvalOutcome> {
    if (this.closed || !this.slot) return { kind: 'error', message: 'the governor is closed' };
    let slot = this.slot;
    try {
      await slot.ready;
    } catch (err) {
      // A replacement worker that cannot start: try once more, then report.
      this.replace();
      slot = this.slot!;
      try {
        await slot.ready;
      } catch (again) {
        return { kind: 'error', message: (again as Error).message };
      }
    }
    const bytes = this.encoder.encode(input);
    if (bytes.length > slot.region.length) return { kind: 'error', message: `the input is larger than ${slot.region.length} bytes` };
    slot.worker.ref();
    try {
      return await this.exchange(slot, bytes, nowNs);
    } finally {
      slot.worker.unref();
    }
  }

  private async exchange(slot: Slot, bytes: Uint8Array, nowNs: bigint): Promise<EvalOutcome> {
    slot.region.set(bytes, 0);
    slot.ctrl[LENGTH] = bytes.length;
    slot.clock[NOW_INDEX] = nowNs;
    Atomics.store(slot.ctrl, STATE, REQUEST);
    Atomics.notify(slot.ctrl, STATE);

    const waited = waitAsync(slot.ctrl, STATE, REQUEST, this.options.timeoutMs);
    if (waited.async) await waited.value;
    if (Atomics.load(slot.ctrl, STATE) !== DONE) {
      this.replace();
      return { kind: 'timeout' };
    }
    const status = slot.ctrl[STATUS] as EvalStatus;
    const text = this.decoder.decode(slot.region.subarray(0, slot.ctrl[LENGTH]));
    Atomics.store(slot.ctrl, STATE, IDLE);
    switch (status) {
      case EvalStatus.OK:
        return { kind: 'result', resultSet: JSON.parse(text) };
      case EvalStatus.MEMORY:
        this.replace();
        return { kind: 'memory', message: text };
      case EvalStatus.TRAP:
        this.replace();
        return { kind: 'trap', message: text };
      default:
        this.replace();
        return { kind: 'error', message: text };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const slot = this.slot;
    this.slot = undefined;
    if (slot) await slot.worker.terminate();
  }
}
