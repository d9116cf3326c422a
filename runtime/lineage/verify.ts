/**
 * Full verification of a stored lineage log: trust nothing stored except what a
 * verified checkpoint signs.
 *
 * 1. Every checkpoint note must be accepted by the log's trust (the log key under its
 *    origin, or for a mesh any enrolled node key), and sizes must match the size they are
 *    stored under.
 * 2. Entries are streamed in index order; each event's leaf hash is recomputed
 *    from its stored bytes (never read from the store) and the tree rebuilt.
 *    An entry is bad when its index is missing, or its content no longer
 *    matches its event id or the leaf hash recorded for its position: this
 *    names a changed byte, a deleted, inserted or reordered event exactly.
 * 3. At each checkpoint size the rebuilt root must equal the signed root; a
 *    mismatch not explained by step 2 is pinned to the first entry after the
 *    previous good checkpoint.
 * 4. Checkpoint sizes must not decrease, and the last checkpoint must cover exactly the
 *    stored entries. Successive checkpoints are then consistent: each signs the root of a
 *    prefix of the same rebuilt leaves (step 3), which is what an RFC 9162 consistency
 *    proof between them shows.
 * 5. Given a trusted checkpoint (the last one a verifier saw, kept outside the log), the
 *    log must hold at least its size and reproduce its root: a truncated, wiped or forked
 *    log fails even when everything left in it is self-consistent.
 * 6. Every bundle and entity snapshot a `requested` event names must be stored and re-hash
 *    to its id (see `objects.ts`); the first event whose object is missing or altered is
 *    named.
 *
 * `onEntry` sees every entry as it is re-hashed; what it collects is evidence only when the
 * report comes back `ok` (show, replay and export read the log this way).
 *
 * Memory does not grow with the log's entries: the rebuilt tree is only its right edge (one
 * hash per set bit of the size, see `stored-tree.ts`), enough for the root at the current
 * size, which is the only size a checkpoint is compared at; what grows is one size and root
 * per checkpoint.
 *
 * NOTE: browser-safe: hashing and Ed25519 come from the caller.
 */
import { errorText } from "../../compiler/compile-ir.js";
import type { RuntimeCrypto } from "../crypto/platform.js";
import { bytesEqual } from "./merkle.js";
import type { Hash, MerkleHasher } from "./merkle.js";
import { checkObjects, objectRefs, type ObjectRef } from "./objects.js";
import type { LineageStore, StoredCheckpoint } from "./store.js";
import { foldEdge, pushLeaf, type EdgeNode } from "./stored-tree.js";
import type { CheckpointTrust, TrustedCheckpoint } from "./trust.js";

/**
 * One entry as a verification scan sees it: no parents, and the stored leaf
 * data either as bytes (`data`) or as the text whose UTF-8 encoding is exactly
 * 0x00 ‖ data, the RFC 6962 leaf hash input (`leafInput`) — or, when the stored
 * row cannot be read as leaf data at all, why (`corrupt`).
 */
export type LeafRow =
  | { readonly index: number; readonly id: string; readonly data: Uint8Array; readonly leafInput?: undefined; readonly corrupt?: undefined; readonly leafHash: Hash | undefined }
  | { readonly index: number; readonly id: string; readonly data?: undefined; readonly leafInput: string; readonly corrupt?: undefined; readonly leafHash: Hash | undefined }
  | { readonly index: number; readonly id: string; readonly data?: undefined; readonly leafInput?: undefined; readonly corrupt: string; readonly leafHash: Hash | undefined };

/** The hashing and Ed25519 a verification runs on (`runtimeCrypto` of an entry). */
export type VerifyCrypto = RuntimeCrypto;

const UTF8 = new TextEncoder();
const TEXT = new TextDecoder();

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
function leafOf(row: LeafRow & { readonly corrupt?: undefined }, hasher: MerkleHasher): Hash {
  return row.leafInput !== undefined ? (hasher.leafOfInput?.(row.leafInput) ?? hasher.leaf(UTF8.encode(row.leafInput).subarray(1))) : hasher.leaf(row.data!);
}

/** An entry's text not parsed yet. */
const UNPARSED: unique symbol = Symbol("unparsed");

/** `JSON.parse(text)`, or undefined when it is not JSON. Never throws. */
export function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The leaf data of a scanned row as text (the canonical JSON of the event). */
function textOf(row: LeafRow & { readonly corrupt?: undefined }): string {
  return row.leafInput !== undefined ? row.leafInput.slice(1) : TEXT.decode(row.data);
}

/** Options of a verification run. */
export interface VerifyOptions {
  /** Called after each chunk with events checked so far and the total. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Entries read per store call (default 1024: small chunks stay in the young generation, which keeps GC cheap). */
  readonly chunk?: number;
  /**
   * The last checkpoint this verifier accepted (a signed note, e.g. kept by an auditor or in
   * a trust file): the log must be a consistent extension of it.
   */
  readonly trusted?: string;
  /**
   * Called with every entry as it is re-hashed (index, event id, canonical JSON text, and
   * `json()`: the text parsed, once for the callback and verification's own object check;
   * undefined when it is not JSON). What it collects may be relied on only when the report is
   * `ok`.
   */
  readonly onEntry?: (index: number, id: string, text: string, json: () => unknown) => void;
  /** Check the bundles and entity snapshots that events name (default true). */
  readonly objects?: boolean;
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
  /** The catalog code of the failure: W6201 (bad entry or checkpoint), W6213 (against the trusted checkpoint), W6214 (objects), W6205 (store). */
  readonly code?: "W6201" | "W6205" | "W6213" | "W6214";
  /** The latest checkpoint note that verified (what a verifier keeps as its next trusted checkpoint). */
  readonly checkpoint?: string;
  /** The size of the trusted checkpoint the log was held to, when one was given. */
  readonly trustedSize?: number;
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

/** Checkpoints read per store call while verifying (the notes of one page are let go before the next). */
const CHECKPOINT_PAGE = 4096;

/**
 * The size and root each stored checkpoint signs, by ascending size, packed: 8 bytes of size
 * and 32 of root per checkpoint instead of an object and an array each (a log of 40 million
 * events holds about a million checkpoints).
 */
class RootList {
  private sizes = new Float64Array(64);
  private roots = new Uint8Array(64 * 32);
  length = 0;

  push(size: number, root: Hash): void {
    if (this.length === this.sizes.length) {
      const sizes = new Float64Array(this.length * 2);
      sizes.set(this.sizes);
      this.sizes = sizes;
      const roots = new Uint8Array(this.length * 2 * 32);
      roots.set(this.roots);
      this.roots = roots;
    }
    this.sizes[this.length] = size;
    this.roots.set(root.subarray(0, 32), this.length * 32);
    this.length++;
  }

  size(i: number): number {
    return this.sizes[i]!;
  }

  root(i: number): Hash {
    return this.roots.subarray(i * 32, i * 32 + 32);
  }
}

/** What verification keeps of the stored checkpoints (see {@link signedRoots}). */
interface SignedRoots {
  /** The log's size verification holds it to. */
  readonly size: number;
  /** How many checkpoints are stored. */
  readonly count: number;
  /** The last stored checkpoint's note. */
  readonly latest: string | undefined;
  /** The size and root each checkpoint signs, by ascending size. */
  readonly roots: RootList;
  /** Why a checkpoint does not verify (or is out of order), if one does not. */
  readonly error?: string;
}

/**
 * Read the log's size and its checkpoints a page at a time, check each checkpoint's signature
 * and size, and keep only the size and root each signs: no more than one page of notes is
 * held at once.
 */
async function signedRoots(store: LineageStore, trust: CheckpointTrust): Promise<SignedRoots> {
  let size = await store.size();
  const roots = new RootList();
  let count = 0;
  let last: StoredCheckpoint | undefined;
  const done = (error?: string): SignedRoots => ({ size, count, latest: last?.note, roots, ...(error === undefined ? {} : { error }) });
  for (let after = -1; ; ) {
    const page = await store.checkpointsAfter(after, CHECKPOINT_PAGE);
    // The page's signatures checked at once when the trust can (see `CheckpointTrust.verifyMany`), else one by one.
    const checked = trust.verifyMany === undefined ? undefined : await trust.verifyMany(page.map((s) => s.note));
    for (let k = 0; k < page.length; k++) {
      const s = page[k]!;
      count++;
      last = s;
      const cp = checked === undefined ? await trust.verify(s.note) : checked[k]!;
      if (!cp.ok) return done(`checkpoint for size ${s.size}: ${cp.problem.message}`);
      if (cp.value.size !== s.size) return done(`checkpoint stored for size ${s.size} signs size ${cp.value.size}`);
      if (roots.length > 0 && roots.size(roots.length - 1) > cp.value.size) return done(`checkpoints out of order at size ${cp.value.size}`);
      roots.push(cp.value.size, cp.value.rootHash);
    }
    if (page.length < CHECKPOINT_PAGE) break;
    after = page[page.length - 1]!.size;
  }
  // A batch commits its entries and its checkpoint together, so one committed between the
  // reads (a live log) leaves a checkpoint beyond `size`: read the size again and hold the log
  // to the checkpoints read (later entries are after this verification). Entries really
  // missing stay missing on the second read.
  if (last !== undefined && last.size > size && (await store.size()) >= last.size) size = last.size;
  return done();
}

/** Verify the stored log `store` whose checkpoints `trust` accepts. Never throws. */
export async function verifyLog(store: LineageStore, trust: CheckpointTrust, crypto: VerifyCrypto, options: VerifyOptions = {}): Promise<VerifyReport> {
  const chunk = Math.max(1, options.chunk ?? 1024);
  const hasher = crypto.merkle;
  let size = 0;
  let nCheckpoints = 0;
  const general = (code: NonNullable<VerifyReport["code"]>, error: string): VerifyReport => ({ ok: false, size, checkpoints: nCheckpoints, error, code });
  try {
    let trusted: TrustedCheckpoint | undefined;
    if (options.trusted !== undefined) {
      const t = await trust.verify(options.trusted);
      if (!t.ok) return general("W6213", `the trusted checkpoint does not verify with this log's key: ${t.problem.message}`);
      trusted = t.value;
    }
    const signed = await signedRoots(store, trust);
    size = signed.size;
    nCheckpoints = signed.count;
    if (signed.error !== undefined) return general("W6201", signed.error);
    const { latest, roots: cps } = signed;
    if (trusted !== undefined && trusted.size > size) {
      return general("W6213", `the log holds ${size} events, fewer than the ${trusted.size} of the trusted checkpoint: it was truncated or replaced`);
    }
    const bad = (index: number, id: string | undefined, reason: string): VerifyReport => ({
      ok: false,
      size,
      checkpoints: nCheckpoints,
      firstBad: { index, id, reason },
      code: "W6201",
    });
    const wantObjects = options.objects !== false;
    // NOTE: the first event naming each (bundle, snapshot) pair only: whether an object loads
    // depends on the pair, so its first event is where a problem is found, and a log of millions
    // of requests names a handful of pairs.
    const refs: ObjectRef[] = [];
    const refKeys = new Set<string>();

    // The rebuilt tree: its right edge and size (see the module comment).
    const tree = { edge: [] as EdgeNode[], size: 0 };
    let next = 0; // next checkpoint to compare
    let goodUpTo = 0; // size of the last checkpoint that matched
    let trustedRoot: Hash | undefined; // the rebuilt root at the trusted checkpoint's size
    // Compare the checkpoints signed at sizes up to `n`, the rebuilt tree's size: as this runs
    // after every leaf, those not compared yet sign exactly `n` (sizes do not decrease).
    const checkRootsAt = (n: number): VerifyReport | undefined => {
      let root: Hash | undefined;
      while (next < cps.length && cps.size(next) <= n) {
        const cpSize = cps.size(next);
        if (cpSize === 0) {
          next++;
          continue;
        }
        root ??= foldEdge(tree.edge, hasher);
        if (cpSize !== n || !bytesEqual(root, cps.root(next))) {
          return bad(goodUpTo, undefined, `the entries from index ${goodUpTo} on do not reproduce the root signed at size ${cpSize}`);
        }
        goodUpTo = cpSize;
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
        if (e.corrupt !== undefined) return checkRootsAt(expected) ?? bad(expected, e.id, e.corrupt);
        const leaf = leafOf(e, hasher);
        if (!idMatches(e.id, leaf)) return checkRootsAt(expected) ?? bad(expected, e.id, "the stored content does not hash to its event id");
        if (e.leafHash === undefined) return checkRootsAt(expected) ?? bad(expected, e.id, "no leaf hash is recorded for this position");
        if (!bytesEqual(e.leafHash, leaf)) {
          return checkRootsAt(expected) ?? bad(expected, e.id, "the event does not match the leaf hash recorded for this position (moved or replaced)");
        }
        pushLeaf(tree.edge, leaf, tree.size, hasher);
        tree.size++;
        if (trusted !== undefined && tree.size === trusted.size) trustedRoot = foldEdge(tree.edge, hasher);
        if (options.onEntry !== undefined || wantObjects) {
          const text = textOf(e);
          let parsed: unknown = UNPARSED;
          const json = (): unknown => (parsed === UNPARSED ? (parsed = parseOrUndefined(text)) : parsed);
          options.onEntry?.(e.index, e.id, text, json);
          if (wantObjects) {
            for (const ref of objectRefs(text, json)) {
              const key = `${ref.bundleId ?? ""} ${ref.entitiesId ?? ""}`;
              if (refKeys.has(key)) continue;
              refKeys.add(key);
              refs.push({ ...ref, index: e.index, eventId: e.id });
            }
          }
        }
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

    const lastSize = cps.length === 0 ? undefined : cps.size(cps.length - 1);
    if (lastSize !== undefined && lastSize > tree.size) {
      return bad(tree.size, undefined, `the checkpoint at size ${lastSize} covers entries from ${tree.size} on that are missing`);
    }
    if (tree.size > 0 && (lastSize === undefined || lastSize < tree.size)) {
      const from = lastSize ?? 0;
      const e = (await store.get(from))?.id;
      return bad(from, e, `entries from index ${from} on are not covered by any checkpoint`);
    }
    if (trusted !== undefined && trusted.size > 0 && (trustedRoot === undefined || !bytesEqual(trustedRoot, trusted.rootHash))) {
      return general("W6213", `the log's first ${trusted.size} events do not reproduce the root of the trusted checkpoint: the log was rewritten (a fork)`);
    }
    if (wantObjects && refs.length > 0) {
      const objects = await checkObjects(store, refs, crypto);
      if (objects !== undefined) {
        return { ok: false, size, checkpoints: nCheckpoints, firstBad: { index: objects.index, id: objects.eventId, reason: objects.reason }, code: "W6214" };
      }
    }
    return {
      ok: true,
      size,
      checkpoints: nCheckpoints,
      ...(latest === undefined ? {} : { checkpoint: latest }),
      ...(trusted === undefined ? {} : { trustedSize: trusted.size }),
    };
  } catch (e) {
    return general("W6205", `verification could not read the store: ${errorText(e)}`);
  }
}
