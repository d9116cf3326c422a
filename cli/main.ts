/**
 * The `writ` command line (commander). Entry: `main(process.argv)`.
 *
 * Every failure is one line on stderr — `file:line:col: error W5xxx: message`,
 * or `file: error W5xxx: message` when no position applies — and a non-zero
 * exit (`EXIT_CODES` in io.ts); no stack trace is ever printed. In a JSON mode
 * (`--json`, `--format json|sarif|junit|github`) the failure is also answered
 * on stdout in that format (see answers.ts).
 *
 * NOTE: this module loads only commander and the small io/colour modules; each
 * command's implementation (and with it the parser, the compiler, the runtime)
 * is imported when that command runs, so `writ --version` and `writ --help`
 * start fast. docs/cli.md's reference section is generated from `buildProgram`.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, CommanderError, Option } from "commander";
import { colourWanted, paintProblemLine } from "./colour.js";
import { CliFailure, EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_PROBLEMS, problemLine, processOutput, resetStdin, untilStopSignal, type Output, type Semantics } from "./io.js";
import { addMeshCommands, addMeshOptions, meshSchemaOption } from "./mesh-register.js";
import { addServiceCommands } from "./service-register.js";

/** The package version, read from the nearest package.json above this module. */
export function packageVersion(): string {
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

/** What each command's exit codes mean (shown in `--help` and in docs/cli.md). */
const commandExits = new WeakMap<Command, readonly (readonly [number, string])[]>();

/** The exit codes documented for a command, if any. */
export function exitCodesOf(cmd: Command): readonly (readonly [number, string])[] | undefined {
  return commandExits.get(cmd);
}

function exits(cmd: Command, codes: readonly (readonly [number, string])[]): Command {
  commandExits.set(cmd, codes);
  return cmd.addHelpText("after", `\nExit codes:\n${codes.map(([c, m]) => `  ${c}  ${m}`).join("\n")}\n`);
}

const BAD_INPUT: readonly [number, string] = [EXIT_BAD_INPUT, "bad input or usage (one line per problem on stderr)"];

function semanticsOption(): Option {
  return new Option("--semantics <mode>", "how erroring policies count: fail-closed (an erroring forbid denies) or cedar (skipped, as Cedar)")
    .choices(["fail-closed", "cedar"])
    .default("fail-closed");
}

const STDIN_NOTE = "`-` reads standard input";

/** Build the command tree. Actions store their exit code in `exit.code`. */
export function buildProgram(io: Output, exit: { code: number }): Command {
  const program = new Command("writ")
    .description("Writ: typed, Cedar-compatible policies compiled to a deterministic decision function")
    .version(packageVersion(), "-V, --version")
    .option("--color", "colour the output even when it is not a terminal")
    .option("--no-color", "never colour the output (as does a non-empty NO_COLOR)")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      outputError: () => {
        /* commander errors are rendered once, as a one-line W5008, by runCli */
      },
    });

  const check = program
    .command("check")
    .description("parse policy files and validate them against a schema")
    .argument("<policies...>", `policy files, or folders walked for .cedar and .writ files; ${STDIN_NOTE}`)
    .option("--schema <file>", `schema file (.cedarschema or Cedar's JSON schema .json); without it only syntax is checked; ${STDIN_NOTE}`)
    .option("--links <file>", "template links file (JSON, as writ link writes it) to check")
    .addOption(
      new Option("--format <format>", "output format: text, json, github (GitHub Actions annotations), sarif (SARIF 2.1.0)").choices(["text", "json", "github", "sarif"]).default("text"),
    )
    .action(async (files: string[], opts: { schema?: string; links?: string; format: "text" | "json" | "github" | "sarif" }) => {
      const { runCheck } = await import("./commands.js");
      exit.code = runCheck(files, { ...opts, version: packageVersion() }, io);
    });
  exits(check, [[0, "every policy parses (and validates, with --schema)"], [EXIT_PROBLEMS, "diagnostics with severity error"], BAD_INPUT]);

  const evaluate = program
    .command("eval")
    .description("decide one request: prints the decision, its reasons and any erroring policies")
    .option("--policies <files...>", "policy files or folders (or --bundle)")
    .option("--bundle <file>", `decide from a compiled bundle (writ compile) instead of policy files; prints the decision record; ${STDIN_NOTE}`)
    .option("--key <file>", `with --bundle: the signer's public key (.pub); the bundle must carry a valid signature by it; ${STDIN_NOTE}`)
    .option(
      "--state <file>",
      "with --bundle: where the highest sequence loaded per signer is remembered, so a lower one is refused (rollback protection; default .writ/bundle-state.json in the current folder, written after each load)",
    )
    .option("--no-state", "with --bundle: neither read nor write a state file (no rollback protection across runs)")
    .option("--schema <file>", "schema file: directs reading entities and context, and validates the request")
    .option("--links <file>", "template links file (JSON) to apply to --policies")
    .requiredOption("--entities <file>", `entities JSON file (Cedar format); ${STDIN_NOTE}`)
    .requiredOption("--request <file>", `request JSON file: {principal, action, resource, context}; ${STDIN_NOTE}`)
    .addOption(semanticsOption())
    .option("--json", "print the decision (or the error) as JSON")
    .action(
      async (opts: {
        policies?: string[];
        bundle?: string;
        key?: string;
        state?: string | false;
        schema?: string;
        links?: string;
        entities: string;
        request: string;
        semantics: Semantics;
        json?: boolean;
      }) => {
        if (opts.bundle !== undefined) {
          if (opts.policies !== undefined || opts.schema !== undefined || opts.links !== undefined) {
            throw new CliFailure([problemLine("W5008", "--bundle already holds the policies and the schema: drop --policies/--schema", { file: "writ" })]);
          }
          const { runBundleEval } = await import("./bundle-commands.js");
          exit.code = runBundleEval({ ...opts, bundle: opts.bundle }, io);
          return;
        }
        for (const flag of ["key", "state"] as const) {
          if (opts[flag] !== undefined) throw new CliFailure([problemLine("W5008", `--${opts[flag] === false ? "no-" : ""}${flag} applies only with --bundle`, { file: "writ" })]);
        }
        if (opts.policies === undefined) throw new CliFailure([problemLine("W5008", "required option '--policies <files...>' (or --bundle) not specified", { file: "writ" })]);
        const { runEval } = await import("./commands.js");
        exit.code = runEval({ ...opts, policies: opts.policies }, io);
      },
    );
  exits(evaluate, [[0, "a decision was made: allow and deny alike"], BAD_INPUT]);

  const compile = program
    .command("compile")
    .description("compile policies into one bundle file (canonical IR, content ids, schema), optionally signed")
    .argument("<policies...>", "policy files or folders")
    .requiredOption("--schema <file>", "schema file (.cedarschema or Cedar's JSON schema .json)")
    .option("--links <file>", "template links file (JSON): the bundle carries the templates and these links")
    .option("-o, --output <file>", "the bundle file to write; `-` writes it to standard output")
    .option("--sign <file>", `sign the bundle id with this Ed25519 private key (<prefix>.key from writ keygen); ${STDIN_NOTE}`)
    .option("--sequence <n>", "the bundle's sequence number (services refuse lower ones)", "0")
    .addOption(semanticsOption())
    .option("--json", 'print {"bundleId", "policies": [{"name", "id"}]} (the ids, not the bundle)')
    .action(async (files: string[], opts: { schema: string; links?: string; output?: string; sign?: string; sequence?: string; semantics: Semantics; json?: boolean }) => {
      const { runCompile } = await import("./bundle-commands.js");
      exit.code = runCompile(files, opts, io);
    });
  exits(compile, [[0, "the bundle was written (or printed)"], [EXIT_BAD_INPUT, "bad input, or policies that do not validate (nothing is written)"]]);

  const keygen = program
    .command("keygen")
    .description("write an Ed25519 key pair: <prefix>.key (private, mode 0600) and <prefix>.pub")
    .argument("<prefix>", "path prefix of the two key files")
    .action(async (prefix: string) => {
      const { runKeygen } = await import("./bundle-commands.js");
      exit.code = runKeygen(prefix, io);
    });
  exits(keygen, [[0, "the key pair was written"], BAD_INPUT]);

  const fmt = program
    .command("fmt")
    .description("format policy (.cedar, .writ) and schema (.cedarschema) files in place")
    .argument("<files...>", "files, or folders walked for them; `-` formats standard input (a policy file) to standard output")
    .option("--check", "do not write; list unformatted files and exit 1 if there are any")
    .addOption(
      new Option("--to <form>", "convert one file instead: policies to/from Cedar's JSON policy format (json, cedar), schemas to/from its JSON schema format (json, cedarschema)").choices([
        "json",
        "cedar",
        "cedarschema",
      ]),
    )
    .option("-o, --output <file>", "with --to: the file to write (default: print)")
    .option("--links <file>", "with --to: template links file, read (--to json) or written (--to cedar)")
    .action(async (files: string[], opts: { check?: boolean; to?: "json" | "cedar" | "cedarschema"; output?: string; links?: string }) => {
      if (opts.to === undefined) {
        const { runFmt } = await import("./commands.js");
        exit.code = runFmt(files, { check: opts.check === true }, io);
        return;
      }
      const { runConvert } = await import("./convert.js");
      exit.code = runConvert(files, { to: opts.to, ...(opts.output === undefined ? {} : { output: opts.output }), ...(opts.links === undefined ? {} : { links: opts.links }) }, io);
    });
  exits(fmt, [[0, "formatted (with --check: every file is formatted; with --to: converted)"], [EXIT_PROBLEMS, "with --check: unformatted files (listed)"], [EXIT_BAD_INPUT, "bad input; a file that does not parse or decode is left untouched"]]);

  const link = program
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
      const { runLink } = await import("./link.js");
      exit.code = runLink(template, opts, io);
    });
  exits(link, [[0, "the link was added to the links file"], BAD_INPUT]);

  const test = program
    .command("test")
    .description("run test files (Cedar integration-test JSON and *.writ-test.json; files or folders)")
    .argument("<paths...>", `test files or folders to walk; ${STDIN_NOTE} (paths inside resolve from the current folder)`)
    .addOption(
      new Option("--semantics <mode>", "how erroring policies count (default fail-closed; overrides a Writ test file's `semantics` only when given)").choices([
        "fail-closed",
        "cedar",
      ]),
    )
    .addOption(new Option("--format <format>", "output format: text, json (one report object), junit (JUnit XML for CI)").choices(["text", "json", "junit"]).default("text"))
    .option("--verbose", "also list passing cases (text format)")
    .action(async (paths: string[], opts: { semantics?: Semantics; format: "text" | "json" | "junit"; verbose?: boolean }) => {
      const { runTest } = await import("./test-runner.js");
      exit.code = runTest(paths, { ...(opts.semantics === undefined ? {} : { semantics: opts.semantics }), format: opts.format, verbose: opts.verbose === true }, io);
    });
  exits(test, [[0, "every case passed"], [EXIT_PROBLEMS, "a case failed, a test file could not run, or no test was found"], BAD_INPUT]);

  const diff = program
    .command("diff")
    .description("compare two bundles: added, removed and changed policies, schema, semantics and sequence")
    .argument("<old>", `the old bundle (JSON, as \`writ compile\` writes it); ${STDIN_NOTE}`)
    .argument("<new>", "the new bundle")
    .option("--json", "print the difference (or the error) as JSON")
    .action(async (oldPath: string, newPath: string, opts: { json?: boolean }) => {
      const { runDiff } = await import("./diff.js");
      exit.code = runDiff(oldPath, newPath, { json: opts.json === true }, io);
    });
  exits(diff, [
    [0, "same policies, schema and semantics: identical, or only the sequence moved"],
    [EXIT_PROBLEMS, "policies, the schema, the semantics or the format changed"],
    [EXIT_BAD_INPUT, "a file is missing or is not a bundle"],
  ]);

  const init = program
    .command("init")
    .description("scaffold a policy project: schema, policies, entities, a Writ test file, package.json, a README and a CI workflow")
    .argument("[dir]", "the project folder (default: the current folder; created if missing)")
    .action(async (dir: string | undefined) => {
      const { runInit } = await import("./init.js");
      exit.code = runInit(dir, io, packageVersion());
    });
  exits(init, [[0, "the project was created"], [EXIT_BAD_INPUT, "a file already exists (nothing is written) or cannot be written"]]);

  const demo = program
    .command("demo")
    .description("compile the bundled examples and decide their example requests, then run the governed-agent scenario (records .writ/lineage.db here)")
    .action(async () => {
      const [{ runDemo }, { runGovernedDemo }] = await Promise.all([import("./demo.js"), import("./governed-demo.js")]);
      const first = runDemo(io);
      const second = await runGovernedDemo(io, process.cwd());
      exit.code = first !== 0 ? first : second;
    });
  exits(demo, [[0, "every decision was the expected one"], [EXIT_PROBLEMS, "an unexpected decision"], BAD_INPUT]);

  addLineageCommands(program, io, exit);
  addMeshCommands(program, io, exit, exits);
  addServiceCommands(program, io, exit, semanticsOption, exits);

  const playground = program
    .command("playground")
    .description("serve the browser playground on 127.0.0.1 (built by npm install; rebuild with npm run build:playground)")
    .option("--port <port>", "TCP port (default: a free one)")
    .action(async (opts: { port?: string }) => {
      exit.code = await runPlayground(opts.port, io);
    });
  exits(playground, [[0, "stopped by Ctrl-C (SIGINT) or SIGTERM"], BAD_INPUT]);

  addMeshOptions(program);
  return program;
}

function addLineageCommands(program: Command, io: Output, exit: { code: number }): void {
  const lineage = program.command("lineage").description("verify, prove, show, replay and export the execution lineage in .writ/lineage.db");
  const dirOption = (): Option => new Option("--dir <dir>", "the working directory holding .writ/ (default: the current directory)");
  const keyOption = (): Option => new Option("--key <file>", "the log's public key (default: .writ/lineage.pub); nothing secret is needed");
  const trustedOption = (): Option =>
    new Option("--trusted <file>", "a checkpoint the log must extend (default: .writ/lineage.trusted, which verify keeps up to date)");
  const lc = (): Promise<typeof import("./lineage-commands.js")> => import("./lineage-commands.js");
  const notFound: readonly [number, string] = [EXIT_PROBLEMS, "no such event in the log"];
  exits(
    lineage
      .command("verify")
      .description("re-hash every event, rebuild the Merkle tree, check every checkpoint and consistency with the last trusted checkpoint; names the first bad entry")
      .addOption(dirOption())
      .addOption(keyOption())
      .addOption(trustedOption())
      .option("--json", "print the verification report (or the error) as JSON")
      .action(async (opts: { dir?: string; key?: string; trusted?: string; json?: boolean }) => {
        exit.code = await (await lc()).runLineageVerify(opts, io);
      }),
    [[0, "the log verifies"], [EXIT_PROBLEMS, "it does not (the first bad entry is named), or it does not extend the trusted checkpoint"], BAD_INPUT],
  );
  exits(
    lineage
      .command("checkpoint")
      .description("print the latest signed checkpoint (keep it elsewhere and pass it to verify --trusted)")
      .addOption(dirOption())
      .addOption(keyOption())
      .option("-o, --output <file>", "the file to write (default, or `-`: print)")
      .action(async (opts: { dir?: string; key?: string; output?: string }) => {
        exit.code = await (await lc()).runLineageCheckpoint(opts, io);
      }),
    [[0, "the checkpoint was printed (or written)"], [EXIT_PROBLEMS, "the log does not verify"], BAD_INPUT],
  );
  exits(
    lineage
      .command("prove")
      .description("write a self-contained inclusion proof of one event (by id or index)")
      .argument("<event>", "event id (sha256:…) or index")
      .addOption(dirOption())
      .addOption(keyOption())
      .option("-o, --output <file>", "the proof file to write (default, or `-`: print it)")
      .action(async (event: string, opts: { dir?: string; output?: string }) => {
        exit.code = await (await lc()).runLineageProve(event, opts, io);
      }),
    [[0, "the proof was written"], notFound, BAD_INPUT],
  );
  exits(
    lineage
      .command("verify-proof")
      .description("check a proof file offline (no log needed)")
      .argument("<proof>", `proof JSON file (writ lineage prove); ${STDIN_NOTE}`)
      .option("--key <file>", `the log's public key (.writ/lineage.pub): the proof must be signed by it; ${STDIN_NOTE}`)
      .action(async (file: string, opts: { key?: string }) => {
        exit.code = (await lc()).runLineageVerifyProof(file, opts, io);
      }),
    [[0, "the proof verifies"], [EXIT_PROBLEMS, "it does not"], BAD_INPUT],
  );
  exits(
    lineage
      .command("show")
      .description("print the execution tree around an event (from its root execution down)")
      .argument("<event>", "event id (sha256:…) or index")
      .addOption(dirOption())
      .addOption(keyOption())
      .addOption(trustedOption())
      .option("--dot", "print a Graphviz digraph")
      .option("--json", "print the tree (or the error) as JSON")
      .action(async (event: string, opts: { dir?: string; dot?: boolean; json?: boolean }) => {
        exit.code = await (await lc()).runLineageShow(event, opts, io);
      }),
    [[0, "the tree was printed"], notFound, BAD_INPUT],
  );
  exits(
    lineage
      .command("replay")
      .description("verify the log, then re-evaluate every recorded decision with its stored bundle and entities and compare the records byte for byte")
      .addOption(dirOption())
      .addOption(keyOption())
      .addOption(trustedOption())
      .option("--json", "print the replay report (or the error) as JSON")
      .action(async (opts: { dir?: string; json?: boolean }) => {
        exit.code = await (await lc()).runLineageReplay(opts, io);
      }),
    [[0, "every record is reproduced byte for byte"], [EXIT_PROBLEMS, "a record differs or cannot be replayed"], BAD_INPUT],
  );
  exits(
    lineage
      .command("export")
      .description("write one in-toto Statement v1 per decision, each in a DSSE envelope signed with the log key (JSON lines)")
      .addOption(new Option("--format <format>", "export format").choices(["in-toto"]).makeOptionMandatory())
      .addOption(dirOption())
      .addOption(trustedOption())
      .option("-o, --output <file>", "the file to write (default, or `-`: print)")
      .action(async (opts: { format: string; dir?: string; output?: string }) => {
        exit.code = await (await lc()).runLineageExport(opts, io);
      }),
    [[0, "exported"], BAD_INPUT],
  );
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
  const { servePlayground } = await import("./playground.js");
  let server;
  try {
    server = await servePlayground({ port });
  } catch (err) {
    throw new CliFailure([problemLine("W5008", err instanceof Error ? err.message : String(err))]);
  }
  io.out(`Writ playground: ${server.url}  (Ctrl-C to stop)\n`);
  await untilStopSignal();
  await server.close();
  return 0;
}

/** Commander's error as one W5008 line; its "(Did you mean …?)" suggestion kept on the same line. */
export function commanderLine(err: CommanderError): string {
  const [first = "", ...rest] = err.message.replace(/^error:\s*/, "").split("\n");
  const hint = rest.map((l) => l.trim()).find((l) => /^\(Did you mean /.test(l));
  const suggestion = hint?.replace(/^\(Did you mean (.*)\?\)$/, (_m, what: string) => ` (did you mean \`${what.replace(/^one of /, "")}\`?)`) ?? "";
  return problemLine("W5008", `${first}${suggestion}`, { file: "writ" });
}

/** The machine-readable formats a command line asks for (`--json`, `--format json|sarif|junit|github`), else text. */
export type AnswerFormat = "text" | "json" | "sarif" | "junit" | "github";

/** The answer format of a command line, read from its arguments (so errors found while parsing them are answered in it too). */
export function answerFormatOf(args: readonly string[]): AnswerFormat {
  let format: AnswerFormat = "text";
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") break;
    if (a === "--json") format = "json";
    const value = a === "--format" ? args[i + 1] : a.startsWith("--format=") ? a.slice("--format=".length) : undefined;
    if (value === "json" || value === "sarif" || value === "junit" || value === "github") format = value;
  }
  return format;
}

/** `--color` / `--no-color` among the arguments (the last one wins), before commander parses them. */
function colourFlag(args: readonly string[]): boolean | undefined {
  let flag: boolean | undefined;
  for (const a of args) {
    if (a === "--") break;
    if (a === "--color") flag = true;
    if (a === "--no-color") flag = false;
  }
  return flag;
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
export async function runCli(args: readonly string[], given: Output = processOutput, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  resetStdin();
  const flag = colourFlag(args);
  const colour = { out: colourWanted(given.tty?.out === true, flag, env), err: colourWanted(given.tty?.err === true, flag, env) };
  const io: Output = { out: (t) => given.out(t), err: (t) => given.err(t), ...(given.tty === undefined ? {} : { tty: given.tty }), colour };
  const exit = { code: 0 };
  const format = answerFormatOf(args);
  const failed = async (problems: readonly string[], code: number, answered = false): Promise<number> => {
    for (const l of problems) io.err(`${colour.err ? paintProblemLine(l) : l}\n`);
    if (format !== "text" && !answered) {
      const { errorAnswer } = await import("./answers.js");
      io.out(errorAnswer(format, problems, code, packageVersion()));
    }
    return code;
  };
  try {
    const program = buildProgram(io, exit);
    if (args.length === 0) {
      program.outputHelp({ error: true });
      return EXIT_BAD_INPUT;
    }
    await program.parseAsync([...args], { from: "user" });
    return exit.code;
  } catch (err) {
    if (err instanceof CliFailure) return failed(err.lines, err.exitCode, err.answered);
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 0;
      return failed([commanderLine(err)], EXIT_BAD_INPUT);
    }
    const message = err instanceof Error ? err.message : String(err);
    io.err(`writ: internal error: ${message.split("\n")[0]} (this is a bug in writ; please report it)\n`);
    return EXIT_INTERNAL;
  }
}
