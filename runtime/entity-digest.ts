/**
 * The content id of an entity set, built so that an update re-hashes only what changed.
 *
 * ```
 * entity form  = { uid: {type, id}, attrs, parents: [uids sorted by key, no duplicates], tags }
 *                (values as Cedar JSON; a Long outside ±2^53 as {"__long": "<decimal>"})
 * leaf(e)      = SHA-256( JCS(entity form) )                          32 bytes
 * bucket(e)    = the top 12 bits of FNV-1a-32 over the UTF-16 code units of e's uid key
 *                (`Type::"id"`, the id JSON-quoted)                  0 … 4095
 * bucketHash b = SHA-256( leaves of bucket b, sorted bytewise, concatenated ), or
 *                32 zero bytes for an empty bucket
 * entities id  = "sha256:" + hex SHA-256( "writ-entities/1" ‖ 0x00 ‖ bucketHash 0 ‖ … ‖ bucketHash 4095 )
 * ```
 *
 * The id depends only on the set of entity forms: neither the order of the input, the
 * order of parents, JSON key order nor how the set was reached (loaded at once or
 * through updates) can change it, and any change of an attribute, tag, parent or uid
 * does. Two entities cannot share a leaf (the uid is inside it), so the bucket contents
 * are sets. The bucket depends only on the uid, so an update finds an entity's bucket
 * without any index: it hashes the changed entities, re-hashes the buckets they are in,
 * and the 128 KiB of bucket hashes — its cost does not grow with the store. (FNV-1a only
 * spreads entities over buckets; every hash that the id's integrity rests on is SHA-256.)
 *
 * NOTE: browser-safe; SHA-256 comes from the runtime entry (node:crypto or @noble).
 */
import { compareCodeUnits, toPlainJson, type PlainJson } from "../compiler/ids.js";
import type { EntityRecord } from "../stdlib/entities.js";
import { valueToJson } from "../stdlib/json.js";
import type { EntityUID, Value } from "../stdlib/value.js";
import { entityText } from "./canonical-value.js";
import { sha256Id, type Sha256 } from "./crypto/platform.js";

export { toPlainJson as plainJson, type PlainJson };

/** The number of buckets (2^12). */
export const ENTITY_BUCKETS = 4096;

const DOMAIN = new TextEncoder().encode("writ-entities/1\u0000");
const ZERO = new Uint8Array(32);
/** The bytes the id hashes: the domain and every bucket hash. */
const ID_INPUT_BYTES = DOMAIN.length + 32 * ENTITY_BUCKETS;

/** `{type, id}` of a uid. */
export function uidJson(u: EntityUID): PlainJson {
  return { type: u.type, id: u.id };
}

/** Plain JSON of a runtime value. */
export function valueJson(v: Value): PlainJson {
  return toPlainJson(valueToJson(v));
}

/** The canonical form of one entity: parents sorted by key, without duplicates. */
export function entityForm(r: EntityRecord): PlainJson {
  const parents = r.parents.length <= 1 ? r.parents : [...new Map(r.parents.map((p) => [p.key, p])).values()].sort((a, b) => compareCodeUnits(a.key, b.key));
  return { uid: uidJson(r.uid), attrs: valueJson(r.attrs), parents: parents.map(uidJson), tags: valueJson(r.tags) };
}

/**
 * The leaf hash of one entity (32 bytes).
 * @throws CanonicalJsonError when a string holds a lone surrogate (not representable in UTF-8).
 */
export function entityLeaf(r: EntityRecord, sha256: Sha256): Uint8Array {
  // NOTE: entityText(r) is canonicalJson(entityForm(r)) written directly (property-tested).
  return sha256(entityText(r));
}

/** The bucket (0 … 4095) of a uid key: the top 12 bits of its FNV-1a-32 hash over UTF-16 code units. */
export function bucketOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 20) & 0xfff;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** The hash of one bucket's leaves (hashed sorted bytewise). */
function hashBucket(bucket: ReadonlyMap<string, Uint8Array>, sha256: Sha256): Uint8Array {
  if (bucket.size === 0) return ZERO;
  const sorted = [...bucket.values()].sort(compareBytes);
  const n = 32 * sorted.length;
  if (scratch.length < n) scratch = new Uint8Array(Math.max(n, 2 * scratch.length));
  for (let i = 0; i < sorted.length; i++) {
    const l = sorted[i]!;
    for (let j = 0, o = 32 * i; j < 32; j++) scratch[o + j] = l[j]!;
  }
  return sha256(scratch.subarray(0, n));
}

// NOTE: one reusable buffer for a bucket's leaves (grown on demand); safe because hashing is synchronous.
let scratch = new Uint8Array(32 * 64);

const EMPTY_BUCKET: ReadonlyMap<string, Uint8Array> = new Map();

/**
 * The leaves of an entity set by bucket, with the bucket hashes and the id. Immutable:
 * {@link EntityDigest.update} returns a new digest sharing the unchanged buckets.
 */
export class EntityDigest {
  private constructor(
    private readonly sha256: Sha256,
    /** Leaf hashes by uid key, by bucket. */
    private readonly buckets: readonly ReadonlyMap<string, Uint8Array>[],
    /** What the id hashes: the domain, then the 4,096 bucket hashes (never written after construction). */
    private readonly hashes: Uint8Array,
    /** The number of entities. */
    readonly size: number,
    /** The content id of the set. */
    readonly id: string,
  ) {}

  /**
   * The digest of a set of records (uids distinct).
   * @throws CanonicalJsonError when a string holds a lone surrogate.
   */
  static of(records: Iterable<EntityRecord>, sha256: Sha256): EntityDigest {
    const buckets: Map<string, Uint8Array>[] = [];
    let size = 0;
    for (const r of records) {
      const m = (buckets[bucketOf(r.uid.key)] ??= new Map());
      if (!m.has(r.uid.key)) size++;
      m.set(r.uid.key, entityLeaf(r, sha256));
    }
    const full: ReadonlyMap<string, Uint8Array>[] = Array.from({ length: ENTITY_BUCKETS }, (_, b) => buckets[b] ?? EMPTY_BUCKET);
    const hashes = new Uint8Array(ID_INPUT_BYTES);
    hashes.set(DOMAIN, 0);
    for (let b = 0; b < ENTITY_BUCKETS; b++) hashes.set(hashBucket(full[b]!, sha256), DOMAIN.length + 32 * b);
    return new EntityDigest(sha256, full, hashes, size, sha256Id(sha256(hashes)));
  }

  /** The leaf hash of the entity with uid key `key`, if present. */
  leafOf(key: string): Uint8Array | undefined {
    return this.buckets[bucketOf(key)]!.get(key);
  }

  /**
   * The digest after replacing or adding `upserts` and removing the uid keys `removes`
   * (absent keys are ignored). Work is proportional to the change, plus the fixed cost
   * of the final hash.
   * @throws CanonicalJsonError when a string holds a lone surrogate.
   */
  update(upserts: readonly EntityRecord[], removes: readonly string[]): EntityDigest {
    const touched = new Map<number, Map<string, Uint8Array>>();
    const bucket = (key: string): Map<string, Uint8Array> => {
      const b = bucketOf(key);
      let m = touched.get(b);
      if (m === undefined) touched.set(b, (m = new Map(this.buckets[b])));
      return m;
    };
    let size = this.size;
    for (const k of removes) if (bucket(k).delete(k)) size--;
    for (const r of upserts) {
      const m = bucket(r.uid.key);
      if (!m.has(r.uid.key)) size++;
      m.set(r.uid.key, entityLeaf(r, this.sha256));
    }
    const buckets = this.buckets.slice();
    const hashes = this.hashes.slice();
    for (const [b, m] of touched) {
      buckets[b] = m;
      hashes.set(hashBucket(m, this.sha256), DOMAIN.length + 32 * b);
    }
    return new EntityDigest(this.sha256, buckets, hashes, size, sha256Id(this.sha256(hashes)));
  }
}

