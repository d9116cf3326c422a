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
import { base64Decode, base64Encode } from "../crypto/base64.js";
import { publicKeyProblem } from "../crypto/ed25519.js";
import type { RuntimeCrypto } from "../crypto/platform.js";
import { signCheckpoint, verifierKey } from "./checkpoint.js";
import { eventBytes } from "./event-text.js";
import { bytesEqual, checkInclusion, consistencyProof, inclusionProof } from "./merkle.js";
import type { Hash, MerkleHasher } from "./merkle.js";
import { encodePath, eventIdOf, LINEAGE_PROOF_FORMAT } from "./proof.js";
import type { LineageProof } from "./proof.js";
import type { NoteSigner } from "./signed-note.js";
import { hasSequencedAppend, StoreError } from "./store.js";
import type { AppendBatch, LineageStore, NewEntry, StoredNode } from "./store.js";
import { keyTrust, type CheckpointTrust } from "./trust.js";
import { foldEdge, fromStoredNodes, pushLeaf, readEdge, storedExtension, type EdgeNode } from "./stored-tree.js";
import { verifyLog } from "./verify.js";
import type { VerifyOptions, VerifyReport } from "./verify.js";

export { verifyProof, eventIdOf, LINEAGE_PROOF_FORMAT } from "./proof.js";
export type { LineageProof, ProofCheck } from "./proof.js";
export type { VerifyOptions, VerifyReport } from "./verify.js";
export type { NoteSigner as CheckpointSigner } from "./signed-note.js";
export type { CheckpointTrust, TrustedCheckpoint, TrustResult } from "./trust.js";

/** The hashing and signature verification a log runs on (`runtimeCrypto` of an entry). */
export type LogCrypto = RuntimeCrypto;

/** Group commit bounds. */
export interface GroupCommitOptions {
  /** Most events in one batch (default 4096); one caller's events are never split. */
  readonly maxBatchEvents?: number;
  /** How long the first queued append waits for company before its batch is written (default 0: the next turn of the event loop). */
  readonly maxWaitMs?: number;
}

/** Options of {@link LineageLog.open}. */
export interface LineageLogOptions {
  /** The store; the log takes ownership (closes it). */
  readonly store: LineageStore;
  /** Signs checkpoints. Without it the log is read-only and `publicKey` is required. */
  readonly signer?: NoteSigner;
  /** The log key to verify against (a read-only log); must equal the signer's when both are given. */
  readonly publicKey?: Uint8Array;
  /**
   * Who may sign this log's checkpoints, when not the one log key: the origin comes from the
   * trust, every checkpoint is checked by it, and the store's recorded log key is neither
   * checked nor written (a mesh log: one origin, the keys of its enrolled nodes). Without it
   * the trust is the log key under `lineageOrigin(publicKey)`.
   */
  readonly trust?: CheckpointTrust;
  /** Hashing and Ed25519 (`runtimeCrypto` of the entry). */
  readonly crypto: LogCrypto;
  /** Parent ids of an event, for the store's index (default: its `parents` array of strings). */
  readonly parentsOf?: (event: Readonly<Record<string, unknown>>) => readonly string[];
  readonly groupCommit?: GroupCommitOptions;
}

/** A stored event as read back. */
export interface LineageEntry {
  readonly index: number;
  readonly id: string;
  readonly event: Record<string, unknown>;
  readonly parents: readonly string[];
}

/** Options of {@link LineageLog.append}. */
export interface AppendOptions {
  /**
   * Link the events into a chain: every event after the first gets `parents: [<id of the
   * event before it>]` (replacing its own), as governed executions record their phases.
   */
  readonly chain?: boolean;
}

/** Outcome of {@link LineageLog.append}. */
export type AppendResult =
  | { readonly ok: true; readonly entries: readonly { readonly index: number; readonly id: string }[]; readonly size: number; readonly checkpoint: string }
  | Failure;

/** Outcome of {@link LineageLog.open}. */
export type OpenLogResult = { readonly ok: true; readonly log: LineageLog } | Failure;

/** Outcome of {@link LineageLog.prove}. */
export type ProveResult = { readonly ok: true; readonly proof: LineageProof } | Failure;

/** A consistency proof between two sizes of a log (plain JSON). */
export interface ConsistencyProof {
  readonly format: "writ-consistency-proof/1";
  readonly origin: string;
  readonly from: number;
  readonly to: number;
  /** RFC 9162 consistency path, base64 of each 32-byte hash. */
  readonly path: readonly string[];
  /** The signed checkpoint note at size `to`. */
  readonly checkpoint: string;
}

/** Outcome of {@link LineageLog.consistency}. */
export type ConsistencyResult = { readonly ok: true; readonly proof: ConsistencyProof } | Failure;

function defaultParents(event: Readonly<Record<string, unknown>>): readonly string[] {
  const p = event.parents;
  return Array.isArray(p) ? p.filter((x): x is string => typeof x === "string") : [];
}

/** The log origin (and checkpoint key name) of a public key: `writ-lineage/<first 16 hex of the leaf hash of the key>`. */
export function lineageOrigin(publicKey: Uint8Array, hasher: MerkleHasher): string {
  // The leaf hash is a domain-separated SHA-256; any stable digest of the key works as a name.
  return `writ-lineage/${eventIdOf(hasher.leaf(publicKey)).slice(7, 23)}`;
}

/** A batch placed after the current tree and signed, not yet written. */
interface Prepared {
  readonly batch: AppendBatch & { readonly checkpoint: { readonly size: number; readonly note: string } };
  readonly edge: EdgeNode[];
}

/** Why a batch was not prepared: a failure for every caller in it, or a duplicate id to sort out caller by caller. */
class Refusal extends Error {
  constructor(readonly why: Failure | "duplicate") {
    super("refused");
  }
}

/** How often a batch refused as a conflict (another writer appended first) is written again after catching up. */
const MAX_CATCH_UPS = 16;

/** One caller's events waiting for a batch. */
interface Pending {
  readonly entries: { readonly id: string; readonly data: Uint8Array; readonly leaf: Hash; readonly parents: string[] }[];
  readonly resolve: (r: AppendResult) => void;
}

/** Run `fn` on a later turn of the event loop (after the I/O callbacks queued now). */
const later: (fn: () => void, ms: number) => void = (fn, ms) => {
  const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  if (ms <= 0 && immediate !== undefined) immediate(fn);
  else setTimeout(fn, Math.max(0, ms));
};

function storeFailure(e: unknown): Failure {
  if (e instanceof StoreError && e.kind !== "io" && e.kind !== "closed") return failure("W6209", { kind: e.kind, detail: e.message });
  return failure("W6205", { detail: errorText(e) });
}

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
  private scheduled = false;
  /** The batch being written, or verification running: at most one holds the store at a time. */
  private busy: Promise<void> = Promise.resolve();
  private writing = false;

  private constructor(init: {
    options: LineageLogOptions;
    publicKey: Uint8Array;
    trust: CheckpointTrust;
    edge: EdgeNode[];
    size: number;
    latestNote: string | undefined;
    latestSigner: string | undefined;
    problem: Problem | undefined;
  }) {
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
    const store = options.store;
    const fail = async (f: Failure): Promise<Failure> => {
      await store.close().catch(() => undefined);
      return f;
    };
    const publicKey = options.signer?.publicKey ?? options.publicKey ?? options.trust?.publicKey;
    if (publicKey === undefined) return fail(failure("W6207", { detail: "a read-only log needs the public key it is verified against" }));
    const keyProblem = publicKeyProblem(publicKey);
    if (keyProblem !== undefined) return fail(failure("W6207", { detail: keyProblem }));
    if (options.signer !== undefined && options.publicKey !== undefined && !bytesEqual(options.signer.publicKey, options.publicKey)) {
      return fail(failure("W6207", { detail: "the signer's public key is not the log key given" }));
    }
    const hasher = options.crypto.merkle;
    const trust = options.trust ?? keyTrust(lineageOrigin(publicKey, hasher), publicKey, options.crypto.ed25519);
    try {
      // NOTE: with a trust given, the trust alone decides whose checkpoints count: no single log key is recorded.
      const storedKey = options.trust === undefined ? await store.getMeta("publicKey") : undefined;
      if (options.trust === undefined && storedKey === undefined) {
        if (options.signer !== undefined) {
          await store.setMeta("publicKey", base64Encode(publicKey));
          await store.setMeta("origin", trust.origin);
        }
      } else if (storedKey !== undefined) {
        const k = base64Decode(storedKey);
        if (k === undefined || !bytesEqual(k, publicKey)) return fail(failure("W6207", { detail: "this lineage log was created with another key" }));
      }
      let size = await store.size();
      let latest = await store.latestCheckpoint();
      // Another writer may append between the two reads: read again until they agree (a few times).
      for (let k = 0; k < 4 && latest !== undefined && latest.size !== size; k++) {
        size = await store.size();
        latest = await store.latestCheckpoint();
      }
      const stored = await readEdge(store, size);
      const edge = "edge" in stored ? stored.edge : [];
      let problem = "missing" in stored ? stored.missing : undefined;
      const parsed = latest === undefined ? undefined : await trust.verify(latest.note);
      if (problem === undefined && size > 0) {
        if (parsed === undefined || !parsed.ok || parsed.value.size !== size) problem = "the stored entries are not covered by a valid latest checkpoint";
        else if (!bytesEqual(parsed.value.rootHash, foldEdge(edge, hasher))) problem = "the stored tree does not match the latest checkpoint";
      }
      const goodNote = parsed?.ok === true ? latest?.note : undefined;
      return {
        ok: true,
        log: new LineageLog({
          options,
          publicKey,
          trust,
          edge,
          size,
          latestNote: goodNote,
          latestSigner: parsed?.ok === true ? parsed.value.signer : undefined,
          problem: problem === undefined ? undefined : failure("W6210", { detail: problem }).problem,
        }),
      };
    } catch (e) {
      return fail(failure("W6205", { detail: `cannot open the lineage log: ${errorText(e)}` }));
    }
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

  /** Can this log append (it has a signer and its stored state matches its checkpoint)? */
  get writable(): boolean {
    return this.signer !== undefined && this.problem === undefined;
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
    if (events.length === 0) return Promise.resolve(failure("W6206", { detail: "nothing to append" }));
    const entries: Pending["entries"][number][] = [];
    const ids = new Set<string>();
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
      if (ids.has(id)) return Promise.resolve(failure("W6209", { kind: "duplicate", detail: `event ${k} repeats an earlier event of the same append` }));
      ids.add(id);
      entries.push({ id, data, leaf, parents: [...this.parentsOf(event as Record<string, unknown>)] });
    }
    return new Promise((resolve) => {
      this.pending.push({ entries, resolve });
      this.kick();
    });
  }

  /** Make sure a batch will be written for the pending appends. */
  private kick(): void {
    if (this.scheduled || this.writing || this.pending.length === 0) return;
    this.scheduled = true;
    later(() => {
      this.scheduled = false;
      void this.exclusive(() => this.flushAll());
    }, this.maxWaitMs);
  }

  /** Write batches until nothing is pending (appends that arrive meanwhile join the next batch). */
  private async flushAll(): Promise<void> {
    this.writing = true;
    try {
      while (this.pending.length > 0) {
        let n = 0;
        let take = 0;
        while (take < this.pending.length && (take === 0 || n + this.pending[take]!.entries.length <= this.maxBatchEvents)) n += this.pending[take++]!.entries.length;
        const batch = this.pending.splice(0, take);
        const r = await this.writeBatch(batch);
        if (r === "duplicate" && batch.length > 1) {
          // One caller's event is already in the log: write each caller alone so only it fails.
          for (const p of batch) await this.writeBatch([p]);
        }
      }
    } finally {
      this.writing = false;
    }
    this.kick();
  }

  /** Place a batch after the current tree and sign its checkpoint (nothing changes yet). */
  private prepare(batch: readonly Pending[]): Prepared {
    const hasher = this.crypto.merkle;
    const entries: NewEntry[] = [];
    const nodes: StoredNode[] = [];
    const edge = [...this.edge];
    const seen = new Set<string>();
    for (const p of batch) {
      for (const e of p.entries) {
        if (seen.has(e.id)) throw new Refusal(batch.length > 1 ? "duplicate" : failure("W6209", { kind: "duplicate", detail: `event ${e.id} is already in the batch` }));
        seen.add(e.id);
        const index = this.count + entries.length;
        entries.push({ index, id: e.id, data: e.data, parents: e.parents });
        pushLeaf(edge, e.leaf, index, hasher, nodes);
      }
    }
    const size = this.count + entries.length;
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
    const resolveAll = (f: Failure): void => {
      for (const p of batch) p.resolve(f);
    };
    if (this.problem !== undefined) {
      resolveAll({ ok: false, problem: this.problem });
      return "failed";
    }
    let written: Prepared;
    try {
      written = await this.write(batch);
    } catch (e) {
      if (e instanceof Refusal) {
        if (e.why === "duplicate") return "duplicate";
        resolveAll(e.why);
        return "failed";
      }
      if (e instanceof StoreError && e.kind === "duplicate" && batch.length > 1) return "duplicate";
      resolveAll(storeFailure(e));
      return "failed";
    }
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
    return "ok";
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
