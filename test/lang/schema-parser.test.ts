/**
 * Tests of the human-readable Cedar schema parser: declarations → AST, errors → codes and
 * positions, recovery and limits.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { lineColOf, parseSchema, type Declaration, type NamespaceDecl, type TypeExpr } from "../../lang/index.js";
import { assertNever } from "../../lang/span.js";

function showType(t: TypeExpr): string {
  switch (t.kind) {
    case "namedType":
      return t.name.path.join("::");
    case "setType":
      return `Set<${showType(t.element)}>`;
    case "recordType":
      return `{${t.attributes.map((a) => `${a.annotations.map((x) => `@${x.name} `).join("")}${a.name}${a.required ? "" : "?"}: ${showType(a.type)}`).join(", ")}}`;
    default:
      return assertNever(t);
  }
}

function showDecl(d: Declaration): string {
  const ann = d.annotations.map((a) => `@${a.name}${a.value === undefined ? "" : `(${a.value})`} `).join("");
  switch (d.kind) {
    case "entityDecl": {
      let s = `${ann}entity ${d.names.join(",")}`;
      if (d.memberOf.length > 0) s += ` in ${d.memberOf.map((n) => n.path.join("::")).join(",")}`;
      if (d.shape !== undefined) s += ` ${showType(d.shape)}`;
      if (d.tags !== undefined) s += ` tags ${showType(d.tags)}`;
      if (d.enumValues !== undefined) s += ` enum ${d.enumValues.join(",")}`;
      return s;
    }
    case "actionDecl": {
      let s = `${ann}action ${d.names.join(",")}`;
      if (d.memberOf.length > 0) s += ` in ${d.memberOf.map((r) => (r.type === undefined ? r.id : `${r.type.path.join("::")}::${r.id}`)).join(",")}`;
      const a = d.appliesTo;
      if (a !== undefined) {
        s += ` appliesTo(p=${a.principals?.map((n) => n.path.join("::")).join(",") ?? "-"}; r=${a.resources?.map((n) => n.path.join("::")).join(",") ?? "-"}; c=${a.context === undefined ? "-" : showType(a.context)})`;
      }
      return s;
    }
    case "typeDecl":
      return `${ann}type ${d.name} = ${showType(d.type)}`;
    case "obligationDecl":
      return `${ann}obligation ${d.name}: ${showType(d.type)}`;
    default:
      return assertNever(d);
  }
}

function showItems(items: readonly (NamespaceDecl | Declaration)[]): string[] {
  return items.map((i) => (i.kind === "namespaceDecl" ? `${i.annotations.map((a) => `@${a.name} `).join("")}namespace ${i.name.path.join("::")} { ${i.declarations.map(showDecl).join("; ")} }` : showDecl(i)));
}

const ROWS: readonly (readonly [string, string])[] = [
  ["entity A;", "entity A"],
  ["entity A, B;", "entity A,B"],
  ["entity A in B;", "entity A in B"],
  ["entity A in [B, Ns::C];", "entity A in B,Ns::C"],
  ["entity A in [];", "entity A"],
  ["entity A = { a: Long };", "entity A {a: Long}"],
  ["entity A { a: Long, };", "entity A {a: Long}"],
  ['entity A { "b c"?: Set<String>, d: Set<Set<Ns::T>> };', "entity A {b c?: Set<String>, d: Set<Set<Ns::T>>}"],
  ["entity A { r: { x: Bool, y?: __cedar::String } };", "entity A {r: {x: Bool, y?: __cedar::String}}"],
  ["entity A tags String;", "entity A tags String"],
  ["entity A in [G] = { a: Long } tags Set<Long>;", "entity A in G {a: Long} tags Set<Long>"],
  ['entity Color enum ["red", "gre\\"en"];', 'entity Color enum red,gre"en'],
  ["entity A { type: Long, entity: Long, action: Long, principal: Long, __cedar: Long };", "entity A {type: Long, entity: Long, action: Long, principal: Long, __cedar: Long}"],
  ['entity A { @doc("x") a: Long };', "entity A {@doc a: Long}"],
  ['@doc("e") @deprecated entity A;', "@doc(e) @deprecated entity A"],
  ["type T = Long;", "type T = Long"],
  ["type Ctx = { ip: ipaddr, n?: decimal };", "type Ctx = {ip: ipaddr, n?: decimal}"],
  ["action view;", "action view"],
  ['action "view", edit, "a b";', "action view,edit,a b"],
  ['action a in "b";', "action a in b"],
  ['action a in [b, "c", Ns::Action::"d"];', "action a in b,c,Ns::Action::d"],
  ["action a appliesTo { principal: User, resource: Photo };", "action a appliesTo(p=User; r=Photo; c=-)"],
  ["action a appliesTo { principal: [User, Admin], resource: [Photo], context: { ok: Bool }, };", "action a appliesTo(p=User,Admin; r=Photo; c={ok: Bool})"],
  ["action a appliesTo { resource: R, principal: P, context: Ctx };", "action a appliesTo(p=P; r=R; c=Ctx)"],
  ["namespace N { entity A; }", "namespace N { entity A }"],
  ["namespace N::M { entity A; action a; type T = Long; }", "namespace N::M { entity A; action a; type T = Long }"],
  ['@doc("ns") namespace N {}', "@doc namespace N {  }"],
];

describe("schema declarations", () => {
  it.each(ROWS)("%s", (src, want) => {
    const r = parseSchema(src);
    expect(r.diagnostics).toEqual([]);
    expect(showItems(r.ast!.items)).toEqual([want]);
  });

  it("parses a whole file with namespaces, top-level declarations and comments", () => {
    const src = [
      "// top",
      "entity Top;",
      "namespace App {",
      "  entity User in [Group] { name: String }; // users",
      "  entity Group;",
      '  action "read" appliesTo { principal: User, resource: Top };',
      "}",
      "namespace Other { type X = Set<App::User>; }",
    ].join("\n");
    const r = parseSchema(src, "s.cedarschema");
    expect(r.diagnostics).toEqual([]);
    expect(showItems(r.ast!.items)).toEqual([
      "entity Top",
      "namespace App { entity User in Group {name: String}; entity Group; action read appliesTo(p=User; r=Top; c=-) }",
      "namespace Other { type X = Set<App::User> }",
    ]);
    expect(r.ast!.comments.map((c) => c.text)).toEqual(["// top", "// users"]);
    const ns = r.ast!.items[1]!;
    expect(src.slice(ns.span.start, ns.span.end).startsWith("namespace App {")).toBe(true);
    expect(src.slice(ns.span.start, ns.span.end).endsWith("}")).toBe(true);
  });
});

/** [source, code, "line:col" of the first diagnostic] */
const ERROR_ROWS: readonly (readonly [string, string, string])[] = [
  ["entity A", "W1201", "1:9"],
  ["entity;", "W1201", "1:7"],
  ["foo A;", "W1202", "1:1"],
  ["entity A = { a: Long b: Long };", "W1201", "1:22"],
  ["entity A in [B,];", "W1201", "1:16"],
  ['entity A enum ["a",];', "W1201", "1:20"],
  ["entity A enum [];", "W1201", "1:16"],
  ["entity A = Long;", "W1201", "1:12"],
  ["entity A { a: Map<Long> };", "W1202", "1:15"],
  ["entity if;", "W1008", "1:8"],
  ["entity A { has: Long };", "W1008", "1:12"],
  ["type Long = String;", "W1202", "1:6"],
  ["action a in [];", "W1201", "1:14"],
  ["action a in A::B;", "W1202", "1:13"],
  ["action a appliesTo {};", "W1201", "1:21"],
  ["action a appliesTo { principal: [A] };", "W1202", "1:10"],
  ["action a appliesTo { principal: [], resource: [R] };", "W1202", "1:22"],
  ["action a appliesTo { principal: P, resource: R, foo: X };", "W1202", "1:49"],
  ["action a appliesTo { principal: P, principal: Q, resource: R };", "W1202", "1:36"],
  ["action a appliesTo { principal: P, resource: R, context: Set<Long> };", "W1202", "1:49"],
  ['@doc("a") @doc("b") entity A;', "W1007", "1:11"],
  ['entity A { "\\q": Long };', "W1003", "1:13"],
  ["namespace __cedar { entity A; }", "W1202", "1:11"],
  ["namespace A { namespace B { entity C; } }", "W1202", "1:15"],
  ["namespace A { entity B; ", "W1201", "1:24"],
  ["entity A; }", "W1201", "1:11"],
  ["entity A # B;", "W1005", "1:10"],
];

describe("schema errors", () => {
  it.each(ERROR_ROWS)("%s → %s at %s", (src, code, at) => {
    const r = parseSchema(src);
    expect(r.diagnostics.length).toBeGreaterThan(0);
    const d = r.diagnostics[0]!;
    expect(d.code).toBe(code);
    const pos = lineColOf(src, d.span.start);
    expect(`${pos.line}:${pos.col}`).toBe(at);
  });

  it("recovers per declaration, inside and outside namespaces", () => {
    const src = [
      "entity A = { a: Long b: Long };",
      "entity B;",
      "namespace N {",
      "  entity C in ;",
      "  entity D",
      "  entity E;",
      "}",
      "type T = Set<Long;",
      "entity F;",
    ].join("\n");
    const r = parseSchema(src, "s.cedarschema");
    expect(r.diagnostics.map((d) => [d.code, lineColOf(src, d.span.start).line])).toEqual([
      ["W1201", 1],
      ["W1201", 4],
      ["W1201", 6],
      ["W1201", 8],
    ]);
    expect(r.diagnostics.every((d) => d.file === "s.cedarschema")).toBe(true);
    expect(showItems(r.ast!.items)).toEqual(["entity B", "namespace N { entity E }", "entity F"]);
  });

  it("limits nesting depth (W1011)", () => {
    const deep = parseSchema(`type T = ${"Set<".repeat(50_000)}Long${">".repeat(50_000)};`);
    expect(deep.diagnostics.map((d) => d.code)).toEqual(["W1011"]);
    const ok = parseSchema(`type T = ${"{ a: ".repeat(100)}Long${" }".repeat(100)};`);
    expect(ok.diagnostics).toEqual([]);
  });

  it("rejects inputs over the size limit", () => {
    const r = parseSchema(" ".repeat(10 * 1024 * 1024 + 1));
    expect(r.ast).toBeUndefined();
    expect(r.diagnostics.map((d) => d.code)).toEqual(["W1014"]);
  });
});

const FRAGMENTS = [
  "namespace", "entity", "action", "type", "appliesTo", "tags", "enum", "in", "principal", "resource", "context", "N", "A", "Long", "Set",
  "<", ">", "{", "}", "[", "]", ",", ";", ":", "?", "=", "::", '"s"', "@doc", "(", ")", "#", "\n", "// c\n",
];

describe("schema robustness", () => {
  it("never throws and keeps spans in bounds on arbitrary token soup", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 60 }), (parts) => {
        const src = parts.join(" ");
        const r = parseSchema(src);
        expect(r.ast).toBeDefined();
        for (const d of r.diagnostics) {
          expect(d.span.start).toBeGreaterThanOrEqual(0);
          expect(d.span.end).toBeLessThanOrEqual(src.length);
        }
      }),
      { numRuns: 500 },
    );
  });
});
