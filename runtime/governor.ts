/**
 * The governor: the guard that runs an action only when a loaded bundle
 * permits it, and records every step in the lineage log.
 *
 *     request → authorize → verify → execute → audit      (fail closed at every arrow)
 *
 * In one process, `execute(request, action, { parent?, actor })`:
 * 1. looks up the parent event (when given) in the log and checks its inclusion proof
 *    against the latest signed checkpoint — and likewise the parent execution's
 *    `requested` and decision events; a parent that is missing or does not verify is a deny
 *    (a parent that verified is not proven again for its next children);
 * 2. builds the `lineage` value (depth, parent, root, ancestors) from the verified parent
 *    and adds it to the request (a caller-supplied `lineage` is refused: only the governor
 *    vouches for ancestry);
 * 3. decides with the bundle on the entity store, and refuses an allow whose obligations
 *    are not all handled by a registered handler;
 * 4. records `requested` + `authorized`/`denied` durably before anything runs;
 * 5. runs every obligation handler (a handler that refuses or throws stops the execution),
 *    records `verified`, runs the action, records `executed` or `failed` and `audited`.
 *
 * Across processes (a decision service and an executor elsewhere) the same steps are split:
 * `authorize(request, …)` does 1–4 and returns an {@link Authorization}; the executor runs
 * the action and `complete(authorization, outcome)` records the rest — the outcome must
 * confirm every obligation or the execution is recorded as a violation.
 *
 * When a record cannot be written (store failure, signing failure) the action does not
 * run; nothing is ever recorded as executed that did not run. Concurrent executions share
 * the log's group commit: one transaction, fsync and checkpoint per batch.
 *
 * The bundle and the entity snapshot are stored in the log's objects once each (by id), and
 * events name them by id, so a log's size per execution does not depend on the store's.
 *
 * NOTE: the clock is read only to stamp `recordedAt`; decisions never see it.
 */
import { isoTime } from "./iso-time.js";
import { contentId } from "../compiler/canonical.js";
import { errorText, problem, type DiagnosticCode, type Problem, type ProblemValues } from "../compiler/compile-ir.js";
import { bundleText, type LoadedBundle } from "./bundle.js";
import { authorizationProblem, callOptionsProblem, checkGovernorOptions, checkSwap, outcomeProblem, requestProblem } from "./governor-input.js";
import { decideWith, withLineage, type DecisionRecord, type RecordJson, type RequestJson } from "./decision-record.js";
import { EntityStore } from "./entity-store.js";
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
import { verifyProof } from "./lineage/proof.js";
import type { Authorization, AuthorizeOptions, CompleteResult, ExecuteOptions, ExecutionContext, GovernedResult, GovernorOptions, ObligationHandler, Outcome, RecordedEvent } from "./governor-types.js";

export type { Authorization, AuthorizeOptions, CompleteResult, ExecuteOptions, ExecutionContext, GovernedResult, GovernorOptions, ObligationHandler, Outcome, RecordedEvent } from "./governor-types.js";

function isObject(x: unknown): x is Readonly<Record<string, unknown>> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** The `actor` of options, or "" when they have none (they are refused then). */
function actorOf(options: unknown): string {
  const actor = isObject(options) ? options["actor"] : undefined;
  return typeof actor === "string" ? actor : "";
}

function randomId(): string {
  return `exec:${globalThis.crypto.randomUUID()}`;
}

/** How many verified parents a governor keeps (see `verifiedParents`). */
const VERIFIED_PARENTS = 1024;

/** A verified parent: the lineage a child of it gets. */
type ParentCheck = { readonly ok: true; readonly lineage: LineageJson } | { readonly ok: false; readonly problem: Problem };

function parentProblem(detail: string): { ok: false; problem: Problem } {
  return { ok: false, problem: problem("W7002", { detail }) };
}

/** The guard API: decide, enforce obligations, run, record. */
export class Governor {
  private readonly log: LineageLog;
  private bundle: LoadedBundle;
  private entities: EntityStore;
  private readonly node: string;
  private readonly handlers: Readonly<Record<string, ObligationHandler>>;
  private readonly clock: () => Date;
  private readonly newExecutionId: () => string;
  /** Objects stored in the log (bundles, snapshots) by id, each written once: the pending write, or `true` once it succeeded. */
  private readonly stored = new Map<string, Promise<void> | true>();
  /**
   * Parents verified so far (by event id) and the lineage their children get, most recent last.
   * NOTE: a parent proven once against a signed checkpoint of this append-only log stays proven,
   * and the lineage was built from the content that was verified; a service deciding many
   * children of one parent (an MCP session's calls) proves it once. Failures are not kept.
   */
  private readonly verifiedParents = new Map<string, ParentCheck>();
  /** Executions whose outcome this governor is recording now (a second `complete` is refused). */
  private readonly completing = new Set<string>();
  /**
   * The allows `authorize` returned, each with its outcome's `verified` event id once one is
   * recorded: for these, `complete` knows without reading the log's children of the
   * authorized event (an MCP session's has one per call).
   */
  private readonly issued = new WeakMap<Authorization, string | false>();

  /**
   * @throws TypeError when an option has the wrong type: a `bundle` that is not a loaded bundle
   * or `entities` that are not an entity store (W7010), a `node` that is not a string, …
   */
  constructor(options: GovernorOptions) {
    checkGovernorOptions(options);
    this.log = options.log;
    this.bundle = options.bundle;
    this.node = options.node;
    this.handlers = options.handlers ?? {};
    const empty = EntityStore.load(options.bundle, [], options.log.crypto.sha256).store!;
    this.entities = options.entities ?? empty;
    this.clock = options.clock ?? (() => new Date());
    this.newExecutionId = options.newExecutionId ?? randomId;
  }

  /** The bundle and entity store new executions use. */
  get current(): { readonly bundle: LoadedBundle; readonly entities: EntityStore } {
    return { bundle: this.bundle, entities: this.entities };
  }

  /**
   * Swap the bundle and/or the entity store for new executions (executions in flight finish
   * on what they started with). The store must be checked against the bundle's schema.
   * @throws TypeError when `bundle` is not a loaded bundle or `entities` not an entity store
   * (W7010); nothing is swapped then.
   */
  update(next: { readonly bundle?: LoadedBundle; readonly entities?: EntityStore }): void {
    checkSwap(next, false);
    if (next.bundle !== undefined) this.bundle = next.bundle;
    if (next.entities !== undefined) this.entities = next.entities;
  }

  /**
   * Store a content-addressed object once (retried after a failure); undefined when it is
   * already stored. NOTE: the caller awaits only a pending or failed store, so a governor
   * deciding many requests on one bundle and store does not wait a turn for each.
   */
  private storeObject(id: string, text: () => string): Promise<void> | undefined {
    const known = this.stored.get(id);
    if (known !== undefined) return known === true ? undefined : known;
    const p = this.log.store.putObject(id, text());
    this.stored.set(id, p);
    p.then(
      () => this.stored.set(id, true),
      () => this.stored.delete(id),
    );
    return p;
  }

  /** An event of an execution, stamped now. */
  private event(execution: string, phase: Phase, actor: string, parents: readonly string[], extra: Partial<LineageEvent>): LineageEvent {
    return { kind: EVENT_KIND, execution, phase, actor, node: this.node, parents: [...parents], ...extra, recordedAt: isoTime(this.clock().getTime()) };
  }

  /** A stored, proven event: its content, or why it cannot be used. */
  private async provenEvent(id: string, what: string): Promise<LineageEvent | string> {
    const proof = await this.log.prove(id);
    if (!proof.ok) return proof.problem.code === "W6204" ? `${what} ${id} is not in the lineage log` : `${what} ${id} does not verify: ${proof.problem.message}`;
    // The checkpoint must be one the log's trust accepts: its own key, or any enrolled node of a shared (mesh) log.
    const check = verifyProof(proof.proof, undefined, { ed25519: this.log.crypto.ed25519, hasher: this.log.crypto.merkle });
    const trusted = check.ok ? await this.log.trust.verify(proof.proof.checkpoint) : check;
    if (!trusted.ok) return `${what} ${id} does not verify: ${trusted.problem.message}`;
    const ev = asLineageEvent(proof.proof.event);
    return typeof ev === "string" ? `${what} ${id} is not a lineage event: ${ev}` : ev;
  }

  /**
   * Verify the parent event and its execution's `requested` and decision
   * events (each proven against the latest checkpoint), and derive the lineage of a child.
   */
  async verifyParent(parentId: string): Promise<ParentCheck> {
    const known = this.verifiedParents.get(parentId);
    if (known !== undefined) return known;
    const check = await this.verifyParentNow(parentId);
    if (check.ok) {
      if (this.verifiedParents.size >= VERIFIED_PARENTS) this.verifiedParents.delete(this.verifiedParents.keys().next().value!);
      this.verifiedParents.set(parentId, check);
    }
    return check;
  }

  private async verifyParentNow(parentId: string): Promise<ParentCheck> {
    const first = await this.provenEvent(parentId, "parent event");
    if (typeof first === "string") return parentProblem(first);
    const exec = first.execution;
    const sameExecution = async (ids: readonly string[]): Promise<{ id: string; event: LineageEvent } | string | undefined> => {
      for (const id of ids) {
        const proven = await this.provenEvent(id, "ancestor event");
        if (typeof proven === "string") {
          if ((await this.log.get(id)) === undefined) continue;
          return proven;
        }
        if (proven.execution !== exec) continue;
        return { id, event: proven };
      }
      return undefined;
    };
    // Walk up the parent execution's own chain to its `requested` event (a chain has at most 5 events).
    let cur: { id: string; event: LineageEvent } = { id: parentId, event: first };
    let decided = isDecisionPhase(first.phase) ? first : undefined;
    for (let step = 0; step < 8 && cur.event.phase !== "requested"; step++) {
      const up = await sameExecution(cur.event.parents);
      if (up === undefined) break;
      if (typeof up === "string") return parentProblem(up);
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
        if (typeof proven === "string") return parentProblem(proven);
        if (!proven.parents.includes(cur.id)) continue;
        decided = proven;
        break;
      }
    }
    if (requested === undefined || decided === undefined) return parentProblem(`parent execution ${exec} has no recorded request and decision`);
    const summary = summaryOf(requested, decided);
    if (typeof summary === "string") return parentProblem(`parent execution ${exec}: ${summary}`);
    const lineage = recordedLineage(requested);
    if (typeof lineage === "string") return parentProblem(`parent execution ${exec}: ${lineage}`);
    return { ok: true, lineage: childLineage(summary, lineage) };
  }

  /** Append events as one batch, each naming the previous one's id as parent; the ids, or the failure. */
  private async recordChain(chain: readonly LineageEvent[], onIds?: (ids: readonly string[]) => void): Promise<RecordedEvent[] | Problem> {
    const r = await this.log.append(chain, onIds === undefined ? { chain: true } : { chain: true, onIds });
    if (!r.ok) return r.problem;
    return r.entries.map((e, k) => ({ phase: chain[k]!.phase, id: e.id, index: e.index, recordedAt: chain[k]!.recordedAt }));
  }

  /**
   * Decide and record the authorization of one execution (steps 1–4): `requested` and
   * `authorized`/`denied` are durable before this resolves. A refusal is recorded too
   * (`requested`, `denied`, `audited`). Never throws.
   */
  async authorize(request: RequestJson, options: AuthorizeOptions): Promise<Authorization> {
    let execution = "";
    try {
      execution = this.newExecutionId();
      const auth = await this.authorizeNow(execution, request, options, false);
      if (auth.allowed) this.issued.set(auth, false);
      return auth;
    } catch (e) {
      return { allowed: false, execution, actor: actorOf(options), events: [], obligations: {}, problem: problem("W7007", { detail: errorText(e) }) };
    }
  }

  /**
   * Steps 1–4. With `verifyNow` (in-process executions) an allow without obligations also
   * records `verified` in the same batch: there is nothing to handle first.
   */
  private async authorizeNow(execution: string, request: unknown, options: AuthorizeOptions, verifyNow: boolean): Promise<Authorization> {
    // Options of the wrong type are refused unrecorded: events are written from them.
    const badOptions = callOptionsProblem(options) ?? requestProblem(request);
    if (badOptions !== undefined) return { allowed: false, execution, actor: actorOf(options), events: [], obligations: {}, problem: badOptions };
    const { actor } = options;
    const bundle = this.bundle;
    const entities = options.entities ?? this.entities;
    const parents = options.parent === undefined ? [] : [options.parent];
    const refused = (p: Problem, events: readonly RecordedEvent[] = [], decisionRecord?: DecisionRecord): Authorization => ({
      allowed: false,
      execution,
      actor,
      events,
      obligations: {},
      problem: p,
      ...(decisionRecord === undefined ? {} : { decisionRecord }),
    });
    try {
      const storingBundle = this.storeObject(bundle.bundleId, () => bundleText(bundle));
      if (storingBundle !== undefined) await storingBundle;
      const storingEntities = this.storeObject(entities.id, () => entities.canonicalText());
      if (storingEntities !== undefined) await storingEntities;
    } catch (e) {
      return refused(problem("W7006", { detail: `cannot store the bundle and entities in the lineage log: ${errorText(e)}` }));
    }

    // 1–2. Verify the parent and build the lineage.
    let why: Problem | undefined;
    let lineage: LineageJson = { depth: 0, ancestors: [] };
    if (!isObject(request)) why = problem("W7009", { detail: "the request must be a JSON object" });
    else if (request["lineage"] !== undefined) why = problem("W7009", { detail: "the request must not carry `lineage`: the governor supplies the verified ancestry" });
    else if (options.parent !== undefined) {
      const p = this.verifiedParents.get(options.parent) ?? (await this.verifyParent(options.parent));
      if (p.ok) lineage = p.lineage;
      else why = p.problem;
    }
    const asked = (isObject(request) && why === undefined ? withLineage(request, lineage) : request) as RecordJson;
    const refuseInvalid = options.invalidInput === "refuse";
    const invalid = (r: DecisionRecord): Authorization | undefined => {
      const errors = r.errors.filter((e) => e.policy === "");
      return errors.length === 0 ? undefined : { ...refused(problem("W7009", { detail: `invalid request: ${errors[0]!.message}` })), invalidInput: errors };
    };
    const requested = this.event(execution, "requested", actor, parents, { request: asked, entitiesId: entities.id, bundleId: bundle.bundleId });
    if (why !== undefined) {
      // NOTE: a refusal path: the input is checked on its own here (the request was not decided).
      const bad = refuseInvalid ? invalid(decideWith(this.log.crypto, bundle, request, entities)) : undefined;
      return bad ?? this.recordDenial(requested, actor, why, "refused", refused);
    }

    // 3. Decide (input that does not fit the schema is refused unrecorded when asked); with handlers, an obligation without one is a deny.
    const record = decideWith(this.log.crypto, bundle, asked, entities);
    const bad = refuseInvalid ? invalid(record) : undefined;
    if (bad !== undefined) return bad;
    if (record.decision === "deny") {
      const detail =
        record.errors.length > 0
          ? record.errors.map((e) => `${e.policy === "" ? "input" : e.policy}: ${e.message}`).join("; ")
          : record.reasons.length > 0
            ? `forbidden by ${record.reasons.map((r) => r.name).join(", ")}`
            : "no policy permits it";
      return this.recordDenial(requested, actor, problem("W7008", { detail }), "ok", refused, record);
    }
    const obligationsBy = options.obligationsBy ?? "handlers";
    const unhandled = obligationsBy === "handlers" ? Object.keys(record.obligations).filter((k) => !Object.prototype.hasOwnProperty.call(this.handlers, k)) : [];
    if (unhandled.length > 0) {
      const list = `obligation${unhandled.length > 1 ? "s" : ""} ${unhandled.map((k) => `\`${k}\``).join(", ")}`;
      return this.recordDenial(requested, actor, problem("W7003", { obligations: list }), "refused", refused, record);
    }

    // 4. Record the authorization durably before anything runs.
    const authorized = this.event(execution, "authorized", actor, [], { decision: record });
    const verified = verifyNow && Object.keys(record.obligations).length === 0 ? [this.event(execution, "verified", actor, [], { outcome: { status: "ok", obligations: [] } })] : [];
    const onAuthorizing = options.onAuthorizing;
    const first = await this.recordChain([requested, authorized, ...verified], onAuthorizing === undefined ? undefined : (ids) => onAuthorizing({ execution, authorizedEvent: ids[1]!, decisionRecord: record }));
    if (!Array.isArray(first)) return refused(problem("W7006", { detail: `cannot record the authorization: ${first.message}` }), [], record);
    return { allowed: true, execution, actor, decisionRecord: record, events: first, authorizedEvent: first[1]!.id, obligations: record.obligations };
  }

  /**
   * Record how an authorized execution ended (from an executor in this or another process):
   * `verified` (the obligations the executor confirmed), `executed` or `failed`, and
   * `audited`. An obligation not confirmed makes the outcome a violation: recorded as
   * `failed` with W7004, and returned as `violation`. Refused unrecorded (W7009): an
   * authorization that is not an allow, an outcome of the wrong shape, and an execution that
   * already has an outcome in the log or is being completed by this governor. Never throws.
   */
  async complete(auth: Authorization, outcome: Outcome): Promise<CompleteResult> {
    const bad = authorizationProblem(auth) ?? outcomeProblem(outcome);
    if (bad !== undefined) return { ok: false, problem: bad };
    const execution = auth.execution;
    if (this.completing.has(execution)) return { ok: false, problem: problem("W7009", { detail: `execution ${execution} already has an outcome being recorded` }) };
    this.completing.add(execution);
    try {
      return await this.completeNow(auth as Authorization & { readonly authorizedEvent: string }, outcome);
    } catch (e) {
      return { ok: false, problem: problem("W7007", { detail: errorText(e) }) };
    } finally {
      this.completing.delete(execution);
    }
  }

  /** The id of the `verified` event an outcome of this execution already recorded, if any. */
  private async recordedOutcome(execution: string, authorizedEvent: string): Promise<string | undefined> {
    for (const i of await this.log.store.findChildren(authorizedEvent)) {
      const c = await this.log.get(i);
      if (c !== undefined && c.event["execution"] === execution && c.event["phase"] === "verified") return c.id;
    }
    return undefined;
  }

  /** {@link Governor.complete} on a checked authorization and outcome, not being completed elsewhere in this process. */
  private async completeNow(auth: Authorization & { readonly authorizedEvent: string }, outcome: Outcome): Promise<CompleteResult> {
    const known = this.issued.get(auth);
    // An authorization this governor did not issue (rebuilt from elsewhere): ask the log.
    const earlier = known === undefined ? await this.recordedOutcome(auth.execution, auth.authorizedEvent) : known || undefined;
    if (earlier !== undefined) return { ok: false, problem: problem("W7009", { detail: `execution ${auth.execution} already has an outcome (event ${earlier})` }) };
    const confirmed = new Set(outcome.obligations ?? []);
    const missing = Object.keys(auth.obligations).filter((k) => !confirmed.has(k));
    const events: RecordedEvent[] = [];
    const evidence = outcome.evidence === undefined || Object.keys(outcome.evidence).length === 0 ? {} : { evidence: outcome.evidence };
    const verified = this.event(auth.execution, "verified", auth.actor, [auth.authorizedEvent], {
      outcome: { status: missing.length === 0 ? "ok" : "refused", obligations: [...confirmed].sort(), ...evidence },
    });
    const closingOutcome = (status: EventOutcome["status"], extra: Partial<EventOutcome>): EventOutcome => ({ status, ...extra });
    let violation: Problem | undefined;
    let end: LineageEvent;
    if (missing.length > 0) {
      violation = problem("W7004", { obligation: missing.join("`, `"), detail: ": the outcome did not confirm it" });
      end = this.event(auth.execution, "failed", auth.actor, [], { outcome: closingOutcome("refused", { reason: violation.message, code: violation.code }) });
    } else if (outcome.ok) {
      end = this.event(auth.execution, "executed", auth.actor, [], { outcome: closingOutcome("ok", outcome.resultDigest === undefined ? {} : { resultDigest: outcome.resultDigest }) });
    } else {
      const p = problem("W7005", { detail: outcome.detail ?? "reported as failed" });
      end = this.event(auth.execution, "failed", auth.actor, [], { outcome: closingOutcome("error", { reason: p.message, code: p.code }) });
    }
    const audited = this.event(auth.execution, "audited", auth.actor, [], { outcome: { status: violation === undefined ? (outcome.ok ? "ok" : "error") : "refused", allowed: true } });
    const r = await this.recordChain([verified, end, audited]);
    if (!Array.isArray(r)) return { ok: false, problem: problem("W7006", { detail: `cannot record the outcome: ${r.message}` }) };
    events.push(...r);
    if (known === false) this.issued.set(auth, r[0]!.id);
    return violation === undefined ? { ok: true, events } : { ok: true, events, violation };
  }

  /**
   * Run `action` as one governed execution. Never throws (the action's own
   * exception becomes a `failed` outcome).
   */
  async execute<T>(request: RequestJson, action: (ctx: ExecutionContext) => Promise<T> | T, options: ExecuteOptions): Promise<GovernedResult<T>> {
    const state = { ran: false, execution: "" };
    try {
      return await this.run(request, action, options, state);
    } catch (e) {
      // A broken store read, clock or id generator: refuse (the action has not run unless `ran`).
      return { allowed: state.ran, ok: false, execution: state.execution, events: [], problem: problem("W7007", { detail: errorText(e) }) };
    }
  }

  private async run<T>(request: unknown, action: (ctx: ExecutionContext) => Promise<T> | T, options: ExecuteOptions, state: { ran: boolean; execution: string }): Promise<GovernedResult<T>> {
    state.execution = this.newExecutionId();
    if (typeof action !== "function") return { allowed: false, ok: false, execution: state.execution, events: [], problem: problem("W7009", { detail: "the action must be a function" }) };
    const auth = await this.authorizeNow(state.execution, request, options, true);
    const base = { execution: auth.execution, ...(auth.decisionRecord === undefined ? {} : { decisionRecord: auth.decisionRecord }) };
    if (!auth.allowed || auth.authorizedEvent === undefined) return { allowed: false, ok: false, events: auth.events, ...base, ...(auth.problem === undefined ? {} : { problem: auth.problem }) };
    const record = auth.decisionRecord!;
    const events: RecordedEvent[] = [...auth.events];
    const ctx: ExecutionContext = { execution: auth.execution, authorizedEvent: auth.authorizedEvent, obligations: record.obligations, decision: record };

    // 5. Obligations, then the action.
    const handled: string[] = [];
    for (const key of Object.keys(record.obligations).sort()) {
      let accepted: boolean;
      let detail = "";
      try {
        accepted = (await this.handlers[key]!(record.obligations[key]!, ctx)) !== false;
      } catch (e) {
        accepted = false;
        detail = `: ${errorText(e)}`;
      }
      if (!accepted) {
        const refusal = problem("W7004", { obligation: key, detail });
        const closing = await this.close(auth, [auth.authorizedEvent], "failed", { status: "refused", reason: refusal.message, code: refusal.code }, false, false);
        if (!Array.isArray(closing)) return { allowed: false, ok: false, events, ...base, problem: withRecording(refusal, closing) };
        return { allowed: false, ok: false, events: [...events, ...closing], ...base, problem: refusal };
      }
      handled.push(key);
    }
    let v = events.filter((e) => e.phase === "verified");
    if (v.length === 0) {
      const verified = this.event(auth.execution, "verified", auth.actor, [auth.authorizedEvent], { outcome: { status: "ok", obligations: handled } });
      const recorded = await this.recordChain([verified]);
      if (!Array.isArray(recorded)) return { allowed: false, ok: false, events, ...base, problem: problem("W7006", { detail: `cannot record the verification: ${recorded.message}` }) };
      events.push(...recorded);
      v = recorded;
    }

    let result: T;
    try {
      state.ran = true;
      result = await action(ctx);
    } catch (e) {
      const failed = problem("W7005", { detail: errorText(e) });
      const closing = await this.close(auth, [v[0]!.id], "failed", { status: "error", reason: failed.message, code: failed.code }, true, false);
      if (!Array.isArray(closing)) return { allowed: true, ok: false, events, ...base, problem: withRecording(failed, closing) };
      return { allowed: true, ok: false, events: [...events, ...closing], ...base, problem: failed };
    }
    let digest: string | undefined;
    try {
      digest = result === undefined ? undefined : contentId(result);
    } catch {
      digest = undefined;
    }
    const outcome: EventOutcome = digest === undefined ? { status: "ok" } : { status: "ok", resultDigest: digest };
    const closing = await this.close(auth, [v[0]!.id], "executed", outcome, true, true);
    if (!Array.isArray(closing)) {
      return { allowed: true, ok: false, events, ...base, result, problem: problem("W7006", { detail: `the action ran but its outcome could not be recorded: ${closing.message}` }) };
    }
    return { allowed: true, ok: true, events: [...events, ...closing], ...base, result };
  }

  /** Record a refused execution: `requested`, `denied` and `audited` in one batch. */
  private async recordDenial(
    requested: LineageEvent,
    actor: string,
    why: Problem,
    status: "ok" | "refused",
    refused: (p: Problem, events?: readonly RecordedEvent[], record?: DecisionRecord) => Authorization,
    record?: DecisionRecord,
  ): Promise<Authorization> {
    const outcome: EventOutcome = { status, reason: why.message, code: why.code };
    const denied = this.event(requested.execution, "denied", actor, [], record === undefined ? { outcome } : { decision: record, outcome });
    const audited = this.event(requested.execution, "audited", actor, [], { outcome: { status: "ok", allowed: false } });
    const r = await this.recordChain([requested, denied, audited]);
    if (!Array.isArray(r)) return refused(withRecording(why, r), [], record);
    return refused(why, r, record);
  }

  /** Record the outcome event and the audit event after it. */
  private async close(auth: Authorization, after: readonly string[], phase: "executed" | "failed", outcome: EventOutcome, allowed: boolean, ok: boolean): Promise<RecordedEvent[] | Problem> {
    const end = this.event(auth.execution, phase, auth.actor, after, { outcome });
    const audited = this.event(auth.execution, "audited", auth.actor, [], { outcome: { status: ok ? "ok" : outcome.status, allowed } });
    return this.recordChain([end, audited]);
  }
}

/** A problem whose recording also failed: the same code, the recording failure appended. */
function withRecording(p: Problem, recording: Problem): Problem {
  const values: ProblemValues = { ...p.values };
  return { code: p.code as DiagnosticCode, values, message: `${p.message}; recording it failed: ${recording.message}` };
}
