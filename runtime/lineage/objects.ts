/**
 * The content-addressed objects events name — the bundle (`bundleId`) and the entity
 * snapshot (`entitiesId`) of each `requested` event — checked against what the store holds:
 * each must be there and re-hash to its id. A bundle is re-loaded (every policy id, the
 * schema id and the bundle id recomputed); a snapshot is re-read with that bundle's schema
 * and its entity-set id recomputed. Each distinct object is checked once.
 *
 * NOTE: browser-safe.
 */
import { errorText } from "../../compiler/compile-ir.js";
import { loadBundleWith, type LoadedBundle } from "../bundle.js";
import type { RuntimeCrypto } from "../crypto/platform.js";
import { EntityStore } from "../entity-store.js";
import { EVENT_KIND } from "./events.js";
import type { LineageStore } from "./store.js";

/** The objects one event names, with where the event is. */
export interface ObjectRef {
  readonly index: number;
  readonly eventId: string;
  readonly bundleId?: string;
  readonly entitiesId?: string;
}

/** The first event whose object is missing or altered. */
export interface ObjectProblem {
  readonly index: number;
  readonly eventId: string;
  readonly reason: string;
}

/**
 * The bundle and snapshot ids an event (canonical JSON text) names; none unless it is a
 * `requested` event. `json()` gives the text parsed (undefined when it is not JSON), parsed
 * once for every reader of the entry (see `verify.ts`).
 */
export function objectRefs(text: string, json: () => unknown): { bundleId?: string; entitiesId?: string }[] {
  if (!text.includes('"phase":"requested"')) return [];
  const ev = json();
  if (typeof ev !== "object" || ev === null) return [];
  const e = ev as Record<string, unknown>;
  if (e["kind"] !== EVENT_KIND || e["phase"] !== "requested") return [];
  const bundleId = typeof e["bundleId"] === "string" ? e["bundleId"] : undefined;
  const entitiesId = typeof e["entitiesId"] === "string" ? e["entitiesId"] : undefined;
  if (bundleId === undefined && entitiesId === undefined) return [];
  return [{ ...(bundleId === undefined ? {} : { bundleId }), ...(entitiesId === undefined ? {} : { entitiesId }) }];
}

/** Load a stored bundle by id, re-hashing it: the bundle, or why it cannot be used. */
export async function storedBundle(store: LineageStore, id: string, crypto: RuntimeCrypto): Promise<LoadedBundle | string> {
  const text = await store.getObject(id);
  if (text === undefined) return `bundle ${id} is not stored in the log`;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return `stored bundle ${id} is not JSON: ${errorText(e)}`;
  }
  const r = loadBundleWith(crypto.ed25519, json);
  if (r.bundle === undefined) return `stored bundle ${id} does not load: ${r.diagnostics.map((d) => d.message).join("; ")}`;
  if (r.bundle.bundleId !== id) return `the bundle stored under ${id} hashes to ${r.bundle.bundleId}`;
  return r.bundle;
}

/** Load a stored entity snapshot by id against a bundle's schema, re-hashing it: the store, or why it cannot be used. */
export async function storedEntities(store: LineageStore, id: string, bundle: LoadedBundle, crypto: RuntimeCrypto): Promise<EntityStore | string> {
  const text = await store.getObject(id);
  if (text === undefined) return `entity snapshot ${id} is not stored in the log`;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return `stored entity snapshot ${id} is not JSON: ${errorText(e)}`;
  }
  const r = EntityStore.load(bundle, json, crypto.sha256);
  if (r.store === undefined) return `stored entity snapshot ${id} does not load: ${r.diagnostics.map((d) => d.message).join("; ")}`;
  if (r.store.id !== id) return `the entity snapshot stored under ${id} hashes to ${r.store.id}`;
  return r.store;
}

/**
 * Check every object the refs name, each distinct one once. Returns the first bad event
 * (lowest index), or undefined. Rejects only when the store cannot be read.
 */
export async function checkObjects(store: LineageStore, refs: readonly ObjectRef[], crypto: RuntimeCrypto): Promise<ObjectProblem | undefined> {
  const bundles = new Map<string, LoadedBundle | string>();
  const snapshots = new Map<string, string | undefined>();
  for (const ref of refs) {
    let bundle: LoadedBundle | undefined;
    if (ref.bundleId !== undefined) {
      let b = bundles.get(ref.bundleId);
      if (b === undefined) bundles.set(ref.bundleId, (b = await storedBundle(store, ref.bundleId, crypto)));
      if (typeof b === "string") return { index: ref.index, eventId: ref.eventId, reason: b };
      bundle = b;
    }
    if (ref.entitiesId !== undefined) {
      const key = `${ref.entitiesId} ${ref.bundleId ?? ""}`;
      if (!snapshots.has(key)) {
        if (bundle === undefined) snapshots.set(key, `the event names entity snapshot ${ref.entitiesId} without a bundle to read it with`);
        else {
          const s = await storedEntities(store, ref.entitiesId, bundle, crypto);
          snapshots.set(key, typeof s === "string" ? s : undefined);
        }
      }
      const problem = snapshots.get(key);
      if (problem !== undefined) return { index: ref.index, eventId: ref.eventId, reason: problem };
    }
  }
  return undefined;
}
