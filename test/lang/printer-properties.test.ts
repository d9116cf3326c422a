/**
 * Printer properties: `fmt` is idempotent, round-trips (parse ∘ fmt = parse up to
 * spans) and keeps every comment, on generated policies and on every conformance
 * `.cedar` file.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parsePolicies } from "../../lang/index.js";
import { formatPolicies } from "../../lang/printer.js";
import { writLexer } from "../../lang/tokens.js";
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import { arbEntitiesJson, arbPolicySetText, arbPolicyText, arbRequestJson } from "../support/arbitraries.js";
import { commentTexts, stripSpansAndComments } from "../support/strip-spans.js";
import { conformanceData, describeConformance } from "../support/conformance.js";

/** Runs per property (raise with WRIT_PROP_RUNS for a longer search). */
const RUNS = Number(process.env.WRIT_PROP_RUNS ?? 300);
const cedarTests = conformanceData("cedar/tests");
const CONFORMANCE = cedarTests.dir;

function cedarFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...cedarFiles(p));
    else if (name.endsWith(".cedar")) out.push(p);
  }
  return out;
}

const SEPARATORS = [" ", " ", "\n", "\n\n", "  ", " // note\n", "\n// own line\n", " //\n", "\t", "\r\n", " // crlf\r\n"];

/** Re-join the tokens of `src` with separators chosen by `pick` (whitespace or comments). */
function respace(src: string, pick: (i: number) => string): string {
  const { tokens } = writLexer.tokenize(src);
  return tokens.map((t, i) => (i > 0 ? pick(i) : "") + t.image).join("") + "\n";
}

/** Parse, failing loudly on any diagnostic. */
function parseOk(src: string) {
  const r = parsePolicies(src);
  if (r.diagnostics.length > 0 || r.ast === undefined) {
    throw new Error(`parse failed: ${r.diagnostics.map((d) => `${d.code} ${d.message}`).join("; ")}\n--- source ---\n${src}`);
  }
  return r.ast;
}

/** Checks all three properties on one source text; returns the formatted text. */
function checkFormat(src: string): string {
  const ast = parseOk(src);
  const once = formatPolicies(ast, src);
  const ast2 = parseOk(once);
  expect(stripSpansAndComments(ast2)).toEqual(stripSpansAndComments(ast));
  expect(commentTexts(ast2)).toEqual(commentTexts(ast));
  const twice = formatPolicies(ast2, once);
  expect(twice).toBe(once);
  return once;
}

describe("printer properties on generated policies", () => {
  it("idempotent and round-trips on plain policies ", () => {
    fc.assert(fc.property(arbPolicyText({ depth: 4 }), (src) => void checkFormat(src)), { numRuns: RUNS });
  });

  it("idempotent and round-trips on policy sets with comments and odd layout ", () => {
    fc.assert(fc.property(arbPolicySetText({ layout: true }), (src) => void checkFormat(src)), { numRuns: RUNS });
  });

  it("keeps every line within 80 columns (generated atoms are all short)", () => {
    fc.assert(
      fc.property(arbPolicySetText({ depth: 4 }), (src) => {
        for (const l of checkFormat(src).split("\n")) expect(l.length).toBeLessThanOrEqual(80);
      }),
      { numRuns: RUNS },
    );
  });

  it("output depends only on the AST when there are no comments", () => {
    fc.assert(
      fc.property(arbPolicySetText({ depth: 3 }), fc.array(fc.constantFrom(" ", "\n", "\t", "   ", "\n\n"), { minLength: 1, maxLength: 16 }), (src, seps) => {
        const respaced = respace(src, (i) => seps[i % seps.length]!);
        expect(checkFormat(respaced)).toBe(checkFormat(src));
      }),
      { numRuns: RUNS },
    );
  });
});

/** Cedar's own JSON form of each policy of `text` (annotations included), via the reference implementation. */
function cedarJson(text: string): unknown[] {
  const parts = cedar.policySetTextToParts(text);
  if (parts.type !== "success") throw new Error(`Cedar rejects:\n${text}\n${JSON.stringify(parts.errors)}`);
  return parts.policies.map((p) => {
    const j = cedar.policyToJson(p);
    if (j.type !== "success") throw new Error(`Cedar rejects policy:\n${p}`);
    return j.json;
  });
}

describe("the reference implementation agrees", () => {
  it("reads the formatted text as the same policies (Cedar JSON form)", () => {
    fc.assert(
      fc.property(arbPolicySetText({ layout: true }), (src) => {
        const out = checkFormat(src);
        expect(cedarJson(out)).toEqual(cedarJson(src));
      }),
      { numRuns: Math.ceil(RUNS / 2) },
    );
  });

  it("accepts generated policies, entities and requests (no input errors)", () => {
    fc.assert(
      fc.property(arbPolicySetText(), arbEntitiesJson(), arbRequestJson(), (src, entities, req) => {
        const answer = cedar.isAuthorized({
          principal: req.principal,
          action: req.action,
          resource: req.resource,
          context: req.context as cedar.Context,
          policies: { staticPolicies: src },
          entities: entities as cedar.Entities,
        });
        expect(answer.type === "failure" ? answer.errors : []).toEqual([]);
      }),
      { numRuns: Math.ceil(RUNS / 2) },
    );
  });
});

describeConformance("printer properties on the conformance policies", cedarTests, () => {
  const files = cedarFiles(CONFORMANCE);
  it("finds the conformance .cedar files", () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
  });
  for (const f of files) {
    const rel = f.slice(CONFORMANCE.length + 1);
    const src = readFileSync(f, "utf8");
    it(`formats ${rel}`, () => {
      const out = checkFormat(src);
      // The corpus is already in `cedar format` layout: it must come back unchanged,
      // except for redundant parentheses, which the printer drops.
      if (rel === "ip/policies_2.cedar") expect(out).toBe(src.replace(/!\((context\.source_ip\.\w+\(\))\)/g, "!$1").replace("when\n{ ", "when { "));
      else expect(out).toBe(src);
    });
    it(`formats ${rel} re-spaced with comments between tokens`, () => {
      fc.assert(
        fc.property(fc.array(fc.nat(SEPARATORS.length - 1), { minLength: 1, maxLength: 64 }), (choices) => {
          checkFormat(respace(src, (i) => SEPARATORS[choices[i % choices.length]!]!));
        }),
        { numRuns: Math.ceil(RUNS / 8) },
      );
    });
  }
});
