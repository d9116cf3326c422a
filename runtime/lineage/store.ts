/**
 * The one storage contract of the lineage log. Every store (in-memory for
 * tests, SQLite as the embedded default, PostgreSQL later) implements
 * {@link LineageStore} and passes the same shared test suite.
 *
 * What a store keeps:
 * - **entries**: the leaf data (canonical JSON bytes of an event) by index,
 *   with the fields it indexes: the event id and the parent event ids;
 * - **nodes**: the perfect-subtree hashes of the RFC 6962 tree, level 0 being
 *   the leaf hashes (kept apart from the entries, so a reordered or rewritten
 *   entry no longer matches the leaf hash recorded for its position). With
 *   them an inclusion proof at any size is O(log n) reads;
 * - **checkpoints**: the signed note text issued at each tree size;
 * - **objects**: content-addressed JSON text by id — the bundles and entity snapshots that
 *   events name by id, stored once each however many events name them, so a recorded
 *   decision can be re-evaluated later (the store never interprets them; replay and
 *   verification re-hash them);
 * - **meta**: a few string settings (the log's origin and public key).
 *
 * A store never hashes and never decides what is valid: the log computes every
 * hash and signature; verification re-hashes stored content and trusts only
 * checkpoints that verify. Stored hashes serve proofs and help name the first
 * bad entry, nothing more.
 *
 * Durability: {@link LineageStore.append} resolves only once the whole batch
 * (entries, nodes and checkpoint) is durable and atomic: after a crash either
 * all of it is there or none.
 *
 * Several writers: a batch that does not start at the store's size is refused as a
 * `conflict` (another writer appended first); the log then catches up with the stored tree
 * and writes its batch again. A store shared by several processes should also offer
 * {@link SequencedAppend}, which orders writers under one lock instead of letting them race.
 *
 * NOTE: browser-safe (types only).
 */
import type { Hash } from "./merkle.js";

/** One entry as given to {@link LineageStore.append}. */
export interface NewEntry {
  /** Position in the log; a batch holds consecutive indices starting at the store's size. */
  readonly index: number;
  /** Event id: `sha256:<hex>` of the RFC 6962 leaf hash of `data`. Unique in the log. */
  readonly id: string;
  /** The leaf data: the event's canonical JSON bytes. */
  readonly data: Uint8Array;
  /** Ids of the parent events this event names (may be empty). */
  readonly parents: readonly string[];
}

/** One stored entry, as read back. */
export interface StoredEntry extends NewEntry {
  /** The leaf hash stored for this index (level-0 node), if any. Untrusted: verification re-hashes `data`. */
  readonly leafHash: Hash | undefined;
}

/** A perfect-subtree hash: the root of leaves [index·2^level, (index+1)·2^level). */
export interface StoredNode {
  readonly level: number;
  readonly index: number;
  readonly hash: Hash;
}

/** Coordinates of a perfect subtree. */
export interface NodeCoord {
  readonly level: number;
  readonly index: number;
}

/** A signed checkpoint note issued when the log had `size` entries. */
export interface StoredCheckpoint {
  readonly size: number;
  /** The complete signed note text. */
  readonly note: string;
}

/** One atomic, durable write: entries with their newly completed nodes and, optionally, a checkpoint. */
export interface AppendBatch {
  /** Consecutive entries starting at the current size (may be empty when only a checkpoint is written). */
  readonly entries: readonly NewEntry[];
  /** Every perfect-subtree hash completed by these entries (level 0 included). */
  readonly nodes: readonly StoredNode[];
  /** A checkpoint for the size after this batch. */
  readonly checkpoint?: StoredCheckpoint;
}

/** Why a store refused a write. */
export type StoreErrorKind =
  /** The batch does not start at the current size (another writer appended, or a caller bug). */
  | "conflict"
  /** An event id that is already in the log. */
  | "duplicate"
  /** An object id already stored with different text. */
  | "object-mismatch"
  /** The store is closed. */
  | "closed"
  /** The underlying storage failed (disk full, I/O error, corrupt file…). */
  | "io";

/** The error a store rejects with; nothing of the failed write is stored. */
export class StoreError extends Error {
  /** Machine-readable reason. */
  readonly kind: StoreErrorKind;

  constructor(kind: StoreErrorKind, message: string) {
    super(message);
    this.name = "StoreError";
    this.kind = kind;
  }
}

/**
 * The storage contract of the lineage log. All methods are asynchronous so
 * that a networked store fits the same contract; reads never modify anything.
 * Methods reject with {@link StoreError} (kind `io` for failures of the
 * underlying storage).
 */
export interface LineageStore {
  /** A short name of the implementation (`memory`, `sqlite`, …). */
  readonly kind: string;
  /**
   * True when the store commits off the calling thread (the SQLite store on a worker thread):
   * the log then keeps a second batch in flight while the first is made durable. Such a store
   * applies appends in the order they are called, and refuses one that does not start at its
   * size (`conflict`), so a batch placed on one that failed is never stored.
   */
  readonly asyncCommit?: boolean;
  /**
   * Why the store refuses every call from now on, if it does (a store whose worker thread
   * stopped, or one that is closed); a log over it is then not writable (`/readyz` says so).
   */
  readonly unavailable?: string | undefined;
  /** Number of entries (the next index to append). */
  size(): Promise<number>;
  /**
   * Append a batch atomically and durably: resolves only once every entry,
   * node and the checkpoint are durable; on rejection nothing was written.
   */
  append(batch: AppendBatch): Promise<void>;
  /** Entries with start ≤ index < end in index order (missing indices are simply absent). */
  readRange(start: number, end: number): Promise<StoredEntry[]>;
  /** The entry at `index`, if stored. */
  get(index: number): Promise<StoredEntry | undefined>;
  /** The entry with event id `id`, if stored. */
  findById(id: string): Promise<StoredEntry | undefined>;
  /** Indices of the entries naming `parentId` as a parent, ascending. */
  findChildren(parentId: string): Promise<number[]>;
  /** The stored perfect-subtree hashes at `coords` (undefined where none is stored), in the same order. */
  readNodes(coords: readonly NodeCoord[]): Promise<(Hash | undefined)[]>;
  /** Store a checkpoint on its own (atomic, durable). Replaces nothing: a second note for a size is refused. */
  putCheckpoint(checkpoint: StoredCheckpoint): Promise<void>;
  /** Every stored checkpoint, by ascending size. */
  checkpoints(): Promise<StoredCheckpoint[]>;
  /**
   * Up to `limit` stored checkpoints of sizes above `after`, by ascending size: the list of
   * {@link checkpoints} a page at a time (verification reads it so, never all notes at once).
   */
  checkpointsAfter(after: number, limit: number): Promise<StoredCheckpoint[]>;
  /** The checkpoint with the largest size, if any. */
  latestCheckpoint(): Promise<StoredCheckpoint | undefined>;
  /**
   * Store a content-addressed object (a bundle's or an entity snapshot's canonical JSON text)
   * under its id; storing the same text again is a no-op, other text under a stored id is
   * refused (kind `object-mismatch`). Durable when it resolves.
   */
  putObject(id: string, text: string): Promise<void>;
  /** A stored object's text, if any. */
  getObject(id: string): Promise<string | undefined>;
  /** A stored setting. */
  getMeta(key: string): Promise<string | undefined>;
  /** Store a setting (durably). */
  setMeta(key: string, value: string): Promise<void>;
  /** Release the store; further calls reject with kind `closed`. */
  close(): Promise<void>;
}

/**
 * An optional capability of a store that several writers share (several processes on one
 * PostgreSQL database): append under the store's sequencing lock, as transparency logs
 * sequence. `appendSequenced(build)` takes the lock, reads the store's size and calls
 * `build(size)`; every batch another writer appended before is committed and readable by
 * then, and none can be appended until this one commits or fails. `build` returns the batch
 * to write at `size` (it may read the store meanwhile, over another connection); the batch
 * is written as by {@link LineageStore.append} and the call resolves once it is durable. If
 * `build` throws, nothing is written and the call rejects with that error.
 *
 * INVARIANT: `build` runs at most once per call, and only while the lock is held.
 */
export interface SequencedAppend {
  appendSequenced(build: (size: number) => Promise<AppendBatch>): Promise<void>;
}

/** Does this store offer {@link SequencedAppend}? */
export function hasSequencedAppend(store: LineageStore): store is LineageStore & SequencedAppend {
  return typeof (store as Partial<SequencedAppend>).appendSequenced === "function";
}

/**
 * Check the shape of a batch against the current size: consecutive indices
 * from `size`, distinct ids, checkpoint size equal to the size after the batch.
 * Returns the problem, or undefined. Shared by store implementations.
 */
export function batchProblem(batch: AppendBatch, size: number): StoreError | undefined {
  const seen = new Set<string>();
  for (let i = 0; i < batch.entries.length; i++) {
    const e = batch.entries[i]!;
    if (e.index !== size + i) return new StoreError("conflict", `entry index ${e.index} does not follow the log size ${size + i}`);
    if (seen.has(e.id)) return new StoreError("duplicate", `event ${e.id} appears twice in one batch`);
    seen.add(e.id);
  }
  const after = size + batch.entries.length;
  if (batch.checkpoint !== undefined && batch.checkpoint.size !== after) {
    return new StoreError("conflict", `checkpoint size ${batch.checkpoint.size} is not the log size ${after}`);
  }
  for (const n of batch.nodes) {
    const end = (n.index + 1) * 2 ** n.level;
    if (!Number.isSafeInteger(n.level) || n.level < 0 || !Number.isSafeInteger(n.index) || n.index < 0 || end > after) {
      return new StoreError("conflict", `node (${n.level}, ${n.index}) is not a complete subtree of a log of size ${after}`);
    }
  }
  return undefined;
}
