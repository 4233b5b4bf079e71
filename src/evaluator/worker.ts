// The evaluation worker: loads one policy with the opa-wasm SDK into a capped Wasm memory, then
// serves evaluations over the shared channel (see channel.ts) until it is terminated.
import { createPrivateKey, sign as cryptoSign } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { createHostBuiltins } from '../builtins/index.js';
import { DONE, EvalStatus, HEADER_BYTES, KIND, LENGTH, NOW_INDEX, REQUEST, RequestKind, STATE, STATUS, type WorkerConfig, type WorkerHello } from './channel.js';

// The SDK's CommonJS build exposes loadPolicySync (the ESM entry only re-exports loadPolicy).
const opa = createRequire(import.meta.url)('@open-policy-agent/opa-wasm') as typeof import('@open-policy-agent/opa-wasm');
// Node's types leave out the WebAssembly namespace under lib ES2022; only these two are needed.
interface WasmMemory {
  buffer: ArrayBuffer;
}
const WasmRuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: new () => Error } }).WebAssembly.RuntimeError;

const config = workerData as WorkerConfig;
const ctrl = new Int32Array(config.channel, 0, HEADER_BYTES / 4);
const clock = new BigInt64Array(config.channel, 0, HEADER_BYTES / 8);
const region = new Uint8Array(config.channel, HEADER_BYTES);
const encoder = new TextEncoder();

// time.now_ns answers the request's own evaluation time, never the wall clock.
let requestNow = 0n;
const builtins = createHostBuiltins({ now: () => requestNow, strict: config.strictBuiltins, allowNondeterministic: false });

// Signing happens here too, so artifact signatures (the costliest step of a decision) run off the
// main thread and in parallel across the pool.
const signer = config.signer ? { key: createPrivateKey({ key: config.signer.jwk as never, format: 'jwk' }), alg: config.signer.alg } : undefined;

function signBytes(data: Uint8Array): string {
  if (!signer) throw new Error('no signing key');
  if (signer.alg === 'EdDSA') return cryptoSign(null, data, signer.key).toString('base64url');
  if (signer.alg === 'ES256') return cryptoSign('sha256', data, { key: signer.key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  return cryptoSign('sha256', data, signer.key).toString('base64url');
}

function hello(message: WorkerHello): void {
  parentPort!.postMessage(message);
}

let policy: ReturnType<typeof opa.loadPolicySync>;
let memory: WasmMemory;
try {
  policy = opa.loadPolicySync(config.wasm, { ...config.memoryPages }, builtins as never);
  memory = (policy as unknown as { mem: WasmMemory }).mem;
  policy.setData(new TextEncoder().encode(config.dataJson).buffer as ArrayBuffer);
  const entrypoints = Object.keys((policy as unknown as { entrypoints: Record<string, number> }).entrypoints);
  if (!entrypoints.includes(config.entrypoint)) {
    hello({ type: 'error', message: `entrypoint "${config.entrypoint}" is not in the policy (it has: ${entrypoints.join(', ') || 'none'})` });
    process.exit(0);
  }
  hello({ type: 'ready', entrypoints });
} catch (err) {
  hello({ type: 'error', message: `cannot load the policy: ${describe(err)}` });
  process.exit(0);
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  if (typeof err === 'object' && err !== null && 'message' in err) return String((err as { message: unknown }).message);
  return String(err);
}

/** Which failure a thrown value is: a capped memory shows up as a failed grow or an allocator abort. */
function classify(err: unknown): EvalStatus {
  const message = describe(err);
  if (err instanceof RangeError && /memory/i.test(message)) return EvalStatus.MEMORY;
  if (/out of memory/i.test(message)) return EvalStatus.MEMORY;
  if (err instanceof WasmRuntimeError) {
    // A raw trap while the memory is at its cap is most likely an allocation that could not grow.
    const maxBytes = config.memoryPages.maximum * 65536;
    if (memory.buffer.byteLength >= maxBytes * 0.5) return EvalStatus.MEMORY;
    return EvalStatus.TRAP;
  }
  return EvalStatus.ERROR;
}

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
  if (ctrl[KIND] === RequestKind.SIGN) {
    try {
      answer(EvalStatus.OK, signBytes(input));
    } catch (err) {
      answer(EvalStatus.ERROR, describe(err));
    }
    continue;
  }
  requestNow = clock[NOW_INDEX]!;
  try {
    const resultSet = policy.evaluate(input.buffer, config.entrypoint);
    answer(EvalStatus.OK, JSON.stringify(resultSet));
  } catch (err) {
    answer(classify(err), describe(err));
  }
}
