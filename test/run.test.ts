// `govern run`: the pre-execution gate, end to end through the built CLI (the command's output
// goes straight to the terminal, so it runs as a real child process).
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLogLines, verifyLogFile, type AuditRecord } from '../src/audit/index.js';
import { gateFixture, runProcess } from './audit-helpers.js';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist/cli/main.js');

function govern(args: string[], cwd: string) {
  return runProcess(process.execPath, [cli, ...args], { cwd, env: { ...process.env, GOVERN_SUBJECT: 'ci-bot' } });
}

describe('govern run', () => {
  it('runs an allowed command, denies another with exit 126 and runs nothing; both are in the audit log', async () => {
    expect(existsSync(cli), 'run `npm run build` first').toBe(true);
    const f = await gateFixture();
    const allowed = await govern(['run', '--bundle', f.bundle, '--key', f.key, '--log', f.log, '--', 'echo', 'hello'], f.dir);
    expect(allowed.stderr).toBe('');
    expect(allowed.stdout).toBe('hello\n');
    expect(allowed.status).toBe(0);

    const marker = join(f.dir, 'marker');
    const denied = await govern(['run', '--bundle', f.bundle, '--key', f.key, '--log', f.log, '--', 'touch', marker], f.dir);
    expect(denied.stdout).toBe('');
    expect(denied.stderr).toMatch(/^govern: denied: POLICY_DENIED/);
    expect(denied.status).toBe(126);
    expect(existsSync(marker)).toBe(false);

    const records = (await readLogLines(f.log)).map((l) => JSON.parse(l) as AuditRecord);
    expect(records.map((r) => r.kind)).toEqual(['decision', 'outcome', 'decision']);
    const [allow, outcome, deny] = records as [AuditRecord, AuditRecord, AuditRecord];
    expect(allow.body).toMatchObject({ record: { decision: 'allow', subject: 'ci-bot', resource: 'echo' }, request: { args: { argv: ['echo', 'hello'], cwd: f.dir } } });
    expect(allow.jti).toBeTruthy();
    expect(outcome).toMatchObject({ jti: allow.jti, body: { executed: true, exitCode: 0, argv: ['echo', 'hello'] } });
    expect(typeof (outcome.body as { durationMs: number }).durationMs).toBe('number');
    expect(deny.body).toMatchObject({ record: { decision: 'deny', reasons: ['POLICY_DENIED'], resource: 'touch' } });
    expect(deny.jti).toBeUndefined();
    expect((await verifyLogFile(f.log)).ok).toBe(true);
  });

  it("exits with the command's own exit code and records it", async () => {
    const f = await gateFixture();
    const res = await govern(['run', '--bundle', f.bundle, '--key', f.key, '--log', f.log, '--', 'false'], f.dir);
    expect(res.status).toBe(1);
    expect(res.stdout + res.stderr).toBe('');
    const records = (await readLogLines(f.log)).map((l) => JSON.parse(l) as AuditRecord);
    expect(records.at(-1)).toMatchObject({ kind: 'outcome', body: { executed: true, exitCode: 1, argv: ['false'] } });
  });

  it('refuses a bundle that is not pinned (exit 126, logged)', async () => {
    const f = await gateFixture();
    unlinkSync(join(f.dir, 'govern.lock'));
    const res = await govern(['run', '--bundle', f.bundle, '--key', f.key, '--log', f.log, '--', 'echo', 'hello'], f.dir);
    expect(res.stdout).toBe('');
    expect(res.status).toBe(126);
    expect(res.stderr).toMatch(/denied: BUNDLE_/);
    expect((await readLogLines(f.log)).length).toBe(1);
  });

  it('signs audit checkpoints every N records with --audit-key, and the log verifies against them', async () => {
    const f = await gateFixture();
    for (let i = 0; i < 2; i++) {
      const res = await govern(['run', '--bundle', f.bundle, '--key', f.key, '--log', f.log, '--audit-key', f.key, '--checkpoint-every', '2', '--', 'echo', `n${i}`], f.dir);
      expect(res.stdout).toBe(`n${i}\n`);
    }
    const checkpoints = readFileSync(`${f.log}.checkpoints`, 'utf8').trim().split('\n');
    expect(checkpoints).toHaveLength(2); // after records 2 and 4
    const jwks = join(f.dir, 'keys.json');
    writeFileSync(jwks, JSON.stringify(f.jwks));
    const verify = await govern(['audit', 'verify', f.log, '--jwks', jwks], f.dir);
    expect(verify.stdout).toMatch(/^OK .*4 records, 2 checkpoints\n$/);
    expect(verify.status).toBe(0);
  });
});
