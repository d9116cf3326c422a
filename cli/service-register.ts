/**
 * The service commands: `writ serve` (the decision service), `writ token`, `writ artifact` and
 * `writ mcp` (the MCP gateway). Only commander is loaded here; each action imports its command
 * logic (and with it Fastify, the MCP SDK, the runtime) when it runs, so other commands start fast.
 */
import { Option, type Command } from "commander";
import { EXIT_BAD_INPUT, EXIT_PROBLEMS, type Output } from "./io.js";
import type { ServeCliOptions } from "./serve.js";
import type { McpCliOptions } from "./mcp.js";

const BAD_INPUT: readonly [number, string] = [EXIT_BAD_INPUT, "bad input or usage (one line per problem on stderr)"];

/** Register `writ serve`, `writ token create`, `writ artifact verify` and `writ mcp`. */
export function addServiceCommands(
  program: Command,
  io: Output,
  exit: { code: number },
  semanticsOption: () => Option,
  exits: (cmd: Command, codes: readonly (readonly [number, string])[]) => Command,
): void {
  exits(
    program
      .command("serve")
      .description("run the decision service: AuthZEN API, governed authorize/outcome, live bundles and entities, lineage reads (docs/server.md)")
      .option("--policies <files...>", "policy files to compile (with --schema), or --bundle")
      .option("--schema <file>", "schema file for --policies")
      .option("--bundle <file>", "a compiled bundle (writ compile)")
      .option("--watch", "with --bundle: reload the bundle file when it changes (same checks as PUT /v1/bundle)")
      .option("--key <file>", "the bundle signer's public key (.pub): bundles must be signed by it; needed for PUT /v1/bundle")
      .option("--entities <file>", "entities JSON file (Cedar format)")
      .option("--host <host>", "address to listen on (without --tokens: loopback only)", "127.0.0.1")
      .option("--port <port>", "TCP port (0: a free one)", "8181")
      .option("--tokens <file>", "bearer tokens file (writ token create); without it every route is open")
      .option("--dir <dir>", "the directory holding .writ/ (lineage log and node key; default: the current one)")
      .option("--node <name>", "this node's name in lineage and artifacts (default: the host name)")
      .option("--action-type <type>", "the entity type of AuthZEN actions (default: the schema's only action type)")
      .option("--public-url <url>", "the base URL clients use (behind a proxy), named by /.well-known/authzen-configuration")
      .option("--trust-proxy <proxies>", "honour X-Forwarded-* from these proxies (true, or addresses/CIDRs, comma-separated)")
      .option("--body-limit <bytes>", "largest request body of decision routes (default 1048576)")
      .option("--request-timeout <ms>", "request timeout in milliseconds (default 30000)")
      .option("--artifact-ttl <seconds>", "lifetime of authorization artifacts (default 300)")
      .option("--index-limit <n>", "executions the execution index keeps, the latest (default 100000)")
      .addOption(new Option("--log-level <level>", "JSON request log level").choices(["debug", "info", "warn", "error", "silent"]).default("info"))
      .addOption(semanticsOption())
      .action(async (opts: ServeCliOptions) => {
        const { runServe } = await import("./serve.js");
        exit.code = await runServe(opts, io);
      }),
    [[0, "stopped by SIGTERM or SIGINT after finishing in-flight requests"], BAD_INPUT],
  );

  exits(
    program
      .command("token")
      .description("bearer tokens for writ serve")
      .command("create")
      .description("make a random token: prints it once and the entry (its SHA-256 and scopes) to add to the tokens file")
      .requiredOption("--name <name>", "the token's name (recorded as the actor of governed executions)")
      .requiredOption("--scopes <scopes>", "comma-separated: decide, authorize, read-lineage, admin")
      .option("--json", 'print {"token", "entry"}')
      .action(async (opts: { name: string; scopes: string; json?: boolean }) => {
        const { runTokenCreate } = await import("./token.js");
        exit.code = runTokenCreate(opts, io);
      }),
    [[0, "the token was made"], BAD_INPUT],
  );

  exits(
    program
      .command("artifact")
      .description("authorization artifacts of writ serve")
      .command("verify")
      .description("check an authorization artifact offline: signed by the node's key, an allow, not expired")
      .argument("<file>", "the artifact (DSSE envelope) or a POST /v1/authorize answer")
      .requiredOption("--key <file>", "the decision node's public key (its .writ/lineage.pub)")
      .option("--now <time>", "check the expiry at this RFC 3339 time (default: now)")
      .option("--json", "print the verified claims as JSON")
      .action(async (file: string, opts: { key: string; now?: string; json?: boolean }) => {
        const { runArtifactVerify } = await import("./artifact.js");
        exit.code = runArtifactVerify(file, opts, io);
      }),
    [[0, "the artifact verifies"], [EXIT_PROBLEMS, "it does not (signature, decision or expiry)"], BAD_INPUT],
  );

  exits(
    program
      .command("mcp")
      .description("run an MCP server behind the Writ gateway: decide every tool call, enforce obligations, record the session's lineage (stdout is the MCP channel)")
      .argument("[server...]", "the MCP server command and its arguments, after `--`")
      .option("--policies <files...>", "policy files (with --schema), or --bundle")
      .option("--schema <file>", "schema file (.cedarschema)")
      .option("--bundle <file>", "a compiled bundle (writ compile) instead of policy files")
      .option("--key <file>", "with --bundle: the signer's public key; the bundle must be signed by it")
      .option("--entities <file>", "entities JSON file (Cedar format); tools and the server are added to it")
      .option("--principal <uid>", 'who the calls are decided for, e.g. Agent::"claude"')
      .option("--listen <host:port>", "serve MCP over streamable HTTP and relay each session to the upstream URL given after `--`")
      .option("--tokens <file>", "with --listen: JSON of bearer tokens and their principals")
      .option("--name <server>", "the server's name: the id of its Server entity (default: from the command)")
      .option("--dir <dir>", "the directory holding .writ/ (lineage log and key; default: the current directory)")
      .option("--mapping <file>", "per-tool mapping overrides (JSON; see docs/mcp.md)")
      .option("--parent <event>", "a lineage event the session descends from")
      .option("--approval-ttl <seconds>", "how long an approval stays valid (default 120)")
      .option("--server <url>", "ask a `writ serve` at this URL instead of deciding locally")
      .option("--token <token>", "with --server: the bearer token")
      .option("--quiet", "report only failures on stderr")
      .addOption(semanticsOption())
      .action(async (command: string[] | undefined, opts: McpCliOptions) => {
        const { runMcp } = await import("./mcp.js");
        exit.code = await runMcp(command ?? [], opts, io);
      }),
    [[0, "the client or the server ended the session"], BAD_INPUT],
  );
}
