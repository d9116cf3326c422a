/**
 * Cedar's JSON schema format both ways (issue 15, item 3): `schemaToJson` writes what
 * `schemaFromJson` reads, and a schema has the same id in either form — for the example and
 * conformance schemas and for random schemas — and agrees with Cedar's own conversions
 * (`@cedar-policy/cedar-wasm` `schemaToJson` / `schemaToText`).
 *
 * Runs per property: `WRIT_PROP_RUNS` (default 300); `WRIT_PROP_SEED` fixes the seed.
 */
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatSchema, parseSchema } from "../../lang/index.js";
import { loadSchema, schemaFromJson, schemaId, schemaToJson } from "../../compiler/index.js";
import type { SchemaFile } from "../../lang/schema-ast.js";

const RUNS = Number(process.env["WRIT_PROP_RUNS"] ?? "300");
const SEED = process.env["WRIT_PROP_SEED"] === undefined ? undefined : Number(process.env["WRIT_PROP_SEED"]);
const PROP = { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) };
const TIMEOUT = Math.max(60_000, RUNS * 60);

function idOf(ast: SchemaFile | undefined): string {
  expect(ast).toBeDefined();
  const l = loadSchema(ast!);
  expect(l.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return schemaId(l.schema!);
}

function textAst(src: string): SchemaFile {
  const p = parseSchema(src);
  expect(p.diagnostics).toEqual([]);
  return p.ast!;
}

function jsonAst(json: unknown): SchemaFile {
  const r = schemaFromJson(json);
  expect(r.diagnostics).toEqual([]);
  return r.ast!;
}

/** Writ's JSON, read back, printed as text and parsed: the three ids of one schema. */
function ids(src: string): { text: string; json: string; back: string } {
  const ast = textAst(src);
  const j = schemaToJson(ast);
  expect(j.diagnostics).toEqual([]);
  const viaJson = jsonAst(JSON.parse(JSON.stringify(j.json)));
  return { text: idOf(ast), json: idOf(viaJson), back: idOf(textAst(formatSchema(viaJson, ""))) };
}

function schemaFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) schemaFiles(p, out);
    else if (p.endsWith(".cedarschema")) out.push(p);
  }
  return out;
}

describe("the JSON schema format", () => {
  it("writes names as written (EntityOrCommon), builtins by Cedar's names, annotations, obligations", () => {
    const ast = textAst(`@doc("ns") namespace A {
  type T = { a: Long, "b c"?: Set<__cedar::String>, d: ipaddr, @doc("e") e: __cedar::Bool, f: __cedar::decimal };
  entity U in [G] = { t: T } tags String;
  entity G;
  entity C enum ["red"];
  action "view", edit in [all] appliesTo { principal: U, resource: [G, U], context: { ip: ipaddr } };
  action all;
}
obligation max_cost: decimal;`);
    const j = schemaToJson(ast).json as Record<string, Record<string, Record<string, unknown>>>;
    const a = j["A"]!;
    expect(a["annotations"]).toEqual({ doc: "ns" });
    expect(a["commonTypes"]!["T"]).toEqual({
      type: "Record",
      attributes: {
        a: { type: "EntityOrCommon", name: "Long" },
        "b c": { type: "Set", element: { type: "String" }, required: false },
        d: { type: "EntityOrCommon", name: "ipaddr" },
        e: { type: "Boolean", annotations: { doc: "e" } },
        f: { type: "Extension", name: "decimal" },
      },
    });
    expect(a["entityTypes"]).toEqual({
      U: { memberOfTypes: ["G"], shape: { type: "Record", attributes: { t: { type: "EntityOrCommon", name: "T" } } }, tags: { type: "EntityOrCommon", name: "String" } },
      G: {},
      C: { enum: ["red"] },
    });
    expect(a["actions"]!["view"]).toEqual(a["actions"]!["edit"]);
    expect(a["actions"]!["all"]).toEqual({});
    expect(j[""]).toEqual({ entityTypes: {}, actions: {}, obligations: { max_cost: { type: "EntityOrCommon", name: "decimal" } } });
    expect(idOf(jsonAst(j))).toBe(idOf(ast));
  });

  it("refuses to write a name declared twice (the JSON keys would collide)", () => {
    expect(schemaToJson(textAst(`entity A; entity A;`)).diagnostics.map((d) => d.code)).toEqual(["W2002"]);
    expect(schemaToJson(textAst(`namespace N { entity A; } namespace N { entity B; }`)).diagnostics.map((d) => d.code)).toEqual(["W2010"]);
  });

  it("an action whose appliesTo lists no principal or resource type applies to nothing, as in text", () => {
    const json = { "": { entityTypes: { U: {} }, actions: { a: { appliesTo: { principalTypes: [], resourceTypes: ["U"] } } } } };
    expect(idOf(jsonAst(json))).toBe(idOf(textAst(`entity U; action a;`)));
  });

  it("every example and conformance schema has the same id as text, as Writ's JSON and as Cedar's JSON", () => {
    const files = [...schemaFiles("examples"), ...schemaFiles("../shared/conformance/cedar")];
    expect(files.length).toBeGreaterThan(4);
    for (const f of files) {
      const src = readFileSync(f, "utf8");
      const i = ids(src);
      expect(i.json, f).toBe(i.text);
      expect(i.back, f).toBe(i.text);
      const theirs = cedar.schemaToJson(src);
      if (theirs.type === "failure") {
        // Cedar does not know Writ's obligations.
        expect(src, f).toMatch(/^\s*obligation /m);
        continue;
      }
      expect(idOf(jsonAst(theirs.json)), f).toBe(i.text);
    }
  });
});

// ------------------------------------------------------------------ random schemas

const ident = fc.constantFrom("a", "b", "name", "level", "owner", "tags2");
const annotation = fc.option(fc.constantFrom('@doc("x") ', '@doc("") ', "@flag "), { nil: "" }).map((a) => a ?? "");

/** A type over the declared entity types `ents` and common types `commons`. */
function arbType(ents: readonly string[], commons: readonly string[], depth: number): fc.Arbitrary<string> {
  const leaves = [
    fc.constantFrom("Long", "String", "Bool", "__cedar::Long", "ipaddr", "decimal", "datetime", "duration", "__cedar::ipaddr"),
    ...(ents.length > 0 ? [fc.constantFrom(...ents)] : []),
    ...(commons.length > 0 ? [fc.constantFrom(...commons)] : []),
  ];
  if (depth <= 0) return fc.oneof(...leaves);
  return fc.oneof(
    { weight: 4, arbitrary: fc.oneof(...leaves) },
    { weight: 1, arbitrary: arbType(ents, commons, depth - 1).map((t) => `Set<${t}>`) },
    { weight: 1, arbitrary: arbRecord(ents, commons, depth - 1) },
  );
}

function arbRecord(ents: readonly string[], commons: readonly string[], depth: number): fc.Arbitrary<string> {
  return fc
    .uniqueArray(fc.tuple(ident, fc.boolean(), annotation, arbType(ents, commons, depth)), { maxLength: 3, selector: (a) => a[0] })
    .map((attrs) => `{ ${attrs.map(([n, opt, ann, t]) => `${ann}${n}${opt ? "?" : ""}: ${t}`).join(", ")} }`);
}

/** One namespace body: common types, entity types, actions (names start with `p`: Cedar forbids shadowing top-level names). */
const arbNamespaceBody = (p: string) => fc
  .tuple(fc.uniqueArray(fc.constantFrom(`${p}User`, `${p}Team`, `${p}Doc`), { minLength: 1, maxLength: 3 }), fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 2 }))
  .chain(([ents, withCommon, withEnum, nActions]) => {
    const commons = withCommon ? [`${p}Common`] : [];
    const entity = (name: string, i: number) =>
      fc
        .tuple(annotation, fc.subarray(ents.slice(i + 1)), fc.option(arbRecord(ents, commons, 1), { nil: undefined }), fc.option(arbType(ents, [], 0), { freq: 4, nil: undefined }))
        .map(([ann, parents, shape, tags]) => `${ann}entity ${name}${parents.length > 0 ? ` in [${parents.join(", ")}]` : ""}${shape === undefined ? "" : ` ${shape}`}${tags === undefined ? "" : ` tags ${tags}`};`);
    const action = (name: string, first: boolean) =>
      fc
        .tuple(annotation, fc.subarray(ents, { minLength: 1 }), fc.subarray(ents, { minLength: 1 }), fc.option(arbRecord(ents, commons, 1), { nil: undefined }), fc.boolean())
        .map(([ann, ps, rs, ctx, grouped]) => `${ann}action ${name}${grouped && !first ? ` in ["${p}all"]` : ""} appliesTo { principal: [${ps.join(", ")}], resource: [${rs.join(", ")}]${ctx === undefined ? "" : `, context: ${ctx}`} };`);
    return fc
      .tuple(
        withCommon ? arbRecord(ents, [], 1).map((r) => [`type ${p}Common = ${r};`]) : fc.constant([] as string[]),
        fc.tuple(...ents.map(entity)),
        fc.tuple(...[`${p}view`, `${p}edit`].slice(0, nActions).map((n) => action(n, false))),
        fc.constant(nActions > 0 ? [`action "${p}all";`] : []),
        fc.constant(withEnum ? [`entity ${p}Color enum ["red", "blue"];`] : []),
      )
      .map((parts) => parts.flat().join("\n"));
  });

const arbSchemaText = fc
  .tuple(arbNamespaceBody(""), fc.option(arbNamespaceBody("N"), { nil: undefined }), annotation)
  .map(([top, ns, ann]) => (ns === undefined ? top : `${top}\n${ann}namespace App::Core {\n${ns}\n}`));

describe("properties", () => {
  it(
    "a random schema has one id as text, as Writ's JSON, back as text, and through Cedar's conversions",
    () => {
      let compared = 0;
      fc.assert(
        fc.property(arbSchemaText, (src) => {
          const parsed = parseSchema(src);
          if (parsed.diagnostics.length > 0 || loadSchema(parsed.ast!).diagnostics.some((d) => d.severity === "error")) return;
          const i = ids(src);
          expect(i.json).toBe(i.text);
          expect(i.back).toBe(i.text);
          const theirs = cedar.schemaToJson(src);
          if (theirs.type === "failure") return;
          compared++;
          expect(idOf(jsonAst(theirs.json))).toBe(i.text);
          const text = cedar.schemaToText(schemaToJson(textAst(src)).json as unknown as cedar.SchemaJson<string>);
          if (text.type === "failure") throw new Error(`Cedar rejected Writ's JSON schema: ${text.errors.map((e) => e.message).join("; ")}\n${src}`);
          expect(idOf(textAst(text.text))).toBe(i.text);
        }),
        PROP,
      );
      expect(compared).toBeGreaterThan(RUNS * 0.5);
    },
    TIMEOUT,
  );
});
