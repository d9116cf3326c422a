/**
 * The worker-thread half of {@link openSigningWorker}: holds an Ed25519 key object made from
 * the PKCS#8 key in `workerData` and signs the batches of messages the main thread posts.
 *
 * Protocol: main → worker `{ id, bytes, ends }` (messages back to back, the end offset of each);
 * worker → main `{ id, signatures }` (64 bytes per message, in order) or `{ id, error }`.
 *
 * NOTE: Node only (worker thread, node:crypto).
 */
import { createPrivateKey, sign } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";
import type { SignBatch, SignReply } from "./signing-worker.js";

if (parentPort !== null) {
  const port = parentPort;
  const key = createPrivateKey({ key: Buffer.from(workerData as Uint8Array), format: "der", type: "pkcs8" });
  port.on("message", (m: SignBatch) => {
    try {
      const out = new Uint8Array(64 * m.ends.length);
      let at = 0;
      for (let k = 0; k < m.ends.length; k++) {
        out.set(sign(null, m.bytes.subarray(at, m.ends[k]), key), 64 * k);
        at = m.ends[k]!;
      }
      port.postMessage({ id: m.id, signatures: out } satisfies SignReply, [out.buffer]);
    } catch (e) {
      port.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) } satisfies SignReply);
    }
  });
}
