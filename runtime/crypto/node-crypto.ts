/**
 * The Node entry's cryptography: Ed25519 and SHA-256 on node:crypto (OpenSSL), several
 * times faster than the pure-JS implementations on the hot paths (decision digests,
 * entity-store ids, log hashing).
 */
import * as crypto from "node:crypto";
import { nodeHasher, sha256 } from "../lineage/merkle-node-hasher.js";
import { nodeEd25519 } from "./ed25519-node.js";
import type { RuntimeCrypto } from "./platform.js";

// NOTE: crypto.hash (one-shot, no Hash object) exists from Node 20.12; fall back to createHash.
const oneShotHex = (crypto as unknown as { hash?: (alg: string, data: Uint8Array | string, enc: "hex") => string }).hash;

/** Ed25519 and SHA-256 on node:crypto. */
export const nodeCrypto: RuntimeCrypto = {
  name: "node",
  ed25519: nodeEd25519,
  sha256,
  sha256Id: (data) => `sha256:${oneShotHex ? oneShotHex("sha256", data, "hex") : crypto.createHash("sha256").update(data).digest("hex")}`,
  merkle: nodeHasher,
};
