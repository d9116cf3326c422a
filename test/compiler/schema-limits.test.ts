/**
 * Hostile schemas: long hierarchies and common-type chains must load, validate and bundle in
 * bounded time and linear size, or be refused with a diagnostic — never overflow the stack.
 * Each case has a vitest timeout rather than a speed assertion: a quadratic or exponential
 * regression shows up as a timeout (or a heap exhaustion), not as a flaky number.
 */
import { describe, expect, it } from "vitest";
import { parsePolicies, parseSchema } from "../../lang/index.js";
import { hasErrors } from "../../lang/diagnostics.js";
import { buildBundle, canonicalJson, schemaFromJson, validatePolicies } from "../../compiler/index.js";
import { toPlainJson } from "../../compiler/ids.js";
import { actionAncestors, actionIsIn, entityTypeAncestors, loadSchema, mayBeIn, MAX_SCHEMA_TYPE_DEPTH, type Schema } from "../../compiler/schema.js";
import { loadBundle } from "../../runtime/index.js";

/** Per-test timeout: generous for a shared 2-core machine, far below what quadratic work would need. */
const TIMEOUT = 30_000;

function load(src: string): { schema: Schema | undefined; codes: string[] } {
  const parsed = parseSchema(src);
  expect(parsed.diagnostics).toEqual([]);
  const r = loadSchema(parsed.ast!);
  return { schema: r.schema, codes: r.diagnostics.map((d) => d.code) };
}

/** A chain of `n` entity types and `n` action groups, declared child first (the deepest walk). */
function chainSchema(n: number): string {
  const out: string[] = [];
  for (let i = n - 1; i >= 1; i--) out.push(`entity E${i} in [E${i - 1}];`);
  out.push("entity E0;");
  for (let i = n - 1; i >= 1; i--) out.push(`action "a${i}" in ["a${i - 1}"] appliesTo { principal: E${n - 1}, resource: E${n - 1} };`);
  out.push(`action "a0" appliesTo { principal: E0, resource: E0 };`);
  return out.join("\n");
}

function modelBytes(s: Schema): number {
  return canonicalJson(toPlainJson(s)).length;
}

describe("long hierarchies", () => {
  it(
    "a 5,000-long chain of entity types and of action groups loads and answers `in` without recursion",
    () => {
      const { schema, codes } = load(chainSchema(5000));
      expect(codes).toEqual([]);
      const s = schema!;
      expect(mayBeIn(s, "E4999", "E0")).toBe(true);
      expect(mayBeIn(s, "E0", "E4999")).toBe(false);
      expect(actionIsIn(s, 'Action::"a4999"', 'Action::"a0"')).toBe(true);
      expect(actionIsIn(s, 'Action::"a0"', 'Action::"a1"')).toBe(false);
      expect(entityTypeAncestors(s, "E4999")).toHaveLength(4999);
      expect(actionAncestors(s, 'Action::"a2"')).toEqual(['Action::"a0"', 'Action::"a1"']);
      const policies = parsePolicies('permit(principal in E0::"x", action in Action::"a0", resource);').ast!;
      expect(validatePolicies(policies, s).diagnostics).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    "the model stores direct parents only: its size grows linearly with the chain",
    () => {
      const small = modelBytes(load(chainSchema(1500)).schema!);
      const large = modelBytes(load(chainSchema(3000)).schema!);
      // Stored closures made this ratio about 4 (a 3,000-long chain was an 86 MB bundle).
      expect(large / small).toBeLessThan(2.2);
      expect(large).toBeLessThan(3000 * 2 * 250);
    },
    TIMEOUT,
  );

  it(
    "a bundle over a 3,000-long chain stays small and loads back",
    () => {
      const schema = load(chainSchema(3000)).schema!;
      const built = buildBundle({ policiesAst: parsePolicies('permit(principal in E0::"x", action in Action::"a0", resource);').ast!, schema });
      expect(built.diagnostics).toEqual([]);
      const text = JSON.stringify(built.bundle);
      expect(text.length).toBeLessThan(3_000_000);
      const loaded = loadBundle(JSON.parse(text));
      expect(loaded.diagnostics).toEqual([]);
      expect(loaded.bundle?.schemaId).toBe(built.bundle!.schemaId);
    },
    TIMEOUT,
  );

  it(
    "a 5,000-long cycle of action groups is one W2005, found without recursion",
    () => {
      const n = 5000;
      const decls = [`action "a0" in ["a${n - 1}"];`];
      for (let i = 1; i < n; i++) decls.push(`action "a${i}" in ["a${i - 1}"];`);
      const { schema, codes } = load(decls.join("\n"));
      expect(schema).toBeUndefined();
      expect(codes).toEqual(["W2005"]);
    },
    TIMEOUT,
  );

  it(
    "a 5,000-long cycle of entity types is allowed (as in Cedar) and `in` terminates",
    () => {
      const n = 5000;
      const decls = [`entity E0 in [E${n - 1}];`];
      for (let i = 1; i < n; i++) decls.push(`entity E${i} in [E${i - 1}];`);
      const { schema, codes } = load(decls.join("\n"));
      expect(codes).toEqual([]);
      expect(mayBeIn(schema!, "E0", "E1")).toBe(true);
      expect(mayBeIn(schema!, "E1", "E7")).toBe(true);
      expect(entityTypeAncestors(schema!, "E3")).toHaveLength(n - 1);
    },
    TIMEOUT,
  );
});

describe("common types", () => {
  it(
    "a 5,000-long chain of aliases, declared last-first, resolves without recursion",
    () => {
      const decls: string[] = [];
      for (let i = 4999; i >= 1; i--) decls.push(`type T${i} = T${i - 1};`);
      decls.push("type T0 = Long;", "entity E { x: T4999 };");
      const { schema, codes } = load(decls.join("\n"));
      expect(codes).toEqual([]);
      expect(schema!.entityTypes["E"]!.attributes.attrs["x"]!.type).toEqual({ kind: "long" });
    },
    TIMEOUT,
  );

  it(
    "a chain that nests each common type in the next is refused past the depth limit (W2011)",
    () => {
      const decls = ["type T0 = Long;"];
      for (let i = 1; i < 5000; i++) decls.push(`type T${i} = { a: T${i - 1} };`);
      decls.push("entity E { x: T4999 };");
      expect(load(decls.reverse().join("\n")).codes).toContain("W2011");
      const ok = ["type T0 = Long;"];
      for (let i = 1; i < MAX_SCHEMA_TYPE_DEPTH; i++) ok.push(`type T${i} = { a: T${i - 1} };`);
      expect(load(ok.join("\n")).codes).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    "common types that double at each step are refused (W2012) instead of expanding exponentially",
    () => {
      const decls = ["type T0 = Long;"];
      for (let i = 1; i < 40; i++) decls.push(`type T${i} = { a: T${i - 1}, b: T${i - 1} };`);
      decls.push("entity E { x: T39 };");
      const { schema, codes } = load(decls.join("\n"));
      expect(schema).toBeUndefined();
      expect(codes).toEqual(["W2012"]);
    },
    TIMEOUT,
  );

  it("cycles between common types are still W2006 (one per cycle)", () => {
    expect(load("type A = { b: B }; type B = Set<A>;").codes).toEqual(["W2006"]);
    expect(load("type A = A;").codes).toEqual(["W2006"]);
    expect(load("type A = B; type B = C; type C = { x: A }; entity E { a: A };").codes).toEqual(["W2006"]);
  });
});

describe("the JSON schema form", () => {
  it(
    "a type nested 100,000 levels deep in memory is W2009, not a stack overflow",
    () => {
      let t: unknown = { type: "Long" };
      for (let i = 0; i < 100_000; i++) t = { type: "Set", element: t };
      const r = schemaFromJson({ "": { entityTypes: { E: { shape: { type: "Record", attributes: { a: t } } } } } });
      expect(r.diagnostics.map((d) => d.code)).toEqual(["W2009"]);
    },
    TIMEOUT,
  );

  it(
    "a 5,000-long chain of entity types in JSON loads",
    () => {
      const entityTypes: Record<string, unknown> = {};
      for (let i = 4999; i >= 0; i--) entityTypes[`E${i}`] = i === 0 ? {} : { memberOfTypes: [`E${i - 1}`] };
      const r = schemaFromJson({ "": { entityTypes } });
      expect(r.diagnostics).toEqual([]);
      const loaded = loadSchema(r.ast!);
      expect(hasErrors(loaded.diagnostics)).toBe(false);
      expect(mayBeIn(loaded.schema!, "E4999", "E0")).toBe(true);
    },
    TIMEOUT,
  );
});
