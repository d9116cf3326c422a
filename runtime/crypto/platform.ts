/**
 * The cryptography one entry of `writ/runtime` runs on: Ed25519 and SHA-256. The Node entry
 * uses node:crypto (OpenSSL), the browser entry @noble; both give the same bytes and accept
 * and reject exactly the same signatures and keys (see `ed25519.ts`).
 *
 * Runtime functions that hash on a hot path (decision digests, entity-store ids) take this
 * object from the entry that exported them, so there is no module-global choice of backend.
 *
 * NOTE: browser-safe (types and pure functions only).
 */
import type { Ed25519 } from "./ed25519.js";
import type { MerkleHasher } from "../lineage/merkle.js";

/** SHA-256 of bytes, or of the UTF-8 encoding of a string (32 bytes). */
export type Sha256 = (data: Uint8Array | string) => Uint8Array;

/** The cryptography of one runtime entry. */
export interface RuntimeCrypto {
  /** `node` (node:crypto) or `browser` (@noble). */
  readonly name: "node" | "browser";
  readonly ed25519: Ed25519;
  readonly sha256: Sha256;
  /** `sha256:` + the lowercase hex SHA-256 of bytes or of a string's UTF-8 (a content id). */
  readonly sha256Id: (data: Uint8Array | string) => string;
  /** RFC 6962 leaf and node hashing for the lineage log. */
  readonly merkle: MerkleHasher;
}

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** `sha256:` + the lowercase hex of a 32-byte digest. */
export function sha256Id(digest: Uint8Array): string {
  let out = "sha256:";
  for (let i = 0; i < digest.length; i++) out += HEX[digest[i]!];
  return out;
}
