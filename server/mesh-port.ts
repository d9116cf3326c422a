/**
 * What a server running as a mesh node needs from the mesh — the shape the CLI hands to
 * `createServer({ mesh })` (the mesh room's `MeshService` has it). server/ never imports the
 * mesh room (nor `pg`): it knows the mesh only through this port.
 *
 * - `hold()`: why decisions are refused now (a split view, W8506; behind the pins after the
 *   grace period, W8510) — checked on every decision and by `/readyz`;
 * - `attach(target)`: load the pinned bundle and snapshot into the server now, then keep them
 *   in step (called once, before the server listens);
 * - `view()`, `checkpoint()`, `witnessed(proof, k)`: `GET /v1/mesh`, the cosigned checkpoint,
 *   proofs that demand k witnesses;
 * - `close()`: stop the mesh duties and close the shared log (the server calls it last).
 */
import type { Failure, LineageProof, Problem } from "../runtime/index.js";

/** The decision side of the server, as the mesh loads pins into it. */
export interface PinTarget {
  /** Verify and swap to this bundle (and snapshot), or to this snapshot alone (`bundle` undefined); the problem when refused. */
  load(bundle: unknown, entities: unknown): Problem | undefined;
  /** The active bundle and entity snapshot ids. */
  active(): { readonly bundle?: string; readonly entities?: string };
}

/** A checkpoint with its verified cosignatures. */
export interface CosignedCheckpoint {
  /** The checkpoint note with every verified cosignature line appended (C2SP signed note). */
  readonly note: string;
  readonly origin: string;
  readonly size: number;
  /** Root hash, base64. */
  readonly root: string;
  /** The enrolled node that signed it. */
  readonly signer?: string;
  /** Nodes whose cosignature verified. */
  readonly witnesses: readonly string[];
  /** Seconds since it was stored. */
  readonly ageSeconds: number;
}

/** The mesh, as a server node sees it. */
export interface MeshPort {
  /** The mesh name (the log origin). */
  readonly mesh: string;
  /** Why decisions are refused now, if they are. */
  hold(): Problem | undefined;
  /** Whether a split view was seen (sticky). */
  readonly splitView: unknown;
  /** Whether the active bundle or snapshot differs from the pinned one (grace period included). */
  isBehind(): boolean;
  attach(target: PinTarget): Promise<Problem | undefined>;
  /** The live state of the mesh: plain JSON (see docs/mesh.md). */
  view(): Promise<{ readonly ok: true; readonly view: unknown } | Failure>;
  checkpoint(): Promise<{ readonly ok: true; readonly checkpoint?: CosignedCheckpoint } | Failure>;
  witnessed(proof: LineageProof, k: number): Promise<{ readonly ok: true; readonly proof: LineageProof } | Failure>;
  close(): Promise<void>;
}
