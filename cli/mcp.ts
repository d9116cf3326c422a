/**
 * `writ mcp`: run an MCP server behind the Writ gateway (see docs/mcp.md).
 *
 *     writ mcp (--policies <files…> --schema <file> | --bundle <file> [--key <pub>]) [--entities <file>]
 *              --principal '<Type>::"<id>"' [--name <server>] [--dir <dir>] [--mapping <file>]
 *              [--parent <event>] [--approval-ttl <seconds>] [--quiet]
 *              -- <server command> [args…]
 *     writ mcp --server <url> --token <t> [--schema <file>] --principal … -- <server command> [args…]
 *     writ mcp … --listen <host:port> (--tokens <file> | --principal …) -- <upstream MCP URL>
 *
 * Over stdio, stdout is the MCP channel to the client: nothing else is ever written there. With
 * `--listen`, clients connect over streamable HTTP (bearer tokens name their principals) and
 * each session is relayed to the upstream URL until SIGINT/SIGTERM. Reports go to
 * stderr, one line each (`writ mcp: …`). Startup problems are one line and exit 2 before the
 * server is started; the server ending while the client is connected is one line and exit 1;
 * the client closing ends the session and exits 0.
 *
 * NOTE: loaded lazily by main.ts, so `writ --version` never loads the MCP SDK.
 */
import { basename, extname, resolve } from "node:path";
import { loadBundle, loadEntities, type EntityJson, type LoadedBundle } from "../runtime/index.js";
import { readPublicKey } from "../runtime/keys.js";
import {
  checkSchema,
  createGateway,
  createMapping,
  describeEvent,
  openLocalDecider,
  parseEntityUid,
  readToolRules,
  remoteDecider,
  serveHttpGateway,
  spawnServer,
  stdioClientChannel,
  type Decider,
  type GatewayEvent,
  type ToolRule,
  type Uid,
} from "../mcp/index.js";
import { compileBundleFiles } from "./bundle-commands.js";
import { schemaFrom, errorLines } from "./pipeline.js";
import { CliFailure, EXIT_BAD_INPUT, fail, problemLine, readTextFile, type Output, type Semantics } from "./io.js";
import { readJsonFile } from "./json-files.js";

/** Options of `writ mcp` (as commander gives them). */
export interface McpCliOptions {
  readonly policies?: string[];
  readonly schema?: string;
  readonly bundle?: string;
  readonly key?: string;
  readonly entities?: string;
  readonly principal?: string;
  readonly listen?: string;
  readonly tokens?: string;
  readonly name?: string;
  readonly dir?: string;
  readonly mapping?: string;
  readonly parent?: string;
  readonly approvalTtl?: string;
  readonly server?: string;
  readonly token?: string;
  readonly quiet?: boolean;
  readonly semantics: Semantics;
}

/** Launchers skipped when naming a server after its command (`npx -y @scope/server-x` → `server-x`). */
const LAUNCHERS = new Set(["node", "npx", "bunx", "bun", "deno", "uvx", "uv", "python", "python3", "pipx", "docker", "run", "exec"]);

/** The default server name: the first word of the command that is not a launcher or an option, without scope, folder or extension. */
export function defaultServerName(command: readonly string[]): string {
  const word = command.find((w) => !w.startsWith("-") && !LAUNCHERS.has(basename(w)) && !LAUNCHERS.has(basename(w, extname(w)))) ?? command[0] ?? "server";
  const base = basename(word.replace(/^@[^/]+\//, ""));
  return base.slice(0, base.length - extname(base).length) || base;
}

function badOption(message: string): never {
  fail("W5008", message, { file: "writ" });
}

/** The bundle of `--bundle [--key]` or of `--policies --schema`. */
function bundleOf(opts: McpCliOptions): { bundle: LoadedBundle; file: string } {
  if (opts.bundle !== undefined) {
    if (opts.policies !== undefined || opts.schema !== undefined) badOption("--bundle already holds the policies and the schema: drop --policies/--schema");
    const publicKey = opts.key === undefined ? undefined : readPublicKey(opts.key);
    if (publicKey !== undefined && !publicKey.ok) fail("W5008", `cannot use the public key: ${publicKey.problem.message}`, { file: opts.key });
    const b = readJsonFile(opts.bundle);
    const loaded = loadBundle(b.json, publicKey?.ok === true ? { publicKey: publicKey.value } : {});
    if (loaded.bundle === undefined) throw new CliFailure(loaded.diagnostics.map((d) => problemLine(d.code, d.message, { file: b.file.name })), EXIT_BAD_INPUT);
    return { bundle: loaded.bundle, file: b.file.name };
  }
  if (opts.key !== undefined) badOption("--key applies only with --bundle");
  if (opts.policies === undefined || opts.schema === undefined) badOption("give --policies <files…> with --schema <file>, or --bundle <file> (or --server <url> --token <t>)");
  const built = compileBundleFiles(opts.policies, opts.schema, opts.semantics, 0);
  const loaded = loadBundle(JSON.parse(JSON.stringify(built)) as unknown);
  if (loaded.bundle === undefined) throw new CliFailure(loaded.diagnostics.map((d) => problemLine(d.code, d.message, { file: opts.schema })), EXIT_BAD_INPUT);
  return { bundle: loaded.bundle, file: opts.schema };
}

function rulesOf(file: string | undefined): Record<string, ToolRule> {
  if (file === undefined) return {};
  const m = readJsonFile(file);
  const rules = readToolRules(m.json);
  if (typeof rules === "string") fail("W9006", `invalid mapping: ${rules}`, { file: m.file.name });
  return rules;
}

function ttlOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9][0-9]{0,6}$/.test(text)) badOption(`invalid --approval-ttl \`${text}\`: expected whole seconds from 1 to 9999999`);
  return Number(text) * 1000;
}

/** What decides, and the schema the mapping types contexts with. */
async function deciderOf(opts: McpCliOptions, principals: readonly Uid[]): Promise<{ decider: Decider; schema?: LoadedBundle["schema"] }> {
  if (opts.server !== undefined) {
    if (opts.token === undefined) badOption("--server needs --token <t>");
    if (opts.policies !== undefined || opts.bundle !== undefined || opts.entities !== undefined) badOption("--server decides remotely: drop --policies/--bundle/--entities (the service holds them)");
    if (!/^https?:\/\/[^\s]+$/.test(opts.server)) badOption(`invalid --server \`${opts.server}\`: expected an http(s) URL`);
    let schema: LoadedBundle["schema"] | undefined;
    if (opts.schema !== undefined) {
      const file = readTextFile(opts.schema);
      const staged = schemaFrom(file);
      if (staged.value === undefined) throw new CliFailure(errorLines(staged, file.name), EXIT_BAD_INPUT);
      schema = staged.value;
      const gap = principals.map((p) => checkSchema(schema!, p)).find((g) => g !== undefined);
      if (gap !== undefined) fail("W9001", gap, { file: file.name });
    }
    return { decider: remoteDecider({ url: opts.server, token: opts.token }), ...(schema === undefined ? {} : { schema }) };
  }
  if (opts.token !== undefined) badOption("--token applies only with --server");
  const { bundle, file } = bundleOf(opts);
  const gap = principals.map((p) => checkSchema(bundle.schema, p)).find((g) => g !== undefined);
  if (gap !== undefined) fail("W9001", gap, { file });
  let entities;
  if (opts.entities !== undefined) {
    const e = readJsonFile(opts.entities);
    const loaded = loadEntities(bundle, e.json as unknown as readonly EntityJson[]);
    if (loaded.store === undefined) throw new CliFailure(loaded.diagnostics.filter((d) => d.severity === "error").map((d) => problemLine(d.code, d.message, { file: e.file.name })), EXIT_BAD_INPUT);
    entities = loaded.store;
  }
  const dir = resolve(opts.dir ?? process.cwd());
  const opened = await openLocalDecider({ dir, bundle, ...(entities === undefined ? {} : { entities }) });
  if (!opened.ok) {
    if (opened.problem.code === "W9011") fail("W9011", opened.problem.message, { file: "writ" });
    fail(opened.problem.code, `cannot open the lineage log: ${opened.problem.message}`, { file: dir });
  }
  return { decider: opened.decider, schema: bundle.schema };
}

/** Events printed even with --quiet. */
const ALWAYS: ReadonlySet<GatewayEvent["kind"]> = new Set(["malformed", "failure"]);

/** The callers: `--tokens` (bearer token → principal, HTTP only) or the one `--principal`. */
function principalsOf(opts: McpCliOptions): { all: readonly Uid[]; of: (token: string | undefined) => Uid | undefined } {
  if (opts.tokens !== undefined) {
    if (opts.listen === undefined) badOption("--tokens applies only with --listen (over stdio the caller is --principal)");
    if (opts.principal !== undefined) badOption("give --tokens or --principal, not both");
    const t = readJsonFile(opts.tokens);
    const json = t.json as unknown;
    if (typeof json !== "object" || json === null || Array.isArray(json) || Object.keys(json).length === 0) fail("W5008", 'expected a JSON object of bearer tokens and principals, e.g. {"<token>": "Agent::\\"claude\\""}', { file: t.file.name });
    const byToken = new Map<string, Uid>();
    for (const [token, text] of Object.entries(json as Record<string, unknown>)) {
      const uid = typeof text === "string" ? parseEntityUid(text) : undefined;
      if (uid === undefined) fail("W9002", `invalid principal for a token: ${JSON.stringify(text)} is not an entity uid such as Agent::"claude"`, { file: t.file.name });
      byToken.set(token, uid);
    }
    return { all: [...byToken.values()], of: (token) => (token === undefined ? undefined : byToken.get(token)) };
  }
  if (opts.principal === undefined) badOption("give --principal <uid> (or, with --listen, --tokens <file>)");
  const principal = parseEntityUid(opts.principal);
  if (principal === undefined) fail("W9002", `invalid principal \`${opts.principal}\`: expected an entity uid such as Agent::"claude"`, { file: "writ" });
  return { all: [principal], of: () => principal };
}

/** `host:port` of `--listen`. */
function listenOf(text: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(text);
  const port = m === null ? NaN : Number(m[2]);
  if (m === null || port > 65535) badOption(`invalid --listen \`${text}\`: expected host:port, e.g. 127.0.0.1:8080`);
  return { host: m[1]!.replace(/^\[(.*)\]$/, "$1"), port };
}

/** Wait for SIGINT or SIGTERM, then run `stop` once. */
function untilSignal(stop: () => void): () => void {
  const once = (): void => {
    process.off("SIGINT", once);
    process.off("SIGTERM", once);
    stop();
  };
  process.on("SIGINT", once);
  process.on("SIGTERM", once);
  return () => {
    process.off("SIGINT", once);
    process.off("SIGTERM", once);
  };
}

/** Run `writ mcp`: relay until the client or the server ends (stdio), or until stopped (HTTP); the exit code. */
export async function runMcp(command: readonly string[], opts: McpCliOptions, io: Output): Promise<number> {
  if (command.length === 0) badOption("give the MCP server to run after `--`: writ mcp … -- <command> [args…]");
  const callers = principalsOf(opts);
  const listen = opts.listen === undefined ? undefined : listenOf(opts.listen);
  let upstream: URL | undefined;
  if (listen !== undefined) {
    if (command.length !== 1 || !/^https?:\/\//.test(command[0]!)) badOption("with --listen, give the upstream MCP server's URL after `--`, e.g. -- http://127.0.0.1:3001/mcp");
    upstream = new URL(command[0]!);
  }
  const approvalTtlMs = ttlOf(opts.approvalTtl);
  const tools = rulesOf(opts.mapping);
  const { decider, schema } = await deciderOf(opts, callers.all);
  const mapped = createMapping({ ...(schema === undefined ? {} : { schema }), tools });
  if (!mapped.ok) {
    await decider.close();
    fail("W9001", mapped.message, { file: opts.schema ?? opts.bundle ?? "writ" });
  }
  const say = (line: string): void => io.err(`writ mcp: ${line}\n`);
  const common = {
    decider,
    mapping: mapped.mapping,
    serverName: opts.name ?? (upstream === undefined ? defaultServerName(command) : upstream.hostname),
    ...(opts.parent === undefined ? {} : { parent: opts.parent }),
    ...(approvalTtlMs === undefined ? {} : { approvalTtlMs }),
    report: (e: GatewayEvent) => {
      if (opts.quiet !== true || ALWAYS.has(e.kind)) say(describeEvent(e));
    },
  };
  if (listen !== undefined && upstream !== undefined) {
    let http;
    try {
      http = await serveHttpGateway({ ...common, ...listen, upstream, principalOf: callers.of });
    } catch (e) {
      await decider.close();
      fail("W5008", `cannot listen on ${opts.listen}: ${e instanceof Error ? e.message : String(e)}`, { file: "writ mcp" });
    }
    say(`listening on ${http.url} (upstream ${upstream.href})`);
    await new Promise<void>((resolve) => untilSignal(resolve));
    await http.close();
    return 0;
  }
  const server = spawnServer(command[0]!, command.slice(1));
  const notStarted = await server.started;
  if (notStarted !== undefined) {
    await decider.close();
    fail("W9004", `cannot start the MCP server \`${server.command}\`: ${notStarted}`, { file: "writ mcp" });
  }
  const gateway = createGateway({ ...common, client: stdioClientChannel(), server, principal: callers.all[0]! });
  // Asked to stop (an MCP client sends SIGTERM after closing our input): stop the server now too.
  const forget = untilSignal(() => {
    void gateway.close();
    server.terminate();
  });
  gateway.start();
  const end = await gateway.done;
  forget();
  process.stdin.destroy();
  if (end.problem !== undefined) io.err(`${problemLine(end.problem.code, end.problem.message, { file: "writ mcp" })}\n`);
  return end.exitCode;
}
