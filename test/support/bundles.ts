/**
 * Bundle fixtures for runtime tests: the doc-sharing example compiled into a bundle, and
 * helpers to read its request/entities files.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parsePolicies, parseSchema } from "../../lang/index.js";
import { loadSchema } from "../../compiler/index.js";
import { buildBundle, type Bundle } from "../../compiler/bundle.js";
import type { Semantics } from "../../compiler/decide.js";

/** The doc-sharing example folder (relative to the project root). */
export const EXAMPLE_DIR = resolve(process.cwd(), "examples/doc-sharing");

/** Read a JSON file of the example folder. */
export function exampleJson(name: string): unknown {
  return JSON.parse(readFileSync(resolve(EXAMPLE_DIR, name), "utf8"));
}

/** Build a bundle from policy and schema text (throws when it does not build). */
export function bundleFrom(policies: string, schema: string, opts: { semantics?: Semantics; sequence?: number } = {}): Bundle {
  const p = parsePolicies(policies);
  const s = loadSchema(parseSchema(schema).ast!);
  if (p.ast === undefined || s.schema === undefined) throw new Error("fixture does not parse");
  const b = buildBundle({ policiesAst: p.ast, schema: s.schema, ...opts });
  if (b.bundle === undefined) throw new Error(b.diagnostics.map((d) => `${d.code} ${d.message}`).join("; "));
  return b.bundle;
}

/** The doc-sharing example as a bundle (round-tripped through JSON text). */
export function exampleBundle(opts: { semantics?: Semantics; sequence?: number } = {}): Bundle {
  const b = bundleFrom(readFileSync(resolve(EXAMPLE_DIR, "policies.cedar"), "utf8"), readFileSync(resolve(EXAMPLE_DIR, "schema.cedarschema"), "utf8"), opts);
  return JSON.parse(JSON.stringify(b)) as Bundle;
}
