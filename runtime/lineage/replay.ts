/**
 * Deterministic replay: re-evaluate every recorded decision with the bundle
 * stored under its id and compare the re-evaluated decision record, byte for
 * byte (RFC 8785), with the recorded one.
 *
 * For each `authorized` / `denied` event carrying a decision record, the
 * request and entities are read from its execution's `requested` event (its
 * parent), the bundle from the log's bundle table (loaded with every id
 * re-hashed), and `decide` runs again. Decisions are pure, so any difference
 * means the record, the stored request or the bundle was changed — or the
 * evaluator's behaviour changed.
 *
 * NOTE: replay reads stored content as is; run `verify` to prove the log itself.
 */
import { canonicalJson } from "../../compiler/canonical.js";
import { loadBundleWith, type LoadedBundle } from "../bundle.js";
import type { Ed25519 } from "../crypto/ed25519.js";
import { decide, recordBytes, type DecisionRecord } from "../decision-record.js";
import { asLineageEvent, isDecisionPhase, type LineageEvent } from "./events.js";
import type { LineageLog } from "./log.js";

/** The replay outcome of one decision event. */
export interface ReplayItem {
  readonly index: number;
  readonly id: string;
  readonly execution: string;
  /** `same`: byte-identical; `different`: the records differ; `unavailable`: bundle or request missing/invalid. */
  readonly status: "same" | "different" | "unavailable";
  /** What differs, or why replay was not possible. */
  readonly detail?: string;
}

/** The replay report of a log. */
export interface ReplayReport {
  readonly items: readonly ReplayItem[];
  readonly same: number;
  readonly different: number;
  readonly unavailable: number;
}

const TEXT = new TextDecoder();

/** Top-level fields whose canonical forms differ between two records. */
function differingFields(a: DecisionRecord, b: DecisionRecord): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const ra = a as unknown as Record<string, unknown>;
  const rb = b as unknown as Record<string, unknown>;
  return keys.filter((k) => canonicalJson(ra[k] ?? null) !== canonicalJson(rb[k] ?? null));
}

/**
 * Replay every decision recorded in `log`. `ed25519` is used by bundle loading
 * (no signature is required: the bundle is trusted by its recomputed id).
 * Rejects only when the store cannot be read.
 */
export async function replayLog(log: LineageLog, ed25519: Ed25519, options: { readonly chunk?: number } = {}): Promise<ReplayReport> {
  const chunk = options.chunk ?? 1024;
  const bundles = new Map<string, LoadedBundle | string>();
  const bundleFor = async (id: string): Promise<LoadedBundle | string> => {
    const cached = bundles.get(id);
    if (cached !== undefined) return cached;
    const text = await log.store.getBundle(id);
    let out: LoadedBundle | string;
    if (text === undefined) out = `bundle ${id} is not stored in the log`;
    else {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      const r = json === undefined ? undefined : loadBundleWith(ed25519, json);
      if (r?.bundle === undefined) out = `stored bundle ${id} does not load: ${r?.diagnostics.map((d) => d.message).join("; ") ?? "not JSON"}`;
      else if (r.bundle.bundleId !== id) out = `stored bundle ${id} hashes to ${r.bundle.bundleId}`;
      else out = r.bundle;
    }
    bundles.set(id, out);
    return out;
  };

  const items: ReplayItem[] = [];
  const size = await log.store.size();
  for (let start = 0; start < size; start += chunk) {
    for (const row of await log.store.readRange(start, Math.min(size, start + chunk))) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(TEXT.decode(row.data));
      } catch {
        continue;
      }
      const ev = asLineageEvent(parsed);
      if (typeof ev === "string" || !isDecisionPhase(ev.phase) || ev.decision === undefined) continue;
      const base = { index: row.index, id: row.id, execution: ev.execution };
      const unavailable = (detail: string): ReplayItem => ({ ...base, status: "unavailable", detail });
      const requested = await requestedOf(log, ev);
      if (typeof requested === "string") {
        items.push(unavailable(requested));
        continue;
      }
      const bundle = await bundleFor(ev.decision.bundleId);
      if (typeof bundle === "string") {
        items.push(unavailable(bundle));
        continue;
      }
      const again = decide(bundle, requested.request, requested.entities ?? []);
      const before = canonicalJson(ev.decision);
      const after = TEXT.decode(recordBytes(again));
      if (before === after) items.push({ ...base, status: "same" });
      else items.push({ ...base, status: "different", detail: `differs in ${differingFields(ev.decision, again).join(", ")}` });
    }
  }
  const count = (s: ReplayItem["status"]): number => items.filter((i) => i.status === s).length;
  return { items, same: count("same"), different: count("different"), unavailable: count("unavailable") };
}

/** The `requested` event a decision event names as its parent, or why there is none. */
async function requestedOf(log: LineageLog, decided: LineageEvent): Promise<LineageEvent | string> {
  for (const p of decided.parents) {
    const e = await log.get(p);
    if (e === undefined) continue;
    const ev = asLineageEvent(e.event);
    if (typeof ev !== "string" && ev.phase === "requested" && ev.execution === decided.execution) {
      return ev.request === undefined ? "the requested event carries no request" : ev;
    }
  }
  return "the execution's requested event is not in the log";
}
