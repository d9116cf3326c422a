/**
 * The loaded schema: plain data (null-prototype dictionaries, arrays, strings)
 * plus helper functions over it. Everything is fully qualified and resolved, so
 * the model can be serialized into a bundle and used at runtime.
 *
 * INVARIANT: the model is linear in the size of the schema it was loaded from (up to the
 * expansion of common types, which the loader bounds): it stores each type's and each
 * action's direct parents (`memberOf`) only, never transitive closures. Hierarchy questions
 * (`mayBeIn`, `actionIsIn`) are answered by iterative walks over `memberOf`, memoized per
 * schema object, so a chain of thousands of types neither overflows the stack nor grows the
 * model (or a bundle) quadratically.
 */
import { uidKey } from "../stdlib/value.js";
import { dict, lookup, type RecordType, type Type } from "./types.js";

/** One entity type. `memberOf` lists the declared parent types (sorted, unique). */
export interface EntityTypeInfo {
  readonly name: string;
  readonly memberOf: readonly string[];
  readonly attributes: RecordType;
  /** The tag value type when the type declares `tags`. */
  readonly tags?: Type;
  /** Allowed entity ids when the type is an enumeration. */
  readonly enumValues?: readonly string[];
}

/** What an action applies to. Context is always a record (empty when omitted). */
export interface AppliesTo {
  readonly principals: readonly string[];
  readonly resources: readonly string[];
  readonly context: RecordType;
}

/** One action. Keys are action uid keys (`Ns::Action::"view"`). */
export interface ActionInfo {
  readonly type: string;
  readonly id: string;
  readonly key: string;
  /** The declared action groups (keys), sorted and unique. */
  readonly memberOf: readonly string[];
  /** Undefined when the action applies to nothing. */
  readonly appliesTo?: AppliesTo;
}

/** A loaded, resolved schema. */
export interface Schema {
  readonly entityTypes: Readonly<Record<string, EntityTypeInfo>>;
  readonly actions: Readonly<Record<string, ActionInfo>>;
  /** Entity type names of actions, e.g. `Action`, `Ns::Action` (sorted). */
  readonly actionTypes: readonly string[];
  readonly commonTypes: Readonly<Record<string, Type>>;
  /** Writ extension: declared obligation keys and their value types (absent when none are declared). */
  readonly obligations?: Readonly<Record<string, Type>>;
}

/** One request environment: principal type, action, resource type, context type. */
export interface RequestEnv {
  readonly principal: string;
  readonly action: ActionInfo;
  readonly resource: string;
  readonly context: RecordType;
}

export { uidKey };

/** An empty schema (no types, no actions). */
export function emptySchema(): Schema {
  return { entityTypes: dict(), actions: dict(), actionTypes: [], commonTypes: dict() };
}

/**
 * Look-up tables derived from one schema object, built on first use. The model is immutable
 * (readonly everywhere), so the tables stay valid for the life of the object.
 */
interface SchemaIndex {
  readonly actionTypes: ReadonlySet<string>;
  readonly entities: Hierarchy;
  readonly actions: Hierarchy;
  readonly memberOfSets: Map<string, ReadonlySet<string>>;
  readonly enumSets: Map<string, ReadonlySet<string>>;
  entityTypeNames?: readonly string[];
  actionIdsByType?: ReadonlyMap<string, readonly string[]>;
  sortedActionKeys?: readonly string[];
}

/**
 * Memoized answers about one hierarchy (entity types or actions). `in` questions name a
 * target from a policy, usually one of a few: the descendants of each target asked about are
 * computed once by an iterative walk over the reversed `memberOf` edges. The cached sets are
 * bounded in total ({@link MAX_CACHED_DESCENDANTS}); past that, each new pair is answered by
 * its own walk up from the child and remembered as a single answer.
 */
interface Hierarchy {
  readonly parentsOf: (k: string) => readonly string[] | undefined;
  readonly allKeys: () => Iterable<string>;
  children?: Map<string, string[]>;
  readonly descendants: Map<string, ReadonlySet<string>>;
  cachedEntries: number;
  readonly pairs: Map<string, boolean>;
}

/** Total size of the descendant sets one schema caches. */
const MAX_CACHED_DESCENDANTS = 1_000_000;

function hierarchy(parentsOf: (k: string) => readonly string[] | undefined, allKeys: () => Iterable<string>): Hierarchy {
  return { parentsOf, allKeys, descendants: new Map(), cachedEntries: 0, pairs: new Map() };
}

const INDEXES = new WeakMap<Schema, SchemaIndex>();

function indexOf(schema: Schema): SchemaIndex {
  let ix = INDEXES.get(schema);
  if (ix === undefined) {
    ix = {
      actionTypes: new Set(schema.actionTypes),
      entities: hierarchy((k) => entityTypeInfo(schema, k)?.memberOf, () => Object.keys(schema.entityTypes)),
      actions: hierarchy((k) => actionInfo(schema, k)?.memberOf, () => Object.keys(schema.actions)),
      memberOfSets: new Map(),
      enumSets: new Map(),
    };
    INDEXES.set(schema, ix);
  }
  return ix;
}

/** The entity type `name`, if declared. */
export function entityTypeInfo(schema: Schema, name: string): EntityTypeInfo | undefined {
  return lookup(schema.entityTypes, name);
}

/** The action with uid key `key`, if declared. */
export function actionInfo(schema: Schema, key: string): ActionInfo | undefined {
  return lookup(schema.actions, key);
}

/** True when `name` is the entity type of some declared action. */
export function isActionType(schema: Schema, name: string): boolean {
  return indexOf(schema).actionTypes.has(name);
}

/** True when `name` is a declared entity type or an action entity type. */
export function isKnownEntityType(schema: Schema, name: string): boolean {
  return entityTypeInfo(schema, name) !== undefined || isActionType(schema, name);
}

/** Every entity type name, declared and action types, sorted (for suggestions; computed once per schema). */
export function allEntityTypeNames(schema: Schema): readonly string[] {
  const ix = indexOf(schema);
  ix.entityTypeNames ??= [...Object.keys(schema.entityTypes), ...schema.actionTypes].sort();
  return ix.entityTypeNames;
}

/** The ids of the actions whose entity type is `type`, in declaration order (for suggestions). */
export function actionIdsOfType(schema: Schema, type: string): readonly string[] {
  const ix = indexOf(schema);
  if (ix.actionIdsByType === undefined) {
    const m = new Map<string, string[]>();
    for (const a of Object.values(schema.actions)) {
      const list = m.get(a.type);
      if (list === undefined) m.set(a.type, [a.id]);
      else list.push(a.id);
    }
    ix.actionIdsByType = m;
  }
  return ix.actionIdsByType.get(type) ?? [];
}

/** Membership in a list of the model, through a set built on first use and kept in `cache`. */
function inList(cache: Map<string, ReadonlySet<string>>, key: string, list: readonly string[], x: string): boolean {
  let set = cache.get(key);
  if (set === undefined) {
    set = new Set(list);
    cache.set(key, set);
  }
  return set.has(x);
}

/** True when the schema allows an entity of type `child` to have a parent of type `parent` (directly). */
export function mayHaveParent(schema: Schema, child: string, parent: string): boolean {
  const info = entityTypeInfo(schema, child);
  return info !== undefined && inList(indexOf(schema).memberOfSets, child, info.memberOf, parent);
}

/** True when `id` is a value of the enumerated entity type `type` (true for a type that is not an enumeration). */
export function isEnumValue(schema: Schema, type: string, id: string): boolean {
  const values = entityTypeInfo(schema, type)?.enumValues;
  return values === undefined || inList(indexOf(schema).enumSets, type, values, id);
}

/**
 * The nodes reachable from `start` by `next` one or more times (iterative breadth-first walk;
 * cycles are harmless). With `target`, the walk stops as soon as it reaches it (`found`).
 */
function walk(start: string, next: (k: string) => readonly string[] | undefined, target?: string): { readonly seen: Set<string>; readonly found: boolean } {
  const seen = new Set<string>();
  const queue: string[] = [start];
  for (let i = 0; i < queue.length; i++) {
    for (const p of next(queue[i]!) ?? []) {
      if (p === target) return { seen, found: true };
      if (!seen.has(p)) {
        seen.add(p);
        queue.push(p);
      }
    }
  }
  return { seen, found: false };
}

/** True when `parent` is a transitive parent of `child` in hierarchy `h` (not reflexive). */
function isBelow(h: Hierarchy, child: string, parent: string): boolean {
  const known = h.descendants.get(parent);
  if (known !== undefined) return known.has(child);
  if (h.cachedEntries < MAX_CACHED_DESCENDANTS) {
    if (h.children === undefined) {
      const children = new Map<string, string[]>();
      for (const k of h.allKeys())
        for (const p of h.parentsOf(k) ?? []) {
          const list = children.get(p);
          if (list === undefined) children.set(p, [k]);
          else list.push(k);
        }
      h.children = children;
    }
    const kids = h.children;
    const below = walk(parent, (k) => kids.get(k)).seen;
    h.descendants.set(parent, below);
    h.cachedEntries += below.size + 1;
    return below.has(child);
  }
  const key = `${child}\u0000${parent}`;
  let r = h.pairs.get(key);
  if (r === undefined) {
    r = walk(child, h.parentsOf, parent).found;
    h.pairs.set(key, r);
  }
  return r;
}

/**
 * True when an entity of type `child` may be `in` an entity of type `parent`:
 * the same type (`in` is reflexive) or a transitive `memberOf` ancestor.
 */
export function mayBeIn(schema: Schema, child: string, parent: string): boolean {
  return child === parent || isBelow(indexOf(schema).entities, child, parent);
}

/** True when action `key` is `in` action `group` (reflexive, transitive). */
export function actionIsIn(schema: Schema, key: string, group: string): boolean {
  return key === group || isBelow(indexOf(schema).actions, key, group);
}

/** The transitive `memberOf` ancestors of entity type `name`, sorted (computed on demand, not stored). */
export function entityTypeAncestors(schema: Schema, name: string): string[] {
  return [...walk(name, indexOf(schema).entities.parentsOf).seen].filter((a) => a !== name).sort();
}

/** The transitive action groups of action `key`, sorted (computed on demand, not stored). */
export function actionAncestors(schema: Schema, key: string): string[] {
  return [...walk(key, indexOf(schema).actions.parentsOf).seen].filter((a) => a !== key).sort();
}

/** The action keys of the schema, sorted (computed once per schema). */
export function sortedActionKeys(schema: Schema): readonly string[] {
  const ix = indexOf(schema);
  ix.sortedActionKeys ??= Object.keys(schema.actions).sort();
  return ix.sortedActionKeys;
}

/**
 * Every request environment the schema allows, in a stable order, one at a time: their number
 * is a product (principal types × resource types per action), so a short schema can allow
 * millions; iterating keeps memory linear in the schema.
 */
export function* eachRequestEnv(schema: Schema): Generator<RequestEnv> {
  for (const key of sortedActionKeys(schema)) {
    const action = schema.actions[key]!;
    const at = action.appliesTo;
    if (at === undefined) continue;
    for (const principal of at.principals)
      for (const resource of at.resources) yield { principal, action, resource, context: at.context };
  }
}

/** Every request environment the schema allows, in a stable order (see {@link eachRequestEnv}). */
export function requestEnvs(schema: Schema): RequestEnv[] {
  return [...eachRequestEnv(schema)];
}
