/**
 * The conformance data every conformance suite reads — third-party test data
 * kept unchanged outside the project, in `../shared/conformance/` next to the
 * checkout (README.md, "Conformance data", says where each part comes from).
 * `WRIT_CONFORMANCE_DIR` points elsewhere.
 *
 * Every test that reads it goes through this one helper, so that a clone
 * without the data behaves the same everywhere:
 * - data present: the suite runs;
 * - data absent, `CI` not set: the suite is skipped, and says so (one line on
 *   stderr and a skipped test whose name gives the reason);
 * - data absent, `CI` set: the suite fails, so CI can never silently skip it.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The folder holding the conformance data (`../shared/conformance`, or `WRIT_CONFORMANCE_DIR`). */
export const CONFORMANCE_ROOT = resolve(ROOT, process.env["WRIT_CONFORMANCE_DIR"] ?? join("..", "shared", "conformance"));

/** One part of the conformance data (`cedar`, `jcs`, `merkle`, `ed25519`, …). */
export interface ConformanceData {
  /** The part's folder (or file). */
  readonly dir: string;
  /** Whether it exists: test files read it only when it does (at collection time too). */
  readonly present: boolean;
}

/** The part `sub` of the conformance data (a path below `CONFORMANCE_ROOT`). */
export function conformanceData(sub: string): ConformanceData {
  const dir = join(CONFORMANCE_ROOT, sub);
  return { dir, present: existsSync(dir) };
}

/** True when the environment says this is a CI run (`CI` set to anything but empty, `0` or `false`). */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env["CI"];
  return ci !== undefined && ci !== "" && ci !== "0" && ci.toLowerCase() !== "false";
}

/** What a conformance suite does: run, skip (data absent, not CI) or fail (data absent in CI). */
export function conformancePlan(present: boolean, ci: boolean): "run" | "skip" | "fail" {
  return present ? "run" : ci ? "fail" : "skip";
}

/** The message of a suite that cannot run for lack of data. */
export function absentMessage(data: ConformanceData): string {
  return `conformance data absent: ${data.dir} does not exist (see README.md, "Conformance data")`;
}

/**
 * `describe(name, body)` over conformance data: runs `body` when the data is
 * present; otherwise never calls it and registers a skipped test (not CI) or a
 * failing one (CI) that names the missing folder.
 */
export function describeConformance(name: string, data: ConformanceData, body: () => void): void {
  const plan = conformancePlan(data.present, isCi());
  if (plan === "run") {
    describe(name, body);
    return;
  }
  const message = absentMessage(data);
  describe(name, () => {
    if (plan === "skip") {
      process.stderr.write(`SKIPPED "${name}": ${message}; CI is not set, so the suite is skipped\n`);
      it.skip(`SKIPPED: ${message}`, () => undefined);
    } else {
      it("has its conformance data (CI is set: a missing corpus fails, never skips)", () => {
        throw new Error(`${message}; CI is set, so this fails instead of skipping`);
      });
    }
  });
}
