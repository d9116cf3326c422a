/**
 * Operations: `/healthz`, `/readyz` (503 until a bundle is loaded and the log is writable; with
 * no bundle every decision is deny), and `/metrics` (Prometheus text with the `writ_` series:
 * decisions by result, latency per route, rejections by reason, bundle info, log size,
 * checkpoint age).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileBundle, project, testServer } from "../support/servers.js";

const todo = project("authzen-todo");
const MORTY = "CiRmZDE2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs";
const evaluation = { subject: { type: "user", id: MORTY }, action: { name: "can_create_todo" }, resource: { type: "todo", id: "t" } };

describe("health and readiness", () => {
  it("without a bundle: alive, not ready, every decision deny, nothing recorded — until a bundle arrives", async () => {
    const s = await testServer({});
    try {
      const get = (url: string) => s.app.inject({ method: "GET", url });
      const post = (url: string, payload: unknown) => s.app.inject({ method: "POST", url, payload: payload as object });
      expect((await get("/healthz")).json()).toEqual({ status: "ok" });
      const notReady = await get("/readyz");
      expect(notReady.statusCode).toBe(503);
      expect(notReady.json()).toMatchObject({ status: "not-ready", reasons: ["no valid bundle is loaded"] });
      expect((await post("/access/v1/evaluation", evaluation)).json()).toEqual({ decision: false });
      expect((await post("/access/v1/evaluations", { evaluations: [evaluation, evaluation] })).json()).toEqual({ evaluations: [{ decision: false }, { decision: false }] });
      expect((await post("/access/v1/search/action", { subject: evaluation.subject, resource: evaluation.resource })).json()).toEqual({ page: { next_token: "", count: 0, total: 0 }, results: [] });
      const request = { principal: { type: "user", id: MORTY }, action: { type: "Action", id: "can_read_todos" }, resource: { type: "todo", id: "t" } };
      for (const [url, body] of [["/v1/decide", request], ["/v1/authorize", { request }]] as const) {
        const r = await post(url, body);
        expect(r.statusCode, url).toBe(503);
        expect(r.json().code).toBe("W8008");
      }
      expect(s.node.log.size).toBe(0);

      const put = await s.app.inject({ method: "PUT", url: "/v1/bundle", payload: compileBundle(todo.policies, todo.schema) as object });
      expect(put.statusCode).toBe(200);
      expect((await s.app.inject({ method: "PUT", url: "/v1/entities", payload: todo.entities as object })).statusCode).toBe(200);
      const ready = await get("/readyz");
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toMatchObject({ status: "ready", node: "writ", sequence: 1 });
      expect((await post("/access/v1/evaluation", evaluation)).json()).toEqual({ decision: true });
    } finally {
      await s.close();
    }
  });
});

describe("the log's worker", () => {
  it("a server whose log worker stops is not ready, and its authorizations fail, none acknowledged", async () => {
    const dir = mkdtempSync(join(tmpdir(), "writ-ops-"));
    const s = await testServer({ dir, memory: false, bundle: compileBundle(todo.policies, todo.schema), entities: todo.entities });
    try {
      const request = { principal: { type: "user", id: MORTY }, action: { type: "Action", id: "can_read_todos" }, resource: { type: "todo", id: "t" } };
      const authorize = () => s.app.inject({ method: "POST", url: "/v1/authorize", payload: { request } });
      expect((await authorize()).statusCode).toBe(200);
      expect((await s.app.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
      await (s.node.log.store as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
      const ready = await s.app.inject({ method: "GET", url: "/readyz" });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().reasons).toContain("the lineage log is not writable");
      const r = await authorize();
      expect(r.statusCode).toBeGreaterThanOrEqual(500);
      expect(r.json().artifact).toBeUndefined();
    } finally {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("metrics", () => {
  it("exposes the writ_ series of this instance", async () => {
    const bundle = compileBundle(todo.policies, todo.schema, { sequence: 7 });
    const s = await testServer({ bundle, entities: todo.entities });
    try {
      const post = (url: string, payload: unknown) => s.app.inject({ method: "POST", url, payload: payload as object });
      await post("/access/v1/evaluation", evaluation);
      await post("/access/v1/evaluation", { ...evaluation, action: { name: "can_delete_todo" } });
      await post("/access/v1/evaluation", { nope: true });
      await s.app.inject({ method: "GET", url: "/missing" });
      await post("/v1/authorize", { request: { principal: { type: "user", id: MORTY }, action: { type: "Action", id: "can_read_todos" }, resource: { type: "todo", id: "t" } } });
      const m = await s.app.inject({ method: "GET", url: "/metrics" });
      expect(m.statusCode).toBe(200);
      expect(m.headers["content-type"]).toContain("text/plain");
      const text = m.body;
      expect(text).toContain('writ_decisions_total{route="evaluation",result="allow"} 1');
      expect(text).toContain('writ_decisions_total{route="evaluation",result="deny"} 1');
      expect(text).toContain('writ_decisions_total{route="authorize",result="allow"} 1');
      expect(text).toContain('writ_rejected_requests_total{reason="bad_request"} 1');
      expect(text).toContain('writ_rejected_requests_total{reason="not_found"} 1');
      expect(text).toContain(`writ_bundle_info{bundle_id="${bundle.bundleId}",sequence="7",key_id="${bundle.signature!.keyId}"} 1`);
      expect(text).toContain(`writ_entities_info{entities_id="${s.node.snapshot!.store.id}"} 1`);
      expect(text).toContain("writ_lineage_log_size 2");
      expect(text).toMatch(/writ_lineage_checkpoint_age_seconds \d/);
      expect(text).toContain("writ_executions_in_flight 1");
      expect(text).toMatch(/writ_http_request_duration_seconds_count\{route="evaluation",method="POST",status="200"\} 2/);
      expect(text).not.toMatch(/^process_|^nodejs_/m);
    } finally {
      await s.close();
    }
  });

  it("two servers in one process keep separate registries", async () => {
    const a = await testServer({ bundle: compileBundle(todo.policies, todo.schema), entities: todo.entities });
    const b = await testServer({ bundle: compileBundle(todo.policies, todo.schema), entities: todo.entities });
    try {
      await a.app.inject({ method: "POST", url: "/access/v1/evaluation", payload: evaluation });
      expect((await a.app.inject({ method: "GET", url: "/metrics" })).body).toContain('writ_decisions_total{route="evaluation",result="allow"} 1');
      expect((await b.app.inject({ method: "GET", url: "/metrics" })).body).not.toContain("writ_decisions_total{");
    } finally {
      await a.close();
      await b.close();
    }
  });
});
