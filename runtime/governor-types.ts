/**
 * The governor's public types: its options, the options of a call, and what calls return
 * (see `governor.ts`).
 *
 * NOTE: browser-safe (types only).
 */
import type { Problem } from "../compiler/compile-ir.js";
import type { DecisionRecord, RecordError, RecordJson } from "./decision-record.js";
import type { LoadedBundle } from "./bundle.js";
import type { EntityStore } from "./entity-store.js";
import type { LineageLog } from "./lineage/log.js";
import type { Phase } from "./lineage/events.js";

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
  /** The lineage log every step is recorded in (its cryptography is the governor's too). */
  readonly log: LineageLog;
  /** The loaded bundle that decides. */
  readonly bundle: LoadedBundle;
  /** This decision node's name (recorded in every event and in descendants' lineage). */
  readonly node: string;
  /** One handler per obligation name; an obligation without one is a deny. */
  readonly handlers?: Readonly<Record<string, ObligationHandler>>;
  /** The entity store requests are decided on (default: an empty one). */
  readonly entities?: EntityStore;
  /** Wall clock for `recordedAt` (default `new Date()`). */
  readonly clock?: () => Date;
  /** Execution id generator (default a random UUID). */
  readonly newExecutionId?: () => string;
}

/** Options of one {@link Governor.execute} or {@link Governor.authorize} call. */
export interface ExecuteOptions {
  /** Who asks (a person, an agent, a service). */
  readonly actor: string;
  /** An event of the parent execution (typically its `authorized` event). */
  readonly parent?: string;
  /** Entity store for this request (default: the governor's). */
  readonly entities?: EntityStore;
}

/** Options of {@link Governor.authorize}. */
export interface AuthorizeOptions extends ExecuteOptions {
  /**
   * Who fulfils obligations: `handlers` (default) — an obligation without a registered
   * handler is a deny; `caller` — the caller (an executor elsewhere) must confirm each one
   * in {@link Governor.complete}.
   */
  readonly obligationsBy?: "handlers" | "caller";
  /**
   * A request that does not read as a request of the bundle's schema (its decision has input
   * errors): `record` (default) — recorded as denied; `refuse` — nothing is recorded, and the
   * authorization has no events and lists the errors in `invalidInput` (a service answering
   * "bad request" decides once instead of checking the input with a decision of its own).
   */
  readonly invalidInput?: "record" | "refuse";
  /**
   * Called once an allow is decided and its events are queued for the log, before they are
   * durable, with what an artifact names (the authorized event's id, the decision record):
   * work that can run while they are made durable, such as signing the artifact. If they are
   * not recorded the authorization is not given, and that work must be dropped.
   */
  readonly onAuthorizing?: (authorizing: { readonly execution: string; readonly authorizedEvent: string; readonly decisionRecord: DecisionRecord }) => void;
}

/** One recorded event of an execution. */
export interface RecordedEvent {
  readonly phase: Phase;
  readonly id: string;
  readonly index: number;
  /** The `recordedAt` inside the event (ISO 8601): the governor's clock when it wrote the event. */
  readonly recordedAt: string;
}

/** The result of {@link Governor.execute}. */
export interface GovernedResult<T> {
  /** True when the action was permitted and ran (successfully or not: see `problem`). */
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
  /** Why the execution was refused, or what failed (a catalog code and message). */
  readonly problem?: Problem;
}

/** A recorded authorization: what {@link Governor.complete} needs to close the execution. */
export interface Authorization {
  /** True when the action may run. */
  readonly allowed: boolean;
  readonly execution: string;
  readonly actor: string;
  readonly decisionRecord?: DecisionRecord;
  /** The events recorded so far. */
  readonly events: readonly RecordedEvent[];
  /** The `authorized` event id (allowed executions only): the parent of child executions. */
  readonly authorizedEvent?: string;
  /** The obligations the caller must confirm (allowed executions with `obligationsBy: "caller"`). */
  readonly obligations: Readonly<Record<string, RecordJson>>;
  /** Why the execution was refused. */
  readonly problem?: Problem;
  /** The input errors of a request refused unrecorded (`invalidInput: "refuse"`). */
  readonly invalidInput?: readonly RecordError[];
}

/** What an executor reports after running (or not running) an authorized action. */
export interface Outcome {
  /** True when the action ran and succeeded. */
  readonly ok: boolean;
  /** What happened (recorded; never evaluated). */
  readonly detail?: string;
  /** A digest of the action's result (recorded as `resultDigest`). */
  readonly resultDigest?: string;
  /** The obligations the executor fulfilled (by name). */
  readonly obligations?: readonly string[];
  /**
   * What the executor did to fulfil each confirmed obligation (e.g. the digest of an approval
   * bound to the call), recorded in the `verified` event as `outcome.evidence`; never evaluated.
   */
  readonly evidence?: Readonly<Record<string, RecordJson>>;
}

/** The result of {@link Governor.complete}. */
export type CompleteResult = { readonly ok: true; readonly events: readonly RecordedEvent[]; readonly violation?: Problem } | { readonly ok: false; readonly problem: Problem };
