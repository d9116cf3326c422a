/**
 * Cedar JSON ↔ values: the value form used in entities and contexts, the
 * entities file format, and entity uids.
 *
 * Without hints (Cedar's schema-less reading):
 *   true/false → Bool; integer → Long (64-bit, exact); string → String;
 *   array → Set; `{"__entity": {"type", "id"}}` → entity;
 *   `{"__extn": {"fn", "arg"}}` or `{"__extn": {"fn", "args": […]}}` → the
 *   extension function applied (`ip`, `decimal`, `datetime`, `duration`, or any
 *   extension method such as `offset`); any other object → Record (an object
 *   with `__entity`/`__extn` plus other keys is a plain record, as in Cedar).
 *   `null`, fractions and integers outside the signed 64-bit range are errors.
 * With a {@link ValueHint} (schema-directed reading, supplied by the
 * compiler), a position typed as an entity also accepts `{"type", "id"}` and a
 * position typed as an extension also accepts `{"fn", "arg"}` or a plain
 * string argument (`"1.2.3.4"` where an ipaddr is expected).
 *
 * NOTE: JS numbers are exact only up to 2^53; larger integers must arrive as
 * `bigint` (see `parseJsonText`), otherwise they are rejected, never rounded. A JS number
 * cannot say how it was written: `1.0`, `1e2` and `-0` are refused (as in Cedar) only when the
 * text is read with `parseJsonText`; values from `JSON.parse` arrive as plain integers.
 */
import type { Diagnostic } from "../lang/diagnostics.js";
import { inI64 } from "./arith.js";
import { builtinConstructor, builtinMethod, isExtensionFunction, type Builtin } from "./builtins.js";
import { Datetime } from "./datetime.js";
import { Decimal } from "./decimal.js";
import { Duration } from "./duration.js";
import { Entities, type EntityRecord } from "./entities.js";
import { IpAddr } from "./ipaddr.js";
import { EntityUID, EvalError, RecordValue, SetValue, type ExtensionValue, type Value } from "./value.js";

/** A JSON value as produced by `JSON.parse` (or `parseJsonText`, which may yield `bigint`). */
export type JsonValue = null | boolean | number | bigint | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Schema-directed reading of one JSON position. */
export type ValueHint =
  | { readonly kind: "entity" }
  | { readonly kind: "extension"; readonly name: "decimal" | "ipaddr" | "datetime" | "duration" }
  | { readonly kind: "set"; readonly element: ValueHint | undefined }
  /** `attr(name)` gives the hint of one attribute (undefined: read it without hint). */
  | { readonly kind: "record"; readonly attr: (name: string) => ValueHint | undefined };

/** Hints for the entities of one type: its attributes (a record hint) and its tag values. */
export interface EntityHints {
  readonly attrs?: ValueHint;
  readonly tags?: ValueHint;
}

/** Result of reading one value: the value, or an error message naming the failing path. */
export type JsonReadResult = { readonly ok: true; readonly value: Value } | { readonly ok: false; readonly error: string };

/** Maximum nesting depth of JSON values read (deeper input is an error, never a stack overflow). */
export const MAX_JSON_DEPTH = 200;

const CTOR_FOR_EXTENSION = { decimal: "decimal", ipaddr: "ip", datetime: "datetime", duration: "duration" } as const;

class JsonError {
  constructor(readonly message: string) {}
}

function fail(path: string, message: string): never {
  throw new JsonError(path === "" ? message : `${path}: ${message}`);
}

function describe(j: unknown): string {
  if (j === null) return "null";
  if (Array.isArray(j)) return "an array";
  return typeof j === "object" ? "an object" : `${typeof j} ${JSON.stringify(typeof j === "bigint" ? j.toString() : j)}`;
}

function isObject(j: unknown): j is { readonly [key: string]: JsonValue } {
  return typeof j === "object" && j !== null && !Array.isArray(j);
}

const IDENT = /^[_a-zA-Z][_a-zA-Z0-9]*$/;
const RESERVED = new Set(["true", "false", "if", "then", "else", "in", "like", "has", "is", "__cedar"]);

/** Is `s` a valid Cedar (possibly namespaced) entity type name, e.g. `App::User`? */
export function isValidTypeName(s: string): boolean {
  return s.split("::").every((p) => IDENT.test(p) && !RESERVED.has(p));
}

/**
 * The uids read so far in one entities file, by type then id: a uid named again (a parent,
 * an owner) is the same object, and its type name is checked once. Only valid type names
 * are keys. NOTE: uids are immutable values, so sharing one never changes an answer.
 */
type Uids = Map<string, Map<string, EntityUID>>;

function uidFrom(j: JsonValue | undefined, path: string, allowBare: boolean, uids?: Uids): EntityUID {
  if (!isObject(j)) fail(path, `expected an entity reference, found ${describe(j)}`);
  const inner = j["__entity"] !== undefined ? j["__entity"] : allowBare ? j : fail(path, "expected an entity reference `{\"__entity\": {\"type\": …, \"id\": …}}`");
  if (!isObject(inner)) fail(path, `expected \`{"type": …, "id": …}\`, found ${describe(inner)}`);
  const type = inner["type"];
  const id = inner["id"];
  if (typeof type !== "string") fail(path, "entity reference needs a string `type`");
  if (typeof id !== "string") fail(path, "entity reference needs a string `id`");
  let byId = uids?.get(type);
  if (byId === undefined) {
    if (!isValidTypeName(type)) fail(path, `invalid entity type name \`${type}\``);
    if (uids === undefined) return new EntityUID(type, id);
    uids.set(type, (byId = new Map()));
  }
  let u = byId.get(id);
  if (u === undefined) byId.set(id, (u = new EntityUID(type, id)));
  return u;
}

function callExtension(fnName: string, args: readonly JsonValue[], path: string, depth: number, uids: Uids | undefined): Value {
  const b: Builtin | undefined = builtinConstructor(fnName) ?? builtinMethod(fnName);
  if (b === undefined || !isExtensionFunction(b) || b.context !== "pure") fail(path, `unknown extension function \`${fnName}\``);
  const arity = b.params.length + (b.kind === "method" ? 1 : 0);
  if (args.length !== arity) fail(path, `extension function \`${fnName}\` takes ${arity} argument(s), got ${args.length}`);
  // A lone string argument (the common `{"fn": "ip", "arg": "…"}`) reads as itself.
  const a0 = args[0];
  const values = args.length === 1 && typeof a0 === "string" ? [a0] : args.map((a, i) => read(a, undefined, `${path}.args[${i}]`, depth + 1, uids));
  try {
    return b.impl(...values);
  } catch (e) {
    if (e instanceof EvalError) fail(path, e.message);
    throw e;
  }
}

function readExtn(j: JsonValue, path: string, depth: number, uids: Uids | undefined): Value {
  if (!isObject(j)) fail(path, `\`__extn\` needs an object \`{"fn": …, "arg": …}\`, found ${describe(j)}`);
  const fn = j["fn"];
  if (typeof fn !== "string") fail(path, "`__extn` needs a string `fn`");
  if (j["args"] !== undefined) {
    const args = j["args"];
    if (!Array.isArray(args)) fail(path, "`__extn.args` must be an array");
    return callExtension(fn, args as readonly JsonValue[], path, depth, uids);
  }
  if (j["arg"] === undefined) fail(path, "`__extn` needs `arg` or `args`");
  return callExtension(fn, [j["arg"]], path, depth, uids);
}

function read(j: JsonValue | undefined, hint: ValueHint | undefined, path: string, depth: number, uids: Uids | undefined): Value {
  if (depth > MAX_JSON_DEPTH) fail(path, `nesting deeper than ${MAX_JSON_DEPTH}`);
  if (hint !== undefined) {
    switch (hint.kind) {
      case "entity":
        return uidFrom(j, path, true, uids);
      case "extension": {
        if (typeof j === "string") return callExtension(CTOR_FOR_EXTENSION[hint.name], [j], path, depth, uids);
        if (isObject(j) && j["__extn"] === undefined && typeof j["fn"] === "string") return readExtn(j, path, depth, uids);
        break;
      }
      case "set":
        if (Array.isArray(j)) return new SetValue(j.map((x, i) => read(x, hint.element, `${path}[${i}]`, depth + 1, uids)));
        break;
      case "record":
        if (isObject(j) && !isEscape(j)) return readRecord(j, hint.attr, path, depth, uids);
        break;
      default: {
        const never: never = hint;
        throw new Error(`INVARIANT: unexpected hint ${JSON.stringify(never)}`);
      }
    }
  }
  switch (typeof j) {
    case "boolean":
    case "string":
      return j;
    case "bigint":
      if (!inI64(j)) fail(path, `integer ${j} is outside the 64-bit range`);
      return j;
    case "number":
      if (!Number.isInteger(j)) fail(path, `expected an integer, found ${j}`);
      if (!Number.isSafeInteger(j)) fail(path, `integer ${j} cannot be represented exactly (beyond ±2^53); pass it as a bigint`);
      return BigInt(j);
    case "undefined":
      fail(path, "missing value");
    default:
      break;
  }
  if (j === null) fail(path, "JSON `null` is not a Cedar value");
  if (Array.isArray(j)) return new SetValue(j.map((x, i) => read(x, undefined, `${path}[${i}]`, depth + 1, uids)));
  if (!isObject(j)) fail(path, `unsupported JSON value ${describe(j)}`);
  const keys = Object.keys(j);
  if (keys.length === 1 && keys[0] === "__entity") return uidFrom(j, path, false, uids);
  if (keys.length === 1 && keys[0] === "__extn") return readExtn(j["__extn"]!, path, depth, uids);
  return readRecord(j, undefined, path, depth, uids);
}

function isEscape(j: { readonly [key: string]: JsonValue }): boolean {
  // NOTE: without either own key (the common case) there is no key list to build.
  if (!Object.hasOwn(j, "__entity") && !Object.hasOwn(j, "__extn")) return false;
  const keys = Object.keys(j);
  return keys.length === 1 && (keys[0] === "__entity" || keys[0] === "__extn");
}

function readRecord(
  j: { readonly [key: string]: JsonValue },
  attr: ((name: string) => ValueHint | undefined) | undefined,
  path: string,
  depth: number,
  uids: Uids | undefined,
): RecordValue {
  const fields = new Map<string, Value>();
  for (const k of Object.keys(j)) {
    fields.set(k, read(j[k], attr?.(k), path === "" ? k : `${path}.${k}`, depth + 1, uids));
  }
  return new RecordValue(fields);
}

/**
 * Read a Cedar JSON value. Never throws; errors name the failing path
 * (e.g. `attrs.address.zip: expected an integer, found 1.5`).
 */
export function valueFromJson(json: JsonValue, hint?: ValueHint): JsonReadResult {
  return readValue(json, hint, undefined);
}

/** {@link valueFromJson}, sharing the uids of one entities file. */
function readValue(json: JsonValue, hint: ValueHint | undefined, uids: Uids | undefined): JsonReadResult {
  try {
    return { ok: true, value: read(json, hint, "", 0, uids) };
  } catch (e) {
    if (e instanceof JsonError) return { ok: false, error: e.message };
    if (e instanceof RangeError) return { ok: false, error: `value too deeply nested (${e.message})` };
    throw e;
  }
}

/** Read an entity uid: `{"type", "id"}` or `{"__entity": {"type", "id"}}`. */
export function entityUidFromJson(json: JsonValue): { readonly ok: true; readonly uid: EntityUID } | { readonly ok: false; readonly error: string } {
  try {
    return { ok: true, uid: uidFrom(json, "", true) };
  } catch (e) {
    if (e instanceof JsonError) return { ok: false, error: e.message };
    throw e;
  }
}

/** The tags of an entity given without `tags` (records are immutable, so one is shared). */
const NO_TAGS = new RecordValue(new Map());

function w5003(message: string): Diagnostic {
  return { code: "W5003", severity: "error", message, span: { start: 0, end: 0 } };
}

/** Is this the type of an action entity (`Action`, possibly namespaced: `NS::Action`)? */
function isActionType(type: string): boolean {
  return type === "Action" || type.endsWith("::Action");
}

/**
 * Read a Cedar entities file: an array of `{uid, attrs, parents, tags?}`.
 * `hintFor(type)` supplies schema hints per entity type. Every problem
 * becomes a W5003 diagnostic naming the entity; no store is returned then.
 * Duplicate identical entries are merged; conflicting duplicates, cycles
 * in the hierarchy and actions with non-action parents are errors (as in Cedar).
 */
export function entitiesFromJson(
  json: JsonValue,
  hintFor?: (entityType: string) => EntityHints | undefined,
): { entities: Entities | undefined; diagnostics: Diagnostic[] } {
  const r = entityRecordsFromJson(json, hintFor);
  if (r.records === undefined) return { entities: undefined, diagnostics: r.diagnostics };
  const built = Entities.build(r.records);
  return { entities: built.entities, diagnostics: built.problems.map((p) => w5003(p.message)) };
}

/**
 * Read Cedar entities JSON into entity records without building a store (the caller adds
 * records or builds it). Same reading and diagnostics as {@link entitiesFromJson}.
 */
export function entityRecordsFromJson(
  json: JsonValue,
  hintFor?: (entityType: string) => EntityHints | undefined,
): { records: EntityRecord[] | undefined; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  if (!Array.isArray(json)) return { records: undefined, diagnostics: [w5003(`entities must be a JSON array, found ${describe(json)}`)] };
  const records: EntityRecord[] = [];
  const uids: Uids = new Map();
  // NOTE: messages are built only for entities with a problem (the names are not needed otherwise).
  const list = json as readonly JsonValue[];
  entities: for (let i = 0; i < list.length; i++) {
    const e = list[i];
    if (!isObject(e)) {
      diagnostics.push(w5003(`entity #${i}: expected an object, found ${describe(e)}`));
      continue;
    }
    let uid: EntityUID;
    try {
      uid = uidFrom(e["uid"] === undefined ? null : e["uid"], "", true, uids);
    } catch (x) {
      if (!(x instanceof JsonError)) throw x;
      diagnostics.push(w5003(`entity #${i}: \`uid\`: ${e["uid"] === undefined ? "missing" : x.message}`));
      continue;
    }
    const hints = hintFor?.(uid.type);
    const attrsJ = e["attrs"];
    const parentsJ = e["parents"];
    const tagsJ = e["tags"];
    if (!isObject(attrsJ)) {
      diagnostics.push(w5003(`entity ${uid.key}: \`attrs\` must be an object${attrsJ === undefined ? " (missing)" : ""}`));
      continue;
    }
    if (!Array.isArray(parentsJ)) {
      diagnostics.push(w5003(`entity ${uid.key}: \`parents\` must be an array${parentsJ === undefined ? " (missing)" : ""}`));
      continue;
    }
    if (tagsJ !== undefined && !isObject(tagsJ)) {
      diagnostics.push(w5003(`entity ${uid.key}: \`tags\` must be an object`));
      continue;
    }
    const attrHint = hints?.attrs;
    const attrs = readValue(attrsJ, attrHint?.kind === "record" ? attrHint : undefined, uids);
    if (!attrs.ok) {
      diagnostics.push(w5003(`entity ${uid.key}: attribute ${attrs.error}`));
      continue;
    }
    let tags: RecordValue = NO_TAGS;
    if (tagsJ !== undefined) {
      const tagHint = hints?.tags;
      const read = readValue(tagsJ, { kind: "record", attr: () => tagHint }, uids);
      if (!read.ok) {
        diagnostics.push(w5003(`entity ${uid.key}: tag ${read.error}`));
        continue;
      }
      tags = read.value as RecordValue;
    }
    const parents: EntityUID[] = [];
    for (let p = 0; p < parentsJ.length; p++) {
      let parent: EntityUID;
      try {
        parent = uidFrom((parentsJ as readonly JsonValue[])[p]!, "", true, uids);
      } catch (x) {
        if (!(x instanceof JsonError)) throw x;
        diagnostics.push(w5003(`entity ${uid.key}: parent #${p}: ${x.message}`));
        continue entities;
      }
      if (isActionType(uid.type) && !isActionType(parent.type)) {
        // As in Cedar: the parents of an action must be actions themselves.
        diagnostics.push(w5003(`entity ${uid.key}: action has a non-action parent ${parent.key} (parents of actions must have type \`Action\`, possibly namespaced)`));
        continue entities;
      }
      parents.push(parent);
    }
    records.push({ uid, attrs: attrs.value as RecordValue, parents, tags });
  }
  return diagnostics.length > 0 ? { records: undefined, diagnostics } : { records, diagnostics };
}

function extensionToJson(v: ExtensionValue): JsonValue {
  if (v instanceof Decimal) return { __extn: { fn: "decimal", arg: v.text() } };
  if (v instanceof IpAddr) return { __extn: { fn: "ip", arg: v.text() } };
  if (v instanceof Duration) return { __extn: { fn: "duration", arg: v.text() } };
  if (v instanceof Datetime) {
    const t = v.text();
    if (t !== undefined) return { __extn: { fn: "datetime", arg: t } };
    return {
      __extn: {
        fn: "offset",
        args: [{ __extn: { fn: "datetime", arg: "1970-01-01" } }, { __extn: { fn: "duration", arg: new Duration(v.ms).text() } }],
      },
    };
  }
  throw new Error(`INVARIANT: unknown extension value ${v.extension}`);
}

/**
 * Cedar's JSON form of a value: entities as `__entity`, extensions as
 * `__extn`, sets as arrays in canonical order, records with keys sorted.
 * Longs become numbers when exact (|n| ≤ 2^53) and `bigint` otherwise;
 * `stringifyJson` writes both.
 */
export function valueToJson(v: Value): JsonValue {
  switch (typeof v) {
    case "boolean":
    case "string":
      return v;
    case "bigint":
      return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
    default:
      break;
  }
  if (v instanceof EntityUID) return { __entity: { type: v.type, id: v.id } };
  if (v instanceof SetValue) {
    const keyed = [...v.keyed().entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return keyed.map(([, x]) => valueToJson(x));
  }
  if (v instanceof RecordValue) {
    const out: { [key: string]: JsonValue } = {};
    for (const k of [...v.fields.keys()].sort()) {
      // defineProperty, so that a field named `__proto__` stays a plain field.
      Object.defineProperty(out, k, { value: valueToJson(v.fields.get(k)!), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return extensionToJson(v);
}
