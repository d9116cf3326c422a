/**
 * The one-pass reading of a request that conforms to its schema: the runtime reads and
 * checks a request on every decision, and nearly every request is valid. For each action
 * of a schema a plan is built once (the allowed principal and resource types and a reader
 * per context attribute, compiled from the declared types); a request is read and checked
 * in one walk of its JSON, without hint objects, paths or messages.
 *
 * `readValidRequest` answers only "this request, valid": anything else (an invalid request,
 * a `lineage`, a value form the plan does not read directly) is `undefined`, and the caller
 * reads the request the general way (`readRequest` in `inputs.ts`), which also writes the
 * diagnostics.
 *
 * INVARIANT: when `readValidRequest` gives a request, the general reading gives an equal
 * request with no diagnostic (a property test compares them).
 * NOTE: parser-free (the runtime imports this module).
 */
import { MAX_JSON_DEPTH, valueFromJson, type JsonValue } from "../stdlib/json.js";
import { RecordValue, SetValue, type Value } from "../stdlib/value.js";
import { conforms, valueHintFor } from "./input-validate.js";
import { fastUid, type Request } from "./request.js";
import { actionInfo, isEnumValue, type Schema } from "./schema-model.js";
import { attrOf, type RecordType, type Type } from "./types.js";

/** Reads one JSON value of a declared type: the value when it reads and conforms, else undefined. */
type Reader = (j: unknown) => Value | undefined;

/** What a valid request of one action needs. */
interface ActionPlan {
  readonly principals: readonly string[];
  readonly resources: readonly string[];
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
    return r.ok && conforms(schema, r.value, t) ? r.value : undefined;
  };
}

function readerFor(schema: Schema, t: Type, depth: number): Reader | undefined {
  if (depth > MAX_PLAN_DEPTH) return undefined;
  switch (t.kind) {
    case "bool": {
      const only = t.value;
      return (j) => (typeof j === "boolean" && (only === undefined || j === only) ? j : undefined);
    }
    case "long":
      return (j) => (typeof j === "number" && Number.isSafeInteger(j) ? BigInt(j) : undefined);
    case "string":
      return (j) => (typeof j === "string" ? j : undefined);
    case "set": {
      if (t.element === undefined) return (j) => (Array.isArray(j) && j.length === 0 ? new SetValue([]) : undefined);
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
        return new SetValue(out);
      };
    }
    case "record":
      return recordReader(schema, t, depth);
    case "never":
      return () => undefined;
    case "entity":
    case "anyEntity":
    case "extension":
      return general(schema, t);
    default: {
      const never: never = t;
      throw new Error(`INVARIANT: unexpected type ${JSON.stringify(never)}`);
    }
  }
}

function recordReader(schema: Schema, t: RecordType, depth: number): Reader | undefined {
  // NOTE: open records (extra attributes read without a hint) take the general path.
  if (t.open) return undefined;
  const attrs = new Map<string, { readonly read: Reader; readonly required: boolean }>();
  let required = 0;
  for (const k in t.attrs) {
    const a = attrOf(t, k)!;
    const read = readerFor(schema, a.type, depth + 1);
    if (read === undefined) return undefined;
    attrs.set(k, { read, required: a.required });
    if (a.required) required++;
  }
  return (j) => {
    if (!isObject(j) || isEscape(j)) return undefined;
    const fields = new Map<string, Value>();
    let present = 0;
    for (const k of Object.keys(j)) {
      const a = attrs.get(k);
      if (a === undefined) return undefined;
      const v = a.read(j[k]);
      if (v === undefined) return undefined;
      fields.set(k, v);
      if (a.required) present++;
    }
    return present === required ? new RecordValue(fields) : undefined;
  };
}

function planFor(schema: Schema, actionKey: string): ActionPlan | undefined {
  let byAction = plans.get(schema);
  if (byAction === undefined) plans.set(schema, (byAction = new Map()));
  const cached = byAction.get(actionKey);
  if (cached !== undefined) return cached ?? undefined;
  const at = actionInfo(schema, actionKey)?.appliesTo;
  const context = at === undefined || at.context.kind !== "record" ? undefined : recordReader(schema, at.context, 0);
  const plan = at === undefined || context === undefined ? undefined : { principals: at.principals, resources: at.resources, context };
  if (byAction.size < MAX_CACHED_PLANS) byAction.set(actionKey, plan ?? null);
  return plan;
}

/**
 * The request `json` reads as when it is valid for `schema` (what `readRequest(json, schema)`
 * gives with no diagnostic), or undefined: invalid, or read the general way. Never throws.
 */
export function readValidRequest(json: unknown, schema: Schema): Request | undefined {
  if (!isObject(json)) return undefined;
  if (json["lineage"] !== undefined && json["lineage"] !== null) return undefined;
  const principal = fastUid(json["principal"]);
  const action = fastUid(json["action"]);
  const resource = fastUid(json["resource"]);
  if (principal === undefined || action === undefined || resource === undefined) return undefined;
  const plan = planFor(schema, action.key);
  if (plan === undefined) return undefined;
  if (!plan.principals.includes(principal.type) || !isEnumValue(schema, principal.type, principal.id)) return undefined;
  if (!plan.resources.includes(resource.type) || !isEnumValue(schema, resource.type, resource.id)) return undefined;
  const cj = json["context"];
  const context = plan.context(cj === undefined || cj === null ? {} : cj);
  if (context === undefined) return undefined;
  return { principal, action, resource, context: context as RecordValue };
}
