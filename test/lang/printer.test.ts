/**
 * Printer layout, table-driven: source → exact canonical text. Each row is also
 * checked to be a fixed point (formatting the output again changes nothing) and to
 * parse back to the same AST.
 */
import { describe, expect, it } from "vitest";
import { parsePolicies } from "../../lang/index.js";
import { escapeString, formatPolicies, printPattern } from "../../lang/printer.js";
import { commentTexts, stripSpansAndComments } from "../support/strip-spans.js";

function fmt(src: string): string {
  const r = parsePolicies(src);
  expect(r.diagnostics).toEqual([]);
  return formatPolicies(r.ast!, src);
}

const ROWS: readonly { readonly name: string; readonly src: string; readonly out: string }[] = [
  {
    name: "unconstrained head on one line",
    src: "permit(principal,action,resource);",
    out: "permit (principal, action, resource);\n",
  },
  {
    name: "annotations on their own lines, head broken",
    src: "@id(\"a\") @advice forbid(principal==User::\"alice\",action==Action::\"view\",resource in Folder::\"f\");",
    out: "@id(\"a\")\n@advice\nforbid (\n  principal == User::\"alice\",\n  action == Action::\"view\",\n  resource in Folder::\"f\"\n);\n",
  },
  {
    name: "is-in scopes and action list",
    src: "permit(principal is User in Group::\"g\", action in [Action::\"a\",Action::\"b\"], resource is Doc);",
    out: "permit (\n  principal is User in Group::\"g\",\n  action in [Action::\"a\", Action::\"b\"],\n  resource is Doc\n);\n",
  },
  {
    name: "&& under || keeps clarifying parentheses",
    src: "permit(principal, action, resource) when { context.a || context.b && context.c };",
    out: "permit (principal, action, resource)\nwhen { context.a || (context.b && context.c) };\n",
  },
  {
    name: "|| under && needs parentheses",
    src: "permit(principal, action, resource) when { (context.a || context.b) && context.c };",
    out: "permit (principal, action, resource)\nwhen { (context.a || context.b) && context.c };\n",
  },
  {
    name: "right-nested || keeps parentheses",
    src: "permit(principal, action, resource) when { context.a || (context.b || context.c) };",
    out: "permit (principal, action, resource)\nwhen { context.a || (context.b || context.c) };\n",
  },
  {
    name: "left-nested || drops parentheses",
    src: "permit(principal, action, resource) when { (context.a || context.b) || context.c };",
    out: "permit (principal, action, resource)\nwhen { context.a || context.b || context.c };\n",
  },
  {
    name: "right operand of - at the same level keeps parentheses",
    src: "permit(principal, action, resource) when { context.x - (context.y - context.z) == (context.x - context.y) - context.z };",
    out: "permit (principal, action, resource)\nwhen\n{ context.x - (context.y - context.z) == context.x - context.y - context.z };\n",
  },
  {
    name: "* binds tighter than +",
    src: "permit(principal, action, resource) when { context.x * (context.y + 1) == context.x * context.y + 1 };",
    out: "permit (principal, action, resource)\nwhen { context.x * (context.y + 1) == context.x * context.y + 1 };\n",
  },
  {
    name: "relation operand of a relation needs parentheses",
    src: "permit(principal, action, resource) when { (context.x == context.y) == context.z };",
    out: "permit (principal, action, resource)\nwhen { (context.x == context.y) == context.z };\n",
  },
  {
    name: "if inside a binary needs parentheses",
    src: "permit(principal, action, resource) when { (if context.a then 1 else 2) + 3 == (if context.b then 4 else 5) && (if context.c then context.d else context.e) };",
    out: "permit (principal, action, resource)\nwhen\n{\n  (if context.a then 1 else 2) + 3 == (if context.b then 4 else 5) &&\n  (if context.c then context.d else context.e)\n};\n",
  },
  {
    name: "negative literals and unary minus",
    src: "permit(principal, action, resource) when { -(-5) == - 5 && -(5) == --context.n && !(-context.n) };",
    out: "permit (principal, action, resource)\nwhen { -(-5) == -5 && -(5) == --context.n && !(-context.n) };\n",
  },
  {
    name: "minimum Long and member access on a negative literal",
    src: "permit(principal, action, resource) when { context.n == -9223372036854775808 && (-1).foo && !!context.b };",
    out: "permit (principal, action, resource)\nwhen { context.n == -9223372036854775808 && (-1).foo && !!context.b };\n",
  },
  {
    name: "has with quoted and nested paths, is-in in expressions",
    src: "permit(principal, action, resource) when { context has \"a b\" && context has a.b && principal is User in Group::\"g\" };",
    out: "permit (principal, action, resource)\nwhen\n{ context has \"a b\" && context has a.b && principal is User in Group::\"g\" };\n",
  },
  {
    name: "like pattern escapes",
    src: "permit(principal, action, resource) when { context.s like \"a\\*b*c\\\\d\\\"\" };",
    out: "permit (principal, action, resource)\nwhen { context.s like \"a\\*b*c\\\\d\\\"\" };\n",
  },
  {
    name: "string escapes and unicode",
    src: "permit(principal, action, resource) when { context.s == \"tab\\tnl\\nnul\\0quote\\\"back\\\\uni\\u{1}é😀\" };",
    out: "permit (principal, action, resource)\nwhen { context.s == \"tab\\tnl\\nnul\\0quote\\\"back\\\\uni\\u{1}é😀\" };\n",
  },
  {
    name: "index access kept for non-identifiers and as written",
    src: "permit(principal, action, resource) when { context[\"weird key\"].x && context[\"ok\"] };",
    out: "permit (principal, action, resource)\nwhen { context[\"weird key\"].x && context[\"ok\"] };\n",
  },
  {
    name: "record and set literals",
    src: "permit(principal, action, resource) when { {a: 1, \"b c\": [1, -2, {}], \"d\": []} has a };",
    out: "permit (principal, action, resource)\nwhen { {a: 1, \"b c\": [1, -2, {}], \"d\": []} has a };\n",
  },
  {
    name: "long && chain broken one operand per line",
    src: "permit(principal, action, resource) when { ip(\"10.0.0.1\").isInRange(ip(\"10.0.0.0/8\")) && decimal(\"1.5\").lessThan(decimal(\"2.0\")) };",
    out: "permit (principal, action, resource)\nwhen\n{\n  ip(\"10.0.0.1\").isInRange(ip(\"10.0.0.0/8\")) &&\n  decimal(\"1.5\").lessThan(decimal(\"2.0\"))\n};\n",
  },
  {
    name: "relations and has operands in parentheses",
    src: "permit(principal, action, resource) when { (principal in Group::\"g\") in Group::\"h\" || (context has a) has b };",
    out: "permit (principal, action, resource)\nwhen { (principal in Group::\"g\") in Group::\"h\" || (context has a) has b };\n",
  },
  {
    name: "like and is operands of == in parentheses",
    src: "permit(principal, action, resource) when { (context.s like \"x\") == true && (principal is User) == false };",
    out: "permit (principal, action, resource)\nwhen { (context.s like \"x\") == true && (principal is User) == false };\n",
  },
  {
    name: "fits on the second line after `when`",
    src: "permit(principal, action, resource) when { principal.department == \"HardwareEngineering\" && principal.jobLevel >= 5 };",
    out: "permit (principal, action, resource)\nwhen\n{ principal.department == \"HardwareEngineering\" && principal.jobLevel >= 5 };\n",
  },
  {
    name: "too long: broken body",
    src: "permit(principal, action, resource) when { principal.department == \"HardwareEngineering\" && principal.jobLevel >= 5 && context.ok };",
    out: "permit (principal, action, resource)\nwhen\n{\n  principal.department == \"HardwareEngineering\" &&\n  principal.jobLevel >= 5 &&\n  context.ok\n};\n",
  },
  {
    name: "Cedar's layout of a nested || of && chains",
    src: "permit(principal, action, resource) when { ([\"JPEG\", \"PNG\"].contains(context.photo.filetype) && context.photo.filesize_mb <= 1) || (context.photo.filetype == \"RAW\" && context.photo.filesize_mb <= 100 && principal in UserGroup::\"AVTeam\") };",
    out: "permit (principal, action, resource)\nwhen\n{\n  ([\"JPEG\", \"PNG\"].contains(context.photo.filetype) &&\n   context.photo.filesize_mb <= 1) ||\n  (context.photo.filetype == \"RAW\" &&\n   context.photo.filesize_mb <= 100 &&\n   principal in UserGroup::\"AVTeam\")\n};\n",
  },
  {
    name: "several conditions",
    src: "permit(principal, action, resource) when { true } unless { false } when { context.x };",
    out: "permit (principal, action, resource)\nwhen { true }\nunless { false }\nwhen { context.x };\n",
  },
  {
    name: "comments only, blank line between blocks kept",
    src: "// leading comment\n\n// second block",
    out: "// leading comment\n\n// second block\n",
  },
  {
    name: "trailing comment after a policy and one below it",
    src: "permit(principal, action, resource); // trailing\n// between",
    out: "permit (principal, action, resource); // trailing\n\n// between\n",
  },
  {
    name: "comment at end of file",
    src: "forbid(principal, action, resource);\n// end of file",
    out: "forbid (principal, action, resource);\n\n// end of file\n",
  },
  {
    name: "comments in the head and body",
    src: "permit ( // in head\n  principal, // after principal\n  action,\n  resource // after resource\n) when { // start of body\n  context.a && // after and\n  context.b // end of body\n};",
    out: "permit (\n  // in head\n  principal, // after principal\n  action,\n  resource // after resource\n)\nwhen\n{\n  // start of body\n  context.a && // after and\n  context.b // end of body\n};\n",
  },
  {
    name: "trailing comment in a set",
    src: "permit(principal, action, resource) when { [1, 2, // after two\n  3] == [] };",
    out: "permit (principal, action, resource)\nwhen\n{\n  [\n    1,\n    2, // after two\n    3\n  ] == []\n};\n",
  },
  {
    name: "template slots",
    src: "permit(principal == ?principal, action, resource in ?resource);",
    out: "permit (\n  principal == ?principal,\n  action,\n  resource in ?resource\n);\n",
  },
  {
    name: "long call arguments broken",
    src: "permit(principal, action == Action::\"view\", resource) when { principal.a.b.c.d.e.f.g.h.containsAll([\"aaaaaaaaaaaa\", \"bbbbbbbbbbbbbb\", \"cccccccccccccc\"]) };",
    out: "permit (\n  principal,\n  action == Action::\"view\",\n  resource\n)\nwhen\n{\n  principal.a.b.c.d.e.f.g.h.containsAll(\n    [\"aaaaaaaaaaaa\", \"bbbbbbbbbbbbbb\", \"cccccccccccccc\"]\n  )\n};\n",
  },
  {
    name: "only a comment",
    src: "// only a comment",
    out: "// only a comment\n",
  },
  {
    name: "qualified entity types and functions",
    src: "permit(principal, action, resource) when { Ns::Sub::Type::\"id\\\"x\" == principal && Ns::fn(\"x\") };",
    out: "permit (principal, action, resource)\nwhen { Ns::Sub::Type::\"id\\\"x\" == principal && Ns::fn(\"x\") };\n",
  },
  {
    name: "mixed chain",
    src: "permit(principal, action, resource) when { context.a || context.b && context.c || !(context.d || context.e) };",
    out: "permit (principal, action, resource)\nwhen { context.a || (context.b && context.c) || !(context.d || context.e) };\n",
  },
  {
    name: "arithmetic chain broken",
    src: "permit(principal, action, resource) when { context.aaaaaaaaaaaaaaaaaaaaaaaaaa + context.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb - context.cccccccccccccccccccc * 2 > 0 };",
    out: "permit (principal, action, resource)\nwhen\n{\n  context.aaaaaaaaaaaaaaaaaaaaaaaaaa +\n  context.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb -\n  context.cccccccccccccccccccc * 2 > 0\n};\n",
  },
  {
    name: "long if-then-else broken as cedar format does",
    src: "permit(principal, action, resource) when { if context.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa then context.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb else context.cccccccccccccccccccccc };",
    out: "permit (principal, action, resource)\nwhen\n{\n  if\n    context.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n  then\n    context.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n  else\n    context.cccccccccccccccccccccc\n};\n",
  },
  {
    name: "same-line comment after an annotation",
    src: "@id(\"x\") // about the id\npermit(principal, action, resource) when { {aaaaaaaaaaaaaa: 1, bbbbbbbbbbbbbbbbbbb: \"two\", ccccccccccccccccccccccc: [3], dddd: {e: 4}} == context.r };",
    out: "@id(\"x\") // about the id\npermit (principal, action, resource)\nwhen\n{\n  {\n    aaaaaaaaaaaaaa: 1,\n    bbbbbbbbbbbbbbbbbbb: \"two\",\n    ccccccccccccccccccccccc: [3],\n    dddd: {e: 4}\n  } == context.r\n};\n",
  },
  {
    name: "star in strings vs patterns",
    src: "permit(principal, action, resource) when { context.s == \"a*b\" && context.s like \"*\" && context.s like \"\\\\*\" };",
    out: "permit (principal, action, resource)\nwhen { context.s == \"a*b\" && context.s like \"*\" && context.s like \"\\\\*\" };\n",
  },
  {
    name: "nested has path and quoted attribute",
    src: "permit(principal, action, resource) when { context has a.b.c && context has \"b c\" };",
    out: "permit (principal, action, resource)\nwhen { context has a.b.c && context has \"b c\" };\n",
  },
  {
    name: "empty set, empty record, no-arg method",
    src: "permit(principal, action, resource) when { [] == [] && {} == {} && context.ip.isIpv4() };",
    out: "permit (principal, action, resource)\nwhen { [] == [] && {} == {} && context.ip.isIpv4() };\n",
  },
  {
    name: "comment between annotations and effect; comment in a record",
    src: "@id(\"p1\")\n// before effect\npermit(principal, action, resource) when { {a: 1, // about a\n b: 2} has a };",
    out: "@id(\"p1\")\n// before effect\npermit (principal, action, resource)\nwhen\n{\n  {\n    a: 1, // about a\n    b: 2\n  } has a\n};\n",
  },
  {
    name: "is with a qualified type and negated is-in",
    src: "permit(principal, action, resource) when { principal is Ns::User && !(principal is User in Group::\"g\") };",
    out: "permit (principal, action, resource)\nwhen { principal is Ns::User && !(principal is User in Group::\"g\") };\n",
  },];

describe("formatPolicies layout", () => {
  for (const row of ROWS) {
    it(row.name, () => {
      const out = fmt(row.src);
      expect(out).toBe(row.out);
      expect(fmt(out)).toBe(out);
      const before = parsePolicies(row.src).ast!;
      const after = parsePolicies(out).ast!;
      expect(stripSpansAndComments(after)).toEqual(stripSpansAndComments(before));
      expect(commentTexts(after)).toEqual(commentTexts(before));
    });
  }

  it("formats an empty file to the empty string", () => {
    expect(fmt("")).toBe("");
    expect(fmt("   \n\n")).toBe("");
  });

  it("separates policies by exactly one blank line", () => {
    expect(fmt("permit(principal,action,resource);\n\n\n\nforbid(principal,action,resource);permit(principal,action,resource);")).toBe(
      "permit (principal, action, resource);\n\nforbid (principal, action, resource);\n\npermit (principal, action, resource);\n",
    );
  });
});

describe("string escapes", () => {
  it("escapes quotes, backslashes and control characters", () => {
    expect(escapeString('a"b\\c\n\r\t\0\u0001\u007f')).toBe('a\\"b\\\\c\\n\\r\\t\\0\\u{1}\\u{7f}');
  });
  it("keeps non-ASCII text and stars outside patterns", () => {
    expect(escapeString("é😀*")).toBe("é😀*");
  });
  it("escapes literal stars in patterns but not wildcards", () => {
    expect(printPattern([{ kind: "literal", text: "a*" }, { kind: "wildcard" }, { kind: "literal", text: '"' }])).toBe('"a\\**\\""');
  });
});
