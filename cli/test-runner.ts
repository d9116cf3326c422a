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
import type { PolicySet } from "../lang/ast.js";
import type { CompiledPolicies, Decision, Request, Schema } from "../compiler/index.js";
import type { Entities, JsonValue } from "../stdlib/index.js";
import { CliFailure, EXIT_PROBLEMS, displayName, readJsonFile, readTextFile, type Output, type Semantics, type TextFile } from "./io.js";
import { entitiesFrom, errorLines, failedAs, failedWith, policiesFrom, programFrom, requestFrom, schemaFrom, validationOf, type Staged } from "./pipeline.js";
import { isWritTestFile, runWritTest } from "./writ-tests.js";
import { discoverTestFiles, parseTestFile, type Discovered, type TestFile, type TestRequest } from "./test-files.js";

/** The outcome of one case, or of a file-level problem that failed `count` cases. */
export type CaseOutcome =
  | { readonly kind: "validation"; readonly file: string; readonly passed: boolean; readonly expected: boolean; readonly detail: string }
  | {
      readonly kind: "request";
      readonly file: string;
      /** Absolute path of the policy file the request was decided with. */
      readonly policies: string;
      readonly passed: boolean;
      readonly spec: TestRequest;
      readonly request: Request | undefined;
      readonly decision: Decision | undefined;
      readonly detail: string;
    }
  | { readonly kind: "problem"; readonly file: string; readonly passed: false; readonly count: number; readonly detail: string };

/** Totals of a run. */
export interface RunTotals {
  passed: number;
  failed: number;
}

type Cached<T> = Staged<T>;

/** Loads and caches everything a test file refers to, by absolute path. */
export class TestLoader {
  private readonly texts = new Map<string, TextFile | CliFailure>();
  private readonly schemas = new Map<string, Cached<Schema>>();
  private readonly policies = new Map<string, Cached<PolicySet>>();
  private readonly programs = new Map<string, Cached<CompiledPolicies>>();
  private readonly validations = new Map<string, Cached<boolean>>();
  private readonly entities = new Map<string, Cached<Entities>>();

  constructor(readonly semantics: Semantics) {}

  private text(path: string): TextFile | CliFailure {
    let t = this.texts.get(path);
    if (t === undefined) {
      try {
        t = readTextFile(path, displayName(path));
      } catch (err) {
        if (!(err instanceof CliFailure)) throw err;
        t = err;
      }
      this.texts.set(path, t);
    }
    return t;
  }

  private failed<T>(f: CliFailure): Cached<T> {
    return failedWith<T>(f.lines);
  }

  /** The loaded schema at `path`. */
  schema(path: string): Cached<Schema> {
    let s = this.schemas.get(path);
    if (s === undefined) {
      const t = this.text(path);
      s = t instanceof CliFailure ? this.failed(t) : schemaFrom(t);
      this.schemas.set(path, s);
    }
    return s;
  }

  /** The parsed policies at `path`. */
  policySet(path: string): Cached<PolicySet> {
    let s = this.policies.get(path);
    if (s === undefined) {
      const t = this.text(path);
      s = t instanceof CliFailure ? this.failed(t) : policiesFrom(t);
      this.policies.set(path, s);
    }
    return s;
  }

  /** The compiled policies at `path` (under this loader's semantics). */
  program(path: string): Cached<CompiledPolicies> {
    let s = this.programs.get(path);
    if (s === undefined) {
      const ps = this.policySet(path);
      const t = this.text(path);
      s = ps.value === undefined ? failedAs<CompiledPolicies>(ps) : programFrom(ps.value, this.semantics, t instanceof CliFailure ? undefined : t);
      this.programs.set(path, s);
    }
    return s;
  }

  /** Whether the policies at `policies` validate against the schema at `schema`. */
  validation(policies: string, schema: string): Cached<boolean> {
    const key = `${policies}\u0000${schema}`;
    let s = this.validations.get(key);
    if (s === undefined) {
      const ps = this.policySet(policies);
      const sc = this.schema(schema);
      const t = this.text(policies);
      if (ps.value === undefined || t instanceof CliFailure) s = failedAs<boolean>(ps);
      else if (sc.value === undefined) s = failedAs<boolean>(sc);
      else s = validationOf(ps.value, sc.value, t);
      this.validations.set(key, s);
    }
    return s;
  }

  /** The entities at `path`, read as directed by the schema at `schema` (if any). */
  entityStore(path: string | undefined, schema: Schema | undefined, schemaPath: string | undefined): Cached<Entities> {
    const key = `${path ?? ""}\u0000${schemaPath ?? ""}`;
    let s = this.entities.get(key);
    if (s === undefined) {
      if (path === undefined) s = entitiesFrom(undefined, [], schema);
      else {
        try {
          const { file, json } = readJsonFile(path, displayName(path));
          const r = entitiesFrom(file, json, schema);
          s = r.value === undefined ? failedWith<Entities>(errorLines(r, file.name)) : r;
        } catch (err) {
          if (!(err instanceof CliFailure)) throw err;
          s = this.failed(err);
        }
      }
      this.entities.set(key, s);
    }
    return s;
  }
}

/** Error lines of a failed stage: its own failure lines or its error diagnostics. */
function problemsOf(s: Cached<unknown>, fallbackFile?: string): string[] {
  const lines = errorLines(s, fallbackFile);
  return lines.length > 0 ? lines : ["(no diagnostics)"];
}

function summarize(lines: readonly string[]): string {
  return lines.length <= 1 ? (lines[0] ?? "") : `${lines[0]} (and ${lines.length - 1} more)`;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  if (sa.size !== sb.size) return false;
  for (const x of sa) if (!sb.has(x)) return false;
  return true;
}

function list(xs: readonly string[]): string {
  return `[${[...new Set(xs)].sort().join(", ")}]`;
}

function runRequest(t: TestFile, r: TestRequest, schema: Schema | undefined, program: CompiledPolicies, entities: Entities): CaseOutcome {
  const file = t.file.name;
  const json: JsonValue = { principal: r.principal ?? null, action: r.action ?? null, resource: r.resource ?? null, context: r.context ?? {} } as unknown as JsonValue;
  const req = requestFrom(json, schema, r.validateRequest);
  if (req.value === undefined) {
    const lines = problemsOf(req, file);
    return { kind: "request", file, policies: t.policies, passed: false, spec: r, request: undefined, decision: undefined, detail: `invalid request: ${summarize(lines)}` };
  }
  const d = program.decide(req.value, entities);
  const errorNames = d.errors.map((e) => e.policy);
  const problems: string[] = [];
  if (d.decision !== r.decision) problems.push(`expected ${r.decision}, got ${d.decision}`);
  if (!sameSet(d.reasons, r.reason)) problems.push(`expected reasons ${list(r.reason)}, got ${list(d.reasons)}`);
  if (!sameSet(errorNames, r.errors)) {
    const why = d.errors.map((e) => `${e.policy}: ${e.code} ${e.message}`).join("; ");
    problems.push(`expected erroring policies ${list(r.errors)}, got ${list(errorNames)}${why === "" ? "" : ` (${why})`}`);
  }
  return { kind: "request", file, policies: t.policies, passed: problems.length === 0, spec: r, request: req.value, decision: d, detail: problems.join("; ") };
}

/** Run every case of one parsed test file. */
export function runTestFile(loader: TestLoader, t: TestFile): CaseOutcome[] {
  const file = t.file.name;
  const total = t.requests.length + (t.shouldValidate === undefined ? 0 : 1);
  const schema = t.schema === undefined ? undefined : loader.schema(t.schema);
  if (schema !== undefined && schema.value === undefined) {
    return [{ kind: "problem", file, passed: false, count: total, detail: `schema: ${summarize(problemsOf(schema))}` }];
  }
  const ps = loader.policySet(t.policies);
  if (ps.value === undefined) return [{ kind: "problem", file, passed: false, count: total, detail: `policies: ${summarize(problemsOf(ps))}` }];
  const out: CaseOutcome[] = [];
  if (t.shouldValidate !== undefined && t.schema !== undefined) {
    const v = loader.validation(t.policies, t.schema);
    const ok = v.value === true;
    const passed = ok === t.shouldValidate;
    const detail = passed ? "" : t.shouldValidate ? `expected the policies to validate, but: ${summarize(problemsOf(v))}` : "expected the policies not to validate, but they do";
    out.push({ kind: "validation", file, passed, expected: t.shouldValidate, detail });
  }
  if (t.requests.length === 0) return out;
  const program = loader.program(t.policies);
  if (program.value === undefined) {
    out.push({ kind: "problem", file, passed: false, count: t.requests.length, detail: `compile: ${summarize(problemsOf(program))}` });
    return out;
  }
  const es = loader.entityStore(t.entities, schema?.value, t.schema);
  if (es.value === undefined) {
    out.push({ kind: "problem", file, passed: false, count: t.requests.length, detail: `entities: ${summarize(problemsOf(es))}` });
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
      add({ kind: "problem", file: displayName(d.path), passed: false, count: 1, detail: d.line });
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
      add({ kind: "problem", file: d.file.name, passed: false, count: 1, detail: err.lines.join(" ") });
      continue;
    }
    let outcomes: CaseOutcome[];
    try {
      outcomes = runTestFile(loader, t);
    } catch (err) {
      // NOTE: a bug in a stage must not end a run of thousands of files: it fails this file's cases.
      const message = err instanceof Error ? err.message : String(err);
      const count = t.requests.length + (t.shouldValidate === undefined ? 0 : 1);
      outcomes = [{ kind: "problem", file: t.file.name, passed: false, count: Math.max(count, 1), detail: `internal error: ${message.split("\n")[0]}` }];
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
}

function outcomeLine(o: CaseOutcome): string {
  switch (o.kind) {
    case "validation":
      return `${o.passed ? "PASS" : "FAIL"} ${o.file}: shouldValidate ${o.expected}${o.detail === "" ? "" : `: ${o.detail}`}`;
    case "request":
      return `${o.passed ? "PASS" : "FAIL"} ${o.file}: ${JSON.stringify(o.spec.description)}${o.detail === "" ? "" : `: ${o.detail}`}`;
    case "problem":
      return `FAIL ${o.detail.startsWith(`${o.file}:`) ? "" : `${o.file}: `}${o.detail} (${o.count} case${o.count === 1 ? "" : "s"} failed)`;
  }
}

/** Run `writ test`. */
export function runTest(paths: readonly string[], opts: TestOptions, io: Output): number {
  const found = discoverTestFiles(paths);
  const totals = runDiscovered(
    found,
    new TestLoader(opts.semantics ?? "fail-closed"),
    (o) => {
      if (!o.passed || opts.verbose === true) io.out(`${outcomeLine(o)}\n`);
    },
    opts.semantics,
  );
  io.out(`${totals.passed} passed, ${totals.failed} failed\n`);
  return totals.failed > 0 ? EXIT_PROBLEMS : 0;
}
