// What one evaluation came to, and how a thrown value is read: shared by inline evaluation
// (inline.ts) and the evaluation workers (worker.ts).

export type EvalOutcome =
  | { kind: 'result'; resultSet: unknown }
  /** Stopped by the wall-clock limit (worker evaluation). */
  | { kind: 'timeout' }
  /** Stopped by the step budget compiled into govern's runtime (deterministic). */
  | { kind: 'steps'; budget: number }
  | { kind: 'memory'; message: string }
  | { kind: 'trap'; message: string }
  | { kind: 'error'; message: string };

export type Failure = Extract<EvalOutcome, { kind: 'memory' | 'trap' | 'error' }> | { kind: 'steps'; message: string };

/** The runtime's abort message when the step budget is spent (src/wasm/runtime/steps.ts). */
const STEP_LIMIT = /govern_step_limit:/;

// Node's types leave out the WebAssembly namespace under lib ES2022; only RuntimeError is needed.
const WasmRuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: new () => Error } }).WebAssembly.RuntimeError;

/** The message of anything thrown (the SDK throws strings and plain objects too). */
export function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  if (typeof err === 'object' && err !== null && 'message' in err) return String((err as { message: unknown }).message);
  return String(err);
}

/**
 * Which failure a thrown value is. A capped memory shows up as a failed grow, an allocator abort,
 * or a raw trap while the memory is near its cap.
 */
export function classifyFailure(err: unknown, memoryBytes: number, maxMemoryBytes: number): Failure {
  const message = describe(err);
  if (STEP_LIMIT.test(message)) return { kind: 'steps', message };
  if (err instanceof RangeError && /memory/i.test(message)) return { kind: 'memory', message };
  if (/out of memory/i.test(message)) return { kind: 'memory', message };
  if (err instanceof WasmRuntimeError) {
    return memoryBytes >= maxMemoryBytes * 0.5 ? { kind: 'memory', message } : { kind: 'trap', message };
  }
  return { kind: 'error', message };
}

/** Builtins whose run time is not bounded by their arguments' size: they run regular expressions
 * from the policy on a backtracking engine. A policy calling one is evaluated in a worker, which
 * the wall-clock limit can stop, never inline. */
export function unboundedBuiltin(name: string): boolean {
  return name.startsWith('regex.') || name === 're_match' || name === 'glob.match' || name === 'json.match_schema' || name === 'json.verify_schema';
}
