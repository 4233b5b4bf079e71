// The parts of linking that do not depend on how the module is written (binaryen in link.ts, our
// own byte writer in emit.ts): the ABI's export list, the runtime's bytes, the static data layout.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Block, Policy, Stmt, Where } from '../plan/ir.js';
import { CodegenError, conflictMessage, type BuiltinTarget, type StaticLayout } from './codegen.js';
import { GOVERN_EXPORTS, SDK_BUILTIN_NAMES } from './govern-abi.js';

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

/** Whether a runtime export survives linking. */
export function keepsExport(name: string): boolean {
  return ABI_EXPORTS.has(name) || GOVERN_EXPORTS.has(name);
}

/**
 * The memory every host gives a module at first: the SDK's default of 5 pages. Static data that
 * fits below it goes into an active data segment. Larger static data would make instantiation fail
 * in such a host, so it goes into a passive segment instead, which a start function copies into
 * place after growing the memory (see staticInit in both linkers).
 */
export const STATIC_LIMIT = 5 * 65536;

/** Whether the static data ending at `end` must be copied in by a start function, and the pages it needs. */
export function staticPlacement(end: number): { passive: boolean; pages: number } {
  return { passive: end > STATIC_LIMIT, pages: Math.ceil(end / 65536) };
}

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

/** Every statement of a block tree, depth first. */
export function* walkStmts(blocks: Block[]): Generator<Stmt> {
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
export function conflictTexts(policy: Policy): string[] {
  const out: string[] = [];
  for (const f of policy.funcs)
    for (const s of walkStmts(f.blocks)) {
      if (s.type !== 'AssignVarOnce') continue;
      const text = conflictMessage(policy.static.files, f.path, s);
      if (text) out.push(text);
    }
  return out;
}

export function allStmts(policy: Policy): Stmt[] {
  const out: Stmt[] = [];
  for (const f of policy.funcs) out.push(...walkStmts(f.blocks));
  for (const p of policy.plans) out.push(...walkStmts(p.blocks));
  return out;
}

export function mangleBuiltin(name: string): string {
  return `rt_builtin_${name.replace(/\./g, '_')}`;
}

const encoder = new TextEncoder();

/** Lays out the static strings (value headers, then bytes) and location texts from `base`. */
export function layoutStatic(strings: string[], locations: string[], base: number): { layout: Map<string, number>; bytes: Uint8Array; values: number[]; texts: { ptr: number; len: number }[] } {
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

export function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** What the two module writers supply to {@link planPolicyStatic}: the parts that depend on how a module is read and written. */
export interface StaticHooks {
  /** The runtime's own implementation of a builtin, if it has one. */
  runtimeBuiltin: (name: string) => BuiltinTarget | undefined;
  /** Declare the host import for builtins of this arity (called once per arity, with the import's internal name). */
  declareHostImport: (arity: number, importName: string) => void;
  /** The initial value of the runtime's heap-pointer global: static data starts there. */
  heapPointerInit: () => number;
}

export interface PolicyStatic {
  builtins: Map<string, BuiltinTarget>;
  layout: StaticLayout;
  /** The laid-out static data (bytes placed at `base`). */
  laid: ReturnType<typeof layoutStatic>;
  /** Static string indices of the entrypoint names and host builtin names (in id order). */
  entrypointNames: number[];
  hostNames: number[];
  /** Where the static data starts, and the new heap pointer after it. */
  base: number;
  end: number;
}

/**
 * Resolve every builtin the policy calls (runtime implementation, else host builtin with an id) and
 * lay out its static data: the policy's strings, entrypoint and host builtin names, location texts.
 */
export function planPolicyStatic(policy: Policy, stmts: Stmt[], options: LinkOptions, hooks: StaticHooks): PolicyStatic {
  const funcNames = new Set(policy.funcs.map((f) => f.name));
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
    const runtime = hooks.runtimeBuiltin(name);
    if (runtime) {
      builtins.set(name, runtime);
      continue;
    }
    if (!options.hostBuiltins.has(name)) {
      throw new LinkError(`undefined function ${name}: govern has no implementation of this builtin`, where);
    }
    if (arity > 4) throw new LinkError(`builtin ${name} takes ${arity} arguments; host builtins take at most 4`, where);
    let importName = importsByArity.get(arity);
    if (!importName) {
      importName = `policy/opa_builtin${arity}`;
      hooks.declareHostImport(arity, importName);
      importsByArity.set(arity, importName);
    }
    const id = hostIds.size;
    hostIds.set(name, id);
    builtins.set(name, { kind: 'host', id, import: importName, marksSets: !SDK_BUILTIN_NAMES.includes(name) });
  }

  const strings = [...policy.static.strings];
  const extra = (s: string): number => {
    strings.push(s);
    return strings.length - 1;
  };
  const entrypointNames = policy.plans.map((p) => extra(p.name));
  const hostNames = [...hostIds.keys()].map((name) => extra(name));
  const locationText = (w: Where): string => `${policy.static.files[w.file] ?? '?'}:${w.row}:${w.col}`;
  const locations = [...new Set([...stmts.flatMap((s) => ('where' in s && s.where ? [locationText(s.where)] : [])), ...conflictTexts(policy)])];
  const base = align(hooks.heapPointerInit(), 16);
  const laid = layoutStatic(strings, locations, base);
  const end = align(base + laid.bytes.length, 16);
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
  return { builtins, layout, laid, entrypointNames, hostNames, base, end };
}
