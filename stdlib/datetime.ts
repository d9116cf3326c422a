/**
 * Cedar's `datetime` extension type: an instant as a signed 64-bit count of
 * milliseconds since 1970-01-01T00:00:00Z (proleptic Gregorian calendar).
 *
 * Accepted forms (Cedar 4.x), nothing else — no lowercase `t`/`z`, no
 * missing seconds, no 1- or 2-digit fractions:
 *   `YYYY-MM-DD`
 *   `YYYY-MM-DDThh:mm:ssZ`            `YYYY-MM-DDThh:mm:ss.SSSZ`
 *   `YYYY-MM-DDThh:mm:ss±hhmm`        `YYYY-MM-DDThh:mm:ss.SSS±hhmm`
 * with a real calendar date (leap years checked), hh < 24, mm < 60, ss < 60,
 * and an offset with hh < 24, mm < 60. The offset is subtracted to get UTC.
 *
 * Methods: `offset(duration)`, `durationSince(datetime)`, `toDate()`,
 * `toTime()`; results outside the 64-bit range are errors (W4005). The
 * operators `<`, `<=`, `>`, `>=` compare datetimes (see builtins).
 */
import { extensionError, inI64, typeError } from "./arith.js";
import { Duration, MS_PER_DAY } from "./duration.js";
import type { ExtensionValue, Value } from "./value.js";

/** A Cedar datetime value. Immutable. */
export class Datetime implements ExtensionValue {
  readonly extension = "datetime" as const;
  /** @param ms milliseconds since the Unix epoch; INVARIANT: inside the signed 64-bit range. */
  constructor(readonly ms: bigint) {}

  /** Parse Cedar datetime syntax; throws EvalError W4005 on invalid input. */
  static parse(text: string): Datetime {
    const r = parseDatetime(text);
    if (typeof r === "string") extensionError("datetime", r);
    return r;
  }

  /** Parse, returning undefined instead of throwing. */
  static tryParse(text: string): Datetime | undefined {
    const r = parseDatetime(text);
    return typeof r === "string" ? undefined : r;
  }

  /** Cedar `==`: the same instant (offsets are normalised away). */
  equals(other: Value): boolean {
    return other instanceof Datetime && other.ms === this.ms;
  }

  /** Canonical key: equal values have equal keys. */
  key(): string {
    return `datetime:${this.ms}`;
  }

  /**
   * Canonical text `YYYY-MM-DDThh:mm:ss.SSSZ` when the year is 0000–9999,
   * otherwise undefined (Cedar has no literal for such instants; they only
   * arise through `offset`).
   */
  text(): string | undefined {
    const days = floorDiv(this.ms, MS_PER_DAY);
    const rem = this.ms - days * MS_PER_DAY;
    const { y, m, d } = civilFromDays(days);
    if (y < 0n || y > 9999n) return undefined;
    const ms = Number(rem);
    const p = (n: number | bigint, w: number) => n.toString().padStart(w, "0");
    const time = `${p(Math.floor(ms / 3_600_000), 2)}:${p(Math.floor(ms / 60_000) % 60, 2)}:${p(Math.floor(ms / 1000) % 60, 2)}.${p(ms % 1000, 3)}`;
    return `${p(y, 4)}-${p(m, 2)}-${p(d, 2)}T${time}Z`;
  }

  /** Cedar expression form: `datetime("…")`, or an epoch offset outside years 0–9999. */
  toString(): string {
    const t = this.text();
    if (t !== undefined) return `datetime(${JSON.stringify(t)})`;
    return `datetime("1970-01-01").offset(duration(${JSON.stringify(new Duration(this.ms).text())}))`;
  }

  /** Three-way comparison: negative, zero or positive. */
  compare(other: Datetime): number {
    return this.ms < other.ms ? -1 : this.ms > other.ms ? 1 : 0;
  }

  /** This instant moved by `d`; W4005 on overflow. */
  offset(d: Duration): Datetime {
    const r = this.ms + d.ms;
    if (!inI64(r)) extensionError("offset", "overflow when adding a duration to a datetime");
    return new Datetime(r);
  }

  /** `this − other` as a duration; W4005 on overflow. */
  durationSince(other: Datetime): Duration {
    const r = this.ms - other.ms;
    if (!inI64(r)) extensionError("durationSince", "overflow when subtracting datetimes");
    return new Duration(r);
  }

  /** Midnight (UTC) of this instant's day, rounding toward −∞; W4005 on overflow. */
  toDate(): Datetime {
    const r = floorDiv(this.ms, MS_PER_DAY) * MS_PER_DAY;
    if (!inI64(r)) extensionError("toDate", "overflow when computing the date");
    return new Datetime(r);
  }

  /** Time since midnight (UTC) of this instant's day: always in [0, 1 day). */
  toTime(): Duration {
    return new Duration(this.ms - floorDiv(this.ms, MS_PER_DAY) * MS_PER_DAY);
  }
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (any year). */
export function daysFromCivil(y: number, m: number, d: number): bigint {
  const yy = BigInt(m <= 2 ? y - 1 : y);
  const era = floorDiv(yy, 400n);
  const yoe = yy - era * 400n;
  const mp = BigInt((m + 9) % 12);
  const doy = (153n * mp + 2n) / 5n + BigInt(d - 1);
  const doe = yoe * 365n + yoe / 4n - yoe / 100n + doy;
  return era * 146097n + doe - 719468n;
}

/** The proleptic Gregorian date of a day count since 1970-01-01. */
export function civilFromDays(days: bigint): { y: bigint; m: number; d: number } {
  const z = days + 719468n;
  const era = floorDiv(z, 146097n);
  const doe = z - era * 146097n;
  const yoe = (doe - doe / 1460n + doe / 36524n - doe / 146096n) / 365n;
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n);
  const mp = (5n * doy + 2n) / 153n;
  const d = Number(doy - (153n * mp + 2n) / 5n + 1n);
  const m = Number(mp < 10n ? mp + 3n : mp - 9n);
  const y = yoe + era * 400n + (m <= 2 ? 1n : 0n);
  return { y, m, d };
}

/** Is `y` a Gregorian leap year? */
export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Read `n` ASCII digits at `at`, or −1. */
function digitsAt(s: string, at: number, n: number): number {
  if (at + n > s.length) return -1;
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

/** Parse Cedar datetime syntax into a Datetime, or return an error message. */
export function parseDatetime(text: string): Datetime | string {
  const y = digitsAt(text, 0, 4);
  const mo = digitsAt(text, 5, 2);
  const d = digitsAt(text, 8, 2);
  if (y < 0 || mo < 0 || d < 0 || text[4] !== "-" || text[7] !== "-") return `invalid date pattern: \`${text}\``;
  if (mo < 1 || mo > 12 || d < 1 || d > (mo === 2 && isLeapYear(y) ? 29 : MONTH_DAYS[mo - 1]!)) {
    return `invalid date: ${text.slice(0, 10)}`;
  }
  const dayMs = daysFromCivil(y, mo, d) * MS_PER_DAY;
  if (text.length === 10) return new Datetime(dayMs);
  const hh = digitsAt(text, 11, 2);
  const mi = digitsAt(text, 14, 2);
  const ss = digitsAt(text, 17, 2);
  if (text[10] !== "T" || hh < 0 || mi < 0 || ss < 0 || text[13] !== ":" || text[16] !== ":") {
    return `invalid hour/minute/second pattern: \`${text}\``;
  }
  if (hh > 23 || mi > 59 || ss > 59) return `invalid hour/minute/second: ${text.slice(11, 19)}`;
  let i = 19;
  let millis = 0;
  if (text[i] === ".") {
    millis = digitsAt(text, i + 1, 3);
    if (millis < 0) return `invalid millisecond and/or offset pattern: \`${text}\``;
    i += 4;
  }
  let offsetMin = 0;
  if (text[i] === "Z" && i + 1 === text.length) {
    // UTC
  } else if ((text[i] === "+" || text[i] === "-") && i + 5 === text.length) {
    const oh = digitsAt(text, i + 1, 2);
    const om = digitsAt(text, i + 3, 2);
    if (oh < 0 || om < 0) return `invalid millisecond and/or offset pattern: \`${text}\``;
    if (oh > 23 || om > 59) return `invalid offset range: ${text.slice(i)}`;
    offsetMin = (oh * 60 + om) * (text[i] === "-" ? -1 : 1);
  } else {
    return `invalid millisecond and/or offset pattern: \`${text}\``;
  }
  const local = dayMs + BigInt(((hh * 60 + mi) * 60 + ss) * 1000 + millis);
  return new Datetime(local - BigInt(offsetMin) * 60_000n);
}

/** The argument as a Datetime, or a type error (W4002). */
export function asDatetime(v: Value): Datetime {
  return v instanceof Datetime ? v : typeError("datetime", v);
}
