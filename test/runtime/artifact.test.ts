/**
 * Authorization artifacts: what `signArtifact` signs verifies with the node's public key until
 * it expires (against a caller-supplied time), in both entries; any change of payload, payload
 * type, signature, key or claims is refused with W8010, expiry with W8011.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as browser from "../../runtime/browser.js";
import { ARTIFACT_PAYLOAD_TYPE, decide, ed25519, loadBundle, loadEntities, nodeSigner, signArtifact, signArtifactAsync, verifyArtifact, type DecisionRecord, type EntityJson, type RequestJson } from "../../runtime/index.js";
import { exampleBundle, exampleJson } from "../support/bundles.js";
import { canonicalBytes } from "../../compiler/canonical.js";
import { keyIdOf } from "../../compiler/ids.js";

const seed = new Uint8Array(32).fill(5);
const signer = nodeSigner(seed);

function allowRecord(): DecisionRecord {
  const bundle = loadBundle(exampleBundle()).bundle!;
  const store = loadEntities(bundle, exampleJson("entities.json") as readonly EntityJson[]).store!;
  const r = decide(bundle, exampleJson("request.json") as RequestJson, store);
  if (r.decision === "allow") return r;
  // The example request is a deny; an owner viewing their own document is an allow.
  const allow = decide(bundle, { principal: { type: "DocShare::User", id: "alice" }, action: { type: "DocShare::Action", id: "view" }, resource: { type: "DocShare::Document", id: "q3-roadmap" }, context: { mfa: true, sourceIp: "10.1.2.3" } }, store);
  expect(allow.decision).toBe("allow");
  return allow;
}

const record = allowRecord();
const input = { node: "n1", execution: "exec:1", eventId: "sha256:" + "ab".repeat(32), expiresAt: "2030-01-01T00:00:00.000Z", decision: record };

describe("authorization artifacts", () => {
  it("verify with the node key before expiry, in the Node and the browser entry", () => {
    const env = signArtifact(input, signer);
    expect(env.payloadType).toBe(ARTIFACT_PAYLOAD_TYPE);
    for (const [verify, impl] of [
      [verifyArtifact, ed25519],
      [browser.verifyArtifact, browser.ed25519],
    ] as const) {
      const r = verify(env, signer.publicKey, { now: "2029-12-31T23:59:59Z", ed25519: impl });
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.claims).toMatchObject({ format: "writ-authorization/1", node: "n1", execution: "exec:1", eventId: input.eventId, obligations: [] });
      expect(r.claims.decision).toEqual(record);
    }
  });

  it("the asynchronous signer makes the same envelope (Ed25519 is deterministic)", async () => {
    const async = await signArtifactAsync(input, { publicKey: signer.publicKey, sign: async (m) => signer.sign(m) });
    expect(async).toEqual(signArtifact(input, signer));
    await expect(signArtifactAsync(input, { publicKey: signer.publicKey, sign: () => Promise.reject(new Error("hsm offline")) })).rejects.toThrow("hsm offline");
  });

  it("the payload is always the RFC 8785 bytes of the claims and the key id that of the signer's key", () => {
    const text = fc.string({ minLength: 1, maxLength: 12 });
    const obligation = fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
    fc.assert(
      fc.property(text, text, text, fc.dictionary(text, obligation, { maxKeys: 4 }), (node, execution, eventId, obligations) => {
        const claimsIn = { ...input, node, execution, eventId, decision: { ...record, obligations } as DecisionRecord };
        const env = signArtifact(claimsIn, signer);
        const expected = { format: "writ-authorization/1", node, execution, eventId, expiresAt: input.expiresAt, obligations: Object.keys(obligations).sort(), decision: claimsIn.decision };
        expect(env.payload).toBe(Buffer.from(canonicalBytes(expected)).toString("base64"));
        expect(env.signatures[0]!.keyid).toBe(keyIdOf(signer.publicKey));
      }),
      { numRuns: 100, seed: 11 },
    );
  });

  it("a public key array changed in place gets its own key id", () => {
    const key = new Uint8Array(signer.publicKey);
    const env = signArtifact(input, { publicKey: key, sign: signer.sign });
    expect(env.signatures[0]!.keyid).toBe(keyIdOf(signer.publicKey));
    key[0] = key[0]! ^ 1;
    expect(signArtifact(input, { publicKey: key, sign: signer.sign }).signatures[0]!.keyid).toBe(keyIdOf(key));
  });

  it("lists the decision's obligations, sorted", () => {
    const withObligations = { ...record, obligations: { notify: ["#ops"], approve: true } } as DecisionRecord;
    const r = verifyArtifact(signArtifact({ ...input, decision: withObligations }, signer), signer.publicKey, { now: 0, ed25519 });
    expect(r.ok && r.claims.obligations).toEqual(["approve", "notify"]);
  });

  it("expires at expiresAt (the caller's clock, not the verifier's)", () => {
    const env = signArtifact(input, signer);
    expect(verifyArtifact(env, signer.publicKey, { now: new Date("2030-01-01T00:00:00Z"), ed25519 })).toMatchObject({ ok: false, problem: { code: "W8011" } });
    expect(verifyArtifact(env, signer.publicKey, { now: Date.parse("2029-06-01T00:00:00Z"), ed25519 }).ok).toBe(true);
    expect(verifyArtifact(env, signer.publicKey, { now: "yesterday", ed25519 })).toMatchObject({ ok: false, problem: { code: "W8010" } });
  });

  it("refuses another key, a changed payload type, payload or signature", () => {
    const env = signArtifact(input, signer);
    const other = nodeSigner(new Uint8Array(32).fill(6)).publicKey;
    expect(verifyArtifact(env, other, { now: 0, ed25519 })).toMatchObject({ ok: false, problem: { code: "W8010" } });
    expect(verifyArtifact({ ...env, payloadType: "application/vnd.in-toto+json" }, signer.publicKey, { now: 0, ed25519 })).toMatchObject({ ok: false, problem: { code: "W8010" } });
    const body = JSON.parse(Buffer.from(env.payload, "base64").toString("utf8"));
    const forged = { ...env, payload: Buffer.from(JSON.stringify({ ...body, expiresAt: "2099-01-01T00:00:00Z" })).toString("base64") };
    expect(verifyArtifact(forged, signer.publicKey, { now: 0, ed25519 })).toMatchObject({ ok: false, problem: { code: "W8010" } });
    const sig = Buffer.from(env.signatures[0]!.sig, "base64");
    sig[0] = sig[0]! ^ 1;
    expect(verifyArtifact({ ...env, signatures: [{ ...env.signatures[0]!, sig: sig.toString("base64") }] }, signer.publicKey, { now: 0, ed25519 }).ok).toBe(false);
    expect(verifyArtifact("not an envelope", signer.publicKey, { now: 0, ed25519 }).ok).toBe(false);
  });

  it("refuses well-signed claims that are not an allow or that misstate the obligations", () => {
    const deny = { ...record, decision: "deny" } as DecisionRecord;
    expect(verifyArtifact(signArtifact({ ...input, decision: deny }, signer), signer.publicKey, { now: 0, ed25519 })).toMatchObject({ ok: false, problem: { code: "W8010" } });
    expect(verifyArtifact(signArtifact({ ...input, expiresAt: "tomorrow" }, signer), signer.publicKey, { now: 0, ed25519 })).toMatchObject({ ok: false, problem: { code: "W8010" } });
  });

  it("any single-byte change of the payload is refused (property)", () => {
    const env = signArtifact(input, signer);
    const bytes = Buffer.from(env.payload, "base64");
    fc.assert(
      fc.property(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const copy = Buffer.from(bytes);
        copy[at] = copy[at]! ^ flip;
        expect(verifyArtifact({ ...env, payload: copy.toString("base64") }, signer.publicKey, { now: 0, ed25519 }).ok).toBe(false);
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});
