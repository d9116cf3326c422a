/**
 * Witnessing: every node checks each new checkpoint of the mesh log against the last one it
 * saw and cosigns it, C2SP tlog-cosignature (`cosignature/v1`, Ed25519) style:
 *
 *     — <witness name> base64(key id ‖ u64 timestamp ‖ Ed25519 signature)
 *
 * signed over `cosignature/v1\ntime <timestamp>\n` followed by the checkpoint body; key id
 * = SHA-256(name ‖ "\n" ‖ 0x04 ‖ public key)[:4]. A v1 cosignature says: at that time, this
 * was the largest consistent tree the witness had seen. A node's witness name is
 * `<mesh>/witness/<node>` and it cosigns with its enrolled key (a checkpoint body, whose
 * first line is the mesh name, can never read as a cosignature message).
 *
 * A split view — two checkpoints of one size with different roots, a newer checkpoint that
 * is not consistent with the last one seen, or a store that went back below it — is
 * returned as a {@link SplitView} naming both checkpoints (problem W8506). What a node does
 * then (fail closed: `/readyz` 503, decisions deny) is the server's part.
 *
 * The witness keeps what it saw in memory and hands every advance to `onAdvance` to persist
 * it; its state must not live only in the database it watches.
 *
 * NOTE: Node only (the mesh room); reaches Writ through `writ/runtime` only.
 */
import { createHash } from "node:crypto";
import {
  checkConsistency,
  failure,
  LineageLog,
  parseCheckpoint,
  problem,
  runtimeCrypto,
  type CheckpointSigner,
  type CheckpointTrust,
  type Ed25519,
  type Failure,
  type Problem,
} from "../runtime/index.js";
import type { LineageStore } from "../runtime/lineage/store.js";

/** The signature type byte of Ed25519 cosignatures (tlog-cosignature). */
export const COSIGNATURE_TYPE = 0x04;

const UTF8 = new TextEncoder();
const SIG_PREFIX = "\u2014 ";

/** A checkpoint a witness has seen (its note verified by the trust). */
export interface SeenCheckpoint {
  readonly note: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  /** Verifier key of the node key that signed it. */
  readonly signer: string;
}

/** Two checkpoints of one log that cannot both be true. */
export interface SplitView {
  readonly kind: "split-view";
  /** `same-size`: one size, two roots; `inconsistent`: the newer is not an extension of the older; `rollback`: the store went back below a checkpoint seen. */
  readonly reason: "same-size" | "inconsistent" | "rollback";
  readonly origin: string;
  /** The checkpoint seen first. */
  readonly first: SeenCheckpoint;
  /** The checkpoint that contradicts it. */
  readonly second: SeenCheckpoint;
  /** The W8506 problem naming both. */
  readonly problem: Problem;
}

/** The key id of an Ed25519 cosigner `name` with `publicKey`. */
export function cosignatureKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(Buffer.concat([Buffer.from(`${name}\n`, "utf8"), Buffer.of(COSIGNATURE_TYPE), Buffer.from(publicKey)])).digest().subarray(0, 4));
}

/** The message a cosignature signs. */
function cosignedMessage(body: string, timestamp: number): Uint8Array {
  return UTF8.encode(`cosignature/v1\ntime ${timestamp}\n${body}`);
}

/** Why `timestamp` cannot be a cosignature time, if so. */
function timestampProblem(timestamp: number): string | undefined {
  return Number.isSafeInteger(timestamp) && timestamp >= 0 ? undefined : "the cosignature time must be a non-negative integer of seconds";
}

/** A cosignature line (ending in a newline) of `note` by `name`. Never throws. */
export function cosign(note: string, name: string, signer: CheckpointSigner, timestamp: number): { readonly ok: true; readonly line: string } | Failure {
  const parsed = parseCheckpoint(note);
  if (!parsed.ok) return parsed;
  const bad = timestampProblem(timestamp);
  if (bad !== undefined) return failure("W8507", { detail: bad });
  const sig = signer.sign(cosignedMessage(parsed.value.body, timestamp));
  const time = Buffer.alloc(8);
  time.writeBigUInt64BE(BigInt(timestamp));
  const blob = Buffer.concat([cosignatureKeyId(name, signer.publicKey), time, Buffer.from(sig)]);
  return { ok: true, line: `${SIG_PREFIX}${name} ${blob.toString("base64")}\n` };
}

/**
 * Find and check the cosignature of `name` with `publicKey` among the signature lines of
 * `note` (a checkpoint with cosignature lines appended). Returns its time. Never throws.
 */
export function verifyCosignature(note: string, name: string, publicKey: Uint8Array, ed25519: Ed25519): { readonly ok: true; readonly timestamp: number } | Failure {
  const parsed = parseCheckpoint(note);
  if (!parsed.ok) return parsed;
  const keyId = Buffer.from(cosignatureKeyId(name, publicKey));
  const mine = parsed.value.signatures.filter((s) => s.name === name && keyId.equals(Buffer.from(s.keyId)));
  if (mine.length === 0) return failure("W8507", { detail: `no cosignature by ${name}` });
  for (const s of mine) {
    if (s.signature.length !== 8 + 64) return failure("W8507", { detail: `the cosignature by ${name} is not a timestamped Ed25519 signature` });
    const t = Buffer.from(s.signature.subarray(0, 8)).readBigUInt64BE();
    if (t > BigInt(Number.MAX_SAFE_INTEGER)) return failure("W8507", { detail: `the cosignature by ${name} has an impossible time` });
    const timestamp = Number(t);
    if (!ed25519.verify(publicKey, cosignedMessage(parsed.value.body, timestamp), s.signature.subarray(8))) return failure("W8507", { detail: `invalid cosignature by ${name}` });
    return { ok: true, timestamp };
  }
  return failure("W8507", { detail: `no cosignature by ${name}` });
}

/** A short description of a checkpoint for messages: size, root prefix, signer key id. */
function describe(cp: SeenCheckpoint): string {
  const root = Buffer.from(cp.rootHash).toString("hex").slice(0, 16);
  return `size ${cp.size} root ${root}… signed by ${cp.signer.split("+")[1] ?? cp.signer}`;
}

/**
 * Compare two checkpoints of one log: a {@link SplitView} when they cannot both be true —
 * one size and two roots, or (given the consistency proof from the smaller to the larger)
 * a proof that does not hold. Undefined when they agree (or no proof decides it).
 */
export function splitView(first: SeenCheckpoint, second: SeenCheckpoint, origin: string, proof?: readonly Uint8Array[]): SplitView | undefined {
  const make = (reason: SplitView["reason"], detail: string): SplitView => ({
    kind: "split-view",
    reason,
    origin,
    first,
    second,
    problem: problem("W8506", { origin, detail, first: describe(first), second: describe(second) }),
  });
  if (first.size === second.size) {
    return Buffer.from(first.rootHash).equals(Buffer.from(second.rootHash)) ? undefined : make("same-size", `two checkpoints of size ${first.size} with different roots`);
  }
  if (proof === undefined || Math.min(first.size, second.size) === 0) return undefined;
  const [older, newer] = first.size < second.size ? [first, second] : [second, first];
  const bad = checkConsistency(older.size, newer.size, older.rootHash, newer.rootHash, proof, runtimeCrypto.merkle);
  return bad === undefined ? undefined : make("inconsistent", `the checkpoint of size ${newer.size} is not an extension of the one of size ${older.size}: ${bad}`);
}

/** Outcome of {@link Witness.observe}. */
export type WitnessResult =
  | { readonly ok: true; readonly status: "cosigned"; readonly checkpoint: SeenCheckpoint; readonly cosignature: string }
  | { readonly ok: true; readonly status: "older"; readonly checkpoint: SeenCheckpoint }
  | { readonly ok: false; readonly problem: Problem; readonly split?: SplitView };

/** Options of {@link Witness}. */
export interface WitnessOptions {
  /** The witness's key name, `<mesh>/witness/<node>`. */
  readonly name: string;
  /** Signs cosignatures (the node's key). */
  readonly signer: CheckpointSigner;
  /** Whose checkpoints are accepted (the mesh trust). */
  readonly trust: CheckpointTrust;
  /** The witness's clock (default: the system clock). */
  readonly clock?: () => Date;
  /** The last checkpoint this witness saw before (persisted state), if any. */
  readonly last?: string;
  /** Called with each checkpoint the witness advances to (persist it). */
  readonly onAdvance?: (note: string) => void | Promise<void>;
  /** How many checkpoints by size it remembers to catch one size signed twice (default 4096). */
  readonly remember?: number;
}

/** One witness of one log (see the module comment). */
export class Witness {
  /** The witness's key name. */
  readonly name: string;
  private latest: SeenCheckpoint | undefined;
  private readonly seen = new Map<number, SeenCheckpoint>();
  private pendingLast: string | undefined;

  constructor(private readonly options: WitnessOptions) {
    this.name = options.name;
    this.pendingLast = options.last;
  }

  /** The largest checkpoint seen. */
  get last(): SeenCheckpoint | undefined {
    return this.latest;
  }

  private async accept(note: string): Promise<SeenCheckpoint | Failure> {
    const t = await this.options.trust.verify(note);
    if (!t.ok) return t;
    return { note, size: t.value.size, rootHash: t.value.rootHash, signer: t.value.signer };
  }

  private remember(cp: SeenCheckpoint): void {
    this.seen.delete(cp.size);
    this.seen.set(cp.size, cp);
    if (this.seen.size > (this.options.remember ?? 4096)) this.seen.delete(this.seen.keys().next().value!);
  }

  /**
   * Check `note` against what this witness saw: `proof` is the consistency proof between the
   * last checkpoint seen and this one (from the smaller size to the larger). A newer
   * consistent checkpoint is cosigned and becomes the last; an older consistent one is
   * only remembered; a checkpoint this witness's trust refuses, or one it cannot check
   * without a proof, is refused (W8505, W8509); a contradiction is a split view (W8506).
   */
  async observe(note: string, proof?: readonly Uint8Array[]): Promise<WitnessResult> {
    if (this.pendingLast !== undefined) {
      const restored = await this.accept(this.pendingLast);
      this.pendingLast = undefined;
      if ("ok" in restored) return { ok: false, problem: failure("W8509", { detail: `the witness's saved checkpoint does not verify: ${restored.problem.message}` }).problem };
      this.latest = restored;
      this.remember(restored);
    }
    const cp = await this.accept(note);
    if ("ok" in cp) return { ok: false, problem: cp.problem };
    const origin = this.options.trust.origin;
    const same = this.seen.get(cp.size);
    const sameSplit = same === undefined ? undefined : splitView(same, cp, origin);
    if (sameSplit !== undefined) return { ok: false, problem: sameSplit.problem, split: sameSplit };
    const last = this.latest;
    if (last !== undefined && cp.size !== last.size) {
      if (proof === undefined) {
        return { ok: false, problem: failure("W8509", { detail: `no consistency proof between the checkpoint of size ${cp.size} and the last one seen (size ${last.size})` }).problem };
      }
      const split = splitView(last, cp, origin, proof);
      if (split !== undefined) return { ok: false, problem: split.problem, split };
      if (cp.size < last.size) {
        this.remember(cp);
        return { ok: true, status: "older", checkpoint: cp };
      }
    }
    const time = Math.floor((this.options.clock ?? (() => new Date()))().getTime() / 1000);
    const line = cosign(note, this.name, this.options.signer, time);
    if (!line.ok) return { ok: false, problem: line.problem };
    if (last === undefined || cp.size > last.size) await this.options.onAdvance?.(note);
    this.latest = cp;
    this.remember(cp);
    return { ok: true, status: "cosigned", checkpoint: cp, cosignature: line.line };
  }

  /**
   * Witness the log in `store` once: open it read-only with the trust (the store is borrowed,
   * never closed), take its latest checkpoint and the consistency proof from the last one
   * seen, and observe. A store whose latest checkpoint is below the last one seen is a
   * rollback (split view). Never throws.
   */
  async witnessStore(store: LineageStore): Promise<WitnessResult | { readonly ok: true; readonly status: "empty" }> {
    try {
      const opened = await LineageLog.open({ store: borrowed(store), crypto: runtimeCrypto, trust: this.options.trust });
      if (!opened.ok) return { ok: false, problem: opened.problem };
      const log = opened.log;
      const note = log.checkpoint;
      if (note === undefined) {
        // No checkpoint, or one the trust refuses (observe says why).
        const latest = await store.latestCheckpoint();
        return latest === undefined ? { ok: true, status: "empty" } : this.observe(latest.note);
      }
      const last = this.latest ?? (this.pendingLast === undefined ? undefined : await this.accept(this.pendingLast));
      if (last === undefined || "ok" in last || last.size === log.size) return this.observe(note);
      if (last.size > log.size) {
        const now = await this.accept(note);
        if ("ok" in now) return { ok: false, problem: now.problem };
        const split: SplitView = {
          kind: "split-view",
          reason: "rollback",
          origin: this.options.trust.origin,
          first: last,
          second: now,
          problem: problem("W8506", { origin: this.options.trust.origin, detail: "the store's latest checkpoint is below the last one this witness saw", first: describe(last), second: describe(now) }),
        };
        return { ok: false, problem: split.problem, split };
      }
      const c = await log.consistency(last.size);
      if (!c.ok) return { ok: false, problem: c.problem };
      return this.observe(note, c.proof.path.map((p) => new Uint8Array(Buffer.from(p, "base64"))));
    } catch (e) {
      return { ok: false, problem: failure("W6205", { detail: e instanceof Error ? e.message : String(e) }).problem };
    }
  }
}

/** A store the log uses without owning it: closing it does nothing. */
function borrowed(store: LineageStore): LineageStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === "close") return async () => undefined;
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
