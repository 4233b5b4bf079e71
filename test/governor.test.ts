// The fail-closed governor: one test per denial cause, each asserting its reason code, plus the
// allow path, hot reload, and byte-identical decision records across two processes.
import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readBundle, writeBundle, bundleEntries } from '../src/bundle/bundle.js';
import { gzip, writeTar } from '../src/bundle/tar.js';
import { pinBundles } from '../src/bundle/pins.js';
import { signBundleFiles } from '../src/bundle/signatures.js';
import { generateKeys } from '../src/artifact/keys.js';
import { createGovernor, type Governor, type GovernorOptions } from '../src/evaluator/index.js';
import { fakePolicyWasm, SAMPLE_REQUEST, tempDir, writeFakeBundle } from './evaluator-fixtures.js';

const FIXED_NOW = 1_767_225_600_123_456_789n; // 2026-01-01T00:00:00.123456789Z
const open: Governor[] = [];

async function governor(options: GovernorOptions): Promise<Governor> {
  const g = await createGovernor({ now: () => FIXED_NOW, ...options });
  open.push(g);
  return g;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((g) => g.close()));
});

const allowWasm = fakePolicyWasm({ kind: 'result', resultSet: '[{"result":true}]' });

async function signingKey(): Promise<string> {
  return JSON.stringify((await generateKeys()).privateJwk);
}

describe('governor: allow path', () => {
  it('allows when the entrypoint yields exactly true, with a record and a signed artifact', async () => {
    const dir = tempDir();
    const bundle = writeFakeBundle(dir, allowWasm);
    const g = await governor({ bundle, entrypoint: 'test/allow', signingKey: await signingKey() });
    const d = await g.authorize(SAMPLE_REQUEST);
    expect(d.allowed).toBe(true);
    expect(d.record.reasons).toEqual(['ALLOWED']);
    expect(d.record.time).toBe('2026-01-01T00:00:00.123456789Z');
    expect(d.record.bundle_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(d.artifact?.split('.')).toHaveLength(3);
    expect(d.claims?.intent.action).toBe('shell.exec');
    expect(d.claims?.exp! - d.claims?.iat!).toBe(60);
  });

  it('allows a decision object {allow: true} and takes its scope', async () => {
    const dir = tempDir();
    const wasm = fakePolicyWasm({ kind: 'result', resultSet: '[{"result":{"allow":true,"scope":["shell:read"]}}]' });
    const g = await governor({ bundle: writeFakeBundle(dir, wasm), entrypoint: 'data.test.allow', signingKey: await signingKey() });
    const d = await g.authorize(SAMPLE_REQUEST);
    expect(d.allowed).toBe(true);
    expect(d.claims?.scope).toEqual(['shell:read']);
  });
});

describe('governor: one denial per cause', () => {
  it('BUNDLE_MISSING: the bundle file does not exist', async () => {
    const dir = tempDir();
    const g = await governor({ bundle: join(dir, 'nope.tar.gz'), entrypoint: 'test/allow', signingKey: await signingKey() });
    const d = await g.authorize(SAMPLE_REQUEST);
    expect(d.allowed).toBe(false);
    expect(d.record.reasons).toEqual(['BUNDLE_MISSING']);
  });

  it('BUNDLE_HASH_MISMATCH: the bundle bytes differ from the pin', async () => {
    const dir = tempDir();
    const bundle = writeFakeBundle(dir, allowWasm);
    const other = writeBundle({ wasm: allowWasm, entrypoints: ['test/allow'], revision: 'tampered' });
    writeFileSync(bundle, other);
    const g = await governor({ bundle, entrypoint: 'test/allow', signingKey: await signingKey() });
    const d = await g.authorize(SAMPLE_REQUEST);
    expect(d.record.reasons).toEqual(['BUNDLE_HASH_MISMATCH']);
    expect(d.allowed).toBe(false);
  });

  it('BUNDLE_UNPINNED: no pin, unless unpinned bundles are explicitly allowed', async () => {
    const dir = tempDir();
    const bundle = writeFakeBundle(dir, allowWasm, { pin: false });
    const key = await signingKey();
    const strict = await governor({ bundle, entrypoint: 'test/allow', signingKey: key });
    expect((await strict.authorize(SAMPLE_REQUEST)).record.reasons).toEqual(['BUNDLE_UNPINNED']);
    const lenient = await governor({ bundle, entrypoint: 'test/allow', signingKey: key, allowUnpinned: true });
    expect((await lenient.authorize(SAMPLE_REQUEST)).allowed).toBe(true);
  });

  it('BUNDLE_SIGNATURE_INVALID: signed with another key, or a file changed after signing', async () => {
    const dir = tempDir();
    const signer = await generateKeys();
    const stranger = await generateKeys();
    const files = bundleEntries({ wasm: allowWasm, entrypoints: ['test/allow'] });
    const sig = signBundleFiles(files, JSON.stringify(signer.privateJwk));
    const good = join(dir, 'signed.tar.gz');
    writeFileSync(good, gzip(writeTar([...files, sig])));
    pinBundles(join(dir, 'govern.lock'), [good]);
    const key = await signingKey();

    const ok = await governor({ bundle: good, entrypoint: 'test/allow', signingKey: key, verificationKey: JSON.stringify(signer.publicJwks) });
    expect((await ok.authorize(SAMPLE_REQUEST)).allowed).toBe(true);

    const wrongKey = await governor({ bundle: good, entrypoint: 'test/allow', signingKey: key, verificationKey: JSON.stringify({ keys: [{ ...stranger.publicJwks.keys[0], kid: signer.kid }] }) });
    expect((await wrongKey.authorize(SAMPLE_REQUEST)).record.reasons).toEqual(['BUNDLE_SIGNATURE_INVALID']);

    // Same signature, different policy.wasm (re-pinned, so only the signature can catch it).
    const swapped = join(dir, 'swapped.tar.gz');
    const evil = fakePolicyWasm({ kind: 'result', resultSet: '[{"result":true}]' }, 'test/allow');
    const evilFiles = files.map((f) => (f.name === 'policy.wasm' ? { name: f.name, data: new Uint8Array([...evil, 0]) } : f));
    writeFileSync(swapped, gzip(writeTar([...evilFiles, sig])));
    pinBundles(join(dir, 'govern.lock'), [swapped]);
    const tampered = await governor({ bundle: swapped, entrypoint: 'test/allow', signingKey: key, verificationKey: JSON.stringify(signer.publicJwks) });
    const d = await tampered.authorize(SAMPLE_REQUEST);
    expect(d.record.reasons).toEqual(['BUNDLE_SIGNATURE_INVALID']);
    expect(d.record.detail).toContain('policy.wasm');

    // A bundle with no signature at all, when one is required.
    const plain = writeFakeBundle(dir, allowWasm, { name: 'plain.tar.gz' });
    const unsigned = await governor({ bundle: plain, entrypoint: 'test/allow', signingKey: key, verificationKey: JSON.stringify(signer.publicJwks) });
    expect((await unsigned.authorize(SAMPLE_REQUEST)).record.reasons).toEqual(['BUNDLE_SIGNATURE_INVALID']);
  });

  it('EVAL_TRAP: the policy traps (in a worker: the module is not govern-linked)', async () => {
    const dir = tempDir();
    const g = await governor({ bundle: writeFakeBundle(dir, fakePolicyWasm({ kind: 'trap' })), entrypoint: 'test/allow', signingKey: await signingKey() });
    expect(g.status().evaluation).toBe('worker');
    const d = await g.authorize(SAMPLE_REQUEST);
    expect(d.record.reasons).toEqual(['EVAL_TRAP']);
  });

  it('EVAL_TRAP inline: the trapped instance is replaced and the governor keeps answering', async () => {
    const dir = tempDir();
    const g = await governor({ bundle: writeFakeBundle(dir, fakePolicyWasm({ kind: 'trap' }, 'test/allow', { metered: true })), entrypoint: 'test/allow', signingKey: await signingKey() });
    expect(g.status().evaluation).toBe('inline');
    for (let i = 0; i < 3; i++) expect((await g.authorize(SAMPLE_REQUEST)).record.reasons).toEqual(['EVAL_TRAP']);
  });

  it('EVAL_MEMORY inline: the capped memory is exhausted', async () => {
    const dir = tempDir();
    const g = await governor({
      bundle: writeFakeBundle(dir, fakePolicyWasm({ kind: 'oom' }, 'test/allow', { metered: true })),
      entrypoint: 'test/allow',
      memoryLimitBytes: 4 * 1024 * 1024,
      signingKey: await signingKey(),
    });
    expect(g.status().evaluation).toBe('inline');
    expect((await g.authorize(SAMPLE_REQUEST)).record.reasons).toEqual(['EVAL_MEMORY']);
  });

  it('BUNDLE_INVALID when inline evaluation is required of a module without a step budget', async () => {
    const dir = tempDir();
    const g = await governor({ bundle: writeFakeBundle(dir, fakePolicyWasm({ kind: 'loop' })), entrypoint: 'test/allow', isolation: 'inline', signingKey: await signingKey() });
    expect(g.status()).toMatchObject({ active: false, reason: 'BUNDLE_INVALID' });
    expect(g.status().detail).toContain('step budget');
    expect((await g.authorize(SAMPLE_REQUEST)).record.reasons).toEqual(['BUNDLE_INVALID']);
  });

  it('EVAL_TIMEOUT: a runaway policy is stopped at the time limit, and the next evaluation still runs', async () => {
    const dir = tempDir();
    const g = await governor({ bundle: writeFakeBundle(dir, fakePolicyWasm({ kind: 'loop' })), entrypoint: 'test/allow', timeoutMs: 100, signingKey: await signingKey() });
    const started = Date.now();
    const d = await g.authorize(SAMPLE_REQUEST);
    expect(d.record.reasons).toEqual(['EVAL_TIMEOUT']);
    expect(Date.now() - started).toBeLessThan(5000);
    // The worker was replaced: the governor answers again (another timeout, not a hang).
    expect((await g.authorize(SAMPLE_REQUEST)).record.reasons).toEqual(['EVAL_TIMEOUT']);
  });

  it('BUNDLE_INVALID, not a hang, for a module that never finishes loading', async () => {
    const dir = tempDir();
    const g = await governor({ bundle: writeFakeBundle(dir, fakePolicyWasm({ kind: 'hang-on-load' })), entrypoint: 'test/allow', signingKey: await signingKey() });
    expect(g.status()).toMatchObject({ active: false, reason: 'BUNDLE_INVALID' });
    expect(g.status().detail).toContain('did not load within');
    expect((await g.authorize(SAMPLE_REQUEST)).record.reasons).toEqual(['BUNDLE_INVALID']);
  }, 60_000);

  it('EVAL_MEMORY: the policy exhausts its capped memory', async () => {
    const dir = tempDir();
    const g = await governor({
      bundle: writeFakeBundle(dir, fakePolicyWasm({ kind: 'oom' })),
      entrypoint: 'test/allow',
      memoryLimitBytes: 4 * 1024 * 1024,
      signingKey: await signingKey(),
    });
    expect((await g.authorize(SAMPLE_REQUEST)).record.reasons).toEqual(['EVAL_MEMORY']);
  });

  it('DECISION_UNDEFINED: the entrypoint has no value', async () => {
    const dir = tempDir();
    const g = await governor({ bundle: writeFakeBundle(dir, fakePolicyWasm({ kind: 'result', resultSet: '[]' })), entrypoint: 'test/allow', signingKey: await signingKey() });
    expect((await g.authorize(SAMPLE_REQUEST)).record.reasons).toEqual(['DECISION_UNDEFINED']);
  });

  it('DECISION_INVALID: a non-boolean decision, or an object whose allow is not boolean', async () => {
    const key = await signingKey();
    for (const resultSet of ['[{"result":"yes"}]', '[{"result":1}]', '[{"result":{"allow":"true"}}]', '[{"result":{"permit":true}}]', '[{"result":true},{"result":true}]']) {
      const dir = tempDir();
      const g = await governor({ bundle: writeFakeBundle(dir, fakePolicyWasm({ kind: 'result', resultSet })), entrypoint: 'test/allow', signingKey: key });
      const d = await g.authorize(SAMPLE_REQUEST);
      expect(d.allowed, resultSet).toBe(false);
      expect(d.record.reasons, resultSet).toEqual(['DECISION_INVALID']);
    }
  });

  it('POLICY_DENIED: false, or {allow: false}', async () => {
    const dir = tempDir();
    const g = await governor({ bundle: writeFakeBundle(dir, fakePolicyWasm({ kind: 'result', resultSet: '[{"result":{"allow":false,"reasons":["no"]}}]' })), entrypoint: 'test/allow', signingKey: await signingKey() });
    const d = await g.authorize(SAMPLE_REQUEST);
    expect(d.record.reasons).toEqual(['POLICY_DENIED']);
    expect(d.record.result).toEqual({ allow: false, reasons: ['no'] });
  });

  it('INPUT_INVALID: malformed requests never reach the policy', async () => {
    const dir = tempDir();
    const g = await governor({ bundle: writeFakeBundle(dir, allowWasm), entrypoint: 'test/allow', signingKey: await signingKey() });
    const bad: unknown[] = [
      null,
      'ls',
      [],
      { ...SAMPLE_REQUEST, subject: 'agent-7' },
      { ...SAMPLE_REQUEST, subject: {} },
      { ...SAMPLE_REQUEST, action: '' },
      { ...SAMPLE_REQUEST, resource: 42 },
      { ...SAMPLE_REQUEST, args: ['ls'] },
      { ...SAMPLE_REQUEST, context: 'prod' },
      { ...SAMPLE_REQUEST, extra: true },
      { ...SAMPLE_REQUEST, args: { n: Number.NaN } },
      { ...SAMPLE_REQUEST, args: { when: new Date(0) } },
      { ...SAMPLE_REQUEST, parent: 'not a jws' },
    ];
    for (const request of bad) {
      const d = await g.authorize(request);
      expect(d.allowed, JSON.stringify(request)).toBe(false);
      expect(d.record.reasons, JSON.stringify(request)).toEqual(['INPUT_INVALID']);
    }
  });

  it('SIGNING_KEY_MISSING: an allow without a key to sign the artifact is a denial', async () => {
    const dir = tempDir();
    const g = await governor({ bundle: writeFakeBundle(dir, allowWasm), entrypoint: 'test/allow' });
    const d = await g.authorize(SAMPLE_REQUEST);
    expect(d.allowed).toBe(false);
    expect(d.artifact).toBeUndefined();
    expect(d.record.reasons).toEqual(['SIGNING_KEY_MISSING']);
  });

  it('ENTRYPOINT_UNKNOWN: the policy has no such entrypoint', async () => {
    const dir = tempDir();
    const g = await governor({ bundle: writeFakeBundle(dir, allowWasm), entrypoint: 'test/other', signingKey: await signingKey() });
    expect((await g.authorize(SAMPLE_REQUEST)).record.reasons).toEqual(['ENTRYPOINT_UNKNOWN']);
  });

  it('PARENT_INVALID: a parent artifact that does not verify', async () => {
    const dir = tempDir();
    const key = await signingKey();
    const g = await governor({ bundle: writeFakeBundle(dir, allowWasm), entrypoint: 'test/allow', signingKey: key });
    const parent = (await g.authorize(SAMPLE_REQUEST)).artifact!;
    const child = await g.authorize({ ...SAMPLE_REQUEST, parent });
    expect(child.allowed).toBe(true);
    expect(child.claims?.parent_jti).toBe(JSON.parse(Buffer.from(parent.split('.')[1]!, 'base64url').toString()).jti);
    const [h, p] = parent.split('.');
    const forged = `${h}.${p}.${Buffer.alloc(64).toString('base64url')}`;
    expect((await g.authorize({ ...SAMPLE_REQUEST, parent: forged })).record.reasons).toEqual(['PARENT_INVALID']);
  });
});

describe('governor: closing', () => {
  it('GOVERNOR_CLOSED: a closed governor answers with a denial, never an exception', async () => {
    const dir = tempDir();
    const g = await createGovernor({ bundle: writeFakeBundle(dir, allowWasm), entrypoint: 'test/allow', signingKey: await signingKey() });
    const pending = Array.from({ length: 20 }, () => g.authorize(SAMPLE_REQUEST));
    await g.close();
    for (const d of await Promise.all(pending)) expect(typeof d.allowed).toBe('boolean');
    expect((await g.authorize(SAMPLE_REQUEST)).record.reasons).toEqual(['GOVERNOR_CLOSED']);
  });
});

describe('governor: hot reload', () => {
  it('activates a replaced bundle only once it verifies against its pin; denies in between', async () => {
    const dir = tempDir();
    const bundle = writeFakeBundle(dir, allowWasm);
    const g = await governor({ bundle, entrypoint: 'test/allow', signingKey: await signingKey(), watch: { intervalMs: 50 } });
    const first = await g.authorize(SAMPLE_REQUEST);
    expect(first.allowed).toBe(true);

    // Replace the file (atomically, as a deploy would) with a bundle whose pin is not updated yet.
    const next = join(dir, 'next.tar.gz');
    writeFileSync(next, writeBundle({ wasm: fakePolicyWasm({ kind: 'result', resultSet: '[{"result":false}]' }), entrypoints: ['test/allow'], revision: 'v2' }));
    renameSync(next, bundle);
    await waitFor(() => g.status().reason === 'BUNDLE_HASH_MISMATCH');
    expect((await g.authorize(SAMPLE_REQUEST)).record.reasons).toEqual(['BUNDLE_HASH_MISMATCH']);

    // Pin it: the new bundle becomes active (and it denies).
    pinBundles(join(dir, 'govern.lock'), [bundle]);
    await waitFor(() => g.status().active);
    const after = await g.authorize(SAMPLE_REQUEST);
    expect(after.record.reasons).toEqual(['POLICY_DENIED']);
    expect(after.record.bundle_sha256).not.toBe(first.record.bundle_sha256);
    expect(after.record.bundle_revision).toBe('v2');
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('governor: determinism', () => {
  it('same bundle + request + clock gives byte-identical decision records in two processes', async () => {
    const dir = tempDir();
    const bundle = writeFakeBundle(dir, allowWasm);
    const keyFile = join(dir, 'key.jwk');
    writeFileSync(keyFile, await signingKey());
    const requestFile = join(dir, 'request.json');
    writeFileSync(requestFile, JSON.stringify(SAMPLE_REQUEST));
    const distIndex = new URL('../dist/evaluator/index.js', import.meta.url).href;
    const script = `
      import { readFileSync } from 'node:fs';
      const { createGovernor } = await import(${JSON.stringify(distIndex)});
      const g = await createGovernor({ bundle: process.argv[1], entrypoint: 'test/allow', signingKey: readFileSync(process.argv[2], 'utf8'), now: () => ${FIXED_NOW}n });
      const a = await g.authorize(JSON.parse(readFileSync(process.argv[3], 'utf8')));
      const b = await g.authorize({ ...JSON.parse(readFileSync(process.argv[3], 'utf8')), action: 'shell.other' });
      process.stdout.write(JSON.stringify([a.recordJson, b.recordJson]));
      await g.close();
    `;
    const run = () => execFileSync(process.execPath, ['--input-type=module', '-e', script, bundle, keyFile, requestFile], { encoding: 'utf8' });
    const one = JSON.parse(run());
    const two = JSON.parse(run());
    expect(one[0]).toBe(two[0]);
    expect(one[1]).toBe(two[1]);
    expect(one[0]).not.toBe(one[1]); // a different request is a different record
    expect(JSON.parse(one[0]).reasons, one[0]).toEqual(["ALLOWED"]);
    expect(readFileSync(bundle).length).toBeGreaterThan(0);
    expect(readBundle(readFileSync(bundle)).wasmModules.size).toBe(1);
  });
});
