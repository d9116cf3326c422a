/**
 * Faults: malformed bodies, wrong types, huge bodies and unknown routes are 400/404/413 with a
 * JSON error and record nothing; and `writ serve` killed with SIGKILL during authorize load,
 * then restarted, has a log that `writ lineage verify` accepts and that holds every
 * authorization it acknowledged.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LineageLog, MemoryLineageStore, nodeSigner, openLocalLog } from "../../runtime/index.js";
import { nodeCrypto } from "../../runtime/crypto/node-crypto.js";
import { postJson, projectBundle, ROOT, spawnServe, tempDir, testServer } from "../support/servers.js";

const MORTY = "CiRmZDE2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs";
const request = { principal: { type: "user", id: MORTY }, action: { type: "Action", id: "can_read_todos" }, resource: { type: "todo", id: "t" }, context: {} };

describe("bad requests record nothing", () => {
  it("malformed bodies, wrong types, huge bodies and unknown routes", async () => {
    const s = await testServer(projectBundle("authzen-todo"));
    try {
      const a = (await s.app.inject({ method: "POST", url: "/v1/authorize", payload: { request } })).json() as { execution: string };
      const size = s.node.log.size;
      const routes = ["/access/v1/evaluation", "/access/v1/evaluations", "/access/v1/search/subject", "/v1/decide", "/v1/authorize", `/v1/executions/${a.execution}/outcome`];
      const raw = ["{", "[]", "null", '"text"', "1", "{\"request\": ", "\u0000"];
      for (const url of routes) {
        for (const payload of raw) {
          const r = await s.app.inject({ method: "POST", url, payload, headers: { "content-type": "application/json" } });
          expect(r.statusCode, `${url} ${JSON.stringify(payload)}`).toBe(400);
          expect(r.json().code).toBe("W8004");
        }
        const empty = await s.app.inject({ method: "POST", url, headers: { "content-type": "application/json" } });
        expect(empty.statusCode, `${url} empty`).toBe(400);
        const huge = await s.app.inject({ method: "POST", url, payload: JSON.stringify({ pad: "x".repeat(1024 * 1024 + 10) }), headers: { "content-type": "application/json" } });
        expect(huge.statusCode, `${url} huge`).toBe(413);
        expect(huge.json().code).toBe("W8003");
        const proto = await s.app.inject({ method: "POST", url, payload: '{"__proto__": {"x": 1}}', headers: { "content-type": "application/json" } });
        expect(proto.statusCode, `${url} __proto__`).toBe(400);
      }
      const wrongTypes: [string, unknown][] = [
        ["/v1/authorize", { request: "x" }],
        ["/v1/authorize", { request, parent: 12 }],
        ["/v1/decide", { ...request, principal: ["user", MORTY] }],
        [`/v1/executions/${a.execution}/outcome`, { ok: 1 }],
        [`/v1/executions/${a.execution}/outcome`, { ok: true, obligations: "approve" }],
        [`/v1/executions/${a.execution}/outcome`, { ok: true, resultDigest: "md5:abc" }],
        ["/access/v1/evaluations", { evaluations: {} }],
        ["/access/v1/search/resource", { subject: { type: "user", id: "a" }, action: { name: "x" }, resource: { type: "todo" }, page: { limit: -1 } }],
        ["/access/v1/search/resource", { subject: { type: "user", id: "a" }, action: { name: "x" }, resource: { type: "todo" }, page: { limit: "2" } }],
      ];
      for (const [url, body] of wrongTypes) {
        const r = await s.app.inject({ method: "POST", url, payload: body as object });
        expect(r.statusCode, `${url} ${JSON.stringify(body)}`).toBe(400);
        expect(r.json()).toMatchObject({ code: "W8004" });
      }
      // Nested far beyond any limit (as text: the test's own JSON.stringify would overflow).
      const deep = `{"request": ${JSON.stringify({ ...request, context: {} }).replace('"context":{}', `"context":{"nest":${"[".repeat(100_000)}${"]".repeat(100_000)}}`)}}`;
      for (const url of ["/v1/authorize", "/v1/decide"]) {
        const body = url === "/v1/decide" ? deep.slice('{"request": '.length, -1) : deep;
        const deepR = await s.app.inject({ method: "POST", url, payload: body, headers: { "content-type": "application/json" } });
        expect(deepR.statusCode, url).toBe(400);
        expect(deepR.json().code).toBe("W8004");
      }
      for (const [method, url] of [["GET", "/v2/anything"], ["GET", "/v1/authorize"], ["DELETE", "/access/v1/evaluation"], ["POST", "/access/v1/evaluation/extra"]] as const) {
        const r = await s.app.inject({ method, url });
        expect(r.statusCode, `${method} ${url}`).toBe(404);
        expect(r.json()).toEqual({ error: `no route ${method} ${url}`, code: "W8006" });
      }
      expect(s.node.log.size).toBe(size);
      expect(s.node.index.get(a.execution)?.status).toBe("authorized");
    } finally {
      await s.close();
    }
  });
});

describe("timeouts", () => {
  it("a request not answered within the request timeout is a 503 W8007; what was recorded meanwhile stays usable", async () => {
    /** A store whose appends take 400 ms (a slow disk). */
    class SlowStore extends MemoryLineageStore {
      override async append(batch: Parameters<MemoryLineageStore["append"]>[0]): Promise<void> {
        await new Promise((r) => setTimeout(r, 400));
        return super.append(batch);
      }
    }
    const signer = nodeSigner(new Uint8Array(32).fill(4));
    const opened = await LineageLog.open({ store: new SlowStore(), signer, crypto: nodeCrypto });
    if (!opened.ok) throw new Error(opened.problem.message);
    const s = await testServer({ ...projectBundle("authzen-todo"), log: opened.log, signer, requestTimeoutMs: 100 });
    try {
      const r = await s.app.inject({ method: "POST", url: "/v1/authorize", payload: { request } });
      expect(r.statusCode).toBe(503);
      expect(r.json()).toMatchObject({ code: "W8007" });
      expect(r.headers["retry-after"]).toBe("1");
      await new Promise((done) => setTimeout(done, 600));
      expect(s.node.log.size).toBe(2);
      const evaluation = await s.app.inject({ method: "POST", url: "/access/v1/evaluation", payload: { subject: { type: "user", id: MORTY }, action: { name: "can_read_todos" }, resource: { type: "todo", id: "t" } } });
      expect(evaluation.json()).toEqual({ decision: true });
    } finally {
      await s.close();
      await opened.log.close();
    }
  });
});

describe("kill -9 during authorize load", () => {
  it("after a restart the log verifies and holds every acknowledged authorization", async () => {
    const dir = tempDir();
    const ex = join(ROOT, "examples", "authzen-todo");
    const args = ["--policies", join(ex, "policies.cedar"), "--schema", join(ex, "schema.cedarschema"), "--entities", join(ex, "entities.json"), "--log-level", "warn"];
    const first = await spawnServe(args, dir);
    const acknowledged: { execution: string; events: string[] }[] = [];
    let killed = false;
    const worker = async () => {
      while (!killed) {
        try {
          const r = await postJson(`${first.url}/v1/authorize`, { request });
          if (r.status !== 200) continue;
          const body = r.body as { execution: string; events: { id: string }[] };
          acknowledged.push({ execution: body.execution, events: body.events.map((e) => e.id) });
        } catch {
          return;
        }
      }
    };
    const workers = Array.from({ length: 32 }, worker);
    for (let i = 0; i < 200 && acknowledged.length < 300; i++) await new Promise((r) => setTimeout(r, 50));
    first.child.kill("SIGKILL");
    killed = true;
    await Promise.all(workers);
    expect((await first.exited).signal).toBe("SIGKILL");
    expect(acknowledged.length).toBeGreaterThan(50);

    const verify = spawnSync(process.execPath, [join(ROOT, "bin", "writ.js"), "lineage", "verify", "--dir", dir], { encoding: "utf8" });
    expect(verify.stderr).toBe("");
    expect(verify.status).toBe(0);
    expect(verify.stdout).toMatch(/^lineage log ok: \d+ events/);

    const opened = await openLocalLog({ dir, readOnly: true });
    if (!opened.ok) throw new Error(opened.problem.message);
    const missing: string[] = [];
    for (const a of acknowledged) for (const id of a.events) if ((await opened.log.get(id)) === undefined) missing.push(id);
    await opened.log.close();
    expect(missing).toEqual([]);

    const second = await spawnServe(args, dir);
    try {
      const last = acknowledged[acknowledged.length - 1]!;
      const ev = await fetch(`${second.url}/v1/lineage/events/${last.events[1]}`);
      expect(ev.status).toBe(200);
      expect(((await ev.json()) as { event: { execution: string } }).event.execution).toBe(last.execution);
      const outcome = await postJson(`${second.url}/v1/executions/${acknowledged[0]!.execution}/outcome`, { ok: true });
      expect(outcome.body).toMatchObject({ status: "executed" });
      const fresh = await postJson(`${second.url}/v1/authorize`, { request });
      expect(fresh.status).toBe(200);
    } finally {
      second.child.kill("SIGTERM");
      expect((await second.exited).code).toBe(0);
    }
    const again = spawnSync(process.execPath, [join(ROOT, "bin", "writ.js"), "lineage", "verify", "--dir", dir], { encoding: "utf8" });
    expect(again.status).toBe(0);
  }, 120_000);
});
