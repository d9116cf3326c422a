/**
 * Cedar's `decimal` extension type: fixed-point numbers with exactly four
 * fractional digits, backed by a signed 64-bit integer (the value × 10⁴).
 *
 * Parsing follows Cedar exactly: an optional `-`, one or more ASCII digits,
 * a `.`, then one to four ASCII digits; nothing else (no `+`, no spaces, no
 * exponent). A value outside the 64-bit range is an error. Decimals have no
 * `<`/`>` operators in Cedar 4.x; they compare through the methods
 * `lessThan`, `lessThanOrEqual`, `greaterThan`, `greaterThanOrEqual`.
 */
import { extensionError, inI64, typeError } from "./arith.js";
import type { ExtensionValue, Value } from "./value.js";

const SCALE = 10000n;

/** A Cedar decimal value. Immutable. */
export class Decimal implements ExtensionValue {
  readonly extension = "decimal" as const;
  /**
   * @param scaled the value × 10⁴; INVARIANT: inside the signed 64-bit range.
   */
  constructor(readonly scaled: bigint) {}

  /** Parse Cedar decimal syntax; throws EvalError W4005 on malformed or out-of-range input. */
  static parse(text: string): Decimal {
    const r = parseDecimal(text);
    if (typeof r === "string") extensionError("decimal", r);
    return r;
  }

  /** Parse, returning undefined instead of throwing. */
  static tryParse(text: string): Decimal | undefined {
    const r = parseDecimal(text);
    return typeof r === "string" ? undefined : r;
  }

  /** Cedar `==`: another decimal with the same value. */
  equals(other: Value): boolean {
    return other instanceof Decimal && other.scaled === this.scaled;
  }

  /** Canonical key: equal decimals have equal keys. */
  key(): string {
    return `decimal:${this.scaled}`;
  }

  /** The canonical literal text, always with four fractional digits: `-1.2300`. */
  text(): string {
    const neg = this.scaled < 0n;
    const abs = neg ? -this.scaled : this.scaled;
    const int = abs / SCALE;
    const frac = (abs % SCALE).toString().padStart(4, "0");
    return `${neg ? "-" : ""}${int}.${frac}`;
  }

  /** Cedar literal form, e.g. `decimal("1.2300")`. */
  toString(): string {
    return `decimal(${JSON.stringify(this.text())})`;
  }

  /** Three-way comparison: negative, zero or positive. */
  compare(other: Decimal): number {
    return this.scaled < other.scaled ? -1 : this.scaled > other.scaled ? 1 : 0;
  }

  /** Cedar `lessThan`. */
  lessThan(other: Decimal): boolean {
    return this.scaled < other.scaled;
  }

  /** Cedar `lessThanOrEqual`. */
  lessThanOrEqual(other: Decimal): boolean {
    return this.scaled <= other.scaled;
  }

  /** Cedar `greaterThan`. */
  greaterThan(other: Decimal): boolean {
    return this.scaled > other.scaled;
  }

  /** Cedar `greaterThanOrEqual`. */
  greaterThanOrEqual(other: Decimal): boolean {
    return this.scaled >= other.scaled;
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Parse Cedar decimal syntax into a Decimal, or return an error message. */
export function parseDecimal(text: string): Decimal | string {
  const malformed = `\`${text}\` is not a well-formed decimal value`;
  let i = 0;
  const neg = text.charCodeAt(0) === 45; /* - */
  if (neg) i = 1;
  const intStart = i;
  while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  if (i === intStart || text.charCodeAt(i) !== 46 /* . */) return malformed;
  const intEnd = i;
  i++;
  const fracStart = i;
  while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  if (i !== text.length || i === fracStart) return malformed;
  const fracDigits = i - fracStart;
  if (fracDigits > 4) return `too many digits after the decimal in \`${text}\``;
  const int = BigInt(text.slice(intStart, intEnd));
  const frac = BigInt(text.slice(fracStart).padEnd(4, "0"));
  const magnitude = int * SCALE + frac;
  const scaled = neg ? -magnitude : magnitude;
  if (!inI64(scaled)) return "overflow when converting to decimal";
  return new Decimal(scaled);
}

/** The argument as a Decimal, or a type error (W4002). */
export function asDecimal(v: Value): Decimal {
  return v instanceof Decimal ? v : typeError("decimal", v);
}
