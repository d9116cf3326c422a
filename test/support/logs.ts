/**
 * Opening lineage logs in tests the way services do: a store plus a signer (a test key held
 * by a node:crypto signer), or the local files under a directory (`openLocalLog`).
 */
import { nodeCrypto } from "../../runtime/crypto/node-crypto.js";
import { openLocalLog, nodeSigner } from "../../runtime/lineage/local-log.js";
import { LineageLog, type GroupCommitOptions, type OpenLogResult } from "../../runtime/lineage/log.js";
import { openSqliteStore } from "../../runtime/lineage/sqlite-store.js";
import type { LineageStore } from "../../runtime/lineage/store.js";

/** What a test opens a log with. */
export interface TestLogOptions {
  readonly dir?: string;
  readonly store?: LineageStore;
  /** Sign with this 32-byte seed (default: the key files under `dir`). */
  readonly privateKey?: Uint8Array;
  /** Open read-only, verifying against `publicKey` (or `dir`'s lineage.pub). */
  readonly readOnly?: boolean;
  readonly publicKey?: Uint8Array;
  readonly groupCommit?: GroupCommitOptions;
}

/** Open a log for a test (never throws; same result type as the runtime's openers). */
export async function openTestLog(o: TestLogOptions): Promise<OpenLogResult> {
  const extra = o.groupCommit === undefined ? {} : { groupCommit: o.groupCommit };
  if (o.privateKey !== undefined || (o.store !== undefined && o.dir === undefined)) {
    let store = o.store;
    if (store === undefined) {
      const s = openSqliteStore({ dir: o.dir! });
      if (!s.ok) return s;
      store = s.store;
    }
    if (o.readOnly === true || o.privateKey === undefined) {
      return LineageLog.open({ store, crypto: nodeCrypto, ...(o.publicKey === undefined ? {} : { publicKey: o.publicKey }), ...extra });
    }
    return LineageLog.open({ store, crypto: nodeCrypto, signer: nodeSigner(o.privateKey), ...extra });
  }
  return openLocalLog({
    dir: o.dir!,
    ...(o.store === undefined ? {} : { store: o.store }),
    ...(o.readOnly === undefined ? {} : { readOnly: o.readOnly }),
    ...(o.publicKey === undefined ? {} : { publicKey: o.publicKey }),
    ...extra,
  });
}
