// Kubernetes resource quantities ("100m", "1.5Gi", "1e3"): parse, compare, format.
// Values are exact decimals (a BigInt times a power of ten), rounded up to nano precision on
// parse as upstream does, and printed in upstream's canonical form (so "1024Mi" prints as
// "1Gi", "0.5" as "500m", "1000m" as "1"), which is what a real apiserver stores and returns.

import { SkiffError } from '../base/errors.ts';

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

const SPLIT_RE = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
export const QUANTITY_FORMAT_ERROR = `quantities must match the regular expression '${SPLIT_RE}'`;
const NUMERIC_ERROR = 'unable to parse numeric part of quantity';
const SUFFIX_ERROR = "unable to parse quantity's suffix";

/** A string that is not a valid quantity. The message is upstream's. */
export class QuantityParseError extends SkiffError {
  readonly input: string;
  constructor(input: string, message: string) {
    super('QuantityParse', message);
    this.input = input;
  }
}

const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_BY_EXP = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_BY_EXP = new Map(Object.entries(BINARY_SUFFIXES).map(([s, e]) => [e, s]));
const MAX_INT64 = (1n << 63n) - 1n;
const NANO = -9;

/**
 * Parsed quantity strings, shared (Quantity is immutable): the same few strings ("100m",
 * "128Mi") come with every pod of a template, on every defaulting and validation pass. A memo
 * of a pure function, cleared when full.
 */
const PARSED = new Map<string, Quantity>();
const PARSED_MAX = 4096;

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/** Split into sign/number/fraction/suffix exactly like upstream's parseQuantityString. */
function split(str: string): { positive: boolean; num: string; denom: string; suffix: string } | null {
  let positive = true;
  let pos = 0;
  const end = str.length;
  if (str[0] === '-') {
    positive = false;
    pos++;
  } else if (str[0] === '+') {
    pos++;
  }
  while (pos < end && str[pos] === '0') pos++;
  let i = pos;
  while (i < end && str[i]! >= '0' && str[i]! <= '9') i++;
  const num = str.slice(pos, i) || '0';
  pos = i;
  let denom = '';
  if (pos < end && str[pos] === '.') {
    pos++;
    i = pos;
    while (i < end && str[i]! >= '0' && str[i]! <= '9') i++;
    denom = str.slice(pos, i);
    pos = i;
  }
  const suffixStart = pos;
  while (pos < end && 'eEinumkKMGTP'.includes(str[pos]!)) pos++;
  if (pos < end && (str[pos] === '-' || str[pos] === '+')) pos++;
  while (pos < end && str[pos]! >= '0' && str[pos]! <= '9') pos++;
  if (pos < end) return null;
  return { positive, num, denom, suffix: str.slice(suffixStart) };
}

/** An exact Kubernetes quantity. Immutable. */
export class Quantity {
  /** value = unscaled × 10^scale */
  readonly unscaled: bigint;
  readonly scale: number;
  readonly format: QuantityFormat;

  constructor(unscaled: bigint, scale: number, format: QuantityFormat) {
    this.unscaled = unscaled;
    this.scale = scale;
    this.format = format;
  }

  /** Parse a quantity string (or a JSON number, which upstream also accepts). Throws QuantityParseError.
   *  Quantities are immutable, so one string's Quantity is remembered and shared (PARSED). */
  static parse(input: string | number): Quantity {
    if (typeof input === 'string') {
      const known = PARSED.get(input);
      if (known !== undefined) return known;
      const q = Quantity.parseString(input);
      if (PARSED.size >= PARSED_MAX) PARSED.clear();
      PARSED.set(input, q);
      return q;
    }
    return Quantity.parseString(numberToString(input));
  }

  private static parseString(str: string): Quantity {
    if (str.length === 0) throw new QuantityParseError(str, QUANTITY_FORMAT_ERROR);
    if (str === '0') return new Quantity(0n, 0, 'DecimalSI');
    const parts = split(str);
    if (!parts) throw new QuantityParseError(str, QUANTITY_FORMAT_ERROR);
    const { positive, num, denom, suffix } = parts;
    let format: QuantityFormat;
    let base: 2 | 10;
    let exponent: number;
    if (suffix in DECIMAL_SUFFIXES) {
      format = 'DecimalSI';
      base = 10;
      exponent = DECIMAL_SUFFIXES[suffix]!;
    } else if (suffix in BINARY_SUFFIXES) {
      format = 'BinarySI';
      base = 2;
      exponent = BINARY_SUFFIXES[suffix]!;
    } else if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E') && /^[-+]?[0-9]+$/.test(suffix.slice(1))) {
      format = 'DecimalExponent';
      base = 10;
      exponent = Number.parseInt(suffix.slice(1), 10);
    } else {
      throw new QuantityParseError(str, SUFFIX_ERROR);
    }
    if (!/^[0-9]*$/.test(num + denom)) throw new QuantityParseError(str, NUMERIC_ERROR);
    let unscaled = BigInt(num + denom);
    let scale = -denom.length;
    if (base === 10) scale += exponent;
    else unscaled *= 1n << BigInt(exponent);
    // Round up (away from zero) to nano precision.
    if (scale < NANO) {
      const div = pow10(NANO - scale);
      const q = unscaled / div;
      unscaled = unscaled % div === 0n ? q : q + 1n;
      scale = NANO;
    }
    if (format === 'BinarySI') {
      if (cmpRaw(unscaled, scale, MAX_INT64, 0) > 0) {
        unscaled = MAX_INT64;
        scale = 0;
      }
      if (unscaled !== 0n && cmpRaw(unscaled, scale, 1n, 0) < 0) format = 'DecimalSI';
    }
    return new Quantity(positive ? unscaled : -unscaled, scale, format);
  }

  /** Like parse, but returns undefined on bad input. */
  static tryParse(input: unknown): Quantity | undefined {
    if (typeof input !== 'string' && typeof input !== 'number') return undefined;
    try {
      return Quantity.parse(input);
    } catch {
      return undefined;
    }
  }

  static fromNumber(n: number, format: QuantityFormat = 'DecimalSI'): Quantity {
    const q = Quantity.parse(numberToString(n));
    return new Quantity(q.unscaled, q.scale, format);
  }

  isZero(): boolean {
    return this.unscaled === 0n;
  }

  sign(): -1 | 0 | 1 {
    return this.unscaled === 0n ? 0 : this.unscaled < 0n ? -1 : 1;
  }

  /** -1, 0 or 1 as this is less than, equal to or greater than other. */
  cmp(other: Quantity): -1 | 0 | 1 {
    return cmpRaw(this.unscaled, this.scale, other.unscaled, other.scale);
  }

  add(other: Quantity): Quantity {
    const s = Math.min(this.scale, other.scale);
    const v = this.unscaled * pow10(this.scale - s) + other.unscaled * pow10(other.scale - s);
    return new Quantity(v, s, this.format);
  }

  sub(other: Quantity): Quantity {
    return this.add(new Quantity(-other.unscaled, other.scale, other.format));
  }

  /** The value rounded up (away from zero) to `scale` (e.g. -3 for milli), as upstream's RoundUp. */
  roundUp(scale: number): Quantity {
    if (this.scale >= scale) return this;
    const div = pow10(scale - this.scale);
    const neg = this.unscaled < 0n;
    const abs = neg ? -this.unscaled : this.unscaled;
    const q = abs / div + (abs % div === 0n ? 0n : 1n);
    return new Quantity(neg ? -q : q, scale, this.format);
  }

  /** Integer value, rounded up as upstream's Value(). */
  value(): number {
    return Number(this.scaledInt(0));
  }

  /** Value × 1000, rounded up as upstream's MilliValue(). */
  milliValue(): number {
    return Number(this.scaledInt(-3));
  }

  /** The value as a JS number (may lose precision for huge or very fine values). */
  toNumber(): number {
    return Number(this.unscaled) * 10 ** this.scale;
  }

  private scaledInt(scale: number): bigint {
    const r = this.roundUp(scale);
    return r.unscaled * pow10(r.scale - scale);
  }

  /** Upstream's canonical string form (computed once per Quantity). */
  toString(): string {
    return (this.#text ??= this.format_());
  }

  #text: string | undefined;

  private format_(): string {
    if (this.unscaled === 0n) return '0';
    let format = this.format;
    if (format === 'BinarySI') {
      const inSmallRange = cmpRaw(this.unscaled, this.scale, -1024n, 0) > 0 && cmpRaw(this.unscaled, this.scale, 1024n, 0) < 0;
      if (inSmallRange || !this.isInteger()) format = 'DecimalSI';
    }
    if (format === 'BinarySI') {
      let v = this.scale >= 0 ? this.unscaled * pow10(this.scale) : this.unscaled / pow10(-this.scale);
      let exp = 0;
      while (v !== 0n && v % 1024n === 0n) {
        v /= 1024n;
        exp += 10;
      }
      const suffix = exp === 0 ? '' : BINARY_BY_EXP.get(exp);
      if (suffix !== undefined) return `${v}${suffix}`;
      return `${v * (1n << BigInt(exp - 60))}Ei`;
    }
    // Decimal: strip factors of ten into the exponent, then bring it down to a multiple of 3.
    let m = this.unscaled;
    let exp = this.scale;
    while (m % 10n === 0n) {
      m /= 10n;
      exp++;
    }
    while (exp % 3 !== 0) {
      m *= 10n;
      exp--;
    }
    if (format === 'DecimalExponent') return exp === 0 ? `${m}` : `${m}e${exp}`;
    const suffix = DECIMAL_BY_EXP.get(exp);
    return suffix !== undefined ? `${m}${suffix}` : `${m}e${exp}`;
  }

  toJSON(): string {
    return this.toString();
  }

  private isInteger(): boolean {
    if (this.scale >= 0) return true;
    return this.unscaled % pow10(-this.scale) === 0n;
  }
}

function cmpRaw(a: bigint, as: number, b: bigint, bs: number): -1 | 0 | 1 {
  const s = Math.min(as, bs);
  const x = a * pow10(as - s);
  const y = b * pow10(bs - s);
  return x < y ? -1 : x > y ? 1 : 0;
}

function numberToString(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  // Avoid JS exponent notation ("1e+21", "1e-7") where possible: print plain decimals.
  const s = String(n);
  if (!/e/i.test(s)) return s;
  const [mant, e] = s.split(/e/i) as [string, string];
  return `${mant}e${Number.parseInt(e, 10)}`;
}

// ---- convenience functions ----

export function parseQuantity(s: string | number): Quantity {
  return Quantity.parse(s);
}

/** Compare two quantity strings; throws QuantityParseError on bad input. */
export function compareQuantities(a: string | number, b: string | number): -1 | 0 | 1 {
  return Quantity.parse(a).cmp(Quantity.parse(b));
}

/** Canonical form of a quantity string ("1024Mi" → "1Gi"); throws QuantityParseError on bad input. */
export function canonicalQuantity(s: string | number): string {
  return Quantity.parse(s).toString();
}

/** Canonical string of a quantity (a Quantity, a quantity string or a plain number). */
export function formatQuantity(q: Quantity | string | number): string {
  return (q instanceof Quantity ? q : Quantity.parse(q)).toString();
}
