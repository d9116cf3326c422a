/**
 * The file commands:
 * - `writ check <policies…> [--schema s] [--format text|json|github|sarif]`:
 *   parse every policy file (folders are walked for `.cedar` and `.writ` files),
 *   load the schema, validate, and report every diagnostic; exit 1 on any error,
 *   else print `ok: …`.
 * - `writ eval --policies <f…> [--schema s] --entities e.json --request r.json
 *   [--semantics m] [--json]`: decide one request and print the decision, its
 *   reasons and the erroring policies; exit 0 for allow and deny alike.
 * - `writ fmt [--check] <files…>`: rewrite policy files (`.cedar`, `.writ`) with
 *   `formatPolicies` and schema files (`.cedarschema`) with `formatSchema`;
 *   folders are walked; `--check` writes nothing, lists the unformatted files
 *   and exits 1 if there are any; `-` formats standard input to standard output.
 *
 * Every single-file input may be `-` (standard input).
 */
import { writeFileSync } from "node:fs";
import type { PolicySet } from "../lang/ast.js";
import { formatDiagnostic, hasErrors, withFile, type Diagnostic } from "../lang/diagnostics.js";
import { formatPolicies, formatSchema, parsePolicies, parseSchema } from "../lang/index.js";
import { lineColOf } from "../lang/span.js";
import type { Decision } from "../compiler/index.js";
import { stringifyJson } from "../stdlib/index.js";
import {
  CliFailure,
  EXIT_BAD_INPUT,
  EXIT_PROBLEMS,
  STDIO_PATH,
  diagnosticLine,
  displayName,
  expandPolicyPaths,
  fail,
  isFolder,
  problemLine,
  readTextFile,
  walkFolder,
  type Output,
  type Semantics,
  type TextFile,
} from "./io.js";
import { readJsonFile } from "./json-files.js";
import { sarifLog } from "./sarif.js";
import { linkStage, templateReport } from "./link.js";
import { githubAnnotation } from "./answers.js";
import { paintDiagnostics, paintSummary } from "./colour.js";
import { entitiesFrom, errorLines, mergePolicySets, policiesFrom, programFrom, requestFrom, schemaFrom, validationOf, type Staged } from "./pipeline.js";

// --- check -------------------------------------------------------------------

/** Options of `writ check`. */
export interface CheckOptions {
  readonly schema?: string;
  /** A links file (template links) to check and apply. */
  readonly links?: string;
  readonly format: "text" | "json" | "github" | "sarif";
  /** The writ version written into SARIF output (`tool.driver.version`). */
  readonly version?: string;
}

interface Located {
  readonly d: Diagnostic;
  readonly source: TextFile | undefined;
}

function toJson(l: Located): Record<string, unknown> {
  const o: Record<string, unknown> = { file: l.d.file ?? l.source?.name ?? null, severity: l.d.severity, code: l.d.code, message: l.d.message };
  if (l.source !== undefined) {
    const s = lineColOf(l.source.text, l.d.span.start);
    const e = lineColOf(l.source.text, l.d.span.end);
    Object.assign(o, { line: s.line, column: s.col, endLine: e.line, endColumn: e.col });
  }
  if (l.d.help !== undefined) o["help"] = l.d.help;
  return o;
}

/** One diagnostic as a GitHub Actions annotation (`::error file=…,line=…,col=…,title=…::message`). */
function toGithub(l: Located): string {
  const message = l.d.help === undefined ? l.d.message : `${l.d.message} (${l.d.help})`;
  const base = { severity: l.d.severity, file: l.d.file ?? l.source?.name ?? "", code: l.d.code, message };
  if (l.source === undefined) return githubAnnotation(base);
  const s = lineColOf(l.source.text, l.d.span.start);
  const e = lineColOf(l.source.text, l.d.span.end);
  return githubAnnotation({ ...base, line: s.line, col: s.col, endLine: e.line, endColumn: e.col });
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * Run `writ check`. Unreadable files fail with a one-line `CliFailure` (exit 2);
 * parse and validation problems are printed in full and give exit 1.
 */
export function runCheck(files: readonly string[], opts: CheckOptions, io: Output): number {
  const found: Located[] = [];
  const schemaFile = opts.schema === undefined ? undefined : readTextFile(opts.schema);
  const policyFiles = expandPolicyPaths(files).map((f) => readTextFile(f));
  const schema = schemaFile === undefined ? undefined : schemaFrom(schemaFile);
  if (schema !== undefined) for (const d of schema.diagnostics) found.push({ d, source: schemaFile });
  const parsedFiles: { set: PolicySet; file: TextFile }[] = [];
  for (const file of policyFiles) {
    const parsed = policiesFrom(file);
    for (const d of parsed.diagnostics) found.push({ d, source: file });
    if (parsed.value === undefined) continue;
    parsedFiles.push({ set: parsed.value, file });
    if (schema?.value !== undefined) {
      for (const d of validationOf(parsed.value, schema.value, file).diagnostics) found.push({ d, source: file });
    }
  }
  const templates = templateReport(parsedFiles, opts.links, schema?.value);
  found.push(...templates.found);
  const { policies: policyCount, templates: templateCount, links: linkCount } = templates.counts;
  const templateText = templateCount === 0 ? "" : `, ${plural(templateCount, "template")} (${plural(linkCount, "link")})`;
  const errors = found.filter((l) => l.d.severity === "error").length;
  const warnings = found.filter((l) => l.d.severity === "warning").length;
  if (opts.format === "json") {
    io.out(`${JSON.stringify({ ok: errors === 0, policies: policyCount, templates: templateCount, links: linkCount, errors, warnings, diagnostics: found.map(toJson) }, null, 2)}\n`);
    return errors > 0 ? EXIT_PROBLEMS : 0;
  }
  if (opts.format === "sarif") {
    io.out(`${JSON.stringify(sarifLog(found, opts.version ?? "unknown"), null, 2)}\n`);
    return errors > 0 ? EXIT_PROBLEMS : 0;
  }
  if (opts.format === "github") {
    for (const l of found) io.out(`${toGithub(l)}\n`);
    io.out(errors > 0 ? `${plural(errors, "error")}\n` : `ok: ${policyCount} ${policyCount === 1 ? "policy" : "policies"}${templateText}\n`);
    return errors > 0 ? EXIT_PROBLEMS : 0;
  }
  const colour = io.colour?.out === true;
  for (const l of found) {
    const text = formatDiagnostic(l.d.file === undefined && l.source !== undefined ? { ...l.d, file: l.source.name } : l.d, l.source?.text);
    io.out(`${colour ? paintDiagnostics(text) : text}\n`);
  }
  const summary = (line: string, ok: boolean): void => io.out(`${colour ? paintSummary(line, ok) : line}\n`);
  if (errors > 0) {
    summary(`${plural(errors, "error")}${warnings > 0 ? `, ${plural(warnings, "warning")}` : ""}`, false);
    return EXIT_PROBLEMS;
  }
  const what = schema === undefined ? "parsed (no schema given: not validated)" : "validated";
  summary(`ok: ${plural(policyCount, "policy").replace(/policys$/, "policies")}${templateText} in ${plural(policyFiles.length, "file")} ${what}${warnings > 0 ? `, ${plural(warnings, "warning")}` : ""}`, true);
  return 0;
}

// --- eval --------------------------------------------------------------------

/** Options of `writ eval`. */
export interface EvalOptions {
  readonly policies: readonly string[];
  /** A links file (template links) to apply. */
  readonly links?: string;
  readonly schema?: string;
  readonly entities: string;
  readonly request: string;
  readonly semantics: Semantics;
  readonly json?: boolean;
}

/** Unwrap a stage or throw its error lines as a bad-input failure. */
export function need<T>(s: Staged<T>, what: string, file?: TextFile | string): T {
  if (s.value !== undefined) return s.value;
  const name = typeof file === "string" ? file : file?.name;
  const lines = errorLines(s, name);
  throw new CliFailure(lines.length > 0 ? lines : [problemLine("W5008", `cannot use ${what}`, { file: name })], EXIT_BAD_INPUT);
}

/** The text form of a decision: decision, reasons and errors on their own lines. */
export function decisionText(d: Decision): string {
  const lines = [`decision: ${d.decision}`, `reasons: ${d.reasons.length === 0 ? "(none)" : d.reasons.join(", ")}`];
  if (d.errors.length === 0) lines.push("errors: (none)");
  else {
    lines.push("errors:");
    for (const e of d.errors) lines.push(`  ${e.policy}: ${e.code}: ${e.message}`);
  }
  for (const det of d.determining ?? []) if (det.reason !== undefined) lines.push(`reason (${det.name}): ${det.reason}`);
  const obligations = Object.entries(d.obligations ?? {});
  if (obligations.length > 0) {
    lines.push("obligations:");
    for (const [k, v] of obligations) lines.push(`  ${k}: ${stringifyJson(v)}`);
  }
  for (const sh of d.shadow ?? []) {
    lines.push(`shadow ${sh.name} (${sh.effect}): ${sh.error !== undefined ? `error: ${sh.error}` : sh.satisfied ? "satisfied" : "not satisfied"}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The JSON form of a decision (stable key order). */
export function decisionJson(d: Decision): string {
  const json = {
    decision: d.decision,
    reasons: d.reasons,
    errors: d.errors.map((e) => ({ policy: e.policy, code: e.code, message: e.message })),
    determining: d.determining ?? [],
    obligations: d.obligations ?? {},
    shadow: d.shadow ?? [],
  };
  return `${stringifyJson(json as never, 2)}\n`;
}

/** Run `writ eval`. */
export function runEval(opts: EvalOptions, io: Output): number {
  const schemaFile = opts.schema === undefined ? undefined : readTextFile(opts.schema);
  const schema = schemaFile === undefined ? undefined : need(schemaFrom(schemaFile), "the schema", schemaFile);
  const sets: PolicySet[] = [];
  const files: TextFile[] = [];
  for (const p of expandPolicyPaths(opts.policies)) {
    const file = readTextFile(p);
    files.push(file);
    sets.push(need(policiesFrom(file), "the policies", file));
  }
  const policySet = need(linkStage(mergePolicySets(sets), opts.links, schema), "the links", opts.links);
  const ent = readJsonFile(opts.entities);
  const entities = need(entitiesFrom(ent.file, ent.json, schema), "the entities", ent.file);
  const req = readJsonFile(opts.request);
  const request = need(requestFrom(req.json, schema, schema !== undefined, req.file.name), "the request", req.file);
  const program = need(programFrom(policySet, opts.semantics, files.length === 1 ? files[0] : undefined), "the policies", files[0]);
  const decision = program.decide(request, entities);
  io.out(opts.json === true ? decisionJson(decision) : decisionText(decision));
  return 0;
}

// --- fmt ---------------------------------------------------------------------

/** Options of `writ fmt`. */
export interface FmtOptions {
  readonly check: boolean;
}

type Kind = "policies" | "schema";

function kindOf(path: string): Kind | undefined {
  if (path.endsWith(".cedarschema")) return "schema";
  if (path.endsWith(".cedar") || path.endsWith(".writ")) return "policies";
  return undefined;
}

function collect(path: string, out: string[]): void {
  if (path === STDIO_PATH) {
    out.push(path);
    return;
  }
  if (isFolder(path)) {
    walkFolder(path, (name) => kindOf(name) !== undefined, out);
    return;
  }
  if (kindOf(path) === undefined) {
    readTextFile(path);
    fail("W5008", "cannot format this file: expected a .cedar, .writ or .cedarschema file", { file: displayName(path) });
  }
  out.push(path);
}

/** Format one file's text; throws a `CliFailure` listing its syntax errors when it does not parse. */
export function formatText(file: TextFile, kind: Kind): string {
  const r = kind === "schema" ? parseSchema(file.text, file.name) : parsePolicies(file.text, file.name);
  const diagnostics = withFile(r.diagnostics, file.name);
  if (r.ast === undefined || hasErrors(diagnostics)) {
    const lines = diagnostics.filter((d) => d.severity === "error").map((d) => diagnosticLine(d, file.text));
    throw new CliFailure(lines.length > 0 ? lines : [problemLine("W1001", "cannot parse this file", { file: file.name })]);
  }
  return r.ast.kind === "schemaFile" ? formatSchema(r.ast, file.text) : formatPolicies(r.ast, file.text);
}

/** Run `writ fmt`. */
export function runFmt(paths: readonly string[], opts: FmtOptions, io: Output): number {
  const files: string[] = [];
  for (const p of paths) collect(p, files);
  let broken = 0;
  let unformatted = 0;
  let changed = 0;
  for (const path of files) {
    try {
      const file = readTextFile(path);
      const formatted = formatText(file, kindOf(path) ?? "policies");
      if (path === STDIO_PATH && !opts.check) {
        io.out(formatted);
        continue;
      }
      if (formatted === file.text) continue;
      unformatted++;
      if (opts.check) io.out(`${file.name}\n`);
      else {
        writeFileSync(path, formatted, "utf8");
        changed++;
      }
    } catch (err) {
      if (!(err instanceof CliFailure)) throw err;
      for (const l of err.lines) io.err(`${l}\n`);
      broken++;
    }
  }
  if (broken > 0) return EXIT_BAD_INPUT;
  if (opts.check) return unformatted > 0 ? EXIT_PROBLEMS : 0;
  if (changed > 0) io.err(`formatted ${changed} file${changed === 1 ? "" : "s"}\n`);
  return 0;
}
