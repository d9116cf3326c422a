/**
 * RFC 8785 (JCS) text written straight from runtime values, without building the
 * intermediate plain-JSON objects or running the generic canonicalizer:
 *
 *     canonicalValueText(v) === canonicalJson(toPlainJson(valueToJson(v)))
 *     entityText(r)         === canonicalJson(entityForm(r))        (see `entity-digest.ts`)
 *
 * are the definitions. Keys are written in UTF-16 code-unit order (the order JCS sorts in),
 * strings as `JSON.stringify` writes them (JCS's string form), Longs as plain integers within
 * ±2^53 and `{"__long": "<decimal>"}` beyond, sets in the order `valueToJson` gives them
 * (sorted by value key). Extension values go through the definition itself.
 *
 * INVARIANT: equal to the definitions for every value and entity (property tests compare them).
 * NOTE: browser-safe.
 */
import { canonicalJson, CanonicalJsonError } from "../compiler/canonical.js";
import { toPlainJson } from "../compiler/ids.js";
import type { EntityRecord } from "../stdlib/entities.js";
import { valueToJson } from "../stdlib/json.js";
import { EntityUID, RecordValue, SetValue, type Value } from "../stdlib/value.js";

const MAX_SAFE = 9007199254740991n;

/** Characters that make a string need more than quotes around it (escapes, surrogates). */
const SPECIAL = /["\\\u0000-\u001f\ud800-\udfff]/;
const SURROGATE = /[\ud800-\udfff]/;

/**
 * `JSON.stringify(s)`, refusing a lone surrogate as canonical JSON does.
 * @throws CanonicalJsonError when `s` holds a lone surrogate.
 */
export function canonicalString(s: string): string {
  if (!SPECIAL.test(s)) return `"${s}"`;
  if (SURROGATE.test(s)) {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          i++;
          continue;
        }
        throw new CanonicalJsonError("lone surrogate in a string", "");
      }
    }
  }
  return JSON.stringify(s);
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `{"id":…,"type":…}`: the canonical text of a uid's `{type, id}`. */
function uidText(u: EntityUID): string {
  return `{"id":${canonicalString(u.id)},"type":${canonicalString(u.type)}}`;
}

/**
 * The canonical text of one value (as `canonicalJson(toPlainJson(valueToJson(v)))`).
 * @throws CanonicalJsonError when a string holds a lone surrogate.
 */
export function canonicalValueText(v: Value): string {
  switch (typeof v) {
    case "boolean":
      return v ? "true" : "false";
    case "string":
      return canonicalString(v);
    case "bigint":
      return v >= -MAX_SAFE && v <= MAX_SAFE ? v.toString() : `{"__long":"${v.toString()}"}`;
    default:
      break;
  }
  if (v instanceof EntityUID) return `{"__entity":${uidText(v)}}`;
  if (v instanceof SetValue) {
    if (v.elements.length === 0) return "[]";
    const keyed = v.keyed();
    if (keyed.size === 1) for (const x of keyed.values()) return `[${canonicalValueText(x)}]`;
    const keys = [...keyed.keys()].sort(byCodeUnits);
    let out = "[";
    for (let i = 0; i < keys.length; i++) out += (i === 0 ? "" : ",") + canonicalValueText(keyed.get(keys[i]!)!);
    return `${out}]`;
  }
  if (v instanceof RecordValue) return recordText(v);
  return canonicalJson(toPlainJson(valueToJson(v)));
}

function recordText(v: RecordValue): string {
  if (v.fields.size === 0) return "{}";
  const keys = [...v.fields.keys()].sort(byCodeUnits);
  let out = "{";
  for (let i = 0; i < keys.length; i++) out += `${i === 0 ? "" : ","}${canonicalString(keys[i]!)}:${canonicalValueText(v.fields.get(keys[i]!)!)}`;
  return `${out}}`;
}

/**
 * The canonical text of one entity's form `{attrs, parents, tags, uid}`: parents sorted by
 * uid key, without duplicates (as `canonicalJson(entityForm(r))`).
 * @throws CanonicalJsonError when a string holds a lone surrogate.
 */
export function entityText(r: EntityRecord): string {
  let parents: string;
  const ps = r.parents;
  if (ps.length === 0) parents = "[]";
  else if (ps.length === 1) parents = `[${uidText(ps[0]!)}]`;
  else {
    const byKey = new Map<string, EntityUID>();
    for (const p of ps) byKey.set(p.key, p);
    const keys = [...byKey.keys()].sort(byCodeUnits);
    parents = "[";
    for (let i = 0; i < keys.length; i++) parents += (i === 0 ? "" : ",") + uidText(byKey.get(keys[i]!)!);
    parents += "]";
  }
  return `{"attrs":${recordText(r.attrs)},"parents":${parents},"tags":${recordText(r.tags)},"uid":${uidText(r.uid)}}`;
}
