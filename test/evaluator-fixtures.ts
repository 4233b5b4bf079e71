// Test fixtures for the governance harness: tiny hand-written Wasm modules that follow OPA's Wasm
// ABI 1.2 just far enough for the opa-wasm SDK to load them, each with one behaviour (a fixed result
// set, an endless loop, a trap, memory exhaustion). They exercise how the governor classifies what a
// policy does, independently of the compiler. Real compiled Rego is used where the compiler is needed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import binaryen from 'binaryen';
import { writeBundle } from '../src/bundle/bundle.js';
import { pinBundles } from '../src/bundle/pins.js';
import { compilePolicy } from '../src/wasm/compile.js';
import { expect } from 'vitest';

export type FakeBehaviour =
  | { kind: 'result'; resultSet: string }
  | { kind: 'loop' }
  | { kind: 'trap' }
  | { kind: 'oom' }
  /** A start function that never returns: instantiating the module hangs. */
  | { kind: 'hang-on-load' };

function watString(text: string): string {
  return Array.from(Buffer.from(text + '\0'), (b) => `\\${b.toString(16).padStart(2, '0')}`).join('');
}

/**
 * `metered` adds govern's step-budget exports (src/wasm/runtime/steps.ts) without any metering
 * behind them: the governor then evaluates the module inline (never use it with `loop`).
 */
export function fakePolicyWasm(behaviour: FakeBehaviour, entrypoint = 'test/allow', options: { metered?: boolean } = {}): Uint8Array {
  const body =
    behaviour.kind === 'loop'
      ? '(loop $spin (br $spin))'
      : behaviour.kind === 'trap'
        ? 'unreachable'
        : behaviour.kind === 'oom'
          ? // Grow until the cap refuses, then abort the way govern's runtime allocator does.
            '(block $full (loop $more (br_if $full (i32.eq (memory.grow (i32.const 16)) (i32.const -1))) (br $more))) (call $abort (i32.const 2048)) unreachable'
          : '';
  const result = behaviour.kind === 'result' ? behaviour.resultSet : '[]';
  const wat = `(module
  (import "env" "memory" (memory 2))
  (import "env" "opa_abort" (func $abort (param i32)))
  (global $heap (mut i32) (i32.const 65536))
  (global (export "opa_wasm_abi_version") i32 (i32.const 1))
  (global (export "opa_wasm_abi_minor_version") i32 (i32.const 2))
  (data (i32.const 16) "${watString('{}')}")
  (data (i32.const 64) "${watString(JSON.stringify({ [entrypoint]: 0 }))}")
  (data (i32.const 2048) "${watString('internal_error: out of memory')}")
  (data (i32.const 4096) "${watString(result)}")
  (func (export "opa_malloc") (param $n i32) (result i32) (local $at i32)
    (local.set $at (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $n)))
    (local.get $at))
  (func (export "opa_json_parse") (param i32 i32) (result i32) (i32.const 1))
  (func (export "opa_json_dump") (param $v i32) (result i32) (local.get $v))
  (func (export "opa_heap_ptr_get") (result i32) (global.get $heap))
  (func (export "opa_heap_ptr_set") (param $p i32) (global.set $heap (local.get $p)))
  (func (export "builtins") (result i32) (i32.const 16))
  (func (export "entrypoints") (result i32) (i32.const 64))
  (func (export "opa_eval") (param i32 i32 i32 i32 i32 i32 i32) (result i32) ${body} (i32.const 4096))
  ${options.metered ? '(func (export "govern_steps_set") (param i64)) (func (export "govern_steps_left") (result i64) (i64.const 0))' : ''}
  ${behaviour.kind === 'hang-on-load' ? '(func $hang (loop $spin (br $spin))) (start $hang)' : ''}
)`;
  const module = binaryen.parseText(wat);
  try {
    if (!module.validate()) throw new Error('invalid fixture module');
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}

export function tempDir(prefix = 'govern-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a bundle around `wasm` into `dir`, pins it unless told not to; returns its path. */
export function writeFakeBundle(dir: string, wasm: Uint8Array, options: { name?: string; pin?: boolean; entrypoint?: string } = {}): string {
  const path = join(dir, options.name ?? 'policy.tar.gz');
  writeFileSync(path, writeBundle({ wasm, entrypoints: [options.entrypoint ?? 'test/allow'] }));
  if (options.pin !== false) pinBundles(join(dir, 'govern.lock'), [path]);
  return path;
}

/** Compiles `rego` with govern's compiler into `dir/<name>.tar.gz` and pins it; returns the bundle's path. */
export function writeRegoBundle(dir: string, name: string, rego: string, entrypoint: string): string {
  const compiled = compilePolicy([{ file: `${name}.rego`, text: rego }], { entrypoints: [entrypoint] });
  expect(compiled.errors).toEqual([]);
  return writeFakeBundle(dir, compiled.wasm!, { name: `${name}.tar.gz`, entrypoint });
}

export const SAMPLE_REQUEST = {
  subject: { id: 'agent-7', type: 'agent' },
  action: 'shell.exec',
  resource: 'ls',
  args: { argv: ['ls', '-la'] },
  context: { cwd: '/tmp' },
};
