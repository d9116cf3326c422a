/**
 * The conformance-data helper: a suite runs when its data is present, is
 * skipped with a message when the data is absent outside CI, and fails when
 * the data is absent and `CI` is set — checked on the helper's decisions and
 * end to end on a real conformance suite run by a child vitest.
 */
import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { absentMessage, conformanceData, conformancePlan, CONFORMANCE_ROOT, isCi } from "./conformance.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

describe("conformance helper", () => {
  it("plans run / skip / fail from presence and CI", () => {
    expect(conformancePlan(true, false)).toBe("run");
    expect(conformancePlan(true, true)).toBe("run");
    expect(conformancePlan(false, false)).toBe("skip");
    expect(conformancePlan(false, true)).toBe("fail");
  });

  it("reads CI as set unless empty, 0 or false", () => {
    expect(isCi({})).toBe(false);
    for (const v of ["", "0", "false", "FALSE"]) expect(isCi({ CI: v }), v).toBe(false);
    for (const v of ["true", "1", "yes"]) expect(isCi({ CI: v }), v).toBe(true);
  });

  it("names the missing folder and where to read about it", () => {
    const d = conformanceData("no-such-part");
    expect(d).toEqual({ dir: join(CONFORMANCE_ROOT, "no-such-part"), present: false });
    expect(absentMessage(d)).toBe(`conformance data absent: ${d.dir} does not exist (see README.md, "Conformance data")`);
  });

  it("end to end: a suite without its data is skipped with a message outside CI and fails in CI", () => {
    const run = (ci: string | undefined): { status: number | null; out: string } => {
      const env: NodeJS.ProcessEnv = { ...process.env, WRIT_CONFORMANCE_DIR: join(ROOT, "test", "no-conformance-here") };
      delete env["CI"];
      delete env["VITEST"];
      if (ci !== undefined) env["CI"] = ci;
      const r = spawnSync(process.execPath, [join(ROOT, "node_modules", "vitest", "vitest.mjs"), "run", "test/runtime/ed25519.test.ts"], { cwd: ROOT, env, encoding: "utf8" });
      return { status: r.status, out: `${r.stdout}${r.stderr}` };
    };
    const local = run(undefined);
    expect(local.out).toMatch(/SKIPPED "Wycheproof Ed25519 vectors": conformance data absent: .*no-conformance-here.ed25519.ed25519_test\.json does not exist/);
    expect(local.out).toMatch(/\d+ passed, 0 failed, 1 skipped/);
    expect(local.status).toBe(0);
    const ci = run("true");
    expect(ci.out).toMatch(/CI is set, so this fails instead of skipping/);
    expect(ci.out).toMatch(/\d+ passed, 1 failed/);
    expect(ci.status).not.toBe(0);
  }, 120_000);
});
