import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  FileAuditStore,
  MerkleFrontier,
  consistencyProof,
  createCheckpointSigner,
  inclusionPath,
  leafHash,
  loadJwks,
  treeRoot,
  verifyConsistency,
  verifyInclusion,
  verifyInclusionProof,
  verifyLogFile,
  canonicalJson,
  type InclusionProof,
} from '../src/audit/index.js';
import { runCli, tempDir, writeKeyFiles } from './audit-helpers.js';

function decision(i: number, allow = i % 3 !== 0) {
  return { kind: 'decision', jti: `jti-${i}`, body: { allow, reasons: allow ? ['ALLOWED'] : ['POLICY_DENIED'], request: { action: 'shell.exec', resource: `cmd-${i}` } } };
}

/** A log of `n` decisions, checkpointed after `checkpointAt` records when given. */
async function makeLog(dir: string, n: number, checkpointAt?: number) {
  const keys = await writeKeyFiles(dir);
  const log = join(dir, 'audit.log');
  const store = await FileAuditStore.open(log, { signer: await createCheckpointSigner(keys.privateJwk as never) });
  for (let i = 1; i <= n; i++) {
    await store.append(decision(i));
    if (i === checkpointAt) await store.checkpoint();
  }
  await store.close();
  return { log, ...keys };
}

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
const writeLines = (file: string, ls: string[]) => writeFileSync(file, ls.map((l) => `${l}\n`).join(''));

describe('Merkle tree (RFC 6962)', () => {
  const leaves = Array.from({ length: 13 }, (_, i) => leafHash(`leaf ${i}`));

  it('uses the 0x00 / 0x01 domain-separated hashes and the largest-power-of-two split', () => {
    const h = sha256;
    const l = (s: string) => h(Buffer.concat([Buffer.from([0]), Buffer.from(s)]));
    const n = (a: Buffer, b: Buffer) => h(Buffer.concat([Buffer.from([1]), a, b]));
    const three = [l('a'), l('b'), l('c')];
    expect(treeRoot(three.map((x) => x)).equals(n(n(three[0]!, three[1]!), three[2]!))).toBe(true);
    expect(leafHash('a').equals(three[0]!)).toBe(true);
  });

  it('an incremental frontier gives the same root as the full tree at every size', () => {
    const f = new MerkleFrontier();
    leaves.forEach((leaf, i) => {
      f.add(leaf);
      expect(f.root().toString('hex')).toBe(treeRoot(leaves, 0, i + 1).toString('hex'));
    });
  });

  it('inclusion paths verify for every leaf of every size, and fail for another leaf or index', () => {
    for (let size = 1; size <= leaves.length; size++) {
      const root = treeRoot(leaves, 0, size);
      for (let i = 0; i < size; i++) {
        const path = inclusionPath(leaves, i, size);
        expect(verifyInclusion(leaves[i]!, i, size, path, root)).toBe(true);
        expect(verifyInclusion(leafHash('forged'), i, size, path, root)).toBe(false);
        if (size > 1) expect(verifyInclusion(leaves[i]!, (i + 1) % size, size, path, root)).toBe(false);
      }
    }
  });

  it('consistency proofs verify between every pair of sizes and fail against a rewritten tree', () => {
    for (let n = 1; n <= leaves.length; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = consistencyProof(leaves, m, n);
        expect(verifyConsistency(m, n, treeRoot(leaves, 0, m), treeRoot(leaves, 0, n), proof)).toBe(true);
        if (m < n) {
          const rewritten = [...leaves];
          rewritten[0] = leafHash('rewritten');
          expect(verifyConsistency(m, n, treeRoot(rewritten, 0, m), treeRoot(leaves, 0, n), proof)).toBe(false);
        }
      }
    }
  });
});

function sha256(b: Buffer): Buffer {
  return createHash('sha256').update(b).digest();
}

describe('audit log', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });

  it('writes one canonical JSON line per record, chained by hash, and verifies OK', async () => {
    const { log, jwksFile } = await makeLog(dir, 10, 6);
    const ls = lines(log);
    expect(ls).toHaveLength(10);
    const records = ls.map((l) => JSON.parse(l));
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    records.forEach((r, i) => {
      expect(canonicalJson(r)).toBe(ls[i]);
      if (i > 0) expect(r.prev).toBe(records[i - 1].hash);
    });
    expect(records[2].body.allow).toBe(false); // denials are logged too
    const res = await runCli(['audit', 'verify', log, '--jwks', jwksFile]);
    expect(res.stdout).toMatch(/^OK .*10 records, 1 checkpoint\b/);
    expect(res.code).toBe(0);
  });

  it('editing any single byte of any record is reported with that record number', async () => {
    const { log } = await makeLog(dir, 6);
    const original = readFileSync(log);
    const starts = [0];
    original.forEach((b, i) => b === 0x0a && i + 1 < original.length && starts.push(i + 1));
    for (const [r, start] of starts.entries()) {
      // A few positions inside each record: the start, the middle of the body, the end.
      const end = original.indexOf(0x0a, start);
      for (const pos of [start, Math.floor((start + end) / 2), end - 2]) {
        const tampered = Buffer.from(original);
        tampered[pos] = tampered[pos] === 0x31 ? 0x32 : 0x31; // '1' <-> '2' keeps it printable
        writeFileSync(log, tampered);
        const res = await runCli(['audit', 'verify', log]);
        expect(res.code, `byte ${pos} of record ${r + 1}`).toBe(1);
        expect(res.stdout).toContain(`record ${r + 1}: edited`);
      }
    }
  });

  it('an edited record whose own hash was recomputed still breaks the chain at that record', async () => {
    const { log } = await makeLog(dir, 5);
    const ls = lines(log);
    const r3 = JSON.parse(ls[2]!);
    r3.body.allow = true;
    const { hash: _h, ...rest } = r3;
    r3.hash = createHash('sha256').update(canonicalJson(rest)).digest('hex');
    ls[2] = canonicalJson(r3);
    writeLines(log, ls);
    const res = await runCli(['audit', 'verify', log]);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('record 3: edited');
  });

  it('a deleted record is reported by number', async () => {
    const { log } = await makeLog(dir, 8);
    const ls = lines(log);
    ls.splice(4, 1); // record 5
    writeLines(log, ls);
    const res = await runCli(['audit', 'verify', log]);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('record 5: deleted');
  });

  it('two swapped records are reported as reordered', async () => {
    const { log } = await makeLog(dir, 8);
    const ls = lines(log);
    [ls[2], ls[6]] = [ls[6]!, ls[2]!]; // records 3 and 7
    writeLines(log, ls);
    const res = await runCli(['audit', 'verify', log]);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('record 3: reordered');
    expect(res.stdout).toContain('record 3 is at line 7');
  });

  it('truncating the log after a checkpoint is reported with the first missing record', async () => {
    const { log, jwksFile } = await makeLog(dir, 9, 9);
    const ls = lines(log);
    writeLines(log, ls.slice(0, 6));
    const res = await runCli(['audit', 'verify', log, '--jwks', jwksFile]);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('record 7: truncated');
    expect(res.stdout).toContain('covers 9 records');
  });

  it('rewriting the whole chain after a checkpoint (a rollback) is detected by the signed root', async () => {
    const { log, jwksFile } = await makeLog(dir, 6, 6);
    // Rebuild a different, internally consistent chain with the same number of records.
    const forged = join(dir, 'forged.log');
    const store = await FileAuditStore.open(forged);
    for (let i = 1; i <= 6; i++) await store.append(decision(i, true));
    await store.close();
    writeFileSync(log, readFileSync(forged));
    const res = await runCli(['audit', 'verify', log, '--jwks', jwksFile]);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/rewritten/);
  });

  it('a torn last line is reported as incomplete, not as tampering, and the next append repairs it', async () => {
    const { log } = await makeLog(dir, 4);
    writeFileSync(log, Buffer.concat([readFileSync(log), Buffer.from('{"body":{"allow":tr')]));
    let res = await runCli(['audit', 'verify', log]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/4 records.*incomplete last record \(19 bytes/);
    const store = await FileAuditStore.open(log);
    const rec = await store.append(decision(5));
    await store.close();
    expect(rec.seq).toBe(5);
    expect(existsSync(`${log}.torn`)).toBe(true);
    res = await runCli(['audit', 'verify', log]);
    expect(res.stdout).toMatch(/^OK .*5 records/);
  });

  it('signs a checkpoint automatically every N records', async () => {
    const keys = await writeKeyFiles(dir);
    const log = join(dir, 'auto.log');
    const store = await FileAuditStore.open(log, { signer: await createCheckpointSigner(keys.privateJwk as never), checkpointEvery: 4 });
    for (let i = 1; i <= 10; i++) await store.append(decision(i));
    await store.close();
    expect(lines(`${log}.checkpoints`)).toHaveLength(2);
    const res = await runCli(['audit', 'verify', log, '--jwks', keys.jwksFile, '--format', 'json']);
    expect(JSON.parse(res.stdout)).toMatchObject({ ok: true, records: 10, checkpoints: 2, signaturesChecked: true });
  });

  it('a checkpoint signed by another key fails verification against the trusted keys', async () => {
    const { log } = await makeLog(dir, 3, 3);
    const other = await writeKeyFiles(tempDir());
    const res = await runCli(['audit', 'verify', log, '--jwks', other.jwksFile]);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('bad-checkpoint');
  });

  it('concurrent appends are group-committed without losing or reordering the chain', async () => {
    const log = join(dir, 'concurrent.log');
    const store = await FileAuditStore.open(log);
    const records = await Promise.all(Array.from({ length: 50 }, (_, i) => store.append(decision(i + 1))));
    await store.close();
    expect(records.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect((await verifyLogFile(log)).ok).toBe(true);
  });

  it('an append that cannot reach the disk rejects (so the caller can deny)', async () => {
    const log = join(dir, 'closed.log');
    const store = await FileAuditStore.open(log);
    await store.close();
    await expect(store.append(decision(1))).rejects.toThrow(/closed/);
  });

  it('show filters by jti and time and prints JSON', async () => {
    const { log } = await makeLog(dir, 5);
    let res = await runCli(['audit', 'show', '--log', log, '--jti', 'jti-3', '--format', 'json']);
    const shown = JSON.parse(res.stdout);
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatchObject({ seq: 3, jti: 'jti-3', kind: 'decision' });
    res = await runCli(['audit', 'show', '--log', log]);
    expect(res.stdout.trim().split('\n')).toHaveLength(5);
    expect(res.stdout).toMatch(/#3 .* decision DENY \[POLICY_DENIED\] jti=jti-3/);
    res = await runCli(['audit', 'show', '--log', log, '--since', '2999-01-01T00:00:00Z']);
    expect(res.stdout).toBe('');
    res = await runCli(['audit', 'show', '--log', log, '--since', 'yesterday-ish']);
    expect(res.code).toBe(2);
  });
});

describe('inclusion proofs', () => {
  it('`audit prove` gives a proof that verifies offline, and fails for a forged record', async () => {
    const dir = tempDir();
    const { log, jwksFile } = await makeLog(dir, 11, 11);
    const res = await runCli(['audit', 'prove', 'jti-7', '--log', log]);
    expect(res.code).toBe(0);
    const proof = JSON.parse(res.stdout) as InclusionProof;
    expect(proof).toMatchObject({ index: 6, size: 11 });
    const keys = await loadJwks(jwksFile);
    expect(await verifyInclusionProof(proof, keys)).toMatchObject({ ok: true });

    const proofFile = join(dir, 'proof.json');
    writeFileSync(proofFile, JSON.stringify(proof));
    expect((await runCli(['audit', 'verify-proof', proofFile, '--jwks', jwksFile])).code).toBe(0);

    // Forge: turn the denial-or-allow around; the path no longer leads to the signed root.
    const forged = structuredClone(proof);
    (forged.record.body as { allow: boolean }).allow = !(proof.record.body as { allow: boolean }).allow;
    expect(await verifyInclusionProof(forged, keys)).toMatchObject({ ok: false });
    writeFileSync(proofFile, JSON.stringify(forged));
    const bad = await runCli(['audit', 'verify-proof', proofFile, '--jwks', jwksFile]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^FAILED record 7 is not in the tree/);

    // A proof against a checkpoint signed by someone else fails too.
    const other = await writeKeyFiles(tempDir());
    expect(await verifyInclusionProof(proof, await loadJwks(other.jwksFile))).toMatchObject({ ok: false });
  });

  it('refuses to prove a record no checkpoint covers yet', async () => {
    const dir = tempDir();
    const { log } = await makeLog(dir, 5, 3);
    const res = await runCli(['audit', 'prove', 'jti-4', '--log', log]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/no checkpoint covers record 4/);
  });
});

describe('consistency proofs', () => {
  it('prove that a later checkpoint extends an earlier one, and catch a signed rewrite', async () => {
    const dir = tempDir();
    const keys = await writeKeyFiles(dir);
    const signer = await createCheckpointSigner(keys.privateJwk as never);
    const log = join(dir, 'audit.log');
    const store = await FileAuditStore.open(log, { signer });
    for (let i = 1; i <= 5; i++) await store.append(decision(i));
    const first = await store.checkpoint();
    for (let i = 6; i <= 9; i++) await store.append(decision(i));
    await store.checkpoint();
    await store.close();
    const oldFile = join(dir, 'first.jws');
    writeFileSync(oldFile, first);

    const res = await runCli(['audit', 'consistency', oldFile, '--log', log]);
    expect(res.code).toBe(0);
    const proofFile = join(dir, 'consistency.json');
    writeFileSync(proofFile, res.stdout);
    const ok = await runCli(['audit', 'verify-proof', proofFile, '--jwks', keys.jwksFile]);
    expect(ok.stdout).toMatch(/^OK the older checkpoint's log is a prefix of the log of 9 records/);
    expect(ok.code).toBe(0);

    // Someone with the key rewrites history and signs a new head: the monitor's old checkpoint exposes it.
    const forgedLog = join(dir, 'forged.log');
    const forged = await FileAuditStore.open(forgedLog, { signer });
    for (let i = 1; i <= 9; i++) await forged.append(decision(i, true));
    const forgedHead = await forged.checkpoint();
    await forged.close();
    const bad = await runCli(['audit', 'consistency', oldFile, forgedHead, '--log', forgedLog]);
    writeFileSync(proofFile, bad.stdout);
    const check = await runCli(['audit', 'verify-proof', proofFile, '--jwks', keys.jwksFile]);
    expect(check.stdout).toMatch(/^FAILED the tree of 9 records does not extend the tree of 5/);
    expect(check.code).toBe(1);
  });
});
