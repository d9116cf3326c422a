/**
 * Deterministic replay: re-evaluate every recorded decision with the bundle and entity
 * snapshot stored under their ids and compare the re-evaluated decision record, byte for
 * byte (RFC 8785), with the recorded one.
 *
 * The log is verified first (every entry re-hashed, every checkpoint checked, and the
 * trusted checkpoint when one is given); replay reads only the entries that verification
 * re-hashed, so what it reports comes from entries covered by a verified checkpoint. For
 * each `authorized` / `denied` event carrying a decision record, the request and the ids of
 * the entity snapshot and bundle come from its execution's `requested` event (its parent);
 * the bundle is re-loaded (every id re-hashed) and the snapshot re-read and re-hashed; then
 * `decide` runs again. Decisions are pure, so any difference means the record, the stored
 * request, snapshot or bundle was changed — or the evaluator's behaviour changed.
 *
 * NOTE: browser-safe.
 */
import { canonicalJson } from "../../compiler/canonical.js";
import type { LoadedBundle } from "../bundle.js";
import { decideWith, recordBytes, type DecisionRecord } from "../decision-record.js";
import type { EntityStore } from "../entity-store.js";
import { asLineageEvent, EVENT_KIND, isDecisionPhase, type LineageEvent } from "./events.js";
import type { LineageLog } from "./log.js";
import { storedBundle, storedEntities } from "./objects.js";
import type { VerifyReport } from "./verify.js";

/** The replay outcome of one decision event. */
export interface ReplayItem {
  readonly index: number;
  readonly id: string;
  readonly execution: string;
  /** `same`: byte-identical; `different`: the records differ; `unavailable`: bundle, snapshot or request missing/invalid. */
  readonly status: "same" | "different" | "unavailable";
  /** What differs, or why replay was not possible. */
  readonly detail?: string;
}

/** The replay report of a log. */
export interface ReplayReport {
  /** The verification that replay read the log through; when it failed, nothing was replayed. */
  readonly verified: VerifyReport;
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

/** Options of {@link replayLog}. */
export interface ReplayOptions {
  /** A trusted checkpoint the log must extend (see `VerifyOptions.trusted`). */
  readonly trusted?: string;
}

/**
 * Verify `log`, then replay every decision recorded in it. Rejects only when the store
 * cannot be read.
 */
export async function replayLog(log: LineageLog, options: ReplayOptions = {}): Promise<ReplayReport> {
  const requested = new Map<string, LineageEvent>();
  const decisions: { index: number; id: string; event: LineageEvent }[] = [];
  /** Entries that claim to be decision events but are not well-formed lineage events: never skipped silently. */
  const malformed: ReplayItem[] = [];
  const verified = await log.verify({
    ...(options.trusted === undefined ? {} : { trusted: options.trusted }),
    onEntry(index, id, text, json) {
      if (!text.includes('"phase":"requested"') && !text.includes('"decision":')) return;
      const parsed = json();
      if (parsed === undefined) return;
      const ev = asLineageEvent(parsed);
      if (typeof ev === "string") {
        const claimed = (typeof parsed === "object" && parsed !== null ? parsed : {}) as { kind?: unknown; execution?: unknown; decision?: unknown };
        if (claimed.kind === EVENT_KIND && claimed.decision !== undefined) {
          malformed.push({ index, id, execution: typeof claimed.execution === "string" ? claimed.execution : "", status: "unavailable", detail: `the decision event is not a well-formed lineage event: ${ev}` });
        }
        return;
      }
      if (ev.phase === "requested") requested.set(id, ev);
      else if (isDecisionPhase(ev.phase) && ev.decision !== undefined) decisions.push({ index, id, event: ev });
    },
  });
  if (!verified.ok) return { verified, items: [], same: 0, different: 0, unavailable: 0 };

  const crypto = log.crypto;
  const bundles = new Map<string, LoadedBundle | string>();
  const snapshots = new Map<string, EntityStore | string>();
  const items: ReplayItem[] = [];
  for (const { index, id, event: ev } of decisions) {
    const base = { index, id, execution: ev.execution };
    const unavailable = (detail: string): ReplayItem => ({ ...base, status: "unavailable", detail });
    const req = ev.parents.map((p) => requested.get(p)).find((r) => r !== undefined && r.execution === ev.execution);
    if (req === undefined || req.request === undefined) {
      items.push(unavailable(req === undefined ? "the execution's requested event is not in the log" : "the requested event carries no request"));
      continue;
    }
    const bundleId = ev.decision!.bundleId;
    let bundle = bundles.get(bundleId);
    if (bundle === undefined) bundles.set(bundleId, (bundle = await storedBundle(log.store, bundleId, crypto)));
    if (typeof bundle === "string") {
      items.push(unavailable(bundle));
      continue;
    }
    let entities: EntityStore | unknown = req.entities ?? [];
    if (req.entitiesId !== undefined) {
      const key = `${req.entitiesId} ${bundleId}`;
      let s = snapshots.get(key);
      if (s === undefined) snapshots.set(key, (s = await storedEntities(log.store, req.entitiesId, bundle, crypto)));
      if (typeof s === "string") {
        items.push(unavailable(s));
        continue;
      }
      entities = s;
    }
    const again = decideWith(crypto, bundle, req.request, entities);
    const before = canonicalJson(ev.decision);
    const after = TEXT.decode(recordBytes(again));
    if (before === after) items.push({ ...base, status: "same" });
    else items.push({ ...base, status: "different", detail: `differs in ${differingFields(ev.decision!, again).join(", ")}` });
  }
  if (malformed.length > 0) {
    items.push(...malformed);
    items.sort((a, b) => a.index - b.index);
  }
  const count = (s: ReplayItem["status"]): number => items.filter((i) => i.status === s).length;
  return { verified, items, same: count("same"), different: count("different"), unavailable: count("unavailable") };
}
