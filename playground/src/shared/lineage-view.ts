/**
 * The lineage picture: an execution tree as an SVG graph (layered by depth, coloured by
 * decision, a thick border on the execution holding the event asked about) and the side
 * panel of one execution with its decision record and whether its proof verifies.
 * DOM nodes and `textContent` only; styles in `views.css`. Where the documents come from
 * (files, a paste, a server) is the page's business.
 */
import { clip, el, jsonBlock, jsonText, row, svgEl } from "./display.js";
import { layoutTree, NODE_H, NODE_W, recordOf, shortEntity, type LineageProofDoc, type LineageTreeNode, type PlacedNode, type ProofCheckInfo } from "./lineage-model.js";

/** Draw the tree into `host` as one SVG; clicking a node calls `onSelect`. */
export function drawGraph(host: HTMLElement, root: LineageTreeNode, onSelect: (n: LineageTreeNode) => void): void {
  const layout = layoutTree(root);
  const s = svgEl("svg", { width: layout.width, height: layout.height, viewBox: `0 0 ${layout.width} ${layout.height}`, role: "img", "aria-label": "execution lineage" });
  s.id = "lineage-svg";
  for (const e of layout.edges) {
    const a = layout.nodes[e.from]!;
    const b = layout.nodes[e.to]!;
    const midY = (a.y + NODE_H / 2 + b.y - NODE_H / 2) / 2;
    s.append(svgEl("path", { class: "lineage-edge", d: `M${a.x},${a.y + NODE_H / 2} C${a.x},${midY} ${b.x},${midY} ${b.x},${b.y - NODE_H / 2}` }));
  }
  for (const p of layout.nodes) s.append(nodeShape(p, onSelect));
  host.replaceChildren(s);
}

function nodeShape(p: PlacedNode, onSelect: (n: LineageTreeNode) => void): SVGGElement {
  const n = p.node;
  const g = svgEl("g", { class: `lineage-node ${p.tone}${n.selected ? " selected" : ""}`, transform: `translate(${p.x - NODE_W / 2},${p.y - NODE_H / 2})`, tabindex: 0 });
  g.dataset.execution = n.execution;
  g.dataset.tone = p.tone;
  const title = svgEl("title", {});
  title.textContent = `${n.verdict.toUpperCase()} ${n.outcome} — ${n.actor}: ${n.principal} ${n.action} ${n.resource}${n.reason === undefined ? "" : `\n${n.reason}`}`;
  g.append(title, svgEl("rect", { width: NODE_W, height: NODE_H, rx: 6 }));
  const line = (y: number, text: string, cls: string): void => {
    const t = svgEl("text", { x: 8, y, class: cls });
    t.textContent = text;
    g.append(t);
  };
  line(17, `${n.verdict.toUpperCase()} · ${n.outcome}`, "verdict");
  line(34, clip(n.actor, 30), "actor");
  line(50, clip(`${shortEntity(n.action)} ${shortEntity(n.resource)}`, 30), "what");
  g.addEventListener("click", () => onSelect(n));
  g.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") onSelect(n);
  });
  return g;
}

/** The side panel of one execution: who, what, its decision record and its proof status. */
export function renderPanel(host: HTMLElement, n: LineageTreeNode, proof: LineageProofDoc | undefined, check: ProofCheckInfo | undefined): void {
  host.replaceChildren();
  host.append(el("h3", undefined, `${n.verdict.toUpperCase()} · ${n.outcome}`));
  const dl = el("dl", "lineage-facts");
  row(dl, "execution", n.execution);
  row(dl, "actor", n.actor);
  row(dl, "request", `${n.principal} ${n.action} ${n.resource}`);
  if (n.reason !== undefined) row(dl, "why", n.reason);
  row(dl, "events", n.events.map((e) => `#${e.index} ${e.phase}`).join(", "));
  host.append(dl);
  const status = el("div", "proof-status");
  status.id = "proof-status";
  if (proof === undefined || check === undefined) {
    status.textContent = "no proof loaded";
    status.classList.add("none");
  } else if (check.ok) {
    status.textContent = `proof verifies: event #${check.index} is in the log of ${check.size} events (${check.origin})`;
    status.classList.add("ok");
  } else {
    status.textContent = `proof does NOT verify: ${check.error}`;
    status.classList.add("bad");
  }
  host.append(status);
  const record = recordOf(proof);
  const unverified = check !== undefined && !check.ok ? ", NOT verified" : "";
  host.append(el("h3", undefined, record === undefined ? "Decision record" : `Decision record (event #${proof?.index ?? "?"}${unverified})`));
  if (record === undefined) {
    host.append(el("p", "hint", "Load the `writ lineage prove` proof of this execution's decision event to see its record."));
    return;
  }
  const facts = el("dl", "lineage-facts record-summary");
  if (typeof record.decision === "string") row(facts, "decision", record.decision);
  const reasons = Array.isArray(record.reasons) ? (record.reasons as { name?: unknown; reason?: unknown }[]) : [];
  for (const r of reasons) row(facts, "by", `${String(r.name)}${typeof r.reason === "string" ? ` — ${r.reason}` : ""}`);
  const errors = Array.isArray(record.errors) ? (record.errors as { policy?: unknown; code?: unknown; message?: unknown }[]) : [];
  for (const e of errors) row(facts, "error", `${String(e.policy)} ${String(e.code)} ${String(e.message)}`);
  const obligations = typeof record.obligations === "object" && record.obligations !== null ? Object.entries(record.obligations) : [];
  for (const [k, v] of obligations) row(facts, "obliges", `${k} = ${jsonText(v)}`);
  if (typeof record.bundleId === "string") row(facts, "bundle", record.bundleId);
  host.append(facts);
  const details = el("details", "record-json");
  details.append(el("summary", undefined, "record JSON"));
  const pre = el("pre", "decision-record", jsonBlock(record));
  pre.id = "decision-record";
  details.append(pre);
  host.append(details);
}
