/**
 * The entity store: entity records (attributes, parents, tags) and the
 * transitive closure of the parent relation, computed once per snapshot so
 * that Cedar's `in` is a single set lookup at decision time.
 *
 * `in` semantics (Cedar): `a in b` is true when `a == b` or `b` is a
 * transitive ancestor of `a`. A parent that has no record of its own is still
 * an ancestor (it simply has no ancestors itself); an entity missing from the
 * store has no ancestors — neither is an error for `in`. The constructor
 * tolerates cycles (every member of a cycle is an ancestor of the others);
 * {@link Entities.build} and {@link Entities.withChanges} refuse them, as Cedar does.
 *
 * Bounded work: the ancestor sets are computed by `ancestor-closure.ts` — Kahn's order for a
 * fresh acyclic store, Tarjan's components for a cycle or an update, no recursion — within
 * {@link closureBudget} (entity, ancestor) pairs: a hierarchy whose closure would exceed it
 * (a parent chain of tens of thousands of entities, whose closure is quadratic in its length)
 * is refused with W5040 after at most that much work, instead of filling the heap.
 *
 * Snapshots are immutable. {@link Entities.withChanges} returns a new snapshot that shares
 * every unchanged record and ancestor set with the old one (a small overlay over a shared
 * base, flattened when it grows past a quarter of the base) and recomputes ancestors only
 * for the changed entities and their descendants; old snapshots keep answering.
 */
import { ClosureTooLarge, NO_ANCESTORS, closeInOrder, closeOver, closureBudget, tooLarge } from "./ancestor-closure.js";
import { EntityUID, RecordValue, valueEquals, type SetValue, type Value } from "./value.js";

export { closureBudget };

/** One entity as given to the store. */
export interface EntityRecord {
  readonly uid: EntityUID;
  readonly attrs: RecordValue;
  readonly parents: readonly EntityUID[];
  readonly tags: RecordValue;
}

/** A problem found while building a store: a duplicate uid or a cycle (W5003), a closure too large (W5040). */
export interface EntitiesProblem {
  readonly code: "W5003" | "W5040";
  readonly message: string;
}

const EMPTY_RECORD = new RecordValue(new Map());

/** What the store knows about one uid key with a record: the record and its transitive ancestors. */
interface Slot {
  readonly record: EntityRecord;
  /** `record.attrs.fields`, one hop closer (attribute access is the hottest read). */
  readonly fields: ReadonlyMap<string, Value>;
  readonly ancestors: ReadonlySet<string>;
}

/** Source of store ids for the uid memo (identity only: never affects any answer). */
let nextStoreId = 1;

/** The answer for a uid the store has no record of. */
const MISSING = { record: undefined, fields: undefined, ancestors: NO_ANCESTORS } as const;

/** The flat part of a snapshot, shared by the snapshots derived from it. */
interface Base {
  readonly slots: ReadonlyMap<string, Slot>;
  /** parent key → keys of the records naming it as a parent (built on the first update). */
  children?: ReadonlyMap<string, readonly string[]>;
}

/** One update's changes over an older snapshot (a chain of at most {@link MAX_LAYERS}). */
interface Layer {
  /** Changed slots (`null`: removed). */
  readonly slots: ReadonlyMap<string, Slot | null>;
  /** Changed child lists (empty list: none left). */
  readonly children: ReadonlyMap<string, readonly string[]>;
  readonly below: Layer | undefined;
  readonly depth: number;
  /** Entries in this layer and every layer below. */
  readonly entries: number;
}

/** Layers kept before they are merged into one. */
const MAX_LAYERS = 8;

/** Options of the builders. */
export interface EntitiesOptions {
  /** Maximum number of (entity, ancestor) pairs (default {@link closureBudget} of the record count). */
  readonly maxClosure?: number;
}

/** The parts of a snapshot. */
interface Parts {
  readonly base: Base;
  readonly top: Layer | undefined;
  readonly size: number;
  readonly closureSize: number;
}

/** An immutable entity store with precomputed ancestor sets. */
export class Entities {
  private readonly base: Base;
  /** Changes since the base, newest first. */
  private readonly top: Layer | undefined;
  /** Number of records. */
  readonly size: number;
  /** Number of (entity, ancestor) pairs in the closure. */
  readonly closureSize: number;
  /** This store's id in the uid memo. */
  private readonly memoId = nextStoreId++;

  /**
   * Build a store. Throws a RangeError naming the uid when two records share
   * a uid, or when the closure exceeds its budget; use {@link Entities.build}
   * for a non-throwing variant.
   */
  constructor(records: Iterable<EntityRecord>, options?: EntitiesOptions);
  /** @internal a snapshot from its parts (no recomputation). */
  constructor(records: Parts);
  constructor(records: Iterable<EntityRecord> | Parts, options: EntitiesOptions = {}) {
    const parts = isParts(records) ? records : closedParts(distinct(records), options);
    this.base = parts.base;
    this.top = parts.top;
    this.size = parts.size;
    this.closureSize = parts.closureSize;
  }

  /** The slot of a key (newest layer first), or undefined. */
  private slotOf(key: string): Slot | undefined {
    for (let l = this.top; l !== undefined; l = l.below) {
      const s = l.slots.get(key);
      if (s !== undefined) return s ?? undefined;
    }
    return this.base.slots.get(key);
  }

  /** The keys of the records naming `key` as a parent. */
  private childrenOf(key: string): readonly string[] {
    for (let l = this.top; l !== undefined; l = l.below) {
      const c = l.children.get(key);
      if (c !== undefined) return c;
    }
    return baseChildren(this.base).get(key) ?? [];
  }

  /**
   * The slot of `uid`. NOTE: the store is immutable, so the answer is memoised on the uid
   * object itself (decisions look the same request uids up many times); same result as the map.
   */
  private slot(uid: EntityUID): Slot | typeof MISSING {
    const m = EntityUID.memo(uid, this.memoId);
    if (m !== undefined) return m as Slot;
    const s = this.slotOf(uid.key) ?? MISSING;
    EntityUID.setMemo(uid, this.memoId, s);
    return s;
  }

  /**
   * Build a store without throwing, as Cedar does: a uid given twice with
   * identical content is kept once; given twice with different content it
   * is an error (W5003); a cycle in the parent relation is an error (W5003);
   * a closure over its budget is an error (W5040).
   */
  static build(records: Iterable<EntityRecord>, options: EntitiesOptions = {}): { entities: Entities | undefined; problems: EntitiesProblem[] } {
    const byKey = new Map<string, EntityRecord>();
    const problems: EntitiesProblem[] = [];
    for (const r of records) {
      const old = byKey.get(r.uid.key);
      if (old === undefined) byKey.set(r.uid.key, r);
      else if (!sameRecord(old, r)) problems.push({ code: "W5003", message: `duplicate entity entry ${r.uid.key}` });
    }
    if (problems.length > 0) return { entities: undefined, problems };
    let entities: Entities;
    try {
      entities = new Entities(closedParts(byKey, options));
    } catch (e) {
      if (e instanceof RangeError) return { entities: undefined, problems: [{ code: "W5040", message: e.message }] };
      throw e;
    }
    const cyclic = entities.findCycle();
    if (cyclic !== undefined) {
      return { entities: undefined, problems: [{ code: "W5003", message: `the entity hierarchy has a cycle containing ${cyclic}` }] };
    }
    return { entities, problems };
  }

  /** The key of some entity that is its own ancestor, or undefined when the hierarchy is acyclic. */
  findCycle(): string | undefined {
    for (const [k, s] of this.slots()) if (s.ancestors.has(k)) return k;
    return undefined;
  }

  /** An empty store. */
  static empty(): Entities {
    return new Entities([]);
  }

  /** The layers' slots merged (newest wins). */
  private overlay(): Map<string, Slot | null> {
    const merged = new Map<string, Slot | null>();
    for (let l = this.top; l !== undefined; l = l.below) for (const [k, s] of l.slots) if (!merged.has(k)) merged.set(k, s);
    return merged;
  }

  /** Every (key, slot) pair: base entries not overridden, then the changed ones. */
  private *slots(): IterableIterator<[string, Slot]> {
    if (this.top === undefined) {
      yield* this.base.slots;
      return;
    }
    const over = this.overlay();
    for (const e of this.base.slots) if (!over.has(e[0])) yield e;
    for (const [k, s] of over) if (s !== null && this.base.slots.has(k)) yield [k, s];
    for (const [k, s] of over) if (s !== null && !this.base.slots.has(k)) yield [k, s];
  }

  /**
   * A new store with these records added (e.g. action entities from a schema).
   * A record of `extra` whose uid is already present is an error (W5003) unless
   * it is identical in parents; attributes and tags of the existing record are kept.
   */
  withRecords(extra: Iterable<EntityRecord>): { entities: Entities | undefined; problems: EntitiesProblem[] } {
    const add: EntityRecord[] = [];
    const problems: EntitiesProblem[] = [];
    for (const r of extra) {
      const old = this.slotOf(r.uid.key);
      if (old === undefined) add.push(r);
      else if (!sameParents(old.record.parents, r.parents)) problems.push({ code: "W5003", message: `entity ${r.uid.key} is defined twice with different parents` });
    }
    if (problems.length > 0) return { entities: undefined, problems };
    return this.withChanges(add, []);
  }

  /**
   * A new snapshot with `upserts` added or replacing the records of the same uids and the
   * entities with the uid keys `removes` removed (removing an absent entity does nothing).
   * Only the added entities, those whose parents changed and their descendants get new
   * ancestor sets (a record replaced with the same parents keeps its set, and its child
   * lists stay as they are); the work is proportional to them, not to the store. This snapshot is unchanged. Problems: a uid
   * upserted twice with different content, or upserted and removed (W5003), a cycle
   * (W5003), a closure over budget (W5040).
   */
  withChanges(upserts: readonly EntityRecord[], removes: readonly string[], options: EntitiesOptions = {}): { entities: Entities | undefined; problems: EntitiesProblem[] } {
    const changed = new Map<string, EntityRecord | null>();
    const problems: EntitiesProblem[] = [];
    for (const r of upserts) {
      const prev = changed.get(r.uid.key);
      if (prev === undefined) changed.set(r.uid.key, r);
      else if (prev === null || !sameRecord(prev, r)) problems.push({ code: "W5003", message: `duplicate entity entry ${r.uid.key}` });
    }
    for (const k of removes) {
      const prev = changed.get(k);
      if (prev !== undefined && prev !== null) problems.push({ code: "W5003", message: `entity ${k} is both updated and removed` });
      else if (this.slotOf(k) !== undefined) changed.set(k, null);
    }
    if (problems.length > 0) return { entities: undefined, problems };
    if (changed.size === 0) return { entities: this, problems };

    // Child lists that change: the changed records' parent edges move.
    const edits = new Map<string, Set<string>>();
    const editOf = (p: string): Set<string> => {
      let s = edits.get(p);
      if (s === undefined) edits.set(p, (s = new Set(this.childrenOf(p))));
      return s;
    };
    let size = this.size;
    // Records replaced with the same parents keep their ancestor sets, and so do their descendants.
    const sameEdges = new Map<string, ReadonlySet<string>>();
    for (const [k, r] of changed) {
      const old = this.slotOf(k);
      if (old !== undefined && r !== null && sameParents(old.record.parents, r.parents)) {
        sameEdges.set(k, old.ancestors);
        continue;
      }
      if (old !== undefined) for (const p of old.record.parents) editOf(p.key).delete(k);
      else size++;
      if (r === null) size--;
      else for (const p of r.parents) editOf(p.key).add(k);
    }
    const children = new Map<string, readonly string[]>();
    for (const [p, s] of edits) children.set(p, [...s]);
    const childrenOf = (k: string): readonly string[] => children.get(k) ?? this.childrenOf(k);

    // Entities whose ancestor sets may change: the upserted ones and every descendant of a changed one.
    const affected = new Set<string>();
    const todo: string[] = [];
    for (const [k, r] of changed) {
      if (r === null) todo.push(...childrenOf(k));
      else if (!sameEdges.has(k)) todo.push(k);
    }
    while (todo.length > 0) {
      const k = todo.pop()!;
      if (affected.has(k)) continue;
      affected.add(k);
      for (const c of childrenOf(k)) if (!affected.has(c)) todo.push(c);
    }
    const recordOf = (k: string): EntityRecord | undefined => {
      const c = changed.get(k);
      return c === undefined ? this.slotOf(k)?.record : (c ?? undefined);
    };
    let oldPart = 0;
    for (const k of affected) oldPart += this.slotOf(k)?.ancestors.size ?? 0;
    for (const [k, r] of changed) if (r === null) oldPart += this.slotOf(k)?.ancestors.size ?? 0;
    const budget = options.maxClosure ?? closureBudget(size);
    let closure: { sets: Map<string, ReadonlySet<string>>; total: number };
    try {
      closure = closeOver(
        affected,
        (k) => (affected.has(k) ? recordOf(k)?.parents : undefined),
        (k) => (changed.get(k) === null ? undefined : this.slotOf(k)?.ancestors),
        budget - (this.closureSize - oldPart),
      );
    } catch (e) {
      if (e instanceof ClosureTooLarge) return { entities: undefined, problems: [{ code: "W5040", message: tooLarge(budget) }] };
      throw e;
    }
    for (const k of affected) {
      if (closure.sets.get(k)?.has(k) === true) return { entities: undefined, problems: [{ code: "W5003", message: `the entity hierarchy has a cycle containing ${k}` }] };
    }

    const slots = new Map<string, Slot | null>();
    for (const [k, r] of changed) if (r === null) slots.set(k, null);
    for (const k of affected) {
      const record = recordOf(k);
      if (record !== undefined) slots.set(k, { record, fields: record.attrs.fields, ancestors: closure.sets.get(k) ?? NO_ANCESTORS });
    }
    for (const [k, ancestors] of sameEdges) {
      const record = changed.get(k)!;
      if (!affected.has(k)) slots.set(k, { record, fields: record.attrs.fields, ancestors });
    }
    const closureSize = this.closureSize - oldPart + closure.total;
    const entries = (this.top?.entries ?? 0) + slots.size + children.size;
    if (entries > Math.max(4096, this.base.slots.size / 4)) return { entities: this.flattened(slots, children, size, closureSize), problems: [] };
    let top: Layer = { slots, children, below: this.top, depth: (this.top?.depth ?? 0) + 1, entries };
    if (top.depth > MAX_LAYERS) top = mergeLayers(top);
    return { entities: new Entities({ base: this.base, top, size, closureSize }), problems: [] };
  }

  /** A snapshot with one fresh base: this one's layers and the given changes folded in. */
  private flattened(slots: ReadonlyMap<string, Slot | null>, children: ReadonlyMap<string, readonly string[]>, size: number, closureSize: number): Entities {
    const over = this.overlay();
    for (const [k, s] of slots) over.set(k, s);
    const merged = new Map<string, Slot>();
    for (const [k, s] of this.base.slots) if (!over.has(k)) merged.set(k, s);
    for (const [k, s] of over) if (s !== null) merged.set(k, s);
    const changedLists = new Map(children);
    for (let l = this.top; l !== undefined; l = l.below) for (const [k, c] of l.children) if (!changedLists.has(k)) changedLists.set(k, c);
    const childLists = new Map(baseChildren(this.base));
    for (const [k, c] of changedLists) {
      if (c.length === 0) childLists.delete(k);
      else childLists.set(k, c);
    }
    return new Entities({ base: { slots: merged, children: childLists }, top: undefined, size, closureSize });
  }

  /** Every record (base order, then records added or changed later). */
  *records(): IterableIterator<EntityRecord> {
    for (const [, s] of this.slots()) yield s.record;
  }

  /** The record of `uid`, or undefined when the store has none. */
  get(uid: EntityUID): EntityRecord | undefined {
    return this.slot(uid).record;
  }

  /** The record with uid key `key` (`EntityUID.key`), or undefined. */
  getByKey(key: string): EntityRecord | undefined {
    return this.slotOf(key)?.record;
  }

  /** Does the store have a record for `uid`? */
  has(uid: EntityUID): boolean {
    return this.slot(uid).record !== undefined;
  }

  /** Attributes of `uid`, or undefined when the entity does not exist. */
  attrs(uid: EntityUID): RecordValue | undefined {
    return this.slot(uid).record?.attrs;
  }

  /** The attribute map of `uid` (`attrs(uid).fields`), or undefined when the entity does not exist. */
  attrFields(uid: EntityUID): ReadonlyMap<string, Value> | undefined {
    return this.slot(uid).fields;
  }

  /** Tags of `uid`, or undefined when the entity does not exist. */
  tags(uid: EntityUID): RecordValue | undefined {
    return this.slot(uid).record?.tags;
  }

  /** Keys (`EntityUID.key`) of all transitive ancestors of `uid` (not including itself). */
  ancestors(uid: EntityUID): ReadonlySet<string> {
    return this.slot(uid).ancestors;
  }

  /**
   * Cedar's `child in ancestor`: true when they are equal or `ancestor` is a
   * transitive parent of `child`. Never an error.
   */
  isDescendant(child: EntityUID, ancestor: EntityUID): boolean {
    return child.key === ancestor.key || this.slot(child).ancestors.has(ancestor.key);
  }

  /** True when `ancestor` is a transitive parent of `child` (irreflexive unless on a cycle). */
  isStrictDescendant(child: EntityUID, ancestor: EntityUID): boolean {
    return this.slot(child).ancestors.has(ancestor.key);
  }

  /**
   * Cedar's `child in [e1, e2, …]`: true when `child` is in any element.
   * Elements that are not entities are ignored here; the caller type-checks.
   */
  isDescendantOfAny(child: EntityUID, set: SetValue): boolean {
    const anc = this.slot(child).ancestors;
    for (const e of set.elements) {
      if (e instanceof EntityUID && (e.key === child.key || anc.has(e.key))) return true;
    }
    return false;
  }
}

/** Records by uid key; throws a RangeError naming a uid given twice. */
function distinct(records: Iterable<EntityRecord>): Map<string, EntityRecord> {
  const byKey = new Map<string, EntityRecord>();
  for (const r of records) {
    if (byKey.has(r.uid.key)) throw new RangeError(`duplicate entity ${r.uid.key}`);
    byKey.set(r.uid.key, r);
  }
  return byKey;
}

/**
 * A flat snapshot of distinct records with their ancestor sets.
 * Throws a RangeError when the closure exceeds its budget.
 */
function closedParts(byKey: ReadonlyMap<string, EntityRecord>, options: EntitiesOptions): Parts {
  const budget = options.maxClosure ?? closureBudget(byKey.size);
  const slots = new Map<string, Slot>();
  let total: number;
  try {
    const ordered = closeInOrder(byKey, budget);
    if (ordered !== undefined) {
      let i = 0;
      for (const [k, record] of byKey) slots.set(k, { record, fields: record.attrs.fields, ancestors: ordered.sets[i++] ?? NO_ANCESTORS });
      total = ordered.total;
    } else {
      // A cycle: the strongly connected components give every member of it the same set.
      const closure = closeOver(byKey.keys(), (k) => byKey.get(k)?.parents, () => undefined, budget);
      for (const [k, record] of byKey) slots.set(k, { record, fields: record.attrs.fields, ancestors: closure.sets.get(k) ?? NO_ANCESTORS });
      total = closure.total;
    }
  } catch (e) {
    if (e instanceof ClosureTooLarge) throw new RangeError(tooLarge(budget));
    throw e;
  }
  return { base: { slots }, top: undefined, size: byKey.size, closureSize: total };
}

function isParts(x: unknown): x is Parts {
  return typeof x === "object" && x !== null && "base" in x && "closureSize" in x;
}

/** The child index of a base, built on first use and kept with it. */
function baseChildren(base: Base): ReadonlyMap<string, readonly string[]> {
  if (base.children === undefined) {
    const m = new Map<string, string[]>();
    for (const [k, s] of base.slots) {
      for (const p of s.record.parents) {
        const l = m.get(p.key);
        if (l === undefined) m.set(p.key, [k]);
        else if (l[l.length - 1] !== k) l.push(k);
      }
    }
    base.children = m;
  }
  return base.children;
}

/** One layer holding what a chain of layers holds (newest wins). */
function mergeLayers(top: Layer): Layer {
  const slots = new Map<string, Slot | null>();
  const children = new Map<string, readonly string[]>();
  for (let l: Layer | undefined = top; l !== undefined; l = l.below) {
    for (const [k, s] of l.slots) if (!slots.has(k)) slots.set(k, s);
    for (const [k, c] of l.children) if (!children.has(k)) children.set(k, c);
  }
  return { slots, children, below: undefined, depth: 1, entries: slots.size + children.size };
}

/** An entity record with no attributes, parents or tags. */
export function bareEntity(uid: EntityUID, parents: readonly EntityUID[] = []): EntityRecord {
  return { uid, attrs: EMPTY_RECORD, parents, tags: EMPTY_RECORD };
}

/** Do two records have the same content (parents as a set)? */
export function sameRecord(a: EntityRecord, b: EntityRecord): boolean {
  return sameParents(a.parents, b.parents) && valueEquals(a.attrs, b.attrs) && valueEquals(a.tags, b.tags);
}

function sameParents(a: readonly EntityUID[], b: readonly EntityUID[]): boolean {
  const sa = new Set(a.map((u) => u.key));
  const sb = new Set(b.map((u) => u.key));
  if (sa.size !== sb.size) return false;
  for (const k of sa) if (!sb.has(k)) return false;
  return true;

}
