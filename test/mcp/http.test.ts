/**
 * `writ mcp --listen`: the gateway over streamable HTTP in front of server-everything's
 * streamable HTTP endpoint. Callers are told apart by bearer token: each sees only the tools
 * its principal may list, calls are decided for it, an unknown token is refused, and every
 * session lands in the one lineage log.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { everythingProject, LISTED } from "./fixtures/everything-project.js";
import { ensureBuilt, EVERYTHING, project, refusal, sessionTree, until, WRIT, writ } from "./support.js";

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function httpClient(url: string, token: string, approve = false): Promise<Client> {
  const client = new Client({ name: "writ-http-test", version: "1.0.0" }, { capabilities: approve ? { elicitation: {} } : {} });
  if (approve) client.setRequestHandler(ElicitRequestSchema, () => ({ action: "accept", content: { approve: true } }));
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

describe("writ mcp --listen (streamable HTTP)", () => {
  let upstream: ChildProcess;
  let gateway: ChildProcess;
  let url = "";
  let upstreamUrl = "";
  let dir: string;
  let err = "";

  beforeAll(async () => {
    ensureBuilt();
    const port = await freePort();
    upstream = spawn(process.execPath, [EVERYTHING, "streamableHttp"], { env: { ...process.env, PORT: String(port) }, stdio: ["ignore", "ignore", "pipe"] });
    let upErr = "";
    upstream.stderr!.on("data", (c: Buffer) => (upErr += c.toString()));
    await until(() => upErr.includes("listening on port"), 30_000, "server-everything to listen");
    upstreamUrl = `http://127.0.0.1:${port}/mcp`;
    dir = everythingProject();
    const tokens = project({ "tokens.json": JSON.stringify({ "claude-token": 'Agent::"claude"', "mallory-token": 'Agent::"mallory"' }) });
    gateway = spawn(
      process.execPath,
      [WRIT, "mcp", "--policies", `${dir}/policies.cedar`, "--schema", `${dir}/schema.cedarschema`, "--tokens", `${tokens}/tokens.json`, "--name", "everything", "--dir", dir, "--listen", "127.0.0.1:0", "--", upstreamUrl],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    gateway.stderr!.on("data", (c: Buffer) => (err += c.toString()));
    await until(() => /listening on (http:\S+)/.test(err), 30_000, "the gateway to listen");
    url = /listening on (http:\S+)/.exec(err)![1]!;
  });

  afterAll(async () => {
    if (gateway !== undefined && gateway.exitCode === null && gateway.signalCode === null) {
      gateway.kill("SIGTERM");
      await new Promise((r) => gateway.once("exit", r));
    }
    upstream?.kill("SIGKILL");
  });

  it("relays an allowed call exactly and filters tools/list for the token's principal", async () => {
    const [through, plain] = await Promise.all([httpClient(url, "claude-token"), (async () => {
      const c = new Client({ name: "direct", version: "1.0.0" });
      await c.connect(new StreamableHTTPClientTransport(new URL(upstreamUrl)));
      return c;
    })()]);
    try {
      const [listed, all] = await Promise.all([through.listTools(), plain.listTools()]);
      expect(listed.tools.map((t) => t.name).sort()).toEqual(LISTED);
      expect(listed.tools).toEqual(all.tools.filter((t) => LISTED.includes(t.name)));
      const [a, b] = await Promise.all([through.callTool({ name: "echo", arguments: { message: "over http" } }), plain.callTool({ name: "echo", arguments: { message: "over http" } })]);
      expect(a).toEqual(b);
      const denied = await refusal(through.callTool({ name: "get-env", arguments: {} }));
      expect(denied.code).toBe(-32001);
    } finally {
      await Promise.allSettled([through.close(), plain.close()]);
    }
  });

  it("asks for approvals over the session's event stream", async () => {
    const c = await httpClient(url, "claude-token", true);
    try {
      const r = await c.callTool({ name: "get-annotated-message", arguments: { messageType: "success" } });
      expect(r.isError).not.toBe(true);
      expect(JSON.stringify(r.content)).toContain("success");
    } finally {
      await c.close();
    }
  });

  it("decides for the caller its token names: mallory's session is refused", async () => {
    const e = await httpClient(url, "mallory-token").then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(String(e)).toContain("no-session-for-mallory");
  });

  it("refuses a request without a known token with 401", async () => {
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: {} }) });
    expect(res.status).toBe(401);
    const bad = await fetch(url, { method: "POST", headers: { authorization: "Bearer nope", "content-type": "application/json" }, body: "{}" });
    expect(bad.status).toBe(401);
  });

  it("records every session in one log; SIGTERM ends them and the log verifies", async () => {
    gateway.kill("SIGTERM");
    const code = await new Promise((r) => gateway.once("exit", r));
    expect(code).toBe(0);
    expect(writ(["lineage", "verify", "--dir", dir]).code).toBe(0);
    const first = sessionTree(dir); // the first session: echo allowed, get-env denied
    expect(first).toMatchObject({ action: 'Action::"initialize"', verdict: "allow", outcome: "executed" });
    expect(first.children.map((c) => `${c.verdict} ${c.resource}`)).toEqual(['allow Tool::"echo"', 'deny Tool::"get-env"']);
    expect(err).toContain("writ mcp: session refused");
  });
});
