// Audit log: appends per second with durability on (each append fsync'ed before it resolves;
// concurrent appends share one write + fsync), the same without fsync for comparison, the cost of
// a governed decision with the audit append versus without it, and verify / prove over the log.
// Goals: >= 200 durable appends/s from one sequential caller (one fsync each), >= 5,000/s with 64
// concurrent callers (group commit), and the audit append adding no more than one fsync to a decision.
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileAuditStore, withAudit, verifyLogFile, buildInclusionProof, readLogLines, createCheckpointSigner } from '../../dist/audit/index.js';
import { createGovernor } from '../../dist/evaluator/index.js';
import { generateKeys } from '../../dist/artifact/keys.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'govern-bench-audit-'));
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

const entry = (i) => ({
  kind: 'decision',
  jti: `bench-${i}`,
  body: { record: { version: 1, decision: i % 4 ? 'allow' : 'deny', allow: i % 4 !== 0, reasons: [i % 4 ? 'ALLOWED' : 'POLICY_DENIED'], input_sha256: 'ab'.repeat(32), time_ns: String(1_767_225_600_000_000_000n + BigInt(i)) } },
});

async function appends(label, { durable, lanes, total }) {
  const log = join(dir, `${label.replace(/\W+/g, '-')}.log`);
  const store = await FileAuditStore.open(log, { durable });
  const latencies = new Float64Array(total);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < total) {
        const i = next++;
        const t = performance.now();
        await store.append(entry(i));
        latencies[i] = performance.now() - t;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  latencies.sort();
  return { perSecond: total / seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), log };
}

const fmt = (r) => `${Math.round(r.perSecond).toString().padStart(7)} appends/s   p50 ${r.p50.toFixed(3).padStart(7)} ms   p99 ${r.p99.toFixed(3).padStart(7)} ms`;

const seq = await appends('durable, 1 caller', { durable: true, lanes: 1, total: 1000 });
console.log(`audit append, fsync on,  1 caller:   ${fmt(seq)}   goal ≥200/s: ${seq.perSecond >= 200 ? 'met' : 'NOT met'}`);
const conc = await appends('durable, 64 callers', { durable: true, lanes: 64, total: 20000 });
console.log(`audit append, fsync on, 64 callers:   ${fmt(conc)}   goal ≥5,000/s: ${conc.perSecond >= 5000 ? 'met' : 'NOT met'}`);
const loose = await appends('no fsync, 1 caller', { durable: false, lanes: 1, total: 20000 });
console.log(`audit append, fsync off, 1 caller:   ${fmt(loose)}   (what durability costs: ×${(loose.perSecond / seq.perSecond).toFixed(1)})`);

// Verification and proofs over the 20,000-record log.
{
  let t = performance.now();
  const report = await verifyLogFile(conc.log);
  const verifyMs = performance.now() - t;
  const keys = await generateKeys('EdDSA');
  const store = await FileAuditStore.open(conc.log, { signer: await createCheckpointSigner(keys.privateJwk) });
  const checkpoint = await store.checkpoint();
  await store.close();
  const lines = await readLogLines(conc.log);
  t = performance.now();
  const proof = buildInclusionProof(lines, [checkpoint], { jti: 'bench-12345' });
  const proveMs = performance.now() - t;
  console.log(
    `audit verify ${report.records} records: ${verifyMs.toFixed(0)} ms (${Math.round(report.records / (verifyMs / 1000))} records/s, ok=${report.ok});  inclusion proof: ${proveMs.toFixed(0)} ms, ${proof.path.length} hashes`,
  );
}

// A governed decision with and without the audit append (sequential: the latency one caller sees).
let bundle = join(root, 'bundles/agent.tar.gz');
let entrypoint = 'agent/decision';
const request = { subject: { id: 'agent-7', type: 'agent' }, action: 'shell.exec', resource: 'ls', args: { argv: ['ls', '-la'] }, context: {} };
if (existsSync(bundle)) {
  copyFileSync(bundle, join(dir, 'agent.tar.gz'));
  copyFileSync(join(root, 'bundles/govern.lock'), join(dir, 'govern.lock'));
  bundle = join(dir, 'agent.tar.gz');
} else {
  const { compilePolicy } = await import('../../dist/wasm/compile.js');
  const { writeBundle } = await import('../../dist/bundle/bundle.js');
  const { pinBundles } = await import('../../dist/bundle/pins.js');
  const compiled = compilePolicy([{ file: 'p.rego', text: 'package p\n\ndecision if input.resource == "ls"\n' }], { entrypoints: ['p/decision'] });
  bundle = join(dir, 'p.tar.gz');
  writeFileSync(bundle, writeBundle({ wasm: compiled.wasm, entrypoints: ['p/decision'] }));
  pinBundles(join(dir, 'govern.lock'), [bundle]);
  entrypoint = 'p/decision';
}
const keys = await generateKeys('EdDSA');
const governor = await createGovernor({ bundle, entrypoint, signingKey: JSON.stringify(keys.privateJwk) });
if (!governor.status().active) throw new Error(`bundle not active: ${governor.status().reason} ${governor.status().detail}`);

async function decisions(g, total) {
  const latencies = new Float64Array(total);
  for (let i = 0; i < total; i++) {
    const t = performance.now();
    await g.authorize(request);
    latencies[i] = performance.now() - t;
  }
  latencies.sort();
  return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

await decisions(governor, 500); // warm-up
const plain = await decisions(governor, 2000);
const store = await FileAuditStore.open(join(dir, 'governed.log'));
const audited = withAudit(governor, store);
await decisions(audited, 100);
const withLog = await decisions(audited, 1000);
const overhead = withLog.p50 - plain.p50;
console.log(`governed decision without audit:  p50 ${plain.p50.toFixed(3)} ms   p99 ${plain.p99.toFixed(3)} ms`);
console.log(
  `governed decision with audit:     p50 ${withLog.p50.toFixed(3)} ms   p99 ${withLog.p99.toFixed(3)} ms   (×${(withLog.p50 / plain.p50).toFixed(1)}, +${overhead.toFixed(3)} ms; one fsync p50 ${seq.p50.toFixed(3)} ms)   goal: overhead ≤ one fsync + 0.5 ms: ${overhead <= seq.p50 + 0.5 ? 'met' : 'NOT met'}`,
);
await store.close();
await governor.close();
rmSync(dir, { recursive: true, force: true });
