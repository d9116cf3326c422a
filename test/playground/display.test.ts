/**
 * The shared display helpers: evaluation results become plain JSON without losing a Long,
 * and shortened ids and labels never grow.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clip, jsonText, plainJson, shortId } from "../../playground/src/shared/display.js";

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

describe("display helpers", () => {
  it("always turns a Long into an exact number inside ±2^53 and into its decimal text beyond", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => {
        const p = plainJson(v);
        if (v >= -SAFE && v <= SAFE) expect(p).toBe(Number(v));
        else expect(p).toBe(v.toString());
      }),
    );
  });

  it("always gives JSON text for nested records, sets and maps of Longs", () => {
    const leaf = fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.string(), fc.boolean());
    const tree = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: "small" }, leaf, fc.array(tie("node"), { maxLength: 4 }), fc.dictionary(fc.string(), tie("node"), { maxKeys: 4 })),
    })).node;
    fc.assert(
      fc.property(tree, (v) => {
        const text = jsonText(v);
        expect(JSON.parse(text)).toEqual(plainJson(v));
      }),
    );
    expect(jsonText(new Map<string, unknown>([["level", 3n], ["big", 2n ** 60n]]))).toBe('{"level":3,"big":"1152921504606846976"}');
  });

  it("never lengthens an id or a label, and keeps short ones whole", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.integer({ min: 1, max: 40 }), (s, n) => {
        expect(clip(s, n).length).toBeLessThanOrEqual(n);
        if (s.length <= n) expect(clip(s, n)).toBe(s);
        expect(shortId(s).length).toBeLessThanOrEqual(s.length);
      }),
    );
    expect(shortId(`sha256:${"a".repeat(64)}`)).toBe(`sha256:${"a".repeat(12)}…`);
  });
});
