/**
 * The state one `writ serve` instance owns: the loaded bundle and entity snapshot (swapped
 * atomically, in-flight requests keep the snapshot they started with), the rollback guard,
 * the lineage log and the governor over it, the execution index, and the authorizations
 * waiting for an outcome.
 *
 * Every method returns a result; failures are catalog problems that the routes send as JSON
 * errors (see `errors.ts`). Nothing is recorded for a request that is refused before deciding.
 *
 * NOTE: the clock is read to stamp artifact expiries and checkpoint ages, never to decide.
 */
import {
  BundleGuard,
  eventOfJson,
  Governor,
  isoTime,
  loadEntities,
  problem,
  runtimeCrypto,
  signArtifactAsync,
  type AsyncSigner,
  type Authorization,
  type DecisionRecord,
  type DsseEnvelope,
  type EntityChanges,
  type EntityJson,
  type EntityStore,
  type LineageLog,
  type LoadedBundle,
  type Problem,
  type RecordedEvent,
  type RequestJson,
} from "../runtime/index.js";
import { LineageIndex } from "./lineage-index.js";

/** The bundle and entities new requests are decided with. */
export interface Snapshot {
  readonly bundle: LoadedBundle;
  /** The bundle JSON as accepted (signature included): what `GET /v1/bundle` returns. */
  readonly bundleJson: unknown;
  readonly store: EntityStore;
  /** The entity type of AuthZEN actions, or undefined when it cannot be chosen. */
  readonly actionType: string | undefined;
}

/** The last bundle this node refused (`PUT /v1/bundle` or the watched file), until one loads. */
export interface BundleRefusal {
  /** When it was refused (ISO 8601, this node's clock). */
  readonly at: string;
  readonly code: string;
  readonly message: string;
}

/** A failure with the problem and, when several, every message. */
export interface NodeFailure {
  readonly ok: false;
  readonly problem: Problem;
  readonly details?: readonly string[];
}

/** Options of a {@link DecisionNode}. */
export interface DecisionNodeOptions {
  readonly log: LineageLog;
  /** Signs authorization artifacts: the node's key (the one that signs the log's checkpoints). */
  readonly signer: AsyncSigner;
  /** This node's name (recorded in every event and artifact). */
  readonly node: string;
  /** The bundle signer's public key: bundles must be signed by it (and `PUT /v1/bundle` needs it). */
  readonly bundleKey?: Uint8Array;
  /** The AuthZEN action entity type (default: the schema's only action type). */
  readonly actionType?: string;
  /** How long an authorization artifact is valid (milliseconds). */
  readonly artifactTtlMs: number;
  /** Most governed executions waiting for an outcome before `authorize` answers busy. */
  readonly maxInFlight: number;
  /** Most executions the execution index keeps (the latest; see {@link LineageIndex}). */
  readonly indexLimit: number;
  readonly clock: () => Date;
  /** Why decisions are refused now, if they are (a mesh node failing closed); checked before each decision. */
  readonly gate?: () => Problem | undefined;
}

/** The result of {@link DecisionNode.authorize}. */
export type AuthorizeResult = { readonly ok: true; readonly authorization: Authorization; readonly artifact?: DsseEnvelope; readonly expiresAt?: string } | NodeFailure;

/** The result of {@link DecisionNode.complete}. */
export type CompleteOutcome = { readonly ok: true; readonly status: "executed" | "failed"; readonly events: readonly RecordedEvent[]; readonly violation?: Problem } | NodeFailure;

function fail(p: Problem, details?: readonly string[]): NodeFailure {
  return details === undefined ? { ok: false, problem: p } : { ok: false, problem: p, details };
}

function diagnosticsFailure(diagnostics: readonly { readonly code: string; readonly message: string }[], fallback: string): NodeFailure {
  const first = diagnostics[0];
  const p = first === undefined ? problem("W8004", { detail: fallback }) : problem(first.code as Problem["code"], { detail: first.message });
  return fail(p, diagnostics.map((d) => `${d.code}: ${d.message}`));
}

/** The AuthZEN action type of a bundle: the configured one, else the schema's only action type. */
export function actionTypeOf(bundle: LoadedBundle, configured: string | undefined): string | undefined {
  if (configured !== undefined) return configured;
  const types = bundle.schema.actionTypes;
  if (types.length === 1) return types[0];
  return types.length === 0 ? "Action" : undefined;
}

/** An artifact being signed, with what it names. */
interface Signing {
  readonly eventId: string;
  readonly expiresAt: string;
  /** `expiresAt` in milliseconds since the epoch. */
  readonly expiresAtMs: number;
  readonly artifact: Promise<DsseEnvelope>;
}

/** The decision node (see the module comment). */
export class DecisionNode {
  /** The execution index (verified entries only): the latest `indexLimit` executions. */
  readonly index: LineageIndex;
  private current: Snapshot | undefined;
  private governor: Governor | undefined;
  private readonly guard = new BundleGuard();
  /**
   * Executions this process authorized that wait for an outcome, with the time (ms) their
   * artifact expires, in the order they were authorized (what `complete` needs is in their
   * index rows). An authorization stops counting once its artifact has expired: no executor
   * can start it any more, and an executor that never reports (it crashed, its network
   * failed) must not hold a slot for ever. Its outcome is still accepted later.
   */
  private readonly pending = new Map<string, number>();
  private readonly completing = new Set<string>();
  private authorizing = 0;
  private lastAppendAt: number;
  private refusal: BundleRefusal | undefined;

  private constructor(private readonly options: DecisionNodeOptions) {
    this.lastAppendAt = options.clock().getTime();
    this.index = new LineageIndex({ limit: options.indexLimit });
    this.index.awaitingSince = this.expiredBefore();
  }

  /** Authorizations made before this time (ISO 8601) have expired artifacts. */
  private expiredBefore(): string {
    return isoTime(this.options.clock().getTime() - this.options.artifactTtlMs);
  }

  /**
   * Open a node: verify the whole log and index it (a log that does not verify is refused),
   * then load the initial bundle and entities when given. Never throws.
   */
  static async open(options: DecisionNodeOptions, initial: { readonly bundle?: unknown; readonly entities?: unknown } = {}): Promise<{ readonly ok: true; readonly node: DecisionNode } | NodeFailure> {
    const node = new DecisionNode(options);
    // NOTE: each entry goes to the index as verification re-hashes it, and is not kept: a view of
    // the whole log (`readVerified`) would hold every event in memory (3.3 GB at 1.15 million).
    // A log that fails verification is refused below, so nothing indexed from it is ever used.
    let last: string | undefined;
    const r = await options.log.verify({
      onEntry(index, id, _text, json) {
        const event = eventOfJson(json());
        if (event === undefined) return;
        // NOTE: the fields the index reads, in one literal: copying the whole event with a spread cost more.
        const { execution, phase, actor, node: writer, request, decision, parents, recordedAt, bundleId } = event;
        node.index.add({ id, index, execution, phase, actor, node: writer, request, decision, parents, recordedAt, bundleId });
        last = event.recordedAt;
      },
    });
    if (!r.ok) {
      const detail = r.firstBad !== undefined ? `first bad entry: index ${r.firstBad.index}: ${r.firstBad.reason}` : (r.error ?? "verification failed");
      return fail(problem(r.code ?? "W6201", { detail: `the lineage log does not verify (${detail}); run \`writ lineage verify\`` }));
    }
    const lastAt = last === undefined ? NaN : Date.parse(last);
    if (Number.isFinite(lastAt)) node.lastAppendAt = lastAt;
    if (initial.bundle !== undefined) {
      const b = node.loadBundle(initial.bundle, initial.entities);
      if (!b.ok) return b;
    }
    return { ok: true, node };
  }

  /** The bundle and entities new requests use, or undefined before a bundle is loaded. */
  get snapshot(): Snapshot | undefined {
    return this.current;
  }

  /** The lineage log. */
  get log(): LineageLog {
    return this.options.log;
  }

  /** This node's name. */
  get name(): string {
    return this.options.node;
  }

  /** True when bundle updates are accepted (a bundle signer key is configured). */
  get acceptsBundleUpdates(): boolean {
    return this.options.bundleKey !== undefined;
  }

  /** Why decisions are refused now (a mesh node failing closed), if they are: nothing is decided or recorded meanwhile. */
  held(): Problem | undefined {
    return this.options.gate?.();
  }

  /** Authorizations waiting for an outcome whose artifact has not expired. */
  get inFlight(): number {
    this.expirePending();
    return this.pending.size;
  }

  /**
   * Forget the pending authorizations whose artifact has expired. NOTE: from the oldest on:
   * expiries follow the order of authorization while the clock does not go back; if it does,
   * a later one waits behind an earlier one a little longer (never held for ever).
   */
  private expirePending(): void {
    const now = this.options.clock().getTime();
    for (const [execution, expires] of this.pending) {
      if (expires > now) break;
      this.pending.delete(execution);
    }
    this.index.releaseAwaiting(this.expiredBefore());
  }

  /** Seconds since the latest checkpoint this node signed (or the last event's time at start-up). */
  checkpointAgeSeconds(): number {
    return Math.max(0, (this.options.clock().getTime() - this.lastAppendAt) / 1000);
  }

  /**
   * Load a bundle (signature, ids and rollback checked by the guard) with entities JSON (or the
   * current snapshot re-checked against the new schema), and swap both at once.
   */
  loadBundle(json: unknown, entities?: unknown): { readonly ok: true; readonly snapshot: Snapshot } | NodeFailure {
    const r = this.tryBundle(json, entities);
    this.refusal = r.ok ? undefined : { at: this.options.clock().toISOString(), code: r.problem.code, message: r.problem.message };
    return r;
  }

  /**
   * The last bundle refused since one was loaded, if any: the node keeps deciding with the bundle
   * it has (never with one that did not verify) and says so on `/readyz`.
   */
  get bundleRefusal(): BundleRefusal | undefined {
    return this.refusal;
  }

  /** Record a bundle refused before it could be read (e.g. a watched file that is not JSON). */
  refuseBundle(p: Problem): void {
    this.refusal = { at: this.options.clock().toISOString(), code: p.code, message: p.message };
  }

  private tryBundle(json: unknown, entities?: unknown): { readonly ok: true; readonly snapshot: Snapshot } | NodeFailure {
    const key = this.options.bundleKey;
    const loaded = this.guard.load(json, key === undefined ? {} : { publicKey: key });
    if (loaded.bundle === undefined) return diagnosticsFailure(loaded.diagnostics, "the bundle was refused");
    const bundle = loaded.bundle;
    let store: EntityStore | undefined;
    if (entities !== undefined) {
      const r = loadEntities(bundle, entities as readonly EntityJson[]);
      if (r.store === undefined) return diagnosticsFailure(r.diagnostics, "the entities were refused");
      store = r.store;
    } else if (this.current !== undefined) {
      const r = this.current.store.forBundle(bundle, runtimeCrypto.sha256);
      if (r.store === undefined) return diagnosticsFailure(r.diagnostics, "the loaded entities do not fit the new bundle's schema");
      store = r.store;
    } else {
      const r = loadEntities(bundle, []);
      if (r.store === undefined) return diagnosticsFailure(r.diagnostics, "cannot make an empty entity store");
      store = r.store;
    }
    return { ok: true, snapshot: this.swap({ bundle, bundleJson: json, store, actionType: actionTypeOf(bundle, this.options.actionType) }) };
  }

  /** Replace every entity (a new snapshot). */
  replaceEntities(json: unknown): { readonly ok: true; readonly snapshot: Snapshot } | NodeFailure {
    const cur = this.current;
    if (cur === undefined) return fail(problem("W8008"));
    const r = loadEntities(cur.bundle, json as readonly EntityJson[]);
    if (r.store === undefined) return diagnosticsFailure(r.diagnostics, "the entities were refused");
    return { ok: true, snapshot: this.swap({ ...cur, store: r.store }) };
  }

  /** Add, replace and remove entities (a new snapshot; cost proportional to the change). */
  updateEntities(changes: EntityChanges): { readonly ok: true; readonly snapshot: Snapshot } | NodeFailure {
    const cur = this.current;
    if (cur === undefined) return fail(problem("W8008"));
    const r = cur.store.update(changes);
    if (r.store === undefined) return diagnosticsFailure(r.diagnostics, "the entity changes were refused");
    return { ok: true, snapshot: this.swap({ ...cur, store: r.store }) };
  }

  private swap(next: Snapshot): Snapshot {
    this.current = next;
    if (this.governor === undefined) this.governor = new Governor({ log: this.options.log, bundle: next.bundle, entities: next.store, node: this.options.node, clock: this.options.clock });
    else this.governor.update({ bundle: next.bundle, entities: next.store });
    return next;
  }

  /**
   * Authorize one governed execution: `requested` and the decision are durable before this
   * resolves, and an allow comes with a signed artifact. Input that does not read as a request
   * of the bundle's schema is refused before anything is recorded (W8004).
   */
  async authorize(request: unknown, options: { readonly actor: string; readonly parent?: string }): Promise<AuthorizeResult> {
    const cur = this.current;
    const governor = this.governor;
    if (cur === undefined || governor === undefined) return fail(problem("W8008"));
    const held = this.held();
    if (held !== undefined) return fail(held);
    if (typeof request === "object" && request !== null && "lineage" in request) {
      return fail(problem("W8004", { detail: "the request must not carry `lineage`: the node supplies the verified ancestry" }));
    }
    if (this.pending.size + this.authorizing >= this.options.maxInFlight) this.expirePending();
    if (this.pending.size + this.authorizing >= this.options.maxInFlight) {
      return fail(problem("W8009", { detail: `${this.options.maxInFlight} governed executions are waiting for an outcome; retry later` }));
    }
    this.authorizing++;
    let auth: Authorization;
    // The artifact is signed while its events are made durable, and given only once they are.
    let early: Signing | undefined;
    const onAuthorizing = (a: { readonly execution: string; readonly authorizedEvent: string; readonly decisionRecord: DecisionRecord }): void => {
      early = this.signArtifact(a.execution, a.authorizedEvent, a.decisionRecord);
      early.artifact.catch(() => undefined);
    };
    try {
      if (options.parent !== undefined) await this.knownParent(options.parent);
      // Decided once: input that does not fit the schema comes back unrecorded (invalidInput).
      auth = await governor.authorize(request as RequestJson, { actor: options.actor, obligationsBy: "caller", invalidInput: "refuse", onAuthorizing, ...(options.parent === undefined ? {} : { parent: options.parent }) });
    } finally {
      this.authorizing--;
    }
    const inputErrors = auth.invalidInput;
    if (inputErrors !== undefined) return fail(problem("W8004", { detail: `invalid request: ${inputErrors[0]!.message}` }), inputErrors.map((e) => `${e.code}: ${e.message}`));
    if (auth.events.length === 0) return fail(auth.problem ?? problem("W7007", { detail: "nothing was recorded" }));
    this.lastAppendAt = this.options.clock().getTime();
    this.indexEvents(auth.execution, auth.actor, auth.events, { request, parent: options.parent, bundleId: cur.bundle.bundleId }, auth.decisionRecord);
    // Executions that left the index's window while waiting are let go once their artifact expired.
    if (this.index.waitingOutside > 0) this.expirePending();
    if (!auth.allowed || auth.authorizedEvent === undefined || auth.decisionRecord === undefined) return { ok: true, authorization: auth };
    // NOTE: `complete` reads the execution's index row, as after a restart (below): nothing of the response is held.
    const signing = early?.eventId === auth.authorizedEvent ? early : this.signArtifact(auth.execution, auth.authorizedEvent, auth.decisionRecord);
    const expiresAt = signing.expiresAt;
    this.pending.set(auth.execution, signing.expiresAtMs);
    let artifact: DsseEnvelope;
    try {
      artifact = await signing.artifact;
    } catch (e) {
      return fail(problem("W7007", { detail: `the authorization is recorded but its artifact cannot be signed: ${e instanceof Error ? e.message : String(e)}` }));
    }
    return { ok: true, authorization: auth, artifact, expiresAt };
  }

  /** Start signing the artifact of an authorized execution, expiring the TTL from now. */
  private signArtifact(execution: string, eventId: string, decision: DecisionRecord): Signing {
    const expiresAtMs = this.options.clock().getTime() + this.options.artifactTtlMs;
    const expiresAt = isoTime(expiresAtMs);
    return { eventId, expiresAt, expiresAtMs, artifact: signArtifactAsync({ node: this.options.node, execution, eventId, expiresAt, decision }, this.options.signer) };
  }

  /**
   * A parent another writer of a shared log recorded (a mesh node) is not in this log's tree
   * until it catches up: sync when the parent is not known yet. The governor then proves it.
   */
  private async knownParent(id: string): Promise<void> {
    const log = this.options.log;
    try {
      if ((await log.get(id)) === undefined) await log.sync();
    } catch {
      // NOTE: a store failure here leaves the parent unproven: the governor denies it (W7002).
    }
  }

  /**
   * Index events this node recorded (their ids come from the log's append), with the
   * `recordedAt` inside each event: the same time the index reads from the log after a restart.
   */
  private indexEvents(execution: string, actor: string, events: readonly RecordedEvent[], requested?: { readonly request: unknown; readonly parent: string | undefined; readonly bundleId: string }, decision?: DecisionRecord): void {
    for (const e of events) {
      const first = e.phase === "requested" && requested !== undefined ? { request: requested.request, parents: requested.parent === undefined ? [] : [requested.parent], bundleId: requested.bundleId } : {};
      this.index.add({ id: e.id, index: e.index, execution, phase: e.phase, actor, node: this.options.node, recordedAt: e.recordedAt, ...first, ...(decision === undefined ? {} : { decision }) });
    }
  }

  /**
   * Record the outcome of an authorized execution (this process's, or one authorized before a
   * restart, found in the index). An obligation the outcome does not confirm makes it a
   * violation (recorded as `failed`, returned as `violation`).
   */
  async complete(execution: string, outcome: { readonly ok: boolean; readonly detail?: string; readonly resultDigest?: string; readonly obligations?: readonly string[] }): Promise<CompleteOutcome> {
    const governor = this.governor;
    if (governor === undefined) return fail(problem("W8008"));
    if (this.completing.has(execution)) return fail(problem("W8014", { execution }));
    const row = this.index.get(execution);
    if (row === undefined || row.node !== this.options.node) return fail(problem("W8013", { detail: `no execution ${execution} was authorized by this node` }));
    if (row.decision === "deny") return fail(problem("W7009", { detail: `execution ${execution} was not authorized` }));
    if (row.status !== "authorized" || row.authorizedEvent === undefined) return fail(problem("W8014", { execution }));
    const auth: Authorization = { allowed: true, execution, actor: row.actor, events: [], authorizedEvent: row.authorizedEvent, obligations: Object.fromEntries(row.obligations.map((o) => [o, true])) };
    this.completing.add(execution);
    try {
      const r = await governor.complete(auth, outcome);
      if (!r.ok) return fail(r.problem);
      this.lastAppendAt = this.options.clock().getTime();
      this.pending.delete(execution);
      this.indexEvents(execution, auth.actor, r.events);
      const status = r.events.some((e) => e.phase === "executed") ? "executed" : "failed";
      return r.violation === undefined ? { ok: true, status, events: r.events } : { ok: true, status, events: r.events, violation: r.violation };
    } finally {
      this.completing.delete(execution);
    }
  }
}
