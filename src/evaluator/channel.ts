// The shared-memory channel between the governor (main thread) and its evaluation worker.
// One request at a time: the main thread writes the input bytes and the pinned clock, flips
// `state` to REQUEST and waits on it (Atomics, no message passing on the hot path); the worker
// evaluates, writes the answer and flips it to DONE. A worker that does not answer within the time
// limit is terminated, so a runaway policy can never hold the governor.
export const HEADER_BYTES = 32;

export const STATE = 0; // Int32 index
export const LENGTH = 1; // Int32 index: bytes in the data region
export const STATUS = 2; // Int32 index: EvalStatus of the answer
export const NOW_INDEX = 2; // BigInt64 index (byte offset 16): the request's clock, ns

export const IDLE = 0;
export const REQUEST = 1;
export const DONE = 2;

export const enum EvalStatus {
  OK = 0,
  TRAP = 1,
  MEMORY = 2,
  ERROR = 3,
  TOO_LARGE = 4,
  /** The step budget of a govern-linked module was spent (see src/wasm/runtime/steps.ts). */
  STEPS = 5,
}

export interface WorkerConfig {
  wasm: Uint8Array;
  /** The bundle's data document as JSON text. */
  dataJson: string;
  entrypoint: string;
  memoryPages: { initial: number; maximum: number };
  strictBuiltins: boolean;
  channel: SharedArrayBuffer;
  /** Loop iterations one evaluation may run, when the module has govern's step budget. */
  stepLimit: number;
  /** Host builtins hand sets back as sets (a govern-linked module reads them). */
  regoSets: boolean;
}

export type WorkerHello = { type: 'ready'; entrypoints: string[] } | { type: 'error'; message: string };
