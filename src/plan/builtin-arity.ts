// What the planner needs to know about a builtin: how many arguments it declares (a call with one
// more passes the output, `count(xs, n)`), and whether it is a relation (several results, `walk`).
import { lookupBuiltin } from '../check/builtins.js';

/** Declared argument count, or undefined for unknown and variadic builtins. */
export function builtinArity(name: string): number | undefined {
  const decl = lookupBuiltin(name);
  if (!decl || decl.variadic) return undefined;
  return decl.arity;
}

export function isRelation(name: string): boolean {
  return lookupBuiltin(name)?.relation === true;
}
