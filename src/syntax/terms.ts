// Small questions about terms that several stages ask.
import type { Term } from './ast.js';

/** True when the term has no variables, refs or calls: scalars and collections of them. */
export function isGround(term: Term): boolean {
  switch (term.type) {
    case 'null':
    case 'boolean':
    case 'number':
    case 'string':
      return true;
    case 'array':
    case 'set':
      return term.items.every(isGround);
    case 'object':
      return term.entries.every(([k, v]) => isGround(k) && isGround(v));
    default:
      return false;
  }
}
