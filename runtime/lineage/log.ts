/**
 * The lineage log: an append-only RFC 6962 Merkle log of JSON events over a
 * {@link LineageStore}, with a signed checkpoint per appended batch.
 *
 * - An event is a JSON object; its leaf data is its RFC 8785 canonical bytes
 *   and its id is `sha256:<hex>` of the leaf hash SHA-256(0x00 ‖ data).
 * - The log takes a store and a signer (`{ publicKey, sign }`), never key bytes or files:
 *   opening a log on local files is `openLocalLog` (Node). Without a signer the log is
 *   read-only (verify, prove, read) and needs the public key it is verified against.
 * - **Group commit.** `append(events)` canonicalizes and hashes the caller's events at once,
 *   then queues them; the queue is written as one store batch — one transaction, one fsync,
 *   one signed checkpoint — bounded by `maxBatchEvents` and by `maxWaitMs`. Appends arriving
 *   while a batch is being written form the next one. Each call's events stay together and
 *   in order; each call resolves only once its batch is durable; on any failure nothing of
 *   the batch was recorded and the in-memory state does not move.
 * - `prove` builds a self-contained inclusion proof from O(log n) stored nodes,
 *   `consistency` a consistency proof between two sizes; `verifyProof` checks a proof
 *   with no store.
 * - `verify` re-hashes every stored event from its content, rebuilds the tree, checks every
 *   checkpoint and (given one) consistency with a trusted checkpoint, and names the first bad
 *   entry (see `verify.ts`).
 * - **Several writers.** By default a log has one key and its origin is derived from it. A
 *   log that several processes write (a mesh) is opened with a {@link CheckpointTrust}: one
 *   origin, every key the trust accepts. When the store refuses a batch as a `conflict`
 *   (another writer appended first) the log catches up — adopts the stored tree only if the
 *   latest stored checkpoint is accepted by the trust, the stored right edge folds to its
 *   root and the stored tree is consistent with the one the log held — and writes the batch
 *   again at the new size. A store with {@link SequencedAppend} (PostgreSQL) runs the catch-up
 *   and the batch under its sequencing lock, so writers wait instead of racing. A stored log
 *   that cannot be adopted refuses appends (W6210), as at open.
 *
 * NOTE: browser-safe: the store, the signer and the hashing come from the caller.
 */
import { errorText, failure, type Failure, type Problem } from "../../compiler/compile-ir.js";
import { signCheckpoint, verifierKey } from "./checkpoint.js";
import { eventBytes } from "./event-text.js";
import { checkInclusion, consistencyProof, inclusionProof } from "./merkle.js";
import type { Hash } from "./merkle.js";
import { encodePath, eventIdOf, LINEAGE_PROOF_FORMAT } from "./proof.js";
import type { LineageProof } from "./proof.js";
import type { NoteSigner } from "./signed-note.js";
import { hasSequencedAppend, StoreError } from "./store.js";
import type { LineageStore, NewEntry, StoredNode } from "./store.js";
import type { CheckpointTrust } from "./trust.js";
import { foldEdge, fromStoredNodes, pushLeaf, storedExtension, type EdgeNode } from "./stored-tree.js";
import { verifyLog } from "./verify.js";
import { defaultParents, later, MAX_CATCH_UPS, Refusal, SECOND_FLIGHT_EVENTS, SPLIT_EVENTS, storeFailure, type Flight, type Pending, type Prepared } from "./log-batch.js";
import { readLogState, type LogState } from "./log-open.js";
import type { AppendOptions, AppendResult, ConsistencyResult, LineageEntry, LineageLogOptions, LogCrypto, ProveResult } from "./log-types.js";
import type { VerifyOptions, VerifyReport } from "./verify.js";

export { verifyProof, eventIdOf, LINEAGE_PROOF_FORMAT } from "./proof.js";
export type { LineageProof, ProofCheck } from "./proof.js";
export type { AppendOptions, AppendResult, ConsistencyProof, ConsistencyResult, GroupCommitOptions, LineageEntry, LineageLogOptions, LogCrypto, ProveResult } from "./log-types.js";
export type { VerifyOptions, VerifyReport } from "./verify.js";
export { lineageOrigin } from "./log-open.js";
export type { NoteSigner as CheckpointSigner } from "./signed-note.js";
export type { CheckpointTrust, TrustedCheckpoint, TrustResult } from "./trust.js";

/** Appends of up to this many events look for a repeated id by scanning; larger ones keep a set. */
const SCAN_IDS = 16;

/** Outcome of {@link LineageLog.open}. */
export type OpenLogResult = { readonly ok: true; readonly log: LineageLog } | Failure;

/** An append-only RFC 6962 Merkle log of JSON events with signed checkpoints. */
export class LineageLog {
  /** The log origin and checkpoint key name. */
  readonly origin: string;
  /** The log's 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** The store under the log. */
  readonly store: LineageStore;
  private readonly signer: NoteSigner | undefined;
  /** The hashing and Ed25519 the log runs on. */
  readonly crypto: LogCrypto;
  private readonly parentsOf: (event: Readonly<Record<string, unknown>>) => readonly string[];
  private readonly maxBatchEvents: number;
  private readonly maxWaitMs: number;
  /** Who may sign this log's checkpoints. */
  readonly trust: CheckpointTrust;
  private edge: EdgeNode[];
  private count: number;
  private latestNote: string | undefined;
  /** Verifier key of the key that signed {@link latestNote}. */
  private latestSigner: string | undefined;
  /** Why appends are refused (stored state does not match the latest checkpoint, or could not be adopted), if so. */
  private problem: Problem | undefined;
  private pending: Pending[] = [];
  /** The events of {@link pending}. */
  private pendingEvents = 0;
  private scheduled = false;
  /** The batch being written, or verification running: at most one holds the store at a time. */
  private busy: Promise<void> = Promise.resolve();
  private writing = false;
  /** Wakes the pipeline when an append arrives while it waits with room for another batch. */
  private wake: (() => void) | undefined;

  private constructor(init: LogState) {
    const o = init.options;
    this.store = o.store;
    this.signer = o.signer;
    this.crypto = o.crypto;
    this.publicKey = init.publicKey;
    this.trust = init.trust;
    this.origin = init.trust.origin;
    this.parentsOf = o.parentsOf ?? defaultParents;
    this.maxBatchEvents = Math.max(1, o.groupCommit?.maxBatchEvents ?? 4096);
    this.maxWaitMs = Math.max(0, o.groupCommit?.maxWaitMs ?? 0);
    this.edge = init.edge;
    this.count = init.size;
    this.latestNote = init.latestNote;
    this.latestSigner = init.latestSigner;
    this.problem = init.problem;
  }

  /**
   * Open a log over a store. The store remembers the log's public key on first use; a
   * signer or public key that differs is refused (W6207) — unless a `trust` is given, which
   * alone decides whose checkpoints count. A log whose stored tree does not match its latest
   * checkpoint opens for reading and `verify` but refuses appends (W6210).
   * Never throws; on failure the store is closed.
   */
  static async open(options: LineageLogOptions): Promise<OpenLogResult> {
    const r = await readLogState(options);
    return r.ok ? { ok: true, log: new LineageLog(r.state) } : r;
  }

  /** Number of events in the log. */
  get size(): number {
    return this.count;
  }

  /** The latest signed checkpoint note, if any. */
  get checkpoint(): string | undefined {
    return this.latestNote;
  }

  /** The verifier key text of this log (`<origin>+<key id>+<base64 key>`). */
  get verifierKey(): string {
    return verifierKey(this.origin, this.publicKey);
  }

  /** Can this log append (it has a signer, its stored state matches its checkpoint, and its store is available)? */
  get writable(): boolean {
    return this.signer !== undefined && this.problem === undefined && this.store.unavailable === undefined;
  }

  /** The current root hash. */
  root(): Hash {
    return foldEdge(this.edge, this.crypto.merkle);
  }

  /** Run `fn` with the store to itself: no batch is written meanwhile. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.busy.then(fn, fn);
    this.busy = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Append events (JSON objects) in order, atomically: all of them or none. Resolves after
   * the batch holding them is durable and signed. Never throws.
   */
  append(events: readonly unknown[], options: AppendOptions = {}): Promise<AppendResult> {
    if (this.signer === undefined) return Promise.resolve(failure("W6208"));
    if (this.problem !== undefined) return Promise.resolve({ ok: false, problem: this.problem });
    if (!Array.isArray(events)) return Promise.resolve(failure("W6206", { detail: "the events must be an array of JSON objects" }));
    if (events.length === 0) return Promise.resolve(failure("W6206", { detail: "nothing to append" }));
    const entries: Pending["entries"][number][] = [];
    // NOTE: most appends are a governed step's two to five events, where a scan finds a repeated id sooner than a Set is built.
    const ids: string[] = [];
    const seen = events.length > SCAN_IDS ? new Set<string>() : undefined;
    for (let k = 0; k < events.length; k++) {
      let event = events[k];
      if (typeof event !== "object" || event === null || Array.isArray(event)) return Promise.resolve(failure("W6206", { detail: `event ${k} is not a JSON object` }));
      // A chain: each event after the first names the previous one (its id is known only once hashed).
      if (options.chain === true && k > 0) event = { ...event, parents: [entries[k - 1]!.id] };
      let data: Uint8Array;
      try {
        data = eventBytes(event);
      } catch (e) {
        return Promise.resolve(failure("W6206", { detail: `event ${k}: ${errorText(e)}` }));
      }
      const leaf = this.crypto.merkle.leaf(data);
      const id = eventIdOf(leaf);
      if (seen === undefined ? ids.includes(id) : seen.has(id)) return Promise.resolve(failure("W6209", { kind: "duplicate", detail: `event ${k} repeats an earlier event of the same append` }));
      ids.push(id);
      seen?.add(id);
      entries.push({ id, data, leaf, parents: [...this.parentsOf(event as Record<string, unknown>)] });
    }
    return new Promise((resolve) => {
      this.pending.push({ entries, resolve });
      this.pendingEvents += entries.length;
      this.kick();
      if (options.onIds !== undefined) {
        try {
          options.onIds(ids);
        } catch {
          // the caller's early work failed; the append goes on
        }
      }
    });
  }

  /** Make sure a batch will be written for the pending appends (or wake the pipeline, which takes them). */
  private kick(): void {
    if (this.pending.length === 0) return;
    if (this.writing) {
      if (this.pendingEvents < SECOND_FLIGHT_EVENTS) return;
      const wake = this.wake;
      this.wake = undefined;
      wake?.();
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    later(() => {
      this.scheduled = false;
      void this.exclusive(() => this.flushAll());
    }, this.maxWaitMs);
  }

  /** Take the next batch off the queue: whole callers, at most `maxBatchEvents` (one caller may exceed it), at most `most` callers. */
  private take(most = this.pending.length): Pending[] {
    let n = 0;
    let take = 0;
    while (take < this.pending.length && take < most && (take === 0 || n + this.pending[take]!.entries.length <= this.maxBatchEvents)) n += this.pending[take++]!.entries.length;
    this.pendingEvents -= n;
    return this.pending.splice(0, take);
  }

  /** Write batches until nothing is pending (appends that arrive meanwhile join the next batch). */
  private async flushAll(): Promise<void> {
    this.writing = true;
    try {
      if (this.store.asyncCommit === true) await this.pump();
      else while (this.pending.length > 0) await this.writeAlone(this.take());
    } finally {
      this.writing = false;
    }
    this.kick();
  }

  /**
   * Write one batch by itself (or, given `first`, what writing it already gave); a batch refused
   * for one caller's duplicate event is written caller by caller, so only that caller fails.
   */
  private async writeAlone(batch: readonly Pending[], first?: "failed" | "duplicate"): Promise<void> {
    const r = first ?? (await this.writeBatch(batch));
    if (r === "duplicate" && batch.length > 1) for (const p of batch) await this.writeBatch([p]);
  }

  /**
   * Group commit over a store that commits off this thread ({@link LineageStore.asyncCommit}):
   * up to two batches in flight, the second placed on the tree the first leaves, so this
   * thread answers one batch's callers while the store makes the next one durable. The second
   * goes out once {@link SECOND_FLIGHT_EVENTS} events wait; fewer wait for the first and join
   * what arrives meanwhile (a batch costs a checkpoint signature, a transaction and an fsync,
   * however few its events). A burst
   * of {@link SPLIT_EVENTS} events or more that finds nothing in flight is cut in two for the
   * same reason (otherwise every caller waits in one batch and this thread idles through its
   * commit). Callers resolve in log order, each only once its own batch is durable. When a batch fails, the batch sent after
   * it (placed on it, so refused by the store) goes back to the queue, and the failed one is
   * handled as when batches go one at a time: its callers fail, or on a conflict it is
   * written again after catching up, or on a duplicate caller by caller.
   */
  private async pump(): Promise<void> {
    const flights: Flight[] = [];
    while (this.pending.length > 0 || flights.length > 0) {
      while (this.pending.length > 0 && flights.length < 2 && (flights.length === 0 || (flights[0]!.prepared !== undefined && this.pendingEvents >= SECOND_FLIGHT_EVENTS))) {
        flights.push(this.launch(flights[flights.length - 1]?.prepared));
      }
      const head = flights[0]!;
      if (head.failed === undefined) {
        // With room for a second batch, appends reaching SECOND_FLIGHT_EVENTS meanwhile wake this loop to send it.
        await (flights.length < 2 ? Promise.race([head.done, new Promise<void>((wake) => (this.wake = wake))]) : head.done);
        this.wake = undefined;
        if (head.failed === undefined) continue;
      }
      flights.shift();
      if (!head.failed) {
        this.adopt(head.batch, head.prepared!);
        continue;
      }
      const again: Pending[] = [];
      for (const f of flights.splice(0)) {
        await f.done;
        // NOTE: a store refuses a batch that does not start at its size, so one placed on a failed batch cannot be stored.
        if (f.failed === false) for (const p of f.batch) p.resolve(failure("W6205", { detail: "the store acknowledged a batch placed after one it refused" }));
        else again.push(...f.batch);
      }
      // As the one-at-a-time way would: a batch not sent, or refused as a conflict (another writer), is written by itself (catching up first); else its callers fail.
      const conflict = head.error instanceof StoreError && head.error.kind === "conflict";
      await this.writeAlone(head.batch, head.prepared === undefined || conflict ? undefined : this.refused(head.batch, head.error));
      this.pending.unshift(...again);
      for (const p of again) this.pendingEvents += p.entries.length;
    }
  }

  /** Place the next batch after `base` (the batch in flight) or the durable tree, and send it to the store. */
  private launch(base: Prepared | undefined): Flight {
    const batch = this.take(base === undefined && this.pendingEvents >= SPLIT_EVENTS ? Math.ceil(this.pending.length / 2) : this.pending.length);
    const flight: Flight = { batch, prepared: undefined, failed: undefined, done: Promise.resolve() };
    try {
      if (this.problem !== undefined) throw new Refusal({ ok: false, problem: this.problem });
      const prepared = this.prepare(batch, base?.edge ?? this.edge, base?.batch.checkpoint.size ?? this.count);
      flight.prepared = prepared;
      flight.done = this.store.append(prepared.batch).then(
        () => void (flight.failed = false),
        (e: unknown) => {
          flight.error = e;
          flight.failed = true;
        },
      );
    } catch (e) {
      // written by itself when its turn comes (not prepared), or failed with what the store threw
      flight.error = e;
      flight.failed = true;
    }
    return flight;
  }

  /** Place a batch after the current tree and sign its checkpoint (nothing changes yet). */
  private prepare(batch: readonly Pending[], base: EdgeNode[] = this.edge, baseSize = this.count): Prepared {
    const hasher = this.crypto.merkle;
    const entries: NewEntry[] = [];
    const nodes: StoredNode[] = [];
    const edge = [...base];
    const seen = new Set<string>();
    for (const p of batch) {
      for (const e of p.entries) {
        if (seen.has(e.id)) throw new Refusal(batch.length > 1 ? "duplicate" : failure("W6209", { kind: "duplicate", detail: `event ${e.id} is already in the batch` }));
        seen.add(e.id);
        const index = baseSize + entries.length;
        entries.push({ index, id: e.id, data: e.data, parents: e.parents });
        pushLeaf(edge, e.leaf, index, hasher, nodes);
      }
    }
    const size = baseSize + entries.length;
    let note: string;
    try {
      note = signCheckpoint({ origin: this.origin, size, rootHash: foldEdge(edge, hasher) }, this.origin, this.signer!);
    } catch (e) {
      throw new Refusal(failure("W6206", { detail: `cannot sign the checkpoint: ${errorText(e)}` }));
    }
    return { batch: { entries, nodes, checkpoint: { size, note } }, edge };
  }

  /**
   * Write a prepared batch: under the store's sequencing lock when it has one (catching up
   * first if another writer appended), else by a plain append, catching up and preparing again
   * when the store refuses it as a conflict. Returns what was written.
   */
  private async write(batch: readonly Pending[]): Promise<Prepared> {
    const store = this.store;
    if (hasSequencedAppend(store)) {
      let prepared: Prepared | undefined;
      await store.appendSequenced(async (size) => {
        if (size !== this.count) {
          const f = await this.catchUp(size);
          if (f !== undefined) throw new Refusal(f);
        }
        prepared = this.prepare(batch);
        return prepared.batch;
      });
      return prepared!;
    }
    for (let attempt = 0; ; attempt++) {
      const prepared = this.prepare(batch);
      try {
        await store.append(prepared.batch);
        return prepared;
      } catch (e) {
        if (!(e instanceof StoreError) || e.kind !== "conflict" || attempt >= MAX_CATCH_UPS) throw e;
        const f = await this.catchUp();
        if (f !== undefined) throw new Refusal(f);
      }
    }
  }

  /** Write one batch; resolves every caller in it. Returns "duplicate" when one caller's event was refused as a duplicate id. */
  private async writeBatch(batch: readonly Pending[]): Promise<"ok" | "failed" | "duplicate"> {
    if (this.problem !== undefined) return this.refused(batch, new Refusal({ ok: false, problem: this.problem }));
    let written: Prepared;
    try {
      written = await this.write(batch);
    } catch (e) {
      return this.refused(batch, e);
    }
    this.adopt(batch, written);
    return "ok";
  }

  /** A batch was not written because of `e`: fail its callers, or say "duplicate" (one caller's event is already stored) to write them one by one. */
  private refused(batch: readonly Pending[], e: unknown): "failed" | "duplicate" {
    const resolveAll = (f: Failure): void => {
      for (const p of batch) p.resolve(f);
    };
    if (e instanceof Refusal) {
      if (e.why === "duplicate") return "duplicate";
      resolveAll(e.why);
      return "failed";
    }
    if (e instanceof StoreError && e.kind === "duplicate" && batch.length > 1) return "duplicate";
    resolveAll(storeFailure(e));
    return "failed";
  }

  /** A written batch is durable: move the log's tree to it and resolve its callers. */
  private adopt(batch: readonly Pending[], written: Prepared): void {
    const { entries, checkpoint } = written.batch;
    this.edge = written.edge;
    this.count = checkpoint.size;
    this.latestNote = checkpoint.note;
    this.latestSigner = verifierKey(this.origin, this.signer!.publicKey);
    let k = 0;
    for (const p of batch) {
      const mine = entries.slice(k, k + p.entries.length).map((e) => ({ index: e.index, id: e.id }));
      k += p.entries.length;
      p.resolve({ ok: true, entries: mine, size: checkpoint.size, checkpoint: checkpoint.note });
    }
  }

  /** Refuse appends from now on (the stored log cannot be adopted) and say why. */
  private refuse(detail: string): Failure {
    const f = failure("W6210", { detail });
    this.problem = f.problem;
    return f;
  }

  /**
   * Adopt the tree other writers extended in the store, if it verifies (see
   * `storedExtension`). An integrity failure refuses further appends (W6210); a store failure
   * or a store that keeps moving fails this attempt only. `lockedSize`: the size read under
   * the store's sequencing lock.
   */
  private async catchUp(lockedSize?: number): Promise<Failure | undefined> {
    try {
      const found = await storedExtension(this.store, this.trust, { size: this.count, root: this.root(), note: this.latestNote }, this.crypto.merkle, lockedSize);
      switch (found.kind) {
        case "same":
          return undefined;
        case "refuse":
          return this.refuse(found.detail);
        case "retry":
          return found.failure;
        case "extends":
          this.edge = found.edge;
          this.count = found.size;
          this.latestNote = found.note;
          this.latestSigner = found.signer;
          return undefined;
        default: {
          const unknown: never = found;
          return unknown;
        }
      }
    } catch (e) {
      return storeFailure(e);
    }
  }

  /**
   * Catch up with the batches other writers appended to the store since this log last wrote
   * or synced (a log that is its store's only writer never needs to). Returns the size now
   * held, or why the stored log cannot be adopted (an integrity failure also refuses further
   * appends, W6210). Never throws.
   */
  sync(): Promise<{ readonly ok: true; readonly size: number } | Failure> {
    return this.exclusive(async () => {
      if (this.problem !== undefined) return { ok: false, problem: this.problem };
      return (await this.catchUp()) ?? { ok: true, size: this.count };
    });
  }

  /**
   * The event at an index or with an event id, if stored (as the store has it: prove it, or
   * read it from a verification, before showing it as evidence). Rejects only on store failure.
   */
  async get(idOrIndex: string | number): Promise<LineageEntry | undefined> {
    if (typeof idOrIndex !== "number" && typeof idOrIndex !== "string") return undefined;
    if (typeof idOrIndex === "number" && (!Number.isSafeInteger(idOrIndex) || idOrIndex < 0 || idOrIndex >= this.count)) return undefined;
    const e = typeof idOrIndex === "number" ? await this.store.get(idOrIndex) : await this.store.findById(idOrIndex);
    if (e === undefined || e.index < 0 || e.index >= this.count) return undefined;
    return { index: e.index, id: e.id, event: JSON.parse(new TextDecoder().decode(e.data)) as Record<string, unknown>, parents: e.parents };
  }

  /**
   * A self-contained inclusion proof of an event against the latest checkpoint. The proof is
   * checked (re-hashing the stored content) before it is returned. Never throws.
   */
  async prove(idOrIndex: string | number): Promise<ProveResult> {
    try {
      const size = this.count;
      const note = this.latestNote;
      const signer = this.latestSigner ?? this.verifierKey;
      const signedRoot = this.root();
      if (typeof idOrIndex !== "number" && typeof idOrIndex !== "string") return failure("W6204", { event: "(not an event id or index)" });
      if (typeof idOrIndex === "number" && (!Number.isSafeInteger(idOrIndex) || idOrIndex < 0 || idOrIndex >= size)) return failure("W6204", { event: String(idOrIndex) });
      const stored = typeof idOrIndex === "number" ? await this.store.get(idOrIndex) : await this.store.findById(idOrIndex);
      if (stored === undefined || stored.index < 0) return failure("W6204", { event: String(idOrIndex) });
      if (note === undefined || stored.index >= size) return failure("W6211", { event: String(idOrIndex) });
      const event = JSON.parse(new TextDecoder().decode(stored.data)) as unknown;
      const hasher = this.crypto.merkle;
      const path = await fromStoredNodes(this.store, (source) => inclusionProof(stored.index, size, source, hasher));
      const proof: LineageProof = {
        format: LINEAGE_PROOF_FORMAT,
        event,
        id: stored.id,
        index: stored.index,
        size,
        path: encodePath(path),
        checkpoint: note,
        origin: this.origin,
        publicKey: signer,
      };
      // Self-check against the root this log signed (re-hashing the stored content): catches corrupt stored nodes.
      const problem = checkInclusion(hasher.leaf(stored.data), stored.index, size, path, signedRoot, hasher);
      if (problem !== undefined || eventIdOf(hasher.leaf(stored.data)) !== stored.id) {
        return failure("W6201", { detail: `the stored log does not prove this event: ${problem ?? "content does not match its id"}` });
      }
      return { ok: true, proof };
    } catch (e) {
      return failure("W6205", { detail: `cannot build the proof: ${errorText(e)}` });
    }
  }

  /**
   * A consistency proof from size `from` (0 < from ≤ size) to the latest checkpoint: what a
   * verifier holding the checkpoint at `from` checks to accept the newer one. Never throws.
   */
  async consistency(from: number): Promise<ConsistencyResult> {
    const to = this.count;
    const note = this.latestNote;
    if (!Number.isSafeInteger(from) || from < 1 || from > to || note === undefined) {
      return failure("W6213", { detail: `no consistency proof from size ${String(from)} to the log's size ${to}` });
    }
    try {
      const path = await fromStoredNodes(this.store, (source) => consistencyProof(from, to, source, this.crypto.merkle));
      return { ok: true, proof: { format: "writ-consistency-proof/1", origin: this.origin, from, to, path: encodePath(path), checkpoint: note } };
    } catch (e) {
      return failure("W6205", { detail: `cannot build the consistency proof: ${errorText(e)}` });
    }
  }

  /**
   * Re-verify the whole stored log from content (see `verify.ts`); no batch is written while
   * it runs. Never throws.
   */
  verify(options: VerifyOptions = {}): Promise<VerifyReport> {
    return this.exclusive(() => verifyLog(this.store, this.trust, this.crypto, options));
  }

  /** Wait for pending appends, then close the store. */
  async close(): Promise<void> {
    while (this.pending.length > 0 || this.scheduled || this.writing) await new Promise<void>((r) => later(r, 1));
    await this.exclusive(() => this.store.close());
  }
}
