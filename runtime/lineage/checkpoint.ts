/**
 * Log checkpoints as C2SP tlog-checkpoint signed notes
 * (https://c2sp.org/tlog-checkpoint):
 *
 *     <origin>\n
 *     <tree size, decimal>\n
 *     <base64(root hash)>\n
 *     [<extension line>\n ...]
 *     \n
 *     — <key name> <base64(key id ‖ Ed25519 signature)>\n
 *
 * A checkpoint commits the log (origin) to a tree size and RFC 6962 root.
 * Root and size are trusted only from a checkpoint that verifies.
 *
 * NOTE: browser-safe. Parsing and verification return results, never throw.
 */
import { base64Decode, base64Encode } from "../crypto/base64.js";
import { browserEd25519 } from "../crypto/ed25519-browser.js";
import type { Ed25519 } from "../crypto/ed25519.js";
import { HASH_BYTES } from "./merkle.js";
import { noteFailure, parseNote, signNote, verifyNote, verifyNoteAsync } from "./signed-note.js";
import type { NoteResult, NoteSignature, NoteSigner } from "./signed-note.js";

export { keyIdOf, keySigner, parseVerifierKey, verifierKey } from "./signed-note.js";
export type { NoteResult, NoteSignature, NoteSigner } from "./signed-note.js";

/** The signed content of a checkpoint. */
export interface Checkpoint {
  /** Unique identity of the log, e.g. `example.com/writ/lineage`. Non-empty, one line. */
  readonly origin: string;
  /** Number of leaves in the tree. */
  readonly size: number;
  /** RFC 6962 root hash of the first `size` leaves (32 bytes). */
  readonly rootHash: Uint8Array;
  /** Optional extra body lines (opaque to this module; each non-empty). */
  readonly extensions?: readonly string[];
}

/** A parsed checkpoint note (signatures not yet verified). */
export interface ParsedCheckpoint {
  readonly checkpoint: Checkpoint;
  /** The signed body text, including its final newline. */
  readonly body: string;
  readonly signatures: readonly NoteSignature[];
}

const SIZE_RE = /^(0|[1-9][0-9]*)$/;

/** Reason why `cp` cannot be written as a checkpoint body, if any. */
function checkpointProblem(cp: Checkpoint): string | undefined {
  if (typeof cp.origin !== "string" || cp.origin.length === 0) return "origin must be a non-empty string";
  if (/[\p{Cc}]/u.test(cp.origin)) return "origin must be a single line without control characters";
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) return "size must be a non-negative safe integer";
  if (!(cp.rootHash instanceof Uint8Array) || cp.rootHash.length !== HASH_BYTES) return "root hash must be 32 bytes";
  for (const ext of cp.extensions ?? []) {
    if (typeof ext !== "string" || ext.length === 0 || /[\p{Cc}]/u.test(ext)) {
      return "extension lines must be non-empty single lines without control characters";
    }
  }
  return undefined;
}

/**
 * The note body of a checkpoint: `origin\nsize\nbase64(root)\n` plus extension lines.
 * @throws Error when `cp` is malformed (a caller bug).
 */
export function checkpointBody(cp: Checkpoint): string {
  const problem = checkpointProblem(cp);
  if (problem !== undefined) throw new Error(`invalid checkpoint: ${problem}`);
  const lines = [cp.origin, String(cp.size), base64Encode(cp.rootHash), ...(cp.extensions ?? [])];
  return `${lines.join("\n")}\n`;
}

/** Parse a checkpoint body (the signed text of the note). */
export function parseCheckpointBody(body: string): NoteResult<Checkpoint> {
  if (!body.endsWith("\n")) return noteFailure("checkpoint body must end with a newline");
  const lines = body.slice(0, -1).split("\n");
  if (lines.length < 3) return noteFailure("checkpoint body needs origin, size and root hash lines");
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (!SIZE_RE.test(sizeText)) return noteFailure("checkpoint size must be a decimal number without leading zeros");
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) return noteFailure("checkpoint size is too large");
  const rootHash = base64Decode(rootText);
  if (rootHash === undefined || rootHash.length !== HASH_BYTES) {
    return noteFailure("checkpoint root hash must be the base64 of 32 bytes");
  }
  const checkpoint: Checkpoint = extensions.length > 0 ? { origin, size, rootHash, extensions } : { origin, size, rootHash };
  const problem = checkpointProblem(checkpoint);
  if (problem !== undefined) return noteFailure(`malformed checkpoint: ${problem}`);
  return { ok: true, value: checkpoint };
}

/**
 * Sign a checkpoint as `name` (conventionally the origin) and return the
 * complete signed note text.
 * @throws Error on a malformed checkpoint, key name or private key (caller bugs).
 */
export function signCheckpoint(cp: Checkpoint, name: string, privateKey: Uint8Array | NoteSigner, ed25519: Ed25519 = browserEd25519): string {
  return signNote(checkpointBody(cp), name, privateKey, ed25519);
}

/** Parse a checkpoint note without verifying its signatures (do not trust the result). */
export function parseCheckpoint(note: string | Uint8Array): NoteResult<ParsedCheckpoint> {
  const parsed = parseNote(note);
  if (!parsed.ok) return parsed;
  const cp = parseCheckpointBody(parsed.value.text);
  if (!cp.ok) return cp;
  return { ok: true, value: { checkpoint: cp.value, body: parsed.value.text, signatures: parsed.value.signatures } };
}

/**
 * Parse `note` and verify it is a well-formed checkpoint signed by `name`
 * with `publicKey`. Rejects a malformed body or note, a missing signature,
 * a signature under an unknown key id and a bad signature.
 * The returned checkpoint is trustworthy only when `ok` is true.
 */
export function verifyCheckpoint(
  note: string | Uint8Array,
  name: string,
  publicKey: Uint8Array,
  ed25519: Ed25519 = browserEd25519,
): NoteResult<Checkpoint> {
  const verified = verifyNote(note, name, publicKey, ed25519);
  if (!verified.ok) return verified;
  return parseCheckpointBody(verified.value.text);
}

/** {@link verifyCheckpoint} with the signature checked off the calling thread (`verifyAsync`): the same answers. */
export async function verifyCheckpointAsync(note: string | Uint8Array, name: string, publicKey: Uint8Array, verifyAsync: NonNullable<Ed25519["verifyAsync"]>): Promise<NoteResult<Checkpoint>> {
  const verified = await verifyNoteAsync(note, name, publicKey, verifyAsync);
  if (!verified.ok) return verified;
  return parseCheckpointBody(verified.value.text);
}
