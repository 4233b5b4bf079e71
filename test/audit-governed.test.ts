// The audited governor: no durable record, no decision (AUDIT_UNAVAILABLE), and the record is on
// disk before authorize() returns.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createGovernor, type Governor } from '../src/evaluator/index.js';
import { FileAuditStore, MemoryAuditStore, withAudit, type AuditStore } from '../src/audit/index.js';
import { runRequest } from '../src/cli/commands/run.js';
import { gateFixture, runProcess } from './audit-helpers.js';

const open: Governor[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((g) => g.close()));
});

async function gate() {
  const f = await gateFixture();
  const inner = await createGovernor({ bundle: f.bundle, entrypoint: 'gate/decision', signingKey: readFileSync(f.key, 'utf8') });
  open.push(inner);
  return { f, inner, echo: runRequest(['echo', 'hi'], { subject: 'ci', action: 'shell.exec', cwd: f.dir }) };
}

describe('withAudit', () => {
  it('turns an allow into AUDIT_UNAVAILABLE when the append fails, and hands out no artifact', async () => {
    const { inner, echo } = await gate();
    const failing: AuditStore = {
      append: async () => {
        throw new Error('disk full');
      },
      read: async () => [],
      checkpoint: async () => '',
      checkpoints: async () => [],
      close: async () => undefined,
    };
    const d = await withAudit(inner, failing).authorize(echo);
    expect(d.allowed).toBe(false);
    expect(d.artifact).toBeUndefined();
    expect(d.record).toMatchObject({ decision: 'deny', allow: false, reasons: ['AUDIT_UNAVAILABLE'] });
    expect(d.record.detail).toMatch(/disk full/);
    expect(JSON.parse(d.recordJson)).toEqual(d.record);

    // A closed file store is unavailable the same way.
    const { f } = await gate();
    const store = await FileAuditStore.open(join(f.dir, 'closed.log'));
    await store.close();
    expect((await withAudit(inner, store).authorize(echo)).record.reasons).toEqual(['AUDIT_UNAVAILABLE']);
  });

  it('the record is on disk when authorize() returns, for allows and denials alike', async () => {
    const { f, inner, echo } = await gate();
    const store = await FileAuditStore.open(f.log);
    const g = withAudit(inner, store);
    const allow = await g.authorize(echo);
    let lines = readFileSync(f.log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ seq: 1, kind: 'decision', jti: allow.claims!.jti, body: { record: allow.record, claims: allow.claims } });
    const deny = await g.authorize({ ...echo, resource: 'rm' });
    lines = readFileSync(f.log, 'utf8').trim().split('\n');
    expect(JSON.parse(lines[1]!)).toMatchObject({ seq: 2, kind: 'decision', body: { record: deny.record } });
    expect(deny.record.reasons).toEqual(['POLICY_DENIED']);
    // A malformed request is denied and logged too (without the request it could not hold).
    const bad = await g.authorize({ subject: 'nobody' });
    expect(bad.record.reasons).toEqual(['INPUT_INVALID']);
    expect(readFileSync(f.log, 'utf8').trim().split('\n')).toHaveLength(3);
    await store.close();
  });

  it('`govern run` with an audit log that cannot be opened runs nothing and exits 126', async () => {
    const f = await gateFixture();
    writeFileSync(join(f.dir, 'not-a-dir'), 'x');
    const res = await runProcess(
      process.execPath,
      [join(import.meta.dirname, '..', 'dist/cli/main.js'), 'run', '--bundle', f.bundle, '--key', f.key, '--log', join(f.dir, 'not-a-dir', 'audit.log'), '--', 'echo', 'hi'],
      { cwd: f.dir },
    );
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/^govern: denied: AUDIT_UNAVAILABLE/);
    expect(res.status).toBe(126);
  });

  it('a memory store keeps the same chain a file would', async () => {
    const { inner, echo } = await gate();
    const mem = new MemoryAuditStore();
    await withAudit(inner, mem).authorize(echo);
    await withAudit(inner, mem).authorize(echo);
    const [a, b] = await mem.read();
    expect(b!.prev).toBe(a!.hash);
  });
});
