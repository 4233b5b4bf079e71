// Shared helpers for host builtins: OPA's error kinds, operand checks and the registry type.
//
// Values arrive the way the opa-wasm SDK hands them over: JSON (sets become arrays, objects with
// non-string keys are not representable). A builtin returns a JSON value or `undefined`.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One host builtin implementation: JSON arguments in, JSON result (or undefined) out. */
export type BuiltinImpl = (...args: any[]) => unknown;

export interface BuiltinContext {
  /** The evaluation's time in ns since the epoch (the pinned clock when govern pins one). */
  now(): bigint;
  /**
   * `bytes` random bytes for `key`: with a seed a pure function of (seed, key), so answers do not
   * depend on what else was evaluated; without one, fresh random bytes.
   */
  randomBytes(key: string, bytes: number): Uint8Array;
  /** Values that must stay the same within one evaluation (rand.intn, uuid.rfc4122). */
  evaluationCache(): Map<string, unknown>;
}

/** A family's builtins: each gets the evaluation context first, then the Rego arguments. */
export type BuiltinFamily = Record<string, (ctx: BuiltinContext, ...args: any[]) => unknown>;

/**
 * An error raised by a builtin. `type` errors (wrong operand types) are always errors in OPA;
 * `builtin` errors make the expression undefined unless strict builtin errors are on.
 */
export class BuiltinError extends Error {
  constructor(
    readonly kind: 'type' | 'builtin',
    message: string,
  ) {
    super(message);
    this.name = 'BuiltinError';
  }
}

/** An invalid-input error (eval_builtin_error). */
export function fail(message: string): never {
  throw new BuiltinError('builtin', message);
}

/** A wrong-operand-type error (eval_type_error). */
export function typeFail(message: string): never {
  throw new BuiltinError('type', message);
}

/** OPA's name for the type of a value, as used in its error messages. */
export function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'string') return 'string';
  if (Array.isArray(value)) return 'array';
  return 'object';
}

export function operandError(position: number, expected: string, value: unknown): never {
  typeFail(`operand ${position} must be ${expected} but got ${typeName(value)}`);
}

export function isObject(value: unknown): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function str(value: unknown, position: number): string {
  if (typeof value !== 'string') operandError(position, 'string', value);
  return value;
}

export function num(value: unknown, position: number): number {
  if (typeof value !== 'number') operandError(position, 'number', value);
  return value;
}

export function int(value: unknown, position: number): number {
  const n = num(value, position);
  if (!Number.isInteger(n)) typeFail(`operand ${position} must be integer number but got floating-point number`);
  return n;
}

export function bool(value: unknown, position: number): boolean {
  if (typeof value !== 'boolean') operandError(position, 'boolean', value);
  return value;
}

export function obj(value: unknown, position: number): { [key: string]: Json } {
  if (!isObject(value)) operandError(position, 'object', value);
  return value;
}

export function arr(value: unknown, position: number): Json[] {
  if (!Array.isArray(value)) operandError(position, 'array', value);
  return value;
}

/** A set or an array (sets arrive as arrays). */
export function collection(value: unknown, position: number): Json[] {
  if (!Array.isArray(value)) operandError(position, 'one of {array, set}', value);
  return value;
}

/** Strings of a set/array operand, with OPA's message for a stray element type. */
export function stringElements(value: unknown, position: number, what = 'set'): string[] {
  const items = collection(value, position);
  for (const item of items) {
    if (typeof item !== 'string') typeFail(`operand ${position} must be ${what} of strings but got ${what} containing ${typeName(item)}`);
  }
  return items as string[];
}

/** OPA's total order on values: null < boolean < number < string < array < object. */
export function compareValues(a: unknown, b: unknown): number {
  const rank = (v: unknown): number => {
    if (v === null || v === undefined) return 0;
    switch (typeof v) {
      case 'boolean':
        return 1;
      case 'number':
        return 2;
      case 'string':
        return 3;
    }
    return Array.isArray(v) ? 4 : 6;
  };
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) return 0;
  if (ra === 1) return Number(a) - Number(b);
  if (ra === 2) return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  if (ra === 3) return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
  if (ra === 4) {
    const x = a as unknown[];
    const y = b as unknown[];
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      const c = compareValues(x[i], y[i]);
      if (c !== 0) return c;
    }
    return x.length - y.length;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const kx = Object.keys(x).sort();
  const ky = Object.keys(y).sort();
  for (let i = 0; i < Math.min(kx.length, ky.length); i++) {
    const c = compareValues(kx[i], ky[i]);
    if (c !== 0) return c;
    const d = compareValues(x[kx[i]!], y[ky[i]!]);
    if (d !== 0) return d;
  }
  return kx.length - ky.length;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return compareValues(a, b) === 0;
}

/** Marks an array that stands for a Rego set (see rawJsonText's `regoSets`). */
export const SET_MARK: unique symbol = Symbol('rego-set');

/** Sorted, de-duplicated copy, marked as a set: how a set leaves a builtin. */
export function toSet<T>(values: T[]): T[] {
  const sorted = [...values].sort(compareValues);
  const out = sorted.filter((v, i) => i === 0 || compareValues(sorted[i - 1], v) !== 0);
  Object.defineProperty(out, SET_MARK, { value: true });
  return out;
}

export function isMarkedSet(value: unknown): boolean {
  return Array.isArray(value) && (value as unknown as Record<symbol, unknown>)[SET_MARK] === true;
}

/** Go's bytes → string for results: decode UTF-8 (invalid bytes become U+FFFD as in OPA's JSON). */
export function utf8(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('utf8');
}

/**
 * A number whose exact decimal text matters (beyond a double's 17 digits, e.g. ns timestamps or
 * 10Ei). The registry hands results containing one to the SDK as raw JSON text, which the SDK
 * passes to the Wasm JSON parser unchanged, so no digit is lost.
 */
export class RawNumber {
  constructor(readonly text: string) {}
  toJSON(): number {
    return Number(this.text);
  }
}

/** An integer result: a plain number when a double holds it exactly, else its exact text. */
export function exactInteger(value: bigint): number | RawNumber {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : new RawNumber(value.toString());
}

/** A decimal mantissa × 10^exponent, as a number when its JSON text is exact, else raw. */
export function exactDecimal(mantissa: bigint, exponent: number): number | RawNumber {
  const negative = mantissa < 0n;
  let digits = (negative ? -mantissa : mantissa).toString();
  let text: string;
  if (exponent >= 0) text = digits + '0'.repeat(exponent);
  else {
    const point = digits.length + exponent;
    if (point <= 0) digits = '0'.repeat(1 - point) + digits;
    const at = digits.length + exponent;
    text = `${digits.slice(0, at)}.${digits.slice(at)}`.replace(/\.?0+$/, '');
  }
  text = text.replace(/^0+(?=\d)/, '');
  if (negative && text !== '0') text = `-${text}`;
  const n = Number(text);
  return String(n) === text ? n : new RawNumber(text);
}

/** Whether the result needs raw text: exact numbers, or (with `regoSets`) sets. */
export function containsRaw(value: unknown, regoSets = false): boolean {
  if (value instanceof RawNumber) return true;
  if (Array.isArray(value)) return (regoSets && isMarkedSet(value)) || value.some((v) => containsRaw(v, regoSets));
  if (value && typeof value === 'object') return Object.values(value).some((v) => containsRaw(v, regoSets));
  return false;
}

/**
 * JSON text with RawNumbers written as their exact digits; with `regoSets`, marked sets are
 * written in Rego's set syntax ({1,2} / set()), for a Wasm parser that accepts it.
 */
export function rawJsonText(value: unknown, regoSets = false): string {
  if (value instanceof RawNumber) return value.text;
  if (Array.isArray(value)) {
    const items = value.map((v) => rawJsonText(v, regoSets));
    if (regoSets && isMarkedSet(value)) return items.length === 0 ? 'set()' : `{${items.join(',')}}`;
    return `[${items.join(',')}]`;
  }
  if (value && typeof value === 'object') {
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}:${rawJsonText(v, regoSets)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
