/**
 * `writ init [dir]`: the scaffold passes `writ check` and `writ test` right
 * away, includes a CI workflow, and init never overwrites an existing file.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../../cli/main.js";
import { memoryOutput } from "../../cli/io.js";
import { SCAFFOLD_FILES } from "../../cli/init.js";

const base = mkdtempSync(join(tmpdir(), "writ-init-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

async function writ(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = memoryOutput();
  const code = await runCli(args, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

describe("writ init", () => {
  const dir = join(base, "project");

  it("creates the scaffold in a new folder", async () => {
    const r = await writ(["init", dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    for (const rel of SCAFFOLD_FILES) {
      expect(existsSync(join(dir, rel)), rel).toBe(true);
      expect(r.stdout).toContain(rel);
    }
  });

  it("the scaffold's tests pass right away, in both semantics", async () => {
    for (const extra of [[], ["--semantics", "cedar"]]) {
      const r = await writ(["test", dir, ...extra]);
      expect(r.stdout.trimEnd()).toBe("6 passed, 0 failed");
      expect(r.code).toBe(0);
    }
  });

  it("the scaffold's policies validate and are formatted", async () => {
    const c = await writ(["check", join(dir, "policies.cedar"), "--schema", join(dir, "schema.cedarschema")]);
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/^ok: 3 policies/);
    const f = await writ(["fmt", "--check", dir]);
    expect(f.stdout).toBe("");
    expect(f.code).toBe(0);
  });

  it("the workflow runs check with GitHub annotations and test", () => {
    const wf = readFileSync(join(dir, ".github", "workflows", "writ.yml"), "utf8");
    expect(wf).toContain("npx writ check policies.cedar --schema schema.cedarschema --format github");
    expect(wf).toContain("npx writ test .");
    expect(wf).toMatch(/^on: \[push, pull_request\]$/m);
  });

  it("refuses to overwrite: one line naming the file, nothing written", async () => {
    const other = join(base, "partial");
    mkdirSync(other);
    writeFileSync(join(other, "policies.cedar"), "// mine\n");
    const r = await writ(["init", other]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/policies\.cedar: error W5008: refusing to overwrite an existing file/);
    expect(readFileSync(join(other, "policies.cedar"), "utf8")).toBe("// mine\n");
    for (const rel of SCAFFOLD_FILES) if (rel !== "policies.cedar") expect(existsSync(join(other, rel)), rel).toBe(false);
    const again = await writ(["init", dir]);
    expect(again.code).toBe(2);
  });

  it("refuses a path that is a file", async () => {
    const f = join(base, "a-file");
    writeFileSync(f, "x");
    const r = await writ(["init", f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/a-file: error W5008: cannot create a project here: not a folder\n$/);
  });
});
