/**
 * The entity store: entity records (attributes, parents, tags) and the
 * transitive closure of the parent relation, computed once at construction so
 * that Cedar's `in` is a single set lookup at decision time.
 *
 * `in` semantics (Cedar): `a in b` is true when `a == b` or `b` is a
 * transitive ancestor of `a`. A parent that has no record of its own is still
 * an ancestor (it simply has no ancestors itself); an entity missing from the
 * store has no ancestors — neither is an error for `in`. Cycles in the parent
 * relation are tolerated: every member of a cycle is an ancestor of the others.
 */
import { EntityUID, RecordValue, valueEquals, type SetValue, type Value } from "./value.js";

/** One entity as given to the store. */
export interface EntityRecord {
  readonly uid: EntityUID;
  readonly attrs: RecordValue;
  readonly parents: readonly EntityUID[];
  readonly tags: RecordValue;
}

/** A problem found while building a store (a duplicate uid). */
export interface EntitiesProblem {
  readonly code: "W5003";
  readonly message: string;
}

const EMPTY_RECORD = new RecordValue(new Map());
const NO_ANCESTORS: ReadonlySet<string> = new Set();

/** What the store knows about one uid key: its record (if any) and its transitive ancestors. */
interface Slot {
  readonly record: EntityRecord | undefined;
  /** `record.attrs.fields`, one hop closer (attribute access is the hottest read). */
  readonly fields: ReadonlyMap<string, Value> | undefined;
  readonly ancestors: ReadonlySet<string>;
}

/** Source of store ids for the uid memo (identity only: never affects any answer). */
let nextStoreId = 1;

/** The slot of a uid the store knows nothing about. */
const MISSING: Slot = { record: undefined, fields: undefined, ancestors: NO_ANCESTORS };

/** An immutable entity store with precomputed ancestor sets. */
export class Entities {
  private readonly byKey: ReadonlyMap<string, EntityRecord>;
  private readonly ancestorKeys: ReadonlyMap<string, ReadonlySet<string>>;
  /** Record and ancestors by key: one lookup answers `get` and `ancestors`. */
  private readonly slots: ReadonlyMap<string, Slot>;
  /** This store's id in the uid memo. */
  private readonly memoId = nextStoreId++;

  /**
   * Build a store. Throws a RangeError naming the uid when two records share
   * a uid; use {@link Entities.build} for a non-throwing variant.
   */
  constructor(records: Iterable<EntityRecord>) {
    const byKey = new Map<string, EntityRecord>();
    for (const r of records) {
      if (byKey.has(r.uid.key)) throw new RangeError(`duplicate entity ${r.uid.key}`);
      byKey.set(r.uid.key, r);
    }
    this.byKey = byKey;
    const ancestorKeys = transitiveClosure(byKey);
    this.ancestorKeys = ancestorKeys;
    const slots = new Map<string, Slot>();
    for (const [k, record] of byKey) slots.set(k, { record, fields: record.attrs.fields, ancestors: ancestorKeys.get(k) ?? NO_ANCESTORS });
    for (const [k, ancestors] of ancestorKeys) if (!slots.has(k)) slots.set(k, { record: undefined, fields: undefined, ancestors });
    this.slots = slots;
  }

  /**
   * The slot of `uid`. NOTE: the store is immutable, so the answer is memoised on the uid
   * object itself (decisions look the same request uids up many times); same result as the map.
   */
  private slot(uid: EntityUID): Slot {
    const m = EntityUID.memo(uid, this.memoId);
    if (m !== undefined) return m as Slot;
    const s = this.slots.get(uid.key) ?? MISSING;
    EntityUID.setMemo(uid, this.memoId, s);
    return s;
  }

  /**
   * Build a store without throwing, as Cedar does: a uid given twice with
   * identical content is kept once; given twice with different content it
   * is an error (W5003); a cycle in the parent relation is an error (W5003).
   */
  static build(records: Iterable<EntityRecord>): { entities: Entities | undefined; problems: EntitiesProblem[] } {
    const byKey = new Map<string, EntityRecord>();
    const problems: EntitiesProblem[] = [];
    for (const r of records) {
      const old = byKey.get(r.uid.key);
      if (old === undefined) byKey.set(r.uid.key, r);
      else if (!sameRecord(old, r)) problems.push({ code: "W5003", message: `duplicate entity entry ${r.uid.key}` });
    }
    if (problems.length > 0) return { entities: undefined, problems };
    const entities = new Entities(byKey.values());
    const cyclic = entities.findCycle();
    if (cyclic !== undefined) {
      return { entities: undefined, problems: [{ code: "W5003", message: `the entity hierarchy has a cycle containing ${cyclic}` }] };
    }
    return { entities, problems };
  }

  /** The key of some entity that is its own ancestor, or undefined when the hierarchy is acyclic. */
  findCycle(): string | undefined {
    for (const [k, anc] of this.ancestorKeys) if (anc.has(k)) return k;
    return undefined;
  }

  /** An empty store. */
  static empty(): Entities {
    return new Entities([]);
  }

  /**
   * A new store with these records and `extra` added (e.g. action entities
   * from a schema). A record of `extra` whose uid is already present is an
   * error (W5003) unless it is identical in parents; attributes and tags of
   * the existing record are kept.
   */
  withRecords(extra: Iterable<EntityRecord>): { entities: Entities | undefined; problems: EntitiesProblem[] } {
    const merged = new Map(this.byKey);
    const problems: EntitiesProblem[] = [];
    for (const r of extra) {
      const old = merged.get(r.uid.key);
      if (old === undefined) merged.set(r.uid.key, r);
      else if (!sameParents(old.parents, r.parents)) {
        problems.push({ code: "W5003", message: `entity ${r.uid.key} is defined twice with different parents` });
      }
    }
    if (problems.length > 0) return { entities: undefined, problems };
    return Entities.build(merged.values());
  }

  /** Number of entities with a record. */
  get size(): number {
    return this.byKey.size;
  }

  /** Every record, in insertion order. */
  records(): IterableIterator<EntityRecord> {
    return this.byKey.values();
  }

  /** The record of `uid`, or undefined when the store has none. */
  get(uid: EntityUID): EntityRecord | undefined {
    return this.slot(uid).record;
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

/** An entity record with no attributes, parents or tags. */
export function bareEntity(uid: EntityUID, parents: readonly EntityUID[] = []): EntityRecord {
  return { uid, attrs: EMPTY_RECORD, parents, tags: EMPTY_RECORD };
}

function sameRecord(a: EntityRecord, b: EntityRecord): boolean {
  return sameParents(a.parents, b.parents) && valueEquals(a.attrs, b.attrs) && valueEquals(a.tags, b.tags);
}

function sameParents(a: readonly EntityUID[], b: readonly EntityUID[]): boolean {
  const sa = new Set(a.map((u) => u.key));
  const sb = new Set(b.map((u) => u.key));
  if (sa.size !== sb.size) return false;
  for (const k of sa) if (!sb.has(k)) return false;
  return true;
}

/**
 * Ancestor sets for every entity that has parents, via Tarjan's strongly
 * connected components (iterative, so deep hierarchies cannot overflow the
 * stack). Components are finished in reverse topological order, so every
 * parent component's set is complete before its children need it.
 */
function transitiveClosure(byKey: ReadonlyMap<string, EntityRecord>): Map<string, ReadonlySet<string>> {
  const parentsOf = (k: string): readonly string[] => {
    const r = byKey.get(k);
    return r === undefined ? [] : r.parents.map((p) => p.key);
  };
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const result = new Map<string, ReadonlySet<string>>();
  let counter = 0;

  for (const root of byKey.keys()) {
    if (index.has(root)) continue;
    const work: { node: string; parents: readonly string[]; next: number }[] = [];
    const enter = (k: string) => {
      index.set(k, counter);
      low.set(k, counter);
      counter++;
      stack.push(k);
      onStack.add(k);
      work.push({ node: k, parents: parentsOf(k), next: 0 });
    };
    enter(root);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      if (top.next < top.parents.length) {
        const p = top.parents[top.next++]!;
        if (!index.has(p)) enter(p);
        else if (onStack.has(p)) low.set(top.node, Math.min(low.get(top.node)!, index.get(p)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const caller = work[work.length - 1]!.node;
        low.set(caller, Math.min(low.get(caller)!, low.get(top.node)!));
      }
      if (low.get(top.node) !== index.get(top.node)) continue;
      // top.node roots a component: pop it and compute its shared ancestor set.
      const members: string[] = [];
      let m: string;
      do {
        m = stack.pop()!;
        onStack.delete(m);
        members.push(m);
      } while (m !== top.node);
      const anc = new Set<string>();
      const inComponent = new Set(members);
      for (const k of members) {
        for (const p of parentsOf(k)) {
          anc.add(p);
          if (!inComponent.has(p)) for (const a of result.get(p) ?? NO_ANCESTORS) anc.add(a);
        }
      }
      if (members.length === 1 && !anc.has(members[0]!)) {
        if (anc.size > 0) result.set(members[0]!, anc);
      } else {
        // A cycle: every member reaches every other member (and itself).
        for (const k of members) anc.add(k);
        for (const k of members) result.set(k, anc);
      }
    }
  }
  return result;
}
