/**
 * The PostgreSQL schema of a mesh, created and migrated by Writ: numbered migrations, the
 * version recorded in `<schema>.writ_schema`, checked at every open.
 *
 * - Migration k takes the schema from version k to k + 1, in one transaction, under an
 *   advisory lock so that two processes migrating at once do it once.
 * - A schema of a newer version than this build knows is refused (W6212): an older Writ must
 *   not write a log it does not understand. An older one is migrated only when asked
 *   (`writ mesh init`), never behind the back of nodes still running the older Writ.
 *
 * Tables (all in one PostgreSQL schema, `writ` by default):
 * - `log_state`: the one coordination row (`size`), locked `FOR UPDATE` by every append;
 * - `entries`, `edges`, `tiles`, `checkpoints`, `objects`, `meta`: the lineage store (subtree
 *   hashes in tiles of 64 consecutive hashes of one level, C2SP tlog-tiles style);
 * - `mesh_records`: operator-signed records (mesh, enrollments, revocations, pins);
 * - `pins`: the documents of pinned bundles and entity snapshots;
 * - `cosignatures`: witness cosignatures per checkpoint size;
 * - `node_status`: each serving node's last heartbeat (active bundle and snapshot, readiness).
 *
 * NOTE: Node only.
 */
import type { PoolClient } from "pg";

/** A valid PostgreSQL schema name for a mesh (lowercase identifier, quoted nowhere). */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The default PostgreSQL schema of a mesh. */
export const DEFAULT_SCHEMA = "writ";

/**
 * The migrations, in order; `S.` stands for the schema. Ids are compared byte-wise
 * (`COLLATE "C"`): whatever the database's default collation, the unique index over event ids
 * stays cheap (no locale-aware comparison per key) and means exact equality.
 */
const MIGRATIONS: readonly (readonly string[])[] = [
  // 0 → 1: the lineage store.
  [
    `CREATE TABLE S.log_state (id boolean PRIMARY KEY DEFAULT true CHECK (id), size bigint NOT NULL)`,
    `INSERT INTO S.log_state (id, size) VALUES (true, 0)`,
    `CREATE TABLE S.entries (idx bigint PRIMARY KEY, id text COLLATE "C" NOT NULL UNIQUE, data bytea NOT NULL, parents text NOT NULL)`,
    `CREATE TABLE S.edges (parent text COLLATE "C" NOT NULL, child bigint NOT NULL, PRIMARY KEY (parent, child))`,
    `CREATE TABLE S.tiles (level smallint NOT NULL, tile bigint NOT NULL, hashes bytea NOT NULL, PRIMARY KEY (level, tile))`,
    `CREATE TABLE S.checkpoints (size bigint PRIMARY KEY, note text NOT NULL)`,
    `CREATE TABLE S.objects (id text COLLATE "C" PRIMARY KEY, text text NOT NULL)`,
    `CREATE TABLE S.meta (key text PRIMARY KEY, value text NOT NULL)`,
  ],
  // 1 → 2: the mesh: signed records, pinned documents, cosignatures.
  [
    `CREATE TABLE S.mesh_records (seq bigint PRIMARY KEY, kind text NOT NULL, envelope text NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now())`,
    `CREATE TABLE S.pins (record_seq bigint PRIMARY KEY REFERENCES S.mesh_records (seq), kind text NOT NULL, object_id text NOT NULL, document text NOT NULL)`,
    `CREATE TABLE S.cosignatures (size bigint NOT NULL, witness text NOT NULL, line text NOT NULL, cosigned_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (size, witness))`,
  ],
  // 2 → 3: live node status (heartbeats of `writ serve` nodes) and when each checkpoint was stored.
  [
    `CREATE TABLE S.node_status (node text PRIMARY KEY, status text NOT NULL, seen_at timestamptz NOT NULL DEFAULT now())`,
    `ALTER TABLE S.checkpoints ADD COLUMN stored_at timestamptz NOT NULL DEFAULT now()`,
  ],
];

/** The schema version this build writes. */
export const PG_STORE_VERSION = MIGRATIONS.length;

/** The schema's recorded version (0 when it has no Writ tables yet). */
export async function schemaVersion(client: PoolClient, schema: string): Promise<number> {
  const has = await client.query("SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'writ_schema'", [schema]);
  if (has.rowCount === 0) return 0;
  const r = await client.query(`SELECT version FROM ${schema}.writ_schema`);
  return r.rows.length === 0 ? 0 : Number(r.rows[0].version);
}

/** Why a schema of `version` cannot be used by this build as it is, if so. */
export function versionProblem(version: number): string | undefined {
  if (version > PG_STORE_VERSION) {
    return `the mesh store has schema version ${version}, newer than this Writ understands (${PG_STORE_VERSION}): upgrade Writ to use it`;
  }
  if (version < PG_STORE_VERSION) {
    return `the mesh store has schema version ${version} and this Writ needs ${PG_STORE_VERSION}: run \`writ mesh init\` to create or migrate it`;
  }
  return undefined;
}

/**
 * Bring `schema` to {@link PG_STORE_VERSION} (creating it if needed) in one transaction.
 * Returns the version found before, or throws with why it cannot (a newer version).
 */
export async function migrate(client: PoolClient, schema: string): Promise<number> {
  await client.query("BEGIN");
  try {
    // INVARIANT: one migrator at a time per database; the others wait, then find the work done.
    await client.query("SELECT pg_advisory_xact_lock(hashtext('writ-mesh-migrate'))");
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.writ_schema (id boolean PRIMARY KEY DEFAULT true CHECK (id), version integer NOT NULL)`);
    const before = await schemaVersion(client, schema);
    if (before > PG_STORE_VERSION) throw new Error(versionProblem(before));
    for (let v = before; v < PG_STORE_VERSION; v++) {
      for (const sql of MIGRATIONS[v]!) await client.query(sql.replaceAll("S.", `${schema}.`));
    }
    await client.query(`INSERT INTO ${schema}.writ_schema (id, version) VALUES (true, $1) ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version`, [PG_STORE_VERSION]);
    await client.query("COMMIT");
    return before;
  } catch (e) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw e;
  }
}

/** Apply only the migrations up to `version` (tests of the migration path). */
export async function migrateTo(client: PoolClient, schema: string, version: number): Promise<void> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.writ_schema (id boolean PRIMARY KEY DEFAULT true CHECK (id), version integer NOT NULL)`);
  for (let v = 0; v < version; v++) for (const sql of MIGRATIONS[v]!) await client.query(sql.replaceAll("S.", `${schema}.`));
  await client.query(`INSERT INTO ${schema}.writ_schema (id, version) VALUES (true, $1)`, [version]);
}
