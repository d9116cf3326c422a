/**
 * Cedar parity for two corners found by an adversarial pass, checked against Cedar itself
 * (`@cedar-policy/cedar-wasm`) in every row:
 *
 * - empty set literals are refused by validation everywhere in a policy, the action scope
 *   (`action in []`) included;
 * - an extension function or method called with the wrong number of arguments is a
 *   validation error, but the policy still parses and, unvalidated, evaluates to an error of
 *   that policy only. `cedar` semantics match that; `fail-closed` keeps refusing the policy
 *   set at compile time. Wrong arities of the other builtins (`contains`, …) are refused by
 *   Cedar's parser, and by Writ's compiler in both semantics.
 */
import { describe, expect, it } from "vitest";
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import { parsePolicies, parseSchema } from "../../lang/index.js";
import { hasErrors } from "../../lang/diagnostics.js";
import { compile, loadSchema, requestFromJson, validatePolicies, type Semantics } from "../../compiler/index.js";
import { Entities } from "../../stdlib/index.js";

const SCHEMA = `entity User; entity Doc; action view appliesTo { principal: User, resource: Doc }; action edit appliesTo { principal: User, resource: Doc };`;
const REQUEST = { principal: { type: "User", id: "a" }, action: { type: "Action", id: "view" }, resource: { type: "Doc", id: "d" }, context: {} };

const schema = loadSchema(parseSchema(SCHEMA).ast!).schema!;

/** Cedar's strict-validation verdict (true: refused). */
function cedarRefuses(policies: string): boolean {
  const r = cedar.validate({ schema: SCHEMA, policies: { staticPolicies: policies }, validationSettings: { mode: "strict" } });
  return r.type === "failure" || r.validationErrors.length > 0;
}

function writRefuses(policies: string): boolean {
  const parsed = parsePolicies(policies);
  return hasErrors(parsed.diagnostics) || hasErrors(validatePolicies(parsed.ast!, schema).diagnostics);
}

interface Outcome {
  readonly decision: "allow" | "deny";
  readonly reasons: readonly string[];
  readonly errors: readonly string[];
}

/** Cedar's unvalidated answer, or "rejected" when it refuses the policies. */
function cedarAnswer(policies: string): Outcome | "rejected" {
  const r = cedar.isAuthorized({ ...REQUEST, policies: { staticPolicies: policies }, entities: [] });
  if (r.type === "failure") return "rejected";
  return { decision: r.response.decision, reasons: [...r.response.diagnostics.reason].sort(), errors: [...new Set(r.response.diagnostics.errors.map((e) => e.policyId))].sort() };
}

/** Writ's unvalidated answer under `semantics`, or the codes that refused the policies. */
function writAnswer(policies: string, semantics: Semantics): Outcome | { readonly refused: readonly string[] } {
  const parsed = parsePolicies(policies);
  if (hasErrors(parsed.diagnostics)) return { refused: parsed.diagnostics.map((d) => d.code) };
  const compiled = compile(parsed.ast!, { semantics });
  if (compiled.program === undefined) return { refused: compiled.diagnostics.filter((d) => d.severity === "error").map((d) => d.code) };
  const req = requestFromJson(REQUEST);
  const d = compiled.program.decide(req.request!, Entities.empty());
  return { decision: d.decision, reasons: [...d.reasons].sort(), errors: [...new Set(d.errors.map((e) => e.policy))].sort() };
}

describe("empty set literals (validation)", () => {
  const rows = [
    "permit(principal, action in [], resource);",
    'permit(principal, action in [], resource) when { principal == User::"a" };',
    "permit(principal, action, resource) when { [] == [] };",
    "permit(principal, action, resource) when { [].contains(1) };",
    "permit(principal, action, resource) when { [[]].isEmpty() };",
    'permit(principal, action in [Action::"view"], resource);',
  ];

  it.each(rows)("Writ refuses exactly when Cedar refuses: %s", (policies) => {
    expect(writRefuses(policies)).toBe(cedarRefuses(policies));
  });

  it("`action in []` is W3013, an error, besides the W3005 warning", () => {
    const d = validatePolicies(parsePolicies("permit(principal, action in [], resource);").ast!, schema).diagnostics;
    expect(d.map((x) => [x.code, x.severity])).toEqual([
      ["W3013", "error"],
      ["W3005", "warning"],
    ]);
    expect(cedarRefuses("permit(principal, action in [], resource);")).toBe(true);
  });

  it("unvalidated, `action in []` matches nothing in both", () => {
    const p = "permit(principal, action in [], resource);";
    expect(writAnswer(p, "cedar")).toEqual(cedarAnswer(p));
  });
});

describe("extension calls with the wrong number of arguments", () => {
  const extension = [
    'permit(principal, action, resource) when { ip("1.2.3.4").isInRange() };',
    'permit(principal, action, resource) when { ip("1.2.3.4", "x") == ip("1.2.3.4") };',
    'permit(principal, action, resource) when { decimal() == decimal("1.0") };',
    'permit(principal, action, resource) when { ip("1.2.3.4").isIpv4(1) };',
    'permit(principal, action, resource) when { datetime("2024-01-01").offset() == datetime("2024-01-01") };',
    'forbid(principal, action, resource) when { ip("1.2.3.4", "x") };\npermit(principal, action, resource);',
    'permit(principal, action, resource) when { ip("1.2.3.4", "x") };\npermit(principal, action, resource) when { true };',
  ];
  const builtin = ["permit(principal, action, resource) when { [1].contains() };", "permit(principal, action, resource) when { [1].containsAny([1], [2]) };", 'permit(principal, action, resource) when { principal.hasTag() };'];

  it.each(extension)("validation refuses it, as Cedar's: %s", (policies) => {
    expect(cedarRefuses(policies)).toBe(true);
    expect(writRefuses(policies)).toBe(true);
  });

  it.each(extension)("cedar semantics give Cedar's unvalidated answer (that policy errors): %s", (policies) => {
    const expected = cedarAnswer(policies);
    expect(expected).not.toBe("rejected");
    expect(writAnswer(policies, "cedar")).toEqual(expected);
    expect((expected as Outcome).errors).toContain("policy0");
  });

  it.each(extension)("fail-closed semantics refuse the policy set (W3008): %s", (policies) => {
    expect(writAnswer(policies, "fail-closed")).toEqual({ refused: ["W3008"] });
  });

  it("cedar semantics report the kept call as a W3017 warning", () => {
    const r = compile(parsePolicies(extension[0]!).ast!, { semantics: "cedar" });
    expect(r.diagnostics.map((d) => [d.code, d.severity])).toEqual([["W3017", "warning"]]);
    expect(r.program).toBeDefined();
  });

  it.each(builtin)("other builtins: Cedar's parser refuses, Writ refuses in both semantics: %s", (policies) => {
    expect(cedarAnswer(policies)).toBe("rejected");
    expect(writAnswer(policies, "cedar")).toEqual({ refused: ["W3008"] });
    expect(writAnswer(policies, "fail-closed")).toEqual({ refused: ["W3008"] });
  });
});
