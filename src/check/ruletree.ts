// The tree of all rules by their path under `data`, with the checks that need the whole set of
// rules: conflicting definitions (rego_type_error) and recursion (rego_recursion_error).
import type { Module, RefTerm, Rule } from '../syntax/ast.js';
import type { RegoError } from '../syntax/diagnostics.js';
import { groundKey, showPath, showTerm } from './terms.js';

export interface RuleEntry {
  rule: Rule;
  module: Module;
  /** Ground prefix of the rule's ref under data: package path + head ref up to its first var. */
  path: string[];
  /** True when the whole head ref is ground (the rule defines exactly `path`). */
  ground: boolean;
  kind: 'single' | 'multi' | 'function';
  arity: number;
}

export interface TreeNode {
  path: string[];
  children: Map<string, TreeNode>;
  /** Rules whose ref is exactly this path. */
  rules: RuleEntry[];
  /** Rules whose ground prefix is this path but that have vars after it (`p[x] := …`). */
  dynamic: RuleEntry[];
}

export function packagePath(module: Module): string[] {
  const out: string[] = [];
  const terms = module.package.path.terms;
  for (let i = 1; i < terms.length; i++) out.push(groundKey(terms[i]!) ?? '?');
  return out;
}

export class RuleTree {
  readonly root: TreeNode = { path: [], children: new Map(), rules: [], dynamic: [] };
  readonly entries: RuleEntry[] = [];

  constructor(modules: Module[]) {
    for (const module of modules) {
      const pkg = packagePath(module);
      for (const rule of module.rules) {
        const { path, ground } = rulePath(pkg, rule);
        const kind = rule.kind === 'function' ? 'function' : rule.kind === 'partial_set' ? 'multi' : 'single';
        const entry: RuleEntry = { rule, module, path, ground, kind, arity: rule.head.args?.length ?? 0 };
        this.entries.push(entry);
        const node = this.node(path, true)!;
        (ground ? node.rules : node.dynamic).push(entry);
      }
    }
  }

  node(path: readonly string[], create = false): TreeNode | undefined {
    let n = this.root;
    for (const key of path) {
      let child = n.children.get(key);
      if (child === undefined) {
        if (!create) return undefined;
        child = { path: [...n.path, key], children: new Map(), rules: [], dynamic: [] };
        n.children.set(key, child);
      }
      n = child;
    }
    return n;
  }

  /** The user function defined at `path`, if any: its arity. */
  functionArity(path: readonly string[]): number | undefined {
    const n = this.node(path);
    const f = n?.rules.find((e) => e.kind === 'function');
    return f?.arity;
  }

  /**
   * Adds the nodes holding rules that a read of data at `ref` may depend on: rules on the way down (their
   * values contain the rest of the path) and every rule below where the ref ends. A var segment
   * may be any key, so it follows every child.
   */
  addDependencies(ref: RefTerm, out: Set<TreeNode>): void {
    const head = ref.terms[0];
    if (head === undefined || head.type !== 'var' || head.name !== 'data') return;
    const below = (n: TreeNode): void => {
      const stack = [...n.children.values()];
      while (stack.length > 0) {
        const c = stack.pop()!;
        if (c.rules.length > 0 || c.dynamic.length > 0) out.add(c);
        for (const g of c.children.values()) stack.push(g);
      }
    };
    const walk = (n: TreeNode, i: number): void => {
      if (n.rules.length > 0 || n.dynamic.length > 0) out.add(n);
      if (i === ref.terms.length) return below(n);
      const key = groundKey(ref.terms[i]!);
      if (key !== undefined) {
        const child = n.children.get(key);
        if (child !== undefined) walk(child, i + 1);
      } else {
        for (const child of n.children.values()) walk(child, i + 1);
      }
    };
    walk(this.root, 1);
  }
}

function rulePath(pkg: string[], rule: Rule): { path: string[]; ground: boolean } {
  const path = [...pkg];
  const terms = rule.head.ref.terms;
  const first = terms[0];
  if (first !== undefined && first.type === 'var') path.push(first.name);
  for (let i = 1; i < terms.length; i++) {
    const key = groundKey(terms[i]!);
    if (key === undefined) return { path, ground: false };
    path.push(key);
  }
  return { path, ground: true };
}

function where(e: RuleEntry): string {
  return `${e.rule.location.file}:${e.rule.location.row}`;
}

function showRule(e: RuleEntry, names: ReadonlyMap<string, string>): string {
  if (e.ground) return showPath(e.path);
  const terms = e.rule.head.ref.terms;
  let s = showPath(e.path);
  let i = 1;
  // Skip the ground part of the head ref (already in path).
  while (i < terms.length && groundKey(terms[i]!) !== undefined) i++;
  for (; i < terms.length; i++) s += `[${showTerm(terms[i]!, names)}]`;
  return s;
}

/** Conflicting definitions of one path (OPA's checkRuleConflicts). */
export function checkConflicts(tree: RuleTree, names: ReadonlyMap<string, string>): RegoError[] {
  const errors: RegoError[] = [];
  const visit = (node: TreeNode): void => {
    if (node.rules.length > 0) {
      const kinds = new Set(node.rules.map((e) => e.kind));
      const arities = new Set(node.rules.filter((e) => e.kind === 'function').map((e) => e.arity));
      const first = node.rules[0]!;
      if (kinds.size > 1 || arities.size > 1) {
        errors.push({ code: 'rego_type_error', message: `conflicting rules ${showPath(node.path)} found`, location: first.rule.location });
      }
      const defaults = node.rules.filter((e) => e.rule.default);
      if (defaults.length > 1) {
        errors.push({
          code: 'rego_type_error',
          message: `multiple default rules ${showPath(node.path)} found at ${defaults.map(where).join(', ')}`,
          location: defaults[0]!.rule.location,
        });
      }
      // A rule defining this path fully leaves no room for rules inside its value.
      const inside: RuleEntry[] = [...node.dynamic];
      const stack = [...node.children.values()];
      while (stack.length > 0) {
        const c = stack.pop()!;
        inside.push(...c.rules, ...c.dynamic);
        for (const g of c.children.values()) stack.push(g);
      }
      if (inside.length > 0) {
        const label = first.kind === 'multi' ? 'multi-value rule' : 'rule';
        const others = [...new Set(inside.map((e) => showRule(e, names)))].sort();
        errors.push({
          code: 'rego_type_error',
          message: `${label} ${showPath(node.path)} conflicts with [${others.join(' ')}]`,
          location: first.rule.location,
        });
      }
    }
    for (const c of node.children.values()) visit(c);
  };
  visit(tree.root);
  return errors;
}

/**
 * Rules that depend on themselves, directly or through other rules (OPA's checkRecursion).
 * `refsOf` gives the refs into data each rule reads (recorded while resolving names).
 */
export function checkRecursion(tree: RuleTree, refsOf: (rule: Rule) => readonly RefTerm[]): RegoError[] {
  // One graph vertex per tree node with rules; each rule's edges are the nodes its refs read.
  const ruleDeps = new Map<RuleEntry, Set<TreeNode>>();
  const nodeDeps = new Map<TreeNode, Set<TreeNode>>();
  const nodeOf = new Map<RuleEntry, TreeNode>();
  for (const e of tree.entries) {
    const node = tree.node(e.path)!;
    nodeOf.set(e, node);
    const deps = new Set<TreeNode>();
    for (const ref of refsOf(e.rule)) tree.addDependencies(ref, deps);
    ruleDeps.set(e, deps);
    let nd = nodeDeps.get(node);
    if (nd === undefined) nodeDeps.set(node, (nd = new Set()));
    for (const d of deps) nd.add(d);
  }

  const component = stronglyConnected([...nodeDeps.keys()], (n) => nodeDeps.get(n) ?? new Set());
  const errors: RegoError[] = [];
  for (const e of tree.entries) {
    const self = nodeOf.get(e)!;
    const comp = component.get(self)!;
    for (const d of ruleDeps.get(e)!) {
      // d reaches back to this rule's node: the rule depends on itself.
      if (component.get(d) !== comp) continue;
      const path = shortestPath(d, self, (n) => [...(nodeDeps.get(n) ?? [])].filter((x) => component.get(x) === comp));
      if (path === undefined) continue;
      const names = [self, ...path].map((n) => showPath(n.path));
      errors.push({
        code: 'rego_recursion_error',
        message: `rule ${showPath(self.path)} is recursive: ${names.join(' -> ')}`,
        location: e.rule.location,
      });
      break;
    }
  }
  return errors;
}

/** Tarjan's algorithm: each vertex → the set of vertices of its strongly connected component. */
function stronglyConnected<T>(vertices: T[], edges: (v: T) => Iterable<T>): Map<T, Set<T>> {
  const index = new Map<T, number>();
  const low = new Map<T, number>();
  const onStack = new Set<T>();
  const stack: T[] = [];
  const result = new Map<T, Set<T>>();
  let counter = 0;
  // Iterative DFS so deep dependency chains cannot overflow the JS stack.
  for (const start of vertices) {
    if (index.has(start)) continue;
    const work: { v: T; it: Iterator<T> }[] = [];
    const open = (v: T) => {
      index.set(v, counter);
      low.set(v, counter);
      counter++;
      stack.push(v);
      onStack.add(v);
      work.push({ v, it: edges(v)[Symbol.iterator]() });
    };
    open(start);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const step = top.it.next();
      if (!step.done) {
        const w = step.value;
        if (!index.has(w)) open(w);
        else if (onStack.has(w)) low.set(top.v, Math.min(low.get(top.v)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]!.v;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.v)!));
      }
      if (low.get(top.v) === index.get(top.v)) {
        const comp = new Set<T>();
        let w: T;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.add(w);
          result.set(w, comp);
        } while (w !== top.v);
      }
    }
  }
  return result;
}

/** Shortest path from `from` to `to` (inclusive of both), following `next`. */
function shortestPath<T>(from: T, to: T, next: (v: T) => T[]): T[] | undefined {
  if (from === to) return [to];
  const prev = new Map<T, T>();
  const queue: T[] = [from];
  const seen = new Set<T>([from]);
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i]!;
    for (const w of next(v)) {
      if (seen.has(w)) continue;
      seen.add(w);
      prev.set(w, v);
      if (w === to) {
        const path: T[] = [to];
        for (let x = v; x !== from; x = prev.get(x)!) path.unshift(x);
        path.unshift(from);
        return path;
      }
      queue.push(w);
    }
  }
  return undefined;
}
