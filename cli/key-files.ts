/**
 * Key files named on the command line (`--key k.pub`, `--sign k.key`), read
 * through the CLI's file layer — bounded, regular files only, strict UTF-8,
 * `-` for standard input — and parsed from PEM; a bad key is one W5008 line.
 */
import { privateKeyFromPem, publicKeyFromPem } from "../runtime/crypto/pem.js";
import { fail, readTextFile } from "./io.js";

/** The 32 raw bytes of the Ed25519 public key in a `.pub` (PEM) file. */
export function publicKeyFile(path: string): Uint8Array {
  const file = readTextFile(path);
  const key = publicKeyFromPem(file.text);
  if (!key.ok) fail("W5008", `cannot use the public key: ${key.problem.message}`, { file: file.name });
  return key.value;
}

/** The 32-byte seed of the Ed25519 private key in a `.key` (PEM) file. */
export function privateKeyFile(path: string): Uint8Array {
  const file = readTextFile(path);
  const key = privateKeyFromPem(file.text);
  if (!key.ok) fail("W5008", `cannot use the signing key: ${key.problem.message}`, { file: file.name });
  return key.value;
}
