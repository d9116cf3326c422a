/**
 * The functions both entries of `writ/runtime` export, bound to the entry's cryptography
 * (node:crypto in Node, @noble in the browser): one definition, two bindings, no module
 * global choosing a backend.
 *
 * NOTE: browser-safe (the cryptography is passed in).
 */
import { BundleGuard as GuardWith, loadBundleWith, notLoadedBundle, type LoadBundleOptions, type LoadBundleResult } from "./bundle.js";
import { diag } from "../compiler/compile-ir.js";
import type { LoadedBundle } from "./bundle.js";
import type { RuntimeCrypto } from "./crypto/platform.js";
import { decideManyWith, decideWith, requestDigestWith, type DecideEntities, type DecisionRecord, type RequestJson } from "./decision-record.js";
import { EntityStore, type EntityJson, type EntityStoreResult } from "./entity-store.js";
import type { Request } from "../compiler/request.js";

/** The runtime API of one entry. */
export interface RuntimeApi {
  /**
   * Load and check a bundle (parsed JSON): strict shape, every id recomputed, signature
   * required when `publicKey` is given, rollback refused (a lower sequence, or another bundle
   * at the same sequence, than `last`). Never throws.
   */
  loadBundle(json: unknown, options?: LoadBundleOptions): LoadBundleResult;
  /**
   * Read Cedar entities JSON against a bundle's schema once, into an immutable store with a
   * content id (the schema's action entities added). Never throws: input that is not entities
   * JSON (from an untyped `JSON.parse`, say) gives diagnostics and no store.
   */
  loadEntities(bundle: LoadedBundle, entitiesJson: readonly EntityJson[]): EntityStoreResult;
  /**
   * Decide one request (Cedar request JSON) with a loaded bundle on an entity store and
   * return its decision record. Only the request is read and validated per call. Entities
   * JSON is accepted too (read for this call only). Never throws: input that does not fit
   * the types (from an untyped `JSON.parse`, say) is a deny record whose errors say why.
   */
  decide(bundle: LoadedBundle, request: RequestJson, entities: DecideEntities): DecisionRecord;
  /** Decide several requests on one store; the same records as deciding each alone. Never throws. */
  decideMany(bundle: LoadedBundle, requests: readonly RequestJson[], entities: DecideEntities): DecisionRecord[];
  /** The `requestDigest` of a parsed request decided on the store with id `entitiesId`. */
  requestDigest(request: Request, entitiesId: string): string;
  /** Remembers, per signer key, the last accepted (sequence, bundle id) and refuses rollbacks. */
  readonly BundleGuard: new () => GuardWith;
  /** The cryptography of this entry. */
  readonly crypto: RuntimeCrypto;
}

/** The runtime API bound to one entry's cryptography. */
export function runtimeApi(crypto: RuntimeCrypto): RuntimeApi {
  const sha256 = crypto.sha256;
  class BundleGuard extends GuardWith {
    constructor() {
      super(crypto.ed25519);
    }
  }
  return {
    loadBundle: (json, options) => loadBundleWith(crypto.ed25519, json, options),
    loadEntities: (bundle, json) => {
      const notLoaded = notLoadedBundle(bundle);
      return notLoaded === undefined ? EntityStore.load(bundle, json, sha256) : { diagnostics: [diag("W7010", notLoaded, { start: 0, end: 0 })] };
    },
    decide: (bundle, request, entities) => decideWith(crypto, bundle, request, entities),
    decideMany: (bundle, requests, entities) => decideManyWith(crypto, bundle, requests, entities),
    requestDigest: (request, entitiesId) => requestDigestWith(crypto, request, entitiesId),
    BundleGuard,
    crypto,
  };
}
