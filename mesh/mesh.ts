/**
 * A mesh on PostgreSQL: one name (the log origin), one operator key, the nodes the operator
 * enrolled, the bundle and entity snapshot it pinned — all as operator-signed records in the
 * store (see `records.ts`) — and the one lineage log every node appends to.
 *
 * - {@link initMesh} creates or migrates the schema and writes the first record (idempotent
 *   for the same name and operator key; another one is refused, W8503).
 * - {@link Mesh.open} reads and verifies the record chain: against the operator key the
 *   caller pins (`operatorKey`), else against the key the first record names (`pinned` is
 *   then false — fine for a node the operator configured, not for an auditor).
 * - `enroll`, `revoke`, `publishBundle`, `publishEntities` append a record under an advisory
 *   lock (one record writer at a time), re-verifying the whole chain with the new record, and
 *   notify `<schema>.pins` on commit.
 * - `openLog` opens the shared lineage log as a node (a signer whose key is enrolled) or as
 *   a reader, on its own connection pool, with the mesh's checkpoint trust.
 *
 * NOTE: Node only (the mesh room); reaches Writ through `writ/runtime` only.
 */
import {
  canonicalJson,
  failure,
  keyIdOf,
  LineageLog,
  loadBundle,
  loadEntities,
  runtimeCrypto,
  type CheckpointSigner,
  type EntityJson,
  type Failure,
  type GroupCommitOptions,
  type LoadedBundle,
  type OpenLogResult,
} from "../runtime/index.js";
import { openPostgresStore, type PostgresLineageStore, type TxQuery } from "./pg-store.js";
import { claimedOperator, meshNameProblem, NODE_NAME, readRoster, signRecord, type MeshRecord, type RecordContent, type Roster, type RosterPin, type StoredRecord } from "./records.js";
import { meshTrust, type MeshTrust } from "./trust.js";

/** Where a mesh lives. */
export interface MeshLocation {
  /** PostgreSQL connection string. */
  readonly url: string;
  /** PostgreSQL schema of the mesh (default `writ`). */
  readonly schema?: string;
}

/** Options of {@link Mesh.open}. */
export interface OpenMeshOptions extends MeshLocation {
  /** The operator's public key, pinned by the caller; default: the key the first record names (not pinned). */
  readonly operatorKey?: Uint8Array;
  /** Most pooled connections of the mesh's own store (default 4). */
  readonly maxConnections?: number;
}

/** Outcome of opening or initializing a mesh. */
export type MeshResult = { readonly ok: true; readonly mesh: Mesh; readonly created?: boolean } | Failure;

/** Outcome of appending a record. */
export type RecordResult = { readonly ok: true; readonly record: MeshRecord; readonly unchanged?: boolean } | Failure;

/** A pinned bundle or snapshot with its document. */
export interface PinnedDocument {
  readonly pin: RosterPin;
  /** The pinned bundle file (canonical JSON, signature included) or the snapshot's canonical entities JSON. */
  readonly document: string;
}

/** What `writ mesh status` shows. */
export interface MeshStatus {
  readonly mesh: string;
  /** Key id (`sha256:…`) of the operator key. */
  readonly operator: string;
  /** Whether the operator key was pinned by the caller. */
  readonly operatorPinned: boolean;
  readonly records: number;
  readonly nodes: readonly { readonly name: string; readonly keyId: string; readonly enrolledAt: string; readonly revokedFrom?: number }[];
  readonly bundle?: RosterPin;
  readonly entities?: RosterPin;
  readonly log: { readonly size: number; readonly checkpoint?: { readonly size: number; readonly signer?: string; readonly cosignatures: number } };
}

const ed = runtimeCrypto.ed25519;

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}

/** The stored records in order (inside a transaction when `query` is given). */
async function readRecords(store: PostgresLineageStore, query?: TxQuery): Promise<StoredRecord[]> {
  const sql = `SELECT seq, envelope FROM ${store.schema}.mesh_records ORDER BY seq`;
  const rows = (await (query ?? ((t: string) => store.query(t)))<{ seq: string; envelope: string }>(sql)).rows;
  return rows.map((r) => ({ seq: Number(r.seq), envelope: r.envelope }));
}

/**
 * Create (or migrate) the mesh's schema and write its first record: name and operator key.
 * Running it again with the same name and key only migrates (`created: false`); another
 * name or key is refused (W8503). Never throws.
 */
export async function initMesh(options: MeshLocation & { readonly name: string; readonly operator: CheckpointSigner; readonly at?: Date }): Promise<MeshResult> {
  const nameProblem = meshNameProblem(options.name);
  if (nameProblem !== undefined) return failure("W8503", { detail: nameProblem });
  const opened = await openPostgresStore({ url: options.url, ...(options.schema === undefined ? {} : { schema: options.schema }), migrate: true });
  if (!opened.ok) return opened;
  const store = opened.store;
  let created = false;
  try {
    await store.transaction(async (c) => {
      await c("SELECT pg_advisory_xact_lock(hashtext($1))", [`${store.schema}.mesh_records`]);
      const records = await readRecords(store, c);
      if (records.length > 0) return;
      const { record, envelope } = signRecord({ kind: "mesh", operator: b64(options.operator.publicKey) }, { mesh: options.name }, options.operator, ed, options.at ?? new Date());
      await c(`INSERT INTO ${store.schema}.mesh_records (seq, kind, envelope) VALUES ($1, $2, $3)`, [record.seq, record.kind, JSON.stringify(envelope)]);
      created = true;
    });
  } catch (e) {
    await store.close();
    return failure("W6205", { detail: `cannot initialize the mesh: ${e instanceof Error ? e.message : String(e)}` });
  }
  await store.close();
  const mesh = await Mesh.open({ url: options.url, ...(options.schema === undefined ? {} : { schema: options.schema }), operatorKey: options.operator.publicKey });
  if (!mesh.ok) {
    if (mesh.problem.code === "W8502") return failure("W8503", { detail: "this store already holds a mesh of another operator key" });
    return mesh;
  }
  if (mesh.mesh.name !== options.name) {
    await mesh.mesh.close();
    return failure("W8503", { detail: `this store already holds mesh ${mesh.mesh.name}` });
  }
  return { ok: true, mesh: mesh.mesh, created };
}

/** A mesh opened on its store (see the module comment). */
export class Mesh {
  private current: Roster;

  private constructor(
    /** The mesh's own store (records, pins, cosignatures, and reads of the log). */
    readonly store: PostgresLineageStore,
    roster: Roster,
    /** Whether the caller pinned the operator key. */
    readonly operatorPinned: boolean,
    private readonly location: MeshLocation,
  ) {
    this.current = roster;
  }

  /** Open a mesh and verify its records (see the module comment). Never throws. */
  static async open(options: OpenMeshOptions): Promise<MeshResult> {
    const opened = await openPostgresStore({ url: options.url, ...(options.schema === undefined ? {} : { schema: options.schema }), ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }) });
    if (!opened.ok) return opened.problem.code === "W6212" && /writ mesh init/.test(opened.problem.message) ? failure("W8501", { detail: opened.problem.message }) : opened;
    const store = opened.store;
    try {
      const records = await readRecords(store);
      const operator = options.operatorKey ?? claimedOperator(records[0]);
      const roster = operator === undefined ? failure("W8501", { detail: "no mesh in this store: run `writ mesh init` first" }) : readRoster(records, operator, ed);
      if (!roster.ok) {
        await store.close();
        return roster;
      }
      const location = { url: options.url, ...(options.schema === undefined ? {} : { schema: options.schema }) };
      return { ok: true, mesh: new Mesh(store, roster.roster, options.operatorKey !== undefined, location) };
    } catch (e) {
      await store.close();
      return failure("W6205", { detail: `cannot read the mesh: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  /** The mesh name: its log origin. */
  get name(): string {
    return this.current.mesh;
  }

  /** The verified roster as last read. */
  get roster(): Roster {
    return this.current;
  }

  /** Reread and re-verify the records (against the same operator key). Never throws. */
  async reload(): Promise<{ readonly ok: true; readonly roster: Roster } | Failure> {
    try {
      const r = readRoster(await readRecords(this.store), this.current.operator, ed);
      if (r.ok) this.current = r.roster;
      return r;
    } catch (e) {
      return failure("W6205", { detail: `cannot read the mesh: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  /** The mesh's checkpoint trust, rereading the roster when it is older than `reloadEveryMs` (default 1 s) or meets an unknown key. */
  trust(options: { readonly reloadEveryMs?: number } = {}): MeshTrust {
    return meshTrust(this.current, ed, { ...options, reload: async () => ((await this.reload()).ok ? this.current : undefined) });
  }

  /**
   * Append an operator-signed record (and, for a pin, its document) under the record lock;
   * the chain with the new record must verify. Never throws.
   */
  private async append(content: RecordContent, operator: CheckpointSigner, at: Date, document?: { readonly id: string; readonly text: string }): Promise<RecordResult> {
    if (b64(operator.publicKey) !== b64(this.current.operator)) return failure("W8503", { detail: `this is not the operator key of mesh ${this.name}` });
    const S = this.store.schema;
    try {
      const record = await this.store.transaction(async (c) => {
        await c("SELECT pg_advisory_xact_lock(hashtext($1))", [`${S}.mesh_records`]);
        const records = await readRecords(this.store, c);
        const before = readRoster(records, this.current.operator, ed);
        if (!before.ok) throw new RecordRefused(before);
        const signed = signRecord(content, { mesh: this.name, head: before.roster.head }, operator, ed, at);
        const after = readRoster([...records, { seq: signed.record.seq, envelope: JSON.stringify(signed.envelope) }], this.current.operator, ed);
        if (!after.ok) throw new RecordRefused(failure("W8504", { detail: after.problem.message.replace(/^mesh record \d+ does not verify: /, "") }));
        await c(`INSERT INTO ${S}.mesh_records (seq, kind, envelope) VALUES ($1, $2, $3)`, [signed.record.seq, signed.record.kind, JSON.stringify(signed.envelope)]);
        if (document !== undefined && content.kind === "pin") {
          await c(`INSERT INTO ${S}.pins (record_seq, kind, object_id, document) VALUES ($1, $2, $3, $4)`, [signed.record.seq, content.what, document.id, document.text]);
          await c("SELECT pg_notify($1, $2)", [`${S}.pins`, String(signed.record.seq)]);
        }
        this.current = after.roster;
        return signed.record;
      });
      return { ok: true, record };
    } catch (e) {
      if (e instanceof RecordRefused) return e.failure;
      return failure("W6205", { detail: `cannot write the mesh record: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  /** Enroll a node: its checkpoints count from now on. Never throws. */
  enroll(operator: CheckpointSigner, node: string, publicKey: Uint8Array, at: Date = new Date()): Promise<RecordResult> {
    if (!NODE_NAME.test(node)) return Promise.resolve(failure("W8504", { detail: `invalid node name ${JSON.stringify(node)}: letters, digits and . _ : / -, at most 64` }));
    return this.append({ kind: "enroll", node, publicKey: b64(publicKey) }, operator, at);
  }

  /**
   * Revoke a node: its checkpoints above `fromSize` (default: the log's size now) no longer
   * count. Never throws.
   */
  async revoke(operator: CheckpointSigner, node: string, fromSize?: number, at: Date = new Date()): Promise<RecordResult> {
    const n = this.current.nodes.get(node);
    if (n === undefined || n.revokedFrom !== undefined) return failure("W8504", { detail: `node ${node} is not enrolled in mesh ${this.name}` });
    let size = fromSize;
    try {
      size ??= await this.store.size();
    } catch (e) {
      return failure("W6205", { detail: e instanceof Error ? e.message : String(e) });
    }
    return this.append({ kind: "revoke", node, publicKey: b64(n.publicKey), fromSize: size }, operator, at);
  }

  /**
   * Pin a signed bundle for the mesh: it must load, every id must recompute, its signature
   * must verify with `bundleKey`, and its sequence must be above the pinned one (the same
   * bundle again is `unchanged`). Never throws.
   */
  async publishBundle(operator: CheckpointSigner, bundleJson: unknown, bundleKey: Uint8Array, at: Date = new Date()): Promise<RecordResult> {
    const loaded = loadBundle(bundleJson, { publicKey: bundleKey });
    if (loaded.bundle === undefined) return failure("W8508", { detail: `the bundle does not load: ${loaded.diagnostics.map((d) => `${d.code} ${d.message}`).join("; ")}` });
    const b = loaded.bundle;
    const pinned = this.current.bundle;
    if (pinned !== undefined && pinned.id === b.bundleId) return { ok: true, record: await this.recordAt(pinned.seq), unchanged: true };
    if (pinned !== undefined && b.sequence <= pinned.sequence!) {
      return failure("W8508", { detail: `bundle sequence ${b.sequence} is not above the pinned bundle's ${pinned.sequence} (rollback refused)` });
    }
    const content: RecordContent = { kind: "pin", what: "bundle", id: b.bundleId, sequence: b.sequence, signer: keyIdOf(bundleKey) };
    return this.append(content, operator, at, { id: b.bundleId, text: canonicalJson(bundleJson) });
  }

  /**
   * Pin an entity snapshot: the entities must load against the pinned bundle's schema; the
   * snapshot is stored (as the log stores it) under its content id. Never throws.
   */
  async publishEntities(operator: CheckpointSigner, entitiesJson: unknown, at: Date = new Date()): Promise<RecordResult> {
    const bundle = await this.pinnedBundle();
    if (!bundle.ok) return bundle;
    if (bundle.value === undefined) return failure("W8508", { detail: "no bundle is pinned yet: publish one before its entities" });
    const store = loadEntities(bundle.value.bundle, entitiesJson as readonly EntityJson[]);
    if (store.store === undefined) return failure("W8508", { detail: `the entities do not load: ${store.diagnostics.map((d) => `${d.code} ${d.message}`).join("; ")}` });
    const id = store.store.id;
    if (this.current.entities?.id === id) return { ok: true, record: await this.recordAt(this.current.entities.seq), unchanged: true };
    const text = store.store.canonicalText();
    try {
      await this.store.putObject(id, text);
    } catch (e) {
      return failure("W6205", { detail: e instanceof Error ? e.message : String(e) });
    }
    return this.append({ kind: "pin", what: "entities", id, bundleId: bundle.value.bundle.bundleId }, operator, at, { id, text });
  }

  /** The pinned bundle, loaded and re-checked (ids recomputed), or undefined when none is pinned. Never throws. */
  async pinnedBundle(): Promise<{ readonly ok: true; readonly value?: { readonly bundle: LoadedBundle; readonly document: PinnedDocument } } | Failure> {
    const pin = this.current.bundle;
    if (pin === undefined) return { ok: true };
    const doc = await this.document(pin);
    if (!doc.ok) return doc;
    const loaded = loadBundle(JSON.parse(doc.document.document));
    if (loaded.bundle === undefined || loaded.bundle.bundleId !== pin.id) return failure("W8502", { seq: pin.seq, detail: "the pinned bundle's document does not load as the pinned bundle" });
    return { ok: true, value: { bundle: loaded.bundle, document: doc.document } };
  }

  /** The document of a pin as stored. Never throws. */
  async document(pin: RosterPin): Promise<{ readonly ok: true; readonly document: PinnedDocument } | Failure> {
    try {
      const r = await this.store.query<{ object_id: string; document: string }>(`SELECT object_id, document FROM ${this.store.schema}.pins WHERE record_seq = $1`, [pin.seq]);
      const row = r.rows[0];
      if (row === undefined || row.object_id !== pin.id) return failure("W8502", { seq: pin.seq, detail: "the pinned document is missing" });
      return { ok: true, document: { pin, document: row.document } };
    } catch (e) {
      return failure("W6205", { detail: e instanceof Error ? e.message : String(e) });
    }
  }

  /** The verified record at `seq`. */
  private async recordAt(seq: number): Promise<MeshRecord> {
    const r = await this.store.query<{ envelope: string }>(`SELECT envelope FROM ${this.store.schema}.mesh_records WHERE seq = $1`, [seq]);
    const env = JSON.parse(r.rows[0]!.envelope) as { payload: string };
    return JSON.parse(Buffer.from(env.payload, "base64").toString("utf8")) as MeshRecord;
  }

  /**
   * Open the mesh's lineage log on its own connection pool: as a node when `signer` is given
   * (its key must be enrolled and not revoked; W8504 otherwise), else for reading and
   * verifying. Never throws.
   */
  async openLog(options: { readonly signer?: CheckpointSigner; readonly groupCommit?: GroupCommitOptions; readonly maxConnections?: number } = {}): Promise<OpenLogResult> {
    if (options.signer !== undefined) {
      const key = b64(options.signer.publicKey);
      const node = this.current.enrollments.find((n) => b64(n.publicKey) === key && n.revokedFrom === undefined);
      if (node === undefined) return failure("W8504", { detail: `this node key is not enrolled in mesh ${this.name} (writ mesh enroll)` });
    }
    const opened = await openPostgresStore({ ...this.location, ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }) });
    if (!opened.ok) return opened;
    return LineageLog.open({
      store: opened.store,
      crypto: runtimeCrypto,
      trust: this.trust(),
      ...(options.signer === undefined ? {} : { signer: options.signer }),
      ...(options.groupCommit === undefined ? {} : { groupCommit: options.groupCommit }),
    });
  }

  /** Record a witness cosignature line for the checkpoint of `size` (the witness's newest replaces an older one). */
  async addCosignature(size: number, witness: string, line: string): Promise<void> {
    await this.store.query(
      `INSERT INTO ${this.store.schema}.cosignatures (size, witness, line) VALUES ($1, $2, $3) ON CONFLICT (size, witness) DO UPDATE SET line = EXCLUDED.line, cosigned_at = now()`,
      [size, witness, line],
      true,
    );
  }

  /**
   * The stored checkpoint of `size` (default: the latest) with every cosignature recorded for
   * it appended as further signature lines (C2SP signed note), and how many. Undefined when
   * there is none. Cosignatures are as stored: verify them (`verifyCosignature`).
   */
  async cosignedCheckpoint(size?: number): Promise<{ readonly note: string; readonly size: number; readonly cosignatures: number } | undefined> {
    // NOTE: one row by size, not the list of every checkpoint (one per batch: millions on a long log).
    const cp = size === undefined ? await this.store.latestCheckpoint() : (await this.store.checkpointsAfter(size - 1, 1)).find((c) => c.size === size);
    if (cp === undefined) return undefined;
    const r = await this.store.query<{ line: string }>(`SELECT line FROM ${this.store.schema}.cosignatures WHERE size = $1 ORDER BY witness`, [cp.size]);
    return { note: cp.note + r.rows.map((x) => x.line).join(""), size: cp.size, cosignatures: r.rows.length };
  }

  /** The mesh's status: nodes, pins, log size and latest checkpoint. Never throws. */
  async status(): Promise<{ readonly ok: true; readonly status: MeshStatus } | Failure> {
    const reloaded = await this.reload();
    if (!reloaded.ok) return reloaded;
    const roster = reloaded.roster;
    try {
      const size = await this.store.size();
      const cp = await this.cosignedCheckpoint();
      const enrolledAt = new Map<number, string>();
      for (const r of await this.store.query<{ seq: string; recorded_at: Date }>(`SELECT seq, recorded_at FROM ${this.store.schema}.mesh_records WHERE kind = 'enroll'`).then((q) => q.rows)) {
        enrolledAt.set(Number(r.seq), new Date(r.recorded_at).toISOString());
      }
      const status: MeshStatus = {
        mesh: roster.mesh,
        operator: keyIdOf(roster.operator),
        operatorPinned: this.operatorPinned,
        records: roster.head.seq + 1,
        nodes: [...roster.nodes.values()].map((n) => ({
          name: n.name,
          keyId: keyIdOf(n.publicKey),
          enrolledAt: enrolledAt.get(n.enrolled) ?? "",
          ...(n.revokedFrom === undefined ? {} : { revokedFrom: n.revokedFrom }),
        })),
        ...(roster.bundle === undefined ? {} : { bundle: roster.bundle }),
        ...(roster.entities === undefined ? {} : { entities: roster.entities }),
        log: {
          size,
          ...(cp === undefined ? {} : { checkpoint: { size: cp.size, cosignatures: cp.cosignatures, ...signerField(this.trust().signerOf(cp.note)) } }),
        },
      };
      return { ok: true, status };
    } catch (e) {
      return failure("W6205", { detail: e instanceof Error ? e.message : String(e) });
    }
  }

  /** Close the mesh's own store (logs opened with {@link openLog} have their own). */
  close(): Promise<void> {
    return this.store.close();
  }
}

function signerField(node: string | undefined): { readonly signer?: string } {
  return node === undefined ? {} : { signer: node };
}

/** A record the chain refused (the transaction rolls back). */
class RecordRefused extends Error {
  constructor(readonly failure: Failure) {
    super(failure.problem.message);
  }
}
