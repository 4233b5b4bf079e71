// What a module linked by govern offers its host beyond OPA's Wasm ABI (runtime README):
//   - govern_steps_set / govern_steps_left: the evaluation step budget;
//   - opa_json_parse also reads Rego's set syntax ({1, 2}, set()), so host builtins can return sets.
// Modules from elsewhere (opa build) have neither; hosts check before relying on them.

/** govern's own exports, kept by the linker besides the ABI's. */
export const GOVERN_EXPORTS: ReadonlySet<string> = new Set(['govern_steps_set', 'govern_steps_left']);

// Node's types leave out the WebAssembly namespace under lib ES2022; only Module is needed.
type WasmModule = object;
const Wasm = (globalThis as unknown as {
  WebAssembly: { Module: { new (bytes: Uint8Array): WasmModule; exports(module: WasmModule): { name: string; kind: string }[] } };
}).WebAssembly;

/** Whether a compiled module (or its bytes) was linked by govern (see above). */
export function isGovernLinked(module: Uint8Array | WasmModule): boolean {
  const compiled = module instanceof Uint8Array ? new Wasm.Module(module) : module;
  return Wasm.Module.exports(compiled).some((e) => e.name === 'govern_steps_set' && e.kind === 'function');
}

export { Wasm, type WasmModule };
