// rego.metadata.chain() and rego.metadata.rule(): OPA answers them at compile time from the
// `# METADATA` annotations, so the planner turns each call into the constant it stands for.
import type { Annotation, Module } from '../syntax/ast.js';
import { packagePath } from './tree.js';
import type { RuleAt, TreeNode } from './tree.js';
import { nodeAt } from './tree.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** An annotation as OPA shows it: its fields, authors and related resources as objects, and its scope. */
function annotationJson(a: Annotation): Json {
  const out: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(a.value)) {
    if (key === 'authors' && Array.isArray(value)) out.authors = value.map(author);
    else if (key === 'related_resources' && Array.isArray(value))
      out.related_resources = value.map((r) => (typeof r === 'string' ? { ref: r } : (r as Json)));
    else out[key] = value as Json;
  }
  out.scope = a.scope;
  return out;
}

/** `Name <email>` → {name, email}; an object stays as it is. */
function author(value: unknown): Json {
  if (typeof value !== 'string') return value as Json;
  const m = /^(.*?)\s*<([^>]*)>\s*$/.exec(value);
  if (!m) return { name: value.trim() };
  const out: { [key: string]: Json } = {};
  if (m[1]) out.name = m[1];
  out.email = m[2]!;
  return out;
}

function samePath(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The annotations of a rule: its own (scope rule), else those of its document, else {}. */
export function metadataRule(root: TreeNode, at: RuleAt): Json {
  const own = (at.rule.annotations ?? []).find((a) => a.scope === 'rule');
  if (own) return annotationJson(own);
  const doc = documentAnnotations(root, at.path)[0];
  return doc ? annotationJson(doc) : {};
}

function documentAnnotations(root: TreeNode, path: string[]): Annotation[] {
  const node = nodeAt(root, path);
  const rules = node ? [...node.rules, ...node.functions] : [];
  return rules.flatMap((r) => (r.rule.annotations ?? []).filter((a) => a.scope === 'document'));
}

/**
 * The chain from the rule up to the root: the rule's own annotations (an entry with only the path
 * when it has none), its document's, its package's, then `subpackages` annotations of the package
 * and each enclosing package.
 */
export function metadataChain(root: TreeNode, modules: Module[], at: RuleAt): Json {
  const chain: Json[] = [];
  const own = (at.rule.annotations ?? []).filter((a) => a.scope === 'rule');
  if (own.length === 0) chain.push({ path: at.path });
  for (const a of own) chain.push({ annotations: annotationJson(a), path: at.path });
  for (const a of documentAnnotations(root, at.path)) chain.push({ annotations: annotationJson(a), path: at.path });
  const pkg = packagePath(at.module);
  const packageAnnotations = (path: string[], scope: Annotation['scope']): Annotation[] =>
    modules.filter((m) => samePath(packagePath(m), path)).flatMap((m) => m.annotations.filter((a) => a.scope === scope));
  for (const a of packageAnnotations(pkg, 'package')) chain.push({ annotations: annotationJson(a), path: pkg });
  for (let n = pkg.length; n >= 1; n--) {
    const path = pkg.slice(0, n);
    for (const a of packageAnnotations(path, 'subpackages')) chain.push({ annotations: annotationJson(a), path });
  }
  return chain;
}
