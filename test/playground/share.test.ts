/**
 * Share URLs: the state survives encode → decode exactly, and anything else decodes to nothing.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeState, encodeState, SHARE_PREFIX } from "../../playground/src/share.js";
import { DEFAULT_STATE } from "../../playground/src/default-example.js";
import type { PlaygroundState } from "../../playground/src/protocol.js";

const stateArb: fc.Arbitrary<PlaygroundState> = fc.record({
  policies: fc.string({ unit: "grapheme", maxLength: 300 }),
  schema: fc.string({ maxLength: 200 }),
  entities: fc.string({ unit: "binary", maxLength: 200 }),
  request: fc.json(),
  semantics: fc.constantFrom("fail-closed" as const, "cedar" as const),
});

describe("share URL", () => {
  it("round-trips every state exactly", async () => {
    await fc.assert(
      fc.asyncProperty(stateArb, async (s) => {
        const fragment = await encodeState(s);
        expect(fragment.startsWith(SHARE_PREFIX)).toBe(true);
        expect(fragment.slice(SHARE_PREFIX.length)).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(await decodeState(fragment)).toEqual(s);
      }),
      { numRuns: 200 },
    );
  });

  it("compresses the built-in example well below its size", async () => {
    const fragment = await encodeState(DEFAULT_STATE);
    const raw = DEFAULT_STATE.policies.length + DEFAULT_STATE.schema.length + DEFAULT_STATE.entities.length + DEFAULT_STATE.request.length;
    expect(fragment.length).toBeLessThan(raw * 0.6);
  });

  it("decodes other or damaged fragments to undefined", async () => {
    const good = await encodeState(DEFAULT_STATE);
    expect(await decodeState("")).toBeUndefined();
    expect(await decodeState("#other=abc")).toBeUndefined();
    expect(await decodeState(good.slice(0, good.length - 12))).toBeUndefined();
    expect(await decodeState(`${SHARE_PREFIX}!!!`)).toBeUndefined();
    // A valid deflate stream of the wrong shape.
    const wrong = await encodeState({ ...DEFAULT_STATE, semantics: "strict" as unknown as PlaygroundState["semantics"] });
    expect(await decodeState(wrong)).toBeUndefined();
  });
});
