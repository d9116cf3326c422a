/**
 * The text form of Writ's Ed25519 key files: standard PEM, so that OpenSSL and
 * other tools read them too.
 *
 *     -----BEGIN PRIVATE KEY-----          (PKCS#8, RFC 8410: the 32-byte seed)
 *     MC4CAQAwBQYDK2VwBCIEI...
 *     -----END PRIVATE KEY-----
 *
 *     -----BEGIN PUBLIC KEY-----           (SubjectPublicKeyInfo, RFC 8410)
 *     MCowBQYDK2VwAyEA...
 *     -----END PUBLIC KEY-----
 *
 * Only these exact Ed25519 DER shapes are accepted.
 * NOTE: pure; runs in Node and in the browser.
 */
import { base64Decode, base64Encode } from "./base64.js";
import { publicKeyProblem } from "./ed25519.js";
import { failure, type Failure } from "../../compiler/compile-ir.js";

/** DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows. */
export const PKCS8_ED25519_PREFIX: Uint8Array = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

/** DER prefix of a SubjectPublicKeyInfo Ed25519 public key; the 32-byte point follows. */
export const SPKI_ED25519_PREFIX: Uint8Array = Uint8Array.from([
  0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
]);

/** A parse outcome: the value, or a message saying what is wrong. */
export type KeyResult<T> = { readonly ok: true; readonly value: T } | Failure;

/** A failed key result: W6107 (unusable key material). */
function keyFailure(detail: string): Failure {
  return failure("W6107", { detail });
}

function wrap(label: string, der: Uint8Array): string {
  const b64 = base64Encode(der);
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

function unwrap(text: string, label: string): KeyResult<Uint8Array> {
  const begin = `-----BEGIN ${label}-----`;
  const end = `-----END ${label}-----`;
  const lines = text.replace(/\r\n/g, "\n").split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const first = lines.indexOf(begin);
  const last = lines.indexOf(end);
  if (first < 0 || last < first) {
    const found = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(text);
    return keyFailure(found ? `expected a PEM "${label}" block, found "${found[1]}"` : `expected a PEM "${label}" block`);
  }
  const der = base64Decode(lines.slice(first + 1, last).join(""));
  if (der === undefined) return keyFailure(`the "${label}" block is not valid base64`);
  return { ok: true, value: der };
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

function withPrefix(prefix: Uint8Array, raw: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + raw.length);
  out.set(prefix, 0);
  out.set(raw, prefix.length);
  return out;
}

/** The PKCS#8 DER of a 32-byte Ed25519 private key (seed): what node:crypto's `createPrivateKey` reads. */
export function pkcs8Der(seed: Uint8Array): Uint8Array {
  return withPrefix(PKCS8_ED25519_PREFIX, seed);
}

/** PEM text of a 32-byte Ed25519 private key (seed). */
export function privateKeyToPem(seed: Uint8Array): string {
  if (seed.length !== 32) throw new Error("Ed25519 private key must be a 32-byte seed");
  return wrap("PRIVATE KEY", withPrefix(PKCS8_ED25519_PREFIX, seed));
}

/** PEM text of a 32-byte Ed25519 public key. */
export function publicKeyToPem(publicKey: Uint8Array): string {
  if (publicKey.length !== 32) throw new Error("Ed25519 public key must be 32 bytes");
  return wrap("PUBLIC KEY", withPrefix(SPKI_ED25519_PREFIX, publicKey));
}

/** Parse a PEM Ed25519 private key into its 32-byte seed. */
export function privateKeyFromPem(text: string): KeyResult<Uint8Array> {
  const der = unwrap(text, "PRIVATE KEY");
  if (!der.ok) return der;
  if (der.value.length !== PKCS8_ED25519_PREFIX.length + 32 || !startsWith(der.value, PKCS8_ED25519_PREFIX)) {
    return keyFailure("not an Ed25519 private key (expected PKCS#8 with a 32-byte seed)");
  }
  return { ok: true, value: der.value.slice(PKCS8_ED25519_PREFIX.length) };
}

/** Parse a PEM Ed25519 public key into its 32 raw bytes (checked to be a canonical point encoding). */
export function publicKeyFromPem(text: string): KeyResult<Uint8Array> {
  const der = unwrap(text, "PUBLIC KEY");
  if (!der.ok) return der;
  if (der.value.length !== SPKI_ED25519_PREFIX.length + 32 || !startsWith(der.value, SPKI_ED25519_PREFIX)) {
    return keyFailure("not an Ed25519 public key (expected SubjectPublicKeyInfo with 32 bytes)");
  }
  const key = der.value.slice(SPKI_ED25519_PREFIX.length);
  const problem = publicKeyProblem(key);
  if (problem !== undefined) return keyFailure(`not a usable Ed25519 public key: ${problem}`);
  return { ok: true, value: key };
}
