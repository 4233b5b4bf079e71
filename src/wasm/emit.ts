// The fast linker: writes the policy's functions as Wasm bytes ourselves and splices them into the
// prebuilt runtime module's sections, with no binaryen in the process (loading binaryen costs more
// than a second per process). The runtime's code is copied instruction by instruction, changing
// only function indices (the `policy.*` imports become defined functions and host builtin imports
// are added, which renumbers functions). No optimiser runs: link.ts does that when asked.
// Same policy in → byte-identical wasm out.
import type { Policy } from '../plan/ir.js';
import { CodegenError, generateFunctions, type Emitter, type ValType } from './codegen.js';
import { allStmts, keepsExport, LinkError, mangleBuiltin, planPolicyStatic, readRuntime, staticPlacement, type LinkOptions } from './link-shared.js';

const I32 = 0x7f;
const EMPTY_BLOCK = 0x40;

/** A growable byte buffer with LEB128 writers. */
class ByteWriter {
  private buf = new Uint8Array(1024);
  length = 0;
  /** Enclosing labels while writing a function body (innermost last). */
  readonly labels: (string | null)[] = [];

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  byte(b: number): void {
    this.room(1);
    this.buf[this.length++] = b;
  }
  bytes(data: Uint8Array): void {
    this.room(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
  }
  u32(v: number): void {
    do {
      let b = v & 0x7f;
      v = Math.floor(v / 128);
      if (v !== 0) b |= 0x80;
      this.byte(b);
    } while (v !== 0);
  }
  s32(v: number): void {
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) return this.byte(b);
      this.byte(b | 0x80);
    }
  }
  s64(v: bigint): void {
    for (;;) {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) return this.byte(b);
      this.byte(b | 0x80);
    }
  }
  name(text: string): void {
    const data = encoder.encode(text);
    this.u32(data.length);
    this.bytes(data);
  }
  /** Appends `data` as a length-prefixed vector of bytes. */
  sized(data: Uint8Array): void {
    this.u32(data.length);
    this.bytes(data);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** An expression: writes itself (and its children) into a function body. */
type Node = (w: ByteWriter, resolve: Resolver) => void;

interface Resolver {
  func(name: string): number;
  global(name: string): number;
}

function depth(w: ByteWriter, label: string): number {
  const at = w.labels.lastIndexOf(label);
  if (at < 0) throw new CodegenError(`internal error: branch to unknown label ${label}`);
  return w.labels.length - 1 - at;
}

const n = (x: unknown): Node => x as Node;
const blockType = (t: ValType): number => (t === 'i32' ? I32 : EMPTY_BLOCK);

function binary(op: number, a: unknown, b: unknown): Node {
  return (w, r) => {
    n(a)(w, r);
    n(b)(w, r);
    w.byte(op);
  };
}

/** The start function that grows the memory and copies passive static data (then runs the runtime's). */
const STATIC_INIT = 'govern:static_init';

/**
 * `if memory.size < pages { memory.grow(pages - memory.size) }; memory.init segment → base;
 * data.drop segment; call runtimeStart`. A grow the host refuses leaves memory.init out of bounds:
 * instantiation traps, which loaders report.
 */
function staticInit(base: number, length: number, pages: number, segment: number, runtimeStart: () => number): Node {
  return (w) => {
    w.byte(0x3f); w.byte(0x00); // memory.size
    w.byte(0x41); w.s32(pages);
    w.byte(0x49); // i32.lt_u
    w.byte(0x04); w.byte(EMPTY_BLOCK); // if
    w.byte(0x41); w.s32(pages);
    w.byte(0x3f); w.byte(0x00);
    w.byte(0x6b); // i32.sub
    w.byte(0x40); w.byte(0x00); // memory.grow
    w.byte(0x1a); // drop
    w.byte(0x0b); // end
    w.byte(0x41); w.s32(base);
    w.byte(0x41); w.s32(0);
    w.byte(0x41); w.s32(length);
    w.byte(0xfc); w.u32(8); w.u32(segment); w.byte(0x00); // memory.init
    w.byte(0xfc); w.u32(9); w.u32(segment); // data.drop
    w.byte(0x10); w.u32(runtimeStart()); // call
  };
}

/** Generated functions, collected by the code generator and written after the runtime's. */
interface GeneratedFunc {
  name: string;
  params: number;
  result: ValType;
  vars: number;
  body: Node;
}

function bytesEmitter(funcs: GeneratedFunc[]): Emitter {
  return {
    block: (label, body, t) => (w: ByteWriter, r: Resolver) => {
      w.byte(0x02);
      w.byte(blockType(t));
      w.labels.push(label);
      for (const e of body) n(e)(w, r);
      w.labels.pop();
      w.byte(0x0b);
    },
    loop: (label, body) => (w: ByteWriter, r: Resolver) => {
      w.byte(0x03);
      w.byte(EMPTY_BLOCK);
      w.labels.push(label);
      n(body)(w, r);
      w.labels.pop();
      w.byte(0x0b);
    },
    if: (condition, ifTrue) => (w: ByteWriter, r: Resolver) => {
      n(condition)(w, r);
      w.byte(0x04);
      w.byte(EMPTY_BLOCK);
      w.labels.push(null);
      n(ifTrue)(w, r);
      w.labels.pop();
      w.byte(0x0b);
    },
    br: (label, condition) => (w: ByteWriter, r: Resolver) => {
      if (condition !== undefined) n(condition)(w, r);
      w.byte(condition === undefined ? 0x0c : 0x0d);
      w.u32(depth(w, label));
    },
    call: (func, args) => (w: ByteWriter, r: Resolver) => {
      for (const a of args) n(a)(w, r);
      w.byte(0x10);
      w.u32(r.func(func));
    },
    return: (value) => (w: ByteWriter, r: Resolver) => {
      n(value)(w, r);
      w.byte(0x0f);
    },
    localGet: (index) => (w: ByteWriter) => {
      w.byte(0x20);
      w.u32(index);
    },
    localSet: (index, value) => (w: ByteWriter, r: Resolver) => {
      n(value)(w, r);
      w.byte(0x21);
      w.u32(index);
    },
    globalSet: (global, value) => (w: ByteWriter, r: Resolver) => {
      n(value)(w, r);
      w.byte(0x24);
      w.u32(r.global(global));
    },
    i32Const: (value) => (w: ByteWriter) => {
      w.byte(0x41);
      w.s32(value);
    },
    i32Eq: (a, b) => binary(0x46, a, b),
    i32Ne: (a, b) => binary(0x47, a, b),
    i32And: (a, b) => binary(0x71, a, b),
    i32LtS: (a, b) => binary(0x48, a, b),
    i32Eqz: (a) => (w: ByteWriter, r: Resolver) => {
      n(a)(w, r);
      w.byte(0x45);
    },
    i64Const: (value) => (w: ByteWriter) => {
      w.byte(0x42);
      w.s64(value);
    },
    i64ExtendI32S: (a) => (w: ByteWriter, r: Resolver) => {
      n(a)(w, r);
      w.byte(0xac);
    },
    addFunction: (name, params, result, vars, body) => void funcs.push({ name, params, result, vars, body: n(body) }),
  };
}

// ---- reading the runtime module -------------------------------------------------------------

class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public at: number,
  ) {}
  u8(): number {
    return this.bytes[this.at++]!;
  }
  u32(): number {
    let value = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.bytes[this.at++]!;
      value += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return value;
  }
  /** Reads a signed 32-bit LEB128. */
  s32(): number {
    let value = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.bytes[this.at++]!;
      value |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    if (shift < 32 && b & 0x40) value |= -1 << shift;
    return value;
  }
  skipLeb(): void {
    while (this.bytes[this.at++]! & 0x80);
  }
  name(): string {
    const len = this.u32();
    const text = decoder.decode(this.bytes.subarray(this.at, this.at + len));
    this.at += len;
    return text;
  }
}

class Unsupported extends LinkError {}

/**
 * Copies the instructions of `bytes[start, end)` into `out`, renumbering function indices
 * (call, return_call, ref.func). Stops after the `end` that closes depth 0 when `expr` is set
 * (constant expressions), else at `end`.
 */
function copyInstructions(bytes: Uint8Array, start: number, end: number, out: ByteWriter, remap: (f: number) => number, expr = false): number {
  const r = new Reader(bytes, start);
  let nesting = 0;
  while (r.at < end) {
    const from = r.at;
    const op = r.u8();
    switch (op) {
      case 0x10: // call
      case 0x12: // return_call
      case 0xd2: // ref.func
        out.byte(op);
        out.u32(remap(r.u32()));
        continue;
      case 0x02:
      case 0x03:
      case 0x04: {
        const b = bytes[r.at]!;
        if (b === EMPTY_BLOCK || (b >= 0x6f && b <= 0x7f)) r.at++;
        else r.skipLeb();
        nesting++;
        break;
      }
      case 0x0b:
        if (expr && nesting === 0) {
          out.bytes(bytes.subarray(from, r.at));
          return r.at;
        }
        nesting--;
        break;
      case 0x00:
      case 0x01:
      case 0x05:
      case 0x0f:
      case 0x1a:
      case 0x1b:
      case 0xd1:
        break;
      case 0x0c:
      case 0x0d:
      case 0x20:
      case 0x21:
      case 0x22:
      case 0x23:
      case 0x24:
      case 0x25:
      case 0x26:
      case 0x3f:
      case 0x40:
      case 0x41:
      case 0x42:
        r.skipLeb();
        break;
      case 0x0e: {
        const count = r.u32();
        for (let i = 0; i <= count; i++) r.skipLeb();
        break;
      }
      case 0x11:
      case 0x13:
        r.skipLeb();
        r.skipLeb();
        break;
      case 0x1c: {
        const types = r.u32();
        r.at += types;
        break;
      }
      case 0x43:
        r.at += 4;
        break;
      case 0x44:
        r.at += 8;
        break;
      case 0xd0:
        r.at += 1;
        break;
      case 0xfc: {
        const sub = r.u32();
        if (sub <= 7) break;
        if (sub === 9 || sub === 11 || sub === 13 || sub === 15 || sub === 16 || sub === 17) r.skipLeb();
        else if (sub === 8 || sub === 10 || sub === 12 || sub === 14) {
          r.skipLeb();
          r.skipLeb();
        } else throw new Unsupported(`the runtime uses an instruction the fast linker does not know (0xfc ${sub})`);
        break;
      }
      case 0xfd: {
        // SIMD: memory accesses carry a memarg, lane operations a lane byte, const/shuffle 16 bytes
        const sub = r.u32();
        if (sub <= 11 || sub === 92 || sub === 93) {
          r.skipLeb();
          r.skipLeb();
        } else if (sub === 12 || sub === 13) r.at += 16;
        else if (sub >= 21 && sub <= 34) r.at += 1;
        else if (sub >= 84 && sub <= 91) {
          r.skipLeb();
          r.skipLeb();
          r.at += 1;
        }
        break;
      }
      default:
        if (op >= 0x28 && op <= 0x3e) {
          r.skipLeb();
          r.skipLeb();
        } else if (op >= 0x45 && op <= 0xc4) {
          // numeric instructions without immediates
        } else throw new Unsupported(`the runtime uses an instruction the fast linker does not know (0x${op.toString(16)})`);
    }
    out.bytes(bytes.subarray(from, r.at));
  }
  if (expr) throw new LinkError('internal error: unterminated constant expression in the runtime');
  return r.at;
}

interface Import {
  module: string;
  base: string;
  kind: number;
  /** The import's description bytes after the kind (type index, limits, …). */
  desc: Uint8Array;
  typeIndex?: number;
}

interface RuntimeModule {
  bytes: Uint8Array;
  sections: { id: number; start: number; end: number }[];
  /** Function types as their encoded bytes (0x60 params results). */
  types: Uint8Array[];
  imports: Import[];
  /** Type index of each defined function. */
  funcTypes: number[];
  exports: { name: string; kind: number; index: number }[];
  /** Each global's [start, end) and the [start, end) of its init expression. */
  globals: { start: number; initStart: number; end: number }[];
}

let runtimeModule: RuntimeModule | undefined;

function parseRuntime(bytes: Uint8Array): RuntimeModule {
  if (runtimeModule?.bytes === bytes) return runtimeModule;
  const mod: RuntimeModule = { bytes, sections: [], types: [], imports: [], funcTypes: [], exports: [], globals: [] };
  const r = new Reader(bytes, 8);
  while (r.at < bytes.length) {
    const id = r.u8();
    const size = r.u32();
    const start = r.at;
    const end = start + size;
    mod.sections.push({ id, start, end });
    const s = new Reader(bytes, start);
    if (id === 1) {
      for (let i = 0, count = s.u32(); i < count; i++) {
        const from = s.at;
        if (s.u8() !== 0x60) throw new Unsupported('the runtime has a non-function type');
        const params = s.u32();
        s.at += params;
        const results = s.u32();
        s.at += results;
        mod.types.push(bytes.subarray(from, s.at));
      }
    } else if (id === 2) {
      for (let i = 0, count = s.u32(); i < count; i++) {
        const module = s.name();
        const base = s.name();
        const kind = s.u8();
        const from = s.at;
        let typeIndex: number | undefined;
        if (kind === 0) typeIndex = s.u32();
        else if (kind === 1) {
          s.at++;
          const flags = s.u8();
          s.skipLeb();
          if (flags & 1) s.skipLeb();
        } else if (kind === 2) {
          const flags = s.u8();
          s.skipLeb();
          if (flags & 1) s.skipLeb();
        } else if (kind === 3) s.at += 2;
        else throw new Unsupported(`the runtime has an import of kind ${kind}`);
        mod.imports.push({ module, base, kind, desc: bytes.subarray(from, s.at), typeIndex });
      }
    } else if (id === 3) {
      for (let i = 0, count = s.u32(); i < count; i++) mod.funcTypes.push(s.u32());
    } else if (id === 6) {
      const sink = new ByteWriter();
      for (let i = 0, count = s.u32(); i < count; i++) {
        const from = s.at;
        s.at += 2;
        const initStart = s.at;
        s.at = copyInstructions(bytes, s.at, end, sink, (f) => f, true);
        mod.globals.push({ start: from, initStart, end: s.at });
      }
    } else if (id === 7) {
      for (let i = 0, count = s.u32(); i < count; i++) mod.exports.push({ name: s.name(), kind: s.u8(), index: s.u32() });
    }
    r.at = end;
  }
  return (runtimeModule = mod);
}

/** The constant an `i32.const N; end` initialiser gives a global. */
function globalInit(mod: RuntimeModule, index: number): number {
  const g = mod.globals[index];
  const r = new Reader(mod.bytes, g?.initStart ?? 0);
  if (!g || r.u8() !== 0x41) throw new LinkError(`runtime global ${index} has no constant initial value`);
  return r.s32();
}

function funcType(params: number, result: ValType): Uint8Array {
  const w = new ByteWriter();
  w.byte(0x60);
  w.u32(params);
  for (let i = 0; i < params; i++) w.byte(I32);
  if (result === 'i32') {
    w.byte(1);
    w.byte(I32);
  } else w.byte(0);
  return w.result();
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Links `policy` into the runtime without binaryen and returns the finished module's bytes. */
export function linkPolicyFast(policy: Policy, options: LinkOptions): Uint8Array {
  const mod = parseRuntime(readRuntime());
  const exportsByName = new Map(mod.exports.map((e) => [e.name, e]));
  const runtimeFunc = (name: string): number | undefined => {
    const e = exportsByName.get(name);
    return e?.kind === 0 ? e.index : undefined;
  };
  const rtGlobalIndex = (name: string): number => {
    const e = exportsByName.get(name);
    if (e?.kind !== 3) throw new LinkError(`the runtime does not export global ${name}`);
    return e.index;
  };

  // Types: reuse the runtime's, append the ones we need.
  const types = [...mod.types];
  const typeIndex = (params: number, result: ValType): number => {
    const wanted = funcType(params, result);
    let at = types.findIndex((t) => sameBytes(t, wanted));
    if (at < 0) at = types.push(wanted) - 1;
    return at;
  };

  const stmts = allStmts(policy);

  // Builtins (the runtime's own implementation when it has one, else a host builtin) and static data.
  const oldImportFuncs = mod.imports.filter((i) => i.kind === 0);
  const hostImports: { arity: number; name: string }[] = [];
  const { builtins, layout, laid, entrypointNames, hostNames, base, end } = planPolicyStatic(policy, stmts, options, {
    runtimeBuiltin: (name) => {
      const runtimeIndex = runtimeFunc(mangleBuiltin(name));
      if (runtimeIndex === undefined) return undefined;
      const type = runtimeIndex < oldImportFuncs.length ? oldImportFuncs[runtimeIndex]!.typeIndex! : mod.funcTypes[runtimeIndex - oldImportFuncs.length]!;
      return { kind: 'runtime', func: mangleBuiltin(name), params: new Reader(mod.types[type]!, 1).u32() };
    },
    declareHostImport: (arity, name) => hostImports.push({ arity, name }),
    heapPointerInit: () => globalInit(mod, rtGlobalIndex('rt_heap_ptr')),
  });
  const heapPtr = rtGlobalIndex('rt_heap_ptr');
  if (!mod.imports.some((i) => i.kind === 0 && i.module === 'env' && i.base === 'opa_abort')) throw new LinkError('the runtime does not import env.opa_abort');
  const abortImport = 'import:env.opa_abort';

  const funcs: GeneratedFunc[] = [];
  const emitter = bytesEmitter(funcs);
  const planFuncs = generateFunctions({
    module: emitter,
    policy,
    layout,
    rt: (name) => {
      if (runtimeFunc(name) === undefined) throw new LinkError(`the runtime does not export ${name}`);
      return name;
    },
    rtGlobal: (name) => (rtGlobalIndex(name), name),
    builtins,
    abortImport,
  });

  // The `policy.*` imports become generated functions.
  const ctxArg = (): unknown => emitter.localGet(0);
  const dispatch = planFuncs.map((name, id) => emitter.if(emitter.i32Eq(emitter.call('rt_ctx_entrypoint', [ctxArg()], 'i32'), emitter.i32Const(id)), emitter.call(name, [ctxArg()], 'none')));
  const nameObject = (entries: [number, number][]): unknown => {
    const body = [emitter.localSet(0, emitter.call('opa_object', [], 'i32'))];
    for (const [strIndex, id] of entries)
      body.push(
        emitter.call('opa_object_insert', [emitter.localGet(0), emitter.i32Const(laid.values[strIndex]!), emitter.call('opa_number_int', [emitter.i64Const(BigInt(id))], 'i32')], 'none'),
      );
    body.push(emitter.localGet(0));
    return emitter.block(null, body, 'i32');
  };
  const replacements = new Map<string, GeneratedFunc>([
    ['eval', { name: 'policy:eval', params: 1, result: 'none', vars: 0, body: n(emitter.block(null, dispatch, 'none')) }],
    ['builtins', { name: 'policy:builtins', params: 0, result: 'i32', vars: 1, body: n(nameObject(hostNames.map((s, id) => [s, id]))) }],
    ['entrypoints', { name: 'policy:entrypoints', params: 0, result: 'i32', vars: 1, body: n(nameObject(entrypointNames.map((s, id) => [s, id]))) }],
  ]);

  // Function index space: kept imports, host builtin imports, runtime functions, generated ones.
  const keptImports = mod.imports.filter((i) => !(i.kind === 0 && i.module === 'policy'));
  const keptFuncImports = keptImports.filter((i) => i.kind === 0).length;
  const importCount = keptFuncImports + hostImports.length;
  const generated: GeneratedFunc[] = [...funcs];
  for (const imp of oldImportFuncs) {
    if (imp.module !== 'policy') continue;
    const replacement = replacements.get(imp.base);
    if (!replacement) throw new LinkError(`the runtime imports policy.${imp.base}, which the linker does not provide`);
    generated.push(replacement);
  }
  // Static data past the first pages is copied in by a start function (see staticPlacement).
  const placement = staticPlacement(end);
  if (placement.passive && laid.bytes.length > 0) {
    const startSection = mod.sections.find((sec) => sec.id === 8);
    if (!startSection) throw new LinkError('internal error: the runtime has no start function to chain the static data copy to');
    const runtimeStart = new Reader(mod.bytes, startSection.start).u32();
    const dataSection = mod.sections.find((sec) => sec.id === 11);
    const runtimeSegments = dataSection ? new Reader(mod.bytes, dataSection.start).u32() : 0; // ours comes after them
    generated.push({ name: STATIC_INIT, params: 0, result: 'none', vars: 0, body: staticInit(base, laid.bytes.length, placement.pages, runtimeSegments, () => remap(runtimeStart)) });
  }
  const funcIndex = new Map<string, number>();
  const firstGenerated = importCount + mod.funcTypes.length;
  generated.forEach((f, i) => funcIndex.set(f.name, firstGenerated + i));
  hostImports.forEach((h, i) => funcIndex.set(h.name, keptFuncImports + i));
  const oldToNew: number[] = [];
  let nextImport = 0;
  for (const imp of oldImportFuncs) {
    if (imp.module === 'policy') oldToNew.push(funcIndex.get(`policy:${imp.base}`)!);
    else {
      if (imp.module === 'env' && imp.base === 'opa_abort') funcIndex.set(abortImport, nextImport);
      oldToNew.push(nextImport++);
    }
  }
  const remap = (old: number): number => (old < oldImportFuncs.length ? oldToNew[old]! : old - oldImportFuncs.length + importCount);
  for (const e of mod.exports) if (e.kind === 0) funcIndex.set(e.name, remap(e.index));
  const resolver: Resolver = {
    func: (name) => {
      const index = funcIndex.get(name);
      if (index === undefined) throw new CodegenError(`internal error: call of unknown function ${name}`);
      return index;
    },
    global: rtGlobalIndex,
  };
  const genTypes = generated.map((f) => typeIndex(f.params, f.result));
  const hostTypes = hostImports.map((h) => typeIndex(h.arity + 2, 'i32'));

  // Write the module, section by section in the runtime's order.
  const bytes = mod.bytes;
  const out = new ByteWriter();
  out.bytes(bytes.subarray(0, 8));
  const section = (id: number, body: ByteWriter): void => {
    out.byte(id);
    out.sized(body.result());
  };
  for (const { id, start, end: sectionEnd } of mod.sections) {
    const w = new ByteWriter();
    switch (id) {
      case 0:
        continue; // custom sections (names) are dropped, as binaryen's emitter does
      case 1:
        w.u32(types.length);
        for (const t of types) w.bytes(t);
        break;
      case 2:
        w.u32(keptImports.length + hostImports.length);
        for (const imp of keptImports) {
          w.name(imp.module);
          w.name(imp.base);
          w.byte(imp.kind);
          w.bytes(imp.desc);
        }
        hostImports.forEach((h, i) => {
          w.name('env');
          w.name(`opa_builtin${h.arity}`);
          w.byte(0);
          w.u32(hostTypes[i]!);
        });
        break;
      case 3:
        w.u32(mod.funcTypes.length + generated.length);
        for (const t of mod.funcTypes) w.u32(t);
        for (const t of genTypes) w.u32(t);
        break;
      case 6: {
        w.u32(mod.globals.length);
        const strict = options.strictBuiltinErrors && exportsByName.get('rt_strict')?.kind === 3 ? rtGlobalIndex('rt_strict') : -1;
        mod.globals.forEach((g, i) => {
          if (i === heapPtr || i === strict) {
            w.bytes(bytes.subarray(g.start, g.initStart));
            w.byte(0x41);
            w.s32(i === heapPtr ? end : 1);
            w.byte(0x0b);
          } else w.bytes(bytes.subarray(g.start, g.end));
        });
        break;
      }
      case 7: {
        const kept = mod.exports.filter((e) => keepsExport(e.name));
        w.u32(kept.length);
        for (const e of kept) {
          w.name(e.name);
          w.byte(e.kind);
          w.u32(e.kind === 0 ? remap(e.index) : e.index);
        }
        break;
      }
      case 8:
        w.u32(funcIndex.get(STATIC_INIT) ?? remap(new Reader(bytes, start).u32()));
        break;
      case 9: {
        const r = new Reader(bytes, start);
        const count = r.u32();
        w.u32(count);
        for (let i = 0; i < count; i++) {
          const flags = r.u32();
          if (flags !== 0) throw new Unsupported(`the runtime has an element segment of kind ${flags}`);
          w.u32(flags);
          r.at = copyInstructions(bytes, r.at, sectionEnd, w, remap, true);
          const items = r.u32();
          w.u32(items);
          for (let j = 0; j < items; j++) w.u32(remap(r.u32()));
        }
        break;
      }
      case 10: {
        const r = new Reader(bytes, start);
        const count = r.u32();
        w.u32(count + generated.length);
        for (let i = 0; i < count; i++) {
          const size = r.u32();
          const bodyEnd = r.at + size;
          const body = new ByteWriter();
          const localsStart = r.at;
          const locals = r.u32();
          for (let j = 0; j < locals; j++) {
            r.skipLeb();
            r.at++;
          }
          body.bytes(bytes.subarray(localsStart, r.at));
          copyInstructions(bytes, r.at, bodyEnd, body, remap);
          w.sized(body.result());
          r.at = bodyEnd;
        }
        for (const f of generated) {
          const body = new ByteWriter();
          if (f.vars > 0) {
            body.u32(1);
            body.u32(f.vars);
            body.byte(I32);
          } else body.u32(0);
          f.body(body, resolver);
          // A function with a result ends in `return`; `unreachable` types the fall-through.
          if (f.result === 'i32' && f.name.startsWith('policy/func/')) body.byte(0x00);
          body.byte(0x0b);
          w.sized(body.result());
        }
        break;
      }
      case 11: {
        const r = new Reader(bytes, start);
        const count = r.u32();
        w.u32(count + (laid.bytes.length > 0 ? 1 : 0));
        w.bytes(bytes.subarray(r.at, sectionEnd));
        if (laid.bytes.length > 0 && placement.passive) {
          w.byte(1); // passive: copied by the start function
          w.sized(laid.bytes);
        } else if (laid.bytes.length > 0) {
          w.byte(0);
          w.byte(0x41);
          w.s32(base);
          w.byte(0x0b);
          w.sized(laid.bytes);
        }
        break;
      }
      case 12:
        w.u32(new Reader(bytes, start).u32() + (laid.bytes.length > 0 ? 1 : 0));
        break;
      default:
        w.bytes(bytes.subarray(start, sectionEnd));
    }
    section(id, w);
  }
  return out.result();
}
