/**
 * Properties of the CLI on arbitrary input (in process, fast-check): every
 * command answers with an exit code of 0, 1 or 2 — never an internal error —
 * and everything it prints on stderr is one-line `file[:line:col]: severity
 * Wnnnn: message` errors.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryOutput } from "../../cli/io.js";
import { runCli } from "../../cli/main.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const DOC = join(ROOT, "examples", "doc-sharing");
const POLICIES = readFileSync(join(DOC, "policies.cedar"), "utf8");
const ENTITIES = readFileSync(join(DOC, "entities.json"), "utf8");
const REQUEST = readFileSync(join(DOC, "request.json"), "utf8");
const ONE_LINE = /^[^\n]*?: (error|warning) W\d{4}: [^\n]*$/;

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "writ-robust-"));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** Text derived from `base`: a random slice, or the base with a random insertion. */
function mutated(base: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.tuple(fc.nat(base.length), fc.nat(base.length)).map(([a, b]) => base.slice(Math.min(a, b), Math.max(a, b))),
    fc.tuple(fc.nat(base.length), fc.string({ maxLength: 8 })).map(([at, s]) => base.slice(0, at) + s + base.slice(at)),
    fc.tuple(fc.nat(base.length), fc.nat(20)).map(([at, n]) => base.slice(0, at) + base.slice(at + n)),
  );
}

async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  const io = memoryOutput();
  const code = await runCli(args, io);
  return { code, stderr: io.stderr() };
}

function wellFormed(r: { code: number; stderr: string }): void {
  expect([0, 1, 2]).toContain(r.code);
  for (const line of r.stderr.split("\n").filter((l) => l !== "")) expect(line).toMatch(ONE_LINE);
}

describe("the CLI on arbitrary input", () => {
  it("writ eval answers every mutation of policies, entities and request with a decision or one-line errors", async () => {
    await fc.assert(
      fc.asyncProperty(
        // The unchanged inputs are weighted up so that many runs get as far as a decision.
        fc.oneof({ arbitrary: mutated(POLICIES), weight: 1 }, { arbitrary: fc.constant(POLICIES), weight: 2 }),
        fc.oneof({ arbitrary: mutated(ENTITIES), weight: 1 }, { arbitrary: fc.json(), weight: 1 }, { arbitrary: fc.constant(ENTITIES), weight: 3 }),
        fc.oneof({ arbitrary: mutated(REQUEST), weight: 1 }, { arbitrary: fc.json(), weight: 1 }, { arbitrary: fc.constant(REQUEST), weight: 3 }),
        async (policies, entities, request) => {
          writeFileSync(join(tmp, "p.cedar"), policies);
          writeFileSync(join(tmp, "e.json"), entities);
          writeFileSync(join(tmp, "r.json"), request);
          const args = ["eval", "--policies", join(tmp, "p.cedar"), "--schema", join(DOC, "schema.cedarschema"), "--entities", join(tmp, "e.json"), "--request", join(tmp, "r.json")];
          const r = await run(args);
          wellFormed(r);
          expect(r.code).not.toBe(1);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("writ check answers arbitrary policy text with diagnostics, never an internal error", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated(POLICIES), fc.string({ maxLength: 200 })), async (policies) => {
        writeFileSync(join(tmp, "c.cedar"), policies);
        const r = await run(["check", join(tmp, "c.cedar"), "--schema", join(DOC, "schema.cedarschema")]);
        wellFormed(r);
      }),
      { numRuns: 150 },
    );
  });

  it("writ test answers arbitrary test-file JSON with cases or one-line problems", async () => {
    const validTest = readFileSync(join(DOC, "tests.json"), "utf8")
      .replace('"policies.cedar"', JSON.stringify(join(DOC, "policies.cedar")))
      .replace('"entities.json"', JSON.stringify(join(DOC, "entities.json")))
      .replace('"schema.cedarschema"', JSON.stringify(join(DOC, "schema.cedarschema")));
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated(validTest), fc.json()), async (text) => {
        writeFileSync(join(tmp, "t.json"), text);
        const r = await run(["test", join(tmp, "t.json")]);
        wellFormed(r);
      }),
      { numRuns: 100 },
    );
  });
});
