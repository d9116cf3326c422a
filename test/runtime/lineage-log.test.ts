import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { nodeEd25519 } from "../../runtime/crypto/ed25519-node.js";
import { readPublicKey } from "../../runtime/keys.js";
import { parseCheckpoint } from "../../runtime/lineage/checkpoint.js";
import { LineageLog, verifyProof } from "../../runtime/lineage/log.js";
import { openLocalLog } from "../../runtime/lineage/local-log.js";
import { openTestLog, type TestLogOptions } from "../support/logs.js";
import type { LineageProof } from "../../runtime/lineage/log.js";
import { leafHash } from "../../runtime/lineage/merkle.js";
import { MemoryLineageStore } from "../../runtime/lineage/memory-store.js";
import { openSqliteStore } from "../../runtime/lineage/sqlite-store.js";
import type { LineageStore, NodeCoord } from "../../runtime/lineage/store.js";

interface RawDb {
  prepare(sql: string): { run(...a: unknown[]): unknown; get(...a: unknown[]): Record<string, unknown> | undefined };
  close(): void;
}
const Database = createRequire(import.meta.url)("better-sqlite3") as new (path: string) => RawDb;

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "writ-log-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function mustOpen(options: TestLogOptions): Promise<LineageLog> {
  const r = await openTestLog(options);
  if (!r.ok) throw new Error(r.problem.message);
  return r.log;
}

function ev(n: number, parents: string[] = []): Record<string, unknown> {
  return { phase: "executed", n, actor: `agent-${n % 3}`, parents, note: "é✓".repeat(n % 4) };
}

/** Append `total` events in batches of the given sizes (cycled). */
async function fill(log: LineageLog, total: number, batches: readonly number[]): Promise<string[]> {
  const ids: string[] = [];
  let k = 0;
  let b = 0;
  while (k < total) {
    const n = Math.min(total - k, batches[b++ % batches.length]!);
    const parent = ids[ids.length - 1];
    const events = Array.from({ length: n }, (_, i) => ev(k + i, parent === undefined ? [] : [parent]));
    const r = await log.append(events);
    if (!r.ok) throw new Error(r.problem.message);
    ids.push(...r.entries.map((e) => e.id));
    k += n;
  }
  return ids;
}

describe("LineageLog: append, get, prove, verifyProof", () => {
  it("creates its key under .writ/ (private half 0600) and reuses it on reopen", async () => {
    const dir = tempDir();
    const log = await mustOpen({ dir });
    const st = statSync(join(dir, ".writ", "lineage.key"));
    expect(st.mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, ".writ", "lineage.db")).isFile()).toBe(true);
    const pub = readPublicKey(join(dir, ".writ", "lineage.pub"));
    expect(pub.ok && Buffer.from(pub.value).equals(Buffer.from(log.publicKey))).toBe(true);
    const origin = log.origin;
    expect(origin).toMatch(/^writ-lineage\/[0-9a-f]{16}$/);
    await log.append([ev(1)]);
    await log.close();
    const again = await mustOpen({ dir });
    expect(again.origin).toBe(origin);
    expect(again.size).toBe(1);
    await again.close();
  });

  it("assigns indices, ids = RFC 6962 leaf hash of canonical bytes, and one checkpoint per batch", async () => {
    const store = new MemoryLineageStore();
    const log = await mustOpen({ store, privateKey: nodeEd25519.generateKeyPair().privateKey });
    const r = await log.append([{ b: 1, a: [true, null] }, { z: "x" }]);
    if (!r.ok) throw new Error(r.problem.message);
    expect(r.entries.map((e) => e.index)).toEqual([0, 1]);
    const expected = leafHash(new TextEncoder().encode('{"a":[true,null],"b":1}'));
    expect(r.entries[0]!.id).toBe(`sha256:${Buffer.from(expected).toString("hex")}`);
    const r2 = await log.append([{ third: 3 }]);
    expect(r2.ok && r2.entries[0]!.index).toBe(2);
    const cps = await store.checkpoints();
    expect(cps.map((c) => c.size)).toEqual([2, 3]);
    const parsed = parseCheckpoint(cps[1]!.note);
    expect(parsed.ok && parsed.value.checkpoint.origin).toBe(log.origin);
    expect(parsed.ok && Buffer.from(parsed.value.checkpoint.rootHash).equals(Buffer.from(log.root()))).toBe(true);
    const got = await log.get(r.entries[1]!.id);
    expect(got).toEqual({ index: 1, id: r.entries[1]!.id, event: { z: "x" }, parents: [] });
    expect((await log.get(0))?.event).toEqual({ a: [true, null], b: 1 });
    expect(await log.get(7)).toBeUndefined();
  });

  it("refuses bad batches without recording anything", async () => {
    const store = new MemoryLineageStore();
    const log = await mustOpen({ store, privateKey: nodeEd25519.generateKeyPair().privateKey });
    await log.append([ev(0)]);
    for (const bad of [[ev(1), 5], [ev(1), { x: 1n }], [ev(1), [1, 2]], [], [ev(0)], [ev(2), ev(2)], 5, "events", { length: 1, 0: ev(3) }, null] as unknown[][]) {
      const r = await log.append(bad);
      expect(r.ok).toBe(false);
    }
    expect(log.size).toBe(1);
    expect(await store.size()).toBe(1);
    expect((await store.checkpoints()).length).toBe(1);
    expect((await log.verify()).ok).toBe(true);
  });

  it("answers a reference that is neither an id nor an index as an unknown event, without touching the store", async () => {
    const log = await mustOpen({ dir: tempDir() });
    await log.append([ev(0)]);
    for (const ref of [{}, null, undefined, [0], true, 0n]) {
      expect(await log.get(ref as never)).toBeUndefined();
      const p = await log.prove(ref as never);
      expect(p.ok ? "" : p.problem.code).toBe("W6204");
    }
    expect((await log.get(0))?.event).toEqual(ev(0));
  });

  it("openLocalLog without a `dir` string is a W6217 failure, never an exception", async () => {
    for (const options of [undefined, null, {}, { dir: 5 }, { dir: "" }]) {
      const r = await openLocalLog(options as never);
      expect(r.ok ? "" : r.problem.code).toBe("W6217");
    }
    const file = join(tempDir(), "a-file");
    writeFileSync(file, "x");
    const r = await openLocalLog({ dir: file });
    expect(r.ok ? "" : r.problem.code).toBe("W6106");
  });

  it("indexes parent ids", async () => {
    const store = new MemoryLineageStore();
    const log = await mustOpen({ store, privateKey: nodeEd25519.generateKeyPair().privateKey });
    const a = await log.append([ev(0)]);
    if (!a.ok) throw new Error(a.problem.message);
    const root = a.entries[0]!.id;
    await log.append([ev(1, [root]), ev(2, [root])]);
    expect(await store.findChildren(root)).toEqual([1, 2]);
  });

  it("proves every event; proofs survive JSON and verify offline, pinned or not", async () => {
    const dir = tempDir();
    const log = await mustOpen({ dir });
    const ids = await fill(log, 37, [5, 1, 8]);
    for (let i = 0; i < 37; i++) {
      const p = await log.prove(i % 2 === 0 ? i : ids[i]!);
      if (!p.ok) throw new Error(p.problem.message);
      const json = JSON.parse(JSON.stringify(p.proof)) as LineageProof;
      expect(json.index).toBe(i);
      expect(verifyProof(json)).toMatchObject({ ok: true, index: i, size: 37, id: ids[i] });
      expect(verifyProof(json, log.publicKey).ok).toBe(true);
      expect(verifyProof(json, log.verifierKey).ok).toBe(true);
    }
    expect((await log.prove("sha256:00")).ok).toBe(false);
    await log.close();
  });

  it("handles verifier keys whose base64 contains '+' (only the first two '+' separate fields)", async () => {
    let found: LineageLog | undefined;
    for (let k = 0; k < 200 && found === undefined; k++) {
      const log = await mustOpen({ store: new MemoryLineageStore(), privateKey: nodeEd25519.generateKeyPair().privateKey });
      if (log.verifierKey.split("+").length > 3) found = log;
    }
    expect(found).toBeDefined();
    await found!.append([{ a: 1 }, { a: 2 }]);
    const p = await found!.prove(1);
    if (!p.ok) throw new Error(p.problem.message);
    expect(verifyProof(p.proof, found!.verifierKey).ok).toBe(true);
  });

  it("rejects altered proofs and proofs under another key", async () => {
    const log = await mustOpen({ store: new MemoryLineageStore(), privateKey: nodeEd25519.generateKeyPair().privateKey });
    await fill(log, 11, [4]);
    const p = await log.prove(6);
    if (!p.ok) throw new Error(p.problem.message);
    const proof = p.proof;
    const other = nodeEd25519.generateKeyPair().publicKey;
    expect(verifyProof(proof, other)).toMatchObject({ ok: false });
    const flipPath = [...proof.path];
    flipPath[0] = Buffer.from(Buffer.from(flipPath[0]!, "base64").map((b, i) => (i === 0 ? b ^ 1 : b))).toString("base64");
    const variants: unknown[] = [
      { ...proof, event: { ...(proof.event as object), n: 999 } },
      { ...proof, index: 5 },
      { ...proof, size: 10 },
      { ...proof, path: flipPath },
      { ...proof, path: proof.path.slice(1) },
      { ...proof, checkpoint: proof.checkpoint.replace("\n11\n", "\n12\n") },
      { ...proof, format: "other" },
      { ...proof, publicKey: "nope" },
      null,
      "proof",
    ];
    for (const v of variants) expect(verifyProof(v).ok).toBe(false);
    expect(verifyProof(proof).ok).toBe(true);
  });

  it("builds a proof from O(log n) stored nodes", async () => {
    const inner = new MemoryLineageStore();
    let reads = 0;
    const counting: LineageStore = Object.assign(Object.create(inner) as LineageStore, {
      readNodes: async (coords: readonly NodeCoord[]) => {
        reads += coords.length;
        return inner.readNodes(coords);
      },
    });
    const log = await mustOpen({ store: counting, privateKey: nodeEd25519.generateKeyPair().privateKey });
    await fill(log, 3000, [500]);
    for (const i of [0, 1234, 2999]) {
      reads = 0;
      const p = await log.prove(i);
      expect(p.ok).toBe(true);
      expect(reads).toBeGreaterThan(0);
      expect(reads).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(3000)) + 2);
    }
  });

  it("refuses a log opened with another key", async () => {
    const store = new MemoryLineageStore();
    const log = await mustOpen({ store, privateKey: nodeEd25519.generateKeyPair().privateKey });
    await log.append([ev(0)]);
    const r = await openTestLog({ store, privateKey: nodeEd25519.generateKeyPair().privateKey });
    expect(r.ok).toBe(false);
  });

  it("verify passes on a good log and reports progress", async () => {
    const log = await mustOpen({ store: new MemoryLineageStore(), privateKey: nodeEd25519.generateKeyPair().privateKey });
    await fill(log, 100, [7, 30, 1]);
    const seen: number[] = [];
    const report = await log.verify({ chunk: 16, onProgress: (done, total) => seen.push(done, total) });
    expect(report).toMatchObject({ ok: true, size: 100 });
    expect(report.checkpoints).toBeGreaterThan(3);
    expect(seen.slice(-2)).toEqual([100, 100]);
    const empty = await mustOpen({ store: new MemoryLineageStore(), privateKey: nodeEd25519.generateKeyPair().privateKey });
    expect(await empty.verify()).toMatchObject({ ok: true, size: 0 });
  });
});

/** One way to tamper with stored entries, and the first index verification must name. */
type Tamper =
  | { readonly kind: "flip"; readonly i: number; readonly pos: number; readonly mask: number }
  | { readonly kind: "delete"; readonly i: number }
  | { readonly kind: "swap"; readonly i: number; readonly j: number }
  | { readonly kind: "insert"; readonly i: number };

function expectedBad(t: Tamper): number {
  return t.kind === "swap" ? Math.min(t.i, t.j) : t.i;
}

const FOREIGN = new TextEncoder().encode('{"forged":true}');

function tamperMemory(store: MemoryLineageStore, t: Tamper): void {
  const rows = store.rows;
  switch (t.kind) {
    case "flip": {
      const d = rows[t.i]!.data;
      d[t.pos % d.length] ^= t.mask;
      return;
    }
    case "delete":
      rows.splice(t.i, 1);
      return;
    case "swap": {
      const a = rows[t.i]!;
      const b = rows[t.j]!;
      [a.data, b.data, a.id, b.id] = [b.data, a.data, b.id, a.id];
      return;
    }
    case "insert":
      rows.splice(t.i, 0, { index: t.i, id: "sha256:forged", data: FOREIGN, parents: [] });
      for (let k = t.i + 1; k < rows.length; k++) rows[k]!.index = k;
      return;
  }
}

function tamperSqlite(path: string, t: Tamper): void {
  const db = new Database(path);
  try {
    switch (t.kind) {
      case "flip": {
        const row = db.prepare("SELECT data FROM entries WHERE idx = ?").get(t.i)!;
        const d = Buffer.from(row.data as Uint8Array);
        d[t.pos % d.length] ^= t.mask;
        db.prepare("UPDATE entries SET data = ? WHERE idx = ?").run(d, t.i);
        return;
      }
      case "delete":
        db.prepare("DELETE FROM entries WHERE idx = ?").run(t.i);
        return;
      case "swap":
        db.prepare("UPDATE entries SET idx = -1 WHERE idx = ?").run(t.i);
        db.prepare("UPDATE entries SET idx = ? WHERE idx = ?").run(t.i, t.j);
        db.prepare("UPDATE entries SET idx = ? WHERE idx = -1").run(t.j);
        return;
      case "insert":
        db.prepare("UPDATE entries SET idx = -(idx + 1) WHERE idx >= ?").run(t.i);
        db.prepare("UPDATE entries SET idx = -idx WHERE idx < 0").run();
        db.prepare("INSERT INTO entries (idx, id, data, parents) VALUES (?, ?, ?, '[]')").run(t.i, "sha256:forged", Buffer.from(FOREIGN));
        return;
    }
  } finally {
    db.close();
  }
}

function tamperArb(size: number): fc.Arbitrary<Tamper> {
  const idx = fc.integer({ min: 0, max: size - 1 });
  return fc.oneof(
    fc.record({ kind: fc.constant("flip" as const), i: idx, pos: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant("delete" as const), i: idx }),
    fc
      .tuple(idx, idx)
      .filter(([i, j]) => i !== j)
      .map(([i, j]) => ({ kind: "swap" as const, i, j })),
    fc.record({ kind: fc.constant("insert" as const), i: idx }),
  );
}

describe.each(["memory", "sqlite"] as const)("tamper detection (%s store)", (kind) => {
  const SIZE = 24;

  async function build(): Promise<{ log: LineageLog; tamper: (t: Tamper) => void; ids: string[]; privateKey: Uint8Array }> {
    const privateKey = nodeEd25519.generateKeyPair().privateKey;
    if (kind === "memory") {
      const store = new MemoryLineageStore();
      const log = await mustOpen({ store, privateKey });
      const ids = await fill(log, SIZE, [5, 3, 9]);
      return { log, ids, privateKey, tamper: (t) => tamperMemory(store, t) };
    }
    const dir = tempDir();
    const opened = openSqliteStore({ dir });
    if (!opened.ok) throw new Error(opened.problem.message);
    const log = await mustOpen({ store: opened.store, privateKey });
    const ids = await fill(log, SIZE, [5, 3, 9]);
    return { log, ids, privateKey, tamper: (t) => tamperSqlite(opened.store.path, t) };
  }

  it("a changed byte, a deleted, swapped or inserted event always fails verify and names the first bad index", async () => {
    await fc.assert(
      fc.asyncProperty(tamperArb(SIZE), async (t) => {
        const { log, tamper, ids } = await build();
        try {
          expect((await log.verify()).ok).toBe(true);
          tamper(t);
          const report = await log.verify({ chunk: 7 });
          expect(report.ok).toBe(false);
          expect(report.firstBad?.index).toBe(expectedBad(t));
          if (t.kind === "flip") expect(report.firstBad?.id).toBe(ids[t.i]);
        } finally {
          await log.close();
        }
      }),
      { numRuns: kind === "memory" ? 150 : 40 },
    );
  });

  it("a consistently rewritten entry (content, id and leaf) is caught by the signed root", async () => {
    const { log } = await build();
    const store = log.store;
    const e = (await store.get(10))!;
    const forged = new TextEncoder().encode('{"n":10,"forged":true}');
    const leaf = leafHash(forged);
    const id = `sha256:${Buffer.from(leaf).toString("hex")}`;
    if (store instanceof MemoryLineageStore) {
      store.rows[10]!.data = forged;
      store.rows[10]!.id = id;
      await store.append({ entries: [], nodes: [{ level: 0, index: 10, hash: leaf }] });
    } else {
      const db = new Database((store as unknown as { path: string }).path);
      db.prepare("UPDATE entries SET data = ?, id = ? WHERE idx = 10").run(Buffer.from(forged), id);
      const tile = Buffer.from(db.prepare("SELECT hashes FROM tiles WHERE key = 0").get()!.hashes as Uint8Array);
      tile.set(leaf, 10 * 32);
      db.prepare("UPDATE tiles SET hashes = ? WHERE key = 0").run(tile);
      db.close();
    }
    expect(e.index).toBe(10);
    const report = await log.verify();
    expect(report.ok).toBe(false);
    // Batches are 5, 3, 9: entry 10 lies in the batch [8, 17), the first one whose signed root fails.
    expect(report.firstBad?.index).toBe(8);
    await log.close();
  });

  it("a reopened log whose tail was deleted refuses appends but still verifies", async () => {
    const { log, tamper, privateKey } = await build();
    tamper({ kind: "delete", i: SIZE - 1 });
    const again = await mustOpen({ store: log.store, privateKey });
    const r = await again.append([{ late: true }]);
    expect(r.ok).toBe(false);
    expect((await again.verify()).firstBad?.index).toBe(SIZE - 1);
    await log.close();
  });
});

describe("checkpoint tampering", () => {
  it("names a checkpoint whose signature does not verify", async () => {
    const store = new MemoryLineageStore();
    const log = await mustOpen({ store, privateKey: nodeEd25519.generateKeyPair().privateKey });
    await fill(log, 10, [4]);
    const other = await mustOpen({ store: new MemoryLineageStore(), privateKey: nodeEd25519.generateKeyPair().privateKey });
    const r = await other.append([{ x: 1 }]);
    if (!r.ok) throw new Error(r.problem.message);
    await store.putCheckpoint({ size: 11, note: r.checkpoint });
    const report = await log.verify();
    expect(report.ok).toBe(false);
    expect(report.error).toMatch(/checkpoint for size 11/);
  });

  it("reads checkpoints a page at a time and still checks every one: a bad note beyond the first page is named", async () => {
    /** A memory store recording each page asked for, and able to serve another note for one size. */
    class PagedStore extends MemoryLineageStore {
      readonly limits: number[] = [];
      swap: { size: number; note: string } | undefined;
      override async checkpointsAfter(after: number, limit: number): ReturnType<MemoryLineageStore["checkpointsAfter"]> {
        this.limits.push(limit);
        const page = await super.checkpointsAfter(after, limit);
        return page.map((c) => (c.size === this.swap?.size ? { size: c.size, note: this.swap.note } : c));
      }
    }
    const store = new PagedStore();
    const log = await mustOpen({ store, privateKey: nodeEd25519.generateKeyPair().privateKey });
    await fill(log, 4100, [1]);
    const good = await log.verify();
    expect([good.ok, good.checkpoints, good.size]).toEqual([true, 4100, 4100]);
    expect(store.limits).toEqual([4096, 4096]);
    const fifth = (await store.checkpoints())[4]!;
    store.swap = { size: 4099, note: fifth.note };
    const bad = await log.verify();
    expect(bad.ok).toBe(false);
    expect(bad.error).toBe("checkpoint stored for size 4099 signs size 5");
  });

  it("refuses appends when the stored tree no longer matches the latest checkpoint", async () => {
    const store = new MemoryLineageStore();
    const privateKey = nodeEd25519.generateKeyPair().privateKey;
    const log = await mustOpen({ store, privateKey });
    await fill(log, 9, [3]);
    store.rows.pop();
    const again = await mustOpen({ store, privateKey });
    const r = await again.append([{ late: true }]);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem.message).toMatch(/writ lineage verify/);
    expect((await again.verify()).firstBad?.index).toBe(8);
  });
});
