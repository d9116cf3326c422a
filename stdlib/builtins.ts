/**
 * The one table of builtins: every function or method callable in a policy,
 * declared once with its signature, implementation, one-line doc and example.
 * The checker reads the signatures, the code generator the implementations,
 * the docs generator `BUILTIN_DOCS`, and the tests the examples.
 *
 * Calling convention: `impl` receives the arguments positionally; for a
 * method the receiver comes first (`x.isInRange(r)` → `impl(x, r)`).
 * Implementations check their argument types at run time (Cedar evaluates
 * unvalidated policies too) and throw `EvalError` values: W4002 for a type
 * error, W4005 for an extension function error, W4004/W4006 for tags.
 *
 * Context: builtins that need the entity store (`hasTag`, `getTag`) are marked
 * `context: "entities"`; their `impl` takes the `Entities` store as an extra
 * FIRST argument (`impl(entities, receiver, key)`). All others are
 * `context: "pure"`. Switch on `context` to call them.
 *
 * Operators are not calls and are not in `BUILTINS`, except for the ordering
 * operators' extension overloads, described by `ORDER_OVERLOADS` and
 * implemented by `compareOrdered`.
 */
import { asString, typeError } from "./arith.js";
import { Datetime, asDatetime } from "./datetime.js";
import { Decimal, asDecimal } from "./decimal.js";
import { Duration, asDuration } from "./duration.js";
import type { Entities } from "./entities.js";
import { IpAddr, asIpAddr } from "./ipaddr.js";
import { EntityUID, EvalError, SetValue, type Value } from "./value.js";

/** A parameter or result type as the checker sees it ("Any": decided by the checker, e.g. a tag's type). */
export type TypeSig = "Bool" | "Long" | "String" | "decimal" | "ipaddr" | "datetime" | "duration" | "Entity" | "Set" | "Any";

/** Which family a builtin belongs to; the first four are Cedar extension functions. */
export type BuiltinGroup = "decimal" | "ipaddr" | "datetime" | "duration" | "set" | "tag";

interface BuiltinCommon {
  readonly name: string;
  /** `constructor`: called as `name(args)`; `method`: called as `receiver.name(args)`. */
  readonly kind: "constructor" | "method";
  /** Receiver type of a method; absent for constructors. */
  readonly receiver?: TypeSig;
  /** Parameter types, not counting the receiver. */
  readonly params: readonly TypeSig[];
  readonly returns: TypeSig;
  readonly group: BuiltinGroup;
  /** One-line description. */
  readonly doc: string;
  /** A Cedar expression using the builtin that evaluates to `true`. */
  readonly example: string;
}

/** A builtin that needs nothing but its arguments. */
export interface PureBuiltin extends BuiltinCommon {
  readonly context: "pure";
  readonly impl: (...args: Value[]) => Value;
}

/** A builtin that also reads the entity store, passed as the first argument. */
export interface EntityBuiltin extends BuiltinCommon {
  readonly context: "entities";
  readonly impl: (entities: Entities, ...args: Value[]) => Value;
}

/** One builtin. */
export type Builtin = PureBuiltin | EntityBuiltin;

function asSet(v: Value): SetValue {
  return v instanceof SetValue ? v : typeError("set", v);
}

function asEntity(v: Value): EntityUID {
  return v instanceof EntityUID ? v : typeError("entity", v);
}

function ctor(name: string, returns: TypeSig, impl: (s: string) => Value, doc: string, example: string): PureBuiltin {
  return { name, kind: "constructor", params: ["String"], returns, group: returns as BuiltinGroup, context: "pure", impl: (s: Value) => impl(asString(s)), doc, example };
}

function method(
  group: BuiltinGroup,
  receiver: TypeSig,
  name: string,
  params: readonly TypeSig[],
  returns: TypeSig,
  impl: (...args: Value[]) => Value,
  doc: string,
  example: string,
): PureBuiltin {
  return { name, kind: "method", receiver, params, returns, group, context: "pure", impl, doc, example };
}

function getTag(entities: Entities, e: Value, k: Value): Value {
  const uid = asEntity(e);
  const key = asString(k);
  const tags = entities.tags(uid);
  if (tags === undefined) throw new EvalError("W4004", `entity \`${uid.key}\` does not exist`);
  const v = tags.get(key);
  if (v === undefined) throw new EvalError("W4006", `\`${uid.key}\` does not have the tag \`${key}\``);
  return v;
}

function hasTag(entities: Entities, e: Value, k: Value): Value {
  const uid = asEntity(e);
  const key = asString(k);
  return entities.tags(uid)?.has(key) ?? false;
}

/** Every builtin, each declared once. */
export const BUILTINS: readonly Builtin[] = [
  // --- constructors ---
  ctor("decimal", "decimal", Decimal.parse, "A fixed-point decimal with up to 4 fractional digits, in the signed 64-bit range.", 'decimal("1.23") == decimal("1.2300")'),
  ctor("ip", "ipaddr", IpAddr.parse, "An IPv4 or IPv6 address or CIDR range.", 'ip("192.168.1.0/24").isInRange(ip("192.168.0.0/16"))'),
  ctor("datetime", "datetime", Datetime.parse, "An instant: `YYYY-MM-DD`, optionally `Thh:mm:ss`, optional `.SSS`, then `Z` or `±hhmm`.", 'datetime("2024-10-15T11:35:00+0100") == datetime("2024-10-15T10:35:00Z")'),
  ctor("duration", "duration", Duration.parse, "A signed span of time in units d, h, m, s, ms, in that order: `1d2h3m4s5ms`.", 'duration("1h30m") == duration("90m")'),
  // --- decimal ---
  method("decimal", "decimal", "lessThan", ["decimal"], "Bool", (a, b) => asDecimal(a).lessThan(asDecimal(b)), "Is the receiver less than the argument?", 'decimal("1.23").lessThan(decimal("1.24"))'),
  method("decimal", "decimal", "lessThanOrEqual", ["decimal"], "Bool", (a, b) => asDecimal(a).lessThanOrEqual(asDecimal(b)), "Is the receiver less than or equal to the argument?", 'decimal("1.23").lessThanOrEqual(decimal("1.2300"))'),
  method("decimal", "decimal", "greaterThan", ["decimal"], "Bool", (a, b) => asDecimal(a).greaterThan(asDecimal(b)), "Is the receiver greater than the argument?", 'decimal("-0.5").greaterThan(decimal("-1.0"))'),
  method("decimal", "decimal", "greaterThanOrEqual", ["decimal"], "Bool", (a, b) => asDecimal(a).greaterThanOrEqual(asDecimal(b)), "Is the receiver greater than or equal to the argument?", 'decimal("2.0").greaterThanOrEqual(decimal("1.9999"))'),
  // --- ipaddr ---
  method("ipaddr", "ipaddr", "isIpv4", [], "Bool", (a) => asIpAddr(a).isIpv4(), "Is this an IPv4 address or range?", 'ip("127.0.0.1").isIpv4()'),
  method("ipaddr", "ipaddr", "isIpv6", [], "Bool", (a) => asIpAddr(a).isIpv6(), "Is this an IPv6 address or range?", 'ip("::1").isIpv6()'),
  method("ipaddr", "ipaddr", "isLoopback", [], "Bool", (a) => asIpAddr(a).isLoopback(), "Is the whole range inside 127.0.0.0/8 or ::1?", 'ip("127.0.0.1").isLoopback()'),
  method("ipaddr", "ipaddr", "isMulticast", [], "Bool", (a) => asIpAddr(a).isMulticast(), "Is the whole range inside 224.0.0.0/4 or ff00::/8?", 'ip("ff02::1").isMulticast()'),
  method("ipaddr", "ipaddr", "isInRange", ["ipaddr"], "Bool", (a, b) => asIpAddr(a).isInRange(asIpAddr(b)), "Is the receiver's range inside the argument's range (same IP version)?", 'ip("10.1.2.3").isInRange(ip("10.0.0.0/8"))'),
  // --- datetime ---
  method("datetime", "datetime", "offset", ["duration"], "datetime", (a, b) => asDatetime(a).offset(asDuration(b)), "The instant moved by a duration (error on overflow).", 'datetime("2024-10-15").offset(duration("1d")) == datetime("2024-10-16")'),
  method("datetime", "datetime", "durationSince", ["datetime"], "duration", (a, b) => asDatetime(a).durationSince(asDatetime(b)), "The duration from the argument to the receiver (error on overflow).", 'datetime("2024-10-16").durationSince(datetime("2024-10-15")) == duration("24h")'),
  method("datetime", "datetime", "toDate", [], "datetime", (a) => asDatetime(a).toDate(), "Midnight UTC of the instant's day.", 'datetime("2024-10-15T11:35:00Z").toDate() == datetime("2024-10-15")'),
  method("datetime", "datetime", "toTime", [], "duration", (a) => asDatetime(a).toTime(), "The time elapsed since midnight UTC of the instant's day.", 'datetime("2024-10-15T11:35:00Z").toTime() == duration("11h35m")'),
  // --- duration ---
  method("duration", "duration", "toMilliseconds", [], "Long", (a) => asDuration(a).toMilliseconds(), "Total milliseconds.", 'duration("1s5ms").toMilliseconds() == 1005'),
  method("duration", "duration", "toSeconds", [], "Long", (a) => asDuration(a).toSeconds(), "Total whole seconds, truncated toward zero.", 'duration("1m30s").toSeconds() == 90'),
  method("duration", "duration", "toMinutes", [], "Long", (a) => asDuration(a).toMinutes(), "Total whole minutes, truncated toward zero.", 'duration("2h5m").toMinutes() == 125'),
  method("duration", "duration", "toHours", [], "Long", (a) => asDuration(a).toHours(), "Total whole hours, truncated toward zero.", 'duration("-90m").toHours() == -1'),
  method("duration", "duration", "toDays", [], "Long", (a) => asDuration(a).toDays(), "Total whole days, truncated toward zero.", 'duration("50h").toDays() == 2'),
  // --- sets ---
  method("set", "Set", "contains", ["Any"], "Bool", (s, x) => asSet(s).has(x), "Is the argument an element of the set?", "[1, 2, 3].contains(2)"),
  method("set", "Set", "containsAll", ["Set"], "Bool", (s, t) => { const a = asSet(s); return asSet(t).elements.every((x) => a.has(x)); }, "Is every element of the argument in the set?", "[1, 2, 3].containsAll([1, 3])"),
  method("set", "Set", "containsAny", ["Set"], "Bool", (s, t) => { const a = asSet(s); return asSet(t).elements.some((x) => a.has(x)); }, "Is some element of the argument in the set?", "[1, 2, 3].containsAny([3, 4])"),
  method("set", "Set", "isEmpty", [], "Bool", (s) => asSet(s).size === 0, "Has the set no elements?", "[].isEmpty()"),
  // --- tags ---
  { name: "hasTag", kind: "method", receiver: "Entity", params: ["String"], returns: "Bool", group: "tag", context: "entities", impl: hasTag, doc: "Does the entity have this tag? (false for an entity missing from the store)", example: 'principal.hasTag("team") || !principal.hasTag("team")' },
  { name: "getTag", kind: "method", receiver: "Entity", params: ["String"], returns: "Any", group: "tag", context: "entities", impl: getTag, doc: "The value of the entity's tag; an error when the entity or the tag does not exist.", example: 'principal.hasTag("team") && principal.getTag("team") == "red" || true' },
];

const METHODS = new Map<string, Builtin>();
const CONSTRUCTORS = new Map<string, Builtin>();
for (const b of BUILTINS) {
  const m = b.kind === "method" ? METHODS : CONSTRUCTORS;
  if (m.has(b.name)) throw new Error(`INVARIANT: builtin ${b.name} declared twice`);
  m.set(b.name, b);
}

/** The method called `name` (`x.name(…)`), or undefined. Method names are not overloaded in Cedar. */
export function builtinMethod(name: string): Builtin | undefined {
  return METHODS.get(name);
}

/** The function called `name` (`name(…)`), or undefined. */
export function builtinConstructor(name: string): Builtin | undefined {
  return CONSTRUCTORS.get(name);
}

/** Is this builtin a Cedar extension function (usable in JSON `__extn`)? */
export function isExtensionFunction(b: Builtin): boolean {
  return b.group === "decimal" || b.group === "ipaddr" || b.group === "datetime" || b.group === "duration";
}

/** Extension types whose values `<`, `<=`, `>`, `>=` compare, besides Long (Cedar 4.x: datetime and duration, not decimal). */
export const ORDER_OVERLOADS: readonly TypeSig[] = ["Long", "datetime", "duration"];

/**
 * Three-way comparison behind `<`, `<=`, `>`, `>=`: both operands Long, both
 * datetime or both duration. Anything else is a type error (W4002).
 */
export function compareOrdered(a: Value, b: Value): number {
  if (typeof a === "bigint") {
    if (typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
    return typeError("Long", b);
  }
  if (a instanceof Datetime) return a.compare(b instanceof Datetime ? b : typeError("datetime", b));
  if (a instanceof Duration) return a.compare(b instanceof Duration ? b : typeError("duration", b));
  return typeError("one of [Long, datetime, duration]", a);
}

/** Documentation row for one builtin. */
export interface BuiltinDoc {
  readonly name: string;
  readonly group: BuiltinGroup;
  /** e.g. `decimal.lessThan(decimal) → Bool` or `ip(String) → ipaddr`. */
  readonly signature: string;
  readonly doc: string;
  readonly example: string;
}

/** Every builtin as a documentation row, in table order (for generated docs). */
export const BUILTIN_DOCS: readonly BuiltinDoc[] = BUILTINS.map((b) => ({
  name: b.name,
  group: b.group,
  signature: `${b.receiver === undefined ? "" : `${b.receiver}.`}${b.name}(${b.params.join(", ")}) → ${b.returns}`,
  doc: b.doc,
  example: b.example,
}));
