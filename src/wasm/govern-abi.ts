// What a module linked by govern offers its host beyond OPA's Wasm ABI (runtime README):
//   - govern_steps_set / govern_steps_left: the evaluation step budget;
//   - opa_json_parse also reads Rego's set syntax ({1, 2}, set()), so host builtins can return sets;
//   - while a host builtin's arguments are dumped, a set is written {"\u0000set": [...]} and an
//     integer beyond ±2^53 {"\u0000num": "digits"}, so host builtins receive sets and exact integers
//     (SET_MARKER, NUM_MARKER; not for the SDK's own builtins, which would not read them).
// Modules from elsewhere (opa build) have neither; hosts check before relying on them.

/** The key of the one-member object that stands for a set among a host builtin's arguments. */
export const SET_MARKER = '\u0000set';
/** The key of the one-member object that holds the digits of an integer beyond ±2^53 there. */
export const NUM_MARKER = '\u0000num';

/** Builtins the opa-wasm SDK implements itself (in JS); it prefers them over custom builtins. */
export const SDK_BUILTIN_NAMES: readonly string[] = ['json.is_valid', 'sprintf', 'regex.split', 'yaml.is_valid', 'yaml.marshal', 'yaml.unmarshal'];

/**
 * Loop iterations per millisecond of a time limit, for hosts that turn one into a step budget: a
 * simple loop iteration takes ~0.1 µs on our CI machines, so the budget runs out near the limit.
 */
export const STEPS_PER_MS = 10_000;

/** govern's own exports, kept by the linker besides the ABI's. */
export const GOVERN_EXPORTS: ReadonlySet<string> = new Set(['govern_steps_set', 'govern_steps_left']);

// Node's types leave out the WebAssembly namespace under lib ES2022; only Module is needed.
type WasmModule = object;
const Wasm = (globalThis as unknown as {
  WebAssembly: { Module: { new (bytes: Uint8Array): WasmModule; exports(module: WasmModule): { name: string; kind: string }[] } };
}).WebAssembly;

/** Whether a compiled module was linked by govern (see above). */
export function isGovernLinked(module: WasmModule): boolean {
  return Wasm.Module.exports(module).some((e) => e.name === 'govern_steps_set' && e.kind === 'function');
}

export { Wasm, type WasmModule };
