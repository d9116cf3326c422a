/**
 * `writ serve --store postgres://…`: servers as mesh nodes on a real PostgreSQL.
 *
 * - Two real `writ serve` processes (bin/writ.js over dist/) on one mesh: they start on the
 *   pinned bundle (no --bundle), a child authorized on node B whose parent was recorded on
 *   node A is decided with the proven ancestry, an unknown parent is a deny (W7002), a new pin
 *   reaches both, `GET /v1/mesh` and `writ mesh status` show both nodes live, checkpoints and
 *   proofs carry the witnesses' cosignatures (k asked, fewer → W8511), and a conflicting
 *   checkpoint written with an enrolled key puts both nodes into fail-closed (split view).
 * - In process (`createServer` + `MeshService`): a pinned bundle the node cannot verify keeps
 *   it behind; after the grace period it refuses decisions (W8510) until a pin it can load.
 * - The command line: a bad URL, an unreachable database, an unenrolled key are one line and
 *   exit 2.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../cli/main.js";
import { signBundle } from "../../compiler/index.js";
import { memoryOutput } from "../../cli/io.js";
import { signCheckpoint } from "../../runtime/lineage/checkpoint.js";
import { nodeEd25519 } from "../../runtime/crypto/ed25519-node.js";
import { nodeSigner, publicKeyToPem, verifyProof } from "../../runtime/index.js";
import { readPrivateKey, writeKeyPair } from "../../runtime/keys.js";
import { initMesh, MeshService, type Mesh } from "../../mesh/index.js";
import { createServer, type WritServer } from "../../server/index.js";
import { BUNDLE_PUBLIC, compileBundle, spawnServe, tempDir, type ServeProcess } from "../support/servers.js";
import { usePostgres } from "../support/postgres.js";

const db = usePostgres();
const NAME = "example.com/writ/serve";
const OPERATOR = nodeSigner(new Uint8Array(32).fill(41));
const OTHER_SIGNER = new Uint8Array(32).fill(43);
const schema = `entity User = { role: String };
entity Doc;
action read, write appliesTo { principal: [User], resource: [Doc] };`;
const readOnly = `@id("read") permit (principal, action == Action::"read", resource);`;
const readWrite = `${readOnly}\n@id("write") permit (principal, action == Action::"write", resource) when { principal.role == "editor" };`;
const entities = [
  { uid: { type: "User", id: "ed" }, attrs: { role: "editor" }, parents: [] },
  { uid: { type: "User", id: "vi" }, attrs: { role: "viewer" }, parents: [] },
];
const req = (who: string, action: string) => ({ principal: { type: "User", id: who }, action: { type: "Action", id: action }, resource: { type: "Doc", id: "d1" }, context: {} });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let tmp = "";
beforeAll(() => {
  tmp = tempDir("writ-mesh-serve-");
  writeFileSync(join(tmp, "bundle.pub"), publicKeyToPem(BUNDLE_PUBLIC));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A fresh mesh with these nodes enrolled (their key files written under tmp). */
async function meshWith(nodes: readonly string[]): Promise<{ mesh: Mesh; schema: string; keys: Record<string, string> }> {
  const s = db.schema();
  const r = await initMesh({ url: db.pg().url, schema: s, name: NAME, operator: OPERATOR });
  if (!r.ok) throw new Error(r.problem.message);
  const keys: Record<string, string> = {};
  for (const n of nodes) {
    const k = writeKeyPair(join(tmp, `${s}-${n}`));
    if (!k.ok) throw new Error(k.problem.message);
    const e = await r.mesh.enroll(OPERATOR, n, k.value.publicKey);
    if (!e.ok) throw new Error(e.problem.message);
    keys[n] = k.value.privateKeyPath;
  }
  return { mesh: r.mesh, schema: s, keys };
}

async function must<T extends { ok: boolean }>(p: Promise<T>): Promise<T & { ok: true }> {
  const r = await p;
  if (!r.ok) throw new Error((r as unknown as { problem: { message: string } }).problem.message);
  return r as T & { ok: true };
}

/** GET a URL: status and JSON (or text) body. */
async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any; text: string }> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body, text };
}

async function post(url: string, payload: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload) });
  return { status: res.status, body: (await res.json()) as unknown };
}

/** Poll until `check` passes (its last failure thrown after `ms`). */
async function eventually<T>(check: () => Promise<T>, ms = 8000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > until) throw e;
      await sleep(100);
    }
  }
}

async function writ(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = memoryOutput();
  const code = await runCli(args, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

describe("writ serve --store: two node processes", () => {
  it("pinned bundle, cross-node lineage, live pins, /v1/mesh, witnessed checkpoints and proofs, split view", async () => {
    const { mesh, schema: s, keys } = await meshWith(["node-a", "node-b", "node-c"]);
    const b1 = compileBundle(readOnly, schema, { sequence: 1 });
    const b2 = compileBundle(readWrite, schema, { sequence: 2 });
    await must(mesh.publishBundle(OPERATOR, b1, BUNDLE_PUBLIC));
    await must(mesh.publishEntities(OPERATOR, entities));
    const url = db.pg().url;
    const common = ["--store", url, "--store-schema", s, "--witness-interval", "150", "--log-level", "warn"];
    const nodes: ServeProcess[] = [];
    try {
      for (const [n, extra] of [["node-a", ["--key", join(tmp, "bundle.pub")]], ["node-b", []]] as const) {
        mkdirSync(join(tmp, `${s}-${n}`), { recursive: true });
        nodes.push(await spawnServe([...common, "--node", n, "--node-key", keys[n]!, "--dir", join(tmp, `${s}-${n}`), ...extra], tmp));
      }
      const [a, b] = nodes as [ServeProcess, ServeProcess];
      for (const n of nodes) {
        const ready = await get(`${n.url}/readyz`);
        expect(ready.status, n.output()).toBe(200);
        expect(ready.body.bundleId).toBe(b1.bundleId);
        expect(ready.body.mesh).toBe(NAME);
      }

      // Cross-node lineage: the parent recorded by node A, the child decided by node B.
      const parent = await post(`${a.url}/v1/authorize`, { request: req("vi", "read") });
      expect(parent.body.allowed).toBe(true);
      const child = await post(`${b.url}/v1/authorize`, { request: req("vi", "read"), parent: parent.body.authorizedEvent });
      expect(child.body.allowed, JSON.stringify(child.body)).toBe(true);
      const requested = await get(`${b.url}/v1/lineage/events/${child.body.events[0].id}`);
      expect(requested.body.event.node).toBe("node-b");
      expect(requested.body.event.parents).toEqual([parent.body.authorizedEvent]);
      expect(requested.body.event.request.lineage.depth).toBe(1);
      const orphan = await post(`${b.url}/v1/authorize`, { request: req("vi", "read"), parent: `sha256:${"0".repeat(64)}` });
      expect([orphan.body.allowed, orphan.body.problem?.code]).toEqual([false, "W7002"]);

      // A new pin reaches both nodes; local bundle changes are refused.
      await must(mesh.publishBundle(OPERATOR, b2, BUNDLE_PUBLIC));
      for (const n of nodes) await eventually(async () => expect((await get(`${n.url}/readyz`)).body.bundleId).toBe(b2.bundleId));
      expect((await post(`${b.url}/v1/authorize`, { request: req("ed", "write") })).body.allowed).toBe(true);
      const put = await fetch(`${a.url}/v1/bundle`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(b1) });
      expect([put.status, ((await put.json()) as { code: string }).code]).toEqual([409, "W8016"]);

      // Live status and witnesses.
      const view = await eventually(async () => {
        const v = (await get(`${a.url}/v1/mesh`)).body;
        expect(v.nodes.filter((n: { ready: boolean }) => n.ready).map((n: { name: string }) => n.name)).toEqual(["node-a", "node-b"]);
        expect(v.checkpoint.size).toBe(v.size);
        expect(v.checkpoint.cosignatures).toBe(2);
        return v;
      });
      expect(view).toMatchObject({ mesh: NAME, origin: NAME, pins: { bundle: b2.bundleId, entities: expect.stringMatching(/^sha256:/) } });
      expect(view.nodes.find((n: { name: string }) => n.name === "node-c")).toMatchObject({ ready: false, reason: "never seen", last_seen: null });
      expect(view.nodes.find((n: { name: string }) => n.name === "node-b")).toMatchObject({ bundle: b2.bundleId, entities: view.pins.entities, size: view.size, witnessed: view.size });
      const cp = await get(`${b.url}/v1/lineage/checkpoint?witnesses=2`);
      expect(cp.body).toMatchObject({ origin: NAME, size: view.size, witnesses: ["node-a", "node-b"], cosignatures: 2 });
      const note = await get(`${b.url}/v1/lineage/checkpoint`, { accept: "text/plain" });
      expect(note.text.match(/^— example\.com\/writ\/serve\/witness\/node-[ab] /gm)).toHaveLength(2);
      expect((await get(`${b.url}/v1/lineage/checkpoint?witnesses=3`)).body.code).toBe("W8511");
      const proof = await get(`${a.url}/v1/lineage/proof/${child.body.authorizedEvent}?witnesses=2`);
      expect(proof.status, proof.text).toBe(200);
      // Witnesses cosign again on every tick (a new timestamp), so compare the checkpoint without its cosignatures.
      const unwitnessed = (n: string): string => n.replace(/^— example\.com\/writ\/serve\/witness\/.*\n/gm, "");
      expect(unwitnessed(proof.body.checkpoint)).toBe(unwitnessed(cp.body.checkpoint));
      expect(verifyProof(proof.body).ok).toBe(true);
      expect((await get(`${a.url}/v1/lineage/proof/${child.body.authorizedEvent}?witnesses=3`)).body.code).toBe("W8511");
      const cli = await writ(["lineage", "prove", child.body.authorizedEvent, "--store", url, "--schema", s, "--witnesses", "2"]);
      expect(cli.code, cli.stderr).toBe(0);
      expect(unwitnessed(JSON.parse(cli.stdout).checkpoint)).toBe(unwitnessed(cp.body.checkpoint));
      const tooMany = await writ(["lineage", "prove", child.body.authorizedEvent, "--store", url, "--schema", s, "--witnesses", "3"]);
      expect([tooMany.code, tooMany.stderr.trim().split("\n").length]).toEqual([1, 1]);
      expect(tooMany.stderr).toContain("W8511");
      const status = await writ(["mesh", "status", "--store", url, "--schema", s]);
      expect(status.stdout).toMatch(/node-a .*\n {4}ready {2}bundle [0-9a-f]{12} {2}entities [0-9a-f]{12} {2}last seen \d{4}-/);
      expect(status.stdout).toMatch(/node-c .*\n {4}NOT READY \(never seen\)/);

      // Split view: node C's key signs another root for the latest size.
      const size = view.size as number;
      const nodeC = readPrivateKey(keys["node-c"]!);
      if (!nodeC.ok) throw new Error(nodeC.problem.message);
      const forged = signCheckpoint({ origin: NAME, size, rootHash: new Uint8Array(32).fill(7) }, NAME, nodeC.value, nodeEd25519);
      await db.sql(`UPDATE ${s}.checkpoints SET note = $1 WHERE size = $2`, [forged, size]);
      for (const n of nodes) {
        // NOTE: a node that meets the forged checkpoint while catching up refuses appends first
        // ("the lineage log is not writable"); its witness then names the split view.
        await eventually(async () => {
          const r = await get(`${n.url}/readyz`);
          expect(r.status).toBe(503);
          expect(r.body.reasons.join(" ")).toMatch(/W8506 split view of example\.com\/writ\/serve: two checkpoints of size \d+ with different roots/);
        });
        const refused = await post(`${n.url}/v1/authorize`, { request: req("vi", "read") });
        expect([refused.status, refused.body.code]).toEqual([503, "W8506"]);
        expect((await post(`${n.url}/access/v1/evaluation`, { subject: { type: "User", id: "vi" }, action: { name: "read" }, resource: { type: "Doc", id: "d1" } })).body.decision).toBe(false);
        expect((await get(`${n.url}/metrics`)).text).toMatch(/^writ_mesh_split_view 1$/m);
        expect(n.output().match(/split view: failing closed/g)).toHaveLength(1);
      }
    } finally {
      for (const n of nodes) n.child.kill("SIGTERM");
      await Promise.all(nodes.map((n) => n.exited));
      await mesh.close();
    }
  }, 60_000);
});

describe("writ serve --store: pins and grace", () => {
  let server: WritServer | undefined;
  afterAll(async () => server?.close());

  it("a pinned bundle the node cannot verify keeps it behind; after the grace period it fails closed (W8510) until it catches up", async () => {
    const { mesh, schema: s, keys } = await meshWith(["node-a"]);
    const b1 = compileBundle(readOnly, schema, { sequence: 1 });
    await must(mesh.publishBundle(OPERATOR, b1, BUNDLE_PUBLIC));
    await must(mesh.publishEntities(OPERATOR, entities));
    const key = readPrivateKey(keys["node-a"]!);
    if (!key.ok) throw new Error(key.problem.message);
    const service = (await must(MeshService.start({ url: db.pg().url, schema: s, node: "node-a", privateKey: key.value, witnessIntervalMs: 100, pinGraceMs: 300, pollMs: 100 }))).service;
    const created = await createServer({ log: service.log, signer: service.signer, mesh: service, bundleKey: BUNDLE_PUBLIC, node: "node-a" });
    if (!created.ok) throw new Error(created.problem.message);
    server = created.server;
    const app = server.app;
    const authorize = async () => app.inject({ method: "POST", url: "/v1/authorize", payload: { request: req("vi", "read") } });
    expect((await authorize()).json().allowed).toBe(true);

    // Signed by another key than the node's --key: the node refuses it and stays on b1.
    const signedElsewhere = JSON.parse(JSON.stringify(signBundle(compileBundle(readWrite, schema, { sequence: 2, signed: false }), OTHER_SIGNER, nodeEd25519))) as unknown;
    await must(mesh.publishBundle(OPERATOR, signedElsewhere, nodeEd25519.publicKeyOf(OTHER_SIGNER)));
    const held = await eventually(async () => {
      const r = await app.inject({ method: "GET", url: "/readyz" });
      expect(r.statusCode).toBe(503);
      return r.json() as { reasons: string[] };
    }, 5000);
    expect(held.reasons.join(" ")).toMatch(/W8510 node node-a is behind the mesh's pins for more than 300 ms: active bundle sha256:[0-9a-f]+, pinned sha256:/);
    const refused = await authorize();
    expect([refused.statusCode, refused.json().code]).toEqual([503, "W8510"]);
    expect((await app.inject({ method: "GET", url: "/metrics" })).body).toMatch(/^writ_mesh_behind_pins 1$/m);

    // A pin it can verify: caught up, deciding again.
    const b3 = compileBundle(readWrite, schema, { sequence: 3 });
    await must(mesh.publishBundle(OPERATOR, b3, BUNDLE_PUBLIC));
    await eventually(async () => expect((await app.inject({ method: "GET", url: "/readyz" })).json().bundleId).toBe(b3.bundleId), 5000);
    expect((await app.inject({ method: "POST", url: "/v1/authorize", payload: { request: req("ed", "write") } })).json().allowed).toBe(true);
    await mesh.close();
  }, 30_000);
});

describe("writ serve --store: refusals", () => {
  it("a bad URL, an unreachable database, an unenrolled key, mesh options without --store: one line, exit 2", async () => {
    const { mesh, schema: s, keys } = await meshWith(["node-a"]);
    await mesh.close();
    const stray = writeKeyPair(join(tmp, `${s}-stray`));
    if (!stray.ok) throw new Error(stray.problem.message);
    const cases: [readonly string[], string][] = [
      [["--store", "mysql://nope", "--node", "a", "--node-key", keys["node-a"]!], "W5008"],
      [["--store", "postgres://writ@127.0.0.1:1/none", "--node", "node-a", "--node-key", keys["node-a"]!], "W6205"],
      [["--store", db.pg().url, "--store-schema", s, "--node", "node-a", "--node-key", stray.value.privateKeyPath], "W8504"],
      [["--store", db.pg().url, "--store-schema", s, "--node-key", keys["node-a"]!], "W5008"],
      [["--node-key", keys["node-a"]!, "--bundle", "b.json"], "W5008"],
    ];
    for (const [args, code] of cases) {
      const r = await writ(["serve", "--port", "0", ...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split("\n"), r.stderr).toHaveLength(1);
      expect(r.stderr).toContain(code);
      expect(r.stdout).toBe("");
    }
  }, 30_000);
});
