/**
 * Timing helpers for `npm run bench`: run a workload repeatedly for a minimum
 * time, several rounds, and report the median rate.
 */
import { performance } from "node:perf_hooks";

/** Result of one measured workload. */
export interface Measurement {
  /** Operations per second, median over rounds. */
  readonly opsPerSec: number;
  /** Nanoseconds per operation, median over rounds. */
  readonly nsPerOp: number;
  readonly rounds: number;
}

/**
 * Measure `batch` (which performs `opsPerBatch` operations) for `rounds`
 * rounds of at least `minMs` each, after a warm-up round; median rate.
 */
export function measure(batch: () => void, opsPerBatch: number, rounds = 5, minMs = 400): Measurement {
  const warmEnd = performance.now() + minMs / 2;
  while (performance.now() < warmEnd) batch();
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) rates.push(roundRate(batch, opsPerBatch, minMs));
  const rate = median(rates);
  return { opsPerSec: rate, nsPerOp: 1e9 / rate, rounds };
}

/** Operations per second of `batch` run repeatedly for at least `minMs`. */
function roundRate(batch: () => void, opsPerBatch: number, minMs: number): number {
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < minMs) {
    batch();
    ops += opsPerBatch;
    now = performance.now();
  }
  return (ops * 1000) / (now - start);
}

/** Rates of workloads measured in alternating rounds (see {@link measurePaired}). */
export interface PairedMeasurement<K extends string> {
  /** Operations per second of each workload, median over its rounds. */
  readonly opsPerSec: Readonly<Record<K, number>>;
  /** The median over rounds of `a`'s time per operation ÷ `b`'s, both measured within the same round. */
  ratio(a: K, b: K): number;
  /**
   * The median over rounds of Σ weight × time per operation of each workload ÷ `b`'s, all
   * measured within the same round: `[["a", 1], ["c", -1]]` is what `a` takes beyond `c`.
   */
  termsRatio(terms: readonly (readonly [K, number])[], b: K): number;
}

/**
 * Measure several workloads (each `batch` performs `opsPerBatch` operations) in alternating
 * rounds of at least `minMs` each — every round runs each workload once, the order reversed
 * every other round — after a warm-up of each. A ratio of two workloads is the median of the
 * per-round ratios: on a shared machine a workload measured seconds after another can see a
 * machine twice as fast or slow, while the two halves of one round see nearly the same.
 */
export function measurePaired<K extends string>(batches: Readonly<Record<K, () => void>>, opsPerBatch: number, rounds = 20, minMs = 100): PairedMeasurement<K> {
  const names = Object.keys(batches) as K[];
  for (const k of names) {
    const warmEnd = performance.now() + minMs * 2;
    while (performance.now() < warmEnd) batches[k]();
  }
  const rates = new Map<K, number[]>(names.map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const k of r % 2 === 0 ? names : [...names].reverse()) rates.get(k)!.push(roundRate(batches[k], opsPerBatch, minMs));
  }
  const opsPerSec = Object.fromEntries(names.map((k) => [k, median(rates.get(k)!)])) as Record<K, number>;
  const termsRatio = (terms: readonly (readonly [K, number])[], b: K): number => {
    const rb = rates.get(b)!;
    return median(rb.map((y, i) => terms.reduce((t, [k, w]) => t + (w * y) / rates.get(k)![i]!, 0)));
  };
  return {
    opsPerSec,
    ratio: (a, b) => {
      const ra = rates.get(a)!;
      const rb = rates.get(b)!;
      return median(ra.map((x, i) => rb[i]! / x));
    },
    termsRatio,
  };
}

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Time a one-shot function `rounds` times; median milliseconds. */
export function timeMs(fn: () => void, rounds = 5): number {
  const ts: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const s = performance.now();
    fn();
    ts.push(performance.now() - s);
  }
  return median(ts);
}

/** Format a number with thousands separators. */
export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}
