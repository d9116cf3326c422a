/**
 * `npm run bench:mcp`: the latency the MCP gateway adds to one `tools/call`. The MCP SDK's
 * client calls `echo` of `@modelcontextprotocol/server-everything` sequentially, once
 * directly and once through `writ mcp` (the real command: a process between the client and
 * the server, deciding every call with a compiled bundle and recording it in the SQLite
 * lineage log, `requested` + decision durable before the call is forwarded).
 *
 * Rounds alternate direct and gateway (so drift on a shared machine hits both alike); each
 * round times `CALLS` sequential calls after a warm-up; figures are medians over rounds.
 * The gateway runs twice: with its log on the disk (`os.tmpdir()`), and — when `/dev/shm`
 * exists — on tmpfs, where fsync costs nothing, to show what durability costs. Then 16
 * concurrent callers measure throughput (group commit).
 *
 * Ends with `RATIO mcp-proxy-vs-direct <x>` (gateway ÷ direct time per sequential call, log
 * on disk; target ≤ 1.3).
 */
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { fmtInt, median } from "./harness.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const WRIT = join(ROOT, "bin", "writ.js");
const EVERYTHING = join(ROOT, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
const CALLS = Number(process.env["WRIT_BENCH_MCP_CALLS"] ?? 400);
const ROUNDS = Number(process.env["WRIT_BENCH_MCP_ROUNDS"] ?? 5);
const CONCURRENT = 16;

const SCHEMA = `entity Agent;
entity Server;
entity Tool in [Server];
action "initialize" appliesTo { principal: [Agent], resource: [Server], context: {} };
action "tools/list" appliesTo { principal: [Agent], resource: [Tool], context: {} };
action "tools/call" appliesTo { principal: [Agent], resource: [Tool], context: { arguments: { message?: String } } };
`;
const POLICIES = `permit (principal == Agent::"bench", action == Action::"initialize", resource);
permit (principal == Agent::"bench", action == Action::"tools/list", resource == Tool::"echo");
permit (principal == Agent::"bench", action == Action::"tools/call", resource == Tool::"echo") when { context.arguments has message };
`;

async function connect(command: string, args: readonly string[]): Promise<Client> {
  const transport = new StdioClientTransport({ command, args: [...args], stderr: "ignore" });
  const client = new Client({ name: "writ-bench", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

function gatewayArgs(policyDir: string, logDir: string): string[] {
  return [WRIT, "mcp", "--policies", join(policyDir, "policies.cedar"), "--schema", join(policyDir, "schema.cedarschema"), "--principal", 'Agent::"bench"', "--name", "everything", "--dir", logDir, "--quiet", "--", process.execPath, EVERYTHING, "stdio"];
}

/** Milliseconds per call for `n` sequential echo calls. */
async function sequential(c: Client, n: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const r = await c.callTool({ name: "echo", arguments: { message: `m${i}` } });
    if ((r.content as { text?: string }[])[0]?.text !== `Echo: m${i}`) throw new Error(`unexpected echo result ${JSON.stringify(r)}`);
  }
  return (performance.now() - start) / n;
}

/** Calls per second with `k` concurrent callers making `n` calls in all. */
async function concurrent(c: Client, n: number, k: number): Promise<number> {
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: k }, async () => {
      while (next < n) {
        next++;
        await c.callTool({ name: "echo", arguments: { message: "c" } });
      }
    }),
  );
  return (n * 1000) / (performance.now() - start);
}

interface Row {
  readonly name: string;
  readonly msPerCall: number;
  readonly ratio: number;
  readonly callsPerSec: number;
}

async function main(): Promise<void> {
  if (!existsSync(EVERYTHING)) throw new Error("server-everything is not installed (npm install)");
  const policyDir = mkdtempSync(join(tmpdir(), "writ-bench-mcp-"));
  writeFileSync(join(policyDir, "schema.cedarschema"), SCHEMA);
  writeFileSync(join(policyDir, "policies.cedar"), POLICIES);
  const logs: [string, string][] = [["gateway, log on disk", mkdtempSync(join(tmpdir(), "writ-bench-mcp-log-"))]];
  if (existsSync("/dev/shm")) logs.push(["gateway, log on tmpfs", mkdtempSync(join("/dev/shm", "writ-bench-mcp-log-"))]);

  const direct = await connect(process.execPath, [EVERYTHING, "stdio"]);
  const gateways = await Promise.all(logs.map(([, dir]) => connect(process.execPath, gatewayArgs(policyDir, dir))));
  for (const c of [direct, ...gateways]) await sequential(c, Math.max(50, CALLS >> 2));

  const times: number[][] = [[], ...gateways.map(() => [])];
  const ratios: number[][] = gateways.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    const d = await sequential(direct, CALLS);
    times[0]!.push(d);
    for (const [i, g] of gateways.entries()) {
      const t = await sequential(g, CALLS);
      times[i + 1]!.push(t);
      ratios[i]!.push(t / d);
    }
  }
  const throughput = [await concurrent(direct, CALLS * 2, CONCURRENT), ...(await Promise.all(gateways.map(async (g) => concurrent(g, CALLS * 2, CONCURRENT))))];
  const rows: Row[] = [
    { name: "direct", msPerCall: median(times[0]!), ratio: 1, callsPerSec: throughput[0]! },
    ...logs.map(([name], i) => ({ name, msPerCall: median(times[i + 1]!), ratio: median(ratios[i]!), callsPerSec: throughput[i + 1]! })),
  ];
  await Promise.all([direct, ...gateways].map((c) => c.close()));

  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  process.stdout.write(`MCP gateway: echo on server-everything, ${CALLS} sequential calls × ${ROUNDS} rounds; ${os.cpus().length} × ${cpu}, Node ${process.version}\n\n`);
  process.stdout.write("| path | ms per call (sequential) | × direct | calls/s, 16 concurrent callers |\n|---|---|---|---|\n");
  for (const r of rows) process.stdout.write(`| ${r.name} | ${r.msPerCall.toFixed(3)} | ${r.ratio.toFixed(2)} | ${fmtInt(r.callsPerSec)} |\n`);
  process.stdout.write("\n");
  const added = rows[1]!.msPerCall - rows[0]!.msPerCall;
  process.stdout.write(`added per call (log on disk): ${added.toFixed(3)} ms\n`);
  process.stdout.write(`RATIO mcp-proxy-vs-direct ${rows[1]!.ratio.toFixed(2)}\n`);
  if (rows[2] !== undefined) process.stdout.write(`RATIO mcp-proxy-vs-direct-tmpfs ${rows[2].ratio.toFixed(2)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:mcp: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
