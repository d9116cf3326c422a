/**
 * Content-addressed identities of policies, schemas and bundles.
 *
 * Every id is `sha256:<hex>` of the RFC 8785 canonical JSON of a plain value
 * (see `canonical.ts`):
 * - **policy id**: the policy's IR with every `span` removed, without its `name` field and
 *   with its annotations sorted by name. An explicit `@id("…")` still counts (it is one of the annotations); the
 *   positional default name `policyN` does not, so moving a policy never changes its id,
 *   and neither do layout, comments or the way an expression was spelled when the
 *   lowering resolves it to the same IR.
 * - **schema id**: the loaded schema model as plain JSON (fully resolved names).
 * - **bundle id**: `{ format, language, semantics, schemaId, sequence, policies }` where
 *   `policies` is the list of `{ id, name }` sorted by id (then name); a bundle with templates
 *   also hashes `templates` and `links`, the same way (template ids and link ids, see `link.ts`).
 *
 * This module is pure data → hash; it runs in Node and in the browser.
 */
import { contentId, sha256Hex, type ContentId } from "./canonical.js";
import { stripSpans, type IrPolicy, type IrTemplate } from "./ir.js";
import type { Schema } from "./schema-model.js";

/** The bundle format tag. */
export const BUNDLE_FORMAT = "writ-bundle/1";
/** The language version tag stored in bundles. */
export const LANGUAGE_VERSION = "writ/1";

/** A plain JSON value (no bigint, no undefined). */
export type PlainJson = null | boolean | number | string | readonly PlainJson[] | { readonly [key: string]: PlainJson };

/** The fields the bundle id is computed from. */
export interface BundleIdFields {
  readonly semantics: "fail-closed" | "cedar";
  readonly schemaId: string;
  readonly sequence: number;
  readonly policies: readonly { readonly id: string; readonly name: string }[];
  /** Templates and template links (`{id, name}` each); hashed only when there are any, so bundles without them keep their ids. */
  readonly templates?: readonly { readonly id: string; readonly name: string }[];
  readonly links?: readonly { readonly id: string; readonly name: string }[];
}

/**
 * A deep copy of `x` as ordinary JSON objects: `undefined` object fields are dropped,
 * null-prototype dictionaries become plain objects (an own `__proto__` key stays a key),
 * and a bigint (a Cedar Long read from JSON) becomes `{"__long": "<decimal>"}` — canonical
 * JSON has no big integers.
 * INVARIANT: `x` holds only JSON data besides `undefined` fields and bigints.
 */
export function toPlainJson(x: unknown): PlainJson {
  return plainCopy(x, undefined);
}

/** {@link toPlainJson}, leaving out every field named `drop` (at any depth) when one is given. */
function plainCopy(x: unknown, drop: string | undefined): PlainJson {
  if (typeof x === "bigint") return { __long: x.toString() };
  if (Array.isArray(x)) return x.map((v) => plainCopy(v, drop));
  if (x !== null && typeof x === "object") {
    const out: Record<string, PlainJson> = {};
    for (const [k, v] of Object.entries(x)) {
      if (v === undefined || k === drop) continue;
      // NOTE: defineProperty only for `__proto__`, which plain assignment would not create as a key.
      if (k === "__proto__") Object.defineProperty(out, k, { value: plainCopy(v, drop), enumerable: true, writable: true, configurable: true });
      else out[k] = plainCopy(v, drop);
    }
    return out;
  }
  return x as PlainJson;
}

/** The value a policy (or template) id hashes: the span-free IR without its `name`. */
export function policyHashInput(policy: IrPolicy | IrTemplate): PlainJson {
  const out: Record<string, PlainJson> = {};
  // One copy: `toPlainJson(stripSpans(policy))` without its `name`.
  for (const [k, v] of Object.entries(policy)) if (k !== "name" && k !== "span" && v !== undefined) out[k] = plainCopy(v, "span");
  // Annotation order is layout (names are unique per policy): hash them sorted by name.
  const anns = out["annotations"];
  if (Array.isArray(anns)) out["annotations"] = [...(anns as { readonly name: string }[])].sort((a, b) => compareCodeUnits(a.name, b.name)) as unknown as PlainJson;
  return out;
}

/** The content id of one lowered policy (independent of its position and source layout). */
export function policyId(policy: IrPolicy): ContentId {
  return contentId(policyHashInput(policy));
}

/** The content id of a loaded schema model. */
export function schemaId(schema: Schema): ContentId {
  return contentId(toPlainJson(schema));
}

/** Compare two strings by UTF-16 code units (locale-independent, deterministic). */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sort `{id, name}` entries by id, then name (the order bundles store and hash). */
export function sortPolicyRefs<T extends { readonly id: string; readonly name: string }>(refs: readonly T[]): T[] {
  return [...refs].sort((a, b) => compareCodeUnits(a.id, b.id) || compareCodeUnits(a.name, b.name));
}

/** The content id of a bundle, from its identifying fields (policy order is irrelevant). */
export function bundleId(fields: BundleIdFields): ContentId {
  return contentId({
    format: BUNDLE_FORMAT,
    language: LANGUAGE_VERSION,
    semantics: fields.semantics,
    schemaId: fields.schemaId,
    sequence: fields.sequence,
    policies: refs(fields.policies),
    ...((fields.templates?.length ?? 0) + (fields.links?.length ?? 0) === 0 ? {} : { templates: refs(fields.templates ?? []), links: refs(fields.links ?? []) }),
  });
}

function refs(list: readonly { readonly id: string; readonly name: string }[]): { id: string; name: string }[] {
  return sortPolicyRefs(list).map((p) => ({ id: p.id, name: p.name }));
}

/** The key id of a raw Ed25519 public key: `sha256:<hex>` of its 32 bytes. */
export function keyIdOf(publicKey: Uint8Array): ContentId {
  return `sha256:${sha256Hex(publicKey)}`;
}

/** True when `n` is a valid bundle sequence number. */
export function isValidSequence(n: unknown): n is number {
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
}
