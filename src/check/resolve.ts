// Name resolution and local variable scoping (OPA's ResolveRefs and RewriteLocalVars stages).
//
// - A var that names a rule of the module's package or an import alias becomes the absolute ref
//   it stands for (`p` → data.a.b.p, `x.y` with `import data.foo as x` → data.foo.y), unless the
//   body declares a local of that name (`:=`, `some`) or it is a function argument.
// - Vars declared with `:=`, `some` or as `every` key/value get a fresh unique name
//   `__localN__` (a nested body may declare a name again; renaming removes the shadowing, so
//   later stages see one name per variable). `rewritten` maps new names back for messages.
// - Errors OPA reports as rego_compile_error here: a var declared twice in one scope, `:=` on
//   something that is not a var/array/object pattern, `:=` inside `not`, locals or rules named
//   `input`/`data`, `with` targets that are not input, data or a function, unused `some` vars.
import type { Body, Every, Expr, Location, RefTerm, Rule, RuleHead, Term, VarTerm, With } from '../syntax/ast.js';
import type { RegoError } from '../syntax/diagnostics.js';
import { lookupBuiltin } from './builtins.js';
import { dottedName, termTypeName } from './terms.js';

type Occurrence = 'seen' | 'assigned' | 'declared' | 'arg';

interface Binding {
  occ: Occurrence;
  /** The var's name after renaming (same as the source name when not renamed). */
  name: string;
  location: Location;
  used: boolean;
}

class Scope {
  readonly vars = new Map<string, Binding>();
  constructor(
    readonly parent: Scope | undefined,
    /** Names declared anywhere in this body: never resolved to rules or imports. */
    readonly declaredHere: Set<string>,
  ) {}

  lookupDeclared(name: string): Binding | undefined {
    for (let s: Scope | undefined = this; s !== undefined; s = s.parent) {
      const b = s.vars.get(name);
      if (b !== undefined) return b.occ === 'seen' ? undefined : b;
    }
    return undefined;
  }

  isDeclaredSomewhere(name: string): boolean {
    for (let s: Scope | undefined = this; s !== undefined; s = s.parent) if (s.declaredHere.has(name)) return true;
    return false;
  }
}

export interface ResolveContext {
  errors: RegoError[];
  /** Generated local name → the name written in the source. */
  rewritten: Map<string, string>;
  counter: { n: number };
  /** Name → absolute ref for rules of the package and import aliases. */
  globals: Map<string, RefTerm>;
  /** User function paths (`data.a.f` as "a.f") so `with f as …` targets can be validated. */
  isFunctionPath: (dataRef: RefTerm) => boolean;
  /** Filled with each resolved rule's refs into data (its dependencies), when given. */
  ruleRefs?: Map<Rule, RefTerm[]>;
  /** The module is Rego v0: the checks OPA 1.x applies only to v1 are skipped. */
  v0?: boolean;
  /** Queries keep their top-level names: they are the names of the result bindings. */
  keepTopLevelNames: boolean;
}

const ROOTS = new Set(['input', 'data']);

export class Resolver {
  constructor(private readonly ctx: ResolveContext) {}

  private error(message: string, location: Location): void {
    this.ctx.errors.push({ code: 'rego_compile_error', message, location });
  }

  /** Errors OPA raises for Rego v1 (and strict mode) only: v0 modules accept these. */
  private strictError(message: string, location: Location): void {
    if (!this.ctx.v0) this.error(message, location);
  }

  private fresh(original: string): string {
    const name = `__local${this.ctx.counter.n++}__`;
    this.ctx.rewritten.set(name, original);
    return name;
  }

  /** The rule (and its else chain) with names resolved: new objects, the input is not touched. */
  resolveRule(rule: Rule): Rule {
    this.refs = [];
    const args = rule.head.args;
    const links: Rule[] = [];
    for (let link: Rule | undefined = rule; link !== undefined; link = link.else) {
      const declared = declaredVars(link.body);
      if (args !== undefined) for (const a of args) collectPatternVars(a, (v) => declared.add(v.name));
      const scope = new Scope(undefined, declared);
      if (args !== undefined) {
        for (const a of args) {
          const root = a.type === 'ref' && a.terms.length === 1 ? a.terms[0]! : undefined;
          if (root?.type === 'var' && ROOTS.has(root.name)) this.strictError(`args must not shadow ${root.name} (use a different variable name)`, root.location);
          collectPatternVars(a, (v) => {
            if (v.wildcard) return;
            if (ROOTS.has(v.name)) this.strictError(`args must not shadow ${v.name} (use a different variable name)`, v.location);
            if (!scope.vars.has(v.name)) scope.vars.set(v.name, { occ: 'arg', name: v.name, location: v.location, used: true });
          });
        }
      }
      const body = this.resolveBody(link.body, scope, false);
      const head: RuleHead = { ...link.head };
      // The rule's own name (first ref segment) is not a reference; its other segments are.
      const refTerms = link.head.ref.terms;
      head.ref = { ...link.head.ref, terms: [refTerms[0]!, ...refTerms.slice(1).map((t) => this.resolveTerm(t, scope))] };
      if (head.key !== undefined) head.key = this.resolveTerm(head.key, scope);
      if (head.value !== undefined) head.value = this.resolveTerm(head.value, scope);
      if (args !== undefined) head.args = args;
      this.checkUnused(scope);
      const copy: Rule = { ...link, head, body };
      delete copy.else;
      links.push(copy);
    }
    for (let i = links.length - 2; i >= 0; i--) links[i]!.else = links[i + 1];
    this.ctx.ruleRefs?.set(links[0]!, this.refs);
    const name = rule.head.ref.terms[0];
    if (name !== undefined && name.type === 'var' && ROOTS.has(name.name)) {
      this.strictError(`rules must not shadow ${name.name} (use a different rule name)`, name.location);
    }
    return links[0]!;
  }

  /** The query body with names resolved (new objects). */
  resolveQuery(body: Body): Body {
    const scope = new Scope(undefined, declaredVars(body));
    const out = this.resolveBody(body, scope, this.ctx.keepTopLevelNames);
    this.checkUnused(scope);
    return out;
  }

  private checkUnused(scope: Scope): void {
    for (const [name, b] of scope.vars) {
      if (!b.used) this.error(`declared var ${name} unused`, b.location);
    }
  }

  private resolveBody(body: Body, scope: Scope, keepNames: boolean): Body {
    return body.map((expr) => this.resolveExpr(expr, scope, keepNames));
  }

  private declare(v: VarTerm, occ: Occurrence, scope: Scope, keepNames: boolean, mustUse = false): VarTerm {
    if (v.wildcard) return v;
    if (ROOTS.has(v.name)) {
      this.strictError(`variables must not shadow ${v.name} (use a different variable name)`, v.location);
      return v;
    }
    const existing = scope.vars.get(v.name);
    if (existing !== undefined) {
      const why =
        existing.occ === 'seen'
          ? `var ${v.name} referenced above`
          : existing.occ === 'assigned'
            ? `var ${v.name} assigned above`
            : existing.occ === 'declared'
              ? `var ${v.name} declared above`
              : `arg ${v.name} redeclared`;
      this.error(why, v.location);
      return v;
    }
    const name = keepNames ? v.name : this.fresh(v.name);
    // Plain `some x` must be used later; `:=` targets, `some … in` patterns and `every` vars need not.
    scope.vars.set(v.name, { occ, name, location: v.location, used: !mustUse });
    return { ...v, name };
  }

  private resolveExpr(expr: Expr, scope: Scope, keepNames: boolean): Expr {
    const value = expr.value;
    if (value.type === 'some') {
      const symbols = value.symbols.map((sym): Term => {
        if (sym.type === 'var') return this.declare(sym, 'declared', scope, keepNames, true);
        if (sym.type === 'call') {
          // `some x in xs` / `some k, v in xs`: the collection first, then the declared pattern(s).
          const n = sym.args.length;
          const domain = this.resolveTerm(sym.args[n - 1]!, scope);
          const patterns = sym.args.slice(0, n - 1).map((a) => this.declarePattern(a, 'declared', scope, keepNames));
          return { ...sym, args: [...patterns, domain] };
        }
        return sym;
      });
      return { ...expr, value: { ...value, symbols }, with: this.resolveWiths(expr.with, scope) };
    }
    if (value.type === 'every') {
      const domain = this.resolveTerm(value.domain, scope);
      const inner = new Scope(scope, declaredVars(value.body));
      const every: Every = { ...value, domain };
      if (value.key !== undefined) {
        inner.declaredHere.add(patternName(value.key));
        every.key = this.declarePattern(value.key, 'declared', inner, false);
      }
      inner.declaredHere.add(patternName(value.value));
      every.value = this.declarePattern(value.value, 'declared', inner, false);
      every.body = this.resolveBody(value.body, inner, false);
      this.checkUnused(inner);
      return { ...expr, value: every, with: this.resolveWiths(expr.with, scope) };
    }
    if (value.type === 'call' && isAssign(value.operator) && value.args.length === 2) {
      if (expr.negated) this.error('cannot assign vars inside negated expression', expr.location);
      const rhs = this.resolveTerm(value.args[1]!, scope);
      const withs = this.resolveWiths(expr.with, scope);
      const lhs = this.declarePattern(value.args[0]!, 'assigned', scope, keepNames, true);
      return { ...expr, value: { ...value, args: [lhs, rhs] }, with: withs };
    }
    return { ...expr, value: this.resolveTerm(value, scope), with: this.resolveWiths(expr.with, scope) };
  }

  /** The left side of `:=` (or a `some … in` pattern): vars are declared, arrays/objects destructure. */
  private declarePattern(t: Term, occ: Occurrence, scope: Scope, keepNames: boolean, strict = false, nested = false): Term {
    // `input`/`data` alone parse as a one-term ref; declaring them is declaring that var.
    if (t.type === 'ref' && t.terms.length === 1 && t.terms[0]!.type === 'var') t = t.terms[0]!;
    switch (t.type) {
      case 'var':
        return this.declare(t, occ, scope, keepNames);
      case 'array':
        return { ...t, items: t.items.map((x) => this.declarePattern(x, occ, scope, keepNames, strict, true)) };
      case 'object':
        return {
          ...t,
          entries: t.entries.map(([k, v]) => [this.resolveTerm(k, scope), this.declarePattern(v, occ, scope, keepNames, strict, true)] as [Term, Term]),
        };
      case 'null':
      case 'boolean':
      case 'number':
      case 'string':
        // A constant inside an array/object pattern is matched, not declared.
        if (nested) return t;
        break;
      default:
        break;
    }
    if (strict) {
      this.error(`cannot assign to ${termTypeName(t)}`, t.location);
      return t;
    }
    // Constants and refs inside `some [x, 1] in xs` patterns are matched, not declared.
    return this.resolveTerm(t, scope);
  }

  private resolveWiths(withs: With[], scope: Scope): With[] {
    if (withs.length === 0) return withs;
    return withs.map((w) => ({ ...w, value: this.resolveTerm(w.value, scope), target: this.resolveWithTarget(w.target, scope) }));
  }

  private resolveWithTarget(target: RefTerm, scope: Scope): RefTerm {
    const head = target.terms[0];
    if (head === undefined || head.type !== 'var') {
      this.error('with keyword target must reference existing input, data, or a function', target.location);
      return target;
    }
    if (ROOTS.has(head.name)) return target;
    const global = scope.lookupDeclared(head.name) === undefined ? this.ctx.globals.get(head.name) : undefined;
    if (global !== undefined) {
      const resolved: RefTerm = { ...target, terms: [...global.terms, ...target.terms.slice(1)] };
      const root = resolved.terms[0];
      if (root?.type === 'var' && root.name === 'input') return resolved;
      if (this.ctx.isFunctionPath(resolved) || (root?.type === 'var' && root.name === 'data')) return resolved;
    }
    const name = dottedName(target);
    if (name !== undefined && lookupBuiltin(name) !== undefined) return target;
    this.error('with keyword target must reference existing input, data, or a function', target.location);
    return target;
  }

  private resolveVar(v: VarTerm, scope: Scope, record = true): Term {
    if (v.wildcard || ROOTS.has(v.name)) return v;
    const declared = scope.lookupDeclared(v.name);
    if (declared !== undefined) {
      declared.used = true;
      return declared.name === v.name ? v : { ...v, name: declared.name };
    }
    if (!scope.isDeclaredSomewhere(v.name)) {
      const global = this.ctx.globals.get(v.name);
      if (global !== undefined) {
        // The ref (not its segments) carries the place of the name it replaces.
        const ref: RefTerm = { type: 'ref', terms: global.terms.slice(), location: v.location };
        if (record) this.noteRef(ref);
        return ref;
      }
    }
    if (!scope.vars.has(v.name)) scope.vars.set(v.name, { occ: 'seen', name: v.name, location: v.location, used: true });
    return v;
  }

  /** Refs into data met while resolving a rule: what the rule depends on. */
  private refs: RefTerm[] = [];

  private noteRef(ref: RefTerm): void {
    const head = ref.terms[0];
    if (head?.type === 'var' && head.name === 'data') this.refs.push(ref);
  }

  resolveTerm(t: Term, scope: Scope): Term {
    switch (t.type) {
      case 'var':
        return this.resolveVar(t, scope);
      case 'ref': {
        const first = t.terms[0]!;
        const head = first.type === 'var' ? this.resolveVar(first, scope, false) : this.resolveTerm(first, scope);
        const rest = mapSame(t.terms, (x, i) => (i === 0 ? x : this.resolveTerm(x, scope)));
        let out: RefTerm;
        if (head.type === 'ref') out = { ...t, terms: [...head.terms, ...rest.slice(1)] };
        else if (head === first && rest === t.terms) out = t;
        else out = { ...t, terms: rest === t.terms ? [head, ...t.terms.slice(1)] : [head, ...rest.slice(1)] };
        this.noteRef(out);
        return out;
      }
      case 'array':
      case 'set': {
        const items = mapSame(t.items, (x) => this.resolveTerm(x, scope));
        return items === t.items ? t : { ...t, items };
      }
      case 'object': {
        const entries = mapSame(t.entries, (e) => {
          const k = this.resolveTerm(e[0], scope);
          const v = this.resolveTerm(e[1], scope);
          return k === e[0] && v === e[1] ? e : ([k, v] as [Term, Term]);
        });
        return entries === t.entries ? t : { ...t, entries };
      }
      case 'call': {
        const operator = this.resolveOperator(t.operator, scope);
        this.noteRef(operator);
        const args = mapSame(t.args, (x) => this.resolveTerm(x, scope));
        return operator === t.operator && args === t.args ? t : { ...t, operator, args };
      }
      case 'templatestring': {
        const parts = mapSame(t.parts, (p) => (p.type === 'string' ? p : this.resolveTerm(p, scope)));
        return parts === t.parts ? t : { ...t, parts };
      }
      case 'arraycomprehension':
      case 'setcomprehension': {
        const inner = new Scope(scope, declaredVars(t.body));
        const body = this.resolveBody(t.body, inner, false);
        const head = this.resolveTerm(t.head, inner);
        this.checkUnused(inner);
        return { ...t, head, body };
      }
      case 'objectcomprehension': {
        const inner = new Scope(scope, declaredVars(t.body));
        const body = this.resolveBody(t.body, inner, false);
        const key = this.resolveTerm(t.key, inner);
        const value = this.resolveTerm(t.value, inner);
        this.checkUnused(inner);
        return { ...t, key, value, body };
      }
      default:
        return t;
    }
  }

  /** A call's operator names a function: a rule or import alias resolves, builtins stay. */
  private resolveOperator(op: RefTerm, scope: Scope): RefTerm {
    const head = op.terms[0];
    if (head === undefined || head.type !== 'var' || ROOTS.has(head.name)) return op;
    if (scope.lookupDeclared(head.name) !== undefined || scope.isDeclaredSomewhere(head.name)) return op;
    const global = this.ctx.globals.get(head.name);
    if (global === undefined) return op;
    return { ...op, terms: [...global.terms, ...op.terms.slice(1)] };
  }
}

/** `items.map(f)`, but the same array when `f` changes nothing (saves copying unchanged terms). */
function mapSame<T>(items: T[], f: (item: T, index: number) => T): T[] {
  let out: T[] | undefined;
  for (let i = 0; i < items.length; i++) {
    const x = items[i]!;
    const y = f(x, i);
    if (out === undefined && y !== x) out = items.slice(0, i);
    if (out !== undefined) out.push(y);
  }
  return out ?? items;
}

function isAssign(op: RefTerm): boolean {
  return op.terms.length === 1 && op.terms[0]!.type === 'var' && op.terms[0]!.name === 'assign';
}

function patternName(t: Term): string {
  return t.type === 'var' ? t.name : '';
}

/** Vars in a declaration pattern: the var itself, array items, object values. */
export function collectPatternVars(t: Term, visit: (v: VarTerm) => void): void {
  if (t.type === 'var') visit(t);
  else if (t.type === 'array') for (const x of t.items) collectPatternVars(x, visit);
  else if (t.type === 'object') for (const [, v] of t.entries) collectPatternVars(v, visit);
}

/** Names a body declares at its own level (`:=` left sides, `some`), not inside closures. */
function declaredVars(body: Body): Set<string> {
  const out = new Set<string>();
  const add = (v: VarTerm) => {
    if (!v.wildcard) out.add(v.name);
  };
  for (const e of body) {
    const v = e.value;
    if (v.type === 'some') {
      for (const s of v.symbols) {
        if (s.type === 'var') add(s);
        else if (s.type === 'call') for (let i = 0; i < s.args.length - 1; i++) collectPatternVars(s.args[i]!, add);
      }
    } else if (v.type === 'call' && isAssign(v.operator) && v.args.length === 2) {
      collectPatternVars(v.args[0]!, add);
    }
  }
  return out;
}
