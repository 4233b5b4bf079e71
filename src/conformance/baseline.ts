// The conformance baseline: the cases known to pass (file + note), checked by `npm test` so that a
// passing case never silently starts failing. It only grows: entries are never dropped here.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { caseKey } from './cases.js';
import type { CaseResult } from './cases.js';

export interface BaselineEntry {
  file: string;
  note: string;
}

/** The repository root (this file is src/conformance/… or dist/conformance/…). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The suite, at `../shared/conformance/opa-v1` next to the repository (as CI lays it out). */
export const DEFAULT_SUITE_DIR = join(REPO_ROOT, '..', 'shared', 'conformance', 'opa-v1');
export const BASELINE_FILE = join(REPO_ROOT, 'test', 'conformance-baseline.json');

export function readBaseline(path = BASELINE_FILE): BaselineEntry[] {
  if (!existsSync(path)) return [];
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as { cases?: BaselineEntry[] };
  return parsed.cases ?? [];
}

/** Sorted, each key once. */
function sortEntries(entries: BaselineEntry[]): BaselineEntry[] {
  const unique = new Map(entries.map((e) => [caseKey(e), { file: e.file, note: e.note }]));
  return [...unique.values()].sort((a, b) => (caseKey(a) < caseKey(b) ? -1 : caseKey(a) > caseKey(b) ? 1 : 0));
}

/**
 * Adds every passing case to the baseline; keeps every existing entry (a baseline case that now
 * fails is reported by the caller, not dropped). Returns the entries added.
 */
export function growBaseline(results: CaseResult[], path = BASELINE_FILE): BaselineEntry[] {
  const existing = readBaseline(path);
  const known = new Set(existing.map(caseKey));
  // A few notes repeat within a file: a key is added only when every case under it passed.
  const failing = new Set(results.filter((r) => r.status !== 'passed').map(caseKey));
  const added: BaselineEntry[] = [];
  for (const r of results) {
    const key = caseKey(r);
    if (r.status !== 'passed' || failing.has(key) || known.has(key)) continue;
    known.add(key);
    added.push({ file: r.file, note: r.note });
  }
  const all = sortEntries([...existing, ...added]);
  writeFileSync(path, JSON.stringify({ description: 'Conformance cases govern passes; npm test fails if one of them fails. Grow with `npm run conformance -- --update-baseline`.', cases: all }, null, 1) + '\n');
  return added;
}
