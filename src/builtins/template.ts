// A Go text/template subset for strings.render_template: {{.a.b}}, {{$v}}, pipelines with
// functions (and or not len index print printf eq ne lt le gt ge), if/else if/else, range (with
// $i, $v), with, comments and {{- -}} trimming. Missing keys print "<undefined>" as OPA does.
import { type Json, fail, isObject } from './common.js';

const MISSING = Symbol('missing');
type Value = Json | typeof MISSING | undefined;

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: string }
  | { kind: 'if' | 'with'; branches: { pipe: string; body: Node[] }[]; otherwise: Node[] }
  | { kind: 'range'; vars: string[]; pipe: string; body: Node[]; otherwise: Node[] };

interface Token {
  text?: string;
  action?: string;
}

function tokenize(template: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{{', i);
    if (open < 0) {
      tokens.push({ text: template.slice(i) });
      break;
    }
    let text = template.slice(i, open);
    let start = open + 2;
    if (template.startsWith('- ', start) || template.startsWith('-\t', start) || template.startsWith('-\n', start)) {
      text = text.replace(/\s+$/, '');
      start += 1;
    }
    if (text) tokens.push({ text });
    const close = template.indexOf('}}', start);
    if (close < 0) fail('template: unclosed action');
    let action = template.slice(start, close);
    i = close + 2;
    if (/\s-$/.test(action)) {
      action = action.slice(0, -1);
      const m = /^\s*/.exec(template.slice(i))!;
      i += m[0].length;
    }
    tokens.push({ action: action.trim() });
  }
  return tokens;
}

function parse(tokens: Token[]): Node[] {
  let pos = 0;
  const block = (terminators: string[]): { nodes: Node[]; end: string } => {
    const nodes: Node[] = [];
    while (pos < tokens.length) {
      const t = tokens[pos++]!;
      if (t.text !== undefined) {
        nodes.push({ kind: 'text', text: t.text });
        continue;
      }
      const a = t.action!;
      if (a.startsWith('/*')) continue;
      const word = /^[a-z]+\b/.exec(a)?.[0] ?? '';
      if (terminators.includes(word)) return { nodes, end: a };
      if (word === 'if' || word === 'with') {
        const branches = [{ pipe: a.slice(word.length).trim(), body: [] as Node[] }];
        let otherwise: Node[] = [];
        for (;;) {
          const r = block(['else', 'end']);
          branches[branches.length - 1]!.body = r.nodes;
          if (r.end === 'end') break;
          const rest = r.end.slice(4).trim();
          if (rest.startsWith(word)) {
            branches.push({ pipe: rest.slice(word.length).trim(), body: [] });
            continue;
          }
          const r2 = block(['end']);
          otherwise = r2.nodes;
          break;
        }
        nodes.push({ kind: word, branches, otherwise });
      } else if (word === 'range') {
        let spec = a.slice(5).trim();
        let vars: string[] = [];
        const m = /^(\$\w*)\s*(?:,\s*(\$\w*))?\s*:=\s*/.exec(spec);
        if (m) {
          vars = m[2] ? [m[1]!, m[2]] : [m[1]!];
          spec = spec.slice(m[0].length);
        }
        const r = block(['else', 'end']);
        const otherwise = r.end === 'end' ? [] : block(['end']).nodes;
        nodes.push({ kind: 'range', vars, pipe: spec, body: r.nodes, otherwise });
      } else if (word === 'end' || word === 'else') {
        fail(`template: unexpected {{${word}}}`);
      } else nodes.push({ kind: 'action', pipe: a });
    }
    if (terminators.length > 0) fail('template: unexpected EOF');
    return { nodes, end: '' };
  };
  return block([]).nodes;
}

/** Splits a pipeline's command into words, keeping strings and parentheses together. */
function words(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    let j = i;
    if (c === '"' || c === '`') {
      j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' && c === '"' ? 2 : 1;
      j++;
    } else if (c === '(') {
      let depth = 0;
      for (; j < text.length; j++) {
        if (text[j] === '(') depth++;
        else if (text[j] === ')' && --depth === 0) break;
      }
      j++;
    } else while (j < text.length && !/\s/.test(text[j]!)) j++;
    out.push(text.slice(i, j));
    i = j;
  }
  return out;
}

function splitPipe(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === '`') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((s) => s.trim());
}

function truthy(v: Value): boolean {
  if (v === undefined || v === MISSING || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isObject(v)) return Object.keys(v).length > 0;
  return true;
}

function show(v: Value): string {
  if (v === MISSING) return '<undefined>';
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(show).join(' ')}]`;
  return `map[${Object.keys(v)
    .sort()
    .map((k) => `${k}:${show(v[k])}`)
    .join(' ')}]`;
}

function field(base: Value, path: string[]): Value {
  let cur = base;
  for (const key of path) {
    if (isObject(cur)) cur = key in cur ? cur[key] : MISSING;
    else if (cur === MISSING) return MISSING;
    else fail(`template: can't evaluate field ${key} in type ${Array.isArray(cur) ? 'array' : typeof cur}`);
  }
  return cur;
}

function printf(format: string, args: Value[]): string {
  let i = 0;
  return format.replace(/%([-+ 0#]*\d*(?:\.\d+)?)([vsdfqtx%])/g, (_m, flags: string, verb: string) => {
    if (verb === '%') return '%';
    const arg = args[i++];
    switch (verb) {
      case 'd':
        return typeof arg === 'number' ? String(Math.trunc(arg)) : `%!d(${show(arg)})`;
      case 'f': {
        const precision = /\.(\d+)/.exec(flags);
        return typeof arg === 'number' ? arg.toFixed(precision ? Number(precision[1]) : 6) : `%!f(${show(arg)})`;
      }
      case 'q':
        return JSON.stringify(show(arg));
      case 'x':
        return typeof arg === 'number' ? arg.toString(16) : Buffer.from(show(arg)).toString('hex');
      default:
        return show(arg);
    }
  });
}

const FUNCTIONS: Record<string, (args: Value[]) => Value> = {
  and: (a) => a.find((v) => !truthy(v)) ?? a.at(-1),
  or: (a) => a.find((v) => truthy(v)) ?? a.at(-1),
  not: (a) => !truthy(a[0]),
  len: (a) => {
    const v = a[0];
    if (typeof v === 'string') return Buffer.byteLength(v);
    if (Array.isArray(v)) return v.length;
    if (isObject(v)) return Object.keys(v).length;
    fail(`template: len of ${show(v)}`);
  },
  index: (a) => {
    let cur = a[0];
    for (const k of a.slice(1)) {
      if (Array.isArray(cur) && typeof k === 'number') cur = cur[k] ?? fail(`template: index out of range: ${k}`);
      else if (isObject(cur) && typeof k === 'string') cur = k in cur ? cur[k] : MISSING;
      else fail('template: cannot index');
    }
    return cur;
  },
  print: (a) => a.map(show).join(''),
  println: (a) => `${a.map(show).join(' ')}\n`,
  printf: (a) => printf(String(a[0]), a.slice(1)),
  eq: (a) => a.slice(1).some((v) => JSON.stringify(v) === JSON.stringify(a[0])),
  ne: (a) => JSON.stringify(a[0]) !== JSON.stringify(a[1]),
  lt: (a) => (a[0] as any) < (a[1] as any),
  le: (a) => (a[0] as any) <= (a[1] as any),
  gt: (a) => (a[0] as any) > (a[1] as any),
  ge: (a) => (a[0] as any) >= (a[1] as any),
};

class Scope {
  constructor(
    readonly dot: Value,
    readonly vars: Map<string, Value>,
  ) {}
  with(dot: Value, vars?: Record<string, Value>): Scope {
    const m = new Map(this.vars);
    for (const [k, v] of Object.entries(vars ?? {})) m.set(k, v);
    return new Scope(dot, m);
  }
}

function operand(word: string, scope: Scope): Value {
  if (word === '.') return scope.dot;
  if (word.startsWith('.')) return field(scope.dot, word.slice(1).split('.'));
  if (word.startsWith('$')) {
    const [name, ...path] = word.split('.');
    if (!scope.vars.has(name!)) fail(`template: undefined variable "${name}"`);
    return field(scope.vars.get(name!), path);
  }
  if (word.startsWith('"')) return JSON.parse(word);
  if (word.startsWith('`')) return word.slice(1, -1);
  if (word.startsWith('(')) return pipeline(word.slice(1, -1), scope);
  if (word === 'true' || word === 'false') return word === 'true';
  if (word === 'nil') return null;
  if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(word)) return Number(word);
  fail(`template: function "${word}" not defined`);
}

function pipeline(text: string, scope: Scope): Value {
  let value: Value;
  let first = true;
  for (const command of splitPipe(text)) {
    const ws = words(command);
    const args: Value[] = first ? [] : [value];
    first = false;
    const fn = FUNCTIONS[ws[0]!];
    if (fn) value = fn([...ws.slice(1).map((w) => operand(w, scope)), ...args]);
    else {
      if (ws.length !== 1 || args.length > 0) fail(`template: can't give argument to non-function ${ws[0]}`);
      value = operand(ws[0]!, scope);
    }
  }
  return value;
}

function execute(nodes: Node[], scope: Scope): string {
  let out = '';
  for (const node of nodes) {
    switch (node.kind) {
      case 'text':
        out += node.text;
        break;
      case 'action': {
        const decl = /^(\$\w+)\s*:?=\s*([\s\S]*)$/.exec(node.pipe);
        if (decl) scope.vars.set(decl[1]!, pipeline(decl[2]!, scope));
        else out += show(pipeline(node.pipe, scope));
        break;
      }
      case 'if':
      case 'with': {
        let done = false;
        for (const b of node.branches) {
          const v = pipeline(b.pipe, scope);
          if (truthy(v)) {
            out += execute(b.body, node.kind === 'with' ? scope.with(v) : scope.with(scope.dot));
            done = true;
            break;
          }
        }
        if (!done) out += execute(node.otherwise, scope.with(scope.dot));
        break;
      }
      case 'range': {
        const v = pipeline(node.pipe, scope);
        const entries: [Json, Json][] = Array.isArray(v)
          ? v.map((x, i) => [i, x])
          : isObject(v)
            ? Object.keys(v)
                .sort()
                .map((k) => [k, v[k]!])
            : [];
        if (entries.length === 0) out += execute(node.otherwise, scope.with(scope.dot));
        for (const [k, x] of entries) {
          const vars: Record<string, Value> = {};
          if (node.vars.length === 1) vars[node.vars[0]!] = x;
          if (node.vars.length === 2) {
            vars[node.vars[0]!] = k;
            vars[node.vars[1]!] = x;
          }
          out += execute(node.body, scope.with(x, vars));
        }
        break;
      }
    }
  }
  return out;
}

export function renderTemplate(template: string, vars: Record<string, Json>): string {
  const root = new Scope(vars, new Map([['$', vars]]));
  return execute(parse(tokenize(template)), root);
}
