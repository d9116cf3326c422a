/**
 * Key ids and verifier keys are remembered per (name, key): the remembered answers must be
 * the computed ones, whatever the order of calls, and a caller changing a returned key id
 * must not change the next answer.
 */
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { keyIdOf, verifierKey } from "../../runtime/lineage/signed-note.js";

function computedKeyId(name: string, publicKey: Uint8Array): string {
  return createHash("sha256")
    .update(Buffer.concat([Buffer.from(name, "utf8"), Buffer.from([0x0a, 0x01]), Buffer.from(publicKey)]))
    .digest("hex")
    .slice(0, 8);
}

describe("signed-note key id memo", () => {
  it("property: remembered key ids and verifier keys equal the computed ones, in any order of (name, key) pairs", () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9./-]{0,20}$/);
    const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(fc.array(fc.tuple(name, key), { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { minLength: 1, maxLength: 80 }), (pairs, picks) => {
        for (const p of picks) {
          const [n, k] = pairs[p % pairs.length]!;
          const id = computedKeyId(n, k);
          expect(Buffer.from(keyIdOf(n, k)).toString("hex")).toBe(id);
          expect(verifierKey(n, k)).toBe(`${n}+${id}+${Buffer.from([0x01, ...k]).toString("base64")}`);
        }
      }),
      { seed: 11, numRuns: 300 },
    );
  });

  it("a caller changing a returned key id does not change the next answer", () => {
    const key = new Uint8Array(32).fill(3);
    const first = keyIdOf("writ-lineage/x", key);
    const expected = Buffer.from(first).toString("hex");
    first.fill(0);
    expect(Buffer.from(keyIdOf("writ-lineage/x", key)).toString("hex")).toBe(expected);
  });
});
