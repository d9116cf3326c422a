/**
 * isoTime: the text `Date.prototype.toISOString` gives, whatever order times are asked in
 * (its memo of the last two must never answer for another time).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isoTime } from "../../runtime/iso-time.js";

/** The largest time a Date holds (±100,000,000 days from the epoch). */
const MAX_MS = 8.64e15;

describe("isoTime", () => {
  it("is toISOString for every sequence of valid times, repeats and alternations included (property)", () => {
    const time = fc.oneof(fc.integer({ min: -MAX_MS, max: MAX_MS }), fc.constantFrom(0, -1, 1, 253402300799999, 253402300800000, -62167219200001, -MAX_MS, MAX_MS));
    fc.assert(
      fc.property(fc.array(time, { minLength: 1, maxLength: 12 }), fc.array(fc.nat(11), { maxLength: 24 }), (times, picks) => {
        const asked = [...times, ...picks.map((i) => times[i % times.length]!)];
        for (const ms of asked) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 500, seed: 3339 },
    );
  });

  it("throws RangeError where toISOString does, and remembers nothing for it", () => {
    const before = isoTime(1_000);
    for (const bad of [Number.NaN, MAX_MS + 1, -MAX_MS - 1, Infinity]) expect(() => isoTime(bad)).toThrow(RangeError);
    expect(isoTime(1_000)).toBe(before);
    expect(isoTime(2_000)).toBe("1970-01-01T00:00:02.000Z");
  });
});
