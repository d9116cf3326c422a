/**
 * Decision records: the evidence of one decision from a loaded bundle.
 *
 * ```
 * { format: "writ-decision/2", decision, reasons: [{ name, policyId, reason? }],
 *   errors: [{ policy, policyId, code, message }], obligations, shadow,
 *   bundleId, entitiesId, requestDigest, evaluator: "writ/<version>" }
 * ```
 *
 * - `entitiesId` is the content id of the entity store the request was decided on
 *   (`EntityStore.id`, see `entity-digest.ts`); the store itself is not copied into records.
 * - `requestDigest` = `sha256:<hex>` of the RFC 8785 bytes of
 *   `{ entitiesId, request: <canonical request> }`, computed from the parsed values, not from
 *   the input text: JSON key order, uid spelling (`{type,id}` or `__entity`) and set element
 *   order never change it. The canonical request is `{principal, action, resource, context}`
 *   (uids as `{type, id}`, values written by `valueToJson`, a Long outside ±2^53 as
 *   `{"__long": "<decimal>"}`) plus `lineage` when the request carries one.
 *
 * `recordBytes(record)` are the RFC 8785 bytes of the record: identical inputs give identical
 * bytes in every process (nothing depends on time, randomness or the environment).
 *
 * Invalid input (an unreadable request, entities that do not load, a request not conforming
 * to the bundle's schema, a store checked against another schema) yields a `deny` record whose
 * `errors` name the problem with `policy: ""` (fail closed); its `requestDigest` covers the
 * raw input with `invalid: true`. Those errors do not depend on JSON key order either: see
 * {@link inCanonicalOrder}.
 *
 * NOTE: browser-safe; the entry (`runtime/index.ts`, `runtime/browser.ts`) supplies SHA-256.
 */
import { canonicalBytes, canonicalJson } from "../compiler/canonical.js";
import { errorText, problem, type Diagnostic } from "../compiler/compile-ir.js";
import { readRequest } from "../compiler/inputs.js";
import type { Request } from "../compiler/request.js";
import { readValidRequest, type ContextText } from "../compiler/valid-request.js";
import { MAX_JSON_DEPTH } from "../stdlib/json.js";
import { notLoadedBundle, type LoadedBundle } from "./bundle.js";
import type { RuntimeCrypto } from "./crypto/platform.js";

/** The hashing a decision needs (`runtimeCrypto` of an entry). */
export type DigestHash = Pick<RuntimeCrypto, "sha256" | "sha256Id">;
import { plainJson, uidJson, valueJson, type PlainJson } from "./entity-digest.js";
import { EntityStore, type CedarJson, type EntityJson, type EntityUidJson } from "./entity-store.js";
import type { LineageJson } from "./lineage/events.js";
import { requestDigestText } from "./request-text.js";
import { EVALUATOR } from "./version.js";

/** The decision record format tag. */
export const DECISION_FORMAT = "writ-decision/2";

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, "g");

/** A copy of a plain JSON value with every lone UTF-16 surrogate replaced by U+FFFD (so it has canonical bytes). */
function wellFormed(x: RecordJson): RecordJson {
  if (typeof x === "string") return LONE_SURROGATE.test(x) ? x.replace(LONE_SURROGATES, "\ufffd") : x;
  if (Array.isArray(x)) return x.map(wellFormed);
  if (x !== null && typeof x === "object") {
    const out: { [key: string]: RecordJson } = {};
    for (const [k, v] of Object.entries(x)) Object.defineProperty(out, wellFormed(k) as string, { value: wellFormed(v), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return x;
}

/** Plain JSON (what records hold). */
export type RecordJson = PlainJson;

/** A request in Cedar's JSON shape, with the optional `lineage` the governor supplies. */
export interface RequestJson {
  readonly principal: EntityUidJson;
  readonly action: EntityUidJson;
  readonly resource: EntityUidJson;
  readonly context?: { readonly [name: string]: CedarJson };
  readonly lineage?: CedarJson;
}

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
  readonly format: typeof DECISION_FORMAT;
  readonly decision: "allow" | "deny";
  readonly reasons: RecordReason[];
  readonly errors: RecordError[];
  readonly obligations: { [key: string]: RecordJson };
  readonly shadow: RecordJson[];
  readonly bundleId: string;
  /** The content id of the entity store decided on (`""` when the entities did not load). */
  readonly entitiesId: string;
  readonly requestDigest: string;
  readonly evaluator: string;
}

/** The canonical form of a request (the lineage too, when the request carries one). */
export function canonicalRequest(request: Request): RecordJson {
  const out: { [key: string]: RecordJson } = {
    principal: uidJson(request.principal),
    action: uidJson(request.action),
    resource: uidJson(request.resource),
    context: valueJson(request.context),
  };
  const lineage = (request as unknown as { readonly lineage?: Parameters<typeof valueJson>[0] }).lineage;
  if (lineage !== undefined) out["lineage"] = valueJson(lineage);
  return out;
}

/**
 * `sha256:<hex>` of the canonical `{ entitiesId, request }`.
 * @throws CanonicalJsonError when a string of the request holds a lone surrogate.
 */
export function requestDigestWith(hash: DigestHash, request: Request, entitiesId: string, contextText?: string): string {
  return hash.sha256Id(requestDigestText(request, entitiesId, contextText));
}

function inputDigest(hash: DigestHash, requestJson: unknown, entities: unknown): string {
  const ents = entities instanceof EntityStore ? { entitiesId: entities.id } : { entities: safePlain(entities) };
  try {
    return hash.sha256Id(canonicalJson(wellFormed({ invalid: true, request: safePlain(requestJson), ...ents } as unknown as RecordJson)));
  } catch {
    return hash.sha256Id(canonicalJson({ invalid: true }));
  }
}

/** Plain JSON of arbitrary input, or null when it has none (cycles, functions, …). */
function safePlain(x: unknown): RecordJson {
  try {
    return JSON.parse(JSON.stringify(plainJson(x)) ?? "null") as RecordJson;
  } catch {
    return null;
  }
}

function finish(
  bundleId: string,
  decision: "allow" | "deny",
  reasons: RecordReason[],
  errors: RecordError[],
  obligations: { [key: string]: RecordJson },
  shadow: RecordJson[],
  entitiesId: string,
  digest: string,
  clean: boolean,
): DecisionRecord {
  const record: DecisionRecord = { format: DECISION_FORMAT, decision, reasons, errors, obligations, shadow, bundleId, entitiesId, requestDigest: digest, evaluator: EVALUATOR };
  // Strings from the input (error messages, obligation values) may hold lone surrogates.
  return clean ? record : (wellFormed(record as unknown as RecordJson) as unknown as DecisionRecord);
}

/**
 * Levels {@link keySorted} copies: the readers refuse anything nested deeper than
 * `MAX_JSON_DEPTH` before they look inside it, so what lies below is kept as given (and the
 * copy's recursion is bounded).
 */
const COPY_DEPTH = MAX_JSON_DEPTH + 2;

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A plain object (what `JSON.parse` makes), as opposed to a class instance the readers take as it is. */
function isPlainObject(x: unknown): x is Readonly<Record<string, unknown>> {
  if (typeof x !== "object" || x === null || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * A copy of `x` whose plain objects list their keys in UTF-16 code-unit order (RFC 8785's),
 * arrays in their own order, every other value as it is.
 * @throws whatever reading `x` throws (a getter, a proxy).
 */
function keySorted(x: unknown, depth = 0): unknown {
  if (depth > COPY_DEPTH) return x;
  if (Array.isArray(x)) return x.map((y: unknown) => keySorted(y, depth + 1));
  if (!isPlainObject(x)) return x;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(x).sort(byCodeUnits)) {
    // NOTE: defineProperty, so that an own `__proto__` key stays a key.
    Object.defineProperty(out, k, { value: keySorted(x[k], depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * The diagnostics of reading invalid input in canonical key order: `read` applied to a
 * key-sorted copy of `input`, or `given` (the diagnostics of reading `input` itself) when the
 * copy cannot be made or reads without error.
 *
 * Why: the readers walk objects in the input's key order and stop at the first problem, so an
 * input with two problems (two attributes nested too deep) names one or the other depending on
 * which key came first. A governed execution's `requested` event stores the request in
 * canonical form and replay decides again from it: the record must not depend on key order for
 * replay to reproduce it. Only the error path pays; a valid input is never copied.
 */
function inCanonicalOrder(input: unknown, given: readonly Diagnostic[], read: (copy: unknown) => readonly Diagnostic[] | undefined): readonly Diagnostic[] {
  try {
    const again = read(keySorted(input));
    return again !== undefined && again.some((d) => d.severity === "error") ? again : given;
  } catch {
    return given;
  }
}

/** The diagnostics of a request that does not read, in canonical key order. */
function requestProblems(requestJson: unknown, schema: LoadedBundle["schema"], given: readonly Diagnostic[]): readonly Diagnostic[] {
  return inCanonicalOrder(requestJson, given, (copy) => readRequest(copy, schema).diagnostics);
}

/** The diagnostics of entities JSON that does not load, in canonical key order. */
function entityProblems(loaded: LoadedBundle, entities: unknown, sha256: DigestHash["sha256"], given: readonly Diagnostic[]): readonly Diagnostic[] {
  return inCanonicalOrder(entities, given, (copy) => EntityStore.load(loaded, copy, sha256).diagnostics);
}

function inputFailure(hash: DigestHash, bundleId: string, diagnostics: readonly Diagnostic[], requestJson: unknown, entities: unknown): DecisionRecord {
  const errors = diagnostics.filter((d) => d.severity === "error").map((d) => ({ policy: "", policyId: "", code: d.code, message: d.message }));
  const entitiesId = entities instanceof EntityStore ? entities.id : "";
  return finish(bundleId, "deny", [], errors, {}, [], entitiesId, inputDigest(hash, requestJson, entities), false);
}

/** A deny for a failure outside the request's content: `code` is W7010 (no loaded bundle) or W7011 (something threw). */
function failure(hash: DigestHash, bundleId: string, code: "W7010" | "W7011", detail: string, requestJson: unknown, entities: unknown): DecisionRecord {
  return inputFailure(hash, bundleId, [diagOf(problem(code, { detail }).message, code)], requestJson, entities);
}

/** The context text of the last `validRequest` (reused: one decision at a time per thread). */
const readText: ContextText = { text: undefined };

/** `readValidRequest` with its context text in `readText`; undefined (read the general way) when it throws. */
function validRequest(json: unknown, schema: LoadedBundle["schema"]): Request | undefined {
  readText.text = undefined;
  try {
    return readValidRequest(json, schema, readText);
  } catch {
    return undefined;
  }
}

/** Entities for a decision: a loaded store, or Cedar entities JSON read for this one call. */
export type DecideEntities = EntityStore | readonly EntityJson[];

/**
 * Decide one request with a loaded bundle on an entity store (or on entities JSON, read and
 * checked for this call only — O(size of the entities) per call: keep a store instead).
 * Only the request is read and validated per call. Never throws.
 */
export function decideWith(hash: DigestHash, loaded: LoadedBundle, requestJson: RequestJson | unknown, entities: DecideEntities | unknown): DecisionRecord {
  const notLoaded = notLoadedBundle(loaded);
  if (notLoaded !== undefined) return failure(hash, "", "W7010", notLoaded, requestJson, entities);
  try {
    return decideLoaded(hash, loaded, requestJson, entities);
  } catch (e) {
    // Fail closed: nothing below is expected to throw (input is read defensively); if it does, deny and say so.
    return failure(hash, loaded.bundleId, "W7011", errorText(e), requestJson, entities);
  }
}

/** {@link decideWith} on a checked bundle. */
function decideLoaded(hash: DigestHash, loaded: LoadedBundle, requestJson: unknown, entities: unknown): DecisionRecord {
  let store: EntityStore;
  if (entities instanceof EntityStore) store = entities;
  else {
    const r = EntityStore.load(loaded, entities, hash.sha256);
    if (r.store === undefined) return inputFailure(hash, loaded.bundleId, entityProblems(loaded, entities, hash.sha256, r.diagnostics), requestJson, entities);
    store = r.store;
  }
  if (store.schemaId !== loaded.schemaId) {
    const p = problem("W7001", { storeSchema: store.schemaId, bundleSchema: loaded.schemaId });
    return finish(loaded.bundleId, "deny", [], [{ policy: "", policyId: "", code: p.code, message: p.message }], {}, [], store.id, inputDigest(hash, requestJson, store), true);
  }
  // The common case, a valid request, read in one pass with its context's canonical text.
  let request = validRequest(requestJson, loaded.schema);
  let contextText = readText.text;
  if (request === undefined) {
    const read = readRequest(requestJson, loaded.schema);
    if (read.request === undefined) return inputFailure(hash, loaded.bundleId, requestProblems(requestJson, loaded.schema, read.diagnostics), requestJson, store);
    request = read.request;
    contextText = undefined;
  }
  let digest: string;
  try {
    digest = requestDigestWith(hash, request, store.id, contextText);
  } catch {
    const message = "the request contains a string that is not valid Unicode (a lone surrogate)";
    return finish(loaded.bundleId, "deny", [], [{ policy: "", policyId: "", code: "W5004", message }], {}, [], store.id, inputDigest(hash, requestJson, store), false);
  }
  const d = loaded.program.decide(request, store.entities);
  const byName = loaded.byName;
  // NOTE: a plain loop, no closure per reason: this runs once per decision.
  const determining = d.determining;
  const reasons: RecordReason[] = [];
  for (let i = 0; i < determining.length; i++) {
    const { name, reason } = determining[i]!;
    const p = byName.get(name);
    const text = reason ?? p?.reason;
    reasons.push(text === undefined ? { name, policyId: p?.id ?? "" } : { name, policyId: p?.id ?? "", reason: text });
  }
  let clean = true;
  const errors: RecordError[] = d.errors.length === 0 ? [] : recordErrors(d.errors, byName);
  if (errors.length > 0) clean = !errors.some((e) => LONE_SURROGATE.test(e.message));
  let obligations: { [key: string]: RecordJson } = {};
  if (!isEmpty(d.obligations)) {
    obligations = plainJson(d.obligations) as { [key: string]: RecordJson };
    clean = false;
  }
  const shadow = d.shadow.length === 0 ? [] : (plainJson(d.shadow) as RecordJson[]);
  if (shadow.length > 0) clean = false;
  return finish(loaded.bundleId, d.decision, reasons, errors, obligations, shadow, store.id, digest, clean);
}

/** The record errors of a decision's policy errors. */
function recordErrors(errors: readonly { readonly policy: string; readonly code: string; readonly message: string }[], byName: LoadedBundle["byName"]): RecordError[] {
  return errors.map((e) => ({ policy: e.policy, policyId: byName.get(e.policy)?.id ?? "", code: e.code, message: e.message }));
}

/** Whether an object has no enumerable key. */
function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

/**
 * Decide several requests on one store (or one read of entities JSON). Same records as
 * deciding each alone. Never throws.
 */
export function decideManyWith(hash: DigestHash, loaded: LoadedBundle, requests: readonly (RequestJson | unknown)[], entities: DecideEntities | unknown): DecisionRecord[] {
  const notLoaded = notLoadedBundle(loaded);
  const bundleId = notLoaded === undefined ? loaded.bundleId : "";
  try {
    if (!Array.isArray(requests)) return [inputFailure(hash, bundleId, [diagOf("requests must be an array")], requests, entities)];
    if (notLoaded !== undefined) return requests.map((q) => failure(hash, "", "W7010", notLoaded, q, entities));
    let store: EntityStore | undefined;
    if (entities instanceof EntityStore) store = entities;
    else {
      const r = EntityStore.load(loaded, entities, hash.sha256);
      if (r.store === undefined) {
        const problems = entityProblems(loaded, entities, hash.sha256, r.diagnostics);
        return requests.map((q) => inputFailure(hash, bundleId, problems, q, entities));
      }
      store = r.store;
    }
    return requests.map((q) => decideWith(hash, loaded, q, store));
  } catch (e) {
    // The array itself could not be read (a proxy or getter that throws): one deny, as for a non-array.
    return [failure(hash, bundleId, "W7011", `the requests could not be read: ${errorText(e)}`, undefined, entities)];
  }
}

function diagOf(message: string, code: Diagnostic["code"] = "W5004"): Diagnostic {
  return { code, severity: "error", message, span: { start: 0, end: 0 } };
}

/** The canonical (RFC 8785) bytes of a decision record. */
export function recordBytes(record: DecisionRecord): Uint8Array {
  return canonicalBytes(record);
}

/**
 * `{ ...request, lineage }`: the request's own enumerable properties in their order, then
 * `lineage`. NOTE: copied key by key: the generic spread of an object from `JSON.parse` (every
 * HTTP request body) takes V8's slow path (~1 µs against ~0.1 µs); an object with symbol keys or
 * an own `__proto__` key is spread as before. A property test holds the two equal.
 */
export function withLineage(request: Readonly<Record<string, unknown>>, lineage: LineageJson): Record<string, unknown> {
  if (Object.getOwnPropertySymbols(request).length > 0) return { ...request, lineage };
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(request)) {
    if (k === "__proto__") return { ...request, lineage };
    out[k] = request[k];
  }
  out["lineage"] = lineage;
  return out;
}
