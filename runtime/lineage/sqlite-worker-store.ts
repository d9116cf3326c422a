/**
 * The SQLite lineage store on a worker thread: the same store, file and durability as
 * {@link openSqliteStore}, with the heavy calls answered by a worker thread that owns a
 * connection of its own (`sqlite-worker.ts`), so a batch's SQLite work and its commit's fsync
 * run off the event loop. A busy server (`writ serve`) keeps deciding, signing and answering
 * while the previous batch is made durable; what the log acknowledges is unchanged (an append
 * resolves only once its transaction has committed).
 *
 * Light calls — reads, and a batch of at most {@link LOCAL_BATCH_EVENTS} events — made while
 * the worker has nothing outstanding run on this thread's connection: a lone caller's small
 * batch costs less written here than handed to a sleeping thread. Either way calls take effect
 * in the order they were made (the worker runs its calls one at a time, and this thread's run
 * only when the worker has none), so a read made after an append resolves sees it. If the
 * worker stops, every pending and later call rejects with a {@link StoreError} of kind `io`:
 * the log refuses to acknowledge, and enforcement fails closed.
 *
 * NOTE: Node only (worker thread, native module); never import from browser code.
 */
import { Worker } from "node:worker_threads";
import { failure, type Failure, type Problem } from "../../compiler/compile-ir.js";
import type { Hash } from "./merkle.js";
import { openSqliteStore, type SqliteLineageStore, type SqliteStoreOptions } from "./sqlite-store.js";
import { StoreError, type AppendBatch, type LineageStore, type NewEntry, type NodeCoord, type StoredCheckpoint, type StoredEntry, type StoredNode } from "./store.js";
import type { LeafRow, LeafScanSource } from "./verify.js";
import { workerScript } from "../worker-script.js";

/** Why calls are refused once the store is closed. */
function closedError(): StoreError {
  return new StoreError("closed", "the lineage store is closed");
}

/** The store methods the worker answers. */
export const WORKER_OPS = [
  "size",
  "append",
  "readRange",
  "scanLeaves",
  "get",
  "findById",
  "findChildren",
  "readNodes",
  "putCheckpoint",
  "checkpoints",
  "checkpointsAfter",
  "latestCheckpoint",
  "putObject",
  "getObject",
  "getMeta",
  "setMeta",
  "close",
] as const;

/** One store call posted to the worker. */
export interface WorkerCall {
  readonly id: number;
  readonly op: (typeof WORKER_OPS)[number];
  readonly args: readonly unknown[];
}

/** The worker's answer to one {@link WorkerCall}. */
export type WorkerReply =
  | { readonly id: number; readonly value: unknown }
  | { readonly id: number; readonly error: { readonly kind: StoreError["kind"]; readonly message: string } };

/**
 * A batch as posted to the worker: every entry's data and every node's hash in one buffer
 * (transferred, not copied), the rest as flat arrays. A structured clone of the batch itself
 * copies each small byte array as its own object, which cost more than the commit's SQL.
 */
export interface PackedBatch {
  readonly indices: readonly number[];
  readonly ids: readonly string[];
  readonly parents: readonly (readonly string[])[];
  /** Entries' data, then nodes' hashes, back to back. */
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** End offset in `bytes` of each entry's data, then of each node's hash. */
  readonly ends: readonly number[];
  readonly levels: readonly number[];
  readonly nodeIndices: readonly number[];
  readonly checkpoint: AppendBatch["checkpoint"];
}

/** Pack a batch for the worker (see {@link PackedBatch}). */
export function packBatch(batch: AppendBatch): PackedBatch {
  const n = batch.entries.length;
  let total = 0;
  for (const e of batch.entries) total += e.data.length;
  for (const node of batch.nodes) total += node.hash.length;
  const bytes = new Uint8Array(total);
  const ends = new Array<number>(n + batch.nodes.length);
  const indices = new Array<number>(n);
  const ids = new Array<string>(n);
  const parents = new Array<readonly string[]>(n);
  let at = 0;
  for (let k = 0; k < n; k++) {
    const e = batch.entries[k]!;
    bytes.set(e.data, at);
    at += e.data.length;
    ends[k] = at;
    indices[k] = e.index;
    ids[k] = e.id;
    parents[k] = e.parents;
  }
  const levels = new Array<number>(batch.nodes.length);
  const nodeIndices = new Array<number>(batch.nodes.length);
  for (let k = 0; k < batch.nodes.length; k++) {
    const node = batch.nodes[k]!;
    bytes.set(node.hash, at);
    at += node.hash.length;
    ends[n + k] = at;
    levels[k] = node.level;
    nodeIndices[k] = node.index;
  }
  return { indices, ids, parents, bytes, ends, levels, nodeIndices, checkpoint: batch.checkpoint };
}

/** The batch a {@link PackedBatch} holds (byte arrays are views of its one buffer). */
export function unpackBatch(p: PackedBatch): AppendBatch {
  const n = p.indices.length;
  const view = (from: number, to: number): Uint8Array => Buffer.from(p.bytes.buffer, p.bytes.byteOffset + from, to - from);
  const entries = new Array<NewEntry>(n);
  let at = 0;
  for (let k = 0; k < n; k++) {
    entries[k] = { index: p.indices[k]!, id: p.ids[k]!, data: view(at, p.ends[k]!), parents: p.parents[k]! };
    at = p.ends[k]!;
  }
  const nodes = new Array<StoredNode>(p.levels.length);
  for (let k = 0; k < p.levels.length; k++) {
    nodes[k] = { level: p.levels[k]!, index: p.nodeIndices[k]!, hash: view(at, p.ends[n + k]!) };
    at = p.ends[n + k]!;
  }
  return { entries, nodes, ...(p.checkpoint === undefined ? {} : { checkpoint: p.checkpoint }) };
}

/**
 * Batches of at most this many events are written on the calling thread when the worker has
 * nothing outstanding: handing a small batch to a sleeping thread and waking this one with
 * the answer costs more than the write (a caller alone gets its answer sooner), while a
 * larger batch or one behind a busy worker goes to the worker and leaves the event loop free.
 */
export const LOCAL_BATCH_EVENTS = 16;

/** The worker's first message. */
type Ready = { readonly ready: true } | { readonly ready: false; readonly problem: Problem };

/** Result of {@link openSqliteWorkerStore}. */
export type OpenWorkerStoreResult = { readonly ok: true; readonly store: SqliteWorkerStore } | Failure;

/**
 * Open (creating if needed) the SQLite lineage store on a worker thread; the options are
 * those of {@link openSqliteStore}, and so are the failures. Never throws.
 */
export async function openSqliteWorkerStore(options: SqliteStoreOptions): Promise<OpenWorkerStoreResult> {
  const script = workerScript("runtime/lineage/sqlite-worker.js");
  if (script === undefined) return failure("W6205", { detail: "cannot find the lineage store's worker script (sqlite-worker.js): rebuild (npm run build)" });
  const local = openSqliteStore(options);
  if (!local.ok) return local;
  const refuse = async (f: Failure): Promise<Failure> => {
    await local.store.close();
    return f;
  };
  let worker: Worker;
  try {
    worker = new Worker(script, { workerData: { path: local.store.path, mustExist: true } satisfies SqliteStoreOptions });
  } catch (e) {
    return refuse(failure("W6205", { detail: `cannot start the lineage store's worker: ${e instanceof Error ? e.message : String(e)}` }));
  }
  const ready = await new Promise<Ready | Error>((resolve) => {
    const onExit = (code: number): void => resolve(new Error(`the worker exited (${code}) before opening the store`));
    worker.once("error", resolve);
    worker.once("exit", onExit);
    worker.once("message", (m: Ready) => {
      worker.off("error", resolve);
      worker.off("exit", onExit);
      resolve(m);
    });
  });
  if (ready instanceof Error) return refuse(failure("W6205", { detail: `cannot open the lineage store: ${ready.message}` }));
  if (!ready.ready) {
    await worker.terminate();
    return refuse({ ok: false, problem: ready.problem });
  }
  return { ok: true, store: new SqliteWorkerStore(worker, local.store) };
}

interface Waiting {
  readonly resolve: (value: unknown) => void;
  readonly reject: (e: StoreError) => void;
}

/** A {@link LineageStore} whose SQLite connection lives on a worker thread. Create with {@link openSqliteWorkerStore}. */
export class SqliteWorkerStore implements LineageStore, LeafScanSource {
  readonly kind = "sqlite";
  /** Commits run on the worker: the log keeps a second batch in flight. */
  readonly asyncCommit = true;
  /** The database file. */
  readonly path: string;
  private readonly worker: Worker;
  /** The connection of this thread, for light calls while the worker has none. */
  private readonly local: SqliteLineageStore;
  private readonly waiting = new Map<number, Waiting>();
  private next = 1;
  /** Why calls are refused (closed, or the worker stopped), once they are. */
  private stopped: StoreError | undefined;
  /** Set by `close` before it asks the worker to end: the worker's exit is then the close, not a failure. */
  private closing = false;
  private readonly exited: Promise<void>;

  /** @internal use {@link openSqliteWorkerStore}. */
  constructor(worker: Worker, local: SqliteLineageStore) {
    this.worker = worker;
    this.local = local;
    this.path = local.path;
    // An idle store keeps no process alive (as the synchronous store does not); a pending call does.
    worker.unref();
    worker.on("message", (m: WorkerReply) => this.answer(m));
    worker.on("error", (e: Error) => this.stop(new StoreError("io", `the lineage store's worker failed: ${e.message}`)));
    this.exited = new Promise((resolve) => {
      worker.once("exit", (code) => {
        // NOTE: a store already stopped (closed, or the worker failed) keeps its first reason. The exit
        // can be seen before the answer to `close` is: during a close it is the close.
        this.stop(this.closing ? closedError() : new StoreError("io", `the lineage store's worker stopped (exit code ${code})`));
        resolve();
      });
    });
  }

  /** Why every call is refused (the worker stopped, or the store is closed), once it is. */
  get unavailable(): string | undefined {
    return this.stopped?.message;
  }

  private answer(m: WorkerReply): void {
    const w = this.waiting.get(m.id);
    if (w === undefined) return;
    this.waiting.delete(m.id);
    if (this.waiting.size === 0) this.worker.unref();
    if ("error" in m) w.reject(new StoreError(m.error.kind, m.error.message));
    else w.resolve(m.value);
  }

  /** Refuse every pending and later call with `why`. */
  private stop(why: StoreError): void {
    this.stopped ??= why;
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) w.reject(why);
  }

  /**
   * Run a store call: on this thread's connection when no worker call is outstanding and the
   * call is light (a read, or a batch of at most {@link LOCAL_BATCH_EVENTS} events), else on the
   * worker, after the calls made before it. Either way calls take effect in the order made.
   */
  private call<T>(op: WorkerCall["op"], args: readonly unknown[], light = true): Promise<T> {
    if (this.stopped !== undefined) return Promise.reject(this.stopped);
    if (light && this.waiting.size === 0) return (this.local as unknown as Record<string, (...a: readonly unknown[]) => Promise<T>>)[op]!(...args);
    let transfer: ArrayBuffer[] | undefined;
    if (op === "append") {
      const packed = packBatch(args[0] as AppendBatch);
      args = [packed];
      transfer = [packed.bytes.buffer];
    }
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      if (this.waiting.size === 0) this.worker.ref();
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      try {
        this.worker.postMessage({ id, op, args } satisfies WorkerCall, transfer);
      } catch (e) {
        this.waiting.delete(id);
        if (this.waiting.size === 0) this.worker.unref();
        reject(new StoreError("io", `cannot reach the lineage store's worker: ${e instanceof Error ? e.message : String(e)}`));
      }
    });
  }

  /** @inheritdoc */
  size(): Promise<number> {
    return this.call("size", []);
  }

  /** @inheritdoc */
  append(batch: AppendBatch): Promise<void> {
    return this.call("append", [batch], batch.entries.length <= LOCAL_BATCH_EVENTS);
  }

  /** @inheritdoc */
  readRange(start: number, end: number): Promise<StoredEntry[]> {
    return this.call("readRange", [start, end]);
  }

  /** @inheritdoc */
  scanLeaves(start: number, end: number): Promise<LeafRow[]> {
    return this.call("scanLeaves", [start, end]);
  }

  /** @inheritdoc */
  get(index: number): Promise<StoredEntry | undefined> {
    return this.call("get", [index]);
  }

  /** @inheritdoc */
  findById(id: string): Promise<StoredEntry | undefined> {
    return this.call("findById", [id]);
  }

  /** @inheritdoc */
  findChildren(parentId: string): Promise<number[]> {
    return this.call("findChildren", [parentId]);
  }

  /** @inheritdoc */
  readNodes(coords: readonly NodeCoord[]): Promise<(Hash | undefined)[]> {
    return this.call("readNodes", [coords]);
  }

  /** @inheritdoc */
  putCheckpoint(checkpoint: StoredCheckpoint): Promise<void> {
    return this.call("putCheckpoint", [checkpoint]);
  }

  /** @inheritdoc */
  checkpoints(): Promise<StoredCheckpoint[]> {
    return this.call("checkpoints", []);
  }

  /** @inheritdoc */
  checkpointsAfter(after: number, limit: number): Promise<StoredCheckpoint[]> {
    return this.call("checkpointsAfter", [after, limit]);
  }

  /** @inheritdoc */
  latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    return this.call("latestCheckpoint", []);
  }

  /** @inheritdoc */
  putObject(id: string, text: string): Promise<void> {
    return this.call("putObject", [id, text]);
  }

  /** @inheritdoc */
  getObject(id: string): Promise<string | undefined> {
    return this.call("getObject", [id]);
  }

  /** @inheritdoc */
  getMeta(key: string): Promise<string | undefined> {
    return this.call("getMeta", [key]);
  }

  /** @inheritdoc */
  setMeta(key: string, value: string): Promise<void> {
    return this.call("setMeta", [key, value]);
  }

  /** @inheritdoc Waits for the calls made before it, then for the worker to end. */
  async close(): Promise<void> {
    if (this.stopped === undefined) {
      this.closing = true;
      try {
        await this.call("close", [], false);
      } catch {
        // the worker already failed (or ended first): nothing more to close
      }
      this.stop(closedError());
    }
    await this.exited;
    await this.local.close();
  }
}
