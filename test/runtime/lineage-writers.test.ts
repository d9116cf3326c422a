/**
 * Several writers on one lineage store: each log catches up with what the others appended
 * (only when the stored tree is signed by a key its trust accepts and extends the tree it
 * held) and writes its batch at the new size — by retrying a conflicting plain append, or
 * under the store's sequencing lock (`appendSequenced`).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nodeCrypto } from "../../runtime/crypto/node-crypto.js";
import { nodeSigner } from "../../runtime/lineage/local-log.js";
import { LineageLog, verifyProof } from "../../runtime/lineage/log.js";
import { MemoryLineageStore } from "../../runtime/lineage/memory-store.js";
import type { AppendBatch, LineageStore, SequencedAppend } from "../../runtime/lineage/store.js";
import { keyTrust, type CheckpointTrust, type TrustResult } from "../../runtime/lineage/trust.js";

const ed = nodeCrypto.ed25519;
const seed = (n: number): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => (n * 17 + i) & 0xff);

/** A trust accepting checkpoints of `origin` by any of `keys` (what a mesh does with its enrolled nodes). */
function anyOf(origin: string, keys: readonly Uint8Array[]): CheckpointTrust {
  return {
    origin,
    publicKey: keys[0]!,
    verify(note): TrustResult {
      let last: TrustResult | undefined;
      for (const k of keys) {
        last = keyTrust(origin, k, ed).verify(note) as TrustResult;
        if (last.ok) return last;
      }
      return last!;
    },
  };
}

/** A memory store with a sequencing lock (one batch at a time, built at the locked size). */
class SequencedMemoryStore extends MemoryLineageStore implements SequencedAppend {
  private chain: Promise<void> = Promise.resolve();
  builds = 0;

  appendSequenced(build: (size: number) => Promise<AppendBatch>): Promise<void> {
    const run = this.chain.then(async () => {
      const batch = await build(await this.size());
      this.builds++;
      await this.append(batch);
    });
    this.chain = run.catch(() => undefined);
    return run;
  }
}

/** A store whose contents can be swapped underneath the logs (a replaced or forked database). */
class SwitchStore implements LineageStore {
  readonly kind = "switch";
  constructor(public target: LineageStore) {}
  size = () => this.target.size();
  append = (b: AppendBatch) => this.target.append(b);
  readRange = (a: number, b: number) => this.target.readRange(a, b);
  get = (i: number) => this.target.get(i);
  findById = (id: string) => this.target.findById(id);
  findChildren = (id: string) => this.target.findChildren(id);
  readNodes = (c: Parameters<LineageStore["readNodes"]>[0]) => this.target.readNodes(c);
  putCheckpoint = (c: Parameters<LineageStore["putCheckpoint"]>[0]) => this.target.putCheckpoint(c);
  checkpoints = () => this.target.checkpoints();
  checkpointsAfter = (after: number, limit: number) => this.target.checkpointsAfter(after, limit);
  latestCheckpoint = () => this.target.latestCheckpoint();
  putObject = (id: string, t: string) => this.target.putObject(id, t);
  getObject = (id: string) => this.target.getObject(id);
  getMeta = (k: string) => this.target.getMeta(k);
  setMeta = (k: string, v: string) => this.target.setMeta(k, v);
  close = async () => undefined;
}

async function open(store: LineageStore, key: number, trust?: CheckpointTrust): Promise<LineageLog> {
  const r = await LineageLog.open({ store, crypto: nodeCrypto, signer: nodeSigner(seed(key)), ...(trust === undefined ? {} : { trust }) });
  if (!r.ok) throw new Error(r.problem.message);
  return r.log;
}

const ev = (writer: string, n: number): Record<string, unknown> => ({ writer, n });

describe("several writers on one store", () => {
  it("two logs with one key interleave batches; indices stay contiguous and both verify", async () => {
    const store = new MemoryLineageStore();
    const a = await open(store, 1);
    const b = await open(store, 1);
    const ra = await a.append([ev("a", 0), ev("a", 1)]);
    const rb = await b.append([ev("b", 0)]);
    const ra2 = await a.append([ev("a", 2)]);
    expect(ra.ok && rb.ok && ra2.ok).toBe(true);
    if (!ra.ok || !rb.ok || !ra2.ok) return;
    expect(rb.entries.map((e) => e.index)).toEqual([2]);
    expect(ra2.entries.map((e) => e.index)).toEqual([3]);
    expect(a.size).toBe(4);
    expect(b.size).toBe(3); // b has not synced since its own batch
    expect(await b.sync()).toEqual({ ok: true, size: 4 });
    expect((await a.verify()).ok).toBe(true);
    expect((await b.verify()).ok).toBe(true);
    const proof = await b.prove(rb.entries[0]!.id);
    expect(proof.ok && verifyProof(proof.proof, a.publicKey, { ed25519: ed }).ok).toBe(true);
  });

  it("logs with different keys under one origin accept each other's checkpoints; proofs name the signer", async () => {
    const store = new MemoryLineageStore();
    const keys = [1, 2].map((k) => ed.publicKeyOf(seed(k)));
    const trust = anyOf("example.com/mesh", keys);
    const a = await open(store, 1, trust);
    const b = await open(store, 2, trust);
    expect(a.origin).toBe("example.com/mesh");
    expect((await a.append([ev("a", 0)])).ok).toBe(true);
    expect((await b.append([ev("b", 0)])).ok).toBe(true);
    expect(await a.sync()).toEqual({ ok: true, size: 2 });
    const p = await a.prove(1);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    // The latest checkpoint a holds is b's: the proof carries b's verifier key, which checks.
    expect(verifyProof(p.proof, keys[1]!, { ed25519: ed }).ok).toBe(true);
    expect(verifyProof(p.proof, keys[0]!, { ed25519: ed }).ok).toBe(false);
    expect((await a.verify()).ok).toBe(true);
    // The store does not record a single log key when a trust decides.
    expect(await store.getMeta("publicKey")).toBeUndefined();
  });

  it("refuses to adopt a tree signed by a key its trust does not accept, and then refuses appends", async () => {
    const store = new MemoryLineageStore();
    const a = await open(store, 1, anyOf("o.example/log", [ed.publicKeyOf(seed(1))]));
    const intruder = await open(store, 3, anyOf("o.example/log", [ed.publicKeyOf(seed(3))]));
    expect((await a.append([ev("a", 0)])).ok).toBe(true);
    expect((await intruder.append([ev("x", 0)])).ok).toBe(false); // the intruder's own trust refuses a's checkpoint
    // The intruder writes directly with a checkpoint signed by its key.
    const other = new MemoryLineageStore();
    const x = await open(other, 3, anyOf("o.example/log", [ed.publicKeyOf(seed(3))]));
    await x.append([ev("x", 0), ev("x", 1)]);
    const sw = new SwitchStore(store);
    const c = await open(sw, 1, anyOf("o.example/log", [ed.publicKeyOf(seed(1))]));
    sw.target = other;
    const r = await c.append([ev("c", 0)]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problem.code).toBe("W6210");
    expect(r.problem.message).toContain("not accepted");
    expect((await c.append([ev("c", 1)])).ok).toBe(false);
  });

  it("refuses a stored tree that does not extend the one it held (fork) or is shorter (truncation)", async () => {
    const forked = new MemoryLineageStore();
    const f = await open(forked, 1);
    await f.append([ev("f", 0), ev("f", 1), ev("f", 2), ev("f", 3)]);
    const short = new MemoryLineageStore();
    await (await open(short, 1)).append([ev("a", 0)]);

    for (const [replacement, words] of [
      [forked, "not an extension"],
      [short, "fewer than"],
    ] as const) {
      const sw = new SwitchStore(new MemoryLineageStore());
      const a = await open(sw, 1);
      expect((await a.append([ev("a", 0), ev("a", 1)])).ok).toBe(true);
      sw.target = replacement;
      const s = await a.sync();
      expect(s.ok).toBe(false);
      if (s.ok) continue;
      expect(s.problem.code).toBe("W6210");
      expect(s.problem.message).toContain(words);
      expect((await a.append([ev("a", 9)])).ok).toBe(false);
    }
  });

  it("a read-only log sees other writers' appends after sync", async () => {
    const store = new MemoryLineageStore();
    const w = await open(store, 1);
    const r = await LineageLog.open({ store, crypto: nodeCrypto, publicKey: ed.publicKeyOf(seed(1)) });
    if (!r.ok) throw new Error(r.problem.message);
    await w.append([ev("w", 0), ev("w", 1)]);
    expect(r.log.size).toBe(0);
    expect(await r.log.sync()).toEqual({ ok: true, size: 2 });
    expect(r.log.checkpoint).toBe(w.checkpoint);
    expect((await r.log.prove(1)).ok).toBe(true);
  });

  it("under a sequencing lock, concurrent writers never conflict: each batch is built at the locked size", async () => {
    const store = new SequencedMemoryStore();
    const logs = await Promise.all([1, 1, 1].map((k) => open(store, k)));
    const results = await Promise.all(logs.flatMap((log, w) => Array.from({ length: 20 }, (_, n) => log.append([ev(`w${w}`, n), ev(`w${w}`, n + 100)]))));
    expect(results.every((r) => r.ok)).toBe(true);
    const indices = results.flatMap((r) => (r.ok ? r.entries.map((e) => e.index) : [])).sort((x, y) => x - y);
    expect(indices).toEqual(Array.from({ length: 120 }, (_, i) => i));
    expect(await store.size()).toBe(120);
    expect((await logs[0]!.verify()).ok).toBe(true);
  });

  it("a duplicate event refused under the lock fails only its caller", async () => {
    const store = new SequencedMemoryStore();
    const a = await open(store, 1);
    const b = await open(store, 1);
    expect((await a.append([ev("a", 0)])).ok).toBe(true);
    const [dup, fresh] = await Promise.all([b.append([ev("a", 0)]), b.append([ev("b", 1)])]);
    expect(dup.ok).toBe(false);
    if (!dup.ok) expect(dup.problem.code).toBe("W6209");
    expect(fresh.ok).toBe(true);
    expect((await b.verify()).ok).toBe(true);
  });

  it("property: any interleaving of appends by several writers keeps every event exactly once, contiguous and verifiable", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.array(fc.record({ writer: fc.nat({ max: 2 }), n: fc.integer({ min: 1, max: 5 }), wait: fc.boolean() }), { minLength: 1, maxLength: 25 }),
        async (sequenced, plan) => {
          const store = sequenced ? new SequencedMemoryStore() : new MemoryLineageStore();
          const logs = await Promise.all([0, 1, 2].map(() => open(store, 1)));
          const pending: Promise<unknown>[] = [];
          const expected = new Set<string>();
          for (const [k, step] of plan.entries()) {
            const events = Array.from({ length: step.n }, (_, i) => ev(`w${step.writer}`, k * 10 + i));
            for (const e of events) expected.add(JSON.stringify({ n: e.n, writer: e.writer })); // canonical: keys sorted
            const p = logs[step.writer]!.append(events).then((r) => {
              if (!r.ok) throw new Error(r.problem.message);
            });
            if (step.wait) await p;
            else pending.push(p);
          }
          await Promise.all(pending);
          const rows = await store.readRange(0, 1000);
          expect(rows.map((r) => r.index)).toEqual(rows.map((_, i) => i));
          expect(new Set(rows.map((r) => new TextDecoder().decode(r.data)))).toEqual(expected);
          expect(rows.length).toBe(expected.size);
          const v = await logs[0]!.verify();
          expect(v.ok).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });
});
