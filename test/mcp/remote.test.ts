/**
 * `writ mcp --server <url> --token <t>`: the gateway asks a decision service instead of
 * deciding locally. A stub HTTP service follows the assumed `writ serve` contract (see
 * mcp/remote.ts) and decides with writ/runtime; the test checks the shapes the gateway sends
 * and that allowed, denied, unlisted and undecidable calls come out as with a local decider.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decide, Governor, LineageLog, loadBundle, loadEntities, MemoryLineageStore, keySigner, runtimeCrypto, type Authorization, type LoadedBundle, type RequestJson } from "../../runtime/index.js";
import { bundleFrom } from "../support/bundles.js";
import { LISTED, POLICIES, SCHEMA } from "./fixtures/everything-project.js";
import { digestOf } from "../../mcp/index.js";
import { direct, ensureBuilt, EVERYTHING, project, refusal, throughGateway, until, type Connected } from "./support.js";

const TOKEN = "test-token-1";
const SERVER = [EVERYTHING, "stdio"];

interface Seen {
  readonly path: string;
  readonly auth: string | undefined;
  readonly body: Record<string, unknown>;
}

async function bodyOf(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
}

/** A decision service following the contract, deciding with writ/runtime; `failing` makes it answer 503. */
async function stubService(bundle: LoadedBundle): Promise<{ url: string; seen: Seen[]; failing: { on: boolean }; server: Server; log: LineageLog }> {
  const opened = await LineageLog.open({ store: new MemoryLineageStore(), crypto: runtimeCrypto, signer: keySigner(new Uint8Array(32).fill(7)) });
  if (!opened.ok) throw new Error(opened.problem.message);
  // The service owns the entities: the server and its tools (a real `writ serve` loads them from a file).
  const server = { type: "Server", id: "everything" };
  const tools = [...LISTED, "trigger-long-running-operation"].map((id) => ({ uid: { type: "Tool", id }, attrs: {}, parents: [server] }));
  const store = loadEntities(bundle, [{ uid: server, attrs: {}, parents: [] }, ...tools]).store!;
  const governor = new Governor({ log: opened.log, bundle, node: "stub-serve", entities: store });
  const auths = new Map<string, Authorization>();
  const seen: Seen[] = [];
  const failing = { on: false };
  const http = createServer((req, res) => {
    void (async () => {
      const body = await bodyOf(req);
      seen.push({ path: req.url ?? "", auth: req.headers.authorization, body });
      const send = (status: number, json: unknown): void => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(json));
      };
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { code: "unauthorized", message: "bad token" });
      if (failing.on) return send(503, { error: { code: "W6205", message: "the log is unavailable" } });
      if (req.url === "/v1/authorize") {
        const opts = { actor: "stub", obligationsBy: "caller" as const, ...(typeof body["parent"] === "string" ? { parent: body["parent"] } : {}) };
        const a = await governor.authorize(body["request"] as RequestJson, opts);
        auths.set(a.execution, a);
        const envelope = { payloadType: "application/vnd.writ.authorization+json", payload: "", signatures: [] };
        return send(a.allowed ? 200 : 403, { decision: a.decisionRecord, execution: a.execution, authorization: envelope, authorizedEvent: a.authorizedEvent, events: a.events });
      }
      const outcome = /^\/v1\/executions\/([^/]+)\/outcome$/.exec(req.url ?? "");
      if (outcome !== null) {
        const a = auths.get(decodeURIComponent(outcome[1]!));
        if (a === undefined) return send(404, { code: "unknown", message: "no such execution" });
        const r = await governor.complete(a, body as never);
        return send(r.ok ? 200 : 500, r.ok ? (r.violation === undefined ? {} : { violation: { message: r.violation.message } }) : { code: r.problem.code, message: r.problem.message });
      }
      if (req.url === "/access/v1/evaluations") {
        const subject = body["subject"] as { type: string; id: string };
        const action = body["action"] as { name: string };
        const evals = (body["evaluations"] as { resource: { type: string; id: string } }[]).map((e) => ({
          decision: decide(bundle, { principal: subject, action: { type: "Action", id: action.name }, resource: e.resource, context: body["context"] as never }, store).decision === "allow",
        }));
        return send(200, { evaluations: evals });
      }
      send(404, { code: "not-found", message: req.url });
    })();
  });
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, seen, failing, server: http, log: opened.log };
}

describe("writ mcp --server (a writ serve stub)", () => {
  let stub: Awaited<ReturnType<typeof stubService>>;
  let gw: Connected;
  let straight: Connected;

  beforeAll(async () => {
    ensureBuilt();
    const loaded = loadBundle(JSON.parse(JSON.stringify(bundleFrom(POLICIES, SCHEMA))));
    stub = await stubService(loaded.bundle!);
    const dir = project({ "schema.cedarschema": SCHEMA });
    const args = ["--server", stub.url, "--token", TOKEN, "--schema", `${dir}/schema.cedarschema`, "--principal", 'Agent::"claude"', "--name", "everything"];
    [gw, straight] = await Promise.all([throughGateway(args, SERVER), direct(SERVER)]);
  });

  afterAll(async () => {
    await Promise.allSettled([gw?.close(), straight?.close()]);
    stub?.server.close();
  });

  it("opens the session with POST /v1/authorize {request} and a bearer token", () => {
    const first = stub.seen[0]!;
    expect(first.path).toBe("/v1/authorize");
    expect(first.auth).toBe(`Bearer ${TOKEN}`);
    expect(Object.keys(first.body)).toEqual(["request"]);
    expect(first.body["request"]).toEqual({ principal: { type: "Agent", id: "claude" }, action: { type: "Action", id: "initialize" }, resource: { type: "Server", id: "everything" }, context: { server: "everything", client: "writ-test-client" } });
  });

  it("filters tools/list with one AuthZEN batch evaluation", async () => {
    const [listed, all] = await Promise.all([gw.client.listTools(), straight.client.listTools()]);
    const evaluation = stub.seen.find((x) => x.path === "/access/v1/evaluations")!;
    expect(evaluation.body).toMatchObject({ subject: { type: "Agent", id: "claude" }, action: { name: "tools/list" }, context: { server: "everything" } });
    expect((evaluation.body["evaluations"] as unknown[]).length).toBe(all.tools.length);
    expect(listed.tools).toEqual(all.tools.filter((t) => LISTED.includes(t.name)));
  });

  it("an allowed call is a child of the session, relayed unchanged, and its outcome is posted with the result's digest", async () => {
    const [a, b] = await Promise.all([gw.client.callTool({ name: "echo", arguments: { message: "hi" } }), straight.client.callTool({ name: "echo", arguments: { message: "hi" } })]);
    expect(a).toEqual(b);
    const authorize = stub.seen.filter((x) => x.path === "/v1/authorize");
    const echo = authorize.find((x) => (x.body["request"] as { resource: { id: string } }).resource.id === "echo")!;
    expect(Object.keys(echo.body).sort()).toEqual(["parent", "request"]);
    expect(echo.body["parent"]).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(echo.body["request"]).toMatchObject({ action: { type: "Action", id: "tools/call" }, context: { arguments: { message: "hi" }, session: { calls: 0, counts: { sum: 0 } } } });
    await until(() => stub.seen.some((x) => x.path.endsWith("/outcome")), 10_000, "the outcome");
    const outcome = stub.seen.find((x) => x.path.endsWith("/outcome"))!;
    expect(outcome.path).toMatch(/^\/v1\/executions\/exec%3A[0-9a-f-]+\/outcome$/);
    expect(outcome.body).toEqual({ ok: true, obligations: [], resultDigest: digestOf(a) });
  });

  it("denied and unlisted calls are refused as with a local decider; session counts come from the gateway", async () => {
    const env = await refusal(gw.client.callTool({ name: "get-env", arguments: {} }));
    expect(env.code).toBe(-32001);
    expect(env.data).toMatchObject({ code: "W7008", decision: "deny" });
    const unlisted = await refusal(gw.client.callTool({ name: "trigger-long-running-operation", arguments: {} }));
    expect(unlisted.data).toMatchObject({ code: "W9009" });
    await gw.client.callTool({ name: "get-sum", arguments: { a: 1, b: 1 } });
    await gw.client.callTool({ name: "get-sum", arguments: { a: 1, b: 1 } });
    const third = await refusal(gw.client.callTool({ name: "get-sum", arguments: { a: 1, b: 1 } }));
    expect(third.data).toMatchObject({ reasons: [{ policy: "sum-limit" }] });
  });

  it("an undecidable call (the service answers 503) is -32603 and never forwarded", async () => {
    stub.failing.on = true;
    try {
      const e = await refusal(gw.client.callTool({ name: "echo", arguments: { message: "x" } }));
      expect(e.code).toBe(-32603);
      expect(e.data).toMatchObject({ code: "W9007" });
      expect(e.message).toContain("HTTP 503: W6205: the log is unavailable");
    } finally {
      stub.failing.on = false;
    }
  });

  it("the service's log holds the session as a tree that verifies", async () => {
    await gw.close();
    await until(() => stub.seen.filter((x) => x.path.endsWith("/outcome")).length >= 4, 10_000, "the session's outcome");
    const report = await stub.log.verify();
    expect(report.ok).toBe(true);
  });
});
