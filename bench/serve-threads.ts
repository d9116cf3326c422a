/**
 * Where a `writ serve` authorization's CPU goes, thread by thread: the bench server of
 * `npm run bench:serve` (`bench/serve-target.ts`) under autocannon's `POST /v1/authorize` at a
 * number of connections, with each of the server's threads' CPU time read from Linux's
 * `/proc/<pid>/task/<tid>/stat` before and after the run.
 *
 *     node dist/bench/serve-threads.js [connections=64] [seconds=5]
 *
 * Prints authorizations/s, then CPU µs per authorization of the event loop (the thread whose
 * id is the process id), of every other thread that used at least 1 µs per authorization (the
 * lineage store's worker, the signing worker, V8's collector helpers, …) and of all of them.
 * Comparing two builds: run each build's copy in turn, several times (the machine's noise
 * moves single runs by tens of per cent).
 */
import { fork } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { threadTicks, TICKS_PER_SECOND as TICKS } from "./proc-stat.js";
import { AUTHORIZE } from "./serve-requests.js";

async function main(): Promise<void> {
  const connections = Number(process.argv[2] ?? "64");
  const seconds = Number(process.argv[3] ?? "5");
  if (!Number.isInteger(connections) || connections < 1 || !Number.isFinite(seconds) || seconds <= 0) throw new Error("usage: serve-threads.js [connections] [seconds]");
  try {
    readdirSync("/proc/self/task");
  } catch {
    throw new Error("per-thread CPU is read from /proc (Linux only)");
  }
  const child = fork(fileURLToPath(new URL("./serve-target.js", import.meta.url)), [], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
  try {
    const url = await new Promise<string>((ok, fail) => {
      child.once("message", (m) => ok((m as { url: string }).url));
      child.once("exit", (code) => fail(new Error(`the bench server exited (${code})`)));
    });
    const run = (duration: number) => autocannon({ url: `${url}/v1/authorize`, method: "POST", headers: { "content-type": "application/json" }, body: AUTHORIZE, connections, duration });
    await run(2);
    const before = threadTicks(child.pid!);
    const r = await run(seconds);
    const after = threadTicks(child.pid!);
    const answered = r.requests.total;
    if (answered === 0 || r.non2xx + r.errors > 0) throw new Error(`the run answered ${answered} authorizations with ${r.non2xx + r.errors} failures`);
    const perRequest = (ticks: number): string => ((ticks * 1e6) / TICKS / answered).toFixed(1);
    let total = 0;
    const rows: string[] = [];
    for (const [tid, t] of after) {
      const used = t - (before.get(tid) ?? 0);
      total += used;
      const name = tid === child.pid ? "event loop" : `thread ${tid}`;
      if ((used * 1e6) / TICKS / answered >= 1 || tid === child.pid) rows.push(`  ${name.padEnd(14)}${perRequest(used).padStart(8)} µs/authorization`);
    }
    process.stdout.write(`authorize, ${connections} connections, ${seconds} s: ${Math.round(r.requests.average)}/s, p50 ${r.latency.p50} ms, ${answered} answered\n`);
    process.stdout.write(`${rows.join("\n")}\n  ${"all threads".padEnd(14)}${perRequest(total).padStart(8)} µs/authorization\n`);
  } finally {
    child.kill("SIGTERM");
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
