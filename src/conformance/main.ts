#!/usr/bin/env node
// `npm run conformance -- [--dir DIR] [--filter TEXT] [--json FILE] [--update-baseline]`
// Runs OPA's conformance cases through govern's compiler and the official opa-wasm SDK, prints a
// table per topic and the closing line `N passed, N failed`.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BASELINE_FILE, DEFAULT_SUITE_DIR, growBaseline, readBaseline } from './baseline.js';
import { caseKey, loadCases } from './cases.js';
import { runCasesInPool } from './pool.js';
import type { CaseResult } from './cases.js';

const HELP = `Usage: npm run conformance -- [options]

Runs every conformance case (default folder: ../shared/conformance/opa-v1 next to the repository).

Options:
  --dir DIR            folder of case YAML files
  --filter TEXT        only cases whose file or note contains TEXT (e.g. --filter aggregates/)
  --json FILE          also write {passed, failed, skipped, cases:[{file, note, status, reason}]}
  --update-baseline    add the passing cases to test/conformance-baseline.json (never removes)
  --timeout MS         time limit per case (default 10000)
  --workers N          cases run in parallel (default: number of CPUs)
  --verbose            print the reason of every failed case
Example: npm run conformance -- --filter sets/ --verbose`;

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

function printTable(results: CaseResult[], categoryOf: (r: CaseResult) => string): void {
  const rows = new Map<string, { passed: number; failed: number; skipped: number }>();
  for (const r of results) {
    const cat = categoryOf(r);
    const row = rows.get(cat) ?? { passed: 0, failed: 0, skipped: 0 };
    row[r.status]++;
    rows.set(cat, row);
  }
  const width = Math.max(10, ...[...rows.keys()].map((k) => k.length)) + 2;
  console.log(`${pad('category', width)}${pad('passed', 8)}${pad('failed', 8)}skipped`);
  for (const [cat, row] of [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : 1)))
    console.log(`${pad(cat, width)}${pad(String(row.passed), 8)}${pad(String(row.failed), 8)}${row.skipped}`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string' },
      filter: { type: 'string' },
      json: { type: 'string' },
      'update-baseline': { type: 'boolean' },
      timeout: { type: 'string' },
      workers: { type: 'string' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const dir = values.dir ? resolve(values.dir) : DEFAULT_SUITE_DIR;
  let cases;
  try {
    cases = loadCases(dir, values.filter);
  } catch (err) {
    process.stderr.write(`conformance: cannot read cases from ${dir}: ${(err as Error).message}\n`);
    return 2;
  }
  const categoryByKey = new Map(cases.map((c) => [caseKey(c), c.category]));
  let finished = 0;
  const results = await runCasesInPool(cases, {
    timeoutMs: values.timeout ? Number(values.timeout) : undefined,
    workers: values.workers ? Number(values.workers) : undefined,
    onResult: () => {
      finished++;
      if (process.stderr.isTTY && finished % 25 === 0) process.stderr.write(`\r${finished}/${cases.length}`);
    },
  });
  if (process.stderr.isTTY) process.stderr.write('\r');

  printTable(results, (r) => categoryByKey.get(caseKey(r)) ?? '.');
  const passed = results.filter((r) => r.status === 'passed').length;
  const failed = results.filter((r) => r.status === 'failed').length;
  const skipped = results.filter((r) => r.status === 'skipped');
  if (values.verbose) {
    for (const r of results.filter((x) => x.status === 'failed')) console.log(`FAIL ${r.file} ${r.note}: ${r.reason}`);
  }
  if (skipped.length > 0) {
    const reasons = new Map<string, number>();
    for (const s of skipped) reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1);
    console.log(`${skipped.length} skipped:`);
    for (const [reason, n] of reasons) console.log(`  ${n} × ${reason}`);
  }

  const baseline = new Set(readBaseline().map(caseKey));
  const regressions = results.filter((r) => r.status !== 'passed' && baseline.has(caseKey(r)));
  for (const r of regressions) console.log(`REGRESSION (in baseline): ${r.file} ${r.note}: ${r.reason}`);
  if (values['update-baseline']) {
    const added = growBaseline(results);
    console.log(`baseline: ${added.length} case(s) added to ${BASELINE_FILE}`);
  }
  if (values.json) {
    const report = {
      passed,
      failed,
      skipped: skipped.length,
      cases: results.map((r) => ({ file: r.file, note: r.note, status: r.status, reason: r.reason })),
    };
    writeFileSync(values.json, JSON.stringify(report, null, 1) + '\n');
  }
  console.log(`${passed} passed, ${failed} failed`);
  // A baseline case that no longer passes is a regression: fail the run.
  return regressions.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`conformance: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
