/**
 * Helpers for the MCP gateway tests: the reference servers (spawned with node from
 * node_modules, no network), the gateway as `writ mcp` driven by the MCP SDK's client, a raw
 * line-level connection for malformed traffic, and small project folders.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema, McpError, type ElicitResult } from "@modelcontextprotocol/sdk/types.js";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const WRIT = join(ROOT, "bin", "writ.js");
export const EVERYTHING = join(ROOT, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
export const FILESYSTEM = join(ROOT, "node_modules", "@modelcontextprotocol", "server-filesystem", "dist", "index.js");
export const GARBLING = join(ROOT, "test", "mcp", "fixtures", "garbling-server.mjs");

/** Build dist/ when it is missing (the gateway runs as `writ mcp`). */
export function ensureBuilt(): void {
  if (existsSync(join(ROOT, "dist", "cli", "mcp.js"))) return;
  spawnSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"], { cwd: ROOT });
}

/** A fresh folder holding the given files. */
export function project(files: Readonly<Record<string, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), "writ-mcp-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Run the writ CLI to completion. */
export function writ(args: readonly string[], cwd: string = ROOT): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [WRIT, ...args], { cwd, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** How a test client answers approvals: a function of the request, or none (no elicitation capability). */
export type Approver = (message: string) => Promise<ElicitResult> | ElicitResult;

/** A connected MCP client (through the gateway or directly) with the server side's stderr. */
export interface Connected {
  readonly client: Client;
  readonly transport: StdioClientTransport;
  stderr(): string;
  close(): Promise<void>;
}

async function connectTo(command: string, args: readonly string[], approve?: Approver, cwd?: string): Promise<Connected> {
  const transport = new StdioClientTransport({ command, args: [...args], stderr: "pipe", ...(cwd === undefined ? {} : { cwd }), env: { ...process.env } as Record<string, string> });
  let err = "";
  transport.stderr?.on("data", (c: Buffer) => (err += c.toString("utf8")));
  const client = new Client({ name: "writ-test-client", version: "1.0.0" }, { capabilities: approve === undefined ? {} : { elicitation: {} } });
  if (approve !== undefined) client.setRequestHandler(ElicitRequestSchema, async (req) => approve(req.params.message));
  try {
    await client.connect(transport);
  } catch (e) {
    await transport.close();
    throw e;
  }
  return { client, transport, stderr: () => err, close: () => client.close() };
}

/** Connect to a server directly (no gateway). */
export function direct(server: readonly string[], cwd?: string): Promise<Connected> {
  return connectTo(process.execPath, server, undefined, cwd);
}

/** Connect through `writ mcp <gatewayArgs> -- node <server…>`. */
export function throughGateway(gatewayArgs: readonly string[], server: readonly string[], approve?: Approver, cwd?: string): Promise<Connected> {
  return connectTo(process.execPath, [WRIT, "mcp", ...gatewayArgs, "--", process.execPath, ...server], approve, cwd);
}

/** A gateway process spoken to line by line. */
export interface RawGateway {
  readonly proc: ChildProcess;
  send(line: string): void;
  /** The next message from the gateway satisfying `match` (waits up to `ms`). */
  next(match: (m: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
  stderr(): string;
  /** Resolves with the exit code and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Start `writ mcp <args> -- node <server…>` with raw stdio. */
export function rawGateway(gatewayArgs: readonly string[], server: readonly string[]): RawGateway {
  const proc = spawn(process.execPath, [WRIT, "mcp", ...gatewayArgs, "--", process.execPath, ...server], { stdio: ["pipe", "pipe", "pipe"] });
  const seen: Record<string, unknown>[] = [];
  const waiters: { match: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  let buf = "";
  let err = "";
  proc.stderr!.on("data", (c: Buffer) => (err += c.toString("utf8")));
  proc.stdout!.on("data", (c: Buffer) => {
    buf += c.toString("utf8");
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const m = JSON.parse(line) as Record<string, unknown>;
      const w = waiters.findIndex((x) => x.match(m));
      if (w >= 0) waiters.splice(w, 1)[0]!.resolve(m);
      else seen.push(m);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once("exit", (code, signal) => r({ code, signal })));
  return {
    proc,
    exited,
    send: (line) => void proc.stdin!.write(`${line}\n`),
    stderr: () => err,
    next(match, ms = 20_000) {
      const i = seen.findIndex(match);
      if (i >= 0) return Promise.resolve(seen.splice(i, 1)[0]!);
      return new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error(`no matching message within ${ms} ms; stderr: ${err}`)), ms);
        waiters.push({ match, resolve: (m) => (clearTimeout(t), res(m)) });
      });
    },
  };
}

/** The `initialize` request line a raw client sends first. */
export function initializeLine(id: number, capabilities: Record<string, unknown> = {}): string {
  return JSON.stringify({ jsonrpc: "2.0", id, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities, clientInfo: { name: "raw", version: "1" } } });
}

/** Child process ids of `pid` (Linux /proc; empty elsewhere). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter((x) => x !== "")
      .map(Number);
  } catch {
    return [];
  }
}

/** Wait until `check` holds (polling), or fail after `ms`. */
export async function until(check: () => boolean, ms = 20_000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The lineage tree of a session as `writ lineage show --json` prints it. */
export interface TreeNode {
  readonly execution: string;
  readonly action: string;
  readonly resource: string;
  readonly verdict: string;
  readonly outcome: string;
  readonly children: readonly TreeNode[];
  readonly events: readonly { readonly phase: string; readonly id: string; readonly index: number }[];
}

/** `writ lineage show 0 --json --dir <dir>`. */
export function sessionTree(dir: string): TreeNode {
  const r = writ(["lineage", "show", "0", "--json", "--dir", dir]);
  if (r.code !== 0) throw new Error(`writ lineage show failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as TreeNode;
}

/** The JSON-RPC error a call ends with (fails the test when the call succeeds). */
export async function refusal(p: Promise<unknown>): Promise<McpError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof McpError) return e;
    throw e;
  }
  throw new Error("expected the call to be refused");
}
