/**
 * Cedar's `duration` extension type: a signed 64-bit count of milliseconds.
 *
 * Syntax (Cedar 4.x): an optional `-`, then at least one of the units
 * `d`, `h`, `m`, `s`, `ms`, each written at most once and in exactly that
 * order, each preceded by one or more ASCII digits: `1d2h3m4s5ms`, `-90m`.
 * The sign applies to every unit. A total outside the 64-bit range is an
 * error. The conversions `toDays()`, `toHours()`, … truncate toward zero.
 */
import { extensionError, inI64, typeError } from "./arith.js";
import type { ExtensionValue, Value } from "./value.js";

/** Milliseconds per unit, in the order the units must appear. */
const UNITS: readonly (readonly [string, bigint])[] = [
  ["d", 86_400_000n],
  ["h", 3_600_000n],
  ["m", 60_000n],
  ["s", 1_000n],
  ["ms", 1n],
];

/** Milliseconds in one day. */
export const MS_PER_DAY = 86_400_000n;

/** A Cedar duration value. Immutable. */
export class Duration implements ExtensionValue {
  readonly extension = "duration" as const;
  /** @param ms milliseconds; INVARIANT: inside the signed 64-bit range. */
  constructor(readonly ms: bigint) {}

  /** Parse Cedar duration syntax; throws EvalError W4005 on invalid input or overflow. */
  static parse(text: string): Duration {
    const r = parseDuration(text);
    if (typeof r === "string") extensionError("duration", r);
    return r;
  }

  /** Parse, returning undefined instead of throwing. */
  static tryParse(text: string): Duration | undefined {
    const r = parseDuration(text);
    return typeof r === "string" ? undefined : r;
  }

  /** Cedar `==`: same number of milliseconds. */
  equals(other: Value): boolean {
    return other instanceof Duration && other.ms === this.ms;
  }

  /** Canonical key: equal values have equal keys. */
  key(): string {
    return `duration:${this.ms}`;
  }

  /** Canonical text, largest units first: `1d2h3m4s5ms`, `-90000ms` → `-1m30s`, zero → `0ms`. */
  text(): string {
    if (this.ms === 0n) return "0ms";
    const neg = this.ms < 0n;
    let rest = neg ? -this.ms : this.ms;
    let out = neg ? "-" : "";
    for (const [unit, size] of UNITS) {
      const n = rest / size;
      rest %= size;
      if (n !== 0n) out += `${n}${unit}`;
    }
    return out;
  }

  /** Cedar literal form, e.g. `duration("1h30m")`. */
  toString(): string {
    return `duration(${JSON.stringify(this.text())})`;
  }

  /** Three-way comparison: negative, zero or positive. */
  compare(other: Duration): number {
    return this.ms < other.ms ? -1 : this.ms > other.ms ? 1 : 0;
  }

  /** Cedar `toMilliseconds`. */
  toMilliseconds(): bigint {
    return this.ms;
  }

  /** Cedar `toSeconds` (truncates toward zero). */
  toSeconds(): bigint {
    return this.ms / 1_000n;
  }

  /** Cedar `toMinutes` (truncates toward zero). */
  toMinutes(): bigint {
    return this.ms / 60_000n;
  }

  /** Cedar `toHours` (truncates toward zero). */
  toHours(): bigint {
    return this.ms / 3_600_000n;
  }

  /** Cedar `toDays` (truncates toward zero). */
  toDays(): bigint {
    return this.ms / MS_PER_DAY;
  }
}

/** Parse Cedar duration syntax into a Duration, or return an error message. */
export function parseDuration(text: string): Duration | string {
  const bad = `invalid duration pattern: \`${text}\``;
  let i = 0;
  const neg = text.charCodeAt(0) === 45; /* - */
  if (neg) i = 1;
  let total = 0n;
  let unitIndex = 0;
  let any = false;
  while (i < text.length) {
    const start = i;
    while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
    if (i === start) return bad;
    const digits = text.slice(start, i);
    // Longest unit first so that `ms` is not read as `m` followed by garbage.
    let unit: string;
    if (text.startsWith("ms", i)) unit = "ms";
    else if (i < text.length) unit = text[i]!;
    else return bad;
    let k = unitIndex;
    while (k < UNITS.length && UNITS[k]![0] !== unit) k++;
    if (k === UNITS.length) return bad;
    unitIndex = k + 1;
    i += unit.length;
    total += BigInt(digits) * UNITS[k]![1];
    any = true;
  }
  if (!any) return bad;
  const ms = neg ? -total : total;
  if (!inI64(ms)) return "duration overflows the 64-bit representation";
  return new Duration(ms);
}

/** The argument as a Duration, or a type error (W4002). */
export function asDuration(v: Value): Duration {
  return v instanceof Duration ? v : typeError("duration", v);
}
