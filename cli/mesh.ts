/**
 * `writ mesh …`: the operator's commands over a mesh on PostgreSQL (`--store postgres://…`,
 * else `WRIT_DATABASE_URL`; `--schema` when the mesh is not in the default `writ` schema):
 *
 * - `init --name <mesh> --key <operator.key>`: create or migrate the schema, record the mesh;
 * - `enroll --node <name> --pub <node.pub> --key <operator.key>`: a signed enrollment;
 * - `revoke --node <name> --key <operator.key> [--from-size n]`: the node's checkpoints above
 *   n (default: the log's size now) stop counting;
 * - `publish [bundle.json] [--entities <file>] --key <operator.key> --bundle-key <signer.pub>`:
 *   pin a signed bundle (signature, ids and sequence checked) and/or an entity snapshot;
 * - `status [--operator <operator.pub>] [--json]`: nodes, pins, log size, latest checkpoint.
 *
 * And `writ lineage verify|checkpoint|prove|show|replay --store …` read the mesh's log through
 * {@link withMeshLog}, with the mesh's checkpoint trust (`--key` is then the operator's public
 * key, pinning who may enroll nodes); `prove --witnesses k` writes a proof whose checkpoint
 * carries at least k verified witness cosignatures (W8511 otherwise).
 *
 * Every failure is one line naming the store (its password never shown) and a non-zero exit.
 */
import { readPrivateKey, readPublicKey } from "../runtime/keys.js";
import { DEFAULT_LINEAGE_DB, nodeSigner } from "../runtime/lineage/local-log.js";
import type { LineageLog } from "../runtime/lineage/log.js";
import type { Problem } from "../runtime/index.js";
import { initMesh, Mesh, meshView, witnessedProof, type MeshStatus, type MeshView } from "../mesh/index.js";
import { CliFailure, EXIT_PROBLEMS, fail, problemLine, type Output } from "./io.js";
import { readJsonFile } from "./json-files.js";

/** Where the mesh is: the options every mesh command takes. */
export interface MeshStoreOptions {
  /** PostgreSQL connection string (default: `WRIT_DATABASE_URL`). */
  readonly store?: string;
  /** PostgreSQL schema of the mesh (default `writ`). */
  readonly schema?: string;
}

/** The connection string of the options or the environment. */
function storeUrl(opts: MeshStoreOptions): string {
  const url = opts.store ?? process.env["WRIT_DATABASE_URL"];
  if (url === undefined || url === "") fail("W5008", "no mesh store: pass --store postgres://… or set WRIT_DATABASE_URL", { file: "writ" });
  if (!/^postgres(ql)?:\/\//.test(url)) fail("W5008", "the store must be a postgres:// connection string", { file: "writ" });
  return url;
}

/** How a store is named in messages: its URL without the password. */
export function storeLabel(url: string): string {
  try {
    const u = new URL(url);
    u.password = "";
    return u.toString();
  } catch {
    return "postgres";
  }
}

function location(opts: MeshStoreOptions): { url: string; schema?: string } {
  return { url: storeUrl(opts), ...(opts.schema === undefined ? {} : { schema: opts.schema }) };
}

function problemFailure(p: Problem, label: string): CliFailure {
  return new CliFailure([problemLine(p.code, p.message, { file: label })], EXIT_PROBLEMS);
}

function operatorSigner(keyFile: string) {
  const k = readPrivateKey(keyFile);
  if (!k.ok) fail("W5008", `cannot use the operator key: ${k.problem.message}`, { file: keyFile });
  return nodeSigner(k.value);
}

function publicKeyFile(file: string, what: string): Uint8Array {
  const k = readPublicKey(file);
  if (!k.ok) fail("W5008", `cannot use the ${what}: ${k.problem.message}`, { file });
  return k.value;
}

/** Open the mesh (verified against `operatorKey` when given) and run `fn`; the mesh is closed after. */
async function withMesh<T>(opts: MeshStoreOptions, operatorKey: Uint8Array | undefined, fn: (mesh: Mesh, label: string) => Promise<T>): Promise<T> {
  const loc = location(opts);
  const label = storeLabel(loc.url);
  const r = await Mesh.open({ ...loc, ...(operatorKey === undefined ? {} : { operatorKey }) });
  if (!r.ok) throw problemFailure(r.problem, label);
  try {
    return await fn(r.mesh, label);
  } finally {
    await r.mesh.close();
  }
}

/** `writ mesh init`. */
export async function runMeshInit(opts: MeshStoreOptions & { readonly name: string; readonly key: string }, io: Output): Promise<number> {
  const operator = operatorSigner(opts.key);
  const loc = location(opts);
  const r = await initMesh({ ...loc, name: opts.name, operator });
  if (!r.ok) throw problemFailure(r.problem, storeLabel(loc.url));
  await r.mesh.close();
  io.out(`${r.created === true ? "created" : "already initialized:"} mesh ${r.mesh.name} in ${storeLabel(loc.url)} (schema ${r.mesh.store.schema})\n`);
  return 0;
}

/** `writ mesh enroll`. */
export async function runMeshEnroll(opts: MeshStoreOptions & { readonly node: string; readonly pub: string; readonly key: string }, io: Output): Promise<number> {
  const operator = operatorSigner(opts.key);
  const nodeKey = publicKeyFile(opts.pub, "node key");
  return withMesh(opts, operator.publicKey, async (mesh, label) => {
    const r = await mesh.enroll(operator, opts.node, nodeKey);
    if (!r.ok) throw problemFailure(r.problem, label);
    io.out(`enrolled node ${opts.node} in mesh ${mesh.name} (record ${r.record.seq})\n`);
    return 0;
  });
}

/** `writ mesh revoke`. */
export async function runMeshRevoke(opts: MeshStoreOptions & { readonly node: string; readonly key: string; readonly fromSize?: string }, io: Output): Promise<number> {
  const operator = operatorSigner(opts.key);
  const fromSize = opts.fromSize === undefined ? undefined : Number(opts.fromSize);
  if (fromSize !== undefined && (!Number.isSafeInteger(fromSize) || fromSize < 0)) fail("W5008", `invalid --from-size \`${opts.fromSize}\`: expected a log size`, { file: "writ" });
  return withMesh(opts, operator.publicKey, async (mesh, label) => {
    const r = await mesh.revoke(operator, opts.node, fromSize);
    if (!r.ok) throw problemFailure(r.problem, label);
    const size = r.record.kind === "revoke" ? r.record.fromSize : 0;
    io.out(`revoked node ${opts.node} of mesh ${mesh.name}: its checkpoints above size ${size} no longer count (record ${r.record.seq})\n`);
    return 0;
  });
}

/** `writ mesh publish [bundle.json] [--entities file]`. */
export async function runMeshPublish(
  bundleFile: string | undefined,
  opts: MeshStoreOptions & { readonly key: string; readonly bundleKey?: string; readonly entities?: string },
  io: Output,
): Promise<number> {
  if (bundleFile === undefined && opts.entities === undefined) fail("W5008", "nothing to publish: give a bundle file and/or --entities <file>", { file: "writ" });
  if (bundleFile !== undefined && opts.bundleKey === undefined) fail("W5008", "--bundle-key <signer.pub> is required to publish a bundle (its signature is checked)", { file: "writ" });
  const operator = operatorSigner(opts.key);
  const bundleKey = opts.bundleKey === undefined ? undefined : publicKeyFile(opts.bundleKey, "bundle signer key");
  // Bundles hold only plain JSON: read with JSON.parse so that numbers stay numbers.
  const bundle = bundleFile === undefined ? undefined : JSON.parse(readJsonFile(bundleFile).file.text) as unknown;
  const entities = opts.entities === undefined ? undefined : JSON.parse(readJsonFile(opts.entities).file.text) as unknown;
  return withMesh(opts, operator.publicKey, async (mesh, label) => {
    if (bundle !== undefined) {
      const r = await mesh.publishBundle(operator, bundle, bundleKey!);
      if (!r.ok) throw new CliFailure([problemLine(r.problem.code, r.problem.message, { file: bundleFile! })], EXIT_PROBLEMS);
      const pin = r.record.kind === "pin" && r.record.what === "bundle" ? r.record : undefined;
      io.out(`${r.unchanged === true ? "already pinned" : "pinned"}: bundle ${pin?.id} (sequence ${pin?.sequence}) for mesh ${mesh.name}\n`);
    }
    if (entities !== undefined) {
      const r = await mesh.publishEntities(operator, entities);
      if (!r.ok) throw new CliFailure([problemLine(r.problem.code, r.problem.message, { file: r.problem.code === "W8508" ? opts.entities! : label })], EXIT_PROBLEMS);
      const id = r.record.kind === "pin" ? r.record.id : "";
      io.out(`${r.unchanged === true ? "already pinned" : "pinned"}: entity snapshot ${id} for mesh ${mesh.name}\n`);
    }
    return 0;
  });
}

/** A content id shortened for a column. */
function short(id: string | null): string {
  return id === null ? "-" : id.replace(/^sha256:/, "").slice(0, 12);
}

/** The status as text lines (with the live columns of each node when `live` is given). */
export function statusText(s: MeshStatus, live?: MeshView): string {
  const lines = [`mesh ${s.mesh} (operator ${s.operator}${s.operatorPinned ? "" : ", not pinned: pass --operator <operator.pub>"}), ${s.records} records`];
  lines.push(`nodes (${s.nodes.length}):`);
  for (const n of s.nodes) {
    lines.push(`  ${n.name}  ${n.keyId}  enrolled ${n.enrolledAt}${n.revokedFrom === undefined ? "" : `  REVOKED above size ${n.revokedFrom}`}`);
    const l = live?.nodes.find((x) => x.name === n.name);
    if (l !== undefined) {
      const state = l.ready ? "ready" : `NOT READY (${l.reason ?? "unknown"})`;
      lines.push(`    ${state}  bundle ${short(l.bundle)}  entities ${short(l.entities)}  last seen ${l.last_seen ?? "never"}  size ${l.size ?? "-"}  witnessed ${l.witnessed ?? "-"}`);
    }
  }
  lines.push(s.bundle === undefined ? "bundle: none pinned" : `bundle: ${s.bundle.id} (sequence ${s.bundle.sequence}, signed by ${s.bundle.signer}, pinned ${s.bundle.at})`);
  lines.push(s.entities === undefined ? "entities: none pinned" : `entities: ${s.entities.id} (pinned ${s.entities.at})`);
  const cp = s.log.checkpoint;
  const age = live?.checkpoint_problem !== undefined ? ` (${live.checkpoint_problem})` : live?.checkpoint === null || live?.checkpoint === undefined ? "" : `, ${live.checkpoint.age_s} s old, ${live.checkpoint.cosignatures} verified`;
  lines.push(`log: ${s.log.size} events${cp === undefined ? ", no checkpoint" : `, checkpoint at size ${cp.size} signed by ${cp.signer ?? "an unknown key"}, ${cp.cosignatures} cosignatures${age}`}`);
  return `${lines.join("\n")}\n`;
}

/** `writ mesh status`. */
export async function runMeshStatus(opts: MeshStoreOptions & { readonly operator?: string; readonly json?: boolean }, io: Output): Promise<number> {
  const operatorKey = opts.operator === undefined ? undefined : publicKeyFile(opts.operator, "operator key");
  return withMesh(opts, operatorKey, async (mesh, label) => {
    const r = await mesh.status();
    if (!r.ok) throw problemFailure(r.problem, label);
    const live = await meshView(mesh);
    if (!live.ok) throw problemFailure(live.problem, label);
    io.out(opts.json === true ? `${JSON.stringify({ ...r.status, live: live.view }, null, 2)}\n` : statusText(r.status, live.view));
    return 0;
  });
}

/**
 * Run a lineage command on a mesh's log: opened read-only with the mesh's checkpoint trust
 * (`key`: the operator's public key file, pinning the roster; else as the store names it).
 * NOTE: the lineage commands name the local log file in their one-line errors; here those
 * lines name the store instead.
 */
export async function withMeshLog<T>(opts: MeshStoreOptions & { readonly key?: string; readonly witnesses?: string }, fn: (log: LineageLog) => Promise<T>): Promise<T> {
  const operatorKey = opts.key === undefined ? undefined : publicKeyFile(opts.key, "operator key");
  return withMesh(opts, operatorKey, async (mesh, label) => {
    const opened = await mesh.openLog();
    if (!opened.ok) throw problemFailure(opened.problem, label);
    try {
      return await fn(opts.witnesses === undefined ? opened.log : witnessedLog(opened.log, mesh, Number(opts.witnesses)));
    } catch (e) {
      if (!(e instanceof CliFailure)) throw e;
      throw new CliFailure(
        e.lines.map((l) => (l.startsWith(`${DEFAULT_LINEAGE_DB}: `) ? `${label}: ${l.slice(DEFAULT_LINEAGE_DB.length + 2)}` : l)),
        e.exitCode,
      );
    } finally {
      await opened.log.close();
    }
  });
}

/** A log whose proofs carry the cosignatures of their checkpoint, refused (W8511) with fewer than `k` that verify. */
function witnessedLog(log: LineageLog, mesh: Mesh, k: number): LineageLog {
  return new Proxy(log, {
    get(target, prop, receiver) {
      if (prop === "prove") {
        return async (ref: string | number) => {
          const r = await target.prove(ref);
          return r.ok ? witnessedProof(mesh, r.proof, k) : r;
        };
      }
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
