/**
 * Hostile policy and schema text: every pass of the parsers and printers must be linear (or
 * n·log n) in its input. Each case is sized so that the quadratic code it replaced needed
 * minutes, and carries a vitest timeout rather than a speed assertion: a regression shows up
 * as a timeout, never as a flaky number.
 */
import { describe, expect, it } from "vitest";
import {
  CATALOG,
  formatDiagnosticLine,
  formatPolicies,
  formatSchema,
  lineColOf,
  MAX_HAS_PATH,
  MAX_SOURCE_LENGTH,
  parsePolicies,
  parseSchema,
  didYouMean,
} from "../../lang/index.js";

/** Per-test timeout: generous on a shared 2-core machine, far below what the quadratic passes took. */
const TIMEOUT = 30_000;

const codes = (ds: readonly { code: string }[]): string[] => [...new Set(ds.map((d) => d.code))];

describe("annotations", () => {
  it(
    "100,000 annotations on one policy: the duplicate check is linear (one W1007 for the one repeat)",
    () => {
      const anns = Array.from({ length: 100_000 }, (_, i) => `@a${i}("x")`);
      anns.push('@a7("again")');
      const r = parsePolicies(`${anns.join("\n")}\npermit(principal, action, resource);`);
      expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual(["W1007 duplicate annotation `@a7`"]);
      expect(r.ast!.policies[0]!.annotations).toHaveLength(100_001);
    },
    TIMEOUT,
  );

  it(
    "100,000 annotations on one schema declaration: the same in the schema grammar",
    () => {
      const anns = Array.from({ length: 100_000 }, (_, i) => `@a${i}`);
      anns.push("@a3");
      const r = parseSchema(`${anns.join("\n")}\nentity E;`);
      expect(codes(r.diagnostics)).toEqual(["W1007"]);
    },
    TIMEOUT,
  );
});

describe("resynchronization after syntax errors", () => {
  it(
    "a 100,000-token stretch of policy starts without `;` costs a bounded number of passes",
    () => {
      const r = parsePolicies(`${"permit ".repeat(100_000)};`);
      expect(r.ast!.policies).toEqual([]);
      expect(r.diagnostics.length).toBeGreaterThan(0);
      expect(r.diagnostics.length).toBeLessThanOrEqual(20);
    },
    TIMEOUT,
  );

  it(
    "the same for `@` runs and for schema declarations",
    () => {
      expect(parsePolicies(`${"@a ".repeat(100_000)};`).ast!.policies).toEqual([]);
      const s = parseSchema(`${"entity ".repeat(100_000)};`);
      expect(s.diagnostics.length).toBeGreaterThan(0);
      expect(s.diagnostics.length).toBeLessThanOrEqual(20);
    },
    TIMEOUT,
  );

  it(
    "100,000 dropped characters and 40,000 syntax errors: lexical errors are looked up by bisection",
    () => {
      const r = parsePolicies(`${"#".repeat(100_000)}${";".repeat(40_000)}`);
      expect(codes(r.diagnostics).sort()).toEqual(["W1005", "W1017"]);
      expect(r.diagnostics).toHaveLength(140_000);
    },
    TIMEOUT,
  );

  it("errors in separate statements are all still reported", () => {
    const r = parsePolicies(Array.from({ length: 40 }, () => "permit(principal, action, resource) when { 1 + };").join("\n"));
    expect(r.diagnostics).toHaveLength(40);
  });
});

describe("quantifiers and diagnostics", () => {
  it(
    "30,000 quantifiers among 30,000 W1018 diagnostics: withdrawing bound variables is linear",
    () => {
      const body = Array.from({ length: 30_000 }, (_, i) => ` when { v${i} && [1].any(x, x == 1) }`).join("");
      const r = parsePolicies(`permit(principal, action, resource)${body};`);
      expect(r.diagnostics).toHaveLength(30_000);
      expect(codes(r.diagnostics)).toEqual(["W1018"]);
      expect(r.diagnostics.some((d) => d.message === "invalid variable `x`")).toBe(false);
    },
    TIMEOUT,
  );

  it(
    "200,000 diagnostics in one policy are returned, not thrown (no argument-list spread)",
    () => {
      const body = Array.from({ length: 200_000 }, (_, i) => `v${i}`).join(", ");
      const r = parsePolicies(`permit(principal, action, resource) when { [${body}].isEmpty() };`);
      expect(r.diagnostics).toHaveLength(200_000);
    },
    TIMEOUT,
  );
});

describe("`has` paths", () => {
  it(
    `a path longer than ${MAX_HAS_PATH} attributes is W1021 (its lowering would be quadratic)`,
    () => {
      const path = (n: number) => Array.from({ length: n }, (_, i) => `a${i}`).join(".");
      expect(parsePolicies(`permit(principal, action, resource) when { principal has ${path(MAX_HAS_PATH)} };`).diagnostics).toEqual([]);
      const long = parsePolicies(`permit(principal, action, resource) when { principal has ${path(5000)} };`);
      expect(codes(long.diagnostics)).toEqual(["W1021"]);
      expect(CATALOG.W1021.severity).toBe("error");
    },
    TIMEOUT,
  );
});

describe("printers", () => {
  it(
    "50,000 comments inside one set literal are placed by bisection",
    () => {
      const src = `permit(principal, action, resource) when { [${Array.from({ length: 50_000 }, (_, i) => `${i} // c${i}\n`).join(", ")}].contains(1) };`;
      const out = formatPolicies(parsePolicies(src).ast!, src);
      expect(out.match(/\/\/ c\d+/g)).toHaveLength(50_000);
    },
    TIMEOUT,
  );

  it(
    "100,000 comments after the resource scope: the trivia scan is done once",
    () => {
      const src = `permit(principal, action, resource ${"// c\n".repeat(100_000)}) when { true };`;
      const out = formatPolicies(parsePolicies(src).ast!, src);
      expect(out.match(/\/\/ c/g)).toHaveLength(100_000);
    },
    TIMEOUT,
  );

  it(
    "70,000 commented schema declarations are placed by bisection",
    () => {
      const src = Array.from({ length: 70_000 }, (_, i) => `entity E${i}; // c${i}\n`).join("");
      const out = formatSchema(parseSchema(src).ast!, src);
      expect(out.match(/\/\/ c\d+/g)).toHaveLength(70_000);
    },
    TIMEOUT,
  );
});

describe("diagnostics", () => {
  it(
    "100,000 one-line renderings over a 2 MB source use a line index",
    () => {
      const src = "x\n".repeat(1_000_000);
      let last = "";
      for (let i = 0; i < 100_000; i++) last = formatDiagnosticLine({ code: "W1001", severity: "error", message: "m", span: { start: src.length - 2, end: src.length - 1 } }, src);
      expect(last).toBe("<input>:1000000:1: error W1001: m");
      expect(lineColOf(src, 3)).toEqual({ line: 2, col: 2 });
      expect(lineColOf("a\nb", 2)).toEqual({ line: 2, col: 1 });
      expect(lineColOf("a\nb", 1)).toEqual({ line: 1, col: 2 });
    },
    TIMEOUT,
  );

  it(
    "suggestions cost bounded work: a 200,000-character word is not compared",
    () => {
      const word = "a".repeat(200_000);
      expect(didYouMean(word, [`${word}b`, "x"])).toBeUndefined();
      const many = Array.from({ length: 1_000_000 }, (_, i) => `candidate${i}`);
      expect(didYouMean("candidate7", many)).toBe("candidate7");
      expect(didYouMean("usr", ["User", "Group"])).toBe("User");
    },
    TIMEOUT,
  );

  it("the source limit is still the first check", () => {
    const r = parsePolicies(" ".repeat(MAX_SOURCE_LENGTH + 1));
    expect(codes(r.diagnostics)).toEqual(["W1014"]);
  });
});
