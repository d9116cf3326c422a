/**
 * `npm run bench:cli`: cold-start time of the `writ` command. Each command is
 * started as a new process (node bin/writ.js …) `WRIT_BENCH_RUNS` times
 * (default 21) after two warm-up runs (which fill the OS file cache); the
 * median and the minimum wall time are printed, next to bare `node -e 0` on
 * the same machine, which bounds what any Node program can reach.
 *
 * On Linux it also prints the mean CPU time (user + system, all threads) per
 * run, read from the children's times in /proc/self/stat: on a shared machine
 * that figure moves far less with the load than wall time does.
 *
 * Targets (docs/benchmarks.md): `writ --version` under 150 ms and `writ check`
 * of one small file under 300 ms.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const RUNS = Number(process.env["WRIT_BENCH_RUNS"] ?? 21);
const SMALL = join(ROOT, "examples", "doc-sharing");

/** Wall time of one run of `node <args>` in milliseconds; aborts when it fails. */
function once(args: readonly string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) {
    process.stderr.write(`bench:cli: node ${args.join(" ")} exited ${r.status}: ${r.stderr.toString()}\n`);
    process.exit(1);
  }
  return ms;
}

/** CPU time (ms) of the children this process has waited for, or undefined where /proc is missing. */
function childrenCpuMs(): number | undefined {
  try {
    // NOTE: fields after the command name (which may contain spaces): cutime and cstime are fields 16 and 17.
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

function timeOf(args: readonly string[]): { median: number; min: number; cpu: number | undefined } {
  once(args);
  once(args);
  const cpu0 = childrenCpuMs();
  const times = Array.from({ length: RUNS }, () => once(args)).sort((a, b) => a - b);
  const cpu1 = childrenCpuMs();
  return { median: times[Math.floor(times.length / 2)]!, min: times[0]!, cpu: cpu0 === undefined || cpu1 === undefined ? undefined : (cpu1 - cpu0) / RUNS };
}

const writ = join(ROOT, "bin", "writ.js");
const cases: [string, string[], number | undefined][] = [
  ["node -e 0 (baseline)", ["-e", "0"], undefined],
  ["writ --version", [writ, "--version"], 150],
  ["writ --help", [writ, "--help"], 150],
  ["writ check policies.cedar (syntax only)", [writ, "check", join(SMALL, "policies.cedar")], 300],
  ["writ check policies.cedar --schema schema.cedarschema", [writ, "check", join(SMALL, "policies.cedar"), "--schema", join(SMALL, "schema.cedarschema")], 300],
];
process.stdout.write(`cold start, ${RUNS} runs each (examples/doc-sharing: 8 policies), Node ${process.version}\n`);
for (const [name, args, target] of cases) {
  const t = timeOf(args);
  const verdict = target === undefined ? "" : t.median < target ? `  (target < ${target} ms: met)` : `  (target < ${target} ms: NOT met)`;
  const cpu = t.cpu === undefined ? "" : `  cpu ${t.cpu.toFixed(0).padStart(4)} ms`;
  process.stdout.write(`CLI ${name.padEnd(56)} median ${t.median.toFixed(0).padStart(4)} ms  min ${t.min.toFixed(0).padStart(4)} ms${cpu}${verdict}\n`);
}
