import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nodeCrypto } from "../../runtime/crypto/node-crypto.js";
import { nodeSigner } from "../../runtime/lineage/local-log.js";
import { LineageLog } from "../../runtime/lineage/log.js";
import { MemoryLineageStore } from "../../runtime/lineage/memory-store.js";
import { openSqliteStore, SQLITE_STORE_VERSION, walSizing } from "../../runtime/lineage/sqlite-store.js";
import type { LineageStore } from "../../runtime/lineage/store.js";
import { describeStoreContract } from "../support/store-contract.js";

/** The tables of a version-1 (`bundles`) or version-2 (`objects`) database, parent links by id. */
function oldTables(objects: "bundles" | "objects"): string {
  return `CREATE TABLE entries (idx INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, data BLOB NOT NULL, parents TEXT NOT NULL);
    CREATE TABLE edges (parent TEXT NOT NULL, child INTEGER NOT NULL, PRIMARY KEY (parent, child)) WITHOUT ROWID;
    CREATE TABLE tiles (key INTEGER PRIMARY KEY, hashes BLOB NOT NULL);
    CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, note TEXT NOT NULL);
    CREATE TABLE ${objects} (id TEXT PRIMARY KEY, text TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;`;
}

describeStoreContract("memory", () => ({ open: async () => new MemoryLineageStore(), cleanup: () => undefined }));

describeStoreContract("sqlite", () => {
  const dir = mkdtempSync(join(tmpdir(), "writ-store-"));
  const open = async (): Promise<LineageStore> => {
    const r = openSqliteStore({ dir });
    if (!r.ok) throw new Error(r.problem.message);
    return r.store;
  };
  return { open, reopen: open, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
});

describe("sqlite store specifics", () => {
  it("creates .writ/lineage.db under the directory in WAL mode with synchronous=FULL and statement journals in memory, on every open", async () => {
    const dir = mkdtempSync(join(tmpdir(), "writ-store-"));
    try {
      const r = openSqliteStore({ dir });
      if (!r.ok) throw new Error(r.problem.message);
      expect(r.store.path).toBe(join(dir, ".writ", "lineage.db"));
      expect(statSync(r.store.path).isFile()).toBe(true);
      const pragma = (r.store as unknown as { db: { pragma(s: string, o: object): unknown } }).db;
      expect(String(pragma.pragma("journal_mode", { simple: true })).toLowerCase()).toBe("wal");
      expect(pragma.pragma("synchronous", { simple: true })).toBe(2); // FULL
      // Statement journals in memory (per connection: an existing file gets it too).
      expect(pragma.pragma("temp_store", { simple: true })).toBe(2); // MEMORY
      await r.store.close();
      const again = openSqliteStore({ dir, mustExist: true });
      if (!again.ok) throw new Error(again.problem.message);
      const db = (again.store as unknown as { db: { pragma(s: string, o: object): unknown } }).db;
      expect(db.pragma("temp_store", { simple: true })).toBe(2);
      expect(db.pragma("synchronous", { simple: true })).toBe(2);
      await again.store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("migrates a version-1 database (bundles table, no user_version) and keeps its content", async () => {
    const dir = mkdtempSync(join(tmpdir(), "writ-store-"));
    try {
      const path = join(dir, "old.db");
      const Database = createRequire(import.meta.url)("better-sqlite3") as new (p: string) => { exec(s: string): void; prepare(s: string): { run(...a: unknown[]): void }; close(): void };
      const db = new Database(path);
      db.exec(oldTables("bundles"));
      db.prepare("INSERT INTO bundles (id, text) VALUES (?, ?)").run("sha256:old", '{"b":1}');
      db.close();
      const r = openSqliteStore({ path });
      if (!r.ok) throw new Error(r.problem.message);
      expect(await r.store.getObject("sha256:old")).toBe('{"b":1}');
      const raw = (r.store as unknown as { db: { pragma(s: string, o: object): unknown } }).db;
      expect(raw.pragma("user_version", { simple: true })).toBe(SQLITE_STORE_VERSION);
      await r.store.close();
      const again = openSqliteStore({ path });
      if (!again.ok) throw new Error(again.problem.message);
      expect(await again.store.getObject("sha256:old")).toBe('{"b":1}');
      await again.store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("migrates a version-2 database's parent links to links by index, keeping links to ids not in the log", async () => {
    const dir = mkdtempSync(join(tmpdir(), "writ-store-"));
    try {
      const path = join(dir, "v2.db");
      const Database = createRequire(import.meta.url)("better-sqlite3") as new (p: string) => {
        exec(s: string): void;
        pragma(s: string): unknown;
        prepare(s: string): { run(...a: unknown[]): void; all(...a: unknown[]): unknown[] };
        close(): void;
      };
      const db = new Database(path);
      db.exec(oldTables("objects"));
      db.pragma("user_version = 2");
      const put = db.prepare("INSERT INTO entries (idx, id, data, parents) VALUES (?, ?, ?, ?)");
      put.run(0, "sha256:a", Buffer.from("{}"), "[]");
      put.run(1, "sha256:b", Buffer.from("{}"), '["sha256:a","sha256:gone"]');
      put.run(2, "sha256:c", Buffer.from("{}"), '["sha256:a"]');
      const edge = db.prepare("INSERT INTO edges (parent, child) VALUES (?, ?)");
      edge.run("sha256:a", 1);
      edge.run("sha256:gone", 1);
      edge.run("sha256:a", 2);
      db.close();
      const r = openSqliteStore({ path });
      if (!r.ok) throw new Error(r.problem.message);
      expect(await r.store.findChildren("sha256:a")).toEqual([1, 2]);
      expect(await r.store.findChildren("sha256:gone")).toEqual([1]);
      expect(await r.store.findChildren("sha256:b")).toEqual([]);
      const raw = (r.store as unknown as { db: { prepare(s: string): { all(): unknown[] }; pragma(s: string, o: object): unknown } }).db;
      expect(raw.pragma("user_version", { simple: true })).toBe(SQLITE_STORE_VERSION);
      expect(raw.prepare("SELECT parent, child FROM edges ORDER BY child").all()).toEqual([
        { parent: 0, child: 1 },
        { parent: 0, child: 2 },
      ]);
      expect(raw.prepare("SELECT parent, child FROM edges_by_id").all()).toEqual([{ parent: "sha256:gone", child: 1 }]);
      await r.store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a database written by a newer schema version (W6212) and creates nothing when it must exist", async () => {
    const dir = mkdtempSync(join(tmpdir(), "writ-store-"));
    try {
      const path = join(dir, "new.db");
      const Database = createRequire(import.meta.url)("better-sqlite3") as new (p: string) => { pragma(s: string): unknown; close(): void };
      const db = new Database(path);
      db.pragma(`user_version = ${SQLITE_STORE_VERSION + 5}`);
      db.close();
      const r = openSqliteStore({ path });
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.problem.code).toBe("W6212");
        expect(r.problem.message).toMatch(/newer than this Writ understands/);
      }
      const missing = openSqliteStore({ dir: join(dir, "nowhere"), mustExist: true });
      expect(missing.ok).toBe(false);
      expect(existsSync(join(dir, "nowhere"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("sizes the WAL from the log's size: checkpoints every 10,000 pages up to 200,000 events, further apart up to 100,000 pages, never cut below that", () => {
    expect(walSizing(0)).toEqual({ pages: 10_000, limitBytes: 64 * 1024 * 1024 });
    expect(walSizing(200_000).pages).toBe(10_000);
    expect(walSizing(1_000_000).pages).toBe(50_000);
    expect(walSizing(2_000_000).pages).toBe(100_000);
    expect(walSizing(50_000_000).pages).toBe(100_000);
    fc.assert(
      fc.property(fc.nat({ max: 1e9 }), fc.nat({ max: 1e9 }), (a, b) => {
        const [lo, hi] = a <= b ? [walSizing(a), walSizing(b)] : [walSizing(b), walSizing(a)];
        // Never fewer pages for a longer log, always within bounds, and the WAL is never cut below what it grows to.
        return lo.pages <= hi.pages && lo.pages >= 10_000 && hi.pages <= 100_000 && lo.limitBytes >= lo.pages * 4096 && hi.limitBytes >= hi.pages * 4096;
      }),
    );
  });

  it("applies the WAL sizing when a store opens and again after a commit that takes the log past a 65,536-event boundary", async () => {
    const dir = mkdtempSync(join(tmpdir(), "writ-store-"));
    try {
      const r = openSqliteStore({ dir });
      if (!r.ok) throw new Error(r.problem.message);
      const db = (r.store as unknown as { db: { pragma(s: string, o: object): unknown } }).db;
      const sized = (): unknown[] => [db.pragma("wal_autocheckpoint", { simple: true }), db.pragma("journal_size_limit", { simple: true })];
      expect(sized()).toEqual([10_000, 64 * 1024 * 1024]);
      // As a store that last sized its WAL at 2 million events would be set.
      (r.store as unknown as { sizeWal(n: number): void }).sizeWal(2_000_000);
      expect(sized()).toEqual([100_000, walSizing(2_000_000).limitBytes]);
      // The next commit leaves the log at 1 event, another 65,536-event block: sized again for it.
      const logged = await LineageLog.open({ store: r.store, crypto: nodeCrypto, signer: nodeSigner(new Uint8Array(32).fill(9)) });
      if (!logged.ok) throw new Error(logged.problem.message);
      const appended = await logged.log.append([{ phase: "requested" }]);
      expect(appended.ok).toBe(true);
      expect(sized()).toEqual([10_000, 64 * 1024 * 1024]);
      await logged.log.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("answers an unopenable path with an error instead of throwing", () => {
    const dir = mkdtempSync(join(tmpdir(), "writ-store-"));
    try {
      writeFileSync(join(dir, "plain-file"), "not a folder");
      const r = openSqliteStore({ path: join(dir, "plain-file", "sub", "lineage.db") });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.problem.message).toMatch(/cannot open lineage store/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("browser safety of the store contract", () => {
  for (const file of ["runtime/lineage/store.ts", "runtime/lineage/memory-store.ts", "runtime/lineage/proof.ts"]) {
    it(`${file} bundles for the browser without Node modules`, async () => {
      const result = await build({
        entryPoints: [resolve(process.cwd(), file)],
        bundle: true,
        platform: "browser",
        format: "esm",
        write: false,
        logLevel: "silent",
        metafile: true,
      });
      expect(Object.keys(result.metafile.inputs).some((p) => p.startsWith("node:"))).toBe(false);
    });
  }

  it("the SQLite store is detected as Node-only (the check can fail)", async () => {
    await expect(
      build({
        entryPoints: [resolve(process.cwd(), "runtime/lineage/sqlite-store.ts")],
        bundle: true,
        platform: "browser",
        write: false,
        logLevel: "silent",
      }),
    ).rejects.toThrow();
  });
});
