/**
 * `npm run demo:mesh` (scripts/demo-mesh.mjs over dist/): its own PostgreSQL cluster, three
 * `writ serve` nodes, the governed agent scenario across them with cross-node children, one
 * node SIGKILLed mid-flight and restarted, the log verified and witnessed by all three. A
 * short run (two rounds before and after the kill); it ends with exactly one `mesh ok` line.
 */
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

describe("npm run demo:mesh", () => {
  it("ends with mesh ok: n executions on 3 nodes, 0 lost, log verified, witnessed by 3", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, WRIT_DEMO_ROUNDS: "2" };
    delete env["WRIT_DATABASE_URL"];
    const child = spawn(process.execPath, [join(ROOT, "scripts", "demo-mesh.mjs")], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((done) => child.on("close", done));
    expect(code, err).toBe(0);
    const lines = out.trim().split("\n");
    expect(lines.filter((l) => l.startsWith("mesh ok:"))).toHaveLength(1);
    // 2 × 2 rounds of 5 executions, plus the ones node-2 answered before it was killed.
    const m = /^mesh ok: (\d+) executions on 3 nodes, 0 lost, log verified, witnessed by 3$/.exec(lines.at(-1)!);
    expect(m, out).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(20);
    expect(out).toContain("node-2 killed (SIGKILL)");
  }, 120_000);
});
