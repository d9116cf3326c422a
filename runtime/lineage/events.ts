/**
 * The lineage event model: one governed execution is recorded as a few
 * events, one per phase of
 *
 *     request → authorize → verify → execute → audit
 *
 * ```
 * { kind: "writ-event/1", execution, phase, actor, node, parents: [event ids],
 *   request?, entitiesId?, bundleId?, decision?, outcome?, recordedAt }
 * ```
 *
 * - `requested` carries everything the verdict depends on: the request as
 *   decided (its `lineage` field included), the id of the entity snapshot and the
 *   bundle id. The snapshot and the bundle are stored once each in the log's object
 *   table under those ids (so an event's size does not grow with the entity store);
 *   verification and replay re-hash them.
 *   Its `parents` name the event of the parent execution it descends from
 *   (empty for a root execution): these links form the execution DAG.
 * - `authorized` / `denied` carries the decision record; `denied` also when
 *   the governor refused an allow (an obligation nobody handles, an
 *   unverifiable parent) — `outcome.reason` says why.
 * - `verified` (allowed executions only): every obligation was handled.
 * - `executed` / `failed`: the outcome of the action (or of an obligation
 *   handler that refused).
 * - `audited`: the closing summary of the execution.
 * Every later phase names the previous event of the same execution as its
 * parent. The event id is the log's leaf id over the canonical bytes, so
 * every field above (and `recordedAt`) is inside the hash.
 *
 * `recordedAt` is recorded only: no decision ever reads it.
 *
 * NOTE: browser-safe (pure data).
 */
import type { DecisionRecord, RecordJson } from "../decision-record.js";

/** The event kind tag. */
export const EVENT_KIND = "writ-event/1";

/** The phases of a governed execution, in order. */
export const PHASES = ["requested", "authorized", "denied", "verified", "executed", "failed", "audited"] as const;

/** One phase of a governed execution. */
export type Phase = (typeof PHASES)[number];

/** The outcome part of an event (plain JSON). */
export interface EventOutcome {
  /** `ok`: the step succeeded; `refused`: the governor refused; `error`: the step failed. */
  readonly status: "ok" | "refused" | "error";
  /** Why the governor refused or what failed. */
  readonly reason?: string;
  /** Obligations handled (by name), on `verified`. */
  readonly obligations?: readonly string[];
  /** The effective verdict, on `audited`. */
  readonly allowed?: boolean;
  /** `sha256:<hex>` of the action's result as canonical JSON, when it has one. */
  readonly resultDigest?: string;
  /** The catalog code of a refusal or failure. */
  readonly code?: string;
  /** On `verified`: what the executor did to fulfil each obligation (by name), as it reported it. */
  readonly evidence?: Readonly<Record<string, RecordJson>>;
}

/** A lineage event (plain JSON). */
export interface LineageEvent {
  readonly kind: typeof EVENT_KIND;
  /** The execution this event belongs to. */
  readonly execution: string;
  readonly phase: Phase;
  /** Who asked for the execution (a person, an agent, a service). */
  readonly actor: string;
  /** The decision node that recorded the event. */
  readonly node: string;
  /** Parent event ids (see the module comment). */
  readonly parents: readonly string[];
  /** On `requested`: the request as decided (with its `lineage`). */
  readonly request?: RecordJson;
  /** On `requested`: the content id of the entity snapshot decided on (stored in the log's objects). */
  readonly entitiesId?: string;
  /** On `requested`, in logs written before snapshots were stored by id: the entities themselves. */
  readonly entities?: RecordJson;
  /** On `requested`: the bundle the request is decided with. */
  readonly bundleId?: string;
  /** On `authorized` / `denied`: the decision record. */
  readonly decision?: DecisionRecord;
  readonly outcome?: EventOutcome;
  /** ISO 8601 wall time of recording (never read by evaluation). */
  readonly recordedAt: string;
}

/** One execution as the `lineage` variable sees it. */
export interface ExecutionSummary {
  readonly principal: { readonly type: string; readonly id: string };
  readonly action: { readonly type: string; readonly id: string };
  readonly resource: { readonly type: string; readonly id: string };
  readonly decision: string;
  readonly bundleId: string;
  readonly node: string;
}

/** The JSON of a request's `lineage` field. */
export interface LineageJson {
  readonly depth: number;
  readonly parent?: ExecutionSummary;
  readonly root?: ExecutionSummary;
  readonly ancestors: readonly ExecutionSummary[];
}

function isObject(x: unknown): x is Readonly<Record<string, unknown>> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

const PHASE_SET: ReadonlySet<string> = new Set(PHASES);

/**
 * Read a stored JSON object as a lineage event, or say why it is not one.
 * Checks the fields every event has; phase-specific fields are read by their users.
 */
export function asLineageEvent(x: unknown): LineageEvent | string {
  if (!isObject(x)) return "not a JSON object";
  if (x.kind !== EVENT_KIND) return `not a ${EVENT_KIND} event`;
  if (typeof x.execution !== "string" || x.execution === "") return "`execution` must be a non-empty string";
  if (typeof x.phase !== "string" || !PHASE_SET.has(x.phase)) return "unknown `phase`";
  if (typeof x.actor !== "string" || typeof x.node !== "string") return "`actor` and `node` must be strings";
  if (!Array.isArray(x.parents) || !x.parents.every((p) => typeof p === "string")) return "`parents` must be a list of event ids";
  if (typeof x.recordedAt !== "string") return "`recordedAt` must be a string";
  return x as unknown as LineageEvent;
}

/** The effective verdict of a decision event: `allow` for `authorized`, else `deny`. */
export function verdictOf(e: LineageEvent): "allow" | "deny" {
  return e.phase === "authorized" ? "allow" : "deny";
}

/** True for the phases that carry the execution's verdict. */
export function isDecisionPhase(p: Phase): boolean {
  return p === "authorized" || p === "denied";
}

function uidOf(x: unknown): { type: string; id: string } | undefined {
  if (!isObject(x)) return undefined;
  const inner = isObject(x.__entity) ? x.__entity : x;
  return typeof inner.type === "string" && typeof inner.id === "string" ? { type: inner.type, id: inner.id } : undefined;
}

/**
 * The summary of an execution from its `requested` event and its decision
 * event, or a reason why they do not make one.
 */
export function summaryOf(requested: LineageEvent, decided: LineageEvent): ExecutionSummary | string {
  const r = requested.request;
  if (!isObject(r)) return "the requested event carries no request";
  const principal = uidOf(r.principal);
  const action = uidOf(r.action);
  const resource = uidOf(r.resource);
  if (principal === undefined || action === undefined || resource === undefined) return "the recorded request has no principal, action or resource";
  const bundleId = decided.decision?.bundleId ?? requested.bundleId ?? "";
  return { principal, action, resource, decision: verdictOf(decided), bundleId, node: requested.node };
}

/** The lineage JSON recorded in a `requested` event (absent = depth 0, no ancestors). */
export function recordedLineage(requested: LineageEvent): LineageJson | string {
  const r = requested.request;
  if (!isObject(r)) return "the requested event carries no request";
  const l = r.lineage;
  if (l === undefined) return { depth: 0, ancestors: [] };
  if (!isObject(l) || typeof l.depth !== "number" || !Array.isArray(l.ancestors)) return "the recorded lineage is malformed";
  return l as unknown as LineageJson;
}

/** The lineage of a child of the execution summarized by `parent`, whose own lineage was `parentLineage`. */
export function childLineage(parent: ExecutionSummary, parentLineage: LineageJson): LineageJson {
  return {
    depth: parentLineage.depth + 1,
    parent,
    root: parentLineage.root ?? parent,
    ancestors: [...parentLineage.ancestors, parent],
  };
}
