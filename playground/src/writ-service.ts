/**
 * The playground's language service: analysis (markers), Run, Format and hover over
 * the whole editor state. It runs inside the Writ web worker (`writ-worker.ts`) and
 * calls the pipeline through the typed public entries (`lang/`, `compiler/` index) and
 * the compositions of `writ-api.ts`; it reads nothing but its inputs.
 */
import { formatPolicies, formatSchema, hasErrors, type Diagnostic, type PolicySet } from "../../lang/index.js";
import { compile, loadSchema, validatePolicies, type Schema, type Semantics } from "../../compiler/index.js";
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
  type SchemaSummary,
  type WorkerRequest,
} from "./protocol.js";
import { schemaSummary } from "./schema-summary.js";
import { plainJson } from "./shared/display.js";
import * as api from "./writ-api.js";

/** Everything derived from one state, shared by analyze, run and hover. */
interface Analysis {
  readonly markers: MarkersByEditor;
  readonly policySet: PolicySet | undefined;
  readonly policies: PolicyInfo[];
  /** The loaded schema; undefined when there is none or it does not load. */
  readonly schema: Schema | undefined;
  readonly summary: SchemaSummary;
  readonly entitiesJson: unknown;
  readonly requestJson: unknown;
}

function toMarker(d: Diagnostic): Marker {
  const m: { -readonly [K in keyof Marker]: Marker[K] } = {
    code: d.code,
    severity: d.severity,
    message: d.message,
    start: d.span.start,
    end: Math.max(d.span.end, d.span.start + 1),
  };
  if (d.help !== undefined) m.help = d.help;
  return m;
}

/**
 * Place input diagnostics that carry no useful span (entities and request JSON) on the
 * member they name: `entity #3` → the fourth array element, `principal` → that field.
 */
function locate(editor: EditorId, d: Diagnostic, text: string): Diagnostic {
  if ((editor !== "entities" && editor !== "request") || d.span.end > d.span.start) return d;
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

function addAll(markers: MarkersByEditor, editor: EditorId, diags: readonly Diagnostic[], text: string): void {
  for (const d of diags) markers[editor].push(toMarker(locate(editor, d, text)));
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
  const policySet = parsed.ast;
  const policies: PolicyInfo[] = (policySet?.policies ?? []).map((p, i) => {
    const reason = p.annotations.find((a) => a.name === "reason")?.value;
    const info = { name: policyName(p, i), effect: p.effect, start: p.span.start, end: p.span.end };
    return reason === undefined ? info : { ...info, reason };
  });

  let schema: Schema | undefined;
  if (state.schema.trim() !== "") {
    const ps = api.parseSchema(state.schema);
    addAll(markers, "schema", ps.diagnostics, state.schema);
    if (ps.ast !== undefined && !hasErrors(ps.diagnostics)) {
      const loaded = loadSchema(ps.ast);
      addAll(markers, "schema", loaded.diagnostics, state.schema);
      schema = loaded.schema;
    }
  }
  if (policySet !== undefined && schema !== undefined && parsed.diagnostics.length === 0) {
    addAll(markers, "policies", validatePolicies(policySet, schema).diagnostics, state.policies);
  }
  const entitiesJson = jsonInput(markers, "entities", state.entities);
  const requestJson = jsonInput(markers, "request", state.request);
  const analysis: Analysis = { markers, policySet, policies, schema, summary: schemaSummary(schema), entitiesJson, requestJson };
  cache = { key, analysis };
  return analysis;
}

function copyMarkers(m: MarkersByEditor): MarkersByEditor {
  return { policies: [...m.policies], schema: [...m.schema], entities: [...m.entities], request: [...m.request] };
}

/** Live diagnostics, policy names and the schema summary of a state. */
export function analyzeResult(state: PlaygroundState): AnalyzeResult {
  const a = analyze(state);
  return { markers: a.markers, policies: a.policies, schema: a.summary };
}

/** Decide the request; every reason a decision cannot be made becomes a problem line. */
export function run(state: PlaygroundState): RunResult {
  const a = analyze(state);
  const markers = copyMarkers(a.markers);
  const problems: string[] = [];
  const none = (): RunResult => ({ reasons: [], errors: [], determining: [], erroring: [], problems, markers });

  if (a.policySet === undefined || a.markers.policies.some((m) => m.severity === "error" && m.code.startsWith("W1"))) problems.push("the policies do not parse");
  if (a.markers.entities.length > 0) problems.push("the entities JSON is malformed");
  if (a.markers.request.length > 0) problems.push("the request JSON is malformed");
  if (a.requestJson === undefined && a.markers.request.length === 0) problems.push("the request is empty");
  if (problems.length > 0 || a.policySet === undefined) return none();

  const inputs = api.readInputs(a.entitiesJson ?? [], a.requestJson, a.schema);
  addAll(markers, "entities", inputs.entityDiagnostics, state.entities);
  addAll(markers, "request", inputs.requestDiagnostics, state.request);
  const compiled = compile(a.policySet, { semantics: state.semantics });
  addAll(markers, "policies", compiled.diagnostics, state.policies);
  if (inputs.entities === undefined) problems.push("the entities are invalid");
  if (inputs.request === undefined) problems.push("the request is invalid");
  if (compiled.program === undefined) problems.push("the policies do not compile");
  if (inputs.entities === undefined || inputs.request === undefined || compiled.program === undefined) return none();

  const d = compiled.program.decide(inputs.request, inputs.entities);
  const reasons = [...d.reasons];
  const determining = a.policies.filter((p) => reasons.includes(p.name));
  const erroring = a.policies.filter((p) => d.errors.some((e) => e.policy === p.name));
  const errors = d.errors.map((e) => ({ policy: e.policy, code: e.code, message: e.message }));
  const ids = idsOf(a, state.semantics);
  const determiningDetails = reasons.map((name): DeterminingDetail => {
    const reason = d.determining.find((x) => x.name === name)?.reason ?? a.policies.find((p) => p.name === name)?.reason;
    const id = ids.policyIds[name];
    return { name, ...(reason === undefined ? {} : { reason }), ...(id === undefined ? {} : { id }) };
  });
  const governance = {
    determiningDetails,
    policyIds: ids.policyIds,
    obligations: plainJson(d.obligations) as Record<string, unknown>,
    shadow: d.shadow.map((x) => ({ name: x.name, effect: x.effect, satisfied: x.satisfied, ...(x.error === undefined ? {} : { error: x.error }) })),
    ...(ids.bundleId === undefined ? {} : { bundleId: ids.bundleId }),
    ...(ids.problem === undefined ? {} : { bundleProblem: ids.problem }),
  };
  return { decision: d.decision, reasons, errors, determining, erroring, problems, markers, ...governance };
}

let idCache: { analysis: Analysis; semantics: Semantics; info: api.BundleInfo } | undefined;

/** The bundle and policy ids of an analysed state (memoised per analysis and semantics). */
function idsOf(a: Analysis, semantics: Semantics): api.BundleInfo {
  if (a.policySet === undefined) return { policyIds: {}, problem: "the policies do not parse" };
  if (idCache !== undefined && idCache.analysis === a && idCache.semantics === semantics) return idCache.info;
  const info = api.bundleInfo(a.policySet, a.schema, semantics);
  idCache = { analysis: a, semantics, info };
  return info;
}

/** Hover, with the policy's content id on the policy's head (its annotations and first line). */
function hover(state: PlaygroundState, offset: number): HoverResult | null {
  const a = analyze(state);
  if (a.policySet === undefined) return null;
  const h = hoverAt(a.policySet, offset, a.schema);
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
  if (target === "policies") {
    const parsed = api.parsePolicies(source);
    if (parsed.ast === undefined || hasErrors(parsed.diagnostics)) return { problem: "the policies do not parse; fix the errors first" };
    return { text: formatPolicies(parsed.ast, source) };
  }
  const parsed = api.parseSchema(source);
  if (parsed.ast === undefined || hasErrors(parsed.diagnostics)) return { problem: "the schema does not parse; fix the errors first" };
  return { text: formatSchema(parsed.ast, source) };
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

