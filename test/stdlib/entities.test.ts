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

  it("always has the naive ancestor sets and closure size, and refuses exactly one pair over the budget (DAGs, outside parents)", () => {
    // Parents only among later entities (an acyclic hierarchy), some of them with no record (15+).
    const graph = fc.array(fc.array(fc.nat(19), { maxLength: 4 }), { minLength: 1, maxLength: 15 }).map((adj) => adj.map((ps, i) => ps.filter((p) => p > i)));
    fc.assert(
      fc.property(graph, (adj) => {
        const s = new Entities(adj.map((ps, i) => bareEntity(U(`${i}`), ps.map((p) => U(`${p}`)))));
        let size = 0;
        for (let i = 0; i < adj.length; i++) {
          const seen = new Set<number>();
          const todo = [...adj[i]!];
          while (todo.length > 0) {
            const p = todo.pop()!;
            if (seen.has(p)) continue;
            seen.add(p);
            todo.push(...(adj[p] ?? []));
          }
          size += seen.size;
          expect([...s.ancestors(U(`${i}`))].sort()).toEqual([...seen].map((p) => U(`${p}`).key).sort());
        }
        expect(s.closureSize).toBe(size);
        const records = [...s.records()];
        expect(Entities.build(records, { maxClosure: size }).problems).toEqual([]);
        if (size > 0) expect(Entities.build(records, { maxClosure: size - 1 }).problems.map((p) => p.code)).toEqual(["W5040"]);
      }),
      { numRuns: 500, seed: 31 },
    );
  });

  it("refuses a 20,000-long parent chain with W5040 instead of filling the heap", () => {
    const n = 20_000;
    const chain = Array.from({ length: n }, (_, i) => bareEntity(U(`n${i}`), i + 1 < n ? [U(`n${i + 1}`)] : []));
    const before = process.memoryUsage().heapUsed;
    const r = Entities.build(chain);
    expect(r.entities).toBeUndefined();
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.code).toBe("W5040");
    expect(r.problems[0]!.message).toMatch(/too large/);
    // The refusal stops at the budget (~9 million pairs), far below the 200 million of the full closure.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(1.5e9);
    expect(() => new Entities(chain)).toThrow(RangeError);
  }, 30_000);

  it("counts the closure and honours an explicit budget", () => {
    const s = store({ a: ["b"], b: ["c"], c: [] });
    expect(s.closureSize).toBe(3);
    expect(Entities.build(s.records(), { maxClosure: 2 }).problems[0]?.code).toBe("W5040");
    expect(Entities.build(s.records(), { maxClosure: 3 }).problems).toEqual([]);
  });

  it("withChanges upserts, removes and keeps the old snapshot answering", () => {
    const s = store({ a: ["g"], g: ["root"], b: [] });
    const r = s.withChanges([bareEntity(U("g"), [U("other")]), bareEntity(U("c"), [U("a")])], [U("b").key]);
    expect(r.problems).toEqual([]);
    const t = r.entities!;
    expect(t.size).toBe(3);
    expect(t.has(U("b"))).toBe(false);
    expect(t.isDescendant(U("a"), U("other"))).toBe(true);
    expect(t.isDescendant(U("a"), U("root"))).toBe(false);
    expect(t.isDescendant(U("c"), U("other"))).toBe(true);
    expect(s.isDescendant(U("a"), U("root"))).toBe(true);
    expect(s.has(U("b"))).toBe(true);
    // Removing a parent keeps it as an ancestor of its children (it just has no record or ancestors).
    const u = t.withChanges([], [U("g").key]).entities!;
    expect(u.isDescendant(U("a"), U("g"))).toBe(true);
    expect(u.isDescendant(U("a"), U("other"))).toBe(false);
    expect(t.withChanges([bareEntity(U("other"), [U("c")])], []).problems[0]?.message).toMatch(/cycle/);
    expect(t.withChanges([bareEntity(U("x"))], [U("x").key]).problems[0]?.message).toMatch(/both updated and removed/);
    expect(t.withChanges([bareEntity(U("a"))], [U("a").key]).problems[0]?.message).toMatch(/both updated and removed/);
    expect(t.withChanges([], [U("nobody").key]).entities).toBe(t);
  });

  it("withChanges answers exactly as a store rebuilt from scratch (random graphs and edit sequences)", () => {
    const node = fc.nat(14);
    const edit = fc.oneof(
      fc.record({ op: fc.constant("upsert" as const), id: node, parents: fc.array(node, { maxLength: 3 }), v: fc.nat(3) }),
      fc.record({ op: fc.constant("remove" as const), id: node }),
    );
    const graph = fc.array(fc.array(node, { maxLength: 2 }), { minLength: 1, maxLength: 15 });
    fc.assert(
      fc.property(graph, fc.array(fc.array(edit, { minLength: 1, maxLength: 4 }), { maxLength: 12 }), (adj, steps) => {
        const mk = (id: number, parents: readonly number[], v: number): EntityRecord => ({ uid: U(`${id}`), attrs: rec({ v: BigInt(v) }), parents: parents.map((p) => U(`${p}`)), tags: rec({}) });
        const start = Entities.build(adj.map((ps, i) => mk(i, ps, 0)));
        fc.pre(start.entities !== undefined);
        let cur = start.entities!;
        let model = new Map(adj.map((ps, i) => [i, mk(i, ps, 0)] as const));
        for (const step of steps) {
          const upserts = step.filter((e) => e.op === "upsert").map((e) => mk(e.id, (e as { parents: number[] }).parents, (e as { v: number }).v));
          const removes = step.filter((e) => e.op === "remove").map((e) => U(`${e.id}`).key);
          const next = new Map(model);
          for (const r of upserts) next.set(Number(r.uid.id), r);
          for (const k of removes) next.delete(Number(JSON.parse(k.slice(k.indexOf("::") + 2))));
          const inc = cur.withChanges(upserts, removes);
          const byId = new Map<string, string>();
          let conflicting = false;
          for (const r of upserts) {
            const content = `${r.attrs.get("v")}|${[...new Set(r.parents.map((p) => p.key))].sort().join(",")}`;
            if (byId.has(r.uid.key) && byId.get(r.uid.key) !== content) conflicting = true;
            byId.set(r.uid.key, content);
          }
          if (removes.some((k) => byId.has(k))) conflicting = true;
          const full = Entities.build(next.values());
          if (conflicting) {
            expect(inc.entities).toBeUndefined();
            continue;
          }
          expect(inc.entities === undefined).toBe(full.entities === undefined);
          if (inc.entities === undefined || full.entities === undefined) continue;
          const a = inc.entities;
          const b = full.entities;
          expect(a.size).toBe(b.size);
          expect(a.closureSize).toBe(b.closureSize);
          for (let i = 0; i < 15; i++) {
            expect(a.get(U(`${i}`))?.attrs.get("v")).toBe(b.get(U(`${i}`))?.attrs.get("v"));
            expect([...a.ancestors(U(`${i}`))].sort()).toEqual([...b.ancestors(U(`${i}`))].sort());
          }
          expect([...a.records()].map((r) => r.uid.key).sort()).toEqual([...b.records()].map((r) => r.uid.key).sort());
          cur = a;
          model = next;
        }
      }),
      { numRuns: 300 },
    );
  });

  it("keeps many small updates on a large store cheap and correct (layers, merges, flattening)", () => {
    const n = 5000;
    let s = new Entities(Array.from({ length: n }, (_, i) => bareEntity(U(`u${i}`), [U(`g${i % 10}`, "Group")])));
    for (let step = 0; step < 60; step++) {
      const ups = Array.from({ length: 100 }, (_, k) => bareEntity(U(`u${(step * 100 + k) % n}`), [U(`g${(step + k) % 7}`, "Group")]));
      s = s.withChanges(ups, [U(`u${(step * 100 + 100 + (step % 50)) % n}`).key]).entities!;
    }
    // The last step upserted u900…u999 under g3 (59 % 7) … and removed u1009.
    expect(s.get(U("u900"))?.parents.map((p) => p.key)).toEqual([U("g3", "Group").key]);
    expect(s.isDescendant(U("u900"), U("g3", "Group"))).toBe(true);
    expect(s.isDescendant(U("u900"), U("g0", "Group"))).toBe(false);
    expect(s.has(U("u1009"))).toBe(false);
    expect(s.has(U("u4999"))).toBe(true);
    const rebuilt = Entities.build(s.records()).entities!;
    expect(s.size).toBe(rebuilt.size);
    expect(s.closureSize).toBe(rebuilt.closureSize);
    for (let i = 0; i < n; i += 97) expect([...s.ancestors(U(`u${i}`))]).toEqual([...rebuilt.ancestors(U(`u${i}`))]);
  });
});
