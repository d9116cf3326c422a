/**
 * The IR-only back end: build a decision function from already-lowered IR (for example
 * loaded from a bundle) without the lowering pass or anything of the parser.
 *
 * INVARIANT: this module and its imports stay free of `lang/` parsing code and chevrotain,
 * so that `runtime/` can embed it (checked by test/runtime/embedding.test.ts).
 */
import { diag, type Diagnostic } from "../lang/diagnostics.js";
import { buildDecider, type CompiledPolicies, type Semantics } from "./decide.js";
import { cedarModeViolations } from "./governance.js";
import type { IrPolicySet } from "./ir.js";

/** Options of {@link compileIrOnly}. */
export interface CompileIrOptions {
  /** `fail-closed` (default) or `cedar`. */
  readonly semantics?: Semantics;
}

/**
 * Build the decision function from lowered IR. Never throws: a malformed IR is a W4002
 * diagnostic; Writ-only constructs under `cedar` semantics are W6001 diagnostics.
 */
export function compileIrOnly(ir: IrPolicySet, options?: CompileIrOptions): { program: CompiledPolicies | undefined; diagnostics: Diagnostic[] } {
  try {
    const semantics = options?.semantics ?? "fail-closed";
    const violations = semantics === "cedar" ? cedarModeViolations(ir) : [];
    if (violations.length > 0) return { program: undefined, diagnostics: violations };
    return { program: buildDecider(ir, semantics), diagnostics: [] };
  } catch (e) {
    const message = `invalid IR: ${e instanceof Error ? e.message : String(e)}`;
    return { program: undefined, diagnostics: [diag("W4002", message, { start: 0, end: 0 })] };
  }
}
export { compileIrOnly as compileIr };

/**
 * The diagnostic constructor and types of the IR back end, re-exported so that `runtime/`
 * reports its refusals with the one catalog without importing anything from `lang/`.
 */
export { diag, errorText, failure, problem, type Diagnostic, type DiagnosticCode, type Failure, type Problem, type ProblemValues } from "../lang/diagnostics.js";
