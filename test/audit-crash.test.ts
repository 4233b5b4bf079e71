// Crash safety: a process appending decisions is SIGKILLed mid-stream again and again. After each
// kill the log must verify up to its last complete record, and every decision the process
// acknowledged (printed only after append() resolved, i.e. after fsync) must be in the log.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readLogLines, verifyLogFile, type AuditRecord } from '../src/audit/index.js';
import { tempDir } from './audit-helpers.js';

const root = join(import.meta.dirname, '..');
const storeModule = join(root, 'dist/audit/store.js');

// The appender: four concurrent writers (so group commits happen), some records large enough
// that a kill can land in the middle of the write and tear the last line.
const appender = `
import { FileAuditStore } from ${JSON.stringify(pathToFileURL(storeModule).href)};
const [log, run] = process.argv.slice(2);
const store = await FileAuditStore.open(log);
let n = 0;
async function writer(w) {
  for (;;) {
    const i = n++;
    const pad = i % 7 === 3 ? 'x'.repeat(300_000) : 'y'.repeat(i % 50);
    const r = await store.append({ kind: 'decision', jti: run + '-' + i, body: { allow: i % 2 === 0, writer: w, pad } });
    process.stdout.write('ack ' + r.jti + ' ' + r.seq + '\\n');
  }
}
process.stdout.write('ready\\n');
await Promise.all([0, 1, 2, 3].map(writer));
`;

describe('audit log under SIGKILL', () => {
  it('verifies after every kill and keeps every acknowledged decision', async () => {
    expect(existsSync(storeModule), 'run `npm run build` first (the child process runs dist/)').toBe(true);
    const dir = tempDir('govern-crash-');
    const log = join(dir, 'audit.log');
    const script = join(dir, 'appender.mjs');
    writeFileSync(script, appender);
    const acknowledged = new Set<string>();
    let tornTails = 0;
    const kills = 30;
    for (let k = 0; k < kills; k++) {
      const child = spawn(process.execPath, [script, log, `run${k}`], { stdio: ['ignore', 'pipe', 'inherit'] });
      let buffered = '';
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      await new Promise<void>((resolve) => {
        // Kill at a random point once this run has acknowledged its first decision, so every
        // kill lands while the writers are busy appending.
        const delay = Math.floor(Math.random() * 120);
        let armed = false;
        child.stdout.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const parts = buffered.split('\n');
          buffered = parts.pop()!;
          for (const line of parts) {
            const m = /^ack (\S+) \d+$/.exec(line);
            if (m) {
              acknowledged.add(m[1]!);
              if (!armed) setTimeout(resolve, delay);
              armed = true;
            }
          }
        });
        child.on('exit', () => resolve());
      });
      child.kill('SIGKILL');
      await exited;
      const report = await verifyLogFile(log);
      expect(report.problem, `after kill ${k + 1}`).toBeUndefined();
      expect(report.ok).toBe(true);
      if (report.incompleteTailBytes > 0) tornTails++;
      const logged = new Set((await readLogLines(log)).map((l) => (JSON.parse(l) as AuditRecord).jti));
      const missing = [...acknowledged].filter((j) => !logged.has(j));
      expect(missing, `acknowledged but missing after kill ${k + 1}`).toEqual([]);
    }
    const total = (await readLogLines(log)).length;
    expect(total).toBeGreaterThanOrEqual(acknowledged.size);
    expect(acknowledged.size).toBeGreaterThan(0);
    console.log(`crash test: ${kills} kills, ${acknowledged.size} acknowledged decisions, ${total} records, ${tornTails} torn tails seen and repaired`);
  }, 120_000);

  it('several processes appending to one log at once keep one intact chain', async () => {
    const dir = tempDir('govern-multi-');
    const log = join(dir, 'audit.log');
    const script = join(dir, 'writer.mjs');
    writeFileSync(
      script,
      `import { FileAuditStore } from ${JSON.stringify(pathToFileURL(storeModule).href)};
const [log, name] = process.argv.slice(2);
const store = await FileAuditStore.open(log);
for (let i = 0; i < 150; i++) await store.append({ kind: 'decision', jti: name + '-' + i, body: { allow: true, i } });
await store.close();
`,
    );
    const runs = ['a', 'b', 'c', 'd'].map(
      (name) => new Promise<number | null>((resolve) => spawn(process.execPath, [script, log, name], { stdio: 'inherit' }).on('exit', resolve)),
    );
    expect(await Promise.all(runs)).toEqual([0, 0, 0, 0]);
    const report = await verifyLogFile(log);
    expect(report.problem).toBeUndefined();
    expect(report.records).toBe(600);
    const jtis = (await readLogLines(log)).map((l) => (JSON.parse(l) as AuditRecord).jti);
    expect(new Set(jtis).size).toBe(600);
    // Each writer's own records stay in its order.
    for (const name of ['a', 'b', 'c', 'd']) {
      const mine = jtis.filter((j) => j!.startsWith(`${name}-`)).map((j) => Number(j!.split('-')[1]));
      expect(mine).toEqual(Array.from({ length: 150 }, (_, i) => i));
    }
  }, 120_000);
});
