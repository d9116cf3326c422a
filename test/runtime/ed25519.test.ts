import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { browserEd25519 } from "../../runtime/crypto/ed25519-browser.js";
import { nodeEd25519 } from "../../runtime/crypto/ed25519-node.js";
import { ed25519PreCheck, isCanonicalPointEncoding, isCanonicalScalar, publicKeyProblem } from "../../runtime/crypto/ed25519.js";
import { publicKeyFromPem, publicKeyToPem } from "../../runtime/crypto/pem.js";
import type { Ed25519 } from "../../runtime/crypto/ed25519.js";
import { conformanceData, describeConformance } from "../support/conformance.js";

interface WycheproofTest {
  readonly tcId: number;
  readonly comment: string;
  readonly msg: string;
  readonly sig: string;
  readonly result: "valid" | "invalid" | "acceptable";
}
interface WycheproofGroup {
  readonly publicKey: { readonly pk: string };
  readonly tests: readonly WycheproofTest[];
}

const wycheproof = conformanceData("ed25519/ed25519_test.json");
const suite = (wycheproof.present ? JSON.parse(readFileSync(wycheproof.dir, "utf8")) : { numberOfTests: 0, testGroups: [] }) as { numberOfTests: number; testGroups: WycheproofGroup[] };
const cases = suite.testGroups.flatMap((g) => g.tests.map((t) => ({ pk: g.publicKey.pk, ...t })));

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "hex"));

const impls: [string, Ed25519][] = [
  ["node", nodeEd25519],
  ["browser", browserEd25519],
];

describeConformance("Wycheproof Ed25519 vectors", wycheproof, () => {
  it("reads every vector", () => {
    expect(cases.length).toBe(suite.numberOfTests);
    expect(cases.length).toBe(151);
    expect(cases.some((c) => c.result === "invalid")).toBe(true);
    expect(cases.some((c) => c.result === "valid")).toBe(true);
  });

  for (const [name, impl] of impls) {
    it(`${name}: accepts every valid and rejects every invalid vector`, () => {
      const wrong: string[] = [];
      for (const c of cases) {
        const got = impl.verify(hex(c.pk), hex(c.msg), hex(c.sig));
        if (got !== (c.result === "valid")) wrong.push(`tcId ${c.tcId} (${c.comment}): got ${String(got)}`);
      }
      expect(wrong).toEqual([]);
    });
  }
});

// RFC 8032 §7.1 TEST 1 and TEST 2.
const RFC8032 = [
  {
    seed: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    pk: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    msg: "",
    sig: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  },
  {
    seed: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    pk: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    msg: "72",
    sig: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
  },
];

describe("signing", () => {
  for (const [name, impl] of impls) {
    it(`${name}: RFC 8032 known answers`, () => {
      for (const v of RFC8032) {
        expect(Buffer.from(impl.publicKeyOf(hex(v.seed))).toString("hex")).toBe(v.pk);
        expect(Buffer.from(impl.sign(hex(v.seed), hex(v.msg))).toString("hex")).toBe(v.sig);
        expect(impl.verify(hex(v.pk), hex(v.msg), hex(v.sig))).toBe(true);
      }
    });

    it(`${name}: generated key pairs are 32 bytes, distinct, and consistent`, () => {
      const a = impl.generateKeyPair();
      const b = impl.generateKeyPair();
      expect(a.privateKey.length).toBe(32);
      expect(a.publicKey.length).toBe(32);
      expect(Buffer.from(a.privateKey).equals(Buffer.from(b.privateKey))).toBe(false);
      expect(Buffer.from(impl.publicKeyOf(a.privateKey)).equals(Buffer.from(a.publicKey))).toBe(true);
    });

    it(`${name}: rejects a private key of the wrong length`, () => {
      expect(() => impl.sign(new Uint8Array(31), new Uint8Array(0))).toThrow(/32-byte/);
    });

    it(`${name}: verify never throws on junk`, () => {
      expect(impl.verify(new Uint8Array(0), new Uint8Array(0), new Uint8Array(0))).toBe(false);
      expect(impl.verify(new Uint8Array(32).fill(0xff), new Uint8Array(1), new Uint8Array(64))).toBe(false);
    });
  }

  it("both implementations produce identical signatures and verify each other", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 200 }), (seed, msg) => {
        const s1 = nodeEd25519.sign(seed, msg);
        const s2 = browserEd25519.sign(seed, msg);
        expect(Buffer.from(s1).equals(Buffer.from(s2))).toBe(true);
        const pk = nodeEd25519.publicKeyOf(seed);
        expect(browserEd25519.verify(pk, msg, s1)).toBe(true);
        expect(nodeEd25519.verify(pk, msg, s2)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  for (const [name, impl] of impls) {
    it(`${name}: flipping any bit of the signature, message or key fails`, () => {
      const { privateKey, publicKey } = impl.generateKeyPair();
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(), fc.constantFrom("sig", "msg", "pk"), (msg, at, what) => {
          const sig = impl.sign(privateKey, msg);
          expect(impl.verify(publicKey, msg, sig)).toBe(true);
          const target = what === "sig" ? sig.slice() : what === "msg" ? msg.slice() : publicKey.slice();
          const bit = at % (target.length * 8);
          target[bit >> 3]! ^= 1 << (bit & 7);
          const ok =
            what === "sig" ? impl.verify(publicKey, msg, target) : what === "msg" ? impl.verify(publicKey, target, sig) : impl.verify(target, msg, sig);
          expect(ok).toBe(false);
        }),
        { numRuns: 60 },
      );
    });
  }
});

describe("pre-checks", () => {
  it("S = L - 1 is canonical, S = L is not", () => {
    const sig = new Uint8Array(64);
    const L = hex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
    sig.set(L, 32);
    expect(isCanonicalScalar(sig)).toBe(false);
    sig[32] = 0xec;
    expect(isCanonicalScalar(sig)).toBe(true);
  });

  it("point encodings with y >= p or x = 0 with the sign bit are not canonical", () => {
    const p = hex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
    expect(isCanonicalPointEncoding(p)).toBe(false);
    const pMinus1 = hex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
    expect(isCanonicalPointEncoding(pMinus1)).toBe(true);
    const pMinus1Signed = pMinus1.slice();
    pMinus1Signed[31] = 0xff;
    expect(isCanonicalPointEncoding(pMinus1Signed)).toBe(false);
    const oneSigned = new Uint8Array(32);
    oneSigned[0] = 1;
    oneSigned[31] = 0x80;
    expect(isCanonicalPointEncoding(oneSigned)).toBe(false);
    oneSigned[31] = 0;
    expect(isCanonicalPointEncoding(oneSigned)).toBe(true);
  });

  it("reports lengths", () => {
    expect(ed25519PreCheck(new Uint8Array(31), new Uint8Array(64))).toMatch(/public key/);
    expect(ed25519PreCheck(new Uint8Array(32), new Uint8Array(63))).toMatch(/signature/);
  });
});

describe("small-order and non-canonical public keys", () => {
  // The identity point (y = 1): with it, a signature R = identity, S = 0 "verifies" for every
  // message under the cofactorless check OpenSSL runs, so the key itself must be refused.
  const IDENTITY = hex("0100000000000000000000000000000000000000000000000000000000000000");
  const forged = new Uint8Array(64);
  forged.set(IDENTITY, 0);
  const SMALL = [
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
  ];

  it("both backends refuse a forged signature under the identity key", () => {
    for (const msg of ["", "anything", "bundle sha256:00"]) {
      for (const [name, impl] of impls) expect(impl.verify(IDENTITY, new TextEncoder().encode(msg), forged), name).toBe(false);
    }
  });

  it("refuses every small-order key at load (PEM) and in verification, in both backends", () => {
    for (const k of SMALL) {
      const key = hex(k);
      expect(publicKeyProblem(key), k).toMatch(/small order/);
      const pem = publicKeyToPem(key);
      const read = publicKeyFromPem(pem);
      expect(read.ok, k).toBe(false);
      if (!read.ok) expect(read.problem.code).toBe("W6107");
      for (const [name, impl] of impls) expect(impl.verify(key, new Uint8Array(0), forged), `${name} ${k}`).toBe(false);
    }
    // An ordinary key is fine.
    expect(publicKeyProblem(nodeEd25519.publicKeyOf(new Uint8Array(32).fill(7)))).toBeUndefined();
  });

  it("both backends agree on every Wycheproof vector, every small-order key and random mutations", () => {
    // Without the Wycheproof data (a clone without ../shared), signatures made here stand in for the vectors.
    const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
    const own = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => {
      const sk = new Uint8Array(32).fill(n);
      const msg = new Uint8Array(n * 3).fill(n);
      return { pk: toHex(nodeEd25519.publicKeyOf(sk)), msg: toHex(msg), sig: toHex(nodeEd25519.sign(sk, msg)) };
    });
    const base = cases.length > 0 ? cases : own;
    const inputs: { pk: Uint8Array; msg: Uint8Array; sig: Uint8Array }[] = base.map((c) => ({ pk: hex(c.pk), msg: hex(c.msg), sig: hex(c.sig) }));
    for (const k of SMALL) for (const c of base.slice(0, 10)) inputs.push({ pk: hex(k), msg: hex(c.msg), sig: hex(c.sig) });
    for (const k of SMALL) inputs.push({ pk: hex(k), msg: new Uint8Array(0), sig: forged });
    for (const i of inputs) expect(nodeEd25519.verify(i.pk, i.msg, i.sig)).toBe(browserEd25519.verify(i.pk, i.msg, i.sig));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: base.length - 1 }), fc.nat(95), fc.integer({ min: 1, max: 255 }), (ci, pos, x) => {
        const c = base[ci]!;
        const pk = hex(c.pk);
        const sig = hex(c.sig);
        if (pos < 32) pk[pos] ^= x;
        else sig[pos - 32] ^= x;
        expect(nodeEd25519.verify(pk, hex(c.msg), sig)).toBe(browserEd25519.verify(pk, hex(c.msg), sig));
      }),
      { numRuns: 400, seed: 9 },
    );
  });

  it("verifyAsync (node:crypto's thread pool) gives verify's answer on every Wycheproof vector, small-order key and bad input", async () => {
    const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
    const sk = new Uint8Array(32).fill(7);
    const own = { pk: toHex(nodeEd25519.publicKeyOf(sk)), msg: "0102", sig: toHex(nodeEd25519.sign(sk, hex("0102"))) };
    const base = cases.length > 0 ? cases : [own];
    const inputs: { pk: Uint8Array; msg: Uint8Array; sig: Uint8Array }[] = base.map((c) => ({ pk: hex(c.pk), msg: hex(c.msg), sig: hex(c.sig) }));
    for (const k of SMALL) inputs.push({ pk: hex(k), msg: new Uint8Array(0), sig: forged });
    inputs.push({ pk: new Uint8Array(31), msg: new Uint8Array(1), sig: new Uint8Array(64) }, { pk: hex(own.pk), msg: "x" as never, sig: hex(own.sig) });
    const verifyAsync = nodeEd25519.verifyAsync!;
    const answers = await Promise.all(inputs.map((i) => verifyAsync(i.pk, i.msg, i.sig)));
    expect(answers).toEqual(inputs.map((i) => nodeEd25519.verify(i.pk, i.msg, i.sig)));
    expect(answers.some((a) => a)).toBe(true);
    expect(answers.some((a) => !a)).toBe(true);
  });
});
