/**
 * Evidence checked step by step (`proofSteps`, `artifactSteps`): the verdict is exactly
 * `verifyProof`'s on proofs changed at random, each tampering is named by the step it breaks,
 * a key is pinned by bytes, verifier key text, PEM or key id, and an artifact is tied to the
 * proof of its `authorized` event through the decision record's content id.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import * as browser from "../../runtime/browser.js";
import {
  artifactSteps,
  consistencySteps,
  contentId,
  ed25519,
  Governor,
  keyIdOf,
  LineageLog,
  loadBundle,
  loadEntities,
  MemoryLineageStore,
  nodeSigner,
  proofSteps,
  publicKeyToPem,
  runtimeCrypto,
  signArtifact,
  verifyProof,
  type DsseEnvelope,
  type EntityJson,
  type LineageProof,
} from "../../runtime/index.js";
import { projectBundle } from "../support/servers.js";

const seed = new Uint8Array(32).fill(9);
const signer = nodeSigner(seed);
const crypto = { ed25519, hasher: runtimeCrypto.merkle };
const RUNS = Number(process.env.WRIT_PROP_RUNS ?? 200);

let proof: LineageProof;
let deniedProof: LineageProof;
let artifact: DsseEnvelope;

beforeAll(async () => {
  const opened = await LineageLog.open({ store: new MemoryLineageStore(), signer, crypto: runtimeCrypto });
  if (!opened.ok) throw new Error(opened.problem.message);
  const log = opened.log;
  const { bundle: json, entities } = projectBundle("governed-agent");
  const bundle = loadBundle(JSON.parse(JSON.stringify(json))).bundle!;
  const store = loadEntities(bundle, entities as readonly EntityJson[]).store!;
  const governor = new Governor({ log, bundle, node: "n1", entities: store });
  const human = { principal: { type: "Ops::Human", id: "alice" }, action: { type: "Ops::Action", id: "approve" }, resource: { type: "Ops::Plan", id: "p1" }, context: {} };
  const auth = await governor.authorize(human, { actor: "human:alice", obligationsBy: "caller" });
  expect(auth.allowed).toBe(true);
  const agent = { principal: { type: "Ops::Agent", id: "planner" }, action: { type: "Ops::Action", id: "run" }, resource: { type: "Ops::Resource", id: "ci" }, context: { step: "x" } };
  const denied = await governor.authorize(agent, { actor: "agent:planner", obligationsBy: "caller" });
  expect(denied.allowed).toBe(false);
  const p = await log.prove(auth.authorizedEvent!);
  const d = await log.prove(denied.events[denied.events.length - 1]!.id);
  if (!p.ok || !d.ok) throw new Error("cannot prove");
  proof = p.proof;
  deniedProof = d.proof;
  artifact = signArtifact({ node: "n1", execution: auth.execution, eventId: auth.authorizedEvent!, expiresAt: "2030-01-01T00:00:00.000Z", decision: auth.decisionRecord! }, signer);
});

const statusOf = (r: { steps: readonly { step: string; status: string }[] }): Record<string, string> => Object.fromEntries(r.steps.map((s) => [s.step, s.status]));

describe("proofSteps", () => {
  it("passes every step of a good proof pinned to the log key, and names the record's content id", () => {
    const r = proofSteps(proof, { publicKey: signer.publicKey }, crypto);
    expect(r.ok).toBe(true);
    expect(statusOf(r)).toEqual({ format: "pass", key: "pass", checkpoint: "pass", "event-id": "pass", inclusion: "pass", "record-id": "pass" });
    expect(r.recordId).toBe(contentId((proof.event as { decision: unknown }).decision));
    expect(r.keyId).toBe(keyIdOf(signer.publicKey));
  });

  it("accepts the key as verifier key text, PEM, base64 or key id, and warns when nothing is pinned", () => {
    for (const pin of [{ publicKey: proof.publicKey }, { publicKey: publicKeyToPem(signer.publicKey) }, { publicKey: Buffer.from(signer.publicKey).toString("base64") }, { keyId: keyIdOf(signer.publicKey) }]) {
      expect(proofSteps(proof, pin, crypto).ok, JSON.stringify(pin)).toBe(true);
    }
    const open = proofSteps(proof, {}, crypto);
    expect(open.ok).toBe(true);
    expect(statusOf(open)["key"]).toBe("warn");
    const other = nodeSigner(new Uint8Array(32).fill(1)).publicKey;
    expect(statusOf(proofSteps(proof, { publicKey: other }, crypto))["key"]).toBe("fail");
    expect(statusOf(proofSteps(proof, { keyId: keyIdOf(other) }, crypto))["key"]).toBe("fail");
  });

  it("names the step each tampering breaks", () => {
    const ev = proof.event as Record<string, unknown>;
    const cases: [unknown, string][] = [
      [{ ...proof, event: { ...ev, actor: "mallory" } }, "event-id"],
      [{ ...proof, index: proof.index + 1 }, "inclusion"],
      [{ ...proof, checkpoint: proof.checkpoint.replace(/\n\n— .*/s, "\n\n— x AAAA\n") }, "checkpoint"],
      [{ ...proof, size: proof.size + 1 }, "checkpoint"],
      [{ ...proof, format: "other" }, "format"],
      [[], "format"],
    ];
    for (const [p, step] of cases) {
      const r = proofSteps(p, { publicKey: signer.publicKey }, crypto);
      expect(r.ok, step).toBe(false);
      expect(r.steps.find((s) => s.status === "fail")?.step, JSON.stringify(p).slice(0, 80)).toBe(step);
    }
  });

  it("verifies a checkpoint once for many proofs against it", () => {
    const seen = new Set<string>();
    expect(proofSteps(proof, {}, crypto, seen).steps.find((s) => s.step === "checkpoint")?.detail).not.toContain("earlier");
    expect(proofSteps(deniedProof, {}, crypto, seen).steps.find((s) => s.step === "checkpoint")?.detail).toContain("earlier");
    // A changed note is not the remembered one: verified again, and refused.
    const forged = { ...deniedProof, checkpoint: deniedProof.checkpoint.replace(/\n([A-Za-z0-9+/=]{44})\n/, "\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n") };
    expect(proofSteps(forged, {}, crypto, seen).ok).toBe(false);
  });

  it("agrees with verifyProof on proofs changed at random (both entries)", () => {
    const keys = Object.keys(proof) as (keyof LineageProof)[];
    fc.assert(
      fc.property(fc.constantFrom(proof, deniedProof), fc.constantFrom(...keys), fc.integer({ min: 0, max: 1000 }), fc.boolean(), (base, key, n, pin) => {
        const text = JSON.stringify(base[key]);
        const i = n % Math.max(1, text.length);
        const changed = text.slice(0, i) + (text[i] === "1" ? "2" : "1") + text.slice(i + 1);
        let value: unknown;
        try {
          value = JSON.parse(changed);
        } catch {
          value = changed;
        }
        const p = { ...base, [key]: value };
        const pinned = pin ? signer.publicKey : undefined;
        const expected = verifyProof(p, pinned).ok;
        expect(proofSteps(p, pinned === undefined ? {} : { publicKey: pinned }, crypto).ok).toBe(expected);
        expect(browser.proofSteps(p, pinned === undefined ? {} : { publicKey: pinned }, { ed25519: browser.ed25519, hasher: browser.runtimeCrypto.merkle }).ok).toBe(expected);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("artifactSteps", () => {
  it("passes with the pinned key, and ties the artifact to the proof of its event", () => {
    const r = artifactSteps(artifact, { publicKey: signer.publicKey }, crypto, "2029-01-01T00:00:00Z", proof);
    expect(r.ok).toBe(true);
    expect(statusOf(r)).toEqual({ format: "pass", key: "pass", signature: "pass", expiry: "pass", event: "pass" });
    expect(r.recordId).toBe(contentId((proof.event as { decision: unknown }).decision));
  });

  it("takes the key from the proof when only a key id is pinned; without either it cannot check", () => {
    expect(artifactSteps(artifact, { keyId: keyIdOf(signer.publicKey) }, crypto, 0, proof).ok).toBe(true);
    const none = artifactSteps(artifact, {}, crypto, 0);
    expect(none.ok).toBe(false);
    expect(statusOf(none)["key"]).toBe("fail");
  });

  it("warns on expiry, fails on a changed payload, a wrong key or another event's proof", () => {
    const late = artifactSteps(artifact, { publicKey: signer.publicKey }, crypto, "2031-01-01T00:00:00Z");
    expect(late.ok).toBe(true);
    expect(statusOf(late)["expiry"]).toBe("warn");
    const body = JSON.parse(Buffer.from(artifact.payload, "base64").toString("utf8")) as Record<string, unknown>;
    const changed = { ...artifact, payload: Buffer.from(JSON.stringify({ ...body, execution: "other" })).toString("base64") };
    expect(statusOf(artifactSteps(changed, { publicKey: signer.publicKey }, crypto, 0))["signature"]).toBe("fail");
    const other = nodeSigner(new Uint8Array(32).fill(2)).publicKey;
    expect(statusOf(artifactSteps(artifact, { publicKey: other }, crypto, 0))["signature"]).toBe("fail");
    const wrongEvent = artifactSteps(artifact, { publicKey: signer.publicKey }, crypto, 0, deniedProof);
    expect(statusOf(wrongEvent)["event"]).toBe("fail");
    expect(artifactSteps({ ...artifact, payloadType: "text/plain" }, {}, crypto, 0).steps[0]).toMatchObject({ step: "format", status: "fail" });
  });
});

describe("consistencySteps", () => {
  async function logOf(n: number, tag: string): Promise<LineageLog> {
    const opened = await LineageLog.open({ store: new MemoryLineageStore(), signer, crypto: runtimeCrypto });
    if (!opened.ok) throw new Error(opened.problem.message);
    for (let i = 0; i < n; i++) await opened.log.append([{ kind: "test", tag, i }]);
    return opened.log;
  }

  it("holds a log to the checkpoint seen before: growth passes, a fork and a truncation fail", async () => {
    const log = await logOf(3, "a");
    const seen = log.checkpoint!;
    await log.append([{ kind: "test", tag: "a", i: 3 }, { kind: "test", tag: "a", i: 4 }]);
    const grown = await log.consistency(3);
    if (!grown.ok) throw new Error(grown.problem.message);
    const ok = consistencySteps(grown.proof, seen, signer.publicKey, log.origin, crypto);
    expect(ok).toMatchObject({ ok: true, size: 5 });
    expect(statusOf(ok)).toEqual({ format: "pass", checkpoint: "pass", trusted: "pass", consistency: "pass" });
    expect(consistencySteps(grown.proof, undefined, signer.publicKey, log.origin, crypto).steps.at(-1)).toMatchObject({ step: "consistency", status: "skip" });
    // Another history under the same key: the same sizes, other roots.
    const fork = await logOf(5, "b");
    const forked = await fork.consistency(3);
    if (!forked.ok) throw new Error(forked.problem.message);
    expect(statusOf(consistencySteps(forked.proof, seen, signer.publicKey, log.origin, crypto))["consistency"]).toBe("fail");
    // A log shorter than what was seen cannot prove it extends it.
    const later = log.checkpoint!;
    const short = await log.consistency(3);
    if (!short.ok) throw new Error(short.problem.message);
    expect(statusOf(consistencySteps(short.proof, later, signer.publicKey, log.origin, crypto))["trusted"]).toBe("fail");
    const other = nodeSigner(new Uint8Array(32).fill(3)).publicKey;
    expect(statusOf(consistencySteps(grown.proof, seen, other, log.origin, crypto))["checkpoint"]).toBe("fail");
  });
});
