/**
 * The lineage picture's data side (pure, no DOM): reading the documents the user opens
 * (`writ lineage show --json` trees and `writ lineage prove` proofs), laying the execution
 * tree out in layers by depth, and matching proofs to executions.
 */

/** One event of an execution, as `writ lineage show --json` lists it. */
export interface LineageTreeEvent {
  readonly phase: string;
  readonly id: string;
  readonly index: number;
}

/** One execution node of `writ lineage show --json` (the fields the picture reads). */
export interface LineageTreeNode {
  readonly execution: string;
  readonly actor: string;
  readonly node: string;
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly verdict: string;
  readonly outcome: string;
  readonly reason?: string;
  readonly depth: number;
  readonly events: readonly LineageTreeEvent[];
  readonly selected: boolean;
  readonly children: readonly LineageTreeNode[];
}

/** A `writ lineage prove` proof (only the fields read here; `verifyProof` checks the rest). */
export interface LineageProofDoc {
  readonly format: "writ-lineage-proof/1";
  readonly id: string;
  readonly index: number;
  readonly event: Readonly<Record<string, unknown>>;
}

/**
 * The outcome of checking a proof, as the panel shows it (the shape of `verifyProof`'s
 * result in `writ/runtime`: the event's index, the log size and origin, or why it fails).
 */
export type ProofCheckInfo =
  | { readonly ok: true; readonly id: string; readonly index: number; readonly size: number; readonly origin: string }
  | { readonly ok: false; readonly error: string };

/** What a set of opened documents held. */
export interface LineageDocuments {
  readonly trees: LineageTreeNode[];
  readonly proofs: LineageProofDoc[];
  readonly problems: string[];
}

/** The colour class of a node: allow (green), deny (red), error (amber). */
export type NodeTone = "allow" | "deny" | "error";

/** A node placed on the picture (centre coordinates). */
export interface PlacedNode {
  readonly node: LineageTreeNode;
  readonly x: number;
  readonly y: number;
  readonly tone: NodeTone;
  readonly layer: number;
}

/** A parent → child edge, by index into `nodes`. */
export interface PlacedEdge {
  readonly from: number;
  readonly to: number;
}

/** A laid-out execution tree. */
export interface LineageLayout {
  readonly nodes: readonly PlacedNode[];
  readonly edges: readonly PlacedEdge[];
  readonly width: number;
  readonly height: number;
}

/** Node box size and spacing of the layout, in SVG user units. */
export const NODE_W = 200;
export const NODE_H = 58;
const GAP_X = 28;
const GAP_Y = 56;
const MARGIN = 16;

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function asTree(x: unknown, path: string, problems: string[]): LineageTreeNode | undefined {
  if (!isObject(x)) {
    problems.push(`${path}: not an execution node`);
    return undefined;
  }
  const str = (k: string): string => (typeof x[k] === "string" ? (x[k] as string) : "?");
  if (typeof x.execution !== "string" || !Array.isArray(x.events) || !Array.isArray(x.children)) {
    problems.push(`${path}: an execution node needs \`execution\`, \`events\` and \`children\``);
    return undefined;
  }
  const events = (x.events as unknown[]).filter(isObject).map((e) => ({
    phase: typeof e.phase === "string" ? e.phase : "?",
    id: typeof e.id === "string" ? e.id : "",
    index: typeof e.index === "number" ? e.index : -1,
  }));
  const children: LineageTreeNode[] = [];
  (x.children as unknown[]).forEach((c, i) => {
    const t = asTree(c, `${path}.children[${i}]`, problems);
    if (t !== undefined) children.push(t);
  });
  const base = {
    execution: x.execution,
    actor: str("actor"),
    node: str("node"),
    principal: str("principal"),
    action: str("action"),
    resource: str("resource"),
    verdict: str("verdict"),
    outcome: str("outcome"),
    depth: typeof x.depth === "number" ? x.depth : 0,
    events,
    selected: x.selected === true,
    children,
  };
  return typeof x.reason === "string" ? { ...base, reason: x.reason } : base;
}

/**
 * Sort opened JSON documents into trees and proofs. A document may be one tree, one proof,
 * or an array of them; anything else becomes a problem line naming `source`.
 */
export function readDocuments(docs: readonly { readonly source: string; readonly json: unknown }[]): LineageDocuments {
  const out: LineageDocuments = { trees: [], proofs: [], problems: [] };
  const one = (x: unknown, where: string): void => {
    if (isObject(x) && x.format === "writ-lineage-proof/1") {
      if (typeof x.id === "string" && typeof x.index === "number" && isObject(x.event)) out.proofs.push(x as unknown as LineageProofDoc);
      else out.problems.push(`${where}: a lineage proof needs \`id\`, \`index\` and \`event\``);
    } else if (isObject(x) && "execution" in x) {
      const t = asTree(x, where, out.problems);
      if (t !== undefined) out.trees.push(t);
    } else {
      out.problems.push(`${where}: neither \`writ lineage show --json\` output nor a \`writ lineage prove\` proof`);
    }
  };
  for (const d of docs) {
    if (Array.isArray(d.json)) d.json.forEach((x, i) => one(x, `${d.source}[${i}]`));
    else one(d.json, d.source);
  }
  return out;
}

/** The colour of a node: failed or undecided executions are errors, otherwise the verdict. */
export function toneOf(n: LineageTreeNode): NodeTone {
  if (n.outcome === "failed" || (n.verdict !== "allow" && n.verdict !== "deny")) return "error";
  return n.verdict;
}

/**
 * Layered layout: one layer per tree depth, leaves left to right in tree order, each
 * parent centred over its children. Deterministic for a given tree.
 */
export function layoutTree(root: LineageTreeNode): LineageLayout {
  const nodes: PlacedNode[] = [];
  const edges: PlacedEdge[] = [];
  let nextLeaf = 0;
  let maxLayer = 0;
  const place = (n: LineageTreeNode, layer: number): { index: number; x: number } => {
    maxLayer = Math.max(maxLayer, layer);
    const index = nodes.length;
    nodes.push({ node: n, x: 0, y: 0, tone: toneOf(n), layer });
    const kids = n.children.map((c) => place(c, layer + 1));
    for (const k of kids) edges.push({ from: index, to: k.index });
    const x = kids.length === 0 ? MARGIN + NODE_W / 2 + nextLeaf++ * (NODE_W + GAP_X) : (kids[0]!.x + kids[kids.length - 1]!.x) / 2;
    nodes[index] = { ...nodes[index]!, x, y: MARGIN + NODE_H / 2 + layer * (NODE_H + GAP_Y) };
    return { index, x };
  };
  place(root, 0);
  return {
    nodes,
    edges,
    width: MARGIN * 2 + Math.max(1, nextLeaf) * (NODE_W + GAP_X) - GAP_X,
    height: MARGIN * 2 + (maxLayer + 1) * (NODE_H + GAP_Y) - GAP_Y,
  };
}

/** The proof loaded for an execution: for its decision event first, else for any of its events. */
export function proofFor(n: LineageTreeNode, proofs: readonly LineageProofDoc[]): LineageProofDoc | undefined {
  const byId = new Map(proofs.map((p) => [p.id, p]));
  const decision = n.events.find((e) => (e.phase === "authorized" || e.phase === "denied") && byId.has(e.id));
  if (decision !== undefined) return byId.get(decision.id);
  for (const e of n.events) {
    const p = byId.get(e.id);
    if (p !== undefined) return p;
  }
  return undefined;
}

/** The decision record an event carries (on `authorized` / `denied`), if any. */
export function recordOf(proof: LineageProofDoc | undefined): Readonly<Record<string, unknown>> | undefined {
  const d = proof?.event.decision;
  return isObject(d) ? d : undefined;
}

/** The last segment of an entity text: `Ops::Action::"run"` → `run`. */
export function shortEntity(text: string): string {
  const m = /::"((?:[^"\\]|\\.)*)"$/.exec(text);
  return m === null ? text : m[1]!;
}
