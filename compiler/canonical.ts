/**
 * Canonical JSON (RFC 8785, JCS) and the content-addressed ids built on it.
 *
 * Every id in Writ (policy, schema, bundle, decision record) is
 * `sha256:<hex>` of the JCS bytes of a plain JSON value. This module is the one
 * place that turns a value into those bytes. It runs unchanged in Node and in
 * the browser: serialization is the `canonicalize` package, hashing is
 * `node:crypto` in Node (without a `node:` import) and `@noble/hashes` elsewhere.
 *
 * INVARIANT: callers pass plain JSON: `null`, booleans, finite numbers, strings
 * without lone surrogates, dense arrays, and objects whose prototype is
 * `Object.prototype` or `null`. Anything else (bigint, undefined, NaN,
 * Infinity, functions, symbols, class instances, `toJSON` objects, cycles,
 * array holes) is a broken internal invariant and throws
 * {@link CanonicalJsonError}. Converting runtime values (e.g. `bigint` Longs) to
 * JSON is the caller's job, so that the mapping is explicit and stable.
 */
import canonicalize from "canonicalize";
import { sha256 } from "@noble/hashes/sha2.js";

/** A content-addressed id: `sha256:` followed by 64 lowercase hex digits. */
export type ContentId = `sha256:${string}`;

/**
 * Thrown when a value cannot be represented as canonical JSON. This signals a
 * programming error (a caller passed a non-JSON value), never bad user input.
 */
export class CanonicalJsonError extends Error {
  /** JSON-pointer-like path to the offending value (`""` for the root). */
  readonly path: string;

  constructor(message: string, path: string) {
    super(`canonical JSON: ${message} at ${path === "" ? "<root>" : path}`);
    this.name = "CanonicalJsonError";
    this.path = path;
  }
}

/** Maximum nesting depth accepted; deeper values are rejected rather than overflowing the stack. */
export const MAX_CANONICAL_DEPTH = 1000;

const UTF8 = new TextEncoder();
const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function escapePointer(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** True when `s` contains an unpaired UTF-16 surrogate (not representable in UTF-8). */
function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
      return true;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

/**
 * Walk `value` and throw {@link CanonicalJsonError} at the first part that is
 * not plain JSON. `stack` holds the containers on the current path (cycle check).
 */
function assertPlainJson(value: unknown, path: string, stack: Set<object>, depth: number): void {
  switch (typeof value) {
    case "boolean":
      return;
    case "string":
      if (hasLoneSurrogate(value)) throw new CanonicalJsonError("string contains a lone surrogate", path);
      return;
    case "number":
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`number ${String(value)} is not representable`, path);
      return;
    case "bigint":
      throw new CanonicalJsonError("bigint is not representable (convert it to a string or number first)", path);
    case "undefined":
      throw new CanonicalJsonError("undefined is not representable", path);
    case "function":
    case "symbol":
      throw new CanonicalJsonError(`${typeof value} is not representable`, path);
    case "object":
      break;
    default:
      throw new CanonicalJsonError(`unexpected type ${typeof value}`, path);
  }
  if (value === null) return;
  if (depth >= MAX_CANONICAL_DEPTH) throw new CanonicalJsonError("value nested too deeply", path);
  if (stack.has(value)) throw new CanonicalJsonError("circular reference", path);
  stack.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw new CanonicalJsonError("array hole is not representable", `${path}/${i}`);
      assertPlainJson(value[i], `${path}/${i}`, stack, depth + 1);
    }
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new CanonicalJsonError("only plain objects are representable (got a class instance)", path);
    }
    if (Object.getOwnPropertySymbols(value).length > 0) {
      throw new CanonicalJsonError("symbol-keyed properties are not representable", path);
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const child = `${path}/${escapePointer(key)}`;
      if (hasLoneSurrogate(key)) throw new CanonicalJsonError("key contains a lone surrogate", child);
      assertPlainJson(record[key], child, stack, depth + 1);
    }
  }
  stack.delete(value);
}

/** Where {@link findLoneSurrogate} found one: a JSON-pointer-like path and the nearest enclosing `span`, if any. */
export interface LoneSurrogateAt {
  readonly path: string;
  readonly span?: { readonly start: number; readonly end: number };
}

/**
 * The first string or key of `value` holding a lone surrogate (which has no JSON/UTF-8 form, so
 * no content id), or undefined. An iterative walk: callers check user-derived data (an IR, a
 * schema model) with it before hashing, to answer with a diagnostic instead of a thrown
 * {@link CanonicalJsonError}.
 */
export function findLoneSurrogate(value: unknown): LoneSurrogateAt | undefined {
  return allWellFormed(value) ? undefined : locateLoneSurrogate(value);
}

/**
 * True when every string and key of `value` is well-formed UTF-16. An iterative walk that
 * builds no paths (almost every value passes; {@link locateLoneSurrogate} explains a failure).
 */
function allWellFormed(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === "string") {
      if (!wellFormed(v)) return false;
      continue;
    }
    if (v === null || typeof v !== "object") continue;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push(v[i]);
      continue;
    }
    for (const k in v) {
      if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
      if (!wellFormed(k)) return false;
      if (k !== "span") stack.push((v as Record<string, unknown>)[k]);
    }
  }
  return true;
}

/** The slow half of {@link findLoneSurrogate}: the same walk, with paths and spans. */
function locateLoneSurrogate(value: unknown): LoneSurrogateAt | undefined {
  type Span = { readonly start: number; readonly end: number };
  const stack: { v: unknown; path: string; span: Span | undefined }[] = [{ v: value, path: "", span: undefined }];
  while (stack.length > 0) {
    const { v, path, span } = stack.pop()!;
    if (typeof v === "string") {
      if (!wellFormed(v)) return span === undefined ? { path } : { path, span };
      continue;
    }
    if (v === null || typeof v !== "object") continue;
    const own = (v as { span?: unknown }).span;
    const here = own !== null && typeof own === "object" && typeof (own as Span).start === "number" ? (own as Span) : span;
    for (const k of Object.keys(v)) {
      const p = `${path}/${escapePointer(k)}`;
      if (!wellFormed(k)) return here === undefined ? { path: p } : { path: p, span: here };
      if (k !== "span") stack.push({ v: (v as Record<string, unknown>)[k], path: p, span: here });
    }
  }
  return undefined;
}

/**
 * The nesting depth of `value` as JSON (a scalar is 0, `[]` and `{}` are 1), not counting
 * `span` fields (which ids never hash), by an iterative walk that stops once past `limit`.
 */
export function jsonDepth(value: unknown, limit = Infinity): number {
  let deepest = 0;
  // Two parallel stacks (values and their depths): no object per visited node.
  const values: unknown[] = [value];
  const depths: number[] = [0];
  while (values.length > 0) {
    const v = values.pop();
    const d = depths.pop()!;
    if (v === null || typeof v !== "object") continue;
    const here = d + 1;
    if (here > deepest) deepest = here;
    if (deepest > limit) return deepest;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        values.push(v[i]);
        depths.push(here);
      }
      continue;
    }
    for (const k of Object.keys(v)) {
      if (k === "span") continue;
      values.push((v as Record<string, unknown>)[k]);
      depths.push(here);
    }
  }
  return deepest;
}

/** The native well-formedness check (ES2024), when the engine has it. */
const isWellFormed: ((this: string) => boolean) | undefined = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;

/** True when `s` is well-formed UTF-16 (no lone surrogate): a string that has an RFC 8785 form. */
export function wellFormed(s: string): boolean {
  return isWellFormed !== undefined ? isWellFormed.call(s) : !hasLoneSurrogate(s);
}

/**
 * Fast form of {@link assertPlainJson}: true when `value` is plain JSON. It builds no
 * paths; the slow walk runs only to explain a failure. `path` holds the containers on
 * the current path (cycle check).
 */
function isPlainJson(value: unknown, path: object[], depth: number): boolean {
  switch (typeof value) {
    case "boolean":
      return true;
    case "string":
      return wellFormed(value);
    case "number":
      return Number.isFinite(value);
    case "object":
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (depth >= MAX_CANONICAL_DEPTH || path.includes(value)) return false;
  path.push(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!(i in value) || !isPlainJson(value[i], path, depth + 1)) return false;
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return false;
    if (Object.getOwnPropertySymbols(value).length > 0) return false;
    const record = value as Record<string, unknown>;
    for (const key in record) if (!wellFormed(key) || !isPlainJson(record[key], path, depth + 1)) return false;
  }
  path.pop();
  return true;
}

/**
 * The RFC 8785 canonical JSON text of `value`.
 * Object keys are sorted by UTF-16 code units, numbers use the ECMAScript
 * shortest round-trip form, no insignificant whitespace.
 * @throws CanonicalJsonError when `value` is not plain JSON (see module doc).
 */
export function canonicalJson(value: unknown): string {
  if (!isPlainJson(value, [], 0)) assertPlainJson(value, "", new Set(), 0);
  const text = canonicalize(value);
  if (text === undefined) throw new CanonicalJsonError("value has no JSON form", "");
  return text;
}

/**
 * The UTF-8 bytes of {@link canonicalJson}: exactly what every id hashes.
 * @throws CanonicalJsonError when `value` is not plain JSON.
 */
export function canonicalBytes(value: unknown): Uint8Array {
  return UTF8.encode(canonicalJson(value));
}

/** Node's `Buffer`, when the platform has one (its hex encoder makes one flat string). */
const NodeBuffer: { from(buffer: ArrayBufferLike, byteOffset: number, length: number): { toString(encoding: "hex"): string } } | undefined = (
  globalThis as { Buffer?: { from(buffer: ArrayBufferLike, byteOffset: number, length: number): { toString(encoding: "hex"): string } } }
).Buffer;

/**
 * Lowercase hex of `bytes`. NOTE: through Node's `Buffer` where there is one: joining two-digit
 * pieces builds a chain of one string per byte (about 1 KB of garbage for a 32-byte hash) that
 * is flattened again when the text is first hashed or compared.
 */
export function toHex(bytes: Uint8Array): string {
  if (NodeBuffer !== undefined) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!];
  return out;
}

/** The parts of `node:crypto` hashing uses (`hash` is one-shot, from Node 20.12). */
interface NativeHashing {
  readonly hash?: (algorithm: string, data: Uint8Array, encoding: "hex") => string;
  readonly createHash: (algorithm: string) => { update(data: Uint8Array): { digest(): Uint8Array; digest(encoding: "hex"): string } };
}

/**
 * `node:crypto` when this runs in Node (reached through `process.getBuiltinModule`, so the module
 * has no `node:` import and bundles for the browser unchanged), else undefined: the browser
 * hashes with `@noble/hashes`. Both give the same digest; native hashing is several times faster
 * on the megabytes a large bundle hashes.
 */
const native: NativeHashing | undefined = (() => {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const mod = typeof proc?.getBuiltinModule === "function" ? proc.getBuiltinModule("node:crypto") : undefined;
  return mod !== null && typeof mod === "object" && typeof (mod as NativeHashing).createHash === "function" ? (mod as NativeHashing) : undefined;
})();

/** SHA-256 of `bytes` (32 bytes). Runs in Node and in the browser. */
export function sha256Bytes(bytes: Uint8Array): Uint8Array {
  return native === undefined ? sha256(bytes) : new Uint8Array(native.createHash("sha256").update(bytes).digest());
}

/** Lowercase hex SHA-256 of `bytes` (64 characters). */
export function sha256Hex(bytes: Uint8Array): string {
  if (native === undefined) return toHex(sha256(bytes));
  return native.hash !== undefined ? native.hash("sha256", bytes, "hex") : native.createHash("sha256").update(bytes).digest("hex");
}

/**
 * The content-addressed id of a plain JSON value: `sha256:<hex>` of its
 * canonical bytes. Key order and insignificant formatting never change it;
 * any change of a key, a leaf value or the structure does.
 * @throws CanonicalJsonError when `value` is not plain JSON.
 */
export function contentId(value: unknown): ContentId {
  return `sha256:${sha256Hex(canonicalBytes(value))}`;
}

const CONTENT_ID_RE = /^sha256:[0-9a-f]{64}$/;

/** True when `s` is a well-formed content id (`sha256:` + 64 lowercase hex digits). */
export function isContentId(s: string): s is ContentId {
  return CONTENT_ID_RE.test(s);
}

/**
 * The concatenation of `parts` as one flat string, for texts kept and put into many later
 * texts (the pieces of request digest texts). NOTE: a string built with `+` is a tree of its
 * pieces, which a hash (or any reader needing contiguous characters) copies into one buffer
 * each time it reads a text containing it; a joined string is copied once, here.
 */
export function flatText(parts: readonly string[]): string {
  return parts.join("");
}
