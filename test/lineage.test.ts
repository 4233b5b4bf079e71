// Execution lineage: attenuation (a child only narrows its parent), revocation through ancestors,
// and `govern lineage` over the audit log.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateKeys } from '../src/artifact/keys.js';
import { MemoryRevocationList } from '../src/artifact/replay.js';
import { verifyArtifact } from '../src/artifact/verify.js';
import { createGovernor, type Governor } from '../src/evaluator/index.js';
import {
  FileAuditStore,
  LineageIndex,
  checkAttenuation,
  lineageRevocations,
  scopeWithin,
  withAudit,
  verifyLogFile,
} from '../src/audit/index.js';
import { DELEGATION_POLICY, runCli, tempDir } from './audit-helpers.js';
import { writeRegoBundle } from './evaluator-fixtures.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

async function setup() {
  const dir = tempDir('govern-lineage-');
  const bundle = writeRegoBundle(dir, 'deleg', DELEGATION_POLICY, 'deleg/decision');
  const keys = await generateKeys();
  const log = join(dir, 'audit.log');
  const store = await FileAuditStore.open(log);
  const revocations = new MemoryRevocationList();
  const governorWithTtl = async (ttlSeconds: number): Promise<Governor> => {
    const inner = await createGovernor({ bundle, entrypoint: 'deleg/decision', signingKey: JSON.stringify(keys.privateJwk), ttlSeconds });
    const g = withAudit(inner, store, { revocations });
    open.push(g);
    return g;
  };
  open.push(store);
  const request = (scope: string[], parent?: string) => ({
    subject: { id: 'agent-1' },
    action: 'deploy',
    resource: 'service-a',
    context: { scope },
    ...(parent ? { parent } : {}),
  });
  const verify = (token: string, extra: Record<string, unknown> = {}) =>
    verifyArtifact(token, { action: 'deploy', resource: 'service-a' }, { jwks: keys.publicJwks, isBundlePinned: () => true, ...extra });
  return { dir, log, store, revocations, governorWithTtl, request, verify };
}

describe('attenuation (pure)', () => {
  const parent = { jti: 'p', scope: ['deploy:*', 'read'], exp: 1000, nbf: 10 };
  it('accepts a narrower scope and an earlier end', () => {
    expect(checkAttenuation({ jti: 'c', parent: 'p', scope: ['deploy:staging'], exp: 900, nbf: 20 }, parent)).toEqual({ ok: true });
    expect(checkAttenuation({ jti: 'c', parent: 'p', scope: ['read'], exp: 1000 }, parent)).toEqual({ ok: true });
  });
  it('names every violation', () => {
    const v = checkAttenuation({ jti: 'c', parent: 'p', scope: ['deploy:prod', 'write'], exp: 1001, nbf: 5 }, parent);
    expect(v.ok).toBe(false);
    if (!v.ok) {
      expect(v.code).toBe('LINEAGE_VIOLATION');
      expect(v.reasons.join('\n')).toMatch(/valid until 1001, after its parent/);
      expect(v.reasons.join('\n')).toMatch(/"write" is not allowed/);
      expect(v.reasons.join('\n')).toMatch(/valid from 5, before its parent/);
    }
    expect(checkAttenuation({ jti: 'c', scope: ['read'] }, parent).ok).toBe(false); // never expires
    expect(checkAttenuation({ jti: 'c', parent: 'other', scope: ['read'], exp: 10 }, parent).ok).toBe(false);
  });
  it('compares object scopes key by key', () => {
    expect(scopeWithin({ repo: 'a/b', branch: ['main'] }, { repo: 'a/*', branch: ['main', 'dev'] })).toBe(true);
    expect(scopeWithin({ branch: ['main'] }, { repo: 'a/*', branch: ['main'] })).toBe(false); // dropped a restriction
    expect(scopeWithin({ repo: 'c/d', branch: ['main'] }, { repo: 'a/*', branch: ['main'] })).toBe(false);
  });
});

describe('lineage through the governor', () => {
  it('allows an attenuated child, denies a wider scope or a longer validity with LINEAGE_VIOLATION', async () => {
    const s = await setup();
    const issuer = await s.governorWithTtl(600);
    const parent = await issuer.authorize(s.request(['deploy:staging', 'deploy:prod']));
    expect(parent.allowed).toBe(true);

    const shortLived = await s.governorWithTtl(60);
    const child = await shortLived.authorize(s.request(['deploy:staging'], parent.artifact));
    expect(child.allowed).toBe(true);
    expect(child.claims?.parent_jti).toBe(parent.claims!.jti);
    expect((await s.verify(child.artifact!)).ok).toBe(true);

    const wider = await shortLived.authorize(s.request(['deploy:staging', 'db:drop'], parent.artifact));
    expect(wider.allowed).toBe(false);
    expect(wider.artifact).toBeUndefined();
    expect(wider.record.reasons).toEqual(['LINEAGE_VIOLATION']);
    expect(wider.record.detail).toMatch(/"db:drop" is not allowed/);

    // A governor whose default lifetime is longer than what is left of the parent cuts the child's
    // expiry to the parent's: the child is attenuated by construction.
    const longLived = await s.governorWithTtl(3600);
    const capped = await longLived.authorize(s.request(['deploy:staging'], parent.artifact));
    expect(capped.allowed).toBe(true);
    expect(capped.claims!.exp).toBe(parent.claims!.exp);
    expect((await s.verify(capped.artifact!)).ok).toBe(true);

    // Asking explicitly for a validity beyond the parent's is refused.
    const longer = await longLived.authorize({ ...s.request(['deploy:staging'], parent.artifact), ttl_seconds: 3600 });
    expect(longer.allowed).toBe(false);
    expect(longer.artifact).toBeUndefined();
    expect(longer.record.reasons).toEqual(['LINEAGE_VIOLATION']);
    expect(longer.record.detail).toMatch(/after its parent/);

    // Every decision, the denials included, is in the (intact) audit log with its lineage.
    const records = await s.store.read();
    expect(records.map((r) => (r.body as { record: { decision: string } }).record.decision)).toEqual(['allow', 'allow', 'deny', 'allow', 'deny']);
    expect(records[1]).toMatchObject({ jti: child.claims!.jti, parent: parent.claims!.jti });
    expect((await verifyLogFile(s.log)).ok).toBe(true);
  });

  it("revoking a parent makes its descendants' verification fail and denies new children", async () => {
    const s = await setup();
    // Each generation is issued with a shorter validity, so it ends before its parent even when
    // the clock ticks between issues.
    const [g, g2, g3] = [await s.governorWithTtl(600), await s.governorWithTtl(300), await s.governorWithTtl(60)];
    const parent = await g.authorize(s.request(['a', 'b', 'c']));
    const child = await g2.authorize(s.request(['a', 'b'], parent.artifact));
    const grandchild = await g3.authorize(s.request(['a'], child.artifact));
    expect([parent.allowed, child.allowed, grandchild.allowed]).toEqual([true, true, true]);

    const revocations = lineageRevocations(s.revocations, s.store);
    expect((await s.verify(grandchild.artifact!, { revocations })).ok).toBe(true);
    await revocations.revoke(parent.claims!.jti);
    expect(await s.verify(child.artifact!, { revocations })).toMatchObject({ ok: false, reason: 'JTI_REVOKED' });
    expect(await s.verify(grandchild.artifact!, { revocations })).toMatchObject({ ok: false, reason: 'JTI_REVOKED' });
    // Without the lineage walk only the parent itself would be refused.
    expect((await s.verify(child.artifact!, { revocations: s.revocations })).ok).toBe(true);

    const another = await g3.authorize(s.request(['a'], child.artifact));
    expect(another.allowed).toBe(false);
    expect(another.record.detail).toMatch(/revoked/);
  });

  it('`govern lineage` prints ancestors and descendants from the audit log (text, json, dot)', async () => {
    const s = await setup();
    const [g, g2, g3] = [await s.governorWithTtl(600), await s.governorWithTtl(300), await s.governorWithTtl(60)];
    const root = await g.authorize(s.request(['a', 'b']));
    const left = await g2.authorize(s.request(['a'], root.artifact));
    const right = await g2.authorize(s.request(['b'], root.artifact));
    const leaf = await g3.authorize(s.request(['a'], left.artifact));
    const [r, l, rt, lf] = [root, left, right, leaf].map((d) => d.claims!.jti);

    const json = await runCli(['lineage', '--log', s.log, '--format', 'json', '--', l!]);
    expect(json.code).toBe(0);
    const view = JSON.parse(json.stdout);
    expect(view.ancestors).toEqual([r]);
    expect(view.descendants).toEqual([lf]);
    expect(view.tree.jti).toBe(r);
    // Above the artifact only the line leading to it is shown: the sibling branch is left out.
    expect(view.tree.children.map((c: { jti: string }) => c.jti)).toEqual([l]);

    const text = await runCli(['lineage', '--log', s.log, '--', r!]);
    expect(text.stdout).toContain(`${r} [#1 decision]  <==`);
    expect(text.stdout).toContain(`├─ ${l} [#2 decision]`);
    expect(text.stdout).toContain(`└─ ${rt} [#3 decision]`);
    expect(text.stdout).toContain(`└─ ${lf} [#4 decision]`);

    // (a jti may start with '-': `--` ends the options)
    const dot = await runCli(['lineage', '--log', s.log, '--format', 'dot', '--', lf!]);
    expect(dot.stdout).toContain(`"${r}" -> "${l}";`);
    expect(dot.stdout).toContain(`"${l}" -> "${lf}";`);

    expect(LineageIndex.fromRecords(await s.store.read()).descendants(r!).sort()).toEqual([l, rt, lf].sort());
    expect((await runCli(['lineage', 'nope', '--log', s.log])).code).toBe(2);
  });
});
