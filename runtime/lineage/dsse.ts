/**
 * DSSE (Dead Simple Signing Envelope) with Ed25519, and in-toto Statement v1,
 * for exporting lineage as attestations.
 *
 * The signature covers the pre-authentication encoding (PAE) of the payload
 * type and the payload bytes, never the JSON of the envelope:
 *
 *     PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
 *
 * where LEN is the byte length in ASCII decimal and SP one space (0x20). The
 * envelope is `{ payload: base64(body), payloadType, signatures: [{ keyid, sig }] }`
 * with standard padded base64.
 *
 * NOTE: browser-safe (the Ed25519 implementation is passed in).
 */
import { base64Decode, base64Encode } from "../crypto/base64.js";
import type { Ed25519 } from "../crypto/ed25519.js";
import { failure, type Failure } from "../../compiler/compile-ir.js";
import type { NoteSigner } from "./signed-note.js";

/** The payload type of in-toto statements. */
export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";
/** The `_type` of an in-toto Statement v1. */
export const IN_TOTO_STATEMENT_TYPE = "https://in-toto.io/Statement/v1";

/** One DSSE signature. */
export interface DsseSignature {
  /** Which key signed (may be empty). */
  readonly keyid: string;
  /** Standard base64 of the signature bytes. */
  readonly sig: string;
}

/** A DSSE envelope (plain JSON). */
export interface DsseEnvelope {
  /** Standard base64 of the payload bytes. */
  readonly payload: string;
  readonly payloadType: string;
  readonly signatures: readonly DsseSignature[];
}

/** An in-toto resource descriptor naming what a statement is about. */
export interface InTotoSubject {
  readonly name: string;
  readonly digest: Readonly<Record<string, string>>;
}

/** An in-toto Statement v1 (plain JSON). */
export interface InTotoStatement {
  readonly _type: typeof IN_TOTO_STATEMENT_TYPE;
  readonly subject: readonly InTotoSubject[];
  readonly predicateType: string;
  readonly predicate: unknown;
}

const UTF8 = new TextEncoder();

/** Write ASCII `text` into `out` at `at`; returns the position after it. */
function putAscii(out: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
  return at + text.length;
}

/** The DSSE pre-authentication encoding of `payloadType` and `body`, in one array (a signer hashes it once). */
export function pae(payloadType: string, body: Uint8Array): Uint8Array {
  const type = /^[\x00-\x7f]*$/.test(payloadType) ? undefined : UTF8.encode(payloadType);
  const typeLength = type === undefined ? payloadType.length : type.length;
  const head = `DSSEv1 ${typeLength} `;
  const mid = ` ${body.length} `;
  const out = new Uint8Array(head.length + typeLength + mid.length + body.length);
  let at = putAscii(out, 0, head);
  if (type === undefined) at = putAscii(out, at, payloadType);
  else {
    out.set(type, at);
    at += type.length;
  }
  at = putAscii(out, at, mid);
  out.set(body, at);
  return out;
}

/**
 * Sign `body` into an envelope with one Ed25519 signature over its PAE. `ed25519` is needed
 * only when `signer` is a raw private key.
 */
export function signEnvelope(payloadType: string, body: Uint8Array, signer: Uint8Array | NoteSigner, keyid: string, ed25519?: Ed25519): DsseEnvelope {
  if (signer instanceof Uint8Array && ed25519 === undefined) throw new Error("signEnvelope: a raw private key needs an Ed25519 implementation");
  const sig = signer instanceof Uint8Array ? ed25519!.sign(signer, pae(payloadType, body)) : signer.sign(pae(payloadType, body));
  return dsseEnvelope(payloadType, body, keyid, sig);
}

/** The envelope of `body` with one signature made over `pae(payloadType, body)` by the caller. */
export function dsseEnvelope(payloadType: string, body: Uint8Array, keyid: string, sig: Uint8Array): DsseEnvelope {
  return { payload: base64Encode(body), payloadType, signatures: [{ keyid, sig: base64Encode(sig) }] };
}

/** Outcome of {@link verifyEnvelope}: the verified payload bytes and type. */
export type EnvelopeCheck =
  | { readonly ok: true; readonly payloadType: string; readonly payload: Uint8Array; readonly keyid: string }
  | Failure;

function isObject(x: unknown): x is Readonly<Record<string, unknown>> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/**
 * Check that some signature of `envelope` verifies under `publicKey` (raw 32
 * bytes) over the PAE of its payload type and payload; when `keyid` is given,
 * only signatures naming it count. Never throws.
 */
export function verifyEnvelope(envelope: unknown, publicKey: Uint8Array, ed25519: Ed25519, keyid?: string): EnvelopeCheck {
  if (!isObject(envelope)) return failure("W6216", { detail: "the envelope must be a JSON object" });
  const { payload, payloadType, signatures } = envelope;
  if (typeof payload !== "string" || typeof payloadType !== "string") return failure("W6216", { detail: "`payload` and `payloadType` must be strings" });
  if (!Array.isArray(signatures) || signatures.length === 0) return failure("W6216", { detail: "the envelope has no signatures" });
  const body = base64Decode(payload);
  if (body === undefined) return failure("W6216", { detail: "`payload` is not base64" });
  const message = pae(payloadType, body);
  for (const s of signatures) {
    if (!isObject(s) || typeof s.sig !== "string") continue;
    const id = typeof s.keyid === "string" ? s.keyid : "";
    if (keyid !== undefined && id !== keyid) continue;
    const sig = base64Decode(s.sig);
    if (sig === undefined || sig.length !== 64) continue;
    let good = false;
    try {
      good = ed25519.verify(publicKey, message, sig);
    } catch {
      good = false;
    }
    if (good) return { ok: true, payloadType, payload: body, keyid: id };
  }
  return failure("W6216", { detail: "no signature verifies with the given key" });
}

/** An in-toto Statement v1. */
export function inTotoStatement(subject: readonly InTotoSubject[], predicateType: string, predicate: unknown): InTotoStatement {
  return { _type: IN_TOTO_STATEMENT_TYPE, subject, predicateType, predicate };
}
