/**
 * `writ compile`, `writ keygen` and `writ eval --bundle` end to end (over dist/, built by
 * `npm test` first): bundles written and signed, decision records printed, tampering,
 * missing signatures and rollbacks refused with one line and a non-zero exit.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const DOC = join(ROOT, "examples", "doc-sharing");
const POLICIES = join(DOC, "policies.cedar");
const SCHEMA = join(DOC, "schema.cedarschema");
const ENTITIES = join(DOC, "entities.json");
const REQUEST = join(DOC, "request.json");

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let tmp = "";

function writ(args: readonly string[], cwd: string = tmp): Run {
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "writ.js"), ...args], { cwd, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function oneLineError(r: Run, pattern: RegExp): void {
  expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
  expect(r.code).not.toBe(0);
  expect(r.code).not.toBeNull();
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

function ok(r: Run): Run {
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r;
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "writ-bundle-cli-"));
}, 180_000);

afterAll(() => {
  if (tmp !== "") rmSync(tmp, { recursive: true, force: true });
});

describe("writ keygen", () => {
  it("writes <prefix>.key (0600) and <prefix>.pub and refuses to overwrite", () => {
    const r = ok(writ(["keygen", "ci"]));
    expect(r.stdout).toMatch(/ci\.key.*ci\.pub/);
    expect(statSync(join(tmp, "ci.key")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(tmp, "ci.pub"), "utf8")).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    oneLineError(writ(["keygen", "ci"]), /^ci\.key: error W5008: .*already exists/);
  });
});

describe("writ compile", () => {
  it("--json prints the bundle id and the policies with their ids", () => {
    const r = ok(writ(["compile", POLICIES, "--schema", SCHEMA, "--json"]));
    const j = JSON.parse(r.stdout) as { bundleId: string; policies: { name: string; id: string }[] };
    expect(j.bundleId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(j.policies).toHaveLength(8);
    expect(j.policies.map((p) => p.name)).toContain("owner-full-access");
    for (const p of j.policies) expect(p.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(Object.keys(j)).toEqual(["bundleId", "policies"]);
  });

  it("-o writes the bundle; the same input gives the same bytes; --sequence and --semantics change the id", () => {
    ok(writ(["compile", POLICIES, "--schema", SCHEMA, "-o", "a.json"]));
    ok(writ(["compile", POLICIES, "--schema", SCHEMA, "-o", "b.json"]));
    const a = readFileSync(join(tmp, "a.json"), "utf8");
    expect(readFileSync(join(tmp, "b.json"), "utf8")).toBe(a);
    const bundle = JSON.parse(a) as { format: string; bundleId: string; sequence: number; policies: unknown[]; schema: unknown };
    expect(bundle.format).toBe("writ-bundle/1");
    expect(bundle.sequence).toBe(0);
    const seq = JSON.parse(ok(writ(["compile", POLICIES, "--schema", SCHEMA, "--sequence", "4", "--json"])).stdout) as { bundleId: string };
    const cedar = JSON.parse(ok(writ(["compile", POLICIES, "--schema", SCHEMA, "--semantics", "cedar", "--json"])).stdout) as { bundleId: string };
    expect(new Set([bundle.bundleId, seq.bundleId, cedar.bundleId]).size).toBe(3);
  });

  it("--sign signs the bundle id", () => {
    ok(writ(["keygen", "signer"]));
    ok(writ(["compile", POLICIES, "--schema", SCHEMA, "-o", "signed.json", "--sign", "signer.key", "--sequence", "5"]));
    const b = JSON.parse(readFileSync(join(tmp, "signed.json"), "utf8")) as { signature: { alg: string; keyId: string; sig: string } };
    expect(b.signature.alg).toBe("ed25519");
    expect(b.signature.sig).toMatch(/^[A-Za-z0-9+/]{86}==$/);
  });

  it("reports bad input with one line and a position", () => {
    writeFileSync(join(tmp, "bad.cedar"), "permit(principal, action, resource)\nwhen { principal.nope };\n");
    oneLineError(writ(["compile", "bad.cedar", "--schema", SCHEMA, "--json"]), /^bad\.cedar:2:\d+: error W3\d{3}: /);
    writeFileSync(join(tmp, "syntax.cedar"), "permit(principal, action resource);\n");
    oneLineError(writ(["compile", "syntax.cedar", "--schema", SCHEMA, "--json"]), /^syntax\.cedar:1:\d+: error W1\d{3}: /);
    oneLineError(writ(["compile", POLICIES, "--schema", SCHEMA, "--sequence", "-1", "--json"]), /^writ: error W5008: invalid --sequence/);
    oneLineError(writ(["compile", POLICIES, "--schema", SCHEMA]), /^writ: error W5008: nothing to do/);
    oneLineError(writ(["compile", POLICIES, "--schema", SCHEMA, "--json", "--sign", "missing.key"]), /^missing\.key: error W5001: cannot read file: no such file or directory$/);
    oneLineError(writ(["compile", POLICIES, "--schema", SCHEMA, "--json", "--sign", SCHEMA]), /schema\.cedarschema: error W5008: cannot use the signing key: /);
  });

  it("a compile error found after validation (here W6001 under cedar semantics) names its file and position among several files", () => {
    writeFileSync(join(tmp, "plain.cedar"), "permit(principal, action, resource);\n");
    writeFileSync(join(tmp, "shadow.cedar"), '// a Writ extension\n@mode("shadow")\nforbid(principal, action, resource);\n');
    ok(writ(["compile", "plain.cedar", "shadow.cedar", "--schema", SCHEMA, "--json"]));
    oneLineError(writ(["compile", "plain.cedar", "shadow.cedar", "--schema", SCHEMA, "--semantics", "cedar", "--json"]), /^shadow\.cedar:2:1: error W6001: .*@mode\("shadow"\)/);
  });
});

describe("writ eval --bundle", () => {
  it("prints the decision record; --json is its canonical JSON", () => {
    ok(writ(["compile", POLICIES, "--schema", SCHEMA, "-o", "eval.json"]));
    const text = ok(writ(["eval", "--bundle", "eval.json", "--entities", ENTITIES, "--request", REQUEST], join(tmp)));
    expect(text.stdout).toMatch(/^decision: deny\nreasons: confidential-needs-mfa-on-office-network \(Confidential documents need MFA/);
    const j = ok(writ(["eval", "--bundle", "eval.json", "--entities", ENTITIES, "--request", REQUEST, "--json"]));
    const rec = JSON.parse(j.stdout) as { format: string; decision: string; reasons: { name: string; policyId: string }[]; bundleId: string; evaluator: string };
    expect(rec.format).toBe("writ-decision/2");
    expect(rec.decision).toBe("deny");
    expect(rec.reasons[0]!.policyId).toMatch(/^sha256:/);
    expect(rec.evaluator).toMatch(/^writ\//);
    expect(j.stdout.trimEnd()).not.toContain("\n");
    const again = ok(writ(["eval", "--bundle", "eval.json", "--entities", ENTITIES, "--request", REQUEST, "--json"]));
    expect(again.stdout).toBe(j.stdout);
  });

  it("refuses a tampered bundle naming the policy", () => {
    const b = JSON.parse(readFileSync(join(tmp, "eval.json"), "utf8")) as { policies: { name: string; ir: { effect: string } }[] };
    b.policies[0]!.ir.effect = b.policies[0]!.ir.effect === "permit" ? "forbid" : "permit";
    writeFileSync(join(tmp, "tampered.json"), JSON.stringify(b));
    oneLineError(writ(["eval", "--bundle", "tampered.json", "--entities", ENTITIES, "--request", REQUEST]), new RegExp(`^tampered\\.json: error W6102: policy \`${b.policies[0]!.name}\``));
  });

  it("with --key, requires a valid signature by that key", () => {
    ok(writ(["keygen", "k1"]));
    ok(writ(["keygen", "k2"]));
    ok(writ(["compile", POLICIES, "--schema", SCHEMA, "-o", "s1.json", "--sign", "k1.key"]));
    ok(writ(["compile", POLICIES, "--schema", SCHEMA, "-o", "u.json"]));
    ok(writ(["eval", "--bundle", "s1.json", "--key", "k1.pub", "--entities", ENTITIES, "--request", REQUEST]));
    oneLineError(writ(["eval", "--bundle", "u.json", "--key", "k1.pub", "--entities", ENTITIES, "--request", REQUEST]), /^u\.json: error W6103: .*not signed/);
    oneLineError(writ(["eval", "--bundle", "s1.json", "--key", "k2.pub", "--entities", ENTITIES, "--request", REQUEST]), /^s1\.json: error W6103: /);
  });

  it("remembers the last sequence per key in .writ/bundle-state.json and refuses rollbacks", () => {
    const dir = mkdtempSync(join(tmp, "state-"));
    const run = (args: string[]): Run => writ(args, dir);
    ok(run(["keygen", "k"]));
    ok(run(["compile", POLICIES, "--schema", SCHEMA, "-o", "s3.json", "--sign", "k.key", "--sequence", "3"]));
    ok(run(["compile", POLICIES, "--schema", SCHEMA, "-o", "s2.json", "--sign", "k.key", "--sequence", "2"]));
    const evalArgs = (b: string): string[] => ["eval", "--bundle", b, "--key", "k.pub", "--entities", ENTITIES, "--request", REQUEST];
    ok(run(evalArgs("s2.json")));
    ok(run(evalArgs("s3.json")));
    const state = JSON.parse(readFileSync(join(dir, ".writ", "bundle-state.json"), "utf8")) as { lastSequence: Record<string, number> };
    expect(Object.values(state.lastSequence)).toEqual([3]);
    oneLineError(run(evalArgs("s2.json")), /^s2\.json: error W6104: bundle sequence 2 is lower than the last loaded sequence 3/);
    ok(run(evalArgs("s3.json")));
    writeFileSync(join(dir, ".writ", "bundle-state.json"), "{");
    oneLineError(run(evalArgs("s3.json")), /bundle-state\.json: error W5002: /);
  });

  it("reports unreadable and invalid input with one line naming the file", () => {
    oneLineError(writ(["eval", "--bundle", "nope.json", "--entities", ENTITIES, "--request", REQUEST]), /^nope\.json: error W5001: /);
    writeFileSync(join(tmp, "notbundle.json"), `{"format": "something"}`);
    oneLineError(writ(["eval", "--bundle", "notbundle.json", "--entities", ENTITIES, "--request", REQUEST]), /^notbundle\.json: error W6105: /);
    writeFileSync(join(tmp, "badreq.json"), JSON.stringify({ ...(JSON.parse(readFileSync(REQUEST, "utf8")) as object), principal: 1 }));
    oneLineError(writ(["eval", "--bundle", "eval.json", "--entities", ENTITIES, "--request", "badreq.json"]), /^badreq\.json: error W5004: /);
    oneLineError(writ(["eval", "--bundle", "eval.json", "--policies", POLICIES, "--entities", ENTITIES, "--request", REQUEST]), /^writ: error W5008: /);
    oneLineError(writ(["eval", "--key", "k1.pub", "--policies", POLICIES, "--entities", ENTITIES, "--request", REQUEST]), /^writ: error W5008: /);
  });
});
