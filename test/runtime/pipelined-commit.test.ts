/**
 * Group commit over a store that commits off the calling thread (`asyncCommit`, the SQLite
 * store on a worker): up to two batches in flight (the second once 32 events wait), a burst cut in two, callers resolved in
 * log order and only once their own batch is durable; when a batch fails, the batch placed on
 * it is written again and only the failed batch's callers fail; a duplicate fails its caller
 * alone. Against a memory store whose writes finish on a later turn and can be made to fail.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AppendResult, LineageLog } from "../../runtime/lineage/log.js";
import { MemoryLineageStore } from "../../runtime/lineage/memory-store.js";
import { StoreError, type AppendBatch } from "../../runtime/lineage/store.js";
import { openTestLog } from "../support/logs.js";

const KEY = new Uint8Array(32).fill(5);

/** A memory store that commits on a later turn (as a worker thread answers), and fails the writes numbered in `failing`. */
class LaterStore extends MemoryLineageStore {
  readonly asyncCommit = true;
  writes = 0;
  inFlight = 0;
  maxInFlight = 0;
  readonly failing = new Set<number>();
  readonly batches: number[] = [];
  /** Writes wait for this before they run. */
  hold: Promise<void> = Promise.resolve();

  override append(batch: AppendBatch): Promise<void> {
    const n = this.writes++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    // Applied in call order, like the worker: the check against the size happens when it runs.
    const run = new Promise<void>((ok, fail) =>
      void this.hold.then(() => setTimeout(() => {
        this.inFlight--;
        if (this.failing.has(n)) return fail(new StoreError("io", `write ${n} failed`));
        super.append(batch).then(() => {
          this.batches.push(batch.entries.length);
          ok();
        }, fail);
      }, 1)),
    );
    return run;
  }
}

async function open(store: LaterStore): Promise<LineageLog> {
  const r = await openTestLog({ store, privateKey: KEY });
  if (!r.ok) throw new Error(r.problem.message);
  return r.log;
}

/** Every acknowledged caller's events are stored at its indices, in its order; the log verifies; nothing else is stored. */
async function checkAcknowledged(log: LineageLog, store: LaterStore, events: readonly (readonly object[])[], results: readonly AppendResult[]): Promise<void> {
  let acknowledged = 0;
  for (const [c, r] of results.entries()) {
    if (!r.ok) continue;
    acknowledged += r.entries.length;
    expect(r.entries.map((e) => e.index)).toEqual(r.entries.map((_, k) => r.entries[0]!.index + k));
    for (const [k, e] of r.entries.entries()) expect((await log.get(e.index))?.event).toEqual(events[c]![k]);
  }
  expect(await store.size()).toBe(acknowledged);
  expect(log.size).toBe(acknowledged);
  expect((await log.verify()).ok).toBe(true);
}

describe("group commit with two batches in flight", () => {
  it("keeps a burst under 64 events whole", async () => {
    const store = new LaterStore();
    const log = await open(store);
    const results = await Promise.all(Array.from({ length: 31 }, (_, c) => log.append([{ c }, { c, k: 1 }])));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(store.batches).toEqual([62]);
  });

  it("cuts a burst in two, keeps two batches in flight, and resolves every caller in log order", async () => {
    const store = new LaterStore();
    const log = await open(store);
    const order: number[] = [];
    const events = Array.from({ length: 64 }, (_, c) => [{ c, phase: "requested" }, { c, phase: "decided" }]);
    const results = await Promise.all(events.map((e, c) => log.append(e).then((r) => (order.push(c), r))));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(store.batches[0]).toBe(64); // 32 callers of two events
    expect(store.maxInFlight).toBe(2);
    // Callers resolve in the order of their indices.
    const firstIndex = order.map((c) => (results[c]!.ok ? results[c]!.entries[0]!.index : -1));
    expect(firstIndex).toEqual([...firstIndex].sort((a, b) => a - b));
    await checkAcknowledged(log, store, events, results);
  });

  it("appends arriving while one batch is in flight wait for it, together, until 32 events wait; then they go at once", async () => {
    const store = new LaterStore();
    const log = await open(store);
    let release!: () => void;
    store.hold = new Promise((r) => (release = r));
    const first = log.append([{ n: 1 }]);
    await new Promise((r) => setImmediate(r));
    // 31 events: not worth a batch of their own while the first is in flight.
    const small = Array.from({ length: 31 }, (_, k) => log.append([{ n: 2, k }]));
    await new Promise((r) => setImmediate(r));
    expect(store.inFlight).toBe(1);
    // The 32nd sends them, in one batch, without waiting for the first.
    const last = log.append([{ n: 3 }]);
    await new Promise((r) => setImmediate(r));
    expect(store.inFlight).toBe(2);
    release();
    const results = await Promise.all([first, ...small, last]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(store.batches).toEqual([1, 32]);
    expect((await log.verify()).ok).toBe(true);
  });

  it("a lone append arriving while one batch is in flight goes out as soon as that batch is durable", async () => {
    const store = new LaterStore();
    const log = await open(store);
    let release!: () => void;
    store.hold = new Promise((r) => (release = r));
    const first = log.append([{ n: 1 }, { n: 1, k: 1 }]);
    await new Promise((r) => setImmediate(r));
    const second = log.append([{ n: 2 }]);
    await new Promise((r) => setImmediate(r));
    expect(store.inFlight).toBe(1);
    release();
    const a = await first;
    expect(a.ok).toBe(true);
    const b = await second;
    expect(b.ok && b.entries[0]!.index).toBe(2);
    expect(store.batches).toEqual([2, 1]);
  });

  it("a failed batch fails its own callers only: the batch placed on it is written again", async () => {
    const store = new LaterStore();
    const log = await open(store);
    store.failing.add(0);
    // 40 callers of two events: a burst cut into two batches of 20 callers.
    const events = Array.from({ length: 40 }, (_, c) => [{ c }, { c, second: true }]);
    const results = await Promise.all(events.map((e) => log.append(e)));
    expect(results.map((r) => r.ok)).toEqual(Array.from({ length: 40 }, (_, c) => c >= 20));
    for (const r of results.slice(0, 20)) if (!r.ok) expect(r.problem.code).toBe("W6205");
    await checkAcknowledged(log, store, events, results);
    const more = await log.append([{ after: true }]);
    expect(more.ok).toBe(true);
  });

  it("a caller appending an event already in the log fails alone", async () => {
    const store = new LaterStore();
    const log = await open(store);
    expect((await log.append([{ once: true }])).ok).toBe(true);
    const events = [[{ b: 1 }], [{ b: 2 }], [{ once: true }], [{ b: 3 }], [{ b: 4 }]];
    const results = await Promise.all(events.map((e) => log.append(e)));
    expect(results.map((r) => r.ok)).toEqual([true, true, false, true, true]);
    if (!results[2]!.ok) expect(results[2]!.problem).toMatchObject({ code: "W6209", values: { kind: "duplicate" } });
    expect(log.size).toBe(5);
    expect((await log.verify()).ok).toBe(true);
  });

  it("for any bursts and any failing writes, every acknowledged event is stored where it was acknowledged and the log verifies (seeded)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 4 }),
        fc.uniqueArray(fc.nat(12), { maxLength: 4 }),
        async (bursts, failing) => {
          const store = new LaterStore();
          for (const f of failing) store.failing.add(f);
          const log = await open(store);
          const events: object[][] = [];
          const pending: Promise<AppendResult>[] = [];
          for (const [b, burst] of bursts.entries()) {
            for (const size of burst) {
              const c = events.length;
              events.push(Array.from({ length: size }, (_, k) => ({ b, c, k })));
              pending.push(log.append(events[c]!));
            }
            await new Promise((r) => setTimeout(r, b % 2));
          }
          const results = await Promise.all(pending);
          await checkAcknowledged(log, store, events, results);
          await log.close();
        },
      ),
      { seed: 6211, numRuns: 60 },
    );
  });
});
