// A GraphQL lexer and parser that produce the AST shape OPA returns (the Go gqlparser structs as
// JSON: "Operations", "SelectionSet", "Kind": 7 …) with gqlparser's syntax error messages and
// positions ("Expected Name, found <EOF>" at line:column).

export class GraphQLSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
    this.name = 'GraphQLSyntaxError';
  }
}

type TokenKind =
  | 'Name' | 'Int' | 'Float' | 'String' | 'BlockString' | 'EOF' | 'Invalid'
  | '!' | '$' | '&' | '(' | ')' | '...' | ':' | '=' | '@' | '[' | ']' | '{' | '|' | '}';

interface Token {
  kind: TokenKind;
  value: string;
  line: number;
  column: number;
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'EOF':
      return '<EOF>';
    case 'Invalid':
      return '<Invalid>';
    case 'Name':
    case 'Int':
    case 'Float':
    case 'String':
    case 'BlockString':
      return `${t.kind} ${JSON.stringify(t.value)}`;
    default:
      return t.kind;
  }
}

/** Block string value per the GraphQL spec: common indentation and blank edge lines removed. */
function blockStringValue(raw: string): string {
  const lines = raw.split(/\r\n|[\n\r]/);
  let common: number | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const indent = line.length - line.replace(/^[ \t]+/, '').length;
    if (indent < line.length && (common === undefined || indent < common)) common = indent;
  }
  if (common) for (let i = 1; i < lines.length; i++) lines[i] = lines[i]!.slice(common);
  while (lines.length > 0 && lines[0]!.trim() === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  return lines.join('\n');
}

class Lexer {
  private pos = 0;
  private line = 1;
  private lineStart = 0;

  constructor(private readonly src: string) {}

  private error(message: string, at = this.pos): never {
    throw new GraphQLSyntaxError(message, this.line, at - this.lineStart + 1);
  }

  next(): Token {
    const s = this.src;
    // skip ignored tokens
    for (;;) {
      const c = s[this.pos];
      if (c === '\n') {
        this.pos++;
        this.line++;
        this.lineStart = this.pos;
      } else if (c === '\r') {
        this.pos++;
        if (s[this.pos] === '\n') this.pos++;
        this.line++;
        this.lineStart = this.pos;
      } else if (c === ' ' || c === '\t' || c === ',' || c === '\ufeff') this.pos++;
      else if (c === '#') {
        while (this.pos < s.length && s[this.pos] !== '\n' && s[this.pos] !== '\r') this.pos++;
      } else break;
    }
    const start = this.pos;
    const make = (kind: TokenKind, value: string, end: number): Token => {
      const t = { kind, value, line: this.line, column: start - this.lineStart + 1 };
      this.pos = end;
      return t;
    };
    if (start >= s.length) return make('EOF', '', start);
    const c = s[start]!;
    if (s.startsWith('...', start)) return make('...', '...', start + 3);
    if ('!$&()[]{}:=@|'.includes(c)) return make(c as TokenKind, c, start + 1);
    if (/[_A-Za-z]/.test(c)) {
      const m = /^[_A-Za-z][_0-9A-Za-z]*/.exec(s.slice(start))!;
      return make('Name', m[0], start + m[0].length);
    }
    if (c === '-' || /\d/.test(c)) {
      const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(s.slice(start));
      if (!m) this.error(`Invalid number, expected digit but got: ${JSON.stringify(s[start + 1] ?? '<EOF>')}.`, start + 1);
      const after = s[start + m![0].length];
      if (after !== undefined && /[._A-Za-z0-9]/.test(after)) {
        this.error(`Invalid number, expected digit but got: ${JSON.stringify(after)}.`, start + m![0].length);
      }
      return make(m![2] || m![3] ? 'Float' : 'Int', m![0], start + m![0].length);
    }
    if (s.startsWith('"""', start)) {
      let i = start + 3;
      let raw = '';
      const startLine = this.line;
      const startCol = start - this.lineStart + 1;
      while (i < s.length) {
        if (s.startsWith('"""', i)) {
          const t = { kind: 'BlockString' as const, value: blockStringValue(raw), line: startLine, column: startCol };
          this.pos = i + 3;
          return t;
        }
        if (s.startsWith('\\"""', i)) {
          raw += '"""';
          i += 4;
          continue;
        }
        const ch = s[i]!;
        if (ch === '\n' || ch === '\r') {
          if (ch === '\r' && s[i + 1] === '\n') {
            raw += '\r';
            i++;
          }
          raw += s[i]!;
          i++;
          this.line++;
          this.lineStart = i;
          continue;
        }
        raw += ch;
        i++;
      }
      // an unterminated block string is an invalid token at the end of input
      this.pos = i;
      return { kind: 'Invalid', value: '', line: this.line, column: i - this.lineStart + 1 };
    }
    if (c === '"') {
      let i = start + 1;
      let value = '';
      while (i < s.length) {
        const ch = s[i]!;
        // gqlparser places a string token just after its opening quote
        if (ch === '"') return { ...make('String', value, i + 1), column: start - this.lineStart + 2 };
        if (ch === '\n' || ch === '\r') this.error('Unterminated string.', i);
        if (ch === '\\') {
          const e = s[i + 1];
          const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
          if (e !== undefined && simple[e] !== undefined) {
            value += simple[e];
            i += 2;
            continue;
          }
          if (e === 'u') {
            const hex = s.slice(i + 2, i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.error(`Invalid character escape sequence: \\u${hex}.`, i);
            value += String.fromCharCode(parseInt(hex, 16));
            i += 6;
            continue;
          }
          this.error(`Invalid character escape sequence: \\${e ?? ''}.`, i);
        }
        value += ch;
        i++;
      }
      this.error('Unterminated string.', i);
    }
    this.error(`Unexpected character ${JSON.stringify(c)}.`, start);
  }
}

type Obj = Record<string, unknown>;

const VALUE_KIND = { Variable: 0, Int: 1, Float: 2, String: 3, Block: 4, Boolean: 5, Null: 6, Enum: 7, List: 8, Object: 9 };

const DIRECTIVE_LOCATIONS = new Set([
  'QUERY', 'MUTATION', 'SUBSCRIPTION', 'FIELD', 'FRAGMENT_DEFINITION', 'FRAGMENT_SPREAD', 'INLINE_FRAGMENT',
  'VARIABLE_DEFINITION', 'SCHEMA', 'SCALAR', 'OBJECT', 'FIELD_DEFINITION', 'ARGUMENT_DEFINITION', 'INTERFACE',
  'UNION', 'ENUM', 'ENUM_VALUE', 'INPUT_OBJECT', 'INPUT_FIELD_DEFINITION',
]);

class Parser {
  private readonly lexer: Lexer;
  private tok: Token;
  private prev: Token | undefined;

  constructor(
    source: string,
    private readonly withExpectedTypeHasDefault: boolean,
  ) {
    this.lexer = new Lexer(source);
    this.tok = this.lexer.next();
  }

  private error(message: string, t: Token = this.tok): never {
    throw new GraphQLSyntaxError(message, t.line, t.column);
  }

  private unexpected(t: Token = this.tok): never {
    this.error(`Unexpected ${describe(t)}`, t);
  }

  private advance(): Token {
    this.prev = this.tok;
    this.tok = this.lexer.next();
    return this.prev;
  }

  private peek(kind: TokenKind): boolean {
    return this.tok.kind === kind;
  }

  private skip(kind: TokenKind): boolean {
    if (this.tok.kind !== kind) return false;
    this.advance();
    return true;
  }

  private expect(kind: TokenKind): Token {
    if (this.tok.kind !== kind) this.error(`Expected ${kind}, found ${describe(this.tok)}`);
    return this.advance();
  }

  private expectKeyword(word: string): void {
    if (this.tok.kind !== 'Name' || this.tok.value !== word) this.error(`Expected "${word}", found ${describe(this.tok)}`);
    this.advance();
  }

  private name(): string {
    return this.expect('Name').value;
  }

  /** open item+ close, with gqlparser's message when empty */
  private many<T>(open: TokenKind, close: TokenKind, item: () => T): T[] {
    this.expect(open);
    const out: T[] = [];
    if (this.peek(close)) this.error(`expected at least one definition, found ${describe(this.tok)}`);
    do out.push(item());
    while (!this.skip(close));
    return out;
  }

  /** (open item* close)? */
  private some<T>(open: TokenKind, close: TokenKind, item: () => T): T[] {
    if (!this.skip(open)) return [];
    const out: T[] = [];
    while (!this.skip(close)) out.push(item());
    return out;
  }

  // --- values and types ---

  private makeValue(kind: number, raw: string, children?: Obj[]): Obj {
    const v: Obj = { Raw: raw, Kind: kind };
    if (children) v.Children = children;
    if (this.withExpectedTypeHasDefault) v.ExpectedTypeHasDefault = false;
    return v;
  }

  private value(isConst: boolean): Obj {
    const t = this.tok;
    switch (t.kind) {
      case '[': {
        const children = this.some('[', ']', () => ({ Name: '', Value: this.value(isConst) }));
        return this.makeValue(VALUE_KIND.List, '', children);
      }
      case '{': {
        const children = this.some('{', '}', () => {
          const name = this.name();
          this.expect(':');
          return { Name: name, Value: this.value(isConst) };
        });
        return this.makeValue(VALUE_KIND.Object, '', children);
      }
      case '$':
        if (isConst) this.unexpected();
        this.advance();
        return this.makeValue(VALUE_KIND.Variable, this.name());
      case 'Int':
        this.advance();
        return this.makeValue(VALUE_KIND.Int, t.value);
      case 'Float':
        this.advance();
        return this.makeValue(VALUE_KIND.Float, t.value);
      case 'String':
        this.advance();
        return this.makeValue(VALUE_KIND.String, t.value);
      case 'BlockString':
        this.advance();
        return this.makeValue(VALUE_KIND.Block, t.value);
      case 'Name':
        this.advance();
        if (t.value === 'true' || t.value === 'false') return this.makeValue(VALUE_KIND.Boolean, t.value);
        if (t.value === 'null') return this.makeValue(VALUE_KIND.Null, t.value);
        return this.makeValue(VALUE_KIND.Enum, t.value);
      default:
        this.unexpected();
    }
  }

  private type(): Obj {
    let type: Obj;
    if (this.skip('[')) {
      const elem = this.type();
      this.expect(']');
      type = { NamedType: '', Elem: elem, NonNull: false };
    } else type = { NamedType: this.name(), NonNull: false };
    if (this.skip('!')) type.NonNull = true;
    return type;
  }

  private directives(isConst: boolean): Obj[] {
    const out: Obj[] = [];
    while (this.peek('@')) {
      this.advance();
      const name = this.name();
      out.push({ Name: name, Arguments: this.arguments(isConst), Location: '' });
    }
    return out;
  }

  private arguments(isConst: boolean): Obj[] {
    return this.some('(', ')', () => {
      const name = this.name();
      this.expect(':');
      return { Name: name, Value: this.value(isConst) };
    });
  }

  // --- queries ---

  parseQuery(): Obj {
    const doc: Obj = { Operations: [] as Obj[], Fragments: [] as Obj[] };
    while (!this.peek('EOF')) {
      if (this.peek('{')) {
        (doc.Operations as Obj[]).push({ Operation: 'query', Name: '', SelectionSet: this.selectionSet() });
        continue;
      }
      if (this.peek('Name')) {
        const word = this.tok.value;
        if (word === 'query' || word === 'mutation' || word === 'subscription') {
          (doc.Operations as Obj[]).push(this.operation());
          continue;
        }
        if (word === 'fragment') {
          (doc.Fragments as Obj[]).push(this.fragmentDefinition());
          continue;
        }
      }
      this.unexpected();
    }
    return doc;
  }

  private operation(): Obj {
    const operation = this.advance().value;
    const name = this.peek('Name') ? this.advance().value : '';
    return {
      Operation: operation,
      Name: name,
      VariableDefinitions: this.variableDefinitions(),
      Directives: this.directives(false),
      SelectionSet: this.selectionSet(),
    };
  }

  private variableDefinitions(): Obj[] {
    return this.some('(', ')', () => {
      this.expect('$');
      const variable = this.name();
      this.expect(':');
      const type = this.type();
      const def: Obj = { Variable: variable, Type: type };
      if (this.skip('=')) def.DefaultValue = this.value(true);
      def.Directives = this.directives(true);
      def.Used = false;
      return def;
    });
  }

  private selectionSet(): Obj[] {
    return this.many('{', '}', () => this.selection());
  }

  private selection(): Obj {
    if (this.peek('...')) return this.fragment();
    return this.field();
  }

  private field(): Obj {
    let alias = this.name();
    let name = alias;
    if (this.skip(':')) name = this.name();
    const field: Obj = { Alias: alias, Name: name, Arguments: this.arguments(false), Directives: this.directives(false) };
    if (this.peek('{')) field.SelectionSet = this.selectionSet();
    void alias;
    alias = '';
    return field;
  }

  private fragment(): Obj {
    this.expect('...');
    if (this.peek('Name') && this.tok.value !== 'on') {
      return { Name: this.name(), Directives: this.directives(false) };
    }
    let typeCondition = '';
    if (this.peek('Name') && this.tok.value === 'on') {
      this.advance();
      typeCondition = this.name();
    }
    return { TypeCondition: typeCondition, Directives: this.directives(false), SelectionSet: this.selectionSet() };
  }

  private fragmentDefinition(): Obj {
    this.expectKeyword('fragment');
    if (this.peek('Name') && this.tok.value === 'on') this.unexpected();
    const name = this.name();
    const variables = this.variableDefinitions();
    this.expectKeyword('on');
    const typeCondition = this.name();
    return { Name: name, VariableDefinition: variables, TypeCondition: typeCondition, Directives: this.directives(false), SelectionSet: this.selectionSet() };
  }

  // --- schemas ---

  parseSchema(): Obj {
    const doc: Obj = { Schema: [], SchemaExtension: [], Directives: [], Definitions: [], Extensions: [] };
    const push = (key: string, v: Obj) => (doc[key] as Obj[]).push(v);
    while (!this.peek('EOF')) {
      let description = '';
      if (this.peek('String') || this.peek('BlockString')) description = this.advance().value;
      if (!this.peek('Name')) this.unexpected();
      const word = this.tok.value;
      if (word === 'extend') {
        if (description !== '') this.unexpected(this.prev);
        this.advance();
        if (!this.peek('Name')) this.unexpected();
        if (this.tok.value === 'schema') {
          this.advance();
          push('SchemaExtension', this.schemaDefinition('', true));
        } else push('Extensions', this.typeDefinition('', true));
        continue;
      }
      if (word === 'schema') {
        this.advance();
        push('Schema', this.schemaDefinition(description, false));
      } else if (word === 'directive') {
        push('Directives', this.directiveDefinition(description));
      } else push('Definitions', this.typeDefinition(description, false));
    }
    return doc;
  }

  private schemaDefinition(description: string, extension: boolean): Obj {
    const directives = this.directives(true);
    let operationTypes: Obj[] = [];
    if (extension && directives.length === 0 && !this.peek('{')) this.unexpected();
    if (!extension || this.peek('{')) {
      operationTypes = this.many('{', '}', () => {
        const operation = this.name();
        this.expect(':');
        return { Operation: operation, Type: this.name() };
      });
    }
    return { Description: description, Directives: directives, OperationTypes: operationTypes };
  }

  private typeDefinition(description: string, extension: boolean): Obj {
    const word = this.advance();
    const def: Obj = { Kind: '', Description: description, Name: '', Directives: [], Interfaces: [], Types: [], Fields: [], EnumValues: [], BuiltIn: false };
    switch (word.value) {
      case 'scalar':
        def.Kind = 'SCALAR';
        def.Name = this.name();
        def.Directives = this.directives(true);
        return def;
      case 'type':
      case 'interface': {
        def.Kind = word.value === 'type' ? 'OBJECT' : 'INTERFACE';
        def.Name = this.name();
        def.Interfaces = this.implementsInterfaces();
        def.Directives = this.directives(true);
        if (this.peek('{')) def.Fields = this.many('{', '}', () => this.fieldDefinition());
        else if (extension && (def.Interfaces as string[]).length === 0 && (def.Directives as Obj[]).length === 0) this.unexpected();
        return def;
      }
      case 'union': {
        def.Kind = 'UNION';
        def.Name = this.name();
        def.Directives = this.directives(true);
        const types: string[] = [];
        if (this.skip('=')) {
          this.skip('|');
          types.push(this.name());
          while (this.skip('|')) types.push(this.name());
        } else if (extension && (def.Directives as Obj[]).length === 0) this.unexpected();
        def.Types = types;
        return def;
      }
      case 'enum': {
        def.Kind = 'ENUM';
        def.Name = this.name();
        def.Directives = this.directives(true);
        if (this.peek('{')) {
          def.EnumValues = this.many('{', '}', () => {
            let desc = '';
            if (this.peek('String') || this.peek('BlockString')) desc = this.advance().value;
            if (this.peek('Name') && ['true', 'false', 'null'].includes(this.tok.value)) this.error(`${this.tok.value} is reserved and cannot be used for an enum value`);
            return { Description: desc, Name: this.name(), Directives: this.directives(true) };
          });
        } else if (extension && (def.Directives as Obj[]).length === 0) this.unexpected();
        return def;
      }
      case 'input': {
        def.Kind = 'INPUT_OBJECT';
        def.Name = this.name();
        def.Directives = this.directives(true);
        if (this.peek('{')) def.Fields = this.many('{', '}', () => this.inputValueDefinition());
        else if (extension && (def.Directives as Obj[]).length === 0) this.unexpected();
        return def;
      }
      default:
        this.unexpected(word);
    }
  }

  private implementsInterfaces(): string[] {
    const out: string[] = [];
    if (!(this.peek('Name') && this.tok.value === 'implements')) return out;
    this.advance();
    this.skip('&');
    out.push(this.name());
    while (this.skip('&') || (this.peek('Name') && out.length > 0 && false)) out.push(this.name());
    return out;
  }

  private fieldDefinition(): Obj {
    let description = '';
    if (this.peek('String') || this.peek('BlockString')) description = this.advance().value;
    const name = this.name();
    const args = this.some('(', ')', () => this.inputValueDefinition());
    this.expect(':');
    const type = this.type();
    return { Description: description, Name: name, Arguments: args, Type: type, Directives: this.directives(true) };
  }

  private inputValueDefinition(): Obj {
    let description = '';
    if (this.peek('String') || this.peek('BlockString')) description = this.advance().value;
    const name = this.name();
    this.expect(':');
    const type = this.type();
    const def: Obj = { Description: description, Name: name, Type: type };
    if (this.skip('=')) def.DefaultValue = this.value(true);
    def.Directives = this.directives(true);
    return def;
  }

  private directiveDefinition(description: string): Obj {
    this.expectKeyword('directive');
    this.expect('@');
    const name = this.name();
    const args = this.some('(', ')', () => this.inputValueDefinition());
    let repeatable = false;
    if (this.peek('Name') && this.tok.value === 'repeatable') {
      this.advance();
      repeatable = true;
    }
    this.expectKeyword('on');
    this.skip('|');
    const locations: string[] = [];
    do {
      const t = this.expect('Name');
      if (!DIRECTIVE_LOCATIONS.has(t.value)) this.unexpected(t);
      locations.push(t.value);
    } while (this.skip('|'));
    return { Description: description, Name: name, Arguments: args, IsRepeatable: repeatable, Locations: locations };
  }
}

/** OPA drops nulls, empty arrays/objects and Position from the AST it returns. */
export function prune(value: unknown): unknown {
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const v of value) {
      if (v === null || v === undefined) continue;
      const p = prune(v);
      if ((Array.isArray(p) && p.length === 0) || (isPlainObject(p) && Object.keys(p).length === 0)) continue;
      out.push(p);
    }
    return out;
  }
  if (isPlainObject(value)) {
    const out: Obj = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'Position' || v === null || v === undefined) continue;
      const p = prune(v);
      if ((Array.isArray(p) && p.length === 0) || (isPlainObject(p) && Object.keys(p).length === 0)) continue;
      out[k] = p;
    }
    return out;
  }
  return value;
}

function isPlainObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseQueryDocument(source: string, withExpectedTypeHasDefault: boolean): Obj {
  return prune(new Parser(source, withExpectedTypeHasDefault).parseQuery()) as Obj;
}

export function parseSchemaDocument(source: string, withExpectedTypeHasDefault: boolean): Obj {
  return prune(new Parser(source, withExpectedTypeHasDefault).parseSchema()) as Obj;
}
