// json.verify_schema / json.match_schema: JSON Schema (draft 4–7 keywords that policies use) with
// the error objects OPA returns ({error, type, field, desc}, gojsonschema's wording).
import { type BuiltinFamily, type Json, deepEqual, fail, isObject, typeName } from './common.js';
import { compileRe2 } from './re2.js';

const PRIMITIVE_TYPES = ['array', 'boolean', 'integer', 'number', 'null', 'object', 'string'];

interface SchemaError {
  error: string;
  type: string;
  field: string;
  desc: string;
}

function jsonType(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeName(v);
}

function loadJson(value: unknown, what: string): Json {
  if (typeof value !== 'string') return value as Json;
  try {
    return JSON.parse(value) as Json;
  } catch (error) {
    fail(`${what} must be JSON: ${(error as Error).message}`);
  }
}

/** Checks the schema itself (types named in "type" must exist; sub-schemas must be objects). */
function checkSchema(schema: Json): void {
  if (typeof schema === 'boolean') return;
  if (!isObject(schema)) fail('schema must be an object or a boolean');
  const t = schema.type;
  for (const name of Array.isArray(t) ? t : t === undefined ? [] : [t]) {
    if (typeof name !== 'string' || !PRIMITIVE_TYPES.includes(name)) {
      fail(`has a primitive type that is NOT VALID -- given: /${String(name)}/ Expected valid values are:[${PRIMITIVE_TYPES.join(' ')}]`);
    }
  }
  for (const key of ['properties', 'patternProperties', 'definitions', '$defs']) {
    const sub = schema[key];
    if (isObject(sub)) Object.values(sub).forEach(checkSchema);
  }
  for (const key of ['items', 'additionalProperties', 'not', 'additionalItems', 'contains', 'propertyNames']) {
    const sub = schema[key];
    if (Array.isArray(sub)) sub.forEach(checkSchema);
    else if (isObject(sub)) checkSchema(sub);
  }
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    const sub = schema[key];
    if (Array.isArray(sub)) sub.forEach(checkSchema);
  }
  if (typeof schema.pattern === 'string') compileRe2(schema.pattern);
}

class Validator {
  readonly errors: SchemaError[] = [];

  constructor(private readonly root: Json) {}

  private add(path: string[], type: string, desc: string): void {
    const field = path.length === 0 ? '(root)' : path.join('.');
    this.errors.push({ error: `${field}: ${desc}`, type, field, desc });
  }

  private resolve(ref: string): Json {
    if (!ref.startsWith('#')) fail(`unsupported $ref ${JSON.stringify(ref)} (only local references)`);
    let cur: Json | undefined = this.root;
    for (const raw of ref.slice(1).split('/').filter((s) => s !== '')) {
      const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      cur = isObject(cur) ? cur[key] : Array.isArray(cur) ? cur[Number(key)] : undefined;
    }
    if (cur === undefined) fail(`cannot resolve $ref ${JSON.stringify(ref)}`);
    return cur;
  }

  /** Whether value satisfies schema, without recording errors. */
  private passes(value: Json, schema: Json, path: string[]): boolean {
    const probe = new Validator(this.root);
    probe.validate(value, schema, path);
    return probe.errors.length === 0;
  }

  validate(value: Json, schema: Json, path: string[] = []): void {
    if (schema === true) return;
    if (schema === false) {
      this.add(path, 'false', 'False always fails validation');
      return;
    }
    if (!isObject(schema)) return;
    if (typeof schema.$ref === 'string') {
      this.validate(value, this.resolve(schema.$ref), path);
      return;
    }
    const actual = jsonType(value);
    if (schema.type !== undefined) {
      const types = (Array.isArray(schema.type) ? schema.type : [schema.type]) as string[];
      const ok = types.some((t) => t === actual || (t === 'number' && actual === 'integer'));
      if (!ok) {
        this.add(path, 'invalid_type', `Invalid type. Expected: ${types.join('/')}, given: ${actual}`);
        return;
      }
    }
    if (Array.isArray(schema.enum) && !schema.enum.some((e) => deepEqual(e, value))) {
      const field = path.length === 0 ? '(root)' : path.join('.');
      this.add(path, 'enum', `${field} must be one of the following: ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`);
    }
    if ('const' in schema && !deepEqual(schema.const, value)) {
      const field = path.length === 0 ? '(root)' : path.join('.');
      this.add(path, 'const', `${field} does not match: ${JSON.stringify(schema.const)}`);
    }
    for (const [key, kind] of [['allOf', 'all'], ['anyOf', 'any'], ['oneOf', 'one']] as const) {
      const subs = schema[key];
      if (!Array.isArray(subs)) continue;
      const passing = subs.filter((s) => this.passes(value, s, path)).length;
      if (kind === 'all' && passing !== subs.length) {
        subs.forEach((s) => this.validate(value, s, path));
        this.add(path, 'number_all_of', 'Must validate all the schemas (allOf)');
      }
      if (kind === 'any' && passing === 0) this.add(path, 'number_any_of', 'Must validate at least one schema (anyOf)');
      if (kind === 'one' && passing !== 1) this.add(path, 'number_one_of', 'Must validate one and only one schema (oneOf)');
    }
    if (schema.not !== undefined && this.passes(value, schema.not, path)) this.add(path, 'number_not', 'Must not validate the schema (not)');

    if (typeof value === 'number') this.numberKeywords(value, schema, path);
    if (typeof value === 'string') this.stringKeywords(value, schema, path);
    if (Array.isArray(value)) this.arrayKeywords(value, schema, path);
    if (isObject(value)) this.objectKeywords(value, schema, path);
  }

  private numberKeywords(v: number, s: Record<string, Json>, path: string[]): void {
    const exclusiveMin = s.exclusiveMinimum;
    const exclusiveMax = s.exclusiveMaximum;
    if (typeof s.minimum === 'number') {
      if (exclusiveMin === true ? v <= s.minimum : v < s.minimum) {
        this.add(path, exclusiveMin === true ? 'number_gt' : 'number_gte', `Must be greater than ${exclusiveMin === true ? '' : 'or equal to '}${s.minimum}`);
      }
    }
    if (typeof exclusiveMin === 'number' && v <= exclusiveMin) this.add(path, 'number_gt', `Must be greater than ${exclusiveMin}`);
    if (typeof s.maximum === 'number') {
      if (exclusiveMax === true ? v >= s.maximum : v > s.maximum) {
        this.add(path, exclusiveMax === true ? 'number_lt' : 'number_lte', `Must be less than ${exclusiveMax === true ? '' : 'or equal to '}${s.maximum}`);
      }
    }
    if (typeof exclusiveMax === 'number' && v >= exclusiveMax) this.add(path, 'number_lt', `Must be less than ${exclusiveMax}`);
    if (typeof s.multipleOf === 'number' && s.multipleOf > 0) {
      const q = v / s.multipleOf;
      if (Math.abs(q - Math.round(q)) > 1e-9) this.add(path, 'multiple_of', `Must be a multiple of ${s.multipleOf}`);
    }
  }

  private stringKeywords(v: string, s: Record<string, Json>, path: string[]): void {
    const length = [...v].length;
    if (typeof s.minLength === 'number' && length < s.minLength) this.add(path, 'string_gte', `String length must be greater than or equal to ${s.minLength}`);
    if (typeof s.maxLength === 'number' && length > s.maxLength) this.add(path, 'string_lte', `String length must be less than or equal to ${s.maxLength}`);
    if (typeof s.pattern === 'string') {
      const re = compileRe2(s.pattern);
      re.lastIndex = 0;
      if (!re.test(v)) this.add(path, 'pattern', `Does not match pattern '${s.pattern}'`);
    }
  }

  private arrayKeywords(v: Json[], s: Record<string, Json>, path: string[]): void {
    if (typeof s.minItems === 'number' && v.length < s.minItems) this.add(path, 'array_min_items', `Array must have at least ${s.minItems} items`);
    if (typeof s.maxItems === 'number' && v.length > s.maxItems) this.add(path, 'array_max_items', `Array must have at most ${s.maxItems} items`);
    if (s.uniqueItems === true) {
      for (let i = 0; i < v.length; i++) {
        for (let j = i + 1; j < v.length; j++) {
          if (deepEqual(v[i], v[j])) {
            this.add(path, 'unique', `array items[${i},${j}] must be unique`);
            i = v.length;
            break;
          }
        }
      }
    }
    if (Array.isArray(s.items)) {
      v.forEach((item, i) => {
        const sub = (s.items as Json[])[i];
        if (sub !== undefined) this.validate(item, sub, [...path, String(i)]);
        else if (s.additionalItems === false) this.add(path, 'array_no_additional_items', 'No additional items allowed on array');
        else if (s.additionalItems !== undefined) this.validate(item, s.additionalItems, [...path, String(i)]);
      });
    } else if (s.items !== undefined) v.forEach((item, i) => this.validate(item, s.items!, [...path, String(i)]));
    if (s.contains !== undefined && !v.some((item) => this.passes(item, s.contains!, path))) {
      this.add(path, 'contains', 'At least one of the items must match');
    }
  }

  private objectKeywords(v: Record<string, Json>, s: Record<string, Json>, path: string[]): void {
    const keys = Object.keys(v);
    if (Array.isArray(s.required)) {
      for (const r of s.required) if (typeof r === 'string' && !(r in v)) this.add(path, 'required', `${r} is required`);
    }
    if (typeof s.minProperties === 'number' && keys.length < s.minProperties) this.add(path, 'array_min_properties', `Must have at least ${s.minProperties} properties`);
    if (typeof s.maxProperties === 'number' && keys.length > s.maxProperties) this.add(path, 'array_max_properties', `Must have at most ${s.maxProperties} properties`);
    const properties = isObject(s.properties) ? s.properties : {};
    const patterns = isObject(s.patternProperties) ? s.patternProperties : {};
    for (const key of keys) {
      let matched = false;
      if (key in properties) {
        matched = true;
        this.validate(v[key]!, properties[key]!, [...path, key]);
      }
      for (const [pattern, sub] of Object.entries(patterns)) {
        const re = compileRe2(pattern);
        re.lastIndex = 0;
        if (re.test(key)) {
          matched = true;
          this.validate(v[key]!, sub, [...path, key]);
        }
      }
      if (!matched) {
        if (s.additionalProperties === false) this.add(path, 'additional_property_not_allowed', `Additional property ${key} is not allowed`);
        else if (isObject(s.additionalProperties)) this.validate(v[key]!, s.additionalProperties, [...path, key]);
      }
    }
    if (isObject(s.dependencies)) {
      for (const [key, dep] of Object.entries(s.dependencies)) {
        if (!(key in v)) continue;
        if (Array.isArray(dep)) {
          for (const d of dep) if (typeof d === 'string' && !(d in v)) this.add(path, 'missing_dependency', `Has a dependency on ${d}`);
        } else this.validate(v, dep, path);
      }
    }
  }
}

function loadSchema(value: unknown): Json {
  const schema = loadJson(value, 'schema');
  checkSchema(schema);
  return schema;
}

export const jsonSchemaBuiltins: BuiltinFamily = {
  'json.verify_schema': (_ctx, schema) => {
    try {
      loadSchema(schema);
      return [true, null];
    } catch (error) {
      if ((error as { kind?: string }).kind === 'type') throw error;
      return [false, (error as Error).message];
    }
  },
  'json.match_schema': (_ctx, document, schema) => {
    const s = loadSchema(schema);
    const doc = loadJson(document, 'document');
    const v = new Validator(s);
    v.validate(doc, s);
    return [v.errors.length === 0, v.errors];
  },
};
