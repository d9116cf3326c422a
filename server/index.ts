/**
 * `writ serve` as a library: `createServer(options)` opens (or takes) the lineage log, verifies
 * and indexes it, loads the bundle and entities, and builds the Fastify app; `listen` binds it;
 * `close` stops accepting, lets requests in flight finish, and makes the log durable.
 *
 * ```ts
 * const r = await createServer({ dir: ".", bundle, entities, tokens });
 * if (!r.ok) throw new Error(r.problem.message);
 * const url = await r.server.listen({ host: "127.0.0.1", port: 0 });
 * …
 * await r.server.close();
 * ```
 *
 * Fail closed: without tokens the server refuses to listen on anything but loopback; without
 * a valid bundle every decision is deny and `/readyz` answers 503.
 *
 * NOTE: Node only. Imports `writ/runtime` through its public entry only.
 */
import { readFileSync, statSync, type Stats } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import { nodeSigner, openLocalLog, openSigningWorker, problem, readLogKey, type AsyncSigner, type CheckpointSigner, type LineageLog, type Problem } from "../runtime/index.js";
import { buildApp, type RouteInfo } from "./app.js";
import { DecisionNode, type Snapshot } from "./decision-node.js";
import { ServerMetrics } from "./metrics.js";
import { findBuild, isBuild } from "./static-files.js";
import type { MeshPort, PinTarget } from "./mesh-port.js";
import type { TokenTable } from "./tokens.js";

export { DecisionNode, actionTypeOf, type BundleRefusal, type Snapshot } from "./decision-node.js";
export { LineageIndex, MAX_TREE, uidText, type BundleUse, type ExecutionPage, type ExecutionQuery, type ExecutionRow, type ExecutionStatus, type ExecutionTree, type IndexedEvent } from "./lineage-index.js";
export { CONSOLE_CSP, OFFLINE_VIEWER } from "./routes/console-routes.js";
export { TokenTable, newToken, parseScopes, tokenDigest, tokenNameProblem, SCOPES, TOKENS_FORMAT, type Caller, type Scope, type TokenEntry } from "./tokens.js";
export { STATUS_BY_CODE, statusOf } from "./errors.js";
export { AUTHZEN_PATHS } from "./routes/authzen-routes.js";
export type { RouteInfo } from "./app.js";
export type { CosignedCheckpoint, MeshPort, PinTarget } from "./mesh-port.js";

/** Default body limit of decision routes (bytes). */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;
/** Default body limit of the bundle and entity routes (bytes). */
export const DEFAULT_BUNDLE_BODY_LIMIT = 16 * 1024 * 1024;

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** Directory holding `.writ/` (the SQLite lineage log and the node key); default: the current one. */
  readonly dir?: string;
  /** A log to use instead of the one under `dir` (with `signer`, the key that signs its checkpoints). */
  readonly log?: LineageLog;
  readonly signer?: CheckpointSigner;
  /** The initial bundle (parsed JSON) and entities (Cedar entities JSON). */
  readonly bundle?: unknown;
  readonly entities?: unknown;
  /** The bundle signer's public key: bundles must be signed by it; `PUT /v1/bundle` needs it. */
  readonly bundleKey?: Uint8Array;
  /** Reload the bundle from this file when it changes (same checks as `PUT /v1/bundle`). */
  readonly watchBundle?: { readonly file: string; readonly intervalMs?: number };
  /** Bearer tokens; without them every route is open and only loopback is allowed. */
  readonly tokens?: TokenTable;
  /** This node's name (default `writ`). */
  readonly node?: string;
  /** The AuthZEN action entity type (default: the schema's only one). */
  readonly actionType?: string;
  /** The public base URL (behind a proxy) named by the AuthZEN metadata. */
  readonly publicUrl?: string;
  /** Fastify's `trustProxy` (honour `X-Forwarded-*` from these proxies). */
  readonly trustProxy?: boolean | string;
  readonly bodyLimit?: number;
  readonly bundleBodyLimit?: number;
  /** Request timeout in milliseconds (default 30 000). */
  readonly requestTimeoutMs?: number;
  /** Authorization artifact lifetime in milliseconds (default 300 000). */
  readonly artifactTtlMs?: number;
  /** Governed executions waiting for an outcome before `authorize` answers busy (default 100 000). */
  readonly maxInFlight?: number;
  /** Most executions the execution index keeps, the latest (default 100 000: about 100–200 MB). */
  readonly indexLimit?: number;
  /** Where JSON log lines go (default: none). */
  readonly logStream?: { write(line: string): void };
  readonly logLevel?: string;
  /** Wall clock for artifact expiries and checkpoint ages (default `new Date()`). */
  readonly clock?: () => Date;
  /** The console build to serve under `/console/` (default: `console/dist` of this package, when built); false: none. */
  readonly console?: string | false;
  /**
   * Run as a node of this mesh (with `log` and `signer`: the mesh's shared log and the node's
   * key). The mesh's pins are loaded before the server listens and kept in step; decisions are
   * refused while the mesh holds the node; `close` closes the mesh last. The server owns it.
   */
  readonly mesh?: MeshPort;
}

/** A running (or ready to listen) server. */
export interface WritServer {
  readonly app: FastifyInstance;
  readonly node: DecisionNode;
  readonly metrics: ServerMetrics;
  /** Every route (method, path, scope), as registered. */
  readonly routes: readonly RouteInfo[];
  /** Bind and start accepting; resolves with the base URL (`http://host:port`). */
  listen(at: { readonly host?: string; readonly port?: number }): Promise<{ readonly ok: true; readonly url: string } | { readonly ok: false; readonly problem: Problem }>;
  /** Stop accepting, finish requests in flight, close the log (every acknowledged event is durable). */
  close(): Promise<void>;
}

/** The outcome of {@link createServer}. */
export type CreateServerResult = { readonly ok: true; readonly server: WritServer } | { readonly ok: false; readonly problem: Problem; readonly details?: readonly string[] };

/** True for a loopback host name or address. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** A synchronous signer as an {@link AsyncSigner}. */
function awaited(signer: CheckpointSigner): AsyncSigner {
  return { publicKey: signer.publicKey, sign: async (message) => signer.sign(message) };
}

/** The log and artifact signer of a server; `release` closes what the server opened itself (not a log it was given). */
async function openLog(o: ServerOptions): Promise<{ readonly ok: true; readonly log: LineageLog; readonly signer: AsyncSigner; readonly release: () => Promise<void> } | { readonly ok: false; readonly problem: Problem }> {
  if (o.log !== undefined) {
    if (o.signer === undefined) return { ok: false, problem: problem("W8017", { detail: "a log given to createServer needs the signer of its checkpoints" }) };
    return { ok: true, log: o.log, signer: awaited(o.signer), release: async () => undefined };
  }
  const dir = o.dir ?? process.cwd();
  // The store on a worker thread: a batch's commit and fsync do not stop the event loop.
  const opened = await openLocalLog({ dir, worker: true });
  if (!opened.ok) return opened;
  const key = readLogKey(dir);
  if (!key.ok) {
    await opened.log.close();
    return key;
  }
  try {
    const onThread = nodeSigner(key.value);
    // NOTE: artifacts are signed on a worker thread, a turn's signatures in one message: a
    // signature costs tens of microseconds, the largest share of an authorization left on the
    // event loop. node:crypto's callback form spends about as long on this thread setting up
    // each job as the signature takes. Where no worker can start, the event loop signs.
    const worker = await openSigningWorker(key.value, onThread);
    const release = async (): Promise<void> => {
      await opened.log.close();
      await worker?.close();
    };
    return { ok: true, log: opened.log, signer: worker ?? awaited(onThread), release };
  } catch (e) {
    await opened.log.close();
    return { ok: false, problem: problem("W6207", { detail: `invalid node key: ${e instanceof Error ? e.message : String(e)}` }) };
  }
}

/** Create a server (see the module comment). Never throws. */
export async function createServer(o: ServerOptions = {}): Promise<CreateServerResult> {
  const opened = await openLog(o);
  if (!opened.ok) return opened;
  const log = opened.log;
  const clock = o.clock ?? (() => new Date());
  const nodeResult = await DecisionNode.open(
    {
      log,
      signer: opened.signer,
      node: o.node ?? "writ",
      artifactTtlMs: o.artifactTtlMs ?? 300_000,
      maxInFlight: o.maxInFlight ?? 100_000,
      indexLimit: o.indexLimit ?? 100_000,
      clock,
      ...(o.mesh === undefined ? {} : { gate: () => o.mesh!.hold() }),
      ...(o.bundleKey === undefined ? {} : { bundleKey: o.bundleKey }),
      ...(o.actionType === undefined ? {} : { actionType: o.actionType }),
    },
    { ...(o.bundle === undefined ? {} : { bundle: o.bundle }), ...(o.entities === undefined ? {} : { entities: o.entities }) },
  );
  if (!nodeResult.ok) {
    await o.mesh?.close();
    await opened.release();
    return nodeResult;
  }
  const node = nodeResult.node;
  const mesh = o.mesh;
  const metrics = new ServerMetrics({
    logSize: () => log.size,
    checkpointAgeSeconds: () => node.checkpointAgeSeconds(),
    inFlight: () => node.inFlight,
    ...(mesh === undefined ? {} : { meshSplitView: () => (mesh.splitView === undefined ? 0 : 1), meshBehind: () => (mesh.isBehind() ? 1 : 0) }),
  });
  const loaded = (s: Snapshot): void => {
    metrics.bundleLoaded(s.bundle.bundleId, s.bundle.sequence, s.bundle.keyId);
    metrics.entitiesLoaded(s.store.id);
  };
  if (node.snapshot !== undefined) loaded(node.snapshot);
  let closing = false;
  let app: FastifyInstance;
  let routes: readonly RouteInfo[];
  try {
    ({ app, routes } = await buildApp({
      node,
      metrics,
      tokens: o.tokens,
      publicUrl: o.publicUrl,
      trustProxy: o.trustProxy ?? false,
      bodyLimit: o.bodyLimit ?? DEFAULT_BODY_LIMIT,
      bundleBodyLimit: o.bundleBodyLimit ?? DEFAULT_BUNDLE_BODY_LIMIT,
      requestTimeoutMs: o.requestTimeoutMs ?? 30_000,
      logStream: o.logStream,
      logLevel: o.logLevel ?? "info",
      closing: () => closing,
      ...(mesh === undefined ? {} : { mesh }),
      onBundle: (s, source) => app.log.info({ bundleId: s.bundle.bundleId, sequence: s.bundle.sequence, source }, "bundle loaded"),
      consoleRoot: o.console === false ? false : o.console === undefined ? findBuild(dirname(fileURLToPath(import.meta.url)), "console") : isBuild(o.console) ? o.console : undefined,
    }));
  } catch (e) {
    await mesh?.close();
    await opened.release();
    return { ok: false, problem: problem("W8017", { detail: `cannot build the server: ${e instanceof Error ? e.message : String(e)}` }) };
  }
  const stopWatch = o.watchBundle === undefined ? () => undefined : watchBundleFile(o.watchBundle, node, app, loaded);
  if (mesh !== undefined) {
    const refused = await mesh.attach(pinTarget(node, app, loaded));
    if (refused !== undefined) app.log.warn({ code: refused.code, error: refused.message }, "the mesh's pinned bundle is not loaded yet");
  }
  let closed: Promise<void> | undefined;
  const server: WritServer = {
    app,
    node,
    metrics,
    routes,
    async listen(at) {
      const host = at.host ?? "127.0.0.1";
      if (o.tokens === undefined && !isLoopback(host)) {
        return { ok: false, problem: problem("W8017", { detail: `without --tokens the server listens only on loopback (127.0.0.1, ::1), not on ${host}` }) };
      }
      try {
        await app.listen({ host, port: at.port ?? 8181 });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        return { ok: false, problem: problem("W8017", { detail: `cannot listen on ${host}:${at.port ?? 8181}: ${code ?? (e instanceof Error ? e.message : String(e))}` }) };
      }
      const addr = app.server.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : (at.port ?? 8181);
      return { ok: true, url: `http://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${port}` };
    },
    close() {
      closed ??= (async () => {
        closing = true;
        stopWatch();
        await app.close();
        await mesh?.close();
        await opened.release();
      })();
      return closed;
    },
  };
  return { ok: true, server };
}

/** The decision node as the mesh loads its pins into it (metrics and a log line on each swap). */
function pinTarget(node: DecisionNode, app: FastifyInstance, loaded: (s: Snapshot) => void): PinTarget {
  return {
    load(bundle, entities) {
      const r = bundle !== undefined ? node.loadBundle(bundle, entities) : node.replaceEntities(entities);
      if (!r.ok) return r.problem;
      loaded(r.snapshot);
      app.log.info({ bundleId: r.snapshot.bundle.bundleId, sequence: r.snapshot.bundle.sequence, entitiesId: r.snapshot.store.id, source: "mesh" }, "bundle loaded");
      return undefined;
    },
    active() {
      const s = node.snapshot;
      return s === undefined ? {} : { bundle: s.bundle.bundleId, entities: s.store.id };
    },
  };
}

/**
 * Poll a bundle file and load it when it changes; a refused bundle is logged and the old one kept.
 * The file's state is taken synchronously here, so a change made right after the server starts is
 * seen on the next poll (`fs.watchFile` takes its first look later, on the thread pool, and can
 * miss it).
 */
function watchBundleFile(w: { readonly file: string; readonly intervalMs?: number }, node: DecisionNode, app: FastifyInstance, loaded: (s: Snapshot) => void): () => void {
  const look = (st: Stats | undefined): string => (st === undefined ? "missing" : `${st.ino}:${st.size}:${st.mtimeMs}`);
  const statOf = (): Stats | undefined => {
    try {
      return statSync(w.file);
    } catch {
      return undefined;
    }
  };
  let seen = look(statOf());
  const reload = (): void => {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(w.file, "utf8"));
    } catch (e) {
      app.log.warn({ file: w.file, error: e instanceof Error ? e.message : String(e) }, "bundle file not reloaded: not readable JSON");
      node.refuseBundle(problem("W5002", { detail: `${w.file}: not readable JSON: ${e instanceof Error ? e.message : String(e)}` }));
      return;
    }
    const r = node.loadBundle(json);
    if (!r.ok) {
      app.log.warn({ file: w.file, code: r.problem.code, error: r.problem.message }, "bundle file refused; the loaded bundle stays");
      return;
    }
    loaded(r.snapshot);
    app.log.info({ file: w.file, bundleId: r.snapshot.bundle.bundleId, sequence: r.snapshot.bundle.sequence, source: "watch" }, "bundle loaded");
  };
  const timer = setInterval(() => {
    const st = statOf();
    const now = look(st);
    if (now === seen) return;
    seen = now;
    if (st !== undefined) reload();
  }, w.intervalMs ?? 500);
  timer.unref();
  return () => clearInterval(timer);
}
