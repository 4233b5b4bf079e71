// Compile-time checks of parsed Rego (OPA's compiler stages up to type checking), and the
// normalised AST that later stages (planner, code generator) rely on.
//
// What the returned AST guarantees (same shapes as src/syntax/ast.ts; the input modules are never
// modified; unchanged leaf terms and Location objects are shared with the input, so treat both
// as immutable):
// - Names are resolved. A var that names a rule of the module's package or an import alias is
//   replaced by the absolute ref: inside `package a.b`, `p` is data.a.b.p, `p[x].y` is
//   data.a.b.p[x].y, `f(1)` calls data.a.b.f; with `import data.lib as l`, `l.g(x)` calls
//   data.lib.g; with `import input.user`, `user.name` is input.user.name. Function calls to
//   builtins keep their dotted name (`count`, `io.jwt.decode`). `with` targets are resolved the
//   same way (`with f as g` → `with data.a.b.f as data.a.b.g`).
// - Every var left in a body is a local. A local declared with `:=`, `some x`, `some x in xs`
//   or as an `every` key/value is renamed to a unique `__localN__` (top-level query vars keep
//   their names: they name the query's result bindings). So one name is one variable within a
//   rule: a name used in a comprehension or `every` body that is also used in the enclosing body
//   is the same variable (closure); a redeclaration in a nested body has a different name.
//   Function arguments keep their names; wildcards keep their `$wildcardN` names.
//   One exception: a `with` value naming a builtin (`with time.now_ns as opa.runtime`) is a ref
//   whose head var is the builtin's first name segment, not a local.
// - Calls: an expression that is a call may pass one argument more than the function's arity
//   (the output, `count(xs, n)`); nested calls pass exactly the arity. Arity and result type of a
//   builtin: builtinSignature(name) / lookupBuiltin(name) (builtins.ts).
// - Every body (rule bodies, else bodies, comprehension bodies, every bodies, the query) is
//   reordered so that, evaluated left to right, each expression's inputs are bound by earlier
//   expressions (OPA's safety reordering). Expr.index keeps the source position.
// - Head vars (`p[x]`, `contains x`, the value) are bound by the body when the body succeeds.
// The rule head's first ref term stays the rule's own name (relative to the package).
//
// Errors, in OPA's stage order (a stage with errors stops the run, as OPA's compiler does):
//   rego_compile_error   resolve.ts   (redeclared vars, bad `:=` targets, shadowed input/data, `with` targets)
//   rego_type_error      ruletree.ts  (conflicting rules, multiple defaults)
//   rego_type_error      typecheck.ts (undefined functions)
//   rego_unsafe_var_error safety.ts
//   rego_recursion_error ruletree.ts
//   rego_type_error      typecheck.ts (arity, argument types)
//   rego_type_error      typecheck.ts (deprecated builtins such as `any`, `re_match`: Rego v1 only)
import type { Import, Module, Query, RefTerm, Rule } from '../syntax/ast.js';
import type { RegoError } from '../syntax/diagnostics.js';
import { Resolver, type ResolveContext } from './resolve.js';
import { checkConflicts, checkRecursion, packagePath, RuleTree } from './ruletree.js';
import { SafetyChecker } from './safety.js';
import { dataPrefix } from './terms.js';
import { checkCalls, resolveFunction, type CallContext } from './typecheck.js';

export { BUILTINS, builtinSignature, lookupBuiltin, typeName, type BuiltinDecl, type RegoType } from './builtins.js';

export interface CheckOptions {
  /** Reserved for OPA's strict mode; nothing changes yet. */
  strict?: boolean;
}

export interface CheckResult {
  modules: Module[];
  errors: RegoError[];
}

/** Checks a set of modules that are compiled together (all packages of one policy). */
export function checkModules(modules: Module[], _options: CheckOptions = {}): CheckResult {
  // Every later stage works on the new objects the resolver builds; the input is never touched.
  const out = modules.map((m) => ({ ...m, rules: [...m.rules] }));
  const errors: RegoError[] = [];
  const rewritten = new Map<string, string>();
  const counter = { n: 0 };
  const sortErrors = (list: RegoError[]) => sortByLocation(list);

  // Stage 1: names and locals.
  const rulesByPackage = new Map<string, Set<string>>();
  for (const m of out) {
    const key = packagePath(m).join('\u0001');
    let names = rulesByPackage.get(key);
    if (names === undefined) rulesByPackage.set(key, (names = new Set()));
    for (const r of m.rules) {
      const first = r.head.ref.terms[0];
      if (first?.type === 'var') names.add(first.name);
    }
  }
  // The tree holds the original rules while resolving (only their heads' paths are read), then
  // the resolved ones.
  let tree = new RuleTree(modules);
  const ruleRefs = new Map<Rule, RefTerm[]>();
  for (const m of out) {
    const pkg = packagePath(m);
    const globals = new Map<string, RefTerm>();
    const loc = m.package.location;
    for (const name of rulesByPackage.get(pkg.join('\u0001')) ?? []) {
      globals.set(name, {
        type: 'ref',
        terms: [
          { type: 'var', name: 'data', location: loc },
          ...pkg.map((s) => ({ type: 'string' as const, value: s, location: loc })),
          { type: 'string', value: name, location: loc },
        ],
        location: loc,
      });
    }
    importGlobals(m.imports, globals, m.regoVersion === 'v0' ? [] : errors);
    const ctx: ResolveContext = {
      errors,
      rewritten,
      counter,
      globals,
      isFunctionPath: (ref) => isUserFunction(tree, ref),
      ruleRefs,
      v0: m.regoVersion === 'v0',
      keepTopLevelNames: false,
    };
    const resolver = new Resolver(ctx);
    m.rules = m.rules.map((r) => resolver.resolveRule(r));
  }
  if (errors.length > 0) return { modules: out, errors: sortErrors(errors) };
  tree = new RuleTree(out);

  // Stage 2: conflicting definitions.
  errors.push(...checkConflicts(tree, rewritten));
  if (errors.length > 0) return { modules: out, errors: sortErrors(errors) };

  // Stage 3: undefined functions (arity and argument types are checked in the same walk and
  // reported in stage 6, where OPA's type checker reports them).
  const calls: CallContext = { errors, userFunction: (path) => tree.functionArity(path) };
  const typeErrors: RegoError[] = [];
  const deprecatedErrors: RegoError[] = [];
  for (const m of out) {
    const deprecated = m.regoVersion === 'v0' ? undefined : deprecatedErrors;
    for (const r of m.rules) checkCalls(r, r.body, calls, errors, typeErrors, deprecated);
  }
  if (errors.length > 0) return { modules: out, errors: sortErrors(errors) };

  // Stage 4: safety, reordering every body.
  const safety = new SafetyChecker({ errors, rewritten, arityOf: (op) => arityOf(op, calls) });
  for (const m of out) for (const r of m.rules) safety.checkRule(r);
  if (errors.length > 0) return { modules: out, errors: sortErrors(errors) };

  // Stage 5: recursion.
  errors.push(...checkRecursion(tree, (rule) => ruleRefs.get(rule) ?? []));
  if (errors.length > 0) return { modules: out, errors: sortErrors(errors) };

  // Stage 6: arity and argument types.
  errors.push(...typeErrors);
  if (errors.length > 0) return { modules: out, errors: sortErrors(errors) };

  // Stage 7: deprecated builtins (Rego v1 only).
  errors.push(...deprecatedErrors);
  return { modules: out, errors: sortErrors(errors) };
}

/** Checks a query against the (checked or unchecked) modules it will be evaluated with. */
export function checkQuery(query: Query, modules: Module[]): { query: Query; errors: RegoError[] } {
  const out: Query = { ...query };
  const errors: RegoError[] = [];
  const tree = new RuleTree(modules);
  const rewritten = new Map<string, string>();
  const resolver = new Resolver({
    errors,
    rewritten,
    counter: { n: 0 },
    globals: new Map(),
    isFunctionPath: (ref) => isUserFunction(tree, ref),
    keepTopLevelNames: true,
  });
  out.body = resolver.resolveQuery(query.body);
  if (errors.length > 0) return { query: out, errors: sortByLocation(errors) };
  const calls: CallContext = { errors, userFunction: (path) => tree.functionArity(path) };
  const typeErrors: RegoError[] = [];
  const deprecatedErrors: RegoError[] = [];
  checkCalls(undefined, out.body, calls, errors, typeErrors, deprecatedErrors);
  if (errors.length > 0) return { query: out, errors: sortByLocation(errors) };
  const safety = new SafetyChecker({ errors, rewritten, arityOf: (op) => arityOf(op, calls) });
  out.body = safety.checkQuery(out.body).body;
  if (errors.length > 0) return { query: out, errors: sortByLocation(errors) };
  errors.push(...typeErrors);
  if (errors.length === 0) errors.push(...deprecatedErrors);
  return { query: out, errors: sortByLocation(errors) };
}

function arityOf(op: RefTerm, calls: CallContext): number | undefined {
  const f = resolveFunction(op, calls);
  if (f === undefined || f === 'unknown' || f.variadic) return undefined;
  return f.arity;
}

function isUserFunction(tree: RuleTree, ref: RefTerm): boolean {
  const p = dataPrefix(ref);
  return p !== undefined && p.complete && tree.functionArity(p.path) !== undefined;
}

/** Import aliases as globals; `future.keywords…` and `rego.v1` import nothing by name. */
function importGlobals(imports: Import[], globals: Map<string, RefTerm>, errors: RegoError[]): void {
  const seen = new Map<string, Import>();
  for (const imp of imports) {
    const head = imp.path.terms[0];
    if (head?.type !== 'var' || (head.name !== 'data' && head.name !== 'input')) continue;
    let name = imp.alias;
    if (name === undefined) {
      const last = imp.path.terms[imp.path.terms.length - 1]!;
      if (last.type === 'string') name = last.value;
      else if (last.type === 'var') name = last.name;
    }
    if (name === undefined || (imp.path.terms.length === 1 && imp.alias === undefined)) continue;
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      errors.push({ code: 'rego_compile_error', message: `import must not shadow ${showImport(earlier)}`, location: imp.location });
      continue;
    }
    seen.set(name, imp);
    globals.set(name, imp.path);
  }
}

function showImport(imp: Import): string {
  const parts = imp.path.terms.map((t, i) => (i === 0 && t.type === 'var' ? t.name : t.type === 'string' ? `.${t.value}` : ''));
  return `import ${parts.join('')}${imp.alias !== undefined ? ` as ${imp.alias}` : ''}`;
}

function sortByLocation(errors: RegoError[]): RegoError[] {
  return errors
    .map((e, i) => ({ e, i }))
    .sort((a, b) => {
      const fa = a.e.location.file;
      const fb = b.e.location.file;
      if (fa !== fb) return a.i - b.i;
      return a.e.location.offset - b.e.location.offset || a.i - b.i;
    })
    .map((x) => x.e);
}
