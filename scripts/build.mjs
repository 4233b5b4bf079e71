// `npm run build`: the Wasm value runtime (AssemblyScript) first, then the TypeScript sources.
// Run by `npm ci` (prepare) and before `npm test`, so a fresh checkout needs nothing else.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

mkdirSync(join(root, 'dist'), { recursive: true });
if (existsSync(join(root, 'src/wasm/runtime/asconfig.json'))) {
  run(bin('asc'), ['--config', 'src/wasm/runtime/asconfig.json', '--target', 'release']);
}
run(bin('tsc'), ['-p', 'tsconfig.json']);
