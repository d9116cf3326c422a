/**
 * `writ serve`: run the decision service (see docs/server.md).
 *
 *     writ serve (--policies <files…> --schema <s> | --bundle <b.json> [--watch]) [--key <k.pub>]
 *                [--entities <e.json>] [--host 127.0.0.1] [--port 8181] [--tokens <tokens.json>]
 *                [--dir <dir>] [--node <name>] [--action-type <T>] [--public-url <url>]
 *                [--trust-proxy <proxies>] [--body-limit <bytes>] [--request-timeout <ms>]
 *                [--artifact-ttl <s>] [--index-limit <n>] [--log-level <level>]
 *                [--store <postgres://…|env> --node <name> --node-key <node.key> [--store-schema <s>]
 *                 [--operator <operator.pub>] [--witness-interval <ms>] [--pin-grace <ms>]]
 *
 * - The first line on stdout is `listening on http://HOST:PORT` (`--port 0` picks a free
 *   port); then one JSON log line per request.
 * - Lineage goes to the SQLite log under `<dir>/.writ/` (default: the current folder); the
 *   node key `.writ/lineage.key` signs checkpoints and authorization artifacts.
 * - With `--store` the server is a node of the mesh in that PostgreSQL store (`env`: the
 *   `WRIT_DATABASE_URL` variable; a plain `writ serve` never reads it): it appends to the
 *   mesh's shared log with its enrolled key, decides on the pinned bundle and snapshot
 *   (`--bundle`/`--policies` optional: the pins replace them), witnesses the log every
 *   `--witness-interval`, and fails closed on a split view or when behind its pins after
 *   `--pin-grace`. The witness keeps its last checkpoint in `<dir>/.writ/`. A bad URL, an
 *   unenrolled key or an unreachable database is one line and exit 2.
 * - SIGTERM / SIGINT: stop accepting, finish the requests in flight, make the log durable,
 *   exit 0.
 * - Bad input (a missing file, malformed JSON, a policy that does not check, a bundle or
 *   entities the runtime refuses, a non-loopback host without tokens) is one line on stderr
 *   and exit 2; nothing is recorded.
 */
import { hostname } from "node:os";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { readPrivateKey, readPublicKey } from "../runtime/keys.js";
import type { MeshLogger, MeshService } from "../mesh/index.js";
import { createServer, isLoopback, TokenTable, type ServerOptions } from "../server/index.js";
import { compileBundleFiles } from "./bundle-commands.js";
import { CliFailure, EXIT_BAD_INPUT, fail, problemLine, untilStopSignal, type Output, type Semantics } from "./io.js";
import { readJsonFile } from "./json-files.js";

/** Options of `writ serve` as commander parses them. */
export interface ServeCliOptions {
  readonly policies?: string[];
  readonly schema?: string;
  readonly bundle?: string;
  readonly watch?: boolean;
  readonly key?: string;
  readonly entities?: string;
  readonly host: string;
  readonly port: string;
  readonly tokens?: string;
  readonly dir?: string;
  readonly node?: string;
  readonly actionType?: string;
  readonly publicUrl?: string;
  readonly trustProxy?: string;
  readonly bodyLimit?: string;
  readonly requestTimeout?: string;
  readonly artifactTtl?: string;
  readonly indexLimit?: string;
  readonly logLevel: string;
  readonly semantics: Semantics;
  readonly store?: string;
  readonly storeSchema?: string;
  readonly nodeKey?: string;
  readonly operator?: string;
  readonly witnessInterval?: string;
  readonly pinGrace?: string;
}

function integer(text: string, option: string, min: number, max: number): number {
  if (!/^(0|[1-9][0-9]*)$/.test(text) || Number(text) < min || Number(text) > max) fail("W5008", `invalid ${option} \`${text}\`: expected an integer from ${min} to ${max}`, { file: "writ" });
  return Number(text);
}

/** Check the option combinations; the bundle JSON, compiled from policy files when given (a mesh node may have none: it takes the pinned one). */
function bundleInput(o: ServeCliOptions, mesh: boolean): unknown {
  if (mesh && o.policies === undefined && o.bundle === undefined) return undefined;
  if ((o.policies === undefined) === (o.bundle === undefined)) fail("W5008", "give either --policies <files…> with --schema, or --bundle <bundle.json>", { file: "writ" });
  if (o.policies !== undefined) {
    if (o.schema === undefined) fail("W5008", "--policies needs --schema <file>", { file: "writ" });
    if (o.watch === true) fail("W5008", "--watch applies only to --bundle", { file: "writ" });
    return JSON.parse(JSON.stringify(compileBundleFiles(o.policies, o.schema, o.semantics, 0))) as unknown;
  }
  if (o.schema !== undefined) fail("W5008", "--bundle already holds the schema: drop --schema", { file: "writ" });
  return readJsonFile(o.bundle!).json;
}

function tokensFrom(path: string): TokenTable {
  const r = TokenTable.read(readJsonFile(path).json);
  if (!r.ok) fail(r.problem.code, r.problem.message, { file: path });
  return r.table;
}

/**
 * Lines written during one turn of the event loop, written out together at its end: one write
 * to stdout per turn instead of one per request under load. `flush` writes what is held now.
 * NOTE: a process killed mid-turn loses that turn's log lines (never a record: the lineage log
 * is durable before a request is answered).
 */
export function batchedLines(write: (text: string) => void): { readonly stream: { write(line: string): void }; readonly flush: () => void } {
  let held: string[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (held.length === 0) return;
    const text = held.length === 1 ? held[0]! : held.join("");
    held = [];
    write(text);
  };
  return {
    stream: {
      write(line) {
        held.push(line);
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      },
    },
    flush,
  };
}

/** Lines written before `listening on …` are held back so that it is the first line on stdout; later lines are batched per turn. */
function heldOutput(io: Output): { readonly stream: { write(line: string): void }; readonly release: () => void; readonly flush: () => void } {
  let held: string[] | undefined = [];
  const batch = batchedLines((text) => io.out(text));
  return {
    stream: {
      write(line) {
        if (held === undefined) batch.stream.write(line);
        else held.push(line);
      },
    },
    release() {
      const lines = held ?? [];
      held = undefined;
      for (const l of lines) io.out(l);
    },
    flush: batch.flush,
  };
}

/** The mesh store's connection string (`--store`, `env`: WRIT_DATABASE_URL), or undefined for a local node. */
function meshStore(o: ServeCliOptions): string | undefined {
  if (o.store === undefined) {
    const stray = (["storeSchema", "nodeKey", "operator", "witnessInterval", "pinGrace"] as const).find((k) => o[k] !== undefined);
    if (stray !== undefined) fail("W5008", `--${stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs --store <postgres://…>`, { file: "writ" });
    return undefined;
  }
  const url = o.store === "env" ? process.env["WRIT_DATABASE_URL"] : o.store;
  if (url === undefined || url === "") fail("W5008", "--store env: WRIT_DATABASE_URL is not set", { file: "writ" });
  if (!/^postgres(ql)?:\/\//.test(url)) fail("W5008", "--store must be a postgres:// connection string (or `env`)", { file: "writ" });
  if (o.node === undefined) fail("W5008", "--store needs --node <name>: the node's enrolled name", { file: "writ" });
  if (o.nodeKey === undefined) fail("W5008", "--store needs --node-key <node.key>: the node's enrolled private key", { file: "writ" });
  if (o.watch === true) fail("W5008", "--watch does not apply to a mesh node: it follows the mesh's pins (writ mesh publish)", { file: "writ" });
  return url;
}

/** JSON log lines in the server's format (pino levels) for the mesh's own messages. */
function meshLogger(stream: { write(line: string): void }, node: string, level: string): MeshLogger {
  const levels: Record<string, number> = { debug: 20, info: 30, warn: 40, error: 50, silent: 100 };
  const min = levels[level] ?? 30;
  return (lvl, msg, fields = {}) => {
    if (levels[lvl]! >= min) stream.write(`${JSON.stringify({ level: levels[lvl], time: Date.now(), node, ...fields, msg })}\n`);
  };
}

/** Open the mesh node of `--store` (exit 2 with one line naming the store when it cannot). */
async function openMeshService(o: ServeCliOptions, url: string, dir: string, stream: { write(line: string): void }): Promise<MeshService> {
  const key = readPrivateKey(o.nodeKey!);
  if (!key.ok) fail("W5008", `cannot use the node key: ${key.problem.message}`, { file: o.nodeKey });
  const operator = o.operator === undefined ? undefined : readPublicKey(o.operator);
  if (operator !== undefined && !operator.ok) fail("W5008", `cannot use the operator key: ${operator.problem.message}`, { file: o.operator });
  const witnessIntervalMs = o.witnessInterval === undefined ? 2000 : integer(o.witnessInterval, "--witness-interval", 50, 3_600_000);
  const pinGraceMs = o.pinGrace === undefined ? 5000 : integer(o.pinGrace, "--pin-grace", 0, 3_600_000);
  const { MeshService } = await import("../mesh/index.js");
  const { storeLabel } = await import("./mesh.js");
  const state = join(dir, ".writ");
  try {
    mkdirSync(state, { recursive: true });
  } catch (e) {
    fail("W5008", `cannot create ${state}: ${e instanceof Error ? e.message : String(e)}`, { file: "writ" });
  }
  const started = await MeshService.start({
    url,
    ...(o.storeSchema === undefined ? {} : { schema: o.storeSchema }),
    node: o.node!,
    privateKey: key.value,
    ...(operator?.ok === true ? { operatorKey: operator.value } : {}),
    witnessIntervalMs,
    pinGraceMs,
    witnessFile: join(state, `mesh-${o.node!.replace(/[^A-Za-z0-9._-]/g, "_")}.witnessed`),
    logger: meshLogger(stream, o.node!, o.logLevel),
  });
  if (!started.ok) throw new CliFailure([problemLine(started.problem.code, started.problem.message, { file: storeLabel(url) })], EXIT_BAD_INPUT);
  return started.service;
}

/** Run `writ serve` until SIGTERM or SIGINT. */
export async function runServe(o: ServeCliOptions, io: Output): Promise<number> {
  const port = integer(o.port, "--port", 0, 65535);
  const storeUrl = meshStore(o);
  const bundle = bundleInput(o, storeUrl !== undefined);
  const entities = o.entities === undefined ? undefined : readJsonFile(o.entities).json;
  const key = o.key === undefined ? undefined : readPublicKey(o.key);
  if (key !== undefined && !key.ok) fail("W5008", `cannot use the public key: ${key.problem.message}`, { file: o.key });
  const tokens = o.tokens === undefined ? undefined : tokensFrom(o.tokens);
  if (tokens === undefined && !isLoopback(o.host)) fail("W8017", `without --tokens the server listens only on loopback (127.0.0.1, ::1), not on ${o.host}`, { file: "writ" });
  const out = heldOutput(io);
  const dir = resolve(o.dir ?? ".");
  const mesh = storeUrl === undefined ? undefined : await openMeshService(o, storeUrl, dir, out.stream);
  const options: ServerOptions = {
    dir,
    ...(bundle === undefined ? {} : { bundle }),
    ...(mesh === undefined ? {} : { log: mesh.log, signer: mesh.signer, mesh }),
    node: o.node ?? hostname(),
    logStream: out.stream,
    logLevel: o.logLevel,
    ...(entities === undefined ? {} : { entities }),
    ...(key?.ok === true ? { bundleKey: key.value } : {}),
    ...(tokens === undefined ? {} : { tokens }),
    ...(o.watch === true ? { watchBundle: { file: o.bundle! } } : {}),
    ...(o.actionType === undefined ? {} : { actionType: o.actionType }),
    ...(o.publicUrl === undefined ? {} : { publicUrl: o.publicUrl }),
    ...(o.trustProxy === undefined ? {} : { trustProxy: o.trustProxy === "true" ? true : o.trustProxy }),
    ...(o.bodyLimit === undefined ? {} : { bodyLimit: integer(o.bodyLimit, "--body-limit", 1024, 1 << 30) }),
    ...(o.requestTimeout === undefined ? {} : { requestTimeoutMs: integer(o.requestTimeout, "--request-timeout", 100, 3_600_000) }),
    ...(o.artifactTtl === undefined ? {} : { artifactTtlMs: integer(o.artifactTtl, "--artifact-ttl", 1, 86_400) * 1000 }),
    ...(o.indexLimit === undefined ? {} : { indexLimit: integer(o.indexLimit, "--index-limit", 1, 100_000_000) }),
  };
  const where = o.bundle ?? o.policies?.[0] ?? (storeUrl === undefined ? "writ" : (await import("./mesh.js")).storeLabel(storeUrl));
  const created = await createServer(options);
  if (!created.ok) {
    // Entity problems (W5xxx) name the entities file; bundle and log problems the bundle or policies.
    const file = created.problem.code.startsWith("W5") && o.entities !== undefined ? o.entities : where;
    const lines = (created.details ?? []).length > 1 ? created.details!.map((d) => `${file}: error ${d}`) : [problemLine(created.problem.code, created.problem.message, { file })];
    throw new CliFailure(lines, EXIT_BAD_INPUT);
  }
  const server = created.server;
  if (server.node.snapshot !== undefined && server.node.snapshot.actionType === undefined) {
    await server.close();
    fail("W8017", "the schema has several action types: choose the one AuthZEN actions map to with --action-type", { file: where });
  }
  const listening = await server.listen({ host: o.host, port });
  if (!listening.ok) {
    await server.close();
    throw new CliFailure([problemLine(listening.problem.code, listening.problem.message, { file: "writ" })], EXIT_BAD_INPUT);
  }
  io.out(`listening on ${listening.url}\n`);
  if (tokens === undefined) io.err("writ serve: no --tokens: every route is open, so the server listens on loopback only\n");
  out.release();
  process.once("exit", out.flush);
  await untilStopSignal();
  await server.close();
  process.off("exit", out.flush);
  out.flush();
  io.out(`writ serve: stopped; lineage log durable at ${server.node.log.size} events\n`);
  return 0;
}
