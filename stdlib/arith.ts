/**
 * Checked 64-bit integer arithmetic, as in Cedar: every Long operation whose
 * exact result does not fit in a signed 64-bit integer is an evaluation error
 * (`W4003`), never a wrap-around and never a silent loss of precision.
 *
 * Longs are `bigint` values that are always inside [I64_MIN, I64_MAX]; these
 * functions keep that invariant.
 */
import { EvalError, I64_MAX, I64_MIN, typeNameOf, type Value } from "./value.js";

/** True when `n` fits in a signed 64-bit integer. */
export function inI64(n: bigint): boolean {
  return n >= I64_MIN && n <= I64_MAX;
}

function overflow(op: string, a: bigint, b?: bigint): never {
  const what = b === undefined ? `${op}${a}` : `${a} ${op} ${b}`;
  throw new EvalError("W4003", `integer overflow while evaluating \`${what}\``);
}

/** `a + b`, or EvalError W4003 when the sum leaves the 64-bit range. */
export function checkedAdd(a: bigint, b: bigint): bigint {
  const r = a + b;
  if (r > I64_MAX || r < I64_MIN) overflow("+", a, b);
  return r;
}

/** `a - b`, or EvalError W4003 when the difference leaves the 64-bit range. */
export function checkedSub(a: bigint, b: bigint): bigint {
  const r = a - b;
  if (r > I64_MAX || r < I64_MIN) overflow("-", a, b);
  return r;
}

/** `a * b`, or EvalError W4003 when the product leaves the 64-bit range. */
export function checkedMul(a: bigint, b: bigint): bigint {
  const r = a * b;
  if (r > I64_MAX || r < I64_MIN) overflow("*", a, b);
  return r;
}

/** `-a`, or EvalError W4003 for `-(-2^63)`. */
export function checkedNeg(a: bigint): bigint {
  if (a === I64_MIN) overflow("-", a);
  return -a;
}

/**
 * Parse a decimal integer literal made of ASCII digits only (no sign) into a
 * bigint, or undefined when `s` is empty or has another character. The value
 * is not range-checked.
 */
export function parseDigits(s: string): bigint | undefined {
  if (s.length === 0) return undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return BigInt(s);
}

/**
 * Throw Cedar's type error (`W4002`): `expected` names the wanted type(s),
 * `got` is the offending value.
 */
export function typeError(expected: string, got: Value): never {
  throw new EvalError("W4002", `type error: expected ${expected}, got ${typeNameOf(got)}`);
}

/** Throw an extension function error (`W4005`) for function `fn`. */
export function extensionError(fn: string, message: string): never {
  throw new EvalError("W4005", `error while evaluating \`${fn}\` extension function: ${message}`);
}

/** The argument as a Long, or a type error. */
export function asLong(v: Value): bigint {
  return typeof v === "bigint" ? v : typeError("Long", v);
}

/** The argument as a String, or a type error. */
export function asString(v: Value): string {
  return typeof v === "string" ? v : typeError("String", v);
}

/** The argument as a Bool, or a type error. */
export function asBool(v: Value): boolean {
  return typeof v === "boolean" ? v : typeError("Bool", v);
}
