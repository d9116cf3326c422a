/**
 * Machine-readable answers shared by the commands: GitHub Actions annotations,
 * and the answer to a failure (bad input, bad usage) in each machine format,
 * so that a tool reading `--json` / `--format json|sarif|junit|github` output
 * gets an answer on stdout even when the command could not run:
 *
 * - json: `{ "ok": false, "exitCode", "errors", "diagnostics": [{ "file", "line"?, "column"?, "severity", "code", "message" }] }`
 * - sarif: a SARIF 2.1.0 log with one result per problem and `invocations[0].executionSuccessful: false`
 * - junit: a JUnit document whose one suite holds one `<error>` case per problem
 * - github: one `::error …::message` workflow command per problem
 *
 * The one-line problems are printed on stderr as well, as for text output.
 */
import { parseProblemLine, type Problem } from "./io.js";
import { junitXml } from "./junit.js";
import { sarifFailureLog } from "./sarif.js";

/** GitHub Actions workflow-command escaping of a property value or message. */
export function ghEscape(s: string, property: boolean): string {
  let out = s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
  if (property) out = out.replace(/:/g, "%3A").replace(/,/g, "%2C");
  return out;
}

/** What a GitHub annotation says and where. */
export interface Annotation {
  readonly severity: string;
  readonly file?: string;
  readonly line?: number;
  readonly col?: number;
  readonly endLine?: number;
  readonly endColumn?: number;
  readonly code: string;
  readonly message: string;
}

/** One GitHub Actions annotation (`::error file=…,line=…,col=…,title=…::message`). */
export function githubAnnotation(a: Annotation): string {
  const kind = a.severity === "error" ? "error" : a.severity === "warning" ? "warning" : "notice";
  const props: string[] = [];
  if (a.file !== undefined) props.push(`file=${ghEscape(a.file, true)}`);
  if (a.line !== undefined) props.push(`line=${a.line}`, `col=${a.col ?? 1}`);
  if (a.endLine !== undefined) props.push(`endLine=${a.endLine}`, `endColumn=${a.endColumn ?? 1}`);
  props.push(`title=${ghEscape(a.code, true)}`);
  return `::${kind} ${props.join(",")}::${ghEscape(a.message, false)}`;
}

/** A problem as a JSON object (the shape of `writ check --format json` diagnostics). */
export function problemJson(p: Problem): Record<string, unknown> {
  return {
    file: p.file,
    ...(p.line === undefined ? {} : { line: p.line, column: p.column }),
    severity: p.severity,
    code: p.code,
    message: p.message,
  };
}

/** The answer, in a machine format, of a command that failed with these one-line problems. */
export function errorAnswer(format: "json" | "sarif" | "junit" | "github", lines: readonly string[], exitCode: number, version: string): string {
  const problems = lines.map(parseProblemLine);
  switch (format) {
    case "json":
      return `${JSON.stringify({ ok: false, exitCode, errors: problems.filter((p) => p.severity === "error").length, diagnostics: problems.map(problemJson) }, null, 2)}\n`;
    case "sarif":
      return `${JSON.stringify(sarifFailureLog(problems, exitCode, version), null, 2)}\n`;
    case "junit":
      return junitXml([
        {
          name: "writ",
          cases: problems.map((p, i) => ({ name: `problem ${i + 1}: ${p.file}`, classname: "writ", error: { message: lines[i]!, type: p.code } })),
        },
      ]);
    case "github":
      return problems.map((p) => `${githubAnnotation({ ...p, ...(p.line === undefined ? {} : { col: p.column }), file: p.file === "writ" ? undefined : p.file })}\n`).join("");
  }
}
