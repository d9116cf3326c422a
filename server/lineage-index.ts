/**
 * An index of governed executions for queries like "every execution of principal P that was
 * denied", built only from verified lineage entries: each entry of a log as verification
 * re-hashes it at start-up, then the events a node appends itself (whose ids the log returned).
 *
 * - One row per execution, in the order its first event arrived (`seq`): principal, action and
 *   resource of its request, the verdict, the status it reached, the actor and node, its event
 *   ids, and — while it waits for an outcome — the `authorized` event and the obligations the
 *   outcome must confirm.
 * - Posting lists (execution positions, kept sorted) per principal, action, resource, verdict
 *   and node: a query walks the shortest list that applies from the cursor on, never the whole
 *   log. A time window (`since`, `until`, on the time the execution's first event was recorded)
 *   is found by binary search while those times arrive in order (they do on one node's log),
 *   else by filtering.
 * - Paging: `after` is the execution id of the last row of the previous page.
 * - The execution DAG: a `requested` event's parent event names the parent execution; `tree`
 *   returns an execution's ancestors and the subtree of its root, breadth first, bounded.
 * - The bundles the log's executions were decided with (ids, counts, first and last use).
 * - A window: with a `limit`, it keeps the latest `limit` executions (dropping the oldest in
 *   chunks of a sixteenth of the limit), so its memory and the cost of each `add` stay flat
 *   however long the log grows. An execution that still waits for its outcome stays findable
 *   by `get` after it leaves the window while its first event is no older than
 *   `awaitingSince` (the node sets it to now minus the artifact lifetime); queries and trees
 *   see the window only. Bundle uses count every execution ever indexed.
 *
 * NOTE: browser-safe and storage-free (the console and the mesh reuse it); it holds one small
 * row (about 1–2 KB) per execution it keeps in memory.
 */
import type { Phase } from "../runtime/index.js";

/** What the index reads from one lineage event (a `LineageEvent` has all of it). */
export interface IndexedEvent {
  /** The event id (the log's leaf id). */
  readonly id: string;
  /** The event's index in the log. */
  readonly index: number;
  readonly execution: string;
  readonly phase: Phase;
  readonly actor: string;
  readonly node: string;
  /** On `requested`: the request (Cedar JSON shape). */
  readonly request?: unknown;
  /** On `authorized` / `denied`: the decision record (its obligations are read). */
  readonly decision?: { readonly obligations?: Readonly<Record<string, unknown>> } | unknown;
  /** Parent event ids (on `requested`: the parent execution's event). */
  readonly parents?: readonly string[];
  /** ISO 8601 time the event was recorded. */
  readonly recordedAt?: string;
  /** On `requested`: the bundle the request is decided with. */
  readonly bundleId?: string;
}

/** How far an execution got. */
export type ExecutionStatus = "requested" | "authorized" | "denied" | "executed" | "failed";

/** One execution (plain JSON). */
export interface ExecutionRow {
  readonly execution: string;
  /** Position in the index (order of arrival of the execution's first event). */
  readonly seq: number;
  /** The request's principal as `Type::"id"`, when its `requested` event was seen. */
  readonly principal?: string;
  readonly action?: string;
  readonly resource?: string;
  /** The verdict, once a decision event was seen. */
  readonly decision?: "allow" | "deny";
  readonly status: ExecutionStatus;
  /** True once the `audited` event was seen. */
  readonly audited: boolean;
  readonly actor: string;
  readonly node: string;
  /** The `authorized` event (allowed executions). */
  readonly authorizedEvent?: string;
  /** The obligations of the decision (names, sorted): what an outcome must confirm. */
  readonly obligations: readonly string[];
  /** The execution's events in the order they were indexed. */
  readonly events: readonly { readonly phase: Phase; readonly id: string; readonly index: number }[];
  /** When its first event was recorded (ISO 8601). */
  readonly at?: string;
  /** The parent execution (from the `requested` event's parent), when it has one. */
  readonly parent?: string;
  /** The bundle it was decided with. */
  readonly bundleId?: string;
  /** Number of child executions indexed. */
  readonly children: number;
}

/** A query of {@link LineageIndex.query}. */
export interface ExecutionQuery {
  /** `Type::"id"` of the principal. */
  readonly principal?: string;
  /** `Type::"id"` of the action. */
  readonly action?: string;
  readonly decision?: "allow" | "deny";
  /** `Type::"id"` of the resource. */
  readonly resource?: string;
  /** The decision node that recorded the execution. */
  readonly node?: string;
  /** Executions whose first event was recorded at or after this time (ISO 8601). */
  readonly since?: string;
  /** Executions whose first event was recorded at or before this time (ISO 8601). */
  readonly until?: string;
  /** The execution id of the last row of the previous page. */
  readonly after?: string;
  /** Rows per page (default 50, at most {@link MAX_PAGE}). */
  readonly limit?: number;
}

/** One page of executions; `next` is the cursor of the following page, when there is one. */
export interface ExecutionPage {
  readonly executions: readonly ExecutionRow[];
  readonly next?: string;
}

/** An execution's ancestors and its root's subtree (see {@link LineageIndex.tree}). */
export interface ExecutionTree {
  /** The root of the tree (the execution's top ancestor, or itself). */
  readonly root: string;
  /** The execution asked about. */
  readonly selected: string;
  /** Ancestors (root first), the execution's descendants, then the rest of the root's subtree (breadth first); each row names its `parent`. */
  readonly executions: readonly ExecutionRow[];
  /** True when the subtree has more executions than `limit`. */
  readonly truncated: boolean;
}

/** One bundle the indexed executions were decided with. */
export interface BundleUse {
  readonly bundleId: string;
  readonly executions: number;
  /** When it first and last decided (the executions' first-event times). */
  readonly firstAt?: string;
  readonly lastAt?: string;
}

/** The largest tree {@link LineageIndex.tree} returns. */
export const MAX_TREE = 5000;

/** The largest page a query returns. */
export const MAX_PAGE = 500;
/** The page size when a query gives none. */
export const DEFAULT_PAGE = 50;

type MutableRow = { -readonly [K in keyof ExecutionRow]: ExecutionRow[K] } & { events: readonly { phase: Phase; id: string; index: number }[]; kids: number[] };

type MutableUse = { -readonly [K in keyof BundleUse]: BundleUse[K] };

/** The obligations of a row that has none (shared: most rows). */
const NONE: readonly string[] = Object.freeze([]);

/** The child list of a row that has none (shared: most rows; replaced by a list of its own on the first child). */
const NO_KIDS: number[] = Object.freeze([]) as unknown as number[];

/** The executions (positions, ascending) with one principal, action, verdict, resource or node. */
interface Posting {
  readonly key: string;
  readonly seqs: number[];
}

/** Rows keep up to this many events in an array of exactly their number. */
const EXACT_EVENTS = 8;

function isObject(x: unknown): x is Readonly<Record<string, unknown>> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** `Type::"id"` of a Cedar JSON entity uid (`{type, id}` or `{"__entity": {type, id}}`), or undefined. */
export function uidText(x: unknown): string | undefined {
  if (!isObject(x)) return undefined;
  const inner = isObject(x["__entity"]) ? x["__entity"] : x;
  return typeof inner["type"] === "string" && typeof inner["id"] === "string" ? `${inner["type"]}::${JSON.stringify(inner["id"])}` : undefined;
}

/** Insert `seq` into an ascending list (arrivals are almost always at the end). */
function insertSorted(list: number[], seq: number): void {
  if (list.length === 0 || list[list.length - 1]! < seq) {
    list.push(seq);
    return;
  }
  let i = list.length;
  while (i > 0 && list[i - 1]! > seq) i--;
  if (list[i - 1] === seq) return;
  list.splice(i, 0, seq);
}

/** The first position of `list` greater than `seq` (binary search). */
function firstAfter(list: readonly number[], seq: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Options of a {@link LineageIndex}. */
export interface LineageIndexOptions {
  /** Most executions kept (the latest); unbounded when not given. */
  readonly limit?: number;
}

/** The execution index (see the module comment). */
export class LineageIndex {
  /** The kept rows, oldest first: `rows[i]` has position `base + i`. */
  private rows: MutableRow[] = [];
  /** Position of `rows[0]` (rows before it left the window). */
  private base = 0;
  private readonly limit: number;
  /** Rows dropped in one go when the window is full. */
  private readonly chunk: number;
  /** Rows out of the window still waiting for their outcome, oldest first. */
  private readonly retained = new Map<string, MutableRow>();
  /**
   * Rows waiting for an outcome whose first event is at or after this time (ISO 8601) are
   * retained when they leave the window; older ones, and ones without a time, are dropped.
   * Empty: all with a time are retained.
   */
  awaitingSince = "";
  private readonly byExecution = new Map<string, MutableRow>();
  private readonly byPrincipal = new Map<string, Posting>();
  private readonly byAction = new Map<string, Posting>();
  private readonly byDecision = new Map<string, Posting>();
  private readonly byResource = new Map<string, Posting>();
  private readonly byNode = new Map<string, Posting>();
  /** Event id → the row of its execution (every indexed event). */
  private readonly byEvent = new Map<string, MutableRow>();
  private readonly bundles = new Map<string, MutableUse>();
  /** True while every row's `at` is at or after the previous row's. */
  private timesInOrder = true;

  constructor(options: LineageIndexOptions = {}) {
    const limit = options.limit ?? Infinity;
    if (!(limit >= 1)) throw new RangeError("LineageIndex: limit must be at least 1");
    this.limit = Math.floor(limit);
    this.chunk = Number.isFinite(this.limit) ? Math.max(1, Math.floor(this.limit / 16)) : Infinity;
  }

  /** Number of executions in the window (the latest, at most the limit). */
  get size(): number {
    return this.rows.length;
  }

  /** Number of executions out of the window kept because they wait for an outcome. */
  get waitingOutside(): number {
    return this.retained.size;
  }

  /** The row at position `seq`, when it is in the window. */
  private rowAt(seq: number): MutableRow | undefined {
    return seq < this.base ? undefined : this.rows[seq - this.base];
  }

  /** The row of an execution, if indexed. */
  get(execution: string): ExecutionRow | undefined {
    return this.byExecution.get(execution);
  }

  /** Index one verified event (an event id already indexed is ignored). */
  add(e: IndexedEvent): void {
    if (this.byEvent.has(e.id)) return;
    let row = this.byExecution.get(e.execution);
    // A later event of an execution that has left the window (its row is gone) is not a new execution.
    if (row === undefined && this.base > 0 && e.phase !== "requested") return;
    if (row === undefined) {
      // NOTE: every field is set here, unset ones as undefined, so all rows share one shape (fields added later grew each row's property storage).
      row = {
        execution: e.execution,
        seq: this.base + this.rows.length,
        principal: undefined,
        action: undefined,
        resource: undefined,
        decision: undefined,
        status: "requested",
        audited: false,
        actor: e.actor,
        node: e.node,
        authorizedEvent: undefined,
        obligations: NONE,
        events: [],
        at: undefined,
        parent: undefined,
        bundleId: undefined,
        children: 0,
        kids: NO_KIDS,
      };
      if (e.recordedAt !== undefined) {
        const prev = this.rows[this.rows.length - 1];
        if (prev !== undefined && (prev.at === undefined || prev.at > e.recordedAt)) this.timesInOrder = false;
        row.at = e.recordedAt;
      } else this.timesInOrder = false;
      if (this.rows.length >= this.limit + this.chunk - 1) this.evict(this.chunk);
      this.rows.push(row);
      this.byExecution.set(e.execution, row);
      this.post(this.byNode, e.node, row.seq);
    }
    this.byEvent.set(e.id, row);
    // NOTE: a row keeps its few events in an array of their exact number (a push would grow it to 17 slots).
    const event = { phase: e.phase, id: e.id, index: e.index };
    if (row.events.length < EXACT_EVENTS) row.events = [...row.events, event];
    else (row.events as (typeof event)[]).push(event);
    switch (e.phase) {
      case "requested":
        this.requested(row, e.request);
        this.linked(row, e);
        break;
      case "authorized":
      case "denied":
        this.decided(row, e);
        break;
      case "verified":
        break;
      case "executed":
      case "failed":
        row.status = e.phase;
        row.authorizedEvent = undefined;
        row.obligations = NONE;
        break;
      case "audited":
        row.audited = true;
        break;
    }
    if (row.seq < this.base && row.status !== "authorized") this.forget(row);
  }

  /**
   * Drop the `count` oldest rows of the window: a row waiting for its outcome and recent
   * enough (see `awaitingSince`) stays findable by `get`; the others are forgotten. The
   * posting lists lose their positions before the new window, and keys left without any.
   */
  private evict(count: number): void {
    const out = this.rows.slice(0, count);
    this.rows = this.rows.slice(count);
    this.base += out.length;
    for (const row of out) {
      if (row.status === "authorized" && row.at !== undefined && row.at >= this.awaitingSince) this.retained.set(row.execution, row);
      else this.forget(row);
    }
    for (const map of [this.byPrincipal, this.byAction, this.byDecision, this.byResource, this.byNode]) {
      for (const [key, list] of map) {
        const from = firstAfter(list.seqs, this.base - 1);
        if (from === list.seqs.length) map.delete(key);
        else if (from > 0) list.seqs.splice(0, from);
      }
    }
  }

  /** Remove a row out of the window from every lookup. */
  private forget(row: MutableRow): void {
    this.retained.delete(row.execution);
    if (this.byExecution.get(row.execution) === row) this.byExecution.delete(row.execution);
    for (const e of row.events) if (this.byEvent.get(e.id) === row) this.byEvent.delete(e.id);
  }

  /**
   * Forget the rows out of the window that wait for an outcome and whose first event is
   * older than `time` (ISO 8601), and retain no older ones from now on.
   */
  releaseAwaiting(time: string): void {
    this.awaitingSince = time;
    for (const row of this.retained.values()) {
      // NOTE: oldest first (every retained row has a time); one out of time order waits for a later call.
      if (row.at! >= time) return;
      this.forget(row);
    }
  }

  /** Index several events (e.g. every entry of a verified view, in log order). */
  addAll(events: Iterable<IndexedEvent>): void {
    for (const e of events) this.add(e);
  }

  private requested(row: MutableRow, request: unknown): void {
    if (!isObject(request)) return;
    // Rows keep the posting list's key: one string per distinct uid text, not one per row.
    const principal = row.principal === undefined ? uidText(request["principal"]) : undefined;
    if (principal !== undefined) row.principal = this.post(this.byPrincipal, principal, row.seq);
    const action = row.action === undefined ? uidText(request["action"]) : undefined;
    if (action !== undefined) row.action = this.post(this.byAction, action, row.seq);
    const resource = row.resource === undefined ? uidText(request["resource"]) : undefined;
    if (resource !== undefined) row.resource = this.post(this.byResource, resource, row.seq);
  }

  /** The parent execution and the bundle of a `requested` event. */
  private linked(row: MutableRow, e: IndexedEvent): void {
    const parentRow = e.parents?.[0] === undefined ? undefined : this.byEvent.get(e.parents[0]);
    if (parentRow !== undefined && row.parent === undefined && parentRow !== row) {
      row.parent = parentRow.execution;
      if (parentRow.kids === NO_KIDS) parentRow.kids = [row.seq];
      else insertSorted(parentRow.kids, row.seq);
      parentRow.children = parentRow.kids.length;
    }
    if (e.bundleId !== undefined && row.bundleId === undefined) {
      row.bundleId = e.bundleId;
      const use = this.bundles.get(e.bundleId) ?? { bundleId: e.bundleId, executions: 0 };
      use.executions++;
      if (row.at !== undefined) {
        if (use.firstAt === undefined || row.at < use.firstAt) use.firstAt = row.at;
        if (use.lastAt === undefined || row.at > use.lastAt) use.lastAt = row.at;
      }
      this.bundles.set(e.bundleId, use);
    }
  }

  private decided(row: MutableRow, e: IndexedEvent): void {
    const verdict = e.phase === "authorized" ? "allow" : "deny";
    if (row.decision === undefined) this.post(this.byDecision, verdict, row.seq);
    row.decision = verdict;
    if (row.status === "requested") row.status = e.phase === "authorized" ? "authorized" : "denied";
    if (e.phase === "authorized" && row.status === "authorized") {
      row.authorizedEvent = e.id;
      const ob = isObject(e.decision) ? e.decision["obligations"] : undefined;
      row.obligations = isObject(ob) && Object.keys(ob).length > 0 ? Object.keys(ob).sort() : NONE;
    }
  }

  /** Add `seq` to the posting list of `key`; returns the list's own key (equal to `key`). */
  private post(map: Map<string, Posting>, key: string, seq: number): string {
    const list = map.get(key);
    if (list === undefined) {
      map.set(key, { key, seqs: [seq] });
      return key;
    }
    insertSorted(list.seqs, seq);
    return list.key;
  }

  /**
   * One page of the executions matching every filter given, in index order. An `after` that
   * names no indexed execution is an error (a cursor this index did not hand out).
   */
  query(q: ExecutionQuery): ExecutionPage | { readonly error: string } {
    let from = -1;
    if (q.after !== undefined) {
      const at = this.byExecution.get(q.after);
      if (at === undefined) return { error: `\`after\` names no execution this index holds: ${q.after}` };
      from = at.seq;
    }
    const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(q.limit ?? DEFAULT_PAGE)));
    const since = q.since === undefined ? undefined : timeText(q.since);
    const until = q.until === undefined ? undefined : timeText(q.until);
    if (since === null || until === null) return { error: "`since` and `until` must be ISO 8601 times" };
    if (since !== undefined && this.timesInOrder) from = Math.max(from, this.firstAtOrAfter(since) - 1);
    const lists: (readonly number[])[] = [];
    if (q.principal !== undefined) lists.push(this.byPrincipal.get(q.principal)?.seqs ?? []);
    if (q.action !== undefined) lists.push(this.byAction.get(q.action)?.seqs ?? []);
    if (q.decision !== undefined) lists.push(this.byDecision.get(q.decision)?.seqs ?? []);
    if (q.resource !== undefined) lists.push(this.byResource.get(q.resource)?.seqs ?? []);
    if (q.node !== undefined) lists.push(this.byNode.get(q.node)?.seqs ?? []);
    const matches = (r: MutableRow): boolean =>
      (q.principal === undefined || r.principal === q.principal) &&
      (q.action === undefined || r.action === q.action) &&
      (q.decision === undefined || r.decision === q.decision) &&
      (q.resource === undefined || r.resource === q.resource) &&
      (q.node === undefined || r.node === q.node) &&
      (since === undefined || (r.at !== undefined && r.at >= since)) &&
      (until === undefined || (r.at !== undefined && r.at <= until));
    const out: ExecutionRow[] = [];
    let more = false;
    const take = (r: MutableRow): boolean => {
      // Times in order: nothing after the first row past `until` can match.
      if (until !== undefined && this.timesInOrder && r.at !== undefined && r.at > until) return false;
      if (!matches(r)) return true;
      if (out.length === limit) {
        more = true;
        return false;
      }
      out.push(snapshot(r));
      return true;
    };
    // NOTE: positions before the window (a cursor on a row retained out of it) start at the window.
    from = Math.max(from, this.base - 1);
    const end = this.base + this.rows.length;
    if (lists.length === 0) {
      for (let s = from + 1; s < end && take(this.rowAt(s)!); s++);
    } else {
      const walk = lists.reduce((a, b) => (b.length < a.length ? b : a));
      for (let i = firstAfter(walk, from); i < walk.length && take(this.rowAt(walk[i]!)!); i++);
    }
    return more ? { executions: out, next: out[out.length - 1]!.execution } : { executions: out };
  }

  /** The first position whose row was recorded at or after `time` (rows in time order). */
  private firstAtOrAfter(time: string): number {
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.rows[mid]!.at ?? "") < time) lo = mid + 1;
      else hi = mid;
    }
    return this.base + lo;
  }

  /**
   * The execution DAG around `execution`: its ancestors (root first), its descendants, then the
   * rest of its root's subtree, breadth first, at most `limit` executions in all (default 500, at most {@link MAX_TREE});
   * the ancestors and the execution itself are always included. Undefined when not indexed.
   */
  tree(execution: string, limit = 500): ExecutionTree | undefined {
    const selected = this.byExecution.get(execution);
    if (selected === undefined) return undefined;
    const max = Math.min(MAX_TREE, Math.max(1, Math.floor(limit)));
    const chain: MutableRow[] = [selected];
    const onChain = new Set<string>([selected.execution]);
    for (let r = selected; r.parent !== undefined; ) {
      const up = this.byExecution.get(r.parent);
      // INVARIANT: a parent is indexed before its child (its event id was known); a cycle cannot form.
      if (up === undefined || onChain.has(up.execution)) break;
      chain.unshift(up);
      onChain.add(up.execution);
      r = up;
    }
    const out: MutableRow[] = [...chain];
    const included = new Set(onChain);
    let truncated = false;
    /** Breadth first from `start`, adding what is not included yet, until `max` rows. */
    const widen = (start: MutableRow): void => {
      const queue: MutableRow[] = [start];
      for (let head = 0; head < queue.length; head++) {
        for (const seq of queue[head]!.kids) {
          const kid = this.rowAt(seq);
          if (kid === undefined) continue;
          if (!included.has(kid.execution)) {
            if (out.length >= max) {
              truncated = true;
              return;
            }
            included.add(kid.execution);
            out.push(kid);
          }
          queue.push(kid);
        }
      }
    };
    // The execution's own descendants first, then the rest of its root's tree.
    widen(selected);
    if (!truncated) widen(chain[0]!);
    return { root: chain[0]!.execution, selected: execution, executions: out.map(snapshot), truncated };
  }

  /** The bundles the indexed executions were decided with, most recently used first. */
  bundleUses(): BundleUse[] {
    return [...this.bundles.values()].map((u) => ({ ...u })).sort((a, b) => ((b.lastAt ?? "") < (a.lastAt ?? "") ? -1 : (b.lastAt ?? "") > (a.lastAt ?? "") ? 1 : 0));
  }
}

/** `text` as a UTC ISO 8601 time (`…Z`), null when it is not a time. */
function timeText(text: string): string | null {
  const t = Date.parse(text);
  return Number.isFinite(t) ? new Date(t).toISOString() : null;
}

/** A plain copy of a row (rows change as later events arrive). */
function snapshot(r: MutableRow): ExecutionRow {
  const out: { -readonly [K in keyof ExecutionRow]: ExecutionRow[K] } = {
    execution: r.execution,
    seq: r.seq,
    status: r.status,
    audited: r.audited,
    actor: r.actor,
    node: r.node,
    obligations: [...r.obligations],
    events: r.events.map((e) => ({ ...e })),
    children: r.children,
  };
  if (r.at !== undefined) out.at = r.at;
  if (r.parent !== undefined) out.parent = r.parent;
  if (r.bundleId !== undefined) out.bundleId = r.bundleId;
  if (r.principal !== undefined) out.principal = r.principal;
  if (r.action !== undefined) out.action = r.action;
  if (r.resource !== undefined) out.resource = r.resource;
  if (r.decision !== undefined) out.decision = r.decision;
  if (r.authorizedEvent !== undefined) out.authorizedEvent = r.authorizedEvent;
  return out;
}
