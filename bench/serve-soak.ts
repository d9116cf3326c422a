/**
 * `npm run bench:soak`: `writ serve` under a long authorize load — does the cost of an
 * authorization, and the server's memory, stay flat as the lineage log grows?
 *
 * Starts the real command (`bin/writ.js serve`, the AuthZEN Todo example, the SQLite log in a
 * temporary directory, `--artifact-ttl 1` so that authorizations nobody reports an outcome for
 * stop counting as in flight after a second) and drives `POST /v1/authorize` at 64 connections
 * with autocannon for `WRIT_BENCH_SOAK_WINDOWS` windows (default 12) of
 * `WRIT_BENCH_SOAK_SECONDS` seconds (default 10). Per window: authorizations/s, answers that
 * were not 2xx, authorizations so far, the server's resident memory and its CPU time per
 * authorization (from `/proc`: Linux), the event loop's thread apart from the others (the log's
 * and the signer's workers, the garbage collector's helpers). `WRIT_BENCH_SOAK_ARGS` adds
 * arguments to `writ serve` (e.g. `--index-limit 10000`). Ends with
 * `RATIO serve-soak-last-vs-first <x>` (the last window's rate ÷ the first's) and
 * `RATE serve-soak-max-rss-mib <x>`.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { rssMib, threadTicks, TICKS_PER_SECOND } from "./proc-stat.js";
import { AUTHORIZE } from "./serve-requests.js";

const ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");
const EXAMPLE = join(ROOT, "examples", "authzen-todo");
const WINDOWS = Math.max(1, Number(process.env["WRIT_BENCH_SOAK_WINDOWS"] ?? "12"));
const SECONDS = Math.max(1, Number(process.env["WRIT_BENCH_SOAK_SECONDS"] ?? "10"));
const EXTRA = (process.env["WRIT_BENCH_SOAK_ARGS"] ?? "").split(" ").filter((a) => a !== "");

/** CPU time (µs) of `pid`'s event loop (the thread whose id is the process id) and of its other threads together; undefined without `/proc`. */
function threadCpu(pid: number): { main: number; other: number } | undefined {
  const ticks = threadTicks(pid);
  if (ticks.size === 0) return undefined;
  let main = 0;
  let other = 0;
  for (const [tid, t] of ticks) {
    if (tid === pid) main += t;
    else other += t;
  }
  const us = 1e6 / TICKS_PER_SECOND;
  return { main: main * us, other: other * us };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(os.tmpdir(), "writ-bench-soak-"));
  const args = ["serve", "--policies", join(EXAMPLE, "policies.cedar"), "--schema", join(EXAMPLE, "schema.cedarschema"), "--entities", join(EXAMPLE, "entities.json"), "--port", "0", "--dir", dir, "--log-level", "warn", "--artifact-ttl", "1", ...EXTRA];
  const child = spawn(process.execPath, [join(ROOT, "bin", "writ.js"), ...args], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const lines = createInterface({ input: child.stdout! });
    const url = await new Promise<string>((ok, fail) => {
      lines.once("line", (l) => ok(l.replace(/^listening on /, "")));
      child.once("exit", (code) => fail(new Error(`writ serve exited (${code})`)));
    });
    lines.on("line", () => undefined);
    const pid = child.pid!;
    process.stdout.write(`writ serve soak: ${os.cpus()[0]?.model ?? "cpu"} ×${os.cpus().length}, Node ${process.version}, POST /v1/authorize at 64 connections, ${WINDOWS} × ${SECONDS} s${EXTRA.length > 0 ? `, writ serve ${EXTRA.join(" ")}` : ""}\n`);
    process.stdout.write("window  authorizations/s  not 2xx  so far      RSS MiB  CPU µs/auth (event loop + other threads)\n");
    const rates: number[] = [];
    let total = 0;
    let maxRss = 0;
    for (let w = 0; w < WINDOWS; w++) {
      const before = threadCpu(pid);
      const r = await autocannon({ url: `${url}/v1/authorize`, method: "POST", headers: { "content-type": "application/json" }, body: AUTHORIZE, connections: 64, duration: SECONDS });
      const after = threadCpu(pid);
      total += r.requests.total;
      rates.push(r.requests.average);
      const rss = rssMib(pid);
      if (rss !== undefined) maxRss = Math.max(maxRss, rss);
      const n = Math.max(1, r.requests.total);
      const cpu = before === undefined || after === undefined ? "—" : `${Math.round((after.main - before.main) / n)} + ${Math.round((after.other - before.other) / n)}`;
      const cols = [String(w + 1).padEnd(8), String(Math.round(r.requests.average)).padEnd(18), String(r.non2xx + r.errors + r.timeouts).padEnd(9), String(total).padEnd(11), (rss === undefined ? "—" : rss.toFixed(0)).padEnd(9), cpu];
      process.stdout.write(`${cols.join("")}\n`);
    }
    process.stdout.write(`RATIO serve-soak-last-vs-first ${(rates[rates.length - 1]! / rates[0]!).toFixed(2)}\n`);
    if (maxRss > 0) process.stdout.write(`RATE serve-soak-max-rss-mib ${maxRss.toFixed(0)}\n`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((done) => child.once("exit", done));
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
