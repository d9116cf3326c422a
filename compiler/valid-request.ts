/**
 * The one-pass reading of a request that conforms to its schema: the runtime reads and
 * checks a request on every decision, and nearly every request is valid. For each action
 * of a schema a plan is built once (the allowed principal and resource types and a reader
 * per context attribute, compiled from the declared types); a request is read and checked
 * in one walk of its JSON, without hint objects, paths or messages.
 *
 * `readValidRequest` answers only "this request, valid": anything else (an invalid request,
 * a value form the plan does not read directly) is `undefined`, and the caller
 * reads the request the general way (`readRequest` in `inputs.ts`), which also writes the
 * diagnostics.
 *
 * In the same walk the plan writes the context's canonical (RFC 8785) text, the part of the
 * request digest that depends on the request's values (`runtime/request-text.ts` puts the
 * digest text together): `canonicalJson(toPlainJson(valueToJson(context)))`, without a
 * second walk over the values. Where that text would need more than the plan writes directly
 * (a set, a string with a lone or paired surrogate, an extension value not of the one-`arg`
 * form) there is no text, and the caller writes it from the values.
 *
 * INVARIANT: when `readValidRequest` gives a request, the general reading gives an equal
 * request with no diagnostic, and a context text it gives is the canonical text of that
 * request's context (property tests compare them).
 * NOTE: parser-free (the runtime imports this module).
 */
import { builtinConstructor } from "../stdlib/builtins.js";
import { MAX_JSON_DEPTH, valueFromJson, valueToJson, type JsonValue } from "../stdlib/json.js";
import { EntityUID, RecordValue, SetValue, type Value } from "../stdlib/value.js";
import { flatText as flat } from "./canonical.js";
import { conforms, valueHintFor } from "./input-validate.js";
import { lineageFromJson } from "./governance.js";
import { fastUid, type Request } from "./request.js";
import { actionInfo, entityTypeInfo, isEnumValue, type Schema } from "./schema-model.js";
import { attrOf, type RecordType, type Type } from "./types.js";

/**
 * Reads one JSON value of a declared type: the value when it reads and conforms, else
 * undefined. A reader that gives a value sets {@link written} to its canonical text first.
 */
type Reader = (j: unknown) => Value | undefined;

/**
 * The canonical text of the value the last reader gave (undefined: none written, see the
 * module comment). NOTE: set by a reader just before it returns a value and read by its
 * caller right after, so nested readers need no result objects.
 */
let written: string | undefined;

/** Characters that need more than quotes around a string in JSON (escapes, surrogates). */
const SPECIAL = /["\\\u0000-\u001f\ud800-\udfff]/;
const SURROGATE = /[\ud800-\udfff]/;

/** `JSON.stringify(s)` (JCS's string form), or undefined for a string with a surrogate (left to the caller's writer). */
function stringText(s: string): string | undefined {
  // NOTE: a loop over short strings (ids, names, tags) costs less than a regex call.
  if (s.length <= 32) {
    let plain = true;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) {
        plain = false;
        break;
      }
    }
    if (plain) return '"' + s + '"';
  } else if (!SPECIAL.test(s)) return '"' + s + '"';
  return SURROGATE.test(s) ? undefined : JSON.stringify(s);
}

/** The canonical text of a value the general reading gave: entities and one-`arg` extension values, else undefined. */
function generalText(v: Value): string | undefined {
  if (v instanceof EntityUID) {
    const id = stringText(v.id);
    const type = stringText(v.type);
    return id === undefined || type === undefined ? undefined : `{"__entity":{"id":${id},"type":${type}}}`;
  }
  if (typeof v !== "object" || v instanceof SetValue || v instanceof RecordValue) return undefined;
  const x = (valueToJson(v) as { __extn?: { fn?: unknown; arg?: unknown; args?: unknown } }).__extn;
  if (x === undefined || typeof x.fn !== "string" || typeof x.arg !== "string" || x.args !== undefined) return undefined;
  const arg = stringText(x.arg);
  const fn = stringText(x.fn);
  return arg === undefined || fn === undefined ? undefined : `{"__extn":{"arg":${arg},"fn":${fn}}}`;
}

/** What a valid request of one action needs. */
interface ActionPlan {
  /** The allowed principal types, each with whether it is an enum type (its ids are checked). */
  readonly principals: ReadonlyMap<string, boolean>;
  readonly resources: ReadonlyMap<string, boolean>;
  readonly context: Reader;
}

/** Plans by schema and action key (`null`: no plan, read the general way). */
const plans = new WeakMap<Schema, Map<string, ActionPlan | null>>();
/** Bound on cached plans per schema (unknown action keys come from requests). */
const MAX_CACHED_PLANS = 4096;
/**
 * Types nested deeper than this get no plan. INVARIANT: well below `MAX_JSON_DEPTH`, so a
 * value a plan reads is never one the general reading refuses as too deep.
 */
const MAX_PLAN_DEPTH = Math.min(64, MAX_JSON_DEPTH >> 1);

function isObject(j: unknown): j is { readonly [key: string]: unknown } {
  return typeof j === "object" && j !== null && !Array.isArray(j);
}

/** A value the general reading reads through one of its escapes (`__entity`, `__extn`). */
function isEscape(j: { readonly [key: string]: unknown }): boolean {
  let n = 0;
  let escape = false;
  for (const k in j) {
    if (!Object.prototype.hasOwnProperty.call(j, k)) continue;
    if (++n > 1) return false;
    escape = k === "__entity" || k === "__extn";
  }
  return escape;
}

/** The general reading of one value with its type's hint, checked against the type. */
function general(schema: Schema, t: Type): Reader {
  const hint = valueHintFor(t);
  return (j) => {
    const r = valueFromJson(j as JsonValue, hint);
    if (!r.ok || !conforms(schema, r.value, t)) return undefined;
    written = generalText(r.value);
    return r.value;
  };
}

function readerFor(schema: Schema, t: Type, depth: number): Reader | undefined {
  if (depth > MAX_PLAN_DEPTH) return undefined;
  switch (t.kind) {
    case "bool": {
      const only = t.value;
      return (j) => {
        if (typeof j !== "boolean" || (only !== undefined && j !== only)) return undefined;
        written = j ? "true" : "false";
        return j;
      };
    }
    case "long":
      return (j) => {
        if (typeof j !== "number" || !Number.isSafeInteger(j)) return undefined;
        // NOTE: String(-0) is "0", as the Long 0n it reads as is written.
        written = String(j);
        return BigInt(j);
      };
    case "string":
      return (j) => {
        if (typeof j !== "string") return undefined;
        written = stringText(j);
        return j;
      };
    case "set": {
      // NOTE: no text for sets (their canonical order is by value key): the caller writes it.
      if (t.element === undefined)
        return (j) => {
          if (!Array.isArray(j) || j.length !== 0) return undefined;
          written = undefined;
          return new SetValue([]);
        };
      const element = readerFor(schema, t.element, depth + 1);
      if (element === undefined) return undefined;
      return (j) => {
        if (!Array.isArray(j)) return undefined;
        const out: Value[] = [];
        for (const x of j) {
          const v = element(x);
          if (v === undefined) return undefined;
          out.push(v);
        }
        written = undefined;
        return new SetValue(out);
      };
    }
    case "record":
      return recordReader(schema, t, depth);
    case "never":
      return () => undefined;
    case "extension":
      return t.name === "ipaddr" || t.name === "decimal" ? extensionReader(schema, t, t.name === "ipaddr" ? "ip" : "decimal") : general(schema, t);
    case "entity":
    case "anyEntity":
      return general(schema, t);
    default: {
      const never: never = t;
      throw new Error(`INVARIANT: unexpected type ${JSON.stringify(never)}`);
    }
  }
}

/**
 * An `ipaddr` or `decimal` value in its common forms — the text alone, or
 * `{"__extn": {"fn": <ctor>, "arg": <text>}}` — built by the extension's constructor as the
 * general reading builds it; any other form, or a text the constructor refuses, goes to the
 * general reading. Its canonical text is `{"__extn":{"arg":<value's text>,"fn":<ctor>}}`.
 */
function extensionReader(schema: Schema, t: Type, ctor: "ip" | "decimal"): Reader {
  const make = builtinConstructor(ctor)!.impl as (text: string) => Value & { text(): string };
  const slow = general(schema, t);
  const fn = flat([',"fn":"', ctor, '"}}']);
  return (j) => {
    let arg = j;
    if (typeof j !== "string") {
      const x = isObject(j) && isEscape(j) ? j["__extn"] : undefined;
      if (!isObject(x) || x["fn"] !== ctor || x["args"] !== undefined) return slow(j);
      arg = x["arg"];
      if (typeof arg !== "string") return slow(j);
    }
    let v: Value & { text(): string };
    try {
      v = make(arg as string);
    } catch {
      return slow(j);
    }
    // NOTE: an ipaddr's text is digits, hex letters, `.`, `:` and `/`, a decimal's digits, `-`
    // and `.`: nothing JSON escapes, so quotes make its string form.
    written = '{"__extn":{"arg":"' + v.text() + '"' + fn;
    return v;
  };
}

/** How a record reader reads one declared attribute (`at`: its place in the canonical key order). */
interface Attr {
  readonly read: Reader;
  readonly required: boolean;
  readonly at: number;
}

function recordReader(schema: Schema, t: RecordType, depth: number): Reader | undefined {
  // NOTE: open records (extra attributes read without a hint) take the general path.
  if (t.open) return undefined;
  const attrs = new Map<string, Attr>();
  // The declared keys in UTF-16 code-unit order (JCS's order), each written as `"k":`.
  const sorted = Object.keys(t.attrs).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const heads = sorted.map((k) => flat(["{", stringText(k) ?? "", ":"]));
  const commaHeads = sorted.map((k) => flat([",", stringText(k) ?? "", ":"]));
  const keysWritable = sorted.every((k) => stringText(k) !== undefined);
  let required = 0;
  for (const k in t.attrs) {
    const a = attrOf(t, k)!;
    const read = readerFor(schema, a.type, depth + 1);
    if (read === undefined) return undefined;
    attrs.set(k, { read, required: a.required, at: sorted.indexOf(k) });
    if (a.required) required++;
  }
  // NOTE: one list of texts per reader, reused: a reader is never active twice at once (a
  // type does not contain itself; each position of a type gets its own reader).
  const texts: (string | undefined)[] = new Array<string | undefined>(sorted.length).fill(undefined);
  // NOTE: the keys of the last record read, in their order, with their attributes: requests of
  // one service write their context keys in one order, so a key is matched by identity with
  // the one at its position last time (property names are interned strings) and looked up
  // only when it differs. It holds declared key names only, never values.
  const lastKeys: string[] = [];
  const lastAttrs: Attr[] = [];
  return (j) => {
    if (!isObject(j)) return undefined;
    const fields = new Map<string, Value>();
    // NOTE: a loop, not `texts.fill`: fill is a call into the runtime, slower for a few slots.
    for (let i = 0; i < texts.length; i++) texts[i] = undefined;
    let writable = keysWritable;
    let present = 0;
    let i = 0;
    let last = "";
    // NOTE: `for…in` with the own-property check reads the keys of `Object.keys` in the same
    // order, without the array, and V8 loads `j[k]` through the enumeration's cache; an
    // inherited enumerable key (a changed `Object.prototype`) sends the record to the general
    // reading.
    for (const k in j) {
      if (!Object.prototype.hasOwnProperty.call(j, k)) return undefined;
      last = k;
      let a: Attr | undefined;
      if (k === lastKeys[i]) a = lastAttrs[i]!;
      else {
        a = attrs.get(k);
        if (a === undefined) return undefined;
        lastKeys[i] = k;
        lastAttrs[i] = a;
      }
      const v = a.read(j[k]);
      if (v === undefined) return undefined;
      if (written === undefined) writable = false;
      else texts[a.at] = written;
      fields.set(k, v);
      if (a.required) present++;
      i++;
    }
    // An escape (`{"__entity": …}`, `{"__extn": …}`) is not a record here: the general reading reads it.
    if (present !== required || (i === 1 && (last === "__entity" || last === "__extn"))) return undefined;
    written = writable ? recordText(heads, commaHeads, texts) : undefined;
    return new RecordValue(fields);
  };
}

/**
 * `{"k":v,…}` from the texts of the present attributes, in the order of `heads` (`{"k":`) and
 * `commaHeads` (`,"k":`).
 */
function recordText(heads: readonly string[], commaHeads: readonly string[], texts: readonly (string | undefined)[]): string {
  let out: string | undefined;
  for (let i = 0; i < heads.length; i++) {
    const t = texts[i];
    if (t !== undefined) out = out === undefined ? heads[i]! + t : out + commaHeads[i]! + t;
  }
  return out === undefined ? "{}" : out + "}";
}

function planFor(schema: Schema, actionKey: string): ActionPlan | undefined {
  let byAction = plans.get(schema);
  if (byAction === undefined) plans.set(schema, (byAction = new Map()));
  const cached = byAction.get(actionKey);
  if (cached !== undefined) return cached ?? undefined;
  const at = actionInfo(schema, actionKey)?.appliesTo;
  const context = at === undefined || at.context.kind !== "record" ? undefined : recordReader(schema, at.context, 0);
  const enums = (types: readonly string[]): ReadonlyMap<string, boolean> => new Map(types.map((type) => [type, entityTypeInfo(schema, type)?.enumValues !== undefined]));
  const plan = at === undefined || context === undefined ? undefined : { principals: enums(at.principals), resources: enums(at.resources), context };
  if (byAction.size < MAX_CACHED_PLANS) byAction.set(actionKey, plan ?? null);
  return plan;
}

/** Where {@link readValidRequest} puts the canonical text of the request's context. */
export interface ContextText {
  /** `canonicalJson(toPlainJson(valueToJson(context)))`, or undefined when not written here. */
  text: string | undefined;
}

/**
 * The request `json` reads as when it is valid for `schema` (what `readRequest(json, schema)`
 * gives with no diagnostic), or undefined: invalid, or read the general way. With `out`,
 * the context's canonical text goes to `out.text` (see the module comment). Never throws.
 */
export function readValidRequest(json: unknown, schema: Schema, out?: ContextText): Request | undefined {
  if (!isObject(json)) return undefined;
  const lj = json["lineage"];
  let lineage: RecordValue | undefined;
  if (lj !== undefined && lj !== null) {
    const r = lineageFromJson(lj);
    if (typeof r === "string") return undefined;
    lineage = r;
  }
  const principal = fastUid(json["principal"]);
  const action = fastUid(json["action"]);
  const resource = fastUid(json["resource"]);
  if (principal === undefined || action === undefined || resource === undefined) return undefined;
  const plan = planFor(schema, action.key);
  if (plan === undefined) return undefined;
  const principalEnum = plan.principals.get(principal.type);
  if (principalEnum === undefined || (principalEnum && !isEnumValue(schema, principal.type, principal.id))) return undefined;
  const resourceEnum = plan.resources.get(resource.type);
  if (resourceEnum === undefined || (resourceEnum && !isEnumValue(schema, resource.type, resource.id))) return undefined;
  const cj = json["context"];
  const context = plan.context(cj === undefined || cj === null ? {} : cj);
  if (context === undefined) return undefined;
  if (out !== undefined) out.text = written;
  return lineage === undefined ? { principal, action, resource, context: context as RecordValue } : { principal, action, resource, context: context as RecordValue, lineage };
}
