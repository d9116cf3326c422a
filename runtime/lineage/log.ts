/**
 * The lineage log: an append-only RFC 6962 Merkle log of JSON events over a
 * {@link LineageStore}, with one signed checkpoint per appended batch.
 *
 * - An event is a JSON object; its leaf data is its RFC 8785 canonical bytes
 *   and its id is `sha256:<hex>` of the leaf hash SHA-256(0x00 ‖ data).
 * - `append(events)` assigns indices, computes the leaf hashes and every
 *   perfect subtree completed by the batch, signs a checkpoint for the new size
 *   and writes all of it in one durable, atomic store batch. It resolves only
 *   after the store acknowledged durability; on any failure nothing is recorded
 *   and the in-memory state does not move.
 * - `prove` builds a self-contained proof from O(log n) stored nodes;
 *   `verifyProof` (from `proof.ts`) checks it with no store.
 * - `verify` re-hashes every stored event from its content, rebuilds the tree,
 *   checks every checkpoint signature, each checkpoint root against the rebuilt
 *   tree and the consistency between successive checkpoints, and names the
 *   first bad entry.
 *
 * The log key is an Ed25519 key pair `.writ/lineage.key` (mode 0600) and
 * `.writ/lineage.pub` under the log's directory, created on first use.
 *
 * NOTE: Node only (key files, node:crypto hashing, the SQLite default store).
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createPrivateKey, sign as signMessage } from "node:crypto";
import { join } from "node:path";
import { canonicalBytes } from "../../compiler/canonical.js";
import { base64Decode, base64Encode } from "../crypto/base64.js";
import { nodeEd25519 } from "../crypto/ed25519-node.js";
import type { Ed25519 } from "../crypto/ed25519.js";
import { PKCS8_ED25519_PREFIX, publicKeyToPem } from "../crypto/pem.js";
import { readPrivateKey, writeKeyPair } from "../keys.js";
import { signCheckpoint, verifierKey, verifyCheckpoint } from "./checkpoint.js";
import { bytesEqual, checkInclusion, HASH_BYTES, inclusionProof } from "./merkle.js";
import type { Hash, MerkleHasher, NodeSource } from "./merkle.js";
import { nodeHasher } from "./merkle-node-hasher.js";
import { encodePath, eventIdOf, LINEAGE_PROOF_FORMAT } from "./proof.js";
import type { LineageProof } from "./proof.js";
import { openSqliteStore } from "./sqlite-store.js";
import { StoreError } from "./store.js";
import type { LineageStore, NewEntry, NodeCoord, StoredNode } from "./store.js";
import { verifyLog } from "./verify.js";
import type { VerifyOptions, VerifyReport } from "./verify.js";

export { verifyProof, eventIdOf, LINEAGE_PROOF_FORMAT } from "./proof.js";
export type { LineageProof, ProofCheck } from "./proof.js";
export type { VerifyOptions, VerifyReport } from "./verify.js";

/** Relative path (under the log directory) of the log key prefix. */
export const LINEAGE_KEY_PREFIX = join(".writ", "lineage");

/** Options of {@link LineageLog.open}. */
export interface LineageLogOptions {
  /** Directory holding `.writ/` (key files and, by default, `lineage.db`). */
  readonly dir?: string;
  /** The store; default: SQLite at `<dir>/.writ/lineage.db`. The log takes ownership (closes it). */
  readonly store?: LineageStore;
  /** Use this 32-byte private key instead of the key file under `dir`. */
  readonly privateKey?: Uint8Array;
  /** Parent ids of an event, for the store's index (default: its `parents` array of strings). */
  readonly parentsOf?: (event: Readonly<Record<string, unknown>>) => readonly string[];
}

/** A stored event as read back. */
export interface LineageEntry {
  readonly index: number;
  readonly id: string;
  readonly event: Record<string, unknown>;
  readonly parents: readonly string[];
}

/** Outcome of {@link LineageLog.append}. */
export type AppendResult =
  | { readonly ok: true; readonly entries: readonly { readonly index: number; readonly id: string }[]; readonly size: number; readonly checkpoint: string }
  | { readonly ok: false; readonly error: string };

/** Outcome of {@link LineageLog.open}. */
export type OpenLogResult = { readonly ok: true; readonly log: LineageLog } | { readonly ok: false; readonly error: string };

/** Outcome of {@link LineageLog.prove}. */
export type ProveResult = { readonly ok: true; readonly proof: LineageProof } | { readonly ok: false; readonly error: string };

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function defaultParents(event: Readonly<Record<string, unknown>>): readonly string[] {
  const p = event.parents;
  return Array.isArray(p) ? p.filter((x): x is string => typeof x === "string") : [];
}

/** The log origin (and checkpoint key name) of a public key: `writ-lineage/<first 16 hex of SHA-256(key)>`. */
export function lineageOrigin(publicKey: Uint8Array, hasher: MerkleHasher = nodeHasher): string {
  // The leaf hash is a domain-separated SHA-256; any stable digest of the key works as a name.
  return `writ-lineage/${eventIdOf(hasher.leaf(publicKey)).slice(7, 23)}`;
}

/**
 * Load `<dir>/.writ/lineage.key`, or create the pair on first use. Creation is
 * crash-safe: the pair is written under a temporary name and renamed into place.
 */
export function loadOrCreateLogKey(dir: string, ed25519: Ed25519 = nodeEd25519): { ok: true; privateKey: Uint8Array } | { ok: false; error: string } {
  const prefix = join(dir, LINEAGE_KEY_PREFIX);
  const keyPath = `${prefix}.key`;
  if (!existsSync(keyPath)) {
    try {
      mkdirSync(join(dir, ".writ"), { recursive: true });
    } catch (e) {
      return { ok: false, error: `cannot create ${join(dir, ".writ")}: ${errorText(e)}` };
    }
    const tmp = `${prefix}.tmp-${process.pid}`;
    const written = writeKeyPair(tmp, { overwrite: true, ed25519 });
    if (!written.ok) return { ok: false, error: written.error };
    try {
      renameSync(written.value.publicKeyPath, `${prefix}.pub`);
      renameSync(written.value.privateKeyPath, keyPath);
      syncDir(join(dir, ".writ"));
    } catch (e) {
      rmSync(written.value.privateKeyPath, { force: true });
      return { ok: false, error: `cannot install the lineage key: ${errorText(e)}` };
    }
  }
  const key = readPrivateKey(keyPath);
  if (!key.ok) return { ok: false, error: key.error };
  if (!existsSync(`${prefix}.pub`)) {
    try {
      writeFileSync(`${prefix}.pub`, publicKeyToPem(ed25519.publicKeyOf(key.value)), { mode: 0o644 });
    } catch {
      // the public half is a convenience copy; the private key is authoritative
    }
  }
  return { ok: true, privateKey: key.value };
}

/**
 * An Ed25519 signer bound to one private key: node:crypto parses the PKCS#8
 * key once instead of at every checkpoint (parsing costs more than signing).
 * Verification and the other operations delegate to `nodeEd25519`.
 */
function boundSigner(privateKey: Uint8Array): Ed25519 {
  const der = new Uint8Array(PKCS8_ED25519_PREFIX.length + privateKey.length);
  der.set(PKCS8_ED25519_PREFIX, 0);
  der.set(privateKey, PKCS8_ED25519_PREFIX.length);
  const key = createPrivateKey({ key: Buffer.from(der), format: "der", type: "pkcs8" });
  return {
    ...nodeEd25519,
    sign(seed: Uint8Array, msg: Uint8Array): Uint8Array {
      // INVARIANT: the log only ever signs with the key it was opened with.
      if (!bytesEqual(seed, privateKey)) return nodeEd25519.sign(seed, msg);
      return new Uint8Array(signMessage(null, msg, key));
    },
  };
}

/** fsync a directory so that renames in it survive a power loss (best effort where unsupported). */
function syncDir(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    fsyncSync(fd);
  } catch {
    // some platforms cannot fsync a directory; the rename is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Perfect pieces of the right edge of a tree of `size` leaves, highest level first. */
function edgeCoords(size: number): NodeCoord[] {
  const out: NodeCoord[] = [];
  let start = 0;
  for (let level = 52; level >= 0; level--) {
    const w = 2 ** level;
    if (size - start >= w) {
      out.push({ level, index: start / w });
      start += w;
    }
  }
  return out;
}

interface EdgeNode {
  readonly level: number;
  readonly hash: Hash;
}

/** An append-only RFC 6962 Merkle log of JSON events with signed checkpoints. */
export class LineageLog {
  /** The log origin and checkpoint key name. */
  readonly origin: string;
  /** The log's 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** The store under the log. */
  readonly store: LineageStore;
  private readonly privateKey: Uint8Array;
  private readonly signer: Ed25519;
  private readonly parentsOf: (event: Readonly<Record<string, unknown>>) => readonly string[];
  private edge: EdgeNode[];
  private count: number;
  private latestNote: string | undefined;
  /** Why appends are refused (stored state does not match the latest checkpoint), if so. */
  private readonly problem: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(init: {
    store: LineageStore;
    privateKey: Uint8Array;
    publicKey: Uint8Array;
    parentsOf: (event: Readonly<Record<string, unknown>>) => readonly string[];
    edge: EdgeNode[];
    size: number;
    latestNote: string | undefined;
    problem: string | undefined;
  }) {
    this.store = init.store;
    this.privateKey = init.privateKey;
    this.signer = boundSigner(init.privateKey);
    this.publicKey = init.publicKey;
    this.origin = lineageOrigin(init.publicKey);
    this.parentsOf = init.parentsOf;
    this.edge = init.edge;
    this.count = init.size;
    this.latestNote = init.latestNote;
    this.problem = init.problem;
  }

  /**
   * Open a log: its store (default SQLite under `dir`) and key (default the key
   * file under `dir`, created on first use). Never throws. A log whose stored
   * tree does not match its latest checkpoint opens for reading and `verify`
   * but refuses appends.
   */
  static async open(options: LineageLogOptions): Promise<OpenLogResult> {
    let privateKey = options.privateKey;
    if (privateKey === undefined) {
      if (options.dir === undefined) return { ok: false, error: "LineageLog.open needs a dir or a privateKey" };
      const key = loadOrCreateLogKey(options.dir);
      if (!key.ok) return key;
      privateKey = key.privateKey;
    }
    let publicKey: Uint8Array;
    try {
      publicKey = nodeEd25519.publicKeyOf(privateKey);
    } catch (e) {
      return { ok: false, error: `invalid lineage key: ${errorText(e)}` };
    }
    let store = options.store;
    if (store === undefined) {
      if (options.dir === undefined) return { ok: false, error: "LineageLog.open needs a dir or a store" };
      const opened = openSqliteStore({ dir: options.dir });
      if (!opened.ok) return opened;
      store = opened.store;
    }
    try {
      const storedKey = await store.getMeta("publicKey");
      if (storedKey === undefined) {
        await store.setMeta("publicKey", base64Encode(publicKey));
        await store.setMeta("origin", lineageOrigin(publicKey));
      } else {
        const k = base64Decode(storedKey);
        if (k === undefined || !bytesEqual(k, publicKey)) {
          await store.close();
          return { ok: false, error: "this lineage log was created with another key" };
        }
      }
      const size = await store.size();
      const coords = edgeCoords(size);
      const hashes = await store.readNodes(coords);
      const edge: EdgeNode[] = [];
      let problem: string | undefined;
      coords.forEach((c, i) => {
        const h = hashes[i];
        if (h === undefined || h.length !== HASH_BYTES) problem = `stored subtree (${c.level}, ${c.index}) is missing`;
        else edge.push({ level: c.level, hash: h });
      });
      const latest = await store.latestCheckpoint();
      if (problem === undefined && size > 0) {
        const origin = lineageOrigin(publicKey);
        const parsed = latest === undefined ? undefined : verifyCheckpoint(latest.note, origin, publicKey, nodeEd25519);
        if (parsed === undefined || !parsed.ok || parsed.value.size !== size) {
          problem = "the stored entries are not covered by a valid latest checkpoint";
        } else if (!bytesEqual(parsed.value.rootHash, foldEdge(edge, nodeHasher))) {
          problem = "the stored tree does not match the latest checkpoint";
        }
      }
      const log = new LineageLog({
        store,
        privateKey,
        publicKey,
        parentsOf: options.parentsOf ?? defaultParents,
        edge,
        size,
        latestNote: latest?.note,
        problem: problem === undefined ? undefined : `${problem}; run verify`,
      });
      return { ok: true, log };
    } catch (e) {
      await store.close().catch(() => undefined);
      return { ok: false, error: `cannot open lineage log: ${errorText(e)}` };
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

  /** The current root hash. */
  root(): Hash {
    return foldEdge(this.edge, nodeHasher);
  }

  /** Serialize `fn` after every earlier append (one writer at a time per log object). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Append events (JSON objects) as one batch with one checkpoint. Resolves
   * after the batch is durable; on failure nothing was recorded. Never throws.
   */
  append(events: readonly unknown[]): Promise<AppendResult> {
    return this.serial(() => this.appendNow(events));
  }

  private async appendNow(events: readonly unknown[]): Promise<AppendResult> {
    if (this.problem !== undefined) return { ok: false, error: this.problem };
    if (events.length === 0) return { ok: false, error: "nothing to append" };
    const entries: NewEntry[] = [];
    const nodes: StoredNode[] = [];
    const edge = [...this.edge];
    for (let k = 0; k < events.length; k++) {
      const event = events[k];
      if (typeof event !== "object" || event === null || Array.isArray(event)) return { ok: false, error: `event ${k} is not a JSON object` };
      let data: Uint8Array;
      try {
        data = canonicalBytes(event);
      } catch (e) {
        return { ok: false, error: `event ${k}: ${errorText(e)}` };
      }
      const index = this.count + k;
      const leaf = nodeHasher.leaf(data);
      const id = eventIdOf(leaf);
      entries.push({ index, id, data, parents: [...this.parentsOf(event as Record<string, unknown>)] });
      nodes.push({ level: 0, index, hash: leaf });
      edge.push({ level: 0, hash: leaf });
      while (edge.length >= 2 && edge[edge.length - 1]!.level === edge[edge.length - 2]!.level) {
        const right = edge.pop()!;
        const left = edge.pop()!;
        const level = right.level + 1;
        const hash = nodeHasher.node(left.hash, right.hash);
        edge.push({ level, hash });
        nodes.push({ level, index: Math.floor(index / 2 ** level), hash });
      }
    }
    const size = this.count + events.length;
    let note: string;
    try {
      note = signCheckpoint({ origin: this.origin, size, rootHash: foldEdge(edge, nodeHasher) }, this.origin, this.privateKey, this.signer);
    } catch (e) {
      return { ok: false, error: `cannot sign the checkpoint: ${errorText(e)}` };
    }
    try {
      await this.store.append({ entries, nodes, checkpoint: { size, note } });
    } catch (e) {
      const kind = e instanceof StoreError ? ` (${e.kind})` : "";
      return { ok: false, error: `lineage store refused the batch${kind}: ${errorText(e)}` };
    }
    this.edge = edge;
    this.count = size;
    this.latestNote = note;
    return { ok: true, entries: entries.map((e) => ({ index: e.index, id: e.id })), size, checkpoint: note };
  }

  /** The event at an index or with an event id, if stored. Rejects only on store failure. */
  async get(idOrIndex: string | number): Promise<LineageEntry | undefined> {
    const e = typeof idOrIndex === "number" ? await this.store.get(idOrIndex) : await this.store.findById(idOrIndex);
    if (e === undefined) return undefined;
    return { index: e.index, id: e.id, event: JSON.parse(new TextDecoder().decode(e.data)) as Record<string, unknown>, parents: e.parents };
  }

  /**
   * A self-contained inclusion proof of an event against the latest
   * checkpoint. The proof is checked before it is returned. Never throws.
   */
  async prove(idOrIndex: string | number): Promise<ProveResult> {
    try {
      const e = typeof idOrIndex === "number" ? await this.store.get(idOrIndex) : await this.store.findById(idOrIndex);
      if (e === undefined) return { ok: false, error: `no event ${String(idOrIndex)} in the log` };
      const note = this.latestNote;
      const size = this.count;
      const signedRoot = this.root();
      if (note === undefined || e.index >= size) return { ok: false, error: "no checkpoint covers this event" };
      // Which stored nodes the path needs depends only on (index, size): record them, read them, then build.
      const coords: NodeCoord[] = [];
      const zero = new Uint8Array(HASH_BYTES);
      inclusionProof(e.index, size, { perfectNode: (level, index) => (coords.push({ level, index }), zero) }, nodeHasher);
      const hashes = await this.store.readNodes(coords);
      const byCoord = new Map<string, Hash>();
      coords.forEach((c, i) => {
        const h = hashes[i];
        if (h !== undefined) byCoord.set(`${c.level}:${c.index}`, h);
      });
      const source: NodeSource = {
        perfectNode(level, index) {
          const h = byCoord.get(`${level}:${index}`);
          if (h === undefined) throw new StoreError("io", `stored subtree (${level}, ${index}) is missing`);
          return h;
        },
      };
      const path = inclusionProof(e.index, size, source, nodeHasher);
      const proof: LineageProof = {
        format: LINEAGE_PROOF_FORMAT,
        event: JSON.parse(new TextDecoder().decode(e.data)) as unknown,
        id: e.id,
        index: e.index,
        size,
        path: encodePath(path),
        checkpoint: note,
        origin: this.origin,
        publicKey: this.verifierKey,
      };
      // Self-check against the root this log signed (re-hashing the stored content): catches corrupt stored nodes.
      const problem = checkInclusion(nodeHasher.leaf(e.data), e.index, size, path, signedRoot, nodeHasher);
      if (problem !== undefined || eventIdOf(nodeHasher.leaf(e.data)) !== e.id) {
        return { ok: false, error: `the stored log does not prove this event: ${problem ?? "content does not match its id"}` };
      }
      return { ok: true, proof };
    } catch (e) {
      return { ok: false, error: `cannot build the proof: ${errorText(e)}` };
    }
  }

  /** Re-verify the whole stored log from content (see `verify.ts`). Never throws. */
  verify(options: VerifyOptions = {}): Promise<VerifyReport> {
    return this.serial(() => verifyLog(this.store, this.origin, this.publicKey, options));
  }

  /** Close the store. */
  async close(): Promise<void> {
    await this.serial(() => this.store.close());
  }
}

/** The RFC 6962 root from the right-edge perfect pieces (highest level first). */
function foldEdge(edge: readonly EdgeNode[], hasher: MerkleHasher): Hash {
  if (edge.length === 0) return hasher.empty();
  let r = edge[edge.length - 1]!.hash;
  for (let k = edge.length - 2; k >= 0; k--) r = hasher.node(edge[k]!.hash, r);
  return r;
}
