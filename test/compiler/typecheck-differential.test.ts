/**
 * Differential property: on policies generated over a small schema (mostly
 * plausible, often ill-typed), the validator's verdict equals Cedar's strict
 * validation (cedar-wasm `validate`).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import { parsePolicies, parseSchema } from "../../lang/index.js";
import { hasErrors } from "../../lang/diagnostics.js";
import { loadSchema } from "../../compiler/schema.js";
import { validatePolicies } from "../../compiler/validate.js";

const SCHEMA = `
entity Org;
entity Team in [Org] = { name: String };
entity User in [Team] = { name: String, age?: Long, active: Bool, boss?: User, nums: Set<Long>, teams: Set<Team>, addr: { city: String, zip?: Long } } tags String;
entity Doc in [Team, Org] = { owner: User, public: Bool, level: Long, labels: Set<String> };
entity Kind enum ["a", "b"];
action all;
action read, write in [all] appliesTo { principal: [User], resource: [Doc], context: { flag: Bool, token?: String, n: Long, rec: { a: Long } } };
action admin appliesTo { principal: [User, Team], resource: [Doc, Team] };
`;

type G = fc.Arbitrary<string>;
const pick = (...xs: string[]): G => fc.constantFrom(...xs);

function gens(depth: number): { b: G; l: G; s: G; e: G; set: G; any: G } {
  const bAtom = pick("true", "false", "context.flag", "principal.active", "resource.public", "context has token", "principal has boss", "principal has age", "resource has owner", "principal.boss.active", "principal has addr.zip", "context has rec.a");
  const lAtom = pick("1", "-2", "0", "principal.age", "resource.level", "context.n", "context.rec.a", "principal.addr.zip");
  const sAtom = pick('"a"', '"x*"', "principal.name", "context.token", "resource.owner.name", 'principal.getTag("t")', "principal.addr.city");
  const eAtom = pick("principal", "resource", 'User::"u"', 'Doc::"d"', 'Team::"t"', 'Org::"o"', "resource.owner", "principal.boss", "action", 'Action::"read"', 'Kind::"a"', 'Kind::"c"', 'Usr::"x"');
  const setAtom = pick("principal.nums", "principal.teams", "resource.labels", "[1, 2]", '["a"]', '[Team::"t"]', "[]", '[1, "a"]', '[Action::"read", Action::"all"]');
  const recAtom = pick("context.rec", "{a: 1}", '{a: "x"}', "principal.addr", '{city: "x"}', '{city: "x", zip: 1}', "context", "{}");
  if (depth <= 0) {
    const any = fc.oneof(bAtom, lAtom, sAtom, eAtom, setAtom, recAtom);
    return { b: bAtom, l: lAtom, s: sAtom, e: eAtom, set: setAtom, any };
  }
  const sub = gens(depth - 1);
  const b: G = fc.oneof(
    { weight: 3, arbitrary: bAtom },
    fc.tuple(sub.b, sub.b).map(([x, y]) => `(${x} && ${y})`),
    fc.tuple(sub.b, sub.b).map(([x, y]) => `(${x} || ${y})`),
    sub.b.map((x) => `!${x}`),
    fc.tuple(sub.b, sub.b, sub.b).map(([c, x, y]) => `(if ${c} then ${x} else ${y})`),
    fc.tuple(sub.any, sub.any).map(([x, y]) => `${x} == ${y}`),
    fc.tuple(sub.l, sub.l, pick("<", "<=", ">", "!=")).map(([x, y, op]) => `${x} ${op} ${y}`),
    sub.s.map((x) => `${x} like "a*"`),
    fc.tuple(sub.e, fc.oneof(sub.e, sub.set)).map(([x, y]) => `${x} in ${y}`),
    fc.tuple(sub.e, pick("User", "Doc", "Team", "Action")).map(([x, t]) => `${x} is ${t}`),
    fc.tuple(sub.set, sub.any).map(([s, x]) => `${s}.contains(${x})`),
    fc.tuple(sub.set, sub.set, pick("containsAll", "containsAny")).map(([s, t, m]) => `${s}.${m}(${t})`),
    fc.tuple(sub.e, sub.s).map(([e, k]) => `${e}.hasTag(${k})`),
    fc.tuple(sub.e, sub.s).map(([e, k]) => `(${e}.hasTag(${k}) && ${e}.getTag(${k}) == "v")`),
    fc.tuple(sub.e, pick("name", "age", "boss", "active", "nope", "addr")).map(([e, a]) => `${e} has ${a}`),
    fc.tuple(recAtom, pick("a", "zip", "city", "token", "rec")).map(([e, a]) => `${e} has ${a}`),
    fc.tuple(recAtom, recAtom).map(([x, y]) => `${x} == ${y}`),
    fc.tuple(recAtom, sub.b).map(([x, y]) => `(${x} has a && ${y})`),
  );
  const l: G = fc.oneof(
    { weight: 3, arbitrary: lAtom },
    fc.tuple(sub.l, sub.l, pick("+", "-", "*")).map(([x, y, op]) => `(${x} ${op} ${y})`),
    fc.tuple(sub.b, sub.l, sub.l).map(([c, x, y]) => `(if ${c} then ${x} else ${y})`),
    fc.tuple(sub.e, pick("age", "level")).map(([e, a]) => `${e}.${a}`),
    fc.tuple(recAtom, pick("a", "zip")).map(([e, a]) => `${e}.${a}`),
    fc.tuple(sub.l).map(([x]) => `{a: ${x}}.a`),
  );
  const s: G = fc.oneof({ weight: 3, arbitrary: sAtom }, fc.tuple(sub.b, sub.s, sub.s).map(([c, x, y]) => `(if ${c} then ${x} else ${y})`));
  const e: G = fc.oneof({ weight: 3, arbitrary: eAtom }, fc.tuple(sub.b, sub.e, sub.e).map(([c, x, y]) => `(if ${c} then ${x} else ${y})`));
  const set: G = fc.oneof({ weight: 3, arbitrary: setAtom }, fc.array(sub.any, { minLength: 1, maxLength: 3 }).map((xs) => `[${xs.join(", ")}]`));
  const any = fc.oneof(b, l, s, e, set, fc.tuple(sub.any).map(([x]) => `{f: ${x}}`), recAtom);
  return { b, l, s, e, set, any };
}

const scopeP = pick("principal", "principal is User", 'principal in Team::"t"', 'principal == User::"u"', "principal is Team", 'principal in Org::"o"', 'principal is User in Team::"t"', 'principal in Doc::"d"');
const scopeA = pick("action", 'action == Action::"read"', 'action in Action::"all"', 'action in [Action::"write", Action::"admin"]', 'action == Action::"admin"', 'action == Action::"all"');
const scopeR = pick("resource", "resource is Doc", 'resource in Org::"o"', "resource is Team", 'resource == Doc::"d"');
const G2 = gens(3);
const cond = fc.tuple(pick("when", "unless"), G2.b).map(([k, b]) => `${k} { ${b} }`);

/** Random policies over SCHEMA, mostly plausible, often ill-typed. */
const policyArb: G = fc
  .tuple(pick("permit", "forbid"), scopeP, scopeA, scopeR, fc.array(cond, { minLength: 0, maxLength: 2 }))
  .map(([eff, p, a, r, cs]) => `${eff}(${p}, ${a}, ${r}) ${cs.join(" ")};`);

describe("validator verdict = Cedar strict validation (differential)", () => {
  const schema = loadSchema(parseSchema(SCHEMA).ast!).schema!;

  it("loads the generator's schema", () => {
    expect(schema).toBeDefined();
  });

  it("agrees with cedar-wasm on generated policies", () => {
    let accepted = 0;
    fc.assert(
      fc.property(policyArb, (policy) => {
        const answer = cedar.validate({ schema: SCHEMA, policies: { staticPolicies: policy }, validationSettings: { mode: "strict" } });
        const cedarRejects = answer.type === "failure" || answer.validationErrors.length > 0;
        const parsed = parsePolicies(policy);
        const writRejects = parsed.ast === undefined || hasErrors(parsed.diagnostics) || hasErrors(validatePolicies(parsed.ast, schema).diagnostics);
        if (!cedarRejects) accepted++;
        expect(writRejects).toBe(cedarRejects);
      }),
      { numRuns: 300, seed: 20261122 },
    );
    // Both verdicts must be exercised for the property to mean anything.
    expect(accepted).toBeGreaterThan(30);
    expect(accepted).toBeLessThan(270);
  });
});
