/**
 * Ed25519 signatures made on a worker thread, for a service that signs once per request
 * (`writ serve` signs an authorization artifact per allow): the event loop hands the
 * messages of one turn to the worker in one message and gets their signatures back in one,
 * instead of spending a signature's time (tens of microseconds) per request itself.
 *
 * The first signature asked for in a turn while the worker has none to make is made on the
 * calling thread at once: handing one over and being woken with the answer costs more than
 * signing it. A lone caller never waits for the worker.
 *
 * The key never leaves the process: the worker gets the PKCS#8 bytes once, at start. If the
 * worker stops, every pending and later signature is refused (the caller fails closed).
 *
 * NOTE: Node only (worker thread, node:crypto).
 */
import { Worker } from "node:worker_threads";
import type { NoteSigner } from "../lineage/signed-note.js";
import { pkcs8Der } from "./pem.js";
import { workerScript } from "../worker-script.js";

/** Messages to sign, back to back in `bytes`; `ends[k]` is the end offset of message k. */
export interface SignBatch {
  readonly id: number;
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly ends: readonly number[];
}

/** The signatures of one {@link SignBatch} (64 bytes each, in order), or why it failed. */
export type SignReply = { readonly id: number; readonly signatures: Uint8Array<ArrayBuffer> } | { readonly id: number; readonly error: string };

/** A signer whose signatures are made on a worker thread. */
export interface WorkerSigner {
  readonly publicKey: Uint8Array;
  /** The Ed25519 signature of `message`; rejects when the worker cannot sign. */
  sign(message: Uint8Array): Promise<Uint8Array>;
  /** Stop the worker; pending signatures are refused. */
  close(): Promise<void>;
}

interface Waiting {
  readonly message: Uint8Array;
  readonly resolve: (signature: Uint8Array) => void;
  readonly reject: (e: Error) => void;
}

/**
 * Start a signing worker for the 32-byte Ed25519 seed `privateKey`; `onThread` is a signer of
 * the same key on this thread (`nodeSigner(privateKey)`), which makes the signatures not worth
 * a hand-over. Resolves once the worker runs; undefined when it cannot start (the caller then
 * signs on its own thread). Never throws.
 */
export async function openSigningWorker(privateKey: Uint8Array, onThread: NoteSigner): Promise<WorkerSigner | undefined> {
  const script = workerScript("runtime/crypto/signing-thread.js");
  if (script === undefined) return undefined;
  let worker: Worker;
  try {
    worker = new Worker(script, { workerData: pkcs8Der(privateKey) });
  } catch {
    return undefined;
  }
  const online = await new Promise<boolean>((resolve) => {
    worker.once("online", () => resolve(true));
    worker.once("error", () => resolve(false));
  });
  if (!online) {
    await worker.terminate();
    return undefined;
  }
  worker.unref();
  return new Signer(worker, onThread);
}

class Signer implements WorkerSigner {
  private queued: Waiting[] = [];
  private readonly sent = new Map<number, Waiting[]>();
  private next = 1;
  /** A signature was made on this thread in this turn of the event loop. */
  private turnBusy = false;
  private readonly endTurn = (): void => {
    this.turnBusy = false;
  };
  private stopped: Error | undefined;

  readonly publicKey: Uint8Array;

  constructor(
    private readonly worker: Worker,
    /** The same key on this thread, for the first signature of a turn while the worker has none. */
    private readonly onThread: NoteSigner,
  ) {
    this.publicKey = onThread.publicKey;
    worker.on("message", (m: SignReply) => this.answer(m));
    worker.on("error", (e: Error) => this.stop(new Error(`the signing worker failed: ${e.message}`)));
    worker.once("exit", (code) => this.stop(new Error(`the signing worker stopped (exit code ${code})`)));
  }

  sign(message: Uint8Array): Promise<Uint8Array> {
    if (this.stopped !== undefined) return Promise.reject(this.stopped);
    if (!this.turnBusy && this.sent.size === 0) {
      // The first of a turn with the worker idle: waking it and being woken with the answer costs
      // more than signing one. The next ones of this turn go to the worker together.
      this.turnBusy = true;
      setImmediate(this.endTurn);
      try {
        return Promise.resolve(this.onThread.sign(message));
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    }
    return new Promise((resolve, reject) => {
      // Everything asked for in this turn of the event loop goes in one message.
      if (this.queued.length === 0) setImmediate(() => this.flush());
      this.queued.push({ message, resolve, reject });
    });
  }

  private flush(): void {
    const batch = this.queued;
    this.queued = [];
    if (batch.length === 0) return;
    if (this.stopped !== undefined) {
      for (const w of batch) w.reject(this.stopped);
      return;
    }
    let total = 0;
    for (const w of batch) total += w.message.length;
    const bytes = new Uint8Array(total);
    const ends = new Array<number>(batch.length);
    let at = 0;
    for (let k = 0; k < batch.length; k++) {
      bytes.set(batch[k]!.message, at);
      at += batch[k]!.message.length;
      ends[k] = at;
    }
    const id = this.next++;
    if (this.sent.size === 0) this.worker.ref();
    this.sent.set(id, batch);
    this.worker.postMessage({ id, bytes, ends } satisfies SignBatch, [bytes.buffer]);
  }

  private answer(m: SignReply): void {
    const batch = this.sent.get(m.id);
    if (batch === undefined) return;
    this.sent.delete(m.id);
    if (this.sent.size === 0) this.worker.unref();
    if ("error" in m) {
      const e = new Error(`cannot sign: ${m.error}`);
      for (const w of batch) w.reject(e);
      return;
    }
    for (let k = 0; k < batch.length; k++) batch[k]!.resolve(m.signatures.subarray(64 * k, 64 * k + 64));
  }

  private stop(why: Error): void {
    this.stopped ??= why;
    const waiting = [...this.queued, ...[...this.sent.values()].flat()];
    this.queued = [];
    this.sent.clear();
    for (const w of waiting) w.reject(this.stopped);
  }

  async close(): Promise<void> {
    this.stop(new Error("the signing worker is closed"));
    await this.worker.terminate();
  }
}
