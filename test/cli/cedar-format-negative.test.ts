/**
 * `writ test` on Cedar integration-test files must fail when an expectation is wrong — not
 * only the decision, but the determining policies (`reason`) and the erroring policies
 * (`errors`) too. Each case starts from a file that passes and changes one expectation.
 * Runs the CLI in process (from source, so it never tests a stale build).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryOutput } from "../../cli/io.js";
import { runCli } from "../../cli/main.js";

let tmp: string;

const POLICIES = `permit(principal, action == Action::"view", resource) when { resource.public };
forbid(principal, action, resource) when { resource.level > 3 };
permit(principal == User::"alice", action, resource);
`;
const SCHEMA = `entity User; entity Doc = { public: Bool, level: Long }; action view, edit appliesTo { principal: User, resource: Doc };`;
const ENTITIES = [
  { uid: { type: "Doc", id: "open" }, attrs: { public: true, level: 1 }, parents: [] },
  { uid: { type: "Doc", id: "secret" }, attrs: { public: true, level: 9 }, parents: [] },
];

/** A Cedar-format request over `User`/`Doc` with its expectation. */
function request(description: string, principal: string, action: string, resource: string, decision: "allow" | "deny", reason: string[], errors: string[]) {
  return { description, principal: { type: "User", id: principal }, action: { type: "Action", id: action }, resource: { type: "Doc", id: resource }, context: {}, decision, reason, errors };
}

/** Correct expectations (Cedar's answers for these policies). */
const ALICE_VIEWS_OPEN = request("alice views an open document", "alice", "view", "open", "allow", ["policy0", "policy2"], []);
/** The forbid errors: the document is missing from the store. */
const BOB_EDITS_MISSING = request("bob edits a document missing from the store", "bob", "edit", "missing", "deny", [], ["policy1"]);

function testFile(name: string, requests: readonly object[]): string {
  const path = join(tmp, name);
  writeFileSync(path, JSON.stringify({ policies: "policies.cedar", entities: "entities.json", schema: "schema.cedarschema", shouldValidate: true, requests }));
  return path;
}

async function run(path: string): Promise<{ code: number; out: string }> {
  const io = memoryOutput();
  const code = await runCli(["test", path, "--semantics", "cedar"], io);
  return { code, out: io.stdout() + io.stderr() };
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "writ-cedar-negative-"));
  writeFileSync(join(tmp, "policies.cedar"), POLICIES);
  writeFileSync(join(tmp, "schema.cedarschema"), SCHEMA);
  writeFileSync(join(tmp, "entities.json"), JSON.stringify(ENTITIES));
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe("writ test, Cedar format: wrong expectations fail", () => {
  it("the unchanged file passes (the control)", async () => {
    const r = await run(testFile("ok.json", [ALICE_VIEWS_OPEN, BOB_EDITS_MISSING]));
    expect(r.out).toContain("3 passed, 0 failed");
    expect(r.code).toBe(0);
  });

  const wrong: readonly [string, object][] = [
    ["a missing reason", { ...ALICE_VIEWS_OPEN, reason: ["policy0"] }],
    ["an extra reason", { ...ALICE_VIEWS_OPEN, reason: ["policy0", "policy1", "policy2"] }],
    ["another policy as the reason", { ...ALICE_VIEWS_OPEN, reason: ["policy0", "policy1"] }],
    ["no errors where one policy errors", { ...BOB_EDITS_MISSING, errors: [] }],
    ["the wrong erroring policy", { ...BOB_EDITS_MISSING, errors: ["policy0"] }],
    ["an extra erroring policy", { ...BOB_EDITS_MISSING, errors: ["policy1", "policy2"] }],
    ["an error where there is none", { ...ALICE_VIEWS_OPEN, errors: ["policy0"] }],
  ];

  it.each(wrong)("%s fails the case and the run", async (what, request) => {
    const r = await run(testFile(`wrong-${what.replace(/\W+/g, "-")}.json`, [request]));
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/FAIL/);
    expect(r.out).toMatch(/expected (reasons|erroring policies)/);
    expect(r.out).toContain("1 passed, 1 failed");
  });
});
