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
 * exists — on tmpfs, where fsync costs nothing, to show what durability costs. A pass-through
 * relay (a Node process that copies lines both ways, no policy, no log) shows what any process
 * in the middle costs. Then 16 concurrent callers measure throughput (group commit). Also
 * reported: the gateway's CPU per sequential call (from /proc, Linux only) and the disk's fsync
 * floor (a 4 KiB write + fdatasync loop in the log's directory).
 *
 * Ends with `RATIO mcp-proxy-vs-direct <x>` (gateway ÷ direct time per sequential call, log
 * on disk; target ≤ 1.3).
 */
import { closeSync, existsSync, fdatasyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
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

/** The pass-through relay: lines copied both ways, each read as JSON (as any MCP proxy must), nothing decided or recorded. */
const RELAY = `const { spawn } = require("node:child_process");
const { createInterface } = require("node:readline");
const child = spawn(process.execPath, process.argv.slice(1), { stdio: ["pipe", "pipe", "ignore"] });
createInterface({ input: process.stdin }).on("line", (l) => { JSON.parse(l); child.stdin.write(l + "\\n"); }).on("close", () => child.stdin.end());
createInterface({ input: child.stdout }).on("line", (l) => { JSON.parse(l); process.stdout.write(l + "\\n"); });
child.on("exit", () => process.exit(0));`;

interface Peer {
  readonly client: Client;
  /** The process the client talks to (the gateway, the relay or the server). */
  readonly pid: number | undefined;
}

async function connect(command: string, args: readonly string[]): Promise<Peer> {
  const transport = new StdioClientTransport({ command, args: [...args], stderr: "ignore" });
  const client = new Client({ name: "writ-bench", version: "1.0.0" });
  await client.connect(transport);
  return { client, pid: transport.pid ?? undefined };
}

/** CPU milliseconds a process has used (user + system, from /proc; undefined elsewhere). */
function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined || !existsSync(`/proc/${pid}/stat`)) return undefined;
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** Median milliseconds of one 4 KiB write + fdatasync in `dir` (the floor of one durable commit there). */
function fsyncFloorMs(dir: string, n = 200): number {
  const fd = openSync(join(dir, "fsync-probe"), "w");
  const page = Buffer.alloc(4096, 1);
  const times: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      writeSync(fd, page);
      fdatasyncSync(fd);
      times.push(performance.now() - t);
    }
  } finally {
    closeSync(fd);
  }
  return median(times);
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
  /** CPU of the process in the middle per sequential call, µs (median over rounds). */
  readonly cpuUsPerCall?: number;
}

async function main(): Promise<void> {
  if (!existsSync(EVERYTHING)) throw new Error("server-everything is not installed (npm install)");
  const policyDir = mkdtempSync(join(tmpdir(), "writ-bench-mcp-"));
  writeFileSync(join(policyDir, "schema.cedarschema"), SCHEMA);
  writeFileSync(join(policyDir, "policies.cedar"), POLICIES);
  const logs: [string, string][] = [["gateway, log on disk", mkdtempSync(join(tmpdir(), "writ-bench-mcp-log-"))]];
  if (existsSync("/dev/shm")) logs.push(["gateway, log on tmpfs", mkdtempSync(join("/dev/shm", "writ-bench-mcp-log-"))]);

  const floors = logs.map(([name, dir]) => `${name.replace("gateway, log ", "")} ${fsyncFloorMs(dir).toFixed(3)} ms`);
  const direct = (await connect(process.execPath, [EVERYTHING, "stdio"])).client;
  const gateways = await Promise.all(logs.map(([, dir]) => connect(process.execPath, gatewayArgs(policyDir, dir))));
  const middles: [string, Peer][] = [...logs.map(([name], i): [string, Peer] => [name, gateways[i]!]), ["pass-through relay (no policy, no log)", await connect(process.execPath, ["-e", RELAY, EVERYTHING, "stdio"])]];
  for (const c of [direct, ...middles.map(([, m]) => m.client)]) await sequential(c, Math.max(50, CALLS >> 2));

  const times: number[][] = [[], ...middles.map(() => [])];
  const ratios: number[][] = middles.map(() => []);
  const cpus: number[][] = middles.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    const d = await sequential(direct, CALLS);
    times[0]!.push(d);
    for (const [i, [, m]] of middles.entries()) {
      const before = cpuMs(m.pid);
      const t = await sequential(m.client, CALLS);
      const after = cpuMs(m.pid);
      times[i + 1]!.push(t);
      ratios[i]!.push(t / d);
      if (before !== undefined && after !== undefined) cpus[i]!.push(((after - before) * 1000) / CALLS);
    }
  }
  const throughput = [await concurrent(direct, CALLS * 2, CONCURRENT), ...(await Promise.all(middles.map(async ([, m]) => concurrent(m.client, CALLS * 2, CONCURRENT))))];
  const rows: Row[] = [
    { name: "direct", msPerCall: median(times[0]!), ratio: 1, callsPerSec: throughput[0]! },
    ...middles.map(([name], i) => ({ name, msPerCall: median(times[i + 1]!), ratio: median(ratios[i]!), callsPerSec: throughput[i + 1]!, ...(cpus[i]!.length === 0 ? {} : { cpuUsPerCall: median(cpus[i]!) }) })),
  ];
  await Promise.all([direct, ...middles.map(([, m]) => m.client)].map((c) => c.close()));
  // The logs live on tmpfs too (memory): remove what the bench made.
  for (const dir of [policyDir, ...logs.map(([, d]) => d)]) rmSync(dir, { recursive: true, force: true });

  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  process.stdout.write(`MCP gateway: echo on server-everything, ${CALLS} sequential calls × ${ROUNDS} rounds; ${os.cpus().length} × ${cpu}, Node ${process.version}\n\n`);
  process.stdout.write("| path | ms per call (sequential) | × direct | CPU µs per call, process in the middle | calls/s, 16 concurrent callers |\n|---|---|---|---|---|\n");
  for (const r of rows) process.stdout.write(`| ${r.name} | ${r.msPerCall.toFixed(3)} | ${r.ratio.toFixed(2)} | ${r.cpuUsPerCall === undefined ? "—" : fmtInt(r.cpuUsPerCall)} | ${fmtInt(r.callsPerSec)} |\n`);
  process.stdout.write("\n");
  process.stdout.write(`fsync floor (4 KiB write + fdatasync, median): ${floors.join("; ")}\n`);
  const added = rows[1]!.msPerCall - rows[0]!.msPerCall;
  process.stdout.write(`added per call (log on disk): ${added.toFixed(3)} ms\n`);
  process.stdout.write(`RATIO mcp-proxy-vs-direct ${rows[1]!.ratio.toFixed(2)}\n`);
  const relay = rows[rows.length - 1]!;
  if (rows.length > 3) process.stdout.write(`RATIO mcp-proxy-vs-direct-tmpfs ${rows[2]!.ratio.toFixed(2)}\n`);
  process.stdout.write(`RATIO mcp-relay-vs-direct ${relay.ratio.toFixed(2)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:mcp: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
