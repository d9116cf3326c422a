/**
 * `writ test <files-or-dirs…> [--semantics m]`: run Cedar integration-test
 * files. Each request is one case (decision, reasons as a set and erroring
 * policies as a set must all match; with `validateRequest` — Cedar's default —
 * the request is first validated against the schema); each file's
 * `shouldValidate` is one case (the validator's verdict must match).
 * Failures are printed with file and description; the run ends with the line
 * `N passed, M failed` and exits 1 if anything failed.
 *
 * Parsed schemas, policies, compiled programs, validation verdicts and
 * entities are cached by path, so thousands of files sharing data run in one
 * process quickly.
 */
import type { CompiledPolicies, Schema } from "../compiler/index.js";
import type { Entities, JsonValue } from "../stdlib/index.js";
import { CliFailure, EXIT_PROBLEMS, displayName, problemLine, type Output, type Semantics } from "./io.js";
import { requestFrom } from "./pipeline.js";
import { runWritTest } from "./writ-tests.js";
import { discoverTestFiles, isWritTestFile, parseTestFile, type Discovered, type TestFile } from "./test-files.js";
import { TestLoader } from "./test-loader.js";
import { paintProblemLine } from "./colour.js";
import { jsonReport, junitReport, outcomeLine, summaryLine } from "./test-report.js";
import { nameList, problemOutcome, sameSet, stageSummary, type CaseOutcome, type RunTotals, type TestRequest } from "./test-outcome.js";

function runRequest(t: TestFile, r: TestRequest, schema: Schema | undefined, program: CompiledPolicies, entities: Entities): CaseOutcome {
  const file = t.file.name;
  const json: JsonValue = { principal: r.principal ?? null, action: r.action ?? null, resource: r.resource ?? null, context: r.context ?? {} } as unknown as JsonValue;
  const req = requestFrom(json, schema, r.validateRequest);
  if (req.value === undefined) {
    return { kind: "request", file, policies: t.policies, passed: false, spec: r, request: undefined, decision: undefined, detail: `invalid request: ${stageSummary(req, file)}` };
  }
  const d = program.decide(req.value, entities);
  const errorNames = d.errors.map((e) => e.policy);
  const problems: string[] = [];
  if (d.decision !== r.decision) problems.push(`expected ${r.decision}, got ${d.decision}`);
  if (!sameSet(d.reasons, r.reason)) problems.push(`expected reasons ${nameList(r.reason)}, got ${nameList(d.reasons)}`);
  if (!sameSet(errorNames, r.errors)) {
    const why = d.errors.map((e) => `${e.policy}: ${e.code} ${e.message}`).join("; ");
    problems.push(`expected erroring policies ${nameList(r.errors)}, got ${nameList(errorNames)}${why === "" ? "" : ` (${why})`}`);
  }
  return { kind: "request", file, policies: t.policies, passed: problems.length === 0, spec: r, request: req.value, decision: d, detail: problems.join("; ") };
}

/** Run every case of one parsed test file. */
export function runTestFile(loader: TestLoader, t: TestFile): CaseOutcome[] {
  const file = t.file.name;
  const total = t.requests.length + (t.shouldValidate === undefined ? 0 : 1);
  const schema = t.schema === undefined ? undefined : loader.schema(t.schema);
  if (schema !== undefined && schema.value === undefined) {
    return [problemOutcome(file, total, `schema: ${stageSummary(schema)}`)];
  }
  const ps = loader.policySet(t.policies);
  if (ps.value === undefined) return [problemOutcome(file, total, `policies: ${stageSummary(ps)}`)];
  const out: CaseOutcome[] = [];
  if (t.shouldValidate !== undefined && t.schema !== undefined) {
    const v = loader.validation(t.policies, t.schema);
    const ok = v.value === true;
    const passed = ok === t.shouldValidate;
    const detail = passed ? "" : t.shouldValidate ? `expected the policies to validate, but: ${stageSummary(v)}` : "expected the policies not to validate, but they do";
    out.push({ kind: "validation", file, passed, expected: t.shouldValidate, detail });
  }
  if (t.requests.length === 0) return out;
  const program = loader.program(t.policies);
  if (program.value === undefined) {
    out.push(problemOutcome(file, t.requests.length, `compile: ${stageSummary(program)}`));
    return out;
  }
  const es = loader.entityStore(t.entities, schema?.value, t.schema);
  if (es.value === undefined) {
    out.push(problemOutcome(file, t.requests.length, `entities: ${stageSummary(es)}`));
    return out;
  }
  for (const r of t.requests) out.push(runRequest(t, r, schema?.value, program.value, es.value));
  return out;
}

/**
 * Run discovered test files, reporting each outcome; returns the totals.
 * `semanticsOverride` (a `--semantics` given on the command line) overrides the
 * `semantics` of Writ test files; Cedar test files use the loader's.
 */
export function runDiscovered(found: readonly Discovered[], loader: TestLoader, report: (o: CaseOutcome) => void, semanticsOverride?: Semantics): RunTotals {
  const totals: RunTotals = { passed: 0, failed: 0 };
  const add = (o: CaseOutcome): void => {
    if (o.kind === "problem") totals.failed += o.count;
    else if (o.passed) totals.passed++;
    else totals.failed++;
    report(o);
  };
  for (const d of found) {
    if (d.kind === "problem") {
      add(problemOutcome(displayName(d.path), 1, d.line));
      continue;
    }
    if (isWritTestFile(d.file.path, d.json)) {
      for (const o of runWritTest(loader, d.file, d.json, semanticsOverride)) add(o);
      continue;
    }
    let t: TestFile;
    try {
      t = parseTestFile(d.file, d.json);
    } catch (err) {
      if (!(err instanceof CliFailure)) throw err;
      add(problemOutcome(d.file.name, 1, err.lines.join(" ")));
      continue;
    }
    let outcomes: CaseOutcome[];
    try {
      outcomes = runTestFile(loader, t);
    } catch (err) {
      // NOTE: a bug in a stage must not end a run of thousands of files: it fails this file's cases.
      const message = err instanceof Error ? err.message : String(err);
      const count = t.requests.length + (t.shouldValidate === undefined ? 0 : 1);
      outcomes = [problemOutcome(t.file.name, count, `internal error: ${message.split("\n")[0]}`)];
    }
    for (const o of outcomes) add(o);
  }
  return totals;
}

/** Options of `writ test`. */
export interface TestOptions {
  /** Undefined: fail-closed for Cedar test files, each Writ test file's own `semantics`. */
  readonly semantics?: Semantics;
  readonly verbose?: boolean;
  /** text (default), json or junit. */
  readonly format?: "text" | "json" | "junit";
}

/**
 * Run `writ test`: exit 1 when a case failed, a file could not run, or no test
 * case was found at all (W5021 on stderr), so a wrong path never passes.
 */
export function runTest(paths: readonly string[], opts: TestOptions, io: Output): number {
  const format = opts.format ?? "text";
  const colour = io.colour?.out === true;
  const found = discoverTestFiles(paths);
  const outcomes: CaseOutcome[] = [];
  const totals = runDiscovered(
    found,
    new TestLoader(opts.semantics ?? "fail-closed"),
    (o) => {
      outcomes.push(o);
      if (format === "text" && (!o.passed || opts.verbose === true)) io.out(`${outcomeLine(o, colour)}\n`);
    },
    opts.semantics,
  );
  if (format === "json") io.out(jsonReport(outcomes, totals));
  else if (format === "junit") io.out(junitReport(outcomes));
  else io.out(`${summaryLine(totals, colour)}\n`);
  if (totals.passed + totals.failed === 0) {
    const line = problemLine("W5021", `no tests found in ${paths.join(", ")} (test files: *.writ-test.json, or Cedar test JSON with \`policies\` and \`requests\`)`, { file: "writ" });
    io.err(`${io.colour?.err === true ? paintProblemLine(line) : line}\n`);
    return EXIT_PROBLEMS;
  }
  return totals.failed > 0 ? EXIT_PROBLEMS : 0;
}
