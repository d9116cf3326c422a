/**
 * Table-driven type-checker tests: policy + small schema → the diagnostic codes
 * the validator reports (errors and warnings). Every row's verdict (errors or
 * not) is also compared with Cedar's own strict validator (cedar-wasm).
 */
import { describe, expect, it } from "vitest";
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import { parsePolicies, parseSchema } from "../../lang/index.js";
import { formatDiagnostic, hasErrors } from "../../lang/diagnostics.js";
import { showType } from "../../compiler/types.js";
import { loadSchema, type Schema } from "../../compiler/schema.js";
import { validatePolicies } from "../../compiler/validate.js";

const PHOTOS = `
entity Group;
entity User in [Group] = { name: String, age?: Long, mgr?: User, tags2: Set<String>, rec: { x: Long, y?: String } };
entity Photo in [Album] = { owner: User, priv: Bool } tags String;
entity Album;
entity Color enum ["red", "blue"];
action view appliesTo { principal: [User], resource: [Photo], context: { ip: ipaddr, n?: Long } };
action edit in [view] appliesTo { principal: [User, Group], resource: [Photo, Album] };
action noapp;
`;

const APP = `
type Addr = { street: String, zip?: Long };
namespace App {
  type Meta = { created: datetime, labels: Set<String>, addr: Addr };
  entity Org;
  entity Team in [Org] = { name: String };
  entity User in [Team] = { meta: Meta, email: String, boss?: User, perms: Set<App::Perm>, nums: Set<Long> } tags Set<String>;
  entity Perm enum ["read", "write"];
  entity Doc in [Team, Org] = { owner: User, public: Bool, level: Long, dec: decimal };
  action read, write appliesTo { principal: User, resource: Doc, context: { now: datetime, token?: String, rec: { a: Long } } };
  action admin in [read, write];
  action manage in [admin] appliesTo { principal: [User, Team], resource: [Doc, Team] };
}
`;

const MULTI = `
namespace A { entity U; action x appliesTo { principal: U, resource: U }; }
namespace B { entity V; action y appliesTo { principal: A::U, resource: V }; }
`;

const when = (body: string): string => `permit(principal, action, resource) when { ${body} };`;
const view = (body: string): string => `permit(principal, action == Action::"view", resource) when { ${body} };`;
const read = (body: string): string => `permit(principal, action == App::Action::"read", resource) when { ${body} };`;

const schemas = new Map<string, Schema>();
function schemaOf(src: string): Schema {
  let s = schemas.get(src);
  if (s === undefined) {
    const parsed = parseSchema(src);
    expect(parsed.diagnostics).toEqual([]);
    const loaded = loadSchema(parsed.ast!);
    expect(loaded.diagnostics).toEqual([]);
    s = loaded.schema!;
    schemas.set(src, s);
  }
  return s;
}

function codesOf(schemaSrc: string, policy: string): string[] {
  const parsed = parsePolicies(policy);
  expect(parsed.diagnostics).toEqual([]);
  const { diagnostics } = validatePolicies(parsed.ast!, schemaOf(schemaSrc));
  return [...new Set(diagnostics.map((d) => d.code))].sort();
}

const ROWS: readonly (readonly [string, string, readonly string[]])[] = [
    [PHOTOS, "permit(principal is Photo, action == Action::\"view\", resource);", ["W3005"]],
    [PHOTOS, "permit(principal in Album::\"a\", action == Action::\"view\", resource);", ["W3005"]],
    [PHOTOS, "permit(principal in Album::\"a\", action, resource);", ["W3005"]],
    [PHOTOS, "permit(principal, action == Action::\"noapp\", resource);", ["W3005"]],
    [PHOTOS, when("principal == resource"), ["W3016"]],
    [PHOTOS, when("1 == \"a\""), ["W3016"]],
    [PHOTOS, when("[] == [1]"), ["W3013"]],
    [PHOTOS, when("[1].contains(\"a\")"), ["W3010"]],
    [PHOTOS, when("{a:1} == {b:1}"), ["W3010"]],
    [PHOTOS, when("{a:1} == {a:true}"), ["W3010"]],
    [PHOTOS, when("ip(context.ip)"), ["W3003", "W3014"]],
    [PHOTOS, view("ip(\"1.2.3.4\") == context.ip"), []],
    [PHOTOS, view("ip(\"1.2.3\") == context.ip"), ["W3009"]],
    [PHOTOS, view("context.n > 1"), ["W3006"]],
    [PHOTOS, view("context has n && context.n > 1"), []],
    [PHOTOS, when("principal.age > 1"), ["W3003", "W3006"]],
    [PHOTOS, when("principal.agee > 1"), ["W3003"]],
    [PHOTOS, when("resource.getTag(\"a\") == \"x\""), ["W3012"]],
    [PHOTOS, when("resource.hasTag(\"a\") && resource.getTag(\"a\") == \"x\""), []],
    [PHOTOS, when("principal.hasTag(\"a\")"), ["W3016"]],
    [PHOTOS, when("datetime(\"2020-01-01\") < datetime(\"2021-01-01\")"), []],
    [PHOTOS, when("decimal(\"1.0\") < decimal(\"2.0\")"), ["W3004"]],
    [PHOTOS, when("duration(\"1h\") < duration(\"2h\")"), []],
    [PHOTOS, when("Color::\"green\" == Color::\"red\""), ["W3015", "W3016"]],
    [PHOTOS, when("Colr::\"green\" == Color::\"red\""), ["W3001"]],
    [PHOTOS, "permit(principal, action == Action::\"vew\", resource);", ["W3002", "W3005"]],
    [PHOTOS, when("false"), ["W3016"]],
    [PHOTOS, when("principal in [Group::\"a\", Album::\"b\"]"), ["W3010"]],
    [PHOTOS, when("if true then 1 else \"a\""), ["W3004"]],
    [PHOTOS, when("if false then 1 else \"a\" == \"a\""), []],
    [PHOTOS, when("(if principal has age then principal.age else 0) > 1"), []],
    [PHOTOS, when("principal.rec.y == \"a\""), ["W3003", "W3006"]],
    [PHOTOS, when("principal.rec == {x: 1}"), ["W3003", "W3010"]],
    [PHOTOS, when("principal.rec == {x: 1, y: \"a\"}"), ["W3003", "W3010"]],
    [PHOTOS, when("1 == principal"), ["W3010"]],
    [PHOTOS, when("\"a\" == context"), ["W3010"]],
    [PHOTOS, when("[1] == [\"a\"]"), ["W3010"]],
    [PHOTOS, when("[1] == 1"), ["W3010"]],
    [PHOTOS, when("{a:1} == 1"), ["W3010"]],
    [PHOTOS, when("ip(\"1.1.1.1\") == decimal(\"1.0\")"), ["W3010"]],
    [PHOTOS, when("true == 1"), ["W3016"]],
    [PHOTOS, when("principal == Action::\"view\""), ["W3016"]],
    [PHOTOS, when("principal.getTag(\"a\") == \"x\""), ["W3012"]],
    [PHOTOS, when("[principal, resource].contains(principal)"), ["W3010"]],
    [PHOTOS, when("[1, true].contains(1)"), ["W3010"]],
    [PHOTOS, when("1 != \"a\""), []],
    [PHOTOS, when("principal.tags2.contains(1)"), ["W3003", "W3010"]],
    [PHOTOS, when("principal.tags2.containsAll([1])"), ["W3003", "W3010"]],
    [PHOTOS, when("principal.tags2.containsAny([\"a\"]) && principal.tags2.isEmpty()"), ["W3003"]],
    [PHOTOS, when("principal has mgr && principal.mgr has age && principal.mgr.age > 1"), []],
    [PHOTOS, when("principal has mgr.age && principal.mgr.age > 1"), []],
    [PHOTOS, when("(principal has age || principal has name) && principal.age > 1"), ["W3006"]],
    [PHOTOS, "permit(principal, action, resource) when { principal has age } when { principal.age > 1 };", []],
    [PHOTOS, "permit(principal, action, resource) when { principal has age } unless { principal.age > 1 };", []],
    [PHOTOS, "permit(principal, action, resource) unless { principal has age } when { principal.age > 1 };", ["W3003", "W3006"]],
    [PHOTOS, when("!(principal has age) || principal.age > 1"), ["W3006"]],
    [PHOTOS, when("\"a\" like \"a*\" && 1 + 2 * 3 - -4 > 0"), []],
    [PHOTOS, when("\"a\" + 1"), ["W3004"]],
    [PHOTOS, when("principal is User && principal.name == \"a\""), []],
    [PHOTOS, when("principal is Usr"), ["W3001", "W3016"]],
    [PHOTOS, "permit(principal is Usr, action, resource);", ["W3001", "W3005"]],
    [PHOTOS, "permit(principal, action in [Action::\"view\", Action::\"nope\"], resource);", ["W3002"]],
    [PHOTOS, when("action in Action::\"view\""), []],
    [PHOTOS, when("principal in resource"), ["W3016"]],
    [PHOTOS, when("resource in principal"), ["W3016"]],
    [PHOTOS, when("action.foo"), ["W3003"]],
    [PHOTOS, when("context.ip.isIpv4() && context.ip.isInRange(ip(\"1.0.0.0/8\"))"), ["W3003"]],
    [PHOTOS, view("context.ip.isIpv4() && context.ip.isInRange(ip(\"1.0.0.0/8\"))"), []],
    [PHOTOS, view("context.ip.isIpv4(1)"), ["W3008"]],
    [PHOTOS, view("context.ip.foo()"), ["W3007"]],
    [PHOTOS, view("foo(\"a\")"), ["W3007"]],
    [PHOTOS, view("principal.name.contains(\"a\")"), ["W3004"]],
    [PHOTOS, "permit(principal, action == Action::\"view\", resource) when { datetime(\"2020-01-01\").offset(duration(\"1d\")).toDate() == datetime(\"2020-01-02\") && duration(\"1h\").toMilliseconds() > 0};", []],
    [PHOTOS, view("datetime(\"2020-01-01\").durationSince(datetime(\"2019-01-01\")).toDays() > 0 && datetime(\"2020-01-01\").toTime().toHours() == 0"), []],
    [PHOTOS, when("Color::\"red\" in Color::\"blue\""), []],
    [PHOTOS, when("principal is Color"), ["W3016"]],
    [PHOTOS, when("resource is Photo in Album::\"a\""), []],
    [PHOTOS, "permit(principal, action, resource is Photo in Group::\"a\");", ["W3005"]],
    [APP, read("principal.meta.created < context.now"), []],
    [APP, read("principal.meta.addr.zip > 1"), ["W3006"]],
    [APP, read("principal.meta.addr has zip && principal.meta.addr.zip > 1"), []],
    [APP, read("principal has meta.addr.zip && principal.meta.addr.zip > 1"), []],
    [APP, "permit(principal, action in App::Action::\"admin\", resource);", []],
    [APP, "permit(principal, action in App::Action::\"read\", resource);", []],
    [APP, "permit(principal, action in App::Action::\"manage\", resource);", []],
    [APP, "permit(principal, action == Action::\"read\", resource);", ["W3001", "W3005"]],
    [APP, when("action in App::Action::\"admin\" && principal in App::Org::\"o\""), []],
    [APP, "permit(principal in App::Org::\"o\", action == App::Action::\"read\", resource in App::Org::\"x\");", []],
    [APP, "permit(principal in App::Doc::\"o\", action == App::Action::\"read\", resource);", ["W3005"]],
    [APP, "permit(principal is App::User in App::Team::\"t\", action, resource is App::Doc);", []],
    [APP, when("principal.perms.contains(App::Perm::\"read\")"), ["W3003"]],
    [APP, when("principal is App::User && principal.perms.contains(App::Perm::\"delete\")"), ["W3015"]],
    [APP, "permit(principal is App::User, action, resource) when { principal.hasTag(\"x\") && principal.getTag(\"x\").contains(\"y\") };", []],
    [APP, "permit(principal is App::User, action, resource) when { principal.hasTag(\"x\") && principal.getTag(\"y\").contains(\"y\") };", ["W3012"]],
    [APP, "permit(principal is App::User, action, resource) when { principal.hasTag(context.token) };", ["W3003", "W3006"]],
    [APP, "permit(principal is App::User, action == App::Action::\"read\", resource) when { context has token && principal.hasTag(context.token) && principal.getTag(context.token).isEmpty() };", []],
    [APP, "permit(principal is App::User, action == App::Action::\"read\", resource) when { context has rec && context.rec.a > 0 };", []],
    [APP, "permit(principal is App::User, action == App::Action::\"read\", resource) when { context.token like \"a*\" };", ["W3006"]],
    [APP, "permit(principal is App::User, action == App::Action::\"read\", resource) when { (if context has token then context.token else \"x\") like \"a*\" };", []],
    [APP, "permit(principal is App::User, action == App::Action::\"read\", resource) when { if context has token then context.token like \"a*\" else false };", []],
    [APP, "permit(principal is App::User, action == App::Action::\"read\", resource) when { (context has token || false) && context.token == \"x\" };", []],
    [APP, "permit(principal is App::User, action == App::Action::\"read\", resource) when { (true || context has token) && context.token == \"x\" };", ["W3006"]],
    [APP, "permit(principal is App::User, action == App::Action::\"read\", resource) when { (false || context has token) && context.token == \"x\" };", []],
    [APP, "permit(principal is App::User, action == App::Action::\"read\", resource) when { principal.boss.email == \"a\" };", ["W3006"]],
    [APP, "permit(principal is App::User, action == App::Action::\"read\", resource) when { principal has boss && principal.boss has boss && principal.boss.boss.email == \"a\" };", []],
    [APP, read("resource.dec.lessThan(decimal(\"1.5\")) && resource.level * 2 > -3"), []],
    [APP, read("resource.dec.lessThan(1)"), ["W3004"]],
    [APP, read("resource.owner == principal && resource.owner in resource"), ["W3016"]],
    [APP, read("resource in principal.meta.labels"), ["W3004"]],
    [APP, read("principal.nums.containsAll([1,2]) && principal.nums.containsAny(principal.nums)"), []],
    [APP, read("principal.nums.containsAll(principal.meta.labels)"), ["W3010"]],
    [APP, read("context == {now: datetime(\"2020-01-01\"), rec: {a: 1}}"), ["W3010"]],
    [APP, read("context.rec == {a: 1}"), []],
    [APP, read("principal.meta.addr == {street: \"x\"}"), ["W3010"]],
    [APP, when("action == App::Action::\"read\" || action == App::Action::\"write\""), []],
    [APP, "permit(principal, action in [App::Action::\"read\", App::Action::\"manage\"], resource) when { resource.public };", ["W3003"]],
    [APP, when("[1,2].contains(principal.nums)"), ["W3003", "W3010"]],
    [APP, when("resource.owner.boss.email == \"x\""), ["W3003", "W3006"]],
    [APP, "forbid(principal, action, resource is App::Team) when { resource.name == \"x\" };", []],
    [APP, "forbid(principal, action, resource is App::Team) when { resource.nme == \"x\" };", ["W3003"]],
    [APP, read("datetime(\"2020-13-01\") < context.now"), ["W3009"]],
    [APP, read("duration(\"1x\") < duration(\"1h\")"), ["W3009"]],
    [APP, read("decimal(\"1.23456\") == resource.dec"), ["W3009"]],
    [APP, read("context.now.offset(duration(\"1h\")) > context.now"), []],
    [APP, read("context.now - context.now > 0"), ["W3004"]],
    [APP, read("principal.email == principal.meta.labels"), ["W3010"]],
    [APP, read("principal.meta.labels == [\"a\"]"), []],
    [APP, read("principal == App::User::\"a\""), []],
    [APP, read("principal != App::Doc::\"a\""), []],
    [APP, read("principal in [App::Team::\"a\", App::Team::\"b\"]"), []],
    [APP, read("App::User::\"a\" in App::Doc::\"x\""), ["W3016"]],
    [APP, read("action in [App::Action::\"manage\"]"), ["W3016"]],
    [APP, read("action in [App::Action::\"admin\", App::Action::\"read\"]"), []],
    [APP, read("{a: 1}.a == 1 && {a: 1} has a && {a: 1} has b"), ["W3016"]],
    [APP, read("!true"), ["W3016"]],
    [APP, read("-(1) > 0 && !(1 > 2)"), []],
    [APP, read("1 has a"), ["W3004"]],
    [APP, read("\"a\" in principal"), ["W3004"]],
    [APP, read("principal in \"a\""), ["W3004"]],
    [APP, read("principal is App::Team"), ["W3016"]],
    [APP, read("1 is App::Team"), ["W3004"]],
    [APP, read("principal.meta.labels.isEmpty(1)"), ["W3008"]],
    [APP, read("ip(\"1.2.3.4\", \"x\").isIpv4()"), ["W3008"]],
    [APP, read("principal.email.isIpv4()"), ["W3004"]],
    [APP, read("principal.email.lessThan(decimal(\"1.0\"))"), ["W3004"]],
    [APP, read("if 1 then true else false"), ["W3004"]],
    [APP, read("if principal has boss then principal.boss.email == \"a\" else principal.boss.email == \"b\""), ["W3006"]],
    [APP, read("principal has email && principal.email == \"a\""), []],
    [APP, read("context has now && context has foo"), ["W3016"]],
    [APP, read("principal has foo"), ["W3016"]],
    [APP, read("principal[\"email\"] like \"*@x\""), []],
    [MULTI, "permit(principal, action in [A::Action::\"x\", B::Action::\"y\"], resource);", ["W3010"]],
    [MULTI, when("action in [A::Action::\"x\", B::Action::\"y\"]"), ["W3010"]],
    [MULTI, when("action == A::Action::\"x\" || action == B::Action::\"y\""), []],
    [MULTI, when("[A::Action::\"x\", B::Action::\"y\"].contains(action)"), ["W3010"]],
    [MULTI, "permit(principal, action == A::Action::\"x\", resource) when { action in [A::Action::\"x\", B::Action::\"y\"] };", ["W3010"]],
    [MULTI, "permit(principal, action == A::U::\"u\", resource);", ["W3002", "W3005"]],
    [MULTI, "permit(principal, action in A::U::\"u\", resource);", ["W3002", "W3005"]],
    [MULTI, "permit(principal == A::Action::\"x\", action, resource);", ["W3005"]],
    [MULTI, "permit(principal in B::V::\"v\", action, resource);", ["W3005"]],
    [MULTI, "permit(principal is A::U, action == B::Action::\"y\", resource is B::V);", []],
    [MULTI, "permit(principal, action == B::Action::\"y\", resource) when { principal in resource };", ["W3016"]],
];

describe("type checker: policy + schema → diagnostic codes", () => {
  it("has at least 50 rows", () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(50);
  });
  it.each(ROWS.map((r, i) => [i, ...r] as const))("row %i", (_i, schemaSrc, policy, expected) => {
    expect(codesOf(schemaSrc, policy)).toEqual([...expected].sort());
  });
});

describe("type checker verdict equals Cedar's strict validation", () => {
  it.each(ROWS.map((r, i) => [i, ...r] as const))("row %i", (_i, schemaSrc, policy) => {
    const answer = cedar.validate({ schema: schemaSrc, policies: { staticPolicies: policy }, validationSettings: { mode: "strict" } });
    const cedarRejects = answer.type === "failure" || answer.validationErrors.length > 0;
    const parsed = parsePolicies(policy);
    const { diagnostics } = validatePolicies(parsed.ast!, schemaOf(schemaSrc));
    expect(hasErrors(diagnostics)).toBe(cedarRejects);
  });
});

describe("diagnostics are helpful", () => {
  function diagsOf(schemaSrc: string, policy: string) {
    const parsed = parsePolicies(policy);
    return validatePolicies(parsed.ast!, schemaOf(schemaSrc)).diagnostics;
  }

  it("suggests the attribute the author meant, pointing at the access", () => {
    const policy = `permit(principal is User, action, resource) when { principal.nme == "a" };`;
    const [d, ...rest] = diagsOf(PHOTOS, policy);
    expect(rest).toEqual([]);
    expect(d!.code).toBe("W3003");
    expect(d!.help).toBe("did you mean `name`?");
    expect(policy.slice(d!.span.start, d!.span.end)).toBe("principal.nme");
    expect(formatDiagnostic({ ...d!, file: "p.cedar" }, policy)).toBe(
      [
        "p.cedar:1:52: error W3003: attribute `nme` not found on entity type `User`",
        `  ${policy}`,
        `  ${" ".repeat(51)}${"^".repeat("principal.nme".length)}`,
        "  help: did you mean `name`?",
      ].join("\n"),
    );
  });

  it("suggests entity types, actions, methods and functions", () => {
    const help = (schemaSrc: string, policy: string, code: string) => diagsOf(schemaSrc, policy).find((d) => d.code === code)?.help;
    expect(help(PHOTOS, when(`principal in Grop::"g"`), "W3001")).toBe("did you mean `Group`?");
    expect(help(PHOTOS, `permit(principal, action == Action::"vew", resource);`, "W3002")).toBe('did you mean `Action::"view"`?');
    expect(help(PHOTOS, view(`context.ip.isLoopbak()`), "W3007")).toBe("did you mean `isLoopback`?");
    expect(help(PHOTOS, when(`decmal("1.0") == decimal("1.0")`), "W3007")).toBe("did you mean `decimal`?");
    expect(help(APP, read(`context.tokn == "a"`), "W3003")).toBe("did you mean `token`?");
  });

  it("explains how to guard an optional attribute", () => {
    const [d] = diagsOf(PHOTOS, view(`context.n > 1`));
    expect(d!.code).toBe("W3006");
    expect(d!.help).toContain("has n");
  });

  it("reports W3005 and W3016 as warnings, never as errors", () => {
    const d = diagsOf(PHOTOS, `permit(principal is Photo, action == Action::"view", resource);`);
    expect(d.map((x) => [x.code, x.severity])).toEqual([["W3005", "warning"]]);
    const f = diagsOf(PHOTOS, when(`principal in resource`));
    expect(f.map((x) => [x.code, x.severity])).toEqual([["W3016", "warning"]]);
  });

  it("fills the type side table on request", () => {
    const parsed = parsePolicies(view(`context.n > 1 || context.ip.isIpv4()`));
    const r = validatePolicies(parsed.ast!, schemaOf(PHOTOS), { collectTypes: true });
    const shown = [...r.types.values()].map(showType);
    expect(shown).toContain("ipaddr");
    expect(shown).toContain("Long");
    expect(validatePolicies(parsed.ast!, schemaOf(PHOTOS)).types.size).toBe(0);
  });
});
