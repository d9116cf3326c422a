/**
 * `writ demo` (governed part) and `writ lineage verify / prove / verify-proof / show / replay /
 * export` end to end over dist/ in a temporary working directory: the demo appends, the log
 * verifies, proofs check offline, replay reproduces every record, the export verifies as DSSE,
 * and a tampered database is caught with the first bad entry named and a non-zero exit.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeEd25519 } from "../../runtime/crypto/ed25519-node.js";
import { readPublicKey } from "../../runtime/keys.js";
import { IN_TOTO_PAYLOAD_TYPE, IN_TOTO_STATEMENT_TYPE, verifyEnvelope } from "../../runtime/lineage/dsse.js";
import { eventRef, progressBar } from "../../cli/lineage-commands.js";

interface RawDb {
  prepare(sql: string): { run(...a: unknown[]): unknown; get(...a: unknown[]): Record<string, unknown> | undefined };
  close(): void;
}
const Database = createRequire(import.meta.url)("better-sqlite3") as new (path: string) => RawDb;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

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

function ok(r: Run): Run {
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r;
}

function oneLineError(r: Run, pattern: RegExp, code = 1): void {
  expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
  expect(r.code).toBe(code);
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

interface TreeNode {
  actor: string;
  verdict: string;
  outcome: string;
  depth: number;
  reason?: string;
  selected: boolean;
  events: { phase: string; id: string; index: number }[];
  children: TreeNode[];
}

function flatten(n: TreeNode): TreeNode[] {
  return [n, ...n.children.flatMap(flatten)];
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "writ-lineage-cli-"));
}, 180_000);

afterAll(() => {
  if (tmp !== "") rmSync(tmp, { recursive: true, force: true });
});

describe("writ demo + writ lineage", () => {
  let perRun = 0;

  it("the demo runs the governed scenario, records it in .writ/lineage.db and appends when run again", () => {
    const first = ok(writ(["demo"]));
    expect(first.stdout).toContain("== governed-agent: governed execution with lineage ==");
    expect(first.stdout).toMatch(/DENY +delegate onward again \(agent:helper\)\n +forbidden by no-deep-delegation/);
    expect(first.stdout).toMatch(/DENY +deploy release 42 to production \(agent:planner\)\n +no handler for obligation `page_oncall`/);
    expect(first.stdout).toMatch(/DENY +build without an approved plan/);
    expect(first.stdout).toMatch(/lineage log ok: \d+ events/);
    expect(first.stdout).toContain("execution tree from sha256:");
    expect(first.stdout.trimEnd().split("\n").pop()).toBe("8 passed, 0 failed");
    // The first part (the example projects) still comes first.
    expect(first.stdout.indexOf("Writ demo: compiling the example projects")).toBe(0);
    expect(existsSync(join(tmp, ".writ", "lineage.db"))).toBe(true);
    perRun = Number(/recorded (\d+) events/.exec(first.stdout)![1]);
    expect(perRun).toBeGreaterThan(20);
    const second = ok(writ(["demo"]));
    expect(second.stdout).toContain(`recorded ${perRun} events in .writ/lineage.db (the log now holds ${2 * perRun})`);
  }, 120_000);

  it("verify checks the whole log", () => {
    const r = ok(writ(["lineage", "verify"]));
    expect(r.stdout).toMatch(new RegExp(`^lineage log ok: ${2 * perRun} events, \\d+ checkpoints verified`));
    const j = JSON.parse(ok(writ(["lineage", "verify", "--json"])).stdout) as { ok: boolean; size: number };
    expect(j).toMatchObject({ ok: true, size: 2 * perRun });
  });

  it("prove writes a proof that verify-proof checks offline, pinned to the log key", () => {
    ok(writ(["lineage", "prove", "5", "-o", "p5.json"]));
    const proof = JSON.parse(readFileSync(join(tmp, "p5.json"), "utf8")) as { id: string; index: number; event: { phase: string } };
    expect(proof.index).toBe(5);
    const byId = JSON.parse(ok(writ(["lineage", "prove", proof.id])).stdout) as { index: number };
    expect(byId.index).toBe(5);
    const other = mkdtempSync(join(tmpdir(), "writ-lineage-proof-"));
    try {
      writeFileSync(join(other, "p5.json"), readFileSync(join(tmp, "p5.json")));
      writeFileSync(join(other, "log.pub"), readFileSync(join(tmp, ".writ", "lineage.pub")));
      const r = ok(writ(["lineage", "verify-proof", "p5.json", "--key", "log.pub"], other));
      expect(r.stdout).toContain(`proof ok: event ${proof.id} is entry 5`);
      ok(writ(["keygen", "stranger"], other));
      oneLineError(writ(["lineage", "verify-proof", "p5.json", "--key", "stranger.pub"], other), /^p5\.json: error W6202: proof is signed by a different key/);
      const forged = JSON.parse(readFileSync(join(other, "p5.json"), "utf8")) as { event: { actor: string } };
      forged.event.actor = "someone-else";
      writeFileSync(join(other, "forged.json"), JSON.stringify(forged));
      oneLineError(writ(["lineage", "verify-proof", "forged.json"], other), /^forged\.json: error W6202: event content does not match its id/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
    oneLineError(writ(["lineage", "prove", "999999"]), /error W6204: no event 999999/);
  });

  it("show --json prints the execution tree around an event, marking its execution", () => {
    const demo = ok(writ(["lineage", "show", "0", "--json"]));
    const root = JSON.parse(demo.stdout) as TreeNode;
    expect(root.actor).toBe("human:alice");
    expect(root.verdict).toBe("allow");
    expect(root.outcome).toBe("executed");
    expect(root.selected).toBe(true);
    const all = flatten(root);
    expect(all).toHaveLength(7);
    const deep = all.find((n) => n.actor === "agent:helper")!;
    expect(deep).toMatchObject({ verdict: "deny", outcome: "denied", depth: 3 });
    expect(deep.reason).toContain("no-deep-delegation");
    const deploy = all.find((n) => n.reason?.includes("page_oncall") === true)!;
    expect(deploy).toMatchObject({ verdict: "deny", depth: 1 });
    // Asking for an event of a descendant gives the same tree with that execution selected.
    const again = JSON.parse(ok(writ(["lineage", "show", deep.events[1]!.id, "--json"])).stdout) as TreeNode;
    expect(flatten(again).filter((n) => n.selected).map((n) => n.actor)).toEqual(["agent:helper"]);
    expect(ok(writ(["lineage", "show", "0", "--dot"])).stdout).toMatch(/^digraph lineage \{[\s\S]* -> [\s\S]*\}\n$/);
    expect(ok(writ(["lineage", "show", "0"])).stdout).toMatch(/└─ DENY/);
  });

  it("replay re-evaluates every recorded decision byte for byte", () => {
    const r = ok(writ(["lineage", "replay"]));
    expect(r.stdout.trimEnd().split("\n").pop()).toBe("replayed 16 decisions: 16 identical, 0 different, 0 unavailable");
  });

  it("export writes one DSSE-signed in-toto statement per decision", () => {
    ok(writ(["lineage", "export", "--format", "in-toto", "-o", "out.jsonl"]));
    const lines = readFileSync(join(tmp, "out.jsonl"), "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(16);
    const pub = readPublicKey(join(tmp, ".writ", "lineage.pub"));
    if (!pub.ok) throw new Error(pub.problem.message);
    const verdicts: string[] = [];
    for (const line of lines) {
      const env = JSON.parse(line) as { payloadType: string };
      expect(env.payloadType).toBe(IN_TOTO_PAYLOAD_TYPE);
      const v = verifyEnvelope(env, pub.value, nodeEd25519);
      expect(v.ok).toBe(true);
      if (!v.ok) continue;
      const st = JSON.parse(new TextDecoder().decode(v.payload)) as { _type: string; subject: { digest: { sha256: string } }[]; predicate: { verdict: string; decision: { requestDigest: string } } };
      expect(st._type).toBe(IN_TOTO_STATEMENT_TYPE);
      expect(`sha256:${st.subject[0]!.digest.sha256}`).toBe(st.predicate.decision.requestDigest);
      verdicts.push(st.predicate.verdict);
    }
    expect(verdicts.filter((v) => v === "deny")).toHaveLength(6);
    oneLineError(writ(["lineage", "export", "--format", "spdx"]), /error W5008/, 2);
  });

  it("a tampered database: verify, replay and show name the first bad entry and exit 1, showing nothing", () => {
    const db = new Database(join(tmp, ".writ", "lineage.db"));
    let index = -1;
    let id = "";
    try {
      for (let i = 0; i < 2 * perRun && index < 0; i++) {
        const row = db.prepare("SELECT id, data FROM entries WHERE idx = ?").get(i)!;
        const text = Buffer.from(row["data"] as Uint8Array).toString("utf8");
        if (text.includes('"phase":"authorized"') && text.includes('"decision":"allow"') && i > perRun) {
          index = i;
          id = String(row["id"]);
          db.prepare("UPDATE entries SET data = ? WHERE idx = ?").run(Buffer.from(text.replace('"decision":"allow"', '"decision":"deny"')), i);
        }
      }
    } finally {
      db.close();
    }
    expect(index).toBeGreaterThan(perRun);
    const firstBad = new RegExp(`^\\.writ/lineage\\.db: error W6201: first bad entry: index ${index} \\(${id}\\): `);
    const replay = writ(["lineage", "replay"]);
    expect(replay.stdout).toBe("");
    oneLineError(replay, firstBad);
    oneLineError(writ(["lineage", "verify"]), firstBad);
    const show = writ(["lineage", "show", "0"]);
    expect(show.stdout).toBe("");
    oneLineError(show, firstBad);
  });

  it("commands outside a lineage directory fail with one line", () => {
    const empty = mkdtempSync(join(tmpdir(), "writ-lineage-empty-"));
    try {
      const r = writ(["lineage", "verify"], empty);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/lineage\.db: error W5001: no lineage log here/);
      expect(existsSync(join(empty, ".writ"))).toBe(false);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe("helpers", () => {
  it("the progress bar redraws one line in place and erases it at the end", () => {
    const out: string[] = [];
    const bar = progressBar({ write: (t: string) => out.push(t) });
    bar.update(0, 200);
    bar.update(100, 200);
    bar.update(200, 200);
    bar.end();
    expect(out[0]).toBe(`\rverifying [${".".repeat(30)}] 0% (0/200)`);
    expect(out[1]).toBe(`\rverifying [${"#".repeat(15)}${".".repeat(15)}] 50% (100/200)`);
    expect(out[2]).toBe(`\rverifying [${"#".repeat(30)}] 100% (200/200)`);
    expect(out[3]).toBe("\r\x1b[K");
    const quiet: string[] = [];
    progressBar({ write: (t: string) => quiet.push(t) }).end();
    expect(quiet).toEqual([]);
  });

  it("an event argument is an index when decimal, else an id", () => {
    expect(eventRef("0")).toBe(0);
    expect(eventRef("42")).toBe(42);
    expect(eventRef("042")).toBe("042");
    expect(eventRef("sha256:ab")).toBe("sha256:ab");
  });
});
