// Small helpers over AST terms shared by the check passes.
import type { Expr, RefTerm, Term, VarTerm } from '../syntax/ast.js';

/** `a.b.c` for a ref whose head is a var and whose path is all strings, else undefined. */
export function dottedName(ref: RefTerm): string | undefined {
  const head = ref.terms[0];
  if (head === undefined || head.type !== 'var') return undefined;
  let name = head.name;
  for (let i = 1; i < ref.terms.length; i++) {
    const t = ref.terms[i]!;
    if (t.type !== 'string') return undefined;
    name += '.' + t.value;
  }
  return name;
}

/** The ground prefix of a `data…` ref as path segments (without `data`), or undefined. */
export function dataPrefix(ref: RefTerm): { path: string[]; complete: boolean } | undefined {
  const head = ref.terms[0];
  if (head === undefined || head.type !== 'var' || head.name !== 'data') return undefined;
  const path: string[] = [];
  for (let i = 1; i < ref.terms.length; i++) {
    const t = ref.terms[i]!;
    const key = groundKey(t);
    if (key === undefined) return { path, complete: false };
    path.push(key);
  }
  return { path, complete: true };
}

/**
 * A string that identifies a scalar constant as a path segment: strings as themselves, other
 * scalars tagged so `p["1"]` and `p[1]` stay apart. undefined for vars and composites.
 */
export function groundKey(t: Term): string | undefined {
  switch (t.type) {
    case 'string':
      return t.value;
    case 'number':
      return `\u0000n:${t.value}`;
    case 'boolean':
      return `\u0000b:${t.value}`;
    case 'null':
      return '\u0000null';
    default:
      return undefined;
  }
}

/** Shows a path segment the way OPA prints refs: `.name` or `["a b"]` / `[1]`. */
export function showSegment(key: string): string {
  if (key.startsWith('\u0000')) {
    if (key.startsWith('\u0000n:')) return `[${key.slice(3)}]`;
    if (key.startsWith('\u0000b:')) return `[${key.slice(3)}]`;
    return '[null]';
  }
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

export function showPath(path: string[]): string {
  return 'data' + path.map(showSegment).join('');
}

/** A ref term printed in Rego syntax (for messages). */
export function showTerm(t: Term, names?: ReadonlyMap<string, string>): string {
  switch (t.type) {
    case 'null':
      return 'null';
    case 'boolean':
      return String(t.value);
    case 'number':
      return t.value;
    case 'string':
      return JSON.stringify(t.value);
    case 'var':
      return t.wildcard ? '_' : (names?.get(t.name) ?? t.name);
    case 'ref': {
      let s = showTerm(t.terms[0]!, names);
      for (let i = 1; i < t.terms.length; i++) {
        const seg = t.terms[i]!;
        if (seg.type === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(seg.value)) s += '.' + seg.value;
        else s += `[${showTerm(seg, names)}]`;
      }
      return s;
    }
    case 'array':
      return `[${t.items.map((x) => showTerm(x, names)).join(', ')}]`;
    case 'set':
      return t.items.length === 0 ? 'set()' : `{${t.items.map((x) => showTerm(x, names)).join(', ')}}`;
    case 'object':
      return `{${t.entries.map(([k, v]) => `${showTerm(k, names)}: ${showTerm(v, names)}`).join(', ')}}`;
    case 'call':
      return `${showTerm(t.operator, names)}(${t.args.map((x) => showTerm(x, names)).join(', ')})`;
    case 'arraycomprehension':
      return `[${showTerm(t.head, names)} | …]`;
    case 'setcomprehension':
      return `{${showTerm(t.head, names)} | …}`;
    case 'objectcomprehension':
      return `{${showTerm(t.key, names)}: ${showTerm(t.value, names)} | …}`;
    case 'templatestring':
      return '$"…"';
  }
}

/** OPA's name for the kind of a term, as in "cannot assign to number". */
export function termTypeName(t: Term): string {
  switch (t.type) {
    case 'arraycomprehension':
      return 'arraycomprehension';
    case 'setcomprehension':
      return 'setcomprehension';
    case 'objectcomprehension':
      return 'objectcomprehension';
    case 'templatestring':
      return 'templatestring';
    default:
      return t.type;
  }
}

/**
 * Calls `visit` for every var occurrence in `t`, outside closures (comprehension bodies) and
 * skipping call operators. Ref heads are included.
 */
export function forEachVar(t: Term, visit: (v: VarTerm) => void): void {
  switch (t.type) {
    case 'var':
      visit(t);
      return;
    case 'ref':
      for (const x of t.terms) forEachVar(x, visit);
      return;
    case 'array':
    case 'set':
      for (const x of t.items) forEachVar(x, visit);
      return;
    case 'object':
      for (const [k, v] of t.entries) {
        forEachVar(k, visit);
        forEachVar(v, visit);
      }
      return;
    case 'call':
      for (const x of t.args) forEachVar(x, visit);
      return;
    case 'templatestring':
      for (const p of t.parts) if (p.type !== 'string') forEachVar(p, visit);
      return;
    default:
      return;
  }
}

/** Every closure (comprehension) directly inside `t` (not inside another closure). */
export function forEachClosure(t: Term, visit: (c: Term) => void): void {
  switch (t.type) {
    case 'arraycomprehension':
    case 'setcomprehension':
    case 'objectcomprehension':
      visit(t);
      return;
    case 'ref':
      for (const x of t.terms) forEachClosure(x, visit);
      return;
    case 'array':
    case 'set':
      for (const x of t.items) forEachClosure(x, visit);
      return;
    case 'object':
      for (const [k, v] of t.entries) {
        forEachClosure(k, visit);
        forEachClosure(v, visit);
      }
      return;
    case 'call':
      for (const x of t.args) forEachClosure(x, visit);
      return;
    case 'templatestring':
      for (const p of t.parts) if (p.type !== 'string') forEachClosure(p, visit);
      return;
    default:
      return;
  }
}

/** The terms an expression is made of (its value's terms and its `with` values), not closures' insides. */
export function exprTerms(e: Expr): Term[] {
  const out: Term[] = [];
  const v = e.value;
  if (v.type === 'some') out.push(...v.symbols);
  else if (v.type === 'every') out.push(v.domain);
  else out.push(v);
  for (const w of e.with) out.push(w.value);
  return out;
}
