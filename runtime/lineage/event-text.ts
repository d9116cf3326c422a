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
 * NOTE: JCS was designed so that ECMAScript's `JSON.stringify` of a string or a finite number
 * is its canonical form, and its key order is the UTF-16 code unit order of
 * `Array.prototype.sort`: the writer relies on both, as the generic serializer does.
 * NOTE: browser-safe.
 */
import { canonicalBytes, MAX_CANONICAL_DEPTH } from "../../compiler/canonical.js";

const UTF8 = new TextEncoder();

/**
 * Node's `Buffer`, when the platform has one: `Buffer.from(text)` writes a short text into its
 * shared pool, where `TextEncoder.encode` allocates a new backing store per call (about a third
 * of this writer's time on an event of a governed execution).
 */
const NodeBuffer: { from(text: string, encoding: "utf8"): Uint8Array } | undefined = (globalThis as { Buffer?: { from(text: string, encoding: "utf8"): Uint8Array } }).Buffer;

/**
 * The UTF-8 bytes of `text`. NOTE: returned as a plain `Uint8Array` view, not the `Buffer`:
 * a `Buffer`'s `slice()` shares memory, a `Uint8Array`'s copies, and stores copy what they keep
 * with `slice()` (a kept view would also pin the pool's whole slab).
 */
function utf8(text: string): Uint8Array {
  if (NodeBuffer === undefined) return UTF8.encode(text);
  const b = NodeBuffer.from(text, "utf8");
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
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

/** Object keys repeat from event to event (`kind`, `phase`, `principal`, …): their `"key":` text is kept, up to a bound. */
const keyTexts = new Map<string, string>();
const KEY_TEXTS = 4096;

/** The JCS text of an object key followed by the colon (throws {@link GIVE_UP} on a lone surrogate). */
function keyColon(k: string): string {
  let t = keyTexts.get(k);
  if (t === undefined) {
    t = stringText(k) + ":";
    if (keyTexts.size < KEY_TEXTS) keyTexts.set(k, t);
  }
  return t;
}

/** Strings with nothing to escape are their own text between quotes. */
const PLAIN = /^[^"\\\u0000-\u001f]*$/;

/** The JCS text of a string (throws {@link GIVE_UP} on a lone surrogate). */
function stringText(s: string): string {
  if (!wellFormed(s)) throw GIVE_UP;
  return PLAIN.test(s) ? `"${s}"` : JSON.stringify(s);
}

/** The JCS text of plain JSON `v` (throws {@link GIVE_UP} on anything else). */
function write(v: unknown, depth: number): string {
  switch (typeof v) {
    case "string":
      return stringText(v);
    case "number":
      if (!Number.isFinite(v)) throw GIVE_UP;
      return JSON.stringify(v);
    case "boolean":
      return v ? "true" : "false";
    case "object":
      break;
    default:
      throw GIVE_UP;
  }
  if (v === null) return "null";
  if (depth >= MAX_CANONICAL_DEPTH) throw GIVE_UP;
  if (Array.isArray(v)) {
    let out = "[";
    for (let i = 0; i < v.length; i++) {
      if (!(i in v)) throw GIVE_UP;
      out += (i === 0 ? "" : ",") + write(v[i], depth + 1);
    }
    return out + "]";
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) throw GIVE_UP;
  if (Object.getOwnPropertySymbols(v).length > 0) throw GIVE_UP;
  const keys = sortedKeys(v);
  const record = v as Record<string, unknown>;
  let out = "{";
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    out += i === 0 ? keyColon(k) + write(record[k], depth + 1) : "," + keyColon(k) + write(record[k], depth + 1);
  }
  return out + "}";
}

/**
 * The RFC 8785 canonical UTF-8 bytes of an event (any JSON value): exactly
 * `canonicalBytes(value)`, computed faster for plain JSON.
 * @throws CanonicalJsonError when `value` is not plain JSON (as `canonicalBytes` does).
 */
export function eventBytes(value: unknown): Uint8Array {
  let text: string;
  try {
    text = write(value, 0);
  } catch (e) {
    if (e !== GIVE_UP) throw e;
    return canonicalBytes(value);
  }
  return utf8(text);
}
