/**
 * Every `.cedar` policy file and `.cedarschema` schema file of the Cedar conformance corpus
 * (`../shared/conformance/cedar`, relative to the project root) parses without diagnostics.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { formatDiagnostic, parsePolicies, parseSchema } from "../../lang/index.js";
import { conformanceData, describeConformance } from "../support/conformance.js";

const cedar = conformanceData("cedar");
const ROOT = cedar.dir;
/** Exact file counts of the corpus: a partly missing corpus fails. */
const POLICY_FILES = 22;
const SCHEMA_FILES = 3;

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

const files = cedar.present ? walk(ROOT) : [];
const policyFiles = files.filter((f) => f.endsWith(".cedar"));
const schemaFiles = files.filter((f) => f.endsWith(".cedarschema"));

describeConformance("conformance corpus parses cleanly", cedar, () => {
  it("finds the corpus", () => {
    expect(policyFiles.length).toBe(POLICY_FILES);
    expect(schemaFiles.length).toBe(SCHEMA_FILES);
  });

  it.each(policyFiles.map((f) => [relative(ROOT, f), f]))("policies %s", (_name, file) => {
    const src = readFileSync(file, "utf8");
    const r = parsePolicies(src, file);
    expect(r.diagnostics.map((d) => formatDiagnostic(d, src))).toEqual([]);
    expect(r.ast!.policies.length).toBeGreaterThan(0);
  });

  it.each(schemaFiles.map((f) => [relative(ROOT, f), f]))("schema %s", (_name, file) => {
    const src = readFileSync(file, "utf8");
    const r = parseSchema(src, file);
    expect(r.diagnostics.map((d) => formatDiagnostic(d, src))).toEqual([]);
    expect(r.ast!.items.length).toBeGreaterThan(0);
  });
});
