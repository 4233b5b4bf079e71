// Compiler and generated-code benchmarks:
//  1. median compile time per conformance case (parse → check → plan → codegen → link);
//  2. wall time of `govern build` for a ~50 KB policy (goal < 1 s);
//  3. evaluation latency of an RBAC policy through the opa-wasm SDK, as a ratio to
//     JSON.parse(JSON.stringify(input)) of the same input in the same run (goal ≤ 2x);
//  4. memory: 1,000,000 evaluations leave Wasm memory and process RSS flat.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { compilePolicy } from '../../dist/wasm/compile.js';
import { loadCases } from '../../dist/conformance/cases.js';
import { DEFAULT_SUITE_DIR } from '../../dist/conformance/baseline.js';
import { QUERY_ENTRYPOINT } from '../../dist/conformance/run.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'dist', 'cli', 'main.js');

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
const fmt = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`);

// 1. Compile time per conformance case.
if (existsSync(DEFAULT_SUITE_DIR)) {
  const cases = loadCases(DEFAULT_SUITE_DIR).filter((c) => c.query !== undefined);
  const times = [];
  let compiled = 0;
  for (const c of cases) {
    const sources = (c.modules ?? []).map((text, i) => ({ file: `module-${i}.rego`, text }));
    const t0 = performance.now();
    let result;
    try {
      result = compilePolicy(sources, { entrypoints: [], queries: [{ name: QUERY_ENTRYPOINT, text: c.query }] });
    } catch {
      continue;
    }
    times.push(performance.now() - t0);
    if (result.wasm) compiled++;
  }
  times.sort((a, b) => a - b);
  console.log(
    `compile per conformance case: median ${fmt(quantile(times, 0.5))}, p99 ${fmt(quantile(times, 0.99))} ` +
      `(${times.length} cases, ${compiled} produced wasm)`,
  );
} else {
  console.log(`compile per conformance case: skipped (no suite at ${DEFAULT_SUITE_DIR})`);
}

// 2. `govern build` of a ~50 KB policy.
const dir = mkdtempSync(join(tmpdir(), 'govern-bench-compiler-'));
let big = 'package big\n\nimport rego.v1\n\n';
for (let i = 0; big.length < 50_000; i++) {
  big += `allow_${i} if {\n\tsome r in input.roles\n\tr == "role_${i}"\n\tinput.action in {"read", "write", "op_${i}"}\n\tcount(input.roles) < ${i + 10}\n}\n\n`;
  big += `limit_${i} := x if {\n\tx := data.limits[input.user] * ${i}\n} else := ${i}\n\n`;
}
big += 'allow if allow_0\n\nallow if allow_1\n';
writeFileSync(join(dir, 'big.rego'), big);
// The child reports its own CPU time (user + system) on stderr as it exits.
const reportCpu = `data:text/javascript,process.on('exit',()=>{const u=process.cpuUsage();process.stderr.write('cpu_ms='+((u.user+u.system)/1000).toFixed(0)+'\\n')})`;
function timeBuild(extra) {
  const wall = [];
  const cpu = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const out = spawnSync(process.execPath, ['--import', reportCpu, cli, 'build', join(dir, 'big.rego'), '-e', 'big/allow_0', '-e', 'big/limit_0', '-o', join(dir, 'big.tar.gz'), ...extra], { encoding: 'utf8' });
    wall.push(performance.now() - t0);
    if (out.status !== 0) throw new Error(`govern build failed: ${out.stderr}`);
    cpu.push(Number(/cpu_ms=(\d+)/.exec(out.stderr)?.[1] ?? NaN));
  }
  wall.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return { wall: quantile(wall, 0.5), cpu: quantile(cpu, 0.5) };
}
const fast = timeBuild([]);
const optimised = timeBuild(['--optimize']);
console.log(
  `govern build of a ${(big.length / 1024).toFixed(1)} KB policy: median wall ${fmt(fast.wall)}, CPU ${fmt(fast.cpu)} ` +
    `(goal < 1 s, includes node start-up); with --optimize (binaryen): wall ${fmt(optimised.wall)}, CPU ${fmt(optimised.cpu)}`,
);

// 3. RBAC evaluation latency vs JSON round trip of the same input.
const { RBAC_POLICY, rbacData, RBAC_INPUT } = await import('./fixtures/rbac.mjs');
const data = rbacData();
const input = RBAC_INPUT;
const compiled = compilePolicy([{ file: 'rbac.rego', text: RBAC_POLICY }], { entrypoints: ['rbac/allow'] });
if (!compiled.wasm) {
  console.log(`rbac: compile failed: ${compiled.errors.map((e) => e.message).join('; ')}`);
} else {
  const policy = await loadPolicy(compiled.wasm);
  policy.setData(data);
  const answer = policy.evaluate(input, 'rbac/allow');
  const N = 20_000;
  for (let i = 0; i < 2000; i++) policy.evaluate(input, 'rbac/allow');
  const rounds = 7;
  const evalNs = [];
  const jsonNs = [];
  for (let r = 0; r < rounds; r++) {
    let t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) policy.evaluate(input, 'rbac/allow');
    evalNs.push(Number(process.hrtime.bigint() - t0) / N);
    t0 = process.hrtime.bigint();
    let sink = 0;
    for (let i = 0; i < N; i++) sink += JSON.parse(JSON.stringify(input)).user.length;
    jsonNs.push(Number(process.hrtime.bigint() - t0) / N);
    if (sink < 0) console.log(sink);
  }
  evalNs.sort((a, b) => a - b);
  jsonNs.sort((a, b) => a - b);
  const evalMed = quantile(evalNs, 0.5);
  const jsonMed = quantile(jsonNs, 0.5);
  console.log(`rbac eval through SDK: median ${(evalMed / 1000).toFixed(2)} µs/eval (answer ${JSON.stringify(answer)})`);
  console.log(`JSON.parse(JSON.stringify(input)): median ${(jsonMed / 1000).toFixed(2)} µs`);
  console.log(`ratio eval / JSON round trip: ${(evalMed / jsonMed).toFixed(2)}x (goal ≤ 2x; OPA's own wasm measured ~4x)`);

  // 4. Memory stays flat across 1,000,000 evaluations.
  globalThis.gc?.();
  const memBefore = policy.mem.buffer.byteLength;
  const rssBefore = process.memoryUsage().rss;
  const M = 1_000_000;
  const t0 = performance.now();
  for (let i = 0; i < M; i++) policy.evaluate(input, 'rbac/allow');
  const seconds = (performance.now() - t0) / 1000;
  globalThis.gc?.();
  const memAfter = policy.mem.buffer.byteLength;
  const rssAfter = process.memoryUsage().rss;
  const mb = (b) => `${(b / 1048576).toFixed(1)} MB`;
  console.log(`1,000,000 evaluations in ${seconds.toFixed(1)} s: wasm memory ${mb(memBefore)} → ${mb(memAfter)}, RSS ${mb(rssBefore)} → ${mb(rssAfter)}`);
}
