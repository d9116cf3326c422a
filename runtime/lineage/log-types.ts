/**
 * The types of the lineage log's API (`log.ts`): its options, what appends, proofs and
 * reads return.
 *
 * NOTE: browser-safe (types only).
 */
import type { Failure } from "../../compiler/compile-ir.js";
import type { RuntimeCrypto } from "../crypto/platform.js";
import type { LineageProof } from "./proof.js";
import type { NoteSigner } from "./signed-note.js";
import type { LineageStore } from "./store.js";
import type { LineageLog } from "./log.js";
import type { CheckpointTrust } from "./trust.js";

/** The hashing and signature verification a log runs on (`runtimeCrypto` of an entry). */
export type LogCrypto = RuntimeCrypto;

/** Group commit bounds. */
export interface GroupCommitOptions {
  /** Most events in one batch (default 4096); one caller's events are never split. */
  readonly maxBatchEvents?: number;
  /** How long the first queued append waits for company before its batch is written (default 0: the next turn of the event loop). */
  readonly maxWaitMs?: number;
}

/** Options of {@link LineageLog.open}. */
export interface LineageLogOptions {
  /** The store; the log takes ownership (closes it). */
  readonly store: LineageStore;
  /** Signs checkpoints. Without it the log is read-only and `publicKey` is required. */
  readonly signer?: NoteSigner;
  /** The log key to verify against (a read-only log); must equal the signer's when both are given. */
  readonly publicKey?: Uint8Array;
  /**
   * Who may sign this log's checkpoints, when not the one log key: the origin comes from the
   * trust, every checkpoint is checked by it, and the store's recorded log key is neither
   * checked nor written (a mesh log: one origin, the keys of its enrolled nodes). Without it
   * the trust is the log key under `lineageOrigin(publicKey)`.
   */
  readonly trust?: CheckpointTrust;
  /** Hashing and Ed25519 (`runtimeCrypto` of the entry). */
  readonly crypto: LogCrypto;
  /** Parent ids of an event, for the store's index (default: its `parents` array of strings). */
  readonly parentsOf?: (event: Readonly<Record<string, unknown>>) => readonly string[];
  readonly groupCommit?: GroupCommitOptions;
}

/** A stored event as read back. */
export interface LineageEntry {
  readonly index: number;
  readonly id: string;
  readonly event: Record<string, unknown>;
  readonly parents: readonly string[];
}

/** Options of {@link LineageLog.append}. */
export interface AppendOptions {
  /**
   * Link the events into a chain: every event after the first gets `parents: [<id of the
   * event before it>]` (replacing its own), as governed executions record their phases.
   */
  readonly chain?: boolean;
  /**
   * Called with the events' ids as soon as they are known, before the events are durable: for
   * work that needs an id and can run while the batch is written (signing what names it),
   * whose result is dropped if the append fails.
   */
  readonly onIds?: (ids: readonly string[]) => void;
}

/** Outcome of {@link LineageLog.append}. */
export type AppendResult =
  | { readonly ok: true; readonly entries: readonly { readonly index: number; readonly id: string }[]; readonly size: number; readonly checkpoint: string }
  | Failure;

/** Outcome of {@link LineageLog.prove}. */
export type ProveResult = { readonly ok: true; readonly proof: LineageProof } | Failure;

/** A consistency proof between two sizes of a log (plain JSON). */
export interface ConsistencyProof {
  readonly format: "writ-consistency-proof/1";
  readonly origin: string;
  readonly from: number;
  readonly to: number;
  /** RFC 9162 consistency path, base64 of each 32-byte hash. */
  readonly path: readonly string[];
  /** The signed checkpoint note at size `to`. */
  readonly checkpoint: string;
}

/** Outcome of {@link LineageLog.consistency}. */
export type ConsistencyResult = { readonly ok: true; readonly proof: ConsistencyProof } | Failure;
