/**
 * Who may sign a log's checkpoints. A log of one process has one key and its origin is
 * derived from that key ({@link keyTrust}); a log that several processes write (a mesh on
 * PostgreSQL) has one origin and several keys, and the caller supplies a
 * {@link CheckpointTrust} that accepts any of them (a mesh accepts its enrolled, unrevoked
 * nodes). The log opens, catches up with other writers and verifies through the trust
 * only; everything it accepts is a checkpoint signed under the log origin.
 *
 * NOTE: browser-safe.
 */
import type { Failure } from "../../compiler/compile-ir.js";
import type { Ed25519 } from "../crypto/ed25519.js";
import { verifierKey, verifyCheckpoint, verifyCheckpointAsync, type Checkpoint } from "./checkpoint.js";
import type { Hash } from "./merkle.js";
import { noteFailure, type NoteResult } from "./signed-note.js";

/** A checkpoint a trust accepted. */
export interface TrustedCheckpoint {
  /** Tree size the checkpoint signs. */
  readonly size: number;
  /** RFC 6962 root hash it signs. */
  readonly rootHash: Hash;
  /** Verifier key text (`<origin>+<key id>+<base64 key>`) of the key whose signature was accepted. */
  readonly signer: string;
}

/** Outcome of {@link CheckpointTrust.verify}. */
export type TrustResult = { readonly ok: true; readonly value: TrustedCheckpoint } | Failure;

/**
 * The checkpoints a verifier accepts for one log. `verify` may be asynchronous (a mesh
 * reloads its enrollments when it meets a key it does not know yet).
 */
export interface CheckpointTrust {
  /** The log origin: the first line of every checkpoint and the key name it is signed under. */
  readonly origin: string;
  /** The key this trust is rooted in: the log key of a one-key log, the operator key of a mesh. */
  readonly publicKey: Uint8Array;
  /** The checkpoint of `note` when it is a well-formed checkpoint of `origin` signed by a key this trust accepts; why not otherwise. Never throws. */
  verify(note: string): TrustResult | Promise<TrustResult>;
  /**
   * `verify` of each note, checked all at once (where signatures can be checked off the
   * calling thread): the same results, in order. Verification uses it when present. Never rejects.
   */
  verifyMany?(notes: readonly string[]): Promise<TrustResult[]>;
}

/** The trust of a log with one key: checkpoints of `origin` signed by `publicKey` under that name. */
export function keyTrust(origin: string, publicKey: Uint8Array, ed25519: Ed25519): CheckpointTrust {
  const signer = verifierKey(origin, publicKey);
  const trusted = (cp: NoteResult<Checkpoint>): TrustResult => {
    if (!cp.ok) return cp;
    if (cp.value.origin !== origin) return noteFailure(`the checkpoint is of ${cp.value.origin}, not ${origin}`);
    return { ok: true, value: { size: cp.value.size, rootHash: cp.value.rootHash, signer } };
  };
  const verifyAsync = ed25519.verifyAsync;
  return {
    origin,
    publicKey,
    verify: (note) => trusted(verifyCheckpoint(note, origin, publicKey, ed25519)),
    // NOTE: a checkpoint per group-commit batch, so a long log has hundreds of thousands: checked
    // on node:crypto's thread pool they use every core instead of one.
    ...(verifyAsync === undefined
      ? {}
      : {
          verifyMany: async (notes: readonly string[]) => {
            const out: TrustResult[] = [];
            // A few dozen at a time keep the thread pool busy without holding a page of pending checks.
            for (let i = 0; i < notes.length; i += VERIFY_WINDOW) {
              const window = notes.slice(i, i + VERIFY_WINDOW);
              for (const cp of await Promise.all(window.map((n) => verifyCheckpointAsync(n, origin, publicKey, verifyAsync)))) out.push(trusted(cp));
            }
            return out;
          },
        }),
  };
}

/** Signatures checked at once by {@link keyTrust}'s `verifyMany` (node:crypto's thread pool has 4 threads by default). */
const VERIFY_WINDOW = 64;
