/**
 * Ed25519 key files on disk (Node only): `writ keygen <prefix>` writes
 * `<prefix>.key` (the private key, PEM PKCS#8, file mode 0600) and
 * `<prefix>.pub` (the public key, PEM SubjectPublicKeyInfo). Both are the
 * standard RFC 8410 forms that OpenSSL reads (see `crypto/pem.ts`).
 *
 * Readers return a result with a clear message instead of throwing.
 */
import { closeSync, existsSync, fchmodSync, openSync, readFileSync, writeSync } from "node:fs";
import { nodeEd25519 } from "./crypto/ed25519-node.js";
import type { Ed25519 } from "./crypto/ed25519.js";
import { privateKeyFromPem, privateKeyToPem, publicKeyFromPem, publicKeyToPem } from "./crypto/pem.js";
import type { KeyResult } from "./crypto/pem.js";
import { failure } from "../compiler/compile-ir.js";

export type { KeyResult } from "./crypto/pem.js";

/** What {@link writeKeyPair} wrote. */
export interface WrittenKeyPair {
  /** Path of the private key file (`<prefix>.key`, mode 0600). */
  readonly privateKeyPath: string;
  /** Path of the public key file (`<prefix>.pub`). */
  readonly publicKeyPath: string;
  /** The raw 32-byte public key. */
  readonly publicKey: Uint8Array;
}

/** Options of {@link writeKeyPair}. */
export interface WriteKeyPairOptions {
  /** Replace existing files (default: refuse, so a key is never lost by accident). */
  readonly overwrite?: boolean;
  /** Ed25519 implementation used to generate the pair (default: node:crypto). */
  readonly ed25519?: Ed25519;
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    return code ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}

function writeFile(path: string, text: string, mode: number, overwrite: boolean): void {
  const fd = openSync(path, overwrite ? "w" : "wx", mode);
  try {
    // INVARIANT: the mode is forced even when the file existed or the umask was unusual.
    fchmodSync(fd, mode);
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/**
 * Generate an Ed25519 key pair and write `<prefix>.key` (mode 0600) and
 * `<prefix>.pub` (mode 0644). Refuses to replace existing files unless
 * `overwrite` is set.
 */
export function writeKeyPair(prefix: string, options: WriteKeyPairOptions = {}): KeyResult<WrittenKeyPair> {
  const privateKeyPath = `${prefix}.key`;
  const publicKeyPath = `${prefix}.pub`;
  const overwrite = options.overwrite ?? false;
  if (!overwrite) {
    for (const p of [privateKeyPath, publicKeyPath]) {
      if (existsSync(p)) return failure("W6106", { detail: `${p} already exists; refusing to overwrite a key` });
    }
  }
  const impl = options.ed25519 ?? nodeEd25519;
  const { privateKey, publicKey } = impl.generateKeyPair();
  try {
    writeFile(privateKeyPath, privateKeyToPem(privateKey), 0o600, overwrite);
    writeFile(publicKeyPath, publicKeyToPem(publicKey), 0o644, overwrite);
  } catch (e) {
    return failure("W6106", { detail: `cannot write key pair ${prefix}: ${errorText(e)}` });
  }
  return { ok: true, value: { privateKeyPath, publicKeyPath, publicKey } };
}

function readText(path: string): KeyResult<string> {
  try {
    return { ok: true, value: readFileSync(path, "utf8") };
  } catch (e) {
    return failure("W6106", { detail: `cannot read ${path}: ${errorText(e)}` });
  }
}

/** Read a public key file (`.pub`, PEM) into its 32 raw bytes. */
export function readPublicKey(path: string): KeyResult<Uint8Array> {
  const text = readText(path);
  if (!text.ok) return text;
  const key = publicKeyFromPem(text.value);
  return key.ok ? key : failure(key.problem.code, { detail: `${path}: ${key.problem.message}` });
}

/** Read a private key file (`.key`, PEM) into its 32-byte seed. */
export function readPrivateKey(path: string): KeyResult<Uint8Array> {
  const text = readText(path);
  if (!text.ok) return text;
  const key = privateKeyFromPem(text.value);
  return key.ok ? key : failure(key.problem.code, { detail: `${path}: ${key.problem.message}` });
}
