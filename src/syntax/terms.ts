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

/**
 * True when `test` holds for the term or a term inside it: ref segments, call arguments (not the
 * operator), collection items, template parts. Comprehension bodies are not entered: they have
 * their own scope.
 */
export function someTerm(term: Term, test: (t: Term) => boolean): boolean {
  if (test(term)) return true;
  const inner = (t: Term): boolean => someTerm(t, test);
  switch (term.type) {
    case 'ref':
      return term.terms.some(inner);
    case 'call':
      return term.args.some(inner);
    case 'array':
    case 'set':
      return term.items.some(inner);
    case 'object':
      return term.entries.some(([k, v]) => inner(k) || inner(v));
    case 'templatestring':
      return term.parts.some(inner);
    default:
      return false;
  }
}
