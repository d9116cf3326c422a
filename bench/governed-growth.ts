/**
 * `npm run bench:growth`: governed executions through `writ/runtime` as the SQLite log grows —
 * does an execution cost the same on a log of millions of events as on a new one?
 *
 * Loads the doc-sharing scenario the public way (`loadScenario`), opens a SQLite log in a
 * temporary directory (`openLocalLog`) and runs `Governor.execute` from 256 concurrent callers
 * (as the services part of `npm run bench` does for `RATE governed-256`) in windows of
 * `WRIT_BENCH_GROWTH_SECONDS` seconds (default 10) until the log holds
 * `WRIT_BENCH_GROWTH_EVENTS` events (default 2,000,000: about 3.4 minutes here). Per window:
 * the log's size, executions/s and this process's CPU time per execution. Before the first
 * window and after the last, the same with one caller for 3 s. Ends with
 * `RATIO governed-growth-last-vs-first <x>` (the last window's rate ÷ the first's: 1 = an
 * execution costs the same however long the log).
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { Governor, openLocalLog } from "../runtime/index.js";
import { docSharing } from "./scenarios/doc-sharing.js";
import { fmtInt } from "./harness.js";
import { executeFor, loadScenario } from "./services.js";

const EVENTS = Math.max(1, Number(process.env["WRIT_BENCH_GROWTH_EVENTS"] ?? "2000000"));
const SECONDS = Math.max(1, Number(process.env["WRIT_BENCH_GROWTH_SECONDS"] ?? "10"));

async function main(): Promise<void> {
  const s = docSharing();
  const loaded = loadScenario(s);
  const dir = mkdtempSync(join(os.tmpdir(), "writ-bench-growth-"));
  const opened = await openLocalLog({ dir });
  if (!opened.ok) throw new Error(opened.problem.message);
  const log = opened.log;
  try {
    const gov = new Governor({ log, bundle: loaded.bundle, entities: loaded.store, node: "bench", handlers: {} });
    process.stdout.write(`governed executions as the log grows: ${os.cpus()[0]?.model ?? "cpu"} ×${os.cpus().length}, Node ${process.version}, ${s.name}, SQLite, to ${fmtInt(EVENTS)} events in windows of ${SECONDS} s\n`);
    const first1 = await executeFor(gov, s.requests, 1, 3);
    process.stdout.write(`1 caller on a new log: ${fmtInt(first1.rate)}/s\n`);
    process.stdout.write("window  log events   executions/s  CPU µs/execution  (256 callers)\n");
    const rates: number[] = [];
    for (let w = 1; log.size < EVENTS; w++) {
      const r = await executeFor(gov, s.requests, 256, SECONDS);
      rates.push(r.rate);
      process.stdout.write(`${String(w).padEnd(8)}${fmtInt(log.size).padEnd(13)}${fmtInt(r.rate).padEnd(14)}${r.cpuUs.toFixed(1)}\n`);
    }
    const last1 = await executeFor(gov, s.requests, 1, 3);
    process.stdout.write(`1 caller on the ${fmtInt(log.size)}-event log: ${fmtInt(last1.rate)}/s\n`);
    process.stdout.write(`RATIO governed-growth-last-vs-first ${(rates[rates.length - 1]! / rates[0]!).toFixed(2)}\n`);
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
