/**
 * A mesh's live state, as `GET /v1/mesh`, `GET /v1/lineage/checkpoint` and `writ mesh status`
 * show it: the latest checkpoint with its verified cosignatures and age, each serving node's
 * heartbeat (readiness, active bundle and snapshot, log size it holds, last checkpoint it
 * witnessed), and proofs that demand k witnesses.
 *
 * - {@link writeHeartbeat}: a node records its status (one row per node, `node_status`).
 * - {@link witnessedCheckpoint}: a stored checkpoint (accepted by the mesh trust) with the
 *   cosignatures that verify against the roster, appended as C2SP signature lines.
 * - {@link witnessedProof}: an inclusion proof whose checkpoint carries at least k verified
 *   cosignatures, or W8511.
 * - {@link meshView}: the plain JSON the console reads (see docs/mesh.md, "GET /v1/mesh").
 *
 * NOTE: Node only (the mesh room); reaches Writ through `writ/runtime` only.
 */
import { failure, parseCheckpoint, runtimeCrypto, type Failure, type LineageProof } from "../runtime/index.js";
import type { Mesh } from "./mesh.js";
import { witnessName } from "./node.js";
import { verifyCosignature } from "./witness.js";

/** What a serving node reports about itself. */
export interface NodeHeartbeat {
  /** Whether the node decides (false: it fails closed, `reason` says why). */
  readonly ready: boolean;
  readonly reason?: string;
  /** Active bundle id, if any. */
  readonly bundle?: string;
  /** Active entity snapshot id, if any. */
  readonly entities?: string;
  /** The log size the node holds. */
  readonly size: number;
  /** Size of the last checkpoint the node's witness cosigned, if any. */
  readonly witnessed?: number;
}

/** A checkpoint with its verified cosignatures. */
export interface WitnessedCheckpoint {
  /** The checkpoint note with every verified cosignature appended (C2SP signed note). */
  readonly note: string;
  readonly origin: string;
  readonly size: number;
  /** Root hash, base64. */
  readonly root: string;
  /** The enrolled node that signed it. */
  readonly signer?: string;
  /** Nodes whose cosignature verified, sorted. */
  readonly witnesses: readonly string[];
  /** Seconds since the checkpoint was stored. */
  readonly ageSeconds: number;
}

/** One node in {@link MeshView}. */
export interface MeshViewNode {
  readonly name: string;
  /** False for a node never seen, failing closed, or revoked. */
  readonly ready: boolean;
  readonly reason?: string;
  readonly bundle: string | null;
  readonly entities: string | null;
  /** ISO 8601 time of the last heartbeat, null when never seen. */
  readonly last_seen: string | null;
  /** Log size the node held at its last heartbeat. */
  readonly size: number | null;
  /** Size of the last checkpoint it witnessed. */
  readonly witnessed: number | null;
  /** Present when revoked: its checkpoints above this size no longer count. */
  readonly revoked_from?: number;
}

/** The live state of a mesh: the plain JSON of `GET /v1/mesh`. */
export interface MeshView {
  readonly mesh: string;
  readonly origin: string;
  readonly size: number;
  readonly checkpoint: { readonly size: number; readonly root: string; readonly age_s: number; readonly cosignatures: number; readonly signer: string | null } | null;
  readonly pins: { readonly bundle: string | null; readonly entities: string | null };
  readonly nodes: readonly MeshViewNode[];
  /** Why `checkpoint` is null although the log has one: the latest stored checkpoint is not accepted (W8505). */
  readonly checkpoint_problem?: string;
}

/** Record a node's heartbeat (its row is replaced). Never throws. */
export async function writeHeartbeat(mesh: Mesh, node: string, status: NodeHeartbeat): Promise<Failure | undefined> {
  try {
    await mesh.store.query(
      `INSERT INTO ${mesh.store.schema}.node_status (node, status, seen_at) VALUES ($1, $2, now()) ON CONFLICT (node) DO UPDATE SET status = EXCLUDED.status, seen_at = EXCLUDED.seen_at`,
      [node, JSON.stringify(status)],
      true,
    );
    return undefined;
  } catch (e) {
    return failure("W6205", { detail: `cannot record the node's heartbeat: ${e instanceof Error ? e.message : String(e)}` });
  }
}

/**
 * The stored checkpoint of `size` (default: the latest) — accepted by the mesh's trust —
 * with the cosignatures that verify against the roster (a witness `<mesh>/witness/<node>`
 * of an enrolled node, not revoked at that size). Undefined when the log has no checkpoint.
 * Never throws.
 */
export async function witnessedCheckpoint(mesh: Mesh, size?: number): Promise<{ readonly ok: true; readonly checkpoint?: WitnessedCheckpoint } | Failure> {
  const S = mesh.store.schema;
  try {
    const rows = (
      await mesh.store.query<{ size: string; note: string; age: string }>(
        `SELECT size, note, EXTRACT(EPOCH FROM now() - stored_at) AS age FROM ${S}.checkpoints ${size === undefined ? "ORDER BY size DESC LIMIT 1" : "WHERE size = $1"}`,
        size === undefined ? [] : [size],
      )
    ).rows;
    const row = rows[0];
    if (row === undefined) return { ok: true };
    const trust = mesh.trust();
    const trusted = await trust.verify(row.note);
    if (!trusted.ok) return failure("W8505", { detail: `the stored checkpoint of size ${row.size} is not accepted: ${trusted.problem.message}` });
    const cp = parseCheckpoint(row.note);
    if (!cp.ok) return cp;
    const lines = (await mesh.store.query<{ witness: string; line: string }>(`SELECT witness, line FROM ${S}.cosignatures WHERE size = $1 ORDER BY witness`, [trusted.value.size])).rows;
    const roster = mesh.roster;
    const witnesses: string[] = [];
    let note = row.note;
    for (const l of lines) {
      const node = [...roster.nodes.values()].find((n) => witnessName(roster.mesh, n.name) === l.witness);
      if (node === undefined || (node.revokedFrom !== undefined && trusted.value.size > node.revokedFrom)) continue;
      if (!verifyCosignature(row.note + l.line, l.witness, node.publicKey, runtimeCrypto.ed25519).ok) continue;
      witnesses.push(node.name);
      note += l.line;
    }
    const signer = trust.signerOf(row.note);
    return {
      ok: true,
      checkpoint: {
        note,
        origin: roster.mesh,
        size: trusted.value.size,
        root: Buffer.from(trusted.value.rootHash).toString("base64"),
        ...(signer === undefined ? {} : { signer }),
        witnesses: witnesses.sort(),
        ageSeconds: Math.max(0, Math.round(Number(row.age))),
      },
    };
  } catch (e) {
    return failure("W6205", { detail: `cannot read the checkpoint: ${e instanceof Error ? e.message : String(e)}` });
  }
}

/**
 * The proof with its checkpoint carrying the verified cosignatures of that size, when at least
 * `k` nodes witnessed it; W8511 otherwise (retry after the witnesses' next round). Never throws.
 */
export async function witnessedProof(mesh: Mesh, proof: LineageProof, k: number): Promise<{ readonly ok: true; readonly proof: LineageProof; readonly witnesses: readonly string[] } | Failure> {
  const cp = await witnessedCheckpoint(mesh, proof.size);
  if (!cp.ok) return cp;
  const c = cp.checkpoint;
  if (c === undefined || !c.note.startsWith(proof.checkpoint)) {
    return failure("W8511", { detail: `no stored checkpoint of size ${proof.size} matches the proof's` });
  }
  if (c.witnesses.length < k) {
    return failure("W8511", { detail: `the checkpoint of size ${c.size} has ${c.witnesses.length} verified cosignature${c.witnesses.length === 1 ? "" : "s"} and ${k} were asked; retry after the witnesses' next round` });
  }
  return { ok: true, proof: { ...proof, checkpoint: c.note }, witnesses: c.witnesses };
}

/** The mesh's live state (roster reread, heartbeats, latest checkpoint). Never throws. */
export async function meshView(mesh: Mesh): Promise<{ readonly ok: true; readonly view: MeshView } | Failure> {
  const reloaded = await mesh.reload();
  if (!reloaded.ok) return reloaded;
  const roster = reloaded.roster;
  const cp = await witnessedCheckpoint(mesh);
  // A latest checkpoint the trust refuses (say, signed by a revoked node) is shown as such, not hidden behind an error.
  if (!cp.ok && cp.problem.code !== "W8505") return cp;
  try {
    const size = await mesh.store.size();
    const beats = new Map<string, { status: NodeHeartbeat; seen: string }>();
    for (const r of (await mesh.store.query<{ node: string; status: string; seen_at: Date }>(`SELECT node, status, seen_at FROM ${mesh.store.schema}.node_status`)).rows) {
      beats.set(r.node, { status: JSON.parse(r.status) as NodeHeartbeat, seen: new Date(r.seen_at).toISOString() });
    }
    const c = cp.ok ? cp.checkpoint : undefined;
    const view: MeshView = {
      mesh: roster.mesh,
      origin: roster.mesh,
      size,
      checkpoint: c === undefined ? null : { size: c.size, root: c.root, age_s: c.ageSeconds, cosignatures: c.witnesses.length, signer: c.signer ?? null },
      pins: { bundle: roster.bundle?.id ?? null, entities: roster.entities?.id ?? null },
      nodes: [...roster.nodes.values()].map((n) => {
        const b = beats.get(n.name);
        const s = b?.status;
        const reason = n.revokedFrom !== undefined ? "revoked" : s === undefined ? "never seen" : s.reason;
        return {
          name: n.name,
          ready: n.revokedFrom === undefined && s?.ready === true,
          ...(reason === undefined ? {} : { reason }),
          bundle: s?.bundle ?? null,
          entities: s?.entities ?? null,
          last_seen: b?.seen ?? null,
          size: s?.size ?? null,
          witnessed: s?.witnessed ?? null,
          ...(n.revokedFrom === undefined ? {} : { revoked_from: n.revokedFrom }),
        };
      }),
      ...(cp.ok ? {} : { checkpoint_problem: `${cp.problem.code} ${cp.problem.message}` }),
    };
    return { ok: true, view };
  } catch (e) {
    return failure("W6205", { detail: `cannot read the mesh's status: ${e instanceof Error ? e.message : String(e)}` });
  }
}
