/**
 * The CLI's one adapter over the language pipeline: parse, load a schema,
 * validate, read entities and requests (schema-directed when a schema is
 * given), compile. Everything returns values + diagnostics; nothing here
 * prints or exits.
 */
import type { LinkDecl, Policy, PolicySet } from "../lang/ast.js";
import { hasErrors, withFile, type Diagnostic } from "../lang/diagnostics.js";
import { parsePolicies, parseSchema } from "../lang/index.js";
import { compile, loadSchema, readEntities, readRequest, validatePolicies, type CompiledPolicies, type Request, type Schema } from "../compiler/index.js";
import type { Entities, JsonValue } from "../stdlib/index.js";
import { diagnosticLine, type Semantics, type Staged, type TextFile } from "./io.js";
import { isJsonPath, policiesFromJsonFile, schemaFromJsonFile } from "./formats.js";

export type { Staged } from "./io.js";

/** A failed stage of another type carrying the same problems (its value is undefined). */
export function failedAs<T>(s: Staged<unknown>): Staged<T> {
  return { ...s, value: undefined };
}

/** A stage that failed before producing diagnostics, with ready one-line messages. */
export function failedWith<T>(lines: readonly string[]): Staged<T> {
  return { value: undefined, diagnostics: [], failure: lines };
}

/** One-line renderings of the error diagnostics of a stage (warnings left out). */
export function errorLines(s: Staged<unknown>, fallbackFile?: string): string[] {
  if (s.failure !== undefined) return [...s.failure];
  return s.diagnostics
    .filter((d) => d.severity === "error")
    .map((d) => diagnosticLine(d, s.source?.text, d.file ?? s.source?.name ?? fallbackFile));
}

/** Parse a policy file (Cedar's JSON policy format when it is a `.json` file). */
export function policiesFrom(file: TextFile): Staged<PolicySet> {
  if (isJsonPath(file.path)) return policiesFromJsonFile(file);
  const r = parsePolicies(file.text, file.name);
  const diagnostics = withFile(r.diagnostics, file.name);
  return { value: hasErrors(diagnostics) ? undefined : r.ast, diagnostics, source: file };
}

/** Parse and load a schema file (Cedar's JSON schema format when it is a `.json` file). */
export function schemaFrom(file: TextFile): Staged<Schema> {
  if (isJsonPath(file.path)) return schemaFromJsonFile(file);
  const parsed = parseSchema(file.text, file.name);
  const pd = withFile(parsed.diagnostics, file.name);
  if (parsed.ast === undefined || hasErrors(pd)) return { value: undefined, diagnostics: pd, source: file };
  const loaded = loadSchema(parsed.ast);
  const diagnostics = [...pd, ...withFile(loaded.diagnostics, file.name)];
  return { value: hasErrors(diagnostics) ? undefined : loaded.schema, diagnostics, source: file };
}

/** Validate a parsed policy file against a schema; the value is true when it validates. */
export function validationOf(policies: PolicySet, schema: Schema, file: TextFile): Staged<boolean> {
  const r = validatePolicies(policies, schema);
  const diagnostics = withFile(r.diagnostics, file.name);
  return { value: !hasErrors(diagnostics), diagnostics, source: file };
}

/** Join the policies of several files into one set (names `policyN` count across files in order). */
export function mergePolicySets(sets: readonly PolicySet[]): PolicySet {
  if (sets.length === 1) return sets[0]!;
  const policies: Policy[] = [];
  const links: LinkDecl[] = [];
  for (const s of sets) policies.push(...s.policies);
  for (const s of sets) links.push(...(s.links ?? []));
  return { kind: "policySet", policies, comments: [], ...(links.length === 0 ? {} : { links }), span: { start: 0, end: 0 } };
}

/** Compile a policy set under the given semantics. */
export function programFrom(policies: PolicySet, semantics: Semantics, file?: TextFile): Staged<CompiledPolicies> {
  const r = compile(policies, { semantics });
  const diagnostics = file === undefined ? r.diagnostics : withFile(r.diagnostics, file.name);
  return file === undefined ? { value: r.program, diagnostics } : { value: r.program, diagnostics, source: file };
}

/**
 * Read an entities file. With a schema, attributes are read as the schema types them, the
 * schema's actions (with their groups) are added as entities unless the file declares them
 * itself, and the entities are checked against the schema — as Cedar does when it reads
 * entities with a schema (see `compiler/inputs.ts`).
 */
export function entitiesFrom(file: TextFile | undefined, json: JsonValue, schema: Schema | undefined): Staged<Entities> {
  const r = readEntities(json, schema);
  return { value: r.entities, diagnostics: file === undefined ? r.diagnostics : withFile(r.diagnostics, file.name) };
}

/**
 * Read a request from Cedar's JSON shape, the context directed by the schema's
 * type for the request's action. With `validate`, also check the request against
 * the schema (W5006).
 */
export function requestFrom(json: JsonValue, schema: Schema | undefined, validate: boolean, fileName?: string): Staged<Request> {
  const r = readRequest(json, schema, { validate });
  return { value: r.request, diagnostics: fileName === undefined ? r.diagnostics : withFile(r.diagnostics, fileName) };
}
