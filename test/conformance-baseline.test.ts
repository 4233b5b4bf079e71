// Every conformance case listed in test/conformance-baseline.json must keep passing. The cases run
// through the same runner as `npm run conformance` (built dist/, worker pool with a time limit per
// case, one compile per case). Grow the list with `npm run conformance -- --update-baseline`.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SUITE_DIR, readBaseline } from '../dist/conformance/baseline.js';
import { caseKey, loadCases } from '../dist/conformance/cases.js';
import { runCasesInPool } from '../dist/conformance/pool.js';

const baseline = readBaseline();

describe('conformance baseline', () => {
  it('the suite is where the runner looks for it', () => {
    expect(existsSync(DEFAULT_SUITE_DIR)).toBe(true);
  });

  it('every baseline case still exists in the suite', () => {
    const keys = new Set(loadCases(DEFAULT_SUITE_DIR).map(caseKey));
    expect(baseline.filter((b: { file: string; note: string }) => !keys.has(caseKey(b)))).toEqual([]);
  });

  it('every baseline case passes', async () => {
    const wanted = new Set(baseline.map(caseKey));
    const cases = loadCases(DEFAULT_SUITE_DIR).filter((c: { file: string; note: string }) => wanted.has(caseKey(c)));
    const results = await runCasesInPool(cases, { timeoutMs: 20_000 });
    const failures = results.filter((r: { status: string }) => r.status !== 'passed').map((r: any) => `${r.file} ${r.note}: ${r.reason}`);
    expect(failures).toEqual([]);
    // A note can repeat within a file: every case under a baseline key ran.
    expect(new Set(results.map(caseKey)).size).toBe(new Set(baseline.map(caseKey)).size);
  }, 600_000);
});
