/**
 * The Prometheus metrics of one server instance (prom-client, its own registry — never the
 * global one), all prefixed `writ_`:
 *
 * | metric | type | labels |
 * |---|---|---|
 * | `writ_decisions_total` | counter | `route`, `result` (`allow`/`deny`) |
 * | `writ_http_request_duration_seconds` | histogram | `route`, `method`, `status` |
 * | `writ_rejected_requests_total` | counter | `reason` |
 * | `writ_bundle_info` | gauge (1) | `bundle_id`, `sequence`, `key_id` |
 * | `writ_entities_info` | gauge (1) | `entities_id` |
 * | `writ_lineage_log_size` | gauge | — |
 * | `writ_lineage_checkpoint_age_seconds` | gauge | — |
 * | `writ_executions_in_flight` | gauge | — |
 * | `writ_mesh_split_view` | gauge (0/1) | — (mesh nodes only) |
 * | `writ_mesh_behind_pins` | gauge (0/1) | — (mesh nodes only) |
 *
 * The log size and checkpoint age are read when the registry is scraped.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** What the scrape-time gauges read. */
export interface MetricsSources {
  /** Number of events in the lineage log. */
  readonly logSize: () => number;
  /** Seconds since the latest checkpoint was signed (or since start-up, before the first). */
  readonly checkpointAgeSeconds: () => number;
  /** Governed executions authorized and not yet given an outcome. */
  readonly inFlight: () => number;
  /** A mesh node: 1 once it saw a split view (it fails closed), else 0. */
  readonly meshSplitView?: () => number;
  /** A mesh node: 1 while its active bundle or snapshot differs from the pinned one, else 0. */
  readonly meshBehind?: () => number;
}

/** Why a request was rejected (the `reason` label). */
export type RejectReason = "unauthorized" | "forbidden" | "body_too_large" | "bad_request" | "unsupported_media_type" | "not_found" | "timeout" | "not_ready" | "busy" | "conflict" | "internal";

/** The metrics of one server. */
export class ServerMetrics {
  /** The registry `/metrics` renders. */
  readonly registry = new Registry();
  private readonly decisions: Counter<"route" | "result">;
  private readonly latency: Histogram<"route" | "method" | "status">;
  private readonly rejected: Counter<"reason">;
  private readonly bundle: Gauge<"bundle_id" | "sequence" | "key_id">;
  private readonly entities: Gauge<"entities_id">;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    this.decisions = new Counter({ name: "writ_decisions_total", help: "Decisions by route and result", labelNames: ["route", "result"], registers });
    this.latency = new Histogram({
      name: "writ_http_request_duration_seconds",
      help: "Request latency by route",
      labelNames: ["route", "method", "status"],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.rejected = new Counter({ name: "writ_rejected_requests_total", help: "Rejected requests by reason", labelNames: ["reason"], registers });
    this.bundle = new Gauge({ name: "writ_bundle_info", help: "The loaded bundle (value 1)", labelNames: ["bundle_id", "sequence", "key_id"], registers });
    this.entities = new Gauge({ name: "writ_entities_info", help: "The loaded entity snapshot (value 1)", labelNames: ["entities_id"], registers });
    new Gauge({
      name: "writ_lineage_log_size",
      help: "Events in the lineage log",
      registers,
      collect() {
        this.set(sources.logSize());
      },
    });
    new Gauge({
      name: "writ_lineage_checkpoint_age_seconds",
      help: "Seconds since the latest checkpoint was signed",
      registers,
      collect() {
        this.set(sources.checkpointAgeSeconds());
      },
    });
    new Gauge({
      name: "writ_executions_in_flight",
      help: "Governed executions authorized and waiting for an outcome",
      registers,
      collect() {
        this.set(sources.inFlight());
      },
    });
    const split = sources.meshSplitView;
    if (split !== undefined) {
      new Gauge({
        name: "writ_mesh_split_view",
        help: "1 once this mesh node saw a split view of the log (it fails closed)",
        registers,
        collect() {
          this.set(split());
        },
      });
    }
    const behind = sources.meshBehind;
    if (behind !== undefined) {
      new Gauge({
        name: "writ_mesh_behind_pins",
        help: "1 while this mesh node's bundle or entity snapshot differs from the pinned one",
        registers,
        collect() {
          this.set(behind());
        },
      });
    }
  }

  /** Count one decision. */
  decision(route: string, allowed: boolean, n = 1): void {
    this.decisions.inc({ route, result: allowed ? "allow" : "deny" }, n);
  }

  /** Observe one request's latency. */
  request(route: string, method: string, status: number, seconds: number): void {
    this.latency.observe({ route, method, status: String(status) }, seconds);
  }

  /** Count one rejected request. */
  reject(reason: RejectReason): void {
    this.rejected.inc({ reason });
  }

  /** Show the loaded bundle (replacing the previous one). */
  bundleLoaded(bundleId: string, sequence: number, keyId: string | undefined): void {
    this.bundle.reset();
    this.bundle.set({ bundle_id: bundleId, sequence: String(sequence), key_id: keyId ?? "unsigned" }, 1);
  }

  /** Show the loaded entity snapshot (replacing the previous one). */
  entitiesLoaded(entitiesId: string): void {
    this.entities.reset();
    this.entities.set({ entities_id: entitiesId }, 1);
  }

  /** The Prometheus text exposition. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** The content type of {@link render}. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
