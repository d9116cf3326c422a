/**
 * Opening a lineage log (`LineageLog.open`): read the store, check the log key it records and
 * that its stored tree matches its latest checkpoint, and hand the log its state.
 *
 * NOTE: browser-safe: the store, the signer and the hashing come from the caller.
 */
import { errorText, failure, type Failure, type Problem } from "../../compiler/compile-ir.js";
import { base64Decode, base64Encode } from "../crypto/base64.js";
import { publicKeyProblem } from "../crypto/ed25519.js";
import type { LineageLogOptions } from "./log-types.js";
import { bytesEqual, type MerkleHasher } from "./merkle.js";
import { eventIdOf } from "./proof.js";
import { foldEdge, readEdge, type EdgeNode } from "./stored-tree.js";
import { keyTrust, type CheckpointTrust } from "./trust.js";

/** What a log starts from: its options and what was read from its store. */
export interface LogState {
  readonly options: LineageLogOptions;
  readonly publicKey: Uint8Array;
  readonly trust: CheckpointTrust;
  readonly edge: EdgeNode[];
  readonly size: number;
  readonly latestNote: string | undefined;
  /** Verifier key of the key that signed `latestNote`. */
  readonly latestSigner: string | undefined;
  /** Why appends are refused, if so. */
  readonly problem: Problem | undefined;
}

/** The log origin (and checkpoint key name) of a public key: `writ-lineage/<first 16 hex of the leaf hash of the key>`. */
export function lineageOrigin(publicKey: Uint8Array, hasher: MerkleHasher): string {
  // The leaf hash is a domain-separated SHA-256; any stable digest of the key works as a name.
  return `writ-lineage/${eventIdOf(hasher.leaf(publicKey)).slice(7, 23)}`;
}

/**
 * Read a store for a log: the key it was created with (recorded on first use), its size, the
 * stored right edge of its tree and its latest checkpoint, checked against each other. A log
 * whose stored tree does not match its latest checkpoint is still opened for reading, with
 * the `problem` that refuses appends (W6210). Never throws; on failure the store is closed.
 */
export async function readLogState(options: LineageLogOptions): Promise<{ readonly ok: true; readonly state: LogState } | Failure> {
  const store = options.store;
  const fail = async (f: Failure): Promise<Failure> => {
    await store.close().catch(() => undefined);
    return f;
  };
  const publicKey = options.signer?.publicKey ?? options.publicKey ?? options.trust?.publicKey;
  if (publicKey === undefined) return fail(failure("W6207", { detail: "a read-only log needs the public key it is verified against" }));
  const keyProblem = publicKeyProblem(publicKey);
  if (keyProblem !== undefined) return fail(failure("W6207", { detail: keyProblem }));
  if (options.signer !== undefined && options.publicKey !== undefined && !bytesEqual(options.signer.publicKey, options.publicKey)) {
    return fail(failure("W6207", { detail: "the signer's public key is not the log key given" }));
  }
  const hasher = options.crypto.merkle;
  const trust = options.trust ?? keyTrust(lineageOrigin(publicKey, hasher), publicKey, options.crypto.ed25519);
  try {
    // NOTE: with a trust given, the trust alone decides whose checkpoints count: no single log key is recorded.
    const storedKey = options.trust === undefined ? await store.getMeta("publicKey") : undefined;
    if (options.trust === undefined && storedKey === undefined) {
      if (options.signer !== undefined) {
        await store.setMeta("publicKey", base64Encode(publicKey));
        await store.setMeta("origin", trust.origin);
      }
    } else if (storedKey !== undefined) {
      const k = base64Decode(storedKey);
      if (k === undefined || !bytesEqual(k, publicKey)) return fail(failure("W6207", { detail: "this lineage log was created with another key" }));
    }
    let size = await store.size();
    let latest = await store.latestCheckpoint();
    // Another writer may append between the two reads: read again until they agree (a few times).
    for (let k = 0; k < 4 && latest !== undefined && latest.size !== size; k++) {
      size = await store.size();
      latest = await store.latestCheckpoint();
    }
    const stored = await readEdge(store, size);
    const edge = "edge" in stored ? stored.edge : [];
    let problem = "missing" in stored ? stored.missing : undefined;
    const parsed = latest === undefined ? undefined : await trust.verify(latest.note);
    if (problem === undefined && size > 0) {
      if (parsed === undefined || !parsed.ok || parsed.value.size !== size) problem = "the stored entries are not covered by a valid latest checkpoint";
      else if (!bytesEqual(parsed.value.rootHash, foldEdge(edge, hasher))) problem = "the stored tree does not match the latest checkpoint";
    }
    const goodNote = parsed?.ok === true ? latest?.note : undefined;
    return {
      ok: true,
      state: {
        options,
        publicKey,
        trust,
        edge,
        size,
        latestNote: goodNote,
        latestSigner: parsed?.ok === true ? parsed.value.signer : undefined,
        problem: problem === undefined ? undefined : failure("W6210", { detail: problem }).problem,
      },
    };
  } catch (e) {
    return fail(failure("W6205", { detail: `cannot open the lineage log: ${errorText(e)}` }));
  }
}
