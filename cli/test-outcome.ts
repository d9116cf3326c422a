/**
 * What a test run reports: the outcome of each case (or of a file that could
 * not run), the totals, and the small comparisons both test-file formats share.
 */
import type { Decision, Request } from "../compiler/index.js";
import { errorLines, type Staged } from "./pipeline.js";

/** One request of a Cedar test file with its expected outcome. */
export interface TestRequest {
  readonly description: string;
  readonly principal: unknown;
  readonly action: unknown;
  readonly resource: unknown;
  readonly context: unknown;
  /** Validate the request against the schema first (Cedar's default: true). */
  readonly validateRequest: boolean;
  readonly decision: "allow" | "deny";
  readonly reason: readonly string[];
  readonly errors: readonly string[];
}

/**
 * The outcome of one case, or of a file-level problem that failed `count` cases.
 * INVARIANT: a problem's `count` is at least 1 — a file that cannot run is a failure, even with no cases.
 */
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

/** A file-level problem failing `cases` cases (at least one). */
export function problemOutcome(file: string, cases: number, detail: string): CaseOutcome {
  return { kind: "problem", file, passed: false, count: Math.max(cases, 1), detail };
}

/** The first of several lines, saying how many more there are. */
export function firstOf(lines: readonly string[]): string {
  return lines.length <= 1 ? (lines[0] ?? "") : `${lines[0]} (and ${lines.length - 1} more)`;
}

/** A one-line summary of a failed stage's errors. */
export function stageSummary(s: Staged<unknown>, fallbackFile?: string): string {
  const lines = errorLines(s, fallbackFile);
  return lines.length === 0 ? "(no diagnostics)" : firstOf(lines);
}

/** True when two lists hold the same set of strings. */
export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

/** A set of names as `[a, b]`, sorted and without duplicates. */
export function nameList(xs: readonly string[]): string {
  return `[${[...new Set(xs)].sort().join(", ")}]`;
}
