// graphql.* builtins. Parsing (and the AST returned) is our own gqlparser-compatible parser;
// validation of queries against schemas and of schemas themselves is done by graphql-js, fed
// with the same documents (printed back to GraphQL text when the caller passed ASTs).
import {
  type DocumentNode,
  type GraphQLError,
  type GraphQLSchema,
  Kind,
  buildASTSchema,
  parse as gqlParse,
  validate,
  validateSchema,
} from 'graphql';
import { type BuiltinFamily, fail, isObject, operandError } from './common.js';
import { GraphQLSyntaxError, parseQueryDocument, parseSchemaDocument } from './graphql-parser.js';

type Obj = Record<string, any>;

function syntax(parse: () => Obj): Obj {
  try {
    return parse();
  } catch (error) {
    if (error instanceof GraphQLSyntaxError) fail(`${error.message} in GraphQL string at location ${error.line}:${error.column}`);
    throw error;
  }
}

// --- printing gqlparser-shaped ASTs back to GraphQL text ---------------------------------------

function printValue(v: Obj): string {
  const children: Obj[] = v.Children ?? [];
  switch (v.Kind) {
    case 0:
      return `$${v.Raw}`;
    case 3:
      return JSON.stringify(v.Raw ?? '');
    case 4:
      return `"""${String(v.Raw ?? '').replace(/"""/g, '\\"""')}"""`;
    case 8:
      return `[${children.map((c) => printValue(c.Value)).join(', ')}]`;
    case 9:
      return `{${children.map((c) => `${c.Name}: ${printValue(c.Value)}`).join(', ')}}`;
    default:
      return String(v.Raw ?? '');
  }
}

function printType(t: Obj): string {
  const base = t.Elem ? `[${printType(t.Elem)}]` : String(t.NamedType);
  return t.NonNull ? `${base}!` : base;
}

function printArgs(args: Obj[] | undefined): string {
  if (!args || args.length === 0) return '';
  return `(${args.map((a) => `${a.Name}: ${printValue(a.Value)}`).join(', ')})`;
}

function printDirectives(ds: Obj[] | undefined): string {
  return (ds ?? []).map((d) => ` @${d.Name}${printArgs(d.Arguments)}`).join('');
}

function printSelections(set: Obj[] | undefined): string {
  if (!set || set.length === 0) return '';
  return ` { ${set.map(printSelection).join(' ')} }`;
}

function printSelection(s: Obj): string {
  if ('TypeCondition' in s || ('SelectionSet' in s && !('Alias' in s) && !('Name' in s))) {
    const on = s.TypeCondition ? ` on ${s.TypeCondition}` : '';
    return `...${on}${printDirectives(s.Directives)}${printSelections(s.SelectionSet)}`;
  }
  if (!('Alias' in s)) return `...${s.Name}${printDirectives(s.Directives)}`;
  const alias = s.Alias && s.Alias !== s.Name ? `${s.Alias}: ` : '';
  return `${alias}${s.Name}${printArgs(s.Arguments)}${printDirectives(s.Directives)}${printSelections(s.SelectionSet)}`;
}

function printVariables(vars: Obj[] | undefined): string {
  if (!vars || vars.length === 0) return '';
  return `(${vars
    .map((v) => `$${v.Variable}: ${printType(v.Type)}${v.DefaultValue ? ` = ${printValue(v.DefaultValue)}` : ''}${printDirectives(v.Directives)}`)
    .join(', ')})`;
}

function printQuery(doc: Obj): string {
  const ops = (doc.Operations ?? []).map(
    (o: Obj) => `${o.Operation ?? 'query'} ${o.Name ?? ''}${printVariables(o.VariableDefinitions)}${printDirectives(o.Directives)}${printSelections(o.SelectionSet)}`,
  );
  const frags = (doc.Fragments ?? []).map(
    (f: Obj) => `fragment ${f.Name} on ${f.TypeCondition}${printDirectives(f.Directives)}${printSelections(f.SelectionSet)}`,
  );
  return [...ops, ...frags].join('\n');
}

function description(d: unknown): string {
  return typeof d === 'string' && d !== '' ? `${JSON.stringify(d)} ` : '';
}

function printInputValues(values: Obj[] | undefined): string {
  return (values ?? [])
    .map((a) => `${description(a.Description)}${a.Name}: ${printType(a.Type)}${a.DefaultValue ? ` = ${printValue(a.DefaultValue)}` : ''}${printDirectives(a.Directives)}`)
    .join(' ');
}

function printDefinition(d: Obj, extend: boolean): string {
  const head = `${extend ? 'extend ' : description(d.Description)}`;
  const dirs = printDirectives(d.Directives);
  const fields = (d.Fields ?? []) as Obj[];
  switch (d.Kind) {
    case 'SCALAR':
      return `${head}scalar ${d.Name}${dirs}`;
    case 'OBJECT':
    case 'INTERFACE': {
      const word = d.Kind === 'OBJECT' ? 'type' : 'interface';
      const impl = d.Interfaces?.length ? ` implements ${d.Interfaces.join(' & ')}` : '';
      const body = fields.length
        ? ` { ${fields.map((f) => `${description(f.Description)}${f.Name}${f.Arguments?.length ? `(${printInputValues(f.Arguments)})` : ''}: ${printType(f.Type)}${printDirectives(f.Directives)}`).join(' ')} }`
        : '';
      return `${head}${word} ${d.Name}${impl}${dirs}${body}`;
    }
    case 'UNION':
      return `${head}union ${d.Name}${dirs}${d.Types?.length ? ` = ${d.Types.join(' | ')}` : ''}`;
    case 'ENUM': {
      const values = (d.EnumValues ?? []) as Obj[];
      const body = values.length ? ` { ${values.map((v) => `${description(v.Description)}${v.Name}${printDirectives(v.Directives)}`).join(' ')} }` : '';
      return `${head}enum ${d.Name}${dirs}${body}`;
    }
    case 'INPUT_OBJECT':
      return `${head}input ${d.Name}${dirs}${fields.length ? ` { ${printInputValues(fields)} }` : ''}`;
    default:
      fail(`unknown definition kind ${JSON.stringify(d.Kind)}`);
  }
}

function printSchema(doc: Obj): string {
  const out: string[] = [];
  const schemaDef = (s: Obj, extend: boolean) => {
    const ops = (s.OperationTypes ?? []) as Obj[];
    const body = ops.length ? ` { ${ops.map((o) => `${o.Operation}: ${o.Type}`).join(' ')} }` : '';
    return `${extend ? 'extend ' : description(s.Description)}schema${printDirectives(s.Directives)}${body}`;
  };
  for (const s of doc.Schema ?? []) out.push(schemaDef(s, false));
  for (const s of doc.SchemaExtension ?? []) out.push(schemaDef(s, true));
  for (const d of doc.Directives ?? []) {
    const args = d.Arguments?.length ? `(${printInputValues(d.Arguments)})` : '';
    out.push(`${description(d.Description)}directive @${d.Name}${args}${d.IsRepeatable ? ' repeatable' : ''} on ${(d.Locations ?? []).join(' | ')}`);
  }
  for (const d of doc.Definitions ?? []) out.push(printDefinition(d, false));
  for (const d of doc.Extensions ?? []) out.push(printDefinition(d, true));
  return out.join('\n');
}

// --- loading inputs ----------------------------------------------------------------------------

interface Loaded {
  ast: Obj;
  text: string;
}

function loadQuery(value: unknown, position: number, withDefaults: boolean): Loaded {
  if (typeof value === 'string') return { ast: syntax(() => parseQueryDocument(value, withDefaults)), text: value };
  if (isObject(value)) return { ast: value, text: printQuery(value) };
  operandError(position, 'one of {string, object}', value);
}

function loadSchema(value: unknown, position: number): Loaded {
  if (typeof value === 'string') return { ast: syntax(() => parseSchemaDocument(value, true)), text: value };
  if (isObject(value)) return { ast: value, text: printSchema(value) };
  operandError(position, 'one of {string, object}', value);
}

const BUILT_IN_TYPES = new Set(['String', 'Int', 'Float', 'Boolean', 'ID']);

const EXTENSION_TO_DEFINITION: Record<string, Kind> = {
  [Kind.OBJECT_TYPE_EXTENSION]: Kind.OBJECT_TYPE_DEFINITION,
  [Kind.INTERFACE_TYPE_EXTENSION]: Kind.INTERFACE_TYPE_DEFINITION,
  [Kind.UNION_TYPE_EXTENSION]: Kind.UNION_TYPE_DEFINITION,
  [Kind.ENUM_TYPE_EXTENSION]: Kind.ENUM_TYPE_DEFINITION,
  [Kind.INPUT_OBJECT_TYPE_EXTENSION]: Kind.INPUT_OBJECT_TYPE_DEFINITION,
  [Kind.SCALAR_TYPE_EXTENSION]: Kind.SCALAR_TYPE_DEFINITION,
};

/** Like gqlparser, extending a type that is not defined defines it. */
function defineExtendedTypes(doc: DocumentNode): DocumentNode {
  const defined = new Set<string>(BUILT_IN_TYPES);
  for (const d of doc.definitions) if ('name' in d && d.name && !d.kind.endsWith('Extension') && d.kind !== Kind.DIRECTIVE_DEFINITION) defined.add(d.name.value);
  const definitions = doc.definitions.map((d) => {
    const target = EXTENSION_TO_DEFINITION[d.kind];
    if (!target || !('name' in d) || !d.name || defined.has(d.name.value)) return d;
    defined.add(d.name.value);
    return { ...d, kind: target } as unknown as typeof d;
  });
  return { ...doc, definitions };
}

interface SchemaResult {
  schema?: GraphQLSchema;
  errors: readonly GraphQLError[] | Error[];
}

/** Builds and validates a schema; a missing query root is allowed, as gqlparser allows it. */
function buildSchema(text: string): SchemaResult {
  let doc: DocumentNode;
  try {
    doc = defineExtendedTypes(gqlParse(text));
  } catch (error) {
    return { errors: [error as GraphQLError] };
  }
  let schema: GraphQLSchema;
  try {
    schema = buildASTSchema(doc);
  } catch (error) {
    return { errors: [error as Error] };
  }
  const errors = validateSchema(schema).filter((e) => !/^Query root type must be provided/.test(e.message));
  if (errors.length > 0) return { errors };
  // validated above (apart from the root type): let query validation accept it
  return { schema: buildASTSchema(doc, { assumeValid: true }), errors: [] };
}

function location(error: unknown): string {
  const loc = (error as GraphQLError).locations?.[0];
  return loc ? ` at location ${loc.line}:${loc.column}` : '';
}

function messageOf(error: unknown): string {
  return String((error as Error).message)
    .replace(/^Syntax Error: /, '')
    .replace(/\.$/, '');
}

/** Query errors against a valid schema, or the schema's first error. */
function check(query: Loaded, schema: Loaded): { error?: string } {
  const built = buildSchema(schema.text);
  if (!built.schema) {
    const e = built.errors[0];
    return { error: `${messageOf(e)} in GraphQL schema string${location(e)}` };
  }
  // an empty document is valid for gqlparser (graphql-js's parser rejects it)
  if (!query.ast.Operations && !query.ast.Fragments) return {};
  let doc: DocumentNode;
  try {
    doc = gqlParse(query.text);
  } catch (error) {
    return { error: `${messageOf(error)} in GraphQL query string${location(error)}` };
  }
  const errors = validate(built.schema, doc);
  if (errors.length > 0) return { error: `${messageOf(errors[0])} in GraphQL query string${location(errors[0])}` };
  return {};
}

export const graphqlBuiltins: BuiltinFamily = {
  'graphql.parse_query': (_ctx, query) => loadQuery(query, 1, false).ast,
  'graphql.parse_schema': (_ctx, schema) => loadSchema(schema, 1).ast,
  'graphql.parse': (_ctx, query, schema) => {
    const q = loadQuery(query, 1, false);
    const s = loadSchema(schema, 2);
    const result = check(q, s);
    if (result.error) fail(result.error);
    return [q.ast, s.ast];
  },
  'graphql.parse_and_verify': (_ctx, query, schema) => {
    try {
      const q = loadQuery(query, 1, true);
      const s = loadSchema(schema, 2);
      return check(q, s).error ? [false, {}, {}] : [true, q.ast, s.ast];
    } catch (error) {
      if ((error as Error).name === 'BuiltinError' && (error as { kind?: string }).kind === 'type') throw error;
      return [false, {}, {}];
    }
  },
  'graphql.is_valid': (_ctx, query, schema) => {
    try {
      return !check(loadQuery(query, 1, false), loadSchema(schema, 2)).error;
    } catch (error) {
      if ((error as { kind?: string }).kind === 'type') throw error;
      return false;
    }
  },
  'graphql.schema_is_valid': (_ctx, schema) => {
    try {
      return buildSchema(loadSchema(schema, 1).text).errors.length === 0;
    } catch (error) {
      if ((error as { kind?: string }).kind === 'type') throw error;
      return false;
    }
  },
};
