/**
 * Ed25519 on a worker thread (`openSigningWorker`, what `writ serve` signs artifacts with): the
 * signatures are node:crypto's own for the same key (Ed25519 is deterministic), whatever
 * messages are asked for in one turn and in what order; a closed or stopped worker refuses
 * every pending and later signature.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nodeSigner } from "../../runtime/lineage/local-log.js";
import { openSigningWorker, type WorkerSigner } from "../../runtime/crypto/signing-worker.js";

const SEED = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 1) & 0xff);

async function open(): Promise<WorkerSigner> {
  const onThread = nodeSigner(SEED);
  const w = await openSigningWorker(SEED, onThread);
  if (w === undefined) throw new Error("the signing worker did not start");
  return w;
}

describe("signing on a worker thread", () => {
  it("signs a lone message at once on the calling thread, and the others of a turn on the worker", async () => {
    const worker = await open();
    try {
      const sent = (worker as unknown as { sent: Map<number, unknown> }).sent;
      const lone = worker.sign(new Uint8Array([1]));
      expect(sent.size).toBe(0);
      await lone;
      const many = [1, 2, 3].map((n) => worker.sign(new Uint8Array([n])));
      await new Promise((r) => setImmediate(r));
      expect(sent.size).toBe(1);
      expect((await Promise.all(many)).every((s) => s.length === 64)).toBe(true);
    } finally {
      await worker.close();
    }
  });

  it("signs exactly as node:crypto does, for any messages asked for in one turn (seeded)", async () => {
    const onThread = nodeSigner(SEED);
    const worker = await open();
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 600 }), { minLength: 1, maxLength: 40 }), async (messages) => {
          const sigs = await Promise.all(messages.map((m) => worker.sign(m)));
          for (const [k, m] of messages.entries()) expect(Buffer.from(sigs[k]!).toString("hex")).toBe(Buffer.from(onThread.sign(m)).toString("hex"));
        }),
        { seed: 9310, numRuns: 50 },
      );
      expect(Array.from(worker.publicKey)).toEqual(Array.from(onThread.publicKey));
    } finally {
      await worker.close();
    }
  });

  it("refuses every signature once closed, and those pending when its worker stops", async () => {
    const worker = await open();
    await worker.close();
    await expect(worker.sign(new Uint8Array([1]))).rejects.toThrow(/closed/);
    const other = await open();
    // The first signature of a turn is made at once on this thread; the next one waits for the worker.
    const first = other.sign(new Uint8Array([2]));
    const pending = other.sign(new Uint8Array([2, 2]));
    await (other as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    expect((await first).length).toBe(64);
    await expect(pending).rejects.toThrow(/stopped|closed/);
    await expect(other.sign(new Uint8Array([3]))).rejects.toThrow(/stopped/);
  });
});
