// Shared checks for the syntax tests.
import { expect } from 'vitest';

/** Every location in the tree: row/col must agree with the offset, and the span lie in the source. */
export function assertLocations(node: unknown, source: string, file: string, what: string): void {
  const lineStarts = [0];
  for (let k = 0; k < source.length; k++) if (source.charCodeAt(k) === 10) lineStarts.push(k + 1);
  const seen = new Set<object>();
  const visit = (x: unknown): void => {
    if (x === null || typeof x !== 'object' || seen.has(x)) return;
    seen.add(x);
    if (Array.isArray(x)) {
      for (const item of x) visit(item);
      return;
    }
    const obj = x as Record<string, unknown>;
    const loc = obj.location as { file: string; row: number; col: number; offset: number; length: number } | undefined;
    if (loc && typeof loc.offset === 'number') {
      const row = loc.row;
      expect(loc.file, what).toBe(file);
      expect(row >= 1 && row <= lineStarts.length, `${what}: row ${row}`).toBe(true);
      expect(loc.offset, `${what}: offset of ${row}:${loc.col}`).toBe(lineStarts[row - 1]! + loc.col - 1);
      expect(loc.length >= 0 && loc.offset + loc.length <= source.length, `${what}: span`).toBe(true);
    }
    for (const [key, value] of Object.entries(obj)) if (key !== 'location') visit(value);
  };
  visit(node);
}
