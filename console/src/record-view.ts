/**
 * A decision record as a person reads it: the shared decision view (verdict, the determining
 * policies with their `@reason` and ids, errors, obligations, shadow results, bundle id), the
 * steps of its evidence, and the policies that decided it printed from the bundle's IR — the
 * bundle fetched from the log and re-hashed in this browser (`loadBundle` recomputes every id),
 * so the text shown is the text whose id the record names.
 */
import { printIrPolicy } from "../../compiler/index.js";
import { loadBundle, type EvidenceStep, type LoadedBundle } from "../../runtime/browser.js";
import { el, jsonBlock, shortId, type DecisionView, type ShadowInfo } from "../../playground/src/shared/index.js";
import { getJson } from "./api.js";

function isObject(x: unknown): x is Readonly<Record<string, unknown>> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

const list = (x: unknown): readonly Readonly<Record<string, unknown>>[] => (Array.isArray(x) ? x.filter(isObject) : []);
const text = (x: unknown): string | undefined => (typeof x === "string" ? x : undefined);

/** The shared decision view of a decision record (plain JSON as the log holds it). */
export function viewOf(record: Readonly<Record<string, unknown>>, bundle?: LoadedBundle): DecisionView {
  const reasons = list(record["reasons"]);
  const shadow: ShadowInfo[] = list(record["shadow"]).map((s) => {
    const error = text(s["error"]);
    return { name: text(s["name"]) ?? "?", effect: s["effect"] === "forbid" ? "forbid" : "permit", satisfied: s["satisfied"] === true, ...(error === undefined ? {} : { error }) };
  });
  const policyIds: Record<string, string> = {};
  for (const p of bundle?.policies ?? []) policyIds[p.name] = p.id;
  const decision = record["decision"] === "allow" || record["decision"] === "deny" ? record["decision"] : undefined;
  return {
    ...(decision === undefined ? {} : { decision }),
    reasons: reasons.map((r) => text(r["name"]) ?? "?"),
    errors: list(record["errors"]).map((e) => ({ policy: text(e["policy"]) || "(input)", code: text(e["code"]) ?? "?", message: text(e["message"]) ?? "" })),
    problems: decision === undefined ? ["the record carries no decision"] : [],
    determiningDetails: reasons.map((r) => {
      const reason = text(r["reason"]);
      const id = text(r["policyId"]);
      return { name: text(r["name"]) ?? "?", ...(reason === undefined ? {} : { reason }), ...(id === undefined ? {} : { id }) };
    }),
    obligations: isObject(record["obligations"]) ? record["obligations"] : {},
    shadow,
    ...(text(record["bundleId"]) === undefined ? { bundleProblem: "the record names no bundle" } : { bundleId: text(record["bundleId"])! }),
    ...(bundle === undefined ? {} : { policyIds }),
  };
}

const bundles = new Map<string, Promise<LoadedBundle | string>>();

/**
 * The bundle with this id, fetched from the log (or the active one) and re-hashed here: the
 * bundle, or why it cannot be shown. Remembered per id.
 */
export function bundleById(id: string): Promise<LoadedBundle | string> {
  let p = bundles.get(id);
  if (p === undefined) {
    p = (async () => {
      const r = await getJson<unknown>(`v1/lineage/bundles/${encodeURIComponent(id)}`);
      if (!r.ok) return `${r.code}: ${r.message}`;
      const loaded = loadBundle(r.value);
      if (loaded.bundle === undefined) return `the bundle does not load: ${loaded.diagnostics.map((d) => d.message).join("; ")}`;
      if (loaded.bundle.bundleId !== id) return `the server sent a bundle whose content hashes to ${loaded.bundle.bundleId}, not ${id}`;
      return loaded.bundle;
    })();
    bundles.set(id, p);
  }
  return p;
}

/** A list of evidence steps: one line each, marked passed, failed, warning or skipped. */
export function renderSteps(host: HTMLElement, steps: readonly EvidenceStep[]): void {
  const ol = el("ol", "steps");
  for (const s of steps) {
    const li = el("li", `step ${s.status}`);
    li.dataset.step = s.step;
    li.dataset.status = s.status;
    const mark = s.status === "pass" ? "PASSED" : s.status === "fail" ? "FAILED" : s.status === "warn" ? "WARNING" : "SKIPPED";
    li.append(el("span", "mark", mark), el("span", "step-name", s.step), el("span", "detail", s.detail));
    ol.append(li);
  }
  host.append(ol);
}

/** The policies that decided (the record's reasons and erroring policies), printed from the bundle's IR with their ids. */
export function renderPolicies(host: HTMLElement, record: Readonly<Record<string, unknown>>, bundle: LoadedBundle | string): void {
  host.append(el("h3", undefined, "Policies that decided it"));
  if (typeof bundle === "string") {
    host.append(el("p", "warning-line", `The bundle cannot be shown: ${bundle}`));
    return;
  }
  const names = [...list(record["reasons"]), ...list(record["errors"])].map((r) => text(r["name"]) ?? text(r["policy"]) ?? "").filter((n) => n !== "");
  const note = el("p", "hint", `Printed from the IR of bundle ${shortId(bundle.bundleId)}, fetched from the log and re-hashed in this browser: every policy id and the bundle id match.`);
  host.append(note);
  if (names.length === 0) {
    host.append(el("p", "hint", "No policy determined it: nothing permitted the request (default deny)."));
    return;
  }
  for (const name of [...new Set(names)]) {
    const p = bundle.byName.get(name);
    const box = el("figure", "policy-text");
    box.dataset.policy = name;
    const cap = el("figcaption");
    cap.append(el("strong", undefined, name), el("code", "policy-id", p?.id ?? "not in this bundle"));
    if (p?.reason !== undefined) cap.append(el("span", "why", ` — ${p.reason}`));
    box.append(cap, el("pre", "policy-source", p === undefined ? "(the bundle has no policy of this name)" : printIrPolicy(p.ir)));
    host.append(box);
  }
}

/** A collapsible JSON block. */
export function jsonDetails(title: string, value: unknown, id?: string): HTMLDetailsElement {
  const d = el("details", "record-json");
  d.append(el("summary", undefined, title));
  const pre = el("pre", "decision-record", jsonBlock(value));
  if (id !== undefined) pre.id = id;
  d.append(pre);
  return d;
}
