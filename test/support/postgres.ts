/**
 * A PostgreSQL cluster for one test file: started from the installed server binaries in a
 * temporary folder on 127.0.0.1 (see `mesh/local-postgres.ts` for where the binaries are
 * found), each test gets its own schema, and the cluster is stopped and removed afterwards.
 */
import { afterAll, beforeAll } from "vitest";
import pg from "pg";
import { startLocalPostgres, type LocalPostgres } from "../../mesh/local-postgres.js";
import { openPostgresStore, type PostgresLineageStore } from "../../mesh/pg-store.js";

/** The cluster of the current test file (started in `beforeAll`). */
export interface TestPostgres {
  /** The running cluster. */
  readonly pg: () => LocalPostgres;
  /** A fresh schema name, unique in this file. */
  schema(): string;
  /** A migrated store on a fresh schema (or the given one). */
  store(schema?: string): Promise<PostgresLineageStore>;
  /** Run one SQL statement as the superuser. */
  sql(text: string, values?: unknown[]): Promise<pg.QueryResult>;
}

/** Start a cluster before the file's tests and remove it after them. */
export function usePostgres(): TestPostgres {
  let cluster: LocalPostgres | undefined;
  let n = 0;
  beforeAll(async () => {
    cluster = await startLocalPostgres({ settings: { max_connections: "200" } });
  }, 120_000);
  afterAll(async () => {
    await cluster?.destroy();
  }, 60_000);
  const pgOf = (): LocalPostgres => {
    if (cluster === undefined) throw new Error("the test cluster is not running");
    return cluster;
  };
  return {
    pg: pgOf,
    schema: () => `t${process.pid}_${n++}`,
    async store(schema) {
      const r = await openPostgresStore({ url: pgOf().url, schema: schema ?? `t${process.pid}_${n++}`, migrate: true });
      if (!r.ok) throw new Error(r.problem.message);
      return r.store;
    },
    async sql(text, values = []) {
      const c = new pg.Client(pgOf().url);
      await c.connect();
      try {
        return await c.query(text, values);
      } finally {
        await c.end();
      }
    },
  };
}
