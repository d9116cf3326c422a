import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestLog } from "../support/logs.js";

const ROOT = process.cwd();
const OUT_DIR = resolve(ROOT, "test-artifacts", "lineage-crash");
const WRITER = join(OUT_DIR, "lineage-writer.mjs");
const KILLS = 50;

/** A small deterministic PRNG (mulberry32) so a failing schedule can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface RunResult {
  readonly acked: Map<number, string>;
  readonly signal: NodeJS.Signals | null;
  readonly code: number | null;
  readonly stderr: string;
}

/** Start the writer, SIGKILL it `killAfterMs` after it printed its first ack (or after spawn when negative). */
function runAndKill(dir: string, run: number, killAfterMs: number, killBeforeAck: boolean): Promise<RunResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [WRITER, dir, String(run)], { stdio: ["ignore", "pipe", "pipe"] });
    const acked = new Map<number, string>();
    let buffer = "";
    let stderr = "";
    let armed = false;
    const arm = () => {
      if (armed) return;
      armed = true;
      setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    };
    if (killBeforeAck) arm();
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop()!;
      for (const line of lines) {
        const [i, id] = line.split(" ");
        acked.set(Number(i), id!);
      }
      if (acked.size > 0) arm();
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (c: string) => (stderr += c));
    // Safety net: never let a stuck child hang the suite.
    const guard = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.on("error", fail);
    child.on("close", (code, signal) => {
      clearTimeout(guard);
      done({ acked, signal, code, stderr });
    });
  });
}

describe("lineage log under kill -9", () => {
  let dir: string;

  beforeAll(async () => {
    mkdirSync(OUT_DIR, { recursive: true });
    await build({
      entryPoints: [resolve(ROOT, "test/runtime/fixtures/lineage-writer.ts")],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      packages: "external",
      outfile: WRITER,
      logLevel: "silent",
    });
    dir = mkdtempSync(join(tmpdir(), "writ-crash-"));
  });

  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it(`keeps every acknowledged event and verifies after ${KILLS} SIGKILLs mid-append`, async () => {
    const random = prng(0x5eed);
    const everAcked = new Map<number, string>();
    let killedMidRun = 0;
    for (let run = 0; run < KILLS; run++) {
      // Mostly kill while appending; sometimes during start-up (opening the store, creating the key).
      const early = random() < 0.15;
      const delay = early ? Math.floor(random() * 250) : Math.floor(random() * 120);
      const result = await runAndKill(dir, run, delay, early);
      expect(result.stderr).toBe("");
      expect(result.signal, `run ${run} exited by itself with code ${String(result.code)}`).toBe("SIGKILL");
      if (result.acked.size > 0) killedMidRun++;
      for (const [i, id] of result.acked) everAcked.set(i, id);

      const opened = await openTestLog({ dir });
      if (!opened.ok) throw new Error(`run ${run}: ${opened.problem.message}`);
      const log = opened.log;
      try {
        const max = Math.max(-1, ...everAcked.keys());
        expect(log.size).toBeGreaterThan(max);
        for (const [i, id] of everAcked) {
          const got = await log.get(i);
          expect(got?.id, `acknowledged event ${i} after run ${run}`).toBe(id);
        }
        const report = await log.verify();
        expect(report, `verify after run ${run}`).toMatchObject({ ok: true, size: log.size });
      } finally {
        await log.close();
      }
    }
    // The schedule must actually interrupt appends, not only start-ups.
    expect(killedMidRun).toBeGreaterThan(KILLS / 2);
    expect(everAcked.size).toBeGreaterThan(100);
    // About 20–30 s on an idle 2-core machine; the margin covers a heavily shared one.
  }, 150_000);
});
