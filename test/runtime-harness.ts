// Loads dist/runtime/runtime.wasm on its own (stub policy hooks) for the runtime tests.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const RUNTIME_WASM = join(root, 'dist/runtime/runtime.wasm');

export class AbortError extends Error {}

export interface Runtime {
  exports: Record<string, any>;
  memory: WebAssembly.Memory;
  /** Parses Rego value syntax (JSON plus sets) into a value pointer. */
  value(text: string): number;
  json(text: string): number;
  str(s: string): number;
  dump(v: number): string;
  rego(v: number): string;
  /** Calls rt_builtin_<name> on values written in Rego syntax; the result in Rego syntax or undefined. */
  call(name: string, ...args: string[]): string | undefined;
  cstr(ptr: number): string;
  writeBytes(bytes: Uint8Array): number;
  /** Set by tests: what `policy.eval(ctx)` does. */
  onEval: (ctx: number) => void;
}

export function loadRuntime(): Runtime {
  const memory = new WebAssembly.Memory({ initial: 5 });
  const rt = { memory, onEval: (_ctx: number) => {} } as Runtime;
  const decoder = new TextDecoder();
  const cstr = (ptr: number) => {
    const bytes = new Uint8Array(memory.buffer);
    let end = ptr;
    while (bytes[end] !== 0) end++;
    return decoder.decode(bytes.subarray(ptr, end));
  };
  const module = new WebAssembly.Module(readFileSync(RUNTIME_WASM));
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory,
      opa_abort: (ptr: number) => {
        throw new AbortError(cstr(ptr));
      },
      opa_println: (ptr: number) => console.log(cstr(ptr)),
    },
    policy: {
      eval: (ctx: number) => rt.onEval(ctx),
      builtins: () => rt.exports.opa_object(),
      entrypoints: () => rt.exports.opa_object(),
    },
  });
  const x = instance.exports as Record<string, any>;
  rt.exports = x;
  rt.cstr = cstr;
  rt.writeBytes = (bytes) => {
    const p = x.opa_malloc(bytes.length);
    new Uint8Array(memory.buffer).set(bytes, p);
    return p;
  };
  const parse = (fn: string, text: string) => {
    const bytes = new TextEncoder().encode(text);
    const v = x[fn](rt.writeBytes(bytes), bytes.length);
    if (v === 0) throw new Error(`runtime could not parse ${text}`);
    return v;
  };
  rt.value = (text) => parse('opa_value_parse', text);
  rt.json = (text) => parse('opa_json_parse', text);
  rt.str = (s) => {
    const bytes = new TextEncoder().encode(s);
    return x.opa_string(rt.writeBytes(bytes), bytes.length);
  };
  rt.dump = (v) => cstr(x.opa_json_dump(v));
  rt.rego = (v) => cstr(x.opa_value_dump(v));
  rt.call = (name, ...args) => {
    const fn = x['rt_builtin_' + name.replace(/\./g, '_')];
    if (!fn) throw new Error(`runtime has no builtin ${name}`);
    const r = fn(...args.map((a) => rt.value(a)));
    return r === 0 ? undefined : rt.rego(r);
  };
  return rt;
}
