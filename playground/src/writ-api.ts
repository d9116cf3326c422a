/// <reference types="vite/client" />
/**
 * The one adapter between the playground and the Writ pipeline (runs in the web worker).
 *
 * The public entry points of `lang/`, `compiler/` and `stdlib/` are picked up with
 * Vite's eager `import.meta.glob`: when an entry module exists it is bundled and its
 * functions are used; when a function is missing the adapter reports the capability as
 * absent and degrades (a lexer-only syntax check, no Run). Swapping stubs for the real
 * pipeline therefore needs no change anywhere else.
 *
 * NOTE: only browser-safe modules are imported (the public `index` modules of lang,
 * compiler and stdlib, and the runtime's lineage proof check, which is browser-safe);
 * nothing here touches Node built-ins.
 */
import type { Expr, PolicySet } from "../../lang/ast.js";
import type { Type as CheckerType } from "../../compiler/types.js";
import type { SchemaFile } from "../../lang/schema-ast.js";
import { Lexer } from "chevrotain";
import { writLexer, tokenClasses, allTokens } from "../../lang/tokens.js";
import { verifyProof } from "../../runtime/lineage/proof.js";
import type { Capabilities, TokenDef } from "./protocol.js";

/** A diagnostic as any stage reports it (stdlib may omit span, severity or help). */
export interface AnyDiagnostic {
  readonly code: string;
  readonly message: string;
  readonly severity?: "error" | "warning" | "info";
  readonly span?: { readonly start: number; readonly end: number };
  readonly help?: string;
}

/** Result shape shared by the stage entry functions. */
export interface StageResult<T> {
  readonly value: T | undefined;
  readonly diagnostics: readonly AnyDiagnostic[];
}

/** The decision returned by a compiled program (the governance fields are absent in older compilers). */
export interface DecisionLike {
  readonly decision: "allow" | "deny";
  readonly reasons: readonly string[];
  readonly errors: readonly { policy: string; code: string; message: string }[];
  readonly determining?: readonly { name: string; index: number; reason?: string }[];
  readonly obligations?: Readonly<Record<string, unknown>>;
  readonly shadow?: readonly { name: string; effect: "permit" | "forbid"; satisfied: boolean; error?: string }[];
}

/** A compiled program: one pure decision function. */
export interface ProgramLike {
  decide(request: unknown, entities: unknown): DecisionLike;
}

type Fn = (...args: never[]) => unknown;
type Module = Record<string, unknown>;

const langModules = import.meta.glob<Module>("../../lang/index.ts", { eager: true });
const compilerModules = import.meta.glob<Module>("../../compiler/index.ts", { eager: true });
const stdlibModules = import.meta.glob<Module>("../../stdlib/index.ts", { eager: true });

const lang: Module = langModules["../../lang/index.ts"] ?? {};
const compiler: Module = compilerModules["../../compiler/index.ts"] ?? {};
const stdlib: Module = stdlibModules["../../stdlib/index.ts"] ?? {};

function fn(mod: Module, name: string): ((...args: unknown[]) => unknown) | undefined {
  const f = mod[name];
  return typeof f === "function" ? (f as Fn as (...args: unknown[]) => unknown) : undefined;
}

/** Which pipeline stages are available in this build. */
export function capabilities(): Capabilities {
  return {
    parser: fn(lang, "parsePolicies") !== undefined,
    schemaParser: fn(lang, "parseSchema") !== undefined,
    formatter: fn(lang, "formatPolicies") !== undefined,
    schemaFormatter: fn(lang, "formatSchema") !== undefined,
    schemaLoader: fn(compiler, "loadSchema") !== undefined,
    validator: fn(compiler, "validatePolicies") !== undefined,
    compiler: fn(compiler, "compile") !== undefined,
    entities: fn(stdlib, "entitiesFromJson") !== undefined,
    request: fn(compiler, "requestFromJson") !== undefined,
  };
}

function diagnosticsOf(r: unknown): AnyDiagnostic[] {
  if (r !== null && typeof r === "object" && Array.isArray((r as { diagnostics?: unknown }).diagnostics)) {
    return (r as { diagnostics: AnyDiagnostic[] }).diagnostics;
  }
  return [];
}

function field<T>(r: unknown, name: string): T | undefined {
  if (r !== null && typeof r === "object" && name in r) return (r as Record<string, T>)[name];
  return undefined;
}

/** Lexer-only check used until the parser lands: unknown characters and unterminated strings. */
function lexOnly(src: string): AnyDiagnostic[] {
  const out: AnyDiagnostic[] = [];
  for (const t of writLexer.tokenize(src).tokens) {
    const span = { start: t.startOffset, end: t.startOffset + t.image.length };
    if (t.tokenType.name === "Unknown") out.push({ code: "W1005", severity: "error", message: `unexpected character \`${t.image}\``, span });
    if (t.tokenType.name === "UnterminatedString") out.push({ code: "W1002", severity: "error", message: "unterminated string literal", span });
  }
  return out;
}

/** Parse a policy file; without the parser, only lexical errors are reported. */
export function parsePolicies(src: string): StageResult<PolicySet> {
  const f = fn(lang, "parsePolicies");
  if (f === undefined) return { value: undefined, diagnostics: lexOnly(src) };
  const r = f(src, "policies.cedar");
  return { value: field<PolicySet>(r, "ast"), diagnostics: diagnosticsOf(r) };
}

/** Parse a schema file (human-readable Cedar schema syntax). */
export function parseSchema(src: string): StageResult<SchemaFile> {
  const f = fn(lang, "parseSchema");
  if (f === undefined) return { value: undefined, diagnostics: lexOnly(src) };
  const r = f(src, "schema.cedarschema");
  return { value: field<SchemaFile>(r, "ast"), diagnostics: diagnosticsOf(r) };
}

/** Format policies the way `writ fmt` does; undefined when no formatter is available. */
export function formatPolicies(ast: PolicySet, src: string): string | undefined {
  const f = fn(lang, "formatPolicies");
  if (f === undefined) return undefined;
  const r = f(ast, src);
  return typeof r === "string" ? r : undefined;
}

/** Format a schema the way `writ fmt` does; undefined when no formatter is available. */
export function formatSchema(ast: SchemaFile, src: string): string | undefined {
  const f = fn(lang, "formatSchema");
  if (f === undefined) return undefined;
  const r = f(ast, src);
  return typeof r === "string" ? r : undefined;
}

/** Load (resolve) a parsed schema; the schema value is opaque to the playground. */
export function loadSchema(ast: SchemaFile): StageResult<unknown> {
  const f = fn(compiler, "loadSchema");
  if (f === undefined) return { value: undefined, diagnostics: [] };
  const r = f(ast);
  return { value: field<unknown>(r, "schema"), diagnostics: diagnosticsOf(r) };
}

/** Validate policies against a loaded schema (strict, like Cedar); the value is the checker's type side table. */
export function validatePolicies(ast: PolicySet, schema: unknown): StageResult<ReadonlyMap<Expr, CheckerType>> {
  const f = fn(compiler, "validatePolicies");
  if (f === undefined) return { value: undefined, diagnostics: [] };
  const r = f(ast, schema);
  const types = field<unknown>(r, "types");
  return { value: types instanceof Map ? (types as ReadonlyMap<Expr, CheckerType>) : undefined, diagnostics: diagnosticsOf(r) };
}

/** Compile policies into a decision function. */
export function compile(ast: PolicySet, semantics: "fail-closed" | "cedar"): StageResult<ProgramLike> {
  const f = fn(compiler, "compile");
  if (f === undefined) return { value: undefined, diagnostics: [] };
  const r = f(ast, { semantics });
  return { value: field<ProgramLike>(r, "program"), diagnostics: diagnosticsOf(r) };
}

function hintFor(schema: unknown): unknown {
  const f = fn(compiler, "entityHintFor");
  return schema !== undefined && f !== undefined ? f(schema) : undefined;
}

/** The part of a loaded schema this adapter reads: its actions and their groups. */
interface SchemaActions {
  readonly actions: Readonly<Record<string, { readonly type: string; readonly id: string; readonly key: string; readonly memberOf: readonly string[] }>>;
}

function uidKeyOfJson(e: unknown): string | undefined {
  const uid = field<unknown>(e, "uid");
  const inner = field<unknown>(uid, "__entity") ?? uid;
  const type = field<unknown>(inner, "type");
  const id = field<unknown>(inner, "id");
  return typeof type === "string" && typeof id === "string" ? `${type}::${JSON.stringify(id)}` : undefined;
}

/**
 * The schema's actions (with their groups as parents) as entities JSON, for those the
 * file does not declare itself — as Cedar does when entities are read with a schema.
 */
export function actionEntitiesJson(schema: unknown, json: readonly unknown[]): unknown[] {
  const actions = field<SchemaActions["actions"]>(schema, "actions");
  if (actions === undefined) return [];
  const present = new Set(json.map(uidKeyOfJson));
  const out: unknown[] = [];
  for (const a of Object.values(actions)) {
    if (present.has(a.key)) continue;
    const parents = a.memberOf.flatMap((k) => {
      const p = actions[k];
      return p === undefined ? [] : [{ type: p.type, id: p.id }];
    });
    out.push({ uid: { type: a.type, id: a.id }, attrs: {}, parents });
  }
  return out;
}

/** Build the entity store from Cedar entities JSON (schema-directed, with the schema's actions, when a schema is loaded). */
export function entitiesFromJson(json: unknown, schema: unknown): StageResult<unknown> {
  const f = fn(stdlib, "entitiesFromJson");
  if (f === undefined) return { value: undefined, diagnostics: [] };
  const hint = hintFor(schema);
  const input = schema !== undefined && Array.isArray(json) ? [...json, ...actionEntitiesJson(schema, json)] : json;
  const r = hint === undefined ? f(input) : f(input, hint);
  return { value: field<unknown>(r, "entities"), diagnostics: diagnosticsOf(r) };
}

/** Build a request from Cedar's request JSON `{principal, action, resource, context}` (context read per the schema). */
export function requestFromJson(json: unknown, schema: unknown): StageResult<unknown> {
  const f = fn(compiler, "requestFromJson");
  if (f === undefined) return { value: undefined, diagnostics: [] };
  const contextHint = fn(compiler, "contextHintFor");
  const r = schema !== undefined && contextHint !== undefined ? f(json, (actionKey: string) => contextHint(schema, actionKey)) : f(json);
  return { value: field<unknown>(r, "request"), diagnostics: diagnosticsOf(r) };
}

/** Check a request against the schema, when the validator offers it. */
export function validateRequest(schema: unknown, request: unknown): readonly AnyDiagnostic[] {
  const f = fn(compiler, "validateRequest");
  if (f === undefined || schema === undefined) return [];
  const r = f(schema, request);
  return Array.isArray(r) ? (r as AnyDiagnostic[]) : diagnosticsOf(r);
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
export function bundleInfo(ast: PolicySet, schema: unknown, semantics: "fail-closed" | "cedar"): BundleInfo {
  const build = fn(compiler, "buildBundle");
  const comp = fn(compiler, "compile");
  const strip = fn(compiler, "stripSpans");
  const pid = fn(compiler, "policyId");
  const policyIds: Record<string, string> = {};
  if (build === undefined || comp === undefined || strip === undefined || pid === undefined) {
    return { policyIds, problem: "bundles are not available in this build" };
  }
  const ir = field<{ policies?: readonly { name: string }[] }>(comp(ast, { semantics }), "ir");
  for (const p of ir?.policies ?? []) {
    const id = pid(strip(p));
    if (typeof id === "string") policyIds[p.name] = id;
  }
  if (schema === undefined) return { policyIds, problem: "the bundle id needs a valid schema" };
  const r = build({ policiesAst: ast, schema, semantics });
  const bundle = field<{ bundleId?: unknown; policies?: readonly { name: string; id: string }[] }>(r, "bundle");
  if (bundle === undefined || typeof bundle.bundleId !== "string") {
    const first = diagnosticsOf(r).find((d) => (d.severity ?? "error") === "error");
    return { policyIds, problem: `no bundle: ${first === undefined ? "the policies do not build" : `${first.code} ${first.message}`}` };
  }
  for (const p of bundle.policies ?? []) policyIds[p.name] = p.id;
  return { policyIds, bundleId: bundle.bundleId };
}

/** The outcome of checking a lineage proof offline (`writ lineage prove` output). */
export type ProofCheckResult = { readonly ok: true; readonly id: string; readonly index: number; readonly size: number; readonly origin: string } | { readonly ok: false; readonly error: string };

/** Check a lineage inclusion proof offline against the key it carries (integrity, not authenticity). */
export function checkLineageProof(proof: unknown): ProofCheckResult {
  try {
    return verifyProof(proof);
  } catch (e) {
    return { ok: false, error: `internal error: ${e instanceof Error ? e.message : String(e)}` };
  }
}
