/**
 * The console's data side (pure, no DOM, no fetch): the wire shapes it reads from `writ serve`
 * (the execution index's own types; `/readyz`), the execution tree in the shape
 * the shared lineage picture draws, the state of a node as the health page colours it, and the
 * nodes of a mesh status (`GET /v1/mesh`, see docs/console.md) in the same shape.
 */
import type { LineageTreeNode } from "../../playground/src/shared/index.js";
// NOTE: the wire types are the server's own (type-only: nothing of server/ is bundled).
import type { ExecutionRow, ExecutionTree } from "../../server/lineage-index.js";

export type { BundleUse, ExecutionPage, ExecutionRow, ExecutionTree } from "../../server/lineage-index.js";

/** The execution tree of a DAG answer, rooted at its root, the asked-about execution marked. */
export function treeOf(t: ExecutionTree): LineageTreeNode | undefined {
  const kids = new Map<string, ExecutionRow[]>();
  for (const r of t.executions) {
    if (r.parent === undefined || r.execution === t.root) continue;
    const list = kids.get(r.parent);
    if (list === undefined) kids.set(r.parent, [r]);
    else list.push(r);
  }
  const byId = new Map(t.executions.map((r) => [r.execution, r]));
  const build = (r: ExecutionRow, depth: number, seen: Set<string>): LineageTreeNode => {
    seen.add(r.execution);
    const children = (kids.get(r.execution) ?? []).filter((k) => !seen.has(k.execution)).sort((a, b) => a.seq - b.seq);
    return {
      execution: r.execution,
      actor: r.actor,
      node: r.node,
      principal: r.principal ?? "?",
      action: r.action ?? "?",
      resource: r.resource ?? "?",
      verdict: r.decision ?? "undecided",
      outcome: r.status,
      depth,
      events: r.events,
      selected: r.execution === t.selected,
      children: children.map((k) => build(k, depth + 1, seen)),
    };
  };
  const root = byId.get(t.root);
  return root === undefined ? undefined : build(root, 0, new Set());
}

/** Every node of a tree, depth first. */
export function flatten(n: LineageTreeNode): LineageTreeNode[] {
  const out: LineageTreeNode[] = [];
  const walk = (x: LineageTreeNode): void => {
    out.push(x);
    x.children.forEach(walk);
  };
  walk(n);
  return out;
}

/** A bundle the node refused (from `/readyz`). */
export interface BundleRefusal {
  readonly at: string;
  readonly code: string;
  readonly message: string;
}

/** One decision node as the health page shows it (one for `writ serve`, several for a mesh). */
export interface NodeStatus {
  readonly name: string;
  readonly url?: string;
  readonly ready: boolean;
  /** Why it is not ready (`/readyz` reasons). */
  readonly reasons: readonly string[];
  readonly bundleId?: string;
  readonly sequence?: number;
  readonly entitiesId?: string;
  /** What the mesh pins (absent for a single server). */
  readonly pinnedBundleId?: string;
  readonly pinnedEntitiesId?: string;
  readonly logSize?: number;
  readonly checkpointAgeSeconds?: number;
  /** Witness cosignatures on the latest checkpoint, and how many the mesh requires. */
  readonly witnesses?: { readonly count: number; readonly required?: number };
  readonly bundleRefused?: BundleRefusal;
  /** When the console could not reach it. */
  readonly unreachable?: string;
}

/** How a node is doing: `ok`, `degraded` (deciding, but something needs a person), `not-ready` (fail closed: every decision is deny). */
export type NodeState = "ok" | "degraded" | "not-ready";

/** The state of a node and the lines that explain it (empty when ok). */
export function stateOf(n: NodeStatus): { readonly state: NodeState; readonly problems: readonly string[] } {
  if (n.unreachable !== undefined) return { state: "not-ready", problems: [`unreachable: ${n.unreachable}`] };
  if (!n.ready) return { state: "not-ready", problems: n.reasons.length === 0 ? ["not ready"] : n.reasons };
  const problems: string[] = [];
  if (n.bundleRefused !== undefined) problems.push(`refused a bundle at ${n.bundleRefused.at}: ${n.bundleRefused.code} ${n.bundleRefused.message} — still deciding with ${n.bundleId ?? "the bundle it had"}`);
  if (n.pinnedBundleId !== undefined && n.bundleId !== n.pinnedBundleId) problems.push(`bundle ${n.bundleId ?? "none"} is not the pinned ${n.pinnedBundleId}`);
  if (n.pinnedEntitiesId !== undefined && n.entitiesId !== n.pinnedEntitiesId) problems.push(`entity snapshot ${n.entitiesId ?? "none"} is not the pinned ${n.pinnedEntitiesId}`);
  if (n.witnesses?.required !== undefined && n.witnesses.count < n.witnesses.required) problems.push(`checkpoint witnessed by ${n.witnesses.count} of ${n.witnesses.required} required`);
  return { state: problems.length === 0 ? "ok" : "degraded", problems };
}

function isObject(x: unknown): x is Readonly<Record<string, unknown>> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

const str = (x: unknown): string | undefined => (typeof x === "string" ? x : undefined);
const num = (x: unknown): number | undefined => (typeof x === "number" && Number.isFinite(x) ? x : undefined);

function refusalOf(x: unknown): BundleRefusal | undefined {
  return isObject(x) && typeof x["code"] === "string" && typeof x["message"] === "string" ? { at: str(x["at"]) ?? "?", code: x["code"], message: x["message"] } : undefined;
}

/** Drop the undefined fields of a status (the types ask for absent, not undefined). */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** A single server's status from its `/readyz` answer (200 or 503) and checkpoint age. */
export function nodeFromReady(ready: unknown, fallbackName: string, checkpointAgeSeconds?: number): NodeStatus {
  const r = isObject(ready) ? ready : {};
  const log = isObject(r["log"]) ? r["log"] : {};
  return defined({
    name: str(r["node"]) ?? fallbackName,
    ready: r["status"] === "ready",
    reasons: Array.isArray(r["reasons"]) ? r["reasons"].filter((x): x is string => typeof x === "string") : [],
    bundleId: str(r["bundleId"]),
    sequence: num(r["sequence"]),
    entitiesId: str(r["entitiesId"]),
    logSize: num(log["size"]),
    checkpointAgeSeconds,
    bundleRefused: refusalOf(r["bundleRefused"]),
  });
}

/**
 * The nodes of a mesh status (`GET /v1/mesh`, docs/mesh.md): `{checkpoint: {age_s,
 * cosignatures}, pins: {bundle, entities}, nodes: [{name, ready, reason?, bundle, entities,
 * size, witnessed}]}`. Each node gets the pins to compare with and the latest checkpoint's age
 * and cosignature count; fields the answer lacks are left out; a node without a name is skipped.
 */
export function nodesFromMesh(mesh: unknown): NodeStatus[] {
  if (!isObject(mesh) || !Array.isArray(mesh["nodes"])) return [];
  const pins = isObject(mesh["pins"]) ? mesh["pins"] : {};
  const checkpoint = isObject(mesh["checkpoint"]) ? mesh["checkpoint"] : {};
  const cosignatures = num(checkpoint["cosignatures"]);
  const out: NodeStatus[] = [];
  for (const n of mesh["nodes"] as unknown[]) {
    if (!isObject(n) || typeof n["name"] !== "string") continue;
    out.push(
      defined({
        name: n["name"],
        ready: n["ready"] === true,
        reasons: typeof n["reason"] === "string" ? [n["reason"]] : [],
        bundleId: str(n["bundle"]),
        entitiesId: str(n["entities"]),
        pinnedBundleId: str(pins["bundle"]),
        pinnedEntitiesId: str(pins["entities"]),
        logSize: num(n["size"]),
        checkpointAgeSeconds: num(checkpoint["age_s"]),
        witnesses: cosignatures === undefined ? undefined : { count: cosignatures },
      }),
    );
  }
  return out;
}

/** `3 s`, `4 min`, `2 h`, `5 d`: an age for people. */
export function ageText(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}
