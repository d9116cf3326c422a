/**
 * Security of `writ serve`: the tokens file (only digests, strict shape), bearer
 * authentication (401 with `WWW-Authenticate`, 403 without the scope, `admin` implies every
 * scope), loopback only without tokens, the body limit, and no stack traces or secrets in
 * responses and logs.
 */
import { describe, expect, it } from "vitest";
import { newToken, parseScopes, TokenTable, tokenDigest } from "../../server/tokens.js";
import { projectBundle, testServer } from "../support/servers.js";

const decider = newToken("pep", ["decide"]);
const executor = newToken("executor", ["authorize"]);
const auditor = newToken("auditor", ["read-lineage"]);
const root = newToken("root", ["admin"]);

function table(): TokenTable {
  const r = TokenTable.read({ format: "writ-tokens/1", tokens: [decider.entry, executor.entry, auditor.entry, root.entry] });
  if (!r.ok) throw new Error(r.problem.message);
  return r.table;
}

const MORTY = "CiRmZDE2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs";
const evaluation = { subject: { type: "user", id: MORTY }, action: { name: "can_read_todos" }, resource: { type: "todo", id: "t1" } };

describe("tokens", () => {
  it("a new token is random, prefixed, and its entry holds only the digest", () => {
    const a = newToken("a", ["decide"]);
    const b = newToken("a", ["decide"]);
    expect(a.token).toMatch(/^writ_[A-Za-z0-9_-]{43}$/);
    expect(a.token).not.toBe(b.token);
    expect(a.entry).toEqual({ name: "a", sha256: tokenDigest(a.token), scopes: ["decide"] });
    expect(JSON.stringify(a.entry)).not.toContain(a.token);
  });

  it("authenticates exactly the listed tokens", () => {
    const t = table();
    expect(t.authenticate(`Bearer ${decider.token}`)?.name).toBe("pep");
    expect(t.authenticate(`bearer ${root.token}`)?.name).toBe("root");
    expect(t.authenticate(`Bearer ${decider.token}x`)).toBeUndefined();
    expect(t.authenticate(decider.token)).toBeUndefined();
    expect(t.authenticate(`Basic ${decider.token}`)).toBeUndefined();
    expect(t.authenticate(undefined)).toBeUndefined();
    expect(t.authenticate("Bearer ")).toBeUndefined();
  });

  it("refuses malformed tokens files with W8012", () => {
    const bad = [
      null,
      [],
      { format: "writ-tokens/2", tokens: [] },
      { format: "writ-tokens/1", tokens: {} },
      { format: "writ-tokens/1", tokens: [{ name: "x", sha256: "00", scopes: ["decide"] }] },
      { format: "writ-tokens/1", tokens: [{ name: "x", sha256: "a".repeat(64), scopes: ["root"] }] },
      { format: "writ-tokens/1", tokens: [{ name: "x", sha256: "a".repeat(64), scopes: [] }] },
      { format: "writ-tokens/1", tokens: [{ name: "bad name", sha256: "a".repeat(64), scopes: ["decide"] }] },
      { format: "writ-tokens/1", tokens: [{ name: "x", sha256: "a".repeat(64), scopes: ["decide"], token: "plain" }] },
      { format: "writ-tokens/1", tokens: [decider.entry, { ...decider.entry, name: "other" }] },
      { format: "writ-tokens/1", tokens: [decider.entry, { ...executor.entry, name: "pep" }] },
    ];
    for (const b of bad) expect(TokenTable.read(b), JSON.stringify(b)).toMatchObject({ ok: false, problem: { code: "W8012" } });
  });

  it("parses scope lists", () => {
    expect(parseScopes("decide, authorize,decide")).toEqual({ ok: true, scopes: ["authorize", "decide"] });
    expect(parseScopes("decide,everything")).toMatchObject({ ok: false, problem: { code: "W8012" } });
    expect(parseScopes(" , ")).toMatchObject({ ok: false });
  });
});

describe("authentication and scopes", () => {
  it("401 without a valid token, 403 without the scope, admin implies every scope", async () => {
    const { bundle, entities } = projectBundle("authzen-todo");
    const s = await testServer({ bundle, entities, tokens: table() });
    try {
      const post = (url: string, token: string | undefined, payload: unknown) =>
        s.app.inject({ method: "POST", url, payload: payload as object, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
      const none = await post("/access/v1/evaluation", undefined, evaluation);
      expect(none.statusCode).toBe(401);
      expect(none.headers["www-authenticate"]).toBe('Bearer realm="writ"');
      expect(none.json()).toMatchObject({ code: "W8001" });
      expect((await post("/access/v1/evaluation", "writ_wrong", evaluation)).statusCode).toBe(401);

      const wrongScope = await post("/access/v1/evaluation", executor.token, evaluation);
      expect(wrongScope.statusCode).toBe(403);
      expect(wrongScope.json()).toEqual({ error: "the token `executor` lacks the scope `decide`", code: "W8002" });
      expect(wrongScope.headers["www-authenticate"]).toContain('error="insufficient_scope", scope="decide"');

      expect((await post("/access/v1/evaluation", decider.token, evaluation)).json()).toEqual({ decision: true });
      expect((await post("/access/v1/evaluation", root.token, evaluation)).statusCode).toBe(200);

      const request = { principal: { type: "user", id: MORTY }, action: { type: "Action", id: "can_read_todos" }, resource: { type: "todo", id: "t" }, context: {} };
      expect((await post("/v1/authorize", decider.token, { request })).statusCode).toBe(403);
      const authorized = await post("/v1/authorize", executor.token, { request });
      expect(authorized.statusCode).toBe(200);
      // The actor recorded is the token's name.
      const exec = authorized.json().execution as string;
      expect(s.node.index.get(exec)?.actor).toBe("executor");

      const lineage = (token: string) => s.app.inject({ method: "GET", url: "/v1/lineage/checkpoint", headers: { authorization: `Bearer ${token}` } });
      expect((await lineage(decider.token)).statusCode).toBe(403);
      expect((await lineage(auditor.token)).statusCode).toBe(200);
      const bundleRead = await s.app.inject({ method: "GET", url: "/v1/bundle", headers: { authorization: `Bearer ${auditor.token}` } });
      expect(bundleRead.statusCode).toBe(200);
      const entityRead = (token: string) => s.app.inject({ method: "GET", url: `/v1/entities/user/${MORTY}`, headers: { authorization: `Bearer ${token}` } });
      expect((await entityRead(auditor.token)).statusCode).toBe(403);
      expect((await entityRead(root.token)).statusCode).toBe(200);

      // Operations and discovery stay public.
      for (const url of ["/healthz", "/readyz", "/metrics", "/.well-known/authzen-configuration"]) expect((await s.app.inject({ method: "GET", url })).statusCode, url).toBe(200);
    } finally {
      await s.close();
    }
  });

  it("without tokens it refuses to listen beyond loopback", async () => {
    const s = await testServer({});
    try {
      const r = await s.listen({ host: "0.0.0.0", port: 0 });
      expect(r).toMatchObject({ ok: false, problem: { code: "W8017" } });
      if (!r.ok) expect(r.problem.message).toContain("loopback");
    } finally {
      await s.close();
    }
  });
});

describe("limits and leaks", () => {
  it("a body over the limit is a 413 with a JSON error; the limit is configurable", async () => {
    const { bundle, entities } = projectBundle("authzen-todo");
    const s = await testServer({ bundle, entities, bodyLimit: 4096 });
    try {
      const big = { ...evaluation, context: { pad: "x".repeat(5000) } };
      const r = await s.app.inject({ method: "POST", url: "/access/v1/evaluation", payload: big });
      expect(r.statusCode).toBe(413);
      expect(r.json()).toEqual({ error: "the request body is larger than the limit of 4096 bytes", code: "W8003" });
      expect((await s.app.inject({ method: "POST", url: "/access/v1/evaluation", payload: evaluation })).statusCode).toBe(200);
    } finally {
      await s.close();
    }
  });

  it("hostile URLs and strings with no canonical JSON are 400s with {error, code}, never Fastify's own body or a 5xx (found by the server fuzz)", async () => {
    const { bundle, entities } = projectBundle("authzen-todo");
    const s = await testServer({ bundle, entities });
    try {
      const ask = async (method: "GET" | "POST", url: string, payload?: unknown) => {
        const r = await s.app.inject({ method, url, ...(payload === undefined ? {} : { payload: JSON.stringify(payload), headers: { "content-type": "application/json" } }) });
        return { status: r.statusCode, body: r.json() as { error: string; code: string } };
      };
      // A path value over Fastify's length limit (414 and Fastify's own body before), a malformed percent-encoding.
      const long = await ask("POST", `/v1/executions/${"a".repeat(101)}/outcome`, { ok: true });
      expect(long).toEqual({ status: 400, body: { error: "invalid request: a path value is longer than 100 characters", code: "W8004" } });
      const bad = await ask("GET", "/v1/lineage/events/%E0%A4%A");
      expect(bad).toEqual({ status: 400, body: { error: "invalid request: the URL path is not valid (a malformed percent-encoding)", code: "W8004" } });
      // The router's errors skip the request hooks: the request id and the counters are still given.
      const raw = await s.app.inject({ method: "GET", url: "/v1/lineage/events/%E0%A4%A", headers: { "x-request-id": "req-router-1" } });
      expect(raw.headers["x-request-id"]).toBe("req-router-1");
      const rejected = async (): Promise<number> => Number(/writ_rejected_requests_total\{reason="bad_request"\} (\d+)/.exec((await s.app.inject({ method: "GET", url: "/metrics" })).body)?.[1] ?? 0);
      const counted = await rejected();
      await ask("GET", `/v1/lineage/events/${"b".repeat(101)}`);
      expect(await rejected()).toBe(counted + 1);
      // A lone surrogate: in a parent id (500 before: the denial could not be recorded), in a request key (503), in a search (500).
      const before = s.node.log.size;
      const request = { principal: { type: "user", id: MORTY }, action: { type: "Action", id: "can_read_todos" }, resource: { type: "todo", id: "t1" }, context: {} };
      expect(await ask("POST", "/v1/authorize", { request, parent: "\ud800" })).toMatchObject({ status: 400, body: { code: "W8004" } });
      expect(await ask("POST", "/v1/authorize", { request, parent: "not-an-event-id" })).toMatchObject({ status: 400, body: { code: "W8004" } });
      expect(await ask("POST", "/v1/authorize", { request: { ...request, ["\ud800"]: [{}] } })).toMatchObject({ status: 400, body: { code: "W5004" } });
      expect(await ask("POST", "/v1/authorize", { request: { ...request, context: { note: "x\udc00" } } })).toMatchObject({ status: 400, body: { code: "W5004" } });
      expect(s.node.log.size).toBe(before);
      const search = await ask("POST", "/access/v1/search/resource", { ...evaluation, resource: { type: "\ud800" } });
      expect(search.status).toBeLessThan(500);
    } finally {
      await s.close();
    }
  });

  it("logs one JSON line per request with the request id, never the token or a stack", async () => {
    const lines: string[] = [];
    const { bundle, entities } = projectBundle("authzen-todo");
    const s = await testServer({ bundle, entities, tokens: table(), logStream: { write: (l) => void lines.push(l) } });
    try {
      await s.app.inject({ method: "POST", url: "/access/v1/evaluation", payload: evaluation, headers: { authorization: `Bearer ${decider.token}`, "x-request-id": "req-42" } });
      await s.app.inject({ method: "POST", url: "/access/v1/evaluation", payload: "{", headers: { authorization: `Bearer ${decider.token}`, "content-type": "application/json" } });
      const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l["msg"] === "request");
      expect(logged).toHaveLength(2);
      expect(logged[0]).toMatchObject({ reqId: "req-42", method: "POST", path: "/access/v1/evaluation", status: 200, caller: "pep" });
      expect(logged[1]).toMatchObject({ status: 400 });
      const all = lines.join("");
      expect(all).not.toContain(decider.token);
      expect(all).not.toMatch(/\bat .*\.js:\d+/);
    } finally {
      await s.close();
    }
  });

  it("every answer carries the request id: success, 401, 403, 400, 404, 413", async () => {
    const { bundle, entities } = projectBundle("authzen-todo");
    const s = await testServer({ bundle, entities, tokens: table(), bodyLimit: 4096 });
    const auth = { authorization: `Bearer ${decider.token}` };
    try {
      const cases = [
        [200, { method: "POST", url: "/access/v1/evaluation", payload: evaluation, headers: auth }],
        [401, { method: "POST", url: "/access/v1/evaluation", payload: evaluation }],
        [403, { method: "POST", url: "/v1/authorize", payload: { request: {} }, headers: auth }],
        [400, { method: "POST", url: "/access/v1/evaluation", payload: "{", headers: { ...auth, "content-type": "application/json" } }],
        [404, { method: "GET", url: "/no/such/route" }],
        [413, { method: "POST", url: "/access/v1/evaluation", payload: { ...evaluation, context: { pad: "x".repeat(5000) } }, headers: auth }],
      ] as const;
      for (const [status, req] of cases) {
        const id = `req-${status}`;
        const r = await s.app.inject({ ...req, headers: { ...("headers" in req ? req.headers : {}), "x-request-id": id } });
        expect(r.statusCode).toBe(status);
        expect(r.headers["x-request-id"]).toBe(id);
      }
    } finally {
      await s.close();
    }
  });
});
