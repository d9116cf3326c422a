/**
 * The SQLite store's writer thread: every write of a {@link SqliteLineageStore} (append
 * batches, checkpoints, objects, settings) runs on its own connection in a worker thread, so
 * the transaction, its commit and the WAL fsync never hold the event loop. Reads stay on the
 * store's connection in the calling thread (WAL readers never wait for the writer).
 *
 * Durability is the store's: the writer's connection runs with `synchronous=FULL`, and a write
 * resolves only after the worker reports its transaction committed. A write the worker could not
 * commit rejects (its transaction rolled back); a worker that stops rejects every write waiting
 * and every later one (fail closed).
 *
 * The worker runs {@link writerMain}'s own source text (an `eval` worker: nothing to locate on
 * disk, in the package and in the CLI bundle alike), so it and the helpers it is given are
 * self-contained.
 *
 * NOTE: Node only (worker_threads and the native module); never import from browser code.
 */
import { Worker } from "node:worker_threads";
import { batchIssue, StoreError, type AppendBatch, type StoredCheckpoint, type StoreErrorKind } from "./store.js";

/** One write the worker runs (with the request number it answers). */
export type WriteOp =
  | { readonly op: "append"; readonly batch: AppendBatch }
  | { readonly op: "putCheckpoint"; readonly checkpoint: StoredCheckpoint }
  | { readonly op: "putObject"; readonly id: string; readonly text: string }
  | { readonly op: "setMeta"; readonly key: string; readonly value: string }
  | { readonly op: "close" };

/** The worker's answer: done, or why not (a store refusal's kind, or SQLite's error code). */
type WriteReply = { readonly n: number; readonly ok: true } | { readonly n: number; readonly ok: false; readonly kind?: StoreErrorKind; readonly code?: string; readonly message: string };

/** What the worker is started with. */
interface WriterInit {
  readonly path: string;
  /** The file URL of better-sqlite3's entry (resolved by the caller, loaded by the worker). */
  readonly moduleUrl: string;
  /** Pragmas the writer's connection runs first (`synchronous = FULL` among them). */
  readonly pragmas: readonly string[];
  /** Rows per multi-row INSERT. */
  readonly insertRows: number;
  /** Hashes per tile row. */
  readonly tileWidth: number;
}

/** The helpers the worker is given as source (each self-contained). */
interface WriterHelpers {
  readonly batchIssue: typeof batchIssue;
  readonly tileKey: (level: number, tile: number) => number;
}

interface WriterStatement {
  run(...params: unknown[]): unknown;
  get(...params: unknown[]): Record<string, unknown> | undefined;
}
interface WriterDatabase {
  prepare(sql: string): WriterStatement;
  pragma(sql: string): unknown;
  transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
  close(): void;
}
interface WriterPort {
  on(event: "message", listener: (m: unknown) => void): void;
  postMessage(m: WriteReply): void;
}

/**
 * The worker's body. INVARIANT: self-contained (it runs from its source text): it uses only its
 * parameters and globals (the bootstrap text loads the modules: a test runner may rewrite `import()` in compiled code).
 */
async function writerMain(port: WriterPort, init: WriterInit, load: () => Promise<unknown>, helpers: WriterHelpers): Promise<void> {
  const replyError = (n: number, e: unknown): void => {
    const o = e as { kind?: StoreErrorKind; code?: unknown; message?: unknown };
    port.postMessage({ n, ok: false, ...(o.kind === undefined ? {} : { kind: o.kind }), ...(typeof o.code === "string" ? { code: o.code } : {}), message: String(o.message ?? e) });
  };
  let db: WriterDatabase | undefined;
  let opening: unknown;
  try {
    const Database = ((await load()) as { default: new (path: string, options: Record<string, unknown>) => WriterDatabase }).default;
    db = new Database(init.path, { fileMustExist: true });
    for (const p of init.pragmas) db.pragma(p);
  } catch (e) {
    opening = e;
  }
  if (db === undefined) {
    port.on("message", (m) => replyError((m as { n: number }).n, { message: `the lineage store's writer cannot open ${init.path}: ${String((opening as Error)?.message ?? opening)}` }));
    return;
  }
  const conn = db;
  const rows = init.insertRows;
  const many = (sql: string, n: number) => conn.prepare(`${sql} VALUES ${Array.from({ length: rows }, () => `(${Array.from({ length: n }, () => "?").join(", ")})`).join(", ")}`);
  const st = {
    size: conn.prepare("SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM entries"),
    insertEntry: conn.prepare("INSERT INTO entries (idx, id, data, parents) VALUES (?, ?, ?, ?)"),
    insertEntries: many("INSERT INTO entries (idx, id, data, parents)", 4),
    insertEdge: conn.prepare("INSERT OR IGNORE INTO edges (parent, child) VALUES (?, ?)"),
    insertEdges: many("INSERT OR IGNORE INTO edges (parent, child)", 2),
    insertEdgeById: conn.prepare("INSERT OR IGNORE INTO edges_by_id (parent, child) VALUES (?, ?)"),
    indexOf: conn.prepare("SELECT idx FROM entries WHERE id = ?"),
    getTile: conn.prepare("SELECT hashes FROM tiles WHERE key = ?"),
    putTile: conn.prepare("INSERT OR REPLACE INTO tiles (key, hashes) VALUES (?, ?)"),
    insertCheckpoint: conn.prepare("INSERT INTO checkpoints (size, note) VALUES (?, ?)"),
    getObject: conn.prepare("SELECT text FROM objects WHERE id = ?"),
    putObject: conn.prepare("INSERT OR IGNORE INTO objects (id, text) VALUES (?, ?)"),
    setMeta: conn.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"),
  };
  // Full groups of `rows` rows go through the multi-row statement (one call into SQLite instead of 64), the rest one by one.
  const insert = (one: WriterStatement, group: WriterStatement, width: number, values: readonly unknown[]): void => {
    const size = rows * width;
    const full = values.length - (values.length % size);
    for (let o = 0; o < full; o += size) group.run(...values.slice(o, o + size));
    for (let o = full; o < values.length; o += width) one.run(...values.slice(o, o + width));
  };
  // Merge the batch's nodes into their tiles: each touched tile is read once, patched and written back once.
  const writeNodes = (batch: AppendBatch): void => {
    const touched = new Map<number, { full: Uint8Array; used: number }>();
    for (const node of batch.nodes) {
      const key = helpers.tileKey(node.level, Math.floor(node.index / init.tileWidth));
      let t = touched.get(key);
      if (t === undefined) {
        const full = new Uint8Array(init.tileWidth * 32);
        const old = st.getTile.get(key)?.["hashes"];
        let used = 0;
        if (old instanceof Uint8Array) {
          const b = old.subarray(0, full.length);
          full.set(b);
          used = b.length;
        }
        t = { full, used };
        touched.set(key, t);
      }
      const off = (node.index % init.tileWidth) * 32;
      t.full.set(node.hash, off);
      t.used = Math.max(t.used, off + 32);
    }
    for (const [key, t] of touched) st.putTile.run(key, t.full.subarray(0, t.used));
  };
  const append = conn.transaction((batch: AppendBatch) => {
    const issue = helpers.batchIssue(batch, Number(st.size.get()!["n"]));
    if (issue !== undefined) throw issue;
    const entries = batch.entries;
    const values: unknown[] = new Array<unknown>(entries.length * 4);
    const batchIndex = new Map<string, number>();
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k]!;
      values[k * 4] = e.index;
      values[k * 4 + 1] = e.id;
      values[k * 4 + 2] = e.data;
      values[k * 4 + 3] = JSON.stringify(e.parents);
      batchIndex.set(e.id, e.index);
    }
    insert(st.insertEntry, st.insertEntries, 4, values);
    // A parent in this batch or already stored is linked by its index; any other parent id by the id itself.
    const links: unknown[] = [];
    for (const e of entries) {
      for (const p of e.parents) {
        const at = batchIndex.get(p) ?? (st.indexOf.get(p)?.["idx"] as number | undefined);
        if (at === undefined) st.insertEdgeById.run(p, e.index);
        else links.push(at, e.index);
      }
    }
    insert(st.insertEdge, st.insertEdges, 2, links);
    writeNodes(batch);
    if (batch.checkpoint !== undefined) st.insertCheckpoint.run(batch.checkpoint.size, batch.checkpoint.note);
  });
  const run = (m: WriteOp): void => {
    switch (m.op) {
      case "append":
        append(m.batch);
        return;
      case "putCheckpoint":
        st.insertCheckpoint.run(m.checkpoint.size, m.checkpoint.note);
        return;
      case "putObject": {
        st.putObject.run(m.id, m.text);
        const old = st.getObject.get(m.id)?.["text"];
        if (old !== m.text) throw { kind: "object-mismatch", message: `object ${m.id} is already stored with different text` };
        return;
      }
      case "setMeta":
        st.setMeta.run(m.key, m.value);
        return;
      case "close":
        conn.close();
        return;
    }
  };
  port.on("message", (msg) => {
    const m = msg as WriteOp & { readonly n: number };
    try {
      run(m);
      port.postMessage({ n: m.n, ok: true });
    } catch (e) {
      replyError(m.n, e);
    }
  });
}

/** The error a failed write rejects with: the store's refusal, or SQLite's error (its `code` kept). */
function replyFailure(r: Extract<WriteReply, { ok: false }>): Error {
  if (r.kind !== undefined) return new StoreError(r.kind, r.message);
  return Object.assign(new Error(r.message), r.code === undefined ? {} : { code: r.code });
}

/** The writer thread of one SQLite store (see the module comment). */
export class SqliteWriter {
  private readonly worker: Worker;
  private next = 1;
  private readonly waiting = new Map<number, { readonly ok: () => void; readonly fail: (e: Error) => void }>();
  /** Why the worker stopped, once it has. */
  private stopped: string | undefined;

  /**
   * Start the writer of the database at `path` (which must exist): `moduleUrl` is the file URL
   * of better-sqlite3, `pragmas` what its connection runs first.
   */
  constructor(init: WriterInit, tileKey: (level: number, tile: number) => number) {
    const source = `import("node:worker_threads").then((wt) => (${writerMain.toString()})(wt.parentPort, wt.workerData, () => import(wt.workerData.moduleUrl), { batchIssue: (${batchIssue.toString()}), tileKey: (${tileKey.toString()}) }));`;
    this.worker = new Worker(source, { eval: true, workerData: init });
    // NOTE: an idle writer does not keep the process alive; one with writes in flight does (see `request`).
    this.worker.unref();
    this.worker.on("message", (m: WriteReply) => {
      const w = this.waiting.get(m.n);
      if (w === undefined) return;
      this.settled(m.n);
      if (m.ok) w.ok();
      else w.fail(replyFailure(m));
    });
    this.worker.on("error", (e) => this.stop(`the lineage store's writer failed: ${e.message}`));
    this.worker.on("exit", (code) => this.stop(`the lineage store's writer stopped (exit code ${code})`));
  }

  private settled(n: number): void {
    this.waiting.delete(n);
    if (this.waiting.size === 0) this.worker.unref();
  }

  private stop(why: string): void {
    this.stopped ??= why;
    for (const [n, w] of [...this.waiting]) {
      this.settled(n);
      w.fail(new StoreError("io", this.stopped));
    }
  }

  /** Run one write in the worker; resolves once it is committed. */
  request(op: WriteOp): Promise<void> {
    if (this.stopped !== undefined) return Promise.reject(new StoreError("io", this.stopped));
    const n = this.next++;
    return new Promise<void>((ok, fail) => {
      this.waiting.set(n, { ok, fail });
      if (this.waiting.size === 1) this.worker.ref();
      this.worker.postMessage({ ...op, n });
    });
  }

  /** Close the writer's connection and stop the worker (writes already sent finish first). */
  async close(): Promise<void> {
    if (this.stopped === undefined) await this.request({ op: "close" }).catch(() => undefined);
    this.stopped ??= "the lineage store is closed";
    await this.worker.terminate();
  }
}
