/**
 * The playground's language service: analysis (markers), Run, Format and hover over
 * the whole editor state. It runs inside the Writ web worker (`writ-worker.ts`) and
 * calls the pipeline only through `writ-api.ts`; it reads nothing but its inputs.
 */
import type { Type as CheckerType } from "../../compiler/types.js";
import type { Expr, PolicySet } from "../../lang/ast.js";
import type { SchemaFile } from "../../lang/schema-ast.js";
import { hoverAt, policyName } from "./hover.js";
import { parseJson, topLevelMembers, type TopLevelMember } from "./json-check.js";
import {
  emptyMarkers,
  type AnalyzeResult,
  type DeterminingDetail,
  type HoverResult,
  type EditorId,
  type FormatResult,
  type Marker,
  type MarkersByEditor,
  type PlaygroundState,
  type PolicyInfo,
  type RunResult,
  type WorkerRequest,
} from "./protocol.js";
import { schemaModel, type SchemaModel } from "./schema-summary.js";
import * as api from "./writ-api.js";

/** Everything derived from one state, shared by analyze, run and hover. */
interface Analysis {
  readonly markers: MarkersByEditor;
  readonly policySet: PolicySet | undefined;
  readonly policies: PolicyInfo[];
  readonly schemaAst: SchemaFile | undefined;
  readonly schema: unknown;
  readonly model: SchemaModel;
  /** The validator's type of each expression, when the validator ran. */
  readonly types: ReadonlyMap<Expr, CheckerType> | undefined;
  readonly entitiesJson: unknown;
  readonly requestJson: unknown;
}

function toMarker(d: api.AnyDiagnostic, text: string): Marker {
  const span = d.span ?? { start: 0, end: Math.max(1, text.indexOf("\n") < 0 ? text.length : text.indexOf("\n")) };
  const m: { -readonly [K in keyof Marker]: Marker[K] } = {
    code: d.code,
    severity: d.severity ?? "error",
    message: d.message,
    start: span.start,
    end: Math.max(span.end, span.start + 1),
  };
  if (d.help !== undefined) m.help = d.help;
  return m;
}

/**
 * Place input diagnostics that carry no useful span (entities and request JSON) on the
 * member they name: `entity #3` → the fourth array element, `principal` → that field.
 */
function locate(editor: EditorId, d: api.AnyDiagnostic, text: string): api.AnyDiagnostic {
  if ((editor !== "entities" && editor !== "request") || (d.span !== undefined && d.span.end > d.span.start)) return d;
  const members = topLevelMembers(text);
  let hit: TopLevelMember | undefined;
  if (editor === "entities") {
    const n = /entity #(\d+)/.exec(d.message);
    if (n !== null) hit = members.filter((m) => m.key === undefined)[Number(n[1])];
  } else {
    const k = /`(principal|action|resource|context)`/.exec(d.message);
    if (k !== null) hit = members.find((m) => m.key === k[1]);
  }
  return hit === undefined ? d : { ...d, span: { start: hit.start, end: hit.end } };
}

function addAll(markers: MarkersByEditor, editor: EditorId, diags: readonly api.AnyDiagnostic[], text: string): void {
  for (const d of diags) markers[editor].push(toMarker(locate(editor, d, text), text));
}

function jsonInput(markers: MarkersByEditor, editor: EditorId, text: string): unknown {
  if (text.trim() === "") return undefined;
  const r = parseJson(text);
  if (r.ok) return r.value;
  markers[editor].push({ code: "W5002", severity: "error", message: `malformed JSON: ${r.message}`, start: r.offset, end: Math.min(text.length, r.offset + 1) || 1 });
  return undefined;
}

let cache: { key: string; analysis: Analysis } | undefined;

/** Parse and check every editor; memoised on the exact state. */
function analyze(state: PlaygroundState): Analysis {
  const key = JSON.stringify([state.policies, state.schema, state.entities, state.request]);
  if (cache !== undefined && cache.key === key) return cache.analysis;
  const markers = emptyMarkers();

  const parsed = api.parsePolicies(state.policies);
  addAll(markers, "policies", parsed.diagnostics, state.policies);
  const policySet = parsed.value;
  const policies: PolicyInfo[] = (policySet?.policies ?? []).map((p, i) => {
    const reason = p.annotations.find((a) => a.name === "reason")?.value;
    const info = { name: policyName(p, i), effect: p.effect, start: p.span.start, end: p.span.end };
    return reason === undefined ? info : { ...info, reason };
  });

  let schemaAst: SchemaFile | undefined;
  let schema: unknown;
  if (state.schema.trim() !== "") {
    const ps = api.parseSchema(state.schema);
    addAll(markers, "schema", ps.diagnostics, state.schema);
    schemaAst = ps.value;
    if (schemaAst !== undefined && ps.diagnostics.every((d) => (d.severity ?? "error") !== "error")) {
      const loaded = api.loadSchema(schemaAst);
      addAll(markers, "schema", loaded.diagnostics, state.schema);
      schema = loaded.value;
    }
  }
  let types: ReadonlyMap<Expr, CheckerType> | undefined;
  if (policySet !== undefined && schema !== undefined && parsed.diagnostics.length === 0) {
    const validated = api.validatePolicies(policySet, schema);
    addAll(markers, "policies", validated.diagnostics, state.policies);
    types = validated.value;
  }
  const entitiesJson = jsonInput(markers, "entities", state.entities);
  const requestJson = jsonInput(markers, "request", state.request);
  const analysis: Analysis = { markers, policySet, policies, schemaAst, schema, model: schemaModel(schemaAst), types, entitiesJson, requestJson };
  cache = { key, analysis };
  return analysis;
}

function copyMarkers(m: MarkersByEditor): MarkersByEditor {
  return { policies: [...m.policies], schema: [...m.schema], entities: [...m.entities], request: [...m.request] };
}

/** Live diagnostics, policy names and the schema summary of a state. */
export function analyzeResult(state: PlaygroundState): AnalyzeResult {
  const a = analyze(state);
  return { markers: a.markers, policies: a.policies, schema: a.model.summary, capabilities: api.capabilities() };
}

/** Decide the request; every reason a decision cannot be made becomes a problem line. */
export function run(state: PlaygroundState): RunResult {
  const a = analyze(state);
  const markers = copyMarkers(a.markers);
  const problems: string[] = [];
  const caps = api.capabilities();
  const none = (): RunResult => ({ reasons: [], errors: [], determining: [], erroring: [], problems, markers });

  if (!caps.parser) problems.push("the policy parser is not available in this build");
  else if (a.policySet === undefined || a.markers.policies.some((m) => m.severity === "error" && m.code.startsWith("W1"))) problems.push("the policies do not parse");
  if (!caps.compiler) problems.push("the compiler is not available in this build");
  if (!caps.entities) problems.push("entity loading is not available in this build");
  if (!caps.request) problems.push("request loading is not available in this build");
  if (a.markers.entities.length > 0) problems.push("the entities JSON is malformed");
  if (a.markers.request.length > 0) problems.push("the request JSON is malformed");
  if (a.requestJson === undefined && a.markers.request.length === 0) problems.push("the request is empty");
  if (problems.length > 0 || a.policySet === undefined) return none();

  const entities = api.entitiesFromJson(a.entitiesJson ?? [], a.schema);
  addAll(markers, "entities", entities.diagnostics, state.entities);
  const request = api.requestFromJson(a.requestJson, a.schema);
  addAll(markers, "request", request.diagnostics, state.request);
  if (request.value !== undefined) addAll(markers, "request", api.validateRequest(a.schema, request.value), state.request);
  const compiled = api.compile(a.policySet, state.semantics);
  addAll(markers, "policies", compiled.diagnostics, state.policies);
  if (entities.value === undefined) problems.push("the entities are invalid");
  if (request.value === undefined) problems.push("the request is invalid");
  if (compiled.value === undefined) problems.push("the policies do not compile");
  if (entities.value === undefined || request.value === undefined || compiled.value === undefined) return none();

  const d = compiled.value.decide(request.value, entities.value);
  const reasons = [...d.reasons];
  const determining = a.policies.filter((p) => reasons.includes(p.name));
  const erroring = a.policies.filter((p) => d.errors.some((e) => e.policy === p.name));
  const errors = d.errors.map((e) => ({ policy: e.policy, code: e.code, message: e.message }));
  const ids = idsOf(a, state.semantics);
  const determiningDetails = reasons.map((name): DeterminingDetail => {
    const reason = d.determining?.find((x) => x.name === name)?.reason ?? a.policies.find((p) => p.name === name)?.reason;
    const id = ids.policyIds[name];
    return { name, ...(reason === undefined ? {} : { reason }), ...(id === undefined ? {} : { id }) };
  });
  const governance = {
    determiningDetails,
    policyIds: ids.policyIds,
    ...(d.obligations === undefined ? {} : { obligations: plainJson(d.obligations) as Record<string, unknown> }),
    ...(d.shadow === undefined ? {} : { shadow: d.shadow.map((x) => ({ name: x.name, effect: x.effect, satisfied: x.satisfied, ...(x.error === undefined ? {} : { error: x.error }) })) }),
    ...(ids.bundleId === undefined ? {} : { bundleId: ids.bundleId }),
    ...(ids.problem === undefined ? {} : { bundleProblem: ids.problem }),
  };
  return { decision: d.decision, reasons, errors, determining, erroring, problems, markers, ...governance };
}

/** A value as plain JSON for display: bigint Longs become numbers (or decimal strings beyond 2^53). */
export function plainJson(v: unknown): unknown {
  if (typeof v === "bigint") return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(plainJson);
  if (v instanceof Map) return Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), plainJson(x)]));
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = plainJson(x);
    return out;
  }
  return v;
}

let idCache: { analysis: Analysis; semantics: string; info: api.BundleInfo } | undefined;

/** The bundle and policy ids of an analysed state (memoised per analysis and semantics). */
function idsOf(a: Analysis, semantics: "fail-closed" | "cedar"): api.BundleInfo {
  if (a.policySet === undefined) return { policyIds: {}, problem: "the policies do not parse" };
  if (idCache !== undefined && idCache.analysis === a && idCache.semantics === semantics) return idCache.info;
  let info: api.BundleInfo;
  try {
    info = api.bundleInfo(a.policySet, a.schema, semantics);
  } catch (e) {
    info = { policyIds: {}, problem: `no bundle: ${e instanceof Error ? e.message : String(e)}` };
  }
  idCache = { analysis: a, semantics, info };
  return info;
}

/** Hover, with the policy's content id on the policy's head (its annotations and first line). */
function hover(state: PlaygroundState, offset: number): HoverResult | null {
  const a = analyze(state);
  if (a.policySet === undefined) return null;
  const h = hoverAt(a.policySet, offset, a.model, a.types);
  const index = a.policySet.policies.findIndex((p) => p.span.start <= offset && offset <= p.span.end);
  const p = a.policySet.policies[index];
  if (h === null || p === undefined) return h;
  // The head: annotations and the line of the effect keyword (up to where the principal scope is).
  const lineEnd = state.policies.indexOf("\n", p.principal.span.start);
  if (offset > (lineEnd < 0 ? state.policies.length : lineEnd)) return h;
  const name = policyName(p, index);
  const id = idsOf(a, state.semantics).policyIds[name];
  return { ...h, contents: [...h.contents, id === undefined ? "policy id: not available (the policies do not lower)" : `policy id \`${id}\``] };
}

/** Format policies or a schema as `writ fmt` does. */
export function format(target: "policies" | "schema", source: string): FormatResult {
  const hasErrors = (ds: readonly api.AnyDiagnostic[]): boolean => ds.some((d) => (d.severity ?? "error") === "error");
  let text: string | undefined;
  if (target === "policies") {
    const parsed = api.parsePolicies(source);
    if (parsed.value === undefined || hasErrors(parsed.diagnostics)) return { problem: "the policies do not parse; fix the errors first" };
    text = api.formatPolicies(parsed.value, source);
  } else {
    const parsed = api.parseSchema(source);
    if (parsed.value === undefined || hasErrors(parsed.diagnostics)) return { problem: "the schema does not parse; fix the errors first" };
    text = api.formatSchema(parsed.value, source);
  }
  return text === undefined ? { problem: `the ${target} formatter is not available in this build` } : { text };
}

/** Answer one worker request (the result type depends on `req.kind`). */
export function handle(req: WorkerRequest): unknown {
  switch (req.kind) {
    case "tokens":
      return api.tokenTable();
    case "analyze":
      return analyzeResult(req.state);
    case "run":
      return run(req.state);
    case "format":
      return format(req.target, req.text);
    case "hover":
      return hover(req.state, req.offset);
    case "verify-proof":
      return api.checkLineageProof(req.proof);
    default: {
      const never: never = req;
      throw new Error(`INVARIANT: unknown worker request ${JSON.stringify(never)}`);
    }
  }
}

