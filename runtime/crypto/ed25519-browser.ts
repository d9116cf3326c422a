/**
 * Ed25519 for the browser (and any JS engine), on @noble/curves. Uses strict
 * RFC 8032 decoding (`zip215: false`) plus the shared pre-checks of
 * `ed25519.ts`, so it accepts and rejects exactly like the Node implementation.
 *
 * NOTE: must not import Node modules.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { assertPrivateKey, ed25519PreCheck } from "./ed25519.js";
import type { Ed25519, Ed25519KeyPair } from "./ed25519.js";

/** Ed25519 on @noble/curves. */
export const browserEd25519: Ed25519 = {
  sign(privateKey: Uint8Array, msg: Uint8Array): Uint8Array {
    assertPrivateKey(privateKey);
    return ed25519.sign(msg, privateKey);
  },

  verify(publicKey: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
    if (ed25519PreCheck(publicKey, sig) !== undefined) return false;
    if (!(msg instanceof Uint8Array)) return false;
    try {
      return ed25519.verify(sig, msg, publicKey, { zip215: false });
    } catch {
      return false;
    }
  },

  generateKeyPair(): Ed25519KeyPair {
    const { secretKey, publicKey } = ed25519.keygen();
    return { privateKey: secretKey, publicKey };
  },

  publicKeyOf(privateKey: Uint8Array): Uint8Array {
    assertPrivateKey(privateKey);
    return ed25519.getPublicKey(privateKey);
  },
};
