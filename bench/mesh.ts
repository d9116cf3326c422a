/**
 * `npm run bench:mesh`: the mesh's shared lineage log on PostgreSQL.
 *
 * - durable appends/s with group commit: one node process with many concurrent appenders
 *   (each `log.append([event])` resolves once its batch is committed), then three node
 *   processes appending concurrently to the same log (target ≥ 10,000 events/s);
 * - checkpoint latency: the time from `append` to its signed checkpoint being committed,
 *   alone (one appender) and under the loads above (median and p99);
 * - a full verification of the resulting log with the mesh's trust;
 * - governed authorizations/s through `writ serve --store` over HTTP, one node and three
 *   nodes, and authorize → witnessed-checkpoint latency (`mesh-serve.ts`).
 *
 * PostgreSQL: a throw-away local cluster from the installed binaries with default
 * durability settings (`fsync=on`, `synchronous_commit=on`), or `WRIT_DATABASE_URL` (a fresh
 * schema is created there). Sizes: `WRIT_BENCH_MESH_SECONDS` (default 8 per run),
 * `WRIT_BENCH_MESH_APPENDERS` (default 512 per process).
 *
 * Everything goes through the public path: `writ/runtime`'s LineageLog over the mesh store.
 */
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { nodeSigner } from "../runtime/index.js";
import { initMesh, openMeshNode, startLocalPostgres, type LocalPostgres } from "../mesh/index.js";
import { fmtInt } from "./harness.js";
import { appendLoad, benchSeed, percentile, serverCpuMs, type LoadResult } from "./mesh-load.js";
import { serveBench } from "./mesh-serve.js";

const SECONDS = Number(process.env["WRIT_BENCH_MESH_SECONDS"] ?? 8);
const APPENDERS = Number(process.env["WRIT_BENCH_MESH_APPENDERS"] ?? 512);
const NODES = ["node-0", "node-1", "node-2"];

function line(s: string): void {
  process.stdout.write(`${s}\n`);
}

/** Run one worker process (`mesh-worker.js`) and return its load result. */
function worker(url: string, schema: string, node: number, seconds: number, appenders: number): Promise<LoadResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), "mesh-worker.js"), url, schema, String(node), String(seconds), String(appenders)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", (code) => (code === 0 ? done(JSON.parse(out) as LoadResult) : fail(new Error(`worker ${node} exited ${code}`))));
  });
}

/** One result line; `serverMs`: PostgreSQL's CPU time during the run, when known. */
function report(label: string, r: LoadResult, seconds: number, serverMs: number | undefined): string {
  const rate = r.events / seconds;
  const cpu = r.cpuMs + (serverMs ?? 0);
  const perCpu = serverMs === undefined ? "" : `; ${fmtInt((r.events * 1000) / cpu)} events per CPU-second of Node + PostgreSQL`;
  return (
    `${label}: ${fmtInt(rate)} events/s durable (${fmtInt(r.events)} events, ${fmtInt(r.batches)} batches of ${fmtInt(r.events / Math.max(1, r.batches))} on average; ` +
    `append→checkpoint latency median ${percentile(r.latencies, 0.5).toFixed(1)} ms, p99 ${percentile(r.latencies, 0.99).toFixed(1)} ms${perCpu})`
  );
}

async function main(): Promise<void> {
  let cluster: LocalPostgres | undefined;
  let url = process.env["WRIT_DATABASE_URL"];
  if (url === undefined) {
    cluster = await startLocalPostgres({ settings: { max_connections: "100" } });
    url = cluster.url;
  }
  const schema = `bench_${process.pid}`;
  try {
    const operator = nodeSigner(benchSeed(99));
    const init = await initMesh({ url, schema, name: "bench.example/writ/mesh", operator });
    if (!init.ok) throw new Error(init.problem.message);
    const mesh = init.mesh;
    for (const [i, n] of NODES.entries()) {
      const e = await mesh.enroll(operator, n, nodeSigner(benchSeed(i)).publicKey);
      if (!e.ok) throw new Error(e.problem.message);
    }
    const version = (await mesh.store.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
    const sync = (await mesh.store.query<{ f: string; s: string }>("SELECT current_setting('fsync') AS f, current_setting('synchronous_commit') AS s")).rows[0]!;
    line(`PostgreSQL ${version} (fsync=${sync.f}, synchronous_commit=${sync.s})${cluster === undefined ? "" : ", local throw-away cluster"}; node ${process.version}`);

    // 1. One appender alone: the latency of a single durable append and its checkpoint.
    const node = await openMeshNode({ url, schema, node: NODES[0]!, privateKey: benchSeed(0) });
    if (!node.ok) throw new Error(node.problem.message);
    const serverCpu = (): number | undefined => (cluster === undefined ? undefined : serverCpuMs(join(cluster.dir, "data")));
    const during = async (fn: () => Promise<LoadResult>): Promise<{ r: LoadResult; serverMs: number | undefined }> => {
      const s0 = serverCpu();
      const r = await fn();
      const s1 = serverCpu();
      return { r, serverMs: s0 === undefined || s1 === undefined ? undefined : s1 - s0 };
    };
    const alone = await during(() => appendLoad(node.node.log, 1, Math.min(3, SECONDS), 0));
    line(report("1 process, 1 appender", alone.r, Math.min(3, SECONDS), alone.serverMs));

    // 2. One process, many concurrent appenders (group commit).
    const oneRun = await during(() => appendLoad(node.node.log, APPENDERS, SECONDS, 1_000_000));
    const one = oneRun.r;
    line(report(`1 process, ${APPENDERS} concurrent appenders`, one, SECONDS, oneRun.serverMs));
    line(`RATE mesh-append-1 ${(one.events / SECONDS).toFixed(0)}`);
    await node.node.close();

    // 3. Three processes appending concurrently to the one log.
    let results: LoadResult[] = [];
    const threeRun = await during(async () => {
      results = await Promise.all(NODES.map((_, i) => worker(url!, schema, i, SECONDS, APPENDERS)));
      const sum: LoadResult = { events: 0, batches: 0, latencies: [], cpuMs: 0 };
      for (const r of results) {
        sum.events += r.events;
        sum.batches += r.batches;
        sum.cpuMs += r.cpuMs;
        sum.latencies.push(...r.latencies);
      }
      return sum;
    });
    const all = threeRun.r;
    line(report(`3 processes × ${APPENDERS} concurrent appenders`, all, SECONDS, threeRun.serverMs));
    line(`  per process: ${results.map((r) => fmtInt(r.events / SECONDS)).join(", ")} events/s`);
    line(`RATE mesh-append-3 ${(all.events / SECONDS).toFixed(0)}`);

    // 4. Verify everything with the mesh's trust.
    const reader = await mesh.openLog();
    if (!reader.ok) throw new Error(reader.problem.message);
    const t0 = performance.now();
    const v = await reader.log.verify();
    const ms = performance.now() - t0;
    if (!v.ok) throw new Error(`verify failed: ${v.error ?? v.firstBad?.reason}`);
    line(`verify ${fmtInt(v.size)} events, ${fmtInt(v.checkpoints)} checkpoints (signed by 3 node keys): ${fmtInt((v.size * 1000) / ms)} events/s`);
    await reader.log.close();
    await mesh.close();

    // 5. Governed authorizations through writ serve nodes (HTTP), on a fresh mesh.
    await serveBench(url, `${schema}_http`, operator, Math.min(5, SECONDS), line);
  } finally {
    await cluster?.destroy();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:mesh: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
