/**
 * Writ governance syntax: the `obligations { … }` clause, `.any(x, e)` / `.all(x, e)`
 * quantifiers, the `lineage` variable and schema `obligation` declarations — parsing,
 * printing (round trip and idempotence) and syntax diagnostics.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Expr, Policy } from "../../lang/ast.js";
import { parsePolicies, parseSchema } from "../../lang/index.js";
import { formatPolicies } from "../../lang/printer.js";
import { formatSchema } from "../../lang/schema-printer.js";
import { lineColOf } from "../../lang/span.js";
import { stripSpansAndComments } from "../support/strip-spans.js";

/** The AST without spans, comments and the `obligationsSpan` side field. */
function shape(src: string): unknown {
  const r = parsePolicies(src);
  expect(r.diagnostics).toEqual([]);
  return JSON.parse(JSON.stringify(stripSpansAndComments(r.ast), (k, v: unknown) => (k === "obligationsSpan" ? undefined : typeof v === "bigint" ? `${v}n` : v)));
}

function policy(src: string): Policy {
  const r = parsePolicies(src);
  expect(r.diagnostics).toEqual([]);
  expect(r.ast!.policies.length).toBe(1);
  return r.ast!.policies[0]!;
}

function cond(src: string): Expr {
  return policy(`permit (principal, action, resource) when { ${src} };`).conditions[0]!.body;
}

/** Format, check the round trip and idempotence, return the formatted text. */
function roundTrip(src: string): string {
  const out = formatPolicies(parsePolicies(src).ast!, src);
  expect(shape(out)).toEqual(shape(src));
  expect(formatPolicies(parsePolicies(out).ast!, out)).toBe(out);
  return out;
}

describe("obligations clause", () => {
  it("parses keys (identifiers and strings) and values after the conditions", () => {
    const p = policy(`permit (principal, action == Action::"deploy", resource) when { true } unless { false }
      obligations { require_approval: true, "max cost": decimal("10.00"), notify: ["#ops"] };`);
    expect(p.conditions.map((c) => c.polarity)).toEqual(["when", "unless"]);
    expect(p.obligations?.map((o) => [o.key, o.quoted, o.value.kind])).toEqual([
      ["require_approval", false, "bool"],
      ["max cost", true, "call"],
      ["notify", false, "set"],
    ]);
    expect(p.obligationsSpan).toBeDefined();
  });

  it("is optional, and a policy may have obligations without conditions", () => {
    expect(policy(`permit (principal, action, resource);`).obligations).toBeUndefined();
    expect(policy(`permit (principal, action, resource) obligations {};`).obligations).toEqual([]);
    expect(policy(`permit (principal, action, resource) obligations { a: 1, };`).obligations?.length).toBe(1);
  });

  it("is an ordinary identifier elsewhere", () => {
    expect(cond(`context.obligations == 1`).kind).toBe("binary");
  });

  it("prints after the conditions and round-trips", () => {
    const out = roundTrip(`@id("p") permit(principal,action,resource) when {principal.ok} obligations {require_approval:true,"max cost":decimal("1.0")};`);
    expect(out).toBe(`@id("p")\npermit (principal, action, resource)\nwhen { principal.ok }\nobligations {require_approval: true, "max cost": decimal("1.0")};\n`);
    const long = roundTrip(
      `permit (principal, action, resource) obligations { require_approval: true, max_cost: decimal("10.00"), notify: ["#ops", "#security", "#platform-team"] };`,
    );
    expect(long).toContain("obligations {\n  require_approval: true,\n");
  });

  it("keeps comments inside the clause", () => {
    const src = `permit (principal, action, resource)\nobligations {\n  // needs a human\n  require_approval: true,\n  notify: [\"#ops\"] // channel\n};\n`;
    const out = roundTrip(src);
    expect(out).toContain("// needs a human");
    expect(out).toContain("// channel");
    expect(roundTrip(`permit (principal, action, resource)\nobligations { a: 1 } // before semi\n;\n`)).toBe("permit (principal, action, resource)\nobligations {\n  a: 1 // before semi\n};\n");
    expect(roundTrip(`permit (principal, action, resource) when {\n  context.s.any(x, // c\n x == 1) // after\n};`)).toContain("context.s.any(x,\n    // c\n    x == 1\n  ) // after");
  });

  const errors: readonly (readonly [string, string, string])[] = [
    [`permit (principal, action, resource) obligations { a: 1, a: 2 };`, "W6006", "1:58"],
    [`permit (principal, action, resource) obligation { a: 1 };`, "W1001", "1:38"],
    [`permit (principal, action, resource) obligations { a };`, "W1001", "1:54"],
    [`permit (principal, action, resource) obligations { a: 1 } when { true };`, "W1001", "1:59"],
  ];
  for (const [src, code, at] of errors) {
    it(`${src} → ${code} at ${at}`, () => {
      const r = parsePolicies(src);
      const d = r.diagnostics[0]!;
      expect(d.code).toBe(code);
      const pos = lineColOf(src, d.span.start);
      expect(`${pos.line}:${pos.col}`).toBe(at);
    });
  }
});

describe("quantifiers and lineage", () => {
  it("parses `.any(x, e)` / `.all(x, e)` with a bound variable", () => {
    const e = cond(`context.tags.any(t, t == "x")`);
    expect(e.kind).toBe("quantifier");
    if (e.kind !== "quantifier") return;
    expect(e.quantifier).toBe("any");
    expect(e.variable).toBe("t");
    expect(e.target.kind).toBe("getAttr");
    expect(e.body.kind === "binary" && e.body.left.kind === "boundVar" && e.body.left.name === "t").toBe(true);
    expect(cond(`[1].all(n, n > 0)`).kind).toBe("quantifier");
  });

  it("nests and shadows", () => {
    const e = cond(`context.a.any(x, context.b.all(x, x.ok) && x.ok)`);
    expect(e.kind === "quantifier" && e.body.kind === "binary" && e.body.left.kind === "quantifier").toBe(true);
  });

  it("parses `lineage` as a variable", () => {
    const e = cond(`lineage.depth < 3`);
    expect(e.kind === "binary" && e.left.kind === "getAttr" && e.left.target.kind === "var" && e.left.target.name === "lineage").toBe(true);
  });

  it("a method called `any` with other arguments stays a method call", () => {
    expect(cond(`context.s.any(1, 2)`).kind).toBe("method");
    expect(cond(`context.s.any(principal, true)`).kind).toBe("method");
  });

  it("round-trips", () => {
    const out = roundTrip(`permit (principal, action, resource) when { lineage.ancestors.all(e, e.decision == "allow" && [1, 2].any(n, n == lineage.depth)) && !context.s.any(x, x like "a*") };`);
    expect(out).toContain(`lineage.ancestors.all(e,\n    e.decision == "allow" && [1, 2].any(n, n == lineage.depth)\n  )`);
    expect(out).toContain(`!context.s.any(x, x like "a*")`);
  });

  const errors: readonly (readonly [string, string, string])[] = [
    [`permit (principal, action, resource) when { context.s.any(x, y) };`, "W1018", "1:62"],
    [`permit (principal, action, resource) when { x == 1 && context.s.any(x, true) };`, "W1018", "1:45"],
    [`permit (principal, action, resource) when { context.s.any(x, true) && x };`, "W1018", "1:71"],
    [`permit (principal, action, resource) when { context.s.any(x.y, true) };`, "W1018", "1:59"],
  ];
  for (const [src, code, at] of errors) {
    it(`${src} → ${code} at ${at}`, () => {
      const r = parsePolicies(src);
      expect(r.diagnostics.map((d) => d.code)).toEqual([code]);
      const pos = lineColOf(src, r.diagnostics[0]!.span.start);
      expect(`${pos.line}:${pos.col}`).toBe(at);
    });
  }
});

describe("round trip (fast-check)", () => {
  const ident = fc.constantFrom("x", "item", "e");
  const leaf = fc.constantFrom("true", "lineage.depth > 0", 'context.tag == "a"', "principal.ok", "lineage has parent");
  const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
    e: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      fc.tuple(fc.constantFrom("any", "all"), fc.constantFrom("context.items", "lineage.ancestors", "[1, 2]"), ident, tie("e")).map(
        ([q, s, v, body]) => `${s}.${q}(${v}, ${v} == ${v} && (${body}))`,
      ),
      fc.tuple(tie("e"), fc.constantFrom("&&", "||"), tie("e")).map(([a, op, b]) => `(${a}) ${op} (${b})`),
    ),
  })).e;
  const value = fc.oneof(fc.constantFrom("true", "1", '"s"', 'decimal("1.5")', '["#a", "#b"]'), expr);
  const entries = fc.uniqueArray(fc.tuple(fc.constantFrom("a", "b", "max_cost", "with space"), value), { selector: ([k]) => k, maxLength: 4 });
  const policyText = fc
    .tuple(fc.boolean(), fc.option(expr, { nil: undefined }), fc.option(entries, { nil: undefined }))
    .map(([shadow, when, obs]) => {
      const ann = shadow ? `@mode("shadow") @reason("r")\n` : "";
      const w = when === undefined ? "" : ` when { ${when} }`;
      const o = obs === undefined ? "" : ` obligations { ${obs.map(([k, v]) => `${k === "with space" ? JSON.stringify(k) : k}: ${v}`).join(", ")} }`;
      return `${ann}permit (principal, action, resource)${w}${o};`;
    });

  it("format(parse(x)) parses to the same AST and formatting is idempotent", () => {
    fc.assert(
      fc.property(fc.array(policyText, { minLength: 1, maxLength: 3 }), (ps) => {
        roundTrip(ps.join("\n"));
      }),
      { numRuns: 200 },
    );
  });
});

describe("schema obligation declarations", () => {
  it("parses top-level and namespaced declarations, with annotations", () => {
    const src = `@doc("gate") obligation require_approval: Bool;\nnamespace A {\n  obligation notify: Set<String>;\n  entity U;\n}\nobligation max_cost: decimal;\n`;
    const r = parseSchema(src);
    expect(r.diagnostics).toEqual([]);
    const items = r.ast!.items;
    expect(items.map((i) => i.kind)).toEqual(["obligationDecl", "namespaceDecl", "obligationDecl"]);
    const first = items[0]!;
    expect(first.kind === "obligationDecl" && first.name === "require_approval" && first.annotations.length === 1).toBe(true);
    const ns = items[1]!;
    expect(ns.kind === "namespaceDecl" && ns.declarations[0]!.kind === "obligationDecl").toBe(true);
  });

  it("prints and round-trips", () => {
    const src = `obligation   require_approval :Bool;\nnamespace A { obligation notify: Set<String>; // who\n entity U; }\n`;
    const out = formatSchema(parseSchema(src).ast!, src);
    expect(out).toBe(`obligation require_approval: Bool;\n\nnamespace A {\n  obligation notify: Set<String>; // who\n  entity U;\n}\n`);
    expect(formatSchema(parseSchema(out).ast!, out)).toBe(out);
  });

  it("`obligation` stays usable as a name", () => {
    const r = parseSchema(`entity obligation;\nentity A = { obligation: Long };\n`);
    expect(r.diagnostics).toEqual([]);
    expect(r.ast!.items.map((i) => i.kind)).toEqual(["entityDecl", "entityDecl"]);
  });

  it("a malformed declaration reports an error and parsing recovers", () => {
    const src = `obligation a: ;\nentity B;\n`;
    const r = parseSchema(src);
    expect(r.diagnostics.length).toBeGreaterThan(0);
    expect(r.diagnostics[0]!.code).toMatch(/^W120[12]$/);
    expect(r.ast!.items.map((i) => i.kind)).toEqual(["entityDecl"]);
  });
});
