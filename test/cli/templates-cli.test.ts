/**
 * Templates and Cedar's JSON forms on the command line (issue 15): `writ link`, `--links` on
 * check / eval / compile, `writ check` on templates, `.json` policy sets and schemas in every
 * command, and `writ fmt --to` both ways with the same names and ids. Bad input is one line,
 * a non-zero exit, no stack trace.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let dir = "";

function writ(...args: string[]): Run {
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "writ.js"), ...args], { cwd: dir, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function oneLineError(r: Run, pattern: RegExp): void {
  expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
  expect(r.code).toBe(2);
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

const SCHEMA = `entity User in [Team];
entity Team;
entity Doc in [Folder] { owner: User };
entity Folder;
action view, edit appliesTo { principal: User, resource: [Doc, Folder] };
`;
const POLICIES = `// sharing
@id("share")
permit (principal == ?principal, action == Action::"view", resource in ?resource);

@id("owner")
permit (principal, action, resource is Doc) when { resource.owner == principal };

@id("no-edit")
forbid (principal in ?principal, action == Action::"edit", resource);
`;
const ENTITIES = JSON.stringify([
  { uid: { type: "Doc", id: "d1" }, attrs: { owner: { __entity: { type: "User", id: "bob" } } }, parents: [{ type: "Folder", id: "f1" }] },
  { uid: { type: "User", id: "alice" }, attrs: {}, parents: [{ type: "Team", id: "staff" }] },
]);
const request = (action: string): string => JSON.stringify({ principal: { type: "User", id: "alice" }, action: { type: "Action", id: action }, resource: { type: "Doc", id: "d1" }, context: {} });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "writ-templates-"));
  writeFileSync(join(dir, "s.cedarschema"), SCHEMA);
  writeFileSync(join(dir, "p.cedar"), POLICIES);
  writeFileSync(join(dir, "e.json"), ENTITIES);
  writeFileSync(join(dir, "view.json"), request("view"));
  writeFileSync(join(dir, "edit.json"), request("edit"));
});

afterAll(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

describe("writ link and --links", () => {
  it("writ check reports unlinked templates as templates, not as ok policies", () => {
    const r = writ("check", "p.cedar", "--schema", "s.cedarschema");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/info W3030: template `share` has no link/);
    expect(r.stdout).toMatch(/info W3030: template `no-edit` has no link/);
    expect(r.stdout).toContain("ok: 1 policy, 2 templates (0 links) in 1 file validated");
    const j = JSON.parse(writ("check", "p.cedar", "--format", "json").stdout) as Record<string, unknown>;
    expect(j).toMatchObject({ ok: true, policies: 1, templates: 2, links: 0 });
  });

  it("adds checked links to a links file and prints the template and link ids", () => {
    const r = writ("link", "share", "--id", "alice-f1", "--slot", '?principal=User::"alice"', "--slot", '?resource=Folder::"f1"', "--policies", "p.cedar", "--links", "links.json", "--schema", "s.cedarschema");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^linked alice-f1: template share \(sha256:[0-9a-f]{64}\) with \?principal=User::"alice", \?resource=Folder::"f1"\nlink sha256:[0-9a-f]{64}\nwrote links.json: 1 link\n$/);
    const j = writ("link", "no-edit", "--id", "no-edit-staff", "--slot", '?principal={"type": "Team", "id": "staff"}', "--policies", "p.cedar", "--links", "links.json", "--json");
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ name: "no-edit-staff", template: "no-edit", values: { "?principal": { type: "Team", id: "staff" } } });
    expect(JSON.parse(readFileSync(join(dir, "links.json"), "utf8"))).toEqual([
      { templateId: "share", newId: "alice-f1", values: { "?principal": { type: "User", id: "alice" }, "?resource": { type: "Folder", id: "f1" } } },
      { templateId: "no-edit", newId: "no-edit-staff", values: { "?principal": { type: "Team", id: "staff" } } },
    ]);
    const check = writ("check", "p.cedar", "--schema", "s.cedarschema", "--links", "links.json");
    expect(check.stdout).not.toContain("W3030");
    expect(check.stdout).toContain("ok: 1 policy, 2 templates (2 links) in 1 file validated");
  });

  it("refuses bad links with one line, leaving the links file as it was", () => {
    const before = readFileSync(join(dir, "links.json"), "utf8");
    const link = (...args: string[]): Run => writ("link", ...args, "--policies", "p.cedar", "--links", "links.json", "--schema", "s.cedarschema");
    oneLineError(link("shar", "--id", "x", "--slot", '?principal=User::"a"'), /^links\.json: error W3031: link `x`: no template is named `shar` \(did you mean `share`\?\)$/);
    oneLineError(link("owner", "--id", "x", "--slot", '?principal=User::"a"'), /W3031: link `x`: `owner` is a static policy, not a template/);
    oneLineError(link("share", "--id", "x", "--slot", '?principal=User::"a"'), /W3031: link `x` of template `share`: no value for `\?resource`/);
    oneLineError(link("no-edit", "--id", "x", "--slot", '?principal=Teem::"a"'), /W3001: link `x` of template `no-edit`: unknown entity type `Teem`/);
    oneLineError(link("no-edit", "--id", "alice-f1", "--slot", '?principal=Team::"a"'), /W1041: link `alice-f1`/);
    oneLineError(link("no-edit", "--id", "x", "--slot", "?principal=Team"), /W5008: invalid --slot \?principal: expected an entity such as User::"alice"/);
    oneLineError(link("no-edit", "--id", "x", "--slot", '?actor=Team::"a"'), /W5008: invalid --slot/);
    expect(readFileSync(join(dir, "links.json"), "utf8")).toBe(before);
  });

  it("eval and compile apply the links; reasons and decision records name the link", () => {
    const view = writ("eval", "--policies", "p.cedar", "--schema", "s.cedarschema", "--links", "links.json", "--entities", "e.json", "--request", "view.json");
    expect(view.stdout).toBe("decision: allow\nreasons: alice-f1\nerrors: (none)\n");
    const unlinked = writ("eval", "--policies", "p.cedar", "--schema", "s.cedarschema", "--entities", "e.json", "--request", "edit.json");
    expect(unlinked.stdout).toBe("decision: deny\nreasons: (none)\nerrors: (none)\n");
    const edit = writ("eval", "--policies", "p.cedar", "--links", "links.json", "--entities", "e.json", "--request", "edit.json");
    expect(edit.stdout).toContain("reasons: no-edit-staff");
    const c = writ("compile", "p.cedar", "--schema", "s.cedarschema", "--links", "links.json", "-o", "b.json", "--json");
    expect(c.code).toBe(0);
    const summary = JSON.parse(c.stdout) as { templates: { name: string }[]; links: { name: string; id: string }[] };
    expect(summary.templates.map((t) => t.name).sort()).toEqual(["no-edit", "share"]);
    const record = JSON.parse(writ("eval", "--bundle", "b.json", "--entities", "e.json", "--request", "view.json", "--json").stdout) as { reasons: { name: string; policyId: string }[] };
    expect(record.reasons).toEqual([{ name: "alice-f1", policyId: summary.links.find((l) => l.name === "alice-f1")!.id }]);
  });

  it("writ diff reports added links and templates like policies", () => {
    writeFileSync(join(dir, "one-link.json"), JSON.stringify(JSON.parse(readFileSync(join(dir, "links.json"), "utf8")).slice(0, 1)));
    expect(writ("compile", "p.cedar", "--schema", "s.cedarschema", "--links", "one-link.json", "-o", "b1.json").code).toBe(0);
    expect(writ("compile", "p.cedar", "--schema", "s.cedarschema", "--links", "links.json", "-o", "b2.json").code).toBe(0);
    const d = writ("diff", "b1.json", "b2.json");
    expect(d.code).toBe(1);
    expect(d.stdout).toMatch(/^\+ no-edit-staff sha256:[0-9a-f]{64}$/m);
    expect(d.stdout).toContain("1 added, 0 removed, 0 changed, 4 unchanged");
  });

  it("a broken links file is one line naming it", () => {
    writeFileSync(join(dir, "bad-links.json"), '[{"templateId": "share", "newId": "x"}]');
    oneLineError(writ("eval", "--policies", "p.cedar", "--links", "bad-links.json", "--entities", "e.json", "--request", "view.json"), /^bad-links\.json:1:\d+: error W1040: \/0: missing `values`$/);
    writeFileSync(join(dir, "bad-links2.json"), "[{");
    oneLineError(writ("check", "p.cedar", "--links", "bad-links2.json"), /^bad-links2\.json:1:3: error W5002: malformed JSON/);
  });
});

describe("Cedar's JSON forms", () => {
  it("fmt --to json / --to cedar keeps every name and id, and the bundle id", () => {
    const toJson = writ("fmt", "--to", "json", "p.cedar", "--links", "links.json", "-o", "p.json");
    expect(toJson.code).toBe(0);
    expect(toJson.stderr).toBe("wrote p.json: 1 policy, 2 templates, 2 links\n");
    const j = JSON.parse(readFileSync(join(dir, "p.json"), "utf8")) as Record<string, Record<string, unknown>>;
    expect(Object.keys(j["staticPolicies"]!)).toEqual(["owner"]);
    expect(Object.keys(j["templates"]!)).toEqual(["share", "no-edit"]);
    const fromText = JSON.parse(writ("compile", "p.cedar", "--schema", "s.cedarschema", "--links", "links.json", "--json").stdout) as unknown;
    const fromJson = JSON.parse(writ("compile", "p.json", "--schema", "s.cedarschema", "--json").stdout) as unknown;
    expect(fromJson).toEqual(fromText);
    const back = writ("fmt", "--to", "cedar", "p.json", "--links", "back-links.json", "-o", "back.cedar");
    expect(back.code).toBe(0);
    const again = JSON.parse(writ("compile", "back.cedar", "--schema", "s.cedarschema", "--links", "back-links.json", "--json").stdout) as unknown;
    expect(again).toEqual(fromText);
    oneLineError(writ("fmt", "--to", "cedar", "p.json"), /W5008: this policy set has 2 template link\(s\)/);
  });

  it("writ link over a JSON policy set: its own links count for names, and only new links go to the links file", () => {
    oneLineError(writ("link", "no-edit", "--id", "alice-f1", "--slot", '?principal=Team::"x"', "--policies", "p.json", "--links", "extra.json"), /W1041: link `alice-f1`/);
    const r = writ("link", "no-edit", "--id", "no-edit-x", "--slot", '?principal=Team::"x"', "--policies", "p.json", "--links", "extra.json");
    expect(r.code).toBe(0);
    expect((JSON.parse(readFileSync(join(dir, "extra.json"), "utf8")) as { newId: string }[]).map((l) => l.newId)).toEqual(["no-edit-x"]);
  });

  it("fmt --to json / --to cedarschema converts schemas with the same schema id, and every command takes a JSON schema", () => {
    const a = writ("fmt", "--to", "json", "s.cedarschema", "-o", "s.json");
    expect(a.code).toBe(0);
    const b = writ("fmt", "--to", "cedarschema", "s.json", "-o", "s2.cedarschema");
    const id = /schema (sha256:[0-9a-f]{64})/.exec(a.stderr)![1];
    expect(b.stderr).toContain(`schema ${id}`);
    expect(writ("check", "p.json", "--schema", "s.json").stdout).toContain("ok: 1 policy, 2 templates (2 links) in 1 file validated");
    const viaJson = JSON.parse(writ("compile", "p.json", "--schema", "s.json", "--json").stdout) as { bundleId: string };
    const viaText = JSON.parse(writ("compile", "p.cedar", "--schema", "s2.cedarschema", "--links", "links.json", "--json").stdout) as { bundleId: string };
    expect(viaJson.bundleId).toBe(viaText.bundleId);
    expect(writ("eval", "--policies", "p.json", "--schema", "s.json", "--entities", "e.json", "--request", "view.json").stdout).toContain("reasons: alice-f1");
  });

  it("points JSON policy problems at the policy's key, and refuses conversions that make no sense", () => {
    writeFileSync(join(dir, "v.json"), `{"staticPolicies": {\n  "x": {"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"},\n    "conditions": [{"kind": "when", "body": {".": {"left": {"Var": "principal"}, "attr": "nope"}}}]}}}\n`);
    const r = writ("check", "v.json", "--schema", "s.cedarschema");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^v\.json:2:3: error W3003: attribute `nope`/);
    oneLineError(writ("fmt", "--to", "json", "p.json"), /W5008: cannot convert this file to json: it is JSON already/);
    oneLineError(writ("fmt", "--to", "cedar", "s.cedarschema"), /W5008: cannot convert this file to cedar: it is not JSON/);
    oneLineError(writ("fmt", "--to", "json", "p.cedar", "s.cedarschema"), /W5008: --to converts one file at a time/);
    expect(existsSync(join(dir, "p.cedar"))).toBe(true);
  });
});
