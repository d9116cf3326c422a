/**
 * `writ test` on Cedar's own integration tests: every case passes in cedar
 * mode. Cases are counted from the data itself: one per request plus one per
 * file's `shouldValidate`.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryOutput } from "../../cli/io.js";
import { runCli } from "../../cli/main.js";
import { TestLoader } from "../../cli/test-loader.js";
import { conformanceData, describeConformance } from "../support/conformance.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const cedar = conformanceData("cedar");
const CEDAR = cedar.dir;
const TESTS = join(CEDAR, "tests");

interface Counted {
  readonly files: number;
  readonly requests: number;
  readonly validations: number;
}

function countCases(): Counted {
  let files = 0;
  let requests = 0;
  let validations = 0;
  for (const d of readdirSync(TESTS).sort()) {
    for (const f of readdirSync(join(TESTS, d)).sort()) {
      if (!f.endsWith(".json")) continue;
      const j = JSON.parse(readFileSync(join(TESTS, d, f), "utf8")) as { requests: unknown[]; shouldValidate?: boolean };
      files++;
      requests += j.requests.length;
      if (typeof j.shouldValidate === "boolean") validations++;
    }
  }
  return { files, requests, validations };
}

describeConformance("writ test on ../shared/conformance/cedar", cedar, () => {
  const counted = countCases();

  it("finds the expected corpus (22 files, 74 requests, 22 shouldValidate)", () => {
    expect(counted).toEqual({ files: 22, requests: 74, validations: 22 });
  });

  it("passes every case in cedar mode, ending with the exact summary line", () => {
    const r = spawnSync(process.execPath, [join(ROOT, "bin", "writ.js"), "test", TESTS, "--semantics", "cedar"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[lines.length - 1]).toBe(`${counted.requests + counted.validations} passed, 0 failed`);
    expect(lines[lines.length - 1]).toBe("96 passed, 0 failed");
    expect(r.status).toBe(0);
  });

  it("lists every case with --verbose: one PASS line per request and per shouldValidate", async () => {
    const io = memoryOutput();
    const code = await runCli(["test", TESTS, "--semantics", "cedar", "--verbose"], io);
    expect(code).toBe(0);
    const pass = io.stdout().split("\n").filter((l) => l.startsWith("PASS "));
    expect(pass).toHaveLength(counted.requests + counted.validations);
    expect(pass.filter((l) => / shouldValidate (true|false)$/.test(l))).toHaveLength(counted.validations);
  });
});

describeConformance("TestLoader caching", cedar, () => {
  it("loads each schema, policy file, program and entities file once per path", () => {
    const loader = new TestLoader("cedar");
    const schema = join(CEDAR, "sample-data/sandbox_a/schema.cedarschema");
    const policies = join(TESTS, "multi/policies_1.cedar");
    const entities = join(CEDAR, "sample-data/sandbox_a/entities.json");
    const s1 = loader.schema(schema);
    expect(s1.value).toBeDefined();
    expect(loader.schema(schema)).toBe(s1);
    const p1 = loader.policySet(policies);
    expect(p1.value).toBeDefined();
    expect(loader.policySet(policies)).toBe(p1);
    expect(loader.program(policies)).toBe(loader.program(policies));
    expect(loader.validation(policies, schema)).toBe(loader.validation(policies, schema));
    const e1 = loader.entityStore(entities, s1.value, schema);
    expect(e1.value).toBeDefined();
    expect(loader.entityStore(entities, s1.value, schema)).toBe(e1);
  });
});

describeConformance("writ test at scale", cedar, () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), "writ-scale-"));
  });
  afterAll(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  it("runs 1,500 test files sharing data in one process", async () => {
    // Copies of the conformance test files whose paths point back at the shared data,
    // spread over nested folders (absolute paths: resolution is then trivial).
    const sources: { name: string; json: Record<string, unknown> }[] = [];
    for (const d of readdirSync(TESTS).sort())
      for (const f of readdirSync(join(TESTS, d)).sort())
        if (f.endsWith(".json")) sources.push({ name: `${d}-${f}`, json: JSON.parse(readFileSync(join(TESTS, d, f), "utf8")) as Record<string, unknown> });
    let expected = 0;
    for (let i = 0; i < 1500; i++) {
      const src = sources[i % sources.length]!;
      const j = { ...src.json };
      for (const k of ["policies", "entities", "schema"]) j[k] = join(CEDAR, String(j[k]));
      expected += (j["requests"] as unknown[]).length + 1;
      const dir = join(tmp, `batch-${Math.floor(i / 100)}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${i}-${src.name}`), JSON.stringify(j));
    }
    const io = memoryOutput();
    const code = await runCli(["test", tmp, "--semantics", "cedar"], io);
    expect(io.stdout().trimEnd().split("\n").pop()).toBe(`${expected} passed, 0 failed`);
    expect(code).toBe(0);
  }, 300_000);
});
