/**
 * C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 signatures.
 *
 *     <text: one or more lines, each ending in "\n">
 *     <blank line>
 *     — <key name> <base64(key id (4 bytes) ‖ signature (64 bytes))>\n     (one or more)
 *
 * The signature covers the text including its final newline. The key id is
 * the first 4 bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key), 0x01
 * being the Ed25519 signature type. A verifier key is shared as
 * `<name>+<hex key id>+<base64(0x01 ‖ public key)>`.
 *
 * Parsing is strict so that each note has exactly one accepted spelling:
 * valid UTF-8, no control characters but newline, canonical base64, the em
 * dash U+2014 exactly, at most {@link MAX_NOTE_SIGNATURES} signature lines.
 *
 * NOTE: browser-safe. Results carry a message instead of throwing.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { base64Decode, base64Encode } from "../crypto/base64.js";
import { browserEd25519 } from "../crypto/ed25519-browser.js";
import type { Ed25519 } from "../crypto/ed25519.js";
import { bytesEqual } from "./merkle.js";
import { failure, type Failure } from "../../compiler/compile-ir.js";

/** An outcome: the value, or what is wrong. */
export type NoteResult<T> = { readonly ok: true; readonly value: T } | Failure;

/** A failed note result (W6215) saying what is wrong. */
export function noteFailure(detail: string): Failure {
  return failure("W6215", { detail });
}

/**
 * What signs notes: the public key it signs for and the signing operation. The key itself
 * may live elsewhere (a key file, an HSM, another process); the log never holds its bytes.
 */
export interface NoteSigner {
  /** The 32-byte Ed25519 public key of the signer. */
  readonly publicKey: Uint8Array;
  /** An Ed25519 signature (64 bytes) over `message`. */
  sign(message: Uint8Array): Uint8Array;
}

/** A {@link NoteSigner} over a private key held in memory (tests, tools). */
export function keySigner(privateKey: Uint8Array, ed25519: Ed25519 = browserEd25519): NoteSigner {
  const publicKey = ed25519.publicKeyOf(privateKey);
  return { publicKey, sign: (message) => ed25519.sign(privateKey, message) };
}

/** One signature line of a note. */
export interface NoteSignature {
  /** The key name (e.g. the log origin). */
  readonly name: string;
  /** 4-byte key id hint. */
  readonly keyId: Uint8Array;
  /** The signature bytes after the key id (64 for Ed25519). */
  readonly signature: Uint8Array;
}

/** A syntactically valid note, not yet verified. */
export interface ParsedNote {
  /** The signed text, including its final newline. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

/** Signature type byte of Ed25519 in key ids and verifier keys. */
export const ED25519_SIGNATURE_TYPE = 0x01;
/** Upper bound on signature lines accepted per note. */
export const MAX_NOTE_SIGNATURES = 100;
/** Upper bound on the size of a note accepted for parsing (characters). */
export const MAX_NOTE_LENGTH = 1 << 20;

const SIG_PREFIX = "\u2014 ";
const UTF8 = new TextEncoder();
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

const hexOf = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** Whether `name` is a valid key name: non-empty, no whitespace, no `+`, no control characters. */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+\p{Cc}]/u.test(name);
}

/** Most (name, key) pairs whose key id and verifier key are remembered (a log signs every checkpoint with one). */
const MEMO_LIMIT = 256;
/** Key ids and verifier keys by `<name> <base64 key>` (unambiguous: base64 has no space). */
const keyIdMemo = new Map<string, Uint8Array>();
const verifierKeyMemo = new Map<string, string>();

function remember<T>(memo: Map<string, T>, key: string, value: T): T {
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(key, value);
  return value;
}

/** The Ed25519 key id: first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ publicKey). */
export function keyIdOf(name: string, publicKey: Uint8Array): Uint8Array {
  const memoKey = `${name} ${base64Encode(publicKey)}`;
  const known = keyIdMemo.get(memoKey);
  if (known !== undefined) return known.slice();
  const n = UTF8.encode(name);
  const buf = new Uint8Array(n.length + 2 + publicKey.length);
  buf.set(n, 0);
  buf[n.length] = 0x0a;
  buf[n.length + 1] = ED25519_SIGNATURE_TYPE;
  buf.set(publicKey, n.length + 2);
  return remember(keyIdMemo, memoKey, sha256(buf).slice(0, 4)).slice();
}

/** The shareable verifier key text `<name>+<hex key id>+<base64(0x01 ‖ publicKey)>`. */
export function verifierKey(name: string, publicKey: Uint8Array): string {
  const memoKey = `${name} ${base64Encode(publicKey)}`;
  const known = verifierKeyMemo.get(memoKey);
  if (known !== undefined) return known;
  const typed = new Uint8Array(1 + publicKey.length);
  typed[0] = ED25519_SIGNATURE_TYPE;
  typed.set(publicKey, 1);
  return remember(verifierKeyMemo, memoKey, `${name}+${hexOf(keyIdOf(name, publicKey))}+${base64Encode(typed)}`);
}

/** Parse a verifier key text; checks the key id matches the name and key. */
export function parseVerifierKey(text: string): NoteResult<{ name: string; keyId: Uint8Array; publicKey: Uint8Array }> {
  // NOTE: split on the first two `+` only: the base64 key may itself contain `+`.
  const first = text.indexOf("+");
  const second = first < 0 ? -1 : text.indexOf("+", first + 1);
  if (first < 0 || second < 0) return noteFailure("verifier key must be <name>+<hex key id>+<base64 key>");
  const name = text.slice(0, first);
  const idHex = text.slice(first + 1, second);
  const keyB64 = text.slice(second + 1);
  if (!isValidKeyName(name)) return noteFailure("verifier key has an invalid name");
  if (!/^[0-9a-f]{8}$/.test(idHex)) return noteFailure("verifier key id must be 8 lowercase hex digits");
  const typed = base64Decode(keyB64);
  if (typed === undefined || typed.length !== 33 || typed[0] !== ED25519_SIGNATURE_TYPE) {
    return noteFailure("verifier key is not an Ed25519 key");
  }
  const publicKey = typed.slice(1);
  const keyId = keyIdOf(name, publicKey);
  if (hexOf(keyId) !== idHex) return noteFailure("verifier key id does not match its name and key");
  return { ok: true, value: { name, keyId, publicKey } };
}

/** Reason why `text` cannot be the signed text of a note, if any. */
function textProblem(text: string): string | undefined {
  if (text.length === 0 || !text.endsWith("\n")) return "note text must be non-empty and end with a newline";
  if (text.includes("\n\n") || text.startsWith("\n")) return "note text must not contain blank lines";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x0a) || c === 0x7f) return "note text must not contain control characters";
  }
  // With the u flag, \p{Cs} matches only unpaired surrogates.
  if (/\p{Cs}/u.test(text)) return "note text must be valid Unicode";
  return undefined;
}

/**
 * Sign `text` (which must end with a newline and contain no blank line) as
 * `name` and return the complete note with one signature line.
 * @throws Error on an invalid text or name, or a malformed private key (caller bugs).
 */
export function signNote(text: string, name: string, privateKey: Uint8Array | NoteSigner, ed25519: Ed25519 = browserEd25519): string {
  const problem = textProblem(text);
  if (problem !== undefined) throw new Error(problem);
  if (!isValidKeyName(name)) throw new Error(`invalid note key name ${JSON.stringify(name)}`);
  const signer = privateKey instanceof Uint8Array ? keySigner(privateKey, ed25519) : privateKey;
  const publicKey = signer.publicKey;
  const sig = signer.sign(UTF8.encode(text));
  const blob = new Uint8Array(4 + sig.length);
  blob.set(keyIdOf(name, publicKey), 0);
  blob.set(sig, 4);
  return `${text}\n${SIG_PREFIX}${name} ${base64Encode(blob)}\n`;
}

/** Decode note bytes as strict UTF-8 (invalid sequences are an error, never replaced). */
function decodeNote(note: string | Uint8Array): NoteResult<string> {
  if (typeof note === "string") return { ok: true, value: note };
  try {
    return { ok: true, value: STRICT_UTF8.decode(note) };
  } catch {
    return noteFailure("note is not valid UTF-8");
  }
}

/** Parse a signed note (string, or bytes decoded as strict UTF-8) without verifying signatures. */
export function parseNote(note: string | Uint8Array): NoteResult<ParsedNote> {
  const decoded = decodeNote(note);
  if (!decoded.ok) return decoded;
  const all = decoded.value;
  if (all.length > MAX_NOTE_LENGTH) return noteFailure("note is too large");
  const split = all.lastIndexOf("\n\n");
  if (split < 0) return noteFailure("note has no blank line before its signatures");
  const text = all.slice(0, split + 1);
  const problem = textProblem(text);
  if (problem !== undefined) return noteFailure(problem);
  const sigBlock = all.slice(split + 2);
  if (!sigBlock.endsWith("\n")) return noteFailure("signature block must end with a newline");
  const lines = sigBlock.slice(0, -1).split("\n");
  if (lines.length > MAX_NOTE_SIGNATURES) return noteFailure("note has too many signatures");
  const signatures: NoteSignature[] = [];
  for (const line of lines) {
    if (!line.startsWith(SIG_PREFIX)) return noteFailure("malformed signature line (expected '\u2014 <name> <signature>')");
    const rest = line.slice(SIG_PREFIX.length);
    const space = rest.indexOf(" ");
    if (space < 0 || rest.indexOf(" ", space + 1) >= 0) return noteFailure("malformed signature line");
    const name = rest.slice(0, space);
    if (!isValidKeyName(name)) return noteFailure("malformed signature line: invalid key name");
    const blob = base64Decode(rest.slice(space + 1));
    if (blob === undefined || blob.length < 5) return noteFailure("malformed signature line: bad base64 signature");
    signatures.push({ name, keyId: blob.slice(0, 4), signature: blob.slice(4) });
  }
  return { ok: true, value: { text, signatures } };
}

/**
 * Parse `note` and verify it was signed by `name` with `publicKey`.
 * Fails when the note is malformed, when no signature line carries this
 * name and key id (including a line by `name` under an unknown key id), or
 * when any line with this name and key id does not verify.
 * Lines of other signers are ignored, as the signed-note spec requires.
 */
export function verifyNote(
  note: string | Uint8Array,
  name: string,
  publicKey: Uint8Array,
  ed25519: Ed25519 = browserEd25519,
): NoteResult<ParsedNote> {
  const checks = signaturesToCheck(note, name, publicKey);
  if (!checks.ok) return checks;
  const { parsed, msg, signatures } = checks.value;
  for (const s of signatures) {
    if (!ed25519.verify(publicKey, msg, s)) return noteFailure(`invalid signature by ${name}`);
  }
  return { ok: true, value: parsed };
}

/**
 * {@link verifyNote} with the signatures checked by `verifyAsync` (off the calling thread), all
 * at once: the same answers.
 */
export async function verifyNoteAsync(
  note: string | Uint8Array,
  name: string,
  publicKey: Uint8Array,
  verifyAsync: NonNullable<Ed25519["verifyAsync"]>,
): Promise<NoteResult<ParsedNote>> {
  const checks = signaturesToCheck(note, name, publicKey);
  if (!checks.ok) return checks;
  const { parsed, msg, signatures } = checks.value;
  const good = await Promise.all(signatures.map((s) => verifyAsync(publicKey, msg, s)));
  return good.every((g) => g) ? { ok: true, value: parsed } : noteFailure(`invalid signature by ${name}`);
}

/** The parsed note, its signed bytes and the signatures by `name` under `publicKey`'s key id (at least one), or why there are none. */
function signaturesToCheck(note: string | Uint8Array, name: string, publicKey: Uint8Array): NoteResult<{ parsed: ParsedNote; msg: Uint8Array; signatures: Uint8Array[] }> {
  const parsed = parseNote(note);
  if (!parsed.ok) return parsed;
  const keyId = keyIdOf(name, publicKey);
  const mine = parsed.value.signatures.filter((s) => s.name === name && bytesEqual(s.keyId, keyId));
  if (mine.length === 0) {
    const byName = parsed.value.signatures.find((s) => s.name === name);
    return noteFailure(byName ? `signature by ${name} has unknown key id ${hexOf(byName.keyId)} (expected ${hexOf(keyId)})` : `note is not signed by ${name}`);
  }
  return { ok: true, value: { parsed: parsed.value, msg: UTF8.encode(parsed.value.text), signatures: mine.map((s) => s.signature) } };
}
