/**
 * The playground's highlighter is generated from the lexer's token table: on any input
 * it splits a line into the same tokens with the same classes as `writLexer`.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Lexer } from "chevrotain";
import { allTokens, tokenClasses, writLexer } from "../../lang/tokens.js";
import { monacoTokenOf, monarchRules } from "../../playground/src/writ-language.js";
import { tokenTable } from "../../playground/src/writ-api.js";

/** Monarch's matching, simplified: the first rule that matches at the position wins. */
function monarchTokenize(line: string, rules: readonly [RegExp, string][]): [string, string][] {
  const anchored = rules.map(([re, tok]) => [new RegExp(`^(?:${re.source})`), tok] as const);
  const out: [string, string][] = [];
  let pos = 0;
  while (pos < line.length) {
    const rest = line.slice(pos);
    const hit = anchored.map(([re, tok]) => [re.exec(rest)?.[0], tok] as const).find(([m]) => m !== undefined && m.length > 0);
    if (hit === undefined) {
      // Monarch's `defaultToken`: one character at a time.
      out.push([line[pos]!, "invalid"]);
      pos++;
      continue;
    }
    out.push([hit[0]!, hit[1]]);
    pos += hit[0]!.length;
  }
  return out.filter(([, tok]) => tok !== "white");
}

function lexerTokenize(line: string): [string, string][] {
  const r = writLexer.tokenize(line);
  const all = [...r.tokens, ...((r.groups.comments as typeof r.tokens | undefined) ?? [])].sort((a, b) => a.startOffset - b.startOffset);
  const toks: [number, string, string][] = all.map((t) => [t.startOffset, t.image, monacoTokenOf(tokenClasses[t.tokenType.name] ?? "comment")]);
  // Characters no token matches are lexing errors; the editor shows each as `invalid`.
  for (const e of r.errors) for (let i = 0; i < e.length; i++) toks.push([e.offset + i, line[e.offset + i]!, "invalid"]);
  return toks.sort((a, b) => a[0] - b[0]).map(([, img, cls]) => [img, cls]);
}

const LEXEMES = [
  "permit", "forbid", "when", "unless", "principal", "action", "resource", "context", "in", "is", "has", "like", "if", "then", "else",
  "true", "false", "permitted", "inner", "is_x", "Action", "User", "entity", "appliesTo", "namespace", "tags", "enum", "type",
  "::", ":", ",", ";", ".", "(", ")", "{", "}", "[", "]", "==", "!=", "<=", ">=", "<", ">", "&&", "||", "!", "+", "-", "*", "?", "=", "/", "%", "@",
  '"alice"', '"a\\"b"', '"unterminated', "0", "42", "9223372036854775807", "?principal", "?resource", "$", "#", "é", "\u00a0", "~",
];

describe("Writ highlighting", () => {
  const rules = monarchRules(tokenTable());

  it("has one rule per concrete lexer token", () => {
    // Categories (`Lexer.NA`) match nothing themselves.
    expect(rules.length).toBe(allTokens.filter((t) => t.PATTERN !== Lexer.NA).length);
    expect(rules.length).toBeGreaterThan(50);
  });

  it("classifies a policy line like the lexer", () => {
    const line = '@id("x") permit (principal == User::"alice", action in [Action::"view"], resource) when { resource.owner == principal }; // done';
    const got = monarchTokenize(line, rules);
    expect(got).toEqual(lexerTokenize(line));
    expect(got.find(([img]) => img === "permit")?.[1]).toBe("keyword");
    expect(got.find(([img]) => img === "principal")?.[1]).toBe("variable");
    expect(got.at(-1)).toEqual(["// done", "comment"]);
  });

  it("never lets a keyword eat the start of a longer identifier", () => {
    expect(monarchTokenize("permitted inner isX", rules)).toEqual([["permitted", "identifier"], ["inner", "identifier"], ["isX", "identifier"]]);
  });

  it("agrees with the lexer on any sequence of lexemes", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...LEXEMES), fc.constantFrom(" ", "", "  ")), { maxLength: 25 }), (parts) => {
        const line = parts.map(([l, sep]) => l + sep).join("");
        expect(monarchTokenize(line, rules)).toEqual(lexerTokenize(line));
      }),
      { numRuns: 500 },
    );
  });
});
