// The CLI as a Unix tool: a reader that closes the pipe early (`govern parse x | head`) ends the
// command quietly instead of with a stack trace.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

it('stops quietly when stdout is closed early', async () => {
  const child = spawn(process.execPath, ['dist/cli/main.js', 'parse', 'rego/agent.rego', '--format', 'pretty'], { cwd: root });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(stderr).toBe('');
  expect(code).toBe(0);
});
