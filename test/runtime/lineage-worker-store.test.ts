/**
 * The SQLite lineage store on a worker thread (`sqlite-worker-store.ts`): the store contract,
 * the packed batch it posts (a round trip of any batch), the same file and pragmas as the
 * store on the calling thread, calls answered in order, and a stopped worker failing every
 * call (a log on it then refuses to acknowledge).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { openSqliteStore } from "../../runtime/lineage/sqlite-store.js";
import { LOCAL_BATCH_EVENTS, openSqliteWorkerStore, packBatch, unpackBatch, type SqliteWorkerStore } from "../../runtime/lineage/sqlite-worker-store.js";
import { StoreError, type AppendBatch, type LineageStore } from "../../runtime/lineage/store.js";
import { openLocalLog } from "../../runtime/lineage/local-log.js";
import { describeStoreContract } from "../support/store-contract.js";

async function openWorker(dir: string): Promise<SqliteWorkerStore> {
  const r = await openSqliteWorkerStore({ dir });
  if (!r.ok) throw new Error(r.problem.message);
  return r.store;
}

describeStoreContract("sqlite on a worker thread", () => {
  const dir = mkdtempSync(join(tmpdir(), "writ-worker-store-"));
  const open = (): Promise<LineageStore> => openWorker(dir);
  return { open, reopen: open, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
});

const bytesArb = fc.uint8Array({ maxLength: 300 });
const batchArb: fc.Arbitrary<AppendBatch> = fc.record(
  {
    entries: fc.array(fc.record({ index: fc.nat(), id: fc.string(), data: bytesArb, parents: fc.array(fc.string(), { maxLength: 3 }) }), { maxLength: 20 }),
    nodes: fc.array(fc.record({ level: fc.nat(40), index: fc.nat(), hash: fc.uint8Array({ minLength: 32, maxLength: 32 }) }), { maxLength: 20 }),
    checkpoint: fc.record({ size: fc.nat(), note: fc.string() }),
  },
  { requiredKeys: ["entries", "nodes"] },
);

/** Run `fn` with a new temporary folder, removed afterwards. */
async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "writ-worker-store-"));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the SQLite store on a worker thread", () => {
  it("posts a batch packed into one buffer and reads back the same batch, for any batch (seeded)", () => {
    fc.assert(
      fc.property(batchArb, (batch) => {
        const back = unpackBatch(structuredClone(packBatch(batch)));
        expect(back.entries.map((e) => ({ ...e, data: Uint8Array.from(e.data) }))).toEqual(batch.entries);
        expect(back.nodes.map((n) => ({ ...n, hash: Uint8Array.from(n.hash) }))).toEqual(batch.nodes);
        expect(back.checkpoint).toEqual(batch.checkpoint);
      }),
      { seed: 8101, numRuns: 300 },
    );
  });

  it("writes the same database the store on the calling thread reads, in WAL mode with synchronous=FULL", () =>
    inTempDir(async (dir) => {
      const store = await openWorker(dir);
      expect(store.path).toBe(join(dir, ".writ", "lineage.db"));
      expect(store.asyncCommit).toBe(true);
      const data = new TextEncoder().encode('{"a":1}');
      await store.append({ entries: [{ index: 0, id: "sha256:x", data, parents: ["sha256:p"] }], nodes: [{ level: 0, index: 0, hash: new Uint8Array(32).fill(7) }], checkpoint: { size: 1, note: "note" } });
      await store.close();
      const direct = openSqliteStore({ dir, mustExist: true });
      if (!direct.ok) throw new Error(direct.problem.message);
      const e = await direct.store.get(0);
      expect(e?.id).toBe("sha256:x");
      expect(Array.from(e!.data)).toEqual(Array.from(data));
      expect(e?.parents).toEqual(["sha256:p"]);
      expect(Array.from(e!.leafHash!)).toEqual(Array.from(new Uint8Array(32).fill(7)));
      const db = (direct.store as unknown as { db: { pragma(s: string, o: object): unknown } }).db;
      expect(String(db.pragma("journal_mode", { simple: true })).toLowerCase()).toBe("wal");
      expect(db.pragma("synchronous", { simple: true })).toBe(2);
      await direct.store.close();
    }));

  it("answers calls in the order they were made: a read made right after an append sees it", () =>
    inTempDir(async (dir) => {
      const store = await openWorker(dir);
      const sizes: Promise<number>[] = [];
      const appends: Promise<void>[] = [];
      for (let i = 0; i < 20; i++) {
        appends.push(store.append({ entries: [{ index: i, id: `sha256:${i}`, data: new Uint8Array([i]), parents: [] }], nodes: [] }));
        sizes.push(store.size());
      }
      await Promise.all(appends);
      expect(await Promise.all(sizes)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      await store.close();
    }));

  it("writes a small batch on the calling thread while the worker has nothing outstanding, a larger one on the worker", () =>
    inTempDir(async (dir) => {
      const store = await openWorker(dir);
      const waiting = (): number => (store as unknown as { waiting: Map<number, unknown> }).waiting.size;
      const entry = (i: number) => ({ index: i, id: `sha256:${i}`, data: new Uint8Array([i]), parents: [] });
      const small = store.append({ entries: Array.from({ length: LOCAL_BATCH_EVENTS }, (_, i) => entry(i)), nodes: [] });
      expect(waiting()).toBe(0);
      await small;
      const big = store.append({ entries: Array.from({ length: LOCAL_BATCH_EVENTS + 1 }, (_, i) => entry(LOCAL_BATCH_EVENTS + i)), nodes: [] });
      expect(waiting()).toBe(1);
      // Behind the worker's call, even a small one and a read go to the worker, in order.
      const after = store.append({ entries: [entry(2 * LOCAL_BATCH_EVENTS + 1)], nodes: [] });
      const size = store.size();
      expect(waiting()).toBe(3);
      await Promise.all([big, after]);
      expect(await size).toBe(2 * LOCAL_BATCH_EVENTS + 2);
      await store.close();
    }));

  it("refuses every call once closed, and a store whose database cannot open fails to open with one line", () =>
    inTempDir(async (dir) => {
      const store = await openWorker(dir);
      await store.close();
      await expect(store.size()).rejects.toMatchObject({ kind: "closed" });
      await store.close();
      const missing = await openSqliteWorkerStore({ dir: join(dir, "nowhere"), mustExist: true });
      expect(missing.ok).toBe(false);
      if (!missing.ok) expect(missing.problem.message).toMatch(/cannot open lineage store .*lineage\.db/);
    }));

  it("a worker that stops fails the calls waiting on it and every later one, and the log on it acknowledges nothing", () =>
    inTempDir(async (dir) => {
      const opened = await openLocalLog({ dir, worker: true });
      if (!opened.ok) throw new Error(opened.problem.message);
      const log = opened.log;
      expect((await log.append([{ n: 1 }])).ok).toBe(true);
      expect(log.writable).toBe(true);
      const worker = (log.store as unknown as { worker: { terminate(): Promise<number> } }).worker;
      // More events than a batch written on the calling thread: this one goes to the worker.
      const pending = log.append(Array.from({ length: 40 }, (_, k) => ({ n: 2, k })));
      await new Promise((r) => setImmediate(r));
      await worker.terminate();
      const r = await pending;
      expect(r.ok).toBe(false);
      // A log over a store that refuses everything says it is not writable (what /readyz reports).
      expect(log.writable).toBe(false);
      const later = await log.append([{ n: 3 }]); // small, but the store refuses everything now
      expect(later.ok).toBe(false);
      if (!later.ok) expect(later.problem.message).toMatch(/worker stopped/);
      await expect(log.store.size()).rejects.toBeInstanceOf(StoreError);
      await log.close();
      // What was acknowledged is in the file, and the file verifies.
      const again = await openLocalLog({ dir, readOnly: true });
      if (!again.ok) throw new Error(again.problem.message);
      expect(again.log.size).toBe(1);
      expect((await again.log.verify()).ok).toBe(true);
      await again.log.close();
    }));
});
