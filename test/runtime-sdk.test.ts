// The runtime under the official @open-policy-agent/opa-wasm SDK: a tiny policy is linked into
// runtime.wasm with binaryen exactly as README.md asks of the linker (policy.* imports replaced,
// static strings placed at rt_heap_ptr's initial value, the global moved past them), then loaded
// and evaluated through the SDK, which drives the ABI (opa_malloc, opa_json_parse, entrypoints(),
// builtins(), opa_eval, opa_heap_ptr_get/set).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import binaryen from 'binaryen';
import { describe, expect, it } from 'vitest';
import { RUNTIME_WASM } from './runtime-harness.js';

const require = createRequire(import.meta.url);
const { loadPolicy } = require('@open-policy-agent/opa-wasm');

/** Links a policy `test/user = input.user` (plus a constant data lookup) into the runtime. */
export function linkTinyPolicy(): Uint8Array {
  const m = binaryen.readBinary(readFileSync(RUNTIME_WASM));
  // The runtime uses bulk memory (memory.copy/fill), sign extension and mutable globals.
  m.setFeatures(binaryen.Features.All);
  const exported = (name: string) => {
    const info = binaryen.getExportInfo(m.getExport(name));
    return info.value;
  };
  const i32 = binaryen.i32;

  // Static data: string values laid out as README.md documents (16-byte header, then bytes).
  const heapGlobal = exported('rt_heap_ptr');
  const heapStart = binaryen.getExpressionInfo(binaryen.getGlobalInfo(m.getGlobal(heapGlobal)).init) as any;
  let at: number = heapStart.value;
  const data: number[] = [];
  const strings: Record<string, number> = {};
  for (const s of ['user', 'result', 'test/user']) {
    const bytes = new TextEncoder().encode(s);
    const addr = at + data.length;
    const header = new DataView(new ArrayBuffer(16));
    header.setUint32(0, 4, true);
    header.setUint32(4, bytes.length, true);
    header.setUint32(8, addr + 16, true);
    data.push(...new Uint8Array(header.buffer), ...bytes);
    while (data.length % 8) data.push(0);
    strings[s] = addr;
  }
  const end = (at + data.length + 15) & ~15;

  const segments = [];
  for (let i = 0; i < m.getNumDataSegments(); i++) {
    const info = m.getDataSegmentInfo(m.getDataSegmentByIndex(i)) as any;
    segments.push({ offset: m.i32.const(info.offset), data: new Uint8Array(info.data), passive: info.passive });
  }
  segments.push({ offset: m.i32.const(at), data: new Uint8Array(data), passive: false });
  const mem = m.getMemoryInfo() as any;
  // setMemory replaces all segments and turns the memory into a definition: import it again under
  // its internal name (binaryen names the imported memory of a module without names `mimport$0`).
  m.setMemory(mem.initial, -1, null, segments, false, false, 'mimport$0');
  m.addMemoryImport('mimport$0', 'env', 'memory');

  m.removeGlobal(heapGlobal);
  m.addGlobal(heapGlobal, i32, true, m.i32.const(end));

  const call = (name: string, args: number[], type: number = i32) => m.call(exported(name), args, type);
  const importName = (base: string) => {
    for (let i = 0; i < m.getNumFunctions(); i++) {
      const f = binaryen.getFunctionInfo(m.getFunctionByIndex(i));
      if (f.module === 'policy' && f.base === base) return f.name;
    }
    throw new Error('no import policy.' + base);
  };
  const replace = (base: string, params: number, results: number, vars: number[], body: number) => {
    const name = importName(base);
    m.removeFunction(name);
    m.addFunction(name, params, results, vars, body);
  };
  // eval(ctx): result set {{"result": input.user}}
  replace('eval', binaryen.createType([i32]), binaryen.none, [i32], m.block(null, [
    m.local.set(1, call('opa_object', [])),
    call('opa_object_insert', [m.local.get(1, i32), m.i32.const(strings.result),
      call('opa_value_get', [call('rt_ctx_input', [m.local.get(0, i32)]), m.i32.const(strings.user)])], binaryen.none),
    call('opa_set_add', [call('rt_ctx_result', [m.local.get(0, i32)]), m.local.get(1, i32)], binaryen.none),
  ]));
  replace('builtins', binaryen.none, i32, [], call('opa_object', []));
  replace('entrypoints', binaryen.none, i32, [i32], m.block(null, [
    m.local.set(0, call('opa_object', [])),
    call('opa_object_insert', [m.local.get(0, i32), m.i32.const(strings['test/user']),
      call('opa_number_int', [m.i64.const(0n as any)])], binaryen.none),
    m.local.get(0, i32),
  ], i32));
  if (!m.validate()) throw new Error('linked module does not validate');
  return m.emitBinary();
}

describe('runtime static data', () => {
  it('ends below the initial heap pointer, where the linker places the policy data', () => {
    const m = binaryen.readBinary(readFileSync(RUNTIME_WASM));
    let end = 0;
    for (let i = 0; i < m.getNumDataSegments(); i++) {
      const info = m.getDataSegmentInfo(m.getDataSegmentByIndex(i)) as any;
      end = Math.max(end, info.offset + info.data.byteLength);
    }
    const heapGlobal = binaryen.getExportInfo(m.getExport('rt_heap_ptr')).value;
    const heapStart = (binaryen.getExpressionInfo(binaryen.getGlobalInfo(m.getGlobal(heapGlobal)).init) as any).value;
    expect(end).toBeGreaterThan(1024);
    expect(end).toBeLessThanOrEqual(heapStart);
  });
});

describe('runtime under the official SDK', () => {
  it('loads, lists entrypoints and evaluates with data and input', async () => {
    const policy = await loadPolicy(linkTinyPolicy());
    expect(policy.entrypoints).toEqual({ 'test/user': 0 });
    policy.setData({ roles: { admin: ['read'] } });
    expect(policy.evaluate({ user: 'alice' })).toEqual([{ result: 'alice' }]);
    expect(policy.evaluate({ user: { name: 'bob', n: 18446744073709551616n.toString() } }, 'test/user'))
      .toEqual([{ result: { name: 'bob', n: '18446744073709551616' } }]);
  });

  it('keeps memory flat over many evaluations', async () => {
    const policy = await loadPolicy(linkTinyPolicy());
    policy.setData({ x: 1 });
    const input = { user: 'u', attributes: Array.from({ length: 100 }, (_, i) => ({ k: 'key' + i, v: i })) };
    policy.evaluate(input);
    const pages = policy.mem.buffer.byteLength;
    for (let i = 0; i < 5000; i++) policy.evaluate(input);
    expect(policy.mem.buffer.byteLength).toBe(pages);
  });
});
