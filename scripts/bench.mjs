// `npm run bench`: runs every benchmark in scripts/bench/ (each a separate Node process, so one
// does not warm up or fill the heap of the next) against the built sources in dist/.
// Run `npm run build` first; numbers are for this machine and this run only.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'bench');
const only = process.argv.slice(2);
for (const file of readdirSync(dir).filter((f) => f.endsWith('.mjs')).sort()) {
  if (only.length && !only.some((o) => file.includes(o))) continue;
  console.log(`\n## ${file.replace(/\.mjs$/, '')}`);
  execFileSync(process.execPath, ['--expose-gc', join(dir, file)], { stdio: 'inherit' });
}
