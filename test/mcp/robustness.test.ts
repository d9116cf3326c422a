/**
 * The gateway under bad input and failure, at the JSON-RPC line level against the real
 * server-everything: malformed messages from either side are answered with JSON-RPC errors
 * and the gateway goes on; the server crashing ends the gateway with one clear line and exit
 * code 1; kill -9 of the gateway in the middle of calls leaves a log that `writ lineage verify`
 * accepts; bad command lines fail with one line before any server starts.
 */
import { spawn } from "node:child_process";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { childrenOf, ensureBuilt, EVERYTHING, GARBLING, initializeLine, project, rawGateway, sessionTree, until, WRIT, writ, type RawGateway } from "./support.js";

const SCHEMA = `entity Agent;
entity Server;
entity Tool in [Server];
action "initialize" appliesTo { principal: [Agent], resource: [Server], context: {} };
action "tools/list" appliesTo { principal: [Agent], resource: [Tool], context: {} };
action "tools/call" appliesTo { principal: [Agent], resource: [Tool], context: { arguments: { message?: String, duration?: Long, steps?: Long } } };
`;
const POLICIES = `permit (principal == Agent::"claude", action, resource);
forbid (principal, action == Action::"tools/call", resource == Tool::"get-env");
`;

function open(): string {
  return project({ "schema.cedarschema": SCHEMA, "policies.cedar": POLICIES });
}

function args(dir: string, principal = 'Agent::"claude"'): string[] {
  return ["--policies", `${dir}/policies.cedar`, "--schema", `${dir}/schema.cedarschema`, "--principal", principal, "--name", "everything", "--dir", dir];
}

const call = (id: number | string, name: string, a: Record<string, unknown>, meta?: Record<string, unknown>): string =>
  JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: a, ...(meta === undefined ? {} : { _meta: meta }) } });
const byId = (id: unknown) => (m: Record<string, unknown>) => m["id"] === id;
const INITIALIZED = JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" });

async function started(g: RawGateway): Promise<void> {
  g.send(initializeLine(1));
  const init = await g.next(byId(1));
  expect(init["result"]).toBeDefined();
  g.send(INITIALIZED);
}

const running: RawGateway[] = [];
function gateway(a: readonly string[], server: readonly string[] = [EVERYTHING, "stdio"]): RawGateway {
  const g = rawGateway(a, server);
  running.push(g);
  return g;
}

/** A started gateway with a long call (request `id`) forwarded to the server and running. */
async function midCall(id: number): Promise<{ dir: string; g: RawGateway }> {
  const dir = open();
  const g = gateway(args(dir));
  await started(g);
  g.send(call(id, "trigger-long-running-operation", { duration: 30, steps: 30 }, { progressToken: `p${id}` }));
  await g.next((m) => m["method"] === "notifications/progress");
  return { dir, g };
}

beforeAll(() => ensureBuilt());
afterEach(async () => {
  for (const g of running.splice(0)) {
    for (const c of childrenOf(g.proc.pid!)) for (const cc of [...childrenOf(c), c]) process.kill(cc, "SIGKILL");
    g.proc.kill("SIGKILL");
    await g.exited;
  }
});

describe("malformed JSON-RPC", () => {
  it("from the client: answered with -32700 / -32600, and the gateway goes on", async () => {
    const dir = open();
    const g = gateway(args(dir));
    await started(g);
    g.send("this is not json");
    expect(await g.next((m) => m["id"] === null && (m["error"] as { code: number }).code === -32700)).toMatchObject({ jsonrpc: "2.0", error: { data: { code: "W9005" } } });
    g.send(JSON.stringify({ jsonrpc: "2.0", id: 7, method: 5 }));
    expect(await g.next(byId(7))).toMatchObject({ error: { code: -32600 } });
    g.send(JSON.stringify({ jsonrpc: "1.0", id: "v1", method: "ping" }));
    expect(await g.next(byId("v1"))).toMatchObject({ error: { code: -32600 } });
    g.send(JSON.stringify([{ jsonrpc: "2.0", id: 8, method: "ping" }]));
    expect(await g.next((m) => m["id"] === null && (m["error"] as { message: string }).message.includes("batches"))).toMatchObject({ error: { code: -32600 } });
    g.send(call(10, "echo", { message: "still here" }));
    expect(await g.next(byId(10))).toMatchObject({ result: { content: [{ type: "text", text: "Echo: still here" }] } });
    g.send(JSON.stringify({ jsonrpc: "2.0", id: 11, method: "ping" }));
    expect(await g.next(byId(11))).toMatchObject({ result: {} });
    expect(g.stderr()).toContain("writ mcp: W9005: malformed JSON-RPC message from the client: not JSON");
    g.proc.stdin!.end();
    expect((await g.exited).code).toBe(0);
  });

  it("from the server: the server is answered with a JSON-RPC error, a garbled answer fails only its call", async () => {
    const dir = open();
    const g = gateway(args(dir), [GARBLING, process.execPath, EVERYTHING, "stdio"]);
    await started(g);
    g.send(call(20, "echo", { message: "garble:noise" }));
    expect(await g.next(byId(20))).toMatchObject({ result: { content: [{ text: "Echo: garble:noise" }] } });
    await until(() => /server received error: .*"code":-32700/.test(g.stderr()), 10_000, "the server to receive -32700");
    g.send(call(21, "echo", { message: "garble:response" }));
    const garbled = await g.next(byId(21));
    expect(garbled).toMatchObject({ error: { code: -32603, data: { code: "W9005" } } });
    g.send(call(22, "echo", { message: "after" }));
    expect(await g.next(byId(22))).toMatchObject({ result: { content: [{ text: "Echo: after" }] } });
    expect(g.stderr()).toContain("writ mcp: W9005: malformed JSON-RPC message from the server");
    g.proc.stdin!.end();
    expect((await g.exited).code).toBe(0);
    const outcomes = sessionTree(dir).children.map((c) => c.outcome);
    expect(outcomes).toEqual(["executed", "failed", "executed"]);
  });
});

describe("a refused session", () => {
  it("stays closed: initialize again, other requests and tool calls are refused, pings pass", async () => {
    const g = gateway(args(open(), 'Agent::"mallory"'));
    g.send(initializeLine(1));
    expect(await g.next(byId(1))).toMatchObject({ error: { code: -32001, data: { code: "W7008" } } });
    g.send(initializeLine(2));
    expect(await g.next(byId(2))).toMatchObject({ error: { code: -32001, data: { code: "W9010" } } });
    g.send(JSON.stringify({ jsonrpc: "2.0", id: 3, method: "resources/list", params: {} }));
    expect(await g.next(byId(3))).toMatchObject({ error: { code: -32001, data: { code: "W9010" } } });
    g.send(call(4, "echo", { message: "x" }));
    expect(await g.next(byId(4))).toMatchObject({ error: { code: -32001, data: { code: "W9010" } } });
    g.send(JSON.stringify({ jsonrpc: "2.0", id: 5, method: "ping" }));
    expect(await g.next(byId(5))).toMatchObject({ result: {} });
    g.proc.stdin!.end();
    expect((await g.exited).code).toBe(0);
  });
});

describe("failures", () => {
  it("the server crashing answers the pending call, ends the gateway with one line and exit code 1", async () => {
    const { dir, g } = await midCall(30);
    const server = childrenOf(g.proc.pid!);
    expect(server).toHaveLength(1);
    process.kill(server[0]!, "SIGKILL");
    expect(await g.next(byId(30))).toMatchObject({ error: { code: -32603, data: { code: "W9003" } } });
    const exit = await g.exited;
    expect(exit.code).toBe(1);
    expect(g.stderr().trimEnd().split("\n").pop()).toBe("writ mcp: error W9003: the MCP server exited on signal SIGKILL");
    expect(writ(["lineage", "verify", "--dir", dir]).code).toBe(0);
    const tree = sessionTree(dir);
    expect(tree.outcome).toBe("failed");
    expect(tree.children.map((c) => c.outcome)).toEqual(["failed"]);
  });

  it("kill -9 of the gateway in the middle of calls leaves a log that verifies", async () => {
    const { dir, g } = await midCall(40);
    for (let i = 0; i < 40; i++) g.send(call(100 + i, i % 5 === 0 ? "get-env" : "echo", { message: `m${i}` }));
    await g.next(byId(105));
    const server = childrenOf(g.proc.pid!);
    g.proc.kill("SIGKILL");
    expect((await g.exited).signal).toBe("SIGKILL");
    for (const pid of server) process.kill(pid, "SIGKILL");
    const verify = writ(["lineage", "verify", "--dir", dir]);
    expect(verify.stderr).toBe("");
    expect(verify.stdout).toMatch(/^lineage log ok: \d+ events/);
    expect(verify.code).toBe(0);
    const tree = sessionTree(dir);
    expect(tree.outcome).toBe("authorized");
    expect(tree.children.length).toBeGreaterThanOrEqual(2);
    // The gateway's lock does not outlive it: a new gateway takes the directory over.
    const next = gateway(args(dir));
    await started(next);
  });

  it("a call the client cancels after it was forwarded is recorded as failed, and the cancellation reaches the server", async () => {
    const { dir, g } = await midCall(50);
    g.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 50, reason: "changed my mind" } }));
    g.send(call(51, "echo", { message: "next" }));
    expect(await g.next(byId(51))).toMatchObject({ result: { content: [{ text: "Echo: next" }] } });
    g.proc.stdin!.end();
    expect((await g.exited).code).toBe(0);
    expect(sessionTree(dir).children.map((c) => c.outcome)).toEqual(["failed", "executed"]);
    expect(writ(["lineage", "show", "0", "--dir", dir]).stdout).toContain("cancelled by the client");
  });

  it("a session under --parent descends from that event, and policies see it in lineage", async () => {
    const dir = project({
      "schema.cedarschema": SCHEMA.replace("entity Agent;", "entity Agent;\nentity Human;").replaceAll("principal: [Agent]", "principal: [Agent, Human]"),
      "policies.cedar": `permit (principal, action == Action::"initialize", resource);
permit (principal, action == Action::"tools/list", resource);
permit (principal is Agent, action == Action::"tools/call", resource)
when { lineage.ancestors.any(a, a.principal is Human && a.decision == "allow") };
`,
    });
    const human = gateway(args(dir, 'Human::"alice"'));
    await started(human);
    human.proc.stdin!.end();
    await human.exited;
    const approved = sessionTree(dir).events.find((e) => e.phase === "authorized")!.id;
    for (const [parent, expected] of [[[], "error"], [["--parent", approved], "result"]] as const) {
      const g = gateway([...args(dir), ...parent]);
      await started(g);
      g.send(call(60, "echo", { message: "under a human" }));
      const answer = await g.next(byId(60));
      expect(Object.keys(answer), parent.join(" ")).toContain(expected);
      g.proc.stdin!.end();
      await g.exited;
    }
    const shown = writ(["lineage", "show", approved, "--dir", dir]).stdout.split("\n");
    expect(shown[0]).toMatch(/^ALLOW executed Human::"alice": Human::"alice" initialize Server::"everything"/);
    expect(shown.some((l) => /^└─ ALLOW executed Agent::"claude": Agent::"claude" initialize Server::"everything"/.test(l))).toBe(true);
  });

  it("a second gateway on the same directory is refused while the first runs", async () => {
    const dir = open();
    const g = gateway(args(dir));
    await started(g);
    const second = writ(["mcp", ...args(dir), "--", process.execPath, EVERYTHING, "stdio"]);
    expect(second.code).toBe(2);
    expect(second.stdout).toBe("");
    expect(second.stderr).toBe(`writ: error W9011: another writ mcp (pid ${g.proc.pid}) records in ${dir}: give each concurrent session its own --dir, or decide with --server\n`);
  });
});

describe.concurrent("bad command lines fail with one line and exit 2, before any server starts", () => {
  const noMcpActions = (): string =>
    project({ "schema.cedarschema": "entity Agent;\nentity Doc;\naction view appliesTo { principal: [Agent], resource: [Doc] };\n", "policies.cedar": "permit (principal, action, resource);\n" });
  const cases: [string, (dir: string) => string[], RegExp][] = [
    ["a principal that is not an entity uid", (d) => [...args(d, "claude"), "--", "node", "x"], /^writ: error W9002: invalid principal `claude`/],
    ["a missing policy file", (d) => ["--policies", `${d}/nope.cedar`, "--schema", `${d}/schema.cedarschema`, "--principal", 'Agent::"a"', "--", "node", "x"], /nope\.cedar: error W5001: cannot read file/],
    ["no server command", (d) => args(d), /error W5008: give the MCP server to run after `--`/],
    ["--server without --token", (d) => ["--server", "http://127.0.0.1:9", "--principal", 'Agent::"a"', "--dir", d, "--", "node", "x"], /error W5008: --server needs --token/],
    ["--tokens without --listen", (d) => [...args(d).filter((a) => !a.startsWith("Agent::")).filter((a) => a !== "--principal"), "--tokens", `${d}/t.json`, "--", "node", "x"], /error W5008: --tokens applies only with --listen/],
    ["--listen with a command instead of a URL", (d) => [...args(d), "--listen", "127.0.0.1:0", "--", "node", "x"], /error W5008: with --listen, give the upstream MCP server's URL after `--`/],
    ["a server command that does not exist", (d) => [...args(d), "--", "/no/such/mcp-server"], /^writ mcp: error W9004: cannot start the MCP server `\/no\/such\/mcp-server`: ENOENT/],
    ["a principal type the schema's actions do not apply to", (d) => [...args(d, 'User::"u"'), "--", "node", "x"], /error W9001: action Action::"initialize" does not apply to principals of type User/],
    ["a schema without the MCP actions", () => [...args(noMcpActions()), "--", "node", "x"], /schema\.cedarschema: error W9001: the schema declares no action "tools\/call"/],
  ];

  // One process each, all at once (each is a cold start of the CLI).
  it.each(cases)("%s", async (_what, argv, expected) => {
    const proc = spawn(process.execPath, [WRIT, "mcp", ...argv(open())], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    proc.stdout!.on("data", (c: Buffer) => (out += c.toString()));
    proc.stderr!.on("data", (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((r) => proc.once("close", r));
    expect(code).toBe(2);
    expect(out).toBe("");
    expect(err.split("\n").filter((l) => l !== "")).toHaveLength(1);
    expect(err).toMatch(expected);
  });
});
