/**
 * The log's view of the stored tree.
 *
 * - The right edge of an RFC 6962 tree: the perfect subtrees a tree of n leaves decomposes
 *   into (one per set bit of n, highest level first). A log holds only its edge in memory —
 *   enough to fold the root and to place the next leaves — and reads it back from the stored
 *   subtree hashes when it opens or catches up with another writer.
 * - {@link fromStoredNodes}: run a proof builder on the stored subtree hashes it needs.
 * - {@link storedExtension}: the stored tree another writer extended, checked before a log
 *   adopts it (see `log.ts`, "Several writers").
 *
 * NOTE: browser-safe.
 */
import { failure, type Failure } from "../../compiler/compile-ir.js";
import { bytesEqual, checkConsistency, consistencyProof, HASH_BYTES, type Hash, type MerkleHasher, type NodeSource } from "./merkle.js";
import { StoreError, type LineageStore, type NodeCoord, type StoredNode } from "./store.js";
import type { CheckpointTrust } from "./trust.js";

/** One perfect subtree of the edge. */
export interface EdgeNode {
  readonly level: number;
  readonly hash: Hash;
}

/** Perfect pieces of the right edge of a tree of `size` leaves, highest level first. */
export function edgeCoords(size: number): NodeCoord[] {
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

/** The RFC 6962 root from the right-edge perfect pieces (highest level first). */
export function foldEdge(edge: readonly EdgeNode[], hasher: MerkleHasher): Hash {
  if (edge.length === 0) return hasher.empty();
  let r = edge[edge.length - 1]!.hash;
  for (let k = edge.length - 2; k >= 0; k--) r = hasher.node(edge[k]!.hash, r);
  return r;
}

/** The stored edge of a tree of `size` leaves, or which stored subtree is missing. Rejects only on store failure. */
export async function readEdge(store: LineageStore, size: number): Promise<{ readonly edge: EdgeNode[] } | { readonly missing: string }> {
  const coords = edgeCoords(size);
  const hashes = await store.readNodes(coords);
  const edge: EdgeNode[] = [];
  for (let i = 0; i < coords.length; i++) {
    const h = hashes[i];
    if (h === undefined || h.length !== HASH_BYTES) return { missing: `stored subtree (${coords[i]!.level}, ${coords[i]!.index}) is missing` };
    edge.push({ level: coords[i]!.level, hash: h });
  }
  return { edge };
}

/**
 * Append the leaf at `index` to `edge` (in place), merging equal levels, and push every
 * perfect subtree hash it completes (the leaf's own included) onto `nodes` when given.
 */
export function pushLeaf(edge: EdgeNode[], leaf: Hash, index: number, hasher: MerkleHasher, nodes?: StoredNode[]): void {
  nodes?.push({ level: 0, index, hash: leaf });
  edge.push({ level: 0, hash: leaf });
  while (edge.length >= 2 && edge[edge.length - 1]!.level === edge[edge.length - 2]!.level) {
    const right = edge.pop()!;
    const left = edge.pop()!;
    const level = right.level + 1;
    const hash = hasher.node(left.hash, right.hash);
    edge.push({ level, hash });
    nodes?.push({ level, index: Math.floor(index / 2 ** level), hash });
  }
}

/**
 * Run a proof builder twice: once to learn which stored subtree hashes it reads, then on
 * those hashes, read in one store call. Rejects when one is missing (kind `io`).
 */
export async function fromStoredNodes<T>(store: LineageStore, build: (source: NodeSource) => T): Promise<T> {
  const coords: NodeCoord[] = [];
  const zero = new Uint8Array(HASH_BYTES);
  build({ perfectNode: (level, index) => (coords.push({ level, index }), zero) });
  const hashes = await store.readNodes(coords);
  const byCoord = new Map<string, Hash>();
  coords.forEach((c, i) => {
    const h = hashes[i];
    if (h !== undefined) byCoord.set(`${c.level}:${c.index}`, h);
  });
  return build({
    perfectNode(level, index) {
      const h = byCoord.get(`${level}:${index}`);
      if (h === undefined) throw new StoreError("io", `stored subtree (${level}, ${index}) is missing`);
      return h;
    },
  });
}

/** The tree a log holds: its size, root and latest checkpoint note. */
export interface HeldTree {
  readonly size: number;
  readonly root: Hash;
  readonly note: string | undefined;
}

/** What {@link storedExtension} found. */
export type Extension =
  /** The store holds the tree the log holds. */
  | { readonly kind: "same" }
  /** A verified extension of it: adopt it. */
  | { readonly kind: "extends"; readonly size: number; readonly edge: EdgeNode[]; readonly note: string; readonly signer: string }
  /** A stored tree that must not be adopted (integrity): the log refuses appends from now on. */
  | { readonly kind: "refuse"; readonly detail: string }
  /** Nothing decided this time (the store kept moving). */
  | { readonly kind: "retry"; readonly failure: Failure };

/**
 * Check the stored tree against the one a log holds: the latest stored checkpoint must be
 * accepted by `trust` and sign the store's size, the stored right edge must fold to its root,
 * and a consistency proof from the stored subtree hashes must show it extends `held`.
 * `lockedSize`: the size read under the store's sequencing lock (nothing moves meanwhile).
 * Rejects only on store failure.
 */
export async function storedExtension(store: LineageStore, trust: CheckpointTrust, held: HeldTree, hasher: MerkleHasher, lockedSize?: number): Promise<Extension> {
  let size = lockedSize ?? (await store.size());
  let latest = await store.latestCheckpoint();
  // Without a sequencing lock a writer may append between the two reads: read again.
  for (let k = 0; lockedSize === undefined && k < 4 && latest !== undefined && latest.size !== size; k++) {
    size = await store.size();
    latest = await store.latestCheckpoint();
  }
  const refuse = (detail: string): Extension => ({ kind: "refuse", detail });
  if (size === held.size && latest?.note === held.note) return { kind: "same" };
  if (size < held.size) return refuse(`the store holds ${size} events, fewer than the ${held.size} this log held: it was truncated or replaced`);
  if (latest === undefined) return refuse("the stored entries are not covered by any checkpoint");
  if (latest.size !== size) return { kind: "retry", failure: failure("W6209", { kind: "conflict", detail: "the store kept changing while this log caught up with it" }) };
  const t = await trust.verify(latest.note);
  if (!t.ok) return refuse(`the latest stored checkpoint is not accepted: ${t.problem.message}`);
  if (t.value.size !== size) return refuse(`the checkpoint stored for size ${size} signs size ${t.value.size}`);
  const stored = await readEdge(store, size);
  if ("missing" in stored) return refuse(stored.missing);
  if (!bytesEqual(foldEdge(stored.edge, hasher), t.value.rootHash)) return refuse("the stored tree does not match the latest checkpoint");
  if (held.size > 0) {
    const path = size === held.size ? [] : await fromStoredNodes(store, (source) => consistencyProof(held.size, size, source, hasher));
    const problem = checkConsistency(held.size, size, held.root, t.value.rootHash, path, hasher);
    if (problem !== undefined) return refuse(`the stored log is not an extension of the ${held.size} events this log held: ${problem}`);
  }
  return { kind: "extends", size, edge: stored.edge, note: latest.note, signer: t.value.signer };
}
