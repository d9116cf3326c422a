/**
 * An index of governed executions for queries like "every execution of principal P that was
 * denied", built only from verified lineage entries: the events of a log read through
 * `readVerified` at start-up, then the events a node appends itself (whose ids the log returned).
 *
 * - One row per execution, in the order its first event arrived (`seq`): principal, action and
 *   resource of its request, the verdict, the status it reached, the actor and node, its event
 *   ids, and — while it waits for an outcome — the `authorized` event and the obligations the
 *   outcome must confirm.
 * - Posting lists (execution positions, kept sorted) per principal, per action and per verdict:
 *   a query walks the shortest list that applies from the cursor on, never the whole log.
 * - Paging: `after` is the execution id of the last row of the previous page.
 *
 * NOTE: browser-safe and storage-free (the console and the mesh reuse it); it holds one small
 * row per execution in memory.
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
}

/** A query of {@link LineageIndex.query}. */
export interface ExecutionQuery {
  /** `Type::"id"` of the principal. */
  readonly principal?: string;
  /** `Type::"id"` of the action. */
  readonly action?: string;
  readonly decision?: "allow" | "deny";
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

/** The largest page a query returns. */
export const MAX_PAGE = 500;
/** The page size when a query gives none. */
export const DEFAULT_PAGE = 50;

type MutableRow = { -readonly [K in keyof ExecutionRow]: ExecutionRow[K] } & { events: { phase: Phase; id: string; index: number }[] };

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

/** The execution index (see the module comment). */
export class LineageIndex {
  private readonly rows: MutableRow[] = [];
  private readonly byExecution = new Map<string, MutableRow>();
  private readonly byPrincipal = new Map<string, number[]>();
  private readonly byAction = new Map<string, number[]>();
  private readonly byDecision = new Map<string, number[]>();
  private readonly seen = new Set<string>();

  /** Number of executions indexed. */
  get size(): number {
    return this.rows.length;
  }

  /** The row of an execution, if indexed. */
  get(execution: string): ExecutionRow | undefined {
    return this.byExecution.get(execution);
  }

  /** Index one verified event (an event id already indexed is ignored). */
  add(e: IndexedEvent): void {
    if (this.seen.has(e.id)) return;
    this.seen.add(e.id);
    let row = this.byExecution.get(e.execution);
    if (row === undefined) {
      row = { execution: e.execution, seq: this.rows.length, status: "requested", audited: false, actor: e.actor, node: e.node, obligations: [], events: [] };
      this.rows.push(row);
      this.byExecution.set(e.execution, row);
    }
    row.events.push({ phase: e.phase, id: e.id, index: e.index });
    switch (e.phase) {
      case "requested":
        this.requested(row, e.request);
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
        row.obligations = [];
        break;
      case "audited":
        row.audited = true;
        break;
    }
  }

  /** Index several events (e.g. every entry of a verified view, in log order). */
  addAll(events: Iterable<IndexedEvent>): void {
    for (const e of events) this.add(e);
  }

  private requested(row: MutableRow, request: unknown): void {
    if (!isObject(request)) return;
    const principal = uidText(request["principal"]);
    const action = uidText(request["action"]);
    const resource = uidText(request["resource"]);
    if (principal !== undefined && row.principal === undefined) {
      row.principal = principal;
      this.post(this.byPrincipal, principal, row.seq);
    }
    if (action !== undefined && row.action === undefined) {
      row.action = action;
      this.post(this.byAction, action, row.seq);
    }
    if (resource !== undefined) row.resource = resource;
  }

  private decided(row: MutableRow, e: IndexedEvent): void {
    const verdict = e.phase === "authorized" ? "allow" : "deny";
    if (row.decision === undefined) this.post(this.byDecision, verdict, row.seq);
    row.decision = verdict;
    if (row.status === "requested") row.status = e.phase === "authorized" ? "authorized" : "denied";
    if (e.phase === "authorized" && row.status === "authorized") {
      row.authorizedEvent = e.id;
      const ob = isObject(e.decision) ? e.decision["obligations"] : undefined;
      row.obligations = isObject(ob) ? Object.keys(ob).sort() : [];
    }
  }

  private post(map: Map<string, number[]>, key: string, seq: number): void {
    const list = map.get(key);
    if (list === undefined) map.set(key, [seq]);
    else insertSorted(list, seq);
  }

  /**
   * One page of the executions matching every filter given, in index order. An `after` that
   * names no indexed execution is an error (a cursor this index did not hand out).
   */
  query(q: ExecutionQuery): ExecutionPage | { readonly error: string } {
    let from = -1;
    if (q.after !== undefined) {
      const at = this.byExecution.get(q.after);
      if (at === undefined) return { error: `\`after\` names no execution of this node: ${q.after}` };
      from = at.seq;
    }
    const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(q.limit ?? DEFAULT_PAGE)));
    const lists: (readonly number[])[] = [];
    if (q.principal !== undefined) lists.push(this.byPrincipal.get(q.principal) ?? []);
    if (q.action !== undefined) lists.push(this.byAction.get(q.action) ?? []);
    if (q.decision !== undefined) lists.push(this.byDecision.get(q.decision) ?? []);
    const matches = (r: MutableRow): boolean =>
      (q.principal === undefined || r.principal === q.principal) && (q.action === undefined || r.action === q.action) && (q.decision === undefined || r.decision === q.decision);
    const out: ExecutionRow[] = [];
    let more = false;
    const take = (r: MutableRow): boolean => {
      if (!matches(r)) return true;
      if (out.length === limit) {
        more = true;
        return false;
      }
      out.push(snapshot(r));
      return true;
    };
    if (lists.length === 0) {
      for (let s = from + 1; s < this.rows.length && take(this.rows[s]!); s++);
    } else {
      const walk = lists.reduce((a, b) => (b.length < a.length ? b : a));
      for (let i = firstAfter(walk, from); i < walk.length && take(this.rows[walk[i]!]!); i++);
    }
    return more ? { executions: out, next: out[out.length - 1]!.execution } : { executions: out };
  }
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
  };
  if (r.principal !== undefined) out.principal = r.principal;
  if (r.action !== undefined) out.action = r.action;
  if (r.resource !== undefined) out.resource = r.resource;
  if (r.decision !== undefined) out.decision = r.decision;
  if (r.authorizedEvent !== undefined) out.authorizedEvent = r.authorizedEvent;
  return out;
}
