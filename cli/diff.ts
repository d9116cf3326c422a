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
import { diffBundles, diffText, readBundleSummary, type BundleSummary, type BundleSummaryProblem } from "../compiler/index.js";
import { CliFailure, EXIT_BAD_INPUT, EXIT_PROBLEMS, problemLine, readTextFile, type Output, type TextFile } from "./io.js";
import { offsetOfKey, parseJsonFile } from "./json-files.js";

export { DIFF_BUNDLE_FORMAT, diffBundles, diffText, type BundleDiff, type BundleSummary, type DiffVerdict, type PolicyRef } from "../compiler/index.js";

function malformed(file: TextFile, p: BundleSummaryProblem): never {
  const from = p.within === undefined ? 0 : (offsetOfKey(file.text, p.within) ?? 0);
  const offset = p.key === undefined ? undefined : offsetOfKey(file.text, p.key, from);
  throw new CliFailure(
    [problemLine("W6105", `not a Writ bundle: ${p.message}`, offset === undefined ? { file: file.name } : { file: file.name, source: file.text, offset })],
    EXIT_BAD_INPUT,
  );
}

/** Read the diffed fields of a bundle file's JSON; throws a one-line W6105 `CliFailure` naming the file (and position). */
export function summarizeBundle(file: TextFile, json: unknown): BundleSummary {
  const r = readBundleSummary(json);
  if (!r.ok) malformed(file, r);
  return r.summary;
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
