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
import { runDemo } from "./demo.js";
import { CliFailure, EXIT_BAD_INPUT, EXIT_INTERNAL, problemLine, processOutput, type Output, type Semantics } from "./io.js";
import { servePlayground } from "./playground.js";
import { runTest } from "./test-runner.js";

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
    .addOption(new Option("--format <format>", "output format (github: GitHub Actions annotations)").choices(["text", "json", "github"]).default("text"))
    .action((files: string[], opts: { schema?: string; format: "text" | "json" | "github" }) => {
      exit.code = runCheck(files, opts, io);
    });

  program
    .command("eval")
    .description("decide one request: prints the decision, its reasons and any erroring policies")
    .requiredOption("--policies <files...>", "policy files")
    .option("--schema <file>", "schema file: directs reading entities and context, and validates the request")
    .requiredOption("--entities <file>", "entities JSON file (Cedar format)")
    .requiredOption("--request <file>", "request JSON file: {principal, action, resource, context}")
    .addOption(semanticsOption())
    .option("--json", "print the decision as JSON")
    .action((opts: { policies: string[]; schema?: string; entities: string; request: string; semantics: Semantics; json?: boolean }) => {
      exit.code = runEval(opts, io);
    });

  program
    .command("fmt")
    .description("format policy (.cedar, .writ) and schema (.cedarschema) files in place")
    .argument("<files...>", "files to format")
    .option("--check", "do not write; list unformatted files and exit 1 if there are any")
    .action((files: string[], opts: { check?: boolean }) => {
      exit.code = runFmt(files, { check: opts.check === true }, io);
    });

  program
    .command("test")
    .description("run Cedar integration-test JSON files (files or folders)")
    .argument("<paths...>", "test files or folders to walk")
    .addOption(semanticsOption())
    .option("--verbose", "also list passing cases")
    .action((paths: string[], opts: { semantics: Semantics; verbose?: boolean }) => {
      exit.code = runTest(paths, { semantics: opts.semantics, verbose: opts.verbose === true }, io);
    });

  program
    .command("demo")
    .description("compile the bundled examples and decide their example requests")
    .action(() => {
      exit.code = runDemo(io);
    });

  program
    .command("playground")
    .description("serve the browser playground on 127.0.0.1 (build it first: npm run build:playground)")
    .option("--port <port>", "TCP port (default: a free one)")
    .action(async (opts: { port?: string }) => {
      exit.code = await runPlayground(opts.port, io);
    });

  return program;
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
