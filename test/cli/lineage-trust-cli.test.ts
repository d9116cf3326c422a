/**
 * The auditor's CLI against an adversary who can write `.writ/lineage.db`: `writ lineage
 * verify` remembers the last checkpoint it accepted (`.writ/lineage.trusted`) and fails a
 * truncated or wiped log; `writ lineage checkpoint` prints the latest signed checkpoint for
 * `--trusted`; `show` draws only verified entries (edges, rows outside 0 … size-1 and the
 * derived tables are never trusted); read-only commands need only the public key.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

interface RawDb {
  prepare(sql: string): { run(...a: unknown[]): unknown; get(...a: unknown[]): Record<string, unknown> | undefined; all(...a: unknown[]): Record<string, unknown>[] };
  exec(sql: string): void;
  close(): void;
}
const Database = createRequire(import.meta.url)("better-sqlite3") as new (path: string) => RawDb;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function writ(args: readonly string[], cwd: string): Run {
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "writ.js"), ...args], { cwd, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(r: Run): Run {
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r;
}

function oneLine(r: Run, pattern: RegExp): void {
  expect(r.code).toBe(1);
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

interface Node {
  readonly execution: string;
  readonly verdict: string;
  readonly children: Node[];
  readonly events: { phase: string; id: string; index: number }[];
}
const all = (n: Node): Node[] => [n, ...n.children.flatMap(all)];

let base = "";
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), "writ-trust-cli-"));
  ok(writ(["demo"], base));
}, 180_000);
afterAll(() => {
  if (base !== "") rmSync(base, { recursive: true, force: true });
});

/** A fresh copy of the demo log to tamper with. */
function copy(): string {
  const dir = mkdtempSync(join(tmpdir(), "writ-trust-copy-"));
  spawnSync("cp", ["-a", join(base, ".writ"), dir]);
  return dir;
}

describe("writ lineage verify keeps a trust file; checkpoint prints what to keep", () => {
  it("remembers the checkpoint it verified, and fails once the tail is deleted with its checkpoints", () => {
    const dir = copy();
    try {
      expect(existsSync(join(dir, ".writ", "lineage.trusted"))).toBe(false);
      ok(writ(["lineage", "verify"], dir));
      const trusted = readFileSync(join(dir, ".writ", "lineage.trusted"), "utf8");
      expect(ok(writ(["lineage", "checkpoint"], dir)).stdout).toBe(trusted);
      const size = Number(trusted.split("\n")[1]);
      const raw = new Database(join(dir, ".writ", "lineage.db"));
      const cut = Number(raw.prepare("SELECT size FROM checkpoints WHERE size < ? ORDER BY size DESC LIMIT 1").get(size)!.size);
      raw.prepare("DELETE FROM entries WHERE idx >= ?").run(cut);
      raw.prepare("DELETE FROM checkpoints WHERE size > ?").run(cut);
      raw.close();
      oneLine(writ(["lineage", "verify"], dir), new RegExp(`error W6213: the log holds ${cut} events, fewer than the ${size} of the trusted checkpoint`));
      // Without the trust file nothing inside the log shows the loss: that is why it is kept.
      unlinkSync(join(dir, ".writ", "lineage.trusted"));
      ok(writ(["lineage", "verify"], dir));
      writeFileSync(join(dir, "kept.txt"), trusted);
      oneLine(writ(["lineage", "verify", "--trusted", "kept.txt"], dir), /error W6213: /);
      oneLine(writ(["lineage", "show", "0", "--trusted", "kept.txt"], dir), /error W6213: /);
      oneLine(writ(["lineage", "replay", "--trusted", "kept.txt"], dir), /error W6213: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a wiped log fails against the trust file", () => {
    const dir = copy();
    try {
      ok(writ(["lineage", "verify"], dir));
      const raw = new Database(join(dir, ".writ", "lineage.db"));
      raw.exec("DELETE FROM entries; DELETE FROM checkpoints; DELETE FROM tiles; DELETE FROM edges;");
      raw.close();
      oneLine(writ(["lineage", "verify"], dir), /error W6213: the log holds 0 events/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("writ lineage show draws verified entries only", () => {
  it("deleting an edge, grafting one, or a forged row at index -1 changes nothing shown", () => {
    const dir = copy();
    try {
      const before = JSON.parse(ok(writ(["lineage", "show", "0", "--json"], dir)).stdout) as Node;
      const nodes = all(before);
      const denied = nodes.find((n) => n.verdict === "deny" && n.children.length === 0 && n !== before)!;
      const raw = new Database(join(dir, ".writ", "lineage.db"));
      const requested = denied.events.find((e) => e.phase === "requested")!;
      raw.prepare("DELETE FROM edges WHERE child = ?").run(requested.index);
      const other = raw.prepare("SELECT MAX(idx) AS m FROM entries").get()!.m as number;
      raw.prepare("INSERT OR IGNORE INTO edges (parent, child) VALUES (?, ?)").run(before.events[0]!.index, other);
      const text = Buffer.from(raw.prepare("SELECT data FROM entries WHERE idx = ?").get(denied.events[1]!.index)!.data as Uint8Array)
        .toString("utf8")
        .replace('"phase":"denied"', '"phase":"authorized"');
      raw.prepare("INSERT INTO entries (idx, id, data, parents) VALUES (-1, ?, ?, ?)").run(`sha256:${"f".repeat(64)}`, Buffer.from(text), "[]");
      raw.close();
      const after = JSON.parse(ok(writ(["lineage", "show", "0", "--json"], dir)).stdout) as Node;
      expect(after).toEqual(before);
      expect(all(after).find((n) => n.execution === denied.execution)?.verdict).toBe("deny");
      oneLine(writ(["lineage", "show", "-1"], dir), /error (W6204|W5008)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("read-only commands need public material only", () => {
  it("verify, show, prove and replay run without lineage.key and create no key", () => {
    const dir = copy();
    try {
      const pub = readFileSync(join(dir, ".writ", "lineage.pub"), "utf8");
      unlinkSync(join(dir, ".writ", "lineage.key"));
      ok(writ(["lineage", "verify"], dir));
      ok(writ(["lineage", "show", "0"], dir));
      ok(writ(["lineage", "prove", "3"], dir));
      ok(writ(["lineage", "replay"], dir));
      expect(existsSync(join(dir, ".writ", "lineage.key"))).toBe(false);
      expect(readFileSync(join(dir, ".writ", "lineage.pub"), "utf8")).toBe(pub);
      // Export signs statements: it needs the key, and says so instead of creating one.
      const exp = writ(["lineage", "export", "--format", "in-toto"], dir);
      expect(exp.code).not.toBe(0);
      expect(exp.stderr.trim().split("\n")).toHaveLength(1);
      expect(exp.stderr).toMatch(/lineage\.key/);
      expect(existsSync(join(dir, ".writ", "lineage.key"))).toBe(false);
      // With only a pinned key elsewhere.
      writeFileSync(join(dir, "log.pub"), pub);
      unlinkSync(join(dir, ".writ", "lineage.pub"));
      ok(writ(["lineage", "verify", "--key", "log.pub"], dir));
      expect(existsSync(join(dir, ".writ", "lineage.pub"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
