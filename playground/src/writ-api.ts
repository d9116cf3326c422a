/**
 * The playground's compositions of the Writ pipeline (run in the web worker), over the
 * typed public entries `lang/index.ts`, `compiler/index.ts` and `stdlib/index.ts` (what
 * `writ/lang`, `writ/compiler` and `writ/stdlib` export): parsing with the editors' file
 * names, reading a Run's inputs, bundle and policy ids, proof checks and the token table.
 * The service calls single entry functions (load, validate, compile, format) directly.
 *
 * NOTE: only browser-safe modules are imported: the public entries of lang, compiler and
 * stdlib, and the runtime's lineage proof check (`runtime/lineage/proof.ts`, browser-safe;
 * the browser entry of `writ/runtime` does not export it yet). Nothing here touches Node
 * built-ins.
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
import {
  buildBundle,
  compile,
  contextHintFor,
  entityHintFor,
  policyId,
  requestFromJson,
  stripSpans,
  validateRequest,
  type Request,
  type Schema,
  type Semantics,
} from "../../compiler/index.js";
import { entitiesFromJson, type Entities, type JsonValue } from "../../stdlib/index.js";
import { verifyProof, type ProofCheck } from "../../runtime/lineage/proof.js";
import type { TokenDef } from "./protocol.js";

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
 * Read the entities JSON and the request JSON for a Run: with a loaded schema, entities
 * and the context are read as the schema types them, the schema's actions are added as
 * entities (as Cedar does) and the request is checked against the schema.
 *
 * NOTE: this is the playground's one place that reads inputs. It becomes a call of
 * `loadEntities` from `writ/runtime` (one module that reads entities and requests with a
 * schema) once that lands; nothing else here reads entities or requests.
 */
export function readInputs(entitiesJson: unknown, requestJson: unknown, schema: Schema | undefined): Inputs {
  const entityInput = schema !== undefined && Array.isArray(entitiesJson) ? [...entitiesJson, ...actionEntitiesJson(schema, entitiesJson)] : entitiesJson;
  const entities = schema === undefined ? entitiesFromJson(entityInput as JsonValue) : entitiesFromJson(entityInput as JsonValue, entityHintFor(schema));
  const request = schema === undefined ? requestFromJson(requestJson) : requestFromJson(requestJson, (actionKey: string) => contextHintFor(schema, actionKey));
  const checked = schema !== undefined && request.request !== undefined ? validateRequest(schema, request.request) : [];
  return {
    entities: entities.entities,
    request: request.request,
    entityDiagnostics: entities.diagnostics,
    requestDiagnostics: [...request.diagnostics, ...checked],
  };
}

function field(r: unknown, name: string): unknown {
  return r !== null && typeof r === "object" && name in r ? (r as Record<string, unknown>)[name] : undefined;
}

function uidKeyOfJson(e: unknown): string | undefined {
  const uid = field(e, "uid");
  const inner = field(uid, "__entity") ?? uid;
  const type = field(inner, "type");
  const id = field(inner, "id");
  return typeof type === "string" && typeof id === "string" ? `${type}::${JSON.stringify(id)}` : undefined;
}

/**
 * The schema's actions (with their groups as parents) as entities JSON, for those the
 * file does not declare itself — as Cedar does when entities are read with a schema.
 */
function actionEntitiesJson(schema: Schema, json: readonly unknown[]): unknown[] {
  const present = new Set(json.map(uidKeyOfJson));
  const out: unknown[] = [];
  for (const a of Object.values(schema.actions)) {
    if (present.has(a.key)) continue;
    const parents = a.memberOf.flatMap((k) => {
      const p = schema.actions[k];
      return p === undefined ? [] : [{ type: p.type, id: p.id }];
    });
    out.push({ uid: { type: a.type, id: a.id }, attrs: {}, parents });
  }
  return out;
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
export function checkLineageProof(proof: unknown): ProofCheck {
  return verifyProof(proof);
}
