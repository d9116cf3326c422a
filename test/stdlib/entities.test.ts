import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Entities, EntityUID, RecordValue, SetValue, bareEntity, type EntityRecord } from "../../stdlib/index.js";

const U = (id: string, type = "User") => new EntityUID(type, id);
const rec = (fields: Record<string, bigint | string | boolean>) => new RecordValue(new Map(Object.entries(fields)));

function store(edges: Record<string, string[]>): Entities {
  return new Entities(Object.entries(edges).map(([k, ps]) => bareEntity(U(k), ps.map((p) => U(p)))));
}

describe("Entities", () => {
  it("looks up attributes and tags", () => {
    const e: EntityRecord = { uid: U("alice"), attrs: rec({ age: 30n }), parents: [], tags: rec({ team: "red" }) };
    const s = new Entities([e]);
    expect(s.get(U("alice"))).toBe(e);
    expect(s.attrs(U("alice"))?.get("age")).toBe(30n);
    expect(s.tags(U("alice"))?.get("team")).toBe("red");
    expect(s.attrs(U("bob"))).toBeUndefined();
    expect(s.has(U("alice"))).toBe(true);
    expect(s.has(U("alice", "Admin"))).toBe(false);
    expect(s.size).toBe(1);
  });

  it("answers `in` over the transitive closure", () => {
    const s = store({ a: ["b"], b: ["c", "d"], c: ["e"], x: [] });
    expect(s.isDescendant(U("a"), U("e"))).toBe(true);
    expect(s.isDescendant(U("a"), U("d"))).toBe(true);
    expect(s.isDescendant(U("b"), U("a"))).toBe(false);
    expect(s.isDescendant(U("x"), U("a"))).toBe(false);
    expect(s.isDescendant(U("a"), U("a"))).toBe(true);
    expect(s.isStrictDescendant(U("a"), U("a"))).toBe(false);
    expect(s.isDescendant(U("nobody"), U("nobody"))).toBe(true);
    expect(s.isDescendant(U("nobody"), U("a"))).toBe(false);
    // `e` has no record of its own but is still an ancestor.
    expect(s.isDescendant(U("c"), U("e"))).toBe(true);
    expect([...s.ancestors(U("a"))].sort()).toEqual(["b", "c", "d", "e"].map((k) => U(k).key).sort());
    expect(s.isDescendantOfAny(U("a"), new SetValue([U("zz"), U("e")]))).toBe(true);
    expect(s.isDescendantOfAny(U("a"), new SetValue([U("zz"), 1n]))).toBe(false);
    expect(s.isDescendantOfAny(U("a"), new SetValue([U("a")]))).toBe(true);
  });

  it("treats the entity type as part of identity", () => {
    const s = new Entities([bareEntity(U("a"), [U("g", "Group")])]);
    expect(s.isDescendant(U("a"), U("g", "Group"))).toBe(true);
    expect(s.isDescendant(U("a"), U("g", "Team"))).toBe(false);
  });

  it("survives cycles and deep chains, and build() reports cycles", () => {
    const s = store({ a: ["b"], b: ["c"], c: ["a"], d: ["a"] });
    expect(s.isDescendant(U("a"), U("c"))).toBe(true);
    expect(s.isDescendant(U("c"), U("b"))).toBe(true);
    expect(s.isDescendant(U("d"), U("c"))).toBe(true);
    expect(s.isDescendant(U("a"), U("d"))).toBe(false);
    expect(s.findCycle()).toBeDefined();
    const built = Entities.build(s.records());
    expect(built.entities).toBeUndefined();
    expect(built.problems[0]?.message).toMatch(/cycle/);
    expect(Entities.build([bareEntity(U("s"), [U("s")])]).problems).toHaveLength(1);
    const n = 20_000;
    const chain = Array.from({ length: n }, (_, i) => bareEntity(U(`n${i}`), i + 1 < n ? [U(`n${i + 1}`)] : []));
    const deep = new Entities(chain.slice(n - 2000));
    expect(deep.isDescendant(U(`n${n - 2000}`), U(`n${n - 1}`))).toBe(true);
    const long = Entities.build(chain.slice(0, 3000));
    expect(long.problems).toEqual([]);
    expect(long.entities?.isDescendant(U("n0"), U("n2999"))).toBe(true);
  });

  it("rejects conflicting duplicates and merges identical ones", () => {
    expect(() => new Entities([bareEntity(U("a")), bareEntity(U("a"))])).toThrow(/duplicate/);
    const same = Entities.build([bareEntity(U("a")), bareEntity(U("a"))]);
    expect(same.problems).toEqual([]);
    expect(same.entities?.size).toBe(1);
    const diff = Entities.build([bareEntity(U("a")), { ...bareEntity(U("a")), attrs: rec({ x: 1n }) }]);
    expect(diff.entities).toBeUndefined();
    expect(diff.problems[0]).toEqual({ code: "W5003", message: 'duplicate entity entry User::"a"' });
  });

  it("adds records with withRecords()", () => {
    const s = store({ a: ["g"] });
    const r = s.withRecords([bareEntity(U("g"), [U("root")])]);
    expect(r.entities?.isDescendant(U("a"), U("root"))).toBe(true);
    expect(s.isDescendant(U("a"), U("root"))).toBe(false);
    expect(s.withRecords([bareEntity(U("a"), [])]).problems).toHaveLength(1);
  });

  it("agrees with a naive reachability search on random graphs", () => {
    const graph = fc.array(fc.array(fc.nat(11), { maxLength: 3 }), { minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(graph, (adj) => {
        const s = new Entities(adj.map((ps, i) => bareEntity(U(`${i}`), ps.map((p) => U(`${p}`)))));
        for (let i = 0; i < adj.length; i++) {
          const seen = new Set<number>();
          const todo = [...(adj[i] ?? [])];
          while (todo.length > 0) {
            const p = todo.pop()!;
            if (seen.has(p)) continue;
            seen.add(p);
            todo.push(...(adj[p] ?? []));
          }
          for (let j = 0; j < 12; j++) expect(s.isDescendant(U(`${i}`), U(`${j}`))).toBe(i === j || seen.has(j));
        }
      }),
      { numRuns: 500 },
    );
  });
});
