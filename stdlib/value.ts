/**
 * The runtime value model shared by the evaluator, the builtins and the runtime.
 *
 * Representation (chosen for speed of the compiled evaluator):
 *   Bool → boolean, Long → bigint (checked to 64 bits), String → string,
 *   Entity → EntityUID, Set → SetValue, Record → RecordValue,
 *   decimal / ipaddr / datetime / duration → ExtensionValue instances.
 *
 * Evaluation errors are `EvalError` values. They are thrown (not Error
 * subclasses, so no stack is captured) and caught once per policy by the
 * decision function, which reports the policy as erroring.
 */

/** A Cedar entity uid: fully qualified type name and id. */
export class EntityUID {
  /** Canonical key, unique per (type, id): `Type::"id"` with JSON escaping. */
  readonly key: string;
  // NOTE: a one-slot memo owned by the entity store (see `EntityUID.memo`): the id of the last
  // immutable store that looked this uid up, and what it found (never the store itself, so
  // an interned uid cannot keep an old store alive). Private, so invisible to equality, keys,
  // JSON and structural comparison; it never changes what any lookup returns.
  #memoOwner = 0;
  #memoValue: unknown = undefined;
  // NOTE: the uid's canonical JSON text `{"id":…,"type":…}`, written once by the request
  // digest's writer (see `EntityUID.jsonText`). Private, like the memo.
  #jsonText: string | undefined = undefined;
  constructor(
    readonly type: string,
    readonly id: string,
  ) {
    this.key = uidKey(type, id);
  }
  toString(): string {
    return this.key;
  }
  /**
   * The value memoised for `owner` (a positive id unique to one immutable owner) by
   * {@link EntityUID.setMemo}, or undefined. For the entity store's lookup cache only.
   */
  static memo(u: EntityUID, owner: number): unknown {
    return u.#memoOwner === owner ? u.#memoValue : undefined;
  }
  /**
   * The text `make(u)` gave for this uid the first time it was asked (request uids are
   * interned, so the same objects recur). For the request digest's writer only: `make` must
   * be a function of the uid's type and id alone, the same at every call.
   */
  static jsonText(u: EntityUID, make: (u: EntityUID) => string): string {
    if (u.#jsonText === undefined) u.#jsonText = make(u);
    return u.#jsonText;
  }
  /** Remember `value` for `owner` (replacing any previous owner's entry). See {@link EntityUID.memo}. */
  static setMemo(u: EntityUID, owner: number, value: unknown): void {
    u.#memoOwner = owner;
    u.#memoValue = value;
  }
}

/**
 * The canonical key of an entity uid, `Type::"id"` with the id JSON-quoted: unique per
 * (type, id). INVARIANT: the one place this format is spelled; every other module calls it.
 */
export function uidKey(type: string, id: string): string {
  return `${type}::${quoteId(id)}`;
}

/** `JSON.stringify(id)`, without calling it when no character needs escaping (same output). */
function quoteId(id: string): string {
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    // JSON escapes `"`, `\`, control characters and lone surrogates; defer anything unusual.
    if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) return JSON.stringify(id);
  }
  return `"${id}"`;
}

/** Extension values implement this. */
export interface ExtensionValue {
  readonly extension: "decimal" | "ipaddr" | "datetime" | "duration";
  /** Structural equality with another value of any kind. */
  equals(other: Value): boolean;
  /** Canonical key: equal values have equal keys. */
  key(): string;
  /** Cedar's printed form, e.g. `decimal("1.2300")`. */
  toString(): string;
}

/** An immutable, de-duplicated set. Element order carries no meaning. */
export class SetValue {
  private index: Map<string, Value> | undefined;
  constructor(readonly elements: readonly Value[]) {}
  /** Map from value key to element, built once on first use. */
  keyed(): Map<string, Value> {
    if (this.index === undefined) {
      const m = new Map<string, Value>();
      for (const e of this.elements) m.set(valueKey(e), e);
      this.index = m;
    }
    return this.index;
  }
  get size(): number {
    return this.keyed().size;
  }
  has(v: Value): boolean {
    return this.keyed().has(valueKey(v));
  }
}

/** An immutable record. Key order carries no meaning. */
export class RecordValue {
  constructor(readonly fields: ReadonlyMap<string, Value>) {}
  get(name: string): Value | undefined {
    return this.fields.get(name);
  }
  has(name: string): boolean {
    return this.fields.has(name);
  }
}

export type Value = boolean | bigint | string | EntityUID | SetValue | RecordValue | ExtensionValue;

/** An evaluation error (a value, thrown and caught per policy). */
export class EvalError {
  constructor(
    /** Diagnostic code from the W4xxx range. */
    readonly code: "W4001" | "W4002" | "W4003" | "W4004" | "W4005" | "W4006" | "W4007",
    readonly message: string,
    /** Span of the failing node in the policy source, attached by the evaluator. */
    public span?: { readonly start: number; readonly end: number },
  ) {}
}

export const I64_MIN = -(2n ** 63n);
export const I64_MAX = 2n ** 63n - 1n;

/** Cedar type name of a value, for error messages. */
export function typeNameOf(v: Value): string {
  switch (typeof v) {
    case "boolean":
      return "Bool";
    case "bigint":
      return "Long";
    case "string":
      return "String";
    default:
      if (v instanceof EntityUID) return `entity of type \`${v.type}\``;
      if (v instanceof SetValue) return "Set";
      if (v instanceof RecordValue) return "Record";
      return v.extension;
  }
}

/** Canonical key of any value: equal values ⇔ equal keys (sets and records order-independent). */
export function valueKey(v: Value): string {
  switch (typeof v) {
    case "boolean":
      return v ? "T" : "F";
    case "bigint":
      return `L${v}`;
    case "string":
      return `S${JSON.stringify(v)}`;
    default:
      if (v instanceof EntityUID) return `E${v.key}`;
      if (v instanceof SetValue) return `[${[...v.keyed().keys()].sort().join(",")}]`;
      if (v instanceof RecordValue)
        return `{${[...v.fields.entries()]
          .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
          .map(([k, x]) => `${JSON.stringify(k)}:${valueKey(x)}`)
          .join(",")}}`;
      return `X${v.key()}`;
  }
}

/** Cedar `==`: structural equality across all value kinds (different kinds are unequal). */
export function valueEquals(a: Value, b: Value): boolean {
  if (a === b) return true;
  const ta = typeof a;
  if (ta !== "object" || typeof b !== "object") return false;
  if (a instanceof EntityUID) return b instanceof EntityUID && a.key === b.key;
  if (a instanceof SetValue) {
    if (!(b instanceof SetValue)) return false;
    const ka = a.keyed();
    const kb = b.keyed();
    if (ka.size !== kb.size) return false;
    for (const k of ka.keys()) if (!kb.has(k)) return false;
    return true;
  }
  if (a instanceof RecordValue) {
    if (!(b instanceof RecordValue)) return false;
    if (a.fields.size !== b.fields.size) return false;
    for (const [k, x] of a.fields) {
      const y = b.fields.get(k);
      if (y === undefined || !valueEquals(x, y)) return false;
    }
    return true;
  }
  return (a as ExtensionValue).equals(b);
}
