// Governed decisions per second with the shipped agent policy (bundles/agent.tar.gz), in one process:
// each decision = request validation + canonical input digest + Wasm evaluation (step budget and
// memory cap on) + decision record + Ed25519-signed artifact on allow, and, in the last runs, the
// append to the audit log. Evaluated inline (the default for govern-linked policies) and, for
// comparison, in worker threads. Goal: >= 10,000 decisions/s and p99 < 1 ms.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGovernor } from '../../dist/evaluator/index.js';
import { generateKeys } from '../../dist/artifact/keys.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'govern-bench-'));
copyFileSync(join(root, 'bundles/agent.tar.gz'), join(dir, 'agent.tar.gz'));
copyFileSync(join(root, 'bundles/govern.lock'), join(dir, 'govern.lock'));
const keys = await generateKeys('EdDSA');

const subject = { id: 'agent-7', type: 'agent' };
const REQUESTS = [
  { subject, action: 'shell.exec', resource: 'ls', args: { argv: ['ls', '-la'] }, context: {} },
  { subject, action: 'shell.exec', resource: 'git', args: { argv: ['git', 'push'] }, context: {} },
  { subject, action: 'http.request', resource: 'https://api.github.com/repos/o/r', args: { method: 'GET' }, context: {} },
  { subject, action: 'http.request', resource: 'https://evil.example.org/x', args: {}, context: {} },
  { subject, action: 'payment.create', resource: 'acct:acme', args: { amount: 40, currency: 'USD' }, context: {} },
  { subject, action: 'payment.create', resource: 'acct:acme', args: { amount: 250, currency: 'USD' }, context: { approvals: [{ by: 'alice', role: 'finance' }] } },
  { subject, action: 'data.read', resource: 'hr/salaries', args: {}, context: { classification: 'confidential' } },
  { subject, action: 'data.read', resource: 'crm/contacts', args: {}, context: { classification: 'internal' } },
];

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** Runs `total` decisions with `lanes` concurrent callers; returns throughput and latency. */
async function measure(governor, total, lanes) {
  const latencies = new Float64Array(total);
  let next = 0;
  let allowed = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  async function lane() {
    while (next < total) {
      const i = next++;
      const t = performance.now();
      const d = await governor.authorize(REQUESTS[i % REQUESTS.length]);
      latencies[i] = performance.now() - t;
      if (d.allowed) allowed++;
    }
  }
  await Promise.all(Array.from({ length: lanes }, lane));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  latencies.sort();
  return {
    perSecond: total / seconds,
    p50: percentile(latencies, 0.5) * 1000,
    p99: percentile(latencies, 0.99) * 1000,
    allowed,
    total,
    // CPU of all threads (main + workers) per decision: steadier than wall time on a busy machine.
    cpuMicros: (cpu.user + cpu.system) / total,
  };
}

/** `goal`: whether the line is held to the goal (the audited runs add an fsync per decision). */
function report(label, r, goal = true) {
  const ok = r.perSecond >= 10_000 && r.p99 < 1000;
  console.log(
    `${label.padEnd(44)} ${Math.round(r.perSecond).toString().padStart(7)} decisions/s   p50 ${r.p50.toFixed(0).padStart(5)} µs   p99 ${r.p99.toFixed(0).padStart(5)} µs   CPU ${r.cpuMicros.toFixed(0).padStart(4)} µs/decision   (${((r.allowed / r.total) * 100).toFixed(0)}% allowed)` +
      (goal ? `  goal ≥10,000/s & p99 <1 ms: ${ok ? 'met' : 'NOT met'}` : ''),
  );
}

const TOTAL = Number(process.env.GOVERN_BENCH_DECISIONS ?? 40_000);
console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${(await import('node:os')).availableParallelism()} cores (other work on the machine slows every number below)`);
const governors = [];
for (const [isolation, workers] of [['inline', undefined], ['worker', 2]]) {
  const governor = await createGovernor({ bundle: join(dir, 'agent.tar.gz'), entrypoint: 'agent/decision', signingKey: JSON.stringify(keys.privateJwk), isolation, workers });
  governors.push(governor);
  if (!governor.status().active) throw new Error(`bundle not active: ${governor.status().reason} ${governor.status().detail}`);
  await measure(governor, 5000, 8); // warm-up (JIT, workers)
  for (const lanes of [1, 2, 4, 8]) {
    const where = isolation === 'inline' ? 'inline' : `${workers} workers`;
    report(`evaluate+sign+record, ${where}, ${lanes} caller${lanes > 1 ? 's' : ''}`, await measure(governor, TOTAL, lanes));
  }
}
const governor = governors[0];

// With the audit log (src/audit): every decision appended (group-committed) before it is returned.
let audit;
try {
  audit = await import('../../dist/audit/index.js');
} catch {
  audit = undefined;
}
if (audit?.withAudit && audit?.FileAuditStore) {
  const store = await audit.FileAuditStore.open(join(dir, 'audit.log'));
  const audited = audit.withAudit(governor, store);
  await measure(audited, 2000, 16);
  for (const lanes of [1, 16]) {
    report(`... + audit log append, inline, ${lanes} caller${lanes > 1 ? 's' : ''}`, await measure(audited, Math.min(TOTAL, 20_000), lanes), false);
  }
  await store.close();
} else {
  console.log('(audit log not built: skipping the run with the audit append)');
}
await Promise.all(governors.map((g) => g.close()));
rmSync(dir, { recursive: true, force: true });
