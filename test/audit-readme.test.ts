// The README's "Prove" block runs as written (bash, `govern` = the built CLI, in a scratch folder
// holding a copy of rego/), with the outcomes it documents.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './audit-helpers.js';

const root = join(import.meta.dirname, '..');

function proveBlock(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Prove: the gate, the audit log, proofs, replay'));
  const match = /```sh\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error('README has no Prove sh block');
  return match[1]!;
}

describe('README prove walk-through', () => {
  it('gate, audit log, checkpoint, proof, replay and tamper detection work as documented', { timeout: 240_000 }, async () => {
    const dir = tempDir('govern-readme-prove-');
    cpSync(join(root, 'rego'), join(dir, 'rego'), { recursive: true });
    const cli = join(root, 'dist/cli/main.js');
    const script = `exec 2>&1\nset -e -o pipefail\ngovern() { node ${JSON.stringify(cli)} "$@"; }\n${proveBlock()}`;
    const env = { ...process.env };
    for (const k of ['GOVERN_BUNDLE', 'GOVERN_KEY', 'GOVERN_AUDIT_LOG', 'GOVERN_SUBJECT']) delete env[k];
    // Asynchronously, so the test worker stays responsive while the block runs.
    const { stdout: out } = await promisify(execFile)('bash', ['-c', script], { cwd: dir, encoding: 'utf8', env });
    // 1. ls ran (its output is the listing of rego/), rm did not.
    expect(out).toContain('agent_test.rego');
    expect(out).toMatch(/govern: denied: POLICY_DENIED/);
    expect(out).toContain('denied with exit code 126');
    // 2-3. Three records, a checkpoint, a verified proof.
    expect(out).toMatch(/#1 \S+ decision ALLOW \[ALLOWED\] shell\.exec ls jti=/);
    expect(out).toMatch(/#2 \S+ outcome exit=0/);
    expect(out).toMatch(/#3 \S+ decision DENY \[POLICY_DENIED\] shell\.exec rm/);
    expect(out).toContain('OK prove/audit.log: 3 records, 1 checkpoint');
    expect(out).toMatch(/OK record 1 \(jti \S+\) is in the log of 3 records/);
    // 4. Replay.
    expect(out).toMatch(/SAME record 1: the replayed decision is byte-identical \(allow/);
    // 5. Tampering found at record 3.
    expect(out).toContain('BROKEN prove/audit.log: record 3: edited');
    expect(out).toContain('tampering found, exit code 1');
  });
});
