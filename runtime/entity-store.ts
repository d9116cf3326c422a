/**
 * Entity stores: an immutable snapshot of a service's entities, read and checked against a
 * bundle's schema once, with a content id.
 *
 * ```ts
 * const { store, diagnostics } = loadEntities(bundle, entitiesJson); // validated once
 * decide(bundle, request, store);                                     // per call: only the request is read
 * const next = store.update({ upsert: [...], remove: [...] });        // a new snapshot; `store` keeps deciding
 * ```
 *
 * - `store.id` is the content id of the entity set as given (see `entity-digest.ts` for how
 *   it is built); the schema's action entities that the runtime adds are not part of it.
 * - Ancestors are computed once per snapshot (bounded: see `stdlib/ancestor-closure.ts`); an update
 *   recomputes them only for the changed entities and their descendants, and re-hashes only
 *   the changed entities and their buckets.
 * - A store remembers the schema it was checked against; deciding with a bundle of another
 *   schema is refused (W7001) — `store.forBundle(other)` re-checks it against the new one.
 *
 * Never throws: every problem is a diagnostic (W5003 entities, W5040 too large, W5004 JSON).
 *
 * NOTE: browser-safe; the entry (`runtime/index.ts`, `runtime/browser.ts`) supplies SHA-256.
 */
import { diag, errorText, type Diagnostic } from "../compiler/compile-ir.js";
import { entitiesWithSchema, readEntityRecords } from "../compiler/inputs.js";
import { validateEntity, schemaActionEntities } from "../compiler/input-validate.js";
import type { Schema } from "../compiler/schema-model.js";
import { entityUidFromJson, type JsonValue } from "../stdlib/json.js";
import { Entities, type EntityRecord } from "../stdlib/entities.js";
import type { LoadedBundle } from "./bundle.js";
import type { Sha256 } from "./crypto/platform.js";
import { EntityDigest, entityForm, type PlainJson } from "./entity-digest.js";
import { compareCodeUnits } from "../compiler/ids.js";
import { canonicalJson } from "../compiler/canonical.js";

/** A Cedar JSON value (as entities and contexts hold them). */
export type CedarJson = null | boolean | number | string | readonly CedarJson[] | { readonly [key: string]: CedarJson };

/** An entity uid in Cedar JSON: `{type, id}` or the escaped `{"__entity": {type, id}}`. */
export type EntityUidJson = { readonly type: string; readonly id: string } | { readonly __entity: { readonly type: string; readonly id: string } };

/** One entity in Cedar's entities JSON. */
export interface EntityJson {
  readonly uid: EntityUidJson;
  readonly attrs: { readonly [name: string]: CedarJson };
  readonly parents: readonly EntityUidJson[];
  readonly tags?: { readonly [name: string]: CedarJson };
}

/** Changes for {@link EntityStore.update}. */
export interface EntityChanges {
  /** Entities to add, or to replace (same uid). */
  readonly upsert?: readonly EntityJson[];
  /** Uids of entities to remove (absent ones are ignored). */
  readonly remove?: readonly EntityUidJson[];
}

/** A store, or why there is none. `store` is present only when there is no error. */
export interface EntityStoreResult {
  readonly store?: EntityStore;
  readonly diagnostics: Diagnostic[];
}

const NOWHERE = { start: 0, end: 0 };

function errorsOnly(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === "error");
}

/** An immutable, validated snapshot of entities with a content id. Create with `loadEntities`. */
export class EntityStore {
  private constructor(
    /** The store the decision function reads (the given entities plus the schema's actions). */
    readonly entities: Entities,
    private readonly digest: EntityDigest,
    private readonly schema: Schema,
    /** The id of the schema the entities were checked against. */
    readonly schemaId: string,
    private readonly actions: ReadonlyMap<string, EntityRecord>,
  ) {}

  /**
   * Read entities JSON against a bundle's schema (see `loadEntities` in the entries).
   * @internal
   */
  static load(bundle: Pick<LoadedBundle, "schema" | "schemaId">, json: unknown, sha256: Sha256): EntityStoreResult {
    try {
      return EntityStore.read(bundle, json, sha256);
    } catch (e) {
      // Fail closed: reading is defensive, so this is input no check foresaw (a getter that throws, say).
      return { diagnostics: [diag("W5003", `the entities could not be read: ${errorText(e)}`, NOWHERE)] };
    }
  }

  private static read(bundle: Pick<LoadedBundle, "schema" | "schemaId">, json: unknown, sha256: Sha256): EntityStoreResult {
    const read = readEntityRecords(json, bundle.schema);
    if (read.records === undefined) return { diagnostics: read.diagnostics };
    const built = entitiesWithSchema(read.records, bundle.schema);
    const diagnostics = [...read.diagnostics, ...built.diagnostics];
    if (built.entities === undefined || errorsOnly(diagnostics)) return { diagnostics };
    const digest = digestOf(read.records, sha256);
    if (typeof digest === "string") return { diagnostics: [diag("W5003", digest, NOWHERE)] };
    const actions = new Map(schemaActionEntities(bundle.schema).map((a) => [a.uid.key, a]));
    return { store: new EntityStore(built.entities, digest, bundle.schema, bundle.schemaId, actions), diagnostics };
  }

  /** The content id of the entity set (`sha256:<hex>`). */
  get id(): string {
    return this.digest.id;
  }

  /** The number of entities given (the schema's action entities not counted). */
  get size(): number {
    return this.digest.size;
  }

  /**
   * A new snapshot with entities added, replaced and removed. Only the changed entities are
   * read, checked against the schema and hashed; this snapshot is unchanged and keeps
   * deciding. Never throws.
   */
  update(changes: EntityChanges): EntityStoreResult {
    try {
      return this.changed(changes);
    } catch (e) {
      return { diagnostics: [diag("W5003", `the changes could not be read: ${errorText(e)}`, NOWHERE)] };
    }
  }

  private changed(changes: EntityChanges): EntityStoreResult {
    if (typeof changes !== "object" || changes === null || Array.isArray(changes)) {
      return { diagnostics: [diag("W5003", "changes must be an object `{ upsert?, remove? }`", NOWHERE)] };
    }
    if (changes.remove !== undefined && !Array.isArray(changes.remove)) {
      return { diagnostics: [diag("W5003", "`remove` must be an array of entity references", NOWHERE)] };
    }
    const diagnostics: Diagnostic[] = [];
    const read = readEntityRecords(changes.upsert ?? [], this.schema);
    if (read.records === undefined) return { diagnostics: read.diagnostics };
    diagnostics.push(...read.diagnostics);
    for (const r of read.records) diagnostics.push(...validateEntity(this.schema, r));
    const removeKeys: string[] = [];
    (changes.remove ?? []).forEach((u, i) => {
      const r = entityUidFromJson(u as unknown as JsonValue);
      if (r.ok) removeKeys.push(r.uid.key);
      else diagnostics.push(diag("W5003", `remove #${i}: ${r.error}`, NOWHERE));
    });
    if (errorsOnly(diagnostics)) return { diagnostics };
    // Removing a given entity that the schema declares as an action brings the schema's back.
    const restore = removeKeys.flatMap((k) => {
      const a = this.actions.get(k);
      return a === undefined ? [] : [a];
    });
    const restoring = new Set(restore.map((a) => a.uid.key));
    const changed = this.entities.withChanges([...read.records, ...restore], removeKeys.filter((k) => !restoring.has(k)));
    if (changed.entities === undefined) return { diagnostics: [...diagnostics, ...changed.problems.map((p) => diag(p.code, p.message, NOWHERE))] };
    let digest: EntityDigest;
    try {
      digest = this.digest.update(read.records, removeKeys);
    } catch (e) {
      return { diagnostics: [...diagnostics, diag("W5003", surrogateMessage(e), NOWHERE)] };
    }
    return { store: new EntityStore(changed.entities, digest, this.schema, this.schemaId, this.actions), diagnostics };
  }

  /**
   * This snapshot checked against another bundle's schema: itself when the schema is the
   * same, else a new snapshot (every entity re-read and re-checked). Never throws.
   */
  forBundle(bundle: Pick<LoadedBundle, "schema" | "schemaId">, sha256: Sha256): EntityStoreResult {
    if (bundle.schemaId === this.schemaId) return { store: this, diagnostics: [] };
    return EntityStore.load(bundle, this.toJson(), sha256);
  }

  /** The given entity with this uid, as canonical JSON, or undefined. */
  get(uid: EntityUidJson): PlainJson | undefined {
    const r = entityUidFromJson(uid as unknown as JsonValue);
    if (!r.ok || this.digest.leafOf(r.uid.key) === undefined) return undefined;
    const record = this.entities.getByKey(r.uid.key);
    return record === undefined ? undefined : entityForm(record);
  }

  /** Every given entity in canonical form, sorted by uid key (what the id covers). */
  toJson(): PlainJson[] {
    const out: { key: string; form: PlainJson }[] = [];
    for (const r of this.entities.records()) if (this.digest.leafOf(r.uid.key) !== undefined) out.push({ key: r.uid.key, form: entityForm(r) });
    return out.sort((a, b) => compareCodeUnits(a.key, b.key)).map((x) => x.form);
  }

  /** The RFC 8785 text of {@link EntityStore.toJson}: what a lineage log stores under the id. */
  canonicalText(): string {
    return canonicalJson(this.toJson());
  }
}

function surrogateMessage(e: unknown): string {
  return `an entity contains a string that is not valid Unicode (a lone surrogate): ${e instanceof Error ? e.message : String(e)}`;
}

function digestOf(records: readonly EntityRecord[], sha256: Sha256): EntityDigest | string {
  try {
    return EntityDigest.of(records, sha256);
  } catch (e) {
    return surrogateMessage(e);
  }
}
