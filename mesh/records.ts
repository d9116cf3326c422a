/**
 * The mesh's signed records: who belongs to a mesh and what it decides on, each a DSSE
 * envelope signed by the operator key, kept in order in `mesh_records`.
 *
 *     { format: "writ-mesh-record/1", mesh, seq, previous, at, kind, … }
 *
 * - `mesh` (seq 0): the mesh's name (its log origin) and operator key;
 * - `enroll`: a node name and its Ed25519 public key — its checkpoints count from now on;
 * - `revoke`: a node's checkpoints of sizes above `fromSize` no longer count (its earlier
 *   ones stay valid: they were issued while it was enrolled and are checked against the
 *   rebuilt tree like every other);
 * - `pin`: the bundle (id, sequence, signer key id) or entity snapshot (id, bundle id)
 *   every node must decide on; the document itself is in `pins`.
 *
 * Records form a chain: `seq` counts from 0 and `previous` is the content id of the previous
 * record's payload, so a record cannot be dropped from the middle, reordered or replaced
 * without breaking the operator's signatures. {@link readRoster} replays the chain into the
 * current {@link Roster}; it accepts nothing the operator did not sign. `at` is the operator's
 * clock, informative only.
 *
 * NOTE: Node only (the mesh room); reaches Writ through `writ/runtime` only.
 */
import { canonicalJson, contentId, failure, keyIdOf, signEnvelope, verifyEnvelope, type CheckpointSigner, type DsseEnvelope, type Ed25519, type Failure } from "../runtime/index.js";

/** The DSSE payload type of mesh records. */
export const MESH_RECORD_TYPE = "application/vnd.writ.mesh-record+json";

/** The format tag of mesh records. */
export const MESH_RECORD_FORMAT = "writ-mesh-record/1";

/** Fields every record has. */
interface RecordBase {
  readonly format: typeof MESH_RECORD_FORMAT;
  /** The mesh name (its log origin). */
  readonly mesh: string;
  /** Position in the chain, from 0. */
  readonly seq: number;
  /** Content id of the previous record's payload ("" for seq 0). */
  readonly previous: string;
  /** When the operator signed it (ISO 8601; informative). */
  readonly at: string;
}

/** One mesh record (the signed payload). */
export type MeshRecord =
  | (RecordBase & { readonly kind: "mesh"; readonly operator: string })
  | (RecordBase & { readonly kind: "enroll"; readonly node: string; readonly publicKey: string })
  | (RecordBase & { readonly kind: "revoke"; readonly node: string; readonly publicKey: string; readonly fromSize: number })
  | (RecordBase & { readonly kind: "pin"; readonly what: "bundle"; readonly id: string; readonly sequence: number; readonly signer: string })
  | (RecordBase & { readonly kind: "pin"; readonly what: "entities"; readonly id: string; readonly bundleId: string });

/** The content of a record to sign (the chain fields are filled in when it is appended). */
export type RecordContent = MeshRecord extends infer R ? (R extends MeshRecord ? Omit<R, keyof RecordBase> : never) : never;

/** An enrolled node as the roster holds it. */
export interface RosterNode {
  readonly name: string;
  readonly publicKey: Uint8Array;
  /** The enrollment record's seq. */
  readonly enrolled: number;
  /** Checkpoints above this size signed by the node no longer count (absent: not revoked). */
  readonly revokedFrom?: number;
}

/** A pinned bundle or snapshot as the roster holds it. */
export interface RosterPin {
  readonly what: "bundle" | "entities";
  readonly id: string;
  /** The pin record's seq. */
  readonly seq: number;
  /** The bundle's sequence number (bundle pins). */
  readonly sequence?: number;
  /** The bundle signer's key id (bundle pins). */
  readonly signer?: string;
  /** The bundle the snapshot was checked against (entity pins). */
  readonly bundleId?: string;
  readonly at: string;
}

/** The state a record chain establishes. */
export interface Roster {
  /** The mesh name: its log origin. */
  readonly mesh: string;
  /** The operator's Ed25519 public key. */
  readonly operator: Uint8Array;
  /** The nodes by name (the latest enrollment of each name). */
  readonly nodes: ReadonlyMap<string, RosterNode>;
  /** Every enrollment in order, revoked ones included (a name re-enrolled with a new key after a revocation has two). */
  readonly enrollments: readonly RosterNode[];
  readonly bundle?: RosterPin;
  readonly entities?: RosterPin;
  /** The last record: its seq and content id (what the next record links to). */
  readonly head: { readonly seq: number; readonly id: string };
}

/** A stored record: its seq and envelope text. */
export interface StoredRecord {
  readonly seq: number;
  readonly envelope: string;
}

/** Outcome of {@link readRoster}. */
export type RosterResult = { readonly ok: true; readonly roster: Roster } | Failure;

/** Node names: the characters of a signed-note key name, at most 64. */
export const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/;

/** Mesh names (log origins): a schema-less URL-like name, e.g. `example.com/writ/prod`. */
export const MESH_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/;

/** Why `name` cannot be a mesh name, if so. */
export function meshNameProblem(name: string): string | undefined {
  if (!MESH_NAME.test(name)) return `invalid mesh name ${JSON.stringify(name)}: letters, digits and . _ : / - (a schema-less URL such as example.com/writ/prod)`;
  // INVARIANT: a checkpoint body never starts like a cosignature message, so one key can sign both.
  if (name.startsWith("cosignature/")) return "a mesh name must not start with cosignature/";
  return undefined;
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}

function key32(text: unknown): Uint8Array | undefined {
  if (typeof text !== "string") return undefined;
  const b = Buffer.from(text, "base64");
  return b.length === 32 && b.toString("base64") === text ? new Uint8Array(b) : undefined;
}

/** Sign the next record of a chain whose last record is `head` (undefined for the first). */
export function signRecord(
  content: RecordContent,
  chain: { readonly mesh: string; readonly head?: Roster["head"] },
  operator: CheckpointSigner,
  ed25519: Ed25519,
  at: Date,
): { readonly record: MeshRecord; readonly envelope: DsseEnvelope } {
  const record = {
    format: MESH_RECORD_FORMAT,
    mesh: chain.mesh,
    seq: chain.head === undefined ? 0 : chain.head.seq + 1,
    previous: chain.head?.id ?? "",
    at: at.toISOString(),
    ...content,
  } as MeshRecord;
  const envelope = signEnvelope(MESH_RECORD_TYPE, new TextEncoder().encode(canonicalJson(record)), operator, keyIdOf(operator.publicKey), ed25519);
  return { record, envelope };
}

/** The public key of the operator named in a chain's first record (unverified: pin it from elsewhere). */
export function claimedOperator(first: StoredRecord | undefined): Uint8Array | undefined {
  if (first === undefined) return undefined;
  try {
    const env = JSON.parse(first.envelope) as DsseEnvelope;
    const payload = JSON.parse(Buffer.from(env.payload, "base64").toString("utf8")) as { operator?: unknown };
    return key32(payload.operator);
  } catch {
    return undefined;
  }
}

/**
 * Replay a record chain (ascending seq) signed by `operator` into its roster. Every record
 * must verify under the operator key, belong to the same mesh, continue the chain, and make
 * sense where it stands. Never throws.
 */
export function readRoster(records: readonly StoredRecord[], operator: Uint8Array, ed25519: Ed25519): RosterResult {
  const keyid = keyIdOf(operator);
  let mesh = "";
  const nodes = new Map<string, RosterNode>();
  const enrollments: RosterNode[] = [];
  const byKey = new Map<string, string>();
  let bundle: RosterPin | undefined;
  let entities: RosterPin | undefined;
  let head: Roster["head"] | undefined;
  for (const [i, stored] of records.entries()) {
    const bad = (detail: string): Failure => failure("W8502", { seq: stored.seq, detail });
    let env: unknown;
    try {
      env = JSON.parse(stored.envelope);
    } catch {
      return bad("the envelope is not JSON");
    }
    const check = verifyEnvelope(env, operator, ed25519, keyid);
    if (!check.ok) return bad(`not signed by the operator key: ${check.problem.message}`);
    if (check.payloadType !== MESH_RECORD_TYPE) return bad(`payload type ${check.payloadType}`);
    let r: MeshRecord;
    try {
      r = JSON.parse(new TextDecoder().decode(check.payload)) as MeshRecord;
    } catch {
      return bad("the payload is not JSON");
    }
    if (r.format !== MESH_RECORD_FORMAT) return bad(`unknown format ${JSON.stringify(r.format)}`);
    if (r.seq !== i || stored.seq !== i) return bad(`out of order: expected record ${i}`);
    if (r.previous !== (head?.id ?? "")) return bad("it does not link to the previous record (a record was removed or replaced)");
    if (i > 0 && r.mesh !== mesh) return bad(`it belongs to mesh ${JSON.stringify(r.mesh)}, not ${JSON.stringify(mesh)}`);
    switch (r.kind) {
      case "mesh": {
        if (i !== 0) return bad("a mesh record after the first");
        const k = key32(r.operator);
        if (k === undefined || b64(k) !== b64(operator)) return bad("it names another operator key");
        const p = meshNameProblem(r.mesh);
        if (p !== undefined) return bad(p);
        mesh = r.mesh;
        break;
      }
      case "enroll": {
        const k = key32(r.publicKey);
        if (i === 0 || k === undefined || !NODE_NAME.test(r.node)) return bad("a malformed enrollment");
        const current = nodes.get(r.node);
        if (current !== undefined && current.revokedFrom === undefined) return bad(`node ${r.node} is already enrolled`);
        const owner = byKey.get(r.publicKey);
        if (owner !== undefined) return bad(`the key is already enrolled for node ${owner}`);
        const node: RosterNode = { name: r.node, publicKey: k, enrolled: i };
        nodes.set(r.node, node);
        enrollments.push(node);
        byKey.set(r.publicKey, r.node);
        break;
      }
      case "revoke": {
        const current = nodes.get(r.node);
        if (i === 0 || current === undefined || b64(current.publicKey) !== r.publicKey || current.revokedFrom !== undefined) return bad(`node ${r.node} is not enrolled with that key`);
        if (!Number.isSafeInteger(r.fromSize) || r.fromSize < 0) return bad("a malformed revocation size");
        const revoked: RosterNode = { ...current, revokedFrom: r.fromSize };
        nodes.set(r.node, revoked);
        enrollments[enrollments.indexOf(current)] = revoked;
        break;
      }
      case "pin": {
        if (i === 0 || typeof r.id !== "string" || !r.id.startsWith("sha256:")) return bad("a malformed pin");
        if (r.what === "bundle") {
          if (!Number.isSafeInteger(r.sequence) || r.sequence < 0 || typeof r.signer !== "string") return bad("a malformed bundle pin");
          if (bundle !== undefined && r.sequence <= bundle.sequence!) return bad(`bundle sequence ${r.sequence} is not above the pinned ${bundle.sequence}`);
          bundle = { what: "bundle", id: r.id, seq: i, sequence: r.sequence, signer: r.signer, at: r.at };
        } else if (r.what === "entities") {
          if (typeof r.bundleId !== "string") return bad("a malformed entities pin");
          entities = { what: "entities", id: r.id, seq: i, bundleId: r.bundleId, at: r.at };
        } else return bad("an unknown pin");
        break;
      }
      default:
        return bad(`unknown kind ${JSON.stringify((r as { kind?: unknown }).kind)}`);
    }
    head = { seq: i, id: contentId(r) };
  }
  if (head === undefined) return failure("W8501", { detail: "no mesh in this store: run `writ mesh init` first" });
  return { ok: true, roster: { mesh, operator, nodes, enrollments, head, ...(bundle === undefined ? {} : { bundle }), ...(entities === undefined ? {} : { entities }) } };
}

/** The nodes whose checkpoints count at some size (enrolled, not revoked from size 0). */
export function activeNodes(roster: Roster): RosterNode[] {
  return [...roster.nodes.values()].filter((n) => n.revokedFrom === undefined);
}
