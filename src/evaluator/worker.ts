// The evaluation worker: loads one policy with the opa-wasm SDK into a capped Wasm memory, then
// serves evaluations over the shared channel (see channel.ts) until it is terminated.
import { parentPort, workerData } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { createHostBuiltins } from '../builtins/index.js';
import { DONE, EvalStatus, HEADER_BYTES, LENGTH, NOW_INDEX, REQUEST, STATE, STATUS, type WorkerConfig, type WorkerHello } from './channel.js';
import { classifyFailure, describe } from './outcome.js';

// The SDK's CommonJS build exposes loadPolicySync (the ESM entry only re-exports loadPolicy).
const opa = createRequire(import.meta.url)('@open-policy-agent/opa-wasm') as typeof import('@open-policy-agent/opa-wasm');

const config = workerData as WorkerConfig;
const ctrl = new Int32Array(config.channel, 0, HEADER_BYTES / 4);
const clock = new BigInt64Array(config.channel, 0, HEADER_BYTES / 8);
const region = new Uint8Array(config.channel, HEADER_BYTES);
const encoder = new TextEncoder();

// time.now_ns answers the request's own evaluation time, never the wall clock.
let requestNow = 0n;
const builtins = createHostBuiltins({
  now: () => requestNow,
  strict: config.strictBuiltins,
  allowNondeterministic: false,
  regoSets: config.regoSets,
});

function hello(message: WorkerHello): void {
  parentPort!.postMessage(message);
}

let policy: ReturnType<typeof opa.loadPolicySync>;
let memory: { buffer: ArrayBuffer };
// A govern-linked module also gets its step budget here, besides the wall-clock limit.
let setSteps: ((budget: bigint) => void) | undefined;
try {
  policy = opa.loadPolicySync(config.wasm, { ...config.memoryPages }, builtins as never);
  const raw = policy as unknown as { mem: { buffer: ArrayBuffer }; wasmInstance: { exports: { govern_steps_set?: (budget: bigint) => void } }; entrypoints: Record<string, number> };
  memory = raw.mem;
  setSteps = raw.wasmInstance.exports.govern_steps_set;
  policy.setData(new TextEncoder().encode(config.dataJson).buffer as ArrayBuffer);
  const entrypoints = Object.keys(raw.entrypoints);
  if (!entrypoints.includes(config.entrypoint)) {
    hello({ type: 'error', message: `entrypoint "${config.entrypoint}" is not in the policy (it has: ${entrypoints.join(', ') || 'none'})` });
    process.exit(0);
  }
  hello({ type: 'ready', entrypoints });
} catch (err) {
  hello({ type: 'error', message: `cannot load the policy: ${describe(err)}` });
  process.exit(0);
}

const STATUS_OF = { steps: EvalStatus.STEPS, memory: EvalStatus.MEMORY, trap: EvalStatus.TRAP, error: EvalStatus.ERROR } as const;

function answer(status: EvalStatus, text: string): void {
  let bytes = encoder.encode(text);
  if (bytes.length > region.length) {
    status = EvalStatus.TOO_LARGE;
    bytes = encoder.encode(`the result is larger than ${region.length} bytes`);
  }
  region.set(bytes, 0);
  ctrl[LENGTH] = bytes.length;
  ctrl[STATUS] = status;
  Atomics.store(ctrl, STATE, DONE);
  Atomics.notify(ctrl, STATE);
}

for (;;) {
  // Sleep until the state changes to REQUEST (never spin: after DONE, wait for the main thread to
  // take the answer and hand over the next request).
  const state = Atomics.load(ctrl, STATE);
  if (state !== REQUEST) {
    Atomics.wait(ctrl, STATE, state);
    continue;
  }
  const input = new Uint8Array(ctrl[LENGTH]!);
  input.set(region.subarray(0, input.length));
  requestNow = clock[NOW_INDEX]!;
  try {
    setSteps?.(BigInt(config.stepLimit));
    const resultSet = policy.evaluate(input.buffer, config.entrypoint);
    answer(EvalStatus.OK, JSON.stringify(resultSet));
  } catch (err) {
    const failure = classifyFailure(err, memory.buffer.byteLength, config.memoryPages.maximum * 65536);
    answer(STATUS_OF[failure.kind], failure.message);
  }
}
