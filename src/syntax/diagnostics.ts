// Errors found in Rego sources, with OPA's error codes, and how they are shown to a person.
import type { Location } from './ast.js';

export type RegoErrorCode =
  | 'rego_parse_error'
  | 'rego_type_error'
  | 'rego_compile_error'
  | 'rego_unsafe_var_error'
  | 'rego_recursion_error';

export interface RegoError {
  code: RegoErrorCode;
  message: string;
  location: Location;
}

/** Thrown (or returned) when sources have errors; holds every error found, not only the first. */
export class RegoErrors extends Error {
  constructor(readonly errors: RegoError[]) {
    super(errors.map((e) => `${e.location.file}:${e.location.row}:${e.location.col}: ${e.code}: ${e.message}`).join('\n'));
    this.name = 'RegoErrors';
  }
}

/**
 * `FILE:ROW:COL: CODE: message`, then the source line and a caret under the column, as
 * `govern check` prints it. `source` is the file's text when it is at hand.
 */
export function formatRegoError(error: RegoError, source?: string): string {
  const { file, row, col } = error.location;
  const head = `${file}:${row}:${col}: ${error.code}: ${error.message}`;
  if (source === undefined) return head;
  const line = source.split(/\r?\n/)[row - 1];
  if (line === undefined) return head;
  const pad = line.slice(0, Math.max(0, col - 1)).replace(/[^\t]/g, ' ');
  return `${head}\n\t${line}\n\t${pad}^`;
}
