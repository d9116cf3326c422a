/**
 * The lineage store on PostgreSQL (`pg`): the store several `writ serve` nodes share.
 *
 * Sequencing, as transparency logs do it on a database: every append is one transaction
 * that locks the one coordination row (`log_state … FOR UPDATE`), reads the size, writes the
 * batch's entries, parent edges and subtree hashes in bulk (one `INSERT … SELECT FROM unnest`
 * per table; the variable-length bytes travel as one binary parameter cut by offsets, which
 * costs PostgreSQL far less than an array of hex literals), the checkpoint, and the new size,
 * then commits. Subtree hashes live in tiles of {@link TILE_WIDTH} consecutive hashes of one
 * level (C2SP tlog-tiles style): a batch rewrites a few tile rows instead of inserting two
 * rows per event. Writers on other connections —
 * other processes — wait on the row lock, so indices are contiguous and batches never
 * interleave. With {@link PostgresLineageStore.appendSequenced} the log builds its batch while
 * holding the lock (catching up first with what another node appended), so a node never
 * wastes a signed batch on a conflict.
 *
 * Durability: an append resolves only after COMMIT returned; with PostgreSQL's defaults
 * (`fsync=on`, `synchronous_commit=on`) the commit record is flushed to the WAL first. If the
 * connection fails before COMMIT returns the append rejects (kind `io`): the batch may or may
 * not have committed, nothing was acknowledged, and the log catches up with the stored tree
 * before its next batch.
 *
 * Each committed append notifies the channel `<schema>.log` with the new size (LISTEN/NOTIFY,
 * delivered on commit): witnesses and subscribers learn of new checkpoints without polling.
 *
 * NOTE: Node only.
 */
import pg from "pg";
import type { PoolClient } from "pg";
import { failure, type Failure } from "../runtime/index.js";
import { batchProblem, StoreError } from "../runtime/lineage/store.js";
import type { AppendBatch, LineageStore, NodeCoord, SequencedAppend, StoredCheckpoint, StoredEntry } from "../runtime/lineage/store.js";
import { DEFAULT_SCHEMA, migrate, SCHEMA_NAME, schemaVersion, versionProblem } from "./pg-schema.js";

/** Subtree hashes per tile row (consecutive indices of one level). */
export const TILE_WIDTH = 64;

const HASH = 32;

/** Byte strings packed into one buffer with their 1-based offsets and lengths (cut apart by `substring` in SQL). */
function packed(parts: readonly Uint8Array[]): { blob: Buffer; offsets: number[]; lengths: number[] } {
  const offsets: number[] = [];
  const lengths: number[] = [];
  let at = 1;
  for (const p of parts) {
    offsets.push(at);
    lengths.push(p.byteLength);
    at += p.byteLength;
  }
  return { blob: Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))), offsets, lengths };
}

/** A stored 32-byte hash slice, or undefined when absent (short, or never written: all zeros). */
function slot(bytes: Buffer | null | undefined): Uint8Array | undefined {
  if (bytes === null || bytes === undefined || bytes.length !== HASH) return undefined;
  for (let i = 0; i < HASH; i++) if (bytes[i] !== 0) return bytes;
  return undefined;
}

/** Options of {@link openPostgresStore}. */
export interface PostgresStoreOptions {
  /** Connection string, `postgres://user@host:port/database`. */
  readonly url: string;
  /** PostgreSQL schema holding the mesh's tables (default `writ`); several meshes can share one database. */
  readonly schema?: string;
  /** Create or migrate the schema to this build's version (default false: `writ mesh init` does it). */
  readonly migrate?: boolean;
  /** Most pooled connections (default 4; at least 2: an append holds one while the log reads). */
  readonly maxConnections?: number;
}

/** Outcome of {@link openPostgresStore}. */
export type OpenPostgresResult = { readonly ok: true; readonly store: PostgresLineageStore } | Failure;

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Map a PostgreSQL or connection failure to a {@link StoreError}. */
function storeError(e: unknown, writing: boolean): StoreError {
  if (e instanceof StoreError) return e;
  const code = (e as { code?: unknown }).code;
  const constraint = String((e as { constraint?: unknown }).constraint ?? "");
  if (code === "23505" && constraint.endsWith("entries_id_key")) return new StoreError("duplicate", `event already in the log (${errorText(e)})`);
  if (typeof code === "string" && code.startsWith("23")) return new StoreError("conflict", `write conflicts with stored data (${errorText(e)})`);
  return new StoreError("io", `lineage store ${writing ? "write" : "read"} failed: ${errorText(e)}`);
}

/** One query inside a {@link PostgresLineageStore.transaction}; failures reject as {@link StoreError}. */
export type TxQuery = <R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values?: readonly unknown[]) => Promise<pg.QueryResult<R>>;

/**
 * Open a PostgreSQL lineage store; checks the schema version (W6212 when it is newer than
 * this build, or older and `migrate` is not set). Never throws.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<OpenPostgresResult> {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  if (!SCHEMA_NAME.test(schema)) return failure("W6205", { detail: `invalid schema name ${JSON.stringify(schema)} (lowercase letters, digits and _)` });
  const pool = new pg.Pool({ connectionString: options.url, max: Math.max(2, options.maxConnections ?? 4), connectionTimeoutMillis: 10_000 });
  // An idle pooled connection that the server closes (restart, pg_terminate_backend) is dropped; the next query reconnects.
  pool.on("error", () => undefined);
  let client: PoolClient | undefined;
  try {
    client = await pool.connect();
    const version = options.migrate === true ? (await migrate(client, schema), undefined) : await schemaVersion(client, schema);
    const problem = version === undefined ? undefined : versionProblem(version);
    client.release();
    client = undefined;
    if (problem !== undefined) {
      await pool.end();
      return failure("W6212", { detail: problem });
    }
    return { ok: true, store: new PostgresLineageStore(pool, schema) };
  } catch (e) {
    client?.release(true);
    await pool.end().catch(() => undefined);
    const msg = errorText(e);
    return failure(/newer than this Writ/.test(msg) ? "W6212" : "W6205", { detail: `cannot open the PostgreSQL lineage store: ${msg}` });
  }
}

/** Rows of `entries` joined with their level-0 node. */
interface EntryRow {
  idx: string;
  id: string;
  data: Buffer;
  parents: string;
  leaf: Buffer | null;
}

function entryOf(r: EntryRow): StoredEntry {
  let parents: string[] = [];
  try {
    const v: unknown = JSON.parse(r.parents);
    if (Array.isArray(v)) parents = v.map(String);
  } catch {
    parents = [];
  }
  return { index: Number(r.idx), id: r.id, data: r.data, parents, leafHash: slot(r.leaf) };
}

/** A {@link LineageStore} on PostgreSQL (with {@link SequencedAppend}). Create with {@link openPostgresStore}. */
export class PostgresLineageStore implements LineageStore, SequencedAppend {
  /** Implementation name. */
  readonly kind = "postgres";
  private closed = false;
  private readonly sql: Record<string, string>;

  /** @internal use {@link openPostgresStore}. */
  constructor(
    /** The connection pool (the mesh's records, pins and cosignatures use it too). */
    readonly pool: pg.Pool,
    /** The PostgreSQL schema holding the tables. */
    readonly schema: string,
  ) {
    const S = `${schema}.`;
    const entryCols = `e.idx, e.id, e.data, e.parents, substring(t.hashes FROM (e.idx % ${TILE_WIDTH})::int * ${HASH} + 1 FOR ${HASH}) AS leaf FROM ${S}entries e LEFT JOIN ${S}tiles t ON t.level = 0 AND t.tile = e.idx / ${TILE_WIDTH}`;
    this.sql = {
      size: `SELECT size FROM ${S}log_state`,
      lock: `SELECT size FROM ${S}log_state WHERE id FOR UPDATE`,
      readTiles: `SELECT level, tile, hashes FROM ${S}tiles WHERE (level, tile) IN (SELECT * FROM unnest($1::smallint[], $2::bigint[]))`,
      // One statement, one round trip: every table of a batch written by data-modifying CTEs.
      write: `WITH e AS (
          INSERT INTO ${S}entries (idx, id, data, parents)
          SELECT u.idx, u.id, substring($3::bytea FROM u.o FOR u.l), u.p FROM unnest($1::bigint[], $2::text[], $4::int[], $5::int[], $6::text[]) AS u(idx, id, o, l, p)),
        g AS (INSERT INTO ${S}edges (parent, child) SELECT * FROM unnest($7::text[], $8::bigint[]) ON CONFLICT DO NOTHING),
        t AS (
          INSERT INTO ${S}tiles (level, tile, hashes)
          SELECT u.level, u.tile, substring($11::bytea FROM u.o FOR u.l) FROM unnest($9::smallint[], $10::bigint[], $12::int[], $13::int[]) AS u(level, tile, o, l)
          ON CONFLICT (level, tile) DO UPDATE SET hashes = EXCLUDED.hashes),
        c AS (INSERT INTO ${S}checkpoints (size, note) SELECT $14::bigint, $15::text WHERE $15::text IS NOT NULL),
        s AS (UPDATE ${S}log_state SET size = $16::bigint WHERE id AND $17::boolean)
        SELECT pg_notify($18, $16::text) WHERE $17::boolean`,
      checkpoint: `INSERT INTO ${S}checkpoints (size, note) VALUES ($1, $2)`,
      range: `SELECT ${entryCols} WHERE e.idx >= $1 AND e.idx < $2 ORDER BY e.idx`,
      byId: `SELECT ${entryCols} WHERE e.id = $1`,
      children: `SELECT child FROM ${S}edges WHERE parent = $1 ORDER BY child`,
      readNodes: `SELECT u.i, substring(t.hashes FROM u.s * ${HASH} + 1 FOR ${HASH}) AS hash FROM unnest($1::smallint[], $2::bigint[], $3::int[]) WITH ORDINALITY AS u(level, tile, s, i) JOIN ${S}tiles t ON t.level = u.level AND t.tile = u.tile`,
      checkpoints: `SELECT size, note FROM ${S}checkpoints ORDER BY size`,
      checkpointsAfter: `SELECT size, note FROM ${S}checkpoints WHERE size > $1 ORDER BY size LIMIT $2`,
      latest: `SELECT size, note FROM ${S}checkpoints ORDER BY size DESC LIMIT 1`,
      putObject: `INSERT INTO ${S}objects (id, text) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`,
      getObject: `SELECT text FROM ${S}objects WHERE id = $1`,
      getMeta: `SELECT value FROM ${S}meta WHERE key = $1`,
      setMeta: `INSERT INTO ${S}meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
    };
  }

  /** The LISTEN/NOTIFY channel announcing each committed append (payload: the new size). */
  get logChannel(): string {
    return `${this.schema}.log`;
  }

  private check(): void {
    if (this.closed) throw new StoreError("closed", "the lineage store is closed");
  }

  /** Run one query (a read, or a write of its own), mapping failures to {@link StoreError}. */
  async query<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values: readonly unknown[] = [], writing = false): Promise<pg.QueryResult<R>> {
    this.check();
    try {
      return await this.pool.query<R>(text, values as unknown[]);
    } catch (e) {
      throw storeError(e, writing);
    }
  }

  /**
   * Run `fn` in one transaction on one connection: committed when it resolves, rolled back
   * when it throws. Queries through `query` reject as {@link StoreError}; anything else `fn`
   * throws passes through unchanged. A connection that failed is discarded, not reused.
   */
  async transaction<T>(fn: (query: TxQuery, opened: pg.QueryResult | undefined) => Promise<T>, opening?: string): Promise<T> {
    this.check();
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw new StoreError("io", `cannot connect to the lineage store: ${errorText(e)}`);
    }
    let discard = false;
    // INVARIANT: a connection lost while no query runs on it (while the caller builds its batch)
    // emits 'error' on the client; without a listener that would end the process.
    const lost = (): void => {
      discard = true;
    };
    client.on("error", lost);
    const query: TxQuery = async (text, values = []) => {
      try {
        return await client.query(text, values as unknown[]);
      } catch (e) {
        const se = storeError(e, true);
        if (se.kind === "io") discard = true;
        throw se;
      }
    };
    try {
      // `opening` (a statement without parameters) travels with BEGIN: one round trip.
      const begun = (await query(opening === undefined ? "BEGIN" : `BEGIN; ${opening}`)) as unknown as pg.QueryResult | pg.QueryResult[];
      const out = await fn(query, Array.isArray(begun) ? begun[1] : undefined);
      await query("COMMIT");
      return out;
    } catch (e) {
      await client.query("ROLLBACK").catch(() => (discard = true));
      throw e;
    } finally {
      client.off("error", lost);
      client.release(discard ? true : undefined);
    }
  }

  /** Write a checked batch on a connection holding the lock, at `size`: read the touched tiles, then one statement. */
  private async writeBatch(c: TxQuery, batch: AppendBatch, size: number): Promise<void> {
    const problem = batchProblem(batch, size);
    if (problem !== undefined) throw problem;
    const es = batch.entries;
    const data = packed(es.map((e) => e.data));
    const parents: string[] = [];
    const children: number[] = [];
    for (const e of es) for (const p of e.parents) (parents.push(p), children.push(e.index));
    const tiles = batch.nodes.length === 0 ? [] : await this.patchedTiles(c, batch);
    const tileBytes = packed(tiles.map((t) => t.bytes.subarray(0, t.used)));
    const after = size + es.length;
    await c(this.sql.write!, [
      es.map((e) => e.index),
      es.map((e) => e.id),
      data.blob,
      data.offsets,
      data.lengths,
      es.map((e) => JSON.stringify(e.parents)),
      parents,
      children,
      tiles.map((t) => t.level),
      tiles.map((t) => t.tile),
      tileBytes.blob,
      tileBytes.offsets,
      tileBytes.lengths,
      batch.checkpoint?.size ?? 0,
      batch.checkpoint?.note ?? null,
      after,
      es.length > 0,
      this.logChannel,
    ]);
  }

  /**
   * The tiles the batch's subtree hashes fall in, read once and patched (under the row lock:
   * no other writer changes them meanwhile).
   */
  private async patchedTiles(c: TxQuery, batch: AppendBatch): Promise<{ level: number; tile: number; bytes: Buffer; used: number }[]> {
    const touched = new Map<string, { level: number; tile: number; bytes: Buffer; used: number }>();
    for (const n of batch.nodes) {
      const tile = Math.floor(n.index / TILE_WIDTH);
      const key = `${n.level}:${tile}`;
      if (!touched.has(key)) touched.set(key, { level: n.level, tile, bytes: Buffer.alloc(TILE_WIDTH * HASH), used: 0 });
    }
    const ts = [...touched.values()];
    const old = await c<{ level: number; tile: string; hashes: Buffer }>(this.sql.readTiles!, [ts.map((t) => t.level), ts.map((t) => t.tile)]);
    for (const r of old.rows) {
      const t = touched.get(`${r.level}:${r.tile}`)!;
      const b = r.hashes.subarray(0, TILE_WIDTH * HASH);
      b.copy(t.bytes);
      t.used = b.length;
    }
    for (const n of batch.nodes) {
      const t = touched.get(`${n.level}:${Math.floor(n.index / TILE_WIDTH)}`)!;
      const off = (n.index % TILE_WIDTH) * HASH;
      t.bytes.set(n.hash, off);
      t.used = Math.max(t.used, off + HASH);
    }
    return ts;
  }

  /** The size read under the coordination row lock (held until the transaction ends). */
  private static lockedSize(opened: pg.QueryResult | undefined): number {
    return Number((opened!.rows[0] as { size: string }).size);
  }

  /** @inheritdoc */
  async size(): Promise<number> {
    const r = await this.query<{ size: string }>(this.sql.size!);
    return Number(r.rows[0]!.size);
  }

  /** @inheritdoc */
  async append(batch: AppendBatch): Promise<void> {
    await this.transaction(async (c, opened) => this.writeBatch(c, batch, PostgresLineageStore.lockedSize(opened)), this.sql.lock);
  }

  /** @inheritdoc */
  async appendSequenced(build: (size: number) => Promise<AppendBatch>): Promise<void> {
    await this.transaction(async (c, opened) => {
      const size = PostgresLineageStore.lockedSize(opened);
      await this.writeBatch(c, await build(size), size);
    }, this.sql.lock);
  }

  /** @inheritdoc */
  async readRange(start: number, end: number): Promise<StoredEntry[]> {
    if (end <= start) return [];
    return (await this.query<EntryRow>(this.sql.range!, [start, end])).rows.map(entryOf);
  }

  /** @inheritdoc */
  async get(index: number): Promise<StoredEntry | undefined> {
    return (await this.readRange(index, index + 1))[0];
  }

  /** @inheritdoc */
  async findById(id: string): Promise<StoredEntry | undefined> {
    const r = (await this.query<EntryRow>(this.sql.byId!, [id])).rows[0];
    return r === undefined ? undefined : entryOf(r);
  }

  /** @inheritdoc */
  async findChildren(parentId: string): Promise<number[]> {
    return (await this.query<{ child: string }>(this.sql.children!, [parentId])).rows.map((r) => Number(r.child));
  }

  /** @inheritdoc */
  async readNodes(coords: readonly NodeCoord[]): Promise<(Uint8Array | undefined)[]> {
    if (coords.length === 0) return [];
    const r = await this.query<{ i: string; hash: Buffer | null }>(this.sql.readNodes!, [
      coords.map((c) => c.level),
      coords.map((c) => Math.floor(c.index / TILE_WIDTH)),
      coords.map((c) => c.index % TILE_WIDTH),
    ]);
    const out = new Array<Uint8Array | undefined>(coords.length);
    for (const row of r.rows) out[Number(row.i) - 1] = slot(row.hash);
    return out;
  }

  /** @inheritdoc */
  async putCheckpoint(checkpoint: StoredCheckpoint): Promise<void> {
    await this.query(this.sql.checkpoint!, [checkpoint.size, checkpoint.note], true);
  }

  /** @inheritdoc */
  async checkpoints(): Promise<StoredCheckpoint[]> {
    return (await this.query<{ size: string; note: string }>(this.sql.checkpoints!)).rows.map((r) => ({ size: Number(r.size), note: r.note }));
  }

  /** @inheritdoc */
  async checkpointsAfter(after: number, limit: number): Promise<StoredCheckpoint[]> {
    return (await this.query<{ size: string; note: string }>(this.sql.checkpointsAfter!, [after, limit])).rows.map((r) => ({ size: Number(r.size), note: r.note }));
  }

  /** @inheritdoc */
  async latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    const r = (await this.query<{ size: string; note: string }>(this.sql.latest!)).rows[0];
    return r === undefined ? undefined : { size: Number(r.size), note: r.note };
  }

  /** @inheritdoc */
  async putObject(id: string, text: string): Promise<void> {
    await this.query(this.sql.putObject!, [id, text], true);
    const stored = await this.getObject(id);
    if (stored !== text) throw new StoreError("object-mismatch", `object ${id} is already stored with different text`);
  }

  /** @inheritdoc */
  async getObject(id: string): Promise<string | undefined> {
    return (await this.query<{ text: string }>(this.sql.getObject!, [id])).rows[0]?.text;
  }

  /** @inheritdoc */
  async getMeta(key: string): Promise<string | undefined> {
    return (await this.query<{ value: string }>(this.sql.getMeta!, [key])).rows[0]?.value;
  }

  /** @inheritdoc */
  async setMeta(key: string, value: string): Promise<void> {
    await this.query(this.sql.setMeta!, [key, value], true);
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end().catch(() => undefined);
  }
}
