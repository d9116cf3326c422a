/**
 * Differential properties (issue 2, item 7c): on policy sets, entities and requests generated
 * by fast-check over the Cedar core, Writ's compiled decision function (cedar semantics)
 * gives the same decision, the same reasons and the same erroring policies as Cedar itself
 * (`@cedar-policy/cedar-wasm` `isAuthorized`, schema-free); and both reject the same inputs.
 *
 * 1. the shared arbitraries (`test/support/arbitraries.ts`), cedar semantics;
 * 2. the same, fail-closed: Cedar's decision, except that Writ denies exactly when a
 *    `forbid` policy errored (both list the same erroring policies);
 * 3. a wider, loosely typed expression generator (extension types, mixed sets, records,
 *    namespaced and missing entities, escapes, overflow);
 * 4. odd JSON values in entity attributes, tags and the context, probed by fixed policies;
 * 5. random entity hierarchies (including action hierarchies and the odd cycle).
 *
 * Left out on purpose (Writ differs, by design): malformed `__entity` / `__extn` escapes,
 * which Cedar silently reads as plain records and Writ rejects with a diagnostic, and JSON
 * numbers beyond 2^53 given as JS numbers (not exact; Writ rejects them).
 *
 * Runs per property: `WRIT_PROP_RUNS` (default 1,000); `WRIT_PROP_SEED` fixes the seed.
 * Disagreements found here are minimized and kept in `differential-regressions.test.ts`.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import { parsePolicies } from "../../lang/index.js";
import { hasErrors } from "../../lang/diagnostics.js";
import { compile, requestFromJson, type Semantics } from "../../compiler/index.js";
import { entitiesFromJson, type JsonValue } from "../../stdlib/index.js";
import { arbEntitiesJson, arbPolicySetText, arbRequestJson, type EntityJson, type RequestJson, type UidJson } from "../support/arbitraries.js";

const RUNS = Number(process.env["WRIT_PROP_RUNS"] ?? "1000");
const TIMEOUT = Math.max(60_000, RUNS * 30);
const SEED = process.env["WRIT_PROP_SEED"] === undefined ? undefined : Number(process.env["WRIT_PROP_SEED"]);

/** The comparable part of an answer: decision, sorted reasons, sorted erroring ids. */
interface Outcome {
  readonly decision: "allow" | "deny";
  readonly reasons: string[];
  readonly errors: string[];
}

/** Either side's answer: an outcome, or a rejection of the inputs (with a message). */
type Answer = { readonly ok: true; readonly outcome: Outcome } | { readonly ok: false; readonly message: string };

/** Cedar's answer for the inputs (policy ids are Cedar's `policy0`, `policy1`, …). */
function cedarAnswer(policies: string, entities: readonly EntityJson[], request: RequestJson): Answer {
  const answer = cedar.isAuthorized({
    principal: request.principal,
    action: request.action,
    resource: request.resource,
    context: request.context as cedar.Context,
    policies: { staticPolicies: policies },
    entities: entities as unknown as cedar.Entities,
  });
  if (answer.type === "failure") return { ok: false, message: answer.errors.map((e) => e.message).join("; ") };
  const r = answer.response;
  return {
    ok: true,
    outcome: {
      decision: r.decision,
      reasons: [...r.diagnostics.reason].sort(),
      errors: [...new Set(r.diagnostics.errors.map((e) => e.policyId))].sort(),
    },
  };
}

/** Writ's answer for the inputs, plus the effect of each policy by name. */
function writAnswer(policies: string, entities: readonly EntityJson[], request: RequestJson, semantics: Semantics): Answer & { effects?: Map<string, string> } {
  const parsed = parsePolicies(policies);
  if (parsed.ast === undefined || hasErrors(parsed.diagnostics)) return { ok: false, message: `parse: ${parsed.diagnostics.map((d) => d.message).join("; ")}` };
  const compiled = compile(parsed.ast, { semantics });
  if (compiled.program === undefined) return { ok: false, message: `compile: ${compiled.diagnostics.map((d) => d.message).join("; ")}` };
  const store = entitiesFromJson(entities as unknown as JsonValue);
  if (store.entities === undefined) return { ok: false, message: `entities: ${store.diagnostics.map((d) => d.message).join("; ")}` };
  const req = requestFromJson(request);
  if (req.request === undefined) return { ok: false, message: `request: ${req.diagnostics.map((d) => d.message).join("; ")}` };
  const d = compiled.program.decide(req.request, store.entities);
  const effects = new Map(parsed.ast.policies.map((p, i) => [`policy${i}`, p.effect] as const));
  return {
    ok: true,
    outcome: { decision: d.decision, reasons: [...d.reasons].sort(), errors: [...new Set(d.errors.map((e) => e.policy))].sort() },
    effects,
  };
}

// ---------------------------------------------------------------------------
// A second, wider generator: corners of the core that the shared arbitraries leave out
// (datetime/duration, invalid extension literals, mixed-type sets and equality, records,
// namespaced and missing entities, string escapes, short-circuiting over ill-typed
// operands, overflow at the i64 edges). Loosely typed on purpose.
// ---------------------------------------------------------------------------

type G = fc.Arbitrary<string>;
const pick = (...xs: string[]): G => fc.constantFrom(...xs);

function wide(depth: number): { b: G; l: G; s: G; e: G; set: G; rec: G; x: G; any: G } {
  const bAtom = pick("true", "false", "context.flag", "principal.active", "resource.public", "context.nested.ok", "context has dt", 'context has "a key"', "principal has profile.level");
  const lAtom = pick("0", "1", "-1", "7", "9223372036854775807", "-9223372036854775808", "principal.age", "context.n", "context.big", "context.nested.n", "resource.size");
  const sAtom = pick('""', '"a"', '"A"', '"\\u{e9}"', '"\\0"', '"\\x41"', '"\\r\\n"', "\"'\"", '"*"', '"\\\\"', "principal.name", "context.s", "principal.profile.dept", '"\\u{1F600}"');
  const eAtom = pick("principal", "resource", "action", 'User::"alice"', 'User::"nobody"', 'Group::"admins"', 'Doc::"d1"', 'Folder::"f1"', 'Action::"view"', 'Action::"readActions"', 'NS::User::"alice"', 'A::B::"x"', 'Group::"ghost"', "resource.owner", "principal.manager", 'User::"\\u{61}lice"');
  const setAtom = pick("[]", "[1, 2, 2]", "[2, 1]", '["a", 1]', '[User::"alice", Group::"admins"]', '[Action::"view", Action::"edit"]', "principal.tags", "resource.readers", "context.mixed", "[[1], [2]]", "[{a: 1}]", '[ip("10.0.0.1"), decimal("1.0")]');
  const recAtom = pick("{}", "{a: 1}", '{"a": 1, b: "x"}', "{b: \"x\", a: 1}", "context", "context.nested", "principal.profile", '{level: 1, dept: "a"}', "{a: {b: true}}", "{a: 1, a: 2}", '{"a": [2, 1], b: {c: []}}', '{a: [1, 2], b: {c: []}}');
  const xAtom = pick(
    'datetime("2024-10-15")', 'datetime("2024-10-15T11:35:00Z")', 'datetime("2024-10-15T11:35:00.123+0100")', 'datetime("1970-01-01T00:00:00-2359")',
    'datetime("2024-02-30")', 'datetime("2024-1-01")', 'datetime("2024-10-15T24:00:00Z")', "context.dt",
    'duration("1d2h3m4s5ms")', 'duration("-90m")', 'duration("0ms")', 'duration("1h1d")', 'duration("")', 'duration("9223372036854775807ms")', "context.dur",
    'decimal("1.5")', 'decimal("-0.0001")', 'decimal("922337203685477.5807")', 'decimal("1.23456")', 'decimal("1")',
    'ip("10.0.0.1")', 'ip("10.0.0.0/8")', 'ip("::ffff:10.0.0.1")', 'ip("::1/128")', 'ip("1.2.3.4/33")', 'ip("01.2.3.4")', "context.ip", 'ip("10.0.0.1/8")', 'ip("10.0.0.1/32")', 'ip("0.0.0.0/0")', 'ip("::/0")', 'ip("1:2::3")', 'ip("1:2:0::3")',
    'datetime("2023-02-29")', 'datetime("0000-01-01")', 'datetime("9999-12-31T23:59:59.999-2359")', 'duration("-1d-2h")', 'duration("106751991167d")', 'decimal("-922337203685477.5808")',
  );
  if (depth <= 0) {
    const any = fc.oneof(bAtom, lAtom, sAtom, eAtom, setAtom, recAtom, xAtom);
    return { b: bAtom, l: lAtom, s: sAtom, e: eAtom, set: setAtom, rec: recAtom, x: xAtom, any };
  }
  const sub = wide(depth - 1);
  const b: G = fc.oneof(
    { weight: 3, arbitrary: bAtom },
    fc.tuple(sub.any, sub.b, pick("&&", "||")).map(([x, y, op]) => `(${x} ${op} ${y})`),
    fc.tuple(sub.b, sub.any, pick("&&", "||")).map(([x, y, op]) => `(${x} ${op} ${y})`),
    sub.any.map((x) => `!(${x})`),
    fc.tuple(sub.any, sub.b, sub.b).map(([c, x, y]) => `(if ${c} then ${x} else ${y})`),
    fc.tuple(sub.any, sub.any, pick("==", "!=")).map(([x, y, op]) => `(${x} ${op} ${y})`),
    fc.tuple(sub.l, sub.l, pick("<", "<=", ">", ">=")).map(([x, y, op]) => `(${x} ${op} ${y})`),
    fc.tuple(sub.any, sub.any, pick("<", ">=")).map(([x, y, op]) => `(${x} ${op} ${y})`),
    fc.tuple(sub.x, sub.x, pick("<", "<=", ">", ">=", "==")).map(([x, y, op]) => `(${x} ${op} ${y})`),
    fc.tuple(sub.x, sub.x, pick("lessThan", "lessThanOrEqual", "greaterThan", "greaterThanOrEqual", "isInRange")).map(([x, y, m]) => `${x}.${m}(${y})`),
    fc.tuple(sub.x, pick("isIpv4", "isIpv6", "isLoopback", "isMulticast")).map(([x, m]) => `${x}.${m}()`),
    fc.tuple(sub.s, pick('"a*"', '"*"', '"\\*"', '""', '"*a*"', '"\\u{e9}"', '"A"', '"**"', '"\\u{2a}"', '"\\u{2A}a"', '"\\x2a"', '"*\\\\*"', '"\\r*"')).map(([x, p]) => `(${x} like ${p})`),
    fc.tuple(sub.e, fc.oneof(sub.e, sub.set)).map(([x, y]) => `(${x} in ${y})`),
    fc.tuple(sub.any, pick("User", "Doc", "Group", "Action", "NS::User", "A::B")).map(([x, t]) => `(${x} is ${t})`),
    fc.tuple(sub.e, pick("User", "Doc"), sub.e).map(([x, t, g]) => `(${x} is ${t} in ${g})`),
    fc.tuple(sub.set, sub.any).map(([s, x]) => `${s}.contains(${x})`),
    fc.tuple(sub.any, sub.set, pick("containsAll", "containsAny")).map(([s, t, m]) => `${s}.${m}(${t})`),
    sub.any.map((s) => `${s}.isEmpty()`),
    fc.tuple(sub.any, pick('"k"', '"z"', '""', "1")).map(([e, k]) => `${e}.hasTag(${k})`),
    fc.tuple(sub.e, pick('"k"', '"z"')).map(([e, k]) => `(${e}.hasTag(${k}) && ${e}.getTag(${k}) like "*")`),
    fc.tuple(sub.any, pick("name", "age", "a", "b", '"a key"', "level", "dt", "nested", "profile", "owner")).map(([e, a]) => `(${e} has ${a})`),
    fc.tuple(sub.rec, pick("a", "b", "level", "ok")).map(([r, a]) => `(${r} has ${a})`),
    fc.tuple(sub.rec, sub.rec).map(([x, y]) => `(${x} == ${y})`),
  );
  const l: G = fc.oneof(
    { weight: 3, arbitrary: lAtom },
    fc.tuple(sub.l, sub.l, pick("+", "-", "*")).map(([x, y, op]) => `(${x} ${op} ${y})`),
    fc.tuple(sub.any, sub.any, pick("+", "*")).map(([x, y, op]) => `(${x} ${op} ${y})`),
    sub.l.map((x) => `(-${x})`),
    fc.tuple(sub.any, sub.l, sub.l).map(([c, x, y]) => `(if ${c} then ${x} else ${y})`),
    fc.tuple(sub.x, pick("toMilliseconds", "toSeconds", "toMinutes", "toHours", "toDays")).map(([x, m]) => `${x}.${m}()`),
    fc.tuple(sub.rec, pick("a", "level", "n")).map(([r, a]) => `${r}.${a}`),
  );
  const s: G = fc.oneof({ weight: 3, arbitrary: sAtom }, fc.tuple(sub.rec, pick('["b"]', '["a key"]', '["ok"]')).map(([r, k]) => `${r}${k}`), fc.tuple(sub.e, pick('"k"', '"z"')).map(([e, k]) => `${e}.getTag(${k})`), fc.tuple(sub.e, pick("name", '["nick"]')).map(([e, a]) => (a.startsWith("[") ? `${e}${a}` : `${e}.${a}`)));
  const e: G = fc.oneof({ weight: 3, arbitrary: eAtom }, fc.tuple(sub.b, sub.e, sub.e).map(([c, x, y]) => `(if ${c} then ${x} else ${y})`), sub.e.map((x) => `${x}.owner`));
  const set: G = fc.oneof({ weight: 3, arbitrary: setAtom }, fc.array(sub.any, { minLength: 1, maxLength: 3 }).map((xs) => `[${xs.join(", ")}]`));
  const rec: G = fc.oneof({ weight: 3, arbitrary: recAtom }, fc.tuple(sub.any, sub.any).map(([x, y]) => `{a: ${x}, "b": ${y}}`));
  const x: G = fc.oneof(
    { weight: 3, arbitrary: xAtom },
    fc.tuple(pick("decimal", "ip", "datetime", "duration"), sub.s).map(([f, a]) => `${f}(${a})`),
    fc.tuple(sub.x, sub.x).map(([d, u]) => `${d}.offset(${u})`),
    fc.tuple(sub.x, sub.x).map(([d, u]) => `${d}.durationSince(${u})`),
    fc.tuple(sub.x, pick("toDate", "toTime")).map(([d, m]) => `${d}.${m}()`),
  );
  const any = fc.oneof(b, l, s, e, set, rec, x);
  return { b, l, s, e, set, rec, x, any };
}

const W = wide(2);
const wideScope = fc.tuple(
  pick("principal", "principal", "principal", "principal", 'principal == User::"alice"', 'principal in Group::"admins"', "principal is User", 'principal is User in Group::"staff"', 'principal in NS::G::"x"'),
  pick("action", "action", "action", "action", "action", 'action == Action::"view"', 'action in Action::"readActions"', 'action in [Action::"edit", Action::"readActions"]', "action in []"),
  pick("resource", "resource", "resource", "resource", "resource", 'resource == Doc::"d1"', 'resource in Folder::"f2"', "resource is Doc", 'resource is Doc in Folder::"f1"'),
);
const widePolicy: G = fc
  .tuple(pick("permit", "permit", "forbid"), wideScope, fc.array(fc.tuple(pick("when", "unless"), W.b), { maxLength: 2 }))
  .map(([eff, [p, a, r], cs]) => `${eff}(${p}, ${a}, ${r})${cs.map(([k, c]) => ` ${k} { ${c} }`).join("")};`);
const wideRequest = fc
  .tuple(
    arbRequestJson(),
    fc.record(
      {
        dt: fc.constantFrom("2024-10-15", "2024-10-15T23:59:59.999Z", "1969-12-31T23:00:00-0100").map((a) => ({ __extn: { fn: "datetime", arg: a } })),
        dur: fc.constantFrom("1h", "-2d", "0ms", "36h").map((a) => ({ __extn: { fn: "duration", arg: a } })),
        big: fc.constantFrom(9007199254740991, -9007199254740991, 4611686018427387),
        nested: fc.record({ ok: fc.boolean(), n: fc.integer({ min: -3, max: 3 }) }, { requiredKeys: [] }),
        mixed: fc.constantFrom([1, "a"], [], [{ __entity: { type: "User", id: "alice" } }], [[1], [1]], [{ a: 1 }, { a: 1 }]),
        "a key": fc.string({ maxLength: 2 }),
      },
      { requiredKeys: [] },
    ),
  )
  .map(([r, more]): RequestJson => ({ ...r, context: { ...r.context, ...more } }));

const u = (type: string, id: string): { type: string; id: string } => ({ type, id });
/** Extra entities: namespaced types, tags of every kind, extension values, dangling parents. */
const EXTRA_ENTITIES: readonly EntityJson[] = [
  { uid: u("NS::User", "alice"), attrs: { name: "ns", age: 3, owner: { __entity: u("Doc", "d1") } }, parents: [u("Group", "admins")] },
  {
    uid: u("A::B", "x"),
    attrs: { dt: { __extn: { fn: "datetime", arg: "2024-01-01" } }, a: 1, nested: { ok: true }, tags: ["a", "a"] },
    parents: [u("Folder", "f1"), u("Group", "ghost")],
    tags: { k: 1, z: { __entity: u("User", "bob") } },
  },
  { uid: u("User", "nobody2"), attrs: { name: { __extn: { fn: "ip", arg: "10.0.0.1" } }, profile: { level: "high" } }, parents: [u("User", "alice")], tags: { k: [1, 2], z: { a: 1 } } },
];
/** Drop a few entities (missing principals, owners, parents) and add the extra ones. */
const wideEntities = fc
  .tuple(arbEntitiesJson(), fc.array(fc.boolean(), { minLength: 15, maxLength: 15 }), fc.subarray([...EXTRA_ENTITIES]))
  .map(([es, keep, extra]) => [...es.filter((e, i) => e.uid.type === "Action" || keep[i] !== false || i % 3 !== 0), ...extra]);
const wideUid = fc.constantFrom(u("NS::User", "alice"), u("A::B", "x"), u("User", "nobody"), u("User", "nobody2"), u("Group", "ghost"));

const wideInputs = fc
  .record({
    policies: fc.array(widePolicy, { minLength: 1, maxLength: 3 }).map((ps) => ps.join("\n")),
    entities: wideEntities,
    request: wideRequest,
    principal: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: wideUid }),
    resource: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: wideUid }),
  })
  .map(({ policies, entities, request, principal, resource }) => ({
    policies,
    entities,
    request: { ...request, principal: principal ?? request.principal, resource: resource ?? request.resource },
  }));

// ---------------------------------------------------------------------------
// Values in entities and context JSON: odd but meaningful JSON forms, read by both sides and
// probed by a fixed set of policies (equality with every kind of value, `has`, methods).
// ---------------------------------------------------------------------------

const jsonLeaf: fc.Arbitrary<unknown> = fc.constantFrom<unknown>(
  0, 1, -1, 9007199254740991, 1.5, -0, 1e3, "", "a", "1.0", "10.0.0.1", true, false, null,
  { __entity: { type: "User", id: "alice" } },
  { __entity: { type: "NS::User", id: "alice" } },
  { __entity: { type: "Bad Type", id: "x" } },
  { type: "User", id: "alice" },
  { __extn: { fn: "decimal", arg: "1.0" } },
  { __extn: { fn: "decimal", arg: "1.00001" } },
  { __extn: { fn: "ip", arg: "10.0.0.1" } },
  { __extn: { fn: "ip", arg: "bad" } },
  { __extn: { fn: "datetime", arg: "2024-10-15" } },
  { __extn: { fn: "duration", arg: "1h" } },
  { __extn: { fn: "offset", args: [{ __extn: { fn: "datetime", arg: "2024-10-15" } }, { __extn: { fn: "duration", arg: "1h" } }] } },
  { __extn: { fn: "nope", arg: "x" } },
  { __extn: { fn: "decimal", arg: 1 } },
  { fn: "decimal", arg: "1.0" },
  { __entity: { type: "User", id: "alice" }, extra: 1 },
  { __extn: { fn: "ip", arg: "10.0.0.1" }, extra: 1 },
  { "": 1 },
);
const jsonValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: "small", withCrossShrink: true }, { weight: 4, arbitrary: jsonLeaf }, fc.array(tie("v"), { maxLength: 3 }), fc.dictionary(fc.constantFrom("a", "b", "type", "id"), tie("v"), { maxKeys: 2 })),
})).v;
const PROBES = [
  "principal.v == principal.v",
  'principal.v == User::"alice"',
  'principal.v == {type: "User", id: "alice"}',
  'principal.v == decimal("1.0")',
  'principal.v == ip("10.0.0.1")',
  'principal.v == datetime("2024-10-15T01:00:00Z")',
  'principal.v == duration("60m")',
  "principal.v == 1",
  'principal.v == "a"',
  "principal.v == [1]",
  "principal.v.isEmpty()",
  "principal.v.contains(1)",
  'principal.v has a && principal.v.a == principal.v.a',
  "principal.v has type",
  'principal.v like "*"',
  "principal.v.isIpv4()",
  'principal.v.lessThan(decimal("2.0"))',
  "context.v == principal.v",
  "context has v",
  'principal.getTag("t") == principal.v',
  'principal in principal.v',
  "principal.v.toMilliseconds() > 0",
];
const jsonInputs = fc
  .tuple(jsonValue, jsonValue, fc.boolean(), fc.boolean(), fc.subarray(PROBES, { minLength: 1, maxLength: 6 }))
  .map(([v, c, withTag, withCtx, probes]) => ({
    policies: probes.map((p) => `permit(principal, action, resource) when { ${p} };`).join("\n"),
    entities: [
      { uid: { type: "User", id: "alice" }, attrs: { v }, parents: [], ...(withTag ? { tags: { t: c } } : {}) },
      { uid: { type: "Group", id: "admins" }, attrs: {}, parents: [] },
    ] as EntityJson[],
    request: { principal: { type: "User", id: "alice" }, action: { type: "Action", id: "view" }, resource: { type: "Doc", id: "d1" }, context: withCtx ? { v: c } : {} } as RequestJson,
  }));

// ---------------------------------------------------------------------------
// Hierarchies: a random DAG (rarely a cycle) over eight entities of two types, probed by
// scopes and `in` over entities and sets of entities.
// ---------------------------------------------------------------------------

const H_NODES = ['G::"e0"', 'G::"e1"', 'NS::G::"e2"', 'G::"e3"', 'NS::G::"e4"', 'G::"e5"', 'G::"e6"', 'NS::G::"e7"', 'Action::"a8"', 'Action::"a9"', 'Action::"a10"', 'Action::"a11"'];
const hUid = (i: number): UidJson => (i >= 8 ? { type: "Action", id: `a${i}` } : i % 3 === 2 ? { type: "NS::G", id: `e${i}` } : { type: "G", id: `e${i}` });
const hNode = fc.integer({ min: 0, max: 7 });
const hAction = fc.integer({ min: 8, max: 11 });
const hRef = fc.oneof({ weight: 4, arbitrary: hNode.map((i) => H_NODES[i]!) }, fc.constant('G::"ghost"'));
const hActionRef = fc.oneof({ weight: 6, arbitrary: hAction.map((i) => H_NODES[i]!) }, hRef, fc.constant('Action::"ghost"'));
const hTest: G = fc.oneof(
  fc.tuple(fc.oneof(hRef, pick("principal", "resource", "action")), fc.oneof(hRef, hActionRef)).map(([a, b]) => `${a} in ${b}`),
  fc.tuple(fc.oneof(hRef, pick("principal", "resource", "action")), fc.array(fc.oneof(hRef, hActionRef), { maxLength: 3 })).map(([a, bs]) => `${a} in [${bs.join(", ")}]`),
  fc.tuple(pick("principal", "resource"), pick("G", "NS::G"), hRef).map(([a, t, b]) => `${a} is ${t} in ${b}`),
);
const hPolicy: G = fc
  .tuple(
    pick("permit", "forbid", "permit"),
    fc.oneof({ weight: 2, arbitrary: fc.constant("principal") }, hRef.map((r) => `principal in ${r}`), hRef.map((r) => `principal == ${r}`), hRef.map((r) => `principal is G in ${r}`)),
    fc.oneof(
      { weight: 6, arbitrary: fc.constant("action") },
      hActionRef.map((r) => `action in ${r}`),
      hActionRef.map((r) => `action == ${r}`),
      fc.uniqueArray(hActionRef, { maxLength: 3 }).map((rs) => `action in [${rs.join(", ")}]`),
    ),
    fc.oneof(fc.constant("resource"), hRef.map((r) => `resource in ${r}`), hRef.map((r) => `resource == ${r}`), hRef.map((r) => `resource is NS::G in ${r}`)),
    fc.array(fc.tuple(pick("when", "unless"), hTest), { maxLength: 2 }),
  )
  .map(([eff, p, a, r, cs]) => `${eff}(${p}, ${a}, ${r})${cs.map(([k, c]) => ` ${k} { ${c} }`).join("")};`);
const hInputs = fc
  .tuple(
    fc.array(fc.tuple(fc.integer({ min: 0, max: 11 }), fc.integer({ min: 0, max: 11 })), { maxLength: 14 }),
    fc.integer({ min: 0, max: 19 }),
    fc.array(hPolicy, { minLength: 1, maxLength: 4 }),
    hNode,
    hAction,
    hNode,
    fc.boolean(),
  )
  .map(([edges, cyc, ps, p, a, r, dropAction]) => {
    const parents = new Map<number, Set<number>>();
    for (const [a, b] of edges) {
      // Edges go from a lower to a higher index (a DAG); 1 time in 20 one edge goes back (a cycle).
      const [lo, hi] = a < b ? [a, b] : [b, a];
      if (lo === hi) continue;
      const [child, parent] = cyc === 0 && parents.size === 0 ? [hi, lo] : [lo, hi];
      // An action's parents must be actions (else Cedar rejects the entities): keep such an edge 1 time in 20.
      if (child >= 8 && parent < 8 && cyc !== 1) continue;
      if (!parents.has(child)) parents.set(child, new Set());
      parents.get(child)!.add(parent);
    }
    // The request's action is sometimes missing from the store.
    const entities: EntityJson[] = H_NODES.map((_, i) => ({ uid: hUid(i), attrs: {}, parents: [...(parents.get(i) ?? [])].sort((x, y) => x - y).map(hUid) })).filter(
      (_, i) => !(dropAction && i === a),
    );
    const request: RequestJson = { principal: hUid(p), action: hUid(a), resource: hUid(r), context: {} };
    return { policies: ps.join("\n"), entities, request };
  });

const inputs = fc.record({
  policies: arbPolicySetText({ maxPolicies: 4, depth: 3 }),
  entities: arbEntitiesJson(),
  request: arbRequestJson(),
});

const params = (): fc.Parameters<[{ policies: string; entities: EntityJson[]; request: RequestJson }]> => ({
  numRuns: RUNS,
  ...(SEED === undefined ? {} : { seed: SEED }),
});

describe("differential against cedar-wasm isAuthorized", () => {
  it(`cedar semantics: same decision, reasons and erroring policies (${RUNS} runs)`, () => {
    let allows = 0;
    let withErrors = 0;
    let withReasons = 0;
    fc.assert(
      fc.property(inputs, ({ policies, entities, request }) => {
        const c = cedarAnswer(policies, entities, request);
        const w = writAnswer(policies, entities, request, "cedar");
        // Both must accept the same inputs (the generator emits only valid Cedar text and JSON).
        expect({ ok: w.ok, ...(w.ok ? w.outcome : {}) }).toEqual({ ok: c.ok, ...(c.ok ? c.outcome : {}) });
        if (c.ok) {
          if (c.outcome.decision === "allow") allows++;
          if (c.outcome.errors.length > 0) withErrors++;
          if (c.outcome.reasons.length > 0) withReasons++;
        }
      }),
      params(),
    );
    // The generator must exercise allows, denies by forbid/default, and errors.
    expect(allows).toBeGreaterThan(RUNS / 20);
    expect(allows).toBeLessThan(RUNS - RUNS / 20);
    expect(withErrors).toBeGreaterThan(RUNS / 20);
    expect(withReasons).toBeGreaterThan(RUNS / 10);
  }, TIMEOUT);

  it(`fail-closed semantics: Cedar's decision, except deny exactly when a forbid errored (${RUNS} runs)`, () => {
    let forbidErrored = 0;
    let flipped = 0;
    fc.assert(
      fc.property(inputs, ({ policies, entities, request }) => {
        const c = cedarAnswer(policies, entities, request);
        const w = writAnswer(policies, entities, request, "fail-closed");
        expect(w.ok).toBe(c.ok);
        if (!c.ok || !w.ok) return;
        // Both modes list every erroring policy.
        expect(w.outcome.errors).toEqual(c.outcome.errors);
        const anyForbidErrored = c.outcome.errors.some((id) => w.effects?.get(id) === "forbid");
        if (anyForbidErrored) {
          forbidErrored++;
          if (c.outcome.decision === "allow") flipped++;
          expect(w.outcome.decision).toBe("deny");
        } else {
          expect(w.outcome.decision).toBe(c.outcome.decision);
          expect(w.outcome.reasons).toEqual(c.outcome.reasons);
        }
      }),
      params(),
    );
    expect(forbidErrored).toBeGreaterThan(RUNS / 50);
    // Cases where fail-closed actually changes Cedar's answer must occur too.
    expect(flipped).toBeGreaterThan(0);
  }, TIMEOUT);
  it(`cedar semantics on the wider generator (${RUNS} runs)`, () => {
    let allows = 0;
    let withErrors = 0;
    fc.assert(
      fc.property(wideInputs, ({ policies, entities, request }) => {
        const c = cedarAnswer(policies, entities, request);
        const w = writAnswer(policies, entities, request, "cedar");
        expect({ ok: w.ok, ...(w.ok ? w.outcome : {}) }).toEqual({ ok: c.ok, ...(c.ok ? c.outcome : {}) });
        if (c.ok && c.outcome.decision === "allow") allows++;
        if (c.ok && c.outcome.errors.length > 0) withErrors++;
      }),
      params(),
    );
    expect(allows).toBeGreaterThan(RUNS / 20);
    expect(withErrors).toBeGreaterThan(RUNS / 20);
  }, TIMEOUT);
  it(`cedar semantics on JSON values in entities and context (${RUNS} runs)`, () => {
    let accepted = 0;
    fc.assert(
      fc.property(jsonInputs, ({ policies, entities, request }) => {
        const c = cedarAnswer(policies, entities, request);
        const w = writAnswer(policies, entities, request, "cedar");
        expect({ ok: w.ok, ...(w.ok ? w.outcome : {}) }).toEqual({ ok: c.ok, ...(c.ok ? c.outcome : {}) });
        if (c.ok) accepted++;
      }),
      params(),
    );
    // Both acceptance and rejection of the JSON must be exercised.
    expect(accepted).toBeGreaterThan(RUNS / 10);
    expect(accepted).toBeLessThan(RUNS - RUNS / 10);
  }, TIMEOUT);
  it(`cedar semantics on entity hierarchies (${RUNS} runs)`, () => {
    let allows = 0;
    fc.assert(
      fc.property(hInputs, ({ policies, entities, request }) => {
        const c = cedarAnswer(policies, entities, request);
        const w = writAnswer(policies, entities, request, "cedar");
        expect({ ok: w.ok, ...(w.ok ? w.outcome : {}) }).toEqual({ ok: c.ok, ...(c.ok ? c.outcome : {}) });
        if (c.ok && c.outcome.decision === "allow") allows++;
      }),
      params(),
    );
    expect(allows).toBeGreaterThan(RUNS / 20);
  }, TIMEOUT);
});
