/**
 * The compiler's back-end entry: policy AST → IR → decision function.
 */
import type { PolicySet } from "../lang/ast.js";
import { diag, hasErrors, type Diagnostic } from "../lang/diagnostics.js";
import { buildDecider, type CompiledPolicies, type Semantics } from "./decide.js";
import type { IrPolicySet } from "./ir.js";
import { lowerPolicies } from "./lower.js";
import { cedarModeViolations } from "./governance.js";

/** Options of `compile`. */
export interface CompileOptions {
  /** `fail-closed` (default): an erroring forbid denies. `cedar`: erroring policies are skipped. */
  readonly semantics?: Semantics;
}

/** The result of `compile`: `program` is undefined when there are error diagnostics. */
export interface CompileResult {
  readonly program: CompiledPolicies | undefined;
  /** The lowered IR (present even with errors, for tools). */
  readonly ir: IrPolicySet | undefined;
  readonly diagnostics: Diagnostic[];
}

/**
 * Compile a parsed policy set into a decision function. Never throws.
 * Error diagnostics (unknown functions or methods, wrong argument counts) leave `program`
 * undefined; invalid extension literals are not diagnostics: they error at evaluation, as in Cedar.
 */
export function compile(policies: PolicySet, options?: CompileOptions): CompileResult {
  const semantics: Semantics = options?.semantics ?? "fail-closed";
  try {
    // Cedar keeps a policy with an extension call of the wrong arity (it errors when evaluated); fail-closed refuses it.
    const { ir, diagnostics } = lowerPolicies(policies, { extensionArity: semantics === "cedar" ? "evaluate" : "refuse" });
    if (semantics === "cedar") for (const x of cedarModeViolations(ir)) diagnostics.push(x);
    if (hasErrors(diagnostics)) return { program: undefined, ir, diagnostics };
    return { program: buildDecider(ir, semantics), ir, diagnostics };
  } catch (e) {
    const message = `internal compiler error: ${e instanceof Error ? e.message : String(e)}`;
    return { program: undefined, ir: undefined, diagnostics: [diag("W4002", message, policies.span)] };
  }
}

/** Build the decision function from already-lowered IR (e.g. loaded from a bundle); the IR-only back end. */
export { compileIrOnly as compileIr } from "./compile-ir.js";
