/**
 * `writ mesh init / enroll / revoke / publish / status` and `writ lineage … --store` end to
 * end against a real PostgreSQL (in process through `runCli`, plus the installed `bin/writ.js`
 * over dist/ for init and verify): two nodes run governed executions on the shared log
 * (through `writ/runtime`'s Governor), and the auditor's commands verify, prove, show and
 * replay it with the mesh's trust; every failure is one line and a non-zero exit.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Governor, loadBundle, loadEntities, type RequestJson } from "../../runtime/index.js";
import { readPrivateKey } from "../../runtime/keys.js";
import { openMeshNode } from "../../mesh/index.js";
import { runCli } from "../../cli/main.js";
import { memoryOutput } from "../../cli/io.js";
import { usePostgres } from "../support/postgres.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const EX = join(ROOT, "examples/doc-sharing");
const db = usePostgres();
let tmp = "";
let env: NodeJS.ProcessEnv = {};

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run the CLI in process (relative file names are under the test folder). */
async function writ(args: readonly string[]): Promise<Run> {
  const io = memoryOutput();
  const abs = args.map((a) => (/^[\w.-]+\.(key|pub|json)$/.test(a) ? join(tmp, a) : a));
  const code = await runCli(abs, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

/** Run the installed command (bin/writ.js over dist/) in the test folder. */
function spawned(args: readonly string[]): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(ROOT, "bin", "writ.js"), ...args], { cwd: tmp, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

async function ok(args: readonly string[]): Promise<Run> {
  const r = await writ(args);
  if (r.code !== 0) throw new Error(`writ ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r;
}

/** One line on stderr, a non-zero exit, nothing on stdout. */
async function refused(args: readonly string[], code: string): Promise<Run> {
  const r = await writ(args);
  expect(r.code, r.stderr).not.toBe(0);
  expect(r.stderr.trim().split("\n")).toHaveLength(1);
  expect(r.stderr).toContain(code);
  expect(r.stderr).not.toContain("    at ");
  return r;
}

let saved: string | undefined;
beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "writ-mesh-cli-"));
  env = { ...process.env, WRIT_DATABASE_URL: db.pg().url };
  saved = process.env["WRIT_DATABASE_URL"];
  process.env["WRIT_DATABASE_URL"] = db.pg().url;
  for (const k of ["operator", "node-a", "node-b", "signer"]) await ok(["keygen", join(tmp, k)]);
});
afterAll(() => {
  if (saved === undefined) delete process.env["WRIT_DATABASE_URL"];
  else process.env["WRIT_DATABASE_URL"] = saved;
  rmSync(tmp, { recursive: true, force: true });
});

describe("writ mesh", () => {
  it("init, enroll, publish, status; refusals are one line", async () => {
    const first = await spawned(["mesh", "init", "--name", "example.com/writ/cli", "--key", "operator.key"]);
    expect(first.stdout).toContain("created mesh example.com/writ/cli");
    expect(first.code).toBe(0);
    expect((await ok(["mesh", "init", "--name", "example.com/writ/cli", "--key", "operator.key"])).stdout).toContain("already initialized");
    await refused(["mesh", "init", "--name", "example.com/other", "--key", "operator.key"], "W8503");
    await refused(["mesh", "init", "--name", "x", "--key", "operator.key", "--store", "mysql://nope"], "W5008");
    await ok(["mesh", "enroll", "--node", "node-a", "--pub", "node-a.pub", "--key", "operator.key"]);
    await ok(["mesh", "enroll", "--node", "node-b", "--pub", "node-b.pub", "--key", "operator.key"]);
    await refused(["mesh", "enroll", "--node", "node-a", "--pub", "node-a.pub", "--key", "operator.key"], "W8504");
    await refused(["mesh", "enroll", "--node", "node-c", "--pub", "signer.pub", "--key", "node-a.key"], "W8502");
    await refused(["mesh", "enroll", "--node", "node-c", "--pub", "missing.pub", "--key", "operator.key"], "W5008");

    await ok(["compile", join(EX, "policies.cedar"), "--schema", join(EX, "schema.cedarschema"), "--sign", "signer.key", "--sequence", "5", "-o", "b5.json"]);
    await ok(["compile", join(EX, "policies.cedar"), "--schema", join(EX, "schema.cedarschema"), "--sign", "signer.key", "--sequence", "4", "-o", "b4.json"]);
    const pub = await ok(["mesh", "publish", "b5.json", "--bundle-key", "signer.pub", "--entities", join(EX, "entities.json"), "--key", "operator.key"]);
    expect(pub.stdout).toMatch(/pinned: bundle sha256:[0-9a-f]{64} \(sequence 5\)/);
    expect(pub.stdout).toMatch(/pinned: entity snapshot sha256:[0-9a-f]{64}/);
    const rollback = await refused(["mesh", "publish", "b4.json", "--bundle-key", "signer.pub", "--key", "operator.key"], "W8508");
    expect(rollback.stderr).toMatch(/b4\.json: error W8508: .*rollback refused/);
    await refused(["mesh", "publish", "b5.json", "--bundle-key", "operator.pub", "--key", "operator.key"], "W8508");
    await refused(["mesh", "publish", "b5.json", "--key", "operator.key"], "W5008");
    writeFileSync(join(tmp, "bad.json"), "{ nope");
    await refused(["mesh", "publish", "bad.json", "--bundle-key", "signer.pub", "--key", "operator.key"], "W5002");

    const status = JSON.parse((await ok(["mesh", "status", "--operator", "operator.pub", "--json"])).stdout) as { operatorPinned: boolean; nodes: { name: string }[]; bundle: { sequence: number } };
    expect(status.operatorPinned).toBe(true);
    expect(status.nodes.map((n) => n.name)).toEqual(["node-a", "node-b"]);
    expect(status.bundle.sequence).toBe(5);
    const text = (await ok(["mesh", "status"])).stdout;
    expect(text).toContain("not pinned");
    expect(text).toContain("node-b");
    await refused(["mesh", "status", "--operator", "signer.pub"], "W8502");
    await refused(["mesh", "status", "--schema", "nothing_here"], "W8501");
  });

  it("lineage verify / prove / show / replay --store read the mesh log that two governed nodes wrote", async () => {
    const bundleJson = JSON.parse(readFileSync(join(tmp, "b5.json"), "utf8")) as unknown;
    const bundle = loadBundle(bundleJson).bundle!;
    const entities = loadEntities(bundle, JSON.parse(readFileSync(join(EX, "entities.json"), "utf8"))).store!;
    const request = JSON.parse(readFileSync(join(EX, "request.json"), "utf8")) as RequestJson;
    const nodes = await Promise.all(
      ["node-a", "node-b"].map(async (name) => {
        const key = readPrivateKey(join(tmp, `${name}.key`));
        if (!key.ok) throw new Error(key.problem.message);
        const r = await openMeshNode({ url: db.pg().url, node: name, privateKey: key.value });
        if (!r.ok) throw new Error(r.problem.message);
        return r.node;
      }),
    );
    const runs = await Promise.all(
      nodes.flatMap((n) => [1, 2, 3].map(() => new Governor({ log: n.log, bundle, node: n.name, entities }).execute(request, async () => "done", { actor: `agent@${n.name}` }))),
    );
    // The example request is denied (no MFA from the office network): each run records its request and its decision.
    expect(runs.map((r) => [r.allowed, r.problem?.code, r.events.map((e) => e.phase)])).toEqual(Array.from({ length: 6 }, () => [false, "W7008", ["requested", "denied", "audited"]]));
    for (const n of nodes) expect((await n.witnessOnce()).ok).toBe(true);
    const size = nodes[0]!.log.size;
    await Promise.all(nodes.map((n) => n.close()));

    const v = await spawned(["lineage", "verify", "--store", db.pg().url, "--key", "operator.pub"]);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^lineage log ok: \d+ events, \d+ checkpoints verified \(example\.com\/writ\/cli\)/);
    const report = JSON.parse((await ok(["lineage", "verify", "--json", "--key", "operator.pub", "--store", db.pg().url])).stdout) as { size: number };
    expect(report.size).toBeGreaterThanOrEqual(size);
    await ok(["lineage", "prove", "0", "--store", db.pg().url, "-o", "p0.json"]);
    expect((await ok(["lineage", "verify-proof", "p0.json"])).stdout).toContain("proof ok");
    expect((await ok(["lineage", "show", "0", "--store", db.pg().url])).stdout).toContain("agent@node-");
    expect((await ok(["lineage", "replay", "--store", db.pg().url])).stdout).toMatch(/replayed 6 decisions: 6 identical/);
    expect((await ok(["lineage", "checkpoint", "--store", db.pg().url])).stdout).toMatch(/^example\.com\/writ\/cli\n\d+\n/);
    // The wrong operator key, or a tampered entry, fail in one line naming the store.
    const wrong = await refused(["lineage", "verify", "--store", db.pg().url, "--key", "signer.pub"], "W8502");
    expect(wrong.stderr).toMatch(/^postgres:\/\/writ@127\.0\.0\.1:\d+\/postgres: error/);
    await db.sql(`UPDATE writ.entries SET data = convert_to(replace(convert_from(data, 'UTF8'), 'agent@node-a', 'agent@evil'), 'UTF8') WHERE idx = (SELECT min(idx) FROM writ.entries WHERE convert_from(data, 'UTF8') LIKE '%agent@node-a%')`);
    const bad = await refused(["lineage", "verify", "--store", db.pg().url, "--key", "operator.pub"], "W6201");
    expect(bad.stderr).toMatch(/^postgres:\/\/writ@127\.0\.0\.1:\d+\/postgres: error W6201: first bad entry: index \d+/);
  });

  it("revoke: the node's later checkpoints stop counting", async () => {
    const r = await ok(["mesh", "revoke", "--node", "node-b", "--key", "operator.key", "--from-size", "3"]);
    expect(r.stdout).toContain("above size 3");
    await refused(["mesh", "revoke", "--node", "node-b", "--key", "operator.key"], "W8504");
    await refused(["mesh", "revoke", "--node", "node-a", "--key", "operator.key", "--from-size", "-1"], "W5008");
    expect((await ok(["mesh", "status"])).stdout).toMatch(/node-b .*REVOKED above size 3/);
  });
});
