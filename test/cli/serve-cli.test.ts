/**
 * The CLI of the decision service: `writ serve` (first stdout line, JSON request logs, tokens,
 * SIGTERM ends with a durable log and exit 0; bad input is one line and exit 2, nothing
 * recorded), `writ token create` and `writ artifact verify`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { memoryOutput } from "../../cli/io.js";
import { runCli } from "../../cli/main.js";
import { batchedLines } from "../../cli/serve.js";
import { tokenDigest } from "../../server/tokens.js";
import { postJson, projectBundle, ROOT, spawnServe, tempDir, testServer } from "../support/servers.js";
import { nodeEd25519 } from "../../runtime/crypto/ed25519-node.js";
import { publicKeyToPem } from "../../runtime/index.js";

const EX = join(ROOT, "examples", "authzen-todo");
const MORTY = "CiRmZDE2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs";

async function cli(args: string[]) {
  const io = memoryOutput();
  const code = await runCli(args, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

/** A project folder with a signed bundle, its signer's public key and a tokens file. */
function fixture(): { dir: string; bundle: string; key: string; tokens: string; token: string } {
  const dir = tempDir();
  const { bundle, entities } = projectBundle("authzen-todo");
  writeFileSync(join(dir, "bundle.json"), JSON.stringify(bundle));
  writeFileSync(join(dir, "entities.json"), JSON.stringify(entities));
  writeFileSync(join(dir, "signer.pub"), publicKeyToPem(nodeEd25519.publicKeyOf(new Uint8Array(32).map((_, i) => (i * 7 + 3) & 0xff))));
  const token = "writ_test-token-for-the-cli";
  writeFileSync(join(dir, "tokens.json"), JSON.stringify({ format: "writ-tokens/1", tokens: [{ name: "pep", sha256: tokenDigest(token), scopes: ["decide", "authorize"] }] }));
  return { dir, bundle: join(dir, "bundle.json"), key: join(dir, "signer.pub"), tokens: join(dir, "tokens.json"), token };
}

describe("writ serve", () => {
  it("listens, logs JSON lines per request, and on SIGTERM finishes with a durable log and exit 0", async () => {
    const f = fixture();
    const s = await spawnServe(["--bundle", f.bundle, "--key", f.key, "--entities", join(f.dir, "entities.json"), "--tokens", f.tokens], f.dir);
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const auth = { authorization: `Bearer ${f.token}`, "x-request-id": "cli-1" };
    const request = { principal: { type: "user", id: MORTY }, action: { type: "Action", id: "can_read_todos" }, resource: { type: "todo", id: "t" }, context: {} };
    expect((await postJson(`${s.url}/v1/authorize`, { request })).status).toBe(401);
    const r = await postJson(`${s.url}/v1/authorize`, { request }, auth);
    expect(r.status).toBe(200);
    s.child.kill("SIGTERM");
    const exit = await s.exited;
    expect(exit.code).toBe(0);
    const out = s.output();
    expect(out).toContain("writ serve: stopped; lineage log durable at 2 events");
    const logged = out
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.some((l) => l["reqId"] === "cli-1" && l["status"] === 200 && l["caller"] === "pep")).toBe(true);
    expect(out).not.toContain(f.token);
    const verify = spawnSync(process.execPath, [join(ROOT, "bin", "writ.js"), "lineage", "verify", "--dir", f.dir], { encoding: "utf8" });
    expect(verify.status).toBe(0);
    expect(verify.stdout).toContain("lineage log ok: 2 events");
  }, 60_000);

  it("bad input is one line on stderr, exit 2, and nothing recorded", async () => {
    const f = fixture();
    const bad: [string[], RegExp][] = [
      [["serve", "--bundle", join(f.dir, "missing.json"), "--dir", f.dir], /missing\.json: error W5001: cannot read file/],
      [["serve", "--bundle", f.bundle, "--policies", join(EX, "policies.cedar"), "--dir", f.dir], /error W5008: give either --policies/],
      [["serve", "--policies", join(EX, "policies.cedar"), "--dir", f.dir], /--policies needs --schema/],
      [["serve", "--bundle", f.bundle, "--tokens", join(f.dir, "entities.json"), "--dir", f.dir], /entities\.json: error W8012/],
      [["serve", "--bundle", f.bundle, "--port", "99999", "--dir", f.dir], /invalid --port/],
      [["serve", "--bundle", f.bundle, "--key", join(f.dir, "entities.json"), "--dir", f.dir], /error W5008: cannot use the public key/],
      [["serve", "--bundle", f.bundle, "--watch", "--policies", join(EX, "policies.cedar"), "--dir", f.dir], /error W5008/],
      [["serve", "--bundle", f.bundle, "--host", "0.0.0.0", "--port", "0", "--dir", f.dir], /error W8017: without --tokens the server listens only on loopback/],
    ];
    for (const [args, line] of bad) {
      const r = await cli(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toMatch(line);
      expect(r.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const badEntities = join(f.dir, "bad-entities.json");
    writeFileSync(badEntities, JSON.stringify([{ uid: { type: "user", id: "x" }, attrs: { email: 1 }, parents: [] }]));
    const ents = await cli(["serve", "--bundle", f.bundle, "--entities", badEntities, "--port", "0", "--dir", f.dir]);
    expect(ents.code).toBe(2);
    expect(ents.stderr).toMatch(/^\S*bad-entities\.json: error W5003/);
    const policy = join(f.dir, "bad.cedar");
    writeFileSync(policy, "permit (principal, action, resource) when { principal.nope };\n");
    const r = await cli(["serve", "--policies", policy, "--schema", join(EX, "schema.cedarschema"), "--dir", f.dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.cedar:1:\d+: error W3/);
    const unsignedKey = await cli(["serve", "--policies", join(EX, "policies.cedar"), "--schema", join(EX, "schema.cedarschema"), "--key", f.key, "--port", "0", "--dir", f.dir]);
    expect(unsignedKey.code).toBe(2);
    expect(unsignedKey.stderr).toMatch(/error W6103/);
    const log = spawnSync(process.execPath, [join(ROOT, "bin", "writ.js"), "lineage", "verify", "--dir", f.dir], { encoding: "utf8" });
    expect(log.stdout + log.stderr).toMatch(/lineage log ok: 0 events|no lineage log here/);
  });
});

describe("batched log lines", () => {
  it("lines of one event-loop turn are written once, in order, at its end; flush writes what is held", async () => {
    const writes: string[] = [];
    const b = batchedLines((t) => writes.push(t));
    b.stream.write("a\n");
    b.stream.write("b\n");
    expect(writes).toEqual([]);
    await new Promise((ok) => setImmediate(ok));
    expect(writes).toEqual(["a\nb\n"]);
    b.stream.write("c\n");
    b.flush();
    expect(writes).toEqual(["a\nb\n", "c\n"]);
    b.flush();
    await new Promise((ok) => setImmediate(ok));
    expect(writes).toEqual(["a\nb\n", "c\n"]);
  });
});

describe("writ token create", () => {
  it("prints a token once and the entry holding only its digest", async () => {
    const j = await cli(["token", "create", "--name", "ci", "--scopes", "decide,authorize", "--json"]);
    expect(j.code).toBe(0);
    const { token, entry } = JSON.parse(j.stdout) as { token: string; entry: { name: string; sha256: string; scopes: string[] } };
    expect(entry).toEqual({ name: "ci", sha256: tokenDigest(token), scopes: ["authorize", "decide"] });
    const t = await cli(["token", "create", "--name", "ci", "--scopes", "admin"]);
    const lines = t.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^token \(shown once, store it now\): writ_[A-Za-z0-9_-]{43}$/);
    const shown = lines[0]!.split(": ")[1]!;
    expect(JSON.parse(lines[2]!)).toEqual({ name: "ci", sha256: tokenDigest(shown), scopes: ["admin"] });
    expect((await cli(["token", "create", "--name", "ci", "--scopes", "root"])).stderr).toMatch(/^writ: error W8012: unknown scope `root`/);
    expect((await cli(["token", "create", "--name", "bad name", "--scopes", "admin"])).code).toBe(2);
  });
});

describe("writ artifact verify", () => {
  it("accepts the node's artifact (or the whole authorize answer) until it expires", async () => {
    const dir = tempDir();
    const s = await testServer({ dir, ...projectBundle("authzen-todo"), clock: () => new Date("2030-01-01T00:00:00Z"), artifactTtlMs: 60_000 });
    const request = { principal: { type: "user", id: MORTY }, action: { type: "Action", id: "can_read_todos" }, resource: { type: "todo", id: "t" }, context: {} };
    const answer = (await s.app.inject({ method: "POST", url: "/v1/authorize", payload: { request } })).json() as { artifact: unknown; execution: string };
    await s.close();
    const pub = join(dir, ".writ", "lineage.pub");
    expect(existsSync(pub)).toBe(true);
    writeFileSync(join(dir, "artifact.json"), JSON.stringify(answer.artifact));
    writeFileSync(join(dir, "answer.json"), JSON.stringify(answer));
    const ok = await cli(["artifact", "verify", join(dir, "artifact.json"), "--key", pub, "--now", "2030-01-01T00:00:30Z"]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`artifact ok: execution ${answer.execution} authorized by node writ`);
    expect(ok.stdout).toContain("obligations to confirm: none; expires 2030-01-01T00:01:00.000Z");
    expect((await cli(["artifact", "verify", join(dir, "answer.json"), "--key", pub, "--now", "2030-01-01T00:00:30Z", "--json"])).stdout).toContain(`"execution": "${answer.execution}"`);
    const late = await cli(["artifact", "verify", join(dir, "artifact.json"), "--key", pub, "--now", "2030-01-01T00:01:00Z"]);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/artifact\.json: error W8011: the authorization artifact expired at 2030-01-01T00:01:00\.000Z/);
    const other = join(dir, "other.pub");
    writeFileSync(other, publicKeyToPem(nodeEd25519.publicKeyOf(new Uint8Array(32).fill(1))));
    const wrong = await cli(["artifact", "verify", join(dir, "artifact.json"), "--key", other, "--now", "2030-01-01T00:00:30Z"]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/error W8010/);
  });
});
