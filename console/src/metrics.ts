/**
 * The health dashboard's numbers from `writ serve`'s Prometheus text (`GET /metrics`): a
 * parser for the text exposition format (the lines `writ serve` writes: `# HELP`/`# TYPE`
 * comments, `name{label="v",…} value`), and the rates and percentiles between two scrapes —
 * decisions per second, the deny rate, and latency percentiles from the histogram buckets'
 * increase (linear interpolation inside a bucket, as Prometheus' `histogram_quantile`).
 *
 * NOTE: pure (no DOM, no fetch); the page polls and keeps the history.
 */

/** One sample: a metric name, its labels and its value. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One scrape: its samples and when it was taken (milliseconds). */
export interface Scrape {
  readonly at: number;
  readonly samples: readonly Sample[];
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

function unescapeLabel(v: string): string {
  return v.replace(/\\(["\\n])/g, (_, c: string) => (c === "n" ? "\n" : c));
}

function parseValue(text: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  return Number(text);
}

/** The samples of a Prometheus text exposition (lines that do not parse are skipped). */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = LINE.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    const body = m[2] ?? "";
    LABEL.lastIndex = 0;
    let consumed = 0;
    for (let l = LABEL.exec(body); l !== null; l = LABEL.exec(body)) {
      labels[l[1]!] = unescapeLabel(l[2]!);
      consumed = LABEL.lastIndex;
    }
    if (consumed !== body.length) continue;
    const value = parseValue(m[3]!);
    if (Number.isNaN(value)) continue;
    out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** The sum of the samples called `name` whose labels include `match`. */
export function total(samples: readonly Sample[], name: string, match: Readonly<Record<string, string | readonly string[]>> = {}): number {
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(match).every(([k, v]) => (typeof v === "string" ? s.labels[k] === v : v.includes(s.labels[k] ?? "")))) sum += s.value;
  }
  return sum;
}

/** The labels of the first sample called `name` (e.g. an `_info` gauge), if any. */
export function infoLabels(samples: readonly Sample[], name: string): Readonly<Record<string, string>> | undefined {
  return samples.find((s) => s.name === name && s.value !== 0)?.labels;
}

/** The routes whose decisions the dashboard counts and whose latency it shows. */
export const DECISION_ROUTES: readonly string[] = ["evaluation", "evaluations", "decide", "authorize"];

/** Cumulative bucket counts by upper bound, summed over the routes given. */
function buckets(samples: readonly Sample[], routes: readonly string[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== "writ_http_request_duration_seconds_bucket" || !routes.includes(s.labels["route"] ?? "")) continue;
    const le = parseValue(s.labels["le"] ?? "NaN");
    if (Number.isNaN(le)) continue;
    out.set(le, (out.get(le) ?? 0) + s.value);
  }
  return out;
}

/**
 * The `q` quantile (0 < q < 1) of the observations between two scrapes of a histogram, given
 * as cumulative bucket counts; undefined when nothing was observed. Within a bucket the value
 * is interpolated linearly; in the `+Inf` bucket it is the largest finite bound.
 */
export function quantile(q: number, before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): number | undefined {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((b) => Math.max(0, (after.get(b) ?? 0) - (before.get(b) ?? 0)));
  const n = counts[counts.length - 1] ?? 0;
  if (n <= 0) return undefined;
  const rank = q * n;
  for (let i = 0; i < bounds.length; i++) {
    if (counts[i]! < rank) continue;
    const upper = bounds[i]!;
    const lower = i === 0 ? 0 : bounds[i - 1]!;
    if (upper === Infinity) return lower;
    const below = i === 0 ? 0 : counts[i - 1]!;
    const inBucket = counts[i]! - below;
    // NOTE: clamped — floating point can put the top of a bucket past its bound (0.1 + 0.9 > 1).
    return inBucket <= 0 ? upper : Math.min(upper, lower + ((upper - lower) * (rank - below)) / inBucket);
  }
  return bounds.filter((b) => b !== Infinity).pop();
}

/** What the dashboard plots for one interval between two scrapes. */
export interface Rates {
  readonly at: number;
  /** Decisions per second (allow + deny, every decision route). */
  readonly decisionsPerSecond: number;
  /** Denies / decisions in the interval (undefined with no decision). */
  readonly denyRate: number | undefined;
  /** Latency percentiles of the decision routes, seconds. */
  readonly p50: number | undefined;
  readonly p90: number | undefined;
  readonly p99: number | undefined;
}

/** The rates between two scrapes of the same server (counters reset by a restart count from zero). */
export function ratesBetween(a: Scrape, b: Scrape): Rates {
  const seconds = Math.max(0.001, (b.at - a.at) / 1000);
  const delta = (name: string, match: Readonly<Record<string, string | readonly string[]>>): number => {
    const now = total(b.samples, name, match);
    const then = total(a.samples, name, match);
    return now >= then ? now - then : now;
  };
  const allow = delta("writ_decisions_total", { result: "allow" });
  const deny = delta("writ_decisions_total", { result: "deny" });
  const decisions = allow + deny;
  const before = buckets(a.samples, DECISION_ROUTES);
  const after = buckets(b.samples, DECISION_ROUTES);
  const reset = [...after.entries()].some(([k, v]) => v < (before.get(k) ?? 0));
  const from = reset ? new Map<number, number>() : before;
  return {
    at: b.at,
    decisionsPerSecond: decisions / seconds,
    denyRate: decisions === 0 ? undefined : deny / decisions,
    p50: quantile(0.5, from, after),
    p90: quantile(0.9, from, after),
    p99: quantile(0.99, from, after),
  };
}
