/**
 * Evidence checked step by step, for people: the same checks as `verifyProof` and
 * `verifyArtifact`, each reported on its own (passed, failed, a warning, or skipped) so that a
 * proof viewer can show an auditor which one failed and why.
 *
 * A lineage proof (`writ lineage prove`, `GET /v1/lineage/proof/:id`):
 *
 * | step | passes when |
 * |---|---|
 * | `format` | it is a `writ-lineage-proof/1` with the fields typed |
 * | `key` | its verifier key parses, names the origin, and is the pinned key (or has the pinned key id); with no pin it is a warning: the proof is checked against the key it carries (integrity, not authenticity) |
 * | `checkpoint` | the checkpoint note is signed by that key, for the proof's origin and size |
 * | `event-id` | the event's canonical bytes hash (RFC 6962 leaf) to the proof's id |
 * | `inclusion` | the audit path folds the leaf to the checkpoint's root |
 * | `record-id` | (events with a decision record) the record's content id, shown; with an artifact, equal to the artifact's record |
 *
 * An authorization artifact (the DSSE envelope `POST /v1/authorize` returns):
 *
 * | step | passes when |
 * |---|---|
 * | `format` | a DSSE envelope of the authorization payload type |
 * | `key` | a key to check it with: the pinned key, or the key a proof of its event carries when that key has the pinned key id |
 * | `signature` | a signature by that key verifies and the claims are those of an allow (`verifyArtifact`) |
 * | `expiry` | not expired at the given time (expired: a warning — the artifact no longer authorizes, the signature still proves what was authorized) |
 * | `event` | (with a proof) the proof is of the artifact's `authorized` event and its record has the same content id |
 *
 * A consistency proof (`GET /v1/lineage/consistency?from=`), held to a checkpoint the checker
 * saw before:
 *
 * | step | passes when |
 * |---|---|
 * | `format` | it is a `writ-consistency-proof/1` with the fields typed |
 * | `checkpoint` | its (new) checkpoint is signed by the log key, for the origin, at size `to` |
 * | `trusted` | the checkpoint seen before is signed by the same key, at size `from` |
 * | `consistency` | the path proves the new tree extends the old one (no truncation, no fork) |
 *
 * INVARIANT: `proofSteps(p, pin).ok` ⇔ `verifyProof(p, key)` is ok (a property test checks it);
 * `ok` is true when no step failed.
 *
 * NOTE: browser-safe; the Ed25519 implementation and the hasher come from the entry.
 */
import { canonicalBytes, contentId, toHex } from "../../compiler/canonical.js";
import { keyIdOf } from "../../compiler/ids.js";
import { ARTIFACT_PAYLOAD_TYPE, verifyArtifact, type AuthorizationClaims } from "../artifact.js";
import { base64Decode } from "../crypto/base64.js";
import type { Ed25519 } from "../crypto/ed25519.js";
import { parseCheckpoint, parseVerifierKey, verifyCheckpoint } from "./checkpoint.js";
import { bytesEqual, checkConsistency, checkInclusion, type MerkleHasher } from "./merkle.js";
import { LINEAGE_PROOF_FORMAT } from "./proof.js";

/** How one step came out. */
export type StepStatus = "pass" | "fail" | "warn" | "skip";

/** One checked step. */
export interface EvidenceStep {
  readonly step: "format" | "key" | "checkpoint" | "event-id" | "inclusion" | "record-id" | "signature" | "expiry" | "event" | "trusted" | "consistency";
  readonly status: StepStatus;
  /** One line for a person: what was checked and what was found. */
  readonly detail: string;
}

/** What the evidence must be signed by: a public key (raw 32 bytes, verifier key text or base64) or a key id (`sha256:<hex>` of the raw key). */
export interface EvidencePin {
  readonly publicKey?: Uint8Array | string;
  readonly keyId?: string;
}

/** The cryptography the checks run on (`ed25519` and `runtimeCrypto.merkle` of an entry). */
export interface EvidenceCrypto {
  readonly ed25519: Ed25519;
  readonly hasher: MerkleHasher;
}

/** The outcome of {@link proofSteps}. */
export interface ProofSteps {
  readonly ok: boolean;
  readonly steps: readonly EvidenceStep[];
  /** The event (as the proof carries it: trust it only when `ok`). */
  readonly event?: Readonly<Record<string, unknown>>;
  readonly id?: string;
  readonly index?: number;
  readonly size?: number;
  readonly origin?: string;
  /** The raw key the proof carries, when it parses. */
  readonly publicKey?: Uint8Array;
  /** `sha256:<hex>` of that key. */
  readonly keyId?: string;
  /** The content id of the event's decision record, when it has one. */
  readonly recordId?: string;
}

/** The outcome of {@link artifactSteps}. */
export interface ArtifactSteps {
  readonly ok: boolean;
  readonly steps: readonly EvidenceStep[];
  /** The claims, once the signature verified. */
  readonly claims?: AuthorizationClaims;
  readonly keyId?: string;
  /** The content id of the claims' decision record. */
  readonly recordId?: string;
}

function isRecord(v: unknown): v is Readonly<Record<string, unknown>> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function done(steps: EvidenceStep[], extra: Omit<ProofSteps, "ok" | "steps"> = {}): ProofSteps {
  return { ok: !steps.some((s) => s.status === "fail"), steps, ...extra };
}

/** The raw key of a pin, or why it is not one. */
export function pinnedKeyBytes(key: Uint8Array | string): Uint8Array | string {
  if (key instanceof Uint8Array) return key.length === 32 ? key : "the pinned key is not 32 bytes";
  const text = key.trim();
  const parsed = parseVerifierKey(text);
  if (parsed.ok) return parsed.value.publicKey;
  const pem = /^-----BEGIN PUBLIC KEY-----([\s\S]*)-----END PUBLIC KEY-----$/.exec(text);
  const raw = base64Decode((pem === null ? text : pem[1]!).replace(/\s+/g, ""));
  if (raw !== undefined && raw.length === 32) return raw;
  // An SPKI Ed25519 key (PEM body): 12-byte prefix, then the raw key.
  if (raw !== undefined && raw.length === 44 && toHex(raw.slice(0, 12)) === "302a300506032b6570032100") return raw.slice(12);
  return "the pinned key is neither a verifier key, an Ed25519 PEM public key, nor the base64 of 32 bytes";
}

/** The `key` step: is `key` the pinned one? */
function keyStep(key: Uint8Array, pin: EvidencePin, what: string): EvidenceStep {
  const id = keyIdOf(key);
  if (pin.publicKey !== undefined) {
    const pinned = pinnedKeyBytes(pin.publicKey);
    if (typeof pinned === "string") return { step: "key", status: "fail", detail: pinned };
    return bytesEqual(pinned, key)
      ? { step: "key", status: "pass", detail: `${what} is the pinned key ${id}` }
      : { step: "key", status: "fail", detail: `${what} ${id} is not the pinned key ${keyIdOf(pinned)}` };
  }
  if (pin.keyId !== undefined && pin.keyId.trim() !== "") {
    return id === pin.keyId.trim()
      ? { step: "key", status: "pass", detail: `${what} has the pinned key id ${id}` }
      : { step: "key", status: "fail", detail: `${what} has key id ${id}, not the pinned ${pin.keyId.trim()}` };
  }
  return { step: "key", status: "warn", detail: `no key pinned: checked against the key the evidence carries (${id}); pin the node's key to know who signed it` };
}

/**
 * Check a lineage proof step by step (see the module comment). `verifiedCheckpoints` remembers
 * checkpoint notes already verified under a key (`<keyId> <note>`), so that many proofs against
 * one checkpoint verify its signature once. Never throws.
 */
export function proofSteps(proof: unknown, pin: EvidencePin, crypto: EvidenceCrypto, verifiedCheckpoints?: Set<string>): ProofSteps {
  const steps: EvidenceStep[] = [];
  const fail = (step: EvidenceStep["step"], detail: string, extra: Omit<ProofSteps, "ok" | "steps"> = {}): ProofSteps => {
    steps.push({ step, status: "fail", detail });
    return done(steps, extra);
  };
  if (!isRecord(proof)) return fail("format", "a proof is a JSON object");
  if (proof.format !== LINEAGE_PROOF_FORMAT) return fail("format", `not a lineage proof: format ${JSON.stringify(proof.format)} (expected "${LINEAGE_PROOF_FORMAT}")`);
  const { event, id, index, size, path, checkpoint, origin, publicKey } = proof;
  if (!isRecord(event)) return fail("format", "the proof's `event` must be a JSON object");
  if (typeof id !== "string" || typeof checkpoint !== "string" || typeof origin !== "string" || typeof publicKey !== "string") return fail("format", "`id`, `checkpoint`, `origin` and `publicKey` must be strings");
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size)) return fail("format", "`index` and `size` must be integers");
  if (!Array.isArray(path) || !path.every((p) => typeof p === "string")) return fail("format", "`path` must be a list of base64 strings");
  steps.push({ step: "format", status: "pass", detail: `lineage proof of event #${String(index)} (${String(event["phase"] ?? "?")}) in ${origin}` });
  const base = { event, id, index: index as number, size: size as number, origin };
  const parsed = parseVerifierKey(publicKey);
  if (!parsed.ok) return fail("key", `the proof's key: ${parsed.problem.message}`, base);
  if (parsed.value.name !== origin) return fail("key", "the proof's key is named for another log than its origin", base);
  const key = parsed.value.publicKey;
  const keyId = keyIdOf(key);
  const withKey = { ...base, publicKey: key, keyId };
  steps.push(keyStep(key, pin, "the log's key"));
  if (steps[steps.length - 1]!.status === "fail") return done(steps, withKey);
  const memo = `${keyId} ${checkpoint}`;
  const earlier = verifiedCheckpoints?.has(memo) === true;
  // NOTE: a note text verified earlier under the same key is only parsed again (same bytes, same signature).
  const cp = earlier ? parseCheckpoint(checkpoint) : verifyCheckpoint(checkpoint, origin, key, crypto.ed25519);
  if (!cp.ok) return fail("checkpoint", `the checkpoint does not verify: ${cp.problem.message}`, withKey);
  const c = "checkpoint" in cp.value ? cp.value.checkpoint : cp.value;
  if (c.origin !== origin) return fail("checkpoint", "the checkpoint is of another log", withKey);
  if (c.size !== size) return fail("checkpoint", `the checkpoint is for ${c.size} events, the proof says ${String(size)}`, withKey);
  const root = c.rootHash;
  steps.push({ step: "checkpoint", status: "pass", detail: `signed checkpoint of ${c.size} events${earlier ? " (signature verified earlier)" : ""}` });
  verifiedCheckpoints?.add(memo);
  let leaf: Uint8Array;
  try {
    leaf = crypto.hasher.leaf(canonicalBytes(event));
  } catch (e) {
    return fail("event-id", `the event is not plain JSON: ${e instanceof Error ? e.message : String(e)}`, withKey);
  }
  const computed = `sha256:${toHex(leaf)}`;
  if (computed !== id) return fail("event-id", `the event's content hashes to ${computed}, not to the proof's id ${id}: the event was changed`, withKey);
  steps.push({ step: "event-id", status: "pass", detail: `the event's content hashes to its id ${id}` });
  const hashes: Uint8Array[] = [];
  for (const p of path as string[]) {
    const h = base64Decode(p);
    if (h === undefined || h.length !== 32) return fail("inclusion", "every path element must be the base64 of 32 bytes", withKey);
    hashes.push(h);
  }
  const problem = checkInclusion(leaf, index as number, size as number, hashes, root, crypto.hasher);
  if (problem !== undefined) return fail("inclusion", `the audit path does not lead to the checkpoint's root: ${problem}`, withKey);
  steps.push({ step: "inclusion", status: "pass", detail: `the audit path (${hashes.length} hashes) leads from event #${String(index)} to the signed root` });
  const record = event["decision"];
  if (!isRecord(record)) return done(steps, withKey);
  const recordId = contentId(record);
  steps.push({ step: "record-id", status: "pass", detail: `decision record ${recordId} (${String(record["decision"])})` });
  return done(steps, { ...withKey, recordId });
}

/**
 * Check an authorization artifact step by step (see the module comment) at time `now`; with
 * `proof` (a lineage proof of its `authorized` event), also that the proof is of that event and
 * carries the same decision record. Never throws.
 */
export function artifactSteps(envelope: unknown, pin: EvidencePin, crypto: EvidenceCrypto, now: Date | string | number, proof?: unknown): ArtifactSteps {
  const steps: EvidenceStep[] = [];
  const end = (extra: Omit<ArtifactSteps, "ok" | "steps"> = {}): ArtifactSteps => ({ ok: !steps.some((s) => s.status === "fail"), steps, ...extra });
  if (!isRecord(envelope) || typeof envelope["payload"] !== "string" || !Array.isArray(envelope["signatures"])) {
    steps.push({ step: "format", status: "fail", detail: "not a DSSE envelope (`payload`, `payloadType`, `signatures`)" });
    return end();
  }
  if (envelope["payloadType"] !== ARTIFACT_PAYLOAD_TYPE) {
    steps.push({ step: "format", status: "fail", detail: `payload type ${JSON.stringify(envelope["payloadType"])} is not ${ARTIFACT_PAYLOAD_TYPE}` });
    return end();
  }
  steps.push({ step: "format", status: "pass", detail: "a DSSE envelope of an authorization artifact" });
  const proven = proof === undefined ? undefined : proofSteps(proof, pin, crypto);
  let key: Uint8Array | undefined;
  if (pin.publicKey !== undefined) {
    const pinned = pinnedKeyBytes(pin.publicKey);
    if (typeof pinned === "string") steps.push({ step: "key", status: "fail", detail: pinned });
    else {
      key = pinned;
      steps.push({ step: "key", status: "pass", detail: `checked against the pinned key ${keyIdOf(pinned)}` });
    }
  } else if (proven?.publicKey !== undefined) {
    const s = keyStep(proven.publicKey, pin, "the key of the proof that comes with it");
    steps.push(s);
    if (s.status !== "fail") key = proven.publicKey;
  } else {
    steps.push({ step: "key", status: "fail", detail: "no key to check the signature with: pin the node's public key, or open the proof of the authorized event with it (the proof carries the node's key)" });
  }
  if (key === undefined) return end();
  const keyId = keyIdOf(key);
  const r = verifyArtifact(envelope, key, { now, ed25519: crypto.ed25519 });
  let claims: AuthorizationClaims | undefined;
  if (r.ok) claims = r.claims;
  else if (r.problem.code === "W8011") claims = readClaims(envelope);
  if (claims === undefined) {
    steps.push({ step: "signature", status: "fail", detail: r.ok ? "unreadable claims" : r.problem.message });
    return end({ keyId });
  }
  const recordId = contentId(claims.decision);
  steps.push({ step: "signature", status: "pass", detail: `signed by ${keyId}: node ${claims.node} authorized execution ${claims.execution}` });
  steps.push(r.ok ? { step: "expiry", status: "pass", detail: `valid until ${claims.expiresAt}` } : { step: "expiry", status: "warn", detail: `expired at ${claims.expiresAt}: it no longer authorizes anything; the signature still proves what was authorized` });
  if (proven !== undefined) {
    if (!proven.ok) steps.push({ step: "event", status: "fail", detail: "the proof that comes with it does not verify (see its steps)" });
    else if (proven.id !== claims.eventId) steps.push({ step: "event", status: "fail", detail: `the proof is of event ${String(proven.id)}, the artifact names ${claims.eventId}` });
    else if (proven.event?.["phase"] !== "authorized") steps.push({ step: "event", status: "fail", detail: `the proven event is a \`${String(proven.event?.["phase"])}\` event, not \`authorized\`` });
    else if (proven.recordId !== recordId) steps.push({ step: "event", status: "fail", detail: `the logged decision record ${String(proven.recordId)} is not the artifact's ${recordId}` });
    else steps.push({ step: "event", status: "pass", detail: `the authorized event is in the log and carries the same decision record ${recordId}` });
  }
  return end({ claims, keyId, recordId });
}

/** The claims of an envelope whose signature verified (only called then). */
function readClaims(envelope: Readonly<Record<string, unknown>>): AuthorizationClaims | undefined {
  const body = base64Decode(String(envelope["payload"]));
  if (body === undefined) return undefined;
  try {
    const j: unknown = JSON.parse(new TextDecoder().decode(body));
    return isRecord(j) && isRecord(j["decision"]) ? (j as unknown as AuthorizationClaims) : undefined;
  } catch {
    return undefined;
  }
}

/** The outcome of {@link consistencySteps}: with `ok`, `checkpoint` is the new note to hold the log to next time. */
export interface ConsistencySteps {
  readonly ok: boolean;
  readonly steps: readonly EvidenceStep[];
  readonly checkpoint?: string;
  readonly size?: number;
}

/**
 * Check a consistency proof against the checkpoint note seen before (`trusted`; none: only the
 * new checkpoint is checked), both signed by `key` for `origin`. Never throws.
 */
export function consistencySteps(proof: unknown, trusted: string | undefined, key: Uint8Array, origin: string, crypto: EvidenceCrypto): ConsistencySteps {
  const steps: EvidenceStep[] = [];
  const end = (extra: Omit<ConsistencySteps, "ok" | "steps"> = {}): ConsistencySteps => ({ ok: !steps.some((x) => x.status === "fail"), steps, ...extra });
  const fail = (step: EvidenceStep["step"], detail: string): ConsistencySteps => {
    steps.push({ step, status: "fail", detail });
    return end();
  };
  if (!isRecord(proof) || proof["format"] !== "writ-consistency-proof/1") return fail("format", "not a consistency proof (writ-consistency-proof/1)");
  const { from, to, path, checkpoint } = proof;
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || typeof checkpoint !== "string" || !Array.isArray(path) || !path.every((p) => typeof p === "string")) return fail("format", "`from`, `to`, `path` and `checkpoint` are not typed as a consistency proof");
  if (proof["origin"] !== origin) return fail("format", `the proof is for log ${String(proof["origin"])}, not ${origin}`);
  steps.push({ step: "format", status: "pass", detail: `consistency proof from ${String(from)} to ${String(to)} events` });
  const next = verifyCheckpoint(checkpoint, origin, key, crypto.ed25519);
  if (!next.ok) return fail("checkpoint", `the new checkpoint does not verify: ${next.problem.message}`);
  if (next.value.size !== to) return fail("checkpoint", `the new checkpoint is for ${next.value.size} events, the proof says ${String(to)}`);
  steps.push({ step: "checkpoint", status: "pass", detail: `signed checkpoint of ${next.value.size} events` });
  if (trusted === undefined) {
    steps.push({ step: "consistency", status: "skip", detail: "no checkpoint seen before: this one is now held to" });
    return end({ checkpoint, size: next.value.size });
  }
  const before = verifyCheckpoint(trusted, origin, key, crypto.ed25519);
  if (!before.ok) return fail("trusted", `the checkpoint seen before does not verify under this key: ${before.problem.message}`);
  if (before.value.size !== from) return fail("trusted", `the checkpoint seen before is for ${before.value.size} events, the proof starts at ${String(from)}`);
  steps.push({ step: "trusted", status: "pass", detail: `the checkpoint seen before (${before.value.size} events)` });
  const hashes: Uint8Array[] = [];
  for (const p of path as string[]) {
    const h = base64Decode(p);
    if (h === undefined || h.length !== 32) return fail("consistency", "every path element must be the base64 of 32 bytes");
    hashes.push(h);
  }
  const problem = checkConsistency(before.value.size, next.value.size, before.value.rootHash, next.value.rootHash, hashes, crypto.hasher);
  if (problem !== undefined) return fail("consistency", `the log does not extend the checkpoint seen before: ${problem}`);
  steps.push({ step: "consistency", status: "pass", detail: `the log of ${next.value.size} events extends the ${before.value.size} seen before` });
  return end({ checkpoint, size: next.value.size });
}
