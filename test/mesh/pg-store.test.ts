/**
 * The PostgreSQL lineage store against the one store contract, its schema versions, and
 * the sequencing of several writers on one database.
 */
import { describe, expect, it } from "vitest";
import pg from "pg";
import { nodeCrypto } from "../../runtime/crypto/node-crypto.js";
import { nodeSigner } from "../../runtime/lineage/local-log.js";
import { LineageLog } from "../../runtime/lineage/log.js";
import { openPostgresStore } from "../../mesh/pg-store.js";
import { migrateTo, PG_STORE_VERSION } from "../../mesh/pg-schema.js";
import { describeStoreContract } from "../support/store-contract.js";
import { usePostgres } from "../support/postgres.js";

const db = usePostgres();

describeStoreContract("postgres", () => {
  const schema = db.schema();
  const open = () => db.store(schema);
  return { open, reopen: open, cleanup: async () => void (await db.sql(`DROP SCHEMA ${schema} CASCADE`)) };
});

const seed = (n: number): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => (n * 13 + i) & 0xff);

describe("postgres store specifics", () => {
  it("records its schema version; refuses a newer one and an older one unless asked to migrate", async () => {
    const schema = db.schema();
    const store = await db.store(schema);
    await store.close();
    expect((await db.sql(`SELECT version FROM ${schema}.writ_schema`)).rows[0].version).toBe(PG_STORE_VERSION);
    await db.sql(`UPDATE ${schema}.writ_schema SET version = ${PG_STORE_VERSION + 1}`);
    const newer = await openPostgresStore({ url: db.pg().url, schema });
    expect(newer.ok).toBe(false);
    if (!newer.ok) expect(newer.problem.code).toBe("W6212");
    const newerMigrate = await openPostgresStore({ url: db.pg().url, schema, migrate: true });
    expect(newerMigrate.ok).toBe(false);
    if (!newerMigrate.ok) expect(newerMigrate.problem.message).toContain("newer");

    const old = db.schema();
    const c = new pg.Client(db.pg().url);
    await c.connect();
    await migrateTo(c as unknown as pg.PoolClient, old, 1);
    await c.query(`INSERT INTO ${old}.objects (id, text) VALUES ('sha256:x', '{}')`);
    await c.end();
    const refused = await openPostgresStore({ url: db.pg().url, schema: old });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.problem.message).toContain("writ mesh init");
    const migrated = await openPostgresStore({ url: db.pg().url, schema: old, migrate: true });
    if (!migrated.ok) throw new Error(migrated.problem.message);
    expect(await migrated.store.getObject("sha256:x")).toBe("{}");
    expect((await db.sql(`SELECT version FROM ${old}.writ_schema`)).rows[0].version).toBe(PG_STORE_VERSION);
    await migrated.store.close();
  });

  it("refuses a bad schema name and an unreachable server with a problem, never a throw", async () => {
    const bad = await openPostgresStore({ url: db.pg().url, schema: "Robert'); DROP" });
    expect(bad.ok).toBe(false);
    const down = await openPostgresStore({ url: "postgres://writ@127.0.0.1:1/postgres" });
    expect(down.ok).toBe(false);
    if (!down.ok) expect(down.problem.code).toBe("W6205");
  });

  it("two migrators at once migrate once", async () => {
    const schema = db.schema();
    const rs = await Promise.all([0, 1, 2].map(() => openPostgresStore({ url: db.pg().url, schema, migrate: true })));
    expect(rs.every((r) => r.ok)).toBe(true);
    for (const r of rs) if (r.ok) await r.store.close();
  });

  it("several logs on several connections append concurrently: contiguous indices, one checkpoint per batch, verifies", async () => {
    const schema = db.schema();
    const logs = await Promise.all(
      [0, 1, 2].map(async () => {
        const r = await LineageLog.open({ store: await db.store(schema), crypto: nodeCrypto, signer: nodeSigner(seed(1)) });
        if (!r.ok) throw new Error(r.problem.message);
        return r.log;
      }),
    );
    const results = await Promise.all(logs.flatMap((log, w) => Array.from({ length: 40 }, (_, n) => log.append([{ w, n }, { w, n, second: true }]))));
    expect(results.filter((r) => !r.ok)).toEqual([]);
    const indices = results.flatMap((r) => (r.ok ? r.entries.map((e) => e.index) : [])).sort((a, b) => a - b);
    expect(indices).toEqual(Array.from({ length: 240 }, (_, i) => i));
    const v = await logs[0]!.verify();
    expect(v).toMatchObject({ ok: true, size: 240 });
    const sizes = (await db.sql(`SELECT size FROM ${schema}.checkpoints ORDER BY size`)).rows.map((r) => Number(r.size));
    expect(new Set(sizes).size).toBe(sizes.length);
    for (const log of logs) await log.close();
  });
});
