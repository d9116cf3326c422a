/**
 * `node dist/bench/ab-decide.js <build> <build> …`: CPU time of the public
 * `decide(bundle, request, store)` of `writ/runtime` in two or more builds of Writ, measured
 * alternately in one process, for comparing a change with the code before it on a busy
 * machine (wall-clock rates of `npm run bench` vary by 2× there).
 *
 * A build is a folder holding a compiled tree (a copy of `dist/`); keep it inside the checkout
 * so that its imports find `node_modules`, e.g. `cp -r dist .writ/dist-before`, change and
 * rebuild, then `node dist/bench/ab-decide.js .writ/dist-before dist`. Each build decides the
 * bench's doc-sharing and agent-tools requests through its own modules: rounds of
 * `WRIT_BENCH_AB_MS` ms (default 25) per build and scenario, builds alternating (order reversed
 * every other round), `WRIT_BENCH_AB_ROUNDS` rounds (default 100). Prints per build and scenario
 * the lowest and the 25th-percentile CPU ns per decision (`process.cpuUsage`) and the median
 * of the per-round ratios to the first build (paired rounds cancel most of the drift of a
 * shared machine's load).
 */
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import type { RequestJson } from "./scenarios/rng.js";

interface Build {
  readonly dir: string;
  readonly scenarios: readonly { readonly name: string; readonly requests: readonly RequestJson[]; readonly run: (r: RequestJson) => unknown }[];
}

const ROUND_MS = Number(process.env["WRIT_BENCH_AB_MS"] ?? 25);
const ROUNDS = Number(process.env["WRIT_BENCH_AB_ROUNDS"] ?? 100);

async function load(dir: string): Promise<Build> {
  const at = (path: string): Promise<Record<string, unknown>> => import(pathToFileURL(resolve(dir, path)).href) as Promise<Record<string, unknown>>;
  const [doc, agent, services, runtime] = await Promise.all([at("bench/scenarios/doc-sharing.js"), at("bench/scenarios/agent-tools.js"), at("bench/services.js"), at("runtime/index.js")]);
  const decide = runtime["decide"] as (bundle: unknown, request: unknown, store: unknown) => unknown;
  const loadScenario = services["loadScenario"] as (s: unknown) => { bundle: unknown; store: unknown };
  const scenarios = [doc["docSharing"], agent["agentTools"]].map((make) => {
    const s = (make as () => { name: string; requests: RequestJson[] })();
    const l = loadScenario(s);
    return { name: s.name.split(" ")[0]!, requests: s.requests, run: (r: RequestJson) => decide(l.bundle, r, l.store) };
  });
  return { dir, scenarios };
}

/** CPU ns per decision over one round of `ms` milliseconds. */
function round(s: Build["scenarios"][number], ms: number): number {
  const reqs = s.requests;
  let ops = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    for (let i = 0; i < reqs.length; i++) s.run(reqs[i]!);
    ops += reqs.length;
  }
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / ops;
}

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(q * (s.length - 1))]!;
}

async function main(): Promise<void> {
  const dirs = process.argv.slice(2);
  if (dirs.length < 2) throw new Error("usage: node dist/bench/ab-decide.js <build> <build> …");
  const builds = await Promise.all(dirs.map(load));
  const scenarios = builds[0]!.scenarios.length;
  for (const b of builds) for (const s of b.scenarios) round(s, 300);
  const ns = builds.map(() => Array.from({ length: scenarios }, () => [] as number[]));
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? builds.map((_, i) => i) : builds.map((_, i) => builds.length - 1 - i);
    for (let k = 0; k < scenarios; k++) for (const b of order) ns[b]![k]!.push(round(builds[b]!.scenarios[k]!, ROUND_MS));
  }
  for (let b = 0; b < builds.length; b++) {
    const cols = builds[b]!.scenarios.map((s, k) => {
      const mine = ns[b]![k]!;
      const ratio = quantile(mine.map((x, i) => x / ns[0]![k]![i]!), 0.5);
      return `${s.name} min ${quantile(mine, 0).toFixed(0)} p25 ${quantile(mine, 0.25).toFixed(0)} ns, ×${ratio.toFixed(3)}`;
    });
    process.stdout.write(`${builds[b]!.dir}: ${cols.join(" | ")}\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`ab-decide: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
