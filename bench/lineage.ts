/**
 * Lineage benchmarks (called from `bench/run.ts`):
 *
 * - durable appends/s on the SQLite store (WAL, synchronous=FULL) with one
 *   signed checkpoint per batch of 256 events (target ≥ 20,000/s);
 * - full verification speed, events/s, on a 10^6-event log (target ≥ 200,000/s);
 * - inclusion-proof time at 10^6 events: building a self-contained proof from
 *   the store (O(log n) node reads, self-checked) and checking it offline
 *   (target < 1 ms);
 * - the durable appends again on the 10^6-event log (`RATIO
 *   lineage-append-large-vs-empty`: an event should cost the same however long
 *   the log).
 *
 * The 10^6-event log is built through the ordinary append path with large
 * batches (one transaction and one checkpoint per batch), in a temporary folder
 * that is removed afterwards.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { ed25519, openLocalLog, runtimeCrypto, verifyProof, type LineageLog } from "../runtime/index.js";
import { fmtInt, median } from "./harness.js";

/** Sizes of {@link benchLineage}'s workloads (defaults are the targets' sizes). */
export interface LineageBenchOptions {
  /** Events appended durably in batches of `batch` (default 51,200). */
  readonly appendEvents?: number;
  /** Batch size of the durable-append run (default 256). */
  readonly batch?: number;
  /** Size of the large log for verify and proofs (default 1,000,000). */
  readonly largeEvents?: number;
  /** Number of proofs timed (default 2,000). */
  readonly proofs?: number;
}

/** A deterministic fake id for event `i` (parents must look like real ids; cheap, so the bench measures the log). */
function fakeId(i: number): string {
  const h = (i >>> 0).toString(16).padStart(8, "0");
  return `sha256:${h.repeat(8)}`;
}

/** Wall time and CPU time (user + system, this process) of an async workload, in ms. */
async function timed(fn: () => Promise<void>): Promise<{ wallMs: number; cpuMs: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wallMs, cpuMs: (c.user + c.system) / 1000 };
}

/** A realistic lineage event (about 500 bytes of canonical JSON). */
function event(i: number): Record<string, unknown> {
  return {
    phase: i % 5 === 0 ? "requested" : i % 5 === 1 ? "authorized" : "executed",
    actor: `User::"agent-${i % 97}"`,
    node: `node-${i % 7}`,
    parents: i > 0 ? [fakeId(i - 1)] : [],
    decision: {
      bundle: fakeId(1_000_000_000 + (i % 13)),
      request: fakeId(2_000_000_000 + i),
      decision: i % 11 === 0 ? "deny" : "allow",
      determining: [`policy${i % 5}`],
      erroring: [],
      obligations: [],
      evaluator: "writ/0.1.0",
    },
    outcome: { status: "ok", seq: i },
    recordedAt: `2026-01-01T00:00:${String(i % 60).padStart(2, "0")}.000Z`,
  };
}

async function openLog(dir: string): Promise<LineageLog> {
  const r = await openLocalLog({ dir });
  if (!r.ok) throw new Error(`bench: ${r.problem.message}`);
  return r.log;
}

async function appendAll(log: LineageLog, from: number, to: number, batch: number): Promise<void> {
  for (let i = from; i < to; i += batch) {
    const events: Record<string, unknown>[] = [];
    for (let k = i; k < Math.min(to, i + batch); k++) events.push(event(k));
    const r = await log.append(events);
    if (!r.ok) throw new Error(`bench: append failed: ${r.problem.message}`);
  }
}

/** Run the lineage benchmarks; returns printable lines. */
export async function benchLineage(options: LineageBenchOptions = {}): Promise<string[]> {
  const appendEvents = options.appendEvents ?? 51_200;
  const batch = options.batch ?? 1024;
  const largeEvents = options.largeEvents ?? 1_000_000;
  const proofs = options.proofs ?? 2_000;
  const lines: string[] = [];
  const root = mkdtempSync(join(tmpdir(), "writ-bench-lineage-"));
  let emptyRate = 0;
  try {
    // 1. Durable appends, one checkpoint per batch.
    {
      const dir = join(root, "append");
      const log = await openLog(dir);
      await appendAll(log, 0, batch * 4, batch); // warm-up
      const t = await timed(() => appendAll(log, batch * 4, batch * 4 + appendEvents, batch));
      await log.close();
      const rate = (appendEvents * 1000) / t.wallMs;
      emptyRate = rate;
      lines.push(
        `lineage append (SQLite WAL, synchronous=FULL, batch ${batch}, 1 signed checkpoint/batch): ${fmtInt(rate)} events/s ` +
          `(${fmtInt((appendEvents * 1000) / t.cpuMs)} per CPU-second; target ≥ 20,000)`,
      );
      lines.push(`RATE lineage-append ${rate.toFixed(0)}`);
    }

    // 2. A large log, then verify and proofs on it.
    const dir = join(root, "large");
    let log = await openLog(dir);
    const bt = await timed(() => appendAll(log, 0, largeEvents, 16_384));
    const buildMs = bt.wallMs;
    await log.close();
    lines.push(`lineage build ${fmtInt(largeEvents)} events (batches of 16,384): ${(buildMs / 1000).toFixed(1)} s (${fmtInt((largeEvents * 1000) / buildMs)} events/s)`);

    log = await openLog(dir);
    let report: Awaited<ReturnType<LineageLog["verify"]>> | undefined;
    const vt = await timed(async () => {
      report = await log.verify();
    });
    if (report === undefined || !report.ok) throw new Error(`bench: verify failed: ${JSON.stringify(report)}`);
    const vRate = (report.size * 1000) / vt.wallMs;
    lines.push(
      `lineage verify ${fmtInt(report.size)} events (re-hash, rebuild, ${fmtInt(report.checkpoints)} checkpoints): ${fmtInt(vRate)} events/s ` +
        `(${fmtInt((report.size * 1000) / vt.cpuMs)} per CPU-second; target ≥ 200,000)`,
    );
    lines.push(`RATE lineage-verify ${vRate.toFixed(0)}`);

    // Deterministic spread of indices over the whole log.
    const indices = Array.from({ length: proofs }, (_, k) => Math.floor(((k * 2654435761) % 4294967296) / 4294967296 * largeEvents));
    for (const i of indices.slice(0, 50)) await log.prove(i); // warm-up
    const proveTimes: number[] = [];
    const verifyTimes: number[] = [];
    for (const i of indices) {
      const s = performance.now();
      const p = await log.prove(i);
      const m = performance.now();
      if (!p.ok) throw new Error(`bench: prove ${i}: ${p.problem.message}`);
      const check = verifyProof(p.proof, log.publicKey, { ed25519, hasher: runtimeCrypto.merkle });
      const e = performance.now();
      if (!check.ok) throw new Error(`bench: verifyProof ${i}: ${check.problem.message}`);
      proveTimes.push(m - s);
      verifyTimes.push(e - m);
    }
    await log.close();
    const p50 = median(proveTimes);
    const p99 = [...proveTimes].sort((a, b) => a - b)[Math.floor(proveTimes.length * 0.99)]!;
    lines.push(
      `lineage inclusion proof at ${fmtInt(largeEvents)} events (store reads + self-check): median ${(p50 * 1000).toFixed(0)} µs, p99 ${(p99 * 1000).toFixed(0)} µs (target < 1 ms)`,
    );
    lines.push(`lineage verify-proof offline: median ${(median(verifyTimes) * 1000).toFixed(0)} µs`);
    lines.push(`RATE lineage-proof-us ${(p50 * 1000).toFixed(0)}`);

    // 3. The durable appends of step 1 again, on the large log: the cost of an event must not grow with the log.
    log = await openLog(dir);
    await appendAll(log, largeEvents, largeEvents + batch * 4, batch); // warm-up
    const lt = await timed(() => appendAll(log, largeEvents + batch * 4, largeEvents + batch * 4 + appendEvents, batch));
    await log.close();
    const largeRate = (appendEvents * 1000) / lt.wallMs;
    lines.push(
      `lineage append on the ${fmtInt(largeEvents)}-event log (same batches as above): ${fmtInt(largeRate)} events/s ` +
        `(${fmtInt((appendEvents * 1000) / lt.cpuMs)} per CPU-second)`,
    );
    lines.push(`RATIO lineage-append-large-vs-empty ${(largeRate / emptyRate).toFixed(2)}   (events/s on the large log ÷ on a new one; 1 = an event costs the same however long the log)`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return lines;
}
