// Runs conformance cases in a pool of worker threads, each case with a time limit: a case that
// hangs (an endless loop in generated code) is stopped by terminating its worker, which is then
// replaced, so one bad case cannot hang the run.
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ConformanceCase } from './cases.js';
import type { CaseResult } from './cases.js';

export interface PoolOptions {
  /** Workers to run in parallel (default: the number of CPUs). */
  workers?: number;
  /** Per-case time limit in milliseconds (default 10 s). */
  timeoutMs?: number;
  /** Called as each case finishes (for progress output). */
  onResult?: (result: CaseResult, index: number) => void;
}

const WORKER_URL = new URL('./worker.js', import.meta.url);

/** Runs `cases` and returns their results in the same order. */
export async function runCasesInPool(cases: ConformanceCase[], options: PoolOptions = {}): Promise<CaseResult[]> {
  const results: CaseResult[] = new Array(cases.length);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const size = Math.max(1, Math.min(options.workers ?? cpus().length, cases.length));
  let next = 0;

  const runLane = async (): Promise<void> => {
    let worker: Worker | undefined;
    // A new worker, once it has loaded the compiler (its start-up does not count against a case).
    const fresh = (): Promise<Worker> =>
      new Promise((resolve, reject) => {
        const w = new Worker(WORKER_URL);
        w.unref();
        const onMessage = (msg: { ready?: boolean }): void => {
          if (!msg.ready) return;
          w.off('message', onMessage);
          w.off('error', reject);
          resolve(w);
        };
        w.on('message', onMessage);
        w.once('error', reject);
      });
    try {
      while (next < cases.length) {
        const index = next++;
        const c = cases[index]!;
        worker ??= await fresh();
        const w = worker;
        const result = await new Promise<CaseResult>((resolve) => {
          const finish = (r: CaseResult, broken: boolean): void => {
            clearTimeout(timer);
            w.off('message', onMessage);
            w.off('error', onError);
            w.off('exit', onExit);
            if (broken) {
              void w.terminate();
              worker = undefined;
            }
            resolve(r);
          };
          const onMessage = (msg: { id: number; result: CaseResult }): void => {
            if (msg.id === index) finish(msg.result, false);
          };
          const onError = (err: Error): void =>
            finish({ file: c.file, note: c.note, status: 'failed', reason: `worker error: ${err.message}` }, true);
          const onExit = (code: number): void =>
            finish({ file: c.file, note: c.note, status: 'failed', reason: `worker exited with code ${code}` }, true);
          const timer = setTimeout(
            () => finish({ file: c.file, note: c.note, status: 'failed', reason: `timed out after ${timeoutMs} ms` }, true),
            timeoutMs,
          );
          w.on('message', onMessage);
          w.on('error', onError);
          w.on('exit', onExit);
          w.postMessage({ id: index, case: c });
        });
        results[index] = result;
        options.onResult?.(result, index);
      }
    } finally {
      if (worker) await worker.terminate();
    }
  };

  await Promise.all(Array.from({ length: size }, runLane));
  return results;
}
