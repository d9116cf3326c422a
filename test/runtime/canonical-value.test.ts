/**
 * The direct canonical writer of values and entity forms agrees with its definition
 * (`canonicalJson` over the plain JSON form) on every input, including the ones the
 * definition refuses (a lone surrogate), so entity-store ids cannot depend on which runs.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../compiler/canonical.js";
import { toPlainJson } from "../../compiler/ids.js";
import { canonicalValueText, entityText } from "../../runtime/canonical-value.js";
import { entityForm } from "../../runtime/entity-digest.js";
import { parseDatetime, parseDecimal, parseDuration, parseIpAddr } from "../../stdlib/index.js";
import { valueToJson } from "../../stdlib/json.js";
import { EntityUID, RecordValue, type Value } from "../../stdlib/value.js";
import { arbValue } from "../support/arbitraries.js";

const text = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" }), fc.constantFrom('"', "\\", "\u0000", "\ud800", "\udc00x", "__proto__", "é", "a\u2028b"));
const extension = fc
  .constantFrom<[(s: string) => unknown, string]>(
    [parseDecimal, "1.5"],
    [parseDecimal, "-0.0001"],
    [parseIpAddr, "10.0.0.1"],
    [parseIpAddr, "::1"],
    [parseIpAddr, "192.168.0.0/16"],
    [parseDuration, "1h30m"],
    [parseDatetime, "2024-10-15T11:35:00Z"],
  )
  .map(([parse, s]) => parse(s) as Value);
const uid = fc.tuple(fc.oneof(text, fc.constantFrom("User", "Doc")), fc.oneof(text, fc.constantFrom("a", "b"))).map(([t, i]) => new EntityUID(t, i));
const leaf: fc.Arbitrary<Value> = fc.oneof(fc.boolean(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.constantFrom(2n ** 53n - 1n, 2n ** 53n, -(2n ** 53n)), text, uid, extension);
const value = arbValue(leaf, text);
const record = fc.array(fc.tuple(text, value), { maxLength: 5 }).map((kv) => new RecordValue(new Map(kv)));

/** The definition's answer, or undefined when it refuses the input. */
function definition(f: () => string): string | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

describe("canonical value text", () => {
  it("is canonicalJson of the value's plain JSON form for every value", () => {
    fc.assert(
      fc.property(value, (v) => {
        const expected = definition(() => canonicalJson(toPlainJson(valueToJson(v))));
        if (expected === undefined) expect(() => canonicalValueText(v)).toThrow();
        else expect(canonicalValueText(v)).toBe(expected);
      }),
      { numRuns: 1000, seed: 11 },
    );
  });

  it("is canonicalJson of the entity form for every entity (parents repeated and unordered, tags)", () => {
    fc.assert(
      fc.property(uid, record, fc.array(fc.oneof(uid, fc.constantFrom(new EntityUID("G", "x"), new EntityUID("G", "y"))), { maxLength: 5 }), record, (u, attrs, parents, tags) => {
        const r = { uid: u, attrs, parents, tags };
        const expected = definition(() => canonicalJson(entityForm(r)));
        if (expected === undefined) expect(() => entityText(r)).toThrow();
        else expect(entityText(r)).toBe(expected);
      }),
      { numRuns: 1000, seed: 12 },
    );
  });
});
