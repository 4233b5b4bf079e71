// units.parse and units.parse_bytes: resource strings such as "10Ki", "1.5G", "300MiB".
// Amounts are multiplied in exact decimal (BigInt mantissa and power of ten) so that e.g.
// "0.0000005M" is exactly 0.5, as OPA's big.Float arithmetic gives.
import { type BuiltinFamily, type RawNumber, exactDecimal, exactInteger, fail, str } from './common.js';

const K = 1000n;
const KI = 1024n;

const SI_UNITS: Record<string, bigint> = {
  '': 1n,
  k: K, K: K, ki: KI, Ki: KI,
  M: K ** 2n, mi: KI ** 2n, Mi: KI ** 2n,
  g: K ** 3n, G: K ** 3n, gi: KI ** 3n, Gi: KI ** 3n,
  t: K ** 4n, T: K ** 4n, ti: KI ** 4n, Ti: KI ** 4n,
  p: K ** 5n, P: K ** 5n, pi: KI ** 5n, Pi: KI ** 5n,
  e: K ** 6n, E: K ** 6n, ei: KI ** 6n, Ei: KI ** 6n,
};

const BYTE_UNITS: Record<string, bigint> = { '': 1n };
for (const [i, p] of ['k', 'm', 'g', 't', 'p', 'e'].entries()) {
  const power = BigInt(i + 1);
  BYTE_UNITS[p] = BYTE_UNITS[`${p}b`] = K ** power;
  BYTE_UNITS[`${p}i`] = BYTE_UNITS[`${p}ib`] = KI ** power;
}

/** A decimal number: mantissa × 10^exponent. */
interface Decimal {
  mantissa: bigint;
  exponent: number;
}

/** The leading amount: sign, digits and dots, then an exponent only when digits follow the e. */
function splitAmount(s: string): { amount: string; unit: string } {
  const m = /^[+-]?[0-9.]*(?:[eE][+-]?[0-9]+)?/.exec(s)!;
  let amount = m[0];
  if (!/[0-9]/.test(amount)) amount = '';
  return { amount, unit: s.slice(amount.length) };
}

function parseDecimal(amount: string): Decimal | undefined {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(amount);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const digits = m[2]! + (m[3] ?? '');
  const exponent = Number(m[4] ?? '0') - (m[3] ?? '').length;
  const mantissa = BigInt(digits) * (m[1] === '-' ? -1n : 1n);
  return { mantissa, exponent };
}

function toNumber(d: Decimal, truncate: boolean): number | RawNumber {
  if (d.mantissa === 0n) return 0;
  const digits = d.mantissa.toString().replace('-', '').length;
  if (!Number.isFinite(d.exponent) || d.exponent + digits > 400) fail('exponent too large');
  if (truncate && d.exponent < 0) {
    if (-d.exponent > digits + 1) return 0;
    return exactInteger(d.mantissa / 10n ** BigInt(-d.exponent));
  }
  if (d.exponent + digits < -400) return 0;
  return exactDecimal(d.mantissa, d.exponent);
}

function parseUnits(raw: unknown): number | RawNumber {
  const s = str(raw, 1).replaceAll('"', '');
  if (s.includes(' ')) fail('spaces not allowed in resource strings');
  const split = splitAmount(s);
  if (split.amount === '') fail('no amount provided');
  // Only the first letter keeps its case, so that "m" (milli) and "M" (mega) stay apart.
  const unit = split.unit.length > 1 ? split.unit[0] + split.unit.slice(1).toLowerCase() : split.unit;
  const decimal = parseDecimal(split.amount);
  if (!decimal) fail('could not parse amount to a number');
  if (unit === 'm') return toNumber({ mantissa: decimal.mantissa, exponent: decimal.exponent - 3 }, false);
  const factor = SI_UNITS[unit];
  if (factor === undefined) fail('unit not recognized');
  return toNumber({ mantissa: decimal.mantissa * factor, exponent: decimal.exponent }, false);
}

function parseBytes(raw: unknown): number | RawNumber {
  const s = str(raw, 1).replaceAll('"', '').toLowerCase();
  if (s.includes(' ')) fail('spaces not allowed in resource strings');
  const split = splitAmount(s);
  if (split.amount === '') fail('no byte amount provided');
  const decimal = parseDecimal(split.amount);
  if (!decimal) fail('could not parse byte amount to a number');
  const factor = BYTE_UNITS[split.unit];
  if (factor === undefined) fail(`byte unit ${split.unit} not recognized`);
  // Bytes are whole: OPA truncates the product to an integer.
  return toNumber({ mantissa: decimal.mantissa * factor, exponent: decimal.exponent }, true);
}

export const unitsBuiltins: BuiltinFamily = {
  'units.parse': (_ctx, x) => parseUnits(x),
  'units.parse_bytes': (_ctx, x) => parseBytes(x),
};
