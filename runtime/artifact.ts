/**
 * Authorization artifacts: what a decision node hands an executor in another process so that
 * the executor can check, offline, that an action was authorized before running it.
 *
 * An artifact is a DSSE envelope (see `lineage/dsse.ts`) signed by the node's key (the key
 * that signs its lineage checkpoints) over the RFC 8785 bytes of
 *
 * ```
 * { format: "writ-authorization/1", node, execution, eventId, expiresAt, obligations, decision }
 * ```
 *
 * - `eventId` is the `authorized` event recorded in the node's lineage log (prove it with
 *   `GET /v1/lineage/proof/<eventId>` or `writ lineage prove`);
 * - `decision` is the decision record (an `allow`), `obligations` the names of its obligations,
 *   sorted: the outcome the executor reports must confirm each one;
 * - `expiresAt` is an RFC 3339 UTC time after which the artifact is no longer accepted.
 *
 * `verifyArtifact` checks the signature (over the DSSE pre-authentication encoding, so the
 * payload type is bound too), the shape of the claims and the expiry against a time the
 * caller supplies: nothing here reads a clock.
 *
 * NOTE: browser-safe (the Ed25519 implementation and the signer are passed in).
 */
import { errorText, failure, type Failure } from "../compiler/compile-ir.js";
import { keyIdOf } from "../compiler/ids.js";
import type { Ed25519 } from "./crypto/ed25519.js";
import type { DecisionRecord } from "./decision-record.js";
import { dsseEnvelope, pae, signEnvelope, verifyEnvelope, type DsseEnvelope } from "./lineage/dsse.js";
import { eventBytes } from "./lineage/event-text.js";
import type { NoteSigner } from "./lineage/signed-note.js";

/** The DSSE payload type of authorization artifacts. */
export const ARTIFACT_PAYLOAD_TYPE = "application/vnd.writ.authorization+json";
/** The `format` of the claims. */
export const ARTIFACT_FORMAT = "writ-authorization/1";

/** What an artifact states (plain JSON). */
export interface AuthorizationClaims {
  readonly format: typeof ARTIFACT_FORMAT;
  /** The decision node that authorized. */
  readonly node: string;
  /** The execution id. */
  readonly execution: string;
  /** The `authorized` event id in the node's lineage log. */
  readonly eventId: string;
  /** RFC 3339 UTC time after which the artifact is refused. */
  readonly expiresAt: string;
  /** The obligations the outcome must confirm (names, sorted). */
  readonly obligations: readonly string[];
  /** The decision record (an allow). */
  readonly decision: DecisionRecord;
}

/** The fields a node supplies to {@link signArtifact} (the format and obligations are derived). */
export type ArtifactInput = Omit<AuthorizationClaims, "format" | "obligations">;

/** The outcome of {@link verifyArtifact}. */
export type ArtifactCheck = { readonly ok: true; readonly claims: AuthorizationClaims; readonly keyId: string } | Failure;

/** Options of {@link verifyArtifact}. */
export interface VerifyArtifactOptions {
  /** The time to check the expiry against (a Date, an RFC 3339 string or epoch milliseconds). */
  readonly now: Date | string | number;
  /** The Ed25519 implementation (`ed25519` of a `writ/runtime` entry). */
  readonly ed25519: Ed25519;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function isObject(x: unknown): x is Readonly<Record<string, unknown>> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function invalid(detail: string): Failure {
  return failure("W8010", { detail });
}

/** Milliseconds since the epoch of a caller-supplied time, or undefined when it is not one. */
function epochOf(t: Date | string | number): number | undefined {
  if (t instanceof Date) return Number.isFinite(t.getTime()) ? t.getTime() : undefined;
  if (typeof t === "number") return Number.isFinite(t) ? t : undefined;
  return RFC3339.test(t) ? Date.parse(t) : undefined;
}

/** A signer that may sign off the calling thread (node:crypto's callback form runs in the libuv pool). */
export interface AsyncSigner {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

function claimsOf(input: ArtifactInput): AuthorizationClaims {
  return {
    format: ARTIFACT_FORMAT,
    node: input.node,
    execution: input.execution,
    eventId: input.eventId,
    expiresAt: input.expiresAt,
    obligations: Object.keys(input.decision.obligations).sort(),
    decision: input.decision,
  };
}

/** The RFC 8785 bytes of the claims: the lineage event writer's one-pass form (the same bytes as `canonicalBytes`). */
function claimsBytes(input: ArtifactInput): Uint8Array {
  return eventBytes(claimsOf(input));
}

/** Key ids of signers' public keys seen so far, with a copy of the bytes they were computed from. */
const keyIds = new WeakMap<Uint8Array, { readonly bytes: Uint8Array; readonly id: string }>();

/**
 * `keyIdOf(publicKey)`, remembered per key array: a node signs every artifact with one key.
 * NOTE: the bytes are compared on each use, so a key array changed in place gets a fresh id.
 */
function rememberedKeyId(publicKey: Uint8Array): string {
  const known = keyIds.get(publicKey);
  if (known !== undefined && known.bytes.length === publicKey.length && known.bytes.every((b, i) => b === publicKey[i])) return known.id;
  const id = keyIdOf(publicKey);
  keyIds.set(publicKey, { bytes: publicKey.slice(), id });
  return id;
}

/**
 * Sign an authorization artifact with the node's signer. The obligations listed are the keys
 * of the decision's obligations, sorted. Throws only when the signer throws.
 */
export function signArtifact(input: ArtifactInput, signer: NoteSigner): DsseEnvelope {
  return signEnvelope(ARTIFACT_PAYLOAD_TYPE, claimsBytes(input), signer, rememberedKeyId(signer.publicKey));
}

/** {@link signArtifact} with a signer that answers asynchronously (the same envelope). Rejects only when the signer rejects. */
export async function signArtifactAsync(input: ArtifactInput, signer: AsyncSigner): Promise<DsseEnvelope> {
  const body = claimsBytes(input);
  const sig = await signer.sign(pae(ARTIFACT_PAYLOAD_TYPE, body));
  return dsseEnvelope(ARTIFACT_PAYLOAD_TYPE, body, rememberedKeyId(signer.publicKey), sig);
}

/** The claims of a verified payload, or why they are not valid claims. */
function readClaims(payload: Uint8Array): AuthorizationClaims | string {
  let j: unknown;
  try {
    j = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload));
  } catch (e) {
    return `the payload is not JSON: ${errorText(e)}`;
  }
  if (!isObject(j)) return "the payload must be a JSON object";
  if (j["format"] !== ARTIFACT_FORMAT) return `unsupported format ${JSON.stringify(j["format"])} (expected "${ARTIFACT_FORMAT}")`;
  for (const k of ["node", "execution", "eventId", "expiresAt"] as const) {
    if (typeof j[k] !== "string" || j[k] === "") return `\`${k}\` must be a non-empty string`;
  }
  if (!RFC3339.test(j["expiresAt"] as string)) return "`expiresAt` must be an RFC 3339 time";
  const d = j["decision"];
  if (!isObject(d) || d["decision"] !== "allow") return "`decision` must be a decision record that allows";
  if (!isObject(d["obligations"]) || typeof d["bundleId"] !== "string" || typeof d["requestDigest"] !== "string") return "`decision` is not a decision record";
  const obligations = j["obligations"];
  if (!Array.isArray(obligations) || !obligations.every((o) => typeof o === "string")) return "`obligations` must be a list of names";
  const expected = Object.keys(d["obligations"] as object).sort();
  if (obligations.length !== expected.length || obligations.some((o, i) => o !== expected[i])) return "`obligations` does not list the decision's obligations";
  return j as unknown as AuthorizationClaims;
}

/**
 * Verify an artifact: a signature by `publicKey` (raw 32 bytes) over its payload type and
 * payload, well-formed claims of an allow, and `expiresAt` later than `options.now`.
 * W8010 when it is not a valid artifact, W8011 when it has expired. Never throws.
 */
export function verifyArtifact(envelope: unknown, publicKey: Uint8Array, options: VerifyArtifactOptions): ArtifactCheck {
  const now = epochOf(options.now);
  if (now === undefined) return invalid("the time to check the expiry against is not a valid time");
  if (isObject(envelope) && envelope["payloadType"] !== ARTIFACT_PAYLOAD_TYPE) {
    return invalid(`the envelope's payload type is ${JSON.stringify(envelope["payloadType"])}, not ${ARTIFACT_PAYLOAD_TYPE}`);
  }
  const signed = verifyEnvelope(envelope, publicKey, options.ed25519);
  if (!signed.ok) return invalid(signed.problem.message);
  const claims = readClaims(signed.payload);
  if (typeof claims === "string") return invalid(claims);
  if (Date.parse(claims.expiresAt) <= now) return failure("W8011", { expiresAt: claims.expiresAt });
  return { ok: true, claims, keyId: rememberedKeyId(publicKey) };
}
