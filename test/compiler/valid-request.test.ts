/**
 * The one-pass reading of valid requests (`readValidRequest`) against the general reading
 * it stands in for: `requestFromJson` with the schema's context hint, then `validateRequest`.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseSchema } from "../../lang/index.js";
import { loadSchema, type Schema } from "../../compiler/schema.js";
import { contextHintFor, validateRequest } from "../../compiler/input-validate.js";
import { readRequest } from "../../compiler/inputs.js";
import { requestFromJson, type Request } from "../../compiler/request.js";
import { readValidRequest, type ContextText } from "../../compiler/valid-request.js";
import { canonicalJson } from "../../compiler/canonical.js";
import { toPlainJson } from "../../compiler/ids.js";
import { valueToJson } from "../../stdlib/json.js";
import { RecordValue, type Value } from "../../stdlib/value.js";

const SRC = `
entity Team;
entity Level enum ["low", "high"];
entity User in [Team];
entity Doc;
type Who = { id: String, n?: Long };
action view appliesTo {
  principal: [User, Level],
  resource: [Doc],
  context: { flag: Bool, n?: Long, s: String, nums: Set<Long>, who: Who, user: User, lvl: Level, ip: ipaddr, d?: decimal, open?: Set<Set<Long>> }
};
action list appliesTo { principal: [User], resource: [Doc] };
action plain appliesTo {
  principal: [User],
  resource: [Doc],
  context: { flag: Bool, n?: Long, s: String, who: Who, user: User, lvl: Level, ip: ipaddr, d?: decimal, nums?: Set<Long> }
};
action group;
`;

function schema(): Schema {
  const r = loadSchema(parseSchema(SRC).ast!);
  expect(r.diagnostics).toEqual([]);
  return r.schema!;
}

/** The general reading (what `readRequest` did before the one-pass reading). */
function general(json: unknown, s: Schema): { request?: Request; errors: number } {
  const r = requestFromJson(json, (key) => contextHintFor(s, key));
  if (r.request === undefined) return { errors: r.diagnostics.length };
  return { request: r.request, errors: r.diagnostics.length + validateRequest(s, r.request).length };
}

/** A request as plain JSON with record key order kept (Maps compare without order). */
function shape(r: Request): string {
  const parts: [string, Value][] = [["p", r.principal], ["a", r.action], ["r", r.resource], ["c", r.context]];
  if (r.lineage !== undefined) parts.push(["l", r.lineage]);
  return JSON.stringify(valueToJson(new RecordValue(new Map<string, Value>(parts))));
}

/** A governed request's lineage: one ancestor execution (what the governor adds to a child's request). */
const EXEC = { principal: { type: "User", id: "alice" }, action: { type: "Action", id: "view" }, resource: { type: "Doc", id: "d0" }, decision: "allow", bundleId: "sha256:00", node: "n1" };
const LINEAGE = { depth: 1, parent: EXEC, root: EXEC, ancestors: [EXEC] };

const GOOD = {
  principal: { type: "User", id: "alice" },
  action: { type: "Action", id: "view" },
  resource: { type: "Doc", id: "d1" },
  context: { flag: true, s: "x", nums: [1, 2, 1], who: { id: "w" }, user: { type: "User", id: "bob" }, lvl: { type: "Level", id: "low" }, ip: "10.0.0.1" },
};

/** Mostly the first (valid) choice, sometimes any of them. */
function mostly(...xs: unknown[]): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 6, arbitrary: fc.constant(xs[0]) }, { weight: 4, arbitrary: fc.constantFrom(...xs) });
}

const uid = (valid: unknown): fc.Arbitrary<unknown> =>
  mostly(
    valid,
    { type: "User", id: "alice" },
    { type: "Level", id: "high" },
    { type: "Level", id: "mid" },
    { type: "Doc", id: "d" },
    { __entity: { type: "User", id: "a" } },
    { type: "Nope", id: "x" },
    { type: "User", id: "x", extra: 1 },
    { type: "bad type", id: "x" },
    'User::"a"',
    null,
    undefined,
  );
const action = mostly(
  { type: "Action", id: "view" },
  { type: "Action", id: "list" },
  { type: "Action", id: "group" },
  { type: "Action", id: "veiw" },
  { __entity: { type: "Action", id: "view" } },
);
/** Per context attribute: how often it is present (of 10) and its values (the first valid). */
const fields: readonly (readonly [string, number, fc.Arbitrary<unknown>])[] = [
  ["flag", 9, mostly(true, false, "true", 1, null)],
  ["n", 5, mostly(3, -0, 2 ** 60, 1.5, "3", 7n, { __extn: { fn: "decimal", arg: "1.0" } })],
  ["s", 9, mostly("x", "", "\ud800", 5, { __entity: { type: "User", id: "a" } }, 'q"\\\n\u0001\u007f', "\u{1f600}", "é")],
  ["nums", 9, mostly([1, 2, 1], [], [1, "2"], [[1]], "1", { __extn: { fn: "ip", arg: "::1" } })],
  ["who", 9, mostly({ id: "w" }, { id: "w", n: 2 }, { id: 5 }, {}, { id: "w", more: true }, { __entity: { type: "User", id: "a" } }, [])],
  ["user", 9, mostly({ type: "User", id: "b" }, { __entity: { type: "User", id: "b" } }, { type: "Doc", id: "b" }, 'User::"b"', { type: "User", id: "b", extra: 1 })],
  ["lvl", 9, mostly({ type: "Level", id: "low" }, { type: "Level", id: "mid" }, { type: "User", id: "low" })],
  ["ip", 9, mostly("10.0.0.1", "::1/64", { __extn: { fn: "ip", arg: "10.0.0.0/8" } }, { fn: "ip", arg: "1.2.3.4" }, "no ip", { __extn: { fn: "decimal", arg: "1.0" } }, "10.0.0.1/33", "01.0.0.1", "1.2.3.4/32")],
  ["d", 5, mostly("1.5", { __extn: { fn: "decimal", arg: "-2.0" } }, 1.5)],
  ["open", 5, mostly([[1], [2, 3]], [], [[]], [[1], 2])],
  ["extra", 1, fc.constantFrom<unknown>(1, "x")],
];
const record = fc
  .tuple(...fields.map(([k, often, value]) => fc.tuple(fc.constant(k), fc.integer({ min: 0, max: 9 }).map((r) => r < often), value)))
  .chain((kvs) => fc.shuffledSubarray(kvs.filter(([, present]) => present), { minLength: kvs.filter(([, present]) => present).length }))
  .map((kvs) => Object.fromEntries(kvs.map(([k, , v]) => [k, v])));
const context = fc.oneof({ weight: 9, arbitrary: record }, { weight: 1, arbitrary: fc.constantFrom<unknown>(undefined, null, [], "ctx", { __extn: { fn: "ip", arg: "::1" } }) });
const request = fc.record({
  principal: uid({ type: "User", id: "alice" }),
  action,
  resource: uid({ type: "Doc", id: "d" }),
  context,
  lineage: mostly(undefined, null, { depth: 0 }, LINEAGE, {}, { depth: -1 }, { depth: 1.5 }, "lineage", { depth: 0, extra: 1 }, { ancestors: [{ ...EXEC, decision: 1 }] }, { parent: { ...EXEC, principal: "alice" } }),
});

describe("readValidRequest", () => {
  it("reads a valid request in one pass, the same request as the general reading", () => {
    const s = schema();
    const fast = readValidRequest(GOOD, s);
    const slow = general(GOOD, s);
    expect(slow.errors).toBe(0);
    expect(fast).toBeDefined();
    expect(shape(fast!)).toBe(shape(slow.request!));
    expect(readValidRequest({ ...GOOD, action: { type: "Action", id: "list" }, context: undefined }, s)).toBeDefined();
  });

  it("gives no request for an invalid one (the general reading says why), and reads a lineage as the general reading does", () => {
    const s = schema();
    expect(readValidRequest({ ...GOOD, context: { ...GOOD.context, extra: 1 } }, s)).toBeUndefined();
    expect(readValidRequest({ ...GOOD, principal: { type: "Level", id: "mid" } }, s)).toBeUndefined();
    expect(readValidRequest({ ...GOOD, lineage: { depth: -1 } }, s)).toBeUndefined();
    expect(readRequest({ ...GOOD, lineage: { depth: -1 } }, s).diagnostics.map((d) => d.code)).toEqual(["W5004"]);
    const governed = readValidRequest({ ...GOOD, lineage: LINEAGE }, s);
    expect(governed?.lineage).toBeDefined();
    expect(shape(governed!)).toBe(shape(general({ ...GOOD, lineage: LINEAGE }, s).request!));
    expect(readRequest({ ...GOOD, context: { ...GOOD.context, extra: 1 } }, s).diagnostics.map((d) => d.code)).toEqual(["W5006"]);
  });

  it("reads only a context's own keys, as the general reading does (an inherited enumerable key goes to it)", () => {
    const s = schema();
    const context = Object.assign(Object.create({ n: 5 }) as object, GOOD.context);
    const json = { ...GOOD, context };
    const slow = general(json, s);
    expect(slow.errors).toBe(0);
    expect((slow.request!.context as RecordValue).fields.has("n")).toBe(false);
    const fast = readValidRequest(json, s);
    if (fast !== undefined) expect(shape(fast)).toBe(shape(slow.request!));
    expect(shape(readRequest(json, s).request!)).toBe(shape(slow.request!));
  });

  it("always agrees with the general reading: a request it gives is the general one, which has no diagnostic", () => {
    const s = schema();
    let read = 0;
    fc.assert(
      fc.property(request, (json) => {
        const fast = readValidRequest(json, s);
        if (fast === undefined) return;
        read++;
        const slow = general(json, s);
        expect(slow.errors).toBe(0);
        expect(shape(fast)).toBe(shape(slow.request!));
        const viaEntry = readRequest(json, s);
        expect(viaEntry.diagnostics).toEqual([]);
        expect(shape(viaEntry.request!)).toBe(shape(fast));
      }),
      { numRuns: 3000, seed: 11 },
    );
    // The property is not vacuous: a good share of the generated requests are valid.
    expect(read).toBeGreaterThan(20);
  });

  it("writes the context's canonical text while reading: always the canonical JSON of the context it gives", () => {
    const s = schema();
    const str = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.constantFrom('q"\\\n\u0001', "\u{1f600}", "\ud800", "é", "__proto__", "x".repeat(32), "y".repeat(33), `${"z".repeat(40)}"`, `${"w".repeat(40)}\ud800`), fc.string({ minLength: 30, maxLength: 40 }));
    const long = fc.oneof(fc.integer(), fc.constantFrom(-0, 2 ** 53 - 1, -(2 ** 53 - 1)));
    const opt = (a: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => fc.option(a, { nil: undefined });
    // Valid contexts of the `plain` action, keys in any order; sets get no text, so half go without one.
    const context = fc
      .record({
        flag: fc.boolean(),
        n: opt(long),
        s: str,
        who: fc.record({ id: str, n: opt(long) }),
        user: fc.oneof(str.map((id) => ({ type: "User", id })), str.map((id) => ({ __entity: { type: "User", id } }))),
        lvl: fc.constantFrom({ type: "Level", id: "low" }, { type: "Level", id: "high" }),
        ip: fc.constantFrom<unknown>("10.0.0.1", "::1/64", "192.168.0.0/16", "10.0.0.1/32", "0.0.0.0/0", "2001:DB8::/32", "::FFFF:0:1/128", { __extn: { fn: "ip", arg: "10.0.0.0/8" } }, { __extn: { fn: "ip", arg: "10.9.8.7/32" } }),
        d: opt(fc.constantFrom<unknown>("1.5", "-0.0001", { __extn: { fn: "decimal", arg: "-2.0" } })),
      })
      .map((c) => JSON.parse(JSON.stringify(c)) as Record<string, unknown>)
      .chain((c) => fc.shuffledSubarray(Object.entries(c), { minLength: Object.keys(c).length }).map((kvs) => Object.fromEntries(kvs)));
    const requests = fc.tuple(context, fc.boolean()).map(([c, nums]) => ({ ...GOOD, action: { type: "Action", id: "plain" }, context: nums ? { ...c, nums: [2, 1] } : c }));
    let written = 0;
    fc.assert(
      fc.property(requests, (json) => {
        const out: ContextText = { text: undefined };
        const fast = readValidRequest(json, s, out);
        if (fast === undefined || out.text === undefined) return;
        written++;
        expect(out.text).toBe(canonicalJson(toPlainJson(valueToJson(fast.context))));
      }),
      { numRuns: 1000, seed: 12 },
    );
    expect(written).toBeGreaterThan(50);
    expect(written).toBeLessThan(1000);
    const out: ContextText = { text: undefined };
    expect(readValidRequest({ ...GOOD, action: { type: "Action", id: "list" }, context: undefined }, s, out)).toBeDefined();
    expect(out.text).toBe("{}");
    const { nums: _n, ...noNums } = GOOD.context;
    expect(readValidRequest({ ...GOOD, action: { type: "Action", id: "plain" }, context: { ...noNums, s: 'a"b' } }, s, out)).toBeDefined();
    expect(out.text).toBe(
      '{"flag":true,"ip":{"__extn":{"arg":"10.0.0.1","fn":"ip"}},"lvl":{"__entity":{"id":"low","type":"Level"}},"s":"a\\"b","user":{"__entity":{"id":"bob","type":"User"}},"who":{"id":"w"}}',
    );
  });
});
