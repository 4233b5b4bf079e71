// Links a policy into the prebuilt value runtime (dist/runtime/runtime.wasm), in-process with
// binaryen: the policy's functions are added to the runtime module, the runtime's `policy.*`
// imports are replaced by them, the policy's static strings go into a data segment right after the
// runtime's own static data, and only OPA's Wasm ABI stays exported. The result is one module the
// official opa-wasm SDK loads. Same policy in → byte-identical wasm out.
import binaryen from 'binaryen';
import type { Policy } from '../plan/ir.js';
import { generateFunctions, type Emitter, type Expr, type ValType } from './codegen.js';
import { allStmts, keepsExport, LinkError, mangleBuiltin, planPolicyStatic, readRuntime, staticPlacement, type LinkOptions } from './link-shared.js';

export { ABI_EXPORTS, LinkError, mangleBuiltin, readRuntime, type LinkOptions } from './link-shared.js';

/** Reads and parses the runtime once, so the first compile in a process is not slower than the rest. */
export function warmUpLinker(): void {
  const m = binaryen.readBinaryWithFeatures(readRuntime(), binaryen.Features.All);
  try {
    memoryName(readRuntime());
  } finally {
    m.dispose();
  }
}

const encoder = new TextEncoder();

/** Writes bytes into binaryen's own heap and adds a data segment: active at `offset`, or passive. */
function addDataSegment(m: binaryen.Module, name: string, memory: string, offset: number | 'passive', bytes: Uint8Array): void {
  const b = binaryen as any;
  const cstr = (text: string): number => {
    const data = encoder.encode(text);
    const ptr = b._malloc(data.length + 1);
    data.forEach((x, i) => b.__i32_store8(ptr + i, x));
    b.__i32_store8(ptr + data.length, 0);
    return ptr;
  };
  const namePtr = cstr(name);
  const memPtr = cstr(memory);
  const dataPtr = b._malloc(Math.max(1, bytes.length));
  for (let i = 0; i < bytes.length; i++) b.__i32_store8(dataPtr + i, bytes[i]);
  const passive = offset === 'passive';
  b._BinaryenAddDataSegment(m.ptr, namePtr, memPtr, passive, passive ? 0 : m.i32.const(offset), dataPtr, bytes.length);
  b._free(namePtr);
  b._free(memPtr);
  b._free(dataPtr);
}

interface Symbols {
  funcs: Map<string, string>;
  globals: Map<string, string>;
  exportNames: string[];
}

function readSymbols(m: binaryen.Module): Symbols {
  const funcs = new Map<string, string>();
  const globals = new Map<string, string>();
  const exportNames: string[] = [];
  for (let i = 0; i < m.getNumExports(); i++) {
    const info = binaryen.getExportInfo(m.getExportByIndex(i));
    exportNames.push(info.name);
    if (info.kind === binaryen.ExternalFunction) funcs.set(info.name, info.value);
    else if (info.kind === binaryen.ExternalGlobal) globals.set(info.name, info.value);
  }
  return { funcs, globals, exportNames };
}

let runtimeMemoryName: string | undefined;

function readLeb(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  let byte: number;
  do {
    byte = bytes[at++]!;
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return { value, next: at };
}

/**
 * binaryen's internal name of the runtime's memory (the JS API has no getter): the name the
 * runtime's name section gives memory 0, else binaryen's own default for an imported memory.
 * Read from the bytes rather than the text form, which is slow to print.
 */
function memoryName(bytes: Uint8Array): string {
  if (runtimeMemoryName) return runtimeMemoryName;
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at]!;
    const size = readLeb(bytes, at + 1);
    const end = size.next + size.value;
    if (id === 0) {
      const nameLen = readLeb(bytes, size.next);
      const name = new TextDecoder().decode(bytes.subarray(nameLen.next, nameLen.next + nameLen.value));
      let sub = nameLen.next + nameLen.value;
      while (name === 'name' && sub < end) {
        const subId = bytes[sub]!;
        const subSize = readLeb(bytes, sub + 1);
        if (subId === 6) {
          // memory names: count, then (index, name) pairs
          const count = readLeb(bytes, subSize.next);
          let p = count.next;
          for (let i = 0; i < count.value; i++) {
            const index = readLeb(bytes, p);
            const len = readLeb(bytes, index.next);
            const text = new TextDecoder().decode(bytes.subarray(len.next, len.next + len.value));
            if (index.value === 0) return (runtimeMemoryName = text);
            p = len.next + len.value;
          }
        }
        sub = subSize.next + subSize.value;
      }
    }
    at = end;
  }
  return (runtimeMemoryName = 'mimport$0');
}

function globalInitValue(m: binaryen.Module, name: string): number {
  const info = binaryen.getGlobalInfo(m.getGlobal(name));
  const init = binaryen.getExpressionInfo(info.init) as { value?: unknown };
  if (typeof init.value !== 'number') throw new LinkError(`runtime global ${name} has no constant initial value`);
  return init.value;
}

function setGlobalInit(m: binaryen.Module, name: string, value: number): void {
  const info = binaryen.getGlobalInfo(m.getGlobal(name));
  m.removeGlobal(name);
  m.addGlobal(name, info.type, info.mutable, m.i32.const(value));
}

/** The code generator's Emitter over a binaryen module. */
function binaryenEmitter(m: binaryen.Module): Emitter {
  const type = (t: ValType): number => (t === 'i32' ? binaryen.i32 : binaryen.none);
  const e = (x: Expr): number => x as number;
  return {
    block: (label, body, t) => m.block(label, body.map(e), type(t)),
    loop: (label, body) => m.loop(label, e(body)),
    if: (condition, ifTrue) => m.if(e(condition), e(ifTrue)),
    br: (label, condition) => m.br(label, condition === undefined ? undefined : e(condition)),
    call: (func, args, result) => m.call(func, args.map(e), type(result)),
    return: (value) => m.return(e(value)),
    localGet: (index) => m.local.get(index, binaryen.i32),
    localSet: (index, value) => m.local.set(index, e(value)),
    globalSet: (global, value) => m.global.set(global, e(value)),
    i32Const: (value) => m.i32.const(value),
    i32Eq: (a, b) => m.i32.eq(e(a), e(b)),
    i32Ne: (a, b) => m.i32.ne(e(a), e(b)),
    i32And: (a, b) => m.i32.and(e(a), e(b)),
    i32LtS: (a, b) => m.i32.lt_s(e(a), e(b)),
    i32Eqz: (a) => m.i32.eqz(e(a)),
    i64Const: (value) => (m.i64.const as unknown as (v: bigint) => number)(value),
    i64ExtendI32S: (a) => m.i64.extend_s(e(a)),
    addFunction: (name, params, result, vars, body) =>
      void m.addFunction(name, binaryen.createType(new Array(params).fill(binaryen.i32)), type(result), new Array(vars).fill(binaryen.i32), e(body)),
  };
}

/** Links `policy` into the runtime and returns the finished module's bytes. */
export function linkPolicy(policy: Policy, options: LinkOptions): Uint8Array {
  const m = binaryen.readBinaryWithFeatures(readRuntime(), binaryen.Features.All);
  try {
    return linkInto(m, policy, options);
  } finally {
    m.dispose();
  }
}

function linkInto(m: binaryen.Module, policy: Policy, options: LinkOptions): Uint8Array {
  const symbols = readSymbols(m);
  const memory = memoryName(readRuntime());
  const rt = (name: string): string => {
    const internal = symbols.funcs.get(name);
    if (!internal) throw new LinkError(`the runtime does not export ${name}`);
    return internal;
  };
  const rtGlobal = (name: string): string => {
    const internal = symbols.globals.get(name);
    if (!internal) throw new LinkError(`the runtime does not export global ${name}`);
    return internal;
  };
  const stmts = allStmts(policy);

  // Builtins (the runtime's own implementation when it has one, else a host builtin) and static data.
  const { builtins, layout, laid, entrypointNames, hostNames, base, end } = planPolicyStatic(policy, stmts, options, {
    runtimeBuiltin: (name) => {
      const runtimeName = symbols.funcs.get(mangleBuiltin(name));
      if (!runtimeName) return undefined;
      const info = binaryen.getFunctionInfo(m.getFunction(runtimeName));
      return { kind: 'runtime', func: runtimeName, params: binaryen.expandType(info.params).length };
    },
    declareHostImport: (arity, name) => m.addFunctionImport(name, 'env', `opa_builtin${arity}`, binaryen.createType(new Array(arity + 2).fill(binaryen.i32)), binaryen.i32),
    heapPointerInit: () => globalInitValue(m, rtGlobal('rt_heap_ptr')),
  });
  const heapPtr = rtGlobal('rt_heap_ptr');
  let abortImport: string | undefined;
  for (let i = 0; i < m.getNumFunctions(); i++) {
    const info = binaryen.getFunctionInfo(m.getFunctionByIndex(i));
    if (info.module === 'env' && info.base === 'opa_abort') abortImport = info.name;
  }
  if (!abortImport) throw new LinkError('the runtime does not import env.opa_abort');

  const planFuncs = generateFunctions({ module: binaryenEmitter(m), policy, layout, rt, rtGlobal, builtins, abortImport });

  // Replace the runtime's `policy.*` imports with generated functions of the same internal name.
  const imports = new Map<string, string>();
  for (let i = 0; i < m.getNumFunctions(); i++) {
    const info = binaryen.getFunctionInfo(m.getFunctionByIndex(i));
    if (info.module === 'policy') imports.set(info.base ?? '', info.name);
  }
  const replace = (base: string, params: number, results: number, body: number, vars: number[] = []): void => {
    const internal = imports.get(base);
    if (!internal) return;
    m.removeFunction(internal);
    m.addFunction(internal, params, results, vars, body);
  };
  const i32 = binaryen.i32;
  const ctxLocal = (): number => m.local.get(0, i32);
  const dispatch = planFuncs.map((name, id) =>
    m.if(m.i32.eq(m.call(rt('rt_ctx_entrypoint'), [ctxLocal()], i32), m.i32.const(id)), m.call(name, [ctxLocal()], binaryen.none)),
  );
  replace('eval', binaryen.createType([i32]), binaryen.none, m.block(null, dispatch, binaryen.none));
  const nameObject = (entries: [number, number][]): number => {
    const body = [m.local.set(0, m.call(rt('opa_object'), [], i32))];
    for (const [strIndex, id] of entries)
      body.push(m.call(rt('opa_object_insert'), [m.local.get(0, i32), m.i32.const(laid.values[strIndex]!), m.call(rt('opa_number_int'), [(m.i64.const as unknown as (v: bigint) => number)(BigInt(id))], i32)], binaryen.none));
    body.push(m.local.get(0, i32));
    return m.block(null, body, i32);
  };
  replace('builtins', binaryen.none, i32, nameObject(hostNames.map((s, id) => [s, id])), [i32]);
  replace('entrypoints', binaryen.none, i32, nameObject(entrypointNames.map((s, id) => [s, id])), [i32]);

  // Static data right after the runtime's; the heap starts after it. Past the first pages it is a
  // passive segment that a start function copies in (see staticPlacement), before the runtime's own start.
  const placement = staticPlacement(end);
  if (laid.bytes.length > 0 && placement.passive) {
    addDataSegment(m, 'policy/static', memory, 'passive', laid.bytes);
    const runtimeStart = m.getStart();
    if (!runtimeStart) throw new LinkError('internal error: the runtime has no start function to chain the static data copy to');
    const size = (): number => m.memory.size(memory);
    const init = m.addFunction('govern:static_init', binaryen.none, binaryen.none, [], m.block(null, [
      m.if(m.i32.lt_u(size(), m.i32.const(placement.pages)), m.drop(m.memory.grow(m.i32.sub(m.i32.const(placement.pages), size()), memory))),
      m.memory.init('policy/static', m.i32.const(base), m.i32.const(0), m.i32.const(laid.bytes.length), memory),
      m.data.drop('policy/static'),
      m.call(binaryen.getFunctionInfo(runtimeStart).name, [], binaryen.none),
    ]));
    m.setStart(init);
  } else if (laid.bytes.length > 0) addDataSegment(m, 'policy/static', memory, base, laid.bytes);
  setGlobalInit(m, heapPtr, end);
  if (options.strictBuiltinErrors && symbols.globals.has('rt_strict')) setGlobalInit(m, rtGlobal('rt_strict'), 1);

  for (const name of symbols.exportNames) if (!keepsExport(name)) m.removeExport(name);

  if (options.optimize) {
    binaryen.setOptimizeLevel(2);
    binaryen.setShrinkLevel(1);
    for (const f of [...policy.funcs.map((f) => `policy/func/${f.name}`), ...planFuncs]) m.optimizeFunction(f);
  }
  if (!m.validate()) throw new LinkError('internal error: the linked module does not validate');
  return m.emitBinary();
}
