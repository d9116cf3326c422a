/**
 * The schema view behind completion is rendered from the compiler's resolved schema model:
 * qualified names, common types expanded, types printed as the checker prints them, and
 * nothing at all from a schema that does not load.
 */
import { describe, expect, it } from "vitest";
import { loadSchema, showType, type Schema } from "../../compiler/index.js";
import { parseSchema } from "../../lang/index.js";
import { DEFAULT_STATE } from "../../playground/src/default-example.js";
import { loadExamples } from "../../playground/src/examples.js";
import { EMPTY_SUMMARY, schemaSummary } from "../../playground/src/schema-summary.js";
import { analyzeResult } from "../../playground/src/writ-service.js";

const NAMESPACED = `type Labels = Set<String>;
namespace Shop {
  type Ctx = { ip: ipaddr, at?: datetime };
  entity Team;
  entity Customer in [Team] { name: String, labels: Labels, address: { city: String, zip?: Long } };
  entity Order { buyer: Customer, total: decimal };
  action browse;
  action buy in [browse] appliesTo { principal: [Customer], resource: [Order], context: Ctx };
}
`;

function loaded(src: string): Schema {
  const r = loadSchema(parseSchema(src).ast!);
  expect(r.diagnostics).toEqual([]);
  return r.schema!;
}

describe("schema summary", () => {
  it("shows qualified names and resolved types: common types expanded, nested records printed by the checker", () => {
    const s = schemaSummary(loaded(NAMESPACED));
    expect(s.entityTypes).toEqual(["Shop::Team", "Shop::Customer", "Shop::Order"]);
    expect(s.actions).toEqual(['Shop::Action::"browse"', 'Shop::Action::"buy"']);
    expect(s.attributes["Shop::Customer"]).toEqual([
      { name: "name", type: "String", required: true },
      { name: "labels", type: "Set<String>", required: true },
      { name: "address", type: "{city: String, zip?: Long}", required: true },
    ]);
    expect(s.attributes["Shop::Order"]).toEqual([
      { name: "buyer", type: "Shop::Customer", required: true },
      { name: "total", type: "decimal", required: true },
    ]);
    expect(s.attributes["Shop::Team"]).toEqual([]);
    expect(s.contextAttributes).toEqual([
      { name: "ip", type: "ipaddr", required: true },
      { name: "at", type: "datetime", required: false },
    ]);
    expect(s.principalTypes).toEqual(["Shop::Customer"]);
    expect(s.resourceTypes).toEqual(["Shop::Order"]);
  });

  it("unions the context attributes and scope types of every action, first declaration of a name first", () => {
    const s = schemaSummary(
      loaded(`entity A; entity B; entity C;
action one appliesTo { principal: A, resource: B, context: { x: Long, y: String } };
action two appliesTo { principal: [A, C], resource: A, context: { y: Bool, z: decimal } };`),
    );
    expect(s.contextAttributes.map((a) => `${a.name}: ${a.type}`)).toEqual(["x: Long", "y: String", "z: decimal"]);
    expect(s.principalTypes).toEqual(["A", "C"]);
    expect(s.resourceTypes).toEqual(["B", "A"]);
  });

  it("agrees with the compiler's model on every example's schema", () => {
    for (const ex of loadExamples()) {
      if (ex.state.schema.trim() === "") continue;
      const schema = loaded(ex.state.schema);
      const s = schemaSummary(schema);
      expect(s.entityTypes, ex.label).toEqual(Object.keys(schema.entityTypes));
      expect(s.actions, ex.label).toEqual(Object.keys(schema.actions));
      for (const [name, info] of Object.entries(schema.entityTypes)) {
        expect(s.attributes[name], `${ex.label}: ${name}`).toEqual(Object.entries(info.attributes.attrs).map(([k, a]) => ({ name: k, type: showType(a.type), required: a.required })));
      }
    }
  });

  it("is empty for a schema that does not load, which gets its marker instead", () => {
    expect(schemaSummary(undefined)).toEqual(EMPTY_SUMMARY);
    const broken = `${DEFAULT_STATE.schema}\nentity Extra { boss: Manager };\n`;
    const r = analyzeResult({ ...DEFAULT_STATE, schema: broken });
    expect(r.markers.schema.some((m) => m.severity === "error" && m.code.startsWith("W2"))).toBe(true);
    expect(r.schema).toEqual(EMPTY_SUMMARY);
    expect(analyzeResult(DEFAULT_STATE).schema.entityTypes).toEqual(["Group", "User", "Document"]);
  });
});
