/**
 * The lineage log's batches in the making (`log.ts`): a caller's queued events, a batch placed
 * and signed, a batch in flight to a store that commits off the calling thread, and how a
 * refused batch is reported.
 *
 * NOTE: browser-safe.
 */
import { errorText, failure, type Failure } from "../../compiler/compile-ir.js";
import type { AppendResult } from "./log-types.js";
import type { Hash } from "./merkle.js";
import { StoreError, type AppendBatch } from "./store.js";
import type { EdgeNode } from "./stored-tree.js";

/** A batch placed after the current tree and signed, not yet written. */
export interface Prepared {
  readonly batch: AppendBatch & { readonly checkpoint: { readonly size: number; readonly note: string } };
  readonly edge: EdgeNode[];
}

/** A burst of at least this many events that finds no batch in flight is cut in two (see `pump`). */
export const SPLIT_EVENTS = 64;

/**
 * While one batch is in flight, a second goes out only once this many events wait; fewer wait
 * for the first to be durable and leave together with whatever arrives meanwhile (see `pump`).
 * NOTE: sent at once, a lone caller arriving during a commit made a batch of its own — a
 * checkpoint signature, a transaction and an fsync for one authorization (37 % of `writ
 * serve`'s batches at 64 connections).
 */
export const SECOND_FLIGHT_EVENTS = SPLIT_EVENTS / 2;

/** A batch sent to a store that commits off this thread (see `pump`). */
export interface Flight {
  readonly batch: Pending[];
  prepared: Prepared | undefined;
  /** Undefined while the store has not answered. */
  failed: boolean | undefined;
  /** Why the store refused it. */
  error?: unknown;
  done: Promise<void>;
}

/** Why a batch was not prepared: a failure for every caller in it, or a duplicate id to sort out caller by caller. */
export class Refusal extends Error {
  constructor(readonly why: Failure | "duplicate") {
    super("refused");
  }
}

/** How often a batch refused as a conflict (another writer appended first) is written again after catching up. */
export const MAX_CATCH_UPS = 16;

/** One caller's events waiting for a batch. */
export interface Pending {
  readonly entries: { readonly id: string; readonly data: Uint8Array; readonly leaf: Hash; readonly parents: string[] }[];
  readonly resolve: (r: AppendResult) => void;
}

/** Run `fn` on a later turn of the event loop (after the I/O callbacks queued now). */
export const later: (fn: () => void, ms: number) => void = (fn, ms) => {
  const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  if (ms <= 0 && immediate !== undefined) immediate(fn);
  else setTimeout(fn, Math.max(0, ms));
};

export function storeFailure(e: unknown): Failure {
  if (e instanceof StoreError && e.kind !== "io" && e.kind !== "closed") return failure("W6209", { kind: e.kind, detail: e.message });
  return failure("W6205", { detail: errorText(e) });
}

/** The parent ids of an event: its `parents` array of strings. */
export function defaultParents(event: Readonly<Record<string, unknown>>): readonly string[] {
  const p = event.parents;
  return Array.isArray(p) ? p.filter((x): x is string => typeof x === "string") : [];
}
