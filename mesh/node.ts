/**
 * A mesh node's pieces in one call: the mesh (verified roster), the shared lineage log opened
 * with the node's enrolled key, and the node's witness. This is what `writ serve --store
 * postgres://…` will hold (phase B); tests, the bench and the fault drills use it now.
 *
 * NOTE: Node only (the mesh room); reaches Writ through `writ/runtime` only.
 */
import { failure, nodeSigner, type CheckpointSigner, type Failure, type GroupCommitOptions, type LineageLog } from "../runtime/index.js";
import { Mesh, type MeshLocation } from "./mesh.js";
import { Witness, type WitnessResult } from "./witness.js";

/** Options of {@link openMeshNode}. */
export interface MeshNodeOptions extends MeshLocation {
  /** The node's enrolled name. */
  readonly node: string;
  /** The node's 32-byte Ed25519 private key (its public half must be the enrolled one). */
  readonly privateKey: Uint8Array;
  /** The operator key, pinned (default: as the store's first record names it). */
  readonly operatorKey?: Uint8Array;
  readonly groupCommit?: GroupCommitOptions;
  /** Pooled connections of the node's log (default 4). */
  readonly maxConnections?: number;
  /** The last checkpoint the node's witness saw (persisted outside the database), if any. */
  readonly witnessed?: string;
  /** Called with each checkpoint the witness advances to (persist it). */
  readonly onWitnessed?: (note: string) => void | Promise<void>;
}

/** An open mesh node. */
export interface MeshNode {
  readonly name: string;
  readonly mesh: Mesh;
  /** The shared log, appended to with the node's key. */
  readonly log: LineageLog;
  readonly witness: Witness;
  /** Witness the log once and record the cosignature (see {@link Witness.witnessStore}). */
  witnessOnce(): Promise<WitnessResult | { readonly ok: true; readonly status: "empty" }>;
  close(): Promise<void>;
}

/** The witness name of a node of a mesh. */
export function witnessName(mesh: string, node: string): string {
  return `${mesh}/witness/${node}`;
}

/** Open a node of a mesh (its name and key must be enrolled, W8504 otherwise). Never throws. */
export async function openMeshNode(options: MeshNodeOptions): Promise<{ readonly ok: true; readonly node: MeshNode } | Failure> {
  let signer: CheckpointSigner;
  try {
    signer = nodeSigner(options.privateKey);
  } catch (e) {
    return failure("W8504", { detail: `invalid node key: ${e instanceof Error ? e.message : String(e)}` });
  }
  const opened = await Mesh.open({ url: options.url, ...(options.schema === undefined ? {} : { schema: options.schema }), ...(options.operatorKey === undefined ? {} : { operatorKey: options.operatorKey }) });
  if (!opened.ok) return opened;
  const mesh = opened.mesh;
  const enrolled = mesh.roster.nodes.get(options.node);
  if (enrolled === undefined || enrolled.revokedFrom !== undefined || !Buffer.from(enrolled.publicKey).equals(Buffer.from(signer.publicKey))) {
    await mesh.close();
    return failure("W8504", { detail: `node ${options.node} is not enrolled in mesh ${mesh.name} with this key` });
  }
  const log = await mesh.openLog({ signer, ...(options.groupCommit === undefined ? {} : { groupCommit: options.groupCommit }), ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }) });
  if (!log.ok) {
    await mesh.close();
    return log;
  }
  const witness = new Witness({
    name: witnessName(mesh.name, options.node),
    signer,
    trust: log.log.trust,
    ...(options.witnessed === undefined ? {} : { last: options.witnessed }),
    ...(options.onWitnessed === undefined ? {} : { onAdvance: options.onWitnessed }),
  });
  const node: MeshNode = {
    name: options.node,
    mesh,
    log: log.log,
    witness,
    async witnessOnce() {
      const r = await witness.witnessStore(mesh.store);
      if (r.ok && r.status === "cosigned") {
        try {
          await mesh.addCosignature(r.checkpoint.size, witness.name, r.cosignature);
        } catch (e) {
          return { ok: false, problem: failure("W6205", { detail: `cannot record the cosignature: ${e instanceof Error ? e.message : String(e)}` }).problem };
        }
      }
      return r;
    },
    async close() {
      await log.log.close();
      await mesh.close();
    },
  };
  return { ok: true, node };
}
