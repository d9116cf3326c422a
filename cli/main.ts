/**
 * The `writ` command line (commander). Entry: `main(process.argv)`.
 *
 * Every failure is one line on stderr — `file:line:col: error W5xxx: message`,
 * or `file: error W5xxx: message` when no position applies — and a non-zero
 * exit; no stack trace is ever printed (see errors.ts for the exit codes).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, CommanderError, Option } from "commander";
import { runCheck, runEval, runFmt } from "./commands.js";
import { runBundleEval, runCompile, runKeygen } from "./bundle-commands.js";
import { runDemo } from "./demo.js";
import { runGovernedDemo } from "./governed-demo.js";
import { runDiff } from "./diff.js";
import { runInit } from "./init.js";
import { runLineageCheckpoint, runLineageExport, runLineageProve, runLineageReplay, runLineageShow, runLineageVerify, runLineageVerifyProof } from "./lineage-commands.js";
import { CliFailure, EXIT_BAD_INPUT, EXIT_INTERNAL, problemLine, processOutput, type Output, type Semantics } from "./io.js";
import { servePlayground } from "./playground.js";
import { addMeshCommands, addMeshOptions, meshSchemaOption } from "./mesh-register.js";
import { runTest } from "./test-runner.js";
import type { ServeCliOptions } from "./serve.js";

/** The package version, read from the nearest package.json above this module. */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const p = join(dir, "package.json");
    if (existsSync(p)) {
      try {
        const v = (JSON.parse(readFileSync(p, "utf8")) as { version?: unknown }).version;
        return typeof v === "string" ? v : "unknown";
      } catch {
        return "unknown";
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return "unknown";
    dir = parent;
  }
}

function semanticsOption(): Option {
  return new Option("--semantics <mode>", "how erroring policies count: fail-closed (an erroring forbid denies) or cedar (skipped, as Cedar)")
    .choices(["fail-closed", "cedar"])
    .default("fail-closed");
}

/** Build the command tree. Actions store their exit code in `exit.code`. */
export function buildProgram(io: Output, exit: { code: number }): Command {
  const program = new Command("writ")
    .description("Writ: typed, Cedar-compatible policies compiled to a deterministic decision function")
    .version(packageVersion(), "-V, --version")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      outputError: () => {
        /* commander errors are rendered once, as a one-line W5008, by main */
      },
    });

  program
    .command("check")
    .description("parse policy files and validate them against a schema")
    .argument("<policies...>", "policy files (.cedar / .writ)")
    .option("--schema <file>", "schema file (.cedarschema); without it only syntax is checked")
    .option("--links <file>", "template links file (JSON, as writ link writes it) to check")
    .addOption(new Option("--format <format>", "output format (github: GitHub Actions annotations; sarif: SARIF 2.1.0)").choices(["text", "json", "github", "sarif"]).default("text"))
    .action((files: string[], opts: { schema?: string; links?: string; format: "text" | "json" | "github" | "sarif" }) => {
      exit.code = runCheck(files, { ...opts, version: packageVersion() }, io);
    });

  program
    .command("eval")
    .description("decide one request: prints the decision, its reasons and any erroring policies")
    .option("--policies <files...>", "policy files (or --bundle)")
    .option("--bundle <file>", "decide from a compiled bundle (writ compile) instead of policy files; prints the decision record")
    .option("--key <file>", "with --bundle: the signer's public key (.pub); the bundle must carry a valid signature by it")
    .option("--schema <file>", "schema file: directs reading entities and context, and validates the request")
    .option("--links <file>", "template links file (JSON) to apply to --policies")
    .requiredOption("--entities <file>", "entities JSON file (Cedar format)")
    .requiredOption("--request <file>", "request JSON file: {principal, action, resource, context}")
    .addOption(semanticsOption())
    .option("--json", "print the decision as JSON")
    .action(
      (opts: { policies?: string[]; bundle?: string; key?: string; schema?: string; links?: string; entities: string; request: string; semantics: Semantics; json?: boolean }) => {
        if (opts.bundle !== undefined) {
          if (opts.policies !== undefined || opts.schema !== undefined || opts.links !== undefined) {
            throw new CliFailure([problemLine("W5008", "--bundle already holds the policies and the schema: drop --policies/--schema", { file: "writ" })]);
          }
          exit.code = runBundleEval({ ...opts, bundle: opts.bundle }, io);
          return;
        }
        if (opts.key !== undefined) throw new CliFailure([problemLine("W5008", "--key applies only with --bundle", { file: "writ" })]);
        if (opts.policies === undefined) throw new CliFailure([problemLine("W5008", "required option '--policies <files...>' (or --bundle) not specified", { file: "writ" })]);
        exit.code = runEval({ ...opts, policies: opts.policies }, io);
      },
    );

  program
    .command("compile")
    .description("compile policies into one bundle file (canonical IR, content ids, schema), optionally signed")
    .argument("<policies...>", "policy files")
    .requiredOption("--schema <file>", "schema file (.cedarschema)")
    .option("--links <file>", "template links file (JSON): the bundle carries the templates and these links")
    .option("-o, --output <file>", "the bundle file to write")
    .option("--sign <file>", "sign the bundle id with this Ed25519 private key (<prefix>.key from writ keygen)")
    .option("--sequence <n>", "the bundle's sequence number (services refuse lower ones)", "0")
    .addOption(semanticsOption())
    .option("--json", 'print {"bundleId", "policies": [{"name", "id"}]}')
    .action((files: string[], opts: { schema: string; links?: string; output?: string; sign?: string; sequence?: string; semantics: Semantics; json?: boolean }) => {
      exit.code = runCompile(files, opts, io);
    });

  program
    .command("keygen")
    .description("write an Ed25519 key pair: <prefix>.key (private, mode 0600) and <prefix>.pub")
    .argument("<prefix>", "path prefix of the two key files")
    .action((prefix: string) => {
      exit.code = runKeygen(prefix, io);
    });

  program
    .command("fmt")
    .description("format policy (.cedar, .writ) and schema (.cedarschema) files in place")
    .argument("<files...>", "files to format")
    .option("--check", "do not write; list unformatted files and exit 1 if there are any")
    .addOption(new Option("--to <form>", "convert one file instead: policies to/from Cedar's JSON policy format (json, cedar), schemas to/from its JSON schema format (json, cedarschema)").choices(["json", "cedar", "cedarschema"]))
    .option("-o, --output <file>", "with --to: the file to write (default: print)")
    .option("--links <file>", "with --to: template links file, read (--to json) or written (--to cedar)")
    .action(async (files: string[], opts: { check?: boolean; to?: "json" | "cedar" | "cedarschema"; output?: string; links?: string }) => {
      if (opts.to === undefined) exit.code = runFmt(files, { check: opts.check === true }, io);
      else exit.code = (await import("./convert.js")).runConvert(files, { to: opts.to, ...(opts.output === undefined ? {} : { output: opts.output }), ...(opts.links === undefined ? {} : { links: opts.links }) }, io);
    });

  program
    .command("link")
    .description("link a template: name a policy made from it by filling its slots, and add it to a links file")
    .argument("<template>", "the template's name (@id, or policyN by position)")
    .requiredOption("--id <name>", "the name of the linked policy")
    .option("--slot <slot=entity>", 'a slot value, e.g. ?principal=User::"alice" (repeat for ?resource)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .requiredOption("--policies <files...>", "the policy files holding the template")
    .requiredOption("--links <file>", "the links file to add the link to (created when missing)")
    .option("--schema <file>", "validate the linked policy against this schema")
    .option("--json", 'print {"name", "id", "template", "templateId", "values"}')
    .action(async (template: string, opts: { id: string; slot: string[]; policies: string[]; links: string; schema?: string; json?: boolean }) => {
      exit.code = (await import("./link.js")).runLink(template, opts, io);
    });

  program
    .command("test")
    .description("run test files (Cedar integration-test JSON and *.writ-test.json; files or folders)")
    .argument("<paths...>", "test files or folders to walk")
    .addOption(
      new Option("--semantics <mode>", "how erroring policies count (default fail-closed; overrides a Writ test file's `semantics` only when given)").choices([
        "fail-closed",
        "cedar",
      ]),
    )
    .option("--verbose", "also list passing cases")
    .action((paths: string[], opts: { semantics?: Semantics; verbose?: boolean }) => {
      exit.code = runTest(paths, { ...(opts.semantics === undefined ? {} : { semantics: opts.semantics }), verbose: opts.verbose === true }, io);
    });

  program
    .command("diff")
    .description("compare two bundles: added, removed and changed policies, schema, semantics and sequence (exit 0 identical, 1 different)")
    .argument("<old>", "the old bundle (JSON, as `writ compile` writes it)")
    .argument("<new>", "the new bundle")
    .option("--json", "print the difference as JSON")
    .action((oldPath: string, newPath: string, opts: { json?: boolean }) => {
      exit.code = runDiff(oldPath, newPath, { json: opts.json === true }, io);
    });

  program
    .command("init")
    .description("scaffold a policy project: schema, policies, entities, a Writ test file, a README and a CI workflow")
    .argument("[dir]", "the project folder (default: the current folder; created if missing)")
    .action((dir: string | undefined) => {
      exit.code = runInit(dir, io);
    });

  program
    .command("demo")
    .description("compile the bundled examples and decide their example requests, then run the governed-agent scenario (records .writ/lineage.db here)")
    .action(async () => {
      const first = runDemo(io);
      const second = await runGovernedDemo(io, process.cwd());
      exit.code = first !== 0 ? first : second;
    });

  addLineageCommands(program, io, exit);
  addMeshCommands(program, io, exit);

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
    .addOption(new Option("--log-level <level>", "JSON request log level").choices(["debug", "info", "warn", "error", "silent"]).default("info"))
    .addOption(semanticsOption())
    .action(async (opts: ServeCliOptions) => {
      const { runServe } = await import("./serve.js");
      exit.code = await runServe(opts, io);
    });

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
    });

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
    });

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
    .action(async (command: string[] | undefined, opts: import("./mcp.js").McpCliOptions) => {
      const { runMcp } = await import("./mcp.js");
      exit.code = await runMcp(command ?? [], opts, io);
    });

  program
    .command("playground")
    .description("serve the browser playground on 127.0.0.1 (built by npm install; rebuild with npm run build:playground)")
    .option("--port <port>", "TCP port (default: a free one)")
    .action(async (opts: { port?: string }) => {
      exit.code = await runPlayground(opts.port, io);
    });

  addMeshOptions(program);
  return program;
}

function addLineageCommands(program: Command, io: Output, exit: { code: number }): void {
  const lineage = program.command("lineage").description("verify, prove, show, replay and export the execution lineage in .writ/lineage.db");
  const dirOption = (): Option => new Option("--dir <dir>", "the working directory holding .writ/ (default: the current directory)");
  const keyOption = (): Option => new Option("--key <file>", "the log's public key (default: .writ/lineage.pub); nothing secret is needed");
  const trustedOption = (): Option =>
    new Option("--trusted <file>", "a checkpoint the log must extend (default: .writ/lineage.trusted, which verify keeps up to date)");
  lineage
    .command("verify")
    .description("re-hash every event, rebuild the Merkle tree, check every checkpoint and consistency with the last trusted checkpoint; names the first bad entry")
    .addOption(dirOption())
    .addOption(keyOption())
    .addOption(trustedOption())
    .option("--json", "print the verification report as JSON")
    .action(async (opts: { dir?: string; key?: string; trusted?: string; json?: boolean }) => {
      exit.code = await runLineageVerify(opts, io);
    });
  lineage
    .command("checkpoint")
    .description("print the latest signed checkpoint (keep it elsewhere and pass it to verify --trusted)")
    .addOption(dirOption())
    .addOption(keyOption())
    .option("-o, --output <file>", "the file to write (default: print)")
    .action(async (opts: { dir?: string; key?: string; output?: string }) => {
      exit.code = await runLineageCheckpoint(opts, io);
    });
  lineage
    .command("prove")
    .description("write a self-contained inclusion proof of one event (by id or index)")
    .argument("<event>", "event id (sha256:…) or index")
    .addOption(dirOption())
    .addOption(keyOption())
    .option("-o, --output <file>", "the proof file to write (default: print it)")
    .action(async (event: string, opts: { dir?: string; output?: string }) => {
      exit.code = await runLineageProve(event, opts, io);
    });
  lineage
    .command("verify-proof")
    .description("check a proof file offline (no log needed)")
    .argument("<proof>", "proof JSON file (writ lineage prove)")
    .option("--key <file>", "the log's public key (.writ/lineage.pub): the proof must be signed by it")
    .action((file: string, opts: { key?: string }) => {
      exit.code = runLineageVerifyProof(file, opts, io);
    });
  lineage
    .command("show")
    .description("print the execution tree around an event (from its root execution down)")
    .argument("<event>", "event id (sha256:…) or index")
    .addOption(dirOption())
    .addOption(keyOption())
    .addOption(trustedOption())
    .option("--dot", "print a Graphviz digraph")
    .option("--json", "print the tree as JSON")
    .action(async (event: string, opts: { dir?: string; dot?: boolean; json?: boolean }) => {
      exit.code = await runLineageShow(event, opts, io);
    });
  lineage
    .command("replay")
    .description("verify the log, then re-evaluate every recorded decision with its stored bundle and entities and compare the records byte for byte")
    .addOption(dirOption())
    .addOption(keyOption())
    .addOption(trustedOption())
    .option("--json", "print the replay report as JSON")
    .action(async (opts: { dir?: string; json?: boolean }) => {
      exit.code = await runLineageReplay(opts, io);
    });
  lineage
    .command("export")
    .description("write one in-toto Statement v1 per decision, each in a DSSE envelope signed with the log key (JSON lines)")
    .addOption(new Option("--format <format>", "export format").choices(["in-toto"]).makeOptionMandatory())
    .addOption(dirOption())
    .addOption(trustedOption())
    .option("-o, --output <file>", "the file to write (default: print)")
    .action(async (opts: { format: string; dir?: string; output?: string }) => {
      exit.code = await runLineageExport(opts, io);
    });
  // A mesh's shared log on PostgreSQL instead of .writ/ (the logic loads only with --store).
  for (const c of lineage.commands.filter((c) => ["verify", "checkpoint", "prove", "show", "replay"].includes(c.name()))) {
    c.addOption(new Option("--store <url>", "read a mesh's shared log on PostgreSQL (postgres://…); --key is then the mesh operator's public key")).addOption(meshSchemaOption());
  }
}

async function runPlayground(portText: string | undefined, io: Output): Promise<number> {
  const port = portText === undefined ? 0 : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliFailure([problemLine("W5008", `invalid --port \`${portText}\`: expected an integer from 0 to 65535`)]);
  }
  let server;
  try {
    server = await servePlayground({ port });
  } catch (err) {
    throw new CliFailure([problemLine("W5008", err instanceof Error ? err.message : String(err))]);
  }
  io.out(`Writ playground: ${server.url}  (Ctrl-C to stop)\n`);
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      done();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await server.close();
  return 0;
}

function commanderLine(err: CommanderError): string {
  const message = err.message.replace(/^error:\s*/, "").split("\n")[0]!;
  return problemLine("W5008", message, { file: "writ" });
}

/**
 * Run the CLI with `argv` as in `process.argv` (node, script, args…). Sets
 * `process.exitCode`; never throws and never prints a stack trace.
 */
export async function main(argv: string[], io: Output = processOutput): Promise<void> {
  installProcessGuards();
  process.exitCode = await runCli(argv.slice(2), io);
}

/** A closed stdout (e.g. `writ test … | head`) ends the process quietly; anything unexpected is one line. */
function installProcessGuards(): void {
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  });
  const internal = (err: unknown): never => {
    process.stderr.write(`writ: internal error: ${(err instanceof Error ? err.message : String(err)).split("\n")[0]}\n`);
    process.exit(EXIT_INTERNAL);
  };
  process.on("uncaughtException", internal);
  process.on("unhandledRejection", internal);
}

/** Run the CLI on user arguments (without node and script) and return the exit code. */
export async function runCli(args: readonly string[], io: Output = processOutput): Promise<number> {
  const exit = { code: 0 };
  try {
    const program = buildProgram(io, exit);
    if (args.length === 0) {
      program.outputHelp();
      return 0;
    }
    await program.parseAsync([...args], { from: "user" });
    return exit.code;
  } catch (err) {
    if (err instanceof CliFailure) {
      for (const l of err.lines) io.err(`${l}\n`);
      return err.exitCode;
    }
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 0;
      io.err(`${commanderLine(err)}\n`);
      return EXIT_BAD_INPUT;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.err(`writ: internal error: ${message.split("\n")[0]} (this is a bug in writ; please report it)\n`);
    return EXIT_INTERNAL;
  }
}
