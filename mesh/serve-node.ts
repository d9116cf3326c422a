/**
 * A mesh node's duties while it serves (what `writ serve --store postgres://…` runs next to
 * its HTTP API), on top of {@link openMeshNode}:
 *
 * - **pins**: learn the pinned bundle and entity snapshot (LISTEN/NOTIFY with polling, see
 *   `subscribe.ts`), load the pinned documents (ids recomputed, the bundle's signer key id
 *   must be the pin's) and hand them to the decision side ({@link PinTarget}), which verifies
 *   them again (signature with `--key`) and swaps atomically;
 * - **witnessing**: every `witnessIntervalMs`, check the store's latest checkpoint against the
 *   last one seen and cosign it; a split view is kept (sticky: fail closed until restarted
 *   after the operator looked) and logged once, naming both checkpoints;
 * - **catch-up and heartbeat**: on the same tick, sync the node's log with the other nodes'
 *   appends (a log also catches up before each of its own batches) and record the node's
 *   status (`live.ts`);
 * - **hold**: why decisions are refused now — a split view (W8506), or an active bundle or
 *   snapshot that still differs from the pinned one `pinGraceMs` after it was first seen
 *   behind (W8510).
 *
 * The server reaches this only through its own `MeshPort` shape (server/ does not import
 * mesh/); the CLI wires them.
 *
 * NOTE: Node only (the mesh room); reaches Writ through `writ/runtime` only.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { failure, nodeSigner, problem, type CheckpointSigner, type Failure, type LineageLog, type LineageProof, type Problem } from "../runtime/index.js";
import { meshView, witnessedCheckpoint, witnessedProof, writeHeartbeat, type MeshView, type WitnessedCheckpoint } from "./live.js";
import type { Mesh } from "./mesh.js";
import { openMeshNode, type MeshNode, type MeshNodeOptions } from "./node.js";
import { subscribe, type Subscription } from "./subscribe.js";
import type { SplitView } from "./witness.js";

/** The decision side of a node: what pins are loaded into. */
export interface PinTarget {
  /** Verify and swap to this bundle (and snapshot), or to this snapshot alone; the problem when refused. */
  load(bundle: unknown, entities: unknown): Problem | undefined;
  /** The active bundle and entity snapshot ids. */
  active(): { readonly bundle?: string; readonly entities?: string };
}

/** Where a serving node's messages go. */
export type MeshLogger = (level: "info" | "warn" | "error", message: string, fields?: Readonly<Record<string, unknown>>) => void;

/** Options of {@link MeshService.start}. */
export interface MeshServiceOptions extends Omit<MeshNodeOptions, "witnessed" | "onWitnessed"> {
  /** Witness, sync and heartbeat every this many milliseconds (default 2000). */
  readonly witnessIntervalMs?: number;
  /** How long a node may run another bundle or snapshot than the pinned one before it fails closed (default 5000). */
  readonly pinGraceMs?: number;
  /** Poll for pins and log growth every this many milliseconds, besides LISTEN/NOTIFY (default 2000). */
  readonly pollMs?: number;
  /** A file keeping the last checkpoint the witness saw (outside the database it watches). */
  readonly witnessFile?: string;
  readonly logger?: MeshLogger;
  /** The clock of grace periods (default `Date.now`). */
  readonly now?: () => number;
}

/** A serving mesh node (see the module comment). */
export class MeshService {
  private target: PinTarget | undefined;
  private split: SplitView | undefined;
  private behindSince: number | undefined;
  private pinProblem: Problem | undefined;
  private timer: NodeJS.Timeout | undefined;
  private subscription: Subscription | undefined;
  private ticking: Promise<void> | undefined;
  private reconciling: Promise<void> | undefined;
  private reconcileAgain = false;
  private closed = false;

  private constructor(
    private readonly node: MeshNode,
    /** Signs the node's checkpoints, cosignatures and authorization artifacts. */
    readonly signer: CheckpointSigner,
    private readonly options: MeshServiceOptions,
  ) {}

  /** Open the node (its key must be enrolled, W8504 otherwise). Never throws. */
  static async start(options: MeshServiceOptions): Promise<{ readonly ok: true; readonly service: MeshService } | Failure> {
    const file = options.witnessFile;
    let witnessed: string | undefined;
    try {
      witnessed = file !== undefined && existsSync(file) ? readFileSync(file, "utf8") : undefined;
    } catch (e) {
      return failure("W8509", { detail: `cannot read the witness's saved checkpoint ${file}: ${e instanceof Error ? e.message : String(e)}` });
    }
    const opened = await openMeshNode({
      ...options,
      ...(witnessed === undefined ? {} : { witnessed }),
      ...(file === undefined
        ? {}
        : {
            onWitnessed: (note: string) => {
              writeFileSync(`${file}.tmp`, note);
              renameSync(`${file}.tmp`, file);
            },
          }),
    });
    if (!opened.ok) return opened;
    return { ok: true, service: new MeshService(opened.node, nodeSigner(options.privateKey), options) };
  }

  /** The mesh name (the log origin). */
  get mesh(): string {
    return this.node.mesh.name;
  }

  /** The node's name. */
  get name(): string {
    return this.node.name;
  }

  /** The shared log, appended to with the node's key. */
  get log(): LineageLog {
    return this.node.log;
  }

  /** The open mesh (roster, store). */
  get meshStore(): Mesh {
    return this.node.mesh;
  }

  /** The split view this node saw, if any. */
  get splitView(): SplitView | undefined {
    return this.split;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Whether the active bundle or snapshot differs from the pinned one; what differs. */
  private behind(): string | undefined {
    const roster = this.node.mesh.roster;
    const active = this.target?.active() ?? {};
    const parts: string[] = [];
    if (roster.bundle !== undefined && active.bundle !== roster.bundle.id) parts.push(`active bundle ${active.bundle ?? "none"}, pinned ${roster.bundle.id}`);
    if (roster.entities !== undefined && active.entities !== roster.entities.id) parts.push(`active entity snapshot ${active.entities ?? "none"}, pinned ${roster.entities.id}`);
    return parts.length === 0 ? undefined : parts.join("; ");
  }

  /** Whether this node is behind its pins (within the grace period or past it). */
  isBehind(): boolean {
    return this.behind() !== undefined;
  }

  /** Why decisions are refused now, if they are: a split view, or pins not caught up after the grace period. */
  hold(): Problem | undefined {
    if (this.split !== undefined) return this.split.problem;
    const behind = this.behind();
    if (behind === undefined) {
      this.behindSince = undefined;
      return undefined;
    }
    const now = this.now();
    this.behindSince ??= now;
    const grace = this.options.pinGraceMs ?? 5000;
    if (now - this.behindSince < grace) return undefined;
    const why = this.pinProblem === undefined ? "" : ` (loading the pinned one failed: ${this.pinProblem.code} ${this.pinProblem.message})`;
    return problem("W8510", { detail: `node ${this.name} is behind the mesh's pins for more than ${grace} ms: ${behind}${why}` });
  }

  /**
   * Start serving: load the pins into `target` now (the bundle a node starts deciding on),
   * then subscribe and start the witness/heartbeat ticks. Returns the problem of the first
   * load, if any (the node then holds after the grace period). Never throws.
   */
  async attach(target: PinTarget): Promise<Problem | undefined> {
    this.target = target;
    await this.reconcile();
    this.subscription = subscribe(this.node.mesh, {
      url: this.options.url,
      pollMs: this.options.pollMs ?? 2000,
      onRoster: () => void this.reconcile(),
      onError: (error) => this.options.logger?.("warn", "mesh subscription check failed", { error }),
    });
    await this.subscription.ready;
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.options.witnessIntervalMs ?? 2000);
    this.timer.unref();
    return this.pinProblem;
  }

  /** Load the pinned bundle and snapshot when the active ones differ (coalesced). */
  reconcile(): Promise<void> {
    if (this.reconciling !== undefined) {
      this.reconcileAgain = true;
      return this.reconciling;
    }
    this.reconciling = (async () => {
      do {
        this.reconcileAgain = false;
        await this.reconcileOnce();
      } while (this.reconcileAgain && !this.closed);
      this.reconciling = undefined;
    })();
    return this.reconciling;
  }

  private async reconcileOnce(): Promise<void> {
    const target = this.target;
    if (target === undefined || this.behind() === undefined) return;
    const mesh = this.node.mesh;
    const roster = mesh.roster;
    const active = target.active();
    let bundle: unknown;
    let entities: unknown;
    const refused = (p: Problem): void => {
      if (this.pinProblem?.message !== p.message) this.options.logger?.("warn", "pinned bundle or snapshot not loaded; the node keeps what it has", { code: p.code, error: p.message });
      this.pinProblem = p;
    };
    try {
      if (roster.bundle !== undefined && active.bundle !== roster.bundle.id) {
        const pinned = await mesh.pinnedBundle();
        if (!pinned.ok) return refused(pinned.problem);
        const json = JSON.parse(pinned.value!.document.document) as { signature?: { keyId?: unknown } };
        if (json.signature?.keyId !== roster.bundle.signer) return refused(problem("W8508", { detail: `the pinned bundle is signed by ${String(json.signature?.keyId)}, the pin names ${roster.bundle.signer}` }));
        bundle = json;
      }
      if (roster.entities !== undefined && (bundle !== undefined || active.entities !== roster.entities.id)) {
        const doc = await mesh.document(roster.entities);
        if (!doc.ok) return refused(doc.problem);
        entities = JSON.parse(doc.document.document) as unknown;
      }
    } catch (e) {
      return refused(problem("W6205", { detail: e instanceof Error ? e.message : String(e) }));
    }
    if (bundle === undefined && entities === undefined) return;
    const p = target.load(bundle, entities);
    if (p !== undefined) return refused(p);
    this.pinProblem = undefined;
    const now = target.active();
    this.options.logger?.("info", "pinned bundle and snapshot active", { bundleId: now.bundle, entitiesId: now.entities });
  }

  /** One tick: witness, catch up the log, retry pins when behind, heartbeat (never overlapping). */
  tick(): Promise<void> {
    this.ticking ??= (async () => {
      try {
        await this.witness();
        await this.node.log.sync();
        if (this.behind() !== undefined) await this.reconcile();
        await this.heartbeat();
      } finally {
        this.ticking = undefined;
      }
    })();
    return this.ticking;
  }

  private async witness(): Promise<void> {
    if (this.split !== undefined) return;
    const r = await this.node.witnessOnce();
    if (r.ok) return;
    if ("split" in r && r.split !== undefined) {
      this.split = r.split;
      this.options.logger?.("error", `split view: failing closed: ${r.split.problem.message}`, { code: r.split.problem.code, first: r.split.first.note, second: r.split.second.note });
      return;
    }
    this.options.logger?.("warn", "witnessing failed", { code: r.problem.code, error: r.problem.message });
  }

  /** Record this node's status now. */
  async heartbeat(): Promise<void> {
    const active = this.target?.active() ?? {};
    const held = this.hold();
    const reason = held !== undefined ? `${held.code} ${held.message}` : active.bundle === undefined ? "no bundle loaded" : undefined;
    const w = this.node.witness.last;
    const f = await writeHeartbeat(this.node.mesh, this.name, {
      ready: reason === undefined,
      ...(reason === undefined ? {} : { reason }),
      ...(active.bundle === undefined ? {} : { bundle: active.bundle }),
      ...(active.entities === undefined ? {} : { entities: active.entities }),
      size: this.node.log.size,
      ...(w === undefined ? {} : { witnessed: w.size }),
    });
    if (f !== undefined) this.options.logger?.("warn", "heartbeat not recorded", { error: f.problem.message });
  }

  /** The mesh's live state (`GET /v1/mesh`). */
  view(): Promise<{ readonly ok: true; readonly view: MeshView } | Failure> {
    return meshView(this.node.mesh);
  }

  /** The latest checkpoint with its verified cosignatures. */
  checkpoint(): Promise<{ readonly ok: true; readonly checkpoint?: WitnessedCheckpoint } | Failure> {
    return witnessedCheckpoint(this.node.mesh);
  }

  /** The proof with at least `k` verified cosignatures on its checkpoint, or W8511. */
  witnessed(proof: LineageProof, k: number): Promise<{ readonly ok: true; readonly proof: LineageProof } | Failure> {
    return witnessedProof(this.node.mesh, proof, k);
  }

  /** Stop the ticks and the subscription, then close the log (every acknowledged append is durable) and the mesh. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.subscription?.close();
    await this.ticking;
    await this.reconciling;
    const active = this.target?.active() ?? {};
    await writeHeartbeat(this.node.mesh, this.name, {
      ready: false,
      reason: "stopped",
      ...(active.bundle === undefined ? {} : { bundle: active.bundle }),
      ...(active.entities === undefined ? {} : { entities: active.entities }),
      size: this.node.log.size,
      ...(this.node.witness.last === undefined ? {} : { witnessed: this.node.witness.last.size }),
    });
    await this.node.close();
  }
}
