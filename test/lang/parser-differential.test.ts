/**
 * Differential tests of the parsers against Cedar itself (`@cedar-policy/cedar-wasm`):
 * the same sources are accepted or rejected, and accepted policies have the same structure
 * (compared through Cedar's JSON policy format).
 *
 * NOTE: known, intended difference: Cedar rejects unknown function/method names and wrong
 * arities while parsing; Writ's parser accepts any name and leaves that to the validator.
 */
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parsePolicies, parseSchema, type Expr, type Policy, type ScopeConstraint } from "../../lang/index.js";
import { assertNever } from "../../lang/span.js";

/** Cedar errors that are not about syntax (deferred to later stages in Writ). */
const DEFERRED = /not a valid (function|method)|requires exactly|static policy set includes a template/;

function cedarAccepts(src: string): boolean | "deferred" {
  const r = cedar.checkParsePolicySet({ staticPolicies: src });
  if (r.type === "success") return true;
  return r.errors.some((e) => DEFERRED.test(e.message)) ? "deferred" : false;
}

function writAccepts(src: string): boolean {
  return parsePolicies(src).diagnostics.length === 0;
}

// ------------------------------------------------------------------ AST → Cedar JSON form
const BINARY_METHODS = new Set(["contains", "containsAll", "containsAny", "getTag", "hasTag"]);
const UNARY_METHODS = new Set(["isEmpty"]);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function estExpr(e: Expr): Json {
  switch (e.kind) {
    case "bool":
    case "string":
      return { Value: e.value };
    case "long":
      return { Value: Number(e.value) };
    case "entity":
      return { Value: { __entity: { type: e.ref.type.path.join("::"), id: e.ref.id } } };
    case "var":
      return { Var: e.name };
    case "slotExpr":
      return { Slot: `?${e.slot.slot}` };
    case "unary":
      return { [e.op === "!" ? "!" : "neg"]: { arg: estExpr(e.operand) } };
    case "binary":
      return { [e.op]: { left: estExpr(e.left), right: estExpr(e.right) } };
    case "if":
      return { "if-then-else": { if: estExpr(e.cond), then: estExpr(e.then), else: estExpr(e.else) } };
    case "has":
      return { has: { left: estExpr(e.target), attr: e.path.length === 1 ? e.path[0]! : [...e.path] } };
    case "like":
      return { like: { left: estExpr(e.target), pattern: e.pattern.map((p) => (p.kind === "wildcard" ? "Wildcard" : { Literal: p.text })) } };
    case "is": {
      const out: { [k: string]: Json } = { left: estExpr(e.target), entity_type: e.entityType.path.join("::") };
      if (e.in !== undefined) out["in"] = estExpr(e.in);
      return { is: out };
    }
    case "getAttr":
      return { ".": { left: estExpr(e.target), attr: e.attr } };
    case "method":
      if (BINARY_METHODS.has(e.name) && e.args.length === 1) return { [e.name]: { left: estExpr(e.target), right: estExpr(e.args[0]!) } };
      if (UNARY_METHODS.has(e.name) && e.args.length === 0) return { [e.name]: { arg: estExpr(e.target) } };
      return { [e.name]: [estExpr(e.target), ...e.args.map(estExpr)] };
    case "call":
      return { [e.fn.path.join("::")]: e.args.map(estExpr) };
    case "set":
      return { Set: e.elements.map(estExpr) };
    case "record":
      return { Record: Object.fromEntries(e.entries.map((x) => [x.key, estExpr(x.value)])) };
    case "quantifier":
    case "boundVar":
      throw new Error("Writ-only expression in a Cedar differential test");
    default:
      return assertNever(e);
  }
}

function estScope(c: ScopeConstraint): Json {
  const target = (t: { kind: "entityRef" | "slot" } & Record<string, unknown>): Record<string, Json> =>
    t.kind === "slot" ? { slot: `?${String(t["slot"])}` } : { entity: { type: (t["type"] as { path: string[] }).path.join("::"), id: String(t["id"]) } };
  switch (c.kind) {
    case "any":
      return { op: "All" };
    case "eq":
      return { op: "==", ...target(c.target as never) };
    case "in":
      return { op: "in", ...target(c.target as never) };
    case "inList":
      return { op: "in", entities: c.targets.map((t) => ({ type: t.type.path.join("::"), id: t.id })) };
    case "is":
      return c.in === undefined ? { op: "is", entity_type: c.entityType.path.join("::") } : { op: "is", entity_type: c.entityType.path.join("::"), in: target(c.in as never) };
    default:
      return assertNever(c);
  }
}

function estPolicy(p: Policy): Json {
  const out: { [k: string]: Json } = {
    effect: p.effect,
    principal: estScope(p.principal.constraint),
    action: estScope(p.action.constraint),
    resource: estScope(p.resource.constraint),
    conditions: p.conditions.map((c) => ({ kind: c.polarity, body: estExpr(c.body) })),
  };
  if (p.annotations.length > 0) out["annotations"] = Object.fromEntries(p.annotations.map((a) => [a.name, a.value ?? null]));
  return out;
}

/** Cedar splits pattern literals per character; merge adjacent literals for comparison. */
function normalize(j: Json): Json {
  if (Array.isArray(j)) return j.map(normalize);
  if (j === null || typeof j !== "object") return j;
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(j)) {
    if (k === "pattern" && Array.isArray(v)) {
      const merged: Json[] = [];
      for (const el of v) {
        const prev = merged[merged.length - 1];
        if (typeof el === "object" && el !== null && !Array.isArray(el) && typeof prev === "object" && prev !== null && !Array.isArray(prev)) {
          merged[merged.length - 1] = { Literal: String(prev["Literal"]) + String(el["Literal"]) };
        } else merged.push(el);
      }
      out[k] = merged;
    } else out[k] = normalize(v);
  }
  return out;
}

function cedarJson(src: string): Json {
  const r = cedar.policyToJson(src);
  if (r.type !== "success") throw new Error(`cedar rejected ${src}`);
  return normalize(r.json as unknown as Json);
}

// ------------------------------------------------------------------ tables
const P = "permit(principal, action, resource) when { ";
const TRICKY = [
  "!!!!true", "!!!!!true", "-----1", "!-1", "1--1", "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "-(9223372036854775808)",
  "-9223372036854775808.foo", "principal has a.b.c", 'principal has "a".b', 'principal has a."b"', "principal has if", "principal has permit",
  "principal.if", "principal.permit", "principal.in", "{if: 1}", "{permit: 1}", "{a: 1,}", "[1,]", "[,]", "{,}", "{a:1,a:2}", "1 < 2 < 3",
  "1 + if true then 1 else 2", 'principal is User in Group::"a" == true', "(1)(2)", "principal()", "foo", "Foo::Bar", 'if::"x"', 'principal::"x"',
  '__cedar::A::"a"', "principal.__cedar", '"\\x41"', '"\\x80"', '"\\u{D800}"', '"\\u{110000}"', '"\\q"', 'principal like "\\*"', "?principal", "?foo",
  "1 / 2", "principal[0]", 'principal["a"]', "principal is User::Admin", "principal is __cedar::A", "1.foo", "!if true then true else false",
];
const HEADS = [
  "permit(principal,action,resource,);", "permit(action, principal, resource);", 'permit(principal in [User::"a"], action, resource);',
  "permit(principal == User, action, resource);", "permit(principal, action is Action, resource);", "permit(principal, action in [], resource);",
  '@a @a permit(principal, action, resource);', "@x permit(principal, action, resource);", '@if("a") permit(principal, action, resource);',
  "permit(principal, action, resource) when {};", "permit(principal == ?resource, action, resource);", "permit(principal, action == ?principal, resource);",
];

describe("parser agrees with Cedar", () => {
  it.each([...TRICKY.map((e) => `${P}${e} };`), ...HEADS])("accepts/rejects like Cedar: %s", (src) => {
    const c = cedarAccepts(src);
    if (c === "deferred") return;
    expect(writAccepts(src)).toBe(c);
  });

  const ident = fc.constantFrom("a", "b", "principal", "permit", "namespace", "x_1", "context", "if", "in", "true", "is", "Set", "has");
  const str = fc.constantFrom('"s"', '"a b"', '"\\n"', '"\\*"', '"*"', '"a*b\\*"', '"\\u{41}"', '"\\q"', '""');
  const { expr } = fc.letrec((tie) => ({
    expr: fc.oneof(
      { depthSize: "small" },
      fc.constantFrom("principal", "context", "true", "1", "-1", "- 2", "9223372036854775807", "-9223372036854775808", "9223372036854775808", 'User::"a"', 'A::B::"c"', "?principal"),
      str,
      fc.tuple(tie("expr"), fc.constantFrom("==", "!=", "<", "<=", ">", ">=", "in", "&&", "||", "+", "-", "*"), tie("expr")).map(([a, o, b]) => `${a} ${o} ${b}`),
      fc.tuple(fc.constantFrom("!", "-", "!!", "--", "-!", "!!!!!"), tie("expr")).map(([o, a]) => `${o}${a}`),
      tie("expr").map((a) => `(${a})`),
      fc.tuple(tie("expr"), ident).map(([a, i]) => `${a}.${i}`),
      fc.tuple(tie("expr"), str).map(([a, s]) => `${a}[${s}]`),
      fc.tuple(tie("expr"), fc.array(ident, { minLength: 1, maxLength: 3 })).map(([a, p]) => `${a} has ${p.join(".")}`),
      fc.tuple(tie("expr"), str).map(([a, s]) => `${a} has ${s}`),
      fc.tuple(tie("expr"), str).map(([a, s]) => `${a} like ${s}`),
      fc.tuple(tie("expr"), ident, fc.option(tie("expr"))).map(([a, t, b]) => `${a} is ${t}${b === null ? "" : ` in ${b}`}`),
      fc.tuple(tie("expr"), tie("expr"), tie("expr")).map(([a, b, d]) => `if ${a} then ${b} else ${d}`),
      fc.array(tie("expr"), { maxLength: 3 }).map((xs) => `[${xs.join(", ")}]`),
      fc.array(fc.tuple(fc.oneof(ident, str), tie("expr")), { maxLength: 3 }).map((xs) => `{${xs.map(([k, v]) => `${k}: ${v}`).join(", ")}}`),
      fc.tuple(tie("expr"), tie("expr")).map(([a, b]) => `${a}.contains(${b})`),
      tie("expr").map((a) => `${a}.isEmpty()`),
      tie("expr").map((a) => `ip(${a})`),
    ),
  }));
  const scope = fc.record({
    principal: fc.constantFrom("principal", 'principal == User::"a"', 'principal in G::"g"', "principal is User", 'principal is User in G::"g"'),
    action: fc.constantFrom("action", 'action == Action::"v"', 'action in Action::"all"', 'action in [Action::"a", N::Action::"b"]', "action in []"),
    resource: fc.constantFrom("resource", 'resource == Photo::"p"', "resource is N::Photo", 'resource in Album::"x"'),
    ann: fc.constantFrom("", '@id("p") ', "@shadow ", '@id("p") @reason("r\\n") '),
    effect: fc.constantFrom("permit", "forbid"),
    polarity: fc.constantFrom("when", "unless"),
  });

  it("agrees on generated policies: acceptance, and structure when accepted", () => {
    let accepted = 0;
    fc.assert(
      fc.property(scope, expr, (s, e) => {
        const src = `${s.ann}${s.effect}(${s.principal}, ${s.action}, ${s.resource}) ${s.polarity} { ${e} };`;
        const c = cedarAccepts(src);
        if (c === "deferred") return;
        const r = parsePolicies(src);
        expect(r.diagnostics.length === 0).toBe(c);
        if (c) {
          accepted++;
          expect(estPolicy(r.ast!.policies[0]!)).toEqual(cedarJson(src));
        }
      }),
      { numRuns: 1500 },
    );
    expect(accepted).toBeGreaterThan(200);
  });
});

// ------------------------------------------------------------------ schemas
/** Cedar schema errors about meaning (unknown names), which Writ checks in the schema loader. */
const SCHEMA_DEFERRED = /failed to resolve|undeclared action|declared twice|duplicate namespace/;

const SCHEMAS = [
  "entity A;", "entity A, B;", "entity A in [];", "entity A {};", "entity A = {};", "entity A { a: Long, };", 'entity A { "a b"?: Set<Set<Long>> };',
  "entity A tags String;", "entity A { a: Long } tags Set<String>;", "entity A = Long;", 'entity A enum ["a", "b"];', 'entity A enum ["a",];',
  "entity A enum [];", 'entity A enum ["a"] { a: Long };', "type T = { a: Long };", "type T = __cedar::Long;", "type Long = String;", "type ipaddr = Long;",
  "action a;", 'action "a", b;', "action a in [];", "entity A; action a appliesTo { principal: A, resource: A };", "entity A; action a appliesTo { principal: [A,], resource: [A] };",
  "entity A; action a appliesTo { principal: [A], resource: [A], context: {}, };", "entity A; action a appliesTo { resource: A, principal: A };", "action a appliesTo {};",
  "entity A; action a appliesTo { principal: [A] };", "entity A; action a appliesTo { principal: [], resource: [A] };", "entity A; action a appliesTo { principal: A, resource: A, context: Set<Long> };",
  "entity A; action a appliesTo { principal: A, resource: A, context: {}, context: {} };", "namespace N { entity A; }", "namespace N {}", "namespace N { entity A; };",
  "namespace N { namespace M {} }", "namespace __cedar { entity A; }", '@doc("x") namespace N { @doc("y") entity A; }', "@doc entity A;", '@doc("a") @doc("b") entity A;',
  'entity A { @doc("x") a: Long };', "entity A", "entity;", "entity if;", "entity A { if: Long };", "entity A { has: Long };", "entity A { __cedar: Long };",
  "entity A { type: Long, entity: Long, action: Long, namespace: Long, principal: Long };", "type if = Long;", "action if;", "entity A {a: Map<Long>};", "entity A {a: Set<>};",
  "entity Set;", "entity Long;", "entity A tags Long = { a: Long };", "entity A {} {};", "entity namespace;", "entity appliesTo;", "entity A; // c",
];

describe("schema parser agrees with Cedar", () => {
  it.each(SCHEMAS)("accepts/rejects like Cedar: %s", (src) => {
    const r = cedar.checkParseSchema(src);
    if (r.type === "failure" && r.errors.some((e) => SCHEMA_DEFERRED.test(e.message))) return;
    expect(parseSchema(src).diagnostics.length === 0).toBe(r.type === "success");
  });
});
