/**
 * Determinism properties of the decision function: same inputs ⇒ same decision across
 * repeated calls, a fresh compile, permuted entity order and permuted JSON key order.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parsePolicies } from "../../lang/index.js";
import { compile, requestFromJson, type Decision } from "../../compiler/index.js";
import { entitiesFromJson, type JsonValue } from "../../stdlib/json.js";
import { Entities } from "../../stdlib/index.js";
import { EntityUID, RecordValue, SetValue } from "../../stdlib/value.js";

const POLICIES = `
@id("owner") permit(principal, action == Action::"view", resource) when { resource.owner == principal };
@id("group") permit(principal in Group::"g1", action, resource) when { principal.age >= context.n };
@id("tags") permit(principal, action in [Action::"edit"], resource) when { principal.roles.contains(context.s) };
@id("young") forbid(principal, action, resource) when { principal.age < 3 } unless { context.s like "a*" };
@id("err") forbid(principal is User, action, resource) when { principal.age + context.n > 9223372036854775803 };
@id("missing") permit(principal, action, resource) when { resource.nope == 1 };
@id("grp2") permit(principal, action, resource in Group::"g2") when { principal has age && principal.age == 2 };
`;

const USERS = ["a", "b", "c"];
const GROUPS = ["g1", "g2", "g3"];
const STRINGS = ["a", "ab", "b", ""];

const uid = (type: string, id: string): JsonValue => ({ type, id });

const userArb = (id: string) =>
  fc.record({
    age: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.constant(9223372036854775800n)),
    roles: fc.uniqueArray(fc.constantFrom(...STRINGS), { maxLength: 3 }),
    parents: fc.uniqueArray(fc.constantFrom(...GROUPS), { maxLength: 2 }),
    hasAge: fc.boolean(),
  }).map(({ age, roles, parents, hasAge }): JsonValue => ({
    uid: uid("User", id),
    attrs: hasAge ? { age, roles } : { roles },
    parents: parents.map((g) => uid("Group", g)),
  }));

const photoArb = (id: string) =>
  fc.record({ owner: fc.constantFrom(...USERS), parents: fc.uniqueArray(fc.constantFrom(...GROUPS), { maxLength: 2 }) }).map(
    ({ owner, parents }): JsonValue => ({ uid: uid("Photo", id), attrs: { owner: { __entity: uid("User", owner) } }, parents: parents.map((g) => uid("Group", g)) }),
  );

const worldArb = fc.record({
  users: fc.tuple(...USERS.map(userArb)),
  photos: fc.tuple(photoArb("p1"), photoArb("p2")),
  groupParent: fc.constantFrom(...GROUPS),
  request: fc.record({
    principal: fc.constantFrom(...USERS),
    action: fc.constantFrom("view", "edit"),
    resource: fc.constantFrom("p1", "p2", "zz"),
    n: fc.integer({ min: -5, max: 12 }),
    s: fc.constantFrom(...STRINGS),
  }),
  seed: fc.integer(),
});

/** Deterministic pseudo-random permutation. */
function shuffle<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The same JSON with object keys in a permuted order (recursively). */
function permuteKeys(j: JsonValue, seed: number): JsonValue {
  if (Array.isArray(j)) return (j as JsonValue[]).map((x, i) => permuteKeys(x, seed + i));
  if (j !== null && typeof j === "object") {
    const o = j as Record<string, JsonValue>;
    const out: Record<string, JsonValue> = {};
    for (const k of shuffle(Object.keys(o), seed)) out[k] = permuteKeys(o[k]!, seed * 31 + k.length);
    return out;
  }
  return j;
}

function program() {
  const parsed = parsePolicies(POLICIES);
  expect(parsed.diagnostics).toEqual([]);
  const { program } = compile(parsed.ast!);
  return program!;
}

function decideJson(prog: ReturnType<typeof program>, entitiesJson: JsonValue, requestJson: JsonValue): Decision {
  const { entities, diagnostics } = entitiesFromJson(entitiesJson);
  expect(diagnostics).toEqual([]);
  const r = requestFromJson(requestJson);
  expect(r.diagnostics).toEqual([]);
  return prog.decide(r.request!, entities!);
}

describe("determinism", () => {
  const prog = program();
  it("same inputs ⇒ same decision (repeat, fresh compile, entity order, JSON key order)", () => {
    fc.assert(
      fc.property(worldArb, (w) => {
        const groups: JsonValue[] = GROUPS.map((g) => ({ uid: uid("Group", g), attrs: {}, parents: g === w.groupParent ? [] : [uid("Group", w.groupParent)] }));
        const actions: JsonValue[] = [{ uid: uid("Action", "view"), attrs: {}, parents: [uid("Action", "edit")] }, { uid: uid("Action", "edit"), attrs: {}, parents: [] }];
        const entities: JsonValue[] = [...w.users, ...w.photos, ...groups, ...actions];
        const q = w.request;
        const request: JsonValue = {
          principal: uid("User", q.principal),
          action: uid("Action", q.action),
          resource: uid("Photo", q.resource),
          context: { n: q.n, s: q.s, extra: { x: 1, y: [1, 2] } },
        };
        const d0 = decideJson(prog, entities, request);
        expect(decideJson(prog, entities, request)).toEqual(d0);
        expect(decideJson(program(), entities, request)).toEqual(d0);
        expect(decideJson(prog, shuffle(entities, w.seed), request)).toEqual(d0);
        expect(decideJson(prog, permuteKeys(shuffle(entities, w.seed + 1), w.seed), permuteKeys(request, w.seed + 7))).toEqual(d0);
      }),
      { numRuns: 300 },
    );
  });

  it("the decision depends on the inputs (sanity: not constant)", () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(worldArb, (w) => {
        const groups: JsonValue[] = GROUPS.map((g) => ({ uid: uid("Group", g), attrs: {}, parents: [] }));
        const entities: JsonValue[] = [...w.users, ...w.photos, ...groups];
        const q = w.request;
        const request: JsonValue = { principal: uid("User", q.principal), action: uid("Action", q.action), resource: uid("Photo", q.resource), context: { n: q.n, s: q.s } };
        const d = decideJson(prog, entities, request);
        seen.add(`${d.decision}:${d.reasons.join(",")}:${d.errors.length}`);
      }),
      { numRuns: 300, seed: 42 },
    );
    expect(seen.size).toBeGreaterThan(4);
  });
});

describe("robustness", () => {
  it("decide never throws, even on malformed request objects (it denies and reports)", () => {
    const prog = compile(parsePolicies(`permit(principal, action, resource);`).ast!).program!;
    const store = new Entities([]);
    const junk = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.integer(),
      fc.string(),
      fc.constant(new EntityUID("User", "a")),
      fc.constant(new EntityUID("Action", "view")),
      fc.constant(new RecordValue(new Map())),
      fc.constant(new SetValue([])),
      fc.dictionary(fc.string(), fc.integer()),
    );
    fc.assert(
      fc.property(junk, junk, junk, junk, (principal, action, resource, context) => {
        const d = prog.decide({ principal, action, resource, context } as never, store);
        expect(["allow", "deny"]).toContain(d.decision);
        if (!(principal instanceof EntityUID) || !(action instanceof EntityUID) || !(resource instanceof EntityUID) || !(context instanceof RecordValue)) {
          expect({ decision: d.decision, reasons: d.reasons, errors: d.errors }).toEqual({ decision: "deny", reasons: [], errors: [expect.objectContaining({ policy: "", code: "W4002" })] });
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("policy index", () => {
  const P = ["User::\"a\"", "User::\"b\"", "Group::\"g1\"", "Group::\"g2\"", "Group::\"g3\""];
  const R = ["Photo::\"p1\"", "Photo::\"p2\"", "Group::\"g1\"", "Group::\"g2\""];
  const A = ["Action::\"view\"", "Action::\"edit\""];
  const scopeArb = (v: string, targets: string[]) =>
    fc.oneof(
      fc.constant({ head: v, cond: "true" }),
      fc.constantFrom(...targets).map((t) => ({ head: `${v} == ${t}`, cond: `${v} == ${t}` })),
      fc.constantFrom(...targets).map((t) => ({ head: `${v} in ${t}`, cond: `${v} in ${t}` })),
    );
  const actionArb = fc.oneof(
    fc.constant({ head: "action", cond: "true" }),
    fc.constantFrom(...A).map((t) => ({ head: `action == ${t}`, cond: `action == ${t}` })),
    fc.uniqueArray(fc.constantFrom(...A), { minLength: 1 }).map((ts) => ({ head: `action in [${ts.join(", ")}]`, cond: `action in [${ts.join(", ")}]` })),
  );
  const policyArb = fc.record({ effect: fc.constantFrom("permit", "permit", "forbid"), p: scopeArb("principal", P), a: actionArb, r: scopeArb("resource", R) });

  it("indexed evaluation equals evaluating every policy (scopes moved into conditions)", () => {
    fc.assert(
      fc.property(
        fc.array(policyArb, { minLength: 1, maxLength: 8 }),
        fc.constantFrom(...USERS),
        fc.constantFrom("view", "edit"),
        fc.constantFrom("p1", "p2"),
        fc.array(fc.tuple(fc.constantFrom("User::a", "User::b", "Photo::p1", "Photo::p2", "Group::g1", "Group::g2"), fc.constantFrom(...GROUPS)), { maxLength: 6 }),
        (policies, pr, ac, re, edges) => {
          const indexed = policies.map((x) => `${x.effect}(${x.p.head}, ${x.a.head}, ${x.r.head});`).join("\n");
          const flat = policies.map((x) => `${x.effect}(principal, action, resource) when { ${x.p.cond} && ${x.a.cond} && ${x.r.cond} };`).join("\n");
          const parents = new Map<string, JsonValue[]>();
          for (const [child, g] of edges) parents.set(child, [...(parents.get(child) ?? []), uid("Group", g)]);
          const ents: JsonValue[] = ["User::a", "User::b", "Photo::p1", "Photo::p2", "Group::g1", "Group::g2", "Group::g3"].map((k) => {
            const [type, id] = k.split("::") as [string, string];
            // Acyclic: a group's parents are only groups with a larger name.
            return { uid: uid(type, id), attrs: {}, parents: (parents.get(k) ?? []).filter((g) => type !== "Group" || (g as { id: string }).id > id) };
          });
          ents.push({ uid: uid("Action", "view"), attrs: {}, parents: [uid("Action", "edit")] }, { uid: uid("Action", "edit"), attrs: {}, parents: [] });
          const request: JsonValue = { principal: uid("User", pr), action: uid("Action", ac), resource: uid("Photo", re), context: {} };
          const a = decideJson(compile(parsePolicies(indexed).ast!).program!, ents, request);
          const b = decideJson(compile(parsePolicies(flat).ast!).program!, ents, request);
          expect(a).toEqual(b);
        },
      ),
      { numRuns: 500 },
    );
  });
});
