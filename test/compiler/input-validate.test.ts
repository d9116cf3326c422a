/**
 * Entity validation's fast path: `validateEntity` answers a conforming entity without
 * building messages; it must agree with the full check (`entityProblems`) on every entity.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseSchema } from "../../lang/index.js";
import { loadSchema, type Schema } from "../../compiler/schema.js";
import { entityProblems, validateEntity } from "../../compiler/input-validate.js";
import type { EntityRecord } from "../../stdlib/entities.js";
import { EntityUID, RecordValue, SetValue, type Value } from "../../stdlib/value.js";

const SRC = `
entity Team in [Team];
entity Level enum ["low", "high"];
entity User in [Team] = { name: String, boss?: User, level?: Level, teams: Set<Team>, n?: Long, ok?: Bool };
entity Doc in [Team] = { owner: User, meta?: { size: Long, tags?: Set<String> } } tags Long;
action view appliesTo { principal: [User], resource: [Doc] };
`;

function schema(): Schema {
  const r = loadSchema(parseSchema(SRC).ast!);
  expect(r.diagnostics).toEqual([]);
  return r.schema!;
}

const TYPES = ["Team", "Level", "User", "Doc", "Action", "Nope"];
const uid = fc.tuple(fc.constantFrom(...TYPES), fc.constantFrom("a", "low", "high", "view", "x")).map(([t, i]) => new EntityUID(t, i));
const leaf: fc.Arbitrary<Value> = fc.oneof(fc.boolean(), fc.bigInt({ min: -5n, max: 5n }), fc.constantFrom("s", "t"), uid);
const value: fc.Arbitrary<Value> = fc.letrec<{ v: Value }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("v"), { maxLength: 3 }).map((xs) => new SetValue(xs)),
    fc.dictionary(fc.constantFrom("size", "tags", "x"), tie("v"), { maxKeys: 3 }).map((o) => new RecordValue(new Map(Object.entries(o)))),
  ),
})).v;
const NAMES = ["name", "boss", "level", "teams", "n", "ok", "owner", "meta", "extra"];
const attrs = fc.dictionary(fc.constantFrom(...NAMES), value, { maxKeys: 5 }).map((o) => new RecordValue(new Map(Object.entries(o))));
/** Mostly-conforming users and docs, so that both paths get exercised. */
const user = fc
  .record({ name: fc.constantFrom("n", 1n), teams: fc.array(uid, { maxLength: 2 }), level: fc.option(uid, { nil: undefined }) })
  .map(({ name, teams, level }) => {
    const m = new Map<string, Value>([["name", name], ["teams", new SetValue(teams)]]);
    if (level !== undefined) m.set("level", level);
    return new RecordValue(m);
  });
const record: fc.Arbitrary<EntityRecord> = fc
  .record({
    uid,
    attrs: fc.oneof(attrs, user),
    parents: fc.array(uid, { maxLength: 3 }),
    tags: fc.dictionary(fc.constantFrom("a", "b"), fc.oneof(fc.bigInt({ min: 0n, max: 3n }), leaf), { maxKeys: 2 }).map((o) => new RecordValue(new Map(Object.entries(o)))),
  });

describe("validateEntity", () => {
  it("always agrees with the full check (fast path for conforming entities)", () => {
    const s = schema();
    let conforming = 0;
    fc.assert(
      fc.property(record, (e) => {
        const fast = validateEntity(s, e);
        expect(fast).toEqual(entityProblems(s, e));
        if (fast.length === 0) conforming++;
      }),
      { numRuns: 2000, seed: 4242 },
    );
    expect(conforming).toBeGreaterThan(20);
  });

  it("accepts a conforming user and names the problems of a wrong one", () => {
    const s = schema();
    const ok: EntityRecord = {
      uid: new EntityUID("User", "a"),
      attrs: new RecordValue(new Map<string, Value>([["name", "A"], ["teams", new SetValue([new EntityUID("Team", "t")])]])),
      parents: [new EntityUID("Team", "t")],
      tags: new RecordValue(new Map()),
    };
    expect(validateEntity(s, ok)).toEqual([]);
    const bad = { ...ok, parents: [new EntityUID("Doc", "d")], tags: new RecordValue(new Map<string, Value>([["a", 1n]])) };
    expect(validateEntity(s, bad).map((d) => d.message)).toEqual([
      'entity `User::"a"` cannot be a member of `Doc::"d"`: the schema allows parents of type `Team`',
      'entity `User::"a"` has tags, but entity type `User` declares none',
    ]);
  });
});
