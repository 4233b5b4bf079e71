// `govern run`: the pre-execution gate, end to end through the built CLI (the command's output
// goes straight to the terminal, so it runs as a real child process).
import { spawnSync } from 'node:child_process';
import { existsSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKeys } from '../src/artifact/keys.js';
import { writeBundle } from '../src/bundle/bundle.js';
import { pinBundles } from '../src/bundle/pins.js';
import { compilePolicy } from '../src/wasm/compile.js';
import { readLogLines, verifyLogFile, type AuditRecord } from '../src/audit/index.js';
import { tempDir } from './audit-helpers.js';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist/cli/main.js');

export const GATE_POLICY = `package gate

# Only echo and false may run, and never with the word "forbidden".
default decision := false

decision if {
	input.action == "shell.exec"
	input.resource in {"echo", "false"}
	not "forbidden" in input.args.argv
}
`;

/** A pinned bundle of GATE_POLICY and a signing key, in a fresh folder. */
export async function gateFixture() {
  const dir = tempDir('govern-run-');
  const compiled = compilePolicy([{ file: 'gate.rego', text: GATE_POLICY }], { entrypoints: ['gate/decision'] });
  expect(compiled.errors).toEqual([]);
  const bundle = join(dir, 'gate.tar.gz');
  writeFileSync(bundle, writeBundle({ wasm: compiled.wasm!, entrypoints: ['gate/decision'] }));
  pinBundles(join(dir, 'govern.lock'), [bundle]);
  const keys = await generateKeys();
  const key = join(dir, 'key.jwk');
  writeFileSync(key, JSON.stringify(keys.privateJwk));
  return { dir, bundle, key, log: join(dir, 'audit.log'), jwks: keys.publicJwks };
}

function govern(args: string[], cwd: string) {
  return spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', env: { ...process.env, GOVERN_SUBJECT: 'ci-bot' } });
}

describe('govern run', () => {
  it('runs an allowed command, denies another with exit 126 and runs nothing; both are in the audit log', async () => {
    expect(existsSync(cli), 'run `npm run build` first').toBe(true);
    const f = await gateFixture();
    const allowed = govern(['run', '--bundle', f.bundle, '--key', f.key, '--log', f.log, '--', 'echo', 'hello'], f.dir);
    expect(allowed.stderr).toBe('');
    expect(allowed.stdout).toBe('hello\n');
    expect(allowed.status).toBe(0);

    const marker = join(f.dir, 'marker');
    const denied = govern(['run', '--bundle', f.bundle, '--key', f.key, '--log', f.log, '--', 'touch', marker], f.dir);
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
    const res = govern(['run', '--bundle', f.bundle, '--key', f.key, '--log', f.log, '--', 'false'], f.dir);
    expect(res.status).toBe(1);
    expect(res.stdout + res.stderr).toBe('');
    const records = (await readLogLines(f.log)).map((l) => JSON.parse(l) as AuditRecord);
    expect(records.at(-1)).toMatchObject({ kind: 'outcome', body: { executed: true, exitCode: 1, argv: ['false'] } });
  });

  it('refuses a bundle that is not pinned (exit 126, logged)', async () => {
    const f = await gateFixture();
    unlinkSync(join(f.dir, 'govern.lock'));
    const res = govern(['run', '--bundle', f.bundle, '--key', f.key, '--log', f.log, '--', 'echo', 'hello'], f.dir);
    expect(res.stdout).toBe('');
    expect(res.status).toBe(126);
    expect(res.stderr).toMatch(/denied: BUNDLE_/);
    expect((await readLogLines(f.log)).length).toBe(1);
  });
});
