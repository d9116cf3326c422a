import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Entities, EntityUID, RecordValue, bareEntity, type EntityRecord } from "../../stdlib/index.js";
import { IpAddr } from "../../stdlib/ipaddr.js";

const rec = (fields: Record<string, bigint>) => new RecordValue(new Map(Object.entries(fields)));

describe("EntityUID.key", () => {
  it("is always `Type::` followed by the JSON-quoted id (with or without characters to escape)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.constantFrom("User", "A::B"), (id, type) => {
        expect(new EntityUID(type, id).key).toBe(`${type}::${JSON.stringify(id)}`);
      }),
      { numRuns: 2000 },
    );
    expect(new EntityUID("User", 'a"b\\c\n\u{1F600}\ud800').key).toBe(`User::${JSON.stringify('a"b\\c\n\u{1F600}\ud800')}`);
  });

  it("keeps the store memo out of equality and serialization", () => {
    const a = new EntityUID("User", "alice");
    const s = new Entities([bareEntity(a)]);
    expect(s.has(a)).toBe(true);
    expect(a).toEqual(new EntityUID("User", "alice"));
    expect(JSON.stringify(a)).toBe(JSON.stringify(new EntityUID("User", "alice")));
    expect(Object.keys(a).sort()).toEqual(["id", "key", "type"]);
  });
});

describe("Entities lookup memo", () => {
  it("answers for the store asked, whatever store the same uid object was asked of before", () => {
    const u = new EntityUID("User", "alice");
    const g = new EntityUID("Group", "g");
    const r1: EntityRecord = { uid: u, attrs: rec({ n: 1n }), parents: [g], tags: rec({}) };
    const r2: EntityRecord = { uid: u, attrs: rec({ n: 2n }), parents: [], tags: rec({}) };
    const s1 = new Entities([r1]);
    const s2 = new Entities([r2]);
    const s3 = Entities.empty();
    for (let i = 0; i < 3; i++) {
      expect(s1.get(u)).toBe(r1);
      expect(s2.get(u)).toBe(r2);
      expect(s3.get(u)).toBeUndefined();
      expect(s1.attrFields(u)?.get("n")).toBe(1n);
      expect(s2.attrFields(u)?.get("n")).toBe(2n);
      expect(s3.attrFields(u)).toBeUndefined();
      expect(s1.isDescendant(u, g)).toBe(true);
      expect(s2.isDescendant(u, g)).toBe(false);
      expect([...s1.ancestors(u)]).toEqual([g.key]);
      expect(s2.ancestors(u).size).toBe(0);
      // A distinct but equal uid object gets the same answers.
      expect(s1.get(new EntityUID("User", "alice"))).toBe(r1);
    }
  });
});

describe("IpAddr range bounds", () => {
  it("are the same on repeated use (computed once) and match the prefix", () => {
    const a = IpAddr.parse("10.1.2.3/8");
    expect(a.rangeStart()).toBe(0x0a000000n);
    expect(a.rangeEnd()).toBe(0x0affffffn);
    expect(a.rangeStart()).toBe(0x0a000000n);
    expect(a.rangeEnd()).toBe(0x0affffffn);
    expect(IpAddr.parse("10.200.0.7").isInRange(a)).toBe(true);
    expect(IpAddr.parse("11.0.0.0").isInRange(a)).toBe(false);
    expect(a).toEqual(IpAddr.parse("10.1.2.3/8"));
  });

  it("parses dotted quads exactly as the octet rules say", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.nat(300).map(String), fc.constantFrom("", "01", "00", "1a", "0", "255", "256", "1234")), { minLength: 1, maxLength: 6 }), (parts) => {
        const text = parts.join(".");
        const ok = parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
        const r = IpAddr.tryParse(text);
        expect(r !== undefined).toBe(ok);
        if (r !== undefined) expect(r.addr).toBe(parts.reduce((v, p) => (v << 8n) | BigInt(Number(p)), 0n));
      }),
      { numRuns: 2000 },
    );
  });
});
