/**
 * `writ fmt --to json|cedar|cedarschema <file> [-o out] [--links links.json]`: convert one file
 * between Cedar's text and JSON forms.
 *
 * - policies (`.cedar`, `.writ`) → `--to json`: a JSON policy set keyed by policy name; the
 *   links of `--links` become its `templateLinks`;
 * - a JSON policy set (`.json`) → `--to cedar`: Cedar text; its `templateLinks` are written to
 *   the `--links` file (required when there are any: text cannot hold links);
 * - a schema (`.cedarschema`) → `--to json`, a JSON schema (`.json`) → `--to cedarschema`.
 *
 * Every policy keeps its name and its id, and a schema its id, either way (names: see
 * `compiler/policy-json.ts`). Comments are not kept (the JSON forms have none). The result
 * goes to stdout, or to `-o` (then one line on stderr names the file and the ids).
 */
import type { PolicySet } from "../lang/ast.js";
import { hasErrors, type Diagnostic } from "../lang/diagnostics.js";
import { formatPolicies, formatSchema, parseSchema } from "../lang/index.js";
import { linksToJson, loadSchema, lowerPolicies, policySetToJson, schemaFromJson, schemaId, schemaToJson } from "../compiler/index.js";
import type { SchemaFile } from "../lang/schema-ast.js";
import { parseJsonText, stringifyJson, type JsonValue } from "../stdlib/index.js";

import { isJsonPath } from "./formats.js";
import { linkStage } from "./link.js";
import { CliFailure, EXIT_BAD_INPUT, diagnosticLine, fail, readTextFile, writeOutputFile, type Output, type TextFile } from "./io.js";
import { errorLines, policiesFrom } from "./pipeline.js";

/** The forms `--to` converts to. */
export type ConvertTarget = "json" | "cedar" | "cedarschema";

/** Options of `writ fmt --to`. */
export interface ConvertOptions {
  readonly to: ConvertTarget;
  readonly output?: string;
  readonly links?: string;
}

function failOn(diagnostics: readonly Diagnostic[], file: TextFile): void {
  if (!hasErrors(diagnostics)) return;
  throw new CliFailure(diagnostics.filter((d) => d.severity === "error").map((d) => diagnosticLine(d, file.text, file.name)), EXIT_BAD_INPUT);
}

function json(value: JsonValue): string {
  return `${stringifyJson(value, 2)}\n`;
}

/** A schema file of either syntax, parsed and checked to load (its id). */
function schemaAst(file: TextFile): { ast: SchemaFile; id: string } {
  let ast: SchemaFile | undefined;
  if (isJsonPath(file.path)) {
    const r = parseJsonText(file.text);
    if (!r.ok) fail("W5002", `malformed JSON: ${r.error}`, { file: file.name, source: file.text, offset: r.offset });
    const read = schemaFromJson(r.value);
    failOn(read.diagnostics, file);
    ast = read.ast;
  } else {
    const parsed = parseSchema(file.text, file.name);
    failOn(parsed.diagnostics, file);
    ast = parsed.ast;
  }
  if (ast === undefined) fail("W1201", "cannot read this schema", { file: file.name });
  const loaded = loadSchema(ast);
  failOn(loaded.diagnostics, file);
  return { ast, id: schemaId(loaded.schema!) };
}

function policySet(file: TextFile): PolicySet {
  const s = policiesFrom(file);
  if (s.value === undefined) throw new CliFailure(errorLines(s, file.name), EXIT_BAD_INPUT);
  const lowered = lowerPolicies(s.value);
  failOn(lowered.diagnostics, file);
  return s.value;
}

/** The converted text and what to say about it. */
function convert(file: TextFile, opts: ConvertOptions, io: Output): { text: string; note: string } {
  const isJson = isJsonPath(file.path);
  const isSchema = file.path.endsWith(".cedarschema");
  if (isJson === (opts.to === "json")) {
    const what = isJson ? "it is JSON already (--to cedar or --to cedarschema converts it)" : `it is not JSON: ${isSchema ? "a schema" : "a policy file"} converts to json`;
    fail("W5008", `cannot convert this file to ${opts.to}: ${what}`, { file: file.name });
  }
  if (isJson ? opts.to === "cedarschema" : isSchema) {
    const { ast, id } = schemaAst(file);
    if (opts.to === "cedarschema") return { text: formatSchema(ast, ""), note: `schema ${id}` };
    const out = schemaToJson(ast);
    failOn(out.diagnostics, file);
    return { text: json(out.json!), note: `schema ${id}` };
  }
  const set = policySet(file);
  if (opts.to === "json") {
    const linked = linkStage(set, opts.links, undefined);
    if (linked.value === undefined) throw new CliFailure(errorLines(linked, opts.links), EXIT_BAD_INPUT);
    const withLinks = linked.value;
    const out = policySetToJson(withLinks);
    failOn(out.diagnostics, file);
    return { text: json(out.json!), note: policyNote(withLinks) };
  }
  const links = set.links ?? [];
  if (links.length > 0) {
    if (opts.links === undefined) fail("W5008", `this policy set has ${links.length} template link(s), which Cedar text cannot hold: give --links <file> to write them`, { file: file.name });
    writeOutputFile(opts.links, json(linksToJson(links)), io);
  }
  return { text: formatPolicies({ ...set, links: [] }, ""), note: policyNote(set) };
}

function policyNote(set: PolicySet): string {
  const ir = lowerPolicies(set).ir;
  const n = (k: number, w: string): string => `${k} ${w}${k === 1 ? "" : "s"}`;
  return `${n(ir.policies.length - (ir.links?.length ?? 0), "policy").replace("policys", "policies")}, ${n(ir.templates?.length ?? 0, "template")}, ${n(ir.links?.length ?? 0, "link")}`;
}

/** Run `writ fmt --to`. */
export function runConvert(files: readonly string[], opts: ConvertOptions, io: Output): number {
  if (files.length !== 1) fail("W5008", `--to converts one file at a time (got ${files.length})`, { file: "writ" });
  const file = readTextFile(files[0]!);
  const { text, note } = convert(file, opts, io);
  if (opts.output === undefined) io.out(text);
  else {
    writeOutputFile(opts.output, text, io);
    io.err(`wrote ${opts.output}: ${note}\n`);
  }
  return 0;
}
