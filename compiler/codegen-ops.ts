/**
 * Runtime helpers shared by the generated closures: type checks that throw Cedar's type
 * errors, hierarchy membership, set methods, tag access, attribute access.
 *
 * Every helper is pure: it reads only its arguments (values and the entity store).
 * Errors are thrown as `EvalError` values carrying the span of the failing node.
 */
import type { Span } from "../lang/span.js";
import { EntityUID, EvalError, RecordValue, SetValue, typeNameOf, type Value } from "../stdlib/value.js";
import type { Entities, EntityRecord } from "../stdlib/index.js";

/** A type error: `expected` names the Cedar type wanted, `got` is the offending value. */
export function typeError(expected: string, got: Value, span: Span | undefined): EvalError {
  return new EvalError("W4002", `type error: expected ${expected}, got ${typeNameOf(got)}`, span);
}

/** Attach `span` to an `EvalError` that has none; other throwables pass through unchanged. */
export function locate(err: unknown, span: Span | undefined): unknown {
  if (err instanceof EvalError && err.span === undefined && span !== undefined) err.span = span;
  return err;
}

/** The value as a Bool, or a type error. */
export function asBool(v: Value, span: Span | undefined): boolean {
  if (typeof v !== "boolean") throw typeError("Bool", v, span);
  return v;
}

/** The value as a Long, or a type error. */
export function asLong(v: Value, span: Span | undefined): bigint {
  if (typeof v !== "bigint") throw typeError("Long", v, span);
  return v;
}

/** The value as a String, or a type error. */
export function asString(v: Value, span: Span | undefined): string {
  if (typeof v !== "string") throw typeError("String", v, span);
  return v;
}

/** The value as an entity uid, or a type error. */
export function asEntity(v: Value, span: Span | undefined): EntityUID {
  if (!(v instanceof EntityUID)) throw typeError("entity", v, span);
  return v;
}

/** The value as a Set, or a type error. */
export function asSet(v: Value, span: Span | undefined): SetValue {
  if (!(v instanceof SetValue)) throw typeError("Set", v, span);
  return v;
}

/** Cedar `in` for one ancestor candidate: `e in e` holds; a missing entity has no ancestors. */
export function entityIn(child: EntityUID, ancestor: EntityUID, es: Entities): boolean {
  return child.key === ancestor.key || es.isDescendant(child, ancestor);
}

/** Cedar `left in right` where right is an entity or a set of entities (else a type error). */
export function inValue(left: EntityUID, right: Value, es: Entities, span: Span | undefined): boolean {
  if (right instanceof EntityUID) return entityIn(left, right, es);
  if (right instanceof SetValue) {
    // Every element must be an entity (Cedar checks them all), then any match suffices.
    const els = right.elements;
    for (const x of els) if (!(x instanceof EntityUID)) throw typeError("entity", x, span);
    for (const x of els) if (entityIn(left, x as EntityUID, es)) return true;
    return false;
  }
  throw typeError("entity or set of entities", right, span);
}

/** `es.get(u)` (the store memoises lookups on the uid object itself). */
export function lookupEntity(es: Entities, u: EntityUID): EntityRecord | undefined {
  return es.get(u);
}

/** Cedar `has`: records and entities (a missing entity has no attributes). */
export function hasAttr(target: Value, attr: string, es: Entities, span: Span | undefined): boolean {
  if (target instanceof RecordValue) return target.fields.has(attr);
  if (target instanceof EntityUID) {
    const ent = lookupEntity(es, target);
    return ent !== undefined && ent.attrs.fields.has(attr);
  }
  throw typeError("entity or record", target, span);
}

/** Cedar attribute access on records and entities. */
export function getAttr(target: Value, attr: string, es: Entities, span: Span | undefined): Value {
  if (target instanceof RecordValue) {
    const v = target.fields.get(attr);
    if (v === undefined) throw new EvalError("W4001", `record does not have the attribute \`${attr}\``, span);
    return v;
  }
  if (target instanceof EntityUID) {
    const fields = es.attrFields(target);
    if (fields === undefined) throw new EvalError("W4004", `entity \`${target.key}\` does not exist`, span);
    const v = fields.get(attr);
    if (v === undefined) throw new EvalError("W4001", `\`${target.key}\` does not have the attribute \`${attr}\``, span);
    return v;
  }
  throw typeError("entity or record", target, span);
}

/** `entity.hasTag(tag)`: a missing entity has no tags. */
export function hasTag(target: Value, tag: Value, es: Entities, span: Span | undefined): boolean {
  const e = asEntity(target, span);
  const t = asString(tag, span);
  const ent = lookupEntity(es, e);
  return ent !== undefined && ent.tags.fields.has(t);
}

/** `entity.getTag(tag)`: errors when the entity or the tag is missing. */
export function getTag(target: Value, tag: Value, es: Entities, span: Span | undefined): Value {
  const e = asEntity(target, span);
  const t = asString(tag, span);
  const ent = lookupEntity(es, e);
  if (ent === undefined) throw new EvalError("W4004", `entity \`${e.key}\` does not exist`, span);
  const v = ent.tags.fields.get(t);
  if (v === undefined) throw new EvalError("W4006", `\`${e.key}\` does not have the tag \`${t}\``, span);
  return v;
}

/** `set.containsAll(other)`. */
export function containsAll(receiver: Value, arg: Value, span: Span | undefined): boolean {
  const s = asSet(receiver, span);
  const o = asSet(arg, span);
  const k = s.keyed();
  for (const key of o.keyed().keys()) if (!k.has(key)) return false;
  return true;
}

/** `set.containsAny(other)`. */
export function containsAny(receiver: Value, arg: Value, span: Span | undefined): boolean {
  const s = asSet(receiver, span);
  const o = asSet(arg, span);
  const k = s.keyed();
  for (const key of o.keyed().keys()) if (k.has(key)) return true;
  return false;
}

/** Whether a value has the stdlib table's type signature name. */
export function hasTypeSig(v: Value, sig: string): boolean {
  switch (sig) {
    case "Any":
      return true;
    case "Bool":
      return typeof v === "boolean";
    case "Long":
      return typeof v === "bigint";
    case "String":
      return typeof v === "string";
    case "Entity":
      return v instanceof EntityUID;
    case "Set":
      return v instanceof SetValue;
    case "Record":
      return v instanceof RecordValue;
    default:
      return typeof v === "object" && !(v instanceof EntityUID) && !(v instanceof SetValue) && !(v instanceof RecordValue) && v.extension === sig;
  }
}

/**
 * Ordering for `< <= > >=`: Long with Long, and (Cedar 4) datetime with datetime, duration
 * with duration. Anything else is a type error. Returns negative, zero or positive.
 */
export function compareValues(a: Value, b: Value, span: Span | undefined): number {
  if (typeof a === "bigint") {
    if (typeof b !== "bigint") throw typeError("Long", b, span);
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === "object" && !(a instanceof EntityUID) && !(a instanceof SetValue) && !(a instanceof RecordValue)) {
    if (a.extension === "datetime" || a.extension === "duration") {
      const cmp = (a as unknown as { compare?: (o: Value) => number }).compare;
      if (!hasTypeSig(b, a.extension)) throw typeError(a.extension, b, span);
      if (typeof cmp === "function") return cmp.call(a, b);
    }
  }
  throw typeError("Long", a, span);
}

/** `set.contains(v)`: a linear scan for small sets and primitive or entity values, else the keyed index. */
export function setContains(s: SetValue, v: Value): boolean {
  const els = s.elements;
  if (els.length <= 8) {
    if (v instanceof EntityUID) {
      const k = v.key;
      for (let i = 0; i < els.length; i++) {
        const x = els[i];
        if (x instanceof EntityUID && x.key === k) return true;
      }
      return false;
    }
    if (typeof v !== "object") {
      for (let i = 0; i < els.length; i++) if (els[i] === v) return true;
      return false;
    }
  }
  return s.has(v);
}
