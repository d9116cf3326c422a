/**
 * Decision records: fields, determinism of the request digest and of the record bytes across
 * JSON key order, entity order and separate processes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { decide, loadBundle, recordBytes, EVALUATOR, type CedarJson, type DecisionRecord, type EntityJson, type EntityUidJson, type LoadedBundle, type RequestJson } from "../../runtime/index.js";
import { arbValue } from "../support/arbitraries.js";
import { bundleFrom, exampleBundle, exampleJson } from "../support/bundles.js";

const PKG = JSON.parse(readFileSync(resolve(process.cwd(), "package.json"), "utf8")) as { version: string };
const loaded = (): LoadedBundle => loadBundle(exampleBundle()).bundle!;
const REQUEST = exampleJson("request.json") as RequestJson;
const ENTITIES = exampleJson("entities.json") as readonly EntityJson[];
const TESTS = exampleJson("tests.json") as { requests: (RequestJson & { readonly description?: string; readonly decision: string; readonly reason: readonly string[] })[] };
/** Entities JSON to change in place. */
type EditableEntities = { uid: EntityUidJson; parents: EntityUidJson[]; attrs: Record<string, CedarJson> }[];
const text = (r: DecisionRecord): string => new TextDecoder().decode(recordBytes(r));

/** A copy of a JSON value with object keys and arrays (sets, entity lists) shuffled by `rnd`. */
function shuffleJson<T>(x: T, rnd: () => number): T {
  const shuffle = <T>(a: T[]): T[] => {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  };
  if (Array.isArray(x)) return shuffle(x.map((y: unknown) => shuffleJson(y, rnd))) as T;
  if (x !== null && typeof x === "object") {
    const out: Record<string, unknown> = {};
    for (const k of shuffle(Object.keys(x))) out[k] = shuffleJson((x as Record<string, unknown>)[k], rnd);
    return out as T;
  }
  return x;
}

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("decision records", () => {
  it("carry the decision, reasons with policy ids and @reason texts, the bundle id and the evaluator", () => {
    const b = loaded();
    const r = decide(b, REQUEST, ENTITIES);
    expect(r.format).toBe("writ-decision/2");
    expect(r.decision).toBe("deny");
    expect(r.reasons).toEqual([
      { name: "confidential-needs-mfa-on-office-network", policyId: b.byName.get("confidential-needs-mfa-on-office-network")!.id, reason: "Confidential documents need MFA and the office network" },
    ]);
    expect(r.errors).toEqual([]);
    expect(r.obligations).toEqual({});
    expect(r.shadow).toEqual([]);
    expect(r.bundleId).toBe(b.bundleId);
    expect(r.requestDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(r.evaluator).toBe(`writ/${PKG.version}`);
    expect(EVALUATOR).toBe(`writ/${PKG.version}`);
  });

  it("agree with the example's expected decisions", () => {
    const b = loaded();
    for (const t of TESTS.requests) {
      const r = decide(b, t, ENTITIES);
      expect(r.decision, String(t["description"])).toBe(t["decision"]);
      expect(r.reasons.map((x) => x.name).sort()).toEqual([...(t["reason"] as string[])].sort());
    }
  });

  it("list erroring policies with their ids", () => {
    const bundle = bundleFrom(
      `@id("overflow") forbid(principal, action, resource) when { context.n + 9223372036854775807 < 0 };
       @id("ok") permit(principal, action, resource);`,
      `entity User; action go appliesTo { principal: User, resource: User, context: { n: Long } };`,
    );
    const b = loadBundle(JSON.parse(JSON.stringify(bundle))).bundle!;
    const req = { principal: { type: "User", id: "a" }, action: { type: "Action", id: "go" }, resource: { type: "User", id: "b" }, context: { n: 1 } };
    const r = decide(b, req, []);
    expect(r.decision).toBe("deny");
    expect(r.errors).toEqual([{ policy: "overflow", policyId: b.byName.get("overflow")!.id, code: "W4003", message: expect.any(String) }]);
    const ok = decide(b, { ...req, context: { n: -1 } }, []);
    expect(ok.decision).toBe("allow");
    expect(ok.reasons.map((x) => x.name)).toEqual(["ok"]);
    expect(ok.reasons[0]!.reason).toBeUndefined();
    expect("reason" in ok.reasons[0]!).toBe(false);
  });

  it("deny, fail closed, on invalid input", () => {
    const b = loaded();
    const bad = decide(b, { ...REQUEST, principal: 5 } as unknown as RequestJson, ENTITIES);
    expect(bad.decision).toBe("deny");
    expect(bad.errors.map((e) => [e.policy, e.code])).toEqual([["", "W5004"]]);
    const nonconforming = decide(b, { ...REQUEST, context: { mfa: "yes", sourceIp: "10.0.0.1" } }, ENTITIES);
    expect(nonconforming.decision).toBe("deny");
    expect(nonconforming.errors[0]!.code).toBe("W5006");
    const badEntities = decide(b, REQUEST, { not: "an array" } as unknown as readonly EntityJson[]);
    expect(badEntities.errors[0]!.code).toBe("W5003");
    expect(() => recordBytes(badEntities)).not.toThrow();
  });

  it("never throws on strings that are not valid Unicode; the record still has canonical bytes", () => {
    const b = loaded();
    const ents = JSON.parse(JSON.stringify(ENTITIES)) as EditableEntities;
    ents.find((e) => "name" in e.attrs)!.attrs["name"] = "\ud800";
    const r = decide(b, REQUEST, ents);
    expect(r.decision).toBe("deny");
    expect(r.errors.map((e) => e.code)).toEqual(["W5003"]);
    expect(() => recordBytes(r)).not.toThrow();
    const req = JSON.parse(JSON.stringify(REQUEST)) as { principal: { id: string } };
    req.principal.id = "x\udc00";
    expect(() => recordBytes(decide(b, req as unknown as RequestJson, ENTITIES))).not.toThrow();
  });

  it("the request digest ignores JSON key order, entity order and set order, and the bytes are identical", () => {
    const b = loaded();
    const base = decide(b, REQUEST, ENTITIES);
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const rnd = prng(seed);
        const r = decide(b, shuffleJson(REQUEST, rnd), shuffleJson(ENTITIES, rnd));
        expect(text(r)).toBe(text(base));
      }),
      { numRuns: 40 },
    );
  });

  it("the errors of invalid input do not depend on JSON key order: every key order gives the same record bytes", () => {
    const b = loaded();
    const req = REQUEST as RequestJson & { context: Record<string, CedarJson> };
    let deep: CedarJson = 1;
    for (let i = 0; i < 210; i++) deep = { a: deep };
    // Values the readers refuse for different reasons; several in one request, so the first one found could depend on order.
    const bad: CedarJson[] = [1.5, { b: 1.5, a: 2.5 }, deep, { __extn: { fn: "nope", arg: "1" } }, [1, "x"], { __entity: { type: "", id: "x" } }];
    const names = ["a", "zz", "mfa", "sourceIp", "n", "\u00e9", "B"];
    const keysOnly = <T>(x: T, rnd: () => number): T => {
      if (x === null || typeof x !== "object") return x;
      if (Array.isArray(x)) return x.map((y: unknown) => keysOnly(y, rnd)) as T;
      const keys = Object.keys(x).sort(() => rnd() - 0.5);
      return Object.fromEntries(keys.map((k) => [k, keysOnly((x as Record<string, unknown>)[k], rnd)])) as T;
    };
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(fc.constantFrom(...names), fc.constantFrom(...bad)), { minLength: 2, maxLength: 4, selector: ([k]) => k }), fc.integer(), (attrs, seed) => {
        const request = { ...req, context: { ...req.context, ...Object.fromEntries(attrs) } };
        const base = decide(b, request, ENTITIES);
        expect(base.decision).toBe("deny");
        expect(base.errors.length).toBeGreaterThan(0);
        const rnd = prng(seed);
        expect(text(decide(b, keysOnly(request, rnd), keysOnly(ENTITIES, rnd)))).toBe(text(base));
      }),
      { numRuns: 60 },
    );
  });

  it("the errors of entities JSON that does not load do not depend on JSON key order", () => {
    const b = loaded();
    const ents = JSON.parse(JSON.stringify(ENTITIES)) as EditableEntities;
    ents[0]!.attrs = { ...ents[0]!.attrs, zz: { b: 1.5, a: 2.5 }, aa: 1.5 };
    const reversed = ents.map((e) => ({ ...e, attrs: Object.fromEntries(Object.entries(e.attrs).reverse()) }));
    const r1 = decide(b, REQUEST, ents);
    expect(r1.errors.length).toBeGreaterThan(0);
    expect(text(decide(b, REQUEST, reversed))).toBe(text(r1));
  });

  it("the request digest changes with any request or entity change", () => {
    const b = loaded();
    const base = decide(b, REQUEST, ENTITIES).requestDigest;
    const req = REQUEST as RequestJson & { context: { mfa: boolean; sourceIp: string } };
    expect(decide(b, { ...req, context: { ...req.context, mfa: !req.context.mfa } }, ENTITIES).requestDigest).not.toBe(base);
    expect(decide(b, { ...req, context: { ...req.context, sourceIp: "10.9.9.9" } }, ENTITIES).requestDigest).not.toBe(base);
    const ents = JSON.parse(JSON.stringify(ENTITIES)) as EditableEntities;
    ents.find((e) => "name" in e.attrs)!.attrs["name"] = "Mallory";
    expect(decide(b, REQUEST, ents).requestDigest).not.toBe(base);
    expect(decide(b, REQUEST, ENTITIES.slice(1)).requestDigest).not.toBe(base);
  });
});

describe("decision records across processes", () => {
  let dir = "";
  let script = "";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "writ-record-"));
    script = join(dir, "decide.mjs");
    await build({
      stdin: {
        contents: `
          import { readFileSync } from "node:fs";
          import { loadBundle, decide, recordBytes } from "./runtime/index.ts";
          const [bundlePath, requestPath, entitiesPath] = process.argv.slice(2);
          const read = (p) => JSON.parse(readFileSync(p, "utf8"));
          const loaded = loadBundle(read(bundlePath));
          if (loaded.bundle === undefined) { console.error(JSON.stringify(loaded.diagnostics)); process.exit(2); }
          process.stdout.write(Buffer.from(recordBytes(decide(loaded.bundle, read(requestPath), read(entitiesPath)))).toString("base64"));
        `,
        resolveDir: process.cwd(),
        sourcefile: "decide-entry.ts",
        loader: "ts",
      },
      bundle: true,
      platform: "node",
      format: "esm",
      outfile: script,
      logLevel: "silent",
    });
    writeFileSync(join(dir, "bundle.json"), JSON.stringify(exampleBundle()));
    writeFileSync(join(dir, "request.json"), JSON.stringify(REQUEST));
    writeFileSync(join(dir, "entities.json"), JSON.stringify(ENTITIES));
    writeFileSync(join(dir, "request2.json"), JSON.stringify(shuffleJson(REQUEST, prng(7)), null, 3));
    writeFileSync(join(dir, "entities2.json"), JSON.stringify(shuffleJson(ENTITIES, prng(9))));
  }, 60_000);

  afterAll(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it("two node processes produce byte-identical records, equal to this process's", () => {
    const run = (req: string, ents: string): string =>
      execFileSync(process.execPath, [script, join(dir, "bundle.json"), join(dir, req), join(dir, ents)], { encoding: "utf8", env: { ...process.env, TZ: "Pacific/Kiritimati", LANG: "tr_TR.UTF-8" } });
    const first = run("request.json", "entities.json");
    const second = run("request2.json", "entities2.json");
    expect(first.length).toBeGreaterThan(100);
    expect(second).toBe(first);
    const here = Buffer.from(recordBytes(decide(loaded(), REQUEST, ENTITIES))).toString("base64");
    expect(first).toBe(here);
    const rec = JSON.parse(Buffer.from(first, "base64").toString("utf8")) as DecisionRecord;
    expect(rec.decision).toBe("deny");
  }, 60_000);
});

describe("governance extensions in records", () => {
  const SCHEMA = `entity User; obligation require_approval: Bool; obligation notify: Set<String>; obligation max_cost: Long;
    action deploy appliesTo { principal: User, resource: User, context: { cost: Long } };`;
  const POLICIES = `
    @id("a") @reason("small deploys") permit(principal, action, resource) when { context.cost < 100 }
      obligations { require_approval: false, notify: ["#ops"], max_cost: 100 };
    @id("b") permit(principal, action, resource) when { context.cost < 50 }
      obligations { require_approval: true, notify: ["#sec"], max_cost: 50 };
    @id("s") @mode("shadow") forbid(principal, action, resource) when { context.cost > 10 };`;
  const req = (cost: number) => ({ principal: { type: "User", id: "u" }, action: { type: "Action", id: "deploy" }, resource: { type: "User", id: "r" }, context: { cost } });

  it("carry merged obligations and shadow results, and the ids cover them", () => {
    const bundle = bundleFrom(POLICIES, SCHEMA);
    const b = loadBundle(JSON.parse(JSON.stringify(bundle))).bundle!;
    const r = decide(b, req(20), []);
    expect(r.decision).toBe("allow");
    expect(r.reasons.map((x) => x.name).sort()).toEqual(["a", "b"]);
    expect(r.reasons.find((x) => x.name === "a")!.reason).toBe("small deploys");
    expect(r.obligations).toEqual({ require_approval: true, notify: ["#ops", "#sec"], max_cost: 50 });
    expect(r.shadow).toEqual([{ name: "s", effect: "forbid", satisfied: true }]);
    const one = decide(b, req(70), []);
    expect(one.obligations).toEqual({ require_approval: false, notify: ["#ops"], max_cost: 100 });
    expect(decide(b, req(200), []).obligations).toEqual({});
    const other = bundleFrom(POLICIES.replace("max_cost: 100", "max_cost: 101"), SCHEMA);
    const changed = other.policies.filter((p) => !bundle.policies.some((q) => q.id === p.id)).map((p) => p.name);
    expect(changed).toEqual(["a"]);
  });

  it("a cedar-semantics bundle cannot carry Writ extensions", () => {
    expect(() => bundleFrom(POLICIES, SCHEMA, { semantics: "cedar" })).toThrow(/W6001/);
    const bundle = JSON.parse(JSON.stringify(bundleFrom(POLICIES, SCHEMA))) as { semantics: string };
    bundle.semantics = "cedar";
    const r = loadBundle(bundle);
    expect(r.bundle).toBeUndefined();
  });
});

describe("lineage in the request digest", () => {
  it("is part of the digest, independent of its key order", () => {
    const b = loaded();
    const exec = {
      principal: { type: "DocShare::User", id: "bob" },
      action: { type: "DocShare::Action", id: "share" },
      resource: { type: "DocShare::Document", id: "q3-roadmap" },
      decision: "allow",
      bundleId: "sha256:" + "1".repeat(64),
      node: "n1",
    };
    const withLineage = { ...REQUEST, lineage: { depth: 1, parent: exec, root: exec, ancestors: [exec] } };
    const base = decide(b, REQUEST, ENTITIES);
    const r = decide(b, withLineage, ENTITIES);
    expect(r.errors).toEqual([]);
    expect(r.requestDigest).not.toBe(base.requestDigest);
    const shuffled = decide(b, shuffleJson(withLineage, prng(3)), ENTITIES);
    expect(shuffled.requestDigest).toBe(r.requestDigest);
    const other = decide(b, { ...withLineage, lineage: { ...withLineage.lineage, parent: { ...exec, node: "n2" } } }, ENTITIES);
    expect(other.requestDigest).not.toBe(r.requestDigest);
  });
});

describe("the request digest text", () => {
  it("is exactly the canonical JSON of { entitiesId, request } for every request (the fast writer matches the definition)", async () => {
    const { requestDigestText } = await import("../../runtime/request-text.js");
    const { canonicalRequest } = await import("../../runtime/decision-record.js");
    const { canonicalJson } = await import("../../compiler/canonical.js");
    const { RecordValue, EntityUID } = await import("../../stdlib/value.js");
    const { parseDecimal, parseIpAddr } = await import("../../stdlib/index.js");
    type V = import("../../stdlib/value.js").Value;
    const text = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" }), fc.constantFrom('"', "\\", "\u0000", "\ud800", "__proto__"));
    const leaf: fc.Arbitrary<V> = fc.oneof(
      fc.boolean(),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.constantFrom(2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 1n - 2n ** 53n, -(2n ** 53n), -(2n ** 53n) - 1n, 0n),
      text,
      fc.tuple(text, text).map(([t, i]) => new EntityUID(t, i)),
      fc.constantFrom("1.5", "-0.0001", "10.0.0.1", "::1", "192.168.0.0/16").map((x) => (x.includes(".") && !x.includes("/") && x.split(".").length === 2 ? parseDecimal(x) : parseIpAddr(x)) as V),
    );
    const value = arbValue(leaf, text);
    fc.assert(
      fc.property(fc.array(fc.tuple(text, value), { maxLength: 6 }), text, text, fc.option(value), (ctx, id, type, lineage) => {
        const request = {
          principal: new EntityUID("User", id),
          action: new EntityUID("Action", "view"),
          resource: new EntityUID(type, id),
          context: new RecordValue(new Map(ctx)),
          ...(lineage === null ? {} : { lineage: new RecordValue(new Map([["depth", lineage]])) }),
        };
        let expected: string | undefined;
        try {
          expected = canonicalJson({ entitiesId: "sha256:abc", request: canonicalRequest(request) });
        } catch {
          expected = undefined;
        }
        if (expected === undefined) expect(() => requestDigestText(request, "sha256:abc")).toThrow();
        else expect(requestDigestText(request, "sha256:abc")).toBe(expected);
      }),
      { numRuns: 500, seed: 4 },
    );
  });

  it("is the same whether the context text is written while reading the request or from the values (decide's digest against the definition)", async () => {
    const { canonicalRequest } = await import("../../runtime/decision-record.js");
    const { canonicalJson } = await import("../../compiler/canonical.js");
    const { readRequest } = await import("../../compiler/inputs.js");
    const { loadEntities, runtimeCrypto } = await import("../../runtime/index.js");
    const b = loadBundle(
      bundleFrom(
        "permit (principal, action, resource) when { context.s like \"a*\" };",
        "entity User; entity Doc; action view appliesTo { principal: [User], resource: [Doc], context: { s: String, n: Long, ok?: Bool, ip: ipaddr, who: { id: String, d?: decimal }, tags?: Set<String> } };",
      ),
    ).bundle!;
    const store = loadEntities(b, []).store!;
    const str = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.constantFrom('"', "\\", "\u0000", "\ud800", "\u{1f600}", "__proto__"));
    const opt = (a: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => fc.option(a, { nil: undefined });
    const context = fc.record({
      s: str,
      n: fc.oneof(fc.integer(), fc.constantFrom(-0, 2 ** 53 - 1)),
      ok: opt(fc.boolean()),
      ip: fc.constantFrom<unknown>("10.0.0.1", "::1/64", { __extn: { fn: "ip", arg: "10.0.0.0/8" } }),
      who: fc.record({ id: str, d: opt(fc.constantFrom<unknown>("1.5", { __extn: { fn: "decimal", arg: "-2.0" } })) }),
      tags: opt(fc.array(str, { maxLength: 3 })),
    });
    fc.assert(
      fc.property(str, context, (id, c) => {
        const json = JSON.parse(JSON.stringify({ principal: { type: "User", id }, action: { type: "Action", id: "view" }, resource: { type: "Doc", id: "d" }, context: c })) as RequestJson;
        const record = decide(b, json, store);
        const request = readRequest(json, b.schema).request;
        expect(request).toBeDefined();
        let expected: string;
        try {
          expected = runtimeCrypto.sha256Id(canonicalJson({ entitiesId: store.id, request: canonicalRequest(request!) }));
        } catch {
          // A lone surrogate: no canonical text, the record is a W5004 deny.
          expect(record.errors.map((e) => e.code)).toEqual(["W5004"]);
          return;
        }
        expect(record.errors).toEqual([]);
        expect(record.requestDigest).toBe(expected);
      }),
      { numRuns: 400, seed: 6 },
    );
  });

  it("stays exact when records with the same key count recur in other orders (the cached key layouts)", async () => {
    const { requestDigestText } = await import("../../runtime/request-text.js");
    const { canonicalRequest } = await import("../../runtime/decision-record.js");
    const { canonicalJson } = await import("../../compiler/canonical.js");
    const { RecordValue, EntityUID } = await import("../../stdlib/value.js");
    const key = fc.constantFrom("a", "b", "B", "é", "aa", "\u{1f600}", "z", "__proto__");
    const record = fc.uniqueArray(fc.tuple(key, fc.oneof(fc.boolean(), fc.string({ maxLength: 3 }))), { selector: ([k]) => k, maxLength: 5 });
    fc.assert(
      fc.property(fc.array(fc.tuple(record, fc.option(record)), { minLength: 1, maxLength: 8 }), (contexts) => {
        for (const [ctx, inner] of contexts) {
          const fields = new Map<string, import("../../stdlib/value.js").Value>(ctx);
          if (inner !== null) fields.set("nested", new RecordValue(new Map(inner)));
          const request = { principal: new EntityUID("User", "u"), action: new EntityUID("Action", "view"), resource: new EntityUID("Doc", "d"), context: new RecordValue(fields) };
          expect(requestDigestText(request, "sha256:abc")).toBe(canonicalJson({ entitiesId: "sha256:abc", request: canonicalRequest(request) }));
        }
      }),
      { numRuns: 300, seed: 5 },
    );
  });
});
