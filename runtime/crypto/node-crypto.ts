/**
 * The Node entry's cryptography: Ed25519 and SHA-256 on node:crypto (OpenSSL), several
 * times faster than the pure-JS implementations on the hot paths (decision digests,
 * entity-store ids, log hashing).
 */
import { nodeHasher, sha256 } from "../lineage/merkle-node-hasher.js";
import { nodeEd25519 } from "./ed25519-node.js";
import type { RuntimeCrypto } from "./platform.js";

/** Ed25519 and SHA-256 on node:crypto. */
export const nodeCrypto: RuntimeCrypto = {
  name: "node",
  ed25519: nodeEd25519,
  sha256,
  merkle: nodeHasher,
};
