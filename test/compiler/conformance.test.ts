/**
 * Cedar's integration tests, evaluated in `cedar` semantics: for every request of every
 * `tests/*\/*.json` file, the decision, the reasons (compared sorted, as a set) and the
 * number of erroring policies must equal the expected ones.
 * Entities and contexts are read schema-directed (as Cedar's test harness does).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parsePolicies, parseSchema } from "../../lang/index.js";
import { compile, contextHintFor, entityHintFor, loadSchema, requestFromJson } from "../../compiler/index.js";
import { entitiesFromJson, type JsonValue } from "../../stdlib/json.js";
import { conformanceData, describeConformance } from "../support/conformance.js";

const cedar = conformanceData("cedar");
const ROOT = cedar.dir;
/** Exact counts of the corpus: a partly missing corpus fails. */
const TEST_FILES = 22;
const REQUESTS = 74;

interface TestRequest {
  readonly description: string;
  readonly principal: JsonValue;
  readonly action: JsonValue;
  readonly resource: JsonValue;
  readonly context: JsonValue;
  readonly decision: string;
  readonly reason: readonly string[];
  readonly errors: readonly string[];
}

interface TestFile {
  readonly policies: string;
  readonly entities: string;
  readonly schema: string;
  readonly shouldValidate: boolean;
  readonly requests: readonly TestRequest[];
}

function testFiles(): string[] {
  const dir = join(ROOT, "tests");
  const out: string[] = [];
  for (const sub of readdirSync(dir).sort()) {
    const p = join(dir, sub);
    if (!statSync(p).isDirectory()) continue;
    for (const f of readdirSync(p).sort()) if (f.endsWith(".json")) out.push(join("tests", sub, f));
  }
  return out;
}

const files = cedar.present ? testFiles() : [];
let requestCount = 0;

describeConformance("Cedar conformance (cedar semantics)", cedar, () => {
  it("finds the 22 test files with 74 requests", () => {
    expect(files.length).toBe(TEST_FILES);
    const total = files.reduce((n, f) => n + (JSON.parse(readFileSync(join(ROOT, f), "utf8")) as TestFile).requests.length, 0);
    expect(total).toBe(REQUESTS);
  });

  for (const file of files) {
    const test = JSON.parse(readFileSync(join(ROOT, file), "utf8")) as TestFile;
    describe(file, () => {
      const policySrc = readFileSync(join(ROOT, test.policies), "utf8");
      const parsed = parsePolicies(policySrc, test.policies);
      const schemaParsed = parseSchema(readFileSync(join(ROOT, test.schema), "utf8"), test.schema);
      const schema = schemaParsed.ast === undefined ? undefined : loadSchema(schemaParsed.ast).schema;
      const compiled = parsed.ast === undefined ? undefined : compile(parsed.ast, { semantics: "cedar" });
      const entitiesJson = JSON.parse(readFileSync(join(ROOT, test.entities), "utf8")) as JsonValue;
      const { entities, diagnostics: entityDiags } = entitiesFromJson(entitiesJson, schema === undefined ? undefined : entityHintFor(schema));

      for (const req of test.requests) {
        requestCount++;
        it(req.description, () => {
          expect(parsed.diagnostics).toEqual([]);
          expect(schema).toBeDefined();
          expect(compiled?.diagnostics).toEqual([]);
          expect(entityDiags).toEqual([]);
          const r = requestFromJson(
            { principal: req.principal, action: req.action, resource: req.resource, context: req.context ?? {} },
            (actionKey) => contextHintFor(schema!, actionKey),
          );
          expect(r.diagnostics).toEqual([]);
          const d = compiled!.program!.decide(r.request!, entities!);
          expect(d.decision).toBe(req.decision.toLowerCase());
          expect([...d.reasons].sort()).toEqual([...req.reason].sort());
          expect(d.errors.length).toBe(req.errors.length);
          expect(d.errors.map((e) => e.policy).sort()).toEqual([...req.errors].sort());
        });
      }
    });
  }

  it("ran every request", () => {
    expect(requestCount).toBe(74);
  });
});
