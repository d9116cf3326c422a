/**
 * Fault drills with a real PostgreSQL: three node processes (`fixtures/mesh-node.mjs`, the
 * public mesh and runtime entries over dist/) append concurrently to one mesh log while
 * a node is killed with SIGKILL and restarted, a node's database connections are terminated
 * in the middle of its batches (`pg_terminate_backend`), or PostgreSQL itself crashes
 * (immediate stop) and restarts. A witness watches the log meanwhile. Afterwards: every
 * acknowledged event is stored exactly once, indices are contiguous, the log verifies with
 * the mesh's trust, and no two checkpoints of one size disagree (the witness saw no split).
 *
 * The default slice is small; `npm run test:mesh-soak` runs the same drills longer
 * (WRIT_MESH_SOAK=1: twenty times the events, several rounds of each fault).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { nodeSigner } from "../../runtime/lineage/local-log.js";
import { initMesh, Witness, type Mesh } from "../../mesh/index.js";
import { usePostgres } from "../support/postgres.js";

const db = usePostgres();
const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "mesh-node.mjs");
const SOAK = process.env["WRIT_MESH_SOAK"] === "1";
const EVENTS = SOAK ? 6000 : 300;
const ROUNDS = SOAK ? 4 : 1;
const NODES = ["node-a", "node-b", "node-c"];
const seed = (n: number): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => (n * 37 + i * 11 + 5) & 0xff);
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const OPERATOR = nodeSigner(seed(99));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A running node process and what it acknowledged. */
class NodeProcess {
  readonly acked = new Set<number>();
  fails = 0;
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcessWithoutNullStreams;
  private stderr = "";

  constructor(schema: string, readonly name: string, first: number, total: number, concurrency = 8) {
    const idx = NODES.indexOf(name);
    this.child = spawn(process.execPath, [FIXTURE, db.pg().url, schema, name, hex(seed(idx + 1)), String(first), String(total), String(concurrency)]);
    let buf = "";
    this.child.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).split(" ");
        buf = buf.slice(nl + 1);
        if (line[0] === "ack") this.acked.add(Number(line[1]));
        else if (line[0] === "fail") this.fails++;
      }
    });
    this.child.stderr.on("data", (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((done) => this.child.on("exit", (code) => done(code)));
  }

  kill(): Promise<number | null> {
    this.child.kill("SIGKILL");
    return this.exited;
  }

  async finished(): Promise<void> {
    const code = await this.exited;
    expect(code, `${this.name}: ${this.stderr}`).toBe(0);
  }
}

/** A mesh with the three nodes enrolled, on a fresh schema. */
async function meshOf(): Promise<{ mesh: Mesh; schema: string }> {
  const schema = db.schema();
  const r = await initMesh({ url: db.pg().url, schema, name: "example.com/writ/faults", operator: OPERATOR });
  if (!r.ok) throw new Error(r.problem.message);
  for (const [i, n] of NODES.entries()) {
    const e = await r.mesh.enroll(OPERATOR, n, nodeSigner(seed(i + 1)).publicKey);
    if (!e.ok) throw new Error(e.problem.message);
  }
  return { mesh: r.mesh, schema };
}

/** A witness checking the log every 100 ms until stopped; returns every problem it met. */
function watch(mesh: Mesh): { stop: () => Promise<string[]>; seen: () => number } {
  const witness = new Witness({ name: "auditor.example/witness", signer: nodeSigner(seed(77)), trust: mesh.trust() });
  const problems: string[] = [];
  let seen = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const r = await witness.witnessStore(mesh.store);
      if (!r.ok) {
        // A store that is down (PostgreSQL restarting) is not a split view; anything else is a finding.
        if (r.problem.code !== "W6205") problems.push(`${r.problem.code} ${r.problem.message}`);
      } else if (r.status === "cosigned") seen++;
      await sleep(100);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      const last = await witness.witnessStore(mesh.store);
      if (!last.ok) problems.push(`${last.problem.code} ${last.problem.message}`);
      return problems;
    },
    seen: () => seen,
  };
}

/**
 * Everything that must hold after a drill: contiguous indices, every acknowledged event
 * stored exactly once, one checkpoint per size, the last covering every entry, and a full
 * verification with the mesh's trust. `live`: nodes are still appending (sizes may grow
 * between the reads).
 */
async function checkLog(mesh: Mesh, schema: string, acked: ReadonlyMap<string, ReadonlySet<number>>, live = false): Promise<void> {
  const rows = (await db.sql(`SELECT idx, convert_from(data, 'UTF8') AS text FROM ${schema}.entries ORDER BY idx`)).rows as { idx: string; text: string }[];
  expect(rows.map((r) => Number(r.idx))).toEqual(rows.map((_, i) => i));
  const stored = new Map<string, number>();
  for (const r of rows) stored.set(r.text, (stored.get(r.text) ?? 0) + 1);
  const lost: string[] = [];
  for (const [node, ks] of acked) {
    for (const k of ks) {
      const count = stored.get(`{"k":${k},"node":"${node}"}`) ?? 0;
      if (count !== 1) lost.push(`${node}/${k} stored ${count} times`);
    }
  }
  expect(lost).toEqual([]);
  const sizes = (await db.sql(`SELECT size FROM ${schema}.checkpoints ORDER BY size`)).rows.map((r) => Number((r as { size: string }).size));
  expect(new Set(sizes).size).toBe(sizes.length);
  if (!live) expect(sizes[sizes.length - 1]).toBe(rows.length);
  const reader = await mesh.openLog();
  if (!reader.ok) throw new Error(reader.problem.message);
  const v = await reader.log.verify();
  expect(v.ok, v.error ?? v.firstBad?.reason).toBe(true);
  if (!live) expect(v).toMatchObject({ size: rows.length, checkpoints: sizes.length });
  await reader.log.close();
}

const until = async (f: () => boolean, ms = 60_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!f() && Date.now() < end) await sleep(20);
};

function ackedOf(procs: readonly NodeProcess[]): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const p of procs) {
    const s = out.get(p.name) ?? new Set<number>();
    for (const k of p.acked) s.add(k);
    out.set(p.name, s);
  }
  return out;
}

describe("mesh fault drills (real PostgreSQL, node processes)", () => {
  it("three nodes append concurrently; one is killed with SIGKILL mid-load and restarted", async () => {
    const { mesh, schema } = await meshOf();
    const w = watch(mesh);
    const procs = NODES.map((n) => new NodeProcess(schema, n, 0, EVENTS));
    const killed = new Set<NodeProcess>();
    let victim = procs[1]!;
    for (let round = 0; round < ROUNDS; round++) {
      const target = victim;
      await until(() => target.acked.size >= EVENTS / (4 * ROUNDS));
      await target.kill();
      killed.add(target);
      victim = new NodeProcess(schema, "node-b", (round + 1) * 1_000_000, EVENTS / 2);
      procs.push(victim);
    }
    await Promise.all(procs.filter((p) => !killed.has(p)).map((p) => p.finished()));
    expect([...killed].every((p) => p.acked.size > 0)).toBe(true);
    expect(victim.acked.size).toBeGreaterThan(0);
    expect(procs[0]!.acked.size).toBe(EVENTS);
    expect(procs[2]!.acked.size).toBe(EVENTS);
    expect(await w.stop()).toEqual([]);
    expect(w.seen()).toBeGreaterThan(0);
    await checkLog(mesh, schema, ackedOf(procs));
    await mesh.close();
  });

  it("a node's connection is terminated in the middle of its batches (pg_terminate_backend)", async () => {
    const { mesh, schema } = await meshOf();
    const w = watch(mesh);
    const procs = NODES.map((n) => new NodeProcess(schema, n, 0, EVENTS));
    const b = procs[1]!;
    await until(() => b.acked.size >= 20);
    let midBatch = 0;
    const deadline = Date.now() + 30_000;
    while (midBatch < 3 * ROUNDS && Date.now() < deadline && b.acked.size < EVENTS) {
      // Only backends inside a transaction that holds the log's row lock or writes the batch.
      const r = await db.sql(
        `SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity WHERE application_name = 'node-b' AND state IN ('active', 'idle in transaction') AND xact_start IS NOT NULL AND backend_xid IS NOT NULL`,
      );
      midBatch += r.rows.filter((x) => (x as { t: boolean }).t).length;
      await sleep(5);
    }
    expect(midBatch).toBeGreaterThan(0);
    const afterFault = b.acked.size;
    await Promise.all(procs.map((p) => p.finished()));
    expect(b.fails).toBeGreaterThan(0);
    expect(b.acked.size).toBeGreaterThan(afterFault);
    expect(await w.stop()).toEqual([]);
    await checkLog(mesh, schema, ackedOf(procs));
    await mesh.close();
  });

  it("PostgreSQL crashes (immediate stop) and restarts under load: no acknowledged event is lost", async () => {
    const { mesh, schema } = await meshOf();
    const procs = NODES.map((n) => new NodeProcess(schema, n, 0, EVENTS));
    await until(() => procs.every((p) => p.acked.size > 0));
    for (let round = 0; round < ROUNDS; round++) {
      const total = () => procs.reduce((n, p) => n + p.acked.size, 0);
      const before = total();
      await until(() => total() >= before + EVENTS / (2 * ROUNDS));
      const ackedBeforeCrash = ackedOf(procs);
      await db.pg().stop("immediate");
      await sleep(300);
      await db.pg().start();
      // Whatever was acknowledged before the crash survived it.
      await checkLog(mesh, schema, ackedBeforeCrash, true);
    }
    await Promise.all(procs.map((p) => p.finished()));
    // The crashes hit appends in flight (a node that had already appended all its events by
    // then saw none, so this is asked of the nodes together, not of each).
    expect(procs.reduce((n, p) => n + p.fails, 0)).toBeGreaterThan(0);
    const w = watch(mesh);
    expect(await w.stop()).toEqual([]);
    await checkLog(mesh, schema, ackedOf(procs));
    await mesh.close();
  });
});
