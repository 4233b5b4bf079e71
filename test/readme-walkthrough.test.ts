// The README walk-through runs as written: its ```sh block is executed verbatim by bash (with
// `govern` defined as the built CLI) in a scratch folder holding a copy of rego/.
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from './evaluator-fixtures.js';

const root = fileURLToPath(new URL('..', import.meta.url));

function walkthroughBlock(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Walk-through: build → pin → authorize → verify'));
  const match = /```sh\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error('README has no walk-through sh block');
  return match[1]!;
}

describe('README walk-through', { timeout: 180_000 }, () => {
  it('runs as written: build → pin → authorize → verify, with the documented outcomes', () => {
    const dir = tempDir('govern-readme-');
    cpSync(join(root, 'rego'), join(dir, 'rego'), { recursive: true });
    const cli = join(root, 'dist/cli/main.js');
    const script = `set -e -o pipefail\ngovern() { node ${JSON.stringify(cli)} "$@"; }\n${walkthroughBlock()}`;
    const output = execFileSync('bash', ['-c', script], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

    // Steps 1-2: the bundle was built and pinned beside it.
    const lock = JSON.parse(readFileSync(join(dir, 'demo/govern.lock'), 'utf8'));
    expect(Object.keys(lock.bundles)).toEqual(['agent.tar.gz']);
    // Step 4: allowed with an artifact; the rm request denied by the policy (exit 3).
    const allowed = JSON.parse(readFileSync(join(dir, 'demo/allowed.json'), 'utf8'));
    expect(allowed.decision.allow).toBe(true);
    expect(allowed.decision.bundle_sha256).toBe(lock.bundles['agent.tar.gz']);
    expect(allowed.artifact.split('.')).toHaveLength(3);
    const denied = JSON.parse(readFileSync(join(dir, 'demo/denied.json'), 'utf8'));
    expect(denied.decision.reasons).toEqual(['POLICY_DENIED']);
    expect(denied.decision.result.reasons).toContain('shell: program "rm" is not allowed');
    expect(output).toContain('denied with exit code 3');
    // Steps 5-6: valid once for exactly this intent; other args and a second use are refused.
    const verdicts = [...output.matchAll(/"reason": "([A-Z_]+)"/g)].map((m) => m[1]);
    expect(verdicts).toEqual(['VALID', 'INTENT_MISMATCH', 'JTI_REPLAYED']);
    expect(output.match(/rejected with exit code 3/g)).toHaveLength(2);
    // The key material was never printed.
    const privateJwk = JSON.parse(readFileSync(join(dir, 'demo/keys/govern.private.jwk'), 'utf8'));
    expect(output).not.toContain(privateJwk.d);
  });
});
