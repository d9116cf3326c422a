/**
 * The SQLite store's tile layout (`sqlite-tiles.ts`) and the migration of a database written
 * in the previous layout (version 3: one tile row per level and tile): the old log opens,
 * verifies, proves and keeps appending after the migration.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { base64Encode } from "../../runtime/crypto/base64.js";
import { nodeCrypto } from "../../runtime/crypto/node-crypto.js";
import { nodeSigner } from "../../runtime/lineage/local-log.js";
import { LineageLog, verifyProof } from "../../runtime/lineage/log.js";
import { MemoryLineageStore } from "../../runtime/lineage/memory-store.js";
import { openSqliteStore, SQLITE_STORE_VERSION } from "../../runtime/lineage/sqlite-store.js";
import { tileSlot, TILE_WIDTH } from "../../runtime/lineage/sqlite-tiles.js";
import type { AppendBatch } from "../../runtime/lineage/store.js";

interface RawDb {
  exec(s: string): void;
  pragma(s: string, o?: object): unknown;
  prepare(s: string): { run(...a: unknown[]): void; all(...a: unknown[]): Record<string, unknown>[] };
  close(): void;
}
const Database = createRequire(import.meta.url)("better-sqlite3") as new (path: string) => RawDb;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const KEY = new Uint8Array(32).fill(7);

/** A memory store that also keeps every batch it was given (to lay them out in the old format). */
class RecordingStore extends MemoryLineageStore {
  readonly batches: AppendBatch[] = [];
  override async append(batch: AppendBatch): Promise<void> {
    await super.append(batch);
    this.batches.push(batch);
  }
}

/** Write a version-3 database (tile key = level · 2^44 + tile) holding what `store` recorded. */
async function writeVersion3(path: string, store: RecordingStore, publicKey: Uint8Array, origin: string): Promise<void> {
  const db = new Database(path);
  db.exec(`CREATE TABLE entries (idx INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, data BLOB NOT NULL, parents TEXT NOT NULL);
    CREATE TABLE edges_by_id (parent TEXT NOT NULL, child INTEGER NOT NULL, PRIMARY KEY (parent, child)) WITHOUT ROWID;
    CREATE TABLE edges (parent INTEGER NOT NULL, child INTEGER NOT NULL, PRIMARY KEY (parent, child)) WITHOUT ROWID;
    CREATE TABLE tiles (key INTEGER PRIMARY KEY, hashes BLOB NOT NULL);
    CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, note TEXT NOT NULL);
    CREATE TABLE objects (id TEXT PRIMARY KEY, text TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;`);
  db.pragma("user_version = 3");
  db.exec("BEGIN");
  const tiles = new Map<number, Uint8Array>();
  const idx = new Map<string, number>();
  for (const b of store.batches) {
    for (const e of b.entries) {
      db.prepare("INSERT INTO entries (idx, id, data, parents) VALUES (?, ?, ?, ?)").run(e.index, e.id, Buffer.from(e.data), JSON.stringify(e.parents));
      idx.set(e.id, e.index);
      for (const p of e.parents) db.prepare("INSERT OR IGNORE INTO edges (parent, child) VALUES (?, ?)").run(idx.get(p), e.index);
    }
    for (const n of b.nodes) {
      const key = n.level * 2 ** 44 + Math.floor(n.index / TILE_WIDTH);
      const off = (n.index % TILE_WIDTH) * 32;
      const old = tiles.get(key) ?? new Uint8Array(0);
      const grown = new Uint8Array(Math.max(old.length, off + 32));
      grown.set(old);
      grown.set(n.hash, off);
      tiles.set(key, grown);
    }
    if (b.checkpoint !== undefined) db.prepare("INSERT INTO checkpoints (size, note) VALUES (?, ?)").run(b.checkpoint.size, b.checkpoint.note);
  }
  for (const [key, hashes] of tiles) db.prepare("INSERT INTO tiles (key, hashes) VALUES (?, ?)").run(key, Buffer.from(hashes));
  db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)").run("publicKey", base64Encode(publicKey));
  db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)").run("origin", origin);
  db.exec("COMMIT");
  db.close();
}

async function openOn(path: string): Promise<LineageLog> {
  const s = openSqliteStore({ path });
  if (!s.ok) throw new Error(s.problem.message);
  const r = await LineageLog.open({ store: s.store, crypto: nodeCrypto, signer: nodeSigner(KEY) });
  if (!r.ok) throw new Error(r.problem.message);
  return r.log;
}

describe("sqlite tile layout", () => {
  it("property: every node (level, index) has its own 32-byte slot inside a 2 KiB row", () => {
    const coord = fc.record({ level: fc.integer({ min: 0, max: 40 }), index: fc.integer({ min: 0, max: 2 ** 20 }) });
    fc.assert(
      fc.property(coord, coord, (a, b) => {
        const sa = tileSlot(a.level, a.index);
        const sb = tileSlot(b.level, b.index);
        for (const s of [sa, sb]) expect(s.offset >= 0 && s.offset + 32 <= TILE_WIDTH * 32 && s.offset % 32 === 0).toBe(true);
        const same = a.level === b.level && a.index === b.index;
        expect(sa.key === sb.key && sa.offset === sb.offset).toBe(same);
      }),
      { seed: 6, numRuns: 2000 },
    );
  });

  it("a batch of a few events rewrites the two rows of one block, not a row per level", async () => {
    const d = mkdtempSync(join(tmpdir(), "writ-tiles-"));
    dirs.push(d);
    const log = await openOn(join(d, "l.db"));
    for (let k = 0; k < 6; k++) expect((await log.append([{ n: k, a: 1 }, { n: k, a: 2 }, { n: k, a: 3 }, { n: k, a: 4 }])).ok).toBe(true);
    await log.close();
    const db = new Database(join(d, "l.db"));
    const keys = db.prepare("SELECT key FROM tiles ORDER BY key").all().map((r) => Number(r.key));
    db.close();
    // 24 leaves: levels 0–4 of block 0 of stratum 0 only.
    expect(keys).toEqual([0, 1]);
  });
});

describe("sqlite store migration from layout version 3 (tiles per level, UNIQUE event ids)", () => {
  it("opens, verifies, proves and appends to a database written in the old tile layout", async () => {
    const d = mkdtempSync(join(tmpdir(), "writ-v3-"));
    dirs.push(d);
    const recorded = new RecordingStore();
    const opened = await LineageLog.open({ store: recorded, crypto: nodeCrypto, signer: nodeSigner(KEY) });
    if (!opened.ok) throw new Error(opened.problem.message);
    const mem = opened.log;
    const ids: string[] = [];
    // 300 events in uneven batches: nodes up to level 8 (strata 0 and 1, several blocks).
    for (let k = 0; k < 300; ) {
      const n = [1, 7, 3, 29, 2][k % 5]!;
      const events = Array.from({ length: Math.min(n, 300 - k) }, (_, i) => ({ n: k + i, parents: ids.length > 0 ? [ids[ids.length - 1]!] : [] }));
      const r = await mem.append(events);
      if (!r.ok) throw new Error(r.problem.message);
      ids.push(...r.entries.map((e) => e.id));
      k += events.length;
    }
    const root = Buffer.from(mem.root()).toString("hex");
    const proofBefore = await mem.prove(ids[137]!);
    const path = join(d, "v3.db");
    await writeVersion3(path, recorded, mem.publicKey, mem.origin);

    const log = await openOn(path);
    expect(log.writable).toBe(true);
    expect(log.size).toBe(300);
    expect(Buffer.from(log.root()).toString("hex")).toBe(root);
    expect((await log.verify()).ok).toBe(true);
    const proof = await log.prove(ids[137]!);
    expect(proof.ok && proofBefore.ok && JSON.stringify(proof.proof)).toBe(proofBefore.ok && JSON.stringify(proofBefore.proof));
    for (const i of [0, 63, 64, 255, 256, 299]) {
      const p = await log.prove(i);
      expect(p.ok && verifyProof(p.proof, log.publicKey).ok).toBe(true);
    }
    // Lookups by id and the duplicate check go through the new id index.
    expect((await log.get(ids[5]!))?.index).toBe(5);
    expect(await log.store.findChildren(ids[0]!)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const dup = await log.append([{ n: 5, parents: [ids[0]!] }]);
    expect(dup.ok === false && dup.problem.code).toBe("W6209");
    const more = await log.append(Array.from({ length: 40 }, (_, i) => ({ after: i })));
    expect(more.ok).toBe(true);
    const memMore = await mem.append(Array.from({ length: 40 }, (_, i) => ({ after: i })));
    expect(memMore.ok && Buffer.from(log.root()).toString("hex")).toBe(Buffer.from(mem.root()).toString("hex"));
    expect((await log.verify()).ok).toBe(true);
    await log.close();
    await mem.close();

    const db = new Database(path);
    expect(db.pragma("user_version", { simple: true })).toBe(SQLITE_STORE_VERSION);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name IN ('tiles_v3', 'entries_v5')").all()).toEqual([]);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entries'").all()).toEqual([{ name: "entries_by_id" }]);
    // Every stored row is a block part: no key of the old layout (level · 2^44 + tile) is left.
    const keys = db.prepare("SELECT key FROM tiles").all().map((r) => Number(r.key));
    db.close();
    expect(keys.every((k) => k < 2 ** 44 || k >= 2 ** 45)).toBe(true);
    const again = await openOn(path);
    expect((await again.verify()).ok).toBe(true);
    await again.close();
  });
});
