// `govern replay`: a logged decision re-evaluated with its recorded request and clock gives the
// same bytes; against another bundle it shows exactly what differs.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeBundle } from '../src/bundle/bundle.js';
import { compilePolicy } from '../src/wasm/compile.js';
import { createGovernor } from '../src/evaluator/index.js';
import { FileAuditStore, withAudit } from '../src/audit/index.js';
import { runRequest } from '../src/cli/commands/run.js';
import { GATE_POLICY, gateFixture, runCli } from './audit-helpers.js';

async function logDecisions() {
  const f = await gateFixture();
  const store = await FileAuditStore.open(f.log);
  const inner = await createGovernor({ bundle: f.bundle, entrypoint: 'gate/decision', signingKey: readFileSync(f.key, 'utf8') });
  const governor = withAudit(inner, store, { source: { bundle: f.bundle, entrypoint: 'gate/decision' } });
  const allow = await governor.authorize(runRequest(['echo', 'hi'], { subject: 'ci', action: 'shell.exec', cwd: f.dir }));
  const deny = await governor.authorize(runRequest(['touch', 'x'], { subject: 'ci', action: 'shell.exec', cwd: f.dir }));
  await governor.close();
  await store.close();
  expect([allow.allowed, deny.allowed]).toEqual([true, false]);
  return { f, allow, deny };
}

describe('govern replay', () => {
  it('reproduces an allow (by jti) and a denial (by record number) byte for byte', async () => {
    const { f, allow, deny } = await logDecisions();
    const byJti = await runCli(['replay', '--log', f.log, '--', allow.claims!.jti]);
    expect(byJti.stderr).toBe('');
    expect(byJti.stdout).toMatch(/^SAME record 1: the replayed decision is byte-identical \(allow, sha256 [0-9a-f]{64}\)/);
    expect(byJti.code).toBe(0);

    const bySeq = await runCli(['replay', '--log', f.log, '2', '--format', 'json']);
    const report = JSON.parse(bySeq.stdout);
    expect(report).toMatchObject({ seq: 2, same: true, differences: [] });
    expect(report.replayed).toEqual(deny.record);
    expect(bySeq.code).toBe(0);
  });

  it('against a changed policy shows which fields differ and exits 1', async () => {
    const { f } = await logDecisions();
    const stricter = GATE_POLICY.replace('input.resource in {"echo", "false"}', 'input.resource == "false"');
    const compiled = compilePolicy([{ file: 'gate.rego', text: stricter }], { entrypoints: ['gate/decision'] });
    const other = join(f.dir, 'stricter.tar.gz');
    writeFileSync(other, writeBundle({ wasm: compiled.wasm!, entrypoints: ['gate/decision'] }));
    const res = await runCli(['replay', '--log', f.log, '--bundle', other, '1']);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^DIFFERENT record 1/);
    expect(res.stdout).toContain('bundle_sha256 (a different bundle)');
    expect(res.stdout).toMatch(/decision \(the decision changed\):\n {4}recorded: "allow"\n {4}replayed: "deny"/);
    expect(res.stdout).toMatch(/reasons \(a different reason\):\n {4}recorded: \["ALLOWED"\]\n {4}replayed: \["POLICY_DENIED"\]/);
    // Fields that did not change are not listed.
    expect(res.stdout).not.toContain('input_sha256');
    expect(res.stdout).not.toContain('time_ns');
  });

  it('explains what it cannot replay', async () => {
    const { f } = await logDecisions();
    expect((await runCli(['replay', '--log', f.log, '7'])).stderr).toMatch(/no record 7/);
    expect((await runCli(['replay', '--log', f.log, 'unknown-jti'])).code).toBe(2);
  });
});
