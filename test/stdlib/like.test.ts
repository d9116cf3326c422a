import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PatternElem } from "../../lang/ast.js";
import { compileLike, likeMatch } from "../../stdlib/index.js";

/** Build a pattern from Cedar-like text where `*` is a wildcard (no escapes). */
function pat(text: string): PatternElem[] {
  const out: PatternElem[] = [];
  for (const part of text.split(/(\*)/)) {
    if (part === "*") out.push({ kind: "wildcard" });
    else if (part !== "") out.push({ kind: "literal", text: part });
  }
  return out;
}

/** Reference matcher via a regex (fine for the short inputs of the tests). */
function reference(text: string, pattern: readonly PatternElem[]): boolean {
  const src = pattern.map((e) => (e.kind === "wildcard" ? "[\\s\\S]*" : e.text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))).join("");
  return new RegExp(`^${src}$`, "u").test(text);
}

describe("like", () => {
  it.each([
    ["abc", "abc", true],
    ["abc", "ab", false],
    ["", "", true],
    ["", "*", true],
    ["anything", "*", true],
    ["abc", "a*", true],
    ["abc", "*c", true],
    ["abc", "*b*", true],
    ["abc", "a*c", true],
    ["ac", "a*c", true],
    ["a", "a*a", false],
    ["aa", "a*a", true],
    ["abcabc", "*abc", true],
    ["abcab", "a*b*ab", true],
    ["xyz", "a*", false],
    ["Alice", "alice", false],
    ["a*b", "a*b", true],
    ["s3://bucket/key", "s3://*/key", true],
    ["**", "***", true],
    ["abc", "**b**", true],
    ["héllo 😀 world", "h*😀*d", true],
  ])("%j like %j is %s", (text, p, want) => {
    expect(likeMatch(text, pat(p))).toBe(want);
    expect(compileLike(pat(p))(text)).toBe(want);
  });

  it("treats a literal star (escaped in source) as a plain character", () => {
    const p: PatternElem[] = [{ kind: "literal", text: "a*" }, { kind: "wildcard" }];
    expect(likeMatch("a*bc", p)).toBe(true);
    expect(likeMatch("abc", p)).toBe(false);
  });

  it("agrees with a regex reference on random strings and patterns", () => {
    const alpha = fc.constantFrom("a", "b", "c", "*", "ab", "😀", "");
    const elem = fc.oneof(
      fc.constant<PatternElem>({ kind: "wildcard" }),
      fc.array(alpha, { maxLength: 3 }).map((xs): PatternElem => ({ kind: "literal", text: xs.join("") })),
    );
    const text = fc.array(fc.constantFrom("a", "b", "c", "*", "😀"), { maxLength: 12 }).map((xs) => xs.join(""));
    fc.assert(
      fc.property(text, fc.array(elem, { maxLength: 6 }), (t, p) => {
        const want = reference(t, p);
        expect(likeMatch(t, p)).toBe(want);
        expect(compileLike(p)(t)).toBe(want);
      }),
      { numRuns: 3000 },
    );
  });

  it("stays fast on inputs that make backtracking matchers explode", () => {
    const text = "a".repeat(20_000);
    const p = pat(`${"*a".repeat(200)}*b`);
    const start = performance.now();
    expect(likeMatch(text, p)).toBe(false);
    expect(compileLike(p)(text)).toBe(false);
    // Generous bound: a backtracking matcher takes astronomically long here.
    expect(performance.now() - start).toBeLessThan(2000);
  });
});
