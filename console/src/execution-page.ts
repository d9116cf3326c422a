/**
 * One execution: its DAG (ancestors and descendants, drawn by the shared lineage picture), and
 * for the chosen execution every phase event with its inclusion proof checked in this browser,
 * why it was refused (when the governor refused it), the decision record, and the policies that
 * decided it printed from the bundle. Every execution of the tree gets a proof mark once all of
 * its events verified (checked in the background, in batches).
 */
import { drawGraph, el, renderDecision, row, shortId, svgEl, type LineageTreeNode } from "../../playground/src/shared/index.js";
import { getJson } from "./api.js";
import { proveEvents, type Proven } from "./evidence.js";
import { flatten, treeOf, type ExecutionTree } from "./model.js";
import { bundleById, jsonDetails, renderPolicies, renderSteps, viewOf } from "./record-view.js";

function isObject(x: unknown): x is Readonly<Record<string, unknown>> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** The event a proof outcome carries (only from a proof that verified). */
function eventOf(p: Proven | undefined): Readonly<Record<string, unknown>> | undefined {
  return p?.ok === true && p.steps.ok ? p.steps.event : undefined;
}

/** Render the execution page for `id` into `host`. */
export async function renderExecution(host: HTMLElement, id: string, status: (text: string) => void): Promise<void> {
  host.replaceChildren(el("p", "hint", "Loading the execution tree…"));
  const started = performance.now();
  const r = await getJson<ExecutionTree>(`v1/lineage/tree/${encodeURIComponent(id)}?limit=500`);
  if (!r.ok) {
    host.replaceChildren(el("p", "error-line", `${r.code}: ${r.message}`));
    return;
  }
  const tree = treeOf(r.value);
  if (tree === undefined) {
    host.replaceChildren(el("p", "error-line", "the server's tree has no root"));
    return;
  }
  const nodes = flatten(tree);
  const layout = el("div", "execution-layout");
  const graphBox = el("section", "graph-box");
  graphBox.setAttribute("aria-label", "execution tree");
  const head = el("div", "graph-head");
  head.append(el("h2", undefined, `Execution tree — ${nodes.length} execution${nodes.length === 1 ? "" : "s"}${r.value.truncated ? " (first 500 shown)" : ""}`));
  const legend = el("div", "legend");
  for (const [cls, label] of [["allow", "allow"], ["deny", "deny"], ["error", "error / undecided"], ["selected", "asked about"]] as const) legend.append(el("span", `swatch ${cls}`), el("span", undefined, label));
  head.append(legend);
  const graph = el("div", "graph");
  graph.id = "lineage-graph";
  graphBox.append(head, graph);
  const panel = el("section", "execution-panel");
  panel.id = "execution-panel";
  panel.setAttribute("aria-label", "execution details");
  panel.tabIndex = -1;
  layout.append(graphBox, panel);
  host.replaceChildren(layout);

  const proofs = new Map<string, Proven>();
  const select = (n: LineageTreeNode): void => {
    for (const g of graph.querySelectorAll(".lineage-node.chosen")) g.classList.remove("chosen");
    graph.querySelector(`.lineage-node[data-execution="${CSS.escape(n.execution)}"]`)?.classList.add("chosen");
    history.replaceState(null, "", `#/execution/${encodeURIComponent(n.execution)}`);
    void renderPanel(panel, n, proofs);
  };
  drawGraph(graph, tree, select);
  fitSmall(graph);
  status(`tree of ${nodes.length} drawn in ${Math.round(performance.now() - started)} ms`);
  document.body.dataset.treeDrawnMs = String(Math.round(performance.now() - started));
  const chosen = nodes.find((n) => n.execution === id) ?? tree;
  select(chosen);
  graph.querySelector<SVGGElement>(`.lineage-node[data-execution="${CSS.escape(chosen.execution)}"]`)?.scrollIntoView({ block: "nearest", inline: "center" });
  await markProofs(graph, nodes, proofs);
  status(`tree of ${nodes.length}: every event's proof checked in this browser`);
}

/** Scale a tree that is a little too wide down to the box (a large one keeps its size and scrolls). */
function fitSmall(graph: HTMLElement): void {
  const svg = graph.querySelector("svg");
  if (svg === null) return;
  const w = Number(svg.getAttribute("width"));
  const h = Number(svg.getAttribute("height"));
  const room = graph.clientWidth - 16;
  if (w > room && room / w >= 0.55) {
    svg.setAttribute("width", String(room));
    svg.setAttribute("height", String(Math.round((h * room) / w)));
  }
}

/** Check every event of the tree (batches) and mark each execution's node with the outcome. */
async function markProofs(graph: HTMLElement, nodes: readonly LineageTreeNode[], proofs: Map<string, Proven>): Promise<void> {
  const ids = nodes.flatMap((n) => n.events.map((e) => e.id));
  const got = await proveEvents(ids);
  for (const [k, v] of got) proofs.set(k, v);
  for (const n of nodes) {
    const g = graph.querySelector<SVGGElement>(`.lineage-node[data-execution="${CSS.escape(n.execution)}"]`);
    if (g === null) continue;
    const bad = n.events.filter((e) => proofs.get(e.id)?.ok !== true || !(proofs.get(e.id) as { steps: { ok: boolean } }).steps.ok).length;
    g.dataset.proofs = bad === 0 ? "verified" : "failed";
    // A seal in the node's corner: ✓ every event proven here, ✗ some did not verify.
    const seal = svgEl("g", { class: bad === 0 ? "proof-seal ok" : "proof-seal bad", transform: "translate(190,10)" });
    const title = svgEl("title", {});
    title.textContent = bad === 0 ? `all ${n.events.length} events proven in this browser` : `${bad} of ${n.events.length} events did not verify`;
    const mark = svgEl("text", { x: 0, y: 4, "text-anchor": "middle" });
    mark.textContent = bad === 0 ? "✓" : "✗";
    seal.append(title, svgEl("circle", { r: 8 }), mark);
    g.append(seal);
  }
  document.body.dataset.proofsChecked = String(ids.length);
}

/** The side panel of one execution. */
async function renderPanel(panel: HTMLElement, n: LineageTreeNode, proofs: Map<string, Proven>): Promise<void> {
  panel.replaceChildren();
  const title = el("h2", `verdict-title ${n.verdict}`, `${n.verdict.toUpperCase()} · ${n.outcome}`);
  panel.append(title);
  const facts = el("dl", "lineage-facts");
  row(facts, "execution", n.execution);
  row(facts, "actor", n.actor);
  row(facts, "node", n.node);
  row(facts, "request", `${n.principal} → ${n.action} → ${n.resource}`);
  panel.append(facts);
  const missing = n.events.filter((e) => !proofs.has(e.id)).map((e) => e.id);
  if (missing.length > 0) {
    panel.append(el("p", "hint", "Checking the proofs of its events…"));
    const got = await proveEvents(missing);
    for (const [k, v] of got) proofs.set(k, v);
    panel.lastElementChild?.remove();
  }
  panel.append(el("h3", undefined, "Events (each proven in this browser against the signed checkpoint)"));
  const table = el("table", "events");
  table.id = "events";
  const thead = el("thead");
  const hr = el("tr");
  for (const h of ["#", "phase", "recorded", "inclusion proof"]) hr.append(el("th", undefined, h));
  thead.append(hr);
  const tbody = el("tbody");
  let decisionEvent: Readonly<Record<string, unknown>> | undefined;
  let refusal: string | undefined;
  for (const e of n.events) {
    const p = proofs.get(e.id);
    const ev = eventOf(p);
    if (ev !== undefined && (e.phase === "authorized" || e.phase === "denied")) decisionEvent = ev;
    const outcome = ev !== undefined && isObject(ev["outcome"]) ? ev["outcome"] : undefined;
    if (outcome !== undefined && typeof outcome["reason"] === "string" && (outcome["status"] === "refused" || outcome["status"] === "error")) refusal = `${typeof outcome["code"] === "string" ? `${outcome["code"]}: ` : ""}${outcome["reason"]}`;
    const tr = el("tr", "event");
    tr.dataset.phase = e.phase;
    tr.append(el("td", "index", String(e.index)), el("td", "phase", e.phase), el("td", "time", typeof ev?.["recordedAt"] === "string" ? ev["recordedAt"] : "—"));
    const cell = el("td", "proof");
    if (p === undefined || !p.ok) {
      cell.append(el("span", "proof-badge bad", "NOT PROVEN"), el("span", "detail", p?.ok === false ? ` ${p.message}` : " no proof"));
      tr.dataset.proof = "failed";
    } else {
      const d = el("details", "proof-steps");
      const failed = p.steps.steps.find((s) => s.status === "fail");
      const warned = p.steps.steps.find((s) => s.status === "warn");
      const badge = el("span", `proof-badge ${p.steps.ok ? (warned === undefined ? "ok" : "warn") : "bad"}`, p.steps.ok ? "VERIFIED" : "FAILED");
      const sum = el("summary");
      sum.append(badge, el("span", "detail", p.steps.ok ? ` in the log of ${p.steps.size ?? "?"} (${shortId(e.id)})` : ` ${failed?.step}: ${failed?.detail}`));
      d.append(sum);
      renderSteps(d, p.steps.steps);
      cell.append(d);
      tr.dataset.proof = p.steps.ok ? "verified" : "failed";
    }
    tr.append(cell);
    tbody.append(tr);
  }
  table.append(thead, tbody);
  panel.append(table);
  if (refusal !== undefined) {
    const why = el("div", "refusal");
    why.id = "refusal";
    why.append(el("strong", undefined, "Refused by the governor: "), el("span", undefined, refusal));
    panel.append(why);
  }
  const record = decisionEvent !== undefined && isObject(decisionEvent["decision"]) ? decisionEvent["decision"] : undefined;
  panel.append(el("h3", undefined, "Decision record (what the policies said)"));
  if (record === undefined) {
    panel.append(el("p", "hint", n.events.some((e) => e.phase === "authorized" || e.phase === "denied") ? "The decision event's proof did not verify: its record is not shown." : "No decision was recorded."));
    return;
  }
  const decision = el("div", "decision-view");
  decision.id = "decision-view";
  const bundleId = typeof record["bundleId"] === "string" ? record["bundleId"] : undefined;
  const bundle = bundleId === undefined ? "the record names no bundle" : await bundleById(bundleId);
  renderDecision(decision, viewOf(record, typeof bundle === "string" ? undefined : bundle));
  panel.append(decision);
  renderPolicies(panel, record, bundle);
  const requested = eventOf(proofs.get(n.events.find((e) => e.phase === "requested")?.id ?? ""));
  if (requested !== undefined) panel.append(jsonDetails("request as decided (with its verified lineage)", requested["request"]));
  panel.append(jsonDetails("decision record JSON", record, "decision-record"));
}
