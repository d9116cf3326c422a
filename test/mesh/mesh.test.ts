/**
 * The mesh on a real PostgreSQL: init, enrollment and revocation as operator-signed records,
 * the checkpoint trust (enrolled, unrevoked node keys under one origin), pinning bundles and
 * entity snapshots, status, and change notifications (LISTEN/NOTIFY and polling).
 */
import { describe, expect, it } from "vitest";
import { signBundle } from "../../compiler/bundle.js";
import { nodeEd25519 } from "../../runtime/crypto/ed25519-node.js";
import { nodeSigner } from "../../runtime/lineage/local-log.js";
import { initMesh, Mesh, subscribe, openMeshNode, verifyCosignature, type MeshStatus } from "../../mesh/index.js";
import { bundleFrom, exampleJson } from "../support/bundles.js";
import { usePostgres } from "../support/postgres.js";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

const db = usePostgres();
const seed = (n: number): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => (n * 29 + i * 7) & 0xff);
const OPERATOR = nodeSigner(seed(100));
const BUNDLE_SEED = seed(200);
const text = (f: string): string => readFileSync(resolve(process.cwd(), "examples/doc-sharing", f), "utf8");
const signedBundle = (sequence: number): unknown =>
  JSON.parse(JSON.stringify(signBundle(bundleFrom(text("policies.cedar"), text("schema.cedarschema"), { sequence }), BUNDLE_SEED, nodeEd25519)));

async function newMesh(name = "example.com/writ/test"): Promise<{ mesh: Mesh; schema: string }> {
  const schema = db.schema();
  const r = await initMesh({ url: db.pg().url, schema, name, operator: OPERATOR });
  if (!r.ok) throw new Error(r.problem.message);
  return { mesh: r.mesh, schema };
}

async function must<T extends { ok: boolean }>(p: Promise<T> | T): Promise<T & { ok: true }> {
  const r = await p;
  if (!r.ok) throw new Error((r as unknown as { problem: { message: string } }).problem.message);
  return r as T & { ok: true };
}

describe("mesh records", () => {
  it("init is idempotent for the same name and key, and refuses another name or operator", async () => {
    const { mesh, schema } = await newMesh();
    expect(mesh.name).toBe("example.com/writ/test");
    const again = await initMesh({ url: db.pg().url, schema, name: "example.com/writ/test", operator: OPERATOR });
    expect(again.ok && again.created).toBe(false);
    const otherName = await initMesh({ url: db.pg().url, schema, name: "example.com/other", operator: OPERATOR });
    expect(otherName.ok ? "" : otherName.problem.code).toBe("W8503");
    const otherKey = await initMesh({ url: db.pg().url, schema, name: "example.com/writ/test", operator: nodeSigner(seed(101)) });
    expect(otherKey.ok ? "" : otherKey.problem.code).toBe("W8503");
    const badName = await initMesh({ url: db.pg().url, schema: db.schema(), name: "has space", operator: OPERATOR });
    expect(badName.ok ? "" : badName.problem.code).toBe("W8503");
    if (again.ok) await again.mesh.close();
    await mesh.close();
  });

  it("opening a store without a mesh says to run writ mesh init", async () => {
    const r = await Mesh.open({ url: db.pg().url, schema: db.schema() });
    expect(r.ok ? "" : r.problem.code).toBe("W8501");
    expect(r.ok ? "" : r.problem.message).toContain("writ mesh init");
  });

  it("enrolls and revokes nodes as a verified chain; refuses duplicates, unknown nodes and a non-operator key", async () => {
    const { mesh, schema } = await newMesh();
    await must(mesh.enroll(OPERATOR, "node-a", nodeSigner(seed(1)).publicKey));
    await must(mesh.enroll(OPERATOR, "node-b", nodeSigner(seed(2)).publicKey));
    const dupName = await mesh.enroll(OPERATOR, "node-a", nodeSigner(seed(3)).publicKey);
    expect(dupName.ok ? "" : dupName.problem.code).toBe("W8504");
    const dupKey = await mesh.enroll(OPERATOR, "node-c", nodeSigner(seed(1)).publicKey);
    expect(dupKey.ok ? "" : dupKey.problem.message).toContain("already enrolled for node node-a");
    const notOperator = await mesh.enroll(nodeSigner(seed(1)), "node-c", nodeSigner(seed(3)).publicKey);
    expect(notOperator.ok ? "" : notOperator.problem.code).toBe("W8503");
    expect((await mesh.revoke(OPERATOR, "nobody")).ok).toBe(false);
    await must(mesh.revoke(OPERATOR, "node-b", 7));
    // A revoked name may be enrolled again with a new key.
    await must(mesh.enroll(OPERATOR, "node-b", nodeSigner(seed(4)).publicKey));
    const reopened = await must(Mesh.open({ url: db.pg().url, schema, operatorKey: OPERATOR.publicKey }));
    expect(reopened.mesh.operatorPinned).toBe(true);
    expect([...reopened.mesh.roster.nodes.keys()]).toEqual(["node-a", "node-b"]);
    expect(reopened.mesh.roster.enrollments.map((n) => [n.name, n.revokedFrom])).toEqual([
      ["node-a", undefined],
      ["node-b", 7],
      ["node-b", undefined],
    ]);
    expect(reopened.mesh.roster.head.seq).toBe(4);
    await reopened.mesh.close();
    await mesh.close();
  });

  it("a record removed, reordered or re-signed by another key breaks the chain (W8502)", async () => {
    const { mesh, schema } = await newMesh();
    await must(mesh.enroll(OPERATOR, "node-a", nodeSigner(seed(1)).publicKey));
    await must(mesh.enroll(OPERATOR, "node-b", nodeSigner(seed(2)).publicKey));
    await must(mesh.enroll(OPERATOR, "node-c", nodeSigner(seed(3)).publicKey));
    // An attacker with database access drops an enrollment in the middle and renumbers.
    await db.sql(`DELETE FROM ${schema}.mesh_records WHERE seq = 2`);
    await db.sql(`UPDATE ${schema}.mesh_records SET seq = 2 WHERE seq = 3`);
    const r = await Mesh.open({ url: db.pg().url, schema, operatorKey: OPERATOR.publicKey });
    expect(r.ok ? "" : r.problem.code).toBe("W8502");
    // A whole mesh re-signed by another key does not open against the pinned operator key.
    const forged = db.schema();
    const f = await must(initMesh({ url: db.pg().url, schema: forged, name: "example.com/writ/test", operator: nodeSigner(seed(66)) }));
    await f.mesh.close();
    const pinned = await Mesh.open({ url: db.pg().url, schema: forged, operatorKey: OPERATOR.publicKey });
    expect(pinned.ok ? "" : pinned.problem.code).toBe("W8502");
    await mesh.close();
  });
});

describe("mesh log trust", () => {
  it("accepts checkpoints only from enrolled, unrevoked nodes; a node key not enrolled cannot open the log", async () => {
    const { mesh } = await newMesh();
    await must(mesh.enroll(OPERATOR, "node-a", nodeSigner(seed(1)).publicKey));
    await must(mesh.enroll(OPERATOR, "node-b", nodeSigner(seed(2)).publicKey));
    const a = (await must(mesh.openLog({ signer: nodeSigner(seed(1)) }))).log;
    const b = (await must(mesh.openLog({ signer: nodeSigner(seed(2)) }))).log;
    expect(a.origin).toBe(mesh.name);
    await must(a.append([{ n: 1 }]));
    await must(b.append([{ n: 2 }]));
    await must(a.append([{ n: 3 }]));
    const stranger = await mesh.openLog({ signer: nodeSigner(seed(9)) });
    expect(stranger.ok ? "" : stranger.problem.code).toBe("W8504");
    const trust = mesh.trust();
    expect(trust.signerOf(a.checkpoint!)).toBe("node-a");
    expect((await trust.verify(b.checkpoint!)).ok).toBe(true);
    // A checkpoint signed with a stranger's key under the mesh origin is refused.
    const fakeStore = await db.store();
    const { LineageLog } = await import("../../runtime/lineage/log.js");
    const { keyTrust } = await import("../../runtime/lineage/trust.js");
    const { nodeCrypto } = await import("../../runtime/crypto/node-crypto.js");
    const fake = await must(LineageLog.open({ store: fakeStore, crypto: nodeCrypto, signer: nodeSigner(seed(9)), trust: keyTrust(mesh.name, nodeSigner(seed(9)).publicKey, nodeEd25519) }));
    await must(fake.log.append([{ n: 1 }]));
    const refused = await trust.verify(fake.log.checkpoint!);
    expect(refused.ok ? "" : refused.problem.code).toBe("W8505");
    await fake.log.close();
    // Revoking node-b from size 2: its checkpoint at size 2 still counts, later ones do not.
    const at2 = (await a.store.checkpoints()).find((c) => c.size === 2)!.note;
    await must(mesh.revoke(OPERATOR, "node-b", 2));
    const t2 = mesh.trust();
    expect((await t2.verify(at2)).ok).toBe(true);
    const late = await b.append([{ n: 4 }]); // b's log still holds the old roster: it can write, but nobody accepts it
    expect(late.ok).toBe(true);
    const after = await t2.verify(late.ok ? late.checkpoint : "");
    expect(after.ok ? "" : after.problem.message).toContain("revoked from size 2");
    // A reader opened now refuses the log (b's checkpoint at size 4 no longer counts); a log opened
    // before the revocation rereads the roster within its reload interval.
    const reader = (await must(mesh.openLog())).log;
    const v = await reader.verify();
    expect(v.ok).toBe(false);
    expect(v.error).toContain("revoked from size 2");
    await new Promise((r) => setTimeout(r, 1100));
    expect((await a.verify()).ok).toBe(false);
    await reader.close();
    for (const l of [a, b]) await l.close();
    await mesh.close();
  });

  it("a node enrolled after a log opened is accepted when its checkpoint arrives (the roster reloads)", async () => {
    const { mesh } = await newMesh();
    await must(mesh.enroll(OPERATOR, "node-a", nodeSigner(seed(1)).publicKey));
    const a = (await must(mesh.openLog({ signer: nodeSigner(seed(1)) }))).log;
    await must(a.append([{ n: 1 }]));
    await must(mesh.enroll(OPERATOR, "node-late", nodeSigner(seed(5)).publicKey));
    const late = (await must(mesh.openLog({ signer: nodeSigner(seed(5)) }))).log;
    await must(late.append([{ n: 2 }]));
    const r = await must(a.append([{ n: 3 }])); // a catches up with a checkpoint by a node it did not know
    expect(r.entries[0]!.index).toBe(2);
    expect((await a.verify()).ok).toBe(true);
    for (const l of [a, late]) await l.close();
    await mesh.close();
  });
});

describe("pinning and status", () => {
  it("publishes a signed bundle (checked signature, ids, sequence) and entity snapshots; refuses rollbacks and strangers", async () => {
    const { mesh } = await newMesh();
    const bundleKey = nodeSigner(BUNDLE_SEED).publicKey;
    const r1 = await must(mesh.publishBundle(OPERATOR, signedBundle(3), bundleKey));
    expect(r1.record.kind).toBe("pin");
    const same = await must(mesh.publishBundle(OPERATOR, signedBundle(3), bundleKey));
    expect(same.unchanged).toBe(true);
    const rollback = await mesh.publishBundle(OPERATOR, signedBundle(2), bundleKey);
    expect(rollback.ok ? "" : rollback.problem.code).toBe("W8508");
    const wrongKey = await mesh.publishBundle(OPERATOR, signedBundle(4), nodeSigner(seed(7)).publicKey);
    expect(wrongKey.ok ? "" : wrongKey.problem.message).toContain("W6103");
    const tampered = signedBundle(4) as { sequence: number };
    tampered.sequence = 9;
    expect((await mesh.publishBundle(OPERATOR, tampered, bundleKey)).ok).toBe(false);
    const pinned = await must(mesh.pinnedBundle());
    expect(pinned.value?.bundle.sequence).toBe(3);

    const entities = await must(mesh.publishEntities(OPERATOR, exampleJson("entities.json")));
    const id = entities.record.kind === "pin" ? entities.record.id : "";
    expect(await mesh.store.getObject(id)).toBeDefined();
    const badEntities = await mesh.publishEntities(OPERATOR, [{ uid: { type: "Nope", id: "x" }, attrs: {}, parents: [] }]);
    expect(badEntities.ok ? "" : badEntities.problem.code).toBe("W8508");

    await must(mesh.enroll(OPERATOR, "node-a", nodeSigner(seed(1)).publicKey));
    const status: MeshStatus = (await must(mesh.status())).status;
    expect(status.mesh).toBe(mesh.name);
    expect(status.nodes.map((n) => n.name)).toEqual(["node-a"]);
    expect(status.bundle?.sequence).toBe(3);
    expect(status.entities?.id).toBe(id);
    expect(status.log.size).toBe(0);
    await mesh.close();
  });

  it("a subscriber learns of appends and pins by notification, and by polling when not listening", async () => {
    const { mesh, schema } = await newMesh();
    await must(mesh.enroll(OPERATOR, "node-a", nodeSigner(seed(1)).publicKey));
    const watcher = await must(Mesh.open({ url: db.pg().url, schema }));
    const seen: { log: number[]; rosters: number[] } = { log: [], rosters: [] };
    const fast = subscribe(watcher.mesh, { url: db.pg().url, pollMs: 60_000, onLog: (s) => seen.log.push(s), onRoster: (r) => seen.rosters.push(r.head.seq) });
    const polled: number[] = [];
    const slow = subscribe(watcher.mesh, { url: db.pg().url, listen: false, pollMs: 100, onLog: (s) => polled.push(s) });
    await fast.ready;
    await slow.ready;
    const node = await must(openMeshNode({ url: db.pg().url, schema, node: "node-a", privateKey: seed(1) }));
    await must(node.node.log.append([{ n: 1 }, { n: 2 }]));
    await must(mesh.publishBundle(OPERATOR, signedBundle(1), nodeSigner(BUNDLE_SEED).publicKey));
    const until = async (f: () => boolean): Promise<void> => {
      for (let i = 0; i < 100 && !f(); i++) await new Promise((r) => setTimeout(r, 50));
    };
    await until(() => seen.log.includes(2) && seen.rosters.length > 0 && polled.includes(2));
    expect(seen.log).toEqual([0, 2]);
    expect(seen.rosters).toEqual([2]);
    expect(fast.stats.notified).toBeGreaterThan(0);
    expect(polled).toContain(2);
    expect(slow.stats.notified).toBe(0);
    await fast.close();
    await slow.close();
    await node.node.close();
    await watcher.mesh.close();
    await mesh.close();
  });

  it("every node witnesses the shared log: cosignatures are stored and served with the checkpoint", async () => {
    const { mesh, schema } = await newMesh();
    const names = ["node-a", "node-b", "node-c"];
    for (const [i, n] of names.entries()) await must(mesh.enroll(OPERATOR, n, nodeSigner(seed(i + 1)).publicKey));
    const nodes = await Promise.all(names.map(async (n, i) => (await must(openMeshNode({ url: db.pg().url, schema, node: n, privateKey: seed(i + 1) }))).node));
    await Promise.all(nodes.map((n, i) => must(n.log.append([{ from: n.name, i }]))));
    for (const n of nodes) expect((await n.witnessOnce()).ok).toBe(true);
    const cp = await mesh.cosignedCheckpoint();
    expect(cp?.size).toBe(3);
    expect(cp?.cosignatures).toBe(3);
    for (const [i, n] of names.entries()) {
      expect(verifyCosignature(cp!.note, `${mesh.name}/witness/${n}`, nodeSigner(seed(i + 1)).publicKey, nodeEd25519).ok).toBe(true);
    }
    expect((await mesh.trust().verify(cp!.note)).ok).toBe(true);
    const status = (await must(mesh.status())).status;
    expect(status.log.checkpoint).toMatchObject({ size: 3, cosignatures: 3 });
    expect(names).toContain(status.log.checkpoint?.signer);
    for (const n of nodes) await n.close();
    await mesh.close();
  });
});
