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

/**
 * One bucket: the uid keys of its entities and their leaves, 32 bytes each in one buffer,
 * in bytewise order of the leaves (so the buffer is exactly what the bucket hash hashes).
 * NOTE: two buffers per bucket instead of one small array per entity: a store of 100,000
 * entities keeps 8,192 arrays for its digest, not 100,000 (allocation and GC dominate).
 */
interface Bucket {
  readonly keys: readonly string[];
  readonly leaves: Uint8Array;
}

const EMPTY_BUCKET: Bucket = { keys: [], leaves: new Uint8Array(0) };

/** The hash of one bucket's leaves (hashed sorted bytewise), or 32 zero bytes when empty. */
function hashBucket(bucket: Bucket, sha256: Sha256): Uint8Array {
  return bucket.keys.length === 0 ? ZERO : sha256(bucket.leaves);
}

/** Compare the leaves at positions `a` and `b` of `buf` bytewise. */
function compareAt(buf: Uint8Array, a: number, b: number): number {
  const x = 32 * a;
  const y = 32 * b;
  for (let i = 0; i < 32; i++) if (buf[x + i] !== buf[y + i]) return buf[x + i]! - buf[y + i]!;
  return 0;
}

/** A bucket of the (key, leaf) pairs at positions `at` (the leaf of position p: `buf[32p … 32p+32)`; keys distinct). */
function bucketAt(keys: readonly string[], buf: Uint8Array, at: readonly number[]): Bucket {
  const n = at.length;
  if (n === 0) return EMPTY_BUCKET;
  if (n > 1) at = [...at].sort((a, b) => compareAt(buf, a, b));
  const leaves = new Uint8Array(32 * n);
  const sortedKeys = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const p = at[i]!;
    leaves.set(buf.subarray(32 * p, 32 * p + 32), 32 * i);
    sortedKeys[i] = keys[p]!;
  }
  return { keys: sortedKeys, leaves };
}

/**
 * The leaves of an entity set by bucket, with the bucket hashes and the id. Immutable:
 * {@link EntityDigest.update} returns a new digest sharing the unchanged buckets.
 */
export class EntityDigest {
  private constructor(
    private readonly sha256: Sha256,
    /** Keys and leaves by bucket. */
    private readonly buckets: readonly Bucket[],
    /** What the id hashes: the domain, then the 4,096 bucket hashes (never written after construction). */
    private readonly hashes: Uint8Array,
    /** The number of entities. */
    readonly size: number,
    /** The content id of the set. */
    readonly id: string,
  ) {}

  /**
   * The digest of a set of records (a uid given twice: the last one counts).
   * @throws CanonicalJsonError when a string holds a lone surrogate.
   */
  static of(records: Iterable<EntityRecord>, sha256: Sha256): EntityDigest {
    const list = Array.isArray(records) ? (records as readonly EntityRecord[]) : [...records];
    const n = list.length;
    // Every leaf into one buffer, by position; then positions grouped by bucket (counting sort).
    const all = new Uint8Array(32 * n);
    const keys = new Array<string>(n);
    const bucketIds = new Uint16Array(n);
    const last = new Map<string, number>();
    const starts = new Int32Array(ENTITY_BUCKETS + 1);
    for (let i = 0; i < n; i++) {
      const r = list[i]!;
      all.set(entityLeaf(r, sha256), 32 * i);
      keys[i] = r.uid.key;
      last.set(r.uid.key, i);
      const b = bucketOf(r.uid.key);
      bucketIds[i] = b;
      starts[b + 1]++;
    }
    for (let b = 0; b < ENTITY_BUCKETS; b++) starts[b + 1] += starts[b]!;
    const byBucket = new Int32Array(n);
    const fill = starts.slice(0, ENTITY_BUCKETS);
    for (let i = 0; i < n; i++) if (last.get(keys[i]!) === i) byBucket[fill[bucketIds[i]!]!++] = i;
    const buckets = new Array<Bucket>(ENTITY_BUCKETS);
    const hashes = new Uint8Array(ID_INPUT_BYTES);
    hashes.set(DOMAIN, 0);
    for (let b = 0; b < ENTITY_BUCKETS; b++) {
      const members: number[] = [];
      for (let j = starts[b]!; j < fill[b]!; j++) members.push(byBucket[j]!);
      const bucket = bucketAt(keys, all, members);
      buckets[b] = bucket;
      hashes.set(hashBucket(bucket, sha256), DOMAIN.length + 32 * b);
    }
    return new EntityDigest(sha256, buckets, hashes, last.size, sha256Id(sha256(hashes)));
  }

  /** The leaf hash of the entity with uid key `key`, if present. */
  leafOf(key: string): Uint8Array | undefined {
    const bucket = this.buckets[bucketOf(key)]!;
    const i = bucket.keys.indexOf(key);
    return i < 0 ? undefined : bucket.leaves.slice(32 * i, 32 * i + 32);
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
      if (m === undefined) {
        const old = this.buckets[b]!;
        m = new Map(old.keys.map((k, i) => [k, old.leaves.subarray(32 * i, 32 * i + 32)]));
        touched.set(b, m);
      }
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
      const buf = new Uint8Array(32 * m.size);
      let p = 0;
      for (const leaf of m.values()) buf.set(leaf, 32 * p++);
      buckets[b] = bucketAt([...m.keys()], buf, Array.from({ length: m.size }, (_, i) => i));
      hashes.set(hashBucket(buckets[b]!, this.sha256), DOMAIN.length + 32 * b);
    }
    return new EntityDigest(this.sha256, buckets, hashes, size, sha256Id(this.sha256(hashes)));
  }
}
