// Loading OPA's conformance cases (YAML files of `cases:` lists) from a folder tree.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';

export interface ConformanceCase {
  /** Path of the YAML file relative to the suite folder, with `/` separators. */
  file: string;
  /** The folder (topic) the file is in. */
  category: string;
  note: string;
  query?: string;
  modules?: string[];
  data?: unknown;
  input?: unknown;
  input_term?: string;
  want_result?: Record<string, unknown>[];
  want_error_code?: string;
  want_error?: string;
  strict_error?: boolean;
  sort_bindings?: boolean;
  /** Fields of the case the runner does not understand: the case is skipped, naming them. */
  unknownFields: string[];
}

/** Fields the runner knows how to honour. `ignore_generated_vars`: generated vars are always dropped. */
const KNOWN_FIELDS = new Set([
  'note',
  'query',
  'modules',
  'data',
  'input',
  'input_term',
  'want_result',
  'want_error_code',
  'want_error',
  'strict_error',
  'sort_bindings',
  'ignore_generated_vars',
]);

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...yamlFiles(path));
    else if (entry.name.endsWith('.yaml') || entry.name.endsWith('.yml')) out.push(path);
  }
  return out.sort();
}

/** Reads every case under `dir`; `filter` keeps cases whose file or note contains it. */
export function loadCases(dir: string, filter?: string): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  for (const path of yamlFiles(dir)) {
    const file = relative(dir, path).split(sep).join('/');
    const category = file.includes('/') ? file.slice(0, file.indexOf('/')) : '.';
    const doc = parseYaml(readFileSync(path, 'utf8')) as { cases?: Record<string, unknown>[] } | null;
    for (const raw of doc?.cases ?? []) {
      const note = String(raw.note ?? '');
      if (filter && !file.includes(filter) && !note.includes(filter)) continue;
      const unknownFields = Object.keys(raw).filter((k) => !KNOWN_FIELDS.has(k));
      cases.push({ ...(raw as object), file, category, note, unknownFields } as ConformanceCase);
    }
  }
  return cases;
}

/** A case's identity: file + note. */
export function caseKey(c: { file: string; note: string }): string {
  return `${c.file}#${c.note}`;
}

export type CaseStatus = 'passed' | 'failed' | 'skipped';

export interface CaseResult {
  file: string;
  note: string;
  status: CaseStatus;
  /** Why it failed or was skipped (empty when it passed). */
  reason: string;
}
