/**
 * Table-driven evaluation tests: policy text + entities + request → decision, reasons, errors.
 */
import { describe, expect, it } from "vitest";
import { parsePolicies } from "../../lang/index.js";
import { compile, compileIr, stripSpans, type Decision, type IrPolicySet, type Request } from "../../compiler/index.js";
import { Entities, type EntityRecord } from "../../stdlib/index.js";
import { EntityUID, RecordValue, SetValue, type Value } from "../../stdlib/value.js";

const uid = (type: string, id: string): EntityUID => new EntityUID(type, id);
const rec = (o: Record<string, Value>): RecordValue => new RecordValue(new Map(Object.entries(o)));
const set = (...xs: Value[]): SetValue => new SetValue(xs);

function entity(u: EntityUID, attrs: Record<string, Value> = {}, parents: EntityUID[] = [], tags: Record<string, Value> = {}): EntityRecord {
  return { uid: u, attrs: rec(attrs), parents, tags: rec(tags) };
}

const alice = uid("User", "alice");
const bob = uid("User", "bob");
const admins = uid("Group", "admins");
const users = uid("Group", "users");
const p1 = uid("Photo", "p1");
const a1 = uid("Album", "a1");
const view = uid("Action", "view");
const read = uid("Action", "read");
const edit = uid("Action", "edit");

const ENTITIES = new Entities([
  entity(
    alice,
    { name: "alice", age: 30n, roles: set("a", "b"), manager: bob, addr: rec({ city: "Paris", zip: "75" }), big: 9223372036854775807n },
    [admins],
    { team: "red" },
  ),
  entity(bob, { age: 40n }, [users]),
  entity(admins, {}, [users]),
  entity(users),
  entity(p1, { owner: alice, private: true }, [a1]),
  entity(a1),
  entity(view, {}, [read]),
  entity(read),
  entity(edit),
]);

const CONTEXT = rec({ n: 5n, s: "hello", flag: true, list: set(1n, 2n, 3n), ents: set(admins, a1), r: rec({ x: 1n }) });
const REQ: Request = { principal: alice, action: view, resource: p1, context: CONTEXT };

function run(src: string, req: Request = REQ, semantics: "cedar" | "fail-closed" = "cedar"): Decision {
  const parsed = parsePolicies(src);
  expect(parsed.diagnostics).toEqual([]);
  const { program, diagnostics } = compile(parsed.ast!, { semantics });
  expect(diagnostics).toEqual([]);
  return program!.decide(req, ENTITIES);
}

/** [condition expression, expected: true (allow), false (deny, no error) or an error code]. */
const EXPR_ROWS: readonly (readonly [string, boolean | string])[] = [
  // literals, logic
  ["true", true],
  ["false", false],
  ["!false", true],
  ["!1", "W4002"],
  ["true && false", false],
  ["false && (1 + \"a\" == 2)", false],
  ["true || (1 + \"a\" == 2)", true],
  ["1 && true", "W4002"],
  ["false || 1", "W4002"],
  ["true && 1", "W4002"],
  ["if true then 1 == 1 else 1 + \"x\" == 2", true],
  ["if 1 then true else false", "W4002"],
  ["if context.flag then false else true", false],
  // equality across types
  ["1 == 1", true],
  ["1 == \"1\"", false],
  ["principal == User::\"alice\"", true],
  ["principal != User::\"bob\"", true],
  ["[1, 2] == [2, 1, 1]", true],
  ["{a: 1, b: [true]} == {b: [true], a: 1}", true],
  ["{a: 1} == {a: 1, b: 2}", false],
  ["User::\"alice\" == Group::\"alice\"", false],
  ["decimal(\"1.0\") == decimal(\"1.0000\")", true],
  ["ip(\"10.0.0.0/24\") == ip(\"10.0.0.0/16\")", false],
  // arithmetic and comparison
  ["1 + 2 * 3 == 7", true],
  ["10 - 20 == -10", true],
  ["-context.n == -5", true],
  ["principal.big + 1 == 0", "W4003"],
  ["principal.big * 2 == 0", "W4003"],
  ["-9223372036854775807 - 2 == 0", "W4003"],
  ["1 + true == 2", "W4002"],
  ["1 < 2 && 2 <= 2 && 3 > 2 && 3 >= 3", true],
  ["\"a\" < \"b\"", "W4002"],
  ["datetime(\"2024-01-01\") < datetime(\"2024-01-02\")", true],
  ["duration(\"1h\") > duration(\"30m\")", true],
  ["decimal(\"1.0\") < decimal(\"2.0\")", "W4002"],
  // in / is / hierarchy
  ["principal in Group::\"users\"", true],
  ["principal in principal", true],
  ["User::\"nobody\" in User::\"nobody\"", true],
  ["User::\"nobody\" in Group::\"users\"", false],
  ["principal in [Group::\"x\", Group::\"admins\"]", true],
  ["principal in context.ents", true],
  ["resource in [principal, Album::\"zzz\"]", false],
  ["principal in [1]", "W4002"],
  ["1 in Group::\"users\"", "W4002"],
  ["principal in \"x\"", "W4002"],
  ["principal is User", true],
  ["principal is Group", false],
  ["principal is User in Group::\"admins\"", true],
  ["principal is Group in 1", false],
  ["1 is User", "W4002"],
  ["action in Action::\"read\"", true],
  // has / attributes
  ["principal has name", true],
  ["principal has nope", false],
  ["User::\"nobody\" has name", false],
  ["principal has addr.city", true],
  ["principal has addr.street", false],
  ["principal has age.foo", "W4002"],
  ["principal.addr.city == \"Paris\"", true],
  ["principal[\"addr\"][\"zip\"] == \"75\"", true],
  ["principal.nope == 1", "W4001"],
  ["User::\"nobody\".name == 1", "W4004"],
  ["context.r.x == 1 && context has r", true],
  ["context.missing", "W4001"],
  ["1 has x", "W4002"],
  ["principal.manager.age == 40", true],
  ["resource.owner == principal", true],
  // like
  ["context.s like \"h*o\"", true],
  ["context.s like \"h*x\"", false],
  ["\"a*b\" like \"a\\*b\"", true],
  ["\"\" like \"*\"", true],
  ["1 like \"*\"", "W4002"],
  // sets
  ["context.list.contains(2)", true],
  ["context.list.contains(\"2\")", false],
  ["context.list.containsAll([1, 3])", true],
  ["context.list.containsAll([1, 4])", false],
  ["context.list.containsAny([4, 3])", true],
  ["[].isEmpty() && ![1].isEmpty()", true],
  ["1.contains(1)", "W4002"],
  ["context.list.containsAll(1)", "W4002"],
  ["[principal.age, context.n].contains(30)", true],
  // tags
  ["principal.hasTag(\"team\") && principal.getTag(\"team\") == \"red\"", true],
  ["principal.hasTag(\"nope\")", false],
  ["User::\"nobody\".hasTag(\"team\")", false],
  ["principal.getTag(\"nope\") == 1", "W4006"],
  ["User::\"nobody\".getTag(\"team\") == 1", "W4004"],
  // extensions
  ["decimal(\"1.5\").lessThan(decimal(\"2.5\"))", true],
  ["decimal(\"1.23456\").lessThan(decimal(\"2.5\"))", "W4005"],
  ["ip(\"10.1.2.3\").isInRange(ip(\"10.0.0.0/8\"))", true],
  ["ip(\"::1\").isLoopback() && ip(\"::1\").isIpv6()", true],
  ["ip(\"nope\").isIpv4()", "W4005"],
  ["ip(context.s).isIpv4()", "W4005"],
  ["decimal(\"1.0\").lessThan(1)", "W4002"],
  ["datetime(\"2024-10-16\").durationSince(datetime(\"2024-10-15\")) == duration(\"24h\")", true],
  ["duration(\"2h\").toMinutes() == 120", true],
  // records, sets as values
  ["{a: principal.age}.a == 30", true],
  ["[1, [2, 3]].contains([3, 2])", true],
  // condition must be Bool
  ["1", "W4002"],
  ["\"yes\"", "W4002"],
];

describe("expression evaluation (one permit, cedar semantics)", () => {
  for (const [expr, expected] of EXPR_ROWS) {
    it(`${expr} ⇒ ${String(expected)}`, () => {
      const d = run(`permit(principal, action, resource) when { ${expr} };`);
      const core = { decision: d.decision, reasons: d.reasons, errors: d.errors };
      if (expected === true) expect(core).toEqual({ decision: "allow", reasons: ["policy0"], errors: [] });
      else if (expected === false) expect(core).toEqual({ decision: "deny", reasons: [], errors: [] });
      else {
        expect(d.decision).toBe("deny");
        expect(d.reasons).toEqual([]);
        expect(d.errors.map((e) => [e.policy, e.code])).toEqual([["policy0", expected]]);
      }
    });
  }
});

interface Row {
  readonly name: string;
  readonly src: string;
  readonly req?: Request;
  readonly semantics?: "cedar" | "fail-closed";
  readonly decision: "allow" | "deny";
  readonly reasons: string[];
  readonly errors?: string[];
}

const SCOPE_ROWS: readonly Row[] = [
  { name: "principal ==", src: `permit(principal == User::"alice", action, resource);`, decision: "allow", reasons: ["policy0"] },
  { name: "principal == other", src: `permit(principal == User::"bob", action, resource);`, decision: "deny", reasons: [] },
  { name: "principal in group (transitive)", src: `permit(principal in Group::"users", action, resource);`, decision: "allow", reasons: ["policy0"] },
  { name: "principal is T in", src: `permit(principal is User in Group::"admins", action, resource);`, decision: "allow", reasons: ["policy0"] },
  { name: "principal is wrong type", src: `permit(principal is Group, action, resource);`, decision: "deny", reasons: [] },
  { name: "action ==", src: `permit(principal, action == Action::"view", resource);`, decision: "allow", reasons: ["policy0"] },
  { name: "action == other", src: `permit(principal, action == Action::"edit", resource);`, decision: "deny", reasons: [] },
  { name: "action in group", src: `permit(principal, action in Action::"read", resource);`, decision: "allow", reasons: ["policy0"] },
  { name: "action in list via hierarchy", src: `permit(principal, action in [Action::"edit", Action::"read"], resource);`, decision: "allow", reasons: ["policy0"] },
  { name: "action in list miss", src: `permit(principal, action in [Action::"edit"], resource);`, decision: "deny", reasons: [] },
  { name: "resource in album", src: `permit(principal, action, resource in Album::"a1");`, decision: "allow", reasons: ["policy0"] },
  { name: "resource == other", src: `permit(principal, action, resource == Photo::"p2");`, decision: "deny", reasons: [] },
  { name: "unless", src: `permit(principal, action, resource) unless { principal.age > 20 };`, decision: "deny", reasons: [] },
  { name: "when + unless", src: `permit(principal, action, resource) when { true } unless { false };`, decision: "allow", reasons: ["policy0"] },
  { name: "scope false skips the erroring condition", src: `permit(principal == User::"bob", action, resource) when { 1 + "a" };`, decision: "deny", reasons: [] },
];

const SET_ROWS: readonly Row[] = [
  { name: "forbid overrides permit", src: `permit(principal, action, resource); forbid(principal, action, resource);`, decision: "deny", reasons: ["policy1"] },
  {
    name: "@id names and reasons in policy order",
    src: `@id("b") permit(principal, action, resource); @id("a") permit(principal, action, resource); permit(principal == User::"bob", action, resource);`,
    decision: "allow",
    reasons: ["b", "a"],
  },
  { name: "default deny", src: `permit(principal == User::"zed", action, resource);`, decision: "deny", reasons: [] },
  { name: "no policies", src: ``, decision: "deny", reasons: [] },
  {
    name: "cedar: erroring forbid skipped",
    src: `permit(principal, action, resource); forbid(principal, action, resource) when { principal.nope };`,
    semantics: "cedar",
    decision: "allow",
    reasons: ["policy0"],
    errors: ["policy1"],
  },
  {
    name: "fail-closed: erroring forbid denies",
    src: `permit(principal, action, resource); forbid(principal, action, resource) when { principal.nope };`,
    semantics: "fail-closed",
    decision: "deny",
    reasons: [],
    errors: ["policy1"],
  },
  {
    name: "fail-closed: erroring permit is only reported",
    src: `permit(principal, action, resource); permit(principal, action, resource) when { principal.nope };`,
    semantics: "fail-closed",
    decision: "allow",
    reasons: ["policy0"],
    errors: ["policy1"],
  },
  {
    name: "satisfied forbid plus erroring permits",
    src: `permit(principal, action, resource) when { 1 + "x" }; forbid(principal in Group::"admins", action, resource);`,
    decision: "deny",
    reasons: ["policy1"],
    errors: ["policy0"],
  },
  {
    name: "two forbids satisfied",
    src: `forbid(principal, action, resource); permit(principal, action, resource); forbid(principal, action == Action::"view", resource);`,
    decision: "deny",
    reasons: ["policy0", "policy2"],
  },
  {
    name: "another request",
    src: `permit(principal == User::"bob", action == Action::"edit", resource) when { context.k == 1 };`,
    req: { principal: bob, action: edit, resource: a1, context: rec({ k: 1n }) },
    decision: "allow",
    reasons: ["policy0"],
  },
  {
    name: "principal-indexed policy not applied to another principal",
    src: `permit(principal == User::"bob", action == Action::"view", resource); permit(principal, action, resource == Album::"a1");`,
    decision: "deny",
    reasons: [],
  },
];

describe("scopes and policy sets", () => {
  for (const row of [...SCOPE_ROWS, ...SET_ROWS]) {
    it(row.name, () => {
      const d = run(row.src, row.req ?? REQ, row.semantics ?? "cedar");
      expect(d.decision).toBe(row.decision);
      expect(d.reasons).toEqual(row.reasons);
      expect(d.errors.map((e) => e.policy)).toEqual(row.errors ?? []);
    });
  }
});

describe("compile diagnostics and error locations", () => {
  it("rejects an unknown method with a did-you-mean", () => {
    const parsed = parsePolicies(`permit(principal, action, resource) when { context.list.contain(1) };`);
    const { program, diagnostics } = compile(parsed.ast!);
    expect(program).toBeUndefined();
    expect(diagnostics.map((d) => d.code)).toEqual(["W3007"]);
    expect(diagnostics[0]!.help).toContain("contains");
  });
  it("rejects a wrong argument count", () => {
    const parsed = parsePolicies(`permit(principal, action, resource) when { context.list.isEmpty(1) };`);
    expect(compile(parsed.ast!).diagnostics.map((d) => d.code)).toEqual(["W3008"]);
  });
  it("attaches the failing node's span to an evaluation error", () => {
    const src = `permit(principal, action, resource) when { principal.nope == 1 };`;
    const d = run(src);
    const span = d.errors[0]!.span!;
    expect(src.slice(span.start, span.end)).toBe("principal.nope");
  });
  it("reports every evaluated policy to an observer without changing the decision", () => {
    const parsed = parsePolicies(`permit(principal, action, resource); forbid(principal == User::"bob", action, resource); permit(principal, action, resource) when { 1 };`);
    const program = compile(parsed.ast!).program!;
    const seen: string[] = [];
    const d = program.decide(REQ, ENTITIES, (t) => {
      seen.push(`${t.policy}:${t.effect}:${t.outcome}`);
      throw new Error("observers cannot break decisions");
    });
    expect(seen.sort()).toEqual(["policy0:permit:satisfied", "policy2:permit:error"]);
    expect(d).toEqual(program.decide(REQ, ENTITIES));
  });
  it("an invalid extension literal errors only the policy that evaluates it", () => {
    const d = run(`permit(principal, action, resource) when { decimal("x") == decimal("1.0") }; permit(principal, action, resource);`);
    expect(d).toMatchObject({ decision: "allow", reasons: ["policy1"] });
    expect(d.errors.map((e) => [e.policy, e.code])).toEqual([["policy0", "W4005"]]);
  });
});

describe("IR", () => {
  const SRC = `@id("p") permit(principal in Group::"users", action in [Action::"read", Action::"edit"], resource)
    when { principal has addr.city && principal.addr["city"] like "P*" && [Group::"admins"].contains(principal) == false }
    unless { decimal("1.5").greaterThan(decimal("2.0")) || context.n * 2 > 100 || (false && ip("bad") == ip("1.2.3.4")) };
    forbid(principal is User in Group::"nope", action, resource == Photo::"p1") when { principal.getTag("team") != "red" };`;

  it("is JSON data: a JSON round trip of the stripped IR decides the same", () => {
    const ir = compile(parsePolicies(SRC).ast!).ir!;
    const json = JSON.parse(JSON.stringify(stripSpans(ir))) as IrPolicySet;
    expect(json).toEqual(stripSpans(ir));
    expect(JSON.stringify(json)).not.toContain('"span"');
    const a = compile(parsePolicies(SRC).ast!, { semantics: "cedar" }).program!.decide(REQ, ENTITIES);
    const b = compileIr(json, { semantics: "cedar" }).program!.decide(REQ, ENTITIES);
    expect(b.decision).toBe(a.decision);
    expect(b.reasons).toEqual(a.reasons);
    expect(b.errors.map((e) => [e.policy, e.code])).toEqual(a.errors.map((e) => [e.policy, e.code]));
    expect(a.reasons).toEqual(["p"]);
  });

  it("does not depend on formatting or comments once spans are stripped", () => {
    const reformatted = SRC.replace(/\s+/g, "  ").replace("when", "// a comment\n when");
    const a = stripSpans(compile(parsePolicies(SRC).ast!).ir!);
    const b = stripSpans(compile(parsePolicies(reformatted).ast!).ir!);
    expect(b).toEqual(a);
    const changed = stripSpans(compile(parsePolicies(SRC.replace("100", "101")).ast!).ir!);
    expect(changed).not.toEqual(a);
  });

  it("resolves names: `.a` and `[\"a\"]` lower to the same node, literals are pre-checked", () => {
    const ir = stripSpans(compile(parsePolicies(`permit(principal, action, resource) when { principal.a == principal["a"] && ip("x") == decimal("1.0") };`).ast!).ir!);
    const body = ir.policies[0]!.conditions[0]!.body;
    expect(body.kind).toBe("and");
    if (body.kind !== "and" || body.left.kind !== "binary" || body.right.kind !== "binary") throw new Error("shape");
    expect(body.left.left).toEqual(body.left.right);
    expect(body.right.left.kind).toBe("error");
    expect(body.right.right).toEqual({ kind: "extLit", fn: "decimal", arg: "1.0" });
  });
});
