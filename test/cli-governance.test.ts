// The governance commands as a user runs them: exit codes (0 allowed/valid, 3 denied/rejected with
// a reason code, 2 usage error), keys never printed, pins, revocation, and --now determinism.
import { execFile } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './evaluator-fixtures.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist/cli/main.js');

// Asynchronous, so the test runner's event loop stays free while the CLI runs.
function govern(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let dir: string;
const request = { subject: { id: 'agent-7', type: 'agent' }, action: 'http.request', resource: 'https://api.github.com/repos/o/r', args: { method: 'GET' }, context: {} };

beforeAll(async () => {
  dir = tempDir('govern-cli-');
  copyFileSync(join(root, 'bundles/agent.tar.gz'), join(dir, 'agent.tar.gz'));
  writeFileSync(join(dir, 'request.json'), JSON.stringify(request));
  const keys = (await govern(dir, 'keys', 'generate', '--out-dir', 'keys'));
  expect(keys.code).toBe(0);
  expect((await govern(dir, 'pin', 'agent.tar.gz')).code).toBe(0);
});

const authorizeArgs = ['authorize', '-b', 'agent.tar.gz', '-e', 'agent/decision', '--request', 'request.json', '--key', 'keys/govern.private.jwk'];
const verifyArgs = (file: string) => ['verify', file, '--action', request.action, '--resource', request.resource, '--args', JSON.stringify(request.args), '--jwks', 'keys/govern.jwks.json', '--pins', 'govern.lock', '--state-dir', 'state'];

describe('govern keys / pin', { timeout: 180_000 }, () => {
  it('keys generate writes a private JWK and a JWKS, never prints key material, refuses to overwrite', async () => {
    const jwk = JSON.parse(readFileSync(join(dir, 'keys/govern.private.jwk'), 'utf8'));
    const jwks = JSON.parse(readFileSync(join(dir, 'keys/govern.jwks.json'), 'utf8'));
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(jwks.keys[0].kid).toBe(jwk.kid);
    expect(jwks.keys[0].d).toBeUndefined();
    const again = (await govern(dir, 'keys', 'generate', '--out-dir', 'keys'));
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('refusing to overwrite');
    const fresh = (await govern(dir, 'keys', 'generate', '--out-dir', 'keys2', '--alg', 'ES256'));
    const es = JSON.parse(readFileSync(join(dir, 'keys2/govern.private.jwk'), 'utf8'));
    expect(es).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
    expect(fresh.stdout + fresh.stderr).not.toContain(es.d);
  });

  it('pin writes govern.lock beside the bundle', async () => {
    const lock = JSON.parse(readFileSync(join(dir, 'govern.lock'), 'utf8'));
    expect(Object.keys(lock.bundles)).toEqual(['agent.tar.gz']);
  });
});

describe('govern authorize / verify / revoke', { timeout: 180_000 }, () => {
  it('authorize exits 0 with the record and artifact; verify exits 0 once, then 3 JTI_REPLAYED', async () => {
    const r = (await govern(dir, ...authorizeArgs));
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.decision).toMatchObject({ allow: true, reasons: ['ALLOWED'], entrypoint: 'agent/decision' });
    writeFileSync(join(dir, 'allowed.json'), r.stdout);
    const first = (await govern(dir, ...verifyArgs('allowed.json')));
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ valid: true, reason: 'VALID', scope: ['http:egress'] });
    const second = (await govern(dir, ...verifyArgs('allowed.json')));
    expect(second.code).toBe(3);
    expect(JSON.parse(second.stdout).reason).toBe('JTI_REPLAYED');
    expect(second.stderr).toContain('JTI_REPLAYED');
  });

  it('authorize exits 3 with the reason code when denied (policy, missing key, tampered bundle, bad request)', async () => {
    writeFileSync(join(dir, 'deny.json'), JSON.stringify({ ...request, resource: 'https://evil.example.org/' }));
    writeFileSync(join(dir, 'garbage.json'), '{"subject": "x"');
    copyFileSync(join(dir, 'agent.tar.gz'), join(dir, 'copy.tar.gz'));
    const run = (bundle: string, requestFile: string, key?: string) =>
      govern(dir, 'authorize', '-b', bundle, '-e', 'agent/decision', '--request', requestFile, ...(key ? ['--key', key] : []));
    // Independent runs, started together.
    const [denied, noKey, missingKeyFile, bad, unpinned, missing, stepLimit] = await Promise.all([
      run('agent.tar.gz', 'deny.json', 'keys/govern.private.jwk'),
      run('agent.tar.gz', 'request.json'),
      run('agent.tar.gz', 'request.json', 'nope.jwk'),
      run('agent.tar.gz', 'garbage.json', 'keys/govern.private.jwk'),
      run('copy.tar.gz', 'request.json', 'keys/govern.private.jwk'),
      run('gone.tar.gz', 'request.json', 'keys/govern.private.jwk'),
      govern(dir, ...authorizeArgs, '--step-limit', '1'),
    ]);
    for (const r of [denied, noKey, missingKeyFile, bad, unpinned, missing, stepLimit]) expect(r.code).toBe(3);
    expect(JSON.parse(stepLimit.stdout).decision).toMatchObject({ reasons: ['EVAL_TIMEOUT'], detail: expect.stringContaining('step budget (1 loop iteration)') });
    expect(JSON.parse(denied.stdout).decision.reasons).toEqual(['POLICY_DENIED']);
    expect(JSON.parse(noKey.stdout).decision.reasons).toEqual(['SIGNING_KEY_MISSING']);
    expect(JSON.parse(missingKeyFile.stdout).decision.reasons).toEqual(['SIGNING_KEY_MISSING']);
    expect(JSON.parse(bad.stdout).decision.reasons).toEqual(['INPUT_INVALID']);
    expect(JSON.parse(unpinned.stdout).decision.reasons).toEqual(['BUNDLE_UNPINNED']);
    expect(JSON.parse(missing.stdout).decision.reasons).toEqual(['BUNDLE_MISSING']);
  });

  it('usage mistakes exit 2 with one line on stderr', async () => {
    const r = (await govern(dir, 'authorize', '-b', 'agent.tar.gz', '-e', 'agent/decision', '--request', 'no-such-request.json'));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect((await govern(dir, 'verify', 'allowed.json', '--action', 'a', '--resource', 'r', '--jwks', 'nope.json')).code).toBe(2);
    const zero = await govern(dir, ...authorizeArgs, '--step-limit', '0');
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('--step-limit must be a positive integer');
  });

  it('verify exits 3 with INTENT_MISMATCH for other args, and JTI_REVOKED after govern revoke', async () => {
    const r = (await govern(dir, ...authorizeArgs));
    writeFileSync(join(dir, 'second.json'), r.stdout);
    const jti = JSON.parse(Buffer.from(JSON.parse(r.stdout).artifact.split('.')[1], 'base64url').toString()).jti;
    const other = (await govern(dir, 'verify', 'second.json', '--action', request.action, '--resource', request.resource, '--args', '{"method":"POST"}', '--jwks', 'keys/govern.jwks.json', '--pins', 'govern.lock', '--state-dir', 'state'));
    expect(other.code).toBe(3);
    expect(JSON.parse(other.stdout).reason).toBe('INTENT_MISMATCH');
    expect((await govern(dir, 'revoke', jti, '--state-dir', 'state')).code).toBe(0);
    const revoked = (await govern(dir, ...verifyArgs('second.json')));
    expect(revoked.code).toBe(3);
    expect(JSON.parse(revoked.stdout).reason).toBe('JTI_REVOKED');
  });

  it('verify rejects alg none and a foreign JWKS', async () => {
    const r = (await govern(dir, ...authorizeArgs));
    const token: string = JSON.parse(r.stdout).artifact;
    const [h, p] = token.split('.');
    const header = JSON.parse(Buffer.from(h!, 'base64url').toString());
    const none = `${Buffer.from(JSON.stringify({ ...header, alg: 'none' })).toString('base64url')}.${p}.`;
    writeFileSync(join(dir, 'none.jws'), none);
    expect(JSON.parse((await govern(dir, ...verifyArgs('none.jws'))).stdout).reason).toBe('ALG_NOT_ALLOWED');
    writeFileSync(join(dir, 'third.jws'), token);
    const foreign = (await govern(dir, ...verifyArgs('third.jws').map((a) => (a === 'keys/govern.jwks.json' ? 'keys2/govern.jwks.json' : a))));
    expect(foreign.code).toBe(3);
    expect(JSON.parse(foreign.stdout).reason).toBe('KID_UNKNOWN');
  });

  it('--now pins the clock: the same bundle, request and time give byte-identical records', async () => {
    const at = ['--now', '2026-01-31T12:00:00.000000001Z'];
    const a = JSON.parse((await govern(dir, ...authorizeArgs, ...at)).stdout);
    const b = JSON.parse((await govern(dir, ...authorizeArgs, ...at)).stdout);
    expect(JSON.stringify(a.decision)).toBe(JSON.stringify(b.decision));
    expect(a.decision.time).toBe('2026-01-31T12:00:00.000000001Z');
    expect(a.artifact).not.toBe(b.artifact); // each artifact has its own jti
  });
});
