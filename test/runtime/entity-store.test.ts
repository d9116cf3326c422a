/**
 * Entity stores through the public runtime API: read and checked once, an id that depends
 * only on the entity set, updates that give the same id and the same answers as loading the
 * result at once, decisions on a store equal to decisions on the same JSON, and bounded
 * work on hostile hierarchies.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decide, decideMany, loadBundle, loadEntities, recordBytes, runtimeCrypto, type EntityJson, type LoadedBundle, type RequestJson } from "../../runtime/index.js";
import { decide as decideBrowser, loadEntities as loadEntitiesBrowser } from "../../runtime/browser.js";
import { bundleFrom } from "../support/bundles.js";

const DIR = resolve(process.cwd(), "examples/doc-sharing");
const read = (f: string): string => readFileSync(resolve(DIR, f), "utf8");
const ENTITIES = JSON.parse(read("entities.json")) as EntityJson[];
const TESTS = JSON.parse(read("tests.json")) as { requests: RequestJson[] };
const REQUESTS: RequestJson[] = TESTS.requests.map(({ principal, action, resource, context }) => ({ principal, action, resource, context }));
const BUNDLE: LoadedBundle = loadBundle(JSON.parse(JSON.stringify(bundleFrom(read("policies.cedar"), read("schema.cedarschema"))))).bundle!;
const bytes = (r: Parameters<typeof recordBytes>[0]): string => Buffer.from(recordBytes(r)).toString();

function store(json: readonly EntityJson[] = ENTITIES) {
  const r = loadEntities(BUNDLE, json);
  if (r.store === undefined) throw new Error(r.diagnostics.map((d) => d.message).join("; "));
  return r.store;
}

/** A deterministic shuffle of arrays and object keys (entity order, parents, attributes). */
function shuffled<T>(x: T, seed: number): T {
  let s = seed >>> 0 || 1;
  const rnd = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk).sort(() => rnd() - 0.5);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, y]) => [k, walk(y)] as const).sort(() => rnd() - 0.5));
    return v;
  };
  return walk(x) as T;
}

describe("loadEntities", () => {
  it("reads and checks entities against the bundle's schema once; the store has an id and a size", () => {
    const s = store();
    expect(s.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(s.size).toBe(ENTITIES.length);
    expect(s.schemaId).toBe(BUNDLE.schemaId);
    const bad = loadEntities(BUNDLE, [{ uid: { type: "DocShare::User", id: "x" }, attrs: { nonsense: 1 }, parents: [] }]);
    expect(bad.store).toBeUndefined();
    expect(bad.diagnostics.map((d) => d.code)).toContain("W5003");
    expect(loadEntities(BUNDLE, { not: "an array" } as unknown as EntityJson[]).diagnostics[0]?.code).toBe("W5003");
  });

  it("the id ignores entity order, parent order and key order; any change of content changes it", () => {
    const id = store().id;
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        expect(store(shuffled(ENTITIES, seed)).id).toBe(id);
      }),
      { numRuns: 30 },
    );
    const changed = JSON.parse(JSON.stringify(ENTITIES)) as EntityJson[];
    const withAttr = changed.find((e) => Object.keys(e.attrs).length > 0)!;
    const k = Object.keys(withAttr.attrs)[0]!;
    (withAttr.attrs as Record<string, unknown>)[k] = typeof withAttr.attrs[k] === "string" ? `${String(withAttr.attrs[k])}!` : withAttr.attrs[k];
    if (JSON.stringify(changed) !== JSON.stringify(ENTITIES)) expect(store(changed).id).not.toBe(id);
    expect(store(ENTITIES.slice(1)).id).not.toBe(id);
  });

  it("Node and browser entries compute the same id and the same records", () => {
    const a = store();
    const b = loadEntitiesBrowser(BUNDLE, ENTITIES).store!;
    expect(b.id).toBe(a.id);
    for (const r of REQUESTS) expect(bytes(decideBrowser(BUNDLE, r, b))).toBe(bytes(decide(BUNDLE, r, a)));
  });

  it("refuses a 20,000-long parent chain with W5040 in bounded time", () => {
    const chain = Array.from({ length: 20_000 }, (_, i) => ({ uid: { type: "DocShare::Folder", id: `f${i}` }, attrs: {}, parents: i + 1 < 20_000 ? [{ type: "DocShare::Folder", id: `f${i + 1}` }] : [] }));
    const r = loadEntities(BUNDLE, chain);
    expect(r.store).toBeUndefined();
    expect(r.diagnostics.map((d) => d.code)).toContain("W5040");
  }, 60_000);
});

describe("EntityStore.update", () => {
  it("gives a new snapshot with the id and answers of loading the result at once; the old one keeps deciding", () => {
    const s = store();
    const [first, second, ...rest] = ENTITIES;
    const edited = { ...first!, attrs: { ...first!.attrs } } as EntityJson;
    const u = s.update({ upsert: [edited], remove: [second!.uid] });
    expect(u.diagnostics).toEqual([]);
    const next = u.store!;
    expect(next.id).toBe(store([edited, ...rest]).id);
    expect(next.size).toBe(ENTITIES.length - 1);
    expect(s.id).toBe(store().id);
    expect(s.get(second!.uid)).toBeDefined();
    expect(next.get(second!.uid)).toBeUndefined();
    for (const r of REQUESTS) {
      expect(bytes(decide(BUNDLE, r, next))).toBe(bytes(decide(BUNDLE, r, store([edited, ...rest]))));
      expect(bytes(decide(BUNDLE, r, s))).toBe(bytes(decide(BUNDLE, r, ENTITIES)));
    }
  });

  it("any sequence of updates ends at the id of loading the final set at once", () => {
    const ids = ENTITIES.map((e) => e.uid);
    fc.assert(
      fc.property(fc.array(fc.record({ removeAt: fc.nat(ENTITIES.length - 1), readdAt: fc.nat(ENTITIES.length - 1) }), { maxLength: 8 }), (steps) => {
        let s = store();
        const present = new Map(ENTITIES.map((e, i) => [i, e] as const));
        for (const { removeAt, readdAt } of steps) {
          const upsert = removeAt === readdAt || !present.has(readdAt) ? [] : [ENTITIES[readdAt]!];
          const r = s.update({ upsert, remove: [ids[removeAt]!] });
          if (r.store === undefined) return; // e.g. removing a parent that a schema rule needs: nothing to compare
          s = r.store;
          present.delete(removeAt);
          for (const e of upsert) present.set(ENTITIES.indexOf(e), e);
        }
        const again = loadEntities(BUNDLE, [...present.values()]);
        if (again.store !== undefined) expect(s.id).toBe(again.store.id);
      }),
      { numRuns: 60 },
    );
  });

  it("checks only the changed entities against the schema, and never throws", () => {
    const s = store();
    const bad = s.update({ upsert: [{ uid: { type: "Nope", id: "x" }, attrs: {}, parents: [] }] });
    expect(bad.store).toBeUndefined();
    expect(bad.diagnostics[0]?.code).toBe("W5003");
    expect(s.update({ remove: [{ type: 1 } as never] }).diagnostics[0]?.code).toBe("W5003");
    expect(s.update({ upsert: "x" as never }).store).toBeUndefined();
    expect(s.update({}).store?.id).toBe(s.id);
  });
});

describe("decide on a store", () => {
  it("gives the same record bytes as decide on the same entities JSON, and decideMany the same as each alone", () => {
    const s = store();
    const many = decideMany(BUNDLE, REQUESTS, s);
    REQUESTS.forEach((r, i) => {
      const one = decide(BUNDLE, r, s);
      expect(bytes(one)).toBe(bytes(decide(BUNDLE, r, ENTITIES)));
      expect(bytes(many[i]!)).toBe(bytes(one));
      expect(one.entitiesId).toBe(s.id);
    });
    expect(decideMany(BUNDLE, REQUESTS, [{ bad: true }] as unknown as EntityJson[]).every((r) => r.decision === "deny" && r.errors[0]?.policy === "")).toBe(true);
  });

  it("the request digest covers the entity store: another store, another digest", () => {
    const s = store();
    const t = s.update({ remove: [ENTITIES[0]!.uid] }).store!;
    const r = REQUESTS[0]!;
    expect(decide(BUNDLE, r, s).requestDigest).not.toBe(decide(BUNDLE, r, t).requestDigest);
    expect(decide(BUNDLE, r, s).requestDigest).toBe(decide(BUNDLE, shuffled(r, 7), s).requestDigest);
  });

  it("a store checked against another schema is a deny with W7001, never a silent mix", () => {
    const other = loadBundle(JSON.parse(JSON.stringify(bundleFrom("permit (principal, action, resource);", "entity U; action a appliesTo { principal: U, resource: U };")))).bundle!;
    const r = decide(other, { principal: { type: "U", id: "x" }, action: { type: "Action", id: "a" }, resource: { type: "U", id: "y" }, context: {} }, store());
    expect(r.decision).toBe("deny");
    expect(r.errors[0]).toMatchObject({ policy: "", code: "W7001" });
    const rebound = store().forBundle(other, runtimeCrypto.sha256);
    expect(rebound.store).toBeUndefined();
    expect(store().forBundle(BUNDLE, runtimeCrypto.sha256).store?.id).toBe(store().id);
  });

  it("a missing or unloaded bundle is a deny naming the mistake (W7010), never a TypeError", () => {
    const s = store();
    const json = JSON.parse(JSON.stringify(bundleFrom(read("policies.cedar"), read("schema.cedarschema")))) as unknown;
    for (const bad of [undefined, null, 7, json, {}]) {
      const r = decide(bad as LoadedBundle, REQUESTS[0]!, s);
      expect(r).toMatchObject({ decision: "deny", bundleId: "", entitiesId: s.id, reasons: [] });
      expect(r.errors).toEqual([expect.objectContaining({ policy: "", code: "W7010" })]);
      expect(() => recordBytes(r)).not.toThrow();
      const many = decideMany(bad as LoadedBundle, REQUESTS.slice(0, 2), s);
      expect(many.map((m) => [m.decision, m.errors[0]?.code])).toEqual([["deny", "W7010"], ["deny", "W7010"]]);
      const loaded = loadEntities(bad as LoadedBundle, ENTITIES);
      expect(loaded.store).toBeUndefined();
      expect(loaded.diagnostics[0]?.code).toBe("W7010");
    }
    expect(decide(undefined as unknown as LoadedBundle, REQUESTS[0]!, s).errors[0]?.message).toMatch(/failed loadBundle/);
    expect(decide(json as LoadedBundle, REQUESTS[0]!, s).errors[0]?.message).toMatch(/must go through loadBundle/);
  });

  it("input that throws when read, and a decision function that throws, are denies or diagnostics, never exceptions", () => {
    const s = store();
    const boom = (): never => {
      throw new Error("boom");
    };
    const getter = { ...REQUESTS[0]!, get context(): never { return boom(); } };
    expect(decide(BUNDLE, getter as RequestJson, s)).toMatchObject({ decision: "deny", errors: [{ code: "W5004", message: "boom" }] });
    const trap = new Proxy([], { get: boom });
    expect(decideMany(BUNDLE, trap as RequestJson[], s).map((r) => [r.decision, r.errors[0]?.code])).toEqual([["deny", "W7011"]]);
    expect(loadEntities(BUNDLE, trap as EntityJson[]).store).toBeUndefined();
    for (const changes of [null, undefined, 5, { remove: 5 }, { get upsert(): never { return boom(); } }, { remove: trap }]) {
      const r = s.update(changes as never);
      expect(r.store).toBeUndefined();
      expect(r.diagnostics[0]?.code).toBe("W5003");
    }
    const { program } = BUNDLE;
    const throwing = { ...BUNDLE, program: { semantics: program.semantics, policyNames: program.policyNames, decide: boom } } as LoadedBundle;
    const r = decide(throwing, REQUESTS[0]!, s);
    expect(r).toMatchObject({ decision: "deny", bundleId: BUNDLE.bundleId, errors: [{ policy: "", code: "W7011", message: "the decision failed: boom" }] });
  });

  it("never throws whatever the three arguments are; junk in any of them is a deny", () => {
    const s = store();
    const bundles = fc.oneof(fc.constant(BUNDLE), fc.anything());
    const entities = fc.oneof(fc.constant(s), fc.constant(ENTITIES), fc.anything());
    fc.assert(
      fc.property(bundles, fc.oneof(fc.constantFrom(...REQUESTS), fc.anything()), entities, (b, q, e) => {
        const r = decide(b as LoadedBundle, q as RequestJson, e as EntityJson[]);
        expect(["allow", "deny"]).toContain(r.decision);
        if (b !== BUNDLE) expect(r).toMatchObject({ decision: "deny", bundleId: "", errors: [{ code: "W7010" }] });
        expect(() => recordBytes(r)).not.toThrow();
        expect(Array.isArray(decideMany(b as LoadedBundle, [q as RequestJson], e as EntityJson[]))).toBe(true);
      }),
      { numRuns: 300, seed: 8 },
    );
  });

  it("never throws on arbitrary requests; bad ones are deny records naming the input", () => {
    const s = store();
    fc.assert(
      fc.property(fc.jsonValue(), (j) => {
        const r = decide(BUNDLE, j as unknown as RequestJson, s);
        expect(["allow", "deny"]).toContain(r.decision);
        expect(() => recordBytes(r)).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });
});
