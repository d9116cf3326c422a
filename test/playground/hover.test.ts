/**
 * Hover in the policy editor shows the compiler checker's types (through the schema, `has`,
 * tags, extension methods, per request environment) and, on a builtin call, the signature
 * and doc of the one builtins table — never a type of its own making.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BUILTIN_DOCS } from "../../stdlib/index.js";
import { loadSchema, policyTypes, showType, type Schema } from "../../compiler/index.js";
import { parsePolicies, parseSchema, type PolicySet } from "../../lang/index.js";
import { DEFAULT_STATE } from "../../playground/src/default-example.js";
import { loadExamples } from "../../playground/src/examples.js";
import { hoverAt, innermost } from "../../playground/src/hover.js";
import type { HoverResult } from "../../playground/src/protocol.js";
import { handle } from "../../playground/src/writ-service.js";
import { GOVERNED } from "./governed-fixture.js";

const SCHEMA = `entity Team;
entity User in [Team] { level: Long, manager?: User } tags String;
entity Admin { level: Long };
entity Account { owner: User, limit: decimal, tags: Set<String> };
action view appliesTo {
  principal: [User, Admin],
  resource: [Account],
  context: { ip: ipaddr, authenticated: Bool, amount?: decimal },
};
`;

function loaded(src: string): Schema {
  const r = loadSchema(parseSchema(src).ast!);
  expect(r.diagnostics).toEqual([]);
  return r.schema!;
}

function policies(src: string): PolicySet {
  const r = parsePolicies(src);
  expect(r.diagnostics).toEqual([]);
  return r.ast!;
}

/** The hover at the `nth` occurrence of `needle` in `src` (offset `shift` characters into it). */
function hoverOn(src: string, needle: string, schema: Schema | undefined, shift = 0, nth = 0): HoverResult {
  let at = -1;
  for (let i = 0; i <= nth; i++) at = src.indexOf(needle, at + 1);
  expect(at, `${needle} in the policy`).toBeGreaterThanOrEqual(0);
  const h = hoverAt(policies(src), at + shift, schema);
  expect(h).not.toBeNull();
  return h!;
}

const doc = (name: string) => BUILTIN_DOCS.find((d) => d.name === name)!;

describe("hover types come from the checker", () => {
  const schema = loaded(SCHEMA);

  it("shows an attribute's schema type through entity and record access", () => {
    const src = "permit (principal, action, resource) when { resource.owner == principal && resource.tags.contains(\"x\") };";
    const owner = hoverOn(src, "resource.owner", schema, "resource.".length);
    expect(src.slice(owner.start, owner.end)).toBe("resource.owner");
    expect(owner.contents[1]).toBe("`getAttr` expression of type `User`");
    expect(hoverOn(src, "resource.tags", schema, "resource.".length).contents[1]).toBe("`getAttr` expression of type `Set<String>`");
  });

  it("gives a variable the union of its types over the request environments, narrowed by `is`", () => {
    const src = "permit (principal, action, resource) when { principal is Admin && principal.level > 1 };";
    expect(hoverOn(src, "principal is", schema).contents[1]).toBe("`var` expression of type `User | Admin`");
    // Only the Admin environment reaches the right side of `&&`: the checker types `principal` there as Admin alone.
    expect(hoverOn(src, "principal.level", schema).contents[1]).toBe("`var` expression of type `Admin`");
    expect(hoverOn(src, "principal.level", schema, "principal.".length).contents[1]).toBe("`getAttr` expression of type `Long`");
  });

  it("types `has` as the checker does: always true for a required context attribute, Bool for an entity's", () => {
    const src = "permit (principal, action, resource) when { context has authenticated && resource has owner && context has amount };";
    expect(hoverOn(src, "context has authenticated", schema, "context ".length).contents[1]).toBe("`has` expression of type `Bool (always true)`");
    expect(hoverOn(src, "resource has owner", schema, "resource ".length).contents[1]).toBe("`has` expression of type `Bool`");
    expect(hoverOn(src, "context has amount", schema, "context ".length).contents[1]).toBe("`has` expression of type `Bool`");
  });

  it("types an optional attribute only where `has` guards it, and a tag only after `hasTag`", () => {
    const src = 'permit (principal is User, action, resource) when { principal has manager && principal.manager.level > 1 && principal.hasTag("t") && principal.getTag("t") == "x" };';
    expect(hoverOn(src, "principal.manager.level", schema, "principal.manager.".length).contents[1]).toBe("`getAttr` expression of type `Long`");
    expect(hoverOn(src, 'principal.getTag("t")', schema, "principal.get".length).contents[1]).toBe("`method` expression of type `String`");
    const unguarded = 'permit (principal is User, action, resource) when { principal.manager.level > 1 };';
    expect(hoverOn(unguarded, "principal.manager", schema, "principal.".length).contents[1]).toBe(
      "`getAttr` expression without a type (the checker reports an error here, or never evaluates it)",
    );
  });

  it("shows an extension method's result type and its signature and doc from the builtins table", () => {
    const src = 'permit (principal, action, resource) when { resource.limit.lessThan(decimal("10.5")) && context.ip.isInRange(ip("10.0.0.0/8")) };';
    const less = hoverOn(src, ".lessThan(", schema, 1);
    expect(src.slice(less.start, less.end)).toBe('resource.limit.lessThan(decimal("10.5"))');
    expect(less.contents[1]).toBe("`method` expression of type `Bool`");
    expect(less.contents[2]).toBe(`\`${doc("lessThan").signature}\` — ${doc("lessThan").doc}`);
    expect(less.contents[2]).toContain("decimal.lessThan(decimal) → Bool");
    expect(hoverOn(src, "resource.limit", schema, "resource.".length).contents[1]).toBe("`getAttr` expression of type `decimal`");
    const ctor = hoverOn(src, 'decimal("10.5")', schema);
    expect(ctor.contents.slice(1)).toEqual(["`call` expression of type `decimal`", `\`${doc("decimal").signature}\` — ${doc("decimal").doc}`]);
    expect(hoverOn(src, "context.ip", schema, "context.".length).contents[1]).toBe("`getAttr` expression of type `ipaddr`");
    expect(hoverOn(src, ".isInRange(", schema, 1).contents[2]).toContain("ipaddr.isInRange(ipaddr) → Bool");
  });

  it("types obligation values", () => {
    const gov = loaded(GOVERNED.schema);
    const h = hoverOn(GOVERNED.policies, '["#docs"]', gov, 1);
    expect(h.contents[1]).toBe("`string` expression of type `String`");
    expect(hoverOn(GOVERNED.policies, '["#docs"]', gov).contents[1]).toBe("`set` expression of type `Set<String>`");
  });

  it("gives no type where the checker gives none, and says a type needs a schema", () => {
    const src = "permit (principal, action, resource) when { resource.ownr == principal };";
    expect(hoverOn(src, "resource.ownr", schema, "resource.".length).contents[1]).toBe(
      "`getAttr` expression without a type (the checker reports an error here, or never evaluates it)",
    );
    expect(hoverOn(src, "resource.ownr", undefined, "resource.".length).contents[1]).toBe("`getAttr` expression (its type needs a schema that loads)");
    // Without a schema the builtin's signature is still shown: it comes from the table, not the checker.
    const call = 'permit (principal, action, resource) when { ip("1.2.3.4").isLoopback() };';
    expect(hoverOn(call, "isLoopback", undefined).contents[2]).toContain(doc("isLoopback").signature);
  });

  it("shows every type of every expression exactly as the checker's side table holds it", () => {
    let checked = 0;
    // One entry per distinct policies and schema (the menu repeats them once per test request).
    const distinct = new Map(loadExamples().map((ex) => [`${ex.state.policies}\0${ex.state.schema}`, ex]));
    for (const ex of distinct.values()) {
      const set = parsePolicies(ex.state.policies).ast;
      const ps = ex.state.schema.trim() === "" ? undefined : loadSchema(parseSchema(ex.state.schema).ast!).schema;
      if (set === undefined || ps === undefined) continue;
      for (const p of set.policies) {
        const table = policyTypes(p, ps);
        const bodies = [...p.conditions.map((c) => c.body), ...(p.obligations ?? []).map((o) => o.value)];
        for (const [e, types] of table) {
          // Hover reaches a node at its first character unless a child starts there too.
          const body = bodies.find((b) => b.span.start <= e.span.start && e.span.end <= b.span.end)!;
          if (innermost(body, e.span.start) !== e) continue;
          const h = hoverAt(set, e.span.start, ps)!;
          expect(h.contents[1], ex.label).toBe(`\`${e.kind}\` expression of type \`${types.map(showType).join(" | ")}\``);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
  });
});

describe("hover through the worker's service", () => {
  it("answers on the built-in example with the schema's types", () => {
    const at = (needle: string, shift: number): HoverResult => handle({ kind: "hover", id: 1, state: DEFAULT_STATE, offset: DEFAULT_STATE.policies.indexOf(needle) + shift }) as HoverResult;
    expect(at("resource.owner", "resource.".length).contents).toEqual(["**permit** policy `owner-access`", "`getAttr` expression of type `User`"]);
    expect(at("resource.public", "resource.".length).contents[1]).toBe("`getAttr` expression of type `Bool`");
    expect(at("principal.clearance >=", 0).contents[1]).toBe("`var` expression of type `User`");
  });

  it("always answers: null outside every policy, otherwise a range holding the offset inside that policy", () => {
    const states = loadExamples().map((e) => e.state);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: states.length - 1 }), fc.double({ min: 0, max: 1, noNaN: true }), (i, where) => {
        const state = states[i]!;
        const offset = Math.floor(where * state.policies.length);
        const h = handle({ kind: "hover", id: 1, state, offset }) as HoverResult | null;
        const set = parsePolicies(state.policies).ast!;
        const policy = set.policies.find((p) => p.span.start <= offset && offset < p.span.end);
        if (policy === undefined) {
          expect(h).toBeNull();
          return;
        }
        expect(h).not.toBeNull();
        expect(h!.start).toBeLessThanOrEqual(offset);
        expect(offset).toBeLessThanOrEqual(h!.end);
        expect(h!.start).toBeGreaterThanOrEqual(policy.span.start);
        expect(h!.end).toBeLessThanOrEqual(policy.span.end);
        expect(h!.contents[0]).toMatch(/^\*\*(permit|forbid)\*\* policy `/);
      }),
      { numRuns: 300 },
    );
  });
});
