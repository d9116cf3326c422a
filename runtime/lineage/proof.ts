/**
 * Self-contained inclusion proofs of lineage events, and their offline check.
 *
 * A proof carries the event itself, its index, the RFC 6962 audit path, the
 * signed checkpoint it is proven against and the log's verifier key, so
 * {@link verifyProof} needs no store: it re-hashes the event's canonical
 * bytes, checks the checkpoint signature and folds the path to the signed
 * root. Passing the expected public key pins the log; without it the proof is
 * only checked against the key it carries (integrity, not authenticity).
 *
 * NOTE: browser-safe.
 */
import { canonicalBytes, toHex } from "../../compiler/canonical.js";
import { base64Decode, base64Encode } from "../crypto/base64.js";
import { browserEd25519 } from "../crypto/ed25519-browser.js";
import type { Ed25519 } from "../crypto/ed25519.js";
import { parseVerifierKey, verifyCheckpoint } from "./checkpoint.js";
import { failure, type Failure } from "../../compiler/compile-ir.js";
import { bytesEqual, checkInclusion, defaultHasher } from "./merkle.js";
import type { Hash, MerkleHasher } from "./merkle.js";

/** The format tag of {@link LineageProof}. */
export const LINEAGE_PROOF_FORMAT = "writ-lineage-proof/1";

/** A self-contained inclusion proof (plain JSON; written by `writ lineage prove`). */
export interface LineageProof {
  readonly format: typeof LINEAGE_PROOF_FORMAT;
  /** The event (a JSON object) whose canonical bytes are the leaf data. */
  readonly event: unknown;
  /** Event id: `sha256:<hex>` of the RFC 6962 leaf hash. */
  readonly id: string;
  /** Leaf index in the log. */
  readonly index: number;
  /** Tree size of the checkpoint the proof is against. */
  readonly size: number;
  /** Audit path, base64 of each 32-byte hash, leaf to root. */
  readonly path: readonly string[];
  /** The signed checkpoint note for `size`. */
  readonly checkpoint: string;
  /** The log's origin (the checkpoint's first line and key name). */
  readonly origin: string;
  /** The log's verifier key text `<name>+<key id>+<base64 key>`. */
  readonly publicKey: string;
}

/** Outcome of {@link verifyProof}. */
export type ProofCheck =
  | { readonly ok: true; readonly id: string; readonly index: number; readonly size: number; readonly origin: string }
  | Failure;

function proofFailure(detail: string): Failure {
  return failure("W6202", { detail });
}

/** The event id of a leaf hash: `sha256:<hex>`. */
export function eventIdOf(leafHash: Hash): string {
  return `sha256:${toHex(leafHash)}`;
}

/** Options of {@link verifyProof}. */
export interface VerifyProofOptions {
  readonly ed25519?: Ed25519;
  readonly hasher?: MerkleHasher;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Resolve the caller's pinned key (raw bytes, verifier key text, or base64 of 32 bytes). */
function pinnedKey(key: Uint8Array | string): Uint8Array | undefined {
  if (key instanceof Uint8Array) return key;
  const parsed = parseVerifierKey(key.trim());
  if (parsed.ok) return parsed.value.publicKey;
  const raw = base64Decode(key.trim());
  return raw !== undefined && raw.length === 32 ? raw : undefined;
}

/**
 * Check a proof offline. `publicKey` (raw 32 bytes, a verifier key text, or
 * base64) pins the log key; when given, a proof carrying another key fails.
 * Never throws.
 */
export function verifyProof(proof: unknown, publicKey?: Uint8Array | string, options: VerifyProofOptions = {}): ProofCheck {
  const ed25519 = options.ed25519 ?? browserEd25519;
  const hasher = options.hasher ?? defaultHasher;
  if (!isRecord(proof)) return proofFailure("proof must be a JSON object");
  if (proof.format !== LINEAGE_PROOF_FORMAT) return proofFailure(`unknown proof format ${JSON.stringify(proof.format)}`);
  const { event, id, index, size, path, checkpoint, origin } = proof;
  if (!isRecord(event)) return proofFailure("proof event must be a JSON object");
  if (typeof id !== "string" || typeof checkpoint !== "string" || typeof origin !== "string" || typeof proof.publicKey !== "string") {
    return proofFailure("proof id, checkpoint, origin and publicKey must be strings");
  }
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size)) return proofFailure("proof index and size must be integers");
  if (!Array.isArray(path) || !path.every((p) => typeof p === "string")) return proofFailure("proof path must be a list of base64 strings");
  const parsedKey = parseVerifierKey(proof.publicKey);
  if (!parsedKey.ok) return proofFailure(`proof public key: ${parsedKey.problem.message}`);
  const key = parsedKey.value;
  if (key.name !== origin) return proofFailure("proof key name is not the log origin");
  if (publicKey !== undefined) {
    const pinned = pinnedKey(publicKey);
    if (pinned === undefined) return proofFailure("the given public key is not a 32-byte Ed25519 key");
    if (!bytesEqual(pinned, key.publicKey)) return proofFailure("proof is signed by a different key than the one given");
  }
  const cp = verifyCheckpoint(checkpoint, origin, key.publicKey, ed25519);
  if (!cp.ok) return proofFailure(`checkpoint: ${cp.problem.message}`);
  if (cp.value.origin !== origin) return proofFailure("checkpoint origin does not match the proof");
  if (cp.value.size !== size) return proofFailure(`checkpoint size ${cp.value.size} does not match proof size ${String(size)}`);
  let data: Uint8Array;
  try {
    data = canonicalBytes(event);
  } catch (e) {
    return proofFailure(`event is not plain JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const leaf = hasher.leaf(data);
  if (eventIdOf(leaf) !== id) return proofFailure("event content does not match its id");
  const hashes: Hash[] = [];
  for (const p of path as string[]) {
    const h = base64Decode(p);
    if (h === undefined || h.length !== 32) return proofFailure("every path element must be the base64 of 32 bytes");
    hashes.push(h);
  }
  const problem = checkInclusion(leaf, index as number, size as number, hashes, cp.value.rootHash, hasher);
  if (problem !== undefined) return proofFailure(`inclusion: ${problem}`);
  return { ok: true, id, index: index as number, size: size as number, origin };
}

/** Encode an audit path for a {@link LineageProof}. */
export function encodePath(path: readonly Hash[]): string[] {
  return path.map((h) => base64Encode(h));
}
