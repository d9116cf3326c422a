/**
 * The embedded default lineage store: one SQLite file (better-sqlite3),
 * by default `.writ/lineage.db` under a given directory.
 *
 * Durability: the database runs in WAL mode with `synchronous=FULL`; per
 * SQLite's documentation ("Write-Ahead Logging", "PRAGMA synchronous") the WAL
 * is fsynced at every commit in that mode, so a committed transaction survives
 * a process kill and a power loss. Every {@link LineageStore.append} batch is
 * one transaction, committed before the call resolves: an acknowledged append
 * is durable, an interrupted one leaves no trace.
 *
 * Throughput tuning (durability unchanged): automatic WAL checkpoints every
 * ~40 MB of WAL rather than ~4 MB, further apart as the log grows (each random
 * id-index page is copied back far less often: `sizeWal`), statement journals
 * in memory (`temp_store = MEMORY`: a multi-row INSERT no longer spills one to
 * a temporary file), entries and
 * parent links inserted 64 rows per statement, the tile rows of the last batch
 * kept in memory for the next one, parent links keyed by the parent's index (a child's parent is almost always
 * recent, so the link index grows at its end instead of taking a random page
 * per event, as 71-character ids did), event ids indexed by 12 hex digits of their
 * hash (index rows a fifth the size of whole ids; a duplicate is refused by a lookup
 * before the insert), and verification
 * reads leaf data as text through {@link SqliteLineageStore.scanLeaves}.
 *
 * Perfect-subtree hashes live in tiles (see `sqlite-tiles.ts`): per block of 64
 * leaves, one row of their hashes and one row of the five levels above, side by
 * side, so an append rewrites about two adjacent rows per batch, and a proof
 * reads one 32-byte slice per path element.
 *
 * NOTE: Node only (native module and file system); never import from browser code.
 */
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Hash } from "./merkle.js";
import { batchProblem, StoreError } from "./store.js";
import { leafTileKey, leafTileStart, mergeNodes, tileSlot, type TileRows } from "./sqlite-tiles.js";
import { blobOrUndefined, BY_ID, bytes, ID_KEY, migrate, SQLITE_STORE_VERSION, type Database, type RawStatement, type Statement } from "./sqlite-schema.js";
import { failure, type Failure } from "../../compiler/compile-ir.js";
import type { AppendBatch, LineageStore, NodeCoord, StoredCheckpoint, StoredEntry } from "./store.js";
import type { LeafRow, LeafScanSource } from "./verify.js";

export { SQLITE_STORE_VERSION };

type DatabaseConstructor = new (path: string, options?: Record<string, unknown>) => Database;

const requireCjs = createRequire(import.meta.url);

/**
 * A statement over a list of `width`-value rows, one call per {@link INSERT_ROWS} rows: the
 * statement for each row count (`sql(rows)`) is prepared on first use, so a batch of five
 * events is one call into SQLite, not five.
 */
class RowsStatement {
  private readonly byCount: Statement[] = [];

  constructor(
    private readonly db: Database,
    private readonly sql: (rows: number) => string,
    private readonly width: number,
  ) {}

  /** Run over all `values` (flat, `width` per row); returns the rows read, if the statement reads. */
  exec(values: readonly unknown[], read: boolean): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    const group = INSERT_ROWS * this.width;
    for (let o = 0; o < values.length; o += group) {
      const part = o === 0 && values.length <= group ? values : values.slice(o, o + group);
      const st = (this.byCount[part.length / this.width] ??= this.db.prepare(this.sql(part.length / this.width)));
      if (read) out.push(...st.all(...part));
      else st.run(...part);
    }
    return out;
  }
}

/** `(?, ?, …)` groups for a multi-row statement. */
function placeholders(rows: number, row: string): string {
  return Array.from({ length: rows }, () => row).join(", ");
}

/** Switch a statement to rows as arrays (cheaper than objects on hot reads). */
function raw(st: Statement): Statement {
  return (st as RawStatement).raw(true);
}

/** A stored entry whose parent list is parsed only when read (verification never reads it). */
class SqliteEntry implements StoredEntry {
  private parsedParents: readonly string[] | undefined;

  constructor(
    readonly index: number,
    readonly id: string,
    readonly data: Uint8Array,
    private readonly parentsText: unknown,
    readonly leafHash: Uint8Array | undefined,
  ) {}

  get parents(): readonly string[] {
    if (this.parsedParents === undefined) this.parsedParents = parseParents(this.parentsText);
    return this.parsedParents;
  }
}

/** Fewest WAL pages (4 KiB) between automatic checkpoints (SQLite's default is 1,000). */
const MIN_WAL_PAGES = 10_000;

/** Most WAL pages between automatic checkpoints (~400 MB). */
const MAX_WAL_PAGES = 100_000;

/** Events of the log per WAL page between checkpoints (2 million events: the most pages). */
const EVENTS_PER_WAL_PAGE = 20;

/** The WAL is sized again each time the log passes a multiple of this many events. */
const WAL_RESIZE_EVERY = 65_536;

/**
 * How the WAL of a log of `size` events is kept: the WAL pages between automatic checkpoints,
 * and the size a WAL file is cut back to after a checkpoint (never below what it grows to
 * between two, so that it is not cut and grown again: see `SqliteLineageStore.sizeWal`).
 */
export function walSizing(size: number): { readonly pages: number; readonly limitBytes: number } {
  const pages = Math.min(MAX_WAL_PAGES, Math.max(MIN_WAL_PAGES, Math.round(size / EVENTS_PER_WAL_PAGE)));
  return { pages, limitBytes: Math.max(64 * 1024 * 1024, Math.ceil(pages * 4096 * 1.6)) };
}

/** Entries inserted per multi-row INSERT statement (4 parameters each, far below SQLite's parameter limit). */
const INSERT_ROWS = 64;

/** Relative location of the default database under a working directory. */
export const DEFAULT_LINEAGE_DB = join(".writ", "lineage.db");

/** Options of {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /** Database file path. Default: `<dir>/.writ/lineage.db`. */
  readonly path?: string;
  /** Working directory holding `.writ/` (used when `path` is absent). Required then. */
  readonly dir?: string;
  /** Open an existing database only: create neither the folder nor the file (read-only commands). */
  readonly mustExist?: boolean;
}

/** Result of {@link openSqliteStore}. */
export type OpenStoreResult = { readonly ok: true; readonly store: SqliteLineageStore } | Failure;

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The SQL storage class a value read back from SQLite had. */
function sqlType(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return "text";
  if (typeof v === "number" || typeof v === "bigint") return Number.isInteger(Number(v)) ? "integer" : "real";
  return typeof v;
}

function isZero(h: Uint8Array): boolean {
  for (let i = 0; i < h.length; i++) if (h[i] !== 0) return false;
  return true;
}

function parseParents(text: unknown): string[] {
  try {
    const v: unknown = JSON.parse(String(text));
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
}

/** Map a SQLite failure inside a write to a {@link StoreError}. */
function writeError(e: unknown): StoreError {
  if (e instanceof StoreError) return e;
  const code = (e as { code?: unknown }).code;
  const msg = errorText(e);
  if (typeof code === "string" && code.startsWith("SQLITE_CONSTRAINT")) return new StoreError("conflict", `write conflicts with stored data (${msg})`);
  return new StoreError("io", `lineage store write failed: ${msg}`);
}

/**
 * Open (creating if needed) a SQLite lineage store. Creates the parent folder.
 * Migrates an older database to this build's schema version (and refuses a newer one).
 * Never throws: failures come back as `{ ok: false, problem }`.
 */
export function openSqliteStore(options: SqliteStoreOptions): OpenStoreResult {
  const path = options.path ?? (options.dir !== undefined ? join(options.dir, DEFAULT_LINEAGE_DB) : undefined);
  if (path === undefined) return failure("W6205", { detail: "openSqliteStore needs a path or a dir" });
  let db: Database | undefined;
  try {
    // NOTE: better-sqlite3 is an optional dependency (runtime-only users need no native module):
    // a missing or unloadable package is one clear line naming it, never a stack.
    let Ctor: DatabaseConstructor;
    try {
      Ctor = requireCjs("better-sqlite3") as DatabaseConstructor;
    } catch (e) {
      const missing = (e as { code?: unknown }).code === "MODULE_NOT_FOUND" && errorText(e).includes("better-sqlite3");
      return failure("W6205", {
        detail: missing
          ? "the SQLite lineage store needs the optional package better-sqlite3, which is not installed (npm install better-sqlite3)"
          : `the SQLite lineage store cannot load better-sqlite3 (${errorText(e).split("\n")[0]}); reinstall it (npm install better-sqlite3)`,
      });
    }
    if (options.mustExist !== true) mkdirSync(dirname(path), { recursive: true });
    try {
      db = new Ctor(path, options.mustExist === true ? { fileMustExist: true } : {});
    } catch (e) {
      const text = errorText(e).split("\n")[0]!;
      if (!/bindings|dlopen|NODE_MODULE_VERSION|\.node\b/.test(text)) throw e;
      return failure("W6205", { detail: `the SQLite lineage store cannot load better-sqlite3's native module (${text}); rebuild it (npm rebuild better-sqlite3)` });
    }
    db.pragma("journal_mode = WAL");
    const mode = db.pragma("journal_mode", { simple: true });
    if (String(mode).toLowerCase() !== "wal") throw new Error(`cannot enable WAL mode (got ${String(mode)})`);
    db.pragma("synchronous = FULL");
    db.pragma("busy_timeout = 5000");
    // WAL checkpoints (how often, and the WAL file's size) are set by the store from the log's size: sizeWal.
    // Statement journals (the pages a multi-row INSERT changes, kept to undo that one statement if it
    // fails inside the batch's transaction) stay in memory: by default SQLite spills one past 64 KiB to a
    // temporary file, a few hundred pwrites per batch of 100 events. Never read after a crash (the WAL
    // alone recovers), so durability is unchanged; at most a batch's pages (a few MB) held at once.
    db.pragma("temp_store = MEMORY");
    const tooNew = migrate(db);
    if (tooNew !== undefined) {
      db.close();
      return failure("W6212", { detail: tooNew });
    }
    return { ok: true, store: new SqliteLineageStore(db, path) };
  } catch (e) {
    try {
      db?.close();
    } catch {
      // already failing; the first error is the useful one
    }
    return failure("W6205", { detail: `cannot open lineage store ${path}: ${errorText(e)}` });
  }
}

/** A {@link LineageStore} in one SQLite file. Create with {@link openSqliteStore}. */
export class SqliteLineageStore implements LineageStore, LeafScanSource {
  /** Implementation name. */
  readonly kind = "sqlite";
  /** The database file. */
  readonly path: string;
  private db: Database | undefined;
  private readonly st: Record<string, Statement>;
  private readonly writeBatch: (batch: AppendBatch) => void;
  private readonly tileRows: TileRows;
  /**
   * The tile rows the last committed batch wrote, and the log size after it: the next batch
   * patches the same one or two rows, so it takes them from here instead of reading them back.
   * INVARIANT: used only when the size read inside the next write transaction equals
   * `size` (nothing was appended by another connection since), and replaced only after a commit.
   */
  private recentTiles: { size: number; rows: Map<number, Uint8Array> } | undefined;
  /** The log size the WAL was last sized for (see {@link sizeWal}). */
  private walSizedAt = 0;
  /** True when stored text is UTF-8, so a blob read as text is its own bytes (see {@link scanLeaves}). */
  private readonly utf8: boolean;

  /** @internal use {@link openSqliteStore}. */
  constructor(db: Database, path: string) {
    this.db = db;
    this.path = path;
    this.utf8 = String(db.pragma("encoding", { simple: true })) === "UTF-8";
    this.st = {
      size: db.prepare("SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM entries"),
      insertEdgeById: db.prepare("INSERT OR IGNORE INTO edges_by_id (parent, child) VALUES (?, ?)"),
      getTile: db.prepare("SELECT hashes FROM tiles WHERE key = ?"),
      putTile: db.prepare("INSERT OR REPLACE INTO tiles (key, hashes) VALUES (?, ?)"),
      nodeSlice: db.prepare("SELECT substr(hashes, ?, 32) AS hash FROM tiles WHERE key = ?"),
      insertCheckpoint: db.prepare("INSERT INTO checkpoints (size, note) VALUES (?, ?)"),
      range: raw(db.prepare("SELECT idx, id, data, parents FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx")),
      byId: raw(db.prepare(`SELECT idx, id, data, parents FROM entries WHERE ${BY_ID}`)),
      // 0x00 ‖ leaf data as text (a V8 string is far cheaper to make than a Buffer, and hashes without a copy) with the blob's length, to prove the text exact.
      scan: raw(db.prepare("SELECT idx, id, char(0) || CAST(data AS TEXT), CASE WHEN typeof(data) = 'blob' THEN length(data) ELSE -1 END FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx")),
      dataAt: db.prepare("SELECT data FROM entries WHERE idx = ?"),
      leafTiles: db.prepare("SELECT key AS tile, hashes FROM tiles WHERE key >= ? AND key <= ?"),
      children: db.prepare(`SELECT child FROM edges WHERE parent = (SELECT idx FROM entries WHERE ${BY_ID}) UNION SELECT child FROM edges_by_id WHERE parent = @id ORDER BY child`),
      checkpoints: db.prepare("SELECT size, note FROM checkpoints ORDER BY size"),
      checkpointsAfter: db.prepare("SELECT size, note FROM checkpoints WHERE size > ? ORDER BY size LIMIT ?"),
      latest: db.prepare("SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1"),
      getObject: db.prepare("SELECT text FROM objects WHERE id = ?"),
      putObject: db.prepare("INSERT OR IGNORE INTO objects (id, text) VALUES (?, ?)"),
      getMeta: db.prepare("SELECT value FROM meta WHERE key = ?"),
      setMeta: db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"),
    };
    const st = this.st;
    const insertEntries = new RowsStatement(db, (n) => `INSERT INTO entries (idx, id, data, parents) VALUES ${placeholders(n, "(?, ?, ?, ?)")}`, 4);
    const insertEdges = new RowsStatement(db, (n) => `INSERT OR IGNORE INTO edges (parent, child) VALUES ${placeholders(n, "(?, ?)")}`, 2);
    const storedIds = new RowsStatement(db, (n) => `SELECT idx, id FROM entries WHERE ${ID_KEY} IN (${placeholders(n, "substr(?, 8, 12)")})`, 1);
    this.tileRows = { get: (key) => blobOrUndefined(st.getTile!.get(key)?.hashes), put: (key, hashes) => st.putTile!.run(key, hashes) };
    const transaction = db.transaction((batch: AppendBatch, written: Map<number, Uint8Array>) => {
      const size = Number(st.size!.get()!.n);
      const problem = batchProblem(batch, size);
      if (problem !== undefined) throw problem;
      const entries = batch.entries;
      const rows: unknown[] = new Array<unknown>(entries.length * 4);
      const batchIndex = new Map<string, number>();
      for (let k = 0; k < entries.length; k++) {
        const e = entries[k]!;
        rows[k * 4] = e.index;
        rows[k * 4 + 1] = e.id;
        rows[k * 4 + 2] = e.data;
        rows[k * 4 + 3] = JSON.stringify(e.parents);
        batchIndex.set(e.id, e.index);
      }
      // One lookup for the batch's ids (a stored one is a duplicate) and its parents from earlier batches
      // (a parent in the batch is linked by its index here, and is one of the batch's ids looked up anyway).
      const wanted = new Set<string>(batchIndex.keys());
      for (const e of entries) for (const p of e.parents) if (!batchIndex.has(p)) wanted.add(p);
      const stored = new Map<string, number>();
      for (const r of storedIds.exec([...wanted], true)) if (wanted.has(String(r.id))) stored.set(String(r.id), Number(r.idx));
      for (const e of entries) if (stored.has(e.id)) throw new StoreError("duplicate", `event already in the log (${e.id})`);
      insertEntries.exec(rows, false);
      // A parent in this batch or already stored is linked by its index; any other parent id by the id itself.
      const links: unknown[] = [];
      for (const e of entries) {
        for (const p of e.parents) {
          const at = batchIndex.get(p) ?? stored.get(p);
          if (at === undefined) st.insertEdgeById!.run(p, e.index);
          else links.push(at, e.index);
        }
      }
      insertEdges.exec(links, false);
      this.writeNodes(batch, size, written);
      if (batch.checkpoint !== undefined) st.insertCheckpoint!.run(batch.checkpoint.size, batch.checkpoint.note);
      return size + entries.length;
    });
    this.writeBatch = (batch) => {
      const written = new Map<number, Uint8Array>();
      let size: number;
      try {
        size = transaction(batch, written);
        this.recentTiles = { size, rows: written };
      } catch (e) {
        this.recentTiles = undefined;
        throw e;
      }
      if (Math.floor(size / WAL_RESIZE_EVERY) !== Math.floor(this.walSizedAt / WAL_RESIZE_EVERY)) this.sizeWal(size);
    };
    this.sizeWal(Number(st.size!.get()!.n));
  }

  /**
   * Size the WAL for a log of `size` events ({@link walSizing}): checkpoints every ~40 MB of WAL
   * up to 200,000 events, then further apart as the log grows, up to ~400 MB at 2 million.
   * The event-id index is keyed by hash, so once it has more pages than a batch has events each
   * event dirties an index page of its own; a checkpoint copies each dirty page back once, so
   * the longer the WAL against the index, the more events share that copy. A WAL file is never
   * cut back below what it grows to between checkpoints: a commit that grows the file (rather
   * than overwriting it from the start after a checkpoint) also syncs the file's metadata, and a
   * sequential governed execution took 1.5× as long while the WAL was growing. Durability is
   * unchanged: with synchronous=FULL every commit still fsyncs the WAL. A longer WAL costs disk
   * space and, after a crash, a longer rebuild of its index. See docs/benchmarks.md, "A long run".
   */
  private sizeWal(size: number): void {
    const { pages, limitBytes } = walSizing(size);
    this.walSizedAt = size;
    this.db!.pragma(`wal_autocheckpoint = ${pages}`);
    this.db!.pragma(`journal_size_limit = ${limitBytes}`);
  }

  /**
   * Merge the batch's nodes into their tile rows (see `sqlite-tiles.ts`), taking the rows the
   * previous batch of this store wrote from memory when nothing was appended since (`size`, read
   * in this transaction, is the size that batch left). Records every row written in `written`.
   */
  private writeNodes(batch: AppendBatch, size: number, written: Map<number, Uint8Array>): void {
    const recent = this.recentTiles !== undefined && this.recentTiles.size === size ? this.recentTiles.rows : undefined;
    mergeNodes(
      {
        get: (key) => recent?.get(key) ?? this.tileRows.get(key),
        put: (key, hashes) => {
          this.tileRows.put(key, hashes);
          written.set(key, hashes);
        },
      },
      batch.nodes,
    );
  }

  /** Level-0 hashes for entries [start, end): slot i − start, undefined where none is stored. */
  private leafHashes(start: number, end: number): (Uint8Array | undefined)[] {
    const out = new Array<Uint8Array | undefined>(Math.max(0, end - start));
    if (end <= start) return out;
    for (const r of this.st.leafTiles!.all(leafTileKey(start), leafTileKey(end - 1))) {
      // NOTE: odd keys in the range are inner tiles (levels 1–5), not leaves.
      if (Number(r.tile) % 2 !== 0) continue;
      const base = leafTileStart(Number(r.tile));
      const b = bytes(r.hashes);
      for (let k = 0; k * 32 + 32 <= b.length; k++) {
        const i = base + k;
        if (i < start || i >= end) continue;
        const h = b.subarray(k * 32, k * 32 + 32);
        if (!isZero(h)) out[i - start] = h;
      }
    }
    return out;
  }

  /** Entries from raw rows `[idx, id, data, parents]` in index order. */
  private rows(rows: unknown[][]): StoredEntry[] {
    if (rows.length === 0) return [];
    const start = Number(rows[0]![0]);
    const leaves = this.leafHashes(start, Number(rows[rows.length - 1]![0]) + 1);
    return rows.map((r) => {
      const index = Number(r[0]);
      if (!(r[2] instanceof Uint8Array)) throw new StoreError("io", `entry ${index}: the stored data is not a blob (SQL type ${sqlType(r[2])})`);
      return new SqliteEntry(index, String(r[1]), bytes(r[2]), r[3], leaves[index - start]);
    });
  }

  private open(): Database {
    if (this.db === undefined) throw new StoreError("closed", "the lineage store is closed");
    return this.db;
  }

  private read<T>(fn: () => T): T {
    this.open();
    try {
      return fn();
    } catch (e) {
      if (e instanceof StoreError) throw e;
      throw new StoreError("io", `lineage store read failed: ${errorText(e)}`);
    }
  }

  /** @inheritdoc */
  async size(): Promise<number> {
    return this.read(() => Number(this.st.size!.get()!.n));
  }

  /** @inheritdoc */
  async append(batch: AppendBatch): Promise<void> {
    this.open();
    try {
      this.writeBatch(batch);
    } catch (e) {
      throw writeError(e);
    }
  }

  /** @inheritdoc */
  async readRange(start: number, end: number): Promise<StoredEntry[]> {
    return this.read(() => this.rows(this.st.range!.all(start, end) as unknown as unknown[][]));
  }

  /**
   * Verification fast path ({@link LeafScanSource}): entries without parents,
   * the leaf hash input 0x00 ‖ data read as text. The text is used only when
   * it is provably those bytes: it starts with the 0x00, has no U+FFFD (so the
   * bytes were valid UTF-8, decoded losslessly) and a UTF-8 length of one plus
   * the blob's (nothing cut off), in a database whose text encoding is UTF-8
   * (elsewhere SQLite would transcode). Otherwise the row carries the blob.
   */
  async scanLeaves(start: number, end: number): Promise<LeafRow[]> {
    return this.read(() => {
      const rows = this.st.scan!.all(start, end) as unknown as unknown[][];
      if (rows.length === 0) return [];
      const first = Number(rows[0]![0]);
      const leaves = this.leafHashes(first, Number(rows[rows.length - 1]![0]) + 1);
      const out = new Array<LeafRow>(rows.length);
      for (let k = 0; k < rows.length; k++) {
        const r = rows[k]!;
        const index = Number(r[0]);
        const text = r[2];
        const exact =
          this.utf8 && typeof text === "string" && text.charCodeAt(0) === 0 && !text.includes("\uFFFD") && Buffer.byteLength(text, "utf8") === Number(r[3]) + 1;
        if (exact) out[k] = { index, id: String(r[1]), leafInput: text, leafHash: leaves[index - first] };
        else {
          const cell = this.st.dataAt!.get(index)?.data;
          out[k] =
            cell instanceof Uint8Array
              ? { index, id: String(r[1]), data: bytes(cell), leafHash: leaves[index - first] }
              : { index, id: String(r[1]), corrupt: `the stored data is not a blob (SQL type ${sqlType(cell)})`, leafHash: leaves[index - first] };
        }
      }
      return out;
    });
  }

  /** @inheritdoc */
  async get(index: number): Promise<StoredEntry | undefined> {
    return this.read(() => {
      const r = this.st.range!.get(index, index + 1) as unknown as unknown[] | undefined;
      return r === undefined ? undefined : this.rows([r])[0];
    });
  }

  /** @inheritdoc */
  async findById(id: string): Promise<StoredEntry | undefined> {
    return this.read(() => {
      const r = this.st.byId!.get({ id }) as unknown as unknown[] | undefined;
      return r === undefined ? undefined : this.rows([r])[0];
    });
  }

  /** @inheritdoc */
  async findChildren(parentId: string): Promise<number[]> {
    return this.read(() => this.st.children!.all({ id: parentId }).map((r) => Number(r.child)));
  }

  /** @inheritdoc */
  async readNodes(coords: readonly NodeCoord[]): Promise<(Hash | undefined)[]> {
    return this.read(() =>
      coords.map((c) => {
        const slot = tileSlot(c.level, c.index);
        const r = this.st.nodeSlice!.get(slot.offset + 1, slot.key);
        if (r === undefined || !(r.hash instanceof Uint8Array) || r.hash.length !== 32) return undefined;
        const h = bytes(r.hash);
        return isZero(h) ? undefined : h;
      }),
    );
  }

  /** @inheritdoc */
  async putCheckpoint(checkpoint: StoredCheckpoint): Promise<void> {
    this.open();
    try {
      this.st.insertCheckpoint!.run(checkpoint.size, checkpoint.note);
    } catch (e) {
      throw writeError(e);
    }
  }

  /** @inheritdoc */
  async checkpoints(): Promise<StoredCheckpoint[]> {
    return this.read(() => this.st.checkpoints!.all().map((r) => ({ size: Number(r.size), note: String(r.note) })));
  }

  /** @inheritdoc */
  async checkpointsAfter(after: number, limit: number): Promise<StoredCheckpoint[]> {
    return this.read(() => this.st.checkpointsAfter!.all(after, limit).map((r) => ({ size: Number(r.size), note: String(r.note) })));
  }

  /** @inheritdoc */
  async latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    return this.read(() => {
      const r = this.st.latest!.get();
      return r === undefined ? undefined : { size: Number(r.size), note: String(r.note) };
    });
  }

  /** @inheritdoc */
  async putObject(id: string, text: string): Promise<void> {
    this.open();
    let old: string | undefined;
    try {
      this.st.putObject!.run(id, text);
      const r = this.st.getObject!.get(id);
      old = r === undefined ? undefined : String(r.text);
    } catch (e) {
      throw writeError(e);
    }
    if (old !== text) throw new StoreError("object-mismatch", `object ${id} is already stored with different text`);
  }

  /** @inheritdoc */
  async getObject(id: string): Promise<string | undefined> {
    return this.read(() => {
      const r = this.st.getObject!.get(id);
      return r === undefined ? undefined : String(r.text);
    });
  }

  /** @inheritdoc */
  async getMeta(key: string): Promise<string | undefined> {
    return this.read(() => {
      const r = this.st.getMeta!.get(key);
      return r === undefined ? undefined : String(r.value);
    });
  }

  /** @inheritdoc */
  async setMeta(key: string, value: string): Promise<void> {
    this.open();
    try {
      this.st.setMeta!.run(key, value);
    } catch (e) {
      throw writeError(e);
    }
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    db?.close();
  }
}
