/**
 * Table-driven tests of the policy parser: source → expected AST shape (as a compact
 * S-expression) or expected diagnostic code and position.
 */
import { describe, expect, it } from "vitest";
import { Lexer, type TokenType } from "chevrotain";
import fc from "fast-check";
import { lineColOf, parsePolicies, type Expr, type Policy, type ScopeConstraint } from "../../lang/index.js";
import { assertNever } from "../../lang/span.js";
import { allTokens, writLexer } from "../../lang/tokens.js";

/** Compact rendering of an expression: `(op a b)`, `principal.a`, `User::"x"`, … */
function show(e: Expr): string {
  switch (e.kind) {
    case "bool":
      return String(e.value);
    case "long":
      return `${e.value}`;
    case "string":
      return JSON.stringify(e.value);
    case "entity":
      return `${e.ref.type.path.join("::")}::${JSON.stringify(e.ref.id)}`;
    case "var":
      return e.name;
    case "slotExpr":
      return `?${e.slot.slot}`;
    case "unary":
      return `(${e.op} ${show(e.operand)})`;
    case "binary":
      return `(${e.op} ${show(e.left)} ${show(e.right)})`;
    case "if":
      return `(if ${show(e.cond)} ${show(e.then)} ${show(e.else)})`;
    case "has":
      return `(has ${show(e.target)} ${e.path.map((p, i) => (e.quoted[i] ? JSON.stringify(p) : p)).join(".")})`;
    case "like":
      return `(like ${show(e.target)} ${e.pattern.map((p) => (p.kind === "wildcard" ? "*" : `'${p.text}'`)).join("")})`;
    case "is":
      return `(is ${show(e.target)} ${e.entityType.path.join("::")}${e.in === undefined ? "" : ` ${show(e.in)}`})`;
    case "getAttr":
      return e.syntax === "dot" ? `${show(e.target)}.${e.attr}` : `${show(e.target)}[${JSON.stringify(e.attr)}]`;
    case "method":
      return `${show(e.target)}.${e.name}(${e.args.map(show).join(" ")})`;
    case "call":
      return `${e.fn.path.join("::")}(${e.args.map(show).join(" ")})`;
    case "set":
      return `[${e.elements.map(show).join(" ")}]`;
    case "record":
      return `{${e.entries.map((x) => `${x.quoted ? JSON.stringify(x.key) : x.key}: ${show(x.value)}`).join(", ")}}`;
    case "quantifier":
      return `${show(e.target)}.${e.quantifier}(${e.variable} ${show(e.body)})`;
    case "boundVar":
      return e.name;
    default:
      return assertNever(e);
  }
}

function showConstraint(c: ScopeConstraint): string {
  const target = (t: { kind: "entityRef" | "slot" } & Record<string, unknown>): string =>
    t.kind === "slot" ? `?${String(t["slot"])}` : `${(t["type"] as { path: string[] }).path.join("::")}::${JSON.stringify(t["id"])}`;
  switch (c.kind) {
    case "any":
      return "any";
    case "eq":
      return `== ${target(c.target as never)}`;
    case "in":
      return `in ${target(c.target as never)}`;
    case "inList":
      return `in [${c.targets.map((t) => target(t as never)).join(" ")}]`;
    case "is":
      return `is ${c.entityType.path.join("::")}${c.in === undefined ? "" : ` in ${target(c.in as never)}`}`;
    default:
      return assertNever(c);
  }
}

function showPolicy(p: Policy): string {
  const ann = p.annotations.map((a) => `@${a.name}${a.value === undefined ? "" : `(${JSON.stringify(a.value)})`} `).join("");
  const conds = p.conditions.map((c) => ` ${c.polarity} ${show(c.body)}`).join("");
  return `${ann}${p.effect} [${showConstraint(p.principal.constraint)}, ${showConstraint(p.action.constraint)}, ${showConstraint(p.resource.constraint)}]${conds}`;
}

/** Parse `when { expr }` and render the condition. */
function parseExpr(expr: string): { shown: string | undefined; codes: string[] } {
  const r = parsePolicies(`permit(principal, action, resource) when { ${expr} };`);
  const body = r.ast?.policies[0]?.conditions[0]?.body;
  return { shown: body === undefined ? undefined : show(body), codes: r.diagnostics.map((d) => d.code) };
}

// ------------------------------------------------------------------ expressions
const EXPR_ROWS: readonly (readonly [string, string])[] = [
  ["true", "true"],
  ["false", "false"],
  ["42", "42"],
  ["-42", "-42"],
  ["-9223372036854775808", "-9223372036854775808"],
  ["9223372036854775807", "9223372036854775807"],
  ["- -1", "(- -1)"],
  ["--1", "(- -1)"],
  ["!!true", "(! (! true))"],
  ["-principal.age", "(- principal.age)"],
  ['"a\\n\\t\\"\\\\\\0\\u{1F600}\\x41"', JSON.stringify('a\n\t"\\\0\u{1F600}A')],
  ["principal", "principal"],
  ["context", "context"],
  ['User::"alice"', 'User::"alice"'],
  ['App::Ns::User::"a\\"b"', 'App::Ns::User::"a\\"b"'],
  ['principal::"x"', 'principal::"x"'],
  ["1 + 2 * 3", "(+ 1 (* 2 3))"],
  ["1 - 2 - 3", "(- (- 1 2) 3)"],
  ["1 * 2 * 3", "(* (* 1 2) 3)"],
  ["1 + -2", "(+ 1 -2)"],
  ["1 < 2 && 3 >= 4 || 5 != 6", "(|| (&& (< 1 2) (>= 3 4)) (!= 5 6))"],
  ["a || b && c".replace(/[abc]/g, (m) => `context.${m}`), "(|| context.a (&& context.b context.c))"],
  ["1 <= 2", "(<= 1 2)"],
  ["1 > 2", "(> 1 2)"],
  ["1 == 2", "(== 1 2)"],
  ['principal in Group::"g"', '(in principal Group::"g")'],
  ["principal in [principal]", "(in principal [principal])"],
  ["(1 < 2) == true", "(== (< 1 2) true)"],
  ["principal has name", "(has principal name)"],
  ['principal has "first name"', '(has principal "first name")'],
  ["principal has a.b.c", "(has principal a.b.c)"],
  ["principal has principal", "(has principal principal)"],
  ["context has permit", "(has context permit)"],
  ['principal.name like "a*b\\*c"', "(like principal.name 'a'*'b*c')"],
  ['principal like "**"', "(like principal **)"],
  ["principal is User", "(is principal User)"],
  ["principal is Ns::User", "(is principal Ns::User)"],
  ['principal is User in Group::"g"', '(is principal User Group::"g")'],
  ["resource is Doc in principal.folders", "(is resource Doc principal.folders)"],
  ["if context.a then 1 else 2", "(if context.a 1 2)"],
  ["if context.a then if context.b then 1 else 2 else 3", "(if context.a (if context.b 1 2) 3)"],
  ["[if true then 1 else 2]", "[(if true 1 2)]"],
  ["if true then 1 else 2 + 3", "(if true 1 (+ 2 3))"],
  ["principal.a.b", "principal.a.b"],
  ['principal["a b"]["c"]', 'principal["a b"]["c"]'],
  ["principal.permit", "principal.permit"],
  ["principal.principal", "principal.principal"],
  ["context.namespace", "context.namespace"],
  ["principal.tags.contains(1)", "principal.tags.contains(1)"],
  ["principal.tags.containsAll([1, 2,])", "principal.tags.containsAll([1 2])"],
  ["[1, 2].isEmpty()", "[1 2].isEmpty()"],
  ['principal.getTag("t")', 'principal.getTag("t")'],
  ['ip("10.0.0.1").isInRange(ip("10.0.0.0/8"))', 'ip("10.0.0.1").isInRange(ip("10.0.0.0/8"))'],
  ['decimal("1.23")', 'decimal("1.23")'],
  ['datetime("2024-01-01").offset(duration("1h"))', 'datetime("2024-01-01").offset(duration("1h"))'],
  ['Ext::fn("x",)', 'Ext::fn("x")'],
  ["[]", "[]"],
  ["[1, [2, 3]]", "[1 [2 3]]"],
  ["{}", "{}"],
  ['{a: 1, "b c": [true], principal: 2,}', '{a: 1, "b c": [true], principal: 2}'],
  ["{a: {b: 1}}.a.b", "{a: {b: 1}}.a.b"],
  ["1.foo", "1.foo"],
  ["(((1)))", "1"],
  ["!(1 == 2)", "(! (== 1 2))"],
  ["-(1)", "(- 1)"],
];

describe("expressions", () => {
  it.each(EXPR_ROWS)("%s", (src, want) => {
    const r = parseExpr(src);
    expect(r.codes).toEqual([]);
    expect(r.shown).toBe(want);
  });
});

// ------------------------------------------------------------------ policies
const POLICY_ROWS: readonly (readonly [string, string])[] = [
  ["permit(principal, action, resource);", "permit [any, any, any]"],
  ["forbid(principal, action, resource,);", "forbid [any, any, any]"],
  ['permit(principal == User::"a", action == Action::"v", resource == Photo::"p");', 'permit [== User::"a", == Action::"v", == Photo::"p"]'],
  ['permit(principal in Group::"g", action in Action::"all", resource in Album::"x");', 'permit [in Group::"g", in Action::"all", in Album::"x"]'],
  ['permit(principal, action in [Action::"a", Ns::Action::"b",], resource);', 'permit [any, in [Action::"a" Ns::Action::"b"], any]'],
  ["permit(principal, action in [], resource);", "permit [any, in [], any]"],
  ["permit(principal is User, action, resource is Ns::Photo);", "permit [is User, any, is Ns::Photo]"],
  ['permit(principal is User in Group::"g", action, resource is Photo in ?resource);', 'permit [is User in Group::"g", any, is Photo in ?resource]'],
  ["permit(principal == ?principal, action, resource in ?resource);", "permit [== ?principal, any, in ?resource]"],
  ['@id("p1") @reason("because") permit(principal, action, resource);', '@id("p1") @reason("because") permit [any, any, any]'],
  ["@shadow permit(principal, action, resource);", "@shadow permit [any, any, any]"],
  ["@if(\"x\") permit(principal, action, resource);", '@if("x") permit [any, any, any]'],
  ["permit(principal, action, resource) when { true } unless { false } when { 1 == 1 };", "permit [any, any, any] when true unless false when (== 1 1)"],
];

describe("policies", () => {
  it.each(POLICY_ROWS)("%s", (src, want) => {
    const r = parsePolicies(src);
    expect(r.diagnostics).toEqual([]);
    expect(r.ast?.policies.length).toBe(1);
    expect(showPolicy(r.ast!.policies[0]!)).toBe(want);
  });

  it("parses several policies and keeps their order and spans", () => {
    const src = 'permit(principal, action, resource);\n@id("b")\nforbid(principal, action, resource) when { true };\n';
    const r = parsePolicies(src);
    expect(r.diagnostics).toEqual([]);
    const ps = r.ast!.policies;
    expect(ps.map((p) => p.effect)).toEqual(["permit", "forbid"]);
    expect(src.slice(ps[0]!.span.start, ps[0]!.span.end)).toBe("permit(principal, action, resource);");
    expect(src.slice(ps[1]!.span.start, ps[1]!.span.end)).toBe('@id("b")\nforbid(principal, action, resource) when { true };');
    const cond = ps[1]!.conditions[0]!;
    expect(src.slice(cond.body.span.start, cond.body.span.end)).toBe("true");
  });

  it("collects comments in source order", () => {
    const src = "// one\npermit(principal, action, resource) // two\n  when { true }; // three\n";
    const r = parsePolicies(src);
    expect(r.ast!.comments.map((c) => c.text)).toEqual(["// one", "// two", "// three"]);
    expect(src.slice(r.ast!.comments[1]!.span.start, r.ast!.comments[1]!.span.end)).toBe("// two");
  });

  it("accepts an empty file and a file of comments", () => {
    expect(parsePolicies("").ast?.policies).toEqual([]);
    expect(parsePolicies("// nothing\n").diagnostics).toEqual([]);
  });
});

// ------------------------------------------------------------------ errors
/** [source, code, "line:col" of the first diagnostic] */
const ERROR_ROWS: readonly (readonly [string, string, string])[] = [
  ["permit(principal, action, resource)", "W1001", "1:36"],
  ["permit(principal, action, resource) permit(principal, action, resource);", "W1001", "1:37"],
  ["permit(principal action, resource);", "W1001", "1:18"],
  ["allow(principal, action, resource);", "W1017", "1:1"],
  ["permit(action, principal, resource);", "W1006", "1:8"],
  ['permit(principal in [User::"a"], action, resource);', "W1006", "1:21"],
  ["permit(principal == User, action, resource);", "W1006", "1:21"],
  ["permit(principal == ?resource, action, resource);", "W1006", "1:21"],
  ["permit(principal, action == ?principal, resource);", "W1006", "1:29"],
  ["permit(principal, action is Action, resource);", "W1010", "1:26"],
  ["@a @a permit(principal, action, resource);", "W1007", "1:4"],
  ['@id("x") @id("y") permit(principal, action, resource);', "W1007", "1:10"],
  ['permit(principal, action, resource) when { "\\q" };', "W1003", "1:45"],
  ['permit(principal, action, resource) when { "\\u{D800}" };', "W1003", "1:45"],
  ['permit(principal, action, resource) when { principal like "\\q" };', "W1003", "1:60"],
  ['permit(principal, action, resource) when { "abc };', "W1002", "1:44"],
  ["permit(principal, action, resource) when { 1 # 2 };", "W1005", "1:46"],
  ["permit(principal, action, resource) when { 1 == é };", "W1005", "1:49"],
  ["permit(principal, action, resource) when { 9223372036854775808 };", "W1004", "1:44"],
  ["permit(principal, action, resource) when { -9223372036854775809 };", "W1004", "1:44"],
  ["permit(principal, action, resource) when { 99999999999999999999 };", "W1004", "1:44"],
  ["permit(principal, action, resource) when { principal.if };", "W1008", "1:54"],
  ["permit(principal, action, resource) when { principal has in };", "W1008", "1:58"],
  ["permit(principal, action, resource) when { {then: 1} };", "W1008", "1:45"],
  ["permit(principal, action, resource) when { (1)(2) };", "W1009", "1:47"],
  ["permit(principal, action, resource) when { context(1) };", "W1009", "1:44"],
  ["permit(principal, action, resource) when { principal[\"a\"](1) };", "W1009", "1:58"],
  ["permit(principal, action, resource) when { ?principal };", "W1013", "1:44"],
  ["permit(principal, action, resource) when { {a: 1, \"a\": 2} };", "W1015", "1:51"],
  ['permit(principal, action, resource) when { principal has "a".b };', "W1016", "1:58"],
  ["permit(principal, action, resource) when { foo };", "W1018", "1:44"],
  ["permit(principal, action, resource) when { Foo::Bar };", "W1018", "1:44"],
  ["permit(principal, action, resource) when { !!!!!true };", "W1019", "1:44"],
  ["permit(principal, action, resource) when { !-1 };", "W1001", "1:45"],
  ["permit(principal, action, resource) when { 1 == 2 == 3 };", "W1001", "1:51"],
  ["permit(principal, action, resource) when { principal in Group::\"a\" has x };", "W1001", "1:68"],
  ["permit(principal, action, resource) when { 1 + if true then 1 else 2 };", "W1001", "1:48"],
  ["permit(principal, action, resource) when { };", "W1001", "1:44"],
  ["permit(principal, action, resource) when principal;", "W1001", "1:42"],
  ["permit(principal, action, resource) when { [1, 2 };", "W1001", "1:50"],
  ["permit(principal, action, resource) when { principal[0] };", "W1001", "1:54"],
  ["permit(principal, action, resource) when { principal like 1 };", "W1001", "1:59"],
  ["permit(principal, action, resource) when { 1 / 2 };", "W1001", "1:46"],
  ["permit(principal, action, resource) when { [1,,2] };", "W1001", "1:47"],
];

describe("syntax errors", () => {
  it.each(ERROR_ROWS)("%s → %s at %s", (src, code, at) => {
    const r = parsePolicies(src);
    expect(r.diagnostics.length).toBeGreaterThan(0);
    const d = r.diagnostics[0]!;
    expect(d.code).toBe(code);
    const pos = lineColOf(src, d.span.start);
    expect(`${pos.line}:${pos.col}`).toBe(at);
    expect(d.span.end).toBeGreaterThanOrEqual(d.span.start);
    expect(d.severity).toBe("error");
  });

  it("reports several errors per file and keeps the good policies", () => {
    const src = [
      "permit(principal, action, resource) when { 1 + };",
      "permit(principal, action, resource);",
      "forbid(principal, action, resource) when { principal. };",
      'permit(principal == User::"a", action, resource)',
      "forbid(principal, action, resource);",
    ].join("\n");
    const r = parsePolicies(src, "f.cedar");
    expect(r.diagnostics.map((d) => [d.code, lineColOf(src, d.span.start).line])).toEqual([
      ["W1001", 1],
      ["W1001", 3],
      ["W1001", 5],
    ]);
    expect(r.diagnostics[2]!.message).toBe("expected `;` after policy, found `forbid`");
    expect(r.diagnostics.every((d) => d.file === "f.cedar")).toBe(true);
    expect(r.ast!.policies.map((p) => p.effect)).toEqual(["permit", "forbid"]);
  });

  it("keeps a policy whose only problems are non-fatal", () => {
    const r = parsePolicies("permit(principal, action, resource) when { {a: 1, a: 2} };");
    expect(r.diagnostics.map((d) => d.code)).toEqual(["W1015"]);
    expect(r.ast!.policies.length).toBe(1);
  });

  it("rejects inputs over the size limit without parsing", () => {
    const r = parsePolicies(" ".repeat(10 * 1024 * 1024 + 1));
    expect(r.ast).toBeUndefined();
    expect(r.diagnostics.map((d) => d.code)).toEqual(["W1014"]);
  });

  it.each([
    ["parentheses", (n: number) => "(".repeat(n) + "1" + ")".repeat(n)],
    ["sets", (n: number) => "[".repeat(n) + "]".repeat(n)],
    ["records", (n: number) => "{a: ".repeat(n) + "1" + "}".repeat(n)],
    ["if-else chains", (n: number) => "if true then 1 else ".repeat(n) + "2"],
    ["nested ifs", (n: number) => "if ".repeat(n) + "true" + " then 1 else 2".repeat(n)],
  ])("limits nesting depth of %s (W1011) instead of overflowing the stack", (_name, make) => {
    const ok = parsePolicies(`permit(principal, action, resource) when { ${make(90)} };`);
    expect(ok.diagnostics).toEqual([]);
    const deep = parsePolicies(`permit(principal, action, resource) when { ${make(100_000)} };\npermit(principal, action, resource);`);
    expect(deep.diagnostics.map((d) => d.code)).toEqual(["W1011"]);
    expect(deep.ast!.policies.length).toBe(1);
  });

  it("accepts long flat chains and bounds the depth of the expression tree (W1011)", () => {
    const ok = parsePolicies(`permit(principal, action, resource) when { ${"1 + ".repeat(900)}1 && principal.a${".b".repeat(900)} };`);
    expect(ok.diagnostics).toEqual([]);
    for (const body of [`${"1 + ".repeat(50_000)}1`, `principal${".b".repeat(20_000)}`, `${"context.a || ".repeat(1_001)}true`]) {
      const deep = parsePolicies(`permit(principal, action, resource) when { ${body} };\nforbid(principal, action, resource);`);
      expect(deep.diagnostics.map((d) => d.code)).toEqual(["W1011"]);
      expect(deep.ast!.policies.map((p) => p.effect)).toEqual(["forbid"]);
    }
  });
});

// ------------------------------------------------------------------ lexer
describe("lexer", () => {
  it("keeps chevrotain's first-character optimizations (fast lexing)", () => {
    expect(() => new Lexer(allTokens as TokenType[], { positionTracking: "onlyOffset", ensureOptimizations: true })).not.toThrow();
  });

  it("lexes keywords as identifiers only when longer", () => {
    const toks = writLexer.tokenize("permitted permit ?principalX ?principal").tokens.map((t) => t.tokenType.name);
    expect(toks).toEqual(["Identifier", "Kw_permit", "Question", "Identifier", "Slot"]);
  });
});

// ------------------------------------------------------------------ robustness
const FRAGMENTS = [
  "permit", "forbid", "(", ")", "principal", "action", "resource", "context", ",", ";", "when", "unless", "{", "}", "[", "]",
  "==", "!=", "<", "<=", ">", ">=", "&&", "||", "!", "-", "+", "*", "in", "is", "has", "like", "if", "then", "else",
  '"s"', '"a*"', '"\\q', "1", "9223372036854775808", "User", "::", '"x"', ".", "a", "@", "id", "?principal", "?resource",
  "true", "false", "ip", "#", "\n", " ", "// c\n", "\"", "\\", "é",
];

describe("robustness", () => {
  it("never throws and reports in-bounds spans on arbitrary token soup", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 60 }), (parts) => {
        const src = parts.join(" ");
        const r = parsePolicies(src);
        expect(r.ast).toBeDefined();
        for (const d of r.diagnostics) {
          expect(d.span.start).toBeGreaterThanOrEqual(0);
          expect(d.span.end).toBeLessThanOrEqual(src.length);
          expect(d.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("never throws on arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (src) => {
        const r = parsePolicies(src);
        expect(Array.isArray(r.diagnostics)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("parses many policies in one file", () => {
    const n = 2000;
    let src = "";
    for (let i = 0; i < n; i++) src += `@id("p${i}") permit(principal in Group::"g${i}", action, resource) when { context.n > ${i} };\n`;
    const r = parsePolicies(src);
    expect(r.diagnostics).toEqual([]);
    expect(r.ast!.policies.length).toBe(n);
    expect(r.ast!.policies[n - 1]!.annotations[0]!.value).toBe(`p${n - 1}`);
  });
});
