/**
 * Decision records: the evidence of one decision from a loaded bundle.
 *
 * ```
 * { format: "writ-decision/1", decision, reasons: [{ name, policyId, reason? }],
 *   errors: [{ policy, policyId, code, message }], obligations, shadow,
 *   bundleId, requestDigest, evaluator: "writ/<version>" }
 * ```
 *
 * `requestDigest` = `contentId({ request, entities })` over canonical forms computed from the
 * parsed values, not from the input text: JSON key order, entity order, parent order and set
 * element order never change it. Entities are sorted by uid key, values written by
 * `valueToJson`; a Long outside ±2^53 is written `{"__long": "<decimal>"}` (canonical JSON has
 * no big integers). The schema's action entities that the runtime adds are not part of it.
 *
 * `recordBytes(record)` are the RFC 8785 bytes of the record: identical inputs give identical
 * bytes in every process (nothing depends on time, randomness or the environment).
 *
 * Invalid input (unreadable request or entities, or not conforming to the bundle's schema)
 * yields a `deny` record whose `errors` name the problem with `policy: ""` (fail closed).
 */
import { canonicalBytes, contentId } from "../compiler/canonical.js";
import { compareCodeUnits } from "../compiler/ids.js";
import { requestFromJson, type Request } from "../compiler/request.js";
import { contextHintFor, entityHintFor, schemaActionEntities, validateEntities, validateRequest } from "../compiler/request-validate.js";
import type { Diagnostic } from "../compiler/compile-ir.js";
import { Entities, entitiesFromJson, valueToJson, type JsonValue } from "../stdlib/index.js";
import { EntityUID, type Value } from "../stdlib/value.js";
import type { LoadedBundle } from "./bundle.js";
import { EVALUATOR } from "./version.js";

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** A copy of a plain JSON value with every lone UTF-16 surrogate replaced by U+FFFD (so it has canonical bytes). */
function wellFormed(x: RecordJson): RecordJson {
  if (typeof x === "string") return x.replace(LONE_SURROGATE, "\ufffd");
  if (Array.isArray(x)) return x.map(wellFormed);
  if (x !== null && typeof x === "object") {
    const out: { [key: string]: RecordJson } = {};
    for (const [k, v] of Object.entries(x)) Object.defineProperty(out, wellFormed(k) as string, { value: wellFormed(v), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return x;
}

/** Plain JSON (what records hold). */
export type RecordJson = null | boolean | number | string | RecordJson[] | { [key: string]: RecordJson };

/** One determining policy of a decision. */
export interface RecordReason {
  readonly name: string;
  readonly policyId: string;
  readonly reason?: string;
}

/** One erroring policy (or, with `policy: ""`, an input problem). */
export interface RecordError {
  readonly policy: string;
  readonly policyId: string;
  readonly code: string;
  readonly message: string;
}

/** A decision record (plain JSON). */
export interface DecisionRecord {
  readonly format: "writ-decision/1";
  readonly decision: "allow" | "deny";
  readonly reasons: RecordReason[];
  readonly errors: RecordError[];
  readonly obligations: { [key: string]: RecordJson };
  readonly shadow: RecordJson[];
  readonly bundleId: string;
  readonly requestDigest: string;
  readonly evaluator: string;
}

/** Plain JSON of a Cedar JSON value: big Longs become `{"__long": "<decimal>"}`. */
export function plainJson(v: JsonValue | unknown): RecordJson {
  if (typeof v === "bigint") return { __long: v.toString() };
  if (Array.isArray(v)) return v.map(plainJson);
  if (v !== null && typeof v === "object") {
    const out: { [key: string]: RecordJson } = {};
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) continue;
      Object.defineProperty(out, k, { value: plainJson(x), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return v as RecordJson;
}

function uidJson(u: EntityUID): RecordJson {
  return { type: u.type, id: u.id };
}

function valueJson(v: Value): RecordJson {
  return plainJson(valueToJson(v));
}

/** The canonical form of a request (the lineage too, when the request carries one). */
export function canonicalRequest(request: Request): RecordJson {
  const out: { [key: string]: RecordJson } = {
    principal: uidJson(request.principal),
    action: uidJson(request.action),
    resource: uidJson(request.resource),
    context: valueJson(request.context),
  };
  const lineage = (request as unknown as { readonly lineage?: Value }).lineage;
  if (lineage !== undefined) out["lineage"] = valueJson(lineage);
  return out;
}

/** The canonical form of an entity store: records sorted by uid key, parents sorted. */
export function canonicalEntities(entities: Entities): RecordJson {
  return [...entities.records()]
    .sort((a, b) => compareCodeUnits(a.uid.key, b.uid.key))
    .map((r) => ({
      uid: uidJson(r.uid),
      attrs: valueJson(r.attrs),
      parents: [...new Map(r.parents.map((p) => [p.key, p])).values()].sort((a, b) => compareCodeUnits(a.key, b.key)).map(uidJson),
      tags: valueJson(r.tags),
    }));
}

/** `contentId({ request, entities })` of the canonical forms. */
export function requestDigest(request: Request, entities: Entities): string {
  return contentId({ request: canonicalRequest(request), entities: canonicalEntities(entities) });
}

function inputDigest(requestJson: unknown, entitiesJson: unknown): string {
  try {
    return contentId({ request: plainJson(requestJson), entities: plainJson(entitiesJson), invalid: true });
  } catch {
    return contentId({ invalid: true });
  }
}

function inputFailure(loaded: LoadedBundle, diagnostics: readonly Diagnostic[], requestJson: unknown, entitiesJson: unknown): DecisionRecord {
  const errors = diagnostics.filter((d) => d.severity === "error").map((d) => ({ policy: "", policyId: "", code: d.code, message: d.message }));
  return finish(loaded, "deny", [], errors, {}, [], inputDigest(requestJson, entitiesJson));
}

function finish(
  loaded: LoadedBundle,
  decision: "allow" | "deny",
  reasons: RecordReason[],
  errors: RecordError[],
  obligations: { [key: string]: RecordJson },
  shadow: RecordJson[],
  digest: string,
): DecisionRecord {
  // Strings from the input (error messages, obligation values) may hold lone surrogates.
  const record = { format: "writ-decision/1", decision, reasons, errors, obligations, shadow, bundleId: loaded.bundleId, requestDigest: digest, evaluator: EVALUATOR };
  return wellFormed(record as unknown as RecordJson) as unknown as DecisionRecord;
}

/**
 * Decide one request (Cedar request JSON, with an optional `lineage`) against Cedar entities
 * JSON with a loaded bundle, reading both with the bundle's schema. Never throws.
 */
export function decide(loaded: LoadedBundle, requestJson: unknown, entitiesJson: unknown): DecisionRecord {
  const schema = loaded.schema;
  let parsedReq;
  let parsedEnts;
  try {
    parsedReq = requestFromJson(requestJson, (actionKey: string) => contextHintFor(schema, actionKey));
    parsedEnts = entitiesFromJson(entitiesJson as JsonValue, entityHintFor(schema));
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return finish(loaded, "deny", [], [{ policy: "", policyId: "", code: "W5004", message }], {}, [], inputDigest(requestJson, entitiesJson));
  }
  const request = parsedReq.request;
  const given = parsedEnts.entities;
  if (request === undefined || given === undefined) return inputFailure(loaded, [...parsedReq.diagnostics, ...parsedEnts.diagnostics], requestJson, entitiesJson);
  const extra = schemaActionEntities(schema).filter((a) => given.get(a.uid) === undefined);
  const built = extra.length === 0 ? { entities: given, problems: [] } : Entities.build([...given.records(), ...extra]);
  if (built.entities === undefined) return inputFailure(loaded, [], requestJson, entitiesJson);
  const entities = built.entities;
  const problems = [...validateRequest(schema, request), ...validateEntities(schema, entities)].filter((d) => d.severity === "error");
  if (problems.length > 0) return inputFailure(loaded, problems, requestJson, entitiesJson);

  let digest: string;
  try {
    digest = requestDigest(request, given);
  } catch {
    const message = "the request or the entities contain a string that is not valid Unicode (a lone surrogate)";
    return finish(loaded, "deny", [], [{ policy: "", policyId: "", code: "W5004", message }], {}, [], inputDigest(requestJson, entitiesJson));
  }
  const d = loaded.program.decide(request, entities);
  const idOf = (name: string): string => loaded.byName.get(name)?.id ?? "";
  const ext = d as unknown as {
    readonly determining?: readonly { readonly name: string; readonly reason?: string }[];
    readonly obligations?: Readonly<Record<string, unknown>>;
    readonly shadow?: readonly unknown[];
  };
  const reasons: RecordReason[] = d.reasons.map((name) => {
    const reason = ext.determining?.find((x) => x.name === name)?.reason ?? loaded.byName.get(name)?.reason;
    return reason === undefined ? { name, policyId: idOf(name) } : { name, policyId: idOf(name), reason };
  });
  const errors: RecordError[] = d.errors.map((e) => ({ policy: e.policy, policyId: idOf(e.policy), code: e.code, message: e.message }));
  const obligations = (ext.obligations === undefined ? {} : plainJson(ext.obligations)) as { [key: string]: RecordJson };
  const shadow = (ext.shadow === undefined ? [] : plainJson(ext.shadow)) as RecordJson[];
  return finish(loaded, d.decision, reasons, errors, obligations, shadow, digest);
}

/** The canonical (RFC 8785) bytes of a decision record. */
export function recordBytes(record: DecisionRecord): Uint8Array {
  return canonicalBytes(record);
}
