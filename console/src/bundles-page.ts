/**
 * Bundles: the active bundle's policies (name, id, `@reason`, the text printed from the IR),
 * and the difference between two bundles the log's executions were decided with — added,
 * removed and changed policies, as `writ diff` reports it (the same code: `diffBundles` of
 * `writ/compiler`), with both texts of each changed policy. Every bundle shown is re-hashed in
 * this browser first.
 */
import { diffBundles, printIrPolicy, readBundleSummary, type BundleDiff } from "../../compiler/index.js";
import { loadBundle, type LoadedBundle } from "../../runtime/browser.js";
import { el, shortId } from "../../playground/src/shared/index.js";
import { getJson } from "./api.js";
import type { BundleUse } from "./model.js";
import { bundleById } from "./record-view.js";

/** Render the bundles page into `host`. */
export async function renderBundles(host: HTMLElement, params: URLSearchParams, status: (text: string) => void): Promise<void> {
  host.replaceChildren(el("h2", undefined, "Bundles"), el("p", "hint", "Loading…"));
  const [active, uses] = await Promise.all([getJson<unknown>("v1/bundle"), getJson<{ active?: string; bundles: BundleUse[] }>("v1/lineage/bundles")]);
  const body: HTMLElement[] = [el("h2", undefined, "Bundles")];
  const ids = uses.ok ? uses.value.bundles.map((b) => b.bundleId) : [];
  if (active.ok) {
    const loaded = loadBundle(active.value);
    if (loaded.bundle === undefined) body.push(el("p", "error-line", `The active bundle does not load here: ${loaded.diagnostics.map((d) => d.message).join("; ")}`));
    else {
      if (!ids.includes(loaded.bundle.bundleId)) ids.unshift(loaded.bundle.bundleId);
      body.push(activeSection(loaded.bundle));
    }
  } else body.push(el("p", "error-line", `No active bundle: ${active.code} ${active.message}`));
  body.push(await diffSection(ids, uses.ok ? uses.value.bundles : [], params));
  host.replaceChildren(...body);
  status(`${ids.length} bundle${ids.length === 1 ? "" : "s"} seen in the log`);
}

function activeSection(b: LoadedBundle): HTMLElement {
  const s = el("section", "active-bundle");
  s.setAttribute("aria-label", "active bundle");
  s.append(el("h3", undefined, "Active bundle"));
  const facts = el("dl", "lineage-facts");
  for (const [k, v] of [["bundle id", b.bundleId], ["sequence", String(b.sequence)], ["semantics", b.semantics], ["schema id", b.schemaId], ["signed by", b.keyId ?? "(not checked against a key here)"]] as const) facts.append(el("dt", undefined, k), el("dd", "mono", v));
  s.append(facts);
  const table = el("table", "policies");
  table.id = "policies";
  const head = el("tr");
  for (const h of ["policy", "effect", "@reason", "id"]) head.append(el("th", undefined, h));
  const thead = el("thead");
  thead.append(head);
  const tbody = el("tbody");
  for (const p of [...b.policies].sort((x, y) => (x.name < y.name ? -1 : 1))) {
    const tr = el("tr");
    tr.dataset.policy = p.name;
    const name = el("td");
    const d = el("details");
    d.append(el("summary", "mono", p.name), el("pre", "policy-source", printIrPolicy(p.ir)));
    name.append(d);
    const id = el("td", "mono policy-id", shortId(p.id));
    id.title = p.id;
    tr.append(name, el("td", `effect ${p.ir.effect}`, p.ir.effect), el("td", undefined, p.reason ?? "—"), id);
    tbody.append(tr);
  }
  table.append(el("caption", undefined, `${b.policies.length} policies (open one to read its text, printed from the bundle's IR)`), thead, tbody);
  s.append(table);
  return s;
}

function picker(label: string, id: string, ids: readonly string[], uses: readonly BundleUse[], value: string): HTMLLabelElement {
  const l = el("label", "field wide");
  const sel = el("select");
  sel.id = id;
  for (const b of ids) {
    const u = uses.find((x) => x.bundleId === b);
    const o = el("option", undefined, `${shortId(b)}${u === undefined ? " (active, not used yet)" : ` — ${u.executions} execution${u.executions === 1 ? "" : "s"}, last ${u.lastAt ?? "?"}`}`);
    o.value = b;
    sel.append(o);
  }
  if (value !== "") sel.value = value;
  l.append(el("span", undefined, label), sel);
  return l;
}

async function diffSection(ids: readonly string[], uses: readonly BundleUse[], params: URLSearchParams): Promise<HTMLElement> {
  const s = el("section", "bundle-diff");
  s.setAttribute("aria-label", "difference between two bundles");
  s.append(el("h3", undefined, "Difference between two bundles seen in the log"));
  if (ids.length < 2) {
    s.append(el("p", "hint", ids.length === 0 ? "The log names no bundle yet." : "The log names one bundle only: nothing to compare."));
    return s;
  }
  const form = el("form", "diff-form");
  const oldPick = picker("Old", "diff-old", ids, uses, params.get("old") ?? ids[1]!);
  const newPick = picker("New", "diff-new", ids, uses, params.get("new") ?? ids[0]!);
  const go = el("button", "primary", "Compare");
  go.type = "submit";
  form.append(oldPick, newPick, go);
  const out = el("div", "diff-out");
  out.id = "diff";
  out.setAttribute("aria-live", "polite");
  s.append(form, out);
  const compare = async (): Promise<void> => {
    const a = (oldPick.querySelector("select") as HTMLSelectElement).value;
    const b = (newPick.querySelector("select") as HTMLSelectElement).value;
    history.replaceState(null, "", `#/bundles?old=${encodeURIComponent(a)}&new=${encodeURIComponent(b)}`);
    out.replaceChildren(el("p", "hint", "Fetching and re-hashing both bundles…"));
    const [x, y] = await Promise.all([rawBundle(a), rawBundle(b)]);
    if (typeof x === "string" || typeof y === "string") {
      out.replaceChildren(el("p", "error-line", typeof x === "string" ? x : (y as string)));
      return;
    }
    const sa = readBundleSummary(x.json);
    const sb = readBundleSummary(y.json);
    if (!sa.ok || !sb.ok) {
      out.replaceChildren(el("p", "error-line", `not a bundle: ${!sa.ok ? sa.message : !sb.ok ? sb.message : ""}`));
      return;
    }
    showDiff(out, diffBundles(sa.summary, sb.summary), x.bundle, y.bundle);
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void compare();
  });
  void compare();
  return s;
}

/** A bundle's JSON as the log holds it and the same bundle re-hashed, or why not. */
async function rawBundle(id: string): Promise<{ readonly json: unknown; readonly bundle: LoadedBundle } | string> {
  const r = await getJson<unknown>(`v1/lineage/bundles/${encodeURIComponent(id)}`);
  if (!r.ok) {
    const active = await getJson<unknown>("v1/bundle");
    if (!active.ok) return `${id}: ${r.code} ${r.message}`;
    const b = loadBundle(active.value).bundle;
    return b?.bundleId === id ? { json: active.value, bundle: b } : `${id}: ${r.code} ${r.message}`;
  }
  const b = await bundleById(id);
  return typeof b === "string" ? b : { json: r.value, bundle: b };
}

function showDiff(out: HTMLElement, d: BundleDiff, a: LoadedBundle, b: LoadedBundle): void {
  out.replaceChildren();
  const summary = d.identical ? "identical" : `${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed, ${d.unchanged} unchanged`;
  out.append(el("p", `diff-summary ${d.identical ? "same" : "differs"}`, summary));
  const facts = el("ul", "diff-facts");
  facts.append(el("li", undefined, d.schemaChanged ? `schema changed (${shortId(d.old.schemaId)} → ${shortId(d.new.schemaId)})` : "schema unchanged"));
  if (d.sequenceChanged) facts.append(el("li", undefined, `sequence ${d.old.sequence} → ${d.new.sequence}`));
  if (d.semanticsChanged) facts.append(el("li", undefined, `semantics ${d.old.semantics} → ${d.new.semantics}`));
  out.append(facts);
  const text = (bundle: LoadedBundle, name: string): string => {
    const p = bundle.byName.get(name);
    return p === undefined ? "(a template or link: see the bundle)" : printIrPolicy(p.ir);
  };
  const entry = (cls: string, sign: string, name: string, ids: string, body: HTMLElement[]): void => {
    const f = el("div", `diff-entry ${cls}`);
    f.dataset.policy = name;
    f.append(el("div", "diff-head", `${sign} ${name}  ${ids}`), ...body);
    out.append(f);
  };
  for (const p of d.added) entry("added", "+", p.name, shortId(p.id), [el("pre", "policy-source", text(b, p.name))]);
  for (const p of d.removed) entry("removed", "−", p.name, shortId(p.id), [el("pre", "policy-source", text(a, p.name))]);
  for (const p of d.changed) {
    const cols = el("div", "diff-cols");
    cols.append(el("pre", "policy-source old", text(a, p.name)), el("pre", "policy-source new", text(b, p.name)));
    entry("changed", "~", p.name, `${shortId(p.oldId)} → ${shortId(p.newId)}`, [cols]);
  }
}
