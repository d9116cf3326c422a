/**
 * Browser entry of `writ/runtime`: Ed25519 by @noble/curves, no `node:` imports.
 * Load a (signed) bundle, decide requests, get decision records — without the parser.
 * Same API as the other entry (`runtime/index.ts` / `runtime/browser.ts`).
 */
import { browserCrypto } from "./crypto/browser-crypto.js";
import { runtimeApi } from "./entry.js";

/**
 * The runtime API bound to this entry's cryptography (see {@link RuntimeApi} for each
 * function's contract): `loadBundle`, `loadEntities`, `decide`, `decideMany`,
 * `requestDigest`, `BundleGuard`, and `runtimeCrypto` / `ed25519` for the rest.
 */
export const { loadBundle, loadEntities, decide, decideMany, requestDigest, BundleGuard, crypto: runtimeCrypto } = runtimeApi(browserCrypto);
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
export { verifyProof, type LineageProof, type ProofCheck } from "./lineage/proof.js";
export { artifactSteps, consistencySteps, pinnedKeyBytes, proofSteps, type ArtifactSteps, type ConsistencySteps, type EvidenceCrypto, type EvidencePin, type EvidenceStep, type ProofSteps, type StepStatus } from "./lineage/evidence-steps.js";
// Authorization artifacts (DSSE, signed by a decision node; expiry checked against a caller-supplied time).
export { ARTIFACT_FORMAT, ARTIFACT_PAYLOAD_TYPE, signArtifact, signArtifactAsync, verifyArtifact, type ArtifactCheck, type ArtifactInput, type AsyncSigner, type AuthorizationClaims, type VerifyArtifactOptions } from "./artifact.js";
export type { DsseEnvelope } from "./lineage/dsse.js";
export type { Failure, Problem, ProblemValues } from "../compiler/compile-ir.js";
