/**
 * The lineage explorer: a search of the execution index (`/v1/lineage/executions`, answered
 * by the server from posting lists, one page at a time) by principal, action, resource,
 * verdict, node and time; the filters live in the URL (`#/explorer?decision=deny`), so a search
 * can be shared. Each row opens its execution. Arrow keys move between rows.
 */
import { el } from "../../playground/src/shared/index.js";
import { getJson, query } from "./api.js";
import type { ExecutionPage, ExecutionRow } from "./model.js";

const FIELDS = [
  { key: "principal", label: "Principal", placeholder: 'Ops::Agent::"planner"' },
  { key: "action", label: "Action", placeholder: 'Ops::Action::"run"' },
  { key: "resource", label: "Resource", placeholder: 'Ops::Resource::"prod-cluster"' },
  { key: "node", label: "Node", placeholder: "demo-node" },
] as const;

function input(label: string, name: string, value: string, attrs: Record<string, string> = {}): HTMLLabelElement {
  const l = el("label", "field");
  const i = el("input");
  i.name = name;
  i.id = `f-${name}`;
  i.value = value;
  for (const [k, v] of Object.entries(attrs)) i.setAttribute(k, v);
  l.append(el("span", undefined, label), i);
  return l;
}

/** `2026-05-01T10:00` (a datetime-local value, local time) as ISO 8601, or undefined. */
function isoOf(local: string): string | undefined {
  if (local === "") return undefined;
  const t = Date.parse(local);
  return Number.isFinite(t) ? new Date(t).toISOString() : undefined;
}

/** Render the explorer with the filters of `params` into `host`. */
export function renderExplorer(host: HTMLElement, params: URLSearchParams, status: (text: string) => void): void {
  const form = el("form", "search");
  form.setAttribute("role", "search");
  form.setAttribute("aria-label", "search executions");
  for (const f of FIELDS) form.append(input(f.label, f.key, params.get(f.key) ?? "", { placeholder: f.placeholder, autocomplete: "off", spellcheck: "false" }));
  const verdict = el("label", "field");
  const select = el("select");
  select.name = "decision";
  select.id = "f-decision";
  for (const [v, t] of [["", "any"], ["allow", "allow"], ["deny", "deny"]]) {
    const o = el("option", undefined, t);
    o.value = v!;
    select.append(o);
  }
  select.value = params.get("decision") ?? "";
  verdict.append(el("span", undefined, "Decision"), select);
  form.append(verdict);
  form.append(input("Since", "since", params.get("since") ?? "", { type: "datetime-local", step: "1" }), input("Until", "until", params.get("until") ?? "", { type: "datetime-local", step: "1" }));
  const go = el("button", "primary", "Search");
  go.type = "submit";
  form.append(go);
  const results = el("section", "results");
  results.setAttribute("aria-label", "executions found");
  results.setAttribute("aria-live", "polite");
  host.replaceChildren(el("h2", undefined, "Lineage explorer"), form, results);

  const filters = (): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [k, v] of new FormData(form).entries()) if (typeof v === "string" && v.trim() !== "") out[k] = v.trim();
    return out;
  };
  const cursors: (string | undefined)[] = [undefined];
  const load = async (page: number): Promise<void> => {
    const f = filters();
    const started = performance.now();
    const r = await getJson<ExecutionPage>(`v1/lineage/executions${query({ ...f, since: isoOf(f["since"] ?? ""), until: isoOf(f["until"] ?? ""), after: cursors[page], limit: "50" })}`);
    const ms = Math.round(performance.now() - started);
    if (!r.ok) {
      results.replaceChildren(el("p", "error-line", `${r.code}: ${r.message}`));
      status(`search failed (${r.code})`);
      return;
    }
    cursors[page + 1] = r.value.next;
    cursors.length = page + 2;
    document.body.dataset.searchMs = String(ms);
    status(`${r.value.executions.length} execution${r.value.executions.length === 1 ? "" : "s"} on page ${page + 1}, answered in ${ms} ms`);
    showPage(results, r.value.executions, page, r.value.next !== undefined, (p) => void load(p));
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const f = filters();
    history.replaceState(null, "", `#/explorer${query(f)}`);
    cursors.length = 1;
    void load(0);
  });
  void load(0);
}

function showPage(results: HTMLElement, rows: readonly ExecutionRow[], page: number, more: boolean, goto: (page: number) => void): void {
  if (rows.length === 0) {
    results.replaceChildren(el("p", "hint", page === 0 ? "No execution matches." : "No more executions."));
    return;
  }
  const table = el("table", "executions");
  table.id = "executions";
  const cap = el("caption", undefined, `Executions, page ${page + 1} (newest last; Enter opens one, ↑/↓ move)`);
  const thead = el("thead");
  const hr = el("tr");
  for (const h of ["execution", "recorded", "decision", "status", "principal", "action", "resource", "actor", "node"]) hr.append(el("th", undefined, h));
  thead.append(hr);
  const tbody = el("tbody");
  for (const r of rows) {
    const tr = el("tr", `execution-row ${r.decision ?? "undecided"}`);
    tr.dataset.execution = r.execution;
    const link = el("a", "open", r.execution.length > 22 ? `${r.execution.slice(0, 21)}…` : r.execution);
    link.href = `#/execution/${encodeURIComponent(r.execution)}`;
    link.title = `open execution ${r.execution}`;
    link.setAttribute("aria-label", `open execution ${r.execution}: ${r.decision ?? "undecided"} ${r.principal ?? ""} ${r.action ?? ""} ${r.resource ?? ""}`);
    const first = el("td");
    first.append(link);
    tr.append(first, el("td", "time", r.at === undefined ? "—" : r.at.replace("T", " ").replace(/\.\d+Z$/, "Z")));
    const d = el("td");
    d.append(el("span", `badge ${r.decision ?? "undecided"}`, (r.decision ?? "undecided").toUpperCase()));
    tr.append(d, el("td", undefined, r.status + (r.audited ? "" : " (open)")), el("td", "mono", r.principal ?? "?"), el("td", "mono", r.action ?? "?"), el("td", "mono", r.resource ?? "?"), el("td", undefined, r.actor), el("td", undefined, r.node));
    tbody.append(tr);
  }
  table.append(cap, thead, tbody);
  table.addEventListener("keydown", (e) => {
    const links = [...table.querySelectorAll<HTMLAnchorElement>("a.open")];
    const at = links.indexOf(document.activeElement as HTMLAnchorElement);
    if (at < 0) return;
    if (e.key === "ArrowDown" && at < links.length - 1) links[at + 1]!.focus();
    else if (e.key === "ArrowUp" && at > 0) links[at - 1]!.focus();
    else return;
    e.preventDefault();
  });
  const pager = el("nav", "pager");
  pager.setAttribute("aria-label", "pages of executions");
  const prev = el("button", undefined, "← Previous page");
  prev.type = "button";
  prev.disabled = page === 0;
  prev.addEventListener("click", () => goto(page - 1));
  const next = el("button", undefined, "Next page →");
  next.type = "button";
  next.disabled = !more;
  next.addEventListener("click", () => goto(page + 1));
  pager.append(prev, el("span", undefined, `page ${page + 1}`), next);
  results.replaceChildren(table, pager);
}
