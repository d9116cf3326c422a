/**
 * How the SQLite lineage store lays perfect-subtree hashes out in rows ("tiles").
 *
 * The levels are cut into strata of {@link STRATUM_LEVELS} levels (0–5, 6–11, …). A
 * stratum is cut into blocks of {@link TILE_WIDTH} nodes of its bottom level, and each block
 * is two rows next to each other in the table:
 *
 * - part 0, the bottom tile: the block's 64 hashes of the stratum's bottom level;
 * - part 1, the inner tile: the block's 32 + 16 + 8 + 4 + 2 hashes of the five levels above
 *   it (level by level, lowest first).
 *
 * A batch of a few events completes nodes of levels 0–3 of one block, so it rewrites two
 * adjacent rows (often one page) instead of one row per level, each in another part of the
 * table (about five pages per commit before: layout version 3, one row per level and tile).
 * A row's blob holds its slots 0..k contiguously; a slot never written is all zeros (absent).
 *
 * NOTE: Node only (part of the SQLite store).
 */
import type { StoredNode } from "./store.js";

/** Nodes of a stratum's bottom level per block (C2SP tlog-tiles style width). */
export const TILE_WIDTH = 64;

/** Levels per stratum: log2 of {@link TILE_WIDTH}, so a block's top inner level has 2 nodes. */
export const STRATUM_LEVELS = 6;

const HASH = 32;

/** Where one node lives: the row key and the byte offset of its hash in the row's blob. */
export interface TileSlot {
  readonly key: number;
  readonly offset: number;
}

/** The row key of part `part` (0 bottom, 1 inner) of block `block` of stratum `stratum`. */
export function tileKey(stratum: number, block: number, part: 0 | 1): number {
  return stratum * 2 ** 45 + block * 2 + part;
}

/**
 * The slot of node (level, index). Inner level r (1..5) of a block holds 64 >> r nodes,
 * after the 64 − (128 >> r) slots of the levels below it.
 */
export function tileSlot(level: number, index: number): TileSlot {
  const stratum = Math.floor(level / STRATUM_LEVELS);
  const r = level % STRATUM_LEVELS;
  if (r === 0) return { key: tileKey(stratum, Math.floor(index / TILE_WIDTH), 0), offset: (index % TILE_WIDTH) * HASH };
  const perBlock = TILE_WIDTH >> r;
  return { key: tileKey(stratum, Math.floor(index / perBlock), 1), offset: (TILE_WIDTH - (2 * TILE_WIDTH >> r) + (index % perBlock)) * HASH };
}

/** The row key of the bottom tile holding leaf `index`. */
export function leafTileKey(index: number): number {
  return tileKey(0, Math.floor(index / TILE_WIDTH), 0);
}

/** The first leaf index of the level-0 bottom tile with row key `key` (an even key below 2^45). */
export function leafTileStart(key: number): number {
  return (key / 2) * TILE_WIDTH;
}

/** Read and write access to tile rows, for {@link mergeNodes}. */
export interface TileRows {
  /** The stored blob of a row, if any. */
  get(key: number): Uint8Array | undefined;
  /** Store (insert or replace) a row. */
  put(key: number, hashes: Uint8Array): void;
}

/**
 * Merge nodes into their rows: each touched row is read once, patched and written back
 * once (grown to cover its highest written slot).
 */
export function mergeNodes(rows: TileRows, nodes: readonly StoredNode[] | Iterable<StoredNode>): void {
  const touched = new Map<number, { full: Uint8Array; used: number }>();
  for (const n of nodes) {
    const slot = tileSlot(n.level, n.index);
    let t = touched.get(slot.key);
    if (t === undefined) {
      const full = new Uint8Array(TILE_WIDTH * HASH);
      const old = rows.get(slot.key);
      let used = 0;
      if (old !== undefined) {
        const b = old.subarray(0, full.length);
        full.set(b);
        used = b.length;
      }
      t = { full, used };
      touched.set(slot.key, t);
    }
    t.full.set(n.hash, slot.offset);
    t.used = Math.max(t.used, slot.offset + HASH);
  }
  for (const [key, t] of touched) rows.put(key, t.full.subarray(0, t.used));
}

/** The nodes held by a row of layout version 3 (key = level · 2^44 + tile, one row per level and tile), zero slots skipped. */
export function* version3Nodes(key: number, hashes: Uint8Array): Generator<StoredNode> {
  const level = Math.floor(key / 2 ** 44);
  const tile = key - level * 2 ** 44;
  for (let k = 0; k * HASH + HASH <= hashes.length && k < TILE_WIDTH; k++) {
    const hash = hashes.slice(k * HASH, k * HASH + HASH);
    if (hash.some((b) => b !== 0)) yield { level, index: tile * TILE_WIDTH + k, hash };
  }
}
