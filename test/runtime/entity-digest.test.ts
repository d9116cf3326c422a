/**
 * The entity set's content id, computed the way `entity-digest.ts` defines it (spelled out
 * here on plain maps and arrays), agrees with `EntityDigest` — loaded at once (a uid given
 * twice: the last one counts) and after any updates — and `leafOf` finds exactly the leaves.
 */
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../compiler/canonical.js";
import { bucketOf, EntityDigest, entityForm, ENTITY_BUCKETS } from "../../runtime/entity-digest.js";
import type { EntityRecord } from "../../stdlib/entities.js";
import { EntityUID, RecordValue, SetValue, type Value } from "../../stdlib/value.js";

const sha256 = (d: Uint8Array | string): Uint8Array => new Uint8Array(createHash("sha256").update(d).digest());

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** The definition: leaves of the distinct entities by bucket, each bucket sorted bytewise and hashed, then the id. */
function definition(byKey: ReadonlyMap<string, EntityRecord>): string {
  const buckets: Uint8Array[][] = Array.from({ length: ENTITY_BUCKETS }, () => []);
  for (const [k, r] of byKey) buckets[bucketOf(k)]!.push(sha256(canonicalJson(entityForm(r))));
  const parts: Uint8Array[] = [new TextEncoder().encode("writ-entities/1\u0000")];
  for (const b of buckets) parts.push(b.length === 0 ? new Uint8Array(32) : sha256(Buffer.concat(b.sort(compare))));
  return `sha256:${createHash("sha256").update(Buffer.concat(parts)).digest("hex")}`;
}

// Few types and ids, so that buckets hold several entities and uids repeat.
const uid = fc.tuple(fc.constantFrom("User", "Doc", "A::B"), fc.integer({ min: 0, max: 40 })).map(([t, i]) => new EntityUID(t, `e${i}`));
const value: fc.Arbitrary<Value> = fc.oneof(fc.boolean(), fc.bigInt({ min: -3n, max: 3n }), fc.string({ maxLength: 3 }), uid, fc.array(uid, { maxLength: 2 }).map((xs) => new SetValue(xs)));
const record: fc.Arbitrary<EntityRecord> = fc.record({
  uid,
  attrs: fc.dictionary(fc.constantFrom("a", "b", "c"), value, { maxKeys: 3 }).map((o) => new RecordValue(new Map(Object.entries(o)))),
  parents: fc.array(uid, { maxLength: 3 }),
  tags: fc.constant(new RecordValue(new Map())),
});

function lastWins(records: readonly EntityRecord[]): Map<string, EntityRecord> {
  return new Map(records.map((r) => [r.uid.key, r]));
}

describe("EntityDigest", () => {
  it("always has the id of the definition, loaded at once or through updates; leafOf finds exactly the entities", () => {
    fc.assert(
      fc.property(
        fc.array(record, { maxLength: 60 }),
        fc.array(fc.record({ upsert: fc.array(record, { maxLength: 8 }), remove: fc.array(uid, { maxLength: 4 }) }), { maxLength: 3 }),
        (records, updates) => {
          let digest = EntityDigest.of(records, sha256);
          const set = lastWins(records);
          expect(digest.id).toBe(definition(set));
          expect(digest.size).toBe(set.size);
          for (const u of updates) {
            // As the store calls it: distinct upserts, and no uid both upserted and removed.
            const upsert = [...lastWins(u.upsert).values()];
            const remove = u.remove.map((x) => x.key).filter((k) => !upsert.some((r) => r.uid.key === k));
            digest = digest.update(upsert, remove);
            for (const k of remove) set.delete(k);
            for (const r of upsert) set.set(r.uid.key, r);
            expect(digest.id).toBe(definition(set));
            expect(digest.size).toBe(set.size);
          }
          for (const [k, r] of set) expect(digest.leafOf(k)).toEqual(sha256(canonicalJson(entityForm(r))));
          expect(digest.leafOf('User::"absent"')).toBeUndefined();
        },
      ),
      { numRuns: 300, seed: 909 },
    );
  });

  it("gives the empty set its known id", () => {
    // 4,096 zero bucket hashes after the domain: a known answer for the format itself.
    expect(EntityDigest.of([], sha256).id).toBe("sha256:133652d9e9f2484d01ea029d10c1acc00df4c0ae7d8c0cbf0da3ca1b26a8bec8");
    expect(definition(new Map())).toBe(EntityDigest.of([], sha256).id);
    expect(EntityDigest.of([], sha256).size).toBe(0);
  });
});
