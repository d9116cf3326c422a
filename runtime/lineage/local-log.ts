/**
 * A lineage log on local files (Node): the key pair under `<dir>/.writ/` and, by default,
 * the SQLite store `<dir>/.writ/lineage.db`.
 *
 * - `openLocalLog({ dir })` opens the log for appending: the private key
 *   `.writ/lineage.key` (mode 0600) is created on first use with `.writ/lineage.pub`
 *   beside it, and signs checkpoints through node:crypto without the log ever holding the
 *   key bytes.
 * - `openLocalLog({ dir, readOnly: true })` opens it for reading, proving and verifying
 *   with public material only: the pinned `publicKey` if given, else `.writ/lineage.pub`.
 *   It never creates or overwrites a key, a folder or a database.
 *
 * `openLocalLog({ dir, worker: true })` runs the SQLite store on a worker thread.
 *
 * NOTE: Node only (file system, node:crypto, SQLite).
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createPrivateKey, sign as signMessage } from "node:crypto";
import { join } from "node:path";
import { errorText, failure, type Failure } from "../../compiler/compile-ir.js";
import { nodeCrypto } from "../crypto/node-crypto.js";
import { pkcs8Der, publicKeyToPem, type KeyResult } from "../crypto/pem.js";
import { readPrivateKey, readPublicKey, writeKeyPair } from "../keys.js";
import { LineageLog, type GroupCommitOptions, type OpenLogResult } from "./log.js";
import type { NoteSigner } from "./signed-note.js";
import { DEFAULT_LINEAGE_DB, openSqliteStore } from "./sqlite-store.js";
import { openSqliteWorkerStore } from "./sqlite-worker-store.js";
import type { LineageStore } from "./store.js";

/** Relative path (under the log directory) of the log key prefix. */
export const LINEAGE_KEY_PREFIX = join(".writ", "lineage");

export { DEFAULT_LINEAGE_DB };

/** Options of {@link openLocalLog}. */
export interface LocalLogOptions {
  /** Directory holding `.writ/`. */
  readonly dir: string;
  /** Read, prove and verify only: no key is read or created; appends are refused. */
  readonly readOnly?: boolean;
  /** The log's public key to verify against (read-only); default `.writ/lineage.pub`. */
  readonly publicKey?: Uint8Array;
  /** Another store instead of SQLite under `dir` (the log takes ownership). */
  readonly store?: LineageStore;
  /**
   * Run the SQLite store on a worker thread (`sqlite-worker-store.ts`): each batch's SQLite
   * work and fsync leave the event loop free. Same file, same durability. `writ serve` does.
   */
  readonly worker?: boolean;
  readonly groupCommit?: GroupCommitOptions;
}

/** fsync a directory so that renames in it survive a power loss (best effort where unsupported). */
function syncDir(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    fsyncSync(fd);
  } catch {
    // some platforms cannot fsync a directory; the rename is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Load `<dir>/.writ/lineage.key`, or create the pair on first use. Creation is crash-safe:
 * the pair is written under a temporary name and renamed into place.
 */
export function loadOrCreateLogKey(dir: string): KeyResult<Uint8Array> {
  const prefix = join(dir, LINEAGE_KEY_PREFIX);
  const keyPath = `${prefix}.key`;
  if (!existsSync(keyPath)) {
    try {
      mkdirSync(join(dir, ".writ"), { recursive: true });
    } catch (e) {
      return failure("W6106", { detail: `cannot create ${join(dir, ".writ")}: ${errorText(e)}` });
    }
    const tmp = `${prefix}.tmp-${process.pid}`;
    const written = writeKeyPair(tmp, { overwrite: true });
    if (!written.ok) return written;
    try {
      renameSync(written.value.publicKeyPath, `${prefix}.pub`);
      renameSync(written.value.privateKeyPath, keyPath);
      syncDir(join(dir, ".writ"));
    } catch (e) {
      rmSync(written.value.privateKeyPath, { force: true });
      return failure("W6106", { detail: `cannot install the lineage key: ${errorText(e)}` });
    }
  }
  const key = readPrivateKey(keyPath);
  if (!key.ok) return key;
  if (!existsSync(`${prefix}.pub`)) {
    try {
      writeFileSync(`${prefix}.pub`, publicKeyToPem(nodeCrypto.ed25519.publicKeyOf(key.value)), { mode: 0o644 });
    } catch {
      // the public half is a convenience copy; the private key is authoritative
    }
  }
  return key;
}

/** The log's private key `<dir>/.writ/lineage.key`, never created. */
export function readLogKey(dir: string): KeyResult<Uint8Array> {
  const path = `${join(dir, LINEAGE_KEY_PREFIX)}.key`;
  if (!existsSync(path)) return failure("W6106", { detail: `${path} does not exist (only the process that writes the log holds its key)` });
  return readPrivateKey(path);
}

/** The log's public key `<dir>/.writ/lineage.pub`, never created. */
export function readLogPublicKey(dir: string): KeyResult<Uint8Array> {
  const path = `${join(dir, LINEAGE_KEY_PREFIX)}.pub`;
  if (!existsSync(path)) return failure("W6106", { detail: `${path} does not exist: pass the log's public key (--key <lineage.pub>)` });
  return readPublicKey(path);
}

/**
 * A checkpoint signer on node:crypto: the PKCS#8 key object is built once (parsing costs
 * more than signing) and held inside the closure; nothing else sees the key bytes.
 */
export function nodeSigner(privateKey: Uint8Array): NoteSigner {
  const key = createPrivateKey({ key: Buffer.from(pkcs8Der(privateKey)), format: "der", type: "pkcs8" });
  const publicKey = nodeCrypto.ed25519.publicKeyOf(privateKey);
  return { publicKey, sign: (message) => new Uint8Array(signMessage(null, message, key)) };
}

/** Open the lineage log under `dir` (see the module comment). Never throws. */
export async function openLocalLog(options: LocalLogOptions): Promise<OpenLogResult> {
  const dir = typeof options === "object" && options !== null ? (options as { dir?: unknown }).dir : undefined;
  if (typeof dir !== "string" || dir === "") return failure("W6217", { detail: "openLocalLog needs `{ dir }`: the directory whose .writ/ holds the log, as a string" });
  try {
    return await openUnder(dir, options);
  } catch (e) {
    return failure("W6205", { detail: `cannot open the lineage log under ${dir}: ${errorText(e)}` });
  }
}

/** {@link openLocalLog} with a checked directory. */
async function openUnder(dir: string, options: LocalLogOptions): Promise<OpenLogResult> {
  let signer: NoteSigner | undefined;
  let publicKey = options.publicKey;
  if (options.readOnly === true) {
    if (publicKey === undefined) {
      const pub = readLogPublicKey(dir);
      if (!pub.ok) return pub;
      publicKey = pub.value;
    }
  } else {
    const key = loadOrCreateLogKey(dir);
    if (!key.ok) return key;
    try {
      signer = nodeSigner(key.value);
    } catch (e) {
      return failure("W6207", { detail: `invalid lineage key: ${errorText(e)}` });
    }
  }
  let store = options.store;
  if (store === undefined) {
    const db = join(dir, DEFAULT_LINEAGE_DB);
    if (options.readOnly === true && !existsSync(db)) return failure("W6205", { detail: `no lineage log at ${db}` }) as Failure;
    const storeOptions = { dir, mustExist: options.readOnly === true };
    const opened = options.worker === true ? await openSqliteWorkerStore(storeOptions) : openSqliteStore(storeOptions);
    if (!opened.ok) return opened;
    store = opened.store;
  }
  return LineageLog.open({
    store,
    crypto: nodeCrypto,
    ...(signer === undefined ? {} : { signer }),
    ...(publicKey === undefined ? {} : { publicKey }),
    ...(options.groupCommit === undefined ? {} : { groupCommit: options.groupCommit }),
  });
}
