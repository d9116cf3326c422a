/**
 * The tests' reference tree: an in-memory, append-only RFC 6962 tree that stores every
 * perfect subtree hash (about 2 × 32 bytes per leaf, in flat growable buffers), checked
 * against the RFC 6962 vectors and used to check what the product keeps instead (the right
 * edge of `stored-tree.ts`, the stored tiles of the stores).
 *
 * - `append` is amortised one node hash (worst case log n);
 * - `root()` / `rootAt(size)` fold the O(log n) perfect pieces of the right edge;
 * - `inclusionProof` / `consistencyProof` read O(log n) stored nodes, for the
 *   current size or any earlier one (old checkpoints stay provable).
 *
 * The tree is also a {@link NodeSource}, so the proof functions of `merkle.ts`
 * accept it directly; a persistent store that keeps the same nodes serves the
 * same proofs.
 */
import { consistencyProof, defaultHasher, HASH_BYTES, inclusionProof, rootAt, subtreeRoot } from "../../runtime/lineage/merkle.js";
import type { Hash, MerkleHasher, NodeSource } from "../../runtime/lineage/merkle.js";

/** A growable array of 32-byte hashes in one buffer. */
class HashArray {
  private bytes = new Uint8Array(HASH_BYTES * 16);
  length = 0;

  push(h: Hash): void {
    if ((this.length + 1) * HASH_BYTES > this.bytes.length) {
      const bigger = new Uint8Array(this.bytes.length * 2);
      bigger.set(this.bytes);
      this.bytes = bigger;
    }
    this.bytes.set(h, this.length * HASH_BYTES);
    this.length++;
  }

  /** A view of hash `i` (valid until the next push; callers copy if they keep it). */
  view(i: number): Hash {
    return this.bytes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES);
  }
}

/** An append-only RFC 6962 Merkle tree with stored subtree hashes. */
export class MerkleTree implements NodeSource {
  /** levels[l][i] = root of leaves [i·2^l, (i+1)·2^l). */
  private readonly levels: HashArray[] = [new HashArray()];
  private cachedRoot: Hash | undefined;
  /** The hash functions this tree uses. */
  readonly hasher: MerkleHasher;

  /** An empty tree hashing with `hasher` (default: @noble/hashes). */
  constructor(hasher: MerkleHasher = defaultHasher) {
    this.hasher = hasher;
  }

  /** A tree holding `leafHashes` in order. */
  static fromLeafHashes(leafHashes: Iterable<Hash>, hasher: MerkleHasher = defaultHasher): MerkleTree {
    const tree = new MerkleTree(hasher);
    for (const h of leafHashes) tree.append(h);
    return tree;
  }

  /** Number of leaves. */
  get size(): number {
    return this.levels[0]!.length;
  }

  /**
   * Append a leaf hash (already `leafHash(data)`); returns its index.
   * @throws RangeError when `leaf` is not 32 bytes.
   */
  append(leaf: Hash): number {
    if (!(leaf instanceof Uint8Array) || leaf.length !== HASH_BYTES) throw new RangeError("leaf hash must be 32 bytes");
    const index = this.size;
    this.levels[0]!.push(leaf);
    let level = 0;
    let i = index;
    let h = leaf;
    // Each time the new node is a right child, its parent becomes complete.
    while (i % 2 === 1) {
      h = this.hasher.node(this.levels[level]!.view(i - 1), h);
      level++;
      i = (i - 1) / 2;
      if (this.levels.length === level) this.levels.push(new HashArray());
      this.levels[level]!.push(h);
    }
    this.cachedRoot = undefined;
    return index;
  }

  /** Hash `data` as a leaf and append it; returns the leaf index. */
  appendData(data: Uint8Array): number {
    return this.append(this.hasher.leaf(data));
  }

  /** A copy of the leaf hash at `index`. */
  leafHash(index: number): Hash {
    return this.perfectNode(0, index);
  }

  /**
   * A copy of the stored perfect-subtree hash at (level, index).
   * @throws RangeError when that subtree is not complete yet.
   */
  perfectNode(level: number, index: number): Hash {
    const arr = this.levels[level];
    if (arr === undefined || !Number.isSafeInteger(index) || index < 0 || index >= arr.length) {
      throw new RangeError(`no complete subtree at level ${level}, index ${index} (size ${this.size})`);
    }
    return arr.view(index).slice();
  }

  /** The current root (cached until the next append). */
  root(): Hash {
    if (this.cachedRoot === undefined) this.cachedRoot = rootAt(this.size, this, this.hasher);
    return this.cachedRoot.slice();
  }

  /** The root the tree had when it held `size` leaves (0 ≤ size ≤ this.size). */
  rootAt(size: number): Hash {
    this.assertWithin(size);
    return size === this.size ? this.root() : rootAt(size, this, this.hasher);
  }

  /** MTH of leaves [start, end) for a range that is a node of some tree (see `subtreeRoot`). */
  subtreeRoot(start: number, end: number): Hash {
    this.assertWithin(end);
    return subtreeRoot(start, end, this, this.hasher);
  }

  /** Inclusion proof of leaf `index` in the tree of size `size` (default: current). */
  inclusionProof(index: number, size: number = this.size): Hash[] {
    this.assertWithin(size);
    return inclusionProof(index, size, this, this.hasher);
  }

  /** Consistency proof from size `m` to size `n` (default: current). */
  consistencyProof(m: number, n: number = this.size): Hash[] {
    this.assertWithin(n);
    return consistencyProof(m, n, this, this.hasher);
  }

  private assertWithin(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.size) {
      throw new RangeError(`size ${size} is outside 0..${this.size}`);
    }
  }
}
