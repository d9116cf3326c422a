import { describe, expect, it } from "vitest";
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import {
  BUILTINS,
  BUILTIN_DOCS,
  Datetime,
  Decimal,
  Duration,
  Entities,
  EntityUID,
  EvalError,
  IpAddr,
  RecordValue,
  SetValue,
  bareEntity,
  builtinConstructor,
  builtinMethod,
  compareOrdered,
  isExtensionFunction,
  type Builtin,
  type Value,
} from "../../stdlib/index.js";

/** Call a builtin; the EvalError code when it throws. */
function call(b: Builtin | undefined, args: Value[], entities = Entities.empty()): Value | string {
  if (b === undefined) throw new Error("no such builtin");
  try {
    switch (b.context) {
      case "pure":
        return b.impl(...args);
      case "entities":
        return b.impl(entities, ...args);
    }
  } catch (e) {
    if (e instanceof EvalError) return e.code;
    throw e;
  }
}

const m = (name: string) => builtinMethod(name);
const dec = (s: string) => Decimal.parse(s);
const set = (...xs: Value[]) => new SetValue(xs);

describe("the builtins table", () => {
  it("declares each builtin once, with docs and a signature", () => {
    const names = BUILTINS.map((b) => `${b.kind}:${b.name}`);
    expect(new Set(names).size).toBe(names.length);
    expect(BUILTIN_DOCS.map((d) => d.name)).toEqual(BUILTINS.map((b) => b.name));
    for (const b of BUILTINS) {
      expect(b.doc.length).toBeGreaterThan(10);
      expect(b.kind === "method").toBe(b.receiver !== undefined);
      expect(b.kind === "method" ? builtinMethod(b.name) : builtinConstructor(b.name)).toBe(b);
    }
    expect(BUILTIN_DOCS.find((d) => d.name === "isInRange")?.signature).toBe("ipaddr.isInRange(ipaddr) → Bool");
    expect(BUILTIN_DOCS.find((d) => d.name === "ip")?.signature).toBe("ip(String) → ipaddr");
    expect(builtinMethod("ip")).toBeUndefined();
    expect(builtinConstructor("lessThan")).toBeUndefined();
    expect(builtinMethod("nope")).toBeUndefined();
  });

  it("covers every Cedar 4 call", () => {
    const want = [
      "decimal", "ip", "datetime", "duration", "lessThan", "lessThanOrEqual", "greaterThan", "greaterThanOrEqual",
      "isIpv4", "isIpv6", "isLoopback", "isMulticast", "isInRange", "offset", "durationSince", "toDate", "toTime",
      "toMilliseconds", "toSeconds", "toMinutes", "toHours", "toDays", "contains", "containsAll", "containsAny", "isEmpty", "hasTag", "getTag",
    ];
    expect(BUILTINS.map((b) => b.name).sort()).toEqual([...want].sort());
    expect(BUILTINS.filter(isExtensionFunction).length).toBe(22);
  });

  it("has examples that Cedar itself evaluates to true", () => {
    const policies = BUILTINS.map((b) => `permit(principal, action, resource) when { ${b.example} };`).join("\n");
    const r = cedar.isAuthorized({
      principal: { type: "User", id: "p" },
      action: { type: "Action", id: "a" },
      resource: { type: "R", id: "r" },
      context: {},
      policies: { staticPolicies: policies },
      entities: [{ uid: { type: "User", id: "p" }, attrs: {}, parents: [], tags: { team: "red" } }],
    });
    expect(r.type).toBe("success");
    if (r.type !== "success") return;
    expect(r.response.diagnostics.errors).toEqual([]);
    expect(r.response.diagnostics.reason.map((id) => Number(id.replace("policy", ""))).sort((a, b) => a - b)).toEqual(BUILTINS.map((_, i) => i));
  });
});

describe("builtin implementations", () => {
  it.each<[string, Value[], Value | string]>([
    ["lessThan", [dec("1.23"), dec("1.24")], true],
    ["lessThanOrEqual", [dec("1.24"), dec("1.24")], true],
    ["greaterThan", [dec("1.23"), dec("1.24")], false],
    ["greaterThanOrEqual", [dec("-1.0"), dec("-1.0001")], true],
    ["lessThan", [dec("1.0"), 1n], "W4002"],
    ["lessThan", [new Duration(1n), dec("1.0")], "W4002"],
    ["isIpv4", [IpAddr.parse("1.2.3.4")], true],
    ["isIpv6", ["::1"], "W4002"],
    ["isInRange", [IpAddr.parse("10.1.1.1"), IpAddr.parse("10.0.0.0/8")], true],
    ["isLoopback", [IpAddr.parse("::1")], true],
    ["isMulticast", [IpAddr.parse("224.1.1.1")], true],
    ["toDays", [Duration.parse("49h")], 2n],
    ["toHours", [Duration.parse("-61m")], -1n],
    ["toMinutes", [Duration.parse("61s")], 1n],
    ["toSeconds", [Duration.parse("1999ms")], 1n],
    ["toMilliseconds", [Duration.parse("1s")], 1000n],
    ["toDays", [Datetime.parse("2024-01-01")], "W4002"],
    ["contains", [set(1n, 2n), 2n], true],
    ["contains", [set(set(1n)), set(1n, 1n)], true],
    ["contains", [set(1n), "1"], false],
    ["contains", [1n, 1n], "W4002"],
    ["containsAll", [set(1n, 2n, 3n), set(1n, 3n)], true],
    ["containsAll", [set(1n), set()], true],
    ["containsAll", [set(1n), set(1n, 2n)], false],
    ["containsAll", [set(1n), 1n], "W4002"],
    ["containsAny", [set(1n, 2n), set(3n, 2n)], true],
    ["containsAny", [set(1n), set()], false],
    ["isEmpty", [set()], true],
    ["isEmpty", [set(false)], false],
    ["isEmpty", [dec("1.0")], "W4002"],
  ])("%s(%#)", (name, args, want) => {
    const got = call(m(name), args);
    if (typeof want === "object") expect((got as { equals(v: Value): boolean }).equals(want)).toBe(true);
    else expect(got).toBe(want);
  });

  it("evaluates the datetime methods", () => {
    const d = Datetime.parse("2024-10-15T11:35:00Z");
    expect((call(m("offset"), [d, Duration.parse("1d")]) as Datetime).equals(Datetime.parse("2024-10-16T11:35:00Z"))).toBe(true);
    expect((call(m("durationSince"), [d, Datetime.parse("2024-10-15")]) as Duration).equals(Duration.parse("11h35m"))).toBe(true);
    expect((call(m("toDate"), [d]) as Datetime).equals(Datetime.parse("2024-10-15"))).toBe(true);
    expect((call(m("toTime"), [d]) as Duration).equals(Duration.parse("11h35m"))).toBe(true);
    expect(call(m("offset"), [d, d])).toBe("W4002");
    expect(call(m("offset"), [new Datetime(2n ** 63n - 1n), Duration.parse("1ms")])).toBe("W4005");
  });

  it("evaluates the constructors", () => {
    expect(call(builtinConstructor("decimal"), ["1.5"])).toBeInstanceOf(Decimal);
    expect(call(builtinConstructor("decimal"), ["1.23456"])).toBe("W4005");
    expect(call(builtinConstructor("ip"), [1n])).toBe("W4002");
    expect(call(builtinConstructor("datetime"), ["2024-02-30"])).toBe("W4005");
    expect(call(builtinConstructor("duration"), ["1h"])).toBeInstanceOf(Duration);
  });

  it("reads tags from the entity store", () => {
    const alice = new EntityUID("User", "alice");
    const store = new Entities([{ ...bareEntity(alice), tags: new RecordValue(new Map([["team", "red"]])) }]);
    expect(call(m("hasTag"), [alice, "team"], store)).toBe(true);
    expect(call(m("hasTag"), [alice, "nope"], store)).toBe(false);
    expect(call(m("hasTag"), [new EntityUID("User", "ghost"), "team"], store)).toBe(false);
    expect(call(m("hasTag"), [alice, 1n], store)).toBe("W4002");
    expect(call(m("hasTag"), ["alice", "team"], store)).toBe("W4002");
    expect(call(m("getTag"), [alice, "team"], store)).toBe("red");
    expect(call(m("getTag"), [alice, "nope"], store)).toBe("W4006");
    expect(call(m("getTag"), [new EntityUID("User", "ghost"), "team"], store)).toBe("W4004");
  });
});

describe("ordering operators", () => {
  const cmp = (a: Value, b: Value) => {
    try {
      return Math.sign(compareOrdered(a, b));
    } catch (e) {
      return (e as EvalError).code;
    }
  };
  it.each<[Value, Value, number | string]>([
    [1n, 2n, -1],
    [2n, 2n, 0],
    [Datetime.parse("2024-10-16"), Datetime.parse("2024-10-15"), 1],
    [Duration.parse("1h"), Duration.parse("60m"), 0],
    [Duration.parse("-1h"), Duration.parse("1ms"), -1],
    [dec("1.0"), dec("2.0"), "W4002"],
    [1n, Datetime.parse("2024-10-15"), "W4002"],
    [Duration.parse("1h"), Datetime.parse("2024-10-15"), "W4002"],
    ["a", "b", "W4002"],
  ])("compare %# ", (a, b, want) => {
    expect(cmp(a, b)).toBe(want);
  });
});
