/**
 * The proof viewer: open or paste lineage proofs (`writ lineage prove`, `GET
 * /v1/lineage/proof/:id`) and authorization artifacts (the `artifact` of `POST /v1/authorize`, or
 * the whole answer), pin the key they must be signed by (a verifier key, a PEM public key, or a
 * `sha256:` key id), and see each check — key, checkpoint signature, event id, audit path,
 * record content id, artifact signature, expiry, artifact ↔ event — passed or failed, with the
 * decision record. Everything runs in this page: it works from a file with no server (the
 * offline build is one self-contained HTML file).
 */
import { artifactSteps, proofSteps, type EvidenceStep } from "../../runtime/browser.js";
import { el, renderDecision } from "../../playground/src/shared/index.js";
import { CRYPTO, pinOf } from "./evidence.js";
import { jsonDetails, renderSteps, viewOf } from "./record-view.js";

function isObject(x: unknown): x is Readonly<Record<string, unknown>> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** One document opened: where it came from and its JSON. */
interface Doc {
  readonly source: string;
  readonly json: unknown;
}

/** What a document is. */
type Kind = { readonly kind: "proof"; readonly proof: Readonly<Record<string, unknown>> } | { readonly kind: "artifact"; readonly envelope: Readonly<Record<string, unknown>>; readonly eventId?: string } | { readonly kind: "unknown" };

function kindOf(x: unknown): Kind {
  if (isObject(x) && typeof x["format"] === "string" && x["format"].startsWith("writ-lineage-proof")) return { kind: "proof", proof: x };
  const env = isObject(x) && isObject(x["artifact"]) && !("payloadType" in x) ? x["artifact"] : x;
  if (isObject(env) && typeof env["payloadType"] === "string") {
    let eventId: string | undefined;
    try {
      // NOTE: read only to pair the artifact with a proof of its event; nothing trusts it before the signature check.
      const claims: unknown = JSON.parse(atob(String(env["payload"])));
      if (isObject(claims) && typeof claims["eventId"] === "string") eventId = claims["eventId"];
    } catch {
      eventId = undefined;
    }
    return eventId === undefined ? { kind: "artifact", envelope: env } : { kind: "artifact", envelope: env, eventId };
  }
  return { kind: "unknown" };
}

/** Options of the viewer. */
export interface ProofViewerOptions {
  /** The key pinned at start (the console's pin), if any. */
  readonly pinned?: string;
  /** Called when the person changes the pin. */
  readonly onPin?: (text: string) => void;
}

/** Render the proof viewer into `host`. */
export function renderProofViewer(host: HTMLElement, o: ProofViewerOptions = {}): void {
  const form = el("form", "proof-form");
  form.setAttribute("aria-label", "evidence to check");
  const field = <T extends HTMLElement>(label: string, cls: string, control: T, id: string): T => {
    control.id = id;
    const l = el("label", cls);
    l.append(el("span", undefined, label), control);
    form.append(l);
    return control;
  };
  const key = field("Pinned key", "field wide", el("input"), "pin");
  key.value = o.pinned ?? "";
  key.placeholder = "the node's public key (verifier key, PEM or base64) or its key id sha256:…";
  key.autocomplete = "off";
  key.spellcheck = false;
  const files = field("Open files", "field", el("input"), "evidence-files");
  files.type = "file";
  files.accept = ".json,application/json";
  files.multiple = true;
  const paste = field("Paste evidence", "field wide", el("textarea"), "evidence-paste");
  paste.rows = 6;
  paste.spellcheck = false;
  paste.placeholder = "…or paste a proof (writ lineage prove), an artifact, or the answer of POST /v1/authorize — several JSON documents may follow each other";
  const time = field("Check expiry at (default: now)", "field", el("input"), "check-time");
  time.type = "datetime-local";
  time.step = "1";
  const check = el("button", "primary", "Check evidence");
  check.type = "submit";
  form.append(check);
  const out = el("section", "evidence-results");
  out.id = "evidence-results";
  out.setAttribute("aria-live", "polite");
  out.setAttribute("aria-label", "results of the checks");
  host.replaceChildren(el("h2", undefined, "Proof viewer"), el("p", "hint", "Nothing leaves this page: every check runs here, with the key you pin."), form, out);

  const run = async (): Promise<void> => {
    o.onPin?.(key.value);
    const docs: Doc[] = [];
    const problems: string[] = [];
    for (const f of [...(files.files ?? [])]) {
      try {
        docs.push(...split(f.name, await f.text()));
      } catch (e) {
        problems.push(`${f.name}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (paste.value.trim() !== "") {
      try {
        docs.push(...split("pasted", paste.value));
      } catch (e) {
        problems.push(`pasted text: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const now = time.value === "" ? Date.now() : Date.parse(time.value);
    showResults(out, docs, problems, key.value, now);
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void run();
  });
}

/** The JSON documents of a text: one document, an array of them, or several one after another. */
function split(source: string, text: string): Doc[] {
  const t = text.trim();
  try {
    const one: unknown = JSON.parse(t);
    return Array.isArray(one) ? one.map((json, i) => ({ source: `${source}[${i}]`, json })) : [{ source, json: one }];
  } catch (first) {
    const parts = t.split(/\n(?=\{)/);
    if (parts.length < 2) throw new Error(`not JSON: ${first instanceof Error ? first.message : String(first)}`);
    return parts.map((p, i) => ({ source: `${source} #${i + 1}`, json: JSON.parse(p) as unknown }));
  }
}

function verdict(ok: boolean, steps: readonly EvidenceStep[]): HTMLElement {
  const warned = steps.some((s) => s.status === "warn");
  const v = el("div", `verdict ${ok ? (warned ? "warn" : "ok") : "bad"}`, ok ? (warned ? "VERIFIED, WITH A WARNING" : "VERIFIED") : "FAILED");
  v.setAttribute("role", "status");
  return v;
}

function showResults(out: HTMLElement, docs: readonly Doc[], problems: readonly string[], pin: string, now: number): void {
  out.replaceChildren();
  for (const p of problems) out.append(el("p", "error-line", p));
  if (docs.length === 0 && problems.length === 0) out.append(el("p", "hint", "Open or paste a proof or an artifact first."));
  const kinds = docs.map((d) => ({ d, k: kindOf(d.json) }));
  const proofsById = new Map<string, Readonly<Record<string, unknown>>>();
  for (const { k } of kinds) if (k.kind === "proof" && typeof k.proof["id"] === "string") proofsById.set(k.proof["id"], k.proof);
  for (const { d, k } of kinds) {
    const card = el("article", "evidence");
    card.dataset.source = d.source;
    if (k.kind === "unknown") {
      card.dataset.kind = "unknown";
      card.append(el("h3", undefined, d.source), verdict(false, []), el("p", "error-line", "neither a lineage proof nor an authorization artifact"));
      out.append(card);
      continue;
    }
    if (k.kind === "proof") {
      const r = proofSteps(k.proof, pinOf(pin), CRYPTO);
      card.dataset.kind = "proof";
      card.dataset.ok = String(r.ok);
      card.append(el("h3", undefined, `Lineage proof — ${d.source}`), verdict(r.ok, r.steps));
      renderSteps(card, r.steps);
      const ev = r.event;
      const record = ev !== undefined && isObject(ev["decision"]) ? ev["decision"] : undefined;
      if (record !== undefined) appendRecord(card, record, r.ok);
      if (ev !== undefined) card.append(jsonDetails(r.ok ? "event" : "event (as the proof carries it — NOT verified)", ev));
    } else {
      const proof = k.eventId === undefined ? undefined : proofsById.get(k.eventId);
      const r = artifactSteps(k.envelope, pinOf(pin), CRYPTO, now, proof);
      card.dataset.kind = "artifact";
      card.dataset.ok = String(r.ok);
      card.append(el("h3", undefined, `Authorization artifact — ${d.source}${proof === undefined ? "" : " (with the proof of its event)"}`), verdict(r.ok, r.steps));
      renderSteps(card, r.steps);
      if (r.claims !== undefined) {
        const facts = el("dl", "lineage-facts");
        for (const [k2, v] of [["node", r.claims.node], ["execution", r.claims.execution], ["event", r.claims.eventId], ["expires", r.claims.expiresAt], ["obligations", r.claims.obligations.join(", ") || "none"], ["record id", r.recordId ?? "?"]] as const) facts.append(el("dt", undefined, k2), el("dd", undefined, v));
        card.append(facts);
        appendRecord(card, r.claims.decision as unknown as Readonly<Record<string, unknown>>, r.ok);
      }
    }
    out.append(card);
  }
  document.body.dataset.checked = String(docs.length);
}

function appendRecord(card: HTMLElement, record: Readonly<Record<string, unknown>>, verified: boolean): void {
  card.append(el("h4", undefined, verified ? "Decision record" : "Decision record (NOT verified)"));
  const box = el("div", "decision-view");
  renderDecision(box, viewOf(record));
  card.append(box);
}
