/**
 * Browser entry of `writ/runtime`: Ed25519 by @noble/curves, no `node:` imports.
 * Load a (signed) bundle, decide requests, get decision records — without the parser.
 * Same API as the other entry (`runtime/index.ts` / `runtime/browser.ts`).
 */
import { browserEd25519 } from "./crypto/ed25519-browser.js";
import { BundleGuard as GuardWith, loadBundleWith, type LoadBundleOptions, type LoadBundleResult } from "./bundle.js";

/**
 * Load and check a bundle (parsed JSON): strict shape, every id recomputed, signature required
 * when `publicKey` is given, rollback below `lastSequence` refused. Never throws.
 */
export function loadBundle(json: unknown, options?: LoadBundleOptions): LoadBundleResult {
  return loadBundleWith(browserEd25519, json, options);
}

/** Remembers the last accepted sequence per signer key id (in memory) and refuses rollbacks. */
export class BundleGuard extends GuardWith {
  constructor() {
    super(browserEd25519);
  }
}

/** The Ed25519 implementation of this entry. */
export const ed25519 = browserEd25519;

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
