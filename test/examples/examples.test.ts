/**
 * The example projects stay runnable: `writ test examples/` passes in both
 * semantics, and `writ check` accepts every example's policies against its schema.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const EXAMPLES = join(ROOT, "examples");
const projects = readdirSync(EXAMPLES, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

function writ(args: readonly string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "writ.js"), ...args], { cwd: ROOT, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Each project's Writ test files (`*.writ-test.json`). */
function writTestFiles(p: string): string[] {
  return readdirSync(join(EXAMPLES, p)).filter((x) => x.endsWith(".writ-test.json"));
}

/** Cases of the Cedar test files (`tests.json`), plus those of the Writ test files when `writ` is set. */
function expectedCases(writ: boolean): number {
  let n = 0;
  for (const p of projects) {
    const cedar = join(EXAMPLES, p, "tests.json");
    if (existsSync(cedar)) {
      const t = JSON.parse(readFileSync(cedar, "utf8")) as { requests: unknown[]; shouldValidate?: boolean };
      n += t.requests.length + (t.shouldValidate === undefined ? 0 : 1);
    }
    if (!writ) continue;
    for (const f of writTestFiles(p)) n += (JSON.parse(readFileSync(join(EXAMPLES, p, f), "utf8")) as { cases: unknown[] }).cases.length;
  }
  return n;
}

describe("examples/", () => {
  it("has at least two projects, each with schema, policies, entities and tests", () => {
    expect(projects.length).toBeGreaterThanOrEqual(2);
    for (const p of projects) {
      for (const f of ["schema.cedarschema", "policies.cedar", "entities.json"]) expect(existsSync(join(EXAMPLES, p, f)), `${p}/${f}`).toBe(true);
      expect(existsSync(join(EXAMPLES, p, "tests.json")) || writTestFiles(p).length > 0, `${p} has tests.json or a *.writ-test.json`).toBe(true);
    }
  });

  it("the agent-tools example has about 15 policies", () => {
    const text = readFileSync(join(EXAMPLES, "agent-tools", "policies.cedar"), "utf8");
    expect((text.match(/^(permit|forbid)\s*\(/gm) ?? []).length).toBeGreaterThanOrEqual(15);
  });

  it("writ test examples/ passes every case (each Writ test file in its own semantics, Cedar test files fail-closed)", () => {
    const r = writ(["test", "examples"]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trimEnd().split("\n").pop()).toBe(`${expectedCases(true)} passed, 0 failed`);
    expect(r.code).toBe(0);
  });

  // Writ test files may use Writ extensions, which cedar semantics rejects: only the Cedar test files run here.
  for (const semantics of ["fail-closed", "cedar"]) {
    it(`writ test passes every case of the examples' Cedar test files (${semantics})`, () => {
      const files = projects.map((p) => join("examples", p, "tests.json")).filter((f) => existsSync(join(ROOT, f)));
      const r = writ(["test", ...files, "--semantics", semantics]);
      expect(r.stderr).toBe("");
      expect(r.stdout.trimEnd().split("\n").pop()).toBe(`${expectedCases(false)} passed, 0 failed`);
      expect(r.code).toBe(0);
    });
  }

  it("writ eval decides each example's request.json as its README says", () => {
    const expected: Record<string, string> = { "doc-sharing": "deny", "agent-tools": "allow" };
    for (const p of Object.keys(expected)) {
      const dir = join("examples", p);
      const r = writ(["eval", "--policies", join(dir, "policies.cedar"), "--schema", join(dir, "schema.cedarschema"), "--entities", join(dir, "entities.json"), "--request", join(dir, "request.json"), "--json"]);
      expect(r.code).toBe(0);
      expect((JSON.parse(r.stdout) as { decision: string }).decision).toBe(expected[p]);
    }
  });

  for (const p of projects) {
    it(`writ check accepts ${p}`, () => {
      const r = writ(["check", join("examples", p, "policies.cedar"), "--schema", join("examples", p, "schema.cedarschema")]);
      expect(r.stdout).toMatch(/^ok: \d+ policies in 1 file validated/);
      expect(r.code).toBe(0);
    });
  }
});
