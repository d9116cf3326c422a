/**
 * The HTTP part of `npm run bench:mesh`: governed authorizations/s through `writ serve
 * --store postgres://…` (the real CLI, `bin/writ.js`, one process per node) with one node and
 * with three nodes on the one PostgreSQL, driven by autocannon (`POST /v1/authorize`, an
 * allow: `requested` and `authorized` recorded durably before each answer); then the
 * latency from an authorization to a checkpoint that covers it carrying the cosignatures of
 * all three witnesses (`GET /v1/lineage/checkpoint?witnesses=3`, witness interval 100 ms).
 *
 * Keys and the bundle are made with the CLI (`writ keygen`, `writ compile --sign`), the mesh
 * records through the mesh room; nothing timed takes a shortcut around the server.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import type { CheckpointSigner } from "../runtime/index.js";
import { readPublicKey } from "../runtime/keys.js";
import { initMesh } from "../mesh/index.js";
import { fmtInt } from "./harness.js";
import { percentile } from "./mesh-load.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const WRIT = join(ROOT, "bin", "writ.js");
const SCHEMA = `entity User;\nentity Doc;\naction read appliesTo { principal: [User], resource: [Doc] };\n`;
const POLICIES = `@id("read") permit (principal, action == Action::"read", resource);\n`;
const AUTHORIZE = JSON.stringify({ request: { principal: { type: "User", id: "u" }, action: { type: "Action", id: "read" }, resource: { type: "Doc", id: "d" }, context: {} } });
const CONNECTIONS = 32;

function writ(args: readonly string[], cwd: string): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [WRIT, ...args], { cwd, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("close", (code) => (code === 0 ? done() : fail(new Error(`writ ${args.join(" ")}: ${err}`))));
  });
}

/** A `writ serve` node process and its URL. */
async function serve(args: readonly string[], cwd: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [WRIT, "serve", "--port", "0", "--log-level", "error", ...args], { cwd, stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((ok, fail) => {
    createInterface({ input: child.stdout! }).once("line", (l) => {
      const m = /^listening on (\S+)$/.exec(l);
      if (m === null) fail(new Error(`writ serve: ${l}`));
      else ok(m[1]!);
    });
    child.once("exit", (code) => fail(new Error(`writ serve exited ${code}`)));
  });
  return { child, url };
}

/** Governed authorizations/s with autocannon against each node at once; total rate and latencies. */
async function load(urls: readonly string[], seconds: number): Promise<{ rps: number; p50: number; p99: number; bad: number }> {
  const runs = await Promise.all(urls.map((u) => autocannon({ url: `${u}/v1/authorize`, method: "POST", headers: { "content-type": "application/json" }, body: AUTHORIZE, connections: CONNECTIONS, duration: seconds })));
  return {
    rps: runs.reduce((s, r) => s + r.requests.average, 0),
    p50: Math.max(...runs.map((r) => r.latency.p50)),
    p99: Math.max(...runs.map((r) => r.latency.p99)),
    bad: runs.reduce((s, r) => s + r.non2xx + r.errors + r.timeouts, 0),
  };
}

/** Milliseconds from an authorization on `url` to a checkpoint covering it cosigned by `k` witnesses. */
async function witnessedLatency(url: string, reader: string, k: number): Promise<number> {
  const t0 = performance.now();
  const r = (await (await fetch(`${url}/v1/authorize`, { method: "POST", headers: { "content-type": "application/json" }, body: AUTHORIZE })).json()) as { events: { index: number }[] };
  const index = Math.max(...r.events.map((e) => e.index));
  for (;;) {
    const res = await fetch(`${reader}/v1/lineage/checkpoint?witnesses=${k}`);
    if (res.status === 200 && ((await res.json()) as { size: number }).size > index) return performance.now() - t0;
    await new Promise((d) => setTimeout(d, 5));
  }
}

/** Run the HTTP benchmarks on a fresh mesh in `schema` (the operator key signs its records); result lines go to `line`. */
export async function serveBench(url: string, schema: string, operator: CheckpointSigner, seconds: number, line: (s: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "writ-bench-serve-"));
  const nodes: ChildProcess[] = [];
  const init = await initMesh({ url, schema, name: "bench.example/writ/serve", operator });
  if (!init.ok) throw new Error(init.problem.message);
  const mesh = init.mesh;
  try {
    const names = ["http-0", "http-1", "http-2"];
    await Promise.all(["signer", ...names].map((k) => writ(["keygen", k], dir)));
    writeFileSync(join(dir, "schema.cedarschema"), SCHEMA);
    writeFileSync(join(dir, "policies.cedar"), POLICIES);
    await writ(["compile", "policies.cedar", "--schema", "schema.cedarschema", "--sign", "signer.key", "--sequence", "100", "-o", "bundle.json"], dir);
    const key = (f: string): Uint8Array => {
      const k = readPublicKey(join(dir, f));
      if (!k.ok) throw new Error(k.problem.message);
      return k.value;
    };
    for (const n of names) {
      const e = await mesh.enroll(operator, n, key(`${n}.pub`));
      if (!e.ok) throw new Error(e.problem.message);
    }
    const pinned = await mesh.publishBundle(operator, JSON.parse(readFileSync(join(dir, "bundle.json"), "utf8")) as unknown, key("signer.pub"));
    if (!pinned.ok) throw new Error(pinned.problem.message);
    const started = await Promise.all(
      names.map((n) => serve(["--store", url, "--store-schema", schema, "--node", n, "--node-key", join(dir, `${n}.key`), "--dir", dir, "--witness-interval", "100"], dir)),
    );
    nodes.push(...started.map((s) => s.child));
    const urls = started.map((s) => s.url);

    const one = await load(urls.slice(0, 1), seconds);
    line(`writ serve, 1 node: ${fmtInt(one.rps)} governed authorizations/s over HTTP (${CONNECTIONS} connections; p50 ${one.p50} ms, p99 ${one.p99} ms; ${one.bad} errors)`);
    line(`RATE mesh-serve-1 ${one.rps.toFixed(0)}`);
    const three = await load(urls, seconds);
    line(`writ serve, 3 nodes: ${fmtInt(three.rps)} governed authorizations/s over HTTP (${CONNECTIONS} connections each; p50 ${three.p50} ms, p99 ${three.p99} ms; ${three.bad} errors)`);
    line(`RATE mesh-serve-3 ${three.rps.toFixed(0)}`);

    await new Promise((d) => setTimeout(d, 500));
    const lat: number[] = [];
    for (let i = 0; i < 10; i++) lat.push(await witnessedLatency(urls[i % 3]!, urls[(i + 1) % 3]!, 3));
    line(`authorize → checkpoint cosigned by 3 witnesses (interval 100 ms): median ${percentile(lat, 0.5).toFixed(0)} ms, max ${Math.max(...lat).toFixed(0)} ms`);
  } finally {
    for (const c of nodes) c.kill("SIGTERM");
    await Promise.all(nodes.map((c) => new Promise((d) => (c.exitCode === null ? c.once("exit", d) : d(undefined)))));
    await mesh.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
