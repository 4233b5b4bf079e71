// Calls: undefined functions, wrong number of arguments, and argument types that are wrong
// whatever the input (rego_type_error). The type check is deliberately conservative: it only
// judges arguments whose type is known without evaluation (literals, composites, results of
// builtins with a definite result type), so it never rejects a policy OPA accepts.
import type { Body, CallTerm, Expr, RefTerm, Rule, Term } from '../syntax/ast.js';
import type { RegoError } from '../syntax/diagnostics.js';
import { lookupBuiltin, typeName, type RegoType } from './builtins.js';
import { dataPrefix, dottedName, showPath, showTerm } from './terms.js';

export interface FunctionInfo {
  name: string;
  deprecated?: boolean;
  arity: number;
  args?: RegoType[];
  result?: RegoType;
  variadic: boolean;
}

export interface CallContext {
  /** Arity of the user function at a data path (`data.a.f` → ["a", "f"]), if one is defined there. */
  userFunction(path: string[]): number | undefined;
  errors: RegoError[];
}

/** What an operator names: a builtin, a user function, or nothing known. */
export function resolveFunction(op: RefTerm, ctx: CallContext): FunctionInfo | 'unknown' | undefined {
  const data = dataPrefix(op);
  if (data !== undefined) {
    if (!data.complete) return 'unknown';
    const arity = ctx.userFunction(data.path);
    if (arity === undefined) return undefined;
    return { name: showPath(data.path), arity, result: ANY, variadic: false };
  }
  const name = dottedName(op);
  // Calls through locals (`x(1)`) are not judged here.
  if (name === undefined) return 'unknown';
  const b = lookupBuiltin(name);
  if (b === undefined) return undefined;
  return { name, arity: b.arity, args: b.args, result: b.result, variadic: b.variadic !== undefined, deprecated: b.deprecated };
}

/**
 * Checks every call of a rule (or query body) in one walk: undefined functions go to `undefined`,
 * arity mismatches and statically wrong argument types to `types` (OPA reports them in a later
 * stage, so the caller decides whether they are shown).
 */
export function checkCalls(
  rule: Rule | undefined,
  body: Body,
  ctx: CallContext,
  undefinedErrors: RegoError[],
  typeErrors: RegoError[],
  /** Where calls of deprecated builtins are reported (Rego v1 rejects them); omitted for v0. */
  deprecatedErrors?: RegoError[],
): void {
  walkCalls(rule, body, (call, topLevel, replaced) => {
    const f = resolveFunction(call.operator, ctx);
    if (f === undefined) {
      undefinedErrors.push({ code: 'rego_type_error', message: `undefined function ${showTerm(call.operator)}`, location: call.location });
      return;
    }
    if (f === 'unknown') return;
    if (f.deprecated && deprecatedErrors !== undefined) {
      deprecatedErrors.push({ code: 'rego_type_error', message: `deprecated built-in function calls in expression: ${f.name}`, location: call.location });
    }
    const report = (what: string) => {
      const have = call.args.map((a) => staticType(a, ctx));
      const args = (f.args ?? Array.from({ length: f.arity }, () => ANY)).map(typeName);
      if (f.result !== undefined) args.push(typeName(f.result));
      typeErrors.push({
        code: 'rego_type_error',
        message: `${f.name}: ${what}\n\thave: (${have.map((t) => (t === undefined ? 'any' : typeName(t))).join(', ')})\n\twant: (${args.join(', ')})`,
        location: call.location,
      });
    };
    if (!f.variadic) {
      const max = f.arity + (topLevel ? 1 : 0);
      if (call.args.length < f.arity) return report('too few arguments');
      if (call.args.length > max) return report('too many arguments');
    }
    // A builtin replaced with `with` may accept anything; only judge unreplaced builtins.
    if (f.args === undefined || replaced) return;
    for (let i = 0; i < f.arity && i < call.args.length; i++) {
      const t = staticType(call.args[i]!, ctx);
      if (t !== undefined && !accepts(f.args[i]!, t)) return report('invalid argument(s)');
    }
  });
}

const ANY: RegoType = { type: 'any' };
const SCALAR_TYPES: Record<string, RegoType> = {
  null: { type: 'null' },
  boolean: { type: 'boolean' },
  number: { type: 'number' },
  string: { type: 'string' },
};
const ARRAY_TYPE: RegoType = { type: 'array', dynamic: ANY };
const SET_TYPE: RegoType = { type: 'set', of: ANY };
const OBJECT_TYPE: RegoType = { type: 'object', dynamic: { key: ANY, value: ANY } };

/** The type of a term when it is known without evaluating anything. */
function staticType(t: Term, ctx: CallContext): RegoType | undefined {
  switch (t.type) {
    case 'null':
    case 'boolean':
    case 'number':
    case 'string':
      return SCALAR_TYPES[t.type];
    case 'templatestring':
      return SCALAR_TYPES.string;
    case 'array':
    case 'arraycomprehension':
      return ARRAY_TYPE;
    case 'set':
    case 'setcomprehension':
      return SET_TYPE;
    case 'object':
    case 'objectcomprehension':
      return OBJECT_TYPE;
    case 'call': {
      const f = resolveFunction(t.operator, ctx);
      if (f === undefined || f === 'unknown' || f.result === undefined) return undefined;
      return f.result.type === 'any' || f.result.type === 'function' ? undefined : f.result;
    }
    default:
      return undefined;
  }
}

/** Whether a declared parameter type admits a value of the (top-level) type `have`. */
function accepts(want: RegoType, have: RegoType): boolean {
  if (want.type === 'any') return want.of === undefined || want.of.some((w) => accepts(w, have));
  return want.type === have.type;
}

/**
 * Visits every call in a rule (heads, bodies, else links, closures) or query body. `topLevel` is
 * true for a call that is a whole expression (it may pass one extra output argument).
 */
function walkCalls(rule: Rule | undefined, body: Body, visit: (call: CallTerm, topLevel: boolean, replaced: boolean) => void): void {
  const inTerm = (t: Term, replaced: boolean): void => {
    switch (t.type) {
      case 'call':
        visit(t, false, replaced);
        for (const a of t.args) inTerm(a, replaced);
        return;
      case 'ref':
        for (const x of t.terms) inTerm(x, replaced);
        return;
      case 'array':
      case 'set':
        for (const x of t.items) inTerm(x, replaced);
        return;
      case 'object':
        for (const [k, v] of t.entries) {
          inTerm(k, replaced);
          inTerm(v, replaced);
        }
        return;
      case 'templatestring':
        for (const p of t.parts) if (p.type !== 'string') inTerm(p, replaced);
        return;
      case 'arraycomprehension':
      case 'setcomprehension':
        inTerm(t.head, replaced);
        inBody(t.body, replaced);
        return;
      case 'objectcomprehension':
        inTerm(t.key, replaced);
        inTerm(t.value, replaced);
        inBody(t.body, replaced);
        return;
      default:
        return;
    }
  };
  const inExpr = (e: Expr, outerReplaced: boolean): void => {
    const replaced = outerReplaced || e.with.some((w) => !isRootRef(w.target));
    const v = e.value;
    if (v.type === 'call') {
      visit(v, true, replaced);
      for (const a of v.args) inTerm(a, replaced);
    } else if (v.type === 'some') {
      for (const s of v.symbols) if (s.type === 'call') for (const a of s.args) inTerm(a, replaced);
    } else if (v.type === 'every') {
      inTerm(v.domain, replaced);
      inBody(v.body, replaced);
    } else {
      inTerm(v, replaced);
    }
    for (const w of e.with) inTerm(w.value, replaced);
  };
  const inBody = (b: Body, replaced: boolean): void => {
    for (const e of b) inExpr(e, replaced);
  };
  if (rule !== undefined) {
    for (let link: Rule | undefined = rule; link !== undefined; link = link.else) {
      inBody(link.body, false);
      const h = link.head;
      for (let i = 1; i < h.ref.terms.length; i++) inTerm(h.ref.terms[i]!, false);
      if (h.key !== undefined) inTerm(h.key, false);
      if (h.value !== undefined) inTerm(h.value, false);
      for (const a of h.args ?? []) inTerm(a, false);
    }
  } else {
    inBody(body, false);
  }
}

function isRootRef(ref: RefTerm): boolean {
  const head = ref.terms[0];
  return head !== undefined && head.type === 'var' && (head.name === 'input' || head.name === 'data') && !isFunctionLike(ref);
}

// `with data.a.f as …` may replace a user function; treat any data target as a possible replacement.
function isFunctionLike(ref: RefTerm): boolean {
  const head = ref.terms[0];
  return head !== undefined && head.type === 'var' && head.name === 'data';
}
