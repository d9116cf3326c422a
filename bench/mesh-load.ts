/**
 * The append load of `npm run bench:mesh`, shared by the main process and its worker
 * processes: `appenders` concurrent callers each appending one event at a time to a
 * lineage log for a fixed time, timing each append until its batch is committed.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { LineageLog } from "../runtime/index.js";

/** What a load run did. */
export interface LoadResult {
  events: number;
  /** Distinct batches (signed checkpoints) the appends landed in. */
  batches: number;
  /** Milliseconds from `append` to its durable, signed batch, per append (a sample when large). */
  latencies: number[];
  /** CPU time of the appending process during the run, ms. */
  cpuMs: number;
}

/** A deterministic 32-byte key seed per bench key number. */
export function benchSeed(n: number): Uint8Array {
  return Uint8Array.from({ length: 32 }, (_, i) => (n * 41 + i * 13 + 7) & 0xff);
}

/** A lineage-event-sized payload (about 450 bytes of canonical JSON), unique per (node, k). */
export function benchEvent(node: string, k: number): Record<string, unknown> {
  return {
    kind: "writ-lineage-event/1",
    execution: `${node}-exec-${k}`,
    phase: k % 3 === 0 ? "requested" : k % 3 === 1 ? "authorized" : "executed",
    actor: `agent-${k % 97}`,
    node,
    parents: [],
    bundleId: "sha256:6540e4d00b073c027b08af1de3aaba3a18881fcf60f547b57fc5d60c74251050",
    entitiesId: "sha256:ef3b5b7e3f3c6f63a3931b1df2664bd989c28572cc587ce9fe1b736463db0b94",
    decision: { decision: k % 11 === 0 ? "deny" : "allow", reasons: [{ name: `policy${k % 5}`, policyId: `sha256:${(k % 5).toString(16).repeat(64)}` }] },
    recordedAt: `2026-12-01T00:00:${String(k % 60).padStart(2, "0")}.000Z`,
  };
}

/** The q-quantile (0..1) of `xs` (0 when empty). */
export function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/**
 * CPU time (ms) used so far by the PostgreSQL server whose data folder is `dataDir`: the
 * postmaster (first line of `postmaster.pid`), its running children and the children it
 * has reaped, from /proc (Linux); undefined when it cannot be read.
 */
export function serverCpuMs(dataDir: string): number | undefined {
  try {
    const master = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    const hz = 100;
    let ticks = 0;
    for (const d of readdirSync("/proc")) {
      if (!/^[0-9]+$/.test(d)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${d}/stat`, "utf8");
      } catch {
        continue;
      }
      // Fields after the command name (which may hold spaces) start after the last ')'.
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // utime + stime; for the postmaster also cutime + cstime: the backends that already exited.
      if (Number(d) === master) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
      else if (Number(f[1]) === master) ticks += Number(f[11]) + Number(f[12]);
    }
    return (ticks * 1000) / hz;
  } catch {
    return undefined;
  }
}

/** Run the load on `log` for `seconds`; events are numbered from `firstK`. */
export async function appendLoad(log: LineageLog, appenders: number, seconds: number, firstK: number): Promise<LoadResult> {
  const end = performance.now() + seconds * 1000;
  const node = `bench-${firstK}`;
  let k = firstK;
  const result: LoadResult = { events: 0, batches: 0, latencies: [], cpuMs: 0 };
  const cpu0 = process.cpuUsage();
  const sizes = new Set<number>();
  const one = async (): Promise<void> => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const r = await log.append([benchEvent(node, k++)]);
      if (!r.ok) throw new Error(`append failed: ${r.problem.message}`);
      const ms = performance.now() - t0;
      result.events++;
      sizes.add(r.size);
      if (result.latencies.length < 200_000) result.latencies.push(ms);
    }
  };
  await Promise.all(Array.from({ length: appenders }, one));
  result.batches = sizes.size;
  const cpu = process.cpuUsage(cpu0);
  result.cpuMs = (cpu.user + cpu.system) / 1000;
  return result;
}
