/**
 * What changed between two bundles (`writ-bundle/1`): the pure part of `writ diff`, shared by
 * the CLI and the governance console (which diffs two bundles named in the lineage log).
 *
 * Policies are matched by name: a name only in the new bundle is *added*, only in the old one
 * *removed*, in both with different ids *changed* (its content — effect, scope, conditions,
 * obligations, mode or annotations — differs; layout and comments never change an id).
 * Templates and template links count as named entries too. Also reported: whether the schema
 * changed (schema id), and semantics, sequence, format and language changes.
 *
 * The diff reads what the bundles state; it does not re-hash them (loading a bundle does).
 *
 * NOTE: parser-free and browser-safe.
 */
import { assertNever } from "../lang/span.js";


/** The fields of a bundle the diff reads. */
export interface BundleSummary {
  readonly format: string;
  readonly language: string;
  readonly bundleId: string;
  readonly schemaId: string;
  readonly semantics: string;
  /** Decimal digits (sequences may exceed 2^53 in a hostile file; compared exactly). */
  readonly sequence: string;
  /** Policy name → id. */
  readonly policies: ReadonlyMap<string, string>;
}

/** A policy of one side. */
export interface PolicyRef {
  readonly name: string;
  readonly id: string;
}

/** What a diff means for a review: nothing moved, only the sequence moved, or the meaning changed. */
export type DiffVerdict = "identical" | "sequence-only" | "changed";

/** The difference between two bundles. */
export interface BundleDiff {
  readonly verdict: DiffVerdict;
  readonly identical: boolean;
  readonly old: { readonly bundleId: string; readonly schemaId: string; readonly semantics: string; readonly sequence: string };
  readonly new: { readonly bundleId: string; readonly schemaId: string; readonly semantics: string; readonly sequence: string };
  readonly added: readonly PolicyRef[];
  readonly removed: readonly PolicyRef[];
  readonly changed: readonly { readonly name: string; readonly oldId: string; readonly newId: string }[];
  readonly unchanged: number;
  readonly schemaChanged: boolean;
  readonly semanticsChanged: boolean;
  readonly sequenceChanged: boolean;
  readonly formatChanged: boolean;
}

/** The bundle format `writ diff` reads. */
export const DIFF_BUNDLE_FORMAT = "writ-bundle/1";

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** Why a JSON value is not a bundle the diff reads: the message and the key to point at. */
export interface BundleSummaryProblem {
  readonly message: string;
  /** The JSON key the problem is at, when there is one. */
  readonly key?: string;
  /** With `key`: the key under which to look for it (e.g. `policies` for a duplicate `name`). */
  readonly within?: string;
}

/** Read the diffed fields of a bundle's JSON, or say why it is not a bundle. Never throws. */
export function readBundleSummary(json: unknown): { readonly ok: true; readonly summary: BundleSummary } | ({ readonly ok: false } & BundleSummaryProblem) {
  const bad = (message: string, key?: string, within?: string): { readonly ok: false } & BundleSummaryProblem => ({
    ok: false,
    message,
    ...(key === undefined ? {} : { key }),
    ...(within === undefined ? {} : { within }),
  });
  if (!isRecord(json)) return bad("expected a JSON object");
  const texts: Record<string, string> = {};
  const text = (key: string): string | undefined => {
    const v = json[key];
    if (typeof v === "string") texts[key] = v;
    return typeof v === "string" ? undefined : key;
  };
  const stringProblem = (key: string) => bad(`\`${key}\` must be a string`, json[key] === undefined ? undefined : key);
  if (text("format") !== undefined) return stringProblem("format");
  if (texts["format"] !== DIFF_BUNDLE_FORMAT) return bad(`unsupported format \`${texts["format"]}\` (expected \`${DIFF_BUNDLE_FORMAT}\`)`, "format");
  const seq = json["sequence"];
  if (!((typeof seq === "number" && Number.isInteger(seq) && seq >= 0) || (typeof seq === "bigint" && seq >= 0n))) {
    return bad("`sequence` must be a non-negative integer", seq === undefined ? undefined : "sequence");
  }
  const policies = new Map<string, string>();
  // Templates and template links are named entries with ids too (names are unique across all three).
  for (const key of ["policies", "templates", "links"]) {
    const ps = json[key] ?? (key === "policies" ? undefined : []);
    if (!Array.isArray(ps)) return bad(`\`${key}\` must be an array`, ps === undefined ? undefined : key);
    for (let i = 0; i < ps.length; i++) {
      const p: unknown = ps[i];
      if (!isRecord(p) || typeof p["name"] !== "string" || typeof p["id"] !== "string") return bad(`${key}[${i}] must have a string \`name\` and \`id\``, key);
      if (policies.has(p["name"])) return bad(`two policies are named \`${p["name"]}\``, "name", key);
      policies.set(p["name"], p["id"]);
    }
  }
  for (const key of ["language", "bundleId", "schemaId", "semantics"]) if (text(key) !== undefined) return stringProblem(key);
  return {
    ok: true,
    summary: { format: texts["format"]!, language: texts["language"]!, bundleId: texts["bundleId"]!, schemaId: texts["schemaId"]!, semantics: texts["semantics"]!, sequence: String(seq), policies },
  };
}

function byName<T extends { readonly name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Compare two bundle summaries. */
export function diffBundles(a: BundleSummary, b: BundleSummary): BundleDiff {
  const added: PolicyRef[] = [];
  const removed: PolicyRef[] = [];
  const changed: { name: string; oldId: string; newId: string }[] = [];
  let unchanged = 0;
  for (const [name, id] of a.policies) {
    const other = b.policies.get(name);
    if (other === undefined) removed.push({ name, id });
    else if (other !== id) changed.push({ name, oldId: id, newId: other });
    else unchanged++;
  }
  for (const [name, id] of b.policies) if (!a.policies.has(name)) added.push({ name, id });
  const schemaChanged = a.schemaId !== b.schemaId;
  const semanticsChanged = a.semantics !== b.semantics;
  const sequenceChanged = a.sequence !== b.sequence;
  const formatChanged = a.format !== b.format || a.language !== b.language;
  const side = (s: BundleSummary): BundleDiff["old"] => ({ bundleId: s.bundleId, schemaId: s.schemaId, semantics: s.semantics, sequence: s.sequence });
  const meaningChanged = added.length > 0 || removed.length > 0 || changed.length > 0 || schemaChanged || semanticsChanged || formatChanged;
  const verdict: DiffVerdict = meaningChanged ? "changed" : sequenceChanged ? "sequence-only" : "identical";
  return {
    verdict,
    identical: verdict === "identical",
    old: side(a),
    new: side(b),
    added: added.sort(byName),
    removed: removed.sort(byName),
    changed: changed.sort(byName),
    unchanged,
    schemaChanged,
    semanticsChanged,
    sequenceChanged,
    formatChanged,
  };
}

/** The text report of a diff. */
export function diffText(d: BundleDiff): string {
  const lines: string[] = [];
  lines.push(d.old.bundleId === d.new.bundleId ? `bundle: ${d.new.bundleId} (same id)` : `bundle: ${d.old.bundleId} -> ${d.new.bundleId}`);
  if (d.formatChanged) lines.push("format: the bundles have different format or language versions");
  if (d.semanticsChanged) lines.push(`semantics: ${d.old.semantics} -> ${d.new.semantics}`);
  if (d.sequenceChanged) lines.push(`sequence: ${d.old.sequence} -> ${d.new.sequence}`);
  lines.push(d.schemaChanged ? `schema: changed (${d.old.schemaId} -> ${d.new.schemaId})` : "schema: unchanged");
  for (const p of d.added) lines.push(`+ ${p.name} ${p.id}`);
  for (const p of d.removed) lines.push(`- ${p.name} ${p.id}`);
  for (const p of d.changed) lines.push(`~ ${p.name} ${p.oldId} -> ${p.newId}`);
  const policies = `${d.unchanged} ${d.unchanged === 1 ? "policy" : "policies"}`;
  switch (d.verdict) {
    case "identical":
      lines.push(`identical (${policies})`);
      break;
    case "sequence-only":
      lines.push(`only the sequence moved (${d.old.sequence} -> ${d.new.sequence}): same policies, schema and semantics (${policies})`);
      break;
    case "changed":
      lines.push(`${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed, ${d.unchanged} unchanged`);
      break;
    default:
      return assertNever(d.verdict, "diff verdict");
  }
  return `${lines.join("\n")}\n`;
}

