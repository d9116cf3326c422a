/**
 * The results pane: the decision with its reasons and erroring policies, and the
 * problems list (every diagnostic of every editor, with code, position and help).
 * Built with DOM nodes and `textContent` only, so no input can inject markup.
 */
import { EDITOR_IDS, type Capabilities, type EditorId, type MarkersByEditor, type PolicyInfo, type RunResult } from "./protocol.js";

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls !== undefined) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function lineCol(text: string, offset: number): string {
  let line = 1;
  let start = 0;
  for (let i = 0; i < Math.min(offset, text.length); i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return `${line}:${offset - start + 1}`;
}

/** Render the problems list; clicking an entry calls `reveal(editor, offset)`. */
export function renderProblems(
  host: HTMLElement,
  markers: MarkersByEditor,
  texts: Record<EditorId, string>,
  reveal: (editor: EditorId, offset: number) => void,
): void {
  host.replaceChildren();
  const all = EDITOR_IDS.flatMap((id) => markers[id].map((m) => ({ id, m })));
  host.append(el("h3", undefined, all.length === 0 ? "No problems" : `Problems (${all.length})`));
  const list = el("ul", "problems");
  for (const { id, m } of all) {
    const li = el("li", `problem ${m.severity}`);
    li.dataset.code = m.code;
    li.dataset.editor = id;
    li.append(el("span", "where", `${id} ${lineCol(texts[id], m.start)}`), el("span", "code", m.code), el("span", "message", m.message));
    if (m.help !== undefined) li.append(el("div", "help", `help: ${m.help}`));
    li.addEventListener("click", () => reveal(id, m.start));
    list.append(li);
  }
  host.append(list);
}

/** Render the outcome of Run; clicking a reason calls `revealPolicy(name)`. */
export function renderDecision(host: HTMLElement, r: RunResult, policies: readonly PolicyInfo[], revealPolicy: (name: string) => void): void {
  host.replaceChildren();
  if (r.decision === undefined) {
    host.append(el("div", "decision none", "NO DECISION"));
    const ul = el("ul", "run-problems");
    for (const p of r.problems) ul.append(el("li", undefined, p));
    host.append(ul);
    return;
  }
  const badge = el("div", `decision ${r.decision}`, r.decision.toUpperCase());
  badge.id = "decision";
  host.append(badge);
  host.append(el("h3", undefined, r.reasons.length === 0 ? "No determining policies" : "Determined by"));
  const reasons = el("ul", "reasons");
  reasons.id = "reasons";
  for (const name of r.reasons) {
    const detail = r.determiningDetails?.find((d) => d.name === name);
    const li = el("li", "reason");
    li.dataset.policy = name;
    li.append(el("span", "name", name));
    const why = detail?.reason ?? policies.find((p) => p.name === name)?.reason;
    if (why !== undefined) li.append(el("span", "why", ` — ${why}`));
    const id = detail?.id ?? r.policyIds?.[name];
    if (id !== undefined) {
      li.title = `policy id ${id}`;
      li.append(el("div", "policy-id", shortId(id)));
    }
    li.addEventListener("click", () => revealPolicy(name));
    reasons.append(li);
  }
  host.append(reasons);
  if (r.errors.length > 0) {
    host.append(el("h3", undefined, `Erroring policies (${r.errors.length})`));
    const errs = el("ul", "errors");
    for (const e of r.errors) {
      const li = el("li", "error");
      li.append(el("span", "policy", e.policy), el("span", "code", e.code), el("span", "message", e.message));
      errs.append(li);
    }
    host.append(errs);
  }
  renderGovernance(host, r);
}

/** `sha256:0123456789ab…` — enough to tell ids apart; the full id is in the tooltip. */
export function shortId(id: string): string {
  return id.length > 19 ? `${id.slice(0, 19)}…` : id;
}

/** Obligations, shadow results, the bundle id and the per-policy ids of a Run. */
function renderGovernance(host: HTMLElement, r: RunResult): void {
  const obligations = Object.entries(r.obligations ?? {});
  if (r.obligations !== undefined) {
    host.append(el("h3", undefined, obligations.length === 0 ? "No obligations" : `Obligations (${obligations.length})`));
    const ul = el("ul", "obligations");
    ul.id = "obligations";
    for (const [k, v] of obligations) {
      const li = el("li", "obligation");
      li.dataset.name = k;
      li.append(el("span", "name", k), el("code", "value", JSON.stringify(v)));
      ul.append(li);
    }
    host.append(ul);
  }
  if (r.shadow !== undefined && r.shadow.length > 0) {
    host.append(el("h3", undefined, `Shadow policies (${r.shadow.length})`));
    const ul = el("ul", "shadow");
    ul.id = "shadow";
    for (const s of r.shadow) {
      const said = s.error !== undefined ? `error: ${s.error}` : s.satisfied ? `would ${s.effect}` : "not satisfied";
      const li = el("li", `shadow-result ${s.error !== undefined ? "error" : s.satisfied ? s.effect : "quiet"}`);
      li.dataset.policy = s.name;
      li.append(el("span", "name", s.name), el("span", "said", ` — ${said}`));
      ul.append(li);
    }
    host.append(ul);
  }
  host.append(el("h3", undefined, "Bundle"));
  const bundle = el("div", "bundle-id", r.bundleId ?? r.bundleProblem ?? "no bundle id");
  bundle.id = "bundle-id";
  if (r.bundleId === undefined) bundle.classList.add("missing");
  host.append(bundle);
  const ids = Object.entries(r.policyIds ?? {});
  if (ids.length > 0) {
    const details = el("details", "policy-ids");
    details.append(el("summary", undefined, `Policy ids (${ids.length})`));
    const ul = el("ul");
    for (const [name, id] of ids) {
      const li = el("li");
      li.title = id;
      li.append(el("span", "name", name), el("span", "policy-id", ` ${shortId(id)}`));
      ul.append(li);
    }
    details.append(ul);
    host.append(details);
  }
}

/** One line naming the pipeline stages this build lacks (empty when complete). */
export function capabilityNote(c: Capabilities): string {
  const missing = (Object.keys(c) as (keyof Capabilities)[]).filter((k) => !c[k]);
  return missing.length === 0 ? "" : `not yet available in this build: ${missing.join(", ")}`;
}

/** Show what the loaded example's test file expects (until Run replaces it). */
export function renderExpected(host: HTMLElement, expected: { readonly decision: string; readonly reasons: readonly string[] }): void {
  const reasons = expected.reasons.length === 0 ? "no determining policies" : expected.reasons.join(", ");
  host.append(el("div", "expected", `The example expects ${expected.decision.toUpperCase()} (${reasons}). Press Run.`));
}
