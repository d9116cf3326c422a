/**
 * Writ test files (`*.writ-test.json`), run by `writ test` next to Cedar's
 * integration-test format (see docs/testing.md):
 *
 * ```
 * { "writ-test": 1, "policies": "policies.cedar" | ["a.cedar", …],
 *   "schema"?: "schema.cedarschema", "entities"?: "entities.json",
 *   "semantics"?: "fail-closed" | "cedar",
 *   "cases": [ { "description", "principal", "action", "resource", "context"?, "lineage"?,
 *                "expect": { "decision", "reasons"?, "obligations"?, "errors"?, "shadow"? } } ] }
 * ```
 *
 * Paths resolve like Cedar test files (nearest ancestor folder in which they
 * exist). With a schema, the policies must validate against it and every
 * request must conform to it. Each case is one test: the decision must match;
 * `reasons` are compared as sets; `obligations` as canonical JSON (arrays —
 * obligation sets — compared as sets); `errors` is a count or a list of
 * erroring policy names (a set); `shadow` lists shadow policies by name (those
 * satisfied) or as objects `{ name, satisfied?, effect?, error? }`. A field
 * left out of `expect` is not checked. A `--semantics` given on the command line
 * overrides the file's `semantics`; otherwise the file's (default fail-closed)
 * applies.
 */
import type { PolicySet } from "../lang/ast.js";
import type { CompiledPolicies, Decision, Schema } from "../compiler/index.js";
import type { Entities, JsonValue } from "../stdlib/index.js";
import { CliFailure, problemLine, type Semantics, type TextFile } from "./io.js";
import { offsetOfKey } from "./json-files.js";
import { requestFrom } from "./pipeline.js";
import { resolveTestPath } from "./test-files.js";
import type { TestLoader } from "./test-loader.js";
import { nameList, problemOutcome, sameSet, stageSummary, type CaseOutcome } from "./test-outcome.js";

/** The value of the `"writ-test"` key this version reads. */
export const WRIT_TEST_VERSION = 1;

/** What a case expects of a shadow policy. */
export interface ShadowExpectation {
  readonly name: string;
  readonly satisfied?: boolean;
  readonly effect?: "permit" | "forbid";
  /** True: the policy must error; false: it must not. */
  readonly error?: boolean;
}

/** What a case expects; undefined fields are not checked. */
export interface WritExpectation {
  readonly decision: "allow" | "deny";
  readonly reasons?: readonly string[];
  readonly obligations?: JsonValue;
  readonly errors?: number | readonly string[];
  /** Names (of satisfied shadow policies) or detailed expectations. */
  readonly shadow?: readonly string[] | readonly ShadowExpectation[];
}

/** One case of a Writ test file. */
export interface WritCase {
  readonly description: string;
  readonly principal: unknown;
  readonly action: unknown;
  readonly resource: unknown;
  readonly context: unknown;
  readonly lineage: unknown;
  readonly expect: WritExpectation;
}

/** A parsed Writ test file, its paths resolved to absolute paths. */
export interface WritTestFile {
  readonly file: TextFile;
  readonly policies: readonly string[];
  readonly schema: string | undefined;
  readonly entities: string | undefined;
  readonly semantics: Semantics | undefined;
  readonly cases: readonly WritCase[];
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function bad(file: TextFile, message: string, key?: string, from?: number): never {
  const offset = key === undefined ? undefined : offsetOfKey(file.text, key, from ?? 0);
  throw new CliFailure([problemLine("W5007", message, offset === undefined ? { file: file.name } : { file: file.name, source: file.text, offset })]);
}

function resolvePath(file: TextFile, key: string, v: unknown): string {
  if (typeof v !== "string" || v === "") bad(file, `\`${key}\` must be a path string`, key);
  const p = resolveTestPath(file.path, v);
  if (p === undefined) bad(file, `\`${key}\`: cannot find \`${v}\` next to this file or in any folder above it`, key);
  return p;
}

function names(file: TextFile, v: unknown, what: string, key: string, at: number): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) bad(file, `${what} must be an array of policy names`, key, at);
  return v as string[];
}

function parseShadow(file: TextFile, v: unknown, what: string, at: number): readonly string[] | readonly ShadowExpectation[] {
  if (!Array.isArray(v)) bad(file, `${what} must be an array`, "shadow", at);
  if (v.every((x) => typeof x === "string")) return v as string[];
  return v.map((x): ShadowExpectation => {
    if (!isRecord(x) || typeof x["name"] !== "string") bad(file, `${what}: each entry must be a policy name or an object with a \`name\``, "shadow", at);
    const { name, satisfied, effect, error } = x;
    for (const k of Object.keys(x)) if (!["name", "satisfied", "effect", "error"].includes(k)) bad(file, `${what}: unknown field \`${k}\``, "shadow", at);
    if (satisfied !== undefined && typeof satisfied !== "boolean") bad(file, `${what}: \`satisfied\` must be a boolean`, "shadow", at);
    if (effect !== undefined && effect !== "permit" && effect !== "forbid") bad(file, `${what}: \`effect\` must be "permit" or "forbid"`, "shadow", at);
    if (error !== undefined && typeof error !== "boolean") bad(file, `${what}: \`error\` must be a boolean`, "shadow", at);
    return { name: name as string, ...(satisfied === undefined ? {} : { satisfied }), ...(effect === undefined ? {} : { effect }), ...(error === undefined ? {} : { error }) };
  });
}

const CASE_KEYS = ["description", "principal", "action", "resource", "context", "lineage", "expect"];
const EXPECT_KEYS = ["decision", "reasons", "obligations", "errors", "shadow"];

function parseCase(file: TextFile, c: unknown, i: number, cursor: { at: number }): WritCase {
  const at = cursor.at;
  if (!isRecord(c)) bad(file, `case ${i + 1} must be an object`, "cases");
  const description = typeof c["description"] === "string" ? c["description"] : `case ${i + 1}`;
  const what = `case ${JSON.stringify(description)}`;
  // NOTE: positions point at the first matching key after the previous case's `expect`.
  for (const k of Object.keys(c)) if (!CASE_KEYS.includes(k)) bad(file, `${what}: unknown field \`${k}\``, k, at);
  for (const k of ["principal", "action", "resource"]) if (c[k] === undefined) bad(file, `${what}: \`${k}\` is missing`, "description", at);
  const e = c["expect"];
  if (!isRecord(e)) bad(file, `${what}: \`expect\` must be an object with at least \`decision\``, "expect", at);
  const expectAt = offsetOfKey(file.text, "expect", at) ?? at;
  cursor.at = expectAt + 1;
  for (const k of Object.keys(e)) if (!EXPECT_KEYS.includes(k)) bad(file, `${what}: unknown field \`expect.${k}\``, k, expectAt);
  const d = e["decision"];
  if (d !== "allow" && d !== "deny") bad(file, `${what}: \`expect.decision\` must be "allow" or "deny"`, "decision", expectAt);
  const errors = e["errors"];
  if (errors !== undefined && !(typeof errors === "number" && Number.isSafeInteger(errors) && errors >= 0) && !Array.isArray(errors)) {
    bad(file, `${what}: \`expect.errors\` must be a count or an array of policy names`, "errors", expectAt);
  }
  const obligations = e["obligations"];
  if (obligations !== undefined && !isRecord(obligations)) bad(file, `${what}: \`expect.obligations\` must be an object`, "obligations", expectAt);
  const expect: WritExpectation = {
    decision: d,
    ...(e["reasons"] === undefined ? {} : { reasons: names(file, e["reasons"], `${what}: \`expect.reasons\``, "reasons", expectAt) }),
    ...(obligations === undefined ? {} : { obligations: obligations as JsonValue }),
    ...(errors === undefined ? {} : { errors: typeof errors === "number" ? errors : names(file, errors, `${what}: \`expect.errors\``, "errors", expectAt) }),
    ...(e["shadow"] === undefined ? {} : { shadow: parseShadow(file, e["shadow"], `${what}: \`expect.shadow\``, expectAt) }),
  };
  return { description, principal: c["principal"], action: c["action"], resource: c["resource"], context: c["context"] ?? {}, lineage: c["lineage"], expect };
}

const FILE_KEYS = ["writ-test", "description", "policies", "schema", "entities", "semantics", "cases"];

/** Check the structure of a Writ test file and resolve its paths; throws a one-line W5007 `CliFailure`. */
export function parseWritTestFile(file: TextFile, json: unknown): WritTestFile {
  if (!isRecord(json)) bad(file, "a Writ test file must be a JSON object");
  const version = json["writ-test"];
  if (version !== WRIT_TEST_VERSION) bad(file, `\`"writ-test"\` must be ${WRIT_TEST_VERSION} (the format version)`, "writ-test");
  for (const k of Object.keys(json)) if (!FILE_KEYS.includes(k)) bad(file, `unknown field \`${k}\``, k);
  const p = json["policies"];
  let policies: string[];
  if (Array.isArray(p)) {
    if (p.length === 0) bad(file, "`policies` must name at least one policy file", "policies");
    policies = p.map((x) => resolvePath(file, "policies", x));
  } else policies = [resolvePath(file, "policies", p)];
  const schema = json["schema"] === undefined ? undefined : resolvePath(file, "schema", json["schema"]);
  const entities = json["entities"] === undefined ? undefined : resolvePath(file, "entities", json["entities"]);
  const s = json["semantics"];
  if (s !== undefined && s !== "fail-closed" && s !== "cedar") bad(file, '`semantics` must be "fail-closed" or "cedar"', "semantics");
  const cases = json["cases"];
  if (!Array.isArray(cases)) bad(file, "`cases` must be an array", "cases");
  const cursor = { at: offsetOfKey(file.text, "cases") ?? 0 };
  return { file, policies, schema, entities, semantics: s, cases: cases.map((c, i) => parseCase(file, c, i, cursor)) };
}

// --- running -------------------------------------------------------------------

/**
 * A canonical text of JSON for comparing obligations: object keys sorted,
 * integers written exactly (number or bigint alike), arrays (obligation sets)
 * sorted by their elements' canonical text.
 */
export function canonicalObligationText(v: unknown): string {
  if (v === null || typeof v === "boolean" || typeof v === "string") return JSON.stringify(v);
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") return Number.isInteger(v) && Math.abs(v) > Number.MAX_SAFE_INTEGER ? BigInt(v).toString() : JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalObligationText).sort().join(",")}]`;
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalObligationText(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(String(v));
}

/** The parts of a Decision added by the governance extensions (absent in older builds). */
interface GovernanceParts {
  readonly obligations?: Record<string, unknown>;
  readonly shadow?: readonly { readonly name: string; readonly effect: "permit" | "forbid"; readonly satisfied: boolean; readonly error?: string }[];
}

function checkShadow(expected: readonly string[] | readonly ShadowExpectation[], d: Decision & GovernanceParts, problems: string[]): void {
  if (d.shadow === undefined) {
    problems.push("expected shadow results, but this build's decisions report no `shadow`");
    return;
  }
  const actual = d.shadow;
  if (expected.every((x): x is string => typeof x === "string")) {
    const got = actual.filter((s) => s.satisfied).map((s) => s.name);
    if (!sameSet(got, expected)) problems.push(`expected satisfied shadow policies ${nameList(expected)}, got ${nameList(got)}`);
    return;
  }
  for (const x of expected as readonly ShadowExpectation[]) {
    const s = actual.find((a) => a.name === x.name);
    const satisfied = s?.satisfied ?? false;
    const errored = s?.error !== undefined;
    if (x.satisfied !== undefined && satisfied !== x.satisfied) problems.push(`expected shadow policy ${x.name} ${x.satisfied ? "satisfied" : "not satisfied"}`);
    if (x.error !== undefined && errored !== x.error) problems.push(`expected shadow policy ${x.name} ${x.error ? "to error" : `not to error${s?.error === undefined ? "" : ` (${s.error})`}`}`);
    if (x.effect !== undefined && s !== undefined && s.effect !== x.effect) problems.push(`expected shadow policy ${x.name} to be a ${x.effect}, it is a ${s.effect}`);
    if (x.effect !== undefined && s === undefined) problems.push(`expected a shadow policy ${x.name}, none was reported`);
  }
}

/** Compare a decision with a case's expectation; the list of mismatches (empty: passed). */
export function compareDecision(expect: WritExpectation, d: Decision): string[] {
  const g = d as Decision & GovernanceParts;
  const problems: string[] = [];
  if (d.decision !== expect.decision) problems.push(`expected ${expect.decision}, got ${d.decision}`);
  if (expect.reasons !== undefined && !sameSet(d.reasons, expect.reasons)) problems.push(`expected reasons ${nameList(expect.reasons)}, got ${nameList(d.reasons)}`);
  if (expect.obligations !== undefined) {
    const got = g.obligations;
    const want = canonicalObligationText(expect.obligations);
    if (got === undefined) {
      if (want !== "{}") problems.push("expected obligations, but this build's decisions carry no `obligations`");
    } else if (canonicalObligationText(got) !== want) problems.push(`expected obligations ${want}, got ${canonicalObligationText(got)}`);
  }
  if (expect.errors !== undefined) {
    const why = d.errors.map((e) => `${e.policy}: ${e.code} ${e.message}`).join("; ");
    const suffix = why === "" ? "" : ` (${why})`;
    const errorNames = d.errors.map((e) => e.policy);
    if (typeof expect.errors === "number") {
      if (d.errors.length !== expect.errors) problems.push(`expected ${expect.errors} erroring policies, got ${d.errors.length}${suffix}`);
    } else if (!sameSet(errorNames, expect.errors)) problems.push(`expected erroring policies ${nameList(expect.errors)}, got ${nameList(errorNames)}${suffix}`);
  }
  if (expect.shadow !== undefined) checkShadow(expect.shadow, g, problems);
  return problems;
}

function outcome(t: WritTestFile, c: WritCase, passed: boolean, detail: string, extra: Partial<Extract<CaseOutcome, { kind: "request" }>> = {}): CaseOutcome {
  const errors = Array.isArray(c.expect.errors) ? (c.expect.errors as readonly string[]) : [];
  return {
    kind: "request",
    file: t.file.name,
    policies: t.policies[0]!,
    passed,
    spec: {
      description: c.description,
      principal: c.principal,
      action: c.action,
      resource: c.resource,
      context: c.context,
      validateRequest: t.schema !== undefined,
      decision: c.expect.decision,
      reason: c.expect.reasons ?? [],
      errors,
    },
    request: undefined,
    decision: undefined,
    detail,
    ...extra,
  };
}

function runCase(t: WritTestFile, c: WritCase, schema: Schema | undefined, program: CompiledPolicies, entities: Entities): CaseOutcome {
  const json = { principal: c.principal, action: c.action, resource: c.resource, context: c.context, ...(c.lineage === undefined ? {} : { lineage: c.lineage }) } as unknown as JsonValue;
  const req = requestFrom(json, schema, schema !== undefined);
  if (req.value === undefined) return outcome(t, c, false, `invalid request: ${stageSummary(req)}`);
  if (c.lineage !== undefined && (req.value as { lineage?: unknown }).lineage === undefined) {
    return outcome(t, c, false, "the case gives a `lineage`, but this build does not read `lineage` from requests yet", { request: req.value });
  }
  const d = program.decide(req.value, entities);
  const problems = compareDecision(c.expect, d);
  return outcome(t, c, problems.length === 0, problems.join("; "), { request: req.value, decision: d });
}

/**
 * Run every case of one Writ test file with `loader` (whose caches it shares).
 * `override` is the `--semantics` given on the command line, if any.
 */
export function runWritTestFile(loader: TestLoader, t: WritTestFile, override: Semantics | undefined): CaseOutcome[] {
  const file = t.file.name;
  const count = Math.max(t.cases.length, 1);
  const problem = (detail: string): CaseOutcome[] => [problemOutcome(file, count, detail)];
  const l = loader.withSemantics(override ?? t.semantics ?? "fail-closed");
  const schema = t.schema === undefined ? undefined : l.schema(t.schema);
  if (schema !== undefined && schema.value === undefined) return problem(`schema: ${stageSummary(schema)}`);
  const sets: PolicySet[] = [];
  for (const p of t.policies) {
    const ps = l.policySet(p);
    if (ps.value === undefined) return problem(`policies: ${stageSummary(ps)}`);
    sets.push(ps.value);
  }
  if (t.schema !== undefined) {
    for (const p of t.policies) {
      const v = l.validation(p, t.schema);
      if (v.value !== true) return problem(`the policies do not validate against the schema: ${stageSummary(v)}`);
    }
  }
  if (t.cases.length === 0) return [];
  const program = l.programOf(t.policies, sets);
  if (program.value === undefined) return problem(`compile: ${stageSummary(program)}`);
  const es = l.entityStore(t.entities, schema?.value, t.schema);
  if (es.value === undefined) return problem(`entities: ${stageSummary(es)}`);
  return t.cases.map((c) => runCase(t, c, schema?.value, program.value!, es.value!));
}

/** Parse and run one discovered Writ test file; a structural problem fails it as one case. */
export function runWritTest(loader: TestLoader, file: TextFile, json: unknown, override: Semantics | undefined): CaseOutcome[] {
  let t: WritTestFile;
  try {
    t = parseWritTestFile(file, json);
  } catch (err) {
    if (!(err instanceof CliFailure)) throw err;
    return [problemOutcome(file.name, 1, err.lines.join(" "))];
  }
  try {
    return runWritTestFile(loader, t, override);
  } catch (err) {
    // NOTE: a bug in a stage must not end the run: it fails this file's cases.
    const message = err instanceof Error ? err.message : String(err);
    return [problemOutcome(file.name, t.cases.length, `internal error: ${message.split("\n")[0]}`)];
  }
}
