/**
 * The execution tree of a lineage log, for `writ lineage show` and the demo:
 * from any event, walk up to the root execution of its DAG and down through
 * every child execution, then render it as text (a tree), Graphviz dot or JSON.
 *
 * An execution's events are linked to each other (each names the previous
 * one); a child execution's `requested` event names an event of its parent.
 * The tree is built from a verified view of the log only (`readVerified`): nothing
 * shown comes from an entry that verification did not re-hash.
 */
import { isDecisionPhase, type LineageEvent, type Phase } from "../runtime/lineage/events.js";
import type { VerifiedEntry, VerifiedLogView } from "../runtime/lineage/verified-view.js";
import { EntityUID } from "../stdlib/value.js";

/** One event of an execution node. */
export interface TreeEvent {
  readonly phase: Phase;
  readonly id: string;
  readonly index: number;
}

/** One execution in the tree. */
export interface ExecutionNode {
  readonly execution: string;
  readonly actor: string;
  readonly node: string;
  /** `principal action resource` of the request, as entity texts. */
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  /** The effective verdict (`allow` for `authorized`, else `deny`; `unknown` without a decision event). */
  readonly verdict: "allow" | "deny" | "unknown";
  /** The last phase before `audited` (executed, failed, denied, …). */
  readonly outcome: Phase | "incomplete";
  /** Why it was denied or failed, and the determining policies. */
  readonly reason?: string;
  readonly depth: number;
  readonly events: readonly TreeEvent[];
  /** True for the execution holding the event asked about. */
  readonly selected: boolean;
  readonly children: readonly ExecutionNode[];
}

interface Loaded {
  readonly entry: VerifiedEntry;
  readonly event: LineageEvent;
}

const MAX_NODES = 10_000;

function entityText(x: unknown): string {
  if (typeof x !== "object" || x === null) return "?";
  const o = x as Record<string, unknown>;
  const inner = (typeof o.__entity === "object" && o.__entity !== null ? o.__entity : o) as Record<string, unknown>;
  return typeof inner.type === "string" && typeof inner.id === "string" ? new EntityUID(inner.type, inner.id).key : "?";
}

/** Reads events of a verified view. */
class Reader {
  constructor(private readonly view: VerifiedLogView) {}

  byId(id: string): Loaded | undefined {
    const entry = this.view.get(id);
    return entry?.event === undefined ? undefined : { entry, event: entry.event };
  }

  children(id: string): Loaded[] {
    return this.view.children(id).flatMap((entry) => (entry.event === undefined ? [] : [{ entry, event: entry.event }]));
  }

  /** Every event of the execution of `start`, and the other-execution events linked to it. */
  execution(start: Loaded): { events: Loaded[]; parentEvent?: string; childStarts: Loaded[] } {
    const exec = start.event.execution;
    const seen = new Map<string, Loaded>([[start.entry.id, start]]);
    const queue = [start];
    const childStarts = new Map<string, Loaded>();
    let parentEvent: string | undefined;
    while (queue.length > 0 && seen.size < MAX_NODES) {
      const cur = queue.shift()!;
      for (const p of cur.event.parents) {
        const l = this.byId(p);
        if (l === undefined) {
          if (cur.event.phase === "requested") parentEvent ??= p;
          continue;
        }
        if (l.event.execution !== exec) {
          if (cur.event.phase === "requested") parentEvent ??= p;
        } else if (!seen.has(p)) {
          seen.set(p, l);
          queue.push(l);
        }
      }
      for (const c of this.children(cur.entry.id)) {
        if (c.event.execution !== exec) {
          if (c.event.phase === "requested") childStarts.set(c.entry.id, c);
        } else if (!seen.has(c.entry.id)) {
          seen.set(c.entry.id, c);
          queue.push(c);
        }
      }
    }
    const events = [...seen.values()].sort((a, b) => a.entry.index - b.entry.index);
    const kids = [...childStarts.values()].sort((a, b) => a.entry.index - b.entry.index);
    return parentEvent === undefined ? { events, childStarts: kids } : { events, parentEvent, childStarts: kids };
  }
}

function nodeOf(events: readonly Loaded[], selected: boolean, children: ExecutionNode[]): ExecutionNode {
  const first = events[0]!.event;
  const requested = events.find((e) => e.event.phase === "requested")?.event;
  const decided = events.find((e) => isDecisionPhase(e.event.phase))?.event;
  const req = (requested?.request ?? {}) as Record<string, unknown>;
  const lineage = req.lineage as { depth?: unknown } | undefined;
  const phases = events.map((e) => e.event.phase).filter((p) => p !== "audited" && p !== "requested" && p !== "verified");
  const last = phases[phases.length - 1];
  const notes: string[] = [];
  if (decided?.decision !== undefined && decided.decision.reasons.length > 0) {
    notes.push(`${decided.decision.decision === "allow" ? "permitted by" : "forbidden by"} ${decided.decision.reasons.map((r) => r.name).join(", ")}`);
  }
  for (const e of events) {
    const why = e.event.outcome?.reason;
    if (why !== undefined && e.event.outcome?.status !== "ok") notes.push(why);
    else if (why !== undefined && e.event.phase === "denied" && notes.length === 0) notes.push(why);
  }
  const base = {
    execution: first.execution,
    actor: first.actor,
    node: first.node,
    principal: entityText(req.principal),
    action: entityText(req.action),
    resource: entityText(req.resource),
    verdict: decided === undefined ? ("unknown" as const) : decided.phase === "authorized" ? ("allow" as const) : ("deny" as const),
    outcome: last ?? ("incomplete" as const),
    depth: typeof lineage?.depth === "number" ? lineage.depth : 0,
    events: events.map((e) => ({ phase: e.event.phase, id: e.entry.id, index: e.entry.index })),
    selected,
    children,
  };
  return notes.length === 0 ? base : { ...base, reason: notes.join("; ") };
}

/**
 * The execution tree containing event `idOrIndex` of a verified view: rooted at the topmost
 * ancestor execution found in the log. Undefined when the event is unknown.
 */
export function executionTree(view: VerifiedLogView, idOrIndex: string | number): ExecutionNode | undefined {
  const reader = new Reader(view);
  const entry = view.get(idOrIndex);
  if (entry === undefined) return undefined;
  const start = reader.byId(entry.id);
  if (start === undefined) return undefined;
  const selectedExec = start.event.execution;
  // Walk up to the root execution.
  let top = start;
  const visited = new Set<string>([top.event.execution]);
  for (;;) {
    const { parentEvent } = reader.execution(top);
    const parent = parentEvent === undefined ? undefined : reader.byId(parentEvent);
    if (parent === undefined || visited.has(parent.event.execution)) break;
    visited.add(parent.event.execution);
    top = parent;
  }
  let budget = MAX_NODES;
  const build = (s: Loaded): ExecutionNode => {
    const x = reader.execution(s);
    const children: ExecutionNode[] = [];
    for (const c of x.childStarts) if (--budget > 0) children.push(build(c));
    return nodeOf(x.events, s.event.execution === selectedExec, children);
  };
  return build(top);
}

function label(n: ExecutionNode): string {
  const verdict = n.verdict === "unknown" ? "?" : n.verdict.toUpperCase();
  const act = n.action.replace(/^.*::"?/, "").replace(/"$/, "");
  return `${verdict.padEnd(5)} ${n.outcome.padEnd(8)} ${n.actor}: ${n.principal} ${act} ${n.resource}`;
}

/** Render a tree as indented text, one execution per line (with its reason on the next). */
export function renderTree(root: ExecutionNode): string {
  const lines: string[] = [];
  const walk = (n: ExecutionNode, prefix: string, childPrefix: string): void => {
    const first = n.events[0];
    const where = first === undefined ? "" : `  [#${first.index} ${first.id.slice(0, 19)}…]`;
    lines.push(`${prefix}${label(n)}${n.selected ? "  <==" : ""}${where}`);
    if (n.reason !== undefined) lines.push(`${childPrefix}${n.children.length > 0 ? "│ " : "  "}  ${n.reason}`);
    n.children.forEach((c, i) => {
      const last = i === n.children.length - 1;
      walk(c, `${childPrefix}${last ? "└─ " : "├─ "}`, `${childPrefix}${last ? "   " : "│  "}`);
    });
  };
  walk(root, "", "");
  return `${lines.join("\n")}\n`;
}

function dotString(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/** Render a tree as a Graphviz digraph (one node per execution, edges parent → child). */
export function renderDot(root: ExecutionNode): string {
  const lines = ["digraph lineage {", "  rankdir=TB;", '  node [shape=box, fontname="monospace"];'];
  const walk = (n: ExecutionNode): void => {
    const color = n.verdict === "allow" ? (n.outcome === "executed" ? "darkgreen" : "orange") : "red";
    const text = `${n.verdict.toUpperCase()} ${n.outcome}\n${n.actor}\n${n.principal}\n${n.action}\n${n.resource}${n.reason === undefined ? "" : `\n${n.reason}`}`;
    lines.push(`  ${dotString(n.execution)} [label=${dotString(text)}, color=${color}${n.selected ? ", penwidth=3" : ""}];`);
    for (const c of n.children) {
      lines.push(`  ${dotString(n.execution)} -> ${dotString(c.execution)};`);
      walk(c);
    }
  };
  walk(root);
  lines.push("}");
  return `${lines.join("\n")}\n`;
}
