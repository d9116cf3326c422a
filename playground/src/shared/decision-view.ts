/**
 * The decision view: a verdict badge, the determining policies with their `@reason` text
 * and content id, the erroring policies, merged obligations, shadow results, the bundle id
 * and the per-policy ids. It renders plain data (`DecisionView`), so any page can show a
 * decision: the playground's Run, a console's decision record.
 * DOM nodes and `textContent` only; styles in `views.css`.
 */
import { el, jsonText, shortId } from "./display.js";

/** One erroring policy of a decision. */
export interface DecisionError {
  readonly policy: string;
  readonly code: string;
  readonly message: string;
}

/** One determining policy of a decision: its `@reason` text and content id when known. */
export interface DeterminingDetail {
  readonly name: string;
  readonly reason?: string;
  readonly id?: string;
}

/** One shadow policy's outcome: what it would have said. */
export interface ShadowInfo {
  readonly name: string;
  readonly effect: "permit" | "forbid";
  readonly satisfied: boolean;
  readonly error?: string;
}

/** What the view shows. `decision` is absent when no decision could be made (`problems` says why). */
export interface DecisionView {
  readonly decision?: "allow" | "deny";
  /** Names of the determining policies, in decision order. */
  readonly reasons: readonly string[];
  readonly errors: readonly DecisionError[];
  /** Why no decision could be made, one line per problem. */
  readonly problems: readonly string[];
  /** The determining policies with their `@reason` text and content id, in decision order. */
  readonly determiningDetails?: readonly DeterminingDetail[];
  /** Merged obligations of an allow (plain JSON). */
  readonly obligations?: Readonly<Record<string, unknown>>;
  /** What every `@mode("shadow")` policy would have said. */
  readonly shadow?: readonly ShadowInfo[];
  /** The content id of the bundle that decided. */
  readonly bundleId?: string;
  /** Why there is no bundle id. */
  readonly bundleProblem?: string;
  /** `sha256:…` content id of each policy, by name. */
  readonly policyIds?: Readonly<Record<string, string>>;
}

/** Render a decision into `host` (replacing its content); clicking a determining policy calls `onPolicy(name)`. */
export function renderDecision(host: HTMLElement, r: DecisionView, onPolicy?: (name: string) => void): void {
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
    if (detail?.reason !== undefined) li.append(el("span", "why", ` — ${detail.reason}`));
    const id = detail?.id ?? r.policyIds?.[name];
    if (id !== undefined) {
      li.title = `policy id ${id}`;
      li.append(el("div", "policy-id", shortId(id)));
    }
    if (onPolicy !== undefined) li.addEventListener("click", () => onPolicy(name));
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

/** Obligations, shadow results, the bundle id and the per-policy ids of a decision. */
function renderGovernance(host: HTMLElement, r: DecisionView): void {
  const obligations = Object.entries(r.obligations ?? {});
  if (r.obligations !== undefined) {
    host.append(el("h3", undefined, obligations.length === 0 ? "No obligations" : `Obligations (${obligations.length})`));
    const ul = el("ul", "obligations");
    ul.id = "obligations";
    for (const [k, v] of obligations) {
      const li = el("li", "obligation");
      li.dataset.name = k;
      li.append(el("span", "name", k), el("code", "value", jsonText(v)));
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
