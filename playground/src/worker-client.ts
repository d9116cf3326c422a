/**
 * Promise-based client for the Writ web worker: one request, one reply, matched by id.
 */
import type { WorkerReply, WorkerRequest, WorkerResults } from "./protocol.js";

type Pending = { resolve(v: unknown): void; reject(e: Error): void };

/** Distributes a request type over the union so `id` can be omitted. */
type Without<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

/** Talks to the worker; every call resolves with the typed result of its request kind. */
export class WritClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly worker: Worker) {
    worker.onmessage = (e: MessageEvent<WorkerReply>): void => {
      const reply = e.data;
      const p = this.pending.get(reply.id);
      if (p === undefined) return;
      this.pending.delete(reply.id);
      if (reply.ok) p.resolve(reply.result);
      else p.reject(new Error(reply.error));
    };
  }

  /** Send one request and wait for its result. */
  request<R extends Without<WorkerRequest, "id">>(req: R): Promise<WorkerResults[R["kind"]]> {
    const id = this.nextId++;
    return new Promise<WorkerResults[R["kind"]]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...req, id } as WorkerRequest);
    });
  }
}

/** Start the Writ worker (bundled by Vite as a module worker). */
export function startWritWorker(): WritClient {
  return new WritClient(new Worker(new URL("./writ-worker.ts", import.meta.url), { type: "module", name: "writ" }));
}
