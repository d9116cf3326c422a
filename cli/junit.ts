/**
 * JUnit XML, the test-report format CI systems read (Jenkins, GitLab, GitHub
 * test reporters): `<testsuites>` of `<testsuite>`s of `<testcase>`s, each case
 * passing, failed (`<failure>`: the case ran and gave another result) or in
 * error (`<error>`: the case could not run).
 */

/** One JUnit test case. */
export interface JUnitCase {
  readonly name: string;
  readonly classname: string;
  readonly failure?: { readonly message: string; readonly type: string };
  readonly error?: { readonly message: string; readonly type: string };
}

/** One JUnit test suite (for writ: one test file). */
export interface JUnitSuite {
  readonly name: string;
  readonly cases: readonly JUnitCase[];
}

/**
 * Text as XML 1.0 character data or attribute value: markup characters
 * escaped, characters XML 1.0 cannot carry (most C0 controls, lone
 * surrogates, U+FFFE/U+FFFF) written as `\uXXXX`.
 */
export function xmlText(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

function count(suite: JUnitSuite, what: "failure" | "error"): number {
  return suite.cases.filter((c) => c[what] !== undefined).length;
}

function caseXml(c: JUnitCase): string {
  const open = `    <testcase name="${xmlText(c.name)}" classname="${xmlText(c.classname)}"`;
  const problem = c.error !== undefined ? ["error", c.error] as const : c.failure !== undefined ? ["failure", c.failure] as const : undefined;
  if (problem === undefined) return `${open}/>`;
  const [tag, p] = problem;
  return `${open}>\n      <${tag} message="${xmlText(p.message)}" type="${xmlText(p.type)}">${xmlText(p.message)}</${tag}>\n    </testcase>`;
}

/** A JUnit XML document with the given suites (totals on `<testsuites>` and on each suite). */
export function junitXml(suites: readonly JUnitSuite[], name = "writ"): string {
  const tests = suites.reduce((n, s) => n + s.cases.length, 0);
  const failures = suites.reduce((n, s) => n + count(s, "failure"), 0);
  const errors = suites.reduce((n, s) => n + count(s, "error"), 0);
  const lines = [`<?xml version="1.0" encoding="UTF-8"?>`, `<testsuites name="${xmlText(name)}" tests="${tests}" failures="${failures}" errors="${errors}">`];
  for (const s of suites) {
    const attrs = `name="${xmlText(s.name)}" tests="${s.cases.length}" failures="${count(s, "failure")}" errors="${count(s, "error")}"`;
    if (s.cases.length === 0) {
      lines.push(`  <testsuite ${attrs}/>`);
      continue;
    }
    lines.push(`  <testsuite ${attrs}>`, ...s.cases.map(caseXml), "  </testsuite>");
  }
  lines.push("</testsuites>");
  return `${lines.join("\n")}\n`;
}
