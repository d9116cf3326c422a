/**
 * The lineage store contract suite: every store implementation (memory, SQLite, PostgreSQL)
 * runs exactly these tests through {@link describeStoreContract}.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StoreError } from "../../runtime/lineage/store.js";
import type { LineageStore, NewEntry, StoredNode } from "../../runtime/lineage/store.js";

const enc = new TextEncoder();

function hash(n: number): Uint8Array {
  return Uint8Array.from({ length: 32 }, (_, i) => (n * 31 + i) & 0xff);
}

function entry(index: number, parents: string[] = []): NewEntry {
  return { index, id: `sha256:id-${index}`, data: enc.encode(`{"n":${index}}`), parents };
}

function leaves(entries: NewEntry[]): StoredNode[] {
  return entries.map((e) => ({ level: 0, index: e.index, hash: hash(e.index) }));
}

/** How the contract suite gets a fresh store of one implementation. */
export interface StoreHarness {
  open(): Promise<LineageStore>;
  /** Reopen the same storage after close (persistent stores only). */
  reopen?(): Promise<LineageStore>;
  cleanup(): void | Promise<void>;
}

/**
 * The one contract every {@link LineageStore} must pass: run it from each store's test file
 * with a factory of fresh, empty stores (`describeStoreContract("sqlite", () => harness)`).
 */
export function describeStoreContract(name: string, make: () => StoreHarness | Promise<StoreHarness>): void {
 describe(`lineage store contract: ${name}`, () => {
  let h: StoreHarness;
  let store: LineageStore;

  beforeEach(async () => {
    h = await make();
    store = await h.open();
  });
  afterEach(async () => {
    await store.close();
    await h.cleanup();
  });

  it("starts empty", async () => {
    expect(await store.size()).toBe(0);
    expect(await store.readRange(0, 10)).toEqual([]);
    expect(await store.get(0)).toBeUndefined();
    expect(await store.latestCheckpoint()).toBeUndefined();
    expect(await store.checkpoints()).toEqual([]);
  });

  it("appends a batch and reads it back by index, range and id", async () => {
    const batch = [entry(0), entry(1, ["sha256:id-0"]), entry(2, ["sha256:id-0", "sha256:id-1"])];
    await store.append({ entries: batch, nodes: leaves(batch), checkpoint: { size: 3, note: "note-3" } });
    expect(await store.size()).toBe(3);
    const got = await store.get(1);
    expect(got?.id).toBe("sha256:id-1");
    expect(Array.from(got!.data)).toEqual(Array.from(enc.encode('{"n":1}')));
    expect(got?.parents).toEqual(["sha256:id-0"]);
    expect(Array.from(got!.leafHash!)).toEqual(Array.from(hash(1)));
    const range = await store.readRange(1, 3);
    expect(range.map((e) => e.index)).toEqual([1, 2]);
    expect((await store.findById("sha256:id-2"))?.index).toBe(2);
    expect(await store.findById("sha256:nope")).toBeUndefined();
    expect(await store.findChildren("sha256:id-0")).toEqual([1, 2]);
    expect(await store.findChildren("sha256:id-2")).toEqual([]);
    expect(await store.latestCheckpoint()).toEqual({ size: 3, note: "note-3" });
  });

  it("finds children across batches, of ids not in the log (also once appended), and of a parent with many children", async () => {
    const first = [entry(0), entry(1, ["sha256:id-0"])];
    await store.append({ entries: first, nodes: leaves(first), checkpoint: { size: 2, note: "note-2" } });
    // 70 children of id-0 (more than one multi-row insert), one also of a dangling id and of id-1.
    const many = Array.from({ length: 70 }, (_, k) => entry(2 + k, k === 5 ? ["sha256:id-0", "sha256:later", "sha256:id-1"] : ["sha256:id-0"]));
    await store.append({ entries: many, nodes: leaves(many), checkpoint: { size: 72, note: "note-72" } });
    expect(await store.findChildren("sha256:id-0")).toEqual([1, ...many.map((e) => e.index)]);
    expect(await store.findChildren("sha256:id-1")).toEqual([7]);
    expect(await store.findChildren("sha256:later")).toEqual([7]);
    expect((await store.get(7))?.parents).toEqual(["sha256:id-0", "sha256:later", "sha256:id-1"]);
    // The dangling parent arrives later (by id); its child is still found, and so is a new one.
    const later = [{ ...entry(72), id: "sha256:later" }, entry(73, ["sha256:later"])];
    await store.append({ entries: later, nodes: leaves(later), checkpoint: { size: 74, note: "note-74" } });
    expect(await store.findChildren("sha256:later")).toEqual([7, 73]);
    expect(await store.findChildren("sha256:id-71")).toEqual([]);
  });

  it("stores and reads perfect subtree nodes", async () => {
    const batch = [entry(0), entry(1)];
    const nodes = [...leaves(batch), { level: 1, index: 0, hash: hash(99) }];
    await store.append({ entries: batch, nodes });
    const got = await store.readNodes([
      { level: 1, index: 0 },
      { level: 0, index: 1 },
      { level: 2, index: 0 },
    ]);
    expect(Array.from(got[0]!)).toEqual(Array.from(hash(99)));
    expect(Array.from(got[1]!)).toEqual(Array.from(hash(1)));
    expect(got[2]).toBeUndefined();
  });

  it("refuses a batch that does not start at the current size, and stores nothing of it", async () => {
    await store.append({ entries: [entry(0)], nodes: leaves([entry(0)]) });
    await expect(store.append({ entries: [entry(2)], nodes: [] })).rejects.toMatchObject({ kind: "conflict" });
    await expect(store.append({ entries: [entry(0)], nodes: [] })).rejects.toBeInstanceOf(StoreError);
    expect(await store.size()).toBe(1);
  });

  it("refuses a duplicate event id atomically", async () => {
    await store.append({ entries: [entry(0)], nodes: leaves([entry(0)]) });
    const dup = { ...entry(2), index: 2, id: "sha256:id-0" };
    await expect(store.append({ entries: [entry(1), dup], nodes: [] })).rejects.toMatchObject({ kind: "duplicate" });
    expect(await store.size()).toBe(1);
    expect(await store.get(1)).toBeUndefined();
  });

  it("refuses a checkpoint whose size is not the size after the batch", async () => {
    await expect(store.append({ entries: [entry(0)], nodes: [], checkpoint: { size: 5, note: "x" } })).rejects.toMatchObject({
      kind: "conflict",
    });
    expect(await store.size()).toBe(0);
    expect(await store.latestCheckpoint()).toBeUndefined();
  });

  it("refuses a node that is not a complete subtree yet", async () => {
    await expect(store.append({ entries: [entry(0)], nodes: [{ level: 1, index: 0, hash: hash(1) }] })).rejects.toMatchObject({
      kind: "conflict",
    });
    expect(await store.size()).toBe(0);
  });

  it("keeps checkpoints per size in order and refuses a second note for a size", async () => {
    await store.append({ entries: [entry(0)], nodes: [], checkpoint: { size: 1, note: "one" } });
    await store.append({ entries: [entry(1), entry(2)], nodes: [], checkpoint: { size: 3, note: "three" } });
    await expect(store.putCheckpoint({ size: 3, note: "other" })).rejects.toBeInstanceOf(StoreError);
    await store.putCheckpoint({ size: 2, note: "two" });
    expect(await store.checkpoints()).toEqual([
      { size: 1, note: "one" },
      { size: 2, note: "two" },
      { size: 3, note: "three" },
    ]);
    expect((await store.latestCheckpoint())?.note).toBe("three");
    // A page at a time: sizes above `after`, ascending, at most `limit`.
    expect(await store.checkpointsAfter(-1, 2)).toEqual([
      { size: 1, note: "one" },
      { size: 2, note: "two" },
    ]);
    expect(await store.checkpointsAfter(1, 5)).toEqual([
      { size: 2, note: "two" },
      { size: 3, note: "three" },
    ]);
    expect(await store.checkpointsAfter(3, 5)).toEqual([]);
    expect(await store.checkpointsAfter(0, 0)).toEqual([]);
  });

  it("stores objects by id, idempotently, and refuses different text under the same id", async () => {
    await store.putObject("sha256:b1", '{"a":1}');
    await store.putObject("sha256:b1", '{"a":1}');
    expect(await store.getObject("sha256:b1")).toBe('{"a":1}');
    expect(await store.getObject("sha256:b2")).toBeUndefined();
    await expect(store.putObject("sha256:b1", '{"a":2}')).rejects.toMatchObject({ kind: "object-mismatch" });
    expect(await store.getObject("sha256:b1")).toBe('{"a":1}');
    const big = JSON.stringify(Array.from({ length: 5000 }, (_, i) => ({ n: i, s: "é✓" })));
    await store.putObject("sha256:big", big);
    expect(await store.getObject("sha256:big")).toBe(big);
  });

  it("stores settings", async () => {
    expect(await store.getMeta("origin")).toBeUndefined();
    await store.setMeta("origin", "o1");
    await store.setMeta("origin", "o2");
    expect(await store.getMeta("origin")).toBe("o2");
  });

  it("reads a large range in order", async () => {
    const all: NewEntry[] = [];
    for (let i = 0; i < 1000; i++) all.push(entry(i));
    await store.append({ entries: all.slice(0, 600), nodes: leaves(all.slice(0, 600)) });
    await store.append({ entries: all.slice(600), nodes: leaves(all.slice(600)) });
    const got = await store.readRange(0, 2000);
    expect(got.length).toBe(1000);
    expect(got.every((e, i) => e.index === i && e.id === `sha256:id-${i}`)).toBe(true);
  });

  it("rejects every call after close", async () => {
    await store.close();
    await expect(store.size()).rejects.toMatchObject({ kind: "closed" });
    await expect(store.append({ entries: [entry(0)], nodes: [] })).rejects.toMatchObject({ kind: "closed" });
    store = await h.open(); // so afterEach has something to close
  });

  it("keeps everything across a reopen (persistent stores)", async () => {
    if (h.reopen === undefined) return;
    await store.append({ entries: [entry(0), entry(1)], nodes: leaves([entry(0), entry(1)]), checkpoint: { size: 2, note: "n2" } });
    await store.putObject("sha256:b", "{}");
    await store.setMeta("k", "v");
    await store.close();
    store = await h.reopen();
    expect(await store.size()).toBe(2);
    expect((await store.get(1))?.id).toBe("sha256:id-1");
    expect(await store.latestCheckpoint()).toEqual({ size: 2, note: "n2" });
    expect(await store.getObject("sha256:b")).toBe("{}");
    expect(await store.getMeta("k")).toBe("v");
  });
});
}
