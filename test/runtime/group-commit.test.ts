/**
 * Group commit: concurrent appends share batches (one store write and one checkpoint per
 * batch), each caller's events stay together and in order, each append resolves only after
 * its batch is durable, and one caller's failure (a duplicate, a refused write) does not
 * take the others with it. Governed executions from many callers share batches the same way.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { Governor, loadBundle, loadEntities } from "../../runtime/index.js";
import type { LineageLog } from "../../runtime/lineage/log.js";
import { MemoryLineageStore } from "../../runtime/lineage/memory-store.js";
import { StoreError, type AppendBatch } from "../../runtime/lineage/store.js";
import { bundleFrom } from "../support/bundles.js";
import { openTestLog } from "../support/logs.js";

const KEY = new Uint8Array(32).fill(3);

/** A memory store that counts writes, can fail them, and can hold them until released. */
class CountingStore extends MemoryLineageStore {
  writes: number[] = [];
  failNext = 0;
  gate: Promise<void> | undefined;
  override async append(batch: AppendBatch): Promise<void> {
    if (this.gate !== undefined) await this.gate;
    if (this.failNext > 0) {
      this.failNext--;
      throw new StoreError("io", "disk full");
    }
    await super.append(batch);
    this.writes.push(batch.entries.length);
  }
}

async function open(store: CountingStore, maxBatchEvents?: number): Promise<LineageLog> {
  const r = await openTestLog({ store, privateKey: KEY, ...(maxBatchEvents === undefined ? {} : { groupCommit: { maxBatchEvents } }) });
  if (!r.ok) throw new Error(r.problem.message);
  return r.log;
}

describe("group commit", () => {
  it("200 concurrent appends share a few batches; every caller gets its own contiguous entries; the log verifies", async () => {
    const store = new CountingStore();
    const log = await open(store);
    const results = await Promise.all(Array.from({ length: 200 }, (_, c) => log.append([{ c, k: 0 }, { c, k: 1 }, { c, k: 2 }])));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(store.writes.length).toBeLessThan(20);
    expect(store.writes.reduce((a, b) => a + b, 0)).toBe(600);
    const indices = results.flatMap((r) => (r.ok ? r.entries.map((e) => e.index) : []));
    expect(new Set(indices).size).toBe(600);
    for (const r of results) if (r.ok) expect(r.entries.map((e) => e.index)).toEqual([r.entries[0]!.index, r.entries[0]!.index + 1, r.entries[0]!.index + 2]);
    for (const [c, r] of results.entries()) {
      if (!r.ok) continue;
      const e = await log.get(r.entries[1]!.index);
      expect(e?.event).toEqual({ c, k: 1 });
    }
    expect((await store.checkpoints()).length).toBe(store.writes.length);
    expect((await log.verify()).ok).toBe(true);
  });

  it("resolves an append only once its batch is durable", async () => {
    const store = new CountingStore();
    const log = await open(store);
    let release!: () => void;
    store.gate = new Promise<void>((r) => (release = r));
    let done = false;
    const p = log.append([{ x: 1 }]).then((r) => {
      done = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    expect(await store.size()).toBe(0);
    store.gate = undefined;
    release();
    expect((await p).ok).toBe(true);
    expect(await store.size()).toBe(1);
  });

  it("a failed write fails its whole batch and moves nothing; the next batch succeeds", async () => {
    const store = new CountingStore();
    const log = await open(store);
    store.failNext = 1;
    const failed = await Promise.all([log.append([{ a: 1 }]), log.append([{ a: 2 }])]);
    expect(failed.map((r) => r.ok)).toEqual([false, false]);
    for (const r of failed) if (!r.ok) expect(r.problem.code).toBe("W6205");
    expect(log.size).toBe(0);
    const ok = await log.append([{ a: 3 }]);
    expect(ok.ok && ok.entries[0]!.index).toBe(0);
    expect((await log.verify()).ok).toBe(true);
  });

  it("a caller appending an event that is already in the log fails alone", async () => {
    const store = new CountingStore();
    const log = await open(store);
    expect((await log.append([{ once: true }])).ok).toBe(true);
    const rs = await Promise.all([log.append([{ b: 1 }]), log.append([{ once: true }]), log.append([{ b: 2 }])]);
    expect(rs.map((r) => r.ok)).toEqual([true, false, true]);
    if (!rs[1]!.ok) expect(rs[1]!.problem).toMatchObject({ code: "W6209", values: { kind: "duplicate" } });
    expect(log.size).toBe(3);
    expect((await log.verify()).ok).toBe(true);
  });

  it("refuses, recording nothing, an append that repeats one of its own events (short appends and long ones)", async () => {
    const store = new CountingStore();
    const log = await open(store);
    for (const n of [2, 5, 16, 17, 40]) {
      for (const at of [1, n - 1]) {
        const events = Array.from({ length: n }, (_, i) => ({ n, i }));
        events[at] = { n, i: at - 1 };
        const r = await log.append(events);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.problem).toMatchObject({ code: "W6209", values: { kind: "duplicate" } });
      }
      expect((await log.append(Array.from({ length: n }, (_, i) => ({ n, i })))).ok).toBe(true);
    }
    expect(log.size).toBe(2 + 5 + 16 + 17 + 40);
    expect((await log.verify()).ok).toBe(true);
  });

  it("keeps batches within maxBatchEvents (a single larger append stays whole)", async () => {
    const store = new CountingStore();
    const log = await open(store, 10);
    await Promise.all([...Array.from({ length: 30 }, (_, i) => log.append([{ i }])), log.append(Array.from({ length: 25 }, (_, j) => ({ big: j })))]);
    expect(store.writes.every((n) => n <= 10 || n === 25)).toBe(true);
    expect(store.writes.reduce((a, b) => a + b, 0)).toBe(55);
  });

  it("close waits for pending appends", async () => {
    const store = new CountingStore();
    const log = await open(store);
    const p = log.append([{ late: 1 }]);
    await log.close();
    expect((await p).ok).toBe(true);
  });
});

describe("governed executions share batches", () => {
  it("64 concurrent executions are all recorded, with fewer store writes than appends", async () => {
    const dir = resolve(process.cwd(), "examples/governed-agent");
    const txt = (f: string): string => readFileSync(resolve(dir, f), "utf8");
    const bundle = loadBundle(JSON.parse(JSON.stringify(bundleFrom(txt("policies.cedar"), txt("schema.cedarschema"))))).bundle!;
    const entities = loadEntities(bundle, JSON.parse(txt("entities.json"))).store!;
    const store = new CountingStore();
    const log = await open(store);
    const gov = new Governor({ log, bundle, entities, node: "n1" });
    const approve = { principal: { type: "Ops::Human", id: "alice" }, action: { type: "Ops::Action", id: "approve" }, resource: { type: "Ops::Plan", id: "release-42" }, context: {} };
    const rs = await Promise.all(Array.from({ length: 64 }, (_, i) => gov.execute(approve, async () => i, { actor: `human:${i}` })));
    expect(rs.every((r) => r.ok)).toBe(true);
    expect(log.size).toBe(64 * 5);
    const appends = 64 * 3; // requested+authorized, verified, executed+audited
    expect(store.writes.length).toBeLessThan(appends / 4);
    expect((await log.verify()).ok).toBe(true);
  });
});
