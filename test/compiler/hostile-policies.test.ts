/**
 * Hostile policies through the compiler: validation, lowering and diagnostics stay linear in
 * the policy (and never return "internal compiler error"). Each case carries a vitest timeout
 * rather than a speed assertion; sizes are chosen so that the quadratic passes they replaced
 * needed minutes.
 */
import { describe, expect, it } from "vitest";
import type { Expr, PolicySet } from "../../lang/ast.js";
import { parsePolicies, parseSchema } from "../../lang/index.js";
import { buildBundle, compile, loadSchema, schemaFromJson, validatePolicies, type Schema } from "../../compiler/index.js";
import { MAX_SHOWN_TYPE, recordType, showType, LONG } from "../../compiler/types.js";
import { loadBundle } from "../../runtime/index.js";

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

  it(
    "a schema allowing 64,000,000 request environments: a narrow scope visits only its own",
    () => {
      const n = 8000;
      const types = Array.from({ length: n }, (_, i) => `T${i}`);
      const schema = schemaOf(`entity ${types.join(", ")}; action "a" appliesTo { principal: [${types.join(", ")}], resource: [${types.join(", ")}] };`);
      const policies = parsePolicies('permit(principal == T7::"x", action, resource is T9) when { principal == resource };').ast!;
      // Every environment materialized, or every (principal, resource) pair scoped, took minutes.
      const r = validatePolicies(policies, schema);
      expect(r.diagnostics.map((d) => d.code)).toEqual(["W3016"]);
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

  it(
    "a policy the parser accepts but whose IR nests past the canonical-JSON depth is W1011, not an internal error",
    () => {
      const schema = schemaOf("entity U;");
      for (const src of [
        `permit(principal, action, resource) when { [1]${".isEmpty()".repeat(600)} };`,
        `permit(principal, action, resource) when { principal${".a".repeat(990)} has ${Array.from({ length: 16 }, (_, i) => `b${i}`).join(".")} };`,
      ]) {
        const parsed = parsePolicies(src);
        expect(parsed.diagnostics).toEqual([]);
        const built = buildBundle({ policiesAst: parsed.ast!, schema, validate: false });
        expect(built.diagnostics.map((d) => d.code)).toEqual(["W1011"]);
        expect(compile(parsed.ast!).diagnostics.map((d) => d.code)).toEqual(["W1011"]);
      }
      const ok = buildBundle({ policiesAst: parsePolicies(`permit(principal, action, resource) when { ${Array(980).fill("1").join(" + ")} == 1 };`).ast!, schema, validate: false });
      expect(ok.diagnostics).toEqual([]);
      expect(loadBundle(JSON.parse(JSON.stringify(ok.bundle)) as unknown).diagnostics).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    "validation of that AST answers W1021 too (capability keys grow with the path)",
    () => {
      const schema = schemaOf('entity U; action "a" appliesTo { principal: U, resource: U };');
      expect(validatePolicies(hasPathPolicy(100_000), schema).diagnostics.map((d) => d.code)).toEqual(["W1021"]);
    },
    TIMEOUT,
  );

  it("a path at the limit still lowers to the nested tests", () => {
    const r = compile(hasPathPolicy(16));
    expect(r.diagnostics).toEqual([]);
    expect(r.program).toBeDefined();
  });
});

describe("library entry points answer with diagnostics, never an internal error", () => {
  const LONE = "\uD800";
  const lone = [
    `permit(principal, action, resource) when { "${LONE}" == "" };`,
    `@reason("${LONE}") permit(principal, action, resource);`,
    `permit(principal == User::"${LONE}", action, resource);`,
    `permit(principal, action, resource) when { {"${LONE}": 1} has a };`,
    `permit(principal, action, resource) when { context["${LONE}x"] == 1 };`,
    `permit(principal, action, resource) when { "a" like "*${LONE}" };`,
  ];

  it.each(lone)("a lone surrogate is W1020 at the literal, from the parser and from compile/buildBundle: %s", (src) => {
    const parsed = parsePolicies(src);
    const w = parsed.diagnostics.filter((d) => d.code === "W1020");
    expect(w).toHaveLength(1);
    expect(src.slice(w[0]!.span.start, w[0]!.span.end)).toContain(LONE);
    const compiled = compile(parsed.ast!);
    expect(compiled.diagnostics.map((d) => d.code)).toContain("W1020");
    expect(compiled.program).toBeUndefined();
    const built = buildBundle({ policiesAst: parsed.ast!, schema: schemaOf("entity User;"), validate: false });
    expect(built.bundle).toBeUndefined();
    expect(built.diagnostics.map((d) => d.code)).toContain("W1020");
    expect(built.diagnostics.some((d) => /internal/i.test(d.message))).toBe(false);
  });

  it("a lone surrogate in a schema (JSON form or hand-built model) is W1020, not a thrown CanonicalJsonError", () => {
    const json = schemaFromJson({ "": { entityTypes: { [`E${LONE}`]: {} } } });
    expect(json.diagnostics).toEqual([]);
    expect(loadSchema(json.ast!).diagnostics.map((d) => d.code)).toEqual(["W1020"]);
    const schema = schemaOf("entity User;");
    const bad = { ...schema, entityTypes: { ...schema.entityTypes, [`X${LONE}`]: schema.entityTypes["User"]! } };
    const built = buildBundle({ policiesAst: parsePolicies("permit(principal, action, resource);").ast!, schema: bad, validate: false });
    expect(built.diagnostics.map((d) => d.code)).toEqual(["W1020"]);
  });

  const softErrors: readonly [string, string][] = [
    ["W1018", "permit(principal, action, resource) when { foo };"],
    ["W1018", "permit(principal, action, resource) when { x.any(y, y) };"],
    ["W1013", "permit(principal, action, resource) when { ?principal == principal };"],
    ["W1015", "permit(principal, action, resource) when { {a: 1, a: 2}.a == 1 };"],
    ["W1007", '@id("a") @id("b") permit(principal, action, resource);'],
    ["W6006", "permit(principal, action, resource) when { true } obligations { a: 1, a: 2 };"],
  ];

  it.each(softErrors)("compile() on an AST that still has the parse error %s reports it", (code, src) => {
    const parsed = parsePolicies(src);
    expect(parsed.diagnostics.map((d) => d.code)).toContain(code);
    const r = compile(parsed.ast!);
    expect(r.diagnostics.map((d) => d.code)).toContain(code);
    expect(r.diagnostics.some((d) => /internal/i.test(d.message))).toBe(false);
    expect(r.program).toBeUndefined();
  });

  it("a hand-built Long literal outside 64 bits is W1004 from compile", () => {
    const parsed = parsePolicies("permit(principal, action, resource) when { 1 == 1 };").ast!;
    const p = parsed.policies[0]!;
    const cond = p.conditions[0]!;
    const body = cond.body as Extract<Expr, { kind: "binary" }>;
    const huge: Expr = { kind: "long", value: 2n ** 70n, span: body.left.span };
    const r = compile({ ...parsed, policies: [{ ...p, conditions: [{ ...cond, body: { ...body, left: huge } }] }] });
    expect(r.diagnostics.map((d) => d.code)).toEqual(["W1004"]);
  });
});
