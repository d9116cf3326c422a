/**
 * Governed execution over HTTP and the lineage reads: authorize (recorded before it answers,
 * a signed artifact for an allow), outcomes (executed, failed, violations of obligations,
 * duplicates, unknown executions, executions authorized before a restart), decide without
 * recording, refusals that record nothing, and every lineage read proven against the log.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decide, ed25519, verifyArtifact, verifyProof, type RequestJson } from "../../runtime/index.js";
import type { LightMyRequestResponse } from "fastify";
import type { WritServer } from "../../server/index.js";
import { authorizeSchema } from "../../server/schemas.js";
import { compileBundle, projectBundle, ROOT, tempDir, testServer } from "../support/servers.js";

const NOW = new Date("2030-01-01T00:00:00.000Z");
const schema = `obligation approve: Bool;
entity User = { role: String };
entity Doc;
action read, write appliesTo { principal: [User], resource: [Doc] };`;
const policies = `@id("read") permit (principal, action == Action::"read", resource);
@id("write-approved") permit (principal, action == Action::"write", resource) when { principal.role == "editor" } obligations { approve: true };`;
const entities = [
  { uid: { type: "User", id: "ed" }, attrs: { role: "editor" }, parents: [] },
  { uid: { type: "User", id: "vi" }, attrs: { role: "viewer" }, parents: [] },
];
const req = (who: string, action: string) => ({ principal: { type: "User", id: who }, action: { type: "Action", id: action }, resource: { type: "Doc", id: "d1" }, context: {} });

let s: WritServer;
beforeAll(async () => {
  s = await testServer({ bundle: compileBundle(policies, schema), entities, clock: () => NOW, artifactTtlMs: 60_000 });
});
afterAll(async () => s.close());

async function call(method: "GET" | "POST", url: string, payload?: unknown) {
  const r = await s.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: r.statusCode, body: r.json() as Record<string, any>, text: r.body };
}

describe("authorize", () => {
  it("records requested and authorized before answering, with an artifact the node's key verifies", async () => {
    const before = s.node.log.size;
    const r = await call("POST", "/v1/authorize", { request: req("vi", "read") });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ allowed: true, decision: { decision: "allow" }, obligations: {}, expiresAt: "2030-01-01T00:01:00.000Z" });
    expect(r.body.events.map((e: { phase: string }) => e.phase)).toEqual(["requested", "authorized"]);
    expect(s.node.log.size).toBe(before + 2);
    expect(r.body.authorizedEvent).toBe(r.body.events[1].id);
    const v = verifyArtifact(r.body.artifact, s.node.log.publicKey, { now: NOW, ed25519 });
    expect(v.ok).toBe(true);
    if (v.ok) expect(v.claims).toMatchObject({ execution: r.body.execution, eventId: r.body.authorizedEvent, node: "writ", decision: r.body.decision });
    expect(verifyArtifact(r.body.artifact, s.node.log.publicKey, { now: "2030-01-01T00:01:00Z", ed25519 })).toMatchObject({ ok: false, problem: { code: "W8011" } });
  });

  it("a deny is a 200 with the reason, recorded as requested, denied, audited — and no artifact", async () => {
    const r = await call("POST", "/v1/authorize", { request: req("vi", "write") });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ allowed: false, decision: { decision: "deny" }, problem: { code: "W7008" } });
    expect(r.body.events.map((e: { phase: string }) => e.phase)).toEqual(["requested", "denied", "audited"]);
    expect(r.body.artifact).toBeUndefined();
    expect(s.node.index.get(r.body.execution)).toMatchObject({ decision: "deny", status: "denied", audited: true });
  });

  it("answers allow and deny with the response schema's fields only, in its order (the answer is serialized as built)", async () => {
    const fields = Object.keys(authorizeSchema.response[200].properties);
    for (const action of ["read", "write"]) {
      const r = await call("POST", "/v1/authorize", { request: req("vi", action) });
      const keys = Object.keys(r.body);
      expect(keys).toEqual(fields.filter((k) => keys.includes(k)));
      for (const e of r.body.events) expect(Object.keys(e)).toEqual(["phase", "id", "index", "recordedAt"]);
      if (r.body.problem !== undefined) expect(Object.keys(r.body.problem)).toEqual(["code", "message"]);
    }
  });

  it("refuses input that does not fit the schema, or that brings its own lineage, and records nothing", async () => {
    const before = s.node.log.size;
    const bad = [{ request: { ...req("vi", "read"), principal: { type: "Robot", id: "r" } } }, { request: { ...req("vi", "read"), lineage: { depth: 0, ancestors: [] } } }, { request: req("vi", "read"), extra: 1 }, {}];
    for (const b of bad) {
      const r = await call("POST", "/v1/authorize", b);
      expect(r.status, JSON.stringify(b)).toBe(400);
      expect(r.body.code).toBe("W8004");
    }
    expect(s.node.log.size).toBe(before);
  });

  it("always: authorize refuses unrecorded (W8004, the same errors) exactly the requests whose own decision has input errors", async () => {
    const part = (types: readonly string[], ids: readonly string[]) => fc.oneof(fc.record({ type: fc.constantFrom(...types), id: fc.constantFrom(...ids) }), fc.constantFrom<unknown>(undefined, "User::ed", 7));
    const requestArb = fc.oneof(
      { weight: 9, arbitrary: fc.record({ principal: part(["User", "Doc", "Robot"], ["ed", "vi", "d1"]), action: part(["Action", "User"], ["read", "write", "fly"]), resource: part(["Doc", "User"], ["d1", "ed"]), context: fc.constantFrom<unknown>({}, { a: 1 }, [], undefined) }, { requiredKeys: ["principal", "action", "resource"] }) },
      { weight: 1, arbitrary: fc.constantFrom<unknown>(null, [], "read", 3) },
    );
    const parentArb = fc.constantFrom<string | undefined>(undefined, undefined, undefined, "sha256:" + "0".repeat(64));
    await fc.assert(
      fc.asyncProperty(requestArb, parentArb, async (request, parent) => {
        const snap = s.node.snapshot!;
        const expected = decide(snap.bundle, request as RequestJson, snap.store).errors.filter((e) => e.policy === "");
        const before = s.node.log.size;
        const r = await s.node.authorize(request, { actor: "prop", ...(parent === undefined ? {} : { parent }) });
        if (expected.length > 0) {
          expect(r).toMatchObject({ ok: false, problem: { code: "W8004" }, details: expected.map((e) => `${e.code}: ${e.message}`) });
          expect(s.node.log.size).toBe(before);
        } else {
          expect(r.ok).toBe(true);
          expect(s.node.log.size).toBeGreaterThan(before);
        }
      }),
      { numRuns: 60, seed: 7 },
    );
  });

  it("a child names its parent's authorized event and gets the verified lineage; an unknown parent is a deny", async () => {
    const parent = await call("POST", "/v1/authorize", { request: req("ed", "read") });
    const child = await call("POST", "/v1/authorize", { request: req("vi", "read"), parent: parent.body.authorizedEvent });
    expect(child.body.allowed).toBe(true);
    const requested = await call("GET", `/v1/lineage/events/${child.body.events[0].id}`);
    expect(requested.body.event.request.lineage).toMatchObject({ depth: 1, parent: { principal: { type: "User", id: "ed" } } });
    expect(requested.body.event.parents).toEqual([parent.body.authorizedEvent]);
    const orphan = await call("POST", "/v1/authorize", { request: req("vi", "read"), parent: "sha256:" + "0".repeat(64) });
    expect(orphan.body).toMatchObject({ allowed: false, problem: { code: "W7002" } });
  });
});

describe("outcomes", () => {
  it("records executed and audited once; a second outcome is a 409, an unknown execution a 404", async () => {
    const a = await call("POST", "/v1/authorize", { request: req("vi", "read") });
    const done = await call("POST", `/v1/executions/${a.body.execution}/outcome`, { ok: true, resultDigest: "sha256:" + "1".repeat(64) });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ execution: a.body.execution, status: "executed" });
    expect(done.body.events.map((e: { phase: string }) => e.phase)).toEqual(["verified", "executed", "audited"]);
    expect(s.node.index.get(a.body.execution)).toMatchObject({ status: "executed", audited: true });
    expect((await call("POST", `/v1/executions/${a.body.execution}/outcome`, { ok: true })).body).toMatchObject({ code: "W8014" });
    expect((await call("POST", "/v1/executions/exec:nope/outcome", { ok: true })).status).toBe(404);
    const denied = await call("POST", "/v1/authorize", { request: req("vi", "write") });
    expect((await call("POST", `/v1/executions/${denied.body.execution}/outcome`, { ok: true })).body).toMatchObject({ code: "W7009" });
    expect((await call("POST", `/v1/executions/${a.body.execution}/outcome`, { ok: "yes" })).status).toBe(400);
  });

  it("an outcome must confirm every obligation the artifact lists, or it is recorded as a violation", async () => {
    const a = await call("POST", "/v1/authorize", { request: req("ed", "write") });
    expect(a.body.obligations).toEqual({ approve: true });
    const claims = verifyArtifact(a.body.artifact, s.node.log.publicKey, { now: NOW, ed25519 });
    expect(claims.ok && claims.claims.obligations).toEqual(["approve"]);
    const v = await call("POST", `/v1/executions/${a.body.execution}/outcome`, { ok: true });
    expect(v.body).toMatchObject({ status: "failed", violation: { code: "W7004" } });
    const b = await call("POST", "/v1/authorize", { request: req("ed", "write") });
    expect((await call("POST", `/v1/executions/${b.body.execution}/outcome`, { ok: true, obligations: ["approve"] })).body).toMatchObject({ status: "executed" });
    const c = await call("POST", "/v1/authorize", { request: req("ed", "write") });
    expect((await call("POST", `/v1/executions/${c.body.execution}/outcome`, { ok: false, detail: "disk full", obligations: ["approve"] })).body).toMatchObject({ status: "failed" });
    expect(s.node.index.get(c.body.execution)?.status).toBe("failed");
  });
});

/**
 * Run `body` against a server of its own (artifacts valid 60 s) on a clock the test moves
 * (`clock.now`, from 2030-01-01T00:00:00Z), closed afterwards.
 */
async function onClock(
  options: { readonly maxInFlight?: number; readonly indexLimit?: number },
  body: (b: WritServer, post: (url: string, payload: object) => Promise<LightMyRequestResponse>, clock: { now: number }) => Promise<void>,
): Promise<void> {
  const clock = { now: NOW.getTime() };
  const b = await testServer({ bundle: compileBundle(policies, schema), entities, clock: () => new Date(clock.now), artifactTtlMs: 60_000, ...options });
  try {
    await body(b, (url, payload) => b.app.inject({ method: "POST", url, payload }), clock);
  } finally {
    await b.close();
  }
}

describe("back-pressure", () => {
  it("answers busy (503 W8009, Retry-After) while maxInFlight unexpired authorizations wait; an outcome or an expiry frees a slot", async () => {
    await onClock({ maxInFlight: 2 }, async (b, post, clock) => {
      const inFlight = async (): Promise<string | undefined> => /^writ_executions_in_flight (\d+)$/m.exec((await b.app.inject({ method: "GET", url: "/metrics" })).body)?.[1];
      const first = (await post("/v1/authorize", { request: req("vi", "read") })).json() as { execution: string };
      clock.now += 30_000;
      const second = (await post("/v1/authorize", { request: req("vi", "read") })).json() as { execution: string };
      expect(await inFlight()).toBe("2");
      const before = b.node.log.size;
      const busy = await post("/v1/authorize", { request: req("vi", "read") });
      expect(busy.statusCode).toBe(503);
      expect(busy.json()).toMatchObject({ code: "W8009" });
      expect(busy.headers["retry-after"]).toBe("1");
      expect(b.node.log.size).toBe(before);
      // An outcome frees its slot.
      expect((await post(`/v1/executions/${second.execution}/outcome`, { ok: true })).statusCode).toBe(200);
      const third = (await post("/v1/authorize", { request: req("vi", "read") })).json() as { execution: string };
      expect(third.execution).toMatch(/^exec:/);
      expect((await post("/v1/authorize", { request: req("vi", "read") })).statusCode).toBe(503);
      // The first artifact expires at 00:01:00: from then on it no longer counts.
      clock.now = Date.parse("2030-01-01T00:00:59.999Z");
      expect((await post("/v1/authorize", { request: req("vi", "read") })).statusCode).toBe(503);
      clock.now = Date.parse("2030-01-01T00:01:00.000Z");
      expect(await inFlight()).toBe("1");
      expect((await post("/v1/authorize", { request: req("vi", "read") })).statusCode).toBe(200);
      // Its outcome is still taken after the expiry.
      const late = await post(`/v1/executions/${first.execution}/outcome`, { ok: true });
      expect(late.statusCode).toBe(200);
      expect(late.json()).toMatchObject({ execution: first.execution, status: "executed" });
    });
  });
});

describe("the execution index window", () => {
  it("keeps the latest --index-limit executions; an execution that left it takes its outcome until its artifact expires", async () => {
    await onClock({ indexLimit: 3 }, async (b, post, clock) => {
      const authorize = async (): Promise<string> => ((await post("/v1/authorize", { request: req("vi", "read") })).json() as { execution: string }).execution;
      const done = (execution: string) => post(`/v1/executions/${execution}/outcome`, { ok: true });
      const waiting = await authorize();
      const completed: string[] = [];
      for (let i = 0; i < 5; i++) {
        const e = await authorize();
        expect((await done(e)).statusCode).toBe(200);
        completed.push(e);
      }
      const listed = (await b.app.inject({ method: "GET", url: "/v1/lineage/executions" })).json() as { executions: { execution: string }[] };
      expect(listed.executions.map((r) => r.execution)).toEqual(completed.slice(-3));
      expect((await done(waiting)).json()).toMatchObject({ execution: waiting, status: "executed" });
      // One more waits, its artifact expires, and it leaves the index: its outcome is refused.
      const late = await authorize();
      clock.now += 61_000;
      for (let i = 0; i < 3; i++) await done(await authorize());
      const refused = await done(late);
      expect(refused.statusCode).toBe(404);
      expect(refused.json()).toMatchObject({ code: "W8013" });
    });
  });
});

describe("decide", () => {
  it("answers the decision record and records nothing; bad input is a 400", async () => {
    const before = s.node.log.size;
    const r = await call("POST", "/v1/decide", req("ed", "write"));
    expect(r.body).toMatchObject({ format: "writ-decision/2", decision: "allow", obligations: { approve: true } });
    expect((await call("POST", "/v1/decide", { ...req("ed", "write"), action: { type: "Action", id: "fly" } })).body).toMatchObject({ code: "W8004" });
    expect(s.node.log.size).toBe(before);
  });
});

describe("lineage reads", () => {
  it("the checkpoint, proven events (by id or index), consistency proofs", async () => {
    const cp = await call("GET", "/v1/lineage/checkpoint");
    expect(cp.body).toMatchObject({ origin: s.node.log.origin, size: s.node.log.size, verifierKey: s.node.log.verifierKey });
    expect(cp.body.checkpoint).toContain(`${s.node.log.size}\n`);
    const first = await call("GET", "/v1/lineage/events/0");
    expect(first.body).toMatchObject({ index: 0, event: { phase: "requested" } });
    expect((await call("GET", `/v1/lineage/events/${first.body.id}`)).body).toEqual(first.body);
    expect((await call("GET", "/v1/lineage/events/sha256:nope")).status).toBe(404);
    expect((await call("GET", "/v1/lineage/events/999999")).status).toBe(404);
    const proof = await call("GET", `/v1/lineage/proof/${first.body.id}`);
    expect(verifyProof(JSON.parse(proof.text), s.node.log.publicKey, { ed25519 })).toMatchObject({ ok: true, index: 0 });
    const cons = await call("GET", "/v1/lineage/consistency?from=2");
    expect(cons.body).toMatchObject({ format: "writ-consistency-proof/1", from: 2, to: s.node.log.size });
    expect((await call("GET", "/v1/lineage/consistency?from=0")).status).toBe(400);
    expect((await call("GET", "/v1/lineage/consistency?from=abc")).status).toBe(400);
  });

  it("queries executions by principal, action and verdict, page by page", async () => {
    const denies = await call("GET", `/v1/lineage/executions?principal=${encodeURIComponent('User::"vi"')}&decision=deny`);
    expect(denies.body.executions.length).toBeGreaterThan(0);
    for (const e of denies.body.executions) expect(e).toMatchObject({ principal: 'User::"vi"', decision: "deny" });
    const page1 = await call("GET", "/v1/lineage/executions?limit=2");
    expect(page1.body.executions).toHaveLength(2);
    const page2 = await call("GET", `/v1/lineage/executions?limit=2&after=${encodeURIComponent(page1.body.next)}`);
    expect(page2.body.executions[0].seq).toBe(2);
    expect((await call("GET", "/v1/lineage/executions?after=nope")).status).toBe(400);
    expect((await call("GET", "/v1/lineage/executions?decision=maybe")).status).toBe(400);
    expect((await call("GET", "/v1/lineage/executions?limit=0")).status).toBe(400);
  });
});

describe("across a restart (SQLite log)", () => {
  it("the index rebuilt from the log at start-up answers as the live one did: executions, their trees and the bundles used", async () => {
    const dir = tempDir();
    const { bundle, entities: ents } = projectBundle("authzen-todo");
    const users = ["CiRmZDA2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs", "CiRmZDE2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs"];
    const actions = ["can_read_todos", "can_delete_todo"];
    const seen = async (srv: WritServer) => {
      const get = async (url: string) => (await srv.app.inject({ method: "GET", url })).json() as { executions?: { execution: string }[] };
      const executions = await get("/v1/lineage/executions?limit=100");
      const trees = await Promise.all((executions.executions ?? []).map((e) => get(`/v1/lineage/tree/${e.execution}`)));
      return { executions, trees, bundles: await get("/v1/lineage/bundles") };
    };
    const one = await testServer({ dir, bundle, entities: ents });
    let allowed = 0;
    for (let k = 0; k < 8; k++) {
      const request = { principal: { type: "user", id: users[k % 2]! }, action: { type: "Action", id: actions[(k >> 1) % 2]! }, resource: { type: "todo", id: `t${k}` }, context: {} };
      const a = (await one.app.inject({ method: "POST", url: "/v1/authorize", payload: { request } })).json() as { allowed: boolean; execution: string };
      // Some allowed executions take an outcome, some stay authorized.
      if (a.allowed && allowed++ % 2 === 0) await one.app.inject({ method: "POST", url: `/v1/executions/${a.execution}/outcome`, payload: { ok: true } });
    }
    const before = await seen(one);
    await one.close();
    const two = await testServer({ dir, bundle, entities: ents });
    try {
      expect(before.executions.executions).toHaveLength(8);
      expect(allowed).toBeGreaterThan(1);
      expect(await seen(two)).toEqual(before);
    } finally {
      await two.close();
    }
  });

  it("an execution authorized before the restart takes its outcome after it; the proof is the CLI's proof", async () => {
    const dir = tempDir();
    const { bundle, entities: ents } = projectBundle("authzen-todo");
    const request = { principal: { type: "user", id: "CiRmZDE2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs" }, action: { type: "Action", id: "can_read_todos" }, resource: { type: "todo", id: "t" }, context: {} };
    const one = await testServer({ dir, bundle, entities: ents });
    const a = (await one.app.inject({ method: "POST", url: "/v1/authorize", payload: { request } })).json() as { execution: string; authorizedEvent: string };
    await one.close();
    const two = await testServer({ dir, bundle, entities: ents });
    try {
      expect(two.node.index.get(a.execution)).toMatchObject({ status: "authorized", authorizedEvent: a.authorizedEvent });
      const done = await two.app.inject({ method: "POST", url: `/v1/executions/${a.execution}/outcome`, payload: { ok: true } });
      expect(done.json()).toMatchObject({ status: "executed" });
      const served = (await two.app.inject({ method: "GET", url: `/v1/lineage/proof/${a.authorizedEvent}` })).body;
      await two.close();
      const cli = spawnSync(process.execPath, [join(ROOT, "bin", "writ.js"), "lineage", "prove", a.authorizedEvent, "--dir", dir], { encoding: "utf8" });
      expect(cli.status).toBe(0);
      expect(served).toBe(cli.stdout);
    } finally {
      await two.close();
    }
  });
});
