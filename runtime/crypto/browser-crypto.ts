/**
 * The browser entry's cryptography: Ed25519 and SHA-256 from @noble (no `node:` imports).
 */
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { browserEd25519 } from "./ed25519-browser.js";
import { sha256Id, type RuntimeCrypto } from "./platform.js";
import { defaultHasher } from "../lineage/merkle.js";

const UTF8 = new TextEncoder();

/** Ed25519 and SHA-256 on @noble. */
export const browserCrypto: RuntimeCrypto = {
  name: "browser",
  ed25519: browserEd25519,
  sha256: (data) => nobleSha256(typeof data === "string" ? UTF8.encode(data) : data),
  sha256Id: (data) => sha256Id(nobleSha256(typeof data === "string" ? UTF8.encode(data) : data)),
  merkle: defaultHasher,
};
