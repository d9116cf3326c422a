/**
 * Standard base64 (RFC 4648 §4, with padding) for evidence formats: checkpoints,
 * key files, proofs. Decoding is strict: only the standard alphabet, exact
 * padding, and the canonical form (unused trailing bits zero), so each byte
 * string has exactly one accepted text. This is what makes "any changed
 * character is detected" hold for signed notes.
 *
 * NOTE: pure and dependency-free; runs in Node and in the browser.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DECODE: Int16Array = (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) t[ALPHABET.charCodeAt(i)] = i;
  return t;
})();

/** Node's `Buffer`, when the platform has one (its base64 is native and gives the same text). */
const NodeBuffer: { from(b: ArrayBufferLike, offset: number, length: number): { toString(encoding: "base64"): string } } | undefined = (
  globalThis as { Buffer?: { from(b: ArrayBufferLike, offset: number, length: number): { toString(encoding: "base64"): string } } }
).Buffer;

/**
 * Encode bytes as standard padded base64.
 * NOTE: on Node, `Buffer`'s native encoder (an authorization artifact's 2–3 KB payload: ~1 µs
 * against ~25 µs for the loop below, whose string of 4-character pieces is flattened later);
 * the loop elsewhere. A property test holds the two equal.
 */
export function base64Encode(bytes: Uint8Array): string {
  return NodeBuffer !== undefined ? NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64") : base64EncodeLoop(bytes);
}

/** {@link base64Encode} without `Buffer` (browsers). */
export function base64EncodeLoop(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + "==";
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + "=";
  }
  return out;
}

/**
 * Decode strict standard base64. Returns `undefined` for anything that is not
 * the canonical padded encoding of some byte string (wrong length, characters
 * outside the alphabet, misplaced `=`, non-zero unused bits, whitespace).
 */
export function base64Decode(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0) return undefined;
  let pad = 0;
  if (text.endsWith("==")) pad = 2;
  else if (text.endsWith("=")) pad = 1;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    const vals = [0, 0, 0, 0];
    for (let j = 0; j < 4; j++) {
      const c = text.charCodeAt(i + j);
      if (c === 61 /* = */ && last && j >= 4 - pad) {
        vals[j] = 0;
        continue;
      }
      const v = c < 128 ? DECODE[c]! : -1;
      if (v < 0) return undefined;
      vals[j] = v;
    }
    const n = (vals[0]! << 18) | (vals[1]! << 12) | (vals[2]! << 6) | vals[3]!;
    if (last && pad === 2) {
      if ((n & 0xffff) !== 0) return undefined;
      out[o++] = n >> 16;
    } else if (last && pad === 1) {
      if ((n & 0xff) !== 0) return undefined;
      out[o++] = n >> 16;
      out[o++] = (n >> 8) & 0xff;
    } else {
      out[o++] = n >> 16;
      out[o++] = (n >> 8) & 0xff;
      out[o++] = n & 0xff;
    }
  }
  return out;
}
