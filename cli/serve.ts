/**
 * `writ serve`: run the decision service (see docs/server.md).
 *
 *     writ serve (--policies <files…> --schema <s> | --bundle <b.json> [--watch]) [--key <k.pub>]
 *                [--entities <e.json>] [--host 127.0.0.1] [--port 8181] [--tokens <tokens.json>]
 *                [--dir <dir>] [--node <name>] [--action-type <T>] [--public-url <url>]
 *                [--trust-proxy <proxies>] [--body-limit <bytes>] [--request-timeout <ms>]
 *                [--artifact-ttl <s>] [--log-level <level>]
 *
 * - The first line on stdout is `listening on http://HOST:PORT` (`--port 0` picks a free
 *   port); then one JSON log line per request.
 * - Lineage goes to the SQLite log under `<dir>/.writ/` (default: the current folder); the
 *   node key `.writ/lineage.key` signs checkpoints and authorization artifacts.
 * - SIGTERM / SIGINT: stop accepting, finish the requests in flight, make the log durable,
 *   exit 0.
 * - Bad input (a missing file, malformed JSON, a policy that does not check, a bundle or
 *   entities the runtime refuses, a non-loopback host without tokens) is one line on stderr
 *   and exit 2; nothing is recorded.
 */
import { hostname } from "node:os";
import { resolve } from "node:path";
import { readPublicKey } from "../runtime/keys.js";
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
  readonly logLevel: string;
  readonly semantics: Semantics;
}

function integer(text: string, option: string, min: number, max: number): number {
  if (!/^(0|[1-9][0-9]*)$/.test(text) || Number(text) < min || Number(text) > max) fail("W5008", `invalid ${option} \`${text}\`: expected an integer from ${min} to ${max}`, { file: "writ" });
  return Number(text);
}

/** Check the option combinations; the bundle JSON, compiled from policy files when given. */
function bundleInput(o: ServeCliOptions): unknown {
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

/** Lines written before `listening on …` are held back so that it is the first line on stdout. */
function heldOutput(io: Output): { readonly stream: { write(line: string): void }; readonly release: () => void } {
  let held: string[] | undefined = [];
  return {
    stream: {
      write(line) {
        if (held === undefined) io.out(line);
        else held.push(line);
      },
    },
    release() {
      const lines = held ?? [];
      held = undefined;
      for (const l of lines) io.out(l);
    },
  };
}

/** Run `writ serve` until SIGTERM or SIGINT. */
export async function runServe(o: ServeCliOptions, io: Output): Promise<number> {
  const port = integer(o.port, "--port", 0, 65535);
  const bundle = bundleInput(o);
  const entities = o.entities === undefined ? undefined : readJsonFile(o.entities).json;
  const key = o.key === undefined ? undefined : readPublicKey(o.key);
  if (key !== undefined && !key.ok) fail("W5008", `cannot use the public key: ${key.problem.message}`, { file: o.key });
  const tokens = o.tokens === undefined ? undefined : tokensFrom(o.tokens);
  if (tokens === undefined && !isLoopback(o.host)) fail("W8017", `without --tokens the server listens only on loopback (127.0.0.1, ::1), not on ${o.host}`, { file: "writ" });
  const out = heldOutput(io);
  const options: ServerOptions = {
    dir: resolve(o.dir ?? "."),
    bundle,
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
  };
  const where = o.bundle ?? o.policies?.[0] ?? "writ";
  const created = await createServer(options);
  if (!created.ok) {
    // Entity problems (W5xxx) name the entities file; bundle and log problems the bundle or policies.
    const file = created.problem.code.startsWith("W5") && o.entities !== undefined ? o.entities : where;
    const lines = (created.details ?? []).length > 1 ? created.details!.map((d) => `${file}: error ${d}`) : [problemLine(created.problem.code, created.problem.message, { file })];
    throw new CliFailure(lines, EXIT_BAD_INPUT);
  }
  const server = created.server;
  if (server.node.snapshot?.actionType === undefined) {
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
  await untilStopSignal();
  await server.close();
  io.out(`writ serve: stopped; lineage log durable at ${server.node.log.size} events\n`);
  return 0;
}
