/**
 * The governor: the guard that runs an action only when a loaded bundle
 * permits it, and records every step in the lineage log.
 *
 *     request → authorize → verify → execute → audit      (fail closed at every arrow)
 *
 * `execute(request, action, { parent?, actor })`:
 * 1. looks up the parent event (when given) in the log and checks its
 *    inclusion proof against the latest signed checkpoint — and likewise the
 *    parent execution's `requested` and decision events; a parent that is
 *    missing or does not verify is a deny;
 * 2. builds the `lineage` value (depth, parent, root, ancestors) from the
 *    verified parent and adds it to the request (a caller-supplied `lineage`
 *    is refused: only the governor vouches for ancestry);
 * 3. decides with the bundle, and refuses an allow whose obligations are not
 *    all handled by a registered handler;
 * 4. records `requested` + `authorized`/`denied` durably before anything runs;
 * 5. runs every obligation handler (a handler that refuses or throws stops the
 *    execution), records `verified`, runs the action, records `executed` or
 *    `failed` and `audited`.
 * When a record cannot be written (store failure, signing failure) the action
 * does not run; nothing is ever recorded as executed that did not run.
 *
 * The bundle is stored in the log's bundle table by id (its unsigned
 * canonical JSON) so that `writ lineage replay` can re-evaluate decisions.
 *
 * NOTE: the clock is read only to stamp `recordedAt`; decisions never see it.
 */
import { canonicalBytes, canonicalJson, contentId } from "../compiler/canonical.js";
import { BUNDLE_FORMAT, LANGUAGE_VERSION, toPlainJson } from "../compiler/ids.js";
import type { LoadedBundle } from "./bundle.js";
import { templateFields } from "./bundle-links.js";
import { decide, type DecisionRecord, type RecordJson } from "./decision-record.js";
import {
  asLineageEvent,
  childLineage,
  EVENT_KIND,
  isDecisionPhase,
  recordedLineage,
  summaryOf,
  type EventOutcome,
  type LineageEvent,
  type LineageJson,
  type Phase,
} from "./lineage/events.js";
import type { LineageLog } from "./lineage/log.js";
import { defaultHasher } from "./lineage/merkle.js";
import { eventIdOf, verifyProof } from "./lineage/proof.js";

/** What an obligation handler and the action are told about the execution. */
export interface ExecutionContext {
  /** The execution id. */
  readonly execution: string;
  /** The `authorized` event id: pass it as `parent` to run child executions. */
  readonly authorizedEvent: string;
  /** The merged obligations of the decision. */
  readonly obligations: Readonly<Record<string, RecordJson>>;
  /** The decision record. */
  readonly decision: DecisionRecord;
}

/**
 * Fulfils one obligation. Returning `false` (or throwing) refuses the
 * execution; anything else fulfils it.
 */
export type ObligationHandler = (value: RecordJson, ctx: ExecutionContext) => boolean | void | Promise<boolean | void>;

/** Options of a {@link Governor}. */
export interface GovernorOptions {
  /** The lineage log every step is recorded in. */
  readonly log: LineageLog;
  /** The loaded bundle that decides. */
  readonly bundle: LoadedBundle;
  /** This decision node's name (recorded in every event and in descendants' lineage). */
  readonly node: string;
  /** One handler per obligation name; an obligation without one is a deny. */
  readonly handlers?: Readonly<Record<string, ObligationHandler>>;
  /** Default entities (Cedar JSON) of every request (default `[]`). */
  readonly entities?: unknown;
  /** Wall clock for `recordedAt` (default `new Date()`). */
  readonly clock?: () => Date;
  /** Execution id generator (default a random UUID). */
  readonly newExecutionId?: () => string;
}

/** Options of one {@link Governor.execute} call. */
export interface ExecuteOptions {
  /** Who asks (a person, an agent, a service). */
  readonly actor: string;
  /** An event of the parent execution (typically its `authorized` event). */
  readonly parent?: string;
  /** Entities for this request (default: the governor's). */
  readonly entities?: unknown;
}

/** One recorded event of an execution. */
export interface RecordedEvent {
  readonly phase: Phase;
  readonly id: string;
  readonly index: number;
}

/** The result of {@link Governor.execute}. */
export interface GovernedResult<T> {
  /** True when the action was permitted and ran (successfully or not: see `error`). */
  readonly allowed: boolean;
  /** True when the action ran, succeeded and every event was recorded. */
  readonly ok: boolean;
  readonly execution: string;
  /** The decision record (absent when the request was refused before deciding). */
  readonly decisionRecord?: DecisionRecord;
  /** The events recorded, in order. */
  readonly events: readonly RecordedEvent[];
  /** The action's result, when it ran and succeeded. */
  readonly result?: T;
  /** Why the execution was refused, or what failed. */
  readonly reason?: string;
}

/** The unsigned canonical bundle JSON of a loaded bundle (what `loadBundle` accepts back). */
export function bundleText(b: LoadedBundle): string {
  return canonicalJson({
    format: BUNDLE_FORMAT,
    language: LANGUAGE_VERSION,
    semantics: b.semantics,
    sequence: b.sequence,
    schemaId: b.schemaId,
    schema: toPlainJson(b.schema),
    policies: b.policies.map((p) => ({ name: p.name, id: p.id, ir: toPlainJson(p.ir) })),
    ...(toPlainJson(templateFields(b)) as Record<string, unknown>),
    bundleId: b.bundleId,
  });
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function isObject(x: unknown): x is Readonly<Record<string, unknown>> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** The event id the log gives an event: its RFC 6962 leaf id over the canonical bytes. */
export function leafIdOf(event: LineageEvent): string {
  return eventIdOf(defaultHasher.leaf(canonicalBytes(event)));
}

function randomId(): string {
  return `exec:${globalThis.crypto.randomUUID()}`;
}

/** A verified parent: the lineage a child of it gets. */
type ParentCheck = { readonly ok: true; readonly lineage: LineageJson } | { readonly ok: false; readonly reason: string };

/** The guard API: decide, enforce obligations, run, record. */
export class Governor {
  private readonly log: LineageLog;
  private readonly bundle: LoadedBundle;
  private readonly node: string;
  private readonly handlers: Readonly<Record<string, ObligationHandler>>;
  private readonly entities: unknown;
  private readonly clock: () => Date;
  private readonly newExecutionId: () => string;
  private bundleStored: Promise<void> | undefined;

  constructor(options: GovernorOptions) {
    this.log = options.log;
    this.bundle = options.bundle;
    this.node = options.node;
    this.handlers = options.handlers ?? {};
    this.entities = options.entities ?? [];
    this.clock = options.clock ?? (() => new Date());
    this.newExecutionId = options.newExecutionId ?? randomId;
  }

  /** Store the bundle by id once (retried after a failure). */
  private storeBundle(): Promise<void> {
    if (this.bundleStored === undefined) {
      this.bundleStored = this.log.store.putBundle(this.bundle.bundleId, bundleText(this.bundle));
      this.bundleStored.catch(() => {
        this.bundleStored = undefined;
      });
    }
    return this.bundleStored;
  }

  /** An event of an execution, stamped now. */
  private event(execution: string, phase: Phase, actor: string, parents: readonly string[], extra: Partial<LineageEvent>): LineageEvent {
    return { kind: EVENT_KIND, execution, phase, actor, node: this.node, parents: [...parents], ...extra, recordedAt: this.clock().toISOString() };
  }

  /** A stored, proven event: its content, or why it cannot be used. */
  private async provenEvent(id: string, what: string): Promise<LineageEvent | string> {
    let entry;
    try {
      entry = await this.log.get(id);
    } catch (e) {
      return `cannot read ${what} ${id}: ${errorText(e)}`;
    }
    if (entry === undefined) return `${what} ${id} is not in the lineage log`;
    const proof = await this.log.prove(id);
    if (!proof.ok) return `${what} ${id} does not verify: ${proof.error}`;
    const check = verifyProof(proof.proof, this.log.publicKey);
    if (!check.ok) return `${what} ${id} does not verify: ${check.error}`;
    const ev = asLineageEvent(proof.proof.event);
    return typeof ev === "string" ? `${what} ${id} is not a lineage event: ${ev}` : ev;
  }

  /**
   * Verify the parent event and its execution's `requested` and decision
   * events (each proven against the latest checkpoint), and derive the lineage of a child.
   */
  async verifyParent(parentId: string): Promise<ParentCheck> {
    const first = await this.provenEvent(parentId, "parent event");
    if (typeof first === "string") return { ok: false, reason: first };
    const exec = first.execution;
    const sameExecution = async (ids: readonly string[]): Promise<{ id: string; event: LineageEvent } | string | undefined> => {
      for (const id of ids) {
        const other = await this.log.get(id);
        if (other === undefined || other.event["execution"] !== exec) continue;
        const proven = await this.provenEvent(id, "ancestor event");
        return typeof proven === "string" ? proven : { id, event: proven };
      }
      return undefined;
    };
    // Walk up the parent execution's own chain to its `requested` event (a chain has at most 5 events).
    let cur: { id: string; event: LineageEvent } = { id: parentId, event: first };
    let decided = isDecisionPhase(first.phase) ? first : undefined;
    for (let step = 0; step < 8 && cur.event.phase !== "requested"; step++) {
      const up = await sameExecution(cur.event.parents);
      if (up === undefined) break;
      if (typeof up === "string") return { ok: false, reason: up };
      cur = up;
      if (isDecisionPhase(cur.event.phase)) decided ??= cur.event;
    }
    const requested = cur.event.phase === "requested" ? cur.event : undefined;
    if (requested !== undefined && decided === undefined) {
      // The parent given is the `requested` event itself: its decision event is one of its children.
      const children = await this.log.store.findChildren(cur.id);
      for (const i of children) {
        const c = await this.log.get(i);
        if (c === undefined || c.event["execution"] !== exec || !isDecisionPhase(c.event["phase"] as Phase)) continue;
        const proven = await this.provenEvent(c.id, "ancestor event");
        if (typeof proven === "string") return { ok: false, reason: proven };
        decided = proven;
        break;
      }
    }
    if (requested === undefined || decided === undefined) return { ok: false, reason: `parent execution ${exec} has no recorded request and decision` };
    const summary = summaryOf(requested, decided);
    if (typeof summary === "string") return { ok: false, reason: `parent execution ${exec}: ${summary}` };
    const lineage = recordedLineage(requested);
    if (typeof lineage === "string") return { ok: false, reason: `parent execution ${exec}: ${lineage}` };
    return { ok: true, lineage: childLineage(summary, lineage) };
  }

  /** Append events as one batch; the ids, or the failure. */
  private async record(events: readonly LineageEvent[]): Promise<RecordedEvent[] | string> {
    const r = await this.log.append(events);
    if (!r.ok) return r.error;
    return r.entries.map((e, k) => ({ phase: events[k]!.phase, id: e.id, index: e.index }));
  }

  /**
   * Run `action` as one governed execution. Never throws (the action's own
   * exception becomes a `failed` outcome).
   */
  async execute<T>(request: unknown, action: (ctx: ExecutionContext) => Promise<T> | T, options: ExecuteOptions): Promise<GovernedResult<T>> {
    let execution = "";
    const state = { ran: false };
    try {
      execution = this.newExecutionId();
      return await this.run(execution, request, action, options, state);
    } catch (e) {
      // A broken store read, clock or id generator: refuse (the action has not run unless `ran`).
      return { allowed: state.ran, ok: false, execution, events: [], reason: `governor failure: ${errorText(e)}` };
    }
  }

  private async run<T>(
    execution: string,
    request: unknown,
    action: (ctx: ExecutionContext) => Promise<T> | T,
    options: ExecuteOptions,
    state: { ran: boolean },
  ): Promise<GovernedResult<T>> {
    const actor = options.actor;
    const parents = options.parent === undefined ? [] : [options.parent];
    const entities = options.entities ?? this.entities;
    const refused = (reason: string, events: readonly RecordedEvent[] = [], decisionRecord?: DecisionRecord): GovernedResult<T> => ({
      allowed: false,
      ok: false,
      execution,
      events,
      reason,
      ...(decisionRecord === undefined ? {} : { decisionRecord }),
    });

    try {
      await this.storeBundle();
    } catch (e) {
      return refused(`cannot store the bundle in the lineage log: ${errorText(e)}`);
    }

    // 1–2. Verify the parent and build the lineage.
    let problem: string | undefined;
    let lineage: LineageJson = { depth: 0, ancestors: [] };
    if (!isObject(request)) problem = "the request must be a JSON object";
    else if (request["lineage"] !== undefined) problem = "the request must not carry `lineage`: the governor supplies the verified ancestry";
    else if (options.parent !== undefined) {
      const p = await this.verifyParent(options.parent);
      if (p.ok) lineage = p.lineage;
      else problem = p.reason;
    }
    const asked = (isObject(request) && problem === undefined ? { ...request, lineage } : request) as RecordJson;
    const requested = this.event(execution, "requested", actor, parents, { request: asked, entities: entities as RecordJson, bundleId: this.bundle.bundleId });
    if (problem !== undefined) {
      const denied = this.event(execution, "denied", actor, [], { outcome: { status: "refused", reason: problem } });
      return this.recordDenial(requested, denied, actor, problem, refused);
    }

    // 3. Decide; an obligation without a handler is a deny.
    const record = decide(this.bundle, asked, entities);
    if (record.decision === "deny") {
      const why = record.errors.length > 0 ? record.errors.map((e) => `${e.policy === "" ? "input" : e.policy}: ${e.message}`).join("; ") : undefined;
      const reason = why ?? (record.reasons.length > 0 ? `forbidden by ${record.reasons.map((r) => r.name).join(", ")}` : "no policy permits it");
      const denied = this.event(execution, "denied", actor, [], { decision: record, outcome: { status: "ok", reason } });
      return this.recordDenial(requested, denied, actor, reason, refused, record);
    }
    const unhandled = Object.keys(record.obligations).filter((k) => !Object.prototype.hasOwnProperty.call(this.handlers, k));
    if (unhandled.length > 0) {
      const reason = `no handler for obligation${unhandled.length > 1 ? "s" : ""} ${unhandled.map((k) => `\`${k}\``).join(", ")}`;
      const denied = this.event(execution, "denied", actor, [], { decision: record, outcome: { status: "refused", reason } });
      return this.recordDenial(requested, denied, actor, reason, refused, record);
    }

    // 4. Record the authorization durably before anything runs.
    const authorized = this.event(execution, "authorized", actor, [], { decision: record });
    const first = await this.recordChain([requested, authorized]);
    if (typeof first === "string") return refused(`cannot record the authorization: ${first}`, [], record);
    const events: RecordedEvent[] = [...first];
    const authorizedId = first[1]!.id;
    const ctx: ExecutionContext = { execution, authorizedEvent: authorizedId, obligations: record.obligations, decision: record };

    // 5. Obligations, then the action.
    const handled: string[] = [];
    for (const key of Object.keys(record.obligations).sort()) {
      let accepted: boolean;
      let why = "";
      try {
        accepted = (await this.handlers[key]!(record.obligations[key]!, ctx)) !== false;
      } catch (e) {
        accepted = false;
        why = `: ${errorText(e)}`;
      }
      if (!accepted) {
        const reason = `obligation \`${key}\` was not fulfilled${why}`;
        const closing = await this.close(execution, actor, authorizedId, "failed", { status: "refused", reason }, false);
        if (typeof closing === "string") return refused(`${reason}; recording failed: ${closing}`, events, record);
        return refused(reason, [...events, ...closing], record);
      }
      handled.push(key);
    }
    const verified = this.event(execution, "verified", actor, [authorizedId], { outcome: { status: "ok", obligations: handled } });
    const v = await this.record([verified]);
    if (typeof v === "string") return refused(`cannot record the verification: ${v}`, events, record);
    events.push(...v);

    let result: T;
    try {
      state.ran = true;
      result = await action(ctx);
    } catch (e) {
      const reason = `the action failed: ${errorText(e)}`;
      const closing = await this.close(execution, actor, v[0]!.id, "failed", { status: "error", reason }, true);
      const recorded = typeof closing === "string" ? events : [...events, ...closing];
      const note = typeof closing === "string" ? `; recording failed: ${closing}` : "";
      return { allowed: true, ok: false, execution, decisionRecord: record, events: recorded, reason: reason + note };
    }
    let digest: string | undefined;
    try {
      digest = result === undefined ? undefined : contentId(result);
    } catch {
      digest = undefined;
    }
    const outcome: EventOutcome = digest === undefined ? { status: "ok" } : { status: "ok", resultDigest: digest };
    const closing = await this.close(execution, actor, v[0]!.id, "executed", outcome, true);
    if (typeof closing === "string") {
      return { allowed: true, ok: false, execution, decisionRecord: record, events, result, reason: `the action ran but its outcome could not be recorded: ${closing}` };
    }
    return { allowed: true, ok: true, execution, decisionRecord: record, events: [...events, ...closing], result };
  }

  /** Append events where each names the previous one's id as parent (ids are known only once hashed). */
  private async recordChain(chain: readonly LineageEvent[]): Promise<RecordedEvent[] | string> {
    const linked: LineageEvent[] = [];
    for (const ev of chain) {
      const prev = linked[linked.length - 1];
      linked.push(prev === undefined ? ev : { ...ev, parents: [leafIdOf(prev)] });
    }
    return this.record(linked);
  }

  /** Record a refused execution: `requested`, `denied` and `audited` in one batch. */
  private async recordDenial<T>(
    requested: LineageEvent,
    denied: LineageEvent,
    actor: string,
    reason: string,
    refused: (reason: string, events?: readonly RecordedEvent[], record?: DecisionRecord) => GovernedResult<T>,
    record?: DecisionRecord,
  ): Promise<GovernedResult<T>> {
    const audited = this.event(requested.execution, "audited", actor, [], { outcome: { status: "ok", allowed: false } });
    const r = await this.recordChain([requested, denied, audited]);
    if (typeof r === "string") return refused(`${reason}; recording the denial failed: ${r}`, [], record);
    return refused(reason, r, record);
  }

  /** Record the outcome event and the audit event after it. */
  private async close(execution: string, actor: string, after: string, phase: "executed" | "failed", outcome: EventOutcome, allowed: boolean): Promise<RecordedEvent[] | string> {
    const end = this.event(execution, phase, actor, [after], { outcome });
    const audited = this.event(execution, "audited", actor, [], { outcome: { status: outcome.status, allowed } });
    return this.recordChain([end, audited]);
  }
}
