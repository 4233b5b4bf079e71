// The shared-memory channel between the governor (main thread) and its evaluation worker.
// One request at a time: the main thread writes the input bytes and the pinned clock, flips
// `state` to REQUEST and waits on it (Atomics, no message passing on the hot path); the worker
// evaluates, writes the answer and flips it to DONE. A worker that does not answer within the time
// limit is terminated, so a runaway policy can never hold the governor.
export const HEADER_BYTES = 32;

export const STATE = 0; // Int32 index
export const LENGTH = 1; // Int32 index: request: input bytes; answer: bytes in the data region
export const STATUS = 2; // Int32 index: EvalStatus of the answer
export const TEMPLATE_LENGTH = 3; // Int32 index: bytes of the allow template after the input (0: evaluate only)
export const NOW_INDEX = 2; // BigInt64 index (byte offset 16): the request's clock, ns

export const IDLE = 0;
export const REQUEST = 1;
export const DONE = 2;

// A request is the input JSON, followed by the allow template (decision.ts, JSON) when the governor
// signs. The answer is the result set JSON; after an allow with a template, a newline, the record's
// canonical JSON, a newline and the signed artifact (JSON text holds no raw newline). One exchange,
// so one thread wake-up each way, per decision.
export const enum EvalStatus {
  OK = 0,
  TRAP = 1,
  MEMORY = 2,
  ERROR = 3,
  TOO_LARGE = 4,
  /** Evaluated and allowed, but the artifact could not be signed: result set JSON, newline, message. */
  SIGN_FAILED = 5,
}

export interface WorkerConfig {
  wasm: Uint8Array;
  /** The bundle's data document as JSON text. */
  dataJson: string;
  entrypoint: string;
  memoryPages: { initial: number; maximum: number };
  strictBuiltins: boolean;
  channel: SharedArrayBuffer;
  /** The artifact signing key (private JWK) and its algorithm, when the governor signs. */
  signer?: { jwk: Record<string, unknown>; alg: 'EdDSA' | 'ES256' | 'RS256' };
}

export type WorkerHello = { type: 'ready'; entrypoints: string[] } | { type: 'error'; message: string };
