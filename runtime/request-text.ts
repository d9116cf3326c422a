/**
 * The RFC 8785 text that a request digest hashes, written straight from runtime values:
 *
 *     canonicalJson({ entitiesId, request: canonicalRequest(request) })
 *
 * is the definition (see `decision-record.ts`); this writer produces the same characters
 * without building the intermediate JSON objects or running the generic canonicalizer —
 * the digest is on every decision's path. Keys are written in UTF-16 code-unit order (the
 * order JCS sorts in), strings as `JSON.stringify` writes them (JCS's string form), Longs
 * as plain integers within ±2^53 and `{"__long": "<decimal>"}` beyond, sets in the order
 * `valueToJson` gives them (sorted by value key). Extension values, which are rare in
 * requests, go through the definition itself.
 *
 * INVARIANT: equal to the definition for every request (a property test compares them).
 * NOTE: browser-safe.
 */
import { canonicalJson, flatText as flat } from "../compiler/canonical.js";
import { toPlainJson } from "../compiler/ids.js";
import type { Request } from "../compiler/request.js";
import { valueToJson } from "../stdlib/json.js";
import { EntityUID, RecordValue, SetValue, type Value } from "../stdlib/value.js";
import { canonicalString } from "./canonical-value.js";

/** `JSON.stringify(s)`, refusing a lone surrogate as canonical JSON does. */
const str = canonicalString;

/** `{"id":…,"type":…}` of a uid (computed once per uid object: see `EntityUID.jsonText`). */
function uidText(u: EntityUID): string {
  return flat(['{"id":', str(u.id), ',"type":', str(u.type), "}"]);
}

function uid(u: EntityUID): string {
  return EntityUID.jsonText(u, uidText);
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A record's keys in canonical order, each with the text written before its value. */
interface Layout {
  /** The keys in insertion order (what a later record is compared with). */
  readonly given: readonly string[];
  /** The keys in UTF-16 code-unit order. */
  readonly keys: readonly string[];
  /** `{"k":` for the first key, `,"k":` for the others. */
  readonly heads: readonly string[];
}

/**
 * Layouts of recently seen key lists, by key count. Requests of one service have the same
 * context keys in the same order, so the sort and the key texts are computed once.
 */
const layouts = new Map<number, Layout>();

function recordLayout(fields: ReadonlyMap<string, Value>): Layout {
  const cached = layouts.get(fields.size);
  if (cached !== undefined) {
    // INVARIANT: same size (the cache key), so equal key sequences mean the same layout.
    let same = true;
    let i = 0;
    for (const k of fields.keys()) {
      if (k !== cached.given[i++]) {
        same = false;
        break;
      }
    }
    if (same) return cached;
  }
  const given = [...fields.keys()];
  const keys = [...given].sort(byCodeUnits);
  const heads = keys.map((k, i) => `${i === 0 ? "{" : ","}${str(k)}:`);
  const layout: Layout = { given, keys, heads };
  if (layouts.size < MAX_LAYOUTS || layouts.has(fields.size)) layouts.set(fields.size, layout);
  return layout;
}

/** Bound on cached layouts (one per key count). */
const MAX_LAYOUTS = 64;

/** The canonical text of one value (as `canonicalJson(toPlainJson(valueToJson(v)))`). */
function value(v: Value): string {
  switch (typeof v) {
    case "boolean":
      return v ? "true" : "false";
    case "string":
      return str(v);
    case "bigint": {
      // NOTE: a bigint beyond ±(2^53 - 1) converts to a Number beyond it too, never to a safe one.
      const n = Number(v);
      return Number.isSafeInteger(n) ? String(n) : `{"__long":"${v.toString()}"}`;
    }
    default:
      break;
  }
  if (v instanceof EntityUID) return `{"__entity":${uid(v)}}`;
  if (v instanceof SetValue) {
    if (v.elements.length === 0) return "[]";
    const keyed = [...v.keyed().entries()].sort((a, b) => byCodeUnits(a[0], b[0]));
    let out = "[";
    for (let i = 0; i < keyed.length; i++) out += (i === 0 ? "" : ",") + value(keyed[i]![1]);
    return `${out}]`;
  }
  if (v instanceof RecordValue) {
    const fields = v.fields;
    if (fields.size === 0) return "{}";
    const layout = recordLayout(fields);
    let out = "";
    for (let i = 0; i < layout.keys.length; i++) out += layout.heads[i]! + value(fields.get(layout.keys[i]!)!);
    return `${out}}`;
  }
  const j = valueToJson(v) as { __extn?: { fn?: unknown; arg?: unknown; args?: unknown } };
  const x = j.__extn;
  if (x !== undefined && typeof x.fn === "string" && typeof x.arg === "string" && x.args === undefined) return `{"__extn":{"arg":${str(x.arg)},"fn":${str(x.fn)}}}`;
  return canonicalJson(toPlainJson(j));
}

/** The text before the action for the last entities id (a service decides on one store at a time). */
let lastId: string | undefined;
let lastPrefix = "";

/**
 * The canonical text of `{ entitiesId, request }` for a request digest. `contextText`, when
 * given, is the canonical text of `request.context` written while the request was read
 * (`readValidRequest`); otherwise it is written here from the values.
 * @throws CanonicalJsonError when a string holds a lone surrogate.
 */
export function requestDigestText(request: Request, entitiesId: string, contextText?: string): string {
  const lineage = (request as unknown as { readonly lineage?: Value }).lineage;
  if (entitiesId !== lastId) {
    lastPrefix = flat(['{"entitiesId":', str(entitiesId), ',"request":{"action":']);
    lastId = entitiesId;
  }
  // NOTE: `+` rather than a template literal: no ToString step per piece.
  const context = contextText ?? value(request.context);
  const head = lastPrefix + uid(request.action) + ',"context":' + context;
  return (lineage === undefined ? head : head + ',"lineage":' + value(lineage)) + ',"principal":' + uid(request.principal) + ',"resource":' + uid(request.resource) + "}}";
}
