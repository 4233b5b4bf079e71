// Inline evaluation: the policy runs on the caller's thread, with no hand-off to a worker. That is
// only safe when something other than a thread kill bounds the evaluation, so it is used only for
// modules linked by govern (they export the step budget of src/wasm/runtime/steps.ts, which stops
// every loop deterministically) that call no builtin whose run time their arguments do not bound
// (outcome.ts). Memory is capped the same way as in a worker: the Wasm memory has a maximum.
// After any failure the instance is discarded and a fresh one takes its place.
import { createRequire } from 'node:module';
import { createHostBuiltins } from '../builtins/index.js';
import { isGovernLinked, type WasmModule } from '../wasm/govern-abi.js';
import { classifyFailure, describe, unboundedBuiltin, type EvalOutcome } from './outcome.js';

// The SDK's CommonJS build exposes loadPolicySync (the ESM entry only re-exports loadPolicy).
const opa = createRequire(import.meta.url)('@open-policy-agent/opa-wasm') as typeof import('@open-policy-agent/opa-wasm');

interface WasmExports {
  govern_steps_set?: (budget: bigint) => void;
  builtins(): number;
  opa_json_dump(value: number): number;
}
interface LoadedInstance {
  policy: ReturnType<typeof opa.loadPolicySync>;
  exports: WasmExports;
  memory: { buffer: ArrayBuffer };
  entrypoints: string[];
}

export interface InlineOptions {
  /** The compiled policy module. */
  module: WasmModule;
  /** The bundle's data document as JSON text. */
  dataJson: string;
  entrypoint: string;
  memoryPages: { initial: number; maximum: number };
  strictBuiltins: boolean;
  /** Loop iterations one evaluation may run. */
  stepLimit: number;
}

/** The inline engine, or why the module cannot be evaluated inline. */
export type InlineVerdict = { ok: true; engine: InlineEngine } | { ok: false; why: string };

export class InlineEngine {
  /** Undefined after a failure, until the next evaluation instantiates the module again. */
  private instance: LoadedInstance | undefined;
  private requestNow = 0n;
  private closed = false;
  private readonly builtins: ReturnType<typeof createHostBuiltins>;
  private readonly encoder = new TextEncoder();

  private constructor(private readonly options: InlineOptions) {
    // time.now_ns answers the request's own evaluation time, never the wall clock.
    // Only govern-linked modules run inline, and they take sets back from host builtins.
    this.builtins = createHostBuiltins({ now: () => this.requestNow, strict: options.strictBuiltins, allowNondeterministic: false, regoSets: true });
    this.instance = this.instantiate();
  }

  /**
   * Loads the policy for inline evaluation, or says why it cannot be: not linked by govern (no
   * step budget), or calling a builtin with unbounded run time. Throws when the policy does not load.
   */
  static start(options: InlineOptions): InlineVerdict {
    // Checked before instantiating: a module without the budget never runs on this thread, not
    // even a start function.
    if (!isGovernLinked(options.module)) {
      return { ok: false, why: 'the module has no step budget (it was not linked by govern)' };
    }
    const engine = new InlineEngine(options);
    const { entrypoints } = engine.instance!;
    if (!entrypoints.includes(options.entrypoint)) {
      throw new Error(`entrypoint "${options.entrypoint}" is not in the policy (it has: ${entrypoints.join(', ') || 'none'})`);
    }
    const unbounded = engine.builtinNames().filter(unboundedBuiltin);
    if (unbounded.length > 0) return { ok: false, why: `the policy calls ${unbounded.join(', ')}, whose run time is unbounded` };
    return { ok: true, engine };
  }

  private instantiate(): LoadedInstance {
    const policy = opa.loadPolicySync(this.options.module as never, { ...this.options.memoryPages } as never, this.builtins as never);
    policy.setData(this.encoder.encode(this.options.dataJson).buffer as ArrayBuffer);
    const raw = policy as unknown as { wasmInstance: { exports: WasmExports }; mem: { buffer: ArrayBuffer }; entrypoints: Record<string, number> };
    return { policy, exports: raw.wasmInstance.exports, memory: raw.mem, entrypoints: Object.keys(raw.entrypoints) };
  }

  /** The names of the builtins the policy calls (its `builtins` export). */
  private builtinNames(): string[] {
    const { exports, memory } = this.instance!;
    const at = exports.opa_json_dump(exports.builtins());
    const bytes = new Uint8Array(memory.buffer);
    let end = at;
    while (bytes[end] !== 0) end++;
    return Object.keys(JSON.parse(Buffer.from(bytes.subarray(at, end)).toString('utf8')) as Record<string, number>);
  }

  /** Evaluates the entrypoint on `input` (JSON text) with the request clock `nowNs`; never throws. */
  evaluate(input: string, nowNs: bigint): EvalOutcome {
    if (this.closed) return { kind: 'error', message: 'the governor is closed' };
    let instance: LoadedInstance;
    try {
      instance = this.instance ??= this.instantiate();
    } catch (err) {
      return { kind: 'error', message: `the policy could not be instantiated again: ${describe(err)}` };
    }
    this.requestNow = nowNs;
    try {
      instance.exports.govern_steps_set!(BigInt(this.options.stepLimit));
      return { kind: 'result', resultSet: instance.policy.evaluate(this.encoder.encode(input).buffer as ArrayBuffer, this.options.entrypoint) };
    } catch (err) {
      const failure = classifyFailure(err, instance.memory.buffer.byteLength, this.options.memoryPages.maximum * 65536);
      // The instance stopped part-way: its state is not trusted again.
      this.instance = undefined;
      return failure.kind === 'steps' ? { kind: 'steps', budget: this.options.stepLimit } : failure;
    }
  }

  /** Drops the instance; later evaluations answer "closed". */
  close(): Promise<void> {
    this.closed = true;
    this.instance = undefined;
    return Promise.resolve();
  }
}
