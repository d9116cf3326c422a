/**
 * Node entry of `writ/runtime`: Ed25519 by node:crypto.
 * Load a (signed) bundle, decide requests, get decision records — without the parser.
 * Same API as the other entry (`runtime/index.ts` / `runtime/browser.ts`).
 */
import { nodeCrypto } from "./crypto/node-crypto.js";
import { runtimeApi } from "./entry.js";

/**
 * The runtime API bound to this entry's cryptography (see {@link RuntimeApi} for each
 * function's contract): `loadBundle`, `loadEntities`, `decide`, `decideMany`,
 * `requestDigest`, `BundleGuard`, and `runtimeCrypto` / `ed25519` for the rest.
 */
export const { loadBundle, loadEntities, decide, decideMany, requestDigest, BundleGuard, crypto: runtimeCrypto } = runtimeApi(nodeCrypto);
/** The Ed25519 implementation of this entry. */
export const ed25519 = runtimeCrypto.ed25519;

export type { RuntimeApi } from "./entry.js";
export type { RuntimeCrypto } from "./crypto/platform.js";
export { EntityStore, type CedarJson, type EntityChanges, type EntityJson, type EntityStoreResult, type EntityUidJson } from "./entity-store.js";
export { reasonOf, type LoadBundleOptions, type LoadBundleResult, type LoadedBundle, type LoadedPolicy } from "./bundle.js";
export type { LoadedLink, LoadedTemplate } from "./bundle-links.js";
export {
  canonicalRequest,
  DECISION_FORMAT,
  recordBytes,
  type DecideEntities,
  type DecisionRecord,
  type RequestJson,
  type RecordError,
  type RecordJson,
  type RecordReason,
} from "./decision-record.js";
export { EVALUATOR, WRIT_VERSION } from "./version.js";
export { isoTime } from "./iso-time.js";
export { BUNDLE_FORMAT, LANGUAGE_VERSION, bundleId, keyIdOf, policyId, schemaId } from "../compiler/ids.js";
export { canonicalJson, contentId } from "../compiler/canonical.js";
export type { Bundle, BundleLink, BundlePolicy, BundleSignature, BundleTemplate } from "../compiler/bundle.js";
export type { Ed25519, Ed25519KeyPair } from "./crypto/ed25519.js";
export { publicKeyFromPem, publicKeyToPem, type KeyResult } from "./crypto/pem.js";
// Governed execution and lineage (Node: the SQLite store and the log's key files live here).
export {
  Governor,
  type Authorization,
  type AuthorizeOptions,
  type CompleteResult,
  type ExecuteOptions,
  type ExecutionContext,
  type GovernedResult,
  type GovernorOptions,
  type ObligationHandler,
  type Outcome,
  type RecordedEvent,
} from "./governor.js";
export {
  LineageLog,
  lineageOrigin,
  verifyProof,
  type AppendOptions,
  type AppendResult,
  type CheckpointSigner,
  type ConsistencyProof,
  type ConsistencyResult,
  type GroupCommitOptions,
  type LineageEntry,
  type LineageLogOptions,
  type LineageProof,
  type OpenLogResult,
  type ProofCheck,
  type ProveResult,
  type VerifyOptions,
  type VerifyReport,
} from "./lineage/log.js";
export { openLocalLog, nodeSigner, readLogKey, readLogPublicKey, DEFAULT_LINEAGE_DB, type LocalLogOptions } from "./lineage/local-log.js";
export { keySigner } from "./lineage/signed-note.js";
export { keyTrust, type CheckpointTrust, type TrustedCheckpoint, type TrustResult } from "./lineage/trust.js";
export { parseCheckpoint, verifierKey, type Checkpoint, type ParsedCheckpoint } from "./lineage/checkpoint.js";
export { checkConsistency } from "./lineage/merkle.js";
export { artifactSteps, consistencySteps, pinnedKeyBytes, proofSteps, type ArtifactSteps, type ConsistencySteps, type EvidenceCrypto, type EvidencePin, type EvidenceStep, type ProofSteps, type StepStatus } from "./lineage/evidence-steps.js";
export { MemoryLineageStore } from "./lineage/memory-store.js";
export { openSqliteStore, SqliteLineageStore, SQLITE_STORE_VERSION } from "./lineage/sqlite-store.js";
export { openSqliteWorkerStore, SqliteWorkerStore, type OpenWorkerStoreResult } from "./lineage/sqlite-worker-store.js";
export { openSigningWorker, type WorkerSigner } from "./crypto/signing-worker.js";
export { StoreError, type LineageStore, type StoreErrorKind } from "./lineage/store.js";
export { EVENT_KIND, PHASES, type LineageEvent, type Phase } from "./lineage/events.js";
export { replayLog, type ReplayItem, type ReplayOptions, type ReplayReport } from "./lineage/replay.js";
export { eventOfJson, eventOfText, readVerified, VerifiedLogView, type VerifiedEntry, type VerifiedRead } from "./lineage/verified-view.js";
export { asLineageEvent, isDecisionPhase, type EventOutcome, type ExecutionSummary, type LineageJson } from "./lineage/events.js";
export { pae, signEnvelope, verifyEnvelope, inTotoStatement, IN_TOTO_PAYLOAD_TYPE, type DsseEnvelope } from "./lineage/dsse.js";
// Authorization artifacts (DSSE, signed by a decision node; expiry checked against a caller-supplied time).
export { ARTIFACT_FORMAT, ARTIFACT_PAYLOAD_TYPE, signArtifact, signArtifactAsync, verifyArtifact, type ArtifactCheck, type ArtifactInput, type AsyncSigner, type AuthorizationClaims, type VerifyArtifactOptions } from "./artifact.js";
export type { Failure, Problem, ProblemValues } from "../compiler/compile-ir.js";
/** Build a catalog problem (`{ code, message, values }`) or a failed result — what services put in their own failures. */
export { failure, problem, type DiagnosticCode } from "../compiler/compile-ir.js";
