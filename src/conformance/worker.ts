// Worker thread of the conformance pool: runs the cases it is sent, one at a time.
import { parentPort } from 'node:worker_threads';
import { runCase } from './run.js';
import type { ConformanceCase } from './cases.js';
import { warmUpLinker } from '../wasm/link.js';

// Loading binaryen and the runtime takes a while on a busy machine: do it before the first case's
// time limit starts, then tell the pool this worker is ready.
try {
  warmUpLinker();
} catch {
  // The first case reports the problem (e.g. no runtime.wasm).
}
parentPort!.postMessage({ ready: true });

parentPort!.on('message', async (msg: { id: number; case: ConformanceCase }) => {
  try {
    const result = await runCase(msg.case);
    parentPort!.postMessage({ id: msg.id, result });
  } catch (err) {
    const reason = `runner crashed: ${(err as Error)?.stack?.split('\n').slice(0, 3).join(' | ') ?? String(err)}`;
    parentPort!.postMessage({ id: msg.id, result: { file: msg.case.file, note: msg.case.note, status: 'failed', reason } });
  }
});
