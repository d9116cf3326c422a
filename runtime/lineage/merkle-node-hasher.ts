/**
 * RFC 6962 hashing on node:crypto: the same bytes as `defaultHasher`, roughly
 * twice the throughput (log verification re-hashes every event). Node only.
 */
import * as nodeCrypto from "node:crypto";
import { HASH_BYTES } from "./merkle.js";
import type { MerkleHasher } from "./merkle.js";

type OneShot = (algorithm: string, data: Uint8Array, outputEncoding: "buffer") => Buffer;

// NOTE: crypto.hash (one-shot, no Hash object) exists from Node 20.12; fall back to createHash.
const oneShot: OneShot | undefined = (nodeCrypto as unknown as { hash?: OneShot }).hash;

function sha256(data: Uint8Array): Uint8Array {
  const digest = oneShot ? oneShot("sha256", data, "buffer") : nodeCrypto.createHash("sha256").update(data).digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

const nodeBuffer = new Uint8Array(1 + 2 * HASH_BYTES);
nodeBuffer[0] = 0x01;
const EMPTY_ROOT = sha256(new Uint8Array(0)).slice();

/** RFC 6962 hashing on node:crypto (OpenSSL). */
export const nodeHasher: MerkleHasher = {
  leaf(data: Uint8Array): Uint8Array {
    const buf = new Uint8Array(1 + data.length);
    buf.set(data, 1);
    return sha256(buf);
  },
  node(left: Uint8Array, right: Uint8Array): Uint8Array {
    if (left.length === HASH_BYTES && right.length === HASH_BYTES) {
      nodeBuffer.set(left, 1);
      nodeBuffer.set(right, 1 + HASH_BYTES);
      return sha256(nodeBuffer);
    }
    const buf = new Uint8Array(1 + left.length + right.length);
    buf[0] = 0x01;
    buf.set(left, 1);
    buf.set(right, 1 + left.length);
    return sha256(buf);
  },
  empty(): Uint8Array {
    return EMPTY_ROOT.slice();
  },
};
