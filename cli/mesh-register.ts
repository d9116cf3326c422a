/**
 * The `writ mesh` command tree, and the mesh options of `writ serve` and `writ lineage prove`.
 * Only commander is loaded here: each action imports the command logic (`mesh.ts`, which
 * loads `pg` and the mesh room) when it runs, so other commands start as fast as before.
 */
import { Option, type Command } from "commander";
import { EXIT_BAD_INPUT, EXIT_PROBLEMS, fail, type Output } from "./io.js";

/** The `--schema` option of commands that open a mesh store. */
export function meshSchemaOption(): Option {
  return new Option("--schema <name>", "the mesh's PostgreSQL schema (default: writ)");
}

/** Register `writ mesh …` (the command logic loads only when a mesh command runs). */
export function addMeshCommands(
  program: Command,
  io: Output,
  exit: { code: number },
  exits: (cmd: Command, codes: readonly (readonly [number, string])[]) => Command,
): void {
  const mesh = program.command("mesh").description("a governed mesh: several nodes sharing one verifiable log on PostgreSQL (--store or WRIT_DATABASE_URL)");
  const storeOption = (): Option => new Option("--store <url>", "the mesh's PostgreSQL connection string (default: WRIT_DATABASE_URL)");
  const operatorKey = (): Option => new Option("--key <file>", "the operator's private key (writ keygen)").makeOptionMandatory();
  const cli = () => import("./mesh.js");
  const REFUSED: readonly [number, string] = [EXIT_PROBLEMS, "the store or the operator refused it (a W85xx line names why)"];
  const BAD_INPUT: readonly [number, string] = [EXIT_BAD_INPUT, "bad input or usage (one line per problem on stderr)"];
  exits(
    mesh
      .command("init")
      .description("create or migrate the mesh's schema and record its name and operator key")
      .requiredOption("--name <mesh>", "the mesh name: its log origin, e.g. example.com/writ/prod")
      .addOption(operatorKey())
      .addOption(storeOption())
      .addOption(meshSchemaOption())
      .action(async (opts: { name: string; key: string; store?: string; schema?: string }) => {
        exit.code = await (await cli()).runMeshInit(opts, io);
      }),
    [[0, "the mesh was created or migrated"], REFUSED, BAD_INPUT],
  );
  exits(
    mesh
      .command("enroll")
      .description("record a signed enrollment: the node's checkpoints count from now on")
      .requiredOption("--node <name>", "the node's name")
      .requiredOption("--pub <file>", "the node's public key (.pub)")
      .addOption(operatorKey())
      .addOption(storeOption())
      .addOption(meshSchemaOption())
      .action(async (opts: { node: string; pub: string; key: string; store?: string; schema?: string }) => {
        exit.code = await (await cli()).runMeshEnroll(opts, io);
      }),
    [[0, "the enrollment was recorded"], REFUSED, BAD_INPUT],
  );
  exits(
    mesh
      .command("revoke")
      .description("record a signed revocation: the node's checkpoints above a size no longer count")
      .requiredOption("--node <name>", "the node's name")
      .option("--from-size <n>", "the last log size whose checkpoints by this node still count (default: the log's size now)")
      .addOption(operatorKey())
      .addOption(storeOption())
      .addOption(meshSchemaOption())
      .action(async (opts: { node: string; key: string; fromSize?: string; store?: string; schema?: string }) => {
        exit.code = await (await cli()).runMeshRevoke(opts, io);
      }),
    [[0, "the revocation was recorded"], REFUSED, BAD_INPUT],
  );
  exits(
    mesh
      .command("publish")
      .description("pin a signed bundle (signature, ids and sequence checked) and/or an entity snapshot for every node")
      .argument("[bundle]", "the signed bundle file (writ compile --sign)")
      .option("--bundle-key <file>", "the bundle signer's public key: the bundle must be signed by it")
      .option("--entities <file>", "an entities JSON file to pin as the snapshot (checked against the pinned bundle)")
      .addOption(operatorKey())
      .addOption(storeOption())
      .addOption(meshSchemaOption())
      .action(async (bundle: string | undefined, opts: { key: string; bundleKey?: string; entities?: string; store?: string; schema?: string }) => {
        exit.code = await (await cli()).runMeshPublish(bundle, opts, io);
      }),
    [[0, "the pin was recorded"], REFUSED, BAD_INPUT],
  );
  exits(
    mesh
      .command("status")
      .description("list the enrolled nodes, the pinned bundle and snapshot, the log size and its latest checkpoint")
      .option("--operator <file>", "the operator's public key: verify the mesh's records against it")
      .option("--json", "print the status as JSON")
      .addOption(storeOption())
      .addOption(meshSchemaOption())
      .action(async (opts: { operator?: string; json?: boolean; store?: string; schema?: string }) => {
        exit.code = await (await cli()).runMeshStatus(opts, io);
      }),
    [[0, "the status was printed"], REFUSED, BAD_INPUT],
  );
}

/**
 * The mesh options of commands defined elsewhere, added once every command exists: `writ
 * serve --store … --node … --node-key …` (a mesh node) and `writ lineage prove --witnesses k`.
 * The serve options are read by `serve.ts`, the witnesses by `mesh.ts` (`withMeshLog`).
 */
export function addMeshOptions(program: Command): void {
  const serve = program.commands.find((c) => c.name() === "serve");
  serve
    ?.addOption(new Option("--store <url>", "run as a mesh node on this PostgreSQL store (postgres://…; `env`: WRIT_DATABASE_URL); without it the log is SQLite under --dir"))
    .addOption(new Option("--store-schema <name>", "with --store: the mesh's PostgreSQL schema (default: writ; --schema is the policies' schema)"))
    .addOption(new Option("--node-key <file>", "with --store: the node's enrolled private key (writ keygen; writ mesh enroll --pub)"))
    .addOption(new Option("--operator <file>", "with --store: the mesh operator's public key, pinned (default: as the store's first record names it)"))
    .addOption(new Option("--witness-interval <ms>", "with --store: witness, catch up and heartbeat every this many milliseconds (default 2000)"))
    .addOption(new Option("--pin-grace <ms>", "with --store: how long the node may run another bundle or snapshot than the pinned one before it fails closed (default 5000)"));
  const prove = program.commands.find((c) => c.name() === "lineage")?.commands.find((c) => c.name() === "prove");
  prove?.addOption(new Option("--witnesses <k>", "with --store: the proof's checkpoint must carry at least k verified witness cosignatures (W8511 otherwise)"));
  prove?.hook("preAction", (cmd) => {
    const o = cmd.opts<{ witnesses?: string; store?: string }>();
    if (o.witnesses === undefined) return;
    if (o.store === undefined) fail("W5008", "--witnesses needs --store <postgres://…>: only a mesh's checkpoints are witnessed", { file: "writ" });
    if (!/^(0|[1-9][0-9]{0,2})$/.test(o.witnesses)) fail("W5008", `invalid --witnesses \`${o.witnesses}\`: expected a number of witnesses`, { file: "writ" });
  });
}
