/**
 * Schema printer: exact layout on hand-written schemas, and idempotence plus
 * round trip (parse ∘ fmt = parse up to spans, every comment kept) on the
 * conformance `.cedarschema` files, also after re-spacing them and sprinkling
 * comments between their tokens.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseSchema } from "../../lang/index.js";
import { formatSchema } from "../../lang/schema-printer.js";
import { writLexer } from "../../lang/tokens.js";
import { commentTexts, stripSpansAndComments } from "../support/strip-spans.js";
import { conformanceData, describeConformance } from "../support/conformance.js";

/** Runs per property (raise with WRIT_PROP_RUNS for a longer search). */
const RUNS = Number(process.env.WRIT_PROP_RUNS ?? 100);
const cedar = conformanceData("cedar");
const SAMPLES = cedar.dir;

function schemaFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...schemaFiles(p));
    else if (name.endsWith(".cedarschema")) out.push(p);
  }
  return out;
}

function parseOk(src: string) {
  const r = parseSchema(src);
  if (r.diagnostics.length > 0 || r.ast === undefined) {
    throw new Error(`parse failed: ${r.diagnostics.map((d) => `${d.code} ${d.message}`).join("; ")}\n--- source ---\n${src}`);
  }
  return r.ast;
}

function checkFormat(src: string): string {
  const ast = parseOk(src);
  const once = formatSchema(ast, src);
  const ast2 = parseOk(once);
  expect(stripSpansAndComments(ast2)).toEqual(stripSpansAndComments(ast));
  expect(commentTexts(ast2)).toEqual(commentTexts(ast));
  expect(formatSchema(ast2, once)).toBe(once);
  return once;
}

/** Re-join the tokens of `src` with separators chosen by `pick` (spaces, newlines, comments). */
function respace(src: string, pick: (i: number) => string): string {
  const { tokens } = writLexer.tokenize(src);
  return tokens.map((t, i) => (i > 0 ? pick(i) : "") + t.image).join("") + "\n";
}

const SEPARATORS = [" ", " ", "\n", "\n\n", "  ", " // note\n", "\n// own line\n", " //\n"];

const ROWS: readonly { readonly name: string; readonly src: string; readonly out: string }[] = [
  { name: "empty schema", src: "", out: "" },
  { name: "bare entities", src: "entity A;entity B,C  in [A];", out: "entity A;\nentity B, C in [A];\n" },
  { name: "single parent in brackets", src: "entity U in G;", out: "entity U in [G];\n" },
  {
    name: "entity shape broken one attribute per line",
    src: "entity User = { name: String, age?: Long, tags: Set<String> };",
    out: "entity User = {\n  name: String,\n  age?: Long,\n  tags: Set<String>\n};\n",
  },
  { name: "empty shape", src: "entity E {};", out: "entity E = {};\n" },
  { name: "tags", src: "entity Doc tags String;", out: "entity Doc tags String;\n" },
  { name: "enum entity", src: 'entity Color enum [ "red","blue\\"" ];', out: 'entity Color enum ["red", "blue\\""];\n' },
  {
    name: "nested record flat when it fits, quoted keys kept quoted only when needed",
    src: 'type T = { "a b": { c: Long }, "d": Bool };',
    out: 'type T = {\n  "a b": { c: Long },\n  d: Bool\n};\n',
  },
  {
    name: "action with appliesTo and groups",
    src: 'action "view", edit in ["read", NS::Action::"all"] appliesTo { principal: User, resource: [Doc, Folder], context: { ip: ipaddr } };',
    out: 'action view, edit in [read, NS::Action::"all"] appliesTo {\n  principal: [User],\n  resource: [Doc, Folder],\n  context: { ip: ipaddr }\n};\n',
  },
  { name: "action names that are not identifiers stay quoted", src: 'action "read file", "in";', out: 'action "read file", "in";\n' },
  {
    name: "namespace with annotations, indentation and a blank line kept",
    src: '@doc("app") namespace App { entity A;\n\n entity B; action go; }',
    out: '@doc("app")\nnamespace App {\n  entity A;\n\n  entity B;\n  action go;\n}\n',
  },
  {
    name: "comments: leading, same-line trailing, dangling, end of file",
    src: "// head\nentity A = { // first\n  a: Long, // about a\n  b: String\n  // last in record\n}; // after A\n// end\n",
    out: "// head\nentity A = {\n  // first\n  a: Long, // about a\n  b: String\n  // last in record\n}; // after A\n// end\n",
  },
  { name: "empty namespace", src: "namespace A::B {}", out: "namespace A::B {}\n" },
  { name: "namespace holding only a comment", src: "namespace A { // only\n}", out: "namespace A {\n  // only\n}\n" },
  {
    name: "annotations on attributes",
    src: 'entity A { @doc("x") a: Long };',
    out: 'entity A = {\n  @doc("x")\n  a: Long\n};\n',
  },
];

describe("schema printer layout", () => {
  for (const row of ROWS) {
    it(row.name, () => {
      expect(checkFormat(row.src)).toBe(row.out);
    });
  }
});

/** A schema using every construct: namespaces, annotations, common types, enums, tags, action groups. */
const RICH = `// header

@doc("ns") namespace App::Core {
  type Ctx = { ip: ipaddr, "weird key"?: Set<Set<String>>, nested: { a: Long, b: { c: Bool } } };
  entity User in [Group, Team] = { name: String, @doc("age") age?: Long, manager: User };
  entity Group, Team;
  entity Color enum ["red", "green\\"quoted"];
  entity Doc { owner: User } tags String;
  action "view", edit in ["read", App::Core::Action::"all"] appliesTo { principal: [User], resource: Doc, context: Ctx };
  action read, all;
  action "weird name" appliesTo { principal: User, resource: [Doc, Group], context: {} };
}
entity Top;
`;

describe("schema printer on a schema with every construct", () => {
  it("round-trips it", () => {
    expect(checkFormat(RICH)).toContain('entity Color enum ["red", "green\\"quoted"];');
  });
  it("round-trips it re-spaced with comments between tokens", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(SEPARATORS.length - 1), { minLength: 1, maxLength: 64 }), (choices) => {
        checkFormat(respace(RICH, (i) => SEPARATORS[choices[i % choices.length]!]!));
      }),
      { numRuns: RUNS },
    );
  });
});

describeConformance("schema printer on the conformance schemas", cedar, () => {
  const files = schemaFiles(SAMPLES);
  it("finds the conformance schemas", () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });
  for (const f of files) {
    const rel = f.slice(SAMPLES.length + 1);
    const src = readFileSync(f, "utf8");
    it(`round-trips ${rel}`, () => {
      checkFormat(src);
    });
    it(`round-trips ${rel} re-spaced with comments between tokens`, () => {
      fc.assert(
        fc.property(fc.array(fc.nat(SEPARATORS.length - 1), { minLength: 1, maxLength: 64 }), (choices) => {
          const text = respace(src, (i) => SEPARATORS[choices[i % choices.length]!]!);
          const out = checkFormat(text);
          // Layout does not depend on the input's spacing apart from comments and blank lines.
          if (!text.includes("//")) expect(out.replace(/\n\n/g, "\n")).toBe(checkFormat(src).replace(/\n\n/g, "\n"));
        }),
        { numRuns: RUNS },
      );
    });
  }
});
