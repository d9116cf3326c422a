/**
 * Ed25519 for Node, on node:crypto (OpenSSL). Raw 32-byte keys are wrapped in
 * their fixed DER envelopes (PKCS#8 for the seed, SubjectPublicKeyInfo for the
 * public key); strict encoding checks from `ed25519.ts` run before OpenSSL.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { assertPrivateKey, ed25519PreCheck } from "./ed25519.js";
import type { Ed25519, Ed25519KeyPair } from "./ed25519.js";
import { PKCS8_ED25519_PREFIX, SPKI_ED25519_PREFIX } from "./pem.js";

function concat(a: Uint8Array, b: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** A small cache of imported public keys: verifying many signatures of one key is the common case. */
const publicKeyCache = new Map<string, KeyObject>();
const PUBLIC_KEY_CACHE_MAX = 64;

function importPublicKey(publicKey: Uint8Array): KeyObject {
  const cacheKey = Buffer.from(publicKey).toString("hex");
  let key = publicKeyCache.get(cacheKey);
  if (key === undefined) {
    key = createPublicKey({ key: concat(SPKI_ED25519_PREFIX, publicKey), format: "der", type: "spki" });
    if (publicKeyCache.size >= PUBLIC_KEY_CACHE_MAX) {
      const oldest = publicKeyCache.keys().next().value;
      if (oldest !== undefined) publicKeyCache.delete(oldest);
    }
    publicKeyCache.set(cacheKey, key);
  }
  return key;
}

function importPrivateKey(seed: Uint8Array): KeyObject {
  assertPrivateKey(seed);
  return createPrivateKey({ key: concat(PKCS8_ED25519_PREFIX, seed), format: "der", type: "pkcs8" });
}

function rawPublicKey(key: KeyObject): Uint8Array {
  const der = key.export({ format: "der", type: "spki" });
  return new Uint8Array(der.subarray(der.length - 32));
}

/** Ed25519 on node:crypto. */
export const nodeEd25519: Ed25519 = {
  sign(privateKey: Uint8Array, msg: Uint8Array): Uint8Array {
    return new Uint8Array(nodeSign(null, msg, importPrivateKey(privateKey)));
  },

  verify(publicKey: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
    if (ed25519PreCheck(publicKey, sig) !== undefined) return false;
    if (!(msg instanceof Uint8Array)) return false;
    try {
      return nodeVerify(null, msg, importPublicKey(publicKey), sig);
    } catch {
      return false;
    }
  },

  verifyAsync(publicKey: Uint8Array, msg: Uint8Array, sig: Uint8Array): Promise<boolean> {
    if (ed25519PreCheck(publicKey, sig) !== undefined || !(msg instanceof Uint8Array)) return Promise.resolve(false);
    return new Promise((resolve) => {
      try {
        // NOTE: the callback form runs the check on libuv's thread pool.
        nodeVerify(null, msg, importPublicKey(publicKey), sig, (error, ok) => resolve(error === null && ok));
      } catch {
        resolve(false);
      }
    });
  },

  generateKeyPair(): Ed25519KeyPair {
    const { privateKey } = generateKeyPairSync("ed25519");
    const der = privateKey.export({ format: "der", type: "pkcs8" });
    const seed = new Uint8Array(der.subarray(der.length - 32));
    return { privateKey: seed, publicKey: rawPublicKey(createPublicKey(privateKey)) };
  },

  publicKeyOf(privateKey: Uint8Array): Uint8Array {
    return rawPublicKey(createPublicKey(importPrivateKey(privateKey)));
  },
};
