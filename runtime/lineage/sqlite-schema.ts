/**
 * The SQLite lineage store's schema: the numbered migrations that bring a database to this
 * build's version, the event-id index key, and the part of better-sqlite3's API the store uses.
 *
 * NOTE: Node only (part of the SQLite store).
 */
import { StoreError } from "./store.js";
import { mergeNodes, version3Nodes } from "./sqlite-tiles.js";

/** The part of better-sqlite3's API this store uses (the package ships no types). */
export interface Statement {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): Record<string, unknown> | undefined;
  all(...params: unknown[]): Record<string, unknown>[];
}
/** A statement that can return rows as arrays. */
export interface RawStatement extends Statement {
  raw(on: boolean): Statement;
}
/** An open better-sqlite3 database. */
export interface Database {
  prepare(sql: string): Statement;
  exec(sql: string): void;
  pragma(sql: string, options?: { simple?: boolean }): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  close(): void;
}

/**
 * The indexed key of an event id: 12 hex digits (48 bits) of the hash after `sha256:`. Lookups
 * compare the key, then the whole id (any id text works; sha256 ids rarely share a key).
 */
export const ID_KEY = "substr(id, 8, 12)";

/** The condition selecting the entry with id `@id`, through the id index. */
export const BY_ID = `${ID_KEY} = substr(@id, 8, 12) AND id = @id`;

/**
 * The numbered schema migrations: migration k takes a database from version k to k + 1
 * (`PRAGMA user_version`). A database created before versions were recorded (version 0
 * with an `entries` table) is version 1. A database of a newer version than this list is
 * refused (W6212): an older Writ must not write a log it does not understand.
 */
const MIGRATIONS: readonly (string | ((db: Database) => void))[] = [
  // 0 → 1: the original tables.
  `
CREATE TABLE IF NOT EXISTS entries (
  idx INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  data BLOB NOT NULL,
  parents TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS edges (
  parent TEXT NOT NULL,
  child INTEGER NOT NULL,
  PRIMARY KEY (parent, child)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tiles (
  key INTEGER PRIMARY KEY,
  hashes BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints (size INTEGER PRIMARY KEY, note TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bundles (id TEXT PRIMARY KEY, text TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
`,
  // 1 → 2: bundles and entity snapshots share one table of content-addressed objects.
  `ALTER TABLE bundles RENAME TO objects;`,
  // 2 → 3: parent links keyed by the parent's index (small keys near the end of the index, where
  // a child's parent almost always is, instead of random 71-character ids: each batch dirties a
  // few index pages, not one per event); links to ids not in the log stay by id.
  `
ALTER TABLE edges RENAME TO edges_by_id;
CREATE TABLE edges (parent INTEGER NOT NULL, child INTEGER NOT NULL, PRIMARY KEY (parent, child)) WITHOUT ROWID;
INSERT OR IGNORE INTO edges (parent, child) SELECT e.idx, g.child FROM edges_by_id g JOIN entries e ON e.id = g.parent;
DELETE FROM edges_by_id WHERE parent IN (SELECT id FROM entries);
`,
  // 3 → 4: tiles by block (a bottom row and an inner row side by side, see sqlite-tiles.ts)
  // instead of one row per level and tile: a batch rewrites about two adjacent rows, not five.
  (db) => {
    db.exec("ALTER TABLE tiles RENAME TO tiles_v3; CREATE TABLE tiles (key INTEGER PRIMARY KEY, hashes BLOB NOT NULL);");
    const page = db.prepare("SELECT key, hashes FROM tiles_v3 WHERE key > ? ORDER BY key LIMIT 1024");
    const get = db.prepare("SELECT hashes FROM tiles WHERE key = ?");
    const put = db.prepare("INSERT OR REPLACE INTO tiles (key, hashes) VALUES (?, ?)");
    const rows = { get: (key: number) => blobOrUndefined(get.get(key)?.hashes), put: (key: number, hashes: Uint8Array) => put.run(key, hashes) };
    for (let after = -1, got = page.all(after); got.length > 0; got = page.all(after)) {
      for (const r of got) {
        after = Number(r.key);
        mergeNodes(rows, version3Nodes(after, bytes(r.hashes)));
      }
    }
    db.exec("DROP TABLE tiles_v3;");
  },
  // 4 → 5: event ids indexed by 12 characters of the hash instead of the whole 71-character id
  // (a UNIQUE constraint): index rows a fifth of the size split pages far less often per commit.
  // Duplicates are refused by a lookup before the insert.
  `
CREATE TABLE entries_v5 (idx INTEGER PRIMARY KEY, id TEXT NOT NULL, data BLOB NOT NULL, parents TEXT NOT NULL);
INSERT INTO entries_v5 (idx, id, data, parents) SELECT idx, id, data, parents FROM entries ORDER BY idx;
DROP TABLE entries;
ALTER TABLE entries_v5 RENAME TO entries;
CREATE INDEX entries_by_id ON entries (${ID_KEY});
`,
];

/** The schema version this build writes. */
export const SQLITE_STORE_VERSION = MIGRATIONS.length;

/** Bring a database to {@link SQLITE_STORE_VERSION}, or say why it cannot be used. */
export function migrate(db: Database): string | undefined {
  let version = Number(db.pragma("user_version", { simple: true }));
  if (version === 0 && db.prepare("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'entries'").get() !== undefined) version = 1;
  if (version > SQLITE_STORE_VERSION) {
    return `the lineage store has schema version ${version}, newer than this Writ understands (${SQLITE_STORE_VERSION}): upgrade Writ to read it`;
  }
  if (version === SQLITE_STORE_VERSION) return undefined;
  db.transaction(() => {
    for (let v = version; v < SQLITE_STORE_VERSION; v++) {
      const step = MIGRATIONS[v]!;
      if (typeof step === "string") db.exec(step);
      else step(db);
    }
    db.pragma(`user_version = ${SQLITE_STORE_VERSION}`);
  })();
  return undefined;
}

/** The bytes of a blob read back from SQLite (fails on any other value). */
export function bytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  throw new StoreError("io", "stored value is not a blob");
}

/** The bytes of a blob read back from SQLite, or undefined where no row was found. */
export function blobOrUndefined(v: unknown): Uint8Array | undefined {
  return v === undefined ? undefined : bytes(v);
}
