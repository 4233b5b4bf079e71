// Links a policy into the prebuilt value runtime (dist/runtime/runtime.wasm), in-process with
// binaryen: the policy's functions are added to the runtime module, the runtime's `policy.*`
// imports are replaced by them, the policy's static strings go into a data segment right after the
// runtime's own static data, and only OPA's Wasm ABI stays exported. The result is one module the
// official opa-wasm SDK loads. Same policy in → byte-identical wasm out.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import binaryen from 'binaryen';
import type { Block, Policy, Stmt, Where } from '../plan/ir.js';
import { CodegenError, conflictMessage, generateFunctions, type BuiltinTarget, type StaticLayout } from './codegen.js';

/** Exports that make up OPA's Wasm ABI (1.3); everything else the runtime exports is removed. */
export const ABI_EXPORTS = new Set([
  'opa_wasm_abi_version',
  'opa_wasm_abi_minor_version',
  'eval',
  'builtins',
  'entrypoints',
  'opa_eval',
  'opa_eval_ctx_new',
  'opa_eval_ctx_set_input',
  'opa_eval_ctx_set_data',
  'opa_eval_ctx_set_entrypoint',
  'opa_eval_ctx_get_result',
  'opa_malloc',
  'opa_free',
  'opa_heap_ptr_get',
  'opa_heap_ptr_set',
  'opa_json_parse',
  'opa_value_parse',
  'opa_json_dump',
  'opa_value_dump',
  'opa_value_add_path',
  'opa_value_remove_path',
  'memory',
]);

/** Keep runtime + policy static data within the SDK's default 5 pages. */
const STATIC_LIMIT = 5 * 65536;

export interface LinkOptions {
  /** Names of the builtins the host (SDK + govern's host builtins) can supply. */
  hostBuiltins: ReadonlySet<string>;
  /** OPA's strict builtin errors: runtime builtins abort instead of being undefined. */
  strictBuiltinErrors?: boolean;
  /** Run binaryen's optimiser over the generated functions. */
  optimize?: boolean;
}

export class LinkError extends Error {
  constructor(
    message: string,
    readonly where?: Where,
  ) {
    super(message);
    this.name = 'LinkError';
  }
}

let runtimeBytes: Uint8Array | undefined;

/** The runtime module's bytes: next to this file in dist/, or in the repository's dist/ from src/. */
export function readRuntime(): Uint8Array {
  if (runtimeBytes) return runtimeBytes;
  // GOVERN_RUNTIME_WASM points at another build of the runtime (e.g. the debug build).
  const override = process.env.GOVERN_RUNTIME_WASM;
  const candidates = override ? [override] : [fileURLToPath(new URL('../runtime/runtime.wasm', import.meta.url)), fileURLToPath(new URL('../../dist/runtime/runtime.wasm', import.meta.url))];
  for (const path of candidates) {
    if (existsSync(path)) return (runtimeBytes = new Uint8Array(readFileSync(path)));
  }
  throw new LinkError('runtime.wasm not found (run `npm run build` first)');
}

/** Reads and parses the runtime once, so the first compile in a process is not slower than the rest. */
export function warmUpLinker(): void {
  const m = binaryen.readBinaryWithFeatures(readRuntime(), binaryen.Features.All);
  try {
    memoryName(readRuntime());
  } finally {
    m.dispose();
  }
}

/** Every statement of a block tree, depth first. */
function* walkStmts(blocks: Block[]): Generator<Stmt> {
  for (const block of blocks) {
    for (const stmt of block.stmts) {
      yield stmt;
      switch (stmt.type) {
        case 'Block':
          yield* walkStmts(stmt.blocks);
          break;
        case 'Not':
        case 'Scan':
        case 'With':
          yield* walkStmts([stmt.block]);
          break;
      }
    }
  }
}

/** Static texts the generated code needs: conflict messages naming their rule. */
function conflictTexts(policy: Policy): string[] {
  const out: string[] = [];
  for (const f of policy.funcs)
    for (const s of walkStmts(f.blocks)) {
      if (s.type !== 'AssignVarOnce') continue;
      const text = conflictMessage(policy.static.files, f.path, s);
      if (text) out.push(text);
    }
  return out;
}

function allStmts(policy: Policy): Stmt[] {
  const out: Stmt[] = [];
  for (const f of policy.funcs) out.push(...walkStmts(f.blocks));
  for (const p of policy.plans) out.push(...walkStmts(p.blocks));
  return out;
}

export function mangleBuiltin(name: string): string {
  return `rt_builtin_${name.replace(/\./g, '_')}`;
}

const encoder = new TextEncoder();

/** Writes bytes into binaryen's own heap and adds an active data segment at `offset`. */
function addDataSegment(m: binaryen.Module, name: string, memory: string, offset: number, bytes: Uint8Array): void {
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
  b._BinaryenAddDataSegment(m.ptr, namePtr, memPtr, false, m.i32.const(offset), dataPtr, bytes.length);
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

/** Lays out the static strings (value headers, then bytes) and location texts from `base`. */
function layoutStatic(strings: string[], locations: string[], base: number): { layout: Map<string, number>; bytes: Uint8Array; values: number[]; texts: { ptr: number; len: number }[] } {
  const encoded = strings.map((s) => encoder.encode(s));
  const values: number[] = [];
  const texts: { ptr: number; len: number }[] = [];
  let size = strings.length * 16;
  for (const e of encoded) size += e.length;
  const locEncoded = locations.map((l) => encoder.encode(l + '\0'));
  for (const e of locEncoded) size += e.length;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  let dataAt = strings.length * 16;
  encoded.forEach((e, i) => {
    const header = i * 16;
    values.push(base + header);
    texts.push({ ptr: base + dataAt, len: e.length });
    bytes[header] = 4;
    view.setUint32(header + 4, e.length, true);
    view.setUint32(header + 8, base + dataAt, true);
    bytes.set(e, dataAt);
    dataAt += e.length;
  });
  const layout = new Map<string, number>();
  locEncoded.forEach((e, i) => {
    layout.set(locations[i]!, base + dataAt);
    bytes.set(e, dataAt);
    dataAt += e.length;
  });
  return { layout, bytes, values, texts };
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
  const funcNames = new Set(policy.funcs.map((f) => f.name));
  const stmts = allStmts(policy);

  // Builtins: the runtime's own implementation when it has one, else a host builtin.
  const calls = new Map<string, { arity: number; where?: Where }>();
  for (const b of policy.static.builtins) calls.set(b.name, { arity: b.arity });
  for (const s of stmts) {
    if (s.type !== 'Call' || funcNames.has(s.func)) continue;
    const known = calls.get(s.func);
    if (!known) calls.set(s.func, { arity: s.args.length, where: s.where });
    else if (!known.where && s.where) known.where = s.where;
  }
  const builtins = new Map<string, BuiltinTarget>();
  const hostIds = new Map<string, number>();
  const importsByArity = new Map<number, string>();
  for (const [name, { arity, where }] of calls) {
    const runtimeName = symbols.funcs.get(mangleBuiltin(name));
    if (runtimeName) {
      const info = binaryen.getFunctionInfo(m.getFunction(runtimeName));
      builtins.set(name, { kind: 'runtime', func: runtimeName, params: binaryen.expandType(info.params).length });
      continue;
    }
    if (!options.hostBuiltins.has(name)) {
      throw new LinkError(`undefined function ${name}: govern has no implementation of this builtin`, where);
    }
    if (arity > 4) throw new LinkError(`builtin ${name} takes ${arity} arguments; host builtins take at most 4`, where);
    let imp = importsByArity.get(arity);
    if (!imp) {
      imp = `policy/opa_builtin${arity}`;
      m.addFunctionImport(imp, 'env', `opa_builtin${arity}`, binaryen.createType(new Array(arity + 2).fill(binaryen.i32)), binaryen.i32);
      importsByArity.set(arity, imp);
    }
    const id = hostIds.size;
    hostIds.set(name, id);
    builtins.set(name, { kind: 'host', id, import: imp });
  }

  // Static data: the policy's strings, plus entrypoint and host builtin names; location texts.
  const strings = [...policy.static.strings];
  const extra = (s: string): number => {
    strings.push(s);
    return strings.length - 1;
  };
  const entrypointNames = policy.plans.map((p) => extra(p.name));
  const hostNames = [...hostIds.keys()].map((n) => extra(n));
  const locationText = (w: Where): string => `${policy.static.files[w.file] ?? '?'}:${w.row}:${w.col}`;
  const locations = [...new Set([...stmts.flatMap((s) => ('where' in s && s.where ? [locationText(s.where)] : [])), ...conflictTexts(policy)])];
  const heapPtr = rtGlobal('rt_heap_ptr');
  const base = align(globalInitValue(m, heapPtr), 16);
  const laid = layoutStatic(strings, locations, base);
  const end = align(base + laid.bytes.length, 16);
  if (end > STATIC_LIMIT) throw new LinkError(`the policy's static data (${laid.bytes.length} bytes) does not fit in the default 5 pages of memory`);
  const layout: StaticLayout = {
    stringValue: (i) => {
      const v = laid.values[i];
      if (v === undefined) throw new CodegenError(`IR: static string ${i} does not exist`);
      return v;
    },
    stringBytes: (i) => {
      const t = laid.texts[i];
      if (!t) throw new CodegenError(`IR: static string ${i} does not exist`);
      return t;
    },
    location: (w) => laid.layout.get(locationText(w))!,
    text: (t) => {
      const at = laid.layout.get(t);
      if (at === undefined) throw new CodegenError(`internal error: static text not registered: ${t}`);
      return at;
    },
  };
  let abortImport: string | undefined;
  for (let i = 0; i < m.getNumFunctions(); i++) {
    const info = binaryen.getFunctionInfo(m.getFunctionByIndex(i));
    if (info.module === 'env' && info.base === 'opa_abort') abortImport = info.name;
  }
  if (!abortImport) throw new LinkError('the runtime does not import env.opa_abort');

  const planFuncs = generateFunctions({ module: m, policy, layout, rt, rtGlobal, builtins, abortImport });

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

  // Static data right after the runtime's; the heap starts after it.
  if (laid.bytes.length > 0) addDataSegment(m, 'policy/static', memory, base, laid.bytes);
  setGlobalInit(m, heapPtr, end);
  if (options.strictBuiltinErrors && symbols.globals.has('rt_strict')) setGlobalInit(m, rtGlobal('rt_strict'), 1);

  for (const name of symbols.exportNames) if (!ABI_EXPORTS.has(name)) m.removeExport(name);

  if (options.optimize) {
    binaryen.setOptimizeLevel(2);
    binaryen.setShrinkLevel(1);
    for (const f of [...policy.funcs.map((f) => `policy/func/${f.name}`), ...planFuncs]) m.optimizeFunction(f);
  }
  if (!m.validate()) throw new LinkError('internal error: the linked module does not validate');
  return m.emitBinary();
}

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
