/**
 * Witnessing: C2SP tlog-cosignature (cosignature/v1) lines, the consistency check against
 * the last checkpoint seen, and split views (one size with two roots, a failed consistency
 * proof, a store gone back) reported with both checkpoints.
 */
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nodeEd25519 } from "../../runtime/crypto/ed25519-node.js";
import { nodeCrypto } from "../../runtime/crypto/node-crypto.js";
import { nodeSigner } from "../../runtime/lineage/local-log.js";
import { LineageLog } from "../../runtime/lineage/log.js";
import { MemoryLineageStore } from "../../runtime/lineage/memory-store.js";
import { keyTrust } from "../../runtime/lineage/trust.js";
import { cosign, cosignatureKeyId, splitView, verifyCosignature, Witness, type SeenCheckpoint } from "../../mesh/witness.js";

const seed = (n: number): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => (n * 31 + i * 3) & 0xff);
const ORIGIN = "example.com/writ/witness-test";
const LOG_KEY = nodeSigner(seed(1));
const WITNESS_KEY = nodeSigner(seed(2));
const trust = keyTrust(ORIGIN, LOG_KEY.publicKey, nodeEd25519);
const clock = () => new Date(1_700_000_000_000);

async function logOn(store = new MemoryLineageStore()): Promise<LineageLog> {
  const r = await LineageLog.open({ store, crypto: nodeCrypto, signer: LOG_KEY, trust });
  if (!r.ok) throw new Error(r.problem.message);
  return r.log;
}

async function grow(log: LineageLog, tag: string, n: number): Promise<string> {
  const r = await log.append(Array.from({ length: n }, (_, i) => ({ tag, i })));
  if (!r.ok) throw new Error(r.problem.message);
  return r.checkpoint;
}

const proofOf = async (log: LineageLog, from: number): Promise<Uint8Array[]> => {
  const c = await log.consistency(from);
  if (!c.ok) throw new Error(c.problem.message);
  return c.proof.path.map((p) => new Uint8Array(Buffer.from(p, "base64")));
};

const witness = (last?: string): Witness => new Witness({ name: `${ORIGIN}/witness/w1`, signer: WITNESS_KEY, trust, clock, ...(last === undefined ? {} : { last }) });

describe("cosignatures (tlog-cosignature, cosignature/v1)", () => {
  it("signs key id ‖ big-endian time ‖ Ed25519 over 'cosignature/v1\\ntime <t>\\n' + body, and verifies", async () => {
    const note = await grow(await logOn(), "a", 3);
    const r = cosign(note, "w.example/w1", WITNESS_KEY, 1_679_315_147);
    if (!r.ok) throw new Error(r.problem.message);
    const [, name, b64] = /^\u2014 (\S+) (\S+)\n$/.exec(r.line)!;
    expect(name).toBe("w.example/w1");
    const blob = Buffer.from(b64!, "base64");
    expect(blob.length).toBe(4 + 8 + 64);
    const keyId = createHash("sha256").update(Buffer.concat([Buffer.from("w.example/w1\n"), Buffer.of(4), Buffer.from(WITNESS_KEY.publicKey)])).digest().subarray(0, 4);
    expect(blob.subarray(0, 4).equals(keyId)).toBe(true);
    expect(Buffer.from(cosignatureKeyId("w.example/w1", WITNESS_KEY.publicKey)).equals(keyId)).toBe(true);
    expect(blob.readBigUInt64BE(4)).toBe(1_679_315_147n);
    const body = note.slice(0, note.indexOf("\n\n") + 1);
    expect(nodeEd25519.verify(WITNESS_KEY.publicKey, new TextEncoder().encode(`cosignature/v1\ntime 1679315147\n${body}`), blob.subarray(12))).toBe(true);
    expect(verifyCosignature(note + r.line, "w.example/w1", WITNESS_KEY.publicKey, nodeEd25519)).toEqual({ ok: true, timestamp: 1_679_315_147 });
    // Another key, another name, or a changed time do not verify.
    expect(verifyCosignature(note + r.line, "w.example/w1", LOG_KEY.publicKey, nodeEd25519).ok).toBe(false);
    expect(verifyCosignature(note + r.line, "w.example/w2", WITNESS_KEY.publicKey, nodeEd25519).ok).toBe(false);
    blob.writeBigUInt64BE(1_679_315_148n, 4);
    const changed = `\u2014 w.example/w1 ${blob.toString("base64")}\n`;
    expect(verifyCosignature(note + changed, "w.example/w1", WITNESS_KEY.publicKey, nodeEd25519).ok).toBe(false);
    // The log's own signature still verifies on the cosigned note.
    expect((trust.verify(note + r.line) as { ok: boolean }).ok).toBe(true);
  });
});

describe("Witness", () => {
  it("cosigns the first checkpoint and each consistent newer one; needs a proof to move", async () => {
    const log = await logOn();
    const w = witness();
    const n3 = await grow(log, "a", 3);
    const first = await w.observe(n3);
    expect(first.ok && first.status).toBe("cosigned");
    const n8 = await grow(log, "b", 5);
    const noProof = await w.observe(n8);
    expect(noProof.ok ? "" : noProof.problem.code).toBe("W8509");
    const second = await w.observe(n8, await proofOf(log, 3));
    expect(second.ok && second.status).toBe("cosigned");
    expect(w.last?.size).toBe(8);
    if (second.ok && second.status === "cosigned") expect(verifyCosignature(n8 + second.cosignature, w.name, WITNESS_KEY.publicKey, nodeEd25519).ok).toBe(true);
    // The same checkpoint again is cosigned again (a fresh time); an older one with a proof is only remembered.
    expect((await w.observe(n8)).ok).toBe(true);
    const older = await w.observe(n3, await proofOf(log, 3));
    expect(older.ok && older.status).toBe("older");
  });

  it("refuses a checkpoint its trust does not accept", async () => {
    const other = await LineageLog.open({ store: new MemoryLineageStore(), crypto: nodeCrypto, signer: nodeSigner(seed(9)), trust: keyTrust(ORIGIN, nodeSigner(seed(9)).publicKey, nodeEd25519) });
    if (!other.ok) throw new Error(other.problem.message);
    const note = await grow(other.log, "x", 2);
    const r = await witness().observe(note);
    expect(r.ok).toBe(false);
  });

  it("reports one size with two roots as a split view naming both checkpoints", async () => {
    const a = await logOn();
    const b = await logOn();
    const na = await grow(a, "a", 4);
    const nb = await grow(b, "b", 4);
    const w = witness();
    expect((await w.observe(na)).ok).toBe(true);
    const r = await w.observe(nb);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problem.code).toBe("W8506");
    expect(r.split?.reason).toBe("same-size");
    expect(r.split?.first.note).toBe(na);
    expect(r.split?.second.note).toBe(nb);
    expect(r.problem.message).toContain("size 4");
    // It remembers older sizes too: the fork's size-4 checkpoint is caught after the witness moved on.
    await grow(a, "a2", 2);
    const w2 = witness();
    expect((await w2.observe(na)).ok).toBe(true);
    expect((await w2.observe(a.checkpoint!, await proofOf(a, 4))).ok).toBe(true);
    const late = await w2.observe(nb, []);
    expect(late.ok ? "" : late.problem.code).toBe("W8506");
  });

  it("reports a newer checkpoint that does not extend the last one as a split view", async () => {
    const a = await logOn();
    const fork = await logOn();
    const na = await grow(a, "a", 3);
    await grow(fork, "f", 3);
    const nf = await grow(fork, "f2", 4);
    const w = witness();
    expect((await w.observe(na)).ok).toBe(true);
    const r = await w.observe(nf, await proofOf(fork, 3));
    expect(r.ok ? "" : r.split?.reason).toBe("inconsistent");
    expect(w.last?.note).toBe(na); // it did not move
  });

  it("witnesses a store: follows it, and catches a replaced (forked) or truncated store", async () => {
    const store = new MemoryLineageStore();
    const log = await logOn(store);
    const w = witness();
    await grow(log, "a", 2);
    expect((await w.witnessStore(store)).ok).toBe(true);
    await grow(log, "b", 3);
    const moved = await w.witnessStore(store);
    expect(moved.ok && moved.status).toBe("cosigned");
    expect(w.last?.size).toBe(5);

    const forked = new MemoryLineageStore();
    const fl = await logOn(forked);
    await grow(fl, "x", 7);
    const f = await w.witnessStore(forked);
    expect(f.ok ? "" : (f as { split?: { reason: string } }).split?.reason).toBe("inconsistent");

    const short = new MemoryLineageStore();
    await grow(await logOn(short), "a", 2);
    const s = await w.witnessStore(short);
    expect(s.ok ? "" : (s as { split?: { reason: string } }).split?.reason).toBe("rollback");
    expect(await w.witnessStore(new MemoryLineageStore())).toEqual({ ok: true, status: "empty" });
  });

  it("resumes from its saved checkpoint and hands every advance to onAdvance", async () => {
    const store = new MemoryLineageStore();
    const log = await logOn(store);
    const saved: string[] = [];
    const w = new Witness({ name: "w", signer: WITNESS_KEY, trust, clock, onAdvance: (n) => void saved.push(n) });
    await grow(log, "a", 2);
    await w.witnessStore(store);
    await grow(log, "b", 2);
    await w.witnessStore(store);
    expect(saved.length).toBe(2);
    // A restarted witness holding the first saved checkpoint refuses a fork of it.
    const fork = new MemoryLineageStore();
    await grow(await logOn(fork), "z", 6);
    const restarted = witness(saved[0]);
    const r = await restarted.witnessStore(fork);
    expect(r.ok).toBe(false);
    const good = witness(saved[0]);
    expect((await good.witnessStore(store)).ok).toBe(true);
  });

  it("property: for two logs of one size, splitView is undefined exactly when their contents are equal", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 6 }), fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 6 }), async (xs, ys) => {
        fc.pre(xs.length === ys.length);
        const a = await logOn();
        const b = await logOn();
        const na = await grow(a, JSON.stringify(xs), xs.length);
        const nb = await grow(b, JSON.stringify(ys), ys.length);
        const seen = async (note: string): Promise<SeenCheckpoint> => {
          const t = await trust.verify(note);
          if (!t.ok) throw new Error("untrusted");
          return { note, ...t.value };
        };
        const split = splitView(await seen(na), await seen(nb), ORIGIN);
        expect(split === undefined).toBe(JSON.stringify(xs) === JSON.stringify(ys));
      }),
      { numRuns: 40 },
    );
  });
});
