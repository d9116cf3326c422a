/**
 * The worker-thread half of {@link openSqliteWorkerStore}: opens the SQLite lineage store
 * named by `workerData` (the {@link SqliteStoreOptions}) on this thread and answers the
 * store calls the main thread posts, in the order they arrive.
 *
 * Protocol (structured-cloned messages):
 * - once, to the main thread: `{ ready: true }` or `{ ready: false, problem }`;
 * - main → worker: `{ id, op, args }` with `op` a store method;
 * - worker → main: `{ id, value }` or `{ id, error: { kind, message } }` (a {@link StoreError}).
 *
 * Every store method does its SQLite work synchronously inside the call, so calls run one at
 * a time in arrival order: a read posted after an append sees it. After `close` the worker
 * closes its message port and ends.
 *
 * NOTE: Node only (worker thread, native module); never import from browser code.
 */
import { parentPort, workerData } from "node:worker_threads";
import { openSqliteStore, type SqliteLineageStore, type SqliteStoreOptions } from "./sqlite-store.js";
import { StoreError, type StoredEntry } from "./store.js";
import { unpackBatch, WORKER_OPS, type PackedBatch, type WorkerCall, type WorkerReply } from "./sqlite-worker-store.js";

/** The store methods the main thread may call. */
const OPS: ReadonlySet<string> = new Set<string>(WORKER_OPS);

/** A stored entry as plain data (the SQLite row object reads its parents lazily, which a structured clone would drop). */
function plainEntry(e: StoredEntry | undefined): StoredEntry | undefined {
  return e === undefined ? undefined : { index: e.index, id: e.id, data: e.data, parents: [...e.parents], leafHash: e.leafHash };
}

function plainValue(op: WorkerCall["op"], value: unknown): unknown {
  if (op === "get" || op === "findById") return plainEntry(value as StoredEntry | undefined);
  if (op === "readRange") return (value as StoredEntry[]).map(plainEntry);
  return value;
}

function errorOf(e: unknown): { kind: StoreError["kind"]; message: string } {
  if (e instanceof StoreError) return { kind: e.kind, message: e.message };
  return { kind: "io", message: `lineage store failed: ${e instanceof Error ? e.message : String(e)}` };
}

function serve(store: SqliteLineageStore): void {
  const port = parentPort!;
  port.on("message", (call: WorkerCall) => {
    const method = OPS.has(call.op) ? (store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[call.op] : undefined;
    const args = call.op === "append" ? [unpackBatch(call.args[0] as PackedBatch)] : (call.args as unknown[]);
    const answer = method !== undefined ? method.apply(store, args) : Promise.reject(new StoreError("io", `unknown store call ${String(call.op)}`));
    answer.then(
      (value) => {
        port.postMessage({ id: call.id, value: plainValue(call.op, value) } satisfies WorkerReply);
        if (call.op === "close") port.close();
      },
      (e: unknown) => port.postMessage({ id: call.id, error: errorOf(e) } satisfies WorkerReply),
    );
  });
}

if (parentPort !== null) {
  const opened = openSqliteStore(workerData as SqliteStoreOptions);
  if (opened.ok) {
    serve(opened.store);
    parentPort.postMessage({ ready: true });
  } else {
    parentPort.postMessage({ ready: false, problem: opened.problem });
    parentPort.close();
  }
}
