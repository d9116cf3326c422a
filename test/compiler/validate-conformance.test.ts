/**
 * Cedar's integration tests as a validation corpus: for every test file, the
 * validator's verdict must equal `shouldValidate`; every request must conform
 * to the schema; every entities file must read with the schema's hints and conform to the schema.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parsePolicies, parseSchema } from "../../lang/index.js";
import { hasErrors, type Diagnostic } from "../../lang/diagnostics.js";
import { loadSchema } from "../../compiler/schema.js";
import { validatePolicies } from "../../compiler/validate.js";
import { contextHintFor, entityHintFor, validateEntities, validateRequest } from "../../compiler/input-validate.js";
import { entitiesFromJson, entityUidFromJson, valueFromJson, type JsonValue } from "../../stdlib/json.js";
import { EntityUID, RecordValue } from "../../stdlib/value.js";
import { conformanceData, describeConformance } from "../support/conformance.js";

const cedar = conformanceData("cedar");
const ROOT = cedar.dir;
/** Exact number of test files in the corpus: a partly missing corpus fails. */
const TEST_FILES = 22;

interface TestFile {
  readonly policies: string;
  readonly schema: string;
  readonly entities: string;
  readonly shouldValidate: boolean;
  readonly requests: readonly { readonly desc: string; readonly principal: JsonValue; readonly action: JsonValue; readonly resource: JsonValue; readonly context: JsonValue }[];
}

function testFiles(): string[] {
  const dir = join(ROOT, "tests");
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      readdirSync(join(dir, d.name))
        .filter((f) => f.endsWith(".json"))
        .map((f) => join("tests", d.name, f)),
    )
    .sort();
}

function load(rel: string): { test: TestFile; diagnostics: Diagnostic[]; schema: ReturnType<typeof loadSchema>["schema"] } {
  const test = JSON.parse(readFileSync(join(ROOT, rel), "utf8")) as TestFile;
  const schemaSrc = readFileSync(join(ROOT, test.schema), "utf8");
  const policySrc = readFileSync(join(ROOT, test.policies), "utf8");
  const ps = parseSchema(schemaSrc, test.schema);
  const diagnostics: Diagnostic[] = [...ps.diagnostics];
  const loaded = ps.ast === undefined ? undefined : loadSchema(ps.ast);
  diagnostics.push(...(loaded?.diagnostics ?? []));
  const pp = parsePolicies(policySrc, test.policies);
  diagnostics.push(...pp.diagnostics);
  if (loaded?.schema !== undefined && pp.ast !== undefined) diagnostics.push(...validatePolicies(pp.ast, loaded.schema).diagnostics);
  return { test, diagnostics, schema: loaded?.schema };
}

function uid(j: JsonValue): EntityUID {
  const r = entityUidFromJson(j);
  if (!r.ok) throw new Error(r.error);
  return r.uid;
}

const FILES = cedar.present ? testFiles() : [];

describeConformance("validation verdict on Cedar's integration tests", cedar, () => {
  it("finds the 22 test files", () => {
    expect(FILES.length).toBe(TEST_FILES);
  });

  it.each(FILES)("%s", (rel) => {
    const { test, diagnostics } = load(rel);
    expect(hasErrors(diagnostics), diagnostics.map((d) => `${d.code} ${d.message}`).join("\n")).toBe(!test.shouldValidate);
  });

  it.each(FILES)("requests of %s conform to the schema", (rel) => {
    const { test, schema } = load(rel);
    expect(schema).toBeDefined();
    for (const r of test.requests) {
      const action = uid(r.action);
      const ctx = valueFromJson(r.context, contextHintFor(schema!, action.key));
      expect(ctx.ok, r.desc).toBe(true);
      if (!ctx.ok) continue;
      expect(ctx.value).toBeInstanceOf(RecordValue);
      const diags = validateRequest(schema!, { principal: uid(r.principal), action, resource: uid(r.resource), context: ctx.value as RecordValue });
      expect(diags, r.desc).toEqual([]);
    }
  });

  it.each(FILES)("entities of %s read with the schema's hints", (rel) => {
    const { test, schema } = load(rel);
    const json = JSON.parse(readFileSync(join(ROOT, test.entities), "utf8")) as JsonValue;
    const r = entitiesFromJson(json, entityHintFor(schema!));
    expect(r.diagnostics).toEqual([]);
    expect(r.entities).toBeDefined();
    expect(validateEntities(schema!, r.entities!)).toEqual([]);
  });
});
