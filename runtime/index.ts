/**
 * Node entry of `writ/runtime`: Ed25519 by node:crypto.
 * Load a (signed) bundle, decide requests, get decision records — without the parser.
 * Same API as the other entry (`runtime/index.ts` / `runtime/browser.ts`).
 */
import { nodeEd25519 } from "./crypto/ed25519-node.js";
import { BundleGuard as GuardWith, loadBundleWith, type LoadBundleOptions, type LoadBundleResult } from "./bundle.js";

/**
 * Load and check a bundle (parsed JSON): strict shape, every id recomputed, signature required
 * when `publicKey` is given, rollback below `lastSequence` refused. Never throws.
 */
export function loadBundle(json: unknown, options?: LoadBundleOptions): LoadBundleResult {
  return loadBundleWith(nodeEd25519, json, options);
}

/** Remembers the last accepted sequence per signer key id (in memory) and refuses rollbacks. */
export class BundleGuard extends GuardWith {
  constructor() {
    super(nodeEd25519);
  }
}

/** The Ed25519 implementation of this entry. */
export const ed25519 = nodeEd25519;

export { reasonOf, type LoadBundleOptions, type LoadBundleResult, type LoadedBundle, type LoadedPolicy } from "./bundle.js";
export type { LoadedLink, LoadedTemplate } from "./bundle-links.js";
export {
  canonicalEntities,
  canonicalRequest,
  decide,
  recordBytes,
  requestDigest,
  type DecisionRecord,
  type RecordError,
  type RecordJson,
  type RecordReason,
} from "./decision-record.js";
export { EVALUATOR, WRIT_VERSION } from "./version.js";
export { BUNDLE_FORMAT, LANGUAGE_VERSION, bundleId, keyIdOf, policyId, schemaId } from "../compiler/ids.js";
export { canonicalJson, contentId } from "../compiler/canonical.js";
export type { Bundle, BundleLink, BundlePolicy, BundleSignature, BundleTemplate } from "../compiler/bundle.js";
export type { Ed25519, Ed25519KeyPair } from "./crypto/ed25519.js";
export { publicKeyFromPem, publicKeyToPem, type KeyResult } from "./crypto/pem.js";
// Governed execution and lineage (Node: the SQLite store and the log's key files live here).
export { Governor, type ExecuteOptions, type ExecutionContext, type GovernedResult, type GovernorOptions, type ObligationHandler } from "./governor.js";
export { LineageLog, verifyProof, type LineageLogOptions, type LineageProof, type OpenLogResult, type ProofCheck, type VerifyReport } from "./lineage/log.js";
export { MemoryLineageStore } from "./lineage/memory-store.js";
export { openSqliteStore, SqliteLineageStore, DEFAULT_LINEAGE_DB } from "./lineage/sqlite-store.js";
export type { LineageStore } from "./lineage/store.js";
export { EVENT_KIND, PHASES, type LineageEvent, type Phase } from "./lineage/events.js";
export { replayLog, type ReplayReport } from "./lineage/replay.js";
export { pae, signEnvelope, verifyEnvelope, inTotoStatement, IN_TOTO_PAYLOAD_TYPE, type DsseEnvelope } from "./lineage/dsse.js";
