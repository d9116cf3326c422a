/**
 * Writ test files (`*.writ-test.json`) run by `writ test`: structure checks,
 * expectation comparison (reasons as sets, obligations as canonical JSON,
 * errors as count or names, shadow), semantics override, lineage, discovery
 * next to Cedar test files.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { runCli } from "../../cli/main.js";
import { memoryOutput } from "../../cli/io.js";
import { canonicalObligationText, compareDecision, type WritExpectation } from "../../cli/writ-tests.js";
import { isWritTestFile } from "../../cli/test-files.js";
import type { Decision } from "../../compiler/index.js";

const ROOT = resolve(import.meta.dirname, "../..");
const dirs: string[] = [];

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "writ-test-files-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function writ(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = memoryOutput();
  const code = await runCli(args, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

const POLICIES = `@id("readers")
permit (principal, action == Action::"read", resource) when { principal.role == "reader" };
@id("no-banned")
forbid (principal, action, resource) when { principal.banned };
`;

const ENTITIES = JSON.stringify([
  { uid: { type: "User", id: "alice" }, attrs: { role: "reader", banned: false }, parents: [] },
  { uid: { type: "User", id: "bob" }, attrs: { role: "reader", banned: true }, parents: [] },
  { uid: { type: "User", id: "carol" }, attrs: { role: "reader" }, parents: [] },
  { uid: { type: "Doc", id: "d1" }, attrs: {}, parents: [] },
]);

function req(who: string): Record<string, unknown> {
  return { principal: { type: "User", id: who }, action: { type: "Action", id: "read" }, resource: { type: "Doc", id: "d1" }, context: {} };
}

function testFile(cases: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ "writ-test": 1, policies: "policies.cedar", entities: "entities.json", ...extra, cases }, null, 2);
}

describe("writ test with Writ test files", () => {
  it("runs each case as one test and passes matching expectations", async () => {
    const dir = project({
      "policies.cedar": POLICIES,
      "entities.json": ENTITIES,
      "tests/basic.writ-test.json": testFile([
        { description: "alice reads", ...req("alice"), expect: { decision: "allow", reasons: ["readers"], errors: 0 } },
        { description: "bob is banned", ...req("bob"), expect: { decision: "deny", reasons: ["no-banned"], errors: [] } },
      ]),
    });
    const r = await writ(["test", dir, "--verbose"]);
    expect(r.stdout).toMatch(/^PASS \S*tests\/basic\.writ-test\.json: "alice reads"$/m);
    expect(r.stdout).toMatch(/^PASS \S*tests\/basic\.writ-test\.json: "bob is banned"$/m);
    expect(r.stdout.trimEnd().split("\n").pop()).toBe("2 passed, 0 failed");
    expect(r.code).toBe(0);
  });

  it("reports a mismatched decision, reasons or error count as a failure of that case only", async () => {
    const dir = project({
      "policies.cedar": POLICIES,
      "entities.json": ENTITIES,
      "t.writ-test.json": testFile([
        { description: "wrong decision", ...req("alice"), expect: { decision: "deny" } },
        { description: "wrong reasons", ...req("bob"), expect: { decision: "deny", reasons: ["readers"] } },
        { description: "wrong errors", ...req("alice"), expect: { decision: "allow", errors: 1 } },
        { description: "right", ...req("alice"), expect: { decision: "allow" } },
      ]),
    });
    const r = await writ(["test", dir]);
    expect(r.stdout).toMatch(/FAIL .*"wrong decision": expected deny, got allow/);
    expect(r.stdout).toMatch(/FAIL .*"wrong reasons": expected reasons \[readers\], got \[no-banned\]/);
    expect(r.stdout).toMatch(/FAIL .*"wrong errors": expected 1 erroring policies, got 0/);
    expect(r.stdout.trimEnd().split("\n").pop()).toBe("1 passed, 3 failed");
    expect(r.code).toBe(1);
  });

  it("uses the file's semantics unless --semantics is given on the command line", async () => {
    // carol has no `banned` attribute: the forbid errors. fail-closed denies; cedar skips it.
    const dir = project({
      "policies.cedar": POLICIES,
      "entities.json": ENTITIES,
      "c.writ-test.json": testFile([{ description: "carol", ...req("carol"), expect: { decision: "allow", reasons: ["readers"], errors: ["no-banned"] } }], { semantics: "cedar" }),
    });
    expect((await writ(["test", dir])).stdout.trimEnd().split("\n").pop()).toBe("1 passed, 0 failed");
    expect((await writ(["test", dir, "--semantics", "cedar"])).code).toBe(0);
    const r = await writ(["test", dir, "--semantics", "fail-closed"]);
    expect(r.stdout).toMatch(/expected allow, got deny/);
    expect(r.code).toBe(1);
  });

  it("runs Cedar test files and Writ test files of one folder together", async () => {
    const dir = project({
      "policies.cedar": POLICIES,
      "entities.json": ENTITIES,
      "cedar.json": JSON.stringify({ policies: "policies.cedar", entities: "entities.json", requests: [{ description: "alice", ...req("alice"), decision: "allow", reason: ["readers"], errors: [] }] }),
      "writ.writ-test.json": testFile([{ description: "bob", ...req("bob"), expect: { decision: "deny" } }]),
      "other.json": JSON.stringify({ unrelated: true }),
    });
    const r = await writ(["test", dir]);
    expect(r.stdout.trimEnd()).toBe("2 passed, 0 failed");
  });

  it("detects a Writ test file by its `writ-test` key whatever its name", async () => {
    expect(isWritTestFile("/x/tests.json", { "writ-test": 1 })).toBe(true);
    expect(isWritTestFile("/x/a.writ-test.json", {})).toBe(true);
    expect(isWritTestFile("/x/tests.json", { policies: "p", requests: [] })).toBe(false);
    const dir = project({
      "policies.cedar": POLICIES,
      "entities.json": ENTITIES,
      "cases.json": testFile([{ description: "bob", ...req("bob"), expect: { decision: "deny" } }]),
    });
    expect((await writ(["test", dir])).stdout.trimEnd()).toBe("1 passed, 0 failed");
  });

  it("validates the policies and the requests against the schema when one is given", async () => {
    const schema = `entity User = { role: String, banned: Bool };\nentity Doc;\naction read appliesTo { principal: [User], resource: [Doc] };\n`;
    const good = { "policies.cedar": POLICIES, "schema.cedarschema": schema, "entities.json": JSON.stringify(JSON.parse(ENTITIES).filter((e: { uid: { id: string } }) => e.uid.id !== "carol")) };
    const ok = project({ ...good, "t.writ-test.json": testFile([{ description: "alice", ...req("alice"), expect: { decision: "allow" } }], { schema: "schema.cedarschema" }) });
    expect((await writ(["test", ok])).stdout.trimEnd()).toBe("1 passed, 0 failed");
    const badReq = project({
      ...good,
      "t.writ-test.json": testFile([{ description: "bad action", ...req("alice"), action: { type: "Action", id: "write" }, expect: { decision: "deny" } }], { schema: "schema.cedarschema" }),
    });
    const r1 = await writ(["test", badReq]);
    expect(r1.stdout).toMatch(/FAIL .*"bad action": invalid request: /);
    const badPolicies = project({
      ...good,
      "policies.cedar": `permit (principal, action, resource) when { principal.age > 3 };`,
      "t.writ-test.json": testFile(
        [
          { description: "a", ...req("alice"), expect: { decision: "allow" } },
          { description: "b", ...req("bob"), expect: { decision: "deny" } },
        ],
        { schema: "schema.cedarschema" },
      ),
    });
    const r2 = await writ(["test", badPolicies]);
    expect(r2.stdout).toMatch(/do not validate against the schema: .*policies\.cedar:1:\d+: error W3/);
    expect(r2.stdout.trimEnd().split("\n").pop()).toBe("0 passed, 2 failed");
  });

  it("accepts a list of policy files, naming unnamed policies across them in order", async () => {
    const dir = project({
      "a.cedar": `permit (principal, action, resource) when { principal.role == "reader" };`,
      "b.cedar": `forbid (principal, action, resource) when { principal.banned };`,
      "entities.json": ENTITIES,
      "t.writ-test.json": JSON.stringify({
        "writ-test": 1,
        policies: ["a.cedar", "b.cedar"],
        entities: "entities.json",
        cases: [
          { description: "alice", ...req("alice"), expect: { decision: "allow", reasons: ["policy0"] } },
          { description: "bob", ...req("bob"), expect: { decision: "deny", reasons: ["policy1"] } },
        ],
      }),
    });
    expect((await writ(["test", dir])).stdout.trimEnd()).toBe("2 passed, 0 failed");
  });

  it("checks obligations, shadow results and lineage of Writ policies; cedar semantics rejects them", async () => {
    const u = { principal: { type: "User", id: "u1" }, action: { type: "Action", id: "call" }, resource: { type: "Tool", id: "t" } };
    const ancestor = { principal: { type: "User", id: "u0" }, action: { type: "Action", id: "call" }, resource: { type: "Tool", id: "t" }, decision: "allow", bundleId: "sha256:00", node: "n1" };
    const dir = project({
      "schema.cedarschema": `entity User = { level: Long };\nentity Tool;\naction call appliesTo { principal: [User], resource: [Tool] };\nobligation require_approval: Bool;\nobligation notify: Set<String>;\nobligation max_cost: Long;\n`,
      "policies.cedar": `@id("basic")
permit (principal, action, resource) obligations { notify: ["#ops"], max_cost: 100 };
@id("deep")
permit (principal, action, resource) when { lineage.depth > 0 && lineage.ancestors.any(x, x.decision == "allow") }
obligations { require_approval: true, notify: ["#sec"], max_cost: 50 };
@id("shadow-deny")
@mode("shadow")
forbid (principal, action, resource) when { principal.level < 2 };
`,
      "entities.json": JSON.stringify([
        { uid: { type: "User", id: "u1" }, attrs: { level: 1 }, parents: [] },
        { uid: { type: "Tool", id: "t" }, attrs: {}, parents: [] },
      ]),
      "gov.writ-test.json": JSON.stringify({
        "writ-test": 1,
        policies: "policies.cedar",
        schema: "schema.cedarschema",
        entities: "entities.json",
        cases: [
          { description: "no lineage", ...u, expect: { decision: "allow", reasons: ["basic"], obligations: { notify: ["#ops"], max_cost: 100 }, errors: 0, shadow: ["shadow-deny"] } },
          {
            description: "nested",
            ...u,
            lineage: { depth: 1, ancestors: [ancestor] },
            expect: { decision: "allow", reasons: ["basic", "deep"], obligations: { notify: ["#sec", "#ops"], max_cost: 50, require_approval: true }, shadow: [{ name: "shadow-deny", satisfied: true, effect: "forbid" }] },
          },
          { description: "wrong obligations", ...u, expect: { decision: "allow", obligations: { notify: ["#ops"], max_cost: 50 } } },
          { description: "bad lineage", ...u, lineage: { depth: 1, ancestors: [{ node: "n" }] }, expect: { decision: "allow" } },
        ],
      }),
    });
    const r = await writ(["test", dir]);
    expect(r.stdout).toMatch(/FAIL .*"wrong obligations": expected obligations \{"max_cost":50,"notify":\["#ops"\]\}, got \{"max_cost":100,"notify":\["#ops"\]\}/);
    expect(r.stdout).toMatch(/FAIL .*"bad lineage": invalid request: .*W5004.*lineage/);
    expect(r.stdout.trimEnd().split("\n").pop()).toBe("2 passed, 2 failed");
    const c = await writ(["test", dir, "--semantics", "cedar"]);
    expect(c.stdout).toMatch(/compile: .*W6001/);
    expect(c.stdout.trimEnd().split("\n").pop()).toBe("0 passed, 4 failed");
  });

  it("runs the agent-tools example's Writ test file", async () => {
    const r = await writ(["test", join(ROOT, "examples", "agent-tools", "agent-tools.writ-test.json")]);
    expect(r.stdout.trimEnd()).toBe("6 passed, 0 failed");
    expect(r.code).toBe(0);
  });
});

describe("malformed Writ test files", () => {
  const cases: [string, unknown, RegExp][] = [
    ["wrong version", { "writ-test": 2, policies: "policies.cedar", cases: [] }, /`"writ-test"` must be 1/],
    ["unknown top-level field", { "writ-test": 1, policies: "policies.cedar", cases: [], requests: [] }, /unknown field `requests`/],
    ["missing policies file", { "writ-test": 1, policies: "nope.cedar", cases: [] }, /`policies`: cannot find `nope\.cedar`/],
    ["bad semantics", { "writ-test": 1, policies: "policies.cedar", semantics: "strict", cases: [] }, /`semantics` must be "fail-closed" or "cedar"/],
    ["cases not an array", { "writ-test": 1, policies: "policies.cedar", cases: {} }, /`cases` must be an array/],
    ["no expect", { "writ-test": 1, policies: "policies.cedar", cases: [{ description: "x", ...req("alice") }] }, /case "x": `expect` must be an object/],
    ["bad decision", { "writ-test": 1, policies: "policies.cedar", cases: [{ description: "x", ...req("alice"), expect: { decision: "permit" } }] }, /`expect.decision` must be "allow" or "deny"/],
    ["bad errors", { "writ-test": 1, policies: "policies.cedar", cases: [{ description: "x", ...req("alice"), expect: { decision: "allow", errors: -1 } }] }, /`expect.errors` must be a count/],
    ["unknown expect field", { "writ-test": 1, policies: "policies.cedar", cases: [{ description: "x", ...req("alice"), expect: { decision: "allow", reason: [] } }] }, /unknown field `expect.reason`/],
    ["missing principal", { "writ-test": 1, policies: "policies.cedar", cases: [{ description: "x", action: {}, resource: {}, expect: { decision: "allow" } }] }, /`principal` is missing/],
  ];
  for (const [what, json, pattern] of cases) {
    it(`${what}: one failing case with a W5007 line naming the file`, async () => {
      const dir = project({ "policies.cedar": POLICIES, "t.writ-test.json": JSON.stringify(json, null, 2) });
      const r = await writ(["test", dir]);
      const lines = r.stdout.trimEnd().split("\n");
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^FAIL .*t\.writ-test\.json(:\d+:\d+)?: error W5007: /);
      expect(lines[0]).toMatch(pattern);
      expect(lines[1]).toBe("0 passed, 1 failed");
      expect(r.code).toBe(1);
    });
  }

  it("a malformed JSON Writ test file is a failure with its position", async () => {
    const dir = project({ "t.writ-test.json": '{ "writ-test": 1,\n  "cases": [ }' });
    const r = await writ(["test", dir]);
    expect(r.stdout).toMatch(/FAIL .*t\.writ-test\.json:2:\d+: error W5002: malformed JSON/);
    expect(r.code).toBe(1);
  });
});

describe("arbitrary Writ test files", () => {
  it("always: exit 0 or 1, never an internal error, and the summary line is last", async () => {
    const dir = project({ "policies.cedar": POLICIES, "entities.json": ENTITIES });
    const base = JSON.parse(testFile([{ description: "alice", ...req("alice"), expect: { decision: "allow" } }])) as Record<string, unknown>;
    const keys = ["writ-test", "policies", "entities", "schema", "semantics", "cases", "extra"];
    let i = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 3 }), fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }), async (key, value, caseExpect) => {
        const json: Record<string, unknown> = { ...base, [key]: value };
        if (caseExpect !== undefined) json["cases"] = [{ description: "c", ...req("alice"), expect: caseExpect }];
        const file = join(dir, `f${i++}.writ-test.json`);
        writeFileSync(file, JSON.stringify(json));
        const r = await writ(["test", file]);
        expect([0, 1]).toContain(r.code);
        expect(r.stdout).not.toMatch(/internal error/);
        const summary = r.stdout.trimEnd().split("\n").pop();
        expect(summary).toMatch(/^\d+ passed, \d+ failed$/);
        // A run that found no case at all is a failure with one W5021 line, never a silent pass.
        if (summary === "0 passed, 0 failed") {
          expect(r.stderr).toMatch(/^writ: error W5021: no tests found in .*\n$/);
          expect(r.code).toBe(1);
        } else expect(r.stderr).toBe("");
      }),
      { numRuns: 150 },
    );
  });
});

function decision(parts: Partial<Decision> & Record<string, unknown>): Decision {
  return { decision: "allow", reasons: [], errors: [], ...parts } as Decision;
}

describe("compareDecision", () => {
  it("compares obligations as canonical JSON: key order and set order do not matter, values do", () => {
    const d = decision({ obligations: { notify: ["#ops", "#sec"], require_approval: true, max_cost: { __extn: { fn: "decimal", arg: "10.0000" } } } });
    const same: WritExpectation = { decision: "allow", obligations: { require_approval: true, max_cost: { __extn: { arg: "10.0000", fn: "decimal" } }, notify: ["#sec", "#ops"] } };
    expect(compareDecision(same, d)).toEqual([]);
    expect(compareDecision({ decision: "allow", obligations: { require_approval: false, max_cost: { __extn: { arg: "10.0000", fn: "decimal" } }, notify: ["#sec", "#ops"] } }, d)).toHaveLength(1);
    expect(compareDecision({ decision: "allow", obligations: { require_approval: true } }, d)[0]).toMatch(/^expected obligations /);
    expect(compareDecision({ decision: "allow", obligations: {} }, decision({}))).toEqual([]);
    expect(compareDecision({ decision: "allow", obligations: { a: 1 } }, decision({}))[0]).toMatch(/carry no `obligations`/);
  });

  it("integers compare exactly whether they were read as number or bigint", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (n) => {
        const asNumber = n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
        expect(canonicalObligationText({ max: asNumber })).toBe(canonicalObligationText({ max: n }));
        expect(canonicalObligationText({ max: n })).not.toBe(canonicalObligationText({ max: n + 1n }));
      }),
    );
  });

  it("compares errors as a count or as a set of names, and reasons as a set", () => {
    const d = decision({ decision: "deny", reasons: ["a", "b"], errors: [{ policy: "p", code: "W4001", message: "m" }] });
    expect(compareDecision({ decision: "deny", reasons: ["b", "a", "a"], errors: 1 }, d)).toEqual([]);
    expect(compareDecision({ decision: "deny", errors: ["p"] }, d)).toEqual([]);
    expect(compareDecision({ decision: "deny", errors: ["q"] }, d)[0]).toMatch(/expected erroring policies \[q\], got \[p\] \(p: W4001 m\)/);
    expect(compareDecision({ decision: "deny", reasons: ["a"] }, d)).toHaveLength(1);
  });

  it("checks shadow results by satisfied names or per policy", () => {
    const d = decision({
      shadow: [
        { name: "s1", effect: "forbid", satisfied: true },
        { name: "s2", effect: "permit", satisfied: false },
        { name: "s3", effect: "permit", satisfied: false, error: "W4001: boom" },
      ],
    });
    expect(compareDecision({ decision: "allow", shadow: ["s1"] }, d)).toEqual([]);
    expect(compareDecision({ decision: "allow", shadow: ["s1", "s2"] }, d)).toHaveLength(1);
    expect(compareDecision({ decision: "allow", shadow: [{ name: "s1", satisfied: true, effect: "forbid" }, { name: "s3", error: true }, { name: "s2", error: false }] }, d)).toEqual([]);
    expect(compareDecision({ decision: "allow", shadow: [{ name: "s1", effect: "permit" }] }, d)).toHaveLength(1);
    expect(compareDecision({ decision: "allow", shadow: [{ name: "s2", satisfied: true }] }, d)).toHaveLength(1);
    expect(compareDecision({ decision: "allow", shadow: [] }, decision({}))[0]).toMatch(/report no `shadow`/);
  });
});
