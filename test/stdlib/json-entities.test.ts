/**
 * Reading an entities file shares one uid object per (type, id) and checks each type name
 * once; the records and diagnostics must be exactly those of reading every uid and value
 * on its own (the definition, spelled out here).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { entityRecordsFromJson, entityUidFromJson, valueFromJson, type EntityHints, type JsonValue } from "../../stdlib/json.js";
import { RecordValue, type EntityUID } from "../../stdlib/value.js";

/** The definition: each entity read field by field with the public one-value readers. */
function definition(json: readonly JsonValue[], hintFor?: (t: string) => EntityHints | undefined): { records: unknown[] | undefined; messages: string[] } {
  const records: unknown[] = [];
  const messages: string[] = [];
  json.forEach((e, i) => {
    if (typeof e !== "object" || e === null || Array.isArray(e)) return void messages.push(`entity #${i}: expected an object, found ${Array.isArray(e) ? "an array" : e === null ? "null" : `${typeof e} ${JSON.stringify(e)}`}`);
    const o = e as { readonly [k: string]: JsonValue };
    const u = entityUidFromJson(o["uid"] === undefined ? null : o["uid"]);
    if (!u.ok) return void messages.push(`entity #${i}: \`uid\`: ${o["uid"] === undefined ? "missing" : u.error}`);
    const name = `entity ${u.uid.key}`;
    const hints = hintFor?.(u.uid.type);
    const isObj = (x: unknown) => typeof x === "object" && x !== null && !Array.isArray(x);
    if (!isObj(o["attrs"])) return void messages.push(`${name}: \`attrs\` must be an object${o["attrs"] === undefined ? " (missing)" : ""}`);
    if (!Array.isArray(o["parents"])) return void messages.push(`${name}: \`parents\` must be an array${o["parents"] === undefined ? " (missing)" : ""}`);
    if (o["tags"] !== undefined && !isObj(o["tags"])) return void messages.push(`${name}: \`tags\` must be an object`);
    const attrs = valueFromJson(o["attrs"]!, hints?.attrs?.kind === "record" ? hints.attrs : undefined);
    if (!attrs.ok) return void messages.push(`${name}: attribute ${attrs.error}`);
    const tags = valueFromJson(o["tags"] ?? {}, { kind: "record", attr: () => hints?.tags });
    if (!tags.ok) return void messages.push(`${name}: tag ${tags.error}`);
    const parents: EntityUID[] = [];
    for (const [p, pj] of (o["parents"] as JsonValue[]).entries()) {
      const r = entityUidFromJson(pj);
      if (!r.ok) return void messages.push(`${name}: parent #${p}: ${r.error}`);
      const action = (t: string) => t === "Action" || t.endsWith("::Action");
      if (action(u.uid.type) && !action(r.uid.type))
        return void messages.push(`${name}: action has a non-action parent ${r.uid.key} (parents of actions must have type \`Action\`, possibly namespaced)`);
      parents.push(r.uid);
    }
    records.push({ uid: u.uid, attrs: attrs.value, parents, tags: tags.value });
  });
  return { records: messages.length > 0 ? undefined : records, messages };
}

const type = fc.constantFrom("User", "Group", "Action", "NS::Action", "bad type", "if");
const id = fc.constantFrom("a", "b", "c\"q", "");
const uidJ = fc.oneof(
  fc.record({ type, id }),
  fc.record({ __entity: fc.record({ type, id }) }),
  fc.constantFrom<JsonValue>(null, 3, "User::a", { type: "User" }, { type: 1, id: "a" }),
);
const leaf = fc.oneof(fc.boolean(), fc.integer({ min: -3, max: 3 }), fc.constantFrom("s", "10.0.0.1"), fc.constantFrom<JsonValue>(1.5, null));
const value: fc.Arbitrary<JsonValue> = fc.letrec<{ v: JsonValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    uidJ.map((u) => ({ __entity: u })),
    uidJ,
    fc.array(tie("v"), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom("x", "boss", "ip", "__entity"), tie("v"), { maxKeys: 2 }),
  ),
})).v;
const entity: fc.Arbitrary<JsonValue> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ uid: uidJ, attrs: fc.dictionary(fc.constantFrom("boss", "ip", "x"), value, { maxKeys: 3 }), parents: fc.array(uidJ, { maxLength: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ uid: uidJ, attrs: fc.dictionary(fc.constantFrom("boss", "x"), value), parents: fc.array(uidJ, { maxLength: 2 }), tags: fc.dictionary(fc.constantFrom("t", "u"), value, { maxKeys: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ uid: uidJ, attrs: value, parents: value }, { requiredKeys: ["uid"] }) },
  { weight: 1, arbitrary: value },
);
/** Entities that read without a problem (so that the records are compared, not only the messages). */
const goodUid = fc.record({ type: fc.constantFrom("User", "Group"), id });
const goodValue = fc.oneof(fc.boolean(), fc.integer({ min: -3, max: 3 }), fc.constant("10.0.0.1"), goodUid.map((u) => ({ __entity: u })), fc.array(goodUid.map((u) => ({ __entity: u })), { maxLength: 2 }));
const goodEntity: fc.Arbitrary<JsonValue> = fc.record(
  { uid: goodUid, attrs: fc.record({ boss: goodUid, x: goodValue }, { requiredKeys: [] }), parents: fc.array(goodUid, { maxLength: 3 }), tags: fc.dictionary(fc.constantFrom("t"), goodUid) },
  { requiredKeys: ["uid", "attrs", "parents"] },
);
const HINTS: EntityHints = {
  attrs: { kind: "record", attr: (n) => (n === "boss" ? { kind: "entity" } : n === "ip" ? { kind: "extension", name: "ipaddr" } : undefined) },
  tags: { kind: "entity" },
};

describe("entityRecordsFromJson", () => {
  it("always reads what reading each uid and value on its own reads (shared uids change nothing)", () => {
    let read = 0;
    fc.assert(
      fc.property(fc.array(fc.oneof({ weight: 8, arbitrary: goodEntity }, { weight: 1, arbitrary: entity }), { maxLength: 6 }), fc.boolean(), (json, hinted) => {
        const hintFor = hinted ? (t: string) => (t === "User" ? HINTS : undefined) : undefined;
        const fast = entityRecordsFromJson(json, hintFor);
        const slow = definition(json, hintFor);
        expect(fast.diagnostics.map((d) => d.message)).toEqual(slow.messages);
        expect(fast.records).toEqual(slow.records);
        if ((fast.records?.length ?? 0) > 1) read++;
      }),
      { numRuns: 1500, seed: 77 },
    );
    expect(read).toBeGreaterThan(50);
  });

  it("gives one uid object per (type, id) and shares the empty tags", () => {
    const r = entityRecordsFromJson([
      { uid: { type: "User", id: "a" }, attrs: { boss: { __entity: { type: "User", id: "b" } } }, parents: [{ type: "Group", id: "g" }] },
      { uid: { type: "User", id: "b" }, attrs: {}, parents: [{ __entity: { type: "Group", id: "g" } }] },
    ]);
    expect(r.diagnostics).toEqual([]);
    const [a, b] = r.records!;
    expect(a!.parents[0]).toBe(b!.parents[0]);
    expect(a!.attrs.get("boss")).toBe(b!.uid);
    expect(a!.tags).toBe(b!.tags);
    expect(a!.tags).toEqual(new RecordValue(new Map()));
  });
});
