/**
 * DSSE envelopes: the pre-authentication encoding, Ed25519 signing over it, and verification
 * that fails on any change of payload, payload type, signature or key.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { base64Decode, base64Encode } from "../../runtime/crypto/base64.js";
import { browserEd25519 } from "../../runtime/crypto/ed25519-browser.js";
import { nodeEd25519 } from "../../runtime/crypto/ed25519-node.js";
import { IN_TOTO_PAYLOAD_TYPE, IN_TOTO_STATEMENT_TYPE, inTotoStatement, pae, signEnvelope, verifyEnvelope } from "../../runtime/lineage/dsse.js";

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const KEY = new Uint8Array(32).map((_, i) => 7 * i + 3);
const PUB = nodeEd25519.publicKeyOf(KEY);

describe("PAE", () => {
  it("matches the DSSE specification example", () => {
    expect(text(pae("http://example.com/HelloWorld", utf8("hello world")))).toBe("DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  });

  it("counts bytes, not characters, and keeps an empty body", () => {
    expect(text(pae("é", utf8("✓")))).toBe("DSSEv1 2 é 3 ✓");
    expect(text(pae(IN_TOTO_PAYLOAD_TYPE, new Uint8Array()))).toBe(`DSSEv1 28 ${IN_TOTO_PAYLOAD_TYPE} 0 `);
  });

  it("is the specification's concatenation for any type and body (property)", () => {
    const concat = (...parts: Uint8Array[]): string => Buffer.concat(parts).toString("hex");
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.constantFrom(IN_TOTO_PAYLOAD_TYPE, "\u007f", "\u0080")), fc.uint8Array({ maxLength: 300 }), (t, b) => {
        const spec = concat(utf8(`DSSEv1 ${utf8(t).length} `), utf8(t), utf8(` ${b.length} `), b);
        expect(Buffer.from(pae(t, b)).toString("hex")).toBe(spec);
      }),
      { numRuns: 500, seed: 4200 },
    );
  });

  it("is injective: different (type, body) pairs never encode alike", () => {
    fc.assert(
      fc.property(fc.string(), fc.uint8Array(), fc.string(), fc.uint8Array(), (t1, b1, t2, b2) => {
        fc.pre(t1 !== t2 || base64Encode(b1) !== base64Encode(b2));
        expect(base64Encode(pae(t1, b1))).not.toBe(base64Encode(pae(t2, b2)));
      }),
    );
  });
});

describe("envelopes", () => {
  const body = utf8(JSON.stringify(inTotoStatement([{ name: "x", digest: { sha256: "00".repeat(32) } }], "https://example.com/p", { a: 1 })));

  it("sign over the PAE and verify with node and browser Ed25519", () => {
    const env = signEnvelope(IN_TOTO_PAYLOAD_TYPE, body, KEY, "k1", nodeEd25519);
    expect(env.payloadType).toBe(IN_TOTO_PAYLOAD_TYPE);
    expect(base64Decode(env.payload)).toEqual(body);
    expect(nodeEd25519.verify(PUB, pae(IN_TOTO_PAYLOAD_TYPE, body), base64Decode(env.signatures[0]!.sig)!)).toBe(true);
    for (const impl of [nodeEd25519, browserEd25519]) {
      const r = verifyEnvelope(env, PUB, impl);
      expect(r.ok).toBe(true);
      if (r.ok) {
        expect(r.payload).toEqual(body);
        expect(r.keyid).toBe("k1");
      }
    }
    expect(JSON.parse(text(body))._type).toBe(IN_TOTO_STATEMENT_TYPE);
  });

  it("rejects a changed payload type, another key, a key id filter that does not match, and malformed envelopes", () => {
    const env = signEnvelope(IN_TOTO_PAYLOAD_TYPE, body, KEY, "k1", nodeEd25519);
    expect(verifyEnvelope({ ...env, payloadType: "application/json" }, PUB, nodeEd25519).ok).toBe(false);
    expect(verifyEnvelope(env, nodeEd25519.publicKeyOf(new Uint8Array(32).fill(9)), nodeEd25519).ok).toBe(false);
    expect(verifyEnvelope(env, PUB, nodeEd25519, "other").ok).toBe(false);
    expect(verifyEnvelope(env, PUB, nodeEd25519, "k1").ok).toBe(true);
    expect(verifyEnvelope({ ...env, signatures: [] }, PUB, nodeEd25519).ok).toBe(false);
    expect(verifyEnvelope({ ...env, payload: "%%%" }, PUB, nodeEd25519).ok).toBe(false);
    expect(verifyEnvelope(null, PUB, nodeEd25519).ok).toBe(false);
  });

  it("rejects every single-byte change of the payload or the signature", () => {
    const env = signEnvelope(IN_TOTO_PAYLOAD_TYPE, body, KEY, "k1", nodeEd25519);
    const sig = base64Decode(env.signatures[0]!.sig)!;
    fc.assert(
      fc.property(fc.boolean(), fc.nat(), fc.integer({ min: 1, max: 255 }), (inPayload, pos, delta) => {
        const target = inPayload ? body.slice() : sig.slice();
        const i = pos % target.length;
        target[i] = (target[i]! + delta) & 0xff;
        const changed = inPayload
          ? { ...env, payload: base64Encode(target) }
          : { ...env, signatures: [{ keyid: "k1", sig: base64Encode(target) }] };
        expect(verifyEnvelope(changed, PUB, nodeEd25519).ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});
