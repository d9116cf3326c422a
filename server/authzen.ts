/**
 * The AuthZEN Authorization API 1.0 mapping onto Writ decisions.
 *
 * | AuthZEN | Writ (Cedar request) |
 * |---|---|
 * | `subject {type, id, properties?}` | principal `<type>::"<id>"` |
 * | `resource {type, id, properties?}` | resource `<type>::"<id>"` |
 * | `action {name}` | action `<action type>::"<name>"` (the schema's only action type, or `--action-type`) |
 * | `properties` | that entity's attributes for this request, over the stored ones (typed by the schema) |
 * | `context` | the request context (without the obligations-extension declarations) |
 *
 * - Properties are applied as an update of the entity store for this one request (a new
 *   snapshot, cost proportional to the entities changed); an entity that is not stored is
 *   created from its properties (no parents). `action.properties` are not used: Cedar actions
 *   have no attributes (put such values in `context`).
 * - A deny is `{"decision": false}`; a request that does not fit the schema (an unknown action,
 *   a property of the wrong type) is a deny too (fail closed). Only `?explain=true` adds
 *   `context.writ` (the decision record) and `context.error` (why an input was refused).
 * - Obligations follow the AuthZEN Obligations Extension/Profile: a decision that carries
 *   obligations is returned with `context.obligations` (type `custom`, `properties: {name,
 *   value}`) only to a PEP that declared `context.supported_mandatory_extensions: ["obligations"]`
 *   and `context.supported_obligations: ["custom"]`; to any other PEP it is a plain deny.
 *
 * NOTE: pure over a snapshot (bundle, entity store): no I/O, no clock.
 */
import { decide, type DecisionRecord, type EntityJson, type EntityStore, type LoadedBundle, type RequestJson } from "../runtime/index.js";

/** An AuthZEN subject or resource. */
export interface AuthzenEntity {
  readonly type: string;
  readonly id?: string;
  readonly properties?: Readonly<Record<string, unknown>>;
}

/** An AuthZEN action. */
export interface AuthzenAction {
  readonly name: string;
  readonly properties?: Readonly<Record<string, unknown>>;
}

/** One access evaluation (every part present). */
export interface AuthzenEvaluation {
  readonly subject: AuthzenEntity;
  readonly action: AuthzenAction;
  readonly resource: AuthzenEntity;
  readonly context?: Readonly<Record<string, unknown>>;
}

/** An AuthZEN decision. */
export interface AuthzenDecision {
  readonly decision: boolean;
  readonly context?: Readonly<Record<string, unknown>>;
}

/** What evaluations are decided on. */
export interface DecideOn {
  readonly bundle: LoadedBundle;
  readonly store: EntityStore;
  readonly actionType: string | undefined;
}

/** The obligation type Writ obligations travel as (their semantics are agreed between Writ and the PEP). */
export const OBLIGATION_TYPE = "custom";
/** The capability URN of the Obligations Extension (PDP metadata). */
export const OBLIGATIONS_CAPABILITY = "urn:openid:authzen:capability:obligations";
/** Request-context members that are protocol declarations, not authorization attributes. */
const PROTOCOL_KEYS: ReadonlySet<string> = new Set(["supported_mandatory_extensions", "supported_obligations"]);

/** The outcome of one evaluation: the AuthZEN decision and the record behind it (absent when refused before deciding). */
export interface Evaluated {
  readonly out: AuthzenDecision;
  readonly record?: DecisionRecord;
  /** True when the record allowed (before the obligations-extension rules). */
  readonly allowed: boolean;
}

function isObject(x: unknown): x is Readonly<Record<string, unknown>> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** The request context split into the Cedar context and the obligations-extension declarations. */
function splitContext(context: Readonly<Record<string, unknown>> | undefined): { readonly cedar: Record<string, unknown>; readonly adopts: boolean; readonly types: ReadonlySet<string> } {
  const cedar: Record<string, unknown> = {};
  let adopts = false;
  let types: ReadonlySet<string> = new Set();
  for (const [k, v] of Object.entries(context ?? {})) {
    if (!PROTOCOL_KEYS.has(k)) Object.defineProperty(cedar, k, { value: v, enumerable: true, writable: true, configurable: true });
    else if (k === "supported_mandatory_extensions") adopts = Array.isArray(v) && v.includes("obligations");
    else if (Array.isArray(v)) types = new Set(v.filter((t): t is string => typeof t === "string"));
  }
  return { cedar, adopts, types };
}

/** The stored entity with `properties` over its attributes (or a new entity made of them). */
function overlay(store: EntityStore, e: AuthzenEntity, into: Map<string, EntityJson>): void {
  if (e.properties === undefined || e.id === undefined) return;
  const uid = { type: e.type, id: e.id };
  const key = `${e.type}::${JSON.stringify(e.id)}`;
  const base = (into.get(key) ?? store.get(uid)) as { attrs?: Record<string, unknown>; parents?: EntityJson["parents"]; tags?: Record<string, unknown> } | undefined;
  const attrs = { ...(isObject(base?.attrs) ? base!.attrs : {}), ...e.properties };
  const tags = isObject(base?.tags) && Object.keys(base!.tags).length > 0 ? { tags: base!.tags } : {};
  into.set(key, { uid, attrs, parents: base?.parents ?? [], ...tags } as EntityJson);
}

/**
 * The store a request is decided on: `store` itself, or `store` with the given entities'
 * properties applied. A string says why the properties do not fit the schema.
 */
export function storeWith(store: EntityStore, entities: readonly AuthzenEntity[]): EntityStore | string {
  const changed = new Map<string, EntityJson>();
  for (const e of entities) overlay(store, e, changed);
  if (changed.size === 0) return store;
  const r = store.update({ upsert: [...changed.values()] });
  if (r.store !== undefined) return r.store;
  return `the properties do not fit the schema: ${r.diagnostics.map((d) => d.message).join("; ")}`;
}

/** The Cedar request of an evaluation (the context without protocol declarations). */
export function cedarRequest(item: AuthzenEvaluation, actionType: string, context: Record<string, unknown>): unknown {
  return {
    principal: { type: item.subject.type, id: item.subject.id ?? "" },
    action: { type: actionType, id: item.action.name },
    resource: { type: item.resource.type, id: item.resource.id ?? "" },
    context,
  };
}

/** The AuthZEN obligation objects of a record's obligations. */
export function obligationsOut(record: DecisionRecord): { readonly id: string; readonly type: string; readonly properties: { readonly name: string; readonly value: unknown } }[] {
  return Object.keys(record.obligations)
    .sort()
    .map((name) => ({ id: name, type: OBLIGATION_TYPE, properties: { name, value: record.obligations[name] } }));
}

function refused(message: string, explain: boolean): Evaluated {
  return { out: explain ? { decision: false, context: { error: { status: 400, message } } } : { decision: false }, allowed: false };
}

/**
 * Decide one AuthZEN evaluation on a snapshot. `store` may already carry properties applied by
 * the caller (search applies the fixed side's once); `applyProperties` applies this item's.
 */
export function evaluate(on: DecideOn, item: AuthzenEvaluation, explain: boolean, applyProperties = true): Evaluated {
  if (on.actionType === undefined) return refused("the schema has several action types: start the server with --action-type", explain);
  const ctx = splitContext(item.context);
  const store = applyProperties ? storeWith(on.store, [item.subject, item.resource]) : on.store;
  if (typeof store === "string") return refused(store, explain);
  const record = decide(on.bundle, cedarRequest(item, on.actionType, ctx.cedar) as RequestJson, store);
  const allowed = record.decision === "allow";
  const obligations = allowed ? obligationsOut(record) : [];
  // The Obligations Extension's PDP outcome: obligations only to a PEP that adopted them and handles every type.
  const deliverable = obligations.length === 0 || (ctx.adopts && ctx.types.has(OBLIGATION_TYPE));
  const decision = allowed && deliverable;
  const context: Record<string, unknown> = {};
  if (decision && obligations.length > 0) context["obligations"] = obligations;
  if (explain) {
    context["writ"] = record;
    const inputErrors = record.errors.filter((e) => e.policy === "");
    if (inputErrors.length > 0) context["error"] = { status: 400, message: inputErrors.map((e) => e.message).join("; ") };
    if (allowed && !deliverable) context["error"] = { status: 403, message: "the decision carries obligations this PEP did not declare it can enforce" };
  }
  return { out: Object.keys(context).length === 0 ? { decision } : { decision, context }, record, allowed };
}

/** How an `evaluations` batch is run. */
export type EvaluationsSemantic = "execute_all" | "deny_on_first_deny" | "permit_on_first_permit";

/** The parts of an `evaluations` request (top-level defaults, items, options). */
export interface EvaluationsRequest {
  readonly subject?: AuthzenEntity;
  readonly action?: AuthzenAction;
  readonly resource?: AuthzenEntity;
  readonly context?: Readonly<Record<string, unknown>>;
  readonly evaluations?: readonly Partial<AuthzenEvaluation>[];
  readonly options?: { readonly evaluations_semantic?: EvaluationsSemantic };
}

/**
 * The evaluations of a batch with the top-level defaults applied (an item's key overrides the
 * default; `context` is replaced, not merged), or why one is incomplete. Without items (absent
 * or empty) the request is one evaluation.
 */
export function batchItems(body: EvaluationsRequest): { readonly items: AuthzenEvaluation[]; readonly single: boolean } | string {
  const list = body.evaluations === undefined || body.evaluations.length === 0 ? undefined : body.evaluations;
  const raw: readonly Partial<AuthzenEvaluation>[] = list ?? [{}];
  const items: AuthzenEvaluation[] = [];
  for (let i = 0; i < raw.length; i++) {
    const it = raw[i]!;
    const subject = it.subject ?? body.subject;
    const action = it.action ?? body.action;
    const resource = it.resource ?? body.resource;
    const context = it.context ?? body.context;
    const where = list === undefined ? "the request" : `evaluations[${i}]`;
    for (const [k, v] of [["subject", subject], ["action", action], ["resource", resource]] as const) {
      if (v === undefined) return `${where} has no \`${k}\` (and there is no top-level default)`;
    }
    if (subject!.id === undefined) return `${where}: \`subject.id\` is required`;
    if (resource!.id === undefined) return `${where}: \`resource.id\` is required`;
    items.push({ subject: subject!, action: action!, resource: resource!, ...(context === undefined ? {} : { context }) });
  }
  return { items, single: list === undefined };
}

/** Run a batch under its semantic; the decisions in request order (cut short by the semantic). */
export function evaluateBatch(on: DecideOn, items: readonly AuthzenEvaluation[], semantic: EvaluationsSemantic, explain: boolean): Evaluated[] {
  const out: Evaluated[] = [];
  for (const item of items) {
    const e = evaluate(on, item, explain);
    out.push(e);
    if (semantic === "deny_on_first_deny" && !e.out.decision) break;
    if (semantic === "permit_on_first_permit" && e.out.decision) break;
  }
  return out;
}
