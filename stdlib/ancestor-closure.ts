/**
 * The ancestor closure of an entity hierarchy: for every entity, the set of the uid keys
 * of its transitive parents, so that Cedar's `in` is a single set lookup at decision time.
 * The store (`Entities` in `entities.ts`) keeps the sets; this module computes them.
 *
 * Two passes, both iterative (no recursion, so no depth limit):
 * - {@link closeInOrder}: Kahn's order on entity positions, for a fresh store whose
 *   hierarchy is acyclic — parents before children, one map lookup per parent link;
 * - {@link closeOver}: Tarjan's strongly connected components, for a hierarchy with a cycle
 *   (every member of a cycle gets the same set, itself included) and for an update, where
 *   only the affected entities are expanded and the others' sets are already known.
 * Both share the set {p} ∪ ancestors(p) among the entities whose only parent is `p`.
 *
 * Bounded work: the total closure size (the number of (entity, ancestor) pairs) is capped by
 * {@link closureBudget}; a pass that would exceed its budget throws {@link ClosureTooLarge}
 * after at most that much work, and the store reports W5040 ({@link tooLarge}) instead of
 * filling the heap with the quadratic closure of a parent chain of tens of thousands.
 */
import type { EntityUID } from "./value.js";

/** What a closure pass reads of a record: its parents. */
export interface WithParents {
  readonly parents: readonly EntityUID[];
}

/**
 * The most (entity, ancestor) pairs a store of `records` entities may hold: 8,000,000 plus
 * 64 per entity. Real hierarchies are shallow (a few ancestors per entity); a 3,000-long
 * parent chain (4.5 million pairs) fits, a 20,000-long one (200 million) does not.
 */
export function closureBudget(records: number): number {
  return 8_000_000 + 64 * records;
}

/** The ancestor set of an entity with no ancestors (shared, never mutated). */
export const NO_ANCESTORS: ReadonlySet<string> = new Set();

/** Thrown inside a closure computation that went over its budget (caught by the builders). */
export class ClosureTooLarge extends Error {}

/** The W5040 message for a closure over `budget` pairs. */
export function tooLarge(budget: number): string {
  return `the entity hierarchy is too large: its ancestor relation would exceed ${budget.toLocaleString("en-US")} (entity, ancestor) pairs (a parent chain that long cannot be decided in bounded memory)`;
}

/**
 * Ancestor sets of an acyclic hierarchy, on entity positions (typed arrays), so the pass costs
 * one map lookup per parent link: by Kahn's algorithm from the roots down, parents before
 * children, each set built from its parents' finished sets (an entity whose only parent is `p`
 * shares the set {p} ∪ ancestors(p) with its siblings — the same sets, in the same order, as
 * {@link closeOver}). `sets[i]` belongs to the i-th record of `byKey` (undefined: none).
 *
 * Bounded: first a lower bound of the closure size (the sum over entities of the length of
 * their longest parent chain, each has at least that many ancestors) is checked against the
 * budget before any set is built, then every set as it is built. Throws {@link ClosureTooLarge}.
 * Answers undefined when the hierarchy has a cycle (the caller uses {@link closeOver}).
 */
export function closeInOrder(byKey: ReadonlyMap<string, WithParents>, budget: number): { sets: (ReadonlySet<string> | undefined)[]; total: number } | undefined {
  const n = byKey.size;
  const index = new Map<string, number>();
  for (const k of byKey.keys()) index.set(k, index.size);
  const records = [...byKey.values()];
  const pending = new Int32Array(n);
  const depth = new Int32Array(n);
  const children: (number[] | undefined)[] = new Array<number[] | undefined>(n);
  const order = new Int32Array(n);
  let ready = 0;
  for (let c = 0; c < n; c++) {
    let external = false;
    const ps = records[c]!.parents;
    const seen = ps.length > 8 ? new Set<string>() : undefined;
    for (let i = 0; i < ps.length; i++) {
      const p = index.get(ps[i]!.key);
      if (p === undefined) {
        external = true;
        continue;
      }
      if (seen !== undefined) {
        if (seen.has(ps[i]!.key)) continue;
        seen.add(ps[i]!.key);
      } else if (!isFirst(ps, i)) continue;
      pending[c]++;
      (children[p] ??= []).push(c);
    }
    if (pending[c] === 0) {
      order[ready++] = c;
      depth[c] = external ? 1 : 0;
    }
  }
  // Kahn's algorithm: `order` is the queue; a child joins it when its last parent is done.
  let sum = 0;
  for (let next = 0; next < ready; next++) {
    const k = order[next]!;
    const d = depth[k]!;
    sum += d;
    if (sum > budget) throw new ClosureTooLarge();
    const cs = children[k];
    if (cs === undefined) continue;
    for (const ch of cs) {
      if (depth[ch]! < d + 1) depth[ch] = d + 1;
      if (--pending[ch]! === 0) order[ready++] = ch;
    }
  }
  if (ready < n) return undefined;
  const sets = new Array<ReadonlySet<string> | undefined>(n);
  const setOf = (key: string): ReadonlySet<string> => {
    const p = index.get(key);
    return p === undefined ? NO_ANCESTORS : (sets[p] ?? NO_ANCESTORS);
  };
  /** parent key → {parent} ∪ its ancestors, shared by the entities whose only parent it is. */
  const withParent = new Map<string, ReadonlySet<string>>();
  let total = 0;
  for (let next = 0; next < n; next++) {
    const k = order[next]!;
    const ps = records[k]!.parents;
    if (ps.length === 0) continue;
    const only = ps[0]!.key;
    let single = true;
    for (let i = 1; i < ps.length && single; i++) single = ps[i]!.key === only;
    if (single) {
      const anc = onlyParentSet(withParent, only, setOf);
      if (total + anc.size > budget) throw new ClosureTooLarge();
      sets[k] = anc;
      total += anc.size;
      continue;
    }
    const anc = new Set<string>();
    for (let i = 0; i < ps.length; i++) {
      const p = ps[i]!.key;
      anc.add(p);
      for (const a of setOf(p)) anc.add(a);
      if (total + anc.size > budget) throw new ClosureTooLarge();
    }
    sets[k] = anc;
    total += anc.size;
  }
  return { sets, total };
}

/** {p} ∪ ancestors(p): made once per parent `p` (kept in `cache`), shared by the entities whose only parent it is. */
function onlyParentSet(cache: Map<string, ReadonlySet<string>>, p: string, setOf: (k: string) => ReadonlySet<string>): ReadonlySet<string> {
  let anc = cache.get(p);
  if (anc === undefined) {
    const s = new Set<string>([p]);
    for (const a of setOf(p)) s.add(a);
    cache.set(p, (anc = s));
  }
  return anc;
}

/** Is `ps[i]` the first parent with its key? (For short parent lists, where a scan beats a set.) */
function isFirst(ps: readonly EntityUID[], i: number): boolean {
  const key = ps[i]!.key;
  for (let j = 0; j < i; j++) if (ps[j]!.key === key) return false;
  return true;
}

/**
 * Ancestor sets of `roots` (and of every node reached from them through `parentsOf`),
 * via Tarjan's strongly connected components, iterative, so deep hierarchies cannot
 * overflow the stack. Components finish in reverse topological order, so every parent
 * component's set is complete before its children need it. A node for which `parentsOf`
 * answers undefined is not expanded: its ancestors are `known(node)` (or none).
 * Throws {@link ClosureTooLarge} as soon as the sets hold more than `budget` pairs.
 */
export function closeOver(
  roots: Iterable<string>,
  parentsOf: (k: string) => readonly EntityUID[] | undefined,
  known: (k: string) => ReadonlySet<string> | undefined,
  budget: number,
): { sets: Map<string, ReadonlySet<string>>; total: number } {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const result = new Map<string, ReadonlySet<string>>();
  /** parent key → {parent} ∪ its ancestors, shared by the entities whose only parent it is. */
  const withParent = new Map<string, ReadonlySet<string>>();
  let counter = 0;
  let total = 0;
  const keysOf = (k: string): readonly string[] => parentsOf(k)?.map((p) => p.key) ?? [];
  const setOf = (k: string): ReadonlySet<string> => result.get(k) ?? (parentsOf(k) === undefined ? (known(k) ?? NO_ANCESTORS) : NO_ANCESTORS);

  /** Compute and record the ancestor set shared by the members of one strongly connected component. */
  const close = (members: readonly string[]): void => {
    if (members.length === 1) {
      // The common case: an entity with one parent shares the set {parent} ∪ ancestors(parent) with its siblings.
      const ps = keysOf(members[0]!);
      const only = ps.length === 0 ? undefined : ps[0]!;
      if (only !== undefined && only !== members[0] && ps.every((p) => p === only)) {
        const anc = onlyParentSet(withParent, only, setOf);
        if (total + anc.size > budget) throw new ClosureTooLarge();
        result.set(members[0]!, anc);
        total += anc.size;
        return;
      }
    }
    const anc = new Set<string>();
    const inComponent = new Set(members);
    for (const k of members) {
      for (const p of keysOf(k)) {
        anc.add(p);
        if (!inComponent.has(p)) for (const a of setOf(p)) anc.add(a);
        if (total + anc.size * members.length > budget) throw new ClosureTooLarge();
      }
    }
    if (members.length === 1 && !anc.has(members[0]!)) {
      if (anc.size > 0) result.set(members[0]!, anc);
      total += anc.size;
    } else {
      // A cycle: every member reaches every other member (and itself).
      for (const k of members) anc.add(k);
      for (const k of members) result.set(k, anc);
      total += anc.size * members.length;
    }
    if (total > budget) throw new ClosureTooLarge();
  };

  for (const root of roots) {
    if (index.has(root)) continue;
    // NOTE: between roots the stack is empty, so every indexed node is finished: a root whose
    // parents are all finished (or not expanded) is a component of its own, closed at once.
    const ps = parentsOf(root);
    if (ps === undefined || ps.every((p) => p.key !== root && (index.has(p.key) || parentsOf(p.key) === undefined))) {
      index.set(root, counter++);
      close([root]);
      continue;
    }
    const work: { node: string; parents: readonly string[]; next: number }[] = [];
    const enter = (k: string) => {
      index.set(k, counter);
      low.set(k, counter);
      counter++;
      stack.push(k);
      onStack.add(k);
      work.push({ node: k, parents: keysOf(k), next: 0 });
    };
    enter(root);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      if (top.next < top.parents.length) {
        const p = top.parents[top.next++]!;
        if (parentsOf(p) === undefined) continue; // not expanded: its set is known
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
      close(members);
    }
  }
  return { sets: result, total };
}
