// Safety: every variable must be bound by some expression before it is used, and bodies are
// reordered so that a left-to-right evaluation binds each variable before its first use (OPA's
// reorderBodyForSafety). Unbindable variables are rego_unsafe_var_error ("var x is unsafe").
//
// What binds (an expression's "output vars", given the vars already bound):
// - a ref whose head is bound binds the vars in its path: `input.a[i]` binds i;
// - `=` / `:=` unify: a var on one side is bound when the other side is fully bound, arrays and
//   objects unify element by element (`[x, 1] = [2, y]` binds x and y);
// - a call with one argument more than the function's arity binds the vars of that last
//   argument once the other arguments are bound (`count(xs, n)`);
// - `some x in xs` binds the pattern x once xs is bound;
// - `not …`, `every`, plain `some x` bind nothing.
// A comprehension or `every` body is checked with the outer bound vars; an expression holding a
// closure waits until the closure's outside vars that the body can still bind are bound.
import type { Body, Expr, Location, RefTerm, Rule, Term, VarTerm } from '../syntax/ast.js';
import type { RegoError } from '../syntax/diagnostics.js';
import { collectPatternVars } from './resolve.js';
import { lookupBuiltin } from './builtins.js';
import { dottedName, exprTerms, forEachClosure, forEachVar, groundKey } from './terms.js';

export interface SafetyContext {
  errors: RegoError[];
  rewritten: ReadonlyMap<string, string>;
  /** Declared arity of the function an operator names (builtin or user function). */
  arityOf(op: RefTerm): number | undefined;
}

const ROOT_NAMES = ['data', 'input'];

interface Unsafe {
  /** First occurrence of each unsafe var. */
  vars: Map<string, VarTerm>;
  /** Expressions left unsafe (for "expression is unsafe" when only generated vars are unsafe). */
  exprs: Expr[];
}

interface ReorderResult {
  body: Body;
  safe: Set<string>;
  unsafe: Unsafe;
}

export class SafetyChecker {
  constructor(private readonly ctx: SafetyContext) {}

  /** Reorders a rule's bodies in place and reports unsafe vars in bodies and heads. */
  checkRule(rule: Rule): void {
    const argVars = new Set<string>();
    for (const a of rule.head.args ?? []) forEachVar(a, (v) => argVars.add(v.name));
    for (let link: Rule | undefined = rule; link !== undefined; link = link.else) {
      const result = this.reorder(link.body, argVars, true);
      link.body = result.body;
      const bound = new Set(result.safe);
      // As OPA does, a head var counts as bound when it occurs in the body at all (if it occurs
      // unsafely there, the body's error already says so).
      for (const e of link.body) for (const t of exprTerms(e)) forEachVar(t, (v) => bound.add(v.name));
      const headTerms: Term[] = [];
      for (let i = 1; i < link.head.ref.terms.length; i++) headTerms.push(link.head.ref.terms[i]!);
      if (link.head.key !== undefined) headTerms.push(link.head.key);
      if (link.head.value !== undefined) headTerms.push(link.head.value);
      const reported = new Set<string>();
      for (const t of headTerms) {
        forEachVar(t, (v) => {
          if (bound.has(v.name) || reported.has(v.name) || v.wildcard) return;
          reported.add(v.name);
          this.ctx.errors.push({ code: 'rego_unsafe_var_error', message: `var ${this.show(v.name)} is unsafe`, location: link!.location });
        });
        this.finishClosures(t, bound);
      }
    }
  }

  /** Reorders a query in place; reports unsafe vars. Returns the vars the query binds. */
  checkQuery(body: Body): { body: Body; safe: Set<string> } {
    const result = this.reorder(body, new Set(), true);
    return { body: result.body, safe: result.safe };
  }

  private show(name: string): string {
    return this.ctx.rewritten.get(name) ?? name;
  }

  /**
   * Orders `body` for safety given the vars `outer` already bound. With `report`, closures of
   * accepted expressions are reordered in place too and errors are recorded; without it this is
   * a dry run that only computes what stays unsafe.
   */
  private reorder(body: Body, outer: ReadonlySet<string>, report: boolean): ReorderResult {
    const safe = new Set<string>(outer);
    for (const r of ROOT_NAMES) safe.add(r);
    const bodyVars = new Set<string>();
    for (const e of body) for (const t of exprTerms(e)) forEachVar(t, (v) => bodyVars.add(v.name));

    let remaining = body;
    const ordered: Expr[] = [];
    const accepted: { expr: Expr; closureSafe: ReadonlySet<string> }[] = [];
    for (;;) {
      const next: Expr[] = [];
      for (const e of remaining) {
        const outputs = this.outputVars(e, safe);
        if (this.isMissingAny(e, safe, outputs)) {
          next.push(e);
          continue;
        }
        let closureSafe: ReadonlySet<string> = safe;
        const closureVars = closureOuterVars(e, bodyVars);
        if (closureVars !== undefined) {
          closureSafe = union(safe, outputs);
          // Only a closure reading a var the body may still bind can have to wait.
          let mayWait = false;
          for (const name of closureVars) if (!closureSafe.has(name)) mayWait = true;
          if (mayWait) {
            const closureUnsafe = this.closureUnsafeVars(e, closureSafe);
            let waits = false;
            for (const name of closureUnsafe.keys()) if (bodyVars.has(name)) waits = true;
            if (waits) {
              next.push(e);
              continue;
            }
          }
        }
        ordered.push(e);
        // Closures are reordered once the body's order is known, with the vars bound at this point.
        if (closureVars !== undefined) accepted.push({ expr: e, closureSafe });
        for (const v of outputs) safe.add(v);
      }
      if (next.length === 0 || next.length === remaining.length) {
        remaining = next;
        break;
      }
      remaining = next;
    }

    const unsafe: Unsafe = { vars: new Map(), exprs: [] };
    for (const e of remaining) {
      const missing = this.missingVars(e, safe, new Set());
      for (const [name, v] of this.closureUnsafeVars(e, safe)) if (bodyVars.has(name) && !missing.has(name)) missing.set(name, v);
      for (const [name, v] of missing) {
        const seen = unsafe.vars.get(name);
        if (seen === undefined || before(v.location, seen.location)) unsafe.vars.set(name, v);
      }
      unsafe.exprs.push(e);
    }

    if (report) {
      for (const { expr, closureSafe } of accepted) this.finishExprClosures(expr, closureSafe);
      this.reportUnsafe(unsafe);
    }
    return { body: [...ordered, ...remaining], safe, unsafe };
  }

  private reportUnsafe(unsafe: Unsafe): void {
    if (unsafe.exprs.length === 0) return;
    const named = [...unsafe.vars.values()].filter((v) => !isGenerated(v)).sort((a, b) => a.location.offset - b.location.offset);
    for (const v of named) {
      this.ctx.errors.push({ code: 'rego_unsafe_var_error', message: `var ${this.show(v.name)} is unsafe`, location: v.location });
    }
    if (named.length > 0) return;
    for (const e of unsafe.exprs) {
      this.ctx.errors.push({ code: 'rego_unsafe_var_error', message: 'expression is unsafe', location: e.location });
    }
  }

  /** Whether `e` needs a var that is neither bound already nor bound by `e` itself. */
  private isMissingAny(e: Expr, safe: ReadonlySet<string>, outputs: ReadonlySet<string>): boolean {
    let missing = false;
    forEachInputVar(e, (v) => {
      if (!missing && !safe.has(v.name) && !outputs.has(v.name)) missing = true;
    });
    return missing;
  }

  /** The vars `e` needs that are neither bound already nor bound by `e` itself, first occurrences. */
  private missingVars(e: Expr, safe: ReadonlySet<string>, outputs: ReadonlySet<string>): Map<string, VarTerm> {
    const missing = new Map<string, VarTerm>();
    forEachInputVar(e, (v) => {
      if (!safe.has(v.name) && !outputs.has(v.name) && !missing.has(v.name)) missing.set(v.name, v);
    });
    return missing;
  }

  private outputVars(e: Expr, safe: ReadonlySet<string>): Set<string> {
    const out = new Set<string>();
    if (e.negated) return out;
    const value = e.value;
    if (value.type === 'every') return out;
    if (value.type === 'some') {
      for (const s of value.symbols) {
        if (s.type !== 'call' || s.args.length < 2) continue;
        const domain = s.args[s.args.length - 1]!;
        refOutputs(domain, safe, out);
        if (!allBound(domain, safe, out)) continue;
        for (let i = 0; i < s.args.length - 1; i++) collectPatternVars(s.args[i]!, (v) => out.add(v.name));
      }
      return out;
    }
    if (value.type !== 'call') {
      refOutputs(value, safe, out);
      return out;
    }
    for (const a of value.args) refOutputs(a, safe, out);
    const op = value.operator;
    if (isOp(op, 'eq') || isOp(op, 'assign')) {
      if (value.args.length !== 2) return out;
      const [a, b] = value.args as [Term, Term];
      for (;;) {
        const size = out.size;
        unify(a, b, safe, out);
        if (out.size === size) break;
      }
      return out;
    }
    const arity = this.ctx.arityOf(op);
    if (arity === undefined || value.args.length !== arity + 1) return out;
    for (let i = 0; i < arity; i++) if (!allBound(value.args[i]!, safe, out)) return out;
    forEachVar(value.args[arity]!, (v) => out.add(v.name));
    return out;
  }

  /** Vars that closures in `e` need from outside and cannot bind themselves (dry run). */
  private closureUnsafeVars(e: Expr, safe: ReadonlySet<string>): Map<string, VarTerm> {
    const out = new Map<string, VarTerm>();
    const add = (u: Map<string, VarTerm>) => {
      for (const [k, v] of u) if (!out.has(k)) out.set(k, v);
    };
    const value = e.value;
    if (value.type === 'every') add(this.everyUnsafe(value, safe, false));
    for (const t of exprTerms(e)) forEachClosure(t, (c) => add(this.comprehensionUnsafe(c, safe, false)));
    return out;
  }

  private everyUnsafe(every: Extract<Expr['value'], { type: 'every' }>, safe: ReadonlySet<string>, report: boolean): Map<string, VarTerm> {
    const inner = new Set(safe);
    if (every.key !== undefined) collectPatternVars(every.key, (v) => inner.add(v.name));
    collectPatternVars(every.value, (v) => inner.add(v.name));
    const result = this.reorder(every.body, inner, report);
    if (report) every.body = result.body;
    return result.unsafe.vars;
  }

  private comprehensionUnsafe(c: Term, safe: ReadonlySet<string>, report: boolean): Map<string, VarTerm> {
    if (c.type !== 'arraycomprehension' && c.type !== 'setcomprehension' && c.type !== 'objectcomprehension') return new Map();
    const result = this.reorder(c.body, safe, report);
    if (report) c.body = result.body;
    const unsafe = new Map(result.unsafe.vars);
    const heads = c.type === 'objectcomprehension' ? [c.key, c.value] : [c.head];
    const headUnsafe = new Map<string, VarTerm>();
    for (const h of heads) {
      forEachVar(h, (v) => {
        if (!result.safe.has(v.name) && !unsafe.has(v.name) && !headUnsafe.has(v.name)) headUnsafe.set(v.name, v);
      });
      if (report) this.finishClosures(h, result.safe);
    }
    if (report) {
      // Only vars the body never mentions are head errors; the others were reported in the body.
      for (const v of headUnsafe.values()) {
        if (!isGenerated(v)) this.ctx.errors.push({ code: 'rego_unsafe_var_error', message: `var ${this.show(v.name)} is unsafe`, location: v.location });
      }
    }
    for (const [k, v] of headUnsafe) unsafe.set(k, v);
    return unsafe;
  }

  private finishExprClosures(e: Expr, safe: ReadonlySet<string>): void {
    const value = e.value;
    if (value.type === 'every') this.everyUnsafe(value, safe, true);
    for (const t of exprTerms(e)) this.finishClosures(t, safe);
  }

  private finishClosures(t: Term, safe: ReadonlySet<string>): void {
    forEachClosure(t, (c) => {
      this.comprehensionUnsafe(c, safe, true);
    });
  }
}

/** Every var an expression reads or binds, outside its closures. */
function forEachInputVar(e: Expr, visit: (v: VarTerm) => void): void {
  // A wildcard under `not` stands for "any value": it needs no binding.
  const see = e.negated ? (v: VarTerm) => void (v.wildcard || visit(v)) : visit;
  const value = e.value;
  if (value.type === 'some') {
    for (const s of value.symbols) if (s.type === 'call') for (const a of s.args) forEachVar(a, see);
  } else if (value.type === 'every') {
    forEachVar(value.domain, see);
  } else {
    forEachVar(value, see);
  }
  for (const w of e.with) if (!namesFunction(w.target, w.value)) forEachVar(w.value, see);
}

/** `with f as g` where g is a builtin's name: g is a function, not a var to bind. */
function namesFunction(target: RefTerm, value: Term): boolean {
  const root = target.terms[0];
  if (root?.type === 'var' && root.name === 'input') return false;
  const name = value.type === 'var' ? value.name : value.type === 'ref' ? dottedName(value) : undefined;
  return name !== undefined && lookupBuiltin(name) !== undefined;
}

function isOp(op: RefTerm, name: string): boolean {
  return op.terms.length === 1 && op.terms[0]!.type === 'var' && op.terms[0]!.name === name;
}

/**
 * For an expression holding closures (comprehensions, an every body): the vars of the enclosing
 * body that they mention. undefined when the expression holds no closure.
 */
function closureOuterVars(e: Expr, bodyVars: ReadonlySet<string>): Set<string> | undefined {
  let out: Set<string> | undefined;
  const add = (v: VarTerm) => {
    if (bodyVars.has(v.name)) out!.add(v.name);
  };
  if (e.value.type === 'every') {
    out = new Set();
    forEachVarDeepInBody(e.value.body, add);
  }
  for (const t of exprTerms(e)) {
    forEachClosure(t, (c) => {
      out ??= new Set();
      forEachVarDeep(c, add);
    });
  }
  return out;
}

/** Every var in a term, closures included. */
function forEachVarDeep(t: Term, visit: (v: VarTerm) => void): void {
  forEachVar(t, visit);
  forEachClosure(t, (c) => {
    if (c.type === 'objectcomprehension') {
      forEachVarDeep(c.key, visit);
      forEachVarDeep(c.value, visit);
    } else if (c.type === 'arraycomprehension' || c.type === 'setcomprehension') {
      forEachVarDeep(c.head, visit);
    }
    if (c.type === 'arraycomprehension' || c.type === 'setcomprehension' || c.type === 'objectcomprehension') forEachVarDeepInBody(c.body, visit);
  });
}

function forEachVarDeepInBody(body: Body, visit: (v: VarTerm) => void): void {
  for (const e of body) {
    for (const t of exprTerms(e)) forEachVarDeep(t, visit);
    if (e.value.type === 'every') {
      if (e.value.key !== undefined) forEachVar(e.value.key, visit);
      forEachVar(e.value.value, visit);
      forEachVarDeepInBody(e.value.body, visit);
    }
  }
}

function isGenerated(v: VarTerm): boolean {
  return v.wildcard === true || v.name.startsWith('$');
}

function before(a: Location, b: Location): boolean {
  return a.offset < b.offset;
}

function union(a: ReadonlySet<string>, b: ReadonlySet<string>): Set<string> {
  const out = new Set(a);
  for (const x of b) out.add(x);
  return out;
}

function allBound(t: Term, safe: ReadonlySet<string>, out: ReadonlySet<string>): boolean {
  let ok = true;
  forEachVar(t, (v) => {
    if (!safe.has(v.name) && !out.has(v.name)) ok = false;
  });
  return ok;
}

/**
 * Vars bound by evaluating the refs in `t`: the path vars of every ref whose head is bound.
 * Vars under calls are arguments (inputs), not outputs.
 */
function refOutputs(t: Term, safe: ReadonlySet<string>, out: Set<string>): void {
  switch (t.type) {
    case 'ref': {
      const head = t.terms[0]!;
      const headBound = head.type !== 'var' || safe.has(head.name) || out.has(head.name);
      if (head.type !== 'var') refOutputs(head, safe, out);
      for (let i = 1; i < t.terms.length; i++) {
        const seg = t.terms[i]!;
        if (headBound) pathVars(seg, out);
        refOutputs(seg, safe, out);
      }
      return;
    }
    case 'array':
    case 'set':
      for (const x of t.items) refOutputs(x, safe, out);
      return;
    case 'object':
      for (const [k, v] of t.entries) {
        refOutputs(k, safe, out);
        refOutputs(v, safe, out);
      }
      return;
    case 'call':
      for (const x of t.args) refOutputs(x, safe, out);
      return;
    case 'templatestring':
      for (const p of t.parts) if (p.type !== 'string') refOutputs(p, safe, out);
      return;
    default:
      return;
  }
}

/** Vars a ref path segment binds: vars and composite members, not nested ref heads or call args. */
function pathVars(t: Term, out: Set<string>): void {
  switch (t.type) {
    case 'var':
      out.add(t.name);
      return;
    case 'ref':
      for (let i = 1; i < t.terms.length; i++) pathVars(t.terms[i]!, out);
      return;
    case 'array':
    case 'set':
      for (const x of t.items) pathVars(x, out);
      return;
    case 'object':
      for (const [k, v] of t.entries) {
        pathVars(k, out);
        pathVars(v, out);
      }
      return;
    default:
      return;
  }
}

/** One round of unification of `a` with `b`: adds the vars it binds to `out`. */
function unify(a: Term, b: Term, safe: ReadonlySet<string>, out: Set<string>): void {
  const bound = (t: Term) => allBound(t, safe, out);
  if (a.type === 'array' && b.type === 'array' && a.items.length === b.items.length) {
    for (let i = 0; i < a.items.length; i++) unify(a.items[i]!, b.items[i]!, safe, out);
    return;
  }
  if (a.type === 'object' && b.type === 'object') {
    const byKey = new Map<string, Term>();
    for (const [k, v] of b.entries) {
      const key = groundKey(k);
      if (key !== undefined) byKey.set(key, v);
    }
    for (const [k, v] of a.entries) {
      const key = groundKey(k);
      const other = key === undefined ? undefined : byKey.get(key);
      if (other !== undefined) unify(v, other, safe, out);
    }
    return;
  }
  if (isPattern(a) && bound(b)) collectPatternVars(a, (v) => out.add(v.name));
  if (isPattern(b) && bound(a)) collectPatternVars(b, (v) => out.add(v.name));
}

function isPattern(t: Term): boolean {
  return t.type === 'var' || t.type === 'array' || t.type === 'object';
}
