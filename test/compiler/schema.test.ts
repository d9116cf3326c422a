/**
 * Schema loading: namespaces and name resolution, common types, hierarchies,
 * diagnostics with suggestions, the JSON schema form, and plain-data output.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import { parseSchema } from "../../lang/index.js";
import type { Diagnostic } from "../../lang/diagnostics.js";
import { actionAncestors, actionInfo, entityTypeAncestors, entityTypeInfo, loadSchema, mayBeIn, actionIsIn, requestEnvs, type Schema } from "../../compiler/schema.js";
import { schemaFromJson } from "../../compiler/schema-json.js";
import { attrOf, showType } from "../../compiler/types.js";
import { conformanceData, describeConformance } from "../support/conformance.js";

function load(src: string): { schema: Schema | undefined; diagnostics: Diagnostic[] } {
  const parsed = parseSchema(src);
  expect(parsed.diagnostics).toEqual([]);
  return loadSchema(parsed.ast!);
}

function ok(src: string): Schema {
  const r = load(src);
  expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  return r.schema!;
}

function codes(src: string): string[] {
  return load(src).diagnostics.map((d) => d.code);
}

function attrType(s: Schema, entity: string, attr: string): string {
  const info = entityTypeInfo(s, entity);
  expect(info).toBeDefined();
  const a = attrOf(info!.attributes, attr);
  expect(a).toBeDefined();
  return `${showType(a!.type)}${a!.required ? "" : "?"}`;
}

describe("namespaces and name resolution", () => {
  it("qualifies entity types and actions declared in a namespace", () => {
    const s = ok(`namespace A::B { entity U in [G]; entity G; action view appliesTo { principal: U, resource: [G] }; }`);
    expect(Object.keys(s.entityTypes).sort()).toEqual(["A::B::G", "A::B::U"]);
    const view = actionInfo(s, 'A::B::Action::"view"');
    expect(view?.appliesTo?.principals).toEqual(["A::B::U"]);
    expect(view?.appliesTo?.resources).toEqual(["A::B::G"]);
    expect(s.actionTypes).toEqual(["A::B::Action"]);
  });

  it("resolves to the current namespace before the empty namespace", () => {
    const s = ok(`entity User; namespace N { type User = String; entity E = { u: User, v: Other }; } entity Other;`);
    expect(attrType(s, "N::E", "u")).toBe("String");
    expect(attrType(s, "N::E", "v")).toBe("Other");
  });

  it("prefers a common type over an entity type of the same namespace", () => {
    const s = ok(`namespace N { type T = Long; entity T; entity E = { t: T, q: N::T }; }`);
    expect(attrType(s, "N::E", "t")).toBe("Long");
    expect(attrType(s, "N::E", "q")).toBe("Long");
  });

  it("lets `__cedar::` name a builtin even when shadowed", () => {
    const s = ok(`namespace N { entity Long; entity E = { a: Long, b: __cedar::Long, c?: ipaddr }; }`);
    expect(attrType(s, "N::E", "a")).toBe("N::Long");
    expect(attrType(s, "N::E", "b")).toBe("Long");
    expect(attrType(s, "N::E", "c")).toBe("ipaddr?");
  });

  it("expands nested common types, sets and records", () => {
    const s = ok(`type A = { x: Long, y?: Set<B> }; type B = String; entity E = { a: A, s: Set<Set<E>> };`);
    expect(attrType(s, "E", "a")).toBe("{x: Long, y?: Set<String>}");
    expect(attrType(s, "E", "s")).toBe("Set<Set<E>>");
  });

  it("uses a common record type as the context", () => {
    const s = ok(`type Ctx = { ip: ipaddr }; entity U; action v appliesTo { principal: U, resource: U, context: Ctx };`);
    expect(showType(actionInfo(s, 'Action::"v"')!.appliesTo!.context)).toBe("{ip: ipaddr}");
  });
});

describe("hierarchies", () => {
  it("computes transitive entity ancestors", () => {
    const s = ok(`entity A in [B]; entity B in [C]; entity C; entity D;`);
    expect(entityTypeAncestors(s, "A")).toEqual(["B", "C"]);
    expect(entityTypeInfo(s, "A")?.memberOf).toEqual(["B"]);
    expect(mayBeIn(s, "A", "C")).toBe(true);
    expect(mayBeIn(s, "A", "A")).toBe(true);
    expect(mayBeIn(s, "C", "A")).toBe(false);
    expect(mayBeIn(s, "A", "D")).toBe(false);
  });

  it("computes transitive action groups", () => {
    const s = ok(`action all; action read in [all]; action view in [read]; action "edit list" in ["view"];`);
    expect(actionAncestors(s, 'Action::"view"')).toEqual(['Action::"all"', 'Action::"read"']);
    expect(actionInfo(s, 'Action::"view"')?.memberOf).toEqual(['Action::"read"']);
    expect(actionIsIn(s, 'Action::"edit list"', 'Action::"all"')).toBe(true);
    expect(actionIsIn(s, 'Action::"all"', 'Action::"view"')).toBe(false);
  });

  it("enumerates request environments from appliesTo", () => {
    const s = ok(`entity U, G; entity D; action a appliesTo { principal: [U, G], resource: [D] }; action b;`);
    expect(requestEnvs(s).map((e) => `${e.principal} ${e.action.id} ${e.resource}`)).toEqual(["U a D", "G a D"]);
  });

  it("records tags and enumerations", () => {
    const s = ok(`entity Color enum ["red", "blue"]; entity U tags Set<String>;`);
    expect(entityTypeInfo(s, "Color")?.enumValues).toEqual(["red", "blue"]);
    expect(showType(entityTypeInfo(s, "U")!.tags!)).toBe("Set<String>");
  });
});

describe("schema diagnostics", () => {
  it("reports an unknown type with a suggestion", () => {
    const d = load(`entity E = { a: Strng };`).diagnostics;
    expect(d.map((x) => x.code)).toEqual(["W2001"]);
    expect(d[0]!.help).toBe("did you mean `String`?");
  });

  it("reports unknown parents and appliesTo types (W2008)", () => {
    const d = load(`entity User in [Grop]; entity Group; action a appliesTo { principal: Usr, resource: User };`).diagnostics;
    expect(d.map((x) => x.code)).toEqual(["W2008", "W2008"]);
    expect(d.map((x) => x.help)).toEqual(["did you mean `Group`?", "did you mean `User`?"]);
  });

  it("reports an unknown action group (W2004)", () => {
    const d = load(`action read; action view in [raed];`).diagnostics;
    expect(d.map((x) => x.code)).toEqual(["W2004"]);
    expect(d[0]!.help).toBe('did you mean `Action::"read"`?');
  });

  it("reports cycles in the action hierarchy (W2005)", () => {
    expect(codes(`action a in [b]; action b in [a];`)).toContain("W2005");
    expect(load(`action a in [b]; action b in [a];`).schema).toBeUndefined();
  });

  it("reports duplicates", () => {
    expect(codes(`entity A; entity A;`)).toEqual(["W2002"]);
    expect(codes(`action a; action a;`)).toEqual(["W2003"]);
    expect(codes(`type T = Long; type T = String;`)).toEqual(["W2006"]);
    expect(codes(`namespace N { entity A; } namespace N { entity B; }`)).toEqual(["W2010"]);
    expect(codes(`namespace N { entity Action; }`)).toEqual(["W2002"]);
  });

  it("warns about a repeated attribute and keeps the last one, as Cedar does", () => {
    const r = load(`entity E = { a: Long, a: String };`);
    expect(r.diagnostics.map((d) => [d.code, d.severity])).toEqual([["W2007", "warning"]]);
    expect(attrType(r.schema!, "E", "a")).toBe("String");
  });

  it("reports cyclic common types (W2006)", () => {
    expect(codes(`type A = { b: B }; type B = Set<A>;`)).toContain("W2006");
  });

  it("reports a context that is not a record (W2001)", () => {
    expect(codes(`entity U; action a appliesTo { principal: U, resource: U, context: Long };`)).toEqual(["W2001"]);
  });

  it("accepts the same names in different namespaces", () => {
    const s = ok(`namespace A { entity U; action v; } namespace B { entity U; action v; }`);
    expect(Object.keys(s.entityTypes).sort()).toEqual(["A::U", "B::U"]);
    expect(Object.keys(s.actions).sort()).toEqual(['A::Action::"v"', 'B::Action::"v"']);
  });
});

describe("plain data and the JSON schema form", () => {
  const sampleData = conformanceData("cedar/sample-data");
  const root = `${sampleData.dir}/`;
  const samples = ["sandbox_a/schema.cedarschema", "sandbox_b/schema.cedarschema", "sandbox_b/schema_exts.cedarschema"];

  describeConformance("Cedar's sample schemas", sampleData, () => {
    it.each(samples)("%s survives a JSON round trip", (file) => {
      const s = ok(readFileSync(root + file, "utf8"));
      expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    });

    it.each(samples)("%s loads the same from Cedar's JSON form", (file) => {
      const src = readFileSync(root + file, "utf8");
      const fromText = ok(src);
      const json = cedar.schemaToJson(src);
      expect(json.type).toBe("success");
      if (json.type !== "success") return;
      const parsed = schemaFromJson(json.json);
      expect(parsed.diagnostics).toEqual([]);
      const fromJson = loadSchema(parsed.ast!);
      expect(fromJson.diagnostics).toEqual([]);
      expect(fromJson.schema).toEqual(fromText);
    });
  });

  it("rejects malformed JSON schemas (W2009)", () => {
    expect(schemaFromJson([]).diagnostics.map((d) => d.code)).toEqual(["W2009"]);
    expect(schemaFromJson({ "": { entityTypes: { A: { shape: { type: 7 } } } } }).diagnostics.map((d) => d.code)).toEqual(["W2009"]);
  });

  it("reads namespaces, common types, tags and action groups from JSON", () => {
    const r = schemaFromJson({
      N: {
        commonTypes: { Ctx: { type: "Record", attributes: { n: { type: "Long", required: false } } } },
        entityTypes: { U: { memberOfTypes: ["G"], tags: { type: "String" } }, G: {} },
        actions: { all: {}, view: { memberOf: [{ id: "all" }], appliesTo: { principalTypes: ["U"], resourceTypes: ["G"], context: { type: "Ctx" } } } },
      },
    });
    expect(r.diagnostics).toEqual([]);
    const s = loadSchema(r.ast!).schema!;
    expect(entityTypeAncestors(s, "N::U")).toEqual(["N::G"]);
    expect(showType(entityTypeInfo(s, "N::U")!.tags!)).toBe("String");
    const view = actionInfo(s, 'N::Action::"view"')!;
    expect(actionAncestors(s, view.key)).toEqual(['N::Action::"all"']);
    expect(showType(view.appliesTo!.context)).toBe("{n?: Long}");
  });
});
