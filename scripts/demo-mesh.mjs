#!/usr/bin/env node
/**
 * `npm run demo:mesh`: three `writ serve` nodes sharing one verifiable lineage log on
 * PostgreSQL, a governed agent scenario spread over them, one node killed and restarted.
 *
 * 1. A PostgreSQL: `WRIT_DATABASE_URL` when set (the demo uses a schema of its own and drops
 *    it), else a throw-away cluster from the installed server binaries (removed at the end).
 * 2. Keys (`writ keygen`), a signed bundle of examples/governed-agent (`writ compile --sign`),
 *    the mesh (`writ mesh init`, `enroll` ×3, `publish` with the entities).
 * 3. Three nodes: `writ serve --store … --node node-N --node-key node-N.key` (no --bundle:
 *    they decide on the pinned one).
 * 4. Rounds of the scenario, each step on another node than its parent: a human approves a
 *    plan; the planner agent builds and delegates under it; the worker runs tests under the
 *    delegation (children decided on the parent's proven lineage); an agent acting without
 *    an approved ancestor is denied. Every allowed execution's outcome is recorded with its
 *    obligations confirmed.
 * 5. Node 2 is killed with SIGKILL while authorizations are in flight, and restarted; the
 *    rounds go on across all three nodes.
 * 6. Every acknowledged execution is read back (proven) from a node, `writ lineage verify
 *    --store` verifies the whole log, and the latest checkpoint must carry the cosignatures
 *    of all three witnesses.
 *
 * Last line: `mesh ok: <n> executions on 3 nodes, 0 lost, log verified, witnessed by 3`.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const WRIT = join(ROOT, "bin", "writ.js");
const EXAMPLE = join(ROOT, "examples", "governed-agent");
const MESH = "example.com/writ/demo";
const NODES = ["node-1", "node-2", "node-3"];
const ROUNDS = Number(process.env["WRIT_DEMO_ROUNDS"] ?? "4");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const say = (line) => process.stdout.write(`${line}\n`);

/** Run a writ command to completion; its stdout, or throw with its stderr. */
function writ(args, cwd) {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [WRIT, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => (code === 0 ? done(out) : fail(new Error(`writ ${args[0]} ${args[1] ?? ""} exited ${code}: ${err.trim()}`))));
  });
}

/** Start a `writ serve` node; resolves once it listens. */
function serve(args, cwd) {
  const child = spawn(process.execPath, [WRIT, "serve", "--port", "0", ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  const output = [];
  child.stderr.on("data", (d) => output.push(String(d)));
  const exited = new Promise((done) => child.on("exit", (code, signal) => done({ code, signal })));
  const url = new Promise((ok, fail) => {
    const lines = createInterface({ input: child.stdout });
    let first = true;
    lines.on("line", (line) => {
      output.push(`${line}\n`);
      if (!first) return;
      first = false;
      const m = /^listening on (http:\/\/\S+)$/.exec(line);
      if (m === null) fail(new Error(`unexpected first line: ${line}`));
      else ok(m[1]);
    });
    void exited.then((e) => fail(new Error(`writ serve exited (${e.code ?? e.signal}): ${output.join("")}`)));
  });
  return { child, exited, url, output };
}

async function call(url, method, path, body) {
  const res = await fetch(`${url}${path}`, { method, headers: body === undefined ? {} : { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json };
}

const ref = (type, id) => ({ type: `Ops::${type}`, id });
const approve = () => ({ principal: ref("Human", "alice"), action: ref("Action", "approve"), resource: ref("Plan", "release-42"), context: {} });
const run = (agent, resource, step) => ({ principal: ref("Agent", agent), action: ref("Action", "run"), resource: ref("Resource", resource), context: { step } });
const delegate = () => ({ principal: ref("Agent", "planner"), action: ref("Action", "delegate"), resource: ref("Agent", "worker"), context: {} });

async function main() {
  const work = mkdtempSync(join(tmpdir(), "writ-demo-mesh-"));
  const schema = `demo_${process.pid}`;
  let cluster;
  let url = process.env["WRIT_DATABASE_URL"];
  const nodes = new Map();
  try {
    if (url === undefined || url === "") {
      const { startLocalPostgres } = await import(join(ROOT, "dist", "mesh", "local-postgres.js"));
      cluster = await startLocalPostgres();
      url = cluster.url;
      say(`PostgreSQL: a local cluster on 127.0.0.1:${cluster.port} (${cluster.version})`);
    } else say("PostgreSQL: WRIT_DATABASE_URL");
    const store = ["--store", url, "--schema", schema];

    await Promise.all(["operator", "signer", ...NODES].map((k) => writ(["keygen", k], work)));
    await writ(["compile", join(EXAMPLE, "policies.cedar"), "--schema", join(EXAMPLE, "schema.cedarschema"), "--sign", "signer.key", "--sequence", "1", "-o", "bundle.json"], work);
    await writ(["mesh", "init", "--name", MESH, "--key", "operator.key", ...store], work);
    for (const n of NODES) await writ(["mesh", "enroll", "--node", n, "--pub", `${n}.pub`, "--key", "operator.key", ...store], work);
    await writ(["mesh", "publish", "bundle.json", "--bundle-key", "signer.pub", "--entities", join(EXAMPLE, "entities.json"), "--key", "operator.key", ...store], work);
    say(`mesh ${MESH}: 3 nodes enrolled, bundle and entities pinned`);

    const start = async (n) => {
      const dir = join(work, n);
      mkdirSync(dir, { recursive: true });
      const node = serve(["--store", url, "--store-schema", schema, "--node", n, "--node-key", join(work, `${n}.key`), "--key", join(work, "signer.pub"), "--dir", dir, "--witness-interval", "250", "--log-level", "warn"], work);
      nodes.set(n, { ...node, url: await node.url });
    };
    await Promise.all(NODES.map(start));
    say(`nodes: ${NODES.map((n) => `${n} ${nodes.get(n).url}`).join(", ")}`);

    /** Executions acknowledged (their recorded event ids), and outcomes expected. */
    const acked = [];
    let mismatches = 0;
    const authorize = async (node, request, parent, expectAllowed) => {
      const r = await call(nodes.get(node).url, "POST", "/v1/authorize", { request, ...(parent === undefined ? {} : { parent }) });
      if (r.status !== 200) throw new Error(`${node} refused an authorization: ${r.status} ${JSON.stringify(r.body)}`);
      acked.push({ node, execution: r.body.execution, events: r.body.events.map((e) => e.id) });
      if (r.body.allowed !== expectAllowed) mismatches++;
      if (r.body.allowed) {
        const done = await call(nodes.get(node).url, "POST", `/v1/executions/${r.body.execution}/outcome`, { ok: true, obligations: Object.keys(r.body.obligations ?? {}) });
        if (done.status !== 200) throw new Error(`${node} refused an outcome: ${JSON.stringify(done.body)}`);
        acked.at(-1).events.push(...done.body.events.map((e) => e.id));
      }
      return r.body;
    };
    const on = (i) => NODES[i % NODES.length];
    const round = async (r) => {
      const plan = await authorize(on(r), approve(), undefined, true);
      const build = authorize(on(r + 1), run("planner", "ci", `build ${r}`), plan.authorizedEvent, true);
      const handoff = await authorize(on(r + 2), delegate(), plan.authorizedEvent, true);
      const tests = authorize(on(r), run("worker", "staging-cluster", `tests ${r}`), handoff.authorizedEvent, true);
      const rogue = authorize(on(r + 1), run("helper", "ci", `unapproved ${r}`), undefined, false);
      await Promise.all([build, tests, rogue]);
    };
    for (let r = 0; r < ROUNDS; r++) await round(r);

    // SIGKILL node-2 with authorizations in flight; only the answered ones count as acknowledged.
    const victim = nodes.get("node-2");
    const inFlight = Array.from({ length: 6 }, (_, i) => authorize("node-2", approve(), undefined, true).catch(() => undefined));
    await Promise.race(inFlight);
    victim.child.kill("SIGKILL");
    await Promise.all(inFlight);
    await victim.exited;
    say(`node-2 killed (SIGKILL) with authorizations in flight; restarting it`);
    await start("node-2");
    for (let r = ROUNDS; r < 2 * ROUNDS; r++) await round(r);

    // Every acknowledged execution is in the log, proven from another node than the one that recorded it.
    // (Each node catches up with the others' appends on their notifications and on its next tick.)
    let lost = 0;
    await sleep(500);
    for (const a of acked) {
      const reader = nodes.get(NODES.find((n) => n !== a.node));
      for (const id of a.events) {
        let found = false;
        for (let k = 0; k < 30 && !found; k++) {
          const r = await call(reader.url, "GET", `/v1/lineage/events/${id}`);
          found = r.status === 200 && r.body.id === id;
          if (!found) await sleep(100);
        }
        if (!found) lost++;
      }
    }
    await writ(["lineage", "verify", "--store", url, "--schema", schema, "--key", "operator.pub"], work);
    let witnessed = 0;
    for (let i = 0; i < 100 && witnessed < 3; i++) {
      const cp = await call(nodes.get("node-1").url, "GET", "/v1/lineage/checkpoint");
      const live = await call(nodes.get("node-1").url, "GET", "/v1/mesh");
      witnessed = cp.status === 200 && cp.body.size === live.body.size ? cp.body.cosignatures : 0;
      if (witnessed < 3) await sleep(100);
    }
    const mesh = await call(nodes.get("node-3").url, "GET", "/v1/mesh");
    const ready = mesh.body.nodes.filter((n) => n.ready).length;
    if (mismatches > 0) throw new Error(`${mismatches} decisions did not come out as the scenario expects`);
    if (ready !== 3) throw new Error(`${ready} of 3 nodes ready: ${JSON.stringify(mesh.body.nodes)}`);
    if (witnessed < 3) throw new Error(`the latest checkpoint has ${witnessed} cosignatures, 3 expected`);
    if (lost > 0) throw new Error(`${lost} acknowledged events are not in the log`);
    say(`mesh ok: ${acked.length} executions on 3 nodes, ${lost} lost, log verified, witnessed by ${witnessed}`);
    return 0;
  } catch (e) {
    process.stderr.write(`mesh demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
    for (const [n, node] of nodes) process.stderr.write(`--- ${n}\n${node.output.join("").slice(-2000)}`);
    return 1;
  } finally {
    for (const node of nodes.values()) node.child.kill("SIGTERM");
    await Promise.all([...nodes.values()].map((n) => n.exited));
    if (cluster !== undefined) await cluster.destroy();
    else if (url !== undefined) {
      const pg = (await import("pg")).default;
      const c = new pg.Client({ connectionString: url });
      await c.connect().then(() => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)).finally(() => c.end()).catch(() => undefined);
    }
    rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = await main();
