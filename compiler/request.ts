/**
 * Requests: the `Request` value the decision function takes, and reading Cedar's request
 * JSON shape `{ principal: {type, id}, action, resource, context }`.
 */
import { diag, type Diagnostic } from "../lang/diagnostics.js";
import { entityUidFromJson, isValidTypeName, valueFromJson, type JsonValue, type ValueHint } from "../stdlib/json.js";
import { EntityUID, RecordValue, type Value } from "../stdlib/value.js";
import { lineageFromJson } from "./governance.js";

/** An authorization request. */
export interface Request {
  readonly principal: EntityUID;
  readonly action: EntityUID;
  readonly resource: EntityUID;
  readonly context: RecordValue;
  /** Writ extension: the verified ancestry (`lineage`); absent = depth 0, no ancestors. */
  readonly lineage?: RecordValue;
}

/** The result of `requestFromJson`: a request, or W5004 diagnostics. */
export interface RequestResult {
  readonly request: Request | undefined;
  readonly diagnostics: Diagnostic[];
}

const NOWHERE = { start: 0, end: 0 };

/**
 * Read a request from Cedar's JSON shape. Entity uids may be `{type, id}` or
 * `{"__entity": {type, id}}`; `context` defaults to `{}`. `contextHint` (from the schema,
 * for the request's action) directs the reading of the context: entity references written
 * as `{type, id}` and extension values written as strings; it may be a function of the
 * action's uid key (see `contextHintFor`). Never throws.
 */
export function requestFromJson(json: unknown, contextHint?: ValueHint | ((actionKey: string) => ValueHint | undefined)): RequestResult {
  const diagnostics: Diagnostic[] = [];
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    return { request: undefined, diagnostics: [diag("W5004", "a request must be a JSON object", NOWHERE)] };
  }
  const o = json as { readonly [key: string]: unknown };
  const uidAt = (field: "principal" | "action" | "resource"): EntityUID | undefined => {
    const j = o[field];
    if (j === undefined || j === null) {
      diagnostics.push(diag("W5004", `request: \`${field}\` is missing`, NOWHERE));
      return undefined;
    }
    const fast = fastUid(j);
    if (fast !== undefined) return fast;
    const r = entityUidFromJson(j as JsonValue);
    if (!r.ok) {
      diagnostics.push(diag("W5004", `request: \`${field}\`: ${r.error}`, NOWHERE));
      return undefined;
    }
    return r.uid;
  };
  const principal = uidAt("principal");
  const action = uidAt("action");
  const resource = uidAt("resource");
  let context: RecordValue | undefined = new RecordValue(new Map());
  const cj = o["context"];
  const fastContext = contextHint === undefined ? fastRecord(cj) : undefined;
  if (fastContext !== undefined) context = fastContext;
  else if (cj !== undefined && cj !== null) {
    try {
      const hint = typeof contextHint === "function" ? (action === undefined ? undefined : contextHint(action.key)) : contextHint;
      const r = valueFromJson(cj as JsonValue, hint);
      if (!r.ok) {
        diagnostics.push(diag("W5004", `request: \`context\`: ${r.error}`, NOWHERE));
        context = undefined;
      } else if (!(r.value instanceof RecordValue)) {
        diagnostics.push(diag("W5004", "request: `context` must be a record", NOWHERE));
        context = undefined;
      } else context = r.value;
    } catch (e) {
      diagnostics.push(diag("W5004", `request: \`context\`: ${e instanceof Error ? e.message : "invalid value"}`, NOWHERE));
      context = undefined;
    }
  }
  let lineage: RecordValue | undefined;
  const lj = o["lineage"];
  if (lj !== undefined && lj !== null) {
    const r = lineageFromJson(lj);
    if (typeof r === "string") diagnostics.push(diag("W5004", `request: \`lineage\`: ${r}`, NOWHERE));
    else lineage = r;
  }
  if (principal === undefined || action === undefined || resource === undefined || context === undefined || (lj !== undefined && lj !== null && lineage === undefined)) {
    return { request: undefined, diagnostics };
  }
  return { request: lineage === undefined ? { principal, action, resource, context } : { principal, action, resource, context, lineage }, diagnostics };
}

// NOTE: interning of request uids (valid type name → id → EntityUID). EntityUID is immutable,
// so sharing instances changes nothing but speed (and lets identity memos hit). Bounded.
const uidCache = new Map<string, Map<string, EntityUID>>();
const MAX_CACHED_UIDS = 16384;
let cachedUids = 0;
/** The most recently cached uid per id (any type): one lookup for the common case. */
const uidById = new Map<string, EntityUID>();

/**
 * Fast path for the common uid form `{"type": "T", "id": "…"}`; undefined means "use the
 * general reader" (which also produces the error message). Same result as `entityUidFromJson`.
 */
export function fastUid(j: unknown): EntityUID | undefined {
  if (typeof j !== "object" || j === null) return undefined;
  const o = j as { readonly type?: unknown; readonly id?: unknown; readonly __entity?: unknown };
  const { type, id } = o;
  if (typeof type !== "string" || typeof id !== "string" || o.__entity !== undefined) return undefined;
  const recent = uidById.get(id);
  if (recent !== undefined && recent.type === type) return recent;
  let byId = uidCache.get(type);
  if (byId === undefined) {
    if (!isValidTypeName(type)) return undefined;
    byId = new Map();
    if (cachedUids < MAX_CACHED_UIDS) uidCache.set(type, byId);
  }
  let u = byId.get(id);
  if (u === undefined) {
    u = new EntityUID(type, id);
    if (cachedUids < MAX_CACHED_UIDS) {
      byId.set(id, u);
      cachedUids++;
      uidById.set(id, u);
    }
  } else uidById.set(id, u); // (only cached uids go into `uidById`, so it stays bounded too)
  return u;
}

/**
 * Fast path for a context read without a hint: booleans, strings and safe integers directly,
 * other fields through `valueFromJson` one by one; undefined means "use the general reader"
 * (which also produces the error message). Same result as `valueFromJson` on the record.
 */
function fastRecord(j: unknown): RecordValue | undefined {
  if (j === undefined || j === null) return new RecordValue(new Map());
  if (typeof j !== "object" || Array.isArray(j)) return undefined;
  const m = new Map<string, Value>();
  for (const k in j) {
    if (!Object.prototype.hasOwnProperty.call(j, k)) continue;
    if (k.startsWith("__")) return undefined;
    const v = (j as Record<string, unknown>)[k];
    if (typeof v === "boolean" || typeof v === "string") m.set(k, v);
    else if (typeof v === "number" && Number.isSafeInteger(v)) m.set(k, BigInt(v));
    else {
      // Without a hint a record field reads the same on its own as inside the record.
      const r = valueFromJson(v as JsonValue);
      if (!r.ok) return undefined;
      m.set(k, r.value);
    }
  }
  return new RecordValue(m);
}
