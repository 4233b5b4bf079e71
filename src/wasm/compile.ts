// The compiler facade: Rego sources → one Wasm module following OPA's Wasm ABI (see
// compile-core.ts). With `optimize` (the default) the module is linked and optimised with
// binaryen; without, our own byte writer links it (no binaryen loaded, much faster cold).
import { compileWith, type CompileOptions, type CompileResult } from './compile-core.js';
import { linkPolicyFast } from './emit.js';
import { linkPolicy } from './link.js';

export { compilePolicyFast, SDK_BUILTIN_NAMES, type CompileOptions, type CompileResult } from './compile-core.js';

export function compilePolicy(sources: { file: string; text: string }[], options: CompileOptions): CompileResult {
  return compileWith((options.optimize ?? true) ? linkPolicy : linkPolicyFast, sources, options);
}
