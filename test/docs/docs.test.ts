/**
 * The docs stay true: docs/language.md and docs/builtins.md are checked against the code.
 *
 * Fenced blocks in docs/language.md, by info string:
 * - `cedar`: parses with no diagnostic at all;
 * - `cedar-invalid W1234`: produces a diagnostic with that code;
 * - `cedarschema`: parses and loads with no diagnostic;
 * - `cedar-check ok|W1234`: parses cleanly and, validated against the nearest preceding
 *   `cedarschema` block, has no diagnostic (`ok`) or one with that code;
 * - `cedar-modes fail-closed=allow|deny cedar=allow|deny`: parses cleanly and decides the
 *   documented request with the stated decision in each semantics mode;
 * - `cedar-json`: a JSON policy set that reads cleanly and has the policies (names and ids)
 *   of the nearest preceding `cedar` block.
 * Tables: the diagnostics table lists exactly the catalog, with its severities and titles;
 * the limits table and the reserved words agree with the constants in the code.
 * docs/builtins.md lists exactly the builtin table, and every example there evaluates to true.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CATALOG, MAX_EXPR_DEPTH, MAX_NESTING_DEPTH, MAX_SOURCE_LENGTH, parsePolicies, parseSchema, RESERVED_WORDS } from "../../lang/index.js";
import type { Diagnostic } from "../../lang/index.js";
import { BUILTIN_DOCS, BUILTINS, Entities, EntityUID, MAX_JSON_DEPTH, MAX_JSON_TEXT_DEPTH, RecordValue } from "../../stdlib/index.js";
import { compile, loadSchema, lowerPolicies, policyId, policySetFromJson, stripSpans, validatePolicies, type Schema } from "../../compiler/index.js";

const DOCS = new URL("../../docs/", import.meta.url);
const LANGUAGE = readFileSync(new URL("language.md", DOCS), "utf8");
const BUILTINS_MD = readFileSync(new URL("builtins.md", DOCS), "utf8");

/** One fenced code block of a markdown file. */
interface Block {
  /** First word of the info string (`cedar`, `cedar-invalid`, …). */
  readonly lang: string;
  /** The other words of the info string. */
  readonly args: readonly string[];
  readonly body: string;
  /** 1-based line of the opening fence (for test names). */
  readonly line: number;
}

function codeBlocks(md: string): Block[] {
  const lines = md.split("\n");
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(.*)$/.exec(lines[i]!);
    if (open === null) continue;
    const [lang = "", ...args] = open[1]!.trim().split(/\s+/);
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== "```"; i++) body.push(lines[i]!);
    if (i >= lines.length) throw new Error(`unclosed code block at line ${start + 1}`);
    out.push({ lang, args, body: body.join("\n"), line: start + 1 });
  }
  return out;
}

function codes(diags: readonly Diagnostic[]): string[] {
  return diags.map((d) => `${d.code} ${d.message}`);
}

/** The text of the `## title` section (up to the next `## ` heading). */
function section(md: string, title: string): string {
  const start = md.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`no section "${title}"`);
  const next = md.indexOf("\n## ", start + 1);
  return md.slice(start, next < 0 ? undefined : next);
}

function loadSchemaText(src: string): { schema: Schema | undefined; diagnostics: Diagnostic[] } {
  const parsed = parseSchema(src);
  if (parsed.ast === undefined) return { schema: undefined, diagnostics: parsed.diagnostics };
  const loaded = loadSchema(parsed.ast);
  return { schema: loaded.schema, diagnostics: [...parsed.diagnostics, ...loaded.diagnostics] };
}

/** The request of the modes example, as documented: no entities, empty context. */
const MODES_REQUEST = {
  principal: new EntityUID("User", "alice"),
  action: new EntityUID("Action", "view"),
  resource: new EntityUID("Doc", "report"),
  context: new RecordValue(new Map()),
};

const blocks = codeBlocks(LANGUAGE);
const named = (b: Block): string => `line ${b.line}: ${b.body.split("\n")[0]!.slice(0, 60)}`;
const withName = (lang: string): [string, Block][] => blocks.filter((b) => b.lang === lang).map((b) => [named(b), b]);

describe("docs/language.md code blocks", () => {
  it("has blocks of every checked kind", () => {
    for (const lang of ["cedar", "cedar-invalid", "cedarschema", "cedar-check", "cedar-modes", "cedar-json"]) {
      expect(blocks.filter((b) => b.lang === lang).length, lang).toBeGreaterThan(0);
    }
  });

  it.each(withName("cedar"))("cedar block parses cleanly (%s)", (_n, b) => {
    const r = parsePolicies(b.body);
    expect(codes(r.diagnostics)).toEqual([]);
    expect(r.ast?.policies.length ?? 0).toBeGreaterThan(0);
  });

  it.each(withName("cedar-invalid"))("cedar-invalid block produces its code (%s)", (_n, b) => {
    const code = b.args[0];
    expect(code, "cedar-invalid needs a code").toMatch(/^W\d{4}$/);
    expect(parsePolicies(b.body).diagnostics.map((d) => d.code)).toContain(code);
  });

  it.each(withName("cedarschema"))("cedarschema block loads cleanly (%s)", (_n, b) => {
    const r = loadSchemaText(b.body);
    expect(codes(r.diagnostics)).toEqual([]);
    expect(r.schema).toBeDefined();
  });

  it.each(withName("cedar-check"))("cedar-check block validates as documented (%s)", (_n, b) => {
    const schemaBlock = blocks.filter((s) => s.lang === "cedarschema" && s.line < b.line).pop();
    expect(schemaBlock, "a cedar-check block needs a cedarschema block before it").toBeDefined();
    const { schema } = loadSchemaText(schemaBlock!.body);
    const parsed = parsePolicies(b.body);
    expect(codes(parsed.diagnostics)).toEqual([]);
    const diags = validatePolicies(parsed.ast!, schema!).diagnostics;
    const expected = b.args[0];
    if (expected === "ok") expect(codes(diags)).toEqual([]);
    else {
      expect(expected, "cedar-check needs `ok` or a code").toMatch(/^W\d{4}$/);
      expect(diags.map((d) => d.code)).toContain(expected);
    }
  });

  it.each(withName("cedar-json"))("cedar-json block is the preceding cedar block in Cedar's JSON form (%s)", (_n, b) => {
    const text = blocks.filter((s) => s.lang === "cedar" && s.line < b.line).pop();
    expect(text, "a cedar-json block needs a cedar block before it").toBeDefined();
    const r = policySetFromJson(JSON.parse(b.body) as never);
    expect(codes(r.diagnostics)).toEqual([]);
    const ids = (set: Parameters<typeof lowerPolicies>[0]): string[] => lowerPolicies(set).ir.policies.map((p) => `${p.name} ${policyId(stripSpans(p))}`);
    expect(ids(r.value!)).toEqual(ids(parsePolicies(text!.body).ast!));
  });

  it.each(withName("cedar-modes"))("cedar-modes block decides as documented (%s)", (_n, b) => {
    const parsed = parsePolicies(b.body);
    expect(codes(parsed.diagnostics)).toEqual([]);
    const expected = new Map(b.args.map((a) => a.split("=") as [string, string]));
    expect([...expected.keys()].sort()).toEqual(["cedar", "fail-closed"]);
    for (const [mode, decision] of expected) {
      const c = compile(parsed.ast!, { semantics: mode as "cedar" | "fail-closed" });
      expect(codes(c.diagnostics)).toEqual([]);
      const d = c.program!.decide(MODES_REQUEST, Entities.empty());
      expect(d.decision, mode).toBe(decision);
      expect(d.errors.length, `${mode}: the example relies on an erroring policy`).toBeGreaterThan(0);
    }
  });
});

describe("docs/language.md tables", () => {
  const rows = new Map<string, { severity: string; title: string; when: string }>();
  for (const line of section(LANGUAGE, "Diagnostics").split("\n")) {
    const m = /^\| (W\d{4}) \| (\w+) \| (.+?) \| (.+) \|$/.exec(line);
    if (m !== null) rows.set(m[1]!, { severity: m[2]!, title: m[3]!, when: m[4]! });
  }

  it("the diagnostics table lists exactly the catalog's codes", () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(CATALOG).sort());
  });

  it.each(Object.entries(CATALOG))("%s has the catalog's severity and title and a description", (code, entry) => {
    const row = rows.get(code);
    expect(row, `${code} is missing from the diagnostics table`).toBeDefined();
    expect(row!.severity).toBe(entry.severity);
    expect(row!.title).toBe(entry.title);
    expect(row!.when.trim().length).toBeGreaterThan(10);
  });

  it("the limits table states the limits of the code", () => {
    const limits = section(LANGUAGE, "Limits and determinism");
    expect(limits).toContain(`| ${MAX_SOURCE_LENGTH} UTF-16 code units`);
    expect(limits).toContain(`| ${MAX_NESTING_DEPTH} levels |`);
    expect(limits).toContain(`| ${MAX_EXPR_DEPTH} nodes |`);
    expect(limits).toContain(`| ${MAX_JSON_TEXT_DEPTH} levels |`);
    expect(limits).toContain(`| ${MAX_JSON_DEPTH} levels |`);
  });

  it("the reserved words are the lexer's", () => {
    const m = /\*\*Reserved words\*\*: `([^`]+)`/.exec(LANGUAGE);
    expect(m, "no reserved-words line").not.toBeNull();
    expect(m![1]!.split(/\s+/).sort()).toEqual([...RESERVED_WORDS].sort());
  });
});

describe("docs/builtins.md", () => {
  const headings = [...BUILTINS_MD.matchAll(/^### `(.+)`$/gm)].map((m) => m[1]!);
  const examples = codeBlocks(BUILTINS_MD).filter((b) => b.lang === "cedar-expr");

  it("documents exactly the builtins of the table, once each", () => {
    expect(BUILTIN_DOCS.length).toBe(BUILTINS.length);
    expect([...headings].sort()).toEqual(BUILTIN_DOCS.map((b) => b.signature).sort());
    expect(examples.length).toBe(BUILTINS.length);
  });

  it.each(BUILTIN_DOCS.map((b) => [b.signature, b] as const))("%s: description and example as in the table", (_sig, b) => {
    const at = BUILTINS_MD.indexOf(`### \`${b.signature}\`\n`);
    expect(at, "heading missing").toBeGreaterThanOrEqual(0);
    const next = BUILTINS_MD.indexOf("\n#", at + 4);
    const entry = BUILTINS_MD.slice(at, next < 0 ? undefined : next);
    expect(entry).toContain(`\n${b.doc}\n`);
    expect(entry).toContain("```cedar-expr\n" + b.example + "\n```");
  });

  it.each(BUILTIN_DOCS.map((b) => [b.name, b] as const))("%s is listed in its group's row of the overview table", (name, b) => {
    const row = BUILTINS_MD.split("\n").find((l) => l.startsWith(`| ${b.group} |`));
    expect(row, `no overview row for ${b.group}`).toBeDefined();
    expect(row!.split(/\s+/)).toContain(`\`${name}\``);
  });

  it.each(examples.map((b) => [named(b), b] as const))("example evaluates to true (%s)", (_n, b) => {
    const src = `permit (principal, action, resource) when { ${b.body} };`;
    const parsed = parsePolicies(src);
    expect(codes(parsed.diagnostics)).toEqual([]);
    for (const semantics of ["cedar", "fail-closed"] as const) {
      const c = compile(parsed.ast!, { semantics });
      expect(codes(c.diagnostics)).toEqual([]);
      const d = c.program!.decide(MODES_REQUEST, Entities.empty());
      expect(d.errors).toEqual([]);
      expect(d.decision).toBe("allow");
    }
  });
});
