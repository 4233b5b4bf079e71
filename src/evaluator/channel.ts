// The shared-memory channel between the governor (main thread) and its evaluation worker.
// One request at a time: the main thread writes the input bytes and the pinned clock, flips
// `state` to REQUEST and waits on it (Atomics, no message passing on the hot path); the worker
// evaluates, writes the answer and flips it to DONE. A worker that does not answer within the time
// limit is terminated, so a runaway policy can never hold the governor.
export const HEADER_BYTES = 32;

export const STATE = 0; // Int32 index
export const LENGTH = 1; // Int32 index: bytes in the data region
export const STATUS = 2; // Int32 index: EvalStatus of the answer
export const KIND = 3; // Int32 index: RequestKind of the request
export const NOW_INDEX = 2; // BigInt64 index (byte offset 16): the request's clock, ns

export const IDLE = 0;
export const REQUEST = 1;
export const DONE = 2;

export const enum RequestKind {
  /** Evaluate the entrypoint on the input bytes (JSON). */
  EVAL = 0,
  /** Sign the bytes (a JWS signing input) with the governor's key; answer: base64url signature. */
  SIGN = 1,
}

export const enum EvalStatus {
  OK = 0,
  TRAP = 1,
  MEMORY = 2,
  ERROR = 3,
  TOO_LARGE = 4,
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
