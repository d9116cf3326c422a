/**
 * A view of a lineage log built only from verified entries: the log is verified (every
 * entry re-hashed, the tree rebuilt, every checkpoint checked, and a trusted checkpoint
 * held when given) and the view holds exactly the entries that verification re-hashed,
 * indexed by id and by index, with children derived from the events' own `parents` fields
 * (never from a store's derived tables). What people are shown — `writ lineage show`,
 * export, the execution trees of the demo and the console — comes from here.
 *
 * NOTE: browser-safe. Holds every event in memory: for audits, not for hot paths.
 */
import { asLineageEvent, type LineageEvent } from "./events.js";
import type { LineageLog } from "./log.js";
import { parseOrUndefined, type VerifyOptions, type VerifyReport } from "./verify.js";

/** One verified entry. */
export interface VerifiedEntry {
  readonly index: number;
  readonly id: string;
  /** The event, or undefined when the entry is valid JSON but not a lineage event. */
  readonly event: LineageEvent | undefined;
  /** The entry's canonical JSON text. */
  readonly text: string;
}

/** The outcome of {@link readVerified}. */
export type VerifiedRead = { readonly ok: true; readonly view: VerifiedLogView; readonly report: VerifyReport } | { readonly ok: false; readonly report: VerifyReport };

/** Entries of a verified log by id and index, with children from the events' `parents`. */
export class VerifiedLogView {
  private readonly byId = new Map<string, VerifiedEntry>();
  private readonly kids = new Map<string, VerifiedEntry[]>();

  /** @internal build with {@link readVerified}. */
  constructor(private readonly list: readonly VerifiedEntry[]) {
    for (const e of list) {
      this.byId.set(e.id, e);
      for (const p of e.event?.parents ?? []) {
        const l = this.kids.get(p);
        if (l === undefined) this.kids.set(p, [e]);
        else l.push(e);
      }
    }
  }

  /** Number of verified entries. */
  get size(): number {
    return this.list.length;
  }

  /** The entry at an index (0 … size-1) or with an event id. */
  get(idOrIndex: string | number): VerifiedEntry | undefined {
    if (typeof idOrIndex === "number") return Number.isSafeInteger(idOrIndex) && idOrIndex >= 0 ? this.list[idOrIndex] : undefined;
    return this.byId.get(idOrIndex);
  }

  /** The entries naming `id` as a parent, in index order. */
  children(id: string): readonly VerifiedEntry[] {
    return this.kids.get(id) ?? [];
  }

  /** Every entry in index order. */
  entries(): readonly VerifiedEntry[] {
    return this.list;
  }
}

/** The lineage event an entry's text holds, or undefined (not JSON, or not an event). Never throws. */
export function eventOfText(text: string): LineageEvent | undefined {
  return eventOfJson(parseOrUndefined(text));
}

/** The lineage event a parsed entry holds (the `json()` a verification's `onEntry` gets), or undefined. Never throws. */
export function eventOfJson(json: unknown): LineageEvent | undefined {
  const ev = asLineageEvent(json);
  return typeof ev === "string" ? undefined : ev;
}

/** Verify `log` and, when it verifies, return the view of its entries. Never throws. */
export async function readVerified(log: LineageLog, options: Omit<VerifyOptions, "onEntry"> = {}): Promise<VerifiedRead> {
  const list: VerifiedEntry[] = [];
  const report = await log.verify({
    ...options,
    onEntry(index, id, text, json) {
      list.push({ index, id, event: eventOfJson(json()), text });
    },
  });
  if (!report.ok) return { ok: false, report };
  return { ok: true, view: new VerifiedLogView(list), report };
}
