/**
 * Whose checkpoints a mesh accepts: a checkpoint of the mesh origin signed, under the origin
 * as key name (C2SP signed-note: one name, several keys, told apart by key id), by a node the
 * operator enrolled — and, for a node revoked from size n, only checkpoints of size ≤ n.
 * The operator key itself signs records, never checkpoints.
 *
 * A trust built from a roster keeps it current through `reload` (reread and re-verified from
 * the store): before a check when the roster is older than `reloadEveryMs`, so a revocation
 * takes effect everywhere within that time, and at once when a checkpoint is signed by a key
 * it does not know (a node enrolled after this process started).
 *
 * NOTE: Node only (the mesh room); reaches Writ through `writ/runtime` only.
 */
import { failure, keyTrust, parseCheckpoint, type CheckpointTrust, type Ed25519, type Failure, type TrustResult } from "../runtime/index.js";
import type { Roster } from "./records.js";

/** Options of {@link meshTrust}. */
export interface MeshTrustOptions {
  /** A newer roster (reread and re-verified from the store), when a key id is unknown. */
  readonly reload?: () => Promise<Roster | undefined>;
  /** Reload a roster older than this before a check (default 1000 ms). */
  readonly reloadEveryMs?: number;
}

/** A mesh's checkpoint trust, with the roster it currently holds. */
export interface MeshTrust extends CheckpointTrust {
  /** The roster the trust checks against now. */
  readonly roster: Roster;
  /** The enrolled node whose key signed `note` and is accepted at its size, if any (no reload). */
  signerOf(note: string): string | undefined;
}

/** The trust of a mesh's log (see the module comment). */
export function meshTrust(initial: Roster, ed25519: Ed25519, options: MeshTrustOptions = {}): MeshTrust {
  let roster = initial;
  const keysOf = (r: Roster) => r.enrollments.map((n) => ({ n, trust: keyTrust(r.mesh, n.publicKey, ed25519) }));
  let keys = keysOf(roster);
  let lastReload = 0;
  const every = options.reloadEveryMs ?? 1000;
  const check = (note: string): { result: TrustResult; node?: string } => {
    let last: Failure | undefined;
    for (const { n, trust } of keys) {
      const r = trust.verify(note) as TrustResult;
      if (!r.ok) {
        last ??= r;
        continue;
      }
      if (n.revokedFrom !== undefined && r.value.size > n.revokedFrom) {
        return { result: failure("W8505", { detail: `the checkpoint of size ${r.value.size} is signed by node ${n.name}, revoked from size ${n.revokedFrom}` }) };
      }
      return { result: r, node: n.name };
    }
    const parsed = parseCheckpoint(note);
    const detail = !parsed.ok
      ? parsed.problem.message
      : parsed.value.checkpoint.origin !== roster.mesh
        ? `the checkpoint is of ${parsed.value.checkpoint.origin}, not of mesh ${roster.mesh}`
        : `the checkpoint of size ${parsed.value.checkpoint.size} is not signed by an enrolled node of mesh ${roster.mesh}${last === undefined ? "" : ` (${last.problem.message})`}`;
    return { result: failure("W8505", { detail }) };
  };
  return {
    origin: initial.mesh,
    publicKey: initial.operator,
    get roster() {
      return roster;
    },
    signerOf(note) {
      return check(note).node;
    },
    async verify(note) {
      const reload = options.reload;
      if (reload === undefined) return check(note).result;
      const refresh = async (): Promise<void> => {
        lastReload = Date.now();
        const next = await reload().catch(() => undefined);
        if (next === undefined || next.mesh !== roster.mesh) return;
        roster = next;
        keys = keysOf(next);
      };
      if (Date.now() - lastReload >= every) await refresh();
      const first = check(note).result;
      // NOTE: an unknown key triggers a reload at most every 100 ms, so junk notes cannot hammer the store.
      if (first.ok || first.problem.code !== "W8505" || Date.now() - lastReload < 100) return first;
      await refresh();
      return check(note).result;
    },
  };
}
