/**
 * The validator's type language, with subtyping and least upper bound as in
 * Cedar's strict validation mode.
 *
 * Types are plain data (JSON-serializable): a schema that embeds them can be
 * shipped with a bundle and read back at runtime.
 *
 * NOTE: attribute maps are null-prototype objects so that an attribute named
 * `__proto__` is an ordinary key; always read them with `attrOf`.
 */
import { assertNever } from "../lang/span.js";

/** Names of the extension types. */
export type ExtensionName = "decimal" | "ipaddr" | "datetime" | "duration";

/** One attribute of a record type. */
export interface AttrType {
  readonly type: Type;
  readonly required: boolean;
}

/** A record type; `open` records may have attributes beyond `attrs`. */
export interface RecordType {
  readonly kind: "record";
  readonly attrs: Readonly<Record<string, AttrType>>;
  readonly open: boolean;
}

/**
 * A type. `bool` with `value` is the singleton type `True` or `False`; an
 * `entity` lists the possible entity types (sorted, non-empty); a `set` without
 * `element` is the type of the empty set literal.
 */
export type Type =
  | { readonly kind: "never" }
  | { readonly kind: "bool"; readonly value?: boolean }
  | { readonly kind: "long" }
  | { readonly kind: "string" }
  | { readonly kind: "entity"; readonly types: readonly string[] }
  | { readonly kind: "anyEntity" }
  | { readonly kind: "set"; readonly element?: Type }
  | RecordType
  | { readonly kind: "extension"; readonly name: ExtensionName };

/** The type `Bool`. */
export const BOOL: Type = { kind: "bool" };
/** The singleton type `True`. */
export const TRUE: Type = { kind: "bool", value: true };
/** The singleton type `False`. */
export const FALSE: Type = { kind: "bool", value: false };
/** The type `Long`. */
export const LONG: Type = { kind: "long" };
/** The type `String`. */
export const STRING: Type = { kind: "string" };

/** A fresh null-prototype dictionary. */
export function dict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** Own-property lookup in a dictionary (safe for `__proto__` and friends). */
export function lookup<T>(d: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(d, key) ? d[key] : undefined;
}

/** The attribute `name` of a record type, if declared. */
export function attrOf(r: RecordType, name: string): AttrType | undefined {
  return lookup(r.attrs, name);
}

/** Build a record type from entries. */
export function recordType(entries: Iterable<readonly [string, AttrType]>, open = false): RecordType {
  const attrs = dict<AttrType>();
  for (const [k, v] of entries) attrs[k] = v;
  return { kind: "record", attrs, open };
}

/** The empty closed record type. */
export function emptyRecord(): RecordType {
  return recordType([]);
}

/** An entity type over the given entity type names. */
export function entityType(...names: string[]): Type {
  return { kind: "entity", types: [...new Set(names)].sort() };
}

/** An extension type. */
export function extensionType(name: ExtensionName): Type {
  return { kind: "extension", name };
}

/** `Set<element>`. */
export function setType(element: Type | undefined): Type {
  return element === undefined ? { kind: "set" } : { kind: "set", element };
}

/** True for any boolean type (Bool, True or False). */
export function isBool(t: Type): boolean {
  return t.kind === "bool";
}

/** True for an entity type (known or any). */
export function isEntity(t: Type): boolean {
  return t.kind === "entity" || t.kind === "anyEntity";
}

function sameKeys(a: RecordType, b: RecordType): boolean {
  const ka = Object.keys(a.attrs);
  const kb = Object.keys(b.attrs);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => lookup(b.attrs, k) !== undefined);
}

/** Strict subtyping: `a <: b`. Records require the same attributes with the same qualifiers. */
export function isSubtype(a: Type, b: Type): boolean {
  if (a.kind === "never") return true;
  switch (b.kind) {
    case "never":
      return false;
    case "bool":
      if (a.kind !== "bool") return false;
      return b.value === undefined || a.value === b.value;
    case "long":
    case "string":
      return a.kind === b.kind;
    case "entity":
      return a.kind === "entity" && a.types.every((t) => b.types.includes(t));
    case "anyEntity":
      return a.kind === "entity" || a.kind === "anyEntity";
    case "set":
      if (a.kind !== "set") return false;
      if (a.element === undefined) return true;
      if (b.element === undefined) return false;
      return isSubtype(a.element, b.element);
    case "record": {
      if (a.kind !== "record") return false;
      if (!b.open && (a.open || !sameKeys(a, b))) return false;
      for (const [k, bt] of Object.entries(b.attrs)) {
        const at = attrOf(a, k);
        if (at === undefined) return false;
        if (at.required !== bt.required) return false;
        if (!isSubtype(at.type, bt.type)) return false;
      }
      return true;
    }
    case "extension":
      return a.kind === "extension" && a.name === b.name;
    default:
      return assertNever(b, "type");
  }
}

/**
 * Least upper bound in strict mode, or undefined when the types are incompatible
 * (different kinds, different entity types, records of different shapes).
 */
export function leastUpperBound(a: Type, b: Type): Type | undefined {
  if (isSubtype(a, b)) return b;
  if (isSubtype(b, a)) return a;
  if (a.kind === "bool" && b.kind === "bool") return BOOL;
  if (a.kind === "set" && b.kind === "set") {
    if (a.element === undefined || b.element === undefined) return undefined;
    const e = leastUpperBound(a.element, b.element);
    return e === undefined ? undefined : setType(e);
  }
  if (a.kind === "record" && b.kind === "record") {
    if (a.open || b.open || !sameKeys(a, b)) return undefined;
    const out: [string, AttrType][] = [];
    for (const [k, at] of Object.entries(a.attrs)) {
      const bt = attrOf(b, k)!;
      if (at.required !== bt.required) return undefined;
      const t = leastUpperBound(at.type, bt.type);
      if (t === undefined) return undefined;
      out.push([k, { type: t, required: at.required }]);
    }
    return recordType(out);
  }
  return undefined;
}

/** Entity type names a type may denote: a list, "any" for any entity, or undefined when not an entity. */
export function entityTypesOf(t: Type): readonly string[] | "any" | undefined {
  if (t.kind === "entity") return t.types;
  if (t.kind === "anyEntity") return "any";
  return undefined;
}

/** Longest type text {@link showType} writes (diagnostics quote types; a schema's record types may be huge). */
export const MAX_SHOWN_TYPE = 200;

/**
 * Human-readable rendering of a type for diagnostics, e.g. `Set<Long>`, `{a: Long, b?: String}`.
 * Text past {@link MAX_SHOWN_TYPE} characters is cut and ends with `…`. The text of a set or
 * record type is remembered per type object: listing a record's attributes costs time in the
 * number of attributes however early the text is cut, and a schema's types are quoted again
 * and again (once per diagnostic).
 */
export function showType(t: Type): string {
  if (t.kind !== "record" && t.kind !== "set") return renderType(t);
  let s = shownTypes.get(t);
  if (s === undefined) {
    s = renderType(t);
    shownTypes.set(t, s);
  }
  return s;
}

const shownTypes = new WeakMap<Type, string>();

function renderType(t: Type): string {
  const parts: string[] = [];
  let length = 0;
  // False once the text is past the limit (then nothing more is listed).
  const put = (s: string): boolean => {
    parts.push(s);
    length += s.length;
    return length <= MAX_SHOWN_TYPE;
  };
  let complete: boolean;
  switch (t.kind) {
    case "never":
      return "Never";
    case "bool":
      return t.value === undefined ? "Bool" : `Bool (always ${String(t.value)})`;
    case "long":
      return "Long";
    case "string":
      return "String";
    case "anyEntity":
      return "entity";
    case "extension":
      return t.name;
    case "entity":
      complete = t.types.every((name, i) => put(i === 0 ? name : ` | ${name}`));
      break;
    case "set":
      // Element and attribute types are quoted through `showType`, which remembers them.
      complete = t.element === undefined ? put("Set (empty)") : put(`Set<${showType(t.element)}>`);
      break;
    case "record": {
      complete = put("{");
      let first = true;
      for (const k in t.attrs) {
        if (!complete) break;
        const a = t.attrs[k]!;
        complete = put(`${first ? "" : ", "}${k}${a.required ? "" : "?"}: ${showType(a.type)}`);
        first = false;
      }
      complete &&= put("}");
      break;
    }
    default:
      return assertNever(t, "type");
  }
  const text = parts.join("");
  return complete ? text : `${text.slice(0, MAX_SHOWN_TYPE)}…`;
}
