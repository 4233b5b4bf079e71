// The planner: checked Rego modules → IR (src/plan/ir.ts). Bodies are planned in continuation-
// passing style, the way OPA's planner does it: planning an expression emits its statements and then
// calls the continuation to plan the rest of the body *inside* whatever the expression opened (a Scan
// over a collection, a With block), so iteration nests naturally and a failed statement skips the
// rest. Rules are planned once per rule tree node into Funcs (see tree.ts); references into `data`
// walk the tree at compile time to decide what is virtual, what is base data, and where the two meet.
import type {
  Body,
  CallTerm,
  Every,
  Expr,
  Location,
  Module,
  Query,
  RefTerm,
  Rule,
  SomeDecl,
  StringTerm,
  Term,
  With as WithModifier,
} from '../syntax/ast.js';
import { DATA, INPUT } from './ir.js';
import type { Block, Func, Local, Operand, Plan, Policy, Stmt, Where } from './ir.js';
import { buildTree, hasDoc, hasDocChildren, nodeAt, packagePath } from './tree.js';
import type { RuleAt, TreeNode } from './tree.js';
import { builtinArity, isRelation } from './builtin-arity.js';
import { metadataChain, metadataRule } from './metadata.js';
import { isGround } from '../syntax/terms.js';

export interface PlanTargets {
  entrypoints: string[];
  queries?: { name: string; query: Query }[];
}

/** A planning failure that points at the source (an unsafe variable the checks let through, …). */
export class PlanError extends Error {
  constructor(
    message: string,
    readonly location?: Location,
  ) {
    super(location ? `${location.file}:${location.row}:${location.col}: ${message}` : message);
    this.name = 'PlanError';
  }
}

/** Where the DATA copy holds the value of a mocked function while a `with f as <value>` is active. */
const MOCK_ROOT = '$mock';

/** How a function or builtin is replaced by `with`. */
type Mock = { kind: 'func'; target: string } | { kind: 'value' };

/** Compile-time `with` state: data paths that replace rules, and replaced functions. */
interface MockEnv {
  data: string[][];
  fns: Map<string, Mock>;
}

const EMPTY_ENV: MockEnv = { data: [], fns: new Map() };

function envKey(env: MockEnv): string {
  if (env.data.length === 0 && env.fns.size === 0) return '';
  const data = env.data.map((p) => p.join('\u0000')).sort();
  const fns = [...env.fns.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify({ data, fns });
}

type FuncKind = 'group' | 'doc' | 'fn';

interface PendingFunc {
  name: string;
  kind: FuncKind;
  node: TreeNode;
  env: MockEnv;
}

/** Variables in scope: a local, or `null` for declared (`some x`, `x :=`) but not yet bound. */
class Scope {
  readonly vars = new Map<string, Local | null>();
  constructor(readonly parent?: Scope) {}
  lookup(name: string): Local | null | undefined {
    for (let s: Scope | undefined = this; s; s = s.parent) {
      if (s.vars.has(name)) return s.vars.get(name);
    }
    return undefined;
  }
}

const NOWHERE: Location = { file: '', row: 0, col: 0, offset: 0, length: 0 };
const str = (value: string, location: Location = NOWHERE): StringTerm => ({ type: 'string', value, location });
const FALSE: Operand = { type: 'bool', value: false };
const TRUE: Operand = { type: 'bool', value: true };
const local = (l: Local): Operand => ({ type: 'local', local: l });

export function planPolicy(modules: Module[], targets: PlanTargets): Policy {
  return new Planner(modules).run(targets);
}

class Planner {
  private readonly root: TreeNode;
  private readonly strings: string[] = [];
  private readonly stringIndex = new Map<string, number>();
  private readonly builtins = new Map<string, number>();
  private readonly files: string[] = [];
  private readonly funcs: Func[] = [];
  private readonly funcNames = new Map<string, string>();
  private readonly pending: PendingFunc[] = [];

  // State of the plan or function being planned.
  private cur: Stmt[] = [];
  private nextLocal = 2;
  private scope = new Scope();
  private env: MockEnv = EMPTY_ENV;
  /** The module whose rule is being planned. */
  private module: Module | undefined;
  /** The rule being planned (for rego.metadata.*). */
  private rule: RuleAt | undefined;
  /**
   * Rule values already computed in this plan or function invocation, by Func name: a rule used
   * several times (or inside a loop) runs once. Empty again inside each `with` (other input/data).
   */
  private memo = new Map<string, Local>();
  /** How many blocks enclose the statements being emitted, and how many of them are With blocks. */
  private depth = 0;
  private withDepth = 0;
  /** Func names by tree node and mock-env key. */
  private readonly nodeFuncNames = new Map<TreeNode, Map<string, string>>();

  constructor(private readonly modules: Module[]) {
    this.root = buildTree(modules);
  }

  run(targets: PlanTargets): Policy {
    const plans: Plan[] = [];
    for (const entrypoint of targets.entrypoints) plans.push(this.planEntrypoint(entrypoint));
    for (const q of targets.queries ?? []) plans.push(this.planQuery(q.name, q.query));
    while (this.pending.length > 0) this.funcs.push(this.planFunc(this.pending.shift()!));
    return {
      static: {
        strings: this.strings,
        builtins: [...this.builtins.entries()].map(([name, arity]) => ({ name, arity })),
        files: this.files,
      },
      plans,
      funcs: this.funcs,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Small helpers

  private str(value: string): Operand {
    return { type: 'string', index: this.strIndex(value) };
  }

  private strIndex(value: string): number {
    let i = this.stringIndex.get(value);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(value);
      this.stringIndex.set(value, i);
    }
    return i;
  }

  private where(loc: Location): Where {
    let file = this.files.indexOf(loc.file);
    if (file < 0) {
      file = this.files.length;
      this.files.push(loc.file);
    }
    return { file, row: loc.row, col: loc.col };
  }

  private newLocal(): Local {
    return this.nextLocal++;
  }

  private emit(stmt: Stmt): void {
    this.cur.push(stmt);
  }

  /** Plans `f` into `stmts` (a block's statement list). */
  private into(stmts: Stmt[], f: () => void, isWith = false): void {
    const saved = this.cur;
    this.cur = stmts;
    this.depth++;
    if (isWith) this.withDepth++;
    try {
      f();
    } finally {
      this.cur = saved;
      this.depth--;
      if (isWith) this.withDepth--;
    }
  }

  /**
   * After a rule body's solution assigned a constant value, the other solutions can only assign the
   * same value: leave the rule's block at once (`allow if { some x in xs; … }` stops at the first
   * match). Not done from inside a With block, whose replaced local must be restored on the way out.
   */
  private exitRuleEarly(ruleDepth: number, ruleWithDepth: number, value: Term): void {
    if (this.withDepth !== ruleWithDepth || !isGround(value)) return;
    this.emit({ type: 'Break', index: this.depth - ruleDepth });
  }

  /** Emits a Block statement with one block planned by `f`. */
  private block(f: () => void): void {
    const b: Block = { stmts: [] };
    this.into(b.stmts, f);
    this.emit({ type: 'Block', blocks: [b] });
  }

  private withScope<T>(f: () => T): T {
    const saved = this.scope;
    this.scope = new Scope(saved);
    try {
      return f();
    } finally {
      this.scope = saved;
    }
  }

  /** A statement that never holds (for patterns that cannot match). */
  private fail(): void {
    this.emit({ type: 'Equal', a: TRUE, b: FALSE });
  }

  private toLocal(op: Operand): Local {
    if (op.type === 'local') return op.local;
    const l = this.newLocal();
    this.emit({ type: 'AssignVar', source: op, target: l });
    return l;
  }

  private number(value: number): Local {
    const l = this.newLocal();
    this.emit({ type: 'MakeNumberInt', value, target: l });
    return l;
  }

  private resetState(): void {
    this.cur = [];
    this.nextLocal = 2;
    this.scope = new Scope();
    this.env = EMPTY_ENV;
    this.module = undefined;
    this.rule = undefined;
    this.memo = new Map();
  }

  // ---------------------------------------------------------------------------------------------
  // Variables

  private lookupVar(name: string): Local | null | undefined {
    return this.scope.lookup(name);
  }

  /** Whether a variable has a value here (a bound local, `input`, `data`, or a rule/import name). */
  private isBound(name: string): boolean {
    const l = this.lookupVar(name);
    if (typeof l === 'number') return true;
    if (l === null) return false;
    return name === 'input' || name === 'data';
  }

  private declare(name: string): void {
    this.scope.vars.set(name, null);
  }

  private bind(name: string, op: Operand): void {
    // Never alias input/data: a later `with` replaces those locals.
    let l: Local;
    if (op.type === 'local' && op.local !== INPUT && op.local !== DATA) l = op.local;
    else {
      l = this.newLocal();
      this.emit({ type: 'AssignVar', source: op, target: l });
    }
    for (let s: Scope | undefined = this.scope; s; s = s.parent) {
      if (s.vars.has(name) && s.vars.get(name) === null) {
        s.vars.set(name, l);
        return;
      }
    }
    this.scope.vars.set(name, l);
  }

  /** Vars of a term that have no value yet (not looking into comprehension bodies). */
  private unboundVars(term: Term, out: string[] = []): string[] {
    switch (term.type) {
      case 'var':
        if (!this.isBound(term.name) && !out.includes(term.name)) out.push(term.name);
        break;
      case 'ref':
        for (const t of term.terms) this.unboundVars(t, out);
        break;
      case 'array':
      case 'set':
        for (const t of term.items) this.unboundVars(t, out);
        break;
      case 'object':
        for (const [k, v] of term.entries) {
          this.unboundVars(k, out);
          this.unboundVars(v, out);
        }
        break;
      case 'call':
        for (const t of term.args) this.unboundVars(t, out);
        break;
      default:
        break;
    }
    return out;
  }

  private hasUnbound(term: Term): boolean {
    return this.unboundVars(term).length > 0;
  }

  // ---------------------------------------------------------------------------------------------
  // Plans

  private planEntrypoint(entrypoint: string): Plan {
    this.resetState();
    let parts = entrypoint.includes('/') ? entrypoint.split('/') : entrypoint.split('.');
    parts = parts.filter((p) => p !== '');
    if (parts[0] === 'data') parts = parts.slice(1);
    const stmts: Stmt[] = [];
    this.into(stmts, () => {
      this.planDataRef(
        parts.map((p) => str(p)),
        (op) => {
          const r = this.newLocal();
          this.emit({ type: 'MakeObject', target: r });
          this.emit({ type: 'ObjectInsert', key: this.str('result'), value: op, object: r });
          this.emit({ type: 'ResultSetAdd', value: r });
        },
      );
    });
    return { name: entrypoint, blocks: [{ stmts }] };
  }

  private planQuery(name: string, query: Query): Plan {
    this.resetState();
    const vars = queryVars(query.body);
    const stmts: Stmt[] = [];
    this.into(stmts, () => {
      this.planBody(query.body, () => {
        const r = this.newLocal();
        this.emit({ type: 'MakeObject', target: r });
        for (const v of vars) {
          const l = this.lookupVar(v);
          if (typeof l === 'number') this.emit({ type: 'ObjectInsert', key: this.str(v), value: local(l), object: r });
        }
        this.emit({ type: 'ResultSetAdd', value: r });
      });
    });
    return { name, blocks: [{ stmts }] };
  }

  // ---------------------------------------------------------------------------------------------
  // Funcs

  private funcName(kind: FuncKind, node: TreeNode, env: MockEnv): string {
    let names = this.nodeFuncNames.get(node);
    if (!names) this.nodeFuncNames.set(node, (names = new Map()));
    const key = env === EMPTY_ENV ? kind : `${kind}:${envKey(env)}`;
    let name = names.get(key);
    if (name === undefined) {
      const n = this.funcNames.size;
      const suffix = kind === 'doc' ? '.$doc' : '';
      name = `g${n}.data${node.path.map((p) => '.' + p).join('')}${suffix}`;
      names.set(key, name);
      this.funcNames.set(name, name);
      this.pending.push({ name, kind, node, env });
    }
    return name;
  }

  private planFunc(p: PendingFunc): Func {
    this.resetState();
    this.env = p.env;
    const params: Local[] = [INPUT, DATA];
    const result = this.newLocal();
    const blocks: Block[] = [];
    const inBlock = (f: () => void): void => {
      const b: Block = { stmts: [] };
      this.into(b.stmts, f);
      blocks.push(b);
    };
    if (p.kind === 'doc') {
      inBlock(() => this.planDocFunc(p.node, result));
    } else if (p.kind === 'group') {
      this.planGroupFunc(p.node, result, inBlock);
    } else {
      const arity = p.node.functions[0]!.rule.head.args?.length ?? 0;
      for (let i = 0; i < arity; i++) params.push(this.newLocal());
      this.planFunctionFunc(p.node, params.slice(2), result, inBlock);
    }
    return { name: p.name, path: p.node.path, params, result, blocks };
  }

  /** The object at a tree node: base data there, overlaid with every virtual document below. */
  private planDocFunc(node: TreeNode, result: Local): void {
    this.emit({ type: 'MakeObject', target: result });
    const copyInto = (source: Local): void => {
      const key = this.newLocal();
      const value = this.newLocal();
      const body: Block = { stmts: [] };
      this.into(body.stmts, () =>
        this.emit({ type: 'ObjectInsert', key: local(key), value: local(value), object: result }),
      );
      this.emit({ type: 'Scan', source, key, value, block: body });
    };
    let base: Local = DATA;
    this.block(() => {
      base = this.dotChain(DATA, node.path);
      this.emit({ type: 'IsObject', source: local(base) });
      copyInto(base);
    });
    if (node.rules.length > 0) {
      this.block(() => {
        const g = this.newLocal();
        this.emit({ type: 'Call', func: this.funcName('group', node, this.env), args: [local(INPUT), local(DATA)], result: g });
        this.emit({ type: 'IsObject', source: local(g) });
        copyInto(g);
      });
    }
    for (const [name, child] of node.children) {
      if (!hasDoc(child)) continue;
      this.block(() => {
        if (!hasDocChildren(child) && node.path.length > 0) {
          // Where base data and a rule define the same key, the base document wins (as in OPA).
          const inBase: Block = { stmts: [] };
          this.into(inBase.stmts, () => this.emit({ type: 'Dot', source: local(base), key: this.str(name), target: this.newLocal() }));
          this.emit({ type: 'Not', block: inBase });
        }
        this.nodeValue(child, (v) => this.emit({ type: 'ObjectInsert', key: this.str(name), value: v, object: result }));
      });
    }
  }

  /** Dot along a static path from a local; returns the local holding the value. */
  private dotChain(source: Local, path: string[]): Local {
    let cur = source;
    for (const key of path) {
      const t = this.newLocal();
      this.emit({ type: 'Dot', source: local(cur), key: this.str(key), target: t });
      cur = t;
    }
    return cur;
  }

  /** The value rules of one tree node: complete, default, partial set/object, ref heads. */
  private planGroupFunc(node: TreeNode, result: Local, inBlock: (f: () => void) => void): void {
    const rules = node.rules;
    const mode: 'complete' | 'set' | 'object' = rules.some((r) => r.suffix.length > 0)
      ? 'object'
      : rules.some((r) => r.rule.kind === 'partial_set')
        ? 'set'
        : 'complete';
    if (mode === 'object') inBlock(() => this.emit({ type: 'MakeObject', target: result }));
    if (mode === 'set') inBlock(() => this.emit({ type: 'MakeSet', target: result }));
    for (const at of rules) {
      if (at.rule.default) continue;
      inBlock(() => this.planRuleChain(at, result));
    }
    for (const at of rules) {
      if (!at.rule.default) continue;
      inBlock(() => {
        this.module = at.module;
        this.rule = at;
        this.emit({ type: 'IsUndefined', source: result });
        this.planTerm(at.rule.head.value ?? { type: 'boolean', value: true, location: at.rule.location }, (op) =>
          this.emit({ type: 'AssignVar', source: op, target: result }),
        );
      });
    }
  }

  /** One rule and its else chain; each link's body is planned in its own scope. */
  private planRuleChain(at: RuleAt, result: Local): void {
    this.module = at.module;
    this.rule = at;
    const rule = at.rule;
    if (!rule.else) {
      const depth = this.depth;
      const withDepth = this.withDepth;
      this.withScope(() =>
        this.planBody(rule.body, () => {
          this.planRuleOutput(at, rule, result);
          if (at.suffix.length === 0 && rule.kind !== 'partial_set') this.exitRuleEarly(depth, withDepth, this.ruleValue(rule));
        }),
      );
      return;
    }
    const chosen = this.newLocal();
    let first = true;
    for (let link: Rule | undefined = rule; link; link = link.else) {
      const current: Rule = link;
      const isFirst = first;
      this.block(() =>
        this.withScope(() => {
          if (!isFirst) this.emit({ type: 'IsUndefined', source: chosen });
          this.planBody(current.body, () =>
            this.planTerm(this.ruleValue(current), (op) =>
              this.emit({ type: 'AssignVarOnce', source: op, target: chosen, where: this.where(rule.location) }),
            ),
          );
        }),
      );
      first = false;
    }
    this.emit({ type: 'IsDefined', source: chosen });
    this.emit({ type: 'AssignVarOnce', source: local(chosen), target: result, where: this.where(rule.location) });
  }

  private ruleValue(rule: Rule): Term {
    return rule.head.value ?? { type: 'boolean', value: true, location: rule.head.location };
  }

  /** What one solution of a rule body adds to the rule's document. */
  private planRuleOutput(at: RuleAt, rule: Rule, result: Local): void {
    const where = this.where(rule.location);
    if (at.suffix.length === 0) {
      if (rule.kind === 'partial_set') {
        this.planTerm(rule.head.key!, (op) => this.emit({ type: 'SetAdd', value: op, set: result }));
      } else {
        this.planTerm(this.ruleValue(rule), (op) => this.emit({ type: 'AssignVarOnce', source: op, target: result, where }));
      }
      return;
    }
    this.planTerms(at.suffix, (keys) => {
      let obj = result;
      const leafIsSet = rule.kind === 'partial_set';
      const walkTo = leafIsSet ? keys.length : keys.length - 1;
      for (let i = 0; i < walkTo; i++) {
        const makeSet = leafIsSet && i === keys.length - 1;
        obj = this.getOrCreate(obj, keys[i]!, makeSet);
      }
      if (leafIsSet) this.planTerm(rule.head.key!, (op) => this.emit({ type: 'SetAdd', value: op, set: obj }));
      else
        this.planTerm(this.ruleValue(rule), (op) =>
          this.emit({ type: 'ObjectInsertOnce', key: keys[keys.length - 1]!, value: op, object: obj, where }),
        );
    });
  }

  /** The collection at `key` in `obj`, created (and inserted) when missing. */
  private getOrCreate(obj: Local, key: Operand, makeSet: boolean): Local {
    const sub = this.newLocal();
    const outer: Block = { stmts: [] };
    this.into(outer.stmts, () => {
      const inner: Block = { stmts: [] };
      this.into(inner.stmts, () => {
        this.emit({ type: 'Dot', source: local(obj), key, target: sub });
        this.emit({ type: 'Break', index: 1 });
      });
      this.emit({ type: 'Block', blocks: [inner] });
      this.emit(makeSet ? { type: 'MakeSet', target: sub } : { type: 'MakeObject', target: sub });
      this.emit({ type: 'ObjectInsert', key, value: local(sub), object: obj });
    });
    this.emit({ type: 'Block', blocks: [outer] });
    return sub;
  }

  /** A user function: every definition (and else link) binds the parameters to its head args. */
  private planFunctionFunc(node: TreeNode, args: Local[], result: Local, inBlock: (f: () => void) => void): void {
    const defs = node.functions.filter((f) => !f.rule.default);
    for (const at of defs) {
      inBlock(() => {
        this.module = at.module;
        this.rule = at;
        const rule = at.rule;
        const headArgs = rule.head.args ?? [];
        const where = this.where(rule.location);
        // Head args computed from body vars (`f($"{x}")`) are compared after the body ran.
        const computed = (t: Term): boolean => t.type === 'templatestring' || t.type === 'call';
        const immediate = headArgs.map((t) => (computed(t) ? undefined : t));
        const deferred = headArgs.map((t) => (computed(t) ? t : undefined));
        const bindArgs = (k: () => void): void => this.unifyArgs(immediate, args, 0, k);
        const planDef = (current: Rule, target: Local, exitEarly: boolean): void => {
          const depth = this.depth;
          const withDepth = this.withDepth;
          bindArgs(() =>
            this.planBody(current.body, () =>
              this.unifyArgs(deferred, args, 0, () =>
                this.planTerm(this.ruleValue(current), (op) => {
                  this.emit({ type: 'AssignVarOnce', source: op, target, where, conflict: 'function' });
                  if (exitEarly) this.exitRuleEarly(depth, withDepth, this.ruleValue(current));
                }),
              ),
            ),
          );
        };
        if (!rule.else) {
          this.withScope(() => planDef(rule, result, true));
          return;
        }
        const chosen = this.newLocal();
        let first = true;
        for (let link: Rule | undefined = rule; link; link = link.else) {
          const current: Rule = link;
          const isFirst = first;
          this.block(() =>
            this.withScope(() => {
              if (!isFirst) this.emit({ type: 'IsUndefined', source: chosen });
              planDef(current, chosen, false);
            }),
          );
          first = false;
        }
        this.emit({ type: 'IsDefined', source: chosen });
        this.emit({ type: 'AssignVarOnce', source: local(chosen), target: result, where, conflict: 'function' });
      });
    }
    for (const at of node.functions) {
      if (!at.rule.default) continue;
      inBlock(() => {
        this.module = at.module;
        this.rule = at;
        this.emit({ type: 'IsUndefined', source: result });
        this.withScope(() =>
          this.unifyArgs(at.rule.head.args ?? [], args, 0, () =>
            this.planTerm(this.ruleValue(at.rule), (op) => this.emit({ type: 'AssignVar', source: op, target: result })),
          ),
        );
      });
    }
  }

  /** Unifies head args (entries left undefined are skipped) with the parameter locals. */
  private unifyArgs(headArgs: (Term | undefined)[], args: Local[], i: number, k: () => void): void {
    if (i >= headArgs.length || i >= args.length) return k();
    // Head args are the function's own locals.
    if (i === 0) for (const t of headArgs) if (t) for (const v of varsIn(t)) if (this.lookupVar(v) === undefined) this.declare(v);
    const arg = headArgs[i];
    if (!arg) return this.unifyArgs(headArgs, args, i + 1, k);
    this.unifyLocal(arg, local(args[i]!), () => this.unifyArgs(headArgs, args, i + 1, k));
  }

  // ---------------------------------------------------------------------------------------------
  // References into data

  private isMocked(path: string[]): boolean {
    return this.env.data.some((m) => m.length <= path.length && m.every((seg, i) => seg === path[i]));
  }

  /** The value of a tree node (rules at it, and/or its subtree), for the continuation. */
  private nodeValue(node: TreeNode, k: (op: Operand) => void): void {
    if (this.isMocked(node.path)) return k(local(this.dotChain(DATA, node.path)));
    const kind: FuncKind = hasDocChildren(node) || node.rules.length === 0 ? 'doc' : 'group';
    const func = this.funcName(kind, node, this.env);
    let r = this.memo.get(func);
    if (r === undefined) {
      r = this.newLocal();
      this.memo.set(func, r);
    }
    const value = r;
    // Call only when not computed yet: Block[ Block[IsDefined r; Break 1]; Call → r ]; IsDefined r.
    const outer: Block = { stmts: [] };
    this.into(outer.stmts, () => {
      const known: Block = { stmts: [] };
      this.into(known.stmts, () => {
        this.emit({ type: 'IsDefined', source: value });
        this.emit({ type: 'Break', index: 1 });
      });
      this.emit({ type: 'Block', blocks: [known] });
      this.emit({ type: 'Call', func, args: [local(INPUT), local(DATA)], result: value });
    });
    this.emit({ type: 'Block', blocks: [outer] });
    this.emit({ type: 'IsDefined', source: value });
    k(local(value));
  }

  /** `data` followed by `segs`: walks the rule tree while the path is static. */
  private planDataRef(segs: Term[], k: (op: Operand) => void): void {
    this.planDataFrom(this.root, segs, 0, k);
  }

  private planDataFrom(node: TreeNode, segs: Term[], i: number, k: (op: Operand) => void): void {
    for (;;) {
      if (this.isMocked(node.path) || !hasDoc(node)) return this.planPath(local(DATA), segs, 0, k, true);
      if (i === segs.length) return this.nodeValue(node, k);
      const seg = segs[i]!;
      if (seg.type === 'string' || seg.type === 'number') {
        const child = node.children.get(seg.value);
        if (child && hasDoc(child)) {
          node = child;
          i++;
          continue;
        }
        if (node.rules.length === 0) return this.planPath(local(DATA), segs, 0, k, true);
      } else if (hasDocChildren(node)) {
        return this.planDispatch(node, segs, i, k);
      }
      const rest = i;
      return this.nodeValue(node, (op) => this.planPath(op, segs, rest, k));
    }
  }

  /**
   * A key only known at run time (`data.pkg[x]`) at a node with documents below: try each child
   * document, the base data there, and the node's own rules, each in its own block. Evaluating only
   * the matching child (rather than the whole object) keeps unrelated rules from running.
   */
  private planDispatch(node: TreeNode, segs: Term[], i: number, k: (op: Operand) => void): void {
    const seg = segs[i]!;
    const childNames = [...node.children.entries()].filter(([, c]) => hasDoc(c)).map(([name]) => name);
    const withKey = (keyOp: Operand | undefined): void => {
      const unboundVar = keyOp === undefined && seg.type === 'var' ? seg.name : undefined;
      for (const name of childNames) {
        this.branch(() =>
          this.block(() => {
            if (unboundVar !== undefined) this.bind(unboundVar, this.str(name));
            else if (keyOp) this.emit({ type: 'Equal', a: keyOp, b: this.str(name) });
            else return this.unifyLocal(seg, this.str(name), () => this.planDataFrom(node.children.get(name)!, segs, i + 1, k));
            this.planDataFrom(node.children.get(name)!, segs, i + 1, k);
          }),
        );
      }
      // Base data keys that are not virtual documents.
      this.branch(() =>
        this.block(() => {
          const base = this.dotChain(DATA, node.path);
          const notChild = (key: Operand): void => {
            for (const name of childNames) this.emit({ type: 'NotEqual', a: key, b: this.str(name) });
          };
          if (keyOp) {
            notChild(keyOp);
            const v = this.newLocal();
            this.emit({ type: 'Dot', source: local(base), key: keyOp, target: v });
            return this.planPath(local(v), segs, i + 1, k, true);
          }
          const key = this.newLocal();
          const value = this.newLocal();
          const body: Block = { stmts: [] };
          this.emit({ type: 'Scan', source: base, key, value, block: body });
          this.into(body.stmts, () => {
            notChild(local(key));
            this.unifyLocal(seg, local(key), () => this.planPath(local(value), segs, i + 1, k, true));
          });
        }),
      );
      if (node.rules.length > 0) {
        this.branch(() =>
          this.block(() => {
            const g = this.newLocal();
            this.emit({ type: 'Call', func: this.funcName('group', node, this.env), args: [local(INPUT), local(DATA)], result: g });
            if (keyOp) {
              const v = this.newLocal();
              this.emit({ type: 'Dot', source: local(g), key: keyOp, target: v });
              return this.planPath(local(v), segs, i + 1, k);
            }
            this.planPath(local(g), segs, i, k);
          }),
        );
      }
    };
    if (this.hasUnbound(seg)) withKey(undefined);
    else this.planTerm(seg, (keyOp) => withKey(keyOp));
  }

  /** Plans one of several alternatives: variable bindings made inside do not leak to the next. */
  private branch(f: () => void): void {
    const snapshot: [Scope, Map<string, Local | null>][] = [];
    for (let s: Scope | undefined = this.scope; s; s = s.parent) snapshot.push([s, new Map(s.vars)]);
    const env = this.env;
    try {
      f();
    } finally {
      for (const [s, vars] of snapshot) {
        s.vars.clear();
        for (const [name, l] of vars) s.vars.set(name, l);
      }
      this.env = env;
    }
  }

  /** Follows `segs[i..]` from a value: Dot for known keys, Scan for unbound variables. */
  private planPath(source: Operand, segs: Term[], i: number, k: (op: Operand) => void, fromData = false): void {
    if (i === segs.length) return k(source);
    const seg = segs[i]!;
    if (this.hasUnbound(seg)) {
      const src = this.toLocal(source);
      const key = this.newLocal();
      const value = this.newLocal();
      const body: Block = { stmts: [] };
      this.emit({ type: 'Scan', source: src, key, value, block: body });
      this.into(body.stmts, () => {
        if (seg.type === 'var') {
          this.bind(seg.name, local(key));
          this.planPath(local(value), segs, i + 1, k);
        } else this.unifyLocal(seg, local(key), () => this.planPath(local(value), segs, i + 1, k));
      });
      return;
    }
    if (seg.type === 'number' && fromData) {
      // Base data keys are strings, so `data.x[2]` reads an array's index 2 or an object's key "2".
      return this.planTerm(seg, (keyOp) => {
        const t = this.newLocal();
        const outer: Block = { stmts: [] };
        this.into(outer.stmts, () => {
          const inner: Block = { stmts: [] };
          this.into(inner.stmts, () => {
            this.emit({ type: 'Dot', source, key: keyOp, target: t });
            this.emit({ type: 'Break', index: 1 });
          });
          this.emit({ type: 'Block', blocks: [inner] });
          this.emit({ type: 'Dot', source, key: this.str(seg.value), target: t });
        });
        this.emit({ type: 'Block', blocks: [outer] });
        this.emit({ type: 'IsDefined', source: t });
        this.planPath(local(t), segs, i + 1, k, true);
      });
    }
    this.planTerm(seg, (keyOp) => {
      const t = this.newLocal();
      this.emit({ type: 'Dot', source, key: keyOp, target: t });
      this.planPath(local(t), segs, i + 1, k, fromData);
    });
  }

  private planRef(ref: RefTerm, k: (op: Operand) => void): void {
    const [head, ...rest] = ref.terms;
    if (!head) throw new PlanError('empty reference', ref.location);
    if (head.type === 'var') {
      const l = this.lookupVar(head.name);
      if (typeof l === 'number') return this.planPath(local(l), rest, 0, k);
      if (head.name === 'data') return this.planDataRef(rest, k);
      if (head.name === 'input') return rest.length === 0 ? this.readInput(k) : this.planPath(local(INPUT), rest, 0, k);
      throw new PlanError(`var ${head.name} is unsafe`, head.location);
    }
    this.planTerm(head, (op) => this.planPath(op, rest, 0, k));
  }

  /** `input` as a whole: undefined when no input was given. */
  private readInput(k: (op: Operand) => void): void {
    this.emit({ type: 'IsDefined', source: INPUT });
    k(local(INPUT));
  }

  // ---------------------------------------------------------------------------------------------
  // Terms

  /**
   * Plans several terms, handing on their operands in the given order. A term whose unbound vars
   * are bound by another term's ref (`x == xs[x]`) is planned after that one.
   */
  private planTerms(terms: Term[], k: (ops: Operand[]) => void): void {
    const ops: (Operand | undefined)[] = terms.map(() => undefined);
    const next = (): void => {
      const pending = terms.map((_, i) => i).filter((i) => ops[i] === undefined);
      if (pending.length === 0) return k([...(ops as Operand[])]);
      const i = pending.find((j) => this.isPlannable(terms[j]!)) ?? pending[0]!;
      this.planTerm(terms[i]!, (op) => {
        ops[i] = op;
        next();
        ops[i] = undefined;
      });
    };
    next();
  }

  /** Whether planning a term can bind all of its unbound vars (they occur only in ref segments). */
  private isPlannable(term: Term): boolean {
    switch (term.type) {
      case 'var':
        return this.isBound(term.name);
      case 'ref':
        return term.terms[0] ? term.terms[0].type === 'var' ? this.isBound(term.terms[0].name) : this.isPlannable(term.terms[0]) : true;
      case 'array':
      case 'set':
        return term.items.every((t) => this.isPlannable(t));
      case 'object':
        return term.entries.every(([key, value]) => this.isPlannable(key) && this.isPlannable(value));
      case 'call':
        return term.args.every((t) => this.isPlannable(t));
      default:
        return true;
    }
  }

  private planTerm(term: Term, k: (op: Operand) => void): void {
    switch (term.type) {
      case 'null': {
        const l = this.newLocal();
        this.emit({ type: 'MakeNull', target: l });
        return k(local(l));
      }
      case 'boolean':
        return k({ type: 'bool', value: term.value });
      case 'number': {
        const l = this.newLocal();
        const n = Number(term.value);
        if (/^-?\d+$/.test(term.value) && Number.isSafeInteger(n) && Math.abs(n) <= 0x7fffffff) {
          this.emit({ type: 'MakeNumberInt', value: n, target: l });
        } else {
          this.emit({ type: 'MakeNumberRef', index: this.strIndex(term.value), target: l });
        }
        return k(local(l));
      }
      case 'string':
        return k(this.str(term.value));
      case 'var': {
        const l = this.lookupVar(term.name);
        if (typeof l === 'number') return k(local(l));
        if (term.name === 'input') return this.readInput(k);
        if (term.name === 'data') return this.planDataRef([], k);
        throw new PlanError(`var ${term.name} is unsafe`, term.location);
      }
      case 'ref':
        return this.planRef(term, k);
      case 'array':
        return this.planTerms(term.items, (ops) => {
          const l = this.newLocal();
          this.emit({ type: 'MakeArray', capacity: ops.length, target: l });
          for (const op of ops) this.emit({ type: 'ArrayAppend', value: op, array: l });
          k(local(l));
        });
      case 'set':
        return this.planTerms(term.items, (ops) => {
          const l = this.newLocal();
          this.emit({ type: 'MakeSet', target: l });
          for (const op of ops) this.emit({ type: 'SetAdd', value: op, set: l });
          k(local(l));
        });
      case 'object':
        return this.planTerms(
          term.entries.flatMap(([key, value]) => [key, value]),
          (ops) => {
            const l = this.newLocal();
            this.emit({ type: 'MakeObject', target: l });
            for (let i = 0; i < ops.length; i += 2) this.emit({ type: 'ObjectInsert', key: ops[i]!, value: ops[i + 1]!, object: l });
            k(local(l));
          },
        );
      case 'arraycomprehension':
      case 'setcomprehension':
      case 'objectcomprehension':
        return this.planComprehension(term, k);
      case 'call':
        return this.planCall(term, term.args, k);
      case 'templatestring':
        return this.planTemplate(term.parts, term.location, k);
    }
  }

  private planComprehension(
    term: Extract<Term, { type: 'arraycomprehension' | 'setcomprehension' | 'objectcomprehension' }>,
    k: (op: Operand) => void,
  ): void {
    const r = this.newLocal();
    if (term.type === 'arraycomprehension') this.emit({ type: 'MakeArray', capacity: 0, target: r });
    else if (term.type === 'setcomprehension') this.emit({ type: 'MakeSet', target: r });
    else this.emit({ type: 'MakeObject', target: r });
    this.block(() =>
      this.withScope(() =>
        this.planBody(term.body, () => {
          if (term.type === 'arraycomprehension')
            this.planTerm(term.head, (op) => this.emit({ type: 'ArrayAppend', value: op, array: r }));
          else if (term.type === 'setcomprehension')
            this.planTerm(term.head, (op) => this.emit({ type: 'SetAdd', value: op, set: r }));
          else
            this.planTerm(term.key, (key) =>
              this.planTerm(term.value, (value) =>
                this.emit({ type: 'ObjectInsertOnce', key, value, object: r, where: this.where(term.location) }),
              ),
            );
        }),
      ),
    );
    k(local(r));
  }

  /**
   * `$"a {x} b"` → internal.template_string([ "a ", {values of x}, " b" ]): literal parts are strings,
   * each expression part is the set of its values (empty when undefined, so the builtin can write
   * `<undefined>`), as OPA does it.
   */
  private planTemplate(parts: Term[], location: Location, k: (op: Operand) => void): void {
    const arr = this.newLocal();
    this.emit({ type: 'MakeArray', capacity: parts.length, target: arr });
    for (const part of parts) {
      if (part.type === 'string') {
        this.emit({ type: 'ArrayAppend', value: this.str(part.value), array: arr });
        continue;
      }
      const values = this.newLocal();
      this.emit({ type: 'MakeSet', target: values });
      this.block(() => this.withScope(() => this.planTerm(part, (op) => this.emit({ type: 'SetAdd', value: op, set: values }))));
      this.emit({ type: 'ArrayAppend', value: local(values), array: arr });
    }
    const r = this.newLocal();
    this.declareBuiltin('internal.template_string', 1);
    this.emit({ type: 'Call', func: 'internal.template_string', args: [local(arr)], result: r, where: this.where(location) });
    k(local(r));
  }

  // ---------------------------------------------------------------------------------------------
  // Calls

  private declareBuiltin(name: string, arity: number): void {
    if (!this.builtins.has(name)) this.builtins.set(name, arity);
  }

  /** The name a call's operator stands for: `count`, `time.now_ns`, or `data.a.f` for functions. */
  private operatorName(op: RefTerm): string {
    // The checks stage made function names absolute (data.a.f) or left builtin names (count).
    const parts: string[] = [];
    for (const [i, t] of op.terms.entries()) {
      if (i === 0 && t.type === 'var') parts.push(t.name);
      else if (t.type === 'string') parts.push(t.value);
      else return '';
    }
    return parts.join('.');
  }

  private functionNode(name: string): TreeNode | undefined {
    if (!name.startsWith('data.')) return undefined;
    const node = nodeAt(this.root, name.split('.').slice(1));
    return node && node.functions.length > 0 ? node : undefined;
  }

  /** Arity of what a name calls (user function or builtin), if known. */
  private arityOf(name: string): number | undefined {
    const fn = this.functionNode(name);
    if (fn) return fn.functions[0]!.rule.head.args?.length ?? 0;
    const builtin = builtinArity(name);
    if (builtin !== undefined) return builtin;
    const mock = this.env.fns.get(name);
    return mock?.kind === 'func' ? this.arityOf(mock.target) : undefined;
  }

  /** Calls `name(args)` and hands the result on (the Call fails when the result is undefined). */
  private planCall(call: CallTerm, args: Term[], k: (op: Operand) => void): void {
    const name = this.operatorName(call.operator);
    if (!this.env.fns.has(name) && isRelation(name)) {
      // A relation (walk) used as a value: each of its results is a solution.
      return this.planCallNamed(name, call, args, (results) => {
        const source = this.toLocal(results);
        const key = this.newLocal();
        const value = this.newLocal();
        const body: Block = { stmts: [] };
        this.emit({ type: 'Scan', source, key, value, block: body });
        this.into(body.stmts, () => k(local(value)));
      });
    }
    this.planCallNamed(name, call, args, k);
  }

  private planCallNamed(name: string, call: CallTerm, args: Term[], k: (op: Operand) => void): void {
    if ((name === 'rego.metadata.chain' || name === 'rego.metadata.rule') && args.length === 0 && this.rule) {
      const value = name === 'rego.metadata.chain' ? metadataChain(this.root, this.modules, this.rule) : metadataRule(this.root, this.rule);
      return this.planTerm(jsonTerm(value, call.location), k);
    }
    const where = this.where(call.location);
    if (name === '') return this.planDynamicCall(call, args, where, k);
    const mock = this.env.fns.get(name);
    if (mock) {
      if (mock.kind === 'value') {
        return this.planTerms(args, () => k(local(this.dotChain(DATA, [MOCK_ROOT, name]))));
      }
      // The replacement runs without function mocks: it may call the original, and a mock never
      // calls another mock.
      const without: MockEnv = { data: this.env.data, fns: new Map() };
      return this.planTerms(args, (ops) => this.emitCall(mock.target, ops, where, without, k));
    }
    this.planTerms(args, (ops) => this.emitCall(name, ops, where, this.env, k));
  }

  /** `data.lib[x](…)`: the function is chosen at run time among those at that depth. */
  private planDynamicCall(call: CallTerm, args: Term[], where: Where, k: (op: Operand) => void): void {
    const [head, ...segs] = call.operator.terms;
    if (!head || head.type !== 'var' || head.name !== 'data') {
      throw new PlanError('a function name must be a reference into data', call.location);
    }
    // Every function the path could name must exist as a Func, with its path segments interned.
    const visit = (node: TreeNode): void => {
      if (node.path.length === segs.length && node.functions.length > 0) {
        this.funcName('fn', node, this.env);
        for (const p of node.path) this.strIndex(p);
      }
      if (node.path.length < segs.length) for (const child of node.children.values()) visit(child);
    };
    visit(this.root);
    this.planTerms(segs, (path) =>
      this.planTerms(args, (ops) => {
        const r = this.newLocal();
        this.emit({ type: 'CallDynamic', path: [this.str('data'), ...path], args: ops.map((op) => this.toLocal(op)), result: r, where });
        k(local(r));
      }),
    );
  }

  private emitCall(name: string, ops: Operand[], where: Where, env: MockEnv, k: (op: Operand) => void): void {
    const r = this.newLocal();
    const fn = this.functionNode(name);
    if (fn) {
      this.emit({ type: 'Call', func: this.funcName('fn', fn, env), args: [local(INPUT), local(DATA), ...ops], result: r, where });
    } else {
      if (name.startsWith('data.')) throw new PlanError(`undefined function ${name}`);
      this.declareBuiltin(name, ops.length);
      this.emit({ type: 'Call', func: name, args: ops, result: r, where });
    }
    k(local(r));
  }

  // ---------------------------------------------------------------------------------------------
  // Bodies and expressions

  private planBody(body: Body, k: () => void, i = 0): void {
    if (i === body.length) return k();
    this.planExpr(body[i]!, () => this.planBody(body, k, i + 1));
  }

  private planExpr(expr: Expr, k: () => void): void {
    if (expr.with.length > 0) return this.planWith(expr, 0, [], k);
    this.planExprCore(expr, k);
  }

  private planExprCore(expr: Expr, k: () => void): void {
    if (expr.negated) {
      const b: Block = { stmts: [] };
      this.into(b.stmts, () => this.withScope(() => this.planValue(expr.value, () => {})));
      this.emit({ type: 'Not', block: b });
      return k();
    }
    this.planValue(expr.value, k);
  }

  private planValue(value: Expr['value'], k: () => void): void {
    switch (value.type) {
      case 'some':
        return this.planSome(value, k);
      case 'every':
        return this.planEvery(value, k);
      case 'call':
        return this.planCallExpr(value, k);
      default:
        return this.planTerm(value, (op) => {
          this.emit({ type: 'NotEqual', a: op, b: FALSE });
          k();
        });
    }
  }

  private planSome(decl: SomeDecl, k: () => void): void {
    for (const symbol of decl.symbols) {
      if (symbol.type === 'var') this.declare(symbol.name);
    }
    const members = decl.symbols.filter((s): s is CallTerm => s.type === 'call');
    const next = (i: number): void => {
      if (i === members.length) return k();
      const call = members[i]!;
      for (const pattern of call.args.slice(0, -1)) for (const v of varsIn(pattern)) this.declare(v);
      this.planCallExpr(call, () => next(i + 1));
    };
    next(0);
  }

  /** `every k, v in xs { body }` holds when no element makes the body fail. */
  private planEvery(every: Every, k: () => void): void {
    this.planTerm(every.domain, (domainOp) => {
      const failed = this.newLocal();
      this.emit({ type: 'ResetLocal', target: failed });
      const source = this.toLocal(domainOp);
      const key = this.newLocal();
      const value = this.newLocal();
      const body: Block = { stmts: [] };
      this.emit({ type: 'Scan', source, key, value, block: body });
      this.into(body.stmts, () =>
        this.withScope(() => {
          const bindAll = (then: () => void): void => {
            const bindValue = (): void => {
              for (const v of varsIn(every.value)) this.declare(v);
              this.unifyLocal(every.value, local(value), then);
            };
            if (every.key) {
              for (const v of varsIn(every.key)) this.declare(v);
              this.unifyLocal(every.key, local(key), bindValue);
            } else bindValue();
          };
          bindAll(() => {
            const inner: Block = { stmts: [] };
            this.into(inner.stmts, () => this.withScope(() => this.planBody(every.body, () => {})));
            this.emit({ type: 'Not', block: inner });
            this.emit({ type: 'AssignVar', source: TRUE, target: failed });
          });
        }),
      );
      this.emit({ type: 'IsUndefined', source: failed });
      k();
    });
  }

  private planCallExpr(call: CallTerm, k: () => void): void {
    const name = this.operatorName(call.operator);
    const args = call.args;
    const mocked = this.env.fns.has(name);
    if (!mocked) {
      switch (name) {
        case 'eq':
          return this.unify(args[0]!, args[1]!, k);
        case 'assign':
          for (const v of varsIn(args[0]!)) this.declare(v);
          return this.unify(args[0]!, args[1]!, k);
        case 'equal':
        case 'neq':
          if (args.length === 2)
            return this.planTerms(args, ([a, b]) => {
              this.emit(name === 'equal' ? { type: 'Equal', a: a!, b: b! } : { type: 'NotEqual', a: a!, b: b! });
              k();
            });
          break;
        case 'internal.member_2':
          if (this.hasUnbound(args[0]!)) {
            return this.planTerm(args[1]!, (coll) => this.scanInto(coll, undefined, args[0]!, k));
          }
          break;
        case 'internal.member_3':
          if (this.hasUnbound(args[0]!) || this.hasUnbound(args[1]!)) {
            return this.planTerm(args[2]!, (coll) => this.scanInto(coll, args[0]!, args[1]!, k));
          }
          break;
        case 'print':
        case 'internal.print':
          // print output is not part of a decision; evaluating its arguments is not needed either.
          return k();
      }
    }
    const arity = this.arityOf(name);
    if (!mocked && isRelation(name) && arity !== undefined && args.length === arity + 1) {
      // A relation (walk) gives an array of results; each one is a solution.
      return this.planCallNamed(name, call, args.slice(0, -1), (results) =>
        this.scanInto(results, undefined, args[args.length - 1]!, k),
      );
    }
    if (arity !== undefined && args.length === arity + 1) {
      return this.planCallNamed(name, call, args.slice(0, -1), (result) => this.unifyLocal(args[args.length - 1]!, result, k));
    }
    this.planCallNamed(name, call, args, (result) => {
      this.emit({ type: 'NotEqual', a: result, b: FALSE });
      k();
    });
  }

  /** Scans a collection, unifying each key / value with the given patterns. */
  private scanInto(coll: Operand, keyPattern: Term | undefined, valuePattern: Term, k: () => void): void {
    const source = this.toLocal(coll);
    const key = this.newLocal();
    const value = this.newLocal();
    const body: Block = { stmts: [] };
    this.emit({ type: 'Scan', source, key, value, block: body });
    this.into(body.stmts, () => {
      const bindValue = (): void => this.unifyLocal(valuePattern, local(value), k);
      if (keyPattern) this.unifyLocal(keyPattern, local(key), bindValue);
      else bindValue();
    });
  }

  // ---------------------------------------------------------------------------------------------
  // with

  /**
   * Plans the rest of the `with` chain (modifiers after `i`) under `env` and `memo`; while the
   * continuation `k` runs, the outer scope is back, since `with` applies to this expression only.
   */
  private planWithIn(
    env: Planner['env'],
    memo: Planner['memo'],
    expr: Expr,
    i: number,
    restores: { saved: Local; target: Local }[],
    k: () => void,
  ): void {
    const outer = this.env;
    const outerMemo = this.memo;
    this.env = env;
    this.memo = memo;
    this.planWith(expr, i + 1, restores, () => {
      const inner = this.env;
      const innerMemo = this.memo;
      this.env = outer;
      this.memo = outerMemo;
      k();
      this.env = inner;
      this.memo = innerMemo;
    });
    this.env = outer;
    this.memo = outerMemo;
  }

  private planWith(expr: Expr, i: number, restores: { saved: Local; target: Local }[], k: () => void): void {
    if (i === expr.with.length) {
      return this.planExprCore(expr, () => {
        for (const r of restores) this.emit({ type: 'AssignVar', source: local(r.saved), target: r.target });
        k();
      });
    }
    const w = expr.with[i]!;
    const target = w.target;
    const head = target.terms[0];
    const path: string[] = [];
    for (const t of target.terms.slice(1)) {
      if (t.type !== 'string') throw new PlanError('with target path must be static', w.location);
      path.push(t.value);
    }
    const headName = head?.type === 'var' ? head.name : '';
    const targetName = this.operatorName(target);
    const isDocument =
      (headName === 'input' || headName === 'data') && !(headName === 'data' && this.functionNode(targetName));
    if (isDocument) {
      const docLocal = headName === 'input' ? INPUT : DATA;
      return this.planTerm(w.value, (value) => {
        const saved = this.newLocal();
        this.emit({ type: 'AssignVar', source: local(docLocal), target: saved });
        const block: Block = { stmts: [] };
        const blockMemo = new Map<string, Local>();
        this.emit({ type: 'With', local: docLocal, path: path.map((p) => this.strIndex(p)), value, block });
        this.into(
          block.stmts,
          () => {
          const outer = this.env;
          const overlapsRules = headName === 'data' && this.overlapsRules(path);
          const env = overlapsRules ? { data: [...outer.data, path], fns: outer.fns } : outer;
          this.planWithIn(env, blockMemo, expr, i, [...restores, { saved, target: docLocal }], k);
          },
          true,
        );
        this.resetMemoAtEntry(block, blockMemo);
      });
    }
    // A function or builtin replaced by another function, or by a value.
    const replacement = this.functionReference(w.value);
    const outer = this.env;
    if (replacement !== undefined) {
      const fns = new Map(outer.fns);
      fns.set(targetName, { kind: 'func', target: replacement });
      this.planWithIn({ data: outer.data, fns }, this.memo, expr, i, restores, k);
      return;
    }
    this.planTerm(w.value, (value) => {
      const saved = this.newLocal();
      this.emit({ type: 'AssignVar', source: local(DATA), target: saved });
      const block: Block = { stmts: [] };
      const blockMemo = new Map<string, Local>();
      this.emit({ type: 'With', local: DATA, path: [this.strIndex(MOCK_ROOT), this.strIndex(targetName)], value, block });
      this.into(
        block.stmts,
        () => {
        const fns = new Map(outer.fns);
        fns.set(targetName, { kind: 'value' });
        this.planWithIn({ data: outer.data, fns }, blockMemo, expr, i, [...restores, { saved, target: DATA }], k);
        },
        true,
      );
      this.resetMemoAtEntry(block, blockMemo);
    });
  }

  /**
   * Rule values remembered inside a With block depend on its replacement value, which may change
   * from one iteration of an enclosing loop to the next: forget them each time the block starts.
   */
  private resetMemoAtEntry(block: Block, memo: Map<string, Local>): void {
    block.stmts.unshift(...[...memo.values()].map((target): Stmt => ({ type: 'ResetLocal', target })));
  }

  /** Whether a `with data.<path>` replaces (part of) a virtual document. */
  private overlapsRules(path: string[]): boolean {
    const node = nodeAt(this.root, path);
    if (node && hasDoc(node)) return true;
    // A rule above the path (`with data.p.q` where p is a rule) is replaced as a whole too.
    for (let n = path.length - 1; n >= 1; n--) {
      const above = nodeAt(this.root, path.slice(0, n));
      if (above && above.rules.length > 0) return true;
    }
    return false;
  }

  /** The function a `with … as <value>` names, if the value is a function rather than a value. */
  private functionReference(value: Term): string | undefined {
    let ref: RefTerm;
    if (value.type === 'var') ref = { type: 'ref', terms: [value], location: value.location };
    else if (value.type === 'ref') ref = value;
    else return undefined;
    const head = ref.terms[0];
    if (!head || head.type !== 'var' || typeof this.lookupVar(head.name) === 'number') return undefined;
    if (head.name === 'input') return undefined;
    const name = this.operatorName(ref);
    if (!name) return undefined;
    if (this.functionNode(name)) return name;
    if (!name.startsWith('data.') && builtinArity(name) !== undefined) return name;
    return undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // Unification

  private isUnboundVar(t: Term): t is Extract<Term, { type: 'var' }> {
    return t.type === 'var' && !this.isBound(t.name);
  }

  private unify(a: Term, b: Term, k: () => void): void {
    if (this.isUnboundVar(a)) {
      if (this.isUnboundVar(b)) throw new PlanError(`var ${a.name} is unsafe`, a.location);
      return this.planTerm(b, (op) => {
        this.bind(a.name, op);
        k();
      });
    }
    if (this.isUnboundVar(b)) {
      return this.planTerm(a, (op) => {
        this.bind(b.name, op);
        k();
      });
    }
    if (a.type === 'array' && b.type === 'array') {
      if (a.items.length !== b.items.length) return this.fail();
      const next = (i: number): void => {
        if (i === a.items.length) return k();
        this.unify(a.items[i]!, b.items[i]!, () => next(i + 1));
      };
      return next(0);
    }
    const patternA = (a.type === 'array' || a.type === 'object') && this.hasUnbound(a);
    const patternB = (b.type === 'array' || b.type === 'object') && this.hasUnbound(b);
    if (patternA && !patternB) return this.planTerm(b, (op) => this.unifyLocal(a, op, k));
    if (patternB && !patternA) return this.planTerm(a, (op) => this.unifyLocal(b, op, k));
    if (patternA && patternB && a.type === 'object' && b.type === 'object') {
      // Both sides have unknowns: pair the entries by their (constant) keys.
      if (a.entries.length !== b.entries.length) return this.fail();
      const pairs: [Term, Term][] = [];
      for (const [ka, va] of a.entries) {
        const match = b.entries.find(([kb]) => sameConstant(ka, kb));
        if (!match) return this.fail();
        pairs.push([va, match[1]]);
      }
      const next = (i: number): void => {
        if (i === pairs.length) return k();
        this.unify(pairs[i]![0], pairs[i]![1], () => next(i + 1));
      };
      return next(0);
    }
    if (patternA && patternB) return this.fail();
    this.planTerms([a, b], ([oa, ob]) => {
      this.emit({ type: 'Equal', a: oa!, b: ob! });
      k();
    });
  }

  /** Unifies a term (possibly with unbound vars) with a value already computed. */
  private unifyLocal(pattern: Term, value: Operand, k: () => void): void {
    if (this.isUnboundVar(pattern)) {
      this.bind(pattern.name, value);
      return k();
    }
    if (pattern.type === 'array' && this.hasUnbound(pattern)) {
      const src = this.toLocal(value);
      this.emit({ type: 'IsArray', source: local(src) });
      const n = this.newLocal();
      this.emit({ type: 'Len', source: local(src), target: n });
      this.emit({ type: 'Equal', a: local(n), b: local(this.number(pattern.items.length)) });
      const next = (i: number): void => {
        if (i === pattern.items.length) return k();
        const item = this.newLocal();
        this.emit({ type: 'Dot', source: local(src), key: local(this.number(i)), target: item });
        this.unifyLocal(pattern.items[i]!, local(item), () => next(i + 1));
      };
      return next(0);
    }
    if (pattern.type === 'object' && this.hasUnbound(pattern)) {
      const src = this.toLocal(value);
      this.emit({ type: 'IsObject', source: local(src) });
      const n = this.newLocal();
      this.emit({ type: 'Len', source: local(src), target: n });
      this.emit({ type: 'Equal', a: local(n), b: local(this.number(pattern.entries.length)) });
      const next = (i: number): void => {
        if (i === pattern.entries.length) return k();
        const [keyTerm, valueTerm] = pattern.entries[i]!;
        this.planTerm(keyTerm, (key) => {
          const item = this.newLocal();
          this.emit({ type: 'Dot', source: local(src), key, target: item });
          this.unifyLocal(valueTerm, local(item), () => next(i + 1));
        });
      };
      return next(0);
    }
    this.planTerm(pattern, (op) => {
      this.emit({ type: 'Equal', a: op, b: value });
      k();
    });
  }
}

/** A JSON value as a constant term. */
function jsonTerm(value: unknown, location: Location): Term {
  if (value === null || value === undefined) return { type: 'null', location };
  if (typeof value === 'boolean') return { type: 'boolean', value, location };
  if (typeof value === 'number') return { type: 'number', value: String(value), location };
  if (typeof value === 'string') return { type: 'string', value, location };
  if (Array.isArray(value)) return { type: 'array', items: value.map((v) => jsonTerm(v, location)), location };
  return {
    type: 'object',
    entries: Object.entries(value as object).map(([k, v]): [Term, Term] => [{ type: 'string', value: k, location }, jsonTerm(v, location)]),
    location,
  };
}


function sameConstant(a: Term, b: Term): boolean {
  if (a.type !== b.type) return false;
  switch (a.type) {
    case 'string':
      return a.value === (b as StringTerm).value;
    case 'number':
      return Number(a.value) === Number((b as { value: string }).value);
    case 'boolean':
      return a.value === (b as { value: boolean }).value;
    case 'null':
      return true;
    default:
      return false;
  }
}

/** Variable names in a term (not looking into comprehension bodies). */
function varsIn(term: Term, out: string[] = []): string[] {
  switch (term.type) {
    case 'var':
      if (!out.includes(term.name)) out.push(term.name);
      break;
    case 'ref':
      // The head of a ref is a name being read (input, data, a local); its segments may bind.
      for (const t of term.terms.slice(1)) varsIn(t, out);
      if (term.terms[0]) varsIn(term.terms[0], out);
      break;
    case 'array':
    case 'set':
      for (const t of term.items) varsIn(t, out);
      break;
    case 'object':
      for (const [k, v] of term.entries) {
        varsIn(k, out);
        varsIn(v, out);
      }
      break;
    default:
      break;
  }
  return out;
}

/** User-visible variables of a query, in order of appearance (not wildcards or generated vars). */
function queryVars(body: Body): string[] {
  const out: string[] = [];
  const visit = (term: Term | SomeDecl | Every): void => {
    switch (term.type) {
      case 'var':
        if (!term.wildcard && !term.name.startsWith('$') && !term.name.startsWith('__') && term.name !== 'input' && term.name !== 'data') {
          if (!out.includes(term.name)) out.push(term.name);
        }
        break;
      case 'ref':
        term.terms.forEach(visit);
        break;
      case 'array':
      case 'set':
        term.items.forEach(visit);
        break;
      case 'object':
        for (const [k, v] of term.entries) {
          visit(k);
          visit(v);
        }
        break;
      case 'call':
        term.args.forEach(visit);
        break;
      case 'some':
        term.symbols.forEach(visit);
        break;
      default:
        break;
    }
  };
  for (const expr of body) visit(expr.value);
  return out;
}

export type { WithModifier };
