/**
 * `writ test` reports and counts: `--format json` and `--format junit` say
 * exactly what the text report says; a file that cannot run is a counted
 * failure even when it has no request; a run that finds no test at all fails
 * (W5021). Also: the test modules import each other in one direction only.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { memoryOutput } from "../../cli/io.js";
import { runCli } from "../../cli/main.js";
import { xmlText } from "../../cli/junit.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "writ-report-"));
  put("p.cedar", '@id("all") permit (principal, action, resource);\n');
  put("broken.cedar", "permit (principal, action, resource) when { };\n");
  const req = { principal: { type: "U", id: "a" }, action: { type: "Action", id: "v" }, resource: { type: "D", id: "d" }, context: {}, validateRequest: false };
  put("suite/good.json", JSON.stringify({ policies: "p.cedar", requests: [{ ...req, description: "allowed", decision: "allow", reason: ["all"], errors: [] }] }));
  put("suite/wrong.json", JSON.stringify({ policies: "p.cedar", requests: [{ ...req, description: "expects <deny> & fails", decision: "deny", reason: [], errors: [] }] }));
  put("norequests/cannot-run.json", JSON.stringify({ policies: "broken.cedar", requests: [] }));
  put("empty/notes.json", JSON.stringify({ hello: "not a test" }));
  put("nocases/t.writ-test.json", JSON.stringify({ "writ-test": 1, policies: "p.cedar", cases: [] }));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function put(rel: string, text: string): string {
  const p = join(tmp, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
}

async function writ(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = memoryOutput();
  const code = await runCli(args, io, {});
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

describe("writ test --format", () => {
  it("text: FAIL lines and the summary", async () => {
    const r = await writ(["test", join(tmp, "suite")]);
    expect(r.code).toBe(1);
    expect(r.stdout.trimEnd().split("\n").pop()).toBe("1 passed, 1 failed");
    expect(r.stdout).toMatch(/^FAIL .*wrong\.json: "expects <deny> & fails": expected deny, got allow/m);
  });

  it("json: one object with the totals and every case", async () => {
    const r = await writ(["test", join(tmp, "suite"), "--format", "json"]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { ok: boolean; passed: number; failed: number; cases: Record<string, unknown>[] };
    expect([report.ok, report.passed, report.failed]).toEqual([false, 1, 1]);
    expect(report.cases.map((c) => [c["name"], c["kind"], c["passed"]])).toEqual([
      ["allowed", "request", true],
      ["expects <deny> & fails", "request", false],
    ]);
    expect(report.cases[1]!["detail"]).toMatch(/expected deny, got allow/);
    expect(report.cases[0]).not.toHaveProperty("detail");
  });

  it("junit: one suite per file, failures as <failure>, markup escaped", async () => {
    const r = await writ(["test", join(tmp, "suite"), "--format", "junit"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="writ" tests="2" failures="1" errors="0">\n/);
    expect(r.stdout.match(/<testsuite /g)).toHaveLength(2);
    expect(r.stdout).toContain('<testcase name="expects &lt;deny&gt; &amp; fails"');
    expect(r.stdout).toMatch(/<failure message="expected deny, got allow[^"]*" type="decision">/);
    expect(r.stdout.trimEnd().endsWith("</testsuites>")).toBe(true);
  });

  it("junit: a file that cannot run is an <error> case", async () => {
    const r = await writ(["test", join(tmp, "norequests"), "--format", "junit"]);
    expect(r.stdout).toMatch(/<testsuites name="writ" tests="1" failures="0" errors="1">/);
    expect(r.stdout).toMatch(/<error message="policies: [^"]*W1\d{3}[^"]*" type="could-not-run">/);
  });

  it("always: xmlText leaves no markup character and no character XML 1.0 cannot carry", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const x = xmlText(s);
        expect(x).not.toMatch(/[<>"']|&(?!(amp|lt|gt|quot|apos);)/);
        expect(x).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/);
        expect(x).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
      }),
    );
  });
});

describe("what counts", () => {
  it("a test file whose policies do not parse and which has no requests is one failed case, exit 1", async () => {
    const r = await writ(["test", join(tmp, "norequests")]);
    expect(r.stdout).toMatch(/^FAIL .*cannot-run\.json: policies: .*error W1\d{3}.*\(1 case failed\)$/m);
    expect(r.stdout.trimEnd().split("\n").pop()).toBe("0 passed, 1 failed");
    expect(r.code).toBe(1);
  });

  it("a walk that finds no test file fails with W5021", async () => {
    const r = await writ(["test", join(tmp, "empty")]);
    expect(r.stdout).toBe("0 passed, 0 failed\n");
    expect(r.stderr).toBe(`writ: error W5021: no tests found in ${join(tmp, "empty")} (test files: *.writ-test.json, or Cedar test JSON with \`policies\` and \`requests\`)\n`);
    expect(r.code).toBe(1);
  });

  it("test files with no case at all fail the same way", async () => {
    const r = await writ(["test", join(tmp, "nocases"), "--format", "json"]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ ok: false, passed: 0, failed: 0, cases: [] });
    expect(r.stderr).toMatch(/W5021/);
  });
});

describe("module structure of the test runner", () => {
  /** Relative imports of a cli module (type-only and dynamic imports included: they are edges too). */
  function importsOf(name: string): string[] {
    const text = readFileSync(join(ROOT, "cli", `${name}.ts`), "utf8");
    const statics = [...text.matchAll(/^import [^;]*? from "\.\/([a-z-]+)\.js";/gms)].map((m) => m[1]!);
    const dynamics = [...text.matchAll(/import\("\.\/([a-z-]+)\.js"\)/g)].map((m) => m[1]!);
    return [...statics, ...dynamics];
  }

  it("discovery imports no runner and the loader imports neither", () => {
    expect(importsOf("main")).toContain("test-runner");
    for (const m of ["test-runner", "writ-tests"]) expect(importsOf("test-files")).not.toContain(m);
    for (const m of ["test-runner", "writ-tests", "test-files"]) expect(importsOf("test-loader")).not.toContain(m);
    expect(importsOf("writ-tests")).not.toContain("test-runner");
  });

  it("no module of cli/ is part of an import cycle", () => {
    const seen = new Map<string, "open" | "done">();
    const cycle: string[] = [];
    const visit = (m: string, path: string[]): void => {
      if (seen.get(m) === "done") return;
      if (seen.get(m) === "open") {
        cycle.push([...path.slice(path.indexOf(m)), m].join(" -> "));
        return;
      }
      seen.set(m, "open");
      for (const d of importsOf(m)) visit(d, [...path, m]);
      seen.set(m, "done");
    };
    visit("main", []);
    for (const m of ["test-runner", "writ-tests", "test-files", "test-loader", "demo"]) visit(m, []);
    expect(cycle).toEqual([]);
  });
});
