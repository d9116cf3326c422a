/**
 * The Writ web worker: parses, validates, compiles and decides off the page's main
 * thread. It only moves messages; `writ-service.ts` does the work.
 */
import type { WorkerReply, WorkerRequest } from "./protocol.js";
import { handle } from "./writ-service.js";

const port = self as unknown as { postMessage(m: WorkerReply): void; onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null };

port.onmessage = (e: MessageEvent<WorkerRequest>): void => {
  const req = e.data;
  try {
    port.postMessage({ id: req.id, ok: true, result: handle(req) });
  } catch (err) {
    // The pipeline promises never to throw; if it does, the page shows the message instead of hanging.
    port.postMessage({ id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
};
