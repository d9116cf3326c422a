/**
 * Standard base64: the native encoder used on Node and the portable loop used elsewhere give
 * the same text for every byte string, and strict decoding reads it back.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { base64Decode, base64Encode, base64EncodeLoop } from "../../runtime/crypto/base64.js";

describe("base64", () => {
  it("the native and the portable encoder always agree, and decoding gives the bytes back", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(8), (raw, skip) => {
        // A view into a larger buffer: the encoder must read only the view's bytes.
        const view = new Uint8Array(raw.length + skip + 3);
        view.set(raw, skip);
        const bytes = view.subarray(skip, skip + raw.length);
        const text = base64Encode(bytes);
        expect(text).toBe(base64EncodeLoop(bytes));
        expect(base64Decode(text)).toEqual(new Uint8Array(raw));
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it("known answers (RFC 4648 §10)", () => {
    const enc = new TextEncoder();
    for (const [plain, b64] of [["", ""], ["f", "Zg=="], ["fo", "Zm8="], ["foo", "Zm9v"], ["foob", "Zm9vYg=="], ["fooba", "Zm9vYmE="], ["foobar", "Zm9vYmFy"]] as const) {
      expect(base64Encode(enc.encode(plain))).toBe(b64);
      expect(base64EncodeLoop(enc.encode(plain))).toBe(b64);
    }
  });
});
