/**
 * `writ check --format sarif`: the diagnostics of a check as one SARIF 2.1.0 log
 * (Static Analysis Results Interchange Format, OASIS), the format code-scanning
 * dashboards ingest.
 *
 * One run; `tool.driver.rules` lists the catalog codes that occur (id = code,
 * short description = the catalog title), each result names its rule by id and
 * index. Locations are relative URIs (forward slashes, percent-encoded) and
 * 1-based regions whose columns count UTF-16 code units — SARIF's default
 * `columnKind`, and exactly what diagnostic spans measure. `endColumn` is
 * exclusive, as SARIF defines it.
 */
import { isAbsolute, relative, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { CATALOG, type Diagnostic, type DiagnosticCode } from "../lang/diagnostics.js";
import { lineColOf } from "../lang/span.js";
import type { Problem, TextFile } from "./io.js";

/** The URI of the SARIF 2.1.0 JSON schema, written as `$schema`. */
export const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

/** A diagnostic with the text its span points into, when known. */
export interface LocatedDiagnostic {
  readonly d: Diagnostic;
  readonly source: TextFile | undefined;
}

/** A SARIF region: 1-based lines and columns (UTF-16 code units), `endColumn` exclusive. */
export interface SarifRegion {
  readonly startLine: number;
  readonly startColumn: number;
  readonly endLine: number;
  readonly endColumn: number;
}

/** One SARIF result. */
export interface SarifResult {
  readonly ruleId: string;
  readonly ruleIndex: number;
  readonly level: "error" | "warning" | "note";
  readonly message: { readonly text: string };
  readonly locations: readonly {
    readonly physicalLocation: {
      readonly artifactLocation: { readonly uri: string };
      readonly region?: SarifRegion;
    };
  }[];
}

/** One SARIF rule (reporting descriptor). */
export interface SarifRule {
  readonly id: string;
  readonly name: string;
  readonly shortDescription: { readonly text: string };
  readonly defaultConfiguration: { readonly level: "error" | "warning" | "note" };
}

/** The SARIF log `writ check --format sarif` prints. */
export interface SarifLog {
  readonly $schema: string;
  readonly version: "2.1.0";
  readonly runs: readonly [
    {
      readonly tool: { readonly driver: { readonly name: "writ"; readonly version: string; readonly rules: readonly SarifRule[] } };
      readonly invocations?: readonly { readonly executionSuccessful: boolean; readonly exitCode: number }[];
      readonly columnKind: "utf16CodeUnits";
      readonly results: readonly SarifResult[];
    },
  ];
}

function levelOf(severity: string): "error" | "warning" | "note" {
  return severity === "error" ? "error" : severity === "warning" ? "warning" : "note";
}

/**
 * The SARIF URI of a file name as the CLI shows it: relative to the current
 * directory when below it (forward slashes, each segment percent-encoded),
 * else a `file:` URI.
 */
export function sarifUri(name: string, cwd: string = process.cwd()): string {
  let rel = name;
  if (isAbsolute(name)) {
    rel = relative(cwd, name);
    if (rel === "" || rel.split(/[\\/]/)[0] === ".." || isAbsolute(rel)) return pathToFileURL(name).href;
  }
  const parts = rel.split(sep === "\\" ? /[\\/]/ : /\//);
  return parts.map((p) => (p === "." || p === ".." ? p : encodeURIComponent(p))).join("/");
}

/** The region of a span in `source`. */
export function sarifRegion(source: string, start: number, end: number): SarifRegion {
  const s = lineColOf(source, start);
  const e = lineColOf(source, Math.max(start, end));
  return { startLine: s.line, startColumn: s.col, endLine: e.line, endColumn: e.col };
}

/** One result to report, whatever produced it. */
interface SarifEntry {
  readonly code: DiagnosticCode;
  readonly severity: string;
  readonly text: string;
  readonly file: string | undefined;
  readonly region: SarifRegion | undefined;
}

function buildLog(entries: readonly SarifEntry[], version: string, invocations?: SarifLog["runs"][0]["invocations"]): SarifLog {
  const codes = [...new Set(entries.map((e) => e.code))].sort();
  const index = new Map<string, number>(codes.map((c, i) => [c, i]));
  const rules: SarifRule[] = codes.map((code) => {
    const entry = CATALOG[code];
    return {
      id: code,
      name: entry.title.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c === undefined ? "" : c.toUpperCase())).replace(/^./, (c) => c.toUpperCase()),
      shortDescription: { text: entry.title },
      defaultConfiguration: { level: levelOf(entry.severity) },
    };
  });
  const results: SarifResult[] = entries.map((e) => {
    const artifactLocation = e.file === undefined ? undefined : { uri: sarifUri(e.file) };
    const locations =
      artifactLocation === undefined ? [] : [{ physicalLocation: e.region === undefined ? { artifactLocation } : { artifactLocation, region: e.region } }];
    return { ruleId: e.code, ruleIndex: index.get(e.code)!, level: levelOf(e.severity), message: { text: e.text }, locations };
  });
  return {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [{ tool: { driver: { name: "writ", version, rules } }, ...(invocations === undefined ? {} : { invocations }), columnKind: "utf16CodeUnits", results }],
  };
}

/** Build the SARIF log of a list of diagnostics. */
export function sarifLog(found: readonly LocatedDiagnostic[], version: string): SarifLog {
  return buildLog(
    found.map((l) => ({
      code: l.d.code,
      severity: l.d.severity,
      text: l.d.help === undefined ? l.d.message : `${l.d.message} (${l.d.help})`,
      file: l.d.file ?? l.source?.name,
      region: l.source === undefined ? undefined : sarifRegion(l.source.text, l.d.span.start, l.d.span.end),
    })),
    version,
  );
}

/**
 * The SARIF log of a run that could not complete (bad input): one result per
 * problem and an invocation with `executionSuccessful: false` and the exit code.
 */
export function sarifFailureLog(problems: readonly Problem[], exitCode: number, version: string): SarifLog {
  return buildLog(
    problems.map((p) => ({
      code: p.code,
      severity: p.severity,
      text: p.message,
      file: p.file === "writ" ? undefined : p.file,
      region: p.line === undefined ? undefined : { startLine: p.line, startColumn: p.column ?? 1, endLine: p.line, endColumn: p.column ?? 1 },
    })),
    version,
    [{ executionSuccessful: false, exitCode }],
  );
}
