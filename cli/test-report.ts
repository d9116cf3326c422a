/**
 * The reports of `writ test`: text (a `FAIL` line per failing case, the last
 * line exactly `N passed, M failed`), JSON (one object) and JUnit XML (one
 * suite per test file).
 *
 * JSON: `{ "ok", "passed", "failed", "cases": [{ "file", "kind", "name",
 * "passed", "detail"?, "count"? }] }` — `kind` is `request`, `validation`
 * (a Cedar file's `shouldValidate`) or `problem` (a file that could not run;
 * `count` is the number of cases it fails). JUnit: a problem is one `<error>`
 * case; a failing case is a `<failure>`.
 */
import { paintResult, paintSummary } from "./colour.js";
import { junitXml, type JUnitCase, type JUnitSuite } from "./junit.js";
import type { CaseOutcome, RunTotals } from "./test-outcome.js";

/** The name of a case in reports: the request's description, `shouldValidate`, or the problem. */
function caseName(o: CaseOutcome): string {
  switch (o.kind) {
    case "validation":
      return `shouldValidate ${o.expected}`;
    case "request":
      return o.spec.description;
    case "problem":
      return `the file could not run (${o.count} case${o.count === 1 ? "" : "s"} failed)`;
  }
}

/** The text line of one outcome (`PASS …` or `FAIL …`), coloured when `colour` is set. */
export function outcomeLine(o: CaseOutcome, colour = false): string {
  let line: string;
  switch (o.kind) {
    case "validation":
      line = `${o.passed ? "PASS" : "FAIL"} ${o.file}: shouldValidate ${o.expected}${o.detail === "" ? "" : `: ${o.detail}`}`;
      break;
    case "request":
      line = `${o.passed ? "PASS" : "FAIL"} ${o.file}: ${JSON.stringify(o.spec.description)}${o.detail === "" ? "" : `: ${o.detail}`}`;
      break;
    case "problem":
      line = `FAIL ${o.detail.startsWith(`${o.file}:`) ? "" : `${o.file}: `}${o.detail} (${o.count} case${o.count === 1 ? "" : "s"} failed)`;
      break;
  }
  return colour ? paintResult(line) : line;
}

/** The closing line of a text report: exactly `N passed, M failed` (coloured when `colour` is set). */
export function summaryLine(t: RunTotals, colour = false): string {
  const line = `${t.passed} passed, ${t.failed} failed`;
  return colour ? paintSummary(line, t.failed === 0 && t.passed > 0) : line;
}

/** The JSON report of a run. */
export function jsonReport(outcomes: readonly CaseOutcome[], totals: RunTotals): string {
  const cases = outcomes.map((o) => ({
    file: o.file,
    kind: o.kind,
    name: caseName(o),
    passed: o.passed,
    ...(o.detail === "" ? {} : { detail: o.detail }),
    ...(o.kind === "problem" ? { count: o.count } : {}),
  }));
  const ok = totals.failed === 0 && totals.passed > 0;
  return `${JSON.stringify({ ok, passed: totals.passed, failed: totals.failed, cases }, null, 2)}\n`;
}

/** The JUnit XML report of a run: one suite per test file, in the order the files ran. */
export function junitReport(outcomes: readonly CaseOutcome[]): string {
  const suites = new Map<string, JUnitCase[]>();
  for (const o of outcomes) {
    let cases = suites.get(o.file);
    if (cases === undefined) suites.set(o.file, (cases = []));
    const base = { name: caseName(o), classname: o.file };
    if (o.kind === "problem") cases.push({ ...base, error: { message: o.detail, type: "could-not-run" } });
    else if (!o.passed) cases.push({ ...base, failure: { message: o.detail, type: o.kind === "validation" ? "validation" : "decision" } });
    else cases.push(base);
  }
  const list: JUnitSuite[] = [...suites].map(([name, cases]) => ({ name, cases }));
  return junitXml(list);
}
