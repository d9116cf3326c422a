/**
 * Golden diagnostics: the full `formatDiagnostic` output (header, source line, caret
 * underline, help) for typical mistakes, compared as inline strings.
 */
import { describe, expect, it } from "vitest";
import { formatDiagnostic, parsePolicies, parseSchema } from "../../lang/index.js";

function policyDiagnostics(file: string, src: string): string {
  return parsePolicies(src, file)
    .diagnostics.map((d) => formatDiagnostic(d, src))
    .join("\n");
}

function schemaDiagnostics(file: string, src: string): string {
  return parseSchema(src, file)
    .diagnostics.map((d) => formatDiagnostic(d, src))
    .join("\n");
}

describe("golden diagnostics", () => {
  it("missing semicolon between policies", () => {
    expect(policyDiagnostics("a.cedar", "permit(principal, action, resource)\nforbid(principal, action, resource);\n")).toBe(
      ["a.cedar:2:1: error W1001: expected `;` after policy, found `forbid`", "  forbid(principal, action, resource);", "  ^^^^^^"].join("\n"),
    );
  });

  it("invalid effect", () => {
    expect(policyDiagnostics("b.cedar", "allow(principal, action, resource);\n")).toBe(
      ["b.cedar:1:1: error W1017: expected `permit` or `forbid`, found `allow`", "  allow(principal, action, resource);", "  ^^^^^"].join("\n"),
    );
  });

  it("unknown variable", () => {
    expect(policyDiagnostics("c.cedar", 'permit(principal, action, resource)\nwhen { user.role == "admin" };\n')).toBe(
      [
        "c.cedar:2:8: error W1018: invalid variable `user`",
        '  when { user.role == "admin" };',
        "         ^^^^",
        '  help: variables are `principal`, `action`, `resource` and `context`; entity references need an id, e.g. `User::"alice"`',
      ].join("\n"),
    );
  });

  it("invalid escape in a like pattern", () => {
    expect(policyDiagnostics("d.cedar", 'permit(principal, action, resource)\nwhen { context.path like "/tmp/\\d*" };\n')).toBe(
      [
        "d.cedar:2:32: error W1003: invalid escape sequence `\\d` in pattern",
        '  when { context.path like "/tmp/\\d*" };',
        "                                 ^^",
        "  help: in patterns `\\*` is a literal star; other escapes as in strings",
      ].join("\n"),
    );
  });

  it("chained relational operators", () => {
    expect(policyDiagnostics("e.cedar", "permit(principal, action, resource)\nwhen { 1 < 2 < 3 };\n")).toBe(
      [
        "e.cedar:2:14: error W1001: unexpected `<`: relational operators (==, <, in, has, like, is, …) cannot be chained",
        "  when { 1 < 2 < 3 };",
        "               ^",
        "  help: add parentheses to make the order explicit",
      ].join("\n"),
    );
  });

  it("integer literal out of range", () => {
    expect(policyDiagnostics("f.cedar", "permit(principal, action, resource)\nwhen { context.n > 9223372036854775808 };\n")).toBe(
      [
        "f.cedar:2:20: error W1004: integer literal `9223372036854775808` is out of range for a 64-bit Long",
        "  when { context.n > 9223372036854775808 };",
        "                     ^^^^^^^^^^^^^^^^^^^",
        "  help: Longs range from -9223372036854775808 to 9223372036854775807",
      ].join("\n"),
    );
  });

  it("entity list outside the action scope", () => {
    expect(policyDiagnostics("g.cedar", 'permit(principal in [Group::"a"], action, resource);\n')).toBe(
      [
        "g.cedar:1:21: error W1006: a list of entities is only allowed in `action in [ … ]`",
        '  permit(principal in [Group::"a"], action, resource);',
        "                      ^^^^^^^^^^^^",
        "  help: use `principal in …` with a single entity",
      ].join("\n"),
    );
  });

  it("unterminated string (no cascade of follow-up errors)", () => {
    expect(policyDiagnostics("h.cedar", 'permit(principal, action, resource)\nwhen { principal.name == "alice };\n')).toBe(
      [
        "h.cedar:2:26: error W1002: unterminated string literal",
        '  when { principal.name == "alice };',
        "                           ^^^^^^^^^",
        '  help: add the closing `"`',
      ].join("\n"),
    );
  });

  it("reserved word as attribute name", () => {
    expect(policyDiagnostics("i.cedar", "permit(principal, action, resource)\nwhen { context.then };\n")).toBe(
      [
        "i.cedar:2:16: error W1008: `then` is a reserved word and cannot be used as an attribute name",
        "  when { context.then };",
        "                 ^^^^",
        '  help: use the index form `["then"]` or a quoted name instead',
      ].join("\n"),
    );
  });

  it("schema: missing comma in a record type", () => {
    expect(schemaDiagnostics("j.cedarschema", "entity User = {\n  name: String\n  age: Long,\n};\n")).toBe(
      ["j.cedarschema:3:3: error W1201: expected `,` or `}`, found `age`", "    age: Long,", "    ^^^"].join("\n"),
    );
  });

  it("schema: appliesTo without resource", () => {
    expect(schemaDiagnostics("k.cedarschema", "action view appliesTo {\n  principal: [User],\n};\n")).toBe(
      [
        "k.cedarschema:1:13: error W1202: missing `resource` in `appliesTo`",
        "  action view appliesTo {",
        "              ^^^^^^^^^^^",
        "  help: list the resource types, e.g. `resource: [Photo]`",
      ].join("\n"),
    );
  });

  it("schema: unclosed namespace", () => {
    expect(schemaDiagnostics("l.cedarschema", "namespace App {\n  entity User;\n")).toBe(
      [
        "l.cedarschema:2:15: error W1201: expected `}` to close namespace `App`, found end of input",
        "    entity User;",
        "                ^",
        "  help: the namespace opens on line 1",
      ].join("\n"),
    );
  });
});
