/**
 * The `writ` binary end to end: each command's success paths, and bad input
 * answered with a one-line error naming file (and position when one applies),
 * a non-zero exit and never a stack trace.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const DOC = join(ROOT, "examples", "doc-sharing");

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function writ(args: readonly string[], cwd: string = ROOT): Run {
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "writ.js"), ...args], { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function noStack(r: Run): void {
  expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).not.toMatch(/^\s+at /m);
}

/** Exactly one line on stderr, matching `pattern`; non-zero exit; no stack trace. */
function oneLineError(r: Run, pattern: RegExp): void {
  noStack(r);
  expect(r.code).not.toBe(0);
  expect(r.code).not.toBeNull();
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

let tmp: string;

function file(name: string, text: string): string {
  const p = join(tmp, name);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
}

const REQUEST_ALICE_VIEW = JSON.stringify({
  principal: { type: "DocShare::User", id: "alice" },
  action: { type: "DocShare::Action", id: "view" },
  resource: { type: "DocShare::Document", id: "q3-roadmap" },
  context: { mfa: true, sourceIp: "10.1.2.3" },
});
const REQUEST_CAROL_EDIT = JSON.stringify({
  principal: { type: "DocShare::User", id: "carol" },
  action: { type: "DocShare::Action", id: "edit" },
  resource: { type: "DocShare::Document", id: "q3-roadmap" },
  context: { mfa: true, sourceIp: "10.1.2.3" },
});

function evalArgs(request: string, extra: readonly string[] = []): string[] {
  return [
    "eval",
    "--policies",
    join(DOC, "policies.cedar"),
    "--schema",
    join(DOC, "schema.cedarschema"),
    "--entities",
    join(DOC, "entities.json"),
    "--request",
    request,
    ...extra,
  ];
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "writ-cli-"));
}, 180_000);

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe("usage", () => {
  it("prints help listing every command", () => {
    const r = writ(["--help"]);
    expect(r.code).toBe(0);
    for (const c of ["check", "eval", "fmt", "test", "demo"]) expect(r.stdout).toContain(c);
  });

  it("prints the package's version", () => {
    const r = writ(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe((JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version);
  });

  it("answers an unknown command with one W5008 line", () => {
    oneLineError(writ(["frobnicate"]), /^writ: error W5008: unknown command 'frobnicate'/);
  });

  it("answers an unknown option with one W5008 line", () => {
    oneLineError(writ(["check", "--bogus", "x.cedar"]), /^writ: error W5008: unknown option '--bogus'/);
  });

  it("answers a missing required option with one W5008 line", () => {
    oneLineError(writ(["eval", "--policies", "a.cedar"]), /^writ: error W5008: required option/);
  });

  it("rejects an unknown semantics mode", () => {
    oneLineError(writ(["test", "--semantics", "lenient", "examples"]), /^writ: error W5008: .*lenient/);
  });
});

describe("writ check", () => {
  it("accepts valid policies and reports the count", () => {
    const r = writ(["check", join(DOC, "policies.cedar"), "--schema", join(DOC, "schema.cedarschema")]);
    noStack(r);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok: 8 policies in 1 file validated\n$/);
  });

  it("prints syntax errors with file, position, source line and caret, and exits 1", () => {
    const p = file("bad-syntax.cedar", "permit (principal, action, resource)\nwhen { principal.x == };\n");
    const r = writ(["check", p]);
    noStack(r);
    expect(r.code).toBe(1);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(/bad-syntax\.cedar:2:\d+: error W1\d{3}: /);
    expect(lines[1]).toContain("when { principal.x == };");
    expect(lines[2]).toMatch(/^\s+\^+$/);
  });

  it("reports validation errors against the schema with a did-you-mean", () => {
    const p = file("bad-attr.cedar", 'permit (principal, action, resource is DocShare::Document)\nwhen { resource.ownr == principal };\n');
    const r = writ(["check", p, "--schema", join(DOC, "schema.cedarschema")]);
    noStack(r);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/bad-attr\.cedar:2:\d+: error W3\d{3}: /);
    expect(r.stdout).toContain("owner");
  });

  it("emits JSON diagnostics with --format json", () => {
    const p = file("bad-json-format.cedar", "permit (principal, action, resource)\nwhen { principal.x == };\n");
    const r = writ(["check", p, "--format", "json"]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { ok: boolean; errors: number; diagnostics: { code: string; line: number; file: string }[] };
    expect(out.ok).toBe(false);
    expect(out.errors).toBeGreaterThan(0);
    expect(out.diagnostics[0]!.code).toMatch(/^W1\d{3}$/);
    expect(out.diagnostics[0]!.line).toBe(2);
    expect(out.diagnostics[0]!.file).toContain("bad-json-format.cedar");
  });

  it("emits GitHub Actions annotations with --format github", () => {
    const p = file("bad-gh.cedar", 'permit (principal, action, resource is DocShare::Document)\nwhen { resource.ownr == principal };\n');
    const r = writ(["check", p, "--schema", join(DOC, "schema.cedarschema"), "--format", "github"]);
    expect(r.code).toBe(1);
    expect(r.stdout.split("\n")[0]).toMatch(/^::error file=[^,]*bad-gh\.cedar,line=2,col=\d+,endLine=2,endColumn=\d+,title=W3003::.*owner/);
  });

  it("answers a missing policy file with one W5001 line naming it", () => {
    oneLineError(writ(["check", "no-such-file.cedar"]), /^no-such-file\.cedar: error W5001: cannot read file/);
  });

  it("answers a missing schema file with one W5001 line naming it", () => {
    oneLineError(writ(["check", join(DOC, "policies.cedar"), "--schema", "nope.cedarschema"]), /^nope\.cedarschema: error W5001: /);
  });
});

describe("writ eval", () => {
  it("prints an allow with its reasons (exit 0)", () => {
    const r = writ(evalArgs(file("req-allow.json", REQUEST_ALICE_VIEW)));
    noStack(r);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("decision: allow");
    expect(r.stdout).toMatch(/reasons: .*owner-full-access/);
    expect(r.stdout).toContain("errors: (none)");
  });

  it("prints a deny and still exits 0", () => {
    const r = writ(evalArgs(file("req-deny.json", REQUEST_CAROL_EDIT)));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("decision: deny");
  });

  it("prints JSON with --json", () => {
    const r = writ(evalArgs(file("req-json.json", REQUEST_ALICE_VIEW), ["--json", "--semantics", "cedar"]));
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout) as { decision: string; reasons: string[]; errors: unknown[] };
    expect(d.decision).toBe("allow");
    expect([...d.reasons].sort()).toEqual(["design-team-folder", "owner-full-access"]);
    expect(d.errors).toEqual([]);
  });

  it("lists an erroring forbid in both semantics: fail-closed denies, cedar skips it", () => {
    const pol = file("erroring.cedar", 'permit (principal, action, resource);\n@id("needs-clearance")\nforbid (principal, action, resource) when { principal.clearance < 3 };\n');
    const ents = file("no-entities.json", "[]");
    const req = file("req-err.json", JSON.stringify({ principal: { type: "User", id: "a" }, action: { type: "Action", id: "read" }, resource: { type: "Doc", id: "d" }, context: {} }));
    const base = ["eval", "--policies", pol, "--entities", ents, "--request", req, "--json"];
    const closed = writ(base);
    const cedar = writ([...base, "--semantics", "cedar"]);
    expect(closed.code).toBe(0);
    expect(cedar.code).toBe(0);
    const dc = JSON.parse(closed.stdout) as { decision: string; errors: { policy: string; code: string }[] };
    const dd = JSON.parse(cedar.stdout) as { decision: string; reasons: string[]; errors: { policy: string; code: string }[] };
    expect(dc.decision).toBe("deny");
    expect(dd.decision).toBe("allow");
    expect(dd.reasons).toEqual(["policy0"]);
    expect(dc.errors.map((e) => e.policy)).toEqual(["needs-clearance"]);
    expect(dd.errors.map((e) => e.policy)).toEqual(["needs-clearance"]);
    expect(dc.errors[0]!.code).toMatch(/^W4\d{3}$/);
    const text = writ(base.filter((a) => a !== "--json"));
    expect(text.stdout).toMatch(/^decision: deny\nreasons: \(none\)\nerrors:\n  needs-clearance: W4\d{3}: /);
  });

  it("answers malformed entities JSON with file:line:col W5002", () => {
    const ents = file("bad-entities.json", '[\n  {"uid": {"type": "DocShare::Team", "id": "x"}, "attrs": {}, "parents": []},\n]\n');
    const args = evalArgs(file("req-1.json", REQUEST_ALICE_VIEW));
    args[args.indexOf("--entities") + 1] = ents;
    oneLineError(writ(args), /bad-entities\.json:3:1: error W5002: malformed JSON/);
  });

  it("answers an unparsable policy with file:line:col and the syntax error", () => {
    const pol = file("eval-bad.cedar", "permit (principal, action, resource)\nwhen { 1 + };\n");
    const args = evalArgs(file("req-2.json", REQUEST_ALICE_VIEW));
    args[args.indexOf("--policies") + 1] = pol;
    oneLineError(writ(args), /eval-bad\.cedar:2:\d+: error W1\d{3}: /);
  });

  it("answers a malformed request with W5004 naming the file", () => {
    const r = writ(evalArgs(file("req-bad.json", '{"principal": 3, "action": {"type": "DocShare::Action", "id": "view"}, "resource": {"type": "DocShare::Document", "id": "x"}}')));
    oneLineError(r, /req-bad\.json: error W5004: .*principal/);
  });

  it("answers a request that does not match the schema's context with a W5xxx line", () => {
    const r = writ(evalArgs(file("req-ctx.json", JSON.stringify({ ...JSON.parse(REQUEST_ALICE_VIEW), context: { mfa: "yes", sourceIp: "10.1.2.3" } }))));
    noStack(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/req-ctx\.json: error W500\d: /);
  });

  it("answers an oversized input with W5005", () => {
    const big = join(tmp, "huge.json");
    writeFileSync(big, `[${" ".repeat(10 * 1024 * 1024)}]`);
    const args = evalArgs(file("req-3.json", REQUEST_ALICE_VIEW));
    args[args.indexOf("--entities") + 1] = big;
    oneLineError(writ(args), /huge\.json: error W5005: input too large/);
  });

  it("answers a missing request file with W5001", () => {
    oneLineError(writ(evalArgs(join(tmp, "absent.json"))), /absent\.json: error W5001: cannot read file/);
  });
});

describe("writ fmt", () => {
  it("--check lists an unformatted file and exits 1; fmt rewrites it; then --check passes", () => {
    const p = file("fmt/messy.cedar", '@id("a")   permit(principal,action,resource) when {principal==resource};\n');
    const before = readFileSync(p, "utf8");
    const check1 = writ(["fmt", "--check", p]);
    noStack(check1);
    expect(check1.code).toBe(1);
    expect(check1.stdout).toContain("messy.cedar");
    expect(readFileSync(p, "utf8")).toBe(before);
    const fmt = writ(["fmt", p]);
    expect(fmt.code).toBe(0);
    const after = readFileSync(p, "utf8");
    expect(after).not.toBe(before);
    const check2 = writ(["fmt", "--check", p]);
    expect(check2.code).toBe(0);
    expect(check2.stdout).toBe("");
    writ(["fmt", p]);
    expect(readFileSync(p, "utf8")).toBe(after);
  });

  it("formats schema files too", () => {
    const p = file("fmt/s.cedarschema", "entity User={name:String};action view appliesTo{principal:User,resource:User};\n");
    const r = writ(["fmt", p]);
    expect(r.code).toBe(0);
    expect(readFileSync(p, "utf8")).not.toBe("entity User={name:String};action view appliesTo{principal:User,resource:User};\n");
    expect(writ(["fmt", "--check", p]).code).toBe(0);
  });

  it("answers an unparsable file with a one-line error and leaves it untouched", () => {
    const p = file("fmt/broken.cedar", "permit (principal, action, resource\n");
    oneLineError(writ(["fmt", p]), /broken\.cedar:\d+:\d+: error W1\d{3}: /);
    expect(readFileSync(p, "utf8")).toBe("permit (principal, action, resource\n");
  });

  it("refuses files it cannot format", () => {
    oneLineError(writ(["fmt", file("fmt/notes.txt", "hello")]), /notes\.txt: error W5008: /);
  });
});

describe("writ test", () => {
  it("passes the examples and ends with the summary line", () => {
    const r = writ(["test", "examples"]);
    noStack(r);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[lines.length - 1]).toMatch(/^[1-9]\d* passed, 0 failed$/);
  });

  it("reports a failing case with file and description, and exits 1", () => {
    const dir = join(tmp, "suite-fail");
    file("suite-fail/p.cedar", 'permit (principal == User::"a", action, resource);\n');
    file("suite-fail/e.entities.json", "[]");
    file("suite-fail/notes.json", '{"title": "not a test"}');
    file(
      "suite-fail/t.json",
      JSON.stringify({
        policies: "p.cedar",
        entities: "e.entities.json",
        requests: [
          { description: "a may act", principal: { type: "User", id: "a" }, action: { type: "Action", id: "x" }, resource: { type: "R", id: "r" }, context: {}, decision: "allow", reason: ["policy0"], errors: [] },
          { description: "b is wrongly expected to act", principal: { type: "User", id: "b" }, action: { type: "Action", id: "x" }, resource: { type: "R", id: "r" }, context: {}, decision: "allow", reason: ["policy0"], errors: [] },
        ],
      }),
    );
    const r = writ(["test", dir]);
    noStack(r);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL .*t\.json: "b is wrongly expected to act": expected allow, got deny/);
    expect(r.stdout).not.toContain("a may act");
    expect(r.stdout.trimEnd().split("\n").pop()).toBe("1 passed, 1 failed");
  });

  it("honours validateRequest: an ill-typed request fails unless validation is off", () => {
    const req = (validateRequest: boolean, description: string) => ({
      description,
      principal: { type: "DocShare::User", id: "carol" },
      action: { type: "DocShare::Action", id: "view" },
      resource: { type: "DocShare::Document", id: "handbook" },
      context: { mfa: "yes", sourceIp: "10.1.2.3" },
      validateRequest,
      decision: "allow",
      reason: ["public-documents"],
      errors: [],
    });
    const t = file(
      "suite-validate/t.json",
      JSON.stringify({
        policies: join(DOC, "policies.cedar"),
        entities: join(DOC, "entities.json"),
        schema: join(DOC, "schema.cedarschema"),
        shouldValidate: true,
        requests: [req(true, "validated request"), req(false, "unvalidated request")],
      }),
    );
    const r = writ(["test", t]);
    noStack(r);
    expect(r.stdout).toMatch(/FAIL .*t\.json: "validated request": invalid request: .*W5006/);
    expect(r.stdout).not.toContain("unvalidated request");
    expect(r.stdout.trimEnd().split("\n").pop()).toBe("2 passed, 1 failed");
    expect(r.code).toBe(1);
  });

  it("checks shouldValidate against the validator's verdict", () => {
    file("suite-sv/bad.cedar", "permit (principal, action, resource is DocShare::Document)\nwhen { resource.ownr == principal };\n");
    const spec = (shouldValidate: boolean) =>
      JSON.stringify({ policies: "bad.cedar", schema: join(DOC, "schema.cedarschema"), entities: join(DOC, "entities.json"), shouldValidate, requests: [] });
    file("suite-sv/expect-invalid.json", spec(false));
    file("suite-sv/expect-valid.json", spec(true));
    const r = writ(["test", join(tmp, "suite-sv")]);
    noStack(r);
    expect(r.stdout).toMatch(/FAIL .*expect-valid\.json: shouldValidate true: expected the policies to validate, but: .*W3003/);
    expect(r.stdout).not.toContain("expect-invalid.json");
    expect(r.stdout.trimEnd().split("\n").pop()).toBe("1 passed, 1 failed");
  });

  it("resolves paths against the nearest ancestor folder in which they exist", () => {
    file("suite-nested/data/p.cedar", "permit (principal, action, resource);\n");
    file(
      "suite-nested/cases/deep/t.json",
      JSON.stringify({
        policies: "data/p.cedar",
        requests: [{ description: "allowed", principal: { type: "U", id: "a" }, action: { type: "Action", id: "x" }, resource: { type: "R", id: "r" }, context: {}, decision: "Allow", reason: ["policy0"], errors: [] }],
      }),
    );
    const r = writ(["test", join(tmp, "suite-nested")]);
    noStack(r);
    expect(r.stdout.trimEnd().split("\n").pop()).toBe("1 passed, 0 failed");
    expect(r.code).toBe(0);
  });

  it("fails a test file whose referenced policy file exists nowhere", () => {
    const t = file("suite-missing/t.json", JSON.stringify({ policies: "nowhere-to-be-found.cedar", requests: [] }));
    const r = writ(["test", t]);
    noStack(r);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/t\.json:\d+:\d+: error W5007: .*nowhere-to-be-found\.cedar/);
    expect(r.stdout.trimEnd().split("\n").pop()).toBe("0 passed, 1 failed");
  });

  it("fails a malformed JSON test file met while walking a folder, with its position", () => {
    file("suite-broken/t.json", '{"policies": "p.cedar",\n "requests": [}\n');
    const r = writ(["test", join(tmp, "suite-broken")]);
    noStack(r);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/t\.json:2:\d+: error W5002: malformed JSON/);
  });

  it("answers a missing path with one W5001 line", () => {
    oneLineError(writ(["test", "no/such/dir"]), /^no\/such\/dir: error W5001: /);
  });
});

describe("writ demo", () => {
  it("works from any current directory and prints decisions with reasons", () => {
    const r = writ(["demo"], mkdtempSync(join(tmpdir(), "writ-demo-")));
    noStack(r);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("ALLOW");
    expect(r.stdout).toContain("DENY");
    expect(r.stdout).toMatch(/permitted by owner-full-access: Owners have full control/);
    expect(r.stdout).toMatch(/forbidden by suspended-accounts/);
    expect(r.stdout.trimEnd().split("\n").pop()).toMatch(/^[1-9]\d* passed, 0 failed$/);
  });
});
