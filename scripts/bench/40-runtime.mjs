// The Wasm value runtime on its own (dist/runtime/runtime.wasm with a JS stub as the policy):
// what one ABI 1.2 evaluation costs before any policy logic runs (write input text, opa_eval:
// reset heap, parse input JSON, dump the result set), plus lookups, against the goal of staying
// within 2x of JSON.parse(JSON.stringify(input)) in JS for a whole RBAC evaluation.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wasm = readFileSync(join(root, 'dist/runtime/runtime.wasm'));

const memory = new WebAssembly.Memory({ initial: 5 });
let x;
const encoder = new TextEncoder();
const keys = {};
let onEval = () => {};
const instance = new WebAssembly.Instance(new WebAssembly.Module(wasm), {
  env: { memory, opa_abort: () => { throw new Error('abort'); }, opa_println: () => {} },
  policy: { eval: (ctx) => onEval(ctx), builtins: () => x.opa_object(), entrypoints: () => x.opa_object() },
});
x = instance.exports;

function staticString(s) {
  const bytes = encoder.encode(s);
  const p = x.opa_malloc(bytes.length);
  new Uint8Array(memory.buffer).set(bytes, p);
  return x.opa_string(p, bytes.length);
}
function loadJSON(value) {
  const bytes = encoder.encode(JSON.stringify(value));
  const p = x.opa_malloc(bytes.length);
  new Uint8Array(memory.buffer).set(bytes, p);
  return x.opa_json_parse(p, bytes.length);
}

// An RBAC-shaped input and data document.
const input = {
  user: 'alice',
  action: 'deploy',
  resource: { kind: 'service', name: 'payments', env: 'prod', labels: { team: 'core', tier: '1' } },
  context: { ip: '10.0.0.7', time: '2026-11-26T10:00:00Z', mfa: true, groups: ['dev', 'oncall', 'sre'] },
};
const data = {
  user_roles: { alice: ['developer', 'deployer'], bob: ['viewer'] },
  role_grants: {
    developer: [{ action: 'read', kind: 'service' }, { action: 'write', kind: 'service' }],
    deployer: [{ action: 'deploy', kind: 'service' }],
    viewer: [{ action: 'read', kind: 'service' }],
  },
};
for (const k of ['user', 'action', 'resource', 'kind', 'user_roles', 'role_grants', 'result']) keys[k] = staticString(k);
const dataAddr = loadJSON(data);
const base = x.opa_heap_ptr_get();

// The policy logic in JS over runtime calls: allow if some role of input.user grants the action on
// the kind (what generated code does with Dot/Scan/Equal).
onEval = (ctx) => {
  const inp = x.rt_ctx_input(ctx);
  const d = x.rt_ctx_data(ctx);
  const action = x.opa_value_get(inp, keys.action);
  const kind = x.opa_value_get(x.opa_value_get(inp, keys.resource), keys.kind);
  const roles = x.opa_value_get(x.opa_value_get(d, keys.user_roles), x.opa_value_get(inp, keys.user));
  let allow = false;
  for (let c = x.rt_iter_next(roles, -1); c !== -1 && !allow; c = x.rt_iter_next(roles, c)) {
    const grants = x.opa_value_get(x.opa_value_get(d, keys.role_grants), x.rt_iter_value(roles, c));
    for (let g = x.rt_iter_next(grants, -1); g !== -1; g = x.rt_iter_next(grants, g)) {
      const grant = x.rt_iter_value(grants, g);
      if (x.opa_value_equal(x.opa_value_get(grant, keys.action), action) && x.opa_value_equal(x.opa_value_get(grant, keys.kind), kind)) { allow = true; break; }
    }
  }
  const r = x.opa_object();
  x.opa_object_insert(r, keys.result, x.opa_boolean(allow ? 1 : 0));
  x.opa_set_add(x.rt_ctx_result(ctx), r);
};

function evaluate(value) {
  const bytes = encoder.encode(JSON.stringify(value));
  new Uint8Array(memory.buffer).set(bytes, base);
  const out = x.opa_eval(0, 0, dataAddr, base, bytes.length, base + bytes.length, 0);
  const buf = new Uint8Array(memory.buffer);
  let end = out;
  while (buf[end] !== 0) end++;
  return JSON.parse(new TextDecoder().decode(buf.subarray(out, end)));
}

function measure(label, fn, n = 200000) {
  for (let i = 0; i < 20000; i++) fn();
  globalThis.gc?.();
  const samples = [];
  const batch = 100;
  for (let i = 0; i < n / batch; i++) {
    const t = process.hrtime.bigint();
    for (let j = 0; j < batch; j++) fn();
    samples.push(Number(process.hrtime.bigint() - t) / batch);
  }
  samples.sort((a, b) => a - b);
  const p50 = samples[Math.floor(samples.length * 0.5)];
  const p99 = samples[Math.floor(samples.length * 0.99)];
  console.log(`${label.padEnd(58)} p50 ${(p50 / 1000).toFixed(2)} µs  p99 ${(p99 / 1000).toFixed(2)} µs`);
  return p50;
}

if (JSON.stringify(evaluate(input)) !== '[{"result":true}]') throw new Error('bench policy gives a wrong answer');
const baseline = measure('JS baseline: JSON.parse(JSON.stringify(input))', () => JSON.parse(JSON.stringify(input)));
const full = measure('runtime: stringify + opa_eval (parse, RBAC logic via JS calls, dump) + JSON.parse', () => evaluate(input));
const pages0 = memory.buffer.byteLength;
for (let i = 0; i < 1000000; i++) evaluate(input);
console.log(`ratio runtime/baseline: ${(full / baseline).toFixed(2)}x (goal for the compiled policy: <= 2x; here the policy logic crosses the JS/Wasm boundary per call)`);
console.log(`memory after 1,000,000 more evaluations: ${memory.buffer.byteLength === pages0 ? 'flat' : 'GREW'} (${memory.buffer.byteLength / 65536} pages)`);

const big = { items: Array.from({ length: 1000 }, (_, i) => ({ id: i, name: 'item' + i, tags: ['a', 'b'], price: i * 1.25 })) };
const bigText = encoder.encode(JSON.stringify(big));
const parseBase = measure('JS JSON.parse of a 1000-element array of objects', () => JSON.parse(JSON.stringify(big)), 2000);
const parseWasm = measure('runtime opa_json_parse + opa_json_dump of the same', () => {
  x.opa_heap_ptr_set(base);
  const p = x.opa_malloc(bigText.length);
  new Uint8Array(memory.buffer).set(bigText, p);
  x.opa_json_dump(x.opa_json_parse(p, bigText.length));
}, 2000);
console.log(`ratio parse+dump/JS: ${(parseWasm / parseBase).toFixed(2)}x`);

// Where an evaluation of the compiled RBAC policy of 30-compiler.mjs goes: the SDK's evaluate()
// against opa_eval called directly (same input text already in memory), its input parse alone and
// an evaluation with no input (fixed cost: context, result set, dump), each as a ratio to
// JSON.parse(JSON.stringify(input)), interleaved in rounds so machine load hits all alike.
const { loadPolicy } = await import('@open-policy-agent/opa-wasm');
const { compilePolicy } = await import('../../dist/wasm/compile.js');
const { RBAC_POLICY, rbacData, RBAC_INPUT: rbacInput } = await import('./fixtures/rbac.mjs');
const rbac = compilePolicy([{ file: 'rbac.rego', text: RBAC_POLICY }], { entrypoints: ['rbac/allow'] });
if (!rbac.wasm) {
  console.log(`rbac breakdown: compile failed: ${rbac.errors.map((e) => e.message).join('; ')}`);
} else {
  const policy = await loadPolicy(rbac.wasm);
  policy.setData(rbacData());
  const px = policy.wasmInstance.exports;
  const text = encoder.encode(JSON.stringify(rbacInput));
  const at = policy.dataHeapPtr + 4096;
  if (at + text.length + 65536 > policy.mem.buffer.byteLength) policy.mem.grow(2);
  new Uint8Array(policy.mem.buffer).set(text, at);
  const heap = at + text.length + 64;
  const parts = {
    'JSON.parse(JSON.stringify(input))': () => JSON.parse(JSON.stringify(rbacInput)),
    'SDK evaluate()': () => policy.evaluate(rbacInput, 'rbac/allow'),
    'opa_eval direct (parse + policy + dump)': () => px.opa_eval(0, 0, policy.dataAddr, at, text.length, heap, 0),
    '  of which input parse (opa_json_parse)': () => { px.opa_heap_ptr_set(heap); px.opa_json_parse(at, text.length); },
    '  of which fixed cost (opa_eval, no input)': () => px.opa_eval(0, 0, policy.dataAddr, 0, 0, heap, 0),
  };
  const samples = Object.fromEntries(Object.keys(parts).map((k) => [k, []]));
  for (const fn of Object.values(parts)) for (let i = 0; i < 20000; i++) fn();
  for (let round = 0; round < 15; round++) {
    for (const [label, fn] of Object.entries(parts)) {
      const t = process.hrtime.bigint();
      for (let i = 0; i < 10000; i++) fn();
      samples[label].push(Number(process.hrtime.bigint() - t) / 10000);
    }
  }
  const median = (a) => a.sort((p, q) => p - q)[a.length >> 1];
  const floor = median(samples['JSON.parse(JSON.stringify(input))']);
  for (const [label, s] of Object.entries(samples)) {
    const m = median(s);
    console.log(`rbac breakdown: ${label.padEnd(44)} median ${(m / 1000).toFixed(2)} µs  ${(m / floor).toFixed(2)}x`);
  }
  console.log('rbac breakdown: SDK evaluate() minus opa_eval is the SDK\'s own JS work (stringify, TextEncoder/Decoder, JSON.parse of the result)');
}
