/**
 * CI output formats of `writ check`: SARIF 2.1.0 (required properties checked
 * by hand: log, run, tool driver and rules, results with rule ids, levels,
 * messages, relative artifact URIs and 1-based UTF-16 regions) and GitHub
 * Actions workflow commands (escaping of data and properties).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { runCli } from "../../cli/main.js";
import { memoryOutput } from "../../cli/io.js";
import { ghEscape } from "../../cli/answers.js";
import { sarifRegion, sarifUri } from "../../cli/sarif.js";
import { CATALOG, type DiagnosticCode } from "../../lang/diagnostics.js";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "writ-ci-"));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function writ(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = memoryOutput();
  const code = await runCli(args, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

const SCHEMA = `entity User = { name: String };\nentity Doc;\naction view appliesTo { principal: [User], resource: [Doc] };\n`;

type Obj = Record<string, unknown>;
function obj(x: unknown, what: string): Obj {
  expect(typeof x === "object" && x !== null && !Array.isArray(x), `${what} is an object`).toBe(true);
  return x as Obj;
}
function arr(x: unknown, what: string): unknown[] {
  expect(Array.isArray(x), `${what} is an array`).toBe(true);
  return x as unknown[];
}

describe("writ check --format sarif", () => {
  it("prints a SARIF 2.1.0 log with rules, results and UTF-16 regions; exit 1 on errors", async () => {
    const dir = tempDir();
    // The emoji is two UTF-16 code units: the error after it starts at UTF-16 column 55.
    const policy = `permit (principal, action, resource) when { "\u{1F600}" == principal.nmae };\n`;
    writeFileSync(join(dir, "bad policies.cedar"), policy);
    writeFileSync(join(dir, "schema.cedarschema"), SCHEMA);
    const file = join(dir, "bad policies.cedar");
    const r = await writ(["check", file, "--schema", join(dir, "schema.cedarschema"), "--format", "sarif"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("");
    const log = obj(JSON.parse(r.stdout), "log");
    expect(log["version"]).toBe("2.1.0");
    expect(log["$schema"]).toMatch(/sarif-2\.1\.0/);
    const runs = arr(log["runs"], "runs");
    expect(runs).toHaveLength(1);
    const run = obj(runs[0], "run");
    const driver = obj(obj(run["tool"], "tool")["driver"], "driver");
    expect(driver["name"]).toBe("writ");
    expect(driver["version"]).toMatch(/^\d+\.\d+\.\d+/);
    const rules = arr(driver["rules"], "rules").map((x, i) => obj(x, `rule ${i}`));
    const results = arr(run["results"], "results").map((x, i) => obj(x, `result ${i}`));
    expect(results.length).toBeGreaterThan(0);
    const ruleIds = rules.map((x) => x["id"]);
    expect(new Set(ruleIds).size).toBe(ruleIds.length);
    for (const rule of rules) {
      const id = rule["id"] as DiagnosticCode;
      expect(CATALOG[id], `${id} is a catalog code`).toBeDefined();
      expect(obj(rule["shortDescription"], "shortDescription")["text"]).toBe(CATALOG[id].title);
    }
    for (const res of results) {
      expect(ruleIds).toContain(res["ruleId"]);
      expect(rules[res["ruleIndex"] as number]!["id"]).toBe(res["ruleId"]);
      expect(["error", "warning", "note"]).toContain(res["level"]);
      expect(typeof obj(res["message"], "message")["text"]).toBe("string");
      const locs = arr(res["locations"], "locations");
      expect(locs).toHaveLength(1);
      const phys = obj(obj(locs[0], "location")["physicalLocation"], "physicalLocation");
      const uri = obj(phys["artifactLocation"], "artifactLocation")["uri"] as string;
      expect(uri).toBe(sarifUri(file));
      expect(uri.endsWith("bad%20policies.cedar")).toBe(true);
      const region = obj(phys["region"], "region");
      for (const k of ["startLine", "startColumn", "endLine", "endColumn"]) expect(Number.isInteger(region[k]) && (region[k] as number) >= 1, k).toBe(true);
    }
    const typeError = results.find((x) => x["level"] === "error")!;
    const region = obj(obj(obj(arr(typeError["locations"], "l")[0], "l")["physicalLocation"], "p")["region"], "region");
    expect(region["startLine"]).toBe(1);
    // `principal.nmae` starts after `..."😀" == ` : UTF-16 offset of "principal.nmae" + 1.
    const start = policy.indexOf("principal.nmae");
    expect(region["startColumn"]).toBeLessThanOrEqual(start + 1);
    expect(region["endColumn"]).toBeGreaterThan(region["startColumn"] as number);
    expect(region["endColumn"]).toBeLessThanOrEqual(policy.indexOf(" };") + 1);
  });

  it("prints an empty result list and exits 0 for valid policies", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "p.cedar"), `permit (principal, action == Action::"view", resource);\n`);
    writeFileSync(join(dir, "schema.cedarschema"), SCHEMA);
    const r = await writ(["check", join(dir, "p.cedar"), "--schema", join(dir, "schema.cedarschema"), "--format", "sarif"]);
    expect(r.code).toBe(0);
    const run = obj(arr(obj(JSON.parse(r.stdout), "log")["runs"], "runs")[0], "run");
    expect(run["results"]).toEqual([]);
    expect(obj(obj(run["tool"], "tool")["driver"], "driver")["rules"]).toEqual([]);
  });

  it("regions are 1-based, end-exclusive and count UTF-16 code units", () => {
    expect(sarifRegion("ab\ncd", 3, 5)).toEqual({ startLine: 2, startColumn: 1, endLine: 2, endColumn: 3 });
    expect(sarifRegion("\u{1F600}x", 2, 3)).toEqual({ startLine: 1, startColumn: 3, endLine: 1, endColumn: 4 });
    expect(sarifRegion("abc", 1, 1)).toEqual({ startLine: 1, startColumn: 2, endLine: 1, endColumn: 2 });
  });

  it("URIs are relative with forward slashes and percent-encoding, or file: URIs outside the current folder", () => {
    expect(sarifUri("policies/a b.cedar")).toBe("policies/a%20b.cedar");
    expect(sarifUri(join(process.cwd(), "x", "y#1.cedar"))).toBe("x/y%231.cedar");
    expect(sarifUri("/elsewhere/p.cedar", "/home/dev/project")).toBe("file:///elsewhere/p.cedar");
    expect(relative(process.cwd(), process.cwd())).toBe("");
  });
});

describe("writ check --format github", () => {
  it("escapes %, CR and LF in messages, and also , and : in properties", () => {
    expect(ghEscape("100% done\r\nnext", false)).toBe("100%25 done%0D%0Anext");
    expect(ghEscape("a,b:c%d\n", true)).toBe("a%2Cb%3Ac%25d%0A");
    expect(ghEscape("a,b:c", false)).toBe("a,b:c");
  });

  it("escaping is reversible and leaves no raw separator in a property", () => {
    const unescape = (s: string): string => s.replace(/%(25|0D|0A|3A|2C)/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
    fc.assert(
      fc.property(fc.string(), (s) => {
        const p = ghEscape(s, true);
        expect(p).not.toMatch(/[,:\r\n]/);
        expect(unescape(p)).toBe(s);
        expect(unescape(ghEscape(s, false))).toBe(s);
      }),
    );
  });

  it("emits ::error file=…,line=…,col=…,endLine=…,endColumn=…,title=W…::message", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "a,b:c.cedar"), `permit (principal, action, resource) when { principal.nmae == "x" };\n`);
    writeFileSync(join(dir, "schema.cedarschema"), SCHEMA);
    const r = await writ(["check", join(dir, "a,b:c.cedar"), "--schema", join(dir, "schema.cedarschema"), "--format", "github"]);
    expect(r.code).toBe(1);
    const line = r.stdout.split("\n").find((l) => l.startsWith("::error "))!;
    expect(line).toMatch(/^::error file=[^,:]*a%2Cb%3Ac\.cedar,line=1,col=\d+,endLine=1,endColumn=\d+,title=W3\d{3}::\S/);
  });
});
