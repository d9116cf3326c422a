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
  return { decision: d.decision, reasons, errors, determining, erroring, problems, markers };
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
    case "hover": {
      const a = analyze(req.state);
      return a.policySet === undefined ? null : hoverAt(a.policySet, req.offset, a.model, a.types);
    }
    default: {
      const never: never = req;
      throw new Error(`INVARIANT: unknown worker request ${JSON.stringify(never)}`);
    }
  }
}

