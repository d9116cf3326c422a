import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { MemoryLineageStore } from "../../runtime/lineage/memory-store.js";
import { openSqliteStore, SQLITE_STORE_VERSION } from "../../runtime/lineage/sqlite-store.js";
import type { LineageStore } from "../../runtime/lineage/store.js";
import { describeStoreContract } from "../support/store-contract.js";

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
  it("creates .writ/lineage.db under the directory in WAL mode with synchronous=FULL", async () => {
    const dir = mkdtempSync(join(tmpdir(), "writ-store-"));
    try {
      const r = openSqliteStore({ dir });
      if (!r.ok) throw new Error(r.problem.message);
      expect(r.store.path).toBe(join(dir, ".writ", "lineage.db"));
      expect(statSync(r.store.path).isFile()).toBe(true);
      const pragma = (r.store as unknown as { db: { pragma(s: string, o: object): unknown } }).db;
      expect(String(pragma.pragma("journal_mode", { simple: true })).toLowerCase()).toBe("wal");
      expect(pragma.pragma("synchronous", { simple: true })).toBe(2); // FULL
      await r.store.close();
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
      db.exec(`CREATE TABLE entries (idx INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, data BLOB NOT NULL, parents TEXT NOT NULL);
        CREATE TABLE edges (parent TEXT NOT NULL, child INTEGER NOT NULL, PRIMARY KEY (parent, child)) WITHOUT ROWID;
        CREATE TABLE tiles (key INTEGER PRIMARY KEY, hashes BLOB NOT NULL);
        CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, note TEXT NOT NULL);
        CREATE TABLE bundles (id TEXT PRIMARY KEY, text TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;`);
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
