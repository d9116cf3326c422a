/**
 * The playground's compositions of the Writ pipeline (run in the web worker), over the
 * typed public entries `lang/index.ts`, `compiler/index.ts` and `stdlib/index.ts` (what
 * `writ/lang`, `writ/compiler` and `writ/stdlib` export): parsing with the editors' file
 * names, reading a Run's inputs, bundle and policy ids, proof checks and the token table.
 * The service calls single entry functions (load, validate, compile, format) directly.
 *
 * NOTE: only browser-safe modules are imported: the public entries of lang, compiler and
 * stdlib, and the browser entry of the runtime (for the lineage proof check). Nothing here
 * touches Node built-ins.
 */
import { Lexer } from "chevrotain";
import {
  allTokens,
  parsePolicies as parsePolicyText,
  parseSchema as parseSchemaText,
  tokenClasses,
  type Diagnostic,
  type ParsePoliciesResult,
  type ParseSchemaResult,
  type PolicySet,
} from "../../lang/index.js";
import { buildBundle, compile, policyId, readEntities, readRequest, stripSpans, type Request, type Schema, type Semantics } from "../../compiler/index.js";
import type { Entities } from "../../stdlib/index.js";
import { verifyProof } from "../../runtime/browser.js";
import type { ProofCheckInfo, TokenDef } from "./protocol.js";

/** The file names diagnostics carry (the editors' names as `writ check` would print them). */
const POLICY_FILE = "policies.cedar";
const SCHEMA_FILE = "schema.cedarschema";

/** Parse the policy editor's text. */
export function parsePolicies(src: string): ParsePoliciesResult {
  return parsePolicyText(src, POLICY_FILE);
}

/** Parse the schema editor's text (human-readable Cedar schema syntax). */
export function parseSchema(src: string): ParseSchemaResult {
  return parseSchemaText(src, SCHEMA_FILE);
}

/** The entities and the request of a Run, each with the diagnostics of its editor. */
export interface Inputs {
  readonly entities: Entities | undefined;
  readonly request: Request | undefined;
  readonly entityDiagnostics: readonly Diagnostic[];
  /** Reading errors, then (when the request reads) its check against the schema (W5006). */
  readonly requestDiagnostics: readonly Diagnostic[];
}

/**
 * Read the entities JSON and the request JSON for a Run with `readEntities` / `readRequest`
 * of `writ/compiler` — the one module that reads inputs with a schema for the CLI, the
 * runtime and the playground: with a loaded schema, entities and the context are read as
 * the schema types them, the schema's actions are added as entities (as Cedar does), the
 * entities are checked against the schema and the request is validated (W5006).
 */
export function readInputs(entitiesJson: unknown, requestJson: unknown, schema: Schema | undefined): Inputs {
  const entities = readEntities(entitiesJson, schema);
  const request = readRequest(requestJson, schema);
  return {
    entities: entities.entities,
    request: request.request,
    entityDiagnostics: entities.diagnostics,
    requestDiagnostics: request.diagnostics,
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** The lexer's token table, serialised for the page's Monarch highlighter (one source of truth). */
export function tokenTable(): TokenDef[] {
  const out: TokenDef[] = [];
  for (const t of allTokens) {
    const p = t.PATTERN;
    let source: string;
    if (p === Lexer.NA) continue; // categories match nothing themselves
    if (p instanceof RegExp) source = p.source;
    else if (typeof p === "string") source = escapeRegExp(p);
    else continue; // custom matchers are not highlightable
    const cls = tokenClasses[t.name] ?? (t.GROUP === "comments" ? "comment" : "identifier");
    out.push({ name: t.name, source, cls, wordBoundary: t.LONGER_ALT !== undefined });
  }
  return out;
}

/** Content ids of a policy set: per-policy ids always (when it lowers), the bundle id with a schema. */
export interface BundleInfo {
  /** `sha256:…` id of each policy, by policy name. */
  readonly policyIds: Readonly<Record<string, string>>;
  readonly bundleId?: string;
  /** Why there is no bundle id. */
  readonly problem?: string;
}

/**
 * The bundle `writ build` would make of these inputs (unsigned, sequence 0): its id and the
 * id of each policy. Policy ids come from the lowered IR even without a schema.
 */
export function bundleInfo(ast: PolicySet, schema: Schema | undefined, semantics: Semantics): BundleInfo {
  const policyIds: Record<string, string> = {};
  for (const p of compile(ast, { semantics }).ir?.policies ?? []) policyIds[p.name] = policyId(stripSpans(p));
  if (schema === undefined) return { policyIds, problem: "the bundle id needs a valid schema" };
  const r = buildBundle({ policiesAst: ast, schema, semantics });
  if (r.bundle === undefined) {
    const first = r.diagnostics.find((d) => d.severity === "error");
    return { policyIds, problem: `no bundle: ${first === undefined ? "the policies do not build" : `${first.code} ${first.message}`}` };
  }
  for (const p of r.bundle.policies) policyIds[p.name] = p.id;
  return { policyIds, bundleId: r.bundle.bundleId };
}

/** Check a lineage inclusion proof offline against the key it carries (integrity, not authenticity). Never throws. */
export function checkLineageProof(proof: unknown): ProofCheckInfo {
  const r = verifyProof(proof);
  return r.ok ? r : { ok: false, error: r.problem.message };
}
