/**
 * The AuthZEN API of `writ serve` through `app.inject`: the mapping (types, properties over the
 * stored attributes, action type, context), decisions and their context only on request,
 * `evaluations` defaults and semantics, search with paging tokens bound to the request, the
 * Obligations Extension's outcome rules, request ids and the PDP metadata.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WritServer } from "../../server/index.js";
import { compileBundle, projectBundle, testServer } from "../support/servers.js";

const RICK = "CiRmZDA2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs";
const MORTY = "CiRmZDE2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs";
const BETH = "CiRmZDM2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs";

const user = (id: string, properties?: object) => ({ type: "user", id, ...(properties === undefined ? {} : { properties }) });
const todo = (id: string, ownerID?: string) => ({ type: "todo", id, ...(ownerID === undefined ? {} : { properties: { ownerID } }) });

let todoServer: WritServer;
let searchServer: WritServer;

beforeAll(async () => {
  todoServer = await testServer(projectBundle("authzen-todo"));
  searchServer = await testServer(projectBundle("authzen-search"));
});
afterAll(async () => {
  await todoServer.close();
  await searchServer.close();
});

async function post(s: WritServer, url: string, payload: unknown, headers: Record<string, string> = {}) {
  const r = await s.app.inject({ method: "POST", url, payload: payload as object, headers });
  return { status: r.statusCode, body: r.json() as Record<string, unknown>, headers: r.headers };
}

describe("access evaluation", () => {
  it("allows and denies with exactly {decision}", async () => {
    expect(await post(todoServer, "/access/v1/evaluation", { subject: user(MORTY), action: { name: "can_update_todo" }, resource: todo("t", "morty@the-citadel.com") })).toMatchObject({ status: 200, body: { decision: true } });
    const deny = await post(todoServer, "/access/v1/evaluation", { subject: user(MORTY), action: { name: "can_update_todo" }, resource: todo("t", "rick@the-citadel.com") });
    expect(deny.status).toBe(200);
    expect(deny.body).toEqual({ decision: false });
  });

  it("echoes X-Request-ID, and makes one up when there is none", async () => {
    const body = { subject: user(RICK), action: { name: "can_read_todos" }, resource: todo("t") };
    expect((await post(todoServer, "/access/v1/evaluation", body, { "x-request-id": "bfe9eb29-ab87 4ca3" })).headers["x-request-id"]).toBe("bfe9eb29-ab87 4ca3");
    expect((await post(todoServer, "/access/v1/evaluation", body)).headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("subject properties override the stored attributes, typed by the schema, for this request only", async () => {
    const create = (subject: object) => post(todoServer, "/access/v1/evaluation", { subject, action: { name: "can_create_todo" }, resource: todo("t") });
    expect((await create(user(BETH))).body).toEqual({ decision: false });
    expect((await create(user(BETH, { roles: ["editor"] }))).body).toEqual({ decision: true });
    expect((await create(user(BETH))).body).toEqual({ decision: false });
    // A property of the wrong type is a deny (fail closed); `explain` says why.
    expect((await create(user(BETH, { roles: "editor" }))).body).toEqual({ decision: false });
    const why = await post(todoServer, "/access/v1/evaluation?explain=true", { subject: user(BETH, { roles: "editor" }), action: { name: "can_create_todo" }, resource: todo("t") });
    expect(why.body).toMatchObject({ decision: false, context: { error: { status: 400 } } });
    expect(String((why.body["context"] as { error: { message: string } }).error.message)).toContain("roles");
    // An entity that is not stored is made of its properties.
    expect((await create(user("newcomer", { email: "n@x", name: "N", picture: "", roles: ["admin"] }))).body).toEqual({ decision: true });
  });

  it("maps the action name into the schema's action type; an unknown action is a deny", async () => {
    const r = await post(todoServer, "/access/v1/evaluation?explain=true", { subject: user(RICK), action: { name: "can_fly" }, resource: todo("t") });
    expect(r.body["decision"]).toBe(false);
    expect(JSON.stringify(r.body["context"])).toContain("can_fly");
  });

  it("adds context only when asked for: the decision record under writ", async () => {
    const plain = await post(todoServer, "/access/v1/evaluation", { subject: user(RICK), action: { name: "can_delete_todo" }, resource: todo("t", "jerry@the-smiths.com") });
    expect(plain.body).toEqual({ decision: true });
    const explained = await post(todoServer, "/access/v1/evaluation?explain=true", { subject: user(RICK), action: { name: "can_delete_todo" }, resource: todo("t", "jerry@the-smiths.com") });
    expect(explained.body).toMatchObject({ decision: true, context: { writ: { format: "writ-decision/2", decision: "allow", reasons: [{ name: "delete-any-todo" }] } } });
  });

  it("malformed input is a 400 with a JSON error", async () => {
    const cases: unknown[] = [
      { action: { name: "x" }, resource: todo("t") },
      { subject: "rick", action: { name: "x" }, resource: todo("t") },
      { subject: { type: "user" }, action: { name: "x" }, resource: todo("t") },
      { subject: user(RICK), action: {}, resource: todo("t") },
      { subject: user(RICK), action: { name: "x" }, resource: { type: "todo", id: 7 } },
      { subject: user(RICK), action: { name: "x" }, resource: todo("t"), context: [] },
      [],
    ];
    for (const c of cases) {
      const r = await post(todoServer, "/access/v1/evaluation", c);
      expect(r.status, JSON.stringify(c)).toBe(400);
      expect(r.body).toMatchObject({ code: "W8004" });
      expect(typeof r.body["error"]).toBe("string");
    }
    const media = await todoServer.app.inject({ method: "POST", url: "/access/v1/evaluation", payload: "subject=x", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(media.statusCode).toBe(415);
    expect(media.json()).toMatchObject({ code: "W8005" });
  });
});

describe("access evaluations", () => {
  const defaults = { subject: user(MORTY), action: { name: "can_update_todo" } };

  it("applies top-level defaults, lets items override them and answers in request order", async () => {
    const r = await post(todoServer, "/access/v1/evaluations", {
      ...defaults,
      evaluations: [{ resource: todo("a", "rick@the-citadel.com") }, { resource: todo("b", "morty@the-citadel.com") }, { action: { name: "can_read_todos" }, resource: todo("c") }],
    });
    expect(r.body).toEqual({ evaluations: [{ decision: false }, { decision: true }, { decision: true }] });
  });

  it("replaces the default context instead of merging it", async () => {
    const r = await post(todoServer, "/access/v1/evaluations?explain=true", { ...defaults, context: { a: 1 }, evaluations: [{ resource: todo("a"), context: { b: 2 } }] });
    const ctx = ((r.body["evaluations"] as { context: { writ: { requestDigest: string } } }[])[0]!).context;
    const single = await post(todoServer, "/access/v1/evaluation?explain=true", { ...defaults, resource: todo("a"), context: { b: 2 } });
    expect(ctx.writ.requestDigest).toBe((single.body["context"] as { writ: { requestDigest: string } }).writ.requestDigest);
  });

  it("cuts a batch short under deny_on_first_deny and permit_on_first_permit", async () => {
    const items = [{ resource: todo("a", "morty@the-citadel.com") }, { resource: todo("b", "rick@the-citadel.com") }, { resource: todo("c", "morty@the-citadel.com") }];
    const run = async (semantic: string) => (await post(todoServer, "/access/v1/evaluations", { ...defaults, options: { evaluations_semantic: semantic }, evaluations: items })).body;
    expect(await run("execute_all")).toEqual({ evaluations: [{ decision: true }, { decision: false }, { decision: true }] });
    expect(await run("deny_on_first_deny")).toEqual({ evaluations: [{ decision: true }, { decision: false }] });
    expect(await run("permit_on_first_permit")).toEqual({ evaluations: [{ decision: true }] });
    expect((await post(todoServer, "/access/v1/evaluations", { ...defaults, options: { evaluations_semantic: "first_wins" }, evaluations: items })).status).toBe(400);
  });

  it("without items behaves as one evaluation; an item without a required key and no default is a 400", async () => {
    expect((await post(todoServer, "/access/v1/evaluations", { ...defaults, resource: todo("a", "morty@the-citadel.com"), evaluations: [] })).body).toEqual({ decision: true });
    const r = await post(todoServer, "/access/v1/evaluations", { subject: user(MORTY), evaluations: [{ action: { name: "can_read_todos" }, resource: todo("a") }, { resource: todo("b") }] });
    expect(r.status).toBe(400);
    expect(r.body["error"]).toBe("invalid request: evaluations[1] has no `action` (and there is no top-level default)");
    const tooMany = await post(todoServer, "/access/v1/evaluations", { ...defaults, evaluations: Array.from({ length: 1001 }, () => ({ resource: todo("a") })) });
    expect(tooMany.status).toBe(400);
  });
});

describe("search", () => {
  it("subject search returns the allowed users of the store; pages chain through next_token", async () => {
    const body = { subject: { type: "user" }, action: { name: "view" }, resource: { type: "record", id: "105" } };
    const all = await post(searchServer, "/access/v1/search/subject", body);
    expect(all.body).toEqual({ page: { next_token: "", count: 5, total: 5 }, results: ["alice", "bob", "carol", "dan", "erin"].map((id) => ({ type: "user", id })) });
    const seen: unknown[] = [];
    let token: string | undefined;
    for (let i = 0; i < 10; i++) {
      const r = await post(searchServer, "/access/v1/search/subject", { ...body, page: { limit: 2, ...(token === undefined ? {} : { token }) } });
      const page = r.body["page"] as { next_token: string; count: number; total: number };
      expect(page.total).toBe(5);
      expect(page.count).toBeLessThanOrEqual(2);
      seen.push(...(r.body["results"] as unknown[]));
      if (page.next_token === "") break;
      token = page.next_token;
    }
    expect(seen).toEqual(all.body["results"]);
  });

  it("a page token is bound to the rest of the request", async () => {
    const body = { subject: { type: "user" }, action: { name: "view" }, resource: { type: "record", id: "105" }, page: { limit: 2 } };
    const first = await post(searchServer, "/access/v1/search/subject", body);
    const token = (first.body["page"] as { next_token: string }).next_token;
    const changed = await post(searchServer, "/access/v1/search/subject", { ...body, action: { name: "edit" }, page: { limit: 2, token } });
    expect(changed.status).toBe(400);
    expect(changed.body).toMatchObject({ code: "W8015" });
    expect((await post(searchServer, "/access/v1/search/subject", { ...body, page: { limit: 2, token: "garbage" } })).status).toBe(400);
  });

  it("resource and action search; an unknown type or action finds nothing", async () => {
    const resources = await post(searchServer, "/access/v1/search/resource", { subject: { type: "user", id: "erin" }, action: { name: "view" }, resource: { type: "record" } });
    expect(resources.body["results"]).toEqual(["105", "111", "115", "117"].map((id) => ({ type: "record", id })));
    const actions = await post(searchServer, "/access/v1/search/action", { subject: { type: "user", id: "erin" }, resource: { type: "record", id: "117" } });
    expect(actions.body["results"]).toEqual([{ name: "delete" }, { name: "edit" }, { name: "view" }]);
    expect((await post(searchServer, "/access/v1/search/action", { subject: { type: "user", id: "erin" }, resource: { type: "record", id: "118" } })).body["results"]).toEqual([]);
    expect((await post(searchServer, "/access/v1/search/resource", { subject: { type: "user", id: "erin" }, action: { name: "fly" }, resource: { type: "record" } })).body["results"]).toEqual([]);
    expect((await post(searchServer, "/access/v1/search/resource", { subject: { type: "user", id: "erin" }, action: { name: "view" }, resource: { type: "book" } })).body["results"]).toEqual([]);
    expect((await post(searchServer, "/access/v1/search/subject", { subject: { type: "user" }, resource: { type: "record", id: "1" } })).status).toBe(400);
  });
});

describe("obligations (AuthZEN Obligations Extension)", () => {
  const schema = `obligation notify: Set<String>;
entity User;
entity Doc;
action read appliesTo { principal: [User], resource: [Doc] };`;
  const policies = `@id("read-and-notify") permit (principal, action, resource) obligations { notify: ["#ops"] };`;
  const request = { subject: { type: "User", id: "u" }, action: { name: "read" }, resource: { type: "Doc", id: "d" } };

  it("a decision with obligations goes only to a PEP that adopted them and handles `custom`", async () => {
    const s = await testServer({ bundle: compileBundle(policies, schema), entities: [] });
    try {
      expect((await post(s, "/access/v1/evaluation", request)).body).toEqual({ decision: false });
      expect((await post(s, "/access/v1/evaluation", { ...request, context: { supported_mandatory_extensions: ["obligations"], supported_obligations: ["step-up"] } })).body).toEqual({ decision: false });
      const adopted = await post(s, "/access/v1/evaluation", { ...request, context: { supported_mandatory_extensions: ["obligations"], supported_obligations: ["custom"] } });
      expect(adopted.body).toEqual({ decision: true, context: { obligations: [{ id: "notify", type: "custom", properties: { name: "notify", value: ["#ops"] } }] } });
      const meta = await s.app.inject({ method: "GET", url: "/.well-known/authzen-configuration", headers: { host: "pdp.example" } });
      expect(meta.json()).toMatchObject({ capabilities: ["urn:openid:authzen:capability:obligations"], supported_obligations: ["custom"] });
    } finally {
      await s.close();
    }
  });
});

describe("PDP metadata and action types", () => {
  it("names every endpoint under the request's base URL, or --public-url", async () => {
    const meta = await todoServer.app.inject({ method: "GET", url: "/.well-known/authzen-configuration", headers: { host: "pdp.local:8181" } });
    expect(meta.statusCode).toBe(200);
    expect(meta.json()).toEqual({
      policy_decision_point: "http://pdp.local:8181",
      access_evaluation_endpoint: "http://pdp.local:8181/access/v1/evaluation",
      access_evaluations_endpoint: "http://pdp.local:8181/access/v1/evaluations",
      search_subject_endpoint: "http://pdp.local:8181/access/v1/search/subject",
      search_resource_endpoint: "http://pdp.local:8181/access/v1/search/resource",
      search_action_endpoint: "http://pdp.local:8181/access/v1/search/action",
    });
    const s = await testServer({ ...projectBundle("authzen-todo"), publicUrl: "https://pdp.example.com/" });
    try {
      expect((await s.app.inject({ method: "GET", url: "/.well-known/authzen-configuration" })).json()).toMatchObject({ policy_decision_point: "https://pdp.example.com", access_evaluation_endpoint: "https://pdp.example.com/access/v1/evaluation" });
    } finally {
      await s.close();
    }
  });

  it("uses a namespaced schema's action type; with several, only --action-type chooses", async () => {
    const two = `namespace A { entity U; action go appliesTo { principal: [U], resource: [U] }; }
namespace B { entity U; action go appliesTo { principal: [U], resource: [U] }; }`;
    const bundle = compileBundle(`permit (principal, action == B::Action::"go", resource);`, two);
    const ambiguous = await testServer({ bundle, entities: [] });
    const chosen = await testServer({ bundle, entities: [], actionType: "B::Action" });
    try {
      const req = { subject: { type: "B::U", id: "x" }, action: { name: "go" }, resource: { type: "B::U", id: "y" } };
      const r = await post(ambiguous, "/access/v1/evaluation?explain=true", req);
      expect(r.body).toMatchObject({ decision: false, context: { error: { status: 400 } } });
      expect((await post(chosen, "/access/v1/evaluation", req)).body).toEqual({ decision: true });
    } finally {
      await ambiguous.close();
      await chosen.close();
    }
  });
});
