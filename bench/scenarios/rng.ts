/**
 * A small seeded PRNG (mulberry32) so that every benchmark run uses the same
 * entities and requests. Used only to build inputs, never during evaluation.
 */
import type { CedarJson } from "../../runtime/entity-store.js";

export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pick one element uniformly. */
export function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

/** Cedar JSON shapes used by the scenarios (values typed as `writ/runtime` takes them). */
// NOTE: a type alias, not an interface: only aliases fit an index signature (`CedarJson`'s records).
export type UidJson = {
  readonly type: string;
  readonly id: string;
};
export interface EntityJson {
  readonly uid: UidJson;
  readonly attrs: { readonly [name: string]: CedarJson };
  readonly parents: readonly UidJson[];
}
export interface RequestJson {
  readonly principal: UidJson;
  readonly action: UidJson;
  readonly resource: UidJson;
  readonly context: { readonly [name: string]: CedarJson };
}

/** A benchmark scenario: the same rules three ways (Writ, Cedar text for cedar-wasm, handwritten JS). */
export interface Scenario {
  readonly name: string;
  readonly schema: string;
  readonly policies: string;
  readonly entities: readonly EntityJson[];
  readonly requests: readonly RequestJson[];
  /**
   * The same rules written by hand against plain JS data (see `HandIndex`),
   * returning the same answer as Writ's `decide`: the decision and the names
   * of the determining policies.
   */
  readonly handwritten: (req: RequestJson, index: HandIndex) => HandDecision;
}

/** What a handwritten function returns: the decision and the determining policies, as `decide` does. */
export interface HandDecision {
  readonly decision: "allow" | "deny";
  readonly reasons: readonly string[];
}

/** Plain-JS entity data for the handwritten functions: attrs and transitive ancestors by key. */
export interface HandIndex {
  readonly attrs: Map<string, Record<string, unknown>>;
  readonly ancestors: Map<string, Set<string>>;
}

/** `Type::"id"` key for plain-JS lookups. */
export function keyOf(u: UidJson): string {
  return `${u.type}::${u.id}`;
}

/** Build the handwritten functions' index (transitive closure of parents). */
export function buildHandIndex(entities: readonly EntityJson[]): HandIndex {
  const attrs = new Map<string, Record<string, unknown>>();
  const parents = new Map<string, string[]>();
  for (const e of entities) {
    attrs.set(keyOf(e.uid), e.attrs);
    parents.set(keyOf(e.uid), e.parents.map(keyOf));
  }
  const ancestors = new Map<string, Set<string>>();
  const visit = (k: string): Set<string> => {
    const done = ancestors.get(k);
    if (done) return done;
    const acc = new Set<string>();
    ancestors.set(k, acc);
    for (const p of parents.get(k) ?? []) {
      acc.add(p);
      for (const a of visit(p)) acc.add(a);
    }
    return acc;
  };
  for (const k of parents.keys()) visit(k);
  return { attrs, ancestors };
}

/** Cedar `a in b` over the hand index. */
export function handIn(index: HandIndex, a: string, b: string): boolean {
  return a === b || (index.ancestors.get(a)?.has(b) ?? false);
}
