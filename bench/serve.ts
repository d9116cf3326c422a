/**
 * `npm run bench:serve`: requests/s and latency of `writ serve` on loopback, measured with
 * autocannon against a server in a child process (`bench/serve-target.ts`):
 *
 * - `constant` — a Fastify route that parses the body and returns a constant (same hooks:
 *   request id, metrics, one log line per request);
 * - `evaluation` — `POST /access/v1/evaluation` (AuthZEN, one decision on the entity store);
 * - `authorize` — `POST /v1/authorize` (requested + decision recorded durably in the SQLite log,
 *   group commit, a signed artifact per allow);
 *
 * each at 1, 16 and 64 connections for `WRIT_BENCH_SECONDS` seconds (default 3) after a short
 * warm-up, with the server process's CPU time per answered request (robust to a shared machine:
 * 10⁶ ÷ CPU µs is what one core could answer). The three routes at 64 connections then run
 * again, `WRIT_BENCH_SERVE_ROUNDS` rounds in all (default 3, the table's row the first): one run
 * swings by a quarter on a shared machine from one minute to the next. Ends with
 * `RATIO serve-evaluation-vs-constant <x>` (evaluation ÷ constant requests/s at 64 connections,
 * the median of the rounds' ratios; target ≥ 0.5) and `RATE serve-authorize-per-s <x>` (at 64
 * connections, the median of the rounds; target ≥ 5,000).
 */
import { fork, type ChildProcess } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { median } from "./harness.js";
import { AUTHORIZE, EVALUATION } from "./serve-requests.js";

const SECONDS = Number(process.env["WRIT_BENCH_SECONDS"] ?? "3");
const CONNECTIONS = [1, 16, 64] as const;
const ROUNDS = Math.max(1, Number(process.env["WRIT_BENCH_SERVE_ROUNDS"] ?? "3"));

interface Row {
  readonly route: string;
  readonly connections: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly bad: number;
  /** Server CPU time (user + system) per answered request, microseconds. */
  readonly cpuUs: number;
}

/** The server's CPU time in microseconds (asked over IPC). */
function serverCpu(child: ChildProcess): Promise<number> {
  return new Promise((ok) => {
    const on = (m: unknown) => {
      const cpu = (m as { cpu?: { user: number; system: number } }).cpu;
      if (cpu === undefined) return;
      child.off("message", on);
      ok(cpu.user + cpu.system);
    };
    child.on("message", on);
    child.send({ cpu: true });
  });
}

async function run(child: ChildProcess, url: string, route: string, path: string, body: string, connections: number, seconds: number): Promise<Row> {
  const before = await serverCpu(child);
  const r = await autocannon({ url: `${url}${path}`, method: "POST", headers: { "content-type": "application/json" }, body, connections, duration: seconds });
  const cpu = (await serverCpu(child)) - before;
  return { route, connections, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, bad: r.non2xx + r.errors + r.timeouts, cpuUs: r.requests.total > 0 ? cpu / r.requests.total : 0 };
}

function pad(s: string | number, n: number): string {
  return String(s).padEnd(n);
}

async function main(): Promise<void> {
  const child = fork(fileURLToPath(new URL("./serve-target.js", import.meta.url)), [], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
  const url = await new Promise<string>((ok, fail) => {
    child.once("message", (m) => ok((m as { url: string }).url));
    child.once("exit", (code) => fail(new Error(`the bench server exited (${code})`)));
  });
  process.stdout.write(`writ serve bench: ${os.cpus()[0]?.model ?? "cpu"} ×${os.cpus().length}, Node ${process.version}, autocannon on ${url}, ${SECONDS} s per run\n`);
  const routes = [
    ["constant", "/bench/constant", EVALUATION],
    ["evaluation", "/access/v1/evaluation", EVALUATION],
    ["authorize", "/v1/authorize", AUTHORIZE],
  ] as const;
  for (const [route, path, body] of routes) await run(child, url, route, path, body, 16, 1);
  const rows: Row[] = [];
  process.stdout.write(`${pad("route", 12)}${pad("conns", 7)}${pad("req/s", 10)}${pad("p50 ms", 8)}${pad("p99 ms", 8)}${pad("cpu µs/req", 12)}non-2xx/errors\n`);
  for (const connections of CONNECTIONS) {
    for (const [route, path, body] of routes) {
      const row = await run(child, url, route, path, body, connections, SECONDS);
      rows.push(row);
      process.stdout.write(`${pad(route, 12)}${pad(connections, 7)}${pad(Math.round(row.rps), 10)}${pad(row.p50, 8)}${pad(row.p99, 8)}${pad(Math.round(row.cpuUs), 12)}${row.bad}\n`);
    }
  }
  const at = (route: string) => rows.find((r) => r.route === route && r.connections === 64)!;
  const rounds = [{ constant: at("constant").rps, evaluation: at("evaluation").rps, authorize: at("authorize").rps }];
  for (let k = 1; k < ROUNDS; k++) {
    const round = { constant: 0, evaluation: 0, authorize: 0 };
    for (const [route, path, body] of routes) round[route] = (await run(child, url, route, path, body, 64, SECONDS)).rps;
    rounds.push(round);
  }
  child.kill("SIGTERM");
  if (ROUNDS > 1) {
    process.stdout.write(`64 connections, ${ROUNDS} rounds (req/s constant / evaluation / authorize): ${rounds.map((r) => [r.constant, r.evaluation, r.authorize].map((x) => Math.round(x)).join(" / ")).join(", ")}\n`);
  }
  process.stdout.write(`RATIO serve-evaluation-vs-constant ${median(rounds.map((r) => r.evaluation / r.constant)).toFixed(2)}\n`);
  process.stdout.write(`RATE serve-authorize-per-s ${Math.round(median(rounds.map((r) => r.authorize)))}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
