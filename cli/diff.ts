/**
 * `writ diff old.json new.json [--json]`: what changed between two bundles
 * (`writ-bundle/1`, as `writ compile` writes them).
 *
 * Policies are matched by name: a name only in the new bundle is *added*, only
 * in the old one *removed*, in both with different ids *changed* (its content —
 * effect, scope, conditions, obligations, mode or annotations — differs; layout
 * and comments never change an id). Also reported: whether the schema changed
 * (schema id), and semantics, sequence, format and language changes.
 *
 * The verdict separates what needs a review from what does not: `identical`,
 * `sequence-only` (the same policies, schema, semantics and format; only the
 * sequence number — and with it the bundle id — moved, as it does on every CI
 * build) and `changed`. Exit codes: 0 for `identical` and `sequence-only`, 1
 * for `changed`, 2 when a file is missing or is not a bundle. The diff reads
 * what the bundles state; it does not re-hash them (loading a bundle, e.g.
 * `writ eval --bundle`, does).
 */
import { CliFailure, EXIT_BAD_INPUT, EXIT_PROBLEMS, problemLine, readTextFile, type Output, type TextFile } from "./io.js";
import { offsetOfKey, parseJsonFile } from "./json-files.js";

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

function malformed(file: TextFile, message: string, key?: string, from?: number): never {
  const offset = key === undefined ? undefined : offsetOfKey(file.text, key, from ?? 0);
  throw new CliFailure(
    [problemLine("W6105", `not a Writ bundle: ${message}`, offset === undefined ? { file: file.name } : { file: file.name, source: file.text, offset })],
    EXIT_BAD_INPUT,
  );
}

/** Read the diffed fields of a bundle file's JSON; throws a one-line W6105 `CliFailure` naming the file (and position). */
export function summarizeBundle(file: TextFile, json: unknown): BundleSummary {
  if (!isRecord(json)) malformed(file, "expected a JSON object");
  const text = (key: string): string => {
    const v = json[key];
    if (typeof v !== "string") malformed(file, `\`${key}\` must be a string`, v === undefined ? undefined : key);
    return v;
  };
  const format = text("format");
  if (format !== DIFF_BUNDLE_FORMAT) malformed(file, `unsupported format \`${format}\` (expected \`${DIFF_BUNDLE_FORMAT}\`)`, "format");
  const seq = json["sequence"];
  if (!((typeof seq === "number" && Number.isInteger(seq) && seq >= 0) || (typeof seq === "bigint" && seq >= 0n))) {
    malformed(file, "`sequence` must be a non-negative integer", seq === undefined ? undefined : "sequence");
  }
  const policies = new Map<string, string>();
  // Templates and template links are named entries with ids too (names are unique across all three).
  for (const key of ["policies", "templates", "links"]) {
    const ps = json[key] ?? (key === "policies" ? undefined : []);
    if (!Array.isArray(ps)) malformed(file, `\`${key}\` must be an array`, ps === undefined ? undefined : key);
    const at = offsetOfKey(file.text, key) ?? 0;
    ps.forEach((p, i) => {
      if (!isRecord(p) || typeof p["name"] !== "string" || typeof p["id"] !== "string") malformed(file, `${key}[${i}] must have a string \`name\` and \`id\``, key);
      if (policies.has(p["name"])) malformed(file, `two policies are named \`${p["name"]}\``, "name", at);
      policies.set(p["name"], p["id"]);
    });
  }
  return {
    format,
    language: text("language"),
    bundleId: text("bundleId"),
    schemaId: text("schemaId"),
    semantics: text("semantics"),
    sequence: String(seq),
    policies,
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
  }
  return `${lines.join("\n")}\n`;
}

/** Options of `writ diff`. */
export interface DiffOptions {
  readonly json?: boolean;
}

function load(path: string): BundleSummary {
  const file = readTextFile(path);
  return summarizeBundle(file, parseJsonFile(file));
}

/** Run `writ diff`: exit 0 when identical or only the sequence moved, 1 when changed (bad input throws a `CliFailure`, exit 2). */
export function runDiff(oldPath: string, newPath: string, opts: DiffOptions, io: Output): number {
  const d = diffBundles(load(oldPath), load(newPath));
  io.out(opts.json === true ? `${JSON.stringify(d, null, 2)}\n` : diffText(d));
  return d.verdict === "changed" ? EXIT_PROBLEMS : 0;
}
