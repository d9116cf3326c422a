/**
 * RFC 6962 / RFC 9162 Merkle tree math for the lineage log.
 *
 * - leaf hash  = SHA-256(0x00 ‖ data), node hash = SHA-256(0x01 ‖ left ‖ right),
 *   empty tree root = SHA-256("").
 * - MTH(D[n]) splits at the largest power of two k < n (RFC 9162 §2.1.1).
 *
 * Large logs are served from stored *perfect subtree* hashes: the node at
 * (level, index) covers leaves [index·2^level, (index+1)·2^level). In an
 * append-only log such a node never changes once complete, so a store can keep
 * it forever. Every root, inclusion proof and consistency proof then needs
 * O(log n) node reads (see {@link NodeSource}); a store implements `NodeSource` over the
 * hashes it keeps, and a log or a verification holds only the tree's right edge in memory
 * (`stored-tree.ts`).
 *
 * Indices and sizes are JS numbers and must be safe integers (< 2^53).
 * Generators throw `RangeError` on impossible arguments (a caller bug);
 * verifiers never throw and answer `false` (or a reason, for the `check…` forms).
 *
 * Hashing goes through a {@link MerkleHasher}: @noble/hashes by default
 * (browser-safe), node:crypto via `merkle-node-hasher.ts` where speed matters
 * (about twice as fast); both produce identical bytes.
 *
 * NOTE: browser-safe; no Node imports here.
 */
import { sha256 } from "@noble/hashes/sha2.js";

/** Length in bytes of every tree hash (SHA-256). */
export const HASH_BYTES = 32;

/** The hash functions of an RFC 6962 tree. */
export interface MerkleHasher {
  /** SHA-256(0x00 ‖ data). */
  leaf(data: Uint8Array): Uint8Array;
  /** SHA-256(0x01 ‖ left ‖ right). */
  node(left: Uint8Array, right: Uint8Array): Uint8Array;
  /** SHA-256 of the empty string: the root of the empty tree. */
  empty(): Uint8Array;
  /**
   * Optional: the leaf hash given its whole input as text, SHA-256(UTF-8(input)), where the
   * caller guarantees UTF-8(input) is exactly 0x00 ‖ data (lets a store hand over leaf data
   * it read as text, with no copy).
   */
  leafOfInput?(input: string): Uint8Array;
}

/** Byte-wise equality (not constant-time: tree hashes are public). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const LEAF_PREFIX = Uint8Array.of(0x00);
const EMPTY_ROOT = sha256(new Uint8Array(0));
// NOTE: one reusable 65-byte buffer for node hashes; safe because hashing is synchronous.
const nodeBuffer = new Uint8Array(1 + 2 * HASH_BYTES);
nodeBuffer[0] = 0x01;

/** RFC 6962 hashing on @noble/hashes (runs in every JS engine). */
export const defaultHasher: MerkleHasher = {
  leaf(data: Uint8Array): Uint8Array {
    return sha256.create().update(LEAF_PREFIX).update(data).digest();
  },
  node(left: Uint8Array, right: Uint8Array): Uint8Array {
    if (left.length === HASH_BYTES && right.length === HASH_BYTES) {
      nodeBuffer.set(left, 1);
      nodeBuffer.set(right, 1 + HASH_BYTES);
      return sha256(nodeBuffer);
    }
    return sha256.create().update(Uint8Array.of(0x01)).update(left).update(right).digest();
  },
  empty(): Uint8Array {
    return EMPTY_ROOT.slice();
  },
};

/** A 32-byte SHA-256 digest. */
export type Hash = Uint8Array;

/**
 * Read access to the hashes of perfect (complete) subtrees:
 * `perfectNode(level, index)` is the root of leaves [index·2^level, (index+1)·2^level).
 * Level 0 nodes are the leaf hashes. Callers only ask for complete subtrees.
 */
export interface NodeSource {
  perfectNode(level: number, index: number): Hash;
}

/** Leaf hashes by index, or stored perfect-subtree hashes. */
export type LeafAccess = ((index: number) => Hash) | NodeSource;

/** RFC 6962 leaf hash: SHA-256(0x00 ‖ data). */
export function leafHash(data: Uint8Array, hasher: MerkleHasher = defaultHasher): Hash {
  return hasher.leaf(data);
}

/** RFC 6962 interior node hash: SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Hash, right: Hash, hasher: MerkleHasher = defaultHasher): Hash {
  return hasher.node(left, right);
}

/** Root of the empty tree: SHA-256 of the empty string. */
export function emptyRoot(hasher: MerkleHasher = defaultHasher): Hash {
  return hasher.empty();
}

function assertSize(name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative safe integer, got ${n}`);
}

/** Largest power of two strictly below n (n ≥ 2), with its exponent. */
function splitPoint(n: number): { k: number; level: number } {
  let k = 1;
  let level = 0;
  while (k * 2 < n) {
    k *= 2;
    level++;
  }
  return { k, level };
}

/** A {@link NodeSource} over a leaf-hash accessor: a perfect node at level l costs 2^l − 1 hashes. */
export function leafSource(getLeafHash: (index: number) => Hash, hasher: MerkleHasher = defaultHasher): NodeSource {
  const perfectNode = (level: number, index: number): Hash =>
    level === 0 ? getLeafHash(index) : hasher.node(perfectNode(level - 1, index * 2), perfectNode(level - 1, index * 2 + 1));
  return { perfectNode };
}

function asSource(access: LeafAccess, hasher: MerkleHasher): NodeSource {
  return typeof access === "function" ? leafSource(access, hasher) : access;
}

/**
 * MTH of leaves [start, end) where the range is a node of some RFC 6962 tree
 * (start is a multiple of the smallest power of two ≥ end − start; always true
 * for the subtrees proofs use). Folds the O(log n) perfect pieces of the range.
 */
export function subtreeRoot(start: number, end: number, access: LeafAccess, hasher: MerkleHasher = defaultHasher): Hash {
  assertSize("start", start);
  assertSize("end", end);
  if (end <= start) throw new RangeError(`empty or inverted range [${start}, ${end})`);
  const src = asSource(access, hasher);
  const pieces: Hash[] = [];
  let pos = start;
  let rem = end - start;
  let p = 1;
  let level = 0;
  while (p * 2 <= rem) {
    p *= 2;
    level++;
  }
  while (rem > 0) {
    if (rem >= p) {
      if (pos % p !== 0) throw new RangeError(`range [${start}, ${end}) is not aligned to the tree`);
      pieces.push(src.perfectNode(level, pos / p));
      pos += p;
      rem -= p;
    }
    p /= 2;
    level--;
  }
  let h = pieces[pieces.length - 1]!;
  for (let i = pieces.length - 2; i >= 0; i--) h = hasher.node(pieces[i]!, h);
  return h;
}

/** MTH of a list of leaf hashes, in O(n) hashes and O(log n) extra space. */
export function rootOf(leafHashes: readonly Hash[], hasher: MerkleHasher = defaultHasher): Hash {
  if (leafHashes.length === 0) return hasher.empty();
  const stack: Hash[] = [];
  for (let i = 0; i < leafHashes.length; i++) {
    let h = leafHashes[i]!;
    // Merge completed pairs: the number of merges is the count of trailing one bits of i.
    for (let j = i; j % 2 === 1; j = (j - 1) / 2) h = hasher.node(stack.pop()!, h);
    stack.push(h);
  }
  let root = stack[stack.length - 1]!;
  for (let i = stack.length - 2; i >= 0; i--) root = hasher.node(stack[i]!, root);
  return root;
}

/** MTH of the first `size` leaves of `access`. O(log n) node reads for stored nodes. */
export function rootAt(size: number, access: LeafAccess, hasher: MerkleHasher = defaultHasher): Hash {
  assertSize("size", size);
  return size === 0 ? hasher.empty() : subtreeRoot(0, size, access, hasher);
}

/**
 * RFC 9162 §2.1.3.1 inclusion proof (audit path) of leaf `index` in the tree of
 * the first `size` leaves, ordered from the leaf upwards.
 * @throws RangeError unless 0 ≤ index < size.
 */
export function inclusionProof(index: number, size: number, access: LeafAccess, hasher: MerkleHasher = defaultHasher): Hash[] {
  assertSize("index", index);
  assertSize("size", size);
  if (index >= size) throw new RangeError(`leaf index ${index} is outside a tree of size ${size}`);
  const src = asSource(access, hasher);
  const topDown: Hash[] = [];
  let a = 0;
  let b = size;
  while (b - a > 1) {
    const { k, level } = splitPoint(b - a);
    if (index < a + k) {
      topDown.push(subtreeRoot(a + k, b, src, hasher));
      b = a + k;
    } else {
      topDown.push(src.perfectNode(level, a / k));
      a += k;
    }
  }
  return topDown.reverse();
}

/**
 * RFC 9162 §2.1.4.1 consistency proof between the trees of the first `m` and
 * the first `n` leaves. Empty when m = n.
 * @throws RangeError unless 0 < m ≤ n.
 */
export function consistencyProof(m: number, n: number, access: LeafAccess, hasher: MerkleHasher = defaultHasher): Hash[] {
  assertSize("m", m);
  assertSize("n", n);
  if (m === 0 || m > n) throw new RangeError(`no consistency proof from size ${m} to size ${n}`);
  const src = asSource(access, hasher);
  const topDown: Hash[] = [];
  let a = 0;
  let b = n;
  let complete = true; // the b flag of SUBPROOF: is [a, m) the whole old tree?
  for (;;) {
    if (m === b) {
      if (!complete) topDown.push(subtreeRoot(a, b, src, hasher));
      break;
    }
    const { k, level } = splitPoint(b - a);
    if (m - a <= k) {
      topDown.push(subtreeRoot(a + k, b, src, hasher));
      b = a + k;
    } else {
      topDown.push(src.perfectNode(level, a / k));
      a += k;
      complete = false;
    }
  }
  return topDown.reverse();
}

function isHash(h: unknown): h is Hash {
  return h instanceof Uint8Array && h.length === HASH_BYTES;
}

function validProof(proof: readonly Hash[]): boolean {
  if (!Array.isArray(proof)) return false;
  for (const p of proof) if (!isHash(p)) return false;
  return true;
}

/**
 * The root implied by an inclusion proof (RFC 9162 §2.1.3.2), or a reason why
 * the proof cannot be valid for any root.
 */
export function rootFromInclusionProof(
  leaf: Hash,
  index: number,
  size: number,
  proof: readonly Hash[],
  hasher: MerkleHasher = defaultHasher,
): { readonly root: Hash } | { readonly error: string } {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0) return { error: "index and size must be safe integers" };
  if (index >= size) return { error: `leaf index ${index} is outside a tree of size ${size}` };
  if (!isHash(leaf)) return { error: "leaf hash must be 32 bytes" };
  if (!validProof(proof)) return { error: "every proof element must be 32 bytes" };
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return { error: "proof is longer than the tree is deep" };
    if (fn % 2 === 1 || fn === sn) {
      r = hasher.node(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      r = hasher.node(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return { error: "proof is shorter than the tree is deep" };
  return { root: r };
}

/**
 * Check an inclusion proof. Returns `undefined` when `leaf` is at `index` in the
 * tree of `size` leaves whose root is `root`, else the reason it is not.
 */
export function checkInclusion(
  leaf: Hash,
  index: number,
  size: number,
  proof: readonly Hash[],
  root: Hash,
  hasher: MerkleHasher = defaultHasher,
): string | undefined {
  if (!isHash(root)) return "root must be 32 bytes";
  const got = rootFromInclusionProof(leaf, index, size, proof, hasher);
  if ("error" in got) return got.error;
  return bytesEqual(got.root, root) ? undefined : "computed root does not match";
}

/** True when the inclusion proof is valid (see {@link checkInclusion}). Never throws. */
export function verifyInclusion(
  leaf: Hash,
  index: number,
  size: number,
  proof: readonly Hash[],
  root: Hash,
  hasher: MerkleHasher = defaultHasher,
): boolean {
  return checkInclusion(leaf, index, size, proof, root, hasher) === undefined;
}

/**
 * Check a consistency proof (RFC 9162 §2.1.4.2) that the tree of size `m`
 * with root `rootM` is a prefix of the tree of size `n` with root `rootN`.
 * Returns `undefined` when it holds, else the reason.
 *
 * NOTE: m = 0 is always rejected: every tree extends the empty tree, so such a
 * "proof" proves nothing and accepting it would let a caller skip the check.
 * m = n requires an empty proof and identical roots.
 */
export function checkConsistency(
  m: number,
  n: number,
  rootM: Hash,
  rootN: Hash,
  proof: readonly Hash[],
  hasher: MerkleHasher = defaultHasher,
): string | undefined {
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(n) || m < 0) return "sizes must be non-negative safe integers";
  if (m > n) return `old size ${m} is larger than new size ${n}`;
  if (m === 0) return "a consistency proof from the empty tree proves nothing";
  if (!Array.isArray(proof)) return "proof must be a list of hashes";
  if (m === n) {
    if (proof.length !== 0) return "sizes are equal but the proof is not empty";
    return rootM instanceof Uint8Array && rootN instanceof Uint8Array && bytesEqual(rootM, rootN)
      ? undefined
      : "sizes are equal but the roots differ";
  }
  if (proof.length === 0) return "proof is empty";
  if (!isHash(rootM) || !isHash(rootN)) return "roots must be 32 bytes";
  if (!validProof(proof)) return "every proof element must be 32 bytes";
  // If m is a power of two, the old root itself is the first node of the path.
  const path = isPowerOfTwo(m) ? [rootM, ...proof] : proof;
  let fn = m - 1;
  let sn = n - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (sn === 0) return "proof is longer than expected";
    if (fn % 2 === 1 || fn === sn) {
      fr = hasher.node(c, fr);
      sr = hasher.node(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = hasher.node(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return "proof is shorter than expected";
  if (!bytesEqual(fr, rootM)) return "proof does not reproduce the old root";
  if (!bytesEqual(sr, rootN)) return "proof does not reproduce the new root";
  return undefined;
}

function isPowerOfTwo(x: number): boolean {
  if (x < 1) return false;
  while (x % 2 === 0) x /= 2;
  return x === 1;
}

/** True when the consistency proof is valid (see {@link checkConsistency}). Never throws. */
export function verifyConsistency(
  m: number,
  n: number,
  rootM: Hash,
  rootN: Hash,
  proof: readonly Hash[],
  hasher: MerkleHasher = defaultHasher,
): boolean {
  return checkConsistency(m, n, rootM, rootN, proof, hasher) === undefined;
}
