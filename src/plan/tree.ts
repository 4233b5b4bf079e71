// The rule tree: every rule of every module hung on the `data` path it defines, so the planner can
// tell, for a reference into `data`, which part is virtual (rules), which is base data, and where
// both meet. A rule is hung at its head's static prefix: `package a` + `b.c[x] := 1` hangs at
// data.a.b.c with the suffix `[x]` (the rule builds an object there, keyed by x).
import type { Module, Rule, Term } from '../syntax/ast.js';

export interface RuleAt {
  rule: Rule;
  module: Module;
  /** Head ref segments after the static prefix (keys of the object the rule builds). */
  suffix: Term[];
  /** The data path the rule hangs at (package path + static head prefix). */
  path: string[];
}

export interface TreeNode {
  /** Path below `data`, e.g. ["authz", "allow"]. */
  path: string[];
  children: Map<string, TreeNode>;
  /** Value rules (complete, default, partial set/object, ref heads) hung here. */
  rules: RuleAt[];
  /** Function definitions hung here. */
  functions: RuleAt[];
  /** A package is declared at this path: its document exists (maybe `{}`) even with no rules. */
  isPackage: boolean;
}

function newNode(path: string[]): TreeNode {
  return { path, children: new Map(), rules: [], functions: [], isPackage: false };
}

/** The static path of a module's package, below `data`. */
export function packagePath(module: Module): string[] {
  return module.package.path.terms.slice(1).map((t) => (t.type === 'string' ? t.value : t.type === 'var' ? t.name : '?'));
}

export function buildTree(modules: Module[]): TreeNode {
  const root = newNode([]);
  for (const module of modules) {
    const pkg = packagePath(module);
    nodeAt(root, pkg, true)!.isPackage = true;
    for (const rule of module.rules) {
      const terms = rule.head.ref.terms;
      const head = terms[0];
      const path = [...pkg, head && head.type === 'var' ? head.name : head && head.type === 'string' ? head.value : '?'];
      let i = 1;
      while (i < terms.length && terms[i]!.type === 'string') {
        path.push((terms[i] as { value: string }).value);
        i++;
      }
      const node = nodeAt(root, path, true)!;
      const at: RuleAt = { rule, module, suffix: terms.slice(i), path };
      if (rule.kind === 'function') node.functions.push(at);
      else node.rules.push(at);
    }
  }
  return root;
}

export function nodeAt(root: TreeNode, path: string[], create = false): TreeNode | undefined {
  let node = root;
  for (const name of path) {
    let child = node.children.get(name);
    if (!child) {
      if (!create) return undefined;
      child = newNode([...node.path, name]);
      node.children.set(name, child);
    }
    node = child;
  }
  return node;
}

/**
 * Whether the node is (part of) a virtual document: it has value rules, is a package, or has such
 * nodes or functions below it (`data.a` is `{}` when `a` holds only a package's functions). A node
 * holding only functions is not a document itself.
 */
export function hasDoc(node: TreeNode): boolean {
  if (node.rules.length > 0 || node.isPackage) return true;
  for (const child of node.children.values()) if (hasDoc(child) || child.functions.length > 0) return true;
  return false;
}

/** Whether documents hang below the node (not counting its own rules). */
export function hasDocChildren(node: TreeNode): boolean {
  for (const child of node.children.values()) if (hasDoc(child)) return true;
  return false;
}
