/**
 * The health dashboard: every decision node (one for `writ serve`; a mesh's nodes when
 * `GET /v1/mesh` answers) with its bundle and entity snapshot ids (against the pinned ones in a
 * mesh), log size, checkpoint age and witness counts, and — live, polled every 2 s — decisions
 * per second, the deny rate and the latency percentiles of the decision routes from
 * `/metrics`. A node that is not ready (fail closed: every decision is deny) or that refused
 * its last bundle is shown in red, saying why.
 */
import { el, svgEl } from "../../playground/src/shared/index.js";
import { getJson, getText } from "./api.js";
import { infoLabels, parseMetrics, ratesBetween, total, type Rates, type Scrape } from "./metrics.js";
import { ageText, nodeFromReady, nodesFromMesh, stateOf, type NodeStatus } from "./model.js";

/** How often the page polls (milliseconds). */
export const POLL_MS = 2000;
const HISTORY = 90;

/** Render the dashboard into `host`; returns a function that stops polling. */
export function renderHealth(host: HTMLElement, status: (text: string) => void): () => void {
  const nodesBox = el("section", "nodes");
  nodesBox.id = "nodes";
  nodesBox.setAttribute("aria-label", "decision nodes");
  nodesBox.setAttribute("aria-live", "polite");
  const charts = el("section", "charts");
  charts.setAttribute("aria-label", "decisions over time");
  const figures = {
    rate: chart("Decisions per second", "decisions-chart", (r) => r.decisionsPerSecond, (v) => v.toFixed(1)),
    deny: chart("Deny rate", "deny-chart", (r) => r.denyRate, (v) => `${(v * 100).toFixed(0)} %`, 1),
    latency: chart("Decision latency p50 / p90 / p99", "latency-chart", (r) => r.p99, (v) => `${(v * 1000).toFixed(2)} ms`, undefined, [(r) => r.p50, (r) => r.p90]),
  };
  charts.append(figures.rate.box, figures.deny.box, figures.latency.box);
  host.replaceChildren(el("h2", undefined, "Health"), nodesBox, charts);
  const history: Rates[] = [];
  let last: Scrape | undefined;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const tick = async (): Promise<void> => {
    const [ready, metrics, checkpoint] = await Promise.all([getJson<unknown>("readyz", [503]), getText("metrics"), getJson<{ size: number }>("v1/lineage/checkpoint")]);
    // NOTE: a mesh node names its mesh on /readyz (`mesh`); only then is the mesh status asked for.
    const inMesh = ready.ok && typeof ready.value === "object" && ready.value !== null && "mesh" in ready.value;
    const mesh = inMesh ? await getJson<unknown>("v1/mesh") : undefined;
    if (stopped) return;
    const samples = metrics.ok ? parseMetrics(metrics.value) : [];
    const age = samples.some((s) => s.name === "writ_lineage_checkpoint_age_seconds") ? total(samples, "writ_lineage_checkpoint_age_seconds") : undefined;
    let nodes: NodeStatus[];
    if (mesh?.ok === true && nodesFromMesh(mesh.value).length > 0) nodes = nodesFromMesh(mesh.value);
    else if (ready.ok) nodes = [nodeFromReady(ready.value, location.host, age)];
    else nodes = [{ name: location.host, ready: false, reasons: [], unreachable: `${ready.code}: ${ready.message}` }];
    const keyId = infoLabels(samples, "writ_bundle_info")?.["key_id"];
    showNodes(nodesBox, nodes, keyId, checkpoint.ok ? checkpoint.value.size : undefined);
    if (metrics.ok) {
      const scrape: Scrape = { at: Date.now(), samples };
      if (last !== undefined) {
        history.push(ratesBetween(last, scrape));
        if (history.length > HISTORY) history.shift();
        for (const f of Object.values(figures)) f.draw(history);
      }
      last = scrape;
    }
    const bad = nodes.filter((n) => stateOf(n).state !== "ok").length;
    document.body.dataset.health = bad === 0 ? "ok" : "alert";
    status(bad === 0 ? `${nodes.length === 1 ? "the node is" : `all ${nodes.length} nodes are`} ready · updated ${new Date().toLocaleTimeString()}` : `${bad} node${bad === 1 ? "" : "s"} need attention · updated ${new Date().toLocaleTimeString()}`);
    if (!stopped) timer = setTimeout(() => void tick(), POLL_MS);
  };
  void tick();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
}

function showNodes(box: HTMLElement, nodes: readonly NodeStatus[], keyId: string | undefined, checkpointSize: number | undefined): void {
  box.replaceChildren();
  for (const n of nodes) {
    const { state, problems } = stateOf(n);
    const card = el("article", `node-card ${state}`);
    card.dataset.state = state;
    card.dataset.node = n.name;
    const head = el("header");
    const label = state === "ok" ? "READY" : state === "degraded" ? "ATTENTION" : "NOT READY — FAIL CLOSED: EVERY DECISION IS DENY";
    head.append(el("h3", undefined, n.name), el("span", `state ${state}`, label));
    card.append(head);
    if (problems.length > 0) {
      const ul = el("ul", "node-problems");
      ul.setAttribute("role", "alert");
      for (const p of problems) ul.append(el("li", undefined, p));
      card.append(ul);
    }
    const dl = el("dl", "node-facts");
    const fact = (k: string, v: string, cls?: string): void => {
      const dd = el("dd", cls, v);
      dl.append(el("dt", undefined, k), dd);
    };
    fact("bundle", n.bundleId === undefined ? "none loaded" : `${n.bundleId}${n.sequence === undefined ? "" : ` (sequence ${n.sequence})`}`, "mono bundle");
    if (n.pinnedBundleId !== undefined) fact("pinned bundle", n.pinnedBundleId, `mono ${n.pinnedBundleId === n.bundleId ? "same" : "differs"}`);
    if (keyId !== undefined && nodes.length === 1) fact("bundle signer", keyId, "mono");
    fact("entity snapshot", n.entitiesId ?? "none", "mono");
    if (n.pinnedEntitiesId !== undefined) fact("pinned snapshot", n.pinnedEntitiesId, `mono ${n.pinnedEntitiesId === n.entitiesId ? "same" : "differs"}`);
    fact("log size", n.logSize === undefined ? (checkpointSize === undefined ? "?" : `${checkpointSize} events`) : `${n.logSize.toLocaleString("en")} events`);
    fact("checkpoint age", n.checkpointAgeSeconds === undefined ? "?" : ageText(n.checkpointAgeSeconds));
    fact("witnesses", n.witnesses === undefined ? "none (single node)" : `${n.witnesses.count}${n.witnesses.required === undefined ? "" : ` of ${n.witnesses.required} required`}`);
    card.append(dl);
    box.append(card);
  }
}

/** A small line chart of one series (plus optional extra series) over the history. */
function chart(title: string, id: string, pick: (r: Rates) => number | undefined, format: (v: number) => string, fixedMax?: number, extra: readonly ((r: Rates) => number | undefined)[] = []): { box: HTMLElement; draw: (h: readonly Rates[]) => void } {
  const box = el("figure", "chart");
  box.id = id;
  const cap = el("figcaption");
  const now = el("span", "now", "—");
  cap.append(el("span", undefined, title), now);
  const note = el("div", "chart-note", `last ${(HISTORY * POLL_MS) / 60000} min, every ${POLL_MS / 1000} s, from /metrics`);
  const W = 360;
  const H = 90;
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title, preserveAspectRatio: "none" });
  box.append(cap, svg, note);
  const draw = (h: readonly Rates[]): void => {
    const series = [pick, ...extra];
    const values = h.flatMap((r) => series.map((f) => f(r)).filter((v): v is number => v !== undefined));
    const max = fixedMax ?? Math.max(1e-9, ...values) * 1.15;
    svg.replaceChildren(svgEl("line", { x1: 0, y1: H - 1, x2: W, y2: H - 1, class: "axis" }));
    series.forEach((f, k) => {
      const pts = h.map((r, i) => [i, f(r)] as const).filter((p): p is readonly [number, number] => p[1] !== undefined);
      if (pts.length === 0) return;
      // The newest point at the right edge; the chart fills as history grows (at most HISTORY points).
      const span = Math.max(10, h.length - 1);
      const x = (i: number): string => (W - ((h.length - 1 - i) / span) * W).toFixed(1);
      const d = pts.map(([i, v], j) => `${j === 0 ? "M" : "L"}${x(i)},${(H - 2 - (v / max) * (H - 6)).toFixed(1)}`).join(" ");
      svg.append(svgEl("path", { d, class: `series s${k}` }));
    });
    const latest = h[h.length - 1];
    const v = latest === undefined ? undefined : pick(latest);
    const parts = [pick, ...extra].map((f) => (latest === undefined ? undefined : f(latest)));
    now.textContent = extra.length > 0 && latest !== undefined ? [...parts.slice(1), parts[0]].map((x) => (x === undefined ? "—" : format(x))).join(" / ") : v === undefined ? "—" : format(v);
  };
  return { box, draw };
}
