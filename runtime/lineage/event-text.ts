/**
 * The canonical bytes of a lineage event, fast: what `canonicalBytes` (RFC 8785, JCS) gives
 * for the same value, written in one pass without the generic serializer's per-value checks,
 * closures and intermediate arrays. Every appended event is canonicalized once on the append
 * path, so this is a large share of a governed execution's cost.
 *
 * INVARIANT: for every value, `eventBytes(v)` equals `canonicalBytes(v)` byte for byte, or
 * both throw. The fast writer handles plain JSON only (null, booleans, finite numbers,
 * well-formed strings, dense arrays, objects with the plain prototype and no symbol keys, at
 * most {@link MAX_CANONICAL_DEPTH} deep); on anything else it gives up and the value goes
 * through `canonicalBytes`, which accepts or rejects it as always. A property test holds the
 * two equal (test/runtime/event-text.test.ts).
 *
 * The writer puts bytes straight into one scratch buffer kept between calls (keys' `"key":`
 * bytes are kept too) and copies the result out once: building the text as strings made
 * about 13 KB of garbage per governed authorization (pieces, the flattened text, its UTF-8
 * copy), and young-generation collections are a large share of a busy server's time. A
 * call made while another is writing (a getter that canonicalizes) takes the generic path.
 *
 * NOTE: JCS was designed so that ECMAScript's `JSON.stringify` of a string or a finite number
 * is its canonical form, and its key order is the UTF-16 code unit order of
 * `Array.prototype.sort`: the writer relies on both, as the generic serializer does.
 * NOTE: browser-safe.
 */
import { canonicalBytes, MAX_CANONICAL_DEPTH } from "../../compiler/canonical.js";

const UTF8 = new TextEncoder();

/**
 * Node's `Buffer`, when the platform has one: `Buffer.allocUnsafe` hands out short arrays from
 * its shared pool, where `new Uint8Array` allocates a backing store per event.
 */
const NodeBuffer: { allocUnsafe(size: number): Uint8Array } | undefined = (globalThis as { Buffer?: { allocUnsafe(size: number): Uint8Array } }).Buffer;

/** The scratch buffer's size at start, and the largest size it keeps after a call. */
const SCRATCH_BYTES = 16 * 1024;
const SCRATCH_KEEP = 1024 * 1024;

let scratch = new Uint8Array(SCRATCH_BYTES);
/** Bytes written to {@link scratch} by the call in progress. */
let at = 0;
/** A call is writing into {@link scratch}. */
let writing = false;

/** Make room for `n` more bytes. */
function room(n: number): void {
  if (at + n <= scratch.length) return;
  const grown = new Uint8Array(Math.max(scratch.length * 2, at + n));
  grown.set(scratch.subarray(0, at));
  scratch = grown;
}

function putByte(b: number): void {
  if (at >= scratch.length) room(1);
  scratch[at++] = b;
}

/** Text known to be ASCII (a number, `true`, …). */
function putAscii(t: string): void {
  room(t.length);
  for (let i = 0; i < t.length; i++) scratch[at + i] = t.charCodeAt(i);
  at += t.length;
}

/** Key lists up to this long are sorted in place by insertion (no allocation); longer ones by `Array.prototype.sort`. */
const INSERTION_SORT_MAX = 16;

/** `Object.keys(v)` in UTF-16 code unit order (what `Array.prototype.sort` gives strings). */
function sortedKeys(v: object): string[] {
  const keys = Object.keys(v);
  if (keys.length > INSERTION_SORT_MAX) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > k) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = k;
  }
  return keys;
}

/** The native well-formedness check (ES2024), when the engine has it. */
const isWellFormed: ((this: string) => boolean) | undefined = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;

/** True when `s` has no lone surrogate (the slow scan, for engines without `isWellFormed`). */
function scanWellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c > 0xdbff) return false;
    const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
    if (d < 0xdc00 || d > 0xdfff) return false;
    i++;
  }
  return true;
}

const wellFormed: (s: string) => boolean = isWellFormed !== undefined ? (s) => isWellFormed.call(s) : scanWellFormed;

/** Thrown inside the fast writer when the value needs the generic path. */
const GIVE_UP = Symbol("give-up");

/** Printable ASCII with nothing to escape: such a string is its own text between quotes, one byte per character. */
const PLAIN_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** The JCS bytes of a string (throws {@link GIVE_UP} on a lone surrogate). */
function putString(s: string): void {
  if (!PLAIN_ASCII.test(s)) {
    if (!wellFormed(s)) throw GIVE_UP;
    // JSON.stringify escapes exactly what JCS escapes; the rest is UTF-8 (at most 3 bytes per UTF-16 unit).
    const text = JSON.stringify(s);
    room(3 * text.length);
    at += UTF8.encodeInto(text, scratch.subarray(at)).written;
    return;
  }
  const n = s.length;
  room(n + 2);
  const out = scratch;
  let p = at;
  out[p++] = 0x22;
  for (let i = 0; i < n; i++) out[p++] = s.charCodeAt(i);
  out[p++] = 0x22;
  at = p;
}

/** Object keys repeat from event to event (`kind`, `phase`, `principal`, …): the bytes of their `"key":` are kept, up to a bound. */
const keyBytes = new Map<string, Uint8Array>();
const KEY_BYTES = 4096;

/** The JCS bytes of an object key followed by the colon (throws {@link GIVE_UP} on a lone surrogate). */
function putKey(k: string): void {
  const known = keyBytes.get(k);
  if (known === undefined) {
    const from = at;
    putString(k);
    putByte(0x3a);
    if (keyBytes.size < KEY_BYTES) keyBytes.set(k, scratch.slice(from, at));
    return;
  }
  const n = known.length;
  room(n);
  for (let i = 0; i < n; i++) scratch[at + i] = known[i]!;
  at += n;
}

/** Write the JCS bytes of plain JSON `v` (throws {@link GIVE_UP} on anything else). */
function put(v: unknown, depth: number): void {
  switch (typeof v) {
    case "string":
      return putString(v);
    case "number":
      if (!Number.isFinite(v)) throw GIVE_UP;
      return putAscii(JSON.stringify(v));
    case "boolean":
      return putAscii(v ? "true" : "false");
    case "object":
      break;
    default:
      throw GIVE_UP;
  }
  if (v === null) return putAscii("null");
  if (depth >= MAX_CANONICAL_DEPTH) throw GIVE_UP;
  if (Array.isArray(v)) {
    putByte(0x5b);
    for (let i = 0; i < v.length; i++) {
      if (!(i in v)) throw GIVE_UP;
      if (i > 0) putByte(0x2c);
      put(v[i], depth + 1);
    }
    return putByte(0x5d);
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) throw GIVE_UP;
  if (Object.getOwnPropertySymbols(v).length > 0) throw GIVE_UP;
  const keys = sortedKeys(v);
  const record = v as Record<string, unknown>;
  putByte(0x7b);
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) putByte(0x2c);
    const k = keys[i]!;
    putKey(k);
    put(record[k], depth + 1);
  }
  putByte(0x7d);
}

/**
 * The written bytes as a new plain `Uint8Array`. NOTE: not a `Buffer` (whose `slice()` shares
 * memory, where a `Uint8Array`'s copies: stores copy what they keep with `slice()`, and a kept
 * view would also pin the pool's whole slab).
 */
function written(): Uint8Array {
  if (NodeBuffer === undefined) return scratch.slice(0, at);
  const b = NodeBuffer.allocUnsafe(at);
  const out = new Uint8Array(b.buffer, b.byteOffset, at);
  out.set(scratch.subarray(0, at));
  return out;
}

/**
 * The RFC 8785 canonical UTF-8 bytes of an event (any JSON value): exactly
 * `canonicalBytes(value)`, computed faster for plain JSON.
 * @throws CanonicalJsonError when `value` is not plain JSON (as `canonicalBytes` does).
 */
export function eventBytes(value: unknown): Uint8Array {
  if (writing) return canonicalBytes(value);
  writing = true;
  at = 0;
  try {
    put(value, 0);
    return written();
  } catch (e) {
    if (e !== GIVE_UP) throw e;
    return canonicalBytes(value);
  } finally {
    writing = false;
    if (scratch.length > SCRATCH_KEEP) scratch = new Uint8Array(SCRATCH_BYTES);
  }
}
