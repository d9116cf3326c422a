/**
 * Full verification of a stored lineage log: trust nothing stored except what a
 * verified checkpoint signs.
 *
 * 1. Every checkpoint note must verify under the log key and origin, and sizes
 *    must match the size they are stored under.
 * 2. Entries are streamed in index order; each event's leaf hash is recomputed
 *    from its stored bytes (never read from the store) and the tree rebuilt.
 *    An entry is bad when its index is missing, or its content no longer
 *    matches its event id or the leaf hash recorded for its position: this
 *    names a changed byte, a deleted, inserted or reordered event exactly.
 * 3. At each checkpoint size the rebuilt root must equal the signed root; a
 *    mismatch not explained by step 2 is pinned to the first entry after the
 *    previous good checkpoint.
 * 4. Successive checkpoints must be consistent (RFC 9162 consistency proofs
 *    from the rebuilt tree against the signed roots), and the last checkpoint
 *    must cover exactly the stored entries.
 *
 * NOTE: Node only (node:crypto hashing).
 */
import { nodeEd25519 } from "../crypto/ed25519-node.js";
import { verifyCheckpoint } from "./checkpoint.js";
import type { Checkpoint } from "./checkpoint.js";
import { bytesEqual, checkConsistency } from "./merkle.js";
import { MerkleTree } from "./merkle-tree.js";
import { leafHashOfInput, nodeHasher } from "./merkle-node-hasher.js";
import type { Hash } from "./merkle.js";
import type { LineageStore } from "./store.js";

/**
 * One entry as a verification scan sees it: no parents, and the stored leaf
 * data either as bytes (`data`) or as the text whose UTF-8 encoding is exactly
 * 0x00 ‖ data, the RFC 6962 leaf hash input (`leafInput`).
 */
export type LeafRow =
  | { readonly index: number; readonly id: string; readonly data: Uint8Array; readonly leafInput?: undefined; readonly leafHash: Hash | undefined }
  | { readonly index: number; readonly id: string; readonly data?: undefined; readonly leafInput: string; readonly leafHash: Hash | undefined };

/**
 * An optional capability of a store: read entries for verification more
 * cheaply than {@link LineageStore.readRange} (same rows, same order, same
 * content; only the representation differs). Verification still re-hashes
 * the content of every entry.
 */
export interface LeafScanSource {
  /** Entries with start ≤ index < end in index order (missing indices are absent). */
  scanLeaves(start: number, end: number): Promise<LeafRow[]>;
}

function hasLeafScan(store: LineageStore): store is LineageStore & LeafScanSource {
  return typeof (store as Partial<LeafScanSource>).scanLeaves === "function";
}

/** The leaf hash of a scanned row's content. */
function leafOf(row: LeafRow): Hash {
  return row.leafInput !== undefined ? leafHashOfInput(row.leafInput) : nodeHasher.leaf(row.data);
}

/** Options of a verification run. */
export interface VerifyOptions {
  /** Called after each chunk with events checked so far and the total. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Entries read per store call (default 1024: small chunks stay in the young generation, which keeps GC cheap). */
  readonly chunk?: number;
}

/** The first bad entry a verification found. */
export interface BadEntry {
  /** Index of the first entry that is wrong or missing. */
  readonly index: number;
  /** The stored event id at that index, if an entry is stored there. */
  readonly id: string | undefined;
  /** What is wrong. */
  readonly reason: string;
}

/** Outcome of a verification. */
export interface VerifyReport {
  /** True when every check passed. */
  readonly ok: boolean;
  /** Number of stored entries examined (the store's size). */
  readonly size: number;
  /** Number of checkpoints checked. */
  readonly checkpoints: number;
  /** The first bad entry, when an entry is wrong or missing. */
  readonly firstBad?: BadEntry;
  /** A problem not tied to one entry (a bad checkpoint signature, a store failure). */
  readonly error?: string;
}

/** Value of one lowercase hex digit, or -1. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** True when `id` is exactly `sha256:` + the lowercase hex of `leaf` (no allocation: this runs once per event). */
function idMatches(id: string, leaf: Uint8Array): boolean {
  if (id.length !== 7 + 2 * leaf.length || !id.startsWith("sha256:")) return false;
  for (let i = 0; i < leaf.length; i++) {
    const hi = hexDigit(id.charCodeAt(7 + 2 * i));
    const lo = hexDigit(id.charCodeAt(8 + 2 * i));
    if (hi < 0 || lo < 0 || ((hi << 4) | lo) !== leaf[i]) return false;
  }
  return true;
}

/** Verify the stored log `store` of `origin` signed by `publicKey`. Never throws. */
export async function verifyLog(store: LineageStore, origin: string, publicKey: Uint8Array, options: VerifyOptions = {}): Promise<VerifyReport> {
  const chunk = Math.max(1, options.chunk ?? 1024);
  let size = 0;
  let nCheckpoints = 0;
  try {
    size = await store.size();
    const stored = await store.checkpoints();
    nCheckpoints = stored.length;
    const cps: Checkpoint[] = [];
    for (const s of stored) {
      const cp = verifyCheckpoint(s.note, origin, publicKey, nodeEd25519);
      if (!cp.ok) return { ok: false, size, checkpoints: nCheckpoints, error: `checkpoint for size ${s.size}: ${cp.error}` };
      if (cp.value.size !== s.size || cp.value.origin !== origin) {
        return { ok: false, size, checkpoints: nCheckpoints, error: `checkpoint stored for size ${s.size} signs size ${cp.value.size}` };
      }
      cps.push(cp.value);
    }
    const bad = (index: number, id: string | undefined, reason: string): VerifyReport => ({
      ok: false,
      size,
      checkpoints: nCheckpoints,
      firstBad: { index, id, reason },
    });

    const tree = new MerkleTree(nodeHasher);
    let next = 0; // next checkpoint to compare
    let goodUpTo = 0; // size of the last checkpoint that matched
    const checkRootsAt = (n: number): VerifyReport | undefined => {
      while (next < cps.length && cps[next]!.size <= n) {
        const cp = cps[next]!;
        if (cp.size === 0) {
          next++;
          continue;
        }
        if (!bytesEqual(tree.rootAt(cp.size), cp.rootHash)) {
          return bad(goodUpTo, undefined, `the entries from index ${goodUpTo} on do not reproduce the root signed at size ${cp.size}`);
        }
        goodUpTo = cp.size;
        next++;
      }
      return undefined;
    };

    const scan = hasLeafScan(store) ? (a: number, b: number) => store.scanLeaves(a, b) : (a: number, b: number) => store.readRange(a, b);
    for (let start = 0; start < size; start += chunk) {
      const rows: readonly LeafRow[] = await scan(start, Math.min(size, start + chunk));
      for (const e of rows) {
        const expected = tree.size;
        if (e.index !== expected) {
          const missing = checkRootsAt(expected);
          return missing ?? bad(expected, undefined, `entry ${expected} is missing (the next stored entry is ${e.index})`);
        }
        const leaf = leafOf(e);
        if (!idMatches(e.id, leaf)) return checkRootsAt(expected) ?? bad(expected, e.id, "the stored content does not hash to its event id");
        if (e.leafHash === undefined) return checkRootsAt(expected) ?? bad(expected, e.id, "no leaf hash is recorded for this position");
        if (!bytesEqual(e.leafHash, leaf)) {
          return checkRootsAt(expected) ?? bad(expected, e.id, "the event does not match the leaf hash recorded for this position (moved or replaced)");
        }
        tree.append(leaf);
        const r = checkRootsAt(tree.size);
        if (r !== undefined) return r;
      }
      if (rows.length === 0 || rows[rows.length - 1]!.index < Math.min(size, start + chunk) - 1) {
        const r = checkRootsAt(tree.size);
        if (r !== undefined) return r;
        if (tree.size < Math.min(size, start + chunk)) return bad(tree.size, undefined, `entry ${tree.size} is missing`);
      }
      options.onProgress?.(tree.size, size);
    }

    const last = cps[cps.length - 1];
    if (last !== undefined && last.size > tree.size) {
      return bad(tree.size, undefined, `the checkpoint at size ${last.size} covers entries from ${tree.size} on that are missing`);
    }
    if (tree.size > 0 && (last === undefined || last.size < tree.size)) {
      const from = last?.size ?? 0;
      const e = (await store.get(from))?.id;
      return bad(from, e, `entries from index ${from} on are not covered by any checkpoint`);
    }
    for (let k = 1; k < cps.length; k++) {
      const m = cps[k - 1]!;
      const n = cps[k]!;
      if (m.size === 0) continue;
      if (m.size > n.size) return { ok: false, size, checkpoints: nCheckpoints, error: `checkpoints out of order at size ${n.size}` };
      const problem = checkConsistency(m.size, n.size, m.rootHash, n.rootHash, tree.consistencyProof(m.size, n.size), nodeHasher);
      if (problem !== undefined) {
        return { ok: false, size, checkpoints: nCheckpoints, error: `checkpoints at sizes ${m.size} and ${n.size} are inconsistent: ${problem}` };
      }
    }
    return { ok: true, size, checkpoints: nCheckpoints };
  } catch (e) {
    return { ok: false, size, checkpoints: nCheckpoints, error: `verification could not read the store: ${e instanceof Error ? e.message : String(e)}` };
  }
}
