import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  Datetime,
  Decimal,
  Duration,
  EntityUID,
  I64_MAX,
  I64_MIN,
  IpAddr,
  RecordValue,
  SetValue,
  entitiesFromJson,
  entityUidFromJson,
  parseJsonText,
  stringifyJson,
  valueEquals,
  valueFromJson,
  valueKey,
  valueToJson,
  type JsonValue,
  type Value,
  type ValueHint,
} from "../../stdlib/index.js";
import { conformanceData, describeConformance } from "../support/conformance.js";

function val(j: JsonValue, hint?: ValueHint): Value | string {
  const r = valueFromJson(j, hint);
  return r.ok ? r.value : `error: ${r.error}`;
}

const smallI64 = fc.oneof(fc.bigInt({ min: I64_MIN, max: I64_MAX }), fc.bigInt({ min: -5n, max: 5n }));
const extension: fc.Arbitrary<Value> = fc.oneof(
  smallI64.map((n) => new Decimal(n)),
  fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }).chain((a) => fc.integer({ min: 0, max: 32 }).map((p) => new IpAddr(4, a, p))),
  fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map((a) => new IpAddr(6, a, 128)),
  smallI64.map((n) => new Datetime(n)),
  smallI64.map((n) => new Duration(n)),
);
const leaf: fc.Arbitrary<Value> = fc.oneof(
  fc.boolean(),
  smallI64,
  fc.string({ maxLength: 6 }),
  fc.tuple(fc.constantFrom("User", "App::Doc"), fc.string({ maxLength: 4 })).map(([t, id]) => new EntityUID(t, id)),
  extension,
);
/** Arbitrary Cedar values (nested sets and records). */
export const valueArb: fc.Arbitrary<Value> = fc.letrec<{ v: Value }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("v"), { maxLength: 4 }).map((xs) => new SetValue(xs)),
    fc
      .array(fc.tuple(fc.constantFrom("a", "b", "__proto__", "type", "id", "__entity", "é"), tie("v")), { maxLength: 4 })
      .map((kvs) => new RecordValue(new Map(kvs)))
      // NOTE: a record whose only key is `__entity` or `__extn` has no Cedar JSON form (it reads back as an escape).
      .filter((r) => !(r.fields.size === 1 && r.fields.has("__entity"))),
  ),
})).v;

describe("valueFromJson", () => {
  it.each<[JsonValue, unknown]>([
    [true, true],
    [42, 42n],
    [-0, 0n],
    ["s", "s"],
    [9007199254740991, 9007199254740991n],
    [I64_MAX, I64_MAX],
    [I64_MIN, I64_MIN],
  ])("reads case %#", (j, want) => {
    expect(val(j)).toBe(want);
  });

  it.each<[JsonValue, RegExp]>([
    [null, /null/],
    [1.5, /integer/],
    [9007199254740993, /exactly/],
    [I64_MAX + 1n, /64-bit/],
    [{ __extn: { fn: "ip", arg: "1.2.3" } }, /invalid IP/],
    [{ __extn: { fn: "ipaddr", arg: "1.2.3.4" } }, /unknown extension function/],
    [{ __extn: { fn: "contains", args: [[1], 1] } }, /unknown extension function/],
    [{ __extn: { fn: "decimal", arg: { __extn: { fn: "decimal", arg: "1.0" } } } }, /expected String/],
    [{ __extn: { fn: "decimal" } }, /arg/],
    [{ __entity: { type: "User" } }, /id/],
    [{ __entity: { type: "in", id: "a" } }, /invalid entity type/],
    [{ __entity: { type: "A::", id: "a" } }, /invalid entity type/],
    [{ a: { b: [null] } }, /^error: a\.b\[0\]: /],
  ])("rejects case %#", (j, re) => {
    expect(val(j)).toMatch(re);
  });

  it("reads escapes, sets and records", () => {
    expect(val({ __entity: { type: "App::User", id: "alice", extra: 1 } })).toEqual(new EntityUID("App::User", "alice"));
    expect(valueEquals(val({ __extn: { fn: "ip", arg: "10.0.0.0/8" } }) as Value, IpAddr.parse("10.0.0.0/8"))).toBe(true);
    const off = val({ __extn: { fn: "offset", args: [{ __extn: { fn: "datetime", arg: "1970-01-01" } }, { __extn: { fn: "duration", arg: "1ms" } }] } });
    expect(valueEquals(off as Value, new Datetime(1n))).toBe(true);
    expect(val({ __extn: { fn: "lessThan", args: [{ __extn: { fn: "decimal", arg: "1.0" } }, { __extn: { fn: "decimal", arg: "2.0" } }] } })).toBe(true);
    const s = val([1, 1, 2]) as SetValue;
    expect(s.size).toBe(2);
    // Without a hint these are records, as in Cedar.
    expect(val({ type: "User", id: "a" })).toBeInstanceOf(RecordValue);
    expect(val({ fn: "ip", arg: "1.2.3.4" })).toBeInstanceOf(RecordValue);
    const mixed = val({ __entity: { type: "U", id: "b" }, y: 1 }) as RecordValue;
    expect(mixed.get("y")).toBe(1n);
  });

  it("follows schema hints", () => {
    const hint: ValueHint = {
      kind: "record",
      attr: (n) =>
        n === "owner"
          ? { kind: "entity" }
          : n === "ips"
            ? { kind: "set", element: { kind: "extension", name: "ipaddr" } }
            : n === "when"
              ? { kind: "extension", name: "datetime" }
              : undefined,
    };
    const r = val({ owner: { type: "User", id: "alice" }, ips: ["1.2.3.4", { fn: "ip", arg: "::1" }], when: "2024-01-01", other: { type: "T", id: "x" } }, hint) as RecordValue;
    expect(r.get("owner")).toEqual(new EntityUID("User", "alice"));
    const ips = r.get("ips") as SetValue;
    expect(ips.has(IpAddr.parse("1.2.3.4"))).toBe(true);
    expect(ips.has(IpAddr.parse("::1"))).toBe(true);
    expect(valueEquals(r.get("when")!, Datetime.parse("2024-01-01"))).toBe(true);
    expect(r.get("other")).toBeInstanceOf(RecordValue);
    expect(val("not an ip", { kind: "extension", name: "ipaddr" })).toMatch(/invalid IP/);
    expect(val({ __entity: { type: "User", id: "a" } }, { kind: "entity" })).toEqual(new EntityUID("User", "a"));
  });

  it("never throws on deep nesting", () => {
    let deep: JsonValue = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(val(deep)).toMatch(/nesting/);
  });
});

describe("valueToJson", () => {
  it("writes Cedar's JSON form with sorted record keys", () => {
    const v = new RecordValue(new Map<string, Value>([["b", 1n], ["a", new SetValue([new EntityUID("U", "x"), Decimal.parse("1.5")])]]));
    expect(stringifyJson(valueToJson(v))).toBe('{"a":[{"__entity":{"type":"U","id":"x"}},{"__extn":{"fn":"decimal","arg":"1.5000"}}],"b":1}');
    expect(stringifyJson(valueToJson(I64_MAX))).toBe("9223372036854775807");
  });

  it("cannot express a record whose only key is an escape key (Cedar's format has no way to)", () => {
    const r = new RecordValue(new Map<string, Value>([["__entity", 1n]]));
    expect(valueFromJson(valueToJson(r)).ok).toBe(false);
  });

  it("round-trips: valueFromJson(valueToJson(v)) equals v", () => {
    fc.assert(
      fc.property(valueArb, (v) => {
        const back = valueFromJson(valueToJson(v));
        expect(back.ok).toBe(true);
        expect(back.ok && valueEquals(back.value, v)).toBe(true);
        // Through text as well, with exact 64-bit integers.
        const text = parseJsonText(stringifyJson(valueToJson(v), 2));
        expect(text.ok && valueFromJson(text.value).ok).toBe(true);
        const again = text.ok ? valueFromJson(text.value) : undefined;
        expect(again?.ok && valueEquals(again.value, v)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("valueKey equal ⇔ valueEquals", () => {
    fc.assert(
      fc.property(valueArb, valueArb, (a, b) => {
        expect(valueKey(a) === valueKey(b)).toBe(valueEquals(a, b));
        expect(valueEquals(a, a)).toBe(true);
      }),
      { numRuns: 1000 },
    );
    // Pairs that are often equal, so both directions are exercised.
    const near = fc.constantFrom<Value>(1n, 1n, Decimal.parse("1.0"), new Duration(1n), new Datetime(1n), new SetValue([1n, 1n]), new SetValue([1n]), "1");
    fc.assert(
      fc.property(near, near, (a, b) => {
        expect(valueKey(a) === valueKey(b)).toBe(valueEquals(a, b));
      }),
    );
  });
});

describe("JSON text", () => {
  it("keeps 64-bit integers exact and rejects malformed text", () => {
    const r = parseJsonText('{"a": [9223372036854775807, -9223372036854775808, 1, -7, 0, "x\\u00e9"]}');
    expect(r.ok && r.value).toEqual({ a: [I64_MAX, I64_MIN, 1, -7, 0, "xé"] });
    for (const bad of ["", "{", '{"a":1,"a":2}', "[1,]", "01", "{'a':1}", '"\\x"', "1 2", "nul"]) {
      expect(parseJsonText(bad).ok).toBe(false);
    }
    expect(parseJsonText("[".repeat(100_000)).ok).toBe(false);
  });

  it("stringifies like JSON.stringify for plain JSON", () => {
    const j = { b: [1, "x", null, true], a: { c: {} } };
    expect(stringifyJson(j)).toBe(JSON.stringify(j));
    expect(stringifyJson(j, 2)).toBe(JSON.stringify(j, null, 2));
  });
});

describe("entitiesFromJson", () => {
  it("reads Cedar's entities format", () => {
    const r = entitiesFromJson([
      { uid: { type: "User", id: "alice" }, attrs: { age: 30, ip: { __extn: { fn: "ip", arg: "1.2.3.4" } } }, parents: [{ type: "Group", id: "admins" }] },
      { uid: { __entity: { type: "Group", id: "admins" } }, attrs: {}, parents: [{ __entity: { type: "Group", id: "all" } }], tags: { level: 3 } },
    ]);
    expect(r.diagnostics).toEqual([]);
    const s = r.entities!;
    expect(s.isDescendant(new EntityUID("User", "alice"), new EntityUID("Group", "all"))).toBe(true);
    expect(s.attrs(new EntityUID("User", "alice"))?.get("age")).toBe(30n);
    expect(s.tags(new EntityUID("Group", "admins"))?.get("level")).toBe(3n);
    expect(s.tags(new EntityUID("User", "alice"))?.fields.size).toBe(0);
  });

  it("applies per-type hints to attributes and tags", () => {
    const r = entitiesFromJson([{ uid: { type: "User", id: "a" }, attrs: { mgr: { type: "User", id: "b" } }, parents: [], tags: { t: "10.0.0.1" } }], (type) =>
      type === "User" ? { attrs: { kind: "record", attr: (n) => (n === "mgr" ? { kind: "entity" } : undefined) }, tags: { kind: "extension", name: "ipaddr" } } : undefined,
    );
    expect(r.diagnostics).toEqual([]);
    const u = new EntityUID("User", "a");
    expect(r.entities?.attrs(u)?.get("mgr")).toEqual(new EntityUID("User", "b"));
    expect(r.entities?.tags(u)?.get("t")).toBeInstanceOf(IpAddr);
  });

  it.each<[JsonValue, RegExp]>([
    [{}, /must be a JSON array/],
    [[1], /entity #0: expected an object/],
    [[{ attrs: {}, parents: [] }], /entity #0: `uid`: missing/],
    [[{ uid: { type: "User", id: "a" }, parents: [] }], /entity User::"a": `attrs` must be an object \(missing\)/],
    [[{ uid: { type: "User", id: "a" }, attrs: {} }], /entity User::"a": `parents` must be an array/],
    [[{ uid: { type: "User", id: "a" }, attrs: { x: null }, parents: [] }], /entity User::"a": attribute x: JSON `null`/],
    [[{ uid: { type: "User", id: "a" }, attrs: { x: 1.5 }, parents: [] }], /attribute x: expected an integer/],
    [[{ uid: { type: "User", id: "a" }, attrs: {}, parents: [], tags: null }], /`tags` must be an object/],
    [[{ uid: { type: "User", id: "a" }, attrs: {}, parents: ["x"] }], /parent #0/],
    [[{ uid: { type: "User", id: "a" }, attrs: { x: 1 }, parents: [] }, { uid: { type: "User", id: "a" }, attrs: { x: 2 }, parents: [] }], /duplicate entity entry User::"a"/],
    [[{ uid: { type: "User", id: "a" }, attrs: {}, parents: [{ type: "User", id: "a" }] }], /cycle/],
  ])("reports %j", (j, re) => {
    const r = entitiesFromJson(j);
    expect(r.entities).toBeUndefined();
    expect(r.diagnostics.length).toBeGreaterThan(0);
    expect(r.diagnostics[0]!.code).toBe("W5003");
    expect(r.diagnostics[0]!.message).toMatch(re);
  });

  it("reads uids in both forms", () => {
    expect(entityUidFromJson({ type: "A", id: "x" })).toEqual({ ok: true, uid: new EntityUID("A", "x") });
    expect(entityUidFromJson({ __entity: { type: "A", id: "x" } })).toEqual({ ok: true, uid: new EntityUID("A", "x") });
    expect(entityUidFromJson("A::x").ok).toBe(false);
  });
});

/** Exact counts of the Cedar corpus's JSON: files, entities files among them, request contexts. A partly missing corpus fails. */
const CEDAR_JSON_FILES = 24;
const CEDAR_ENTITY_FILES = 2;
const CEDAR_CONTEXTS = 74;
const cedarData = conformanceData("cedar");

describeConformance("Cedar conformance data", cedarData, () => {
  const root = cedarData.dir;
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".json") ? [join(dir, e.name)] : []));
  const all = files(root);

  it("finds the corpus", () => {
    expect(all.length).toBe(CEDAR_JSON_FILES);
  });

  it("reads every entities file and every request context without hints", () => {
    let entityFiles = 0;
    let contexts = 0;
    for (const f of all) {
      const parsed = parseJsonText(readFileSync(f, "utf8"));
      expect(parsed.ok).toBe(true);
      if (!parsed.ok) continue;
      const j = parsed.value;
      if (Array.isArray(j)) {
        const r = entitiesFromJson(j);
        expect(r.diagnostics).toEqual([]);
        expect(r.entities?.size).toBe(j.length);
        entityFiles++;
      } else if (typeof j === "object" && j !== null && Array.isArray((j as { requests?: unknown }).requests)) {
        for (const req of (j as { requests: { context: JsonValue }[] }).requests) {
          const c = valueFromJson(req.context);
          expect(c.ok).toBe(true);
          contexts++;
        }
      }
    }
    expect(entityFiles).toBe(CEDAR_ENTITY_FILES);
    expect(contexts).toBe(CEDAR_CONTEXTS);
  });
});

describe("JSON numbers that are not integers as written", () => {
  // Cedar reads these as floats and refuses them, even when the value is whole.
  it.each(["1e2", "1E2", "1.0", "100.000", "-0", "-1.0e0", "1.5", "0e0", "2E-0"])("refuses %s, naming it as written, at its offset", (num) => {
    const text = `{"attrs": {"n": ${num}}}`;
    const r = parseJsonText(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toContain(`\`${num}\``);
    expect(r.offset).toBe(text.indexOf(num));
  });

  it("accepts integers written plainly, including 0 and big ones", () => {
    const r = parseJsonText('[0, -1, 100, 12345678901234567890]');
    expect(r.ok && r.value).toEqual([0, -1, 100, 12345678901234567890n]);
  });

  it("an entities file with `1e2` for a Long is refused before any value is read", () => {
    const text = '[{"uid": {"type": "U", "id": "a"}, "attrs": {"n": 1e2}, "parents": []}]';
    const r = parseJsonText(text);
    expect(r.ok).toBe(false);
    // The same data through JSON.parse cannot be told from 100 any more: that is why the text reader refuses it.
    expect(entitiesFromJson(JSON.parse(text) as JsonValue).diagnostics).toEqual([]);
  });
});
