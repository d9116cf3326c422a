/**
 * Hostile policies through the compiler: validation, lowering and diagnostics stay linear in
 * the policy (and never return "internal compiler error"). Each case carries a vitest timeout
 * rather than a speed assertion; sizes are chosen so that the quadratic passes they replaced
 * needed minutes.
 */
import { describe, expect, it } from "vitest";
import type { Expr, PolicySet } from "../../lang/ast.js";
import { parsePolicies, parseSchema } from "../../lang/index.js";
import { compile, loadSchema, validatePolicies, type Schema } from "../../compiler/index.js";
import { MAX_SHOWN_TYPE, recordType, showType, LONG } from "../../compiler/types.js";

const TIMEOUT = 30_000;

function schemaOf(src: string): Schema {
  const r = loadSchema(parseSchema(src).ast!);
  expect(r.diagnostics).toEqual([]);
  return r.schema!;
}

describe("validation", () => {
  it(
    "30,000 `when { principal has aN }` conditions: capabilities grow in place, not by copying",
    () => {
      const n = 30_000;
      const attrs = Array.from({ length: n }, (_, i) => `a${i}?: Long`).join(", ");
      const schema = schemaOf(`entity U { ${attrs} }; action "a" appliesTo { principal: U, resource: U };`);
      const body = Array.from({ length: n }, (_, i) => ` when { principal has a${i} }`).join("");
      const policies = parsePolicies(`permit(principal, action, resource)${body} when { principal.a7 == 1 };`).ast!;
      expect(validatePolicies(policies, schema).diagnostics).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    "10,000 type errors on a record with 20,000 attributes: each message quotes a bounded type",
    () => {
      const attrs = Array.from({ length: 20_000 }, (_, i) => `a${i}: Long`).join(", ");
      const schema = schemaOf(`entity U { big: { ${attrs} } }; action "a" appliesTo { principal: U, resource: U };`);
      const body = Array.from({ length: 10_000 }, (_, i) => ` when { principal.big.a${i} + principal.big == 1 }`).join("");
      const r = validatePolicies(parsePolicies(`permit(principal, action, resource)${body};`).ast!, schema);
      expect(r.diagnostics.length).toBeGreaterThanOrEqual(10_000);
      for (const d of r.diagnostics) expect(d.message.length).toBeLessThan(MAX_SHOWN_TYPE * 3);
    },
    TIMEOUT,
  );

  it("showType cuts long types and keeps short ones whole", () => {
    const big = recordType(Array.from({ length: 100_000 }, (_, i) => [`a${i}`, { type: LONG, required: true }] as const));
    const shown = showType(big);
    expect(shown.length).toBe(MAX_SHOWN_TYPE + 1);
    expect(shown.endsWith("…")).toBe(true);
    expect(showType(recordType([["a", { type: LONG, required: false }]]))).toBe("{a?: Long}");
  });
});

describe("lowering", () => {
  /** `principal has a0.a1.…` built directly as an AST (no parser limit in the way). */
  function hasPathPolicy(n: number): PolicySet {
    const span = { start: 0, end: 0 };
    const target: Expr = { kind: "var", name: "principal", span };
    const body: Expr = { kind: "has", target, path: Array.from({ length: n }, (_, i) => `a${i}`), quoted: Array.from({ length: n }, () => false), span };
    const parsed = parsePolicies("permit(principal, action, resource) when { true };").ast!;
    const p = parsed.policies[0]!;
    return { ...parsed, policies: [{ ...p, conditions: [{ ...p.conditions[0]!, body }] }] };
  }

  it(
    "a hand-built `has` path of 20,000 attributes is W1021, not a quadratic IR",
    () => {
      const r = compile(hasPathPolicy(20_000));
      expect(r.diagnostics.map((d) => d.code)).toEqual(["W1021"]);
      expect(r.program).toBeUndefined();
    },
    TIMEOUT,
  );

  it("a path at the limit still lowers to the nested tests", () => {
    const r = compile(hasPathPolicy(16));
    expect(r.diagnostics).toEqual([]);
    expect(r.program).toBeDefined();
  });
});
