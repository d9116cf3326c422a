/**
 * The in-memory lineage store (tests, the playground, short-lived tools).
 * "Durable" here means: in this process's memory once `append` resolves.
 *
 * NOTE: browser-safe.
 */
import type { Hash } from "./merkle.js";
import { batchProblem, StoreError } from "./store.js";
import type { AppendBatch, LineageStore, NodeCoord, StoredCheckpoint, StoredEntry } from "./store.js";

/** A mutable stored row; exposed through {@link MemoryLineageStore.rows} for tamper tests. */
export interface MemoryRow {
  index: number;
  id: string;
  data: Uint8Array;
  parents: readonly string[];
}

const nodeKey = (level: number, index: number): string => `${level}:${index}`;

/** A {@link LineageStore} held in memory. */
export class MemoryLineageStore implements LineageStore {
  /** Implementation name. */
  readonly kind = "memory";
  /**
   * The stored entries in index order. Exposed only so that tests and tools
   * can simulate tampering; the log never relies on it.
   */
  readonly rows: MemoryRow[] = [];
  private readonly nodes = new Map<string, Hash>();
  private readonly byId = new Map<string, number>();
  private readonly children = new Map<string, number[]>();
  private readonly notes = new Map<number, string>();
  /** The sizes of `notes` in ascending order, or undefined until asked for after a change. */
  private sortedSizes: number[] | undefined;
  /**
   * Stored objects by id. Exposed only so that tests can simulate tampering.
   */
  readonly objects = new Map<string, string>();
  private readonly meta = new Map<string, string>();
  private closed = false;

  private check(): void {
    if (this.closed) throw new StoreError("closed", "the lineage store is closed");
  }

  /** @inheritdoc */
  async size(): Promise<number> {
    this.check();
    return this.nextIndex();
  }

  /** One past the last stored index (the rows are kept in index order). */
  private nextIndex(): number {
    const last = this.rows[this.rows.length - 1];
    return last === undefined ? 0 : last.index + 1;
  }

  /** @inheritdoc */
  async append(batch: AppendBatch): Promise<void> {
    this.check();
    const problem = batchProblem(batch, this.nextIndex());
    if (problem !== undefined) throw problem;
    for (const e of batch.entries) {
      if (this.byId.has(e.id)) throw new StoreError("duplicate", `event ${e.id} is already in the log`);
    }
    if (batch.checkpoint !== undefined && this.notes.has(batch.checkpoint.size)) {
      throw new StoreError("conflict", `a checkpoint for size ${batch.checkpoint.size} is already stored`);
    }
    for (const e of batch.entries) {
      this.rows.push({ index: e.index, id: e.id, data: e.data.slice(), parents: [...e.parents] });
      this.byId.set(e.id, e.index);
      for (const p of new Set(e.parents)) {
        const list = this.children.get(p);
        if (list === undefined) this.children.set(p, [e.index]);
        else list.push(e.index);
      }
    }
    for (const n of batch.nodes) this.nodes.set(nodeKey(n.level, n.index), n.hash.slice());
    if (batch.checkpoint !== undefined) this.putNote(batch.checkpoint.size, batch.checkpoint.note);
  }

  private entry(row: MemoryRow): StoredEntry {
    const leaf = this.nodes.get(nodeKey(0, row.index));
    return { index: row.index, id: row.id, data: row.data.slice(), parents: [...row.parents], leafHash: leaf?.slice() };
  }

  /** @inheritdoc */
  async readRange(start: number, end: number): Promise<StoredEntry[]> {
    this.check();
    const out: StoredEntry[] = [];
    const last = Math.min(end, this.rows.length) - 1;
    // Fast path: positions equal indices over the range (the untampered case).
    if (start <= last && this.rows[start]?.index === start && this.rows[last]?.index === last) {
      for (let i = start; i <= last; i++) out.push(this.entry(this.rows[i]!));
      if (out.every((e, k) => e.index === start + k)) return out;
      out.length = 0;
    }
    for (const row of this.rows) if (row.index >= start && row.index < end) out.push(this.entry(row));
    return out.sort((a, b) => a.index - b.index);
  }

  /** @inheritdoc */
  async get(index: number): Promise<StoredEntry | undefined> {
    this.check();
    const direct = this.rows[index];
    if (direct !== undefined && direct.index === index) return this.entry(direct);
    const row = this.rows.find((r) => r.index === index);
    return row === undefined ? undefined : this.entry(row);
  }

  /** @inheritdoc */
  async findById(id: string): Promise<StoredEntry | undefined> {
    this.check();
    const at = this.byId.get(id);
    const direct = at === undefined ? undefined : this.rows[at];
    if (direct !== undefined && direct.id === id) return this.entry(direct);
    const row = this.rows.find((r) => r.id === id);
    return row === undefined ? undefined : this.entry(row);
  }

  /** @inheritdoc */
  async findChildren(parentId: string): Promise<number[]> {
    this.check();
    return [...(this.children.get(parentId) ?? [])].sort((a, b) => a - b);
  }

  /** @inheritdoc */
  async readNodes(coords: readonly NodeCoord[]): Promise<(Hash | undefined)[]> {
    this.check();
    return coords.map((c) => this.nodes.get(nodeKey(c.level, c.index))?.slice());
  }

  /** @inheritdoc */
  async putCheckpoint(checkpoint: StoredCheckpoint): Promise<void> {
    this.check();
    if (this.notes.has(checkpoint.size)) throw new StoreError("conflict", `a checkpoint for size ${checkpoint.size} is already stored`);
    this.putNote(checkpoint.size, checkpoint.note);
  }

  /** @inheritdoc */
  async checkpoints(): Promise<StoredCheckpoint[]> {
    this.check();
    return this.sizes().map((size) => this.noteAt(size));
  }

  /** @inheritdoc */
  async checkpointsAfter(after: number, limit: number): Promise<StoredCheckpoint[]> {
    this.check();
    const sizes = this.sizes();
    // The first size above `after` (binary search), then up to `limit` of them.
    let lo = 0;
    let hi = sizes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sizes[mid]! > after) hi = mid;
      else lo = mid + 1;
    }
    return sizes.slice(lo, lo + Math.max(0, limit)).map((size) => this.noteAt(size));
  }

  /** @inheritdoc */
  async latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    this.check();
    const sizes = this.sizes();
    return sizes.length === 0 ? undefined : this.noteAt(sizes[sizes.length - 1]!);
  }

  /** The checkpoint sizes in ascending order (sorted once after each change). */
  private sizes(): readonly number[] {
    return (this.sortedSizes ??= [...this.notes.keys()].sort((a, b) => a - b));
  }

  private noteAt(size: number): StoredCheckpoint {
    return { size, note: this.notes.get(size)! };
  }

  private putNote(size: number, note: string): void {
    this.notes.set(size, note);
    this.sortedSizes = undefined;
  }

  /** @inheritdoc */
  async putObject(id: string, text: string): Promise<void> {
    this.check();
    const old = this.objects.get(id);
    if (old !== undefined && old !== text) throw new StoreError("object-mismatch", `object ${id} is already stored with different text`);
    this.objects.set(id, text);
  }

  /** @inheritdoc */
  async getObject(id: string): Promise<string | undefined> {
    this.check();
    return this.objects.get(id);
  }

  /** @inheritdoc */
  async getMeta(key: string): Promise<string | undefined> {
    this.check();
    return this.meta.get(key);
  }

  /** @inheritdoc */
  async setMeta(key: string, value: string): Promise<void> {
    this.check();
    this.meta.set(key, value);
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    this.closed = true;
  }
}
