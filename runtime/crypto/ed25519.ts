/**
 * Ed25519 (RFC 8032) behind one small interface, with the strict encoding checks
 * that make verification reject every Wycheproof `invalid` vector whichever
 * backend runs underneath.
 *
 * Two implementations share this contract: `ed25519-node.ts` (node:crypto) and
 * `ed25519-browser.ts` (@noble/curves). Keys are raw bytes: a private key is the
 * 32-byte RFC 8032 seed, a public key the 32-byte point encoding, a signature
 * 64 bytes (R ‖ S).
 *
 * NOTE: this file must stay free of Node-only imports; the browser build uses it.
 */

/** Length in bytes of an Ed25519 private key (seed), public key and signature. */
export const ED25519_PRIVATE_KEY_BYTES = 32;
/** Length in bytes of an encoded Ed25519 public key. */
export const ED25519_PUBLIC_KEY_BYTES = 32;
/** Length in bytes of an Ed25519 signature (R ‖ S). */
export const ED25519_SIGNATURE_BYTES = 64;

/** A raw Ed25519 key pair. */
export interface Ed25519KeyPair {
  /** 32-byte RFC 8032 seed. Keep secret. */
  readonly privateKey: Uint8Array;
  /** 32-byte encoded public point. */
  readonly publicKey: Uint8Array;
}

/**
 * The Ed25519 operations Writ needs. All methods are synchronous.
 * `verify` never throws: any malformed input is simply `false`.
 * `sign` and `publicKeyOf` throw only when the private key is not 32 bytes
 * (a broken caller invariant).
 */
export interface Ed25519 {
  /** Sign `msg` with a 32-byte private key; returns a 64-byte signature. */
  sign(privateKey: Uint8Array, msg: Uint8Array): Uint8Array;
  /** Strict RFC 8032 verification (canonical S < L, canonical point encodings, exact lengths). */
  verify(publicKey: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean;
  /**
   * `verify` off the calling thread, where the platform has a thread pool (node:crypto's):
   * many signatures checked at once then use every core. Same answers as `verify`; never rejects.
   */
  readonly verifyAsync?: (publicKey: Uint8Array, msg: Uint8Array, sig: Uint8Array) => Promise<boolean>;
  /** A fresh random key pair (the only use of randomness; never during evaluation). */
  generateKeyPair(): Ed25519KeyPair;
  /** The public key belonging to a 32-byte private key. */
  publicKeyOf(privateKey: Uint8Array): Uint8Array;
}

/** The group order L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
const L_LE: readonly number[] = [
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
];

/** The field prime p = 2^255 - 19, little-endian. */
const P_LE: readonly number[] = [
  0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
];

/** Compare 32 little-endian bytes at `bytes[offset..]` (top bit masked by `topMask`) against `bound`: true when strictly less. */
function lessThanLE(bytes: Uint8Array, offset: number, bound: readonly number[], topMask: number): boolean {
  for (let i = 31; i >= 0; i--) {
    const b = i === 31 ? bytes[offset + i]! & topMask : bytes[offset + i]!;
    const c = bound[i]!;
    if (b < c) return true;
    if (b > c) return false;
  }
  return false;
}

/** True when the scalar S (second half of `sig`) is canonical: S < L (RFC 8032 §5.1.7). */
export function isCanonicalScalar(sig: Uint8Array): boolean {
  return sig.length === ED25519_SIGNATURE_BYTES && lessThanLE(sig, 32, L_LE, 0xff);
}

/**
 * True when the 32 bytes at `offset` are a canonical point encoding: the
 * y coordinate (low 255 bits) is < p, and y = 1 / y = p-1 (x = 0) do not carry
 * a set sign bit (RFC 8032 §5.1.3: x = 0 with x_0 = 1 must fail).
 * Whether the point is on the curve is left to the backend.
 */
export function isCanonicalPointEncoding(bytes: Uint8Array, offset = 0): boolean {
  if (bytes.length < offset + 32) return false;
  if (!lessThanLE(bytes, offset, P_LE, 0x7f)) return false;
  const signBit = (bytes[offset + 31]! & 0x80) !== 0;
  if (!signBit) return true;
  // x = 0 exactly when y^2 = 1, i.e. y = 1 or y = p - 1.
  let isOne = bytes[offset] === 0x01;
  let isMinusOne = bytes[offset] === 0xec;
  for (let i = 1; i < 32 && (isOne || isMinusOne); i++) {
    const b = i === 31 ? bytes[offset + i]! & 0x7f : bytes[offset + i]!;
    if (b !== 0) isOne = false;
    if (b !== (i === 31 ? 0x7f : 0xff)) isMinusOne = false;
  }
  return !(isOne || isMinusOne);
}

/**
 * The canonical encodings of the eight points of small order (the torsion subgroup: the
 * identity, the point of order 2, two of order 4 and four of order 8). Every other
 * encoding of these points has y ≥ p or a sign bit on x = 0 and is refused as non-canonical.
 */
const SMALL_ORDER_POINTS: readonly string[] = [
  "0100000000000000000000000000000000000000000000000000000000000000",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0000000000000000000000000000000000000000000000000000000000000080",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
];

function hex32(bytes: Uint8Array, offset: number): string {
  let out = "";
  for (let i = 0; i < 32; i++) out += bytes[offset + i]!.toString(16).padStart(2, "0");
  return out;
}

/** True when the 32 bytes at `offset` encode a point of small order (a public key that would let anyone forge). */
export function isSmallOrderEncoding(bytes: Uint8Array, offset = 0): boolean {
  return bytes.length >= offset + 32 && SMALL_ORDER_POINTS.includes(hex32(bytes, offset));
}

/**
 * Why a public key must not be used, or undefined when it is acceptable: exactly 32 bytes,
 * a canonical point encoding, not of small order. Applied when a key is loaded (key files,
 * bundle and log verifier keys) and again inside every verification, in both backends.
 */
export function publicKeyProblem(publicKey: Uint8Array): string | undefined {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== ED25519_PUBLIC_KEY_BYTES) return "public key must be 32 bytes";
  if (!isCanonicalPointEncoding(publicKey)) return "public key is not a canonical point encoding";
  if (isSmallOrderEncoding(publicKey)) return "public key is a point of small order (it would verify forged signatures)";
  return undefined;
}

/**
 * The structural checks every implementation applies before its backend:
 * exact lengths, canonical S, canonical encodings of A (public key) and R.
 * Returns `undefined` when they pass, else a short reason.
 */
export function ed25519PreCheck(publicKey: Uint8Array, sig: Uint8Array): string | undefined {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== ED25519_PUBLIC_KEY_BYTES) {
    return "public key must be 32 bytes";
  }
  if (!(sig instanceof Uint8Array) || sig.length !== ED25519_SIGNATURE_BYTES) return "signature must be 64 bytes";
  if (!isCanonicalScalar(sig)) return "signature scalar S is not below the group order";
  const keyProblem = publicKeyProblem(publicKey);
  if (keyProblem !== undefined) return keyProblem;
  if (!isCanonicalPointEncoding(sig, 0)) return "signature point R is not a canonical encoding";
  return undefined;
}

/** Throw (internal invariant) unless `privateKey` is a 32-byte Uint8Array. */
export function assertPrivateKey(privateKey: Uint8Array): void {
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== ED25519_PRIVATE_KEY_BYTES) {
    throw new Error("Ed25519 private key must be a 32-byte seed");
  }
}
