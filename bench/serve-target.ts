/**
 * The server `npm run bench:serve` measures, run as a child process: `writ serve` as the CLI
 * builds it (`createServer` on the SQLite log of a temporary directory, the AuthZEN Todo example
 * compiled into a bundle, one JSON log line per request written to stdout, batched per
 * event-loop turn as the CLI writes them) plus one extra route,
 * `POST /bench/constant`, that parses the same body and answers a constant through the same
 * hooks. Sends `{url}` to the parent over IPC once listening, answers `{cpu}` (its CPU time)
 * when asked; stops on SIGTERM, removing its temporary directory.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { compileBundleFiles } from "../cli/bundle-commands.js";
import { batchedLines } from "../cli/serve.js";
import { createServer } from "../server/index.js";

const ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");
const EXAMPLE = join(ROOT, "examples", "authzen-todo");

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "writ-bench-serve-"));
  const bundle = JSON.parse(JSON.stringify(compileBundleFiles([join(EXAMPLE, "policies.cedar")], join(EXAMPLE, "schema.cedarschema"), "fail-closed", 0))) as unknown;
  const entities = JSON.parse(readFileSync(join(EXAMPLE, "entities.json"), "utf8")) as unknown;
  const log = batchedLines((text) => process.stdout.write(text));
  const created = await createServer({ dir, bundle, entities, node: "bench", logStream: log.stream, logLevel: process.env["WRIT_BENCH_LOG_LEVEL"] ?? "info" });
  if (!created.ok) throw new Error(created.problem.message);
  const server = created.server;
  server.app.post("/bench/constant", { config: { name: "constant" } }, async () => ({ decision: true }));
  const r = await server.listen({ host: "127.0.0.1", port: 0 });
  if (!r.ok) throw new Error(r.problem.message);
  process.send?.({ url: r.url });
  // The parent asks for this process's CPU time around each run (CPU per request is robust to a shared machine).
  process.on("message", (m) => {
    if ((m as { cpu?: boolean }).cpu === true) process.send?.({ cpu: process.cpuUsage() });
  });
  process.once("SIGTERM", () => {
    void server.close().then(() => {
      log.flush();
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`bench target: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
