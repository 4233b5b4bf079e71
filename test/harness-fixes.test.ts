// Follow-up fixes of the governance harness: reason codes of the audit layer, a child's expiry cut
// to its parent's, lineage-aware `govern verify`, jti values a command line can take, and one
// clock per evaluation in `govern eval` / `govern test`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateKeys } from '../src/artifact/keys.js';
import { createGovernor, REASON_CODES, sha256Hex, type Governor } from '../src/evaluator/index.js';
import { newJti } from '../src/evaluator/issue.js';
import { canonicalize } from '../src/evaluator/canonical.js';
import { validateRequest } from '../src/evaluator/request.js';
import { MemoryAuditStore, withAudit } from '../src/audit/index.js';
import { runRegoTests } from '../src/cli/commands/test.js';
import { evaluate } from '../src/cli/commands/eval.js';
import { compilePolicy } from '../src/wasm/compile.js';
import { DELEGATION_POLICY, runCli, tempDir } from './audit-helpers.js';
import { writeRegoBundle } from './evaluator-fixtures.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

async function fixture() {
  const dir = tempDir('govern-harness-');
  const bundle = writeRegoBundle(dir, 'deleg', DELEGATION_POLICY, 'deleg/decision');
  const keys = await generateKeys();
  const request = (scope: string[], parent?: string) => ({
    subject: { id: 'agent-1' },
    action: 'deploy',
    resource: 'service-a',
    context: { scope },
    ...(parent ? { parent } : {}),
  });
  return { dir, bundle, keys, request };
}

describe('reason codes', () => {
  it('knows the codes the audit layer writes into decision records', async () => {
    expect(REASON_CODES.has('AUDIT_UNAVAILABLE')).toBe(true);
    expect(REASON_CODES.has('LINEAGE_VIOLATION')).toBe(true);
    const f = await fixture();
    const inner = await createGovernor({ bundle: f.bundle, entrypoint: 'deleg/decision', signingKey: JSON.stringify(f.keys.privateJwk) });
    open.push(inner);
    const failing = new MemoryAuditStore();
    failing.append = async () => {
      throw new Error('disk full');
    };
    const d = await withAudit(inner, failing).authorize(f.request(['a']));
    expect(d.record.reasons).toEqual(['AUDIT_UNAVAILABLE']);
    for (const code of d.record.reasons) expect(REASON_CODES.has(code)).toBe(true);
  });
});

describe("a child's validity", () => {
  it('ends no later than its parent\'s when issued later with the same lifetime', async () => {
    const f = await fixture();
    let clock = 1_800_000_000n * 1_000_000_000n;
    const governor: Governor = await createGovernor({
      bundle: f.bundle,
      entrypoint: 'deleg/decision',
      signingKey: JSON.stringify(f.keys.privateJwk),
      ttlSeconds: 60,
      now: () => clock,
    });
    open.push(governor);
    const parent = await governor.authorize(f.request(['a', 'b']));
    expect(parent.claims!.exp).toBe(1_800_000_060);
    clock += 20n * 1_000_000_000n;
    const child = await governor.authorize(f.request(['a'], parent.artifact));
    expect(child.allowed).toBe(true);
    expect(child.claims!.iat).toBe(1_800_000_020);
    expect(child.claims!.exp).toBe(parent.claims!.exp);

    // Asking for it explicitly is a lineage violation, even without the audit layer.
    const explicit = await governor.authorize({ ...f.request(['a'], parent.artifact), ttl_seconds: 60 });
    expect(explicit.allowed).toBe(false);
    expect(explicit.record.reasons).toEqual(['LINEAGE_VIOLATION']);
    // A shorter explicit lifetime is fine; more than the governor's own is not a request it takes.
    const shorter = await governor.authorize({ ...f.request(['a'], parent.artifact), ttl_seconds: 10 });
    expect(shorter.claims!.exp).toBe(1_800_000_030);
    const tooLong = await governor.authorize({ ...f.request(['a']), ttl_seconds: 61 });
    expect(tooLong.record.reasons).toEqual(['INPUT_INVALID']);
  });
});

describe('govern authorize / verify with an audit log', () => {
  it('revoking a parent makes `govern verify` of its child exit 3 with JTI_REVOKED', async () => {
    const f = await fixture();
    const keyFile = join(f.dir, 'key.jwk');
    const jwksFile = join(f.dir, 'keys.json');
    writeFileSync(keyFile, JSON.stringify(f.keys.privateJwk));
    writeFileSync(jwksFile, JSON.stringify(f.keys.publicJwks));
    const log = join(f.dir, 'audit.log');
    const state = join(f.dir, 'state');
    mkdirSync(state);
    const authorize = async (request: unknown, name: string) => {
      const file = join(f.dir, `${name}.request.json`);
      writeFileSync(file, JSON.stringify(request));
      const res = await runCli(['authorize', '-b', f.bundle, '-e', 'deleg/decision', '--request', file, '--key', keyFile, '--audit-log', log, '--state-dir', state]);
      expect(res.code).toBe(0);
      const out = join(f.dir, `${name}.json`);
      writeFileSync(out, res.stdout);
      return { out, artifact: JSON.parse(res.stdout).artifact as string };
    };
    const jtiOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti as string;
    const parent = await authorize(f.request(['a', 'b']), 'parent');
    const child = await authorize(f.request(['a'], parent.artifact), 'child');
    const verifyChild = () =>
      runCli(['verify', child.out, '--action', 'deploy', '--resource', 'service-a', '--jwks', jwksFile, '--pins', join(f.dir, 'govern.lock'), '--state-dir', state, '--audit-log', log, '--no-consume']);

    expect((await verifyChild()).code).toBe(0);
    expect((await runCli(['revoke', '--state-dir', state, '--', jtiOf(parent.artifact)])).code).toBe(0);
    const rejected = await verifyChild();
    expect(rejected.code).toBe(3);
    expect(JSON.parse(rejected.stdout)).toMatchObject({ valid: false, reason: 'JTI_REVOKED' });

    // authorize with the log refuses a new child under the revoked parent.
    const file = join(f.dir, 'late.request.json');
    writeFileSync(file, JSON.stringify(f.request(['a'], parent.artifact)));
    const late = await runCli(['authorize', '-b', f.bundle, '-e', 'deleg/decision', '--request', file, '--key', keyFile, '--audit-log', log, '--state-dir', state]);
    expect(late.code).toBe(3);
    expect(JSON.parse(late.stdout).decision.reasons).toEqual(['PARENT_INVALID']);
    expect((await runCli(['verify', '--help'])).stdout).toMatch(/--audit-log/);
  }, 30_000);
});

describe('jti', () => {
  it('never starts with "-" (a command line would read it as an option)', () => {
    // About one random base64url id in 64 starts with "-".
    for (let i = 0; i < 5000; i++) expect(newJti()[0]).not.toBe('-');
    expect(new Set(Array.from({ length: 1000 }, newJti)).size).toBe(1000);
  });
});

describe('time.now_ns in govern eval and govern test', () => {
  // Long enough (many ms) that a wall clock read per call would change within the evaluation.
  const MANY_CALLS = `package clock

stamps := {t | some i in numbers.range(1, 60000); t := time.now_ns() + (i * 0)}

test_constant_clock if count(stamps) == 1
`;

  it('is one value for the whole `govern test` run', async () => {
    const dir = tempDir('govern-clock-');
    writeFileSync(join(dir, 'clock_test.rego'), MANY_CALLS);
    const run = await runRegoTests([dir]);
    expect(run.errors).toEqual([]);
    expect(run.results.map((r) => [r.name, r.status])).toEqual([['data.clock.test_constant_clock', 'pass']]);
  }, 30_000);

  it('is one value for a whole `govern eval` evaluation', async () => {
    const compiled = compilePolicy([{ file: 'clock.rego', text: MANY_CALLS }], { entrypoints: ['clock/stamps'] });
    expect(compiled.errors).toEqual([]);
    const rs = (await evaluate(compiled.wasm!, {}, undefined, 'clock/stamps')) as { result: number[] }[];
    expect(rs[0]!.result).toHaveLength(1);
  }, 30_000);
});

describe('an allow signed by the evaluation worker', () => {
  it.each(['EdDSA', 'ES256'] as const)('binds the record and verifies with plain jose (%s)', async (alg) => {
    const f = await fixture();
    const keys = await generateKeys(alg);
    const governor = await createGovernor({ bundle: f.bundle, entrypoint: 'deleg/decision', signingKey: JSON.stringify(keys.privateJwk) });
    open.push(governor);
    for (const scope of [['a'], ['b', 'c']]) {
      const d = await governor.authorize(f.request(scope));
      expect(d.allowed).toBe(true);
      expect(d.record).toEqual(JSON.parse(d.recordJson));
      expect(d.record).toMatchObject({ decision: 'allow', allow: true, reasons: ['ALLOWED'], result: { allow: true, scope } });
      expect(d.claims!.decision_sha256).toBe(sha256Hex(d.recordJson));
      expect(d.claims!.scope).toEqual(scope);
      const { payload, protectedHeader } = await jwtVerify(d.artifact!, createLocalJWKSet(keys.publicJwks as never), {
        algorithms: [alg],
        typ: 'govern-authz+jwt',
      });
      expect(protectedHeader.kid).toBe(keys.kid);
      expect(payload).toEqual(d.claims);
    }
  });
});

describe('the request canonical JSON assembled from its members', () => {
  it('is exactly the canonical JSON of the normalized request', () => {
    const requests = [
      { subject: { id: 's', z: [1, { b: 2, a: '\u00e9' }] }, action: 'a', resource: 'r' },
      { subject: { id: 's' }, action: 'x.y', resource: 'https://e/x?q=1', args: { b: [3, 1], a: { '\u{1F600}': 1, é: null } }, context: { n: 1.5e-7 } },
      { subject: { id: 's' }, action: 'a', resource: 'r', parent: 'aa.bb.cc', ttl_seconds: 5 },
    ];
    for (const raw of requests) {
      const checked = validateRequest(raw);
      expect(checked.ok).toBe(true);
      if (!checked.ok) continue;
      expect(checked.canonical).toBe(canonicalize(checked.request));
      expect(checked.argsCanonical).toBe(canonicalize(checked.request.args));
    }
    expect(validateRequest({ subject: { id: 's' }, action: 'a\ud800', resource: 'r' }).ok).toBe(false);
  });
});
