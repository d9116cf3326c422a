/**
 * The JSON forms the CLI reads besides Cedar text: policy sets in Cedar's JSON policy format
 * (`*.json` wherever policy files are taken), schemas in Cedar's JSON schema format
 * (`--schema x.json`), and links files (`--links`, a JSON array of Cedar template links:
 * `[{ "templateId": "t", "newId": "l", "values": {"?principal": {"type": …, "id": …}} }]`).
 *
 * Diagnostics of a JSON policy point at the policy's key (or a link's name) in the file.
 */
import { existsSync } from "node:fs";
import type { LinkDecl, PolicySet } from "../lang/ast.js";
import { diag, hasErrors, withFile } from "../lang/diagnostics.js";
import type { Span } from "../lang/span.js";
import { linksFromJson, loadSchema, policySetFromJson, schemaFromJson, type Schema } from "../compiler/index.js";
import { parseJsonText, type JsonValue } from "../stdlib/index.js";
import { CliFailure, EXIT_BAD_INPUT, diagnosticLine, readTextFile, type Staged, type TextFile } from "./io.js";
import { offsetOfKey } from "./json-files.js";

/** True when a path names a JSON file (`.json`). */
export function isJsonPath(path: string): boolean {
  return path.toLowerCase().endsWith(".json");
}

/** Parse a file's JSON text, or a W5002 stage failure at the error's position. */
function jsonOf(file: TextFile): { json: JsonValue } | { failed: Staged<never> } {
  const r = parseJsonText(file.text);
  if (r.ok) return { json: r.value };
  const d = diag("W5002", `malformed JSON: ${r.error}`, { start: r.offset, end: r.offset }, undefined, file.name);
  return { failed: { value: undefined, diagnostics: [d], source: file } };
}

/** Where a policy key (or a link's name) is in JSON text: after its section's key, else anywhere. */
export function jsonLocator(text: string): (section: string, key: string) => Span {
  return (section, key) => {
    const from = section === "" ? 0 : (offsetOfKey(text, section) ?? 0);
    const needle = JSON.stringify(key);
    const at = section === "staticPolicies" || section === "templates" ? offsetOfKey(text, key, from) : text.indexOf(needle, from);
    return at === undefined || at < 0 ? { start: 0, end: 0 } : { start: at, end: at + needle.length };
  };
}

/** Read a policy file in Cedar's JSON policy format (a policy set, or one policy). */
export function policiesFromJsonFile(file: TextFile): Staged<PolicySet> {
  const j = jsonOf(file);
  if ("failed" in j) return j.failed;
  const r = policySetFromJson(j.json, { locate: jsonLocator(file.text) });
  const diagnostics = withFile(r.diagnostics, file.name);
  return { value: hasErrors(diagnostics) ? undefined : r.value, diagnostics, source: file };
}

/** Read and load a schema file in Cedar's JSON schema format. */
export function schemaFromJsonFile(file: TextFile): Staged<Schema> {
  const j = jsonOf(file);
  if ("failed" in j) return j.failed;
  const r = schemaFromJson(j.json);
  const pd = withFile(r.diagnostics, file.name);
  if (r.ast === undefined || hasErrors(pd)) return { value: undefined, diagnostics: pd, source: file };
  const loaded = loadSchema(r.ast);
  const diagnostics = [...pd, ...withFile(loaded.diagnostics, file.name)];
  return { value: hasErrors(diagnostics) ? undefined : loaded.schema, diagnostics, source: file };
}

/** The error lines of a failed stage (its source for positions). */
function failureLines(s: Staged<unknown>, file: TextFile): string[] {
  return s.diagnostics.filter((d) => d.severity === "error").map((d) => diagnosticLine(d, file.text, file.name));
}

/** Read a links file; a missing file is no links when `missingOk`. Throws `CliFailure` on bad input. */
export function readLinksFile(path: string, missingOk = false): LinkDecl[] {
  if (missingOk && !existsSync(path)) return [];
  const file = readTextFile(path);
  const j = jsonOf(file);
  if ("failed" in j) throw new CliFailure(failureLines(j.failed, file), EXIT_BAD_INPUT);
  const r = linksFromJson(j.json, { locate: jsonLocator(file.text) });
  if (r.value === undefined) throw new CliFailure(failureLines({ value: undefined, diagnostics: withFile(r.diagnostics, file.name) }, file), EXIT_BAD_INPUT);
  return r.value;
}

/** The set with the links of a links file added (none when `path` is undefined). */
export function withLinksFile(set: PolicySet, path: string | undefined): PolicySet {
  if (path === undefined) return set;
  const links = readLinksFile(path);
  return { ...set, links: [...(set.links ?? []), ...links] };
}
