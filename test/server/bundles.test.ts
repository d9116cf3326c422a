/**
 * Live bundles and entities: `GET|PUT /v1/bundle` (signature, ids and rollback checked, entities
 * re-checked against a new schema, atomic swap), `--watch` reloads, `PUT|PATCH|DELETE
 * /v1/entities` (new snapshots with their ids), `GET /v1/entities/:type/:id` — and a bundle
 * swap under concurrent load over a real socket with no failed request.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileBundle, postJson, project, projectBundle, tempDir, testServer } from "../support/servers.js";

const MORTY = "CiRmZDE2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs";
const BETH = "CiRmZDM2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs";
const todo = project("authzen-todo");
/** The todo policies with creation open to everyone (a visible change of meaning). */
const openCreate = `${todo.policies}\n@id("anyone-creates") permit (principal, action == Action::"can_create_todo", resource);\n`;
const create = (who: string) => ({ subject: { type: "user", id: who }, action: { name: "can_create_todo" }, resource: { type: "todo", id: "t" } });

describe("bundles", () => {
  it("GET answers the bundle as accepted; PUT swaps a newer signed bundle and refuses the rest", async () => {
    const { bundle, entities } = projectBundle("authzen-todo", 1);
    const s = await testServer({ bundle, entities });
    try {
      const got = await s.app.inject({ method: "GET", url: "/v1/bundle" });
      expect(got.json()).toEqual(bundle);
      expect(got.headers["x-writ-bundle-id"]).toBe(bundle.bundleId);
      const put = (b: unknown) => s.app.inject({ method: "PUT", url: "/v1/bundle", payload: b as object });
      const ask = async () => (await s.app.inject({ method: "POST", url: "/access/v1/evaluation", payload: create(BETH) })).json();
      expect(await ask()).toEqual({ decision: false });

      const v2 = compileBundle(openCreate, todo.schema, { sequence: 2 });
      const ok = await put(v2);
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toMatchObject({ bundleId: v2.bundleId, sequence: 2, entities: 5 });
      expect(await ask()).toEqual({ decision: true });

      expect((await put(compileBundle(todo.policies, todo.schema, { sequence: 1 }))).json()).toMatchObject({ code: "W6104" });
      expect((await put(compileBundle(openCreate, todo.schema, { sequence: 3, signed: false }))).json()).toMatchObject({ code: "W6103" });
      const tampered = { ...compileBundle(openCreate, todo.schema, { sequence: 4 }), sequence: 5 };
      expect((await put(tampered)).json()).toMatchObject({ code: "W6101" });
      expect((await put({ format: "nope" })).statusCode).toBe(400);
      expect((await s.app.inject({ method: "GET", url: "/readyz" })).json()).toMatchObject({ bundleId: v2.bundleId, sequence: 2 });
      expect(await ask()).toEqual({ decision: true });
    } finally {
      await s.close();
    }
  });

  it("re-checks the loaded entities against a new schema and refuses a bundle they do not fit", async () => {
    const { bundle, entities } = projectBundle("authzen-todo", 1);
    const s = await testServer({ bundle, entities });
    try {
      const stricter = todo.schema.replace("picture: String", "picture: String,\n  age: Long");
      const r = await s.app.inject({ method: "PUT", url: "/v1/bundle", payload: compileBundle(todo.policies, stricter, { sequence: 2 }) as object });
      expect(r.statusCode).toBe(400);
      expect(r.json().code).toBe("W5003");
      expect(s.node.snapshot?.bundle.bundleId).toBe(bundle.bundleId);
    } finally {
      await s.close();
    }
  });

  it("without a bundle key, bundle updates are refused", async () => {
    const { bundle, entities } = projectBundle("authzen-todo", 1);
    const s = await testServer({ bundle: compileBundle(todo.policies, todo.schema, { signed: false }), entities, bundleKey: undefined });
    try {
      const r = await s.app.inject({ method: "PUT", url: "/v1/bundle", payload: bundle as object });
      expect(r.statusCode).toBe(409);
      expect(r.json().code).toBe("W8016");
    } finally {
      await s.close();
    }
  });

  it("--watch reloads the bundle file when it changes, and keeps the old one when the new one is refused", async () => {
    const dir = tempDir();
    const file = join(dir, "bundle.json");
    const { bundle, entities } = projectBundle("authzen-todo", 1);
    writeFileSync(file, JSON.stringify(bundle));
    const s = await testServer({ bundle, entities, watchBundle: { file, intervalMs: 50 } });
    const until = async (cond: () => boolean) => {
      for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
      return cond();
    };
    try {
      const v2 = compileBundle(openCreate, todo.schema, { sequence: 2 });
      writeFileSync(file, JSON.stringify(v2));
      expect(await until(() => s.node.snapshot?.bundle.bundleId === v2.bundleId)).toBe(true);
      writeFileSync(file, "{ not json");
      writeFileSync(file, JSON.stringify(compileBundle(todo.policies, todo.schema, { sequence: 1 })));
      await new Promise((r) => setTimeout(r, 300));
      expect(s.node.snapshot?.bundle.bundleId).toBe(v2.bundleId);
    } finally {
      await s.close();
    }
  });
});

describe("entities", () => {
  it("PUT, PATCH and DELETE make new snapshots; GET reads one entity", async () => {
    const { bundle, entities } = projectBundle("authzen-todo", 1);
    const s = await testServer({ bundle, entities });
    try {
      const id0 = s.node.snapshot!.store.id;
      const get = async (id: string) => s.app.inject({ method: "GET", url: `/v1/entities/user/${encodeURIComponent(id)}` });
      expect((await get(MORTY)).json()).toMatchObject({ uid: { type: "user", id: MORTY }, attrs: { email: "morty@the-citadel.com" } });
      expect((await get("nobody")).statusCode).toBe(404);

      const beth = (entities as { uid: { id: string }; attrs: Record<string, unknown> }[]).find((e) => e.uid.id === BETH)!;
      const patch = await s.app.inject({ method: "PATCH", url: "/v1/entities", payload: { upsert: [{ ...beth, attrs: { ...beth.attrs, roles: ["editor"] } }] } });
      expect(patch.statusCode).toBe(200);
      const id1 = patch.json().entitiesId as string;
      expect(id1).not.toBe(id0);
      expect((await s.app.inject({ method: "POST", url: "/access/v1/evaluation", payload: create(BETH) })).json()).toEqual({ decision: true });

      const del = await s.app.inject({ method: "DELETE", url: "/v1/entities", payload: [{ type: "user", id: BETH }] });
      expect(del.json()).toMatchObject({ entities: 4 });
      expect((await get(BETH)).statusCode).toBe(404);

      const put = await s.app.inject({ method: "PUT", url: "/v1/entities", payload: entities as object });
      expect(put.json()).toMatchObject({ entitiesId: id0, entities: 5 });
      expect((await s.app.inject({ method: "PATCH", url: "/v1/entities", payload: { upsert: [{ ...beth, attrs: { roles: "x" } }] } })).statusCode).toBe(400);
      expect((await s.app.inject({ method: "PATCH", url: "/v1/entities", payload: { replace: [] } })).statusCode).toBe(400);
      expect(s.node.snapshot!.store.id).toBe(id0);
    } finally {
      await s.close();
    }
  });
});

describe("a bundle swap under concurrent load", () => {
  it("every request succeeds, each decided by one bundle or the other", async () => {
    const { bundle, entities } = projectBundle("authzen-todo", 1);
    const s = await testServer({ bundle, entities });
    const listening = await s.listen({ host: "127.0.0.1", port: 0 });
    if (!listening.ok) throw new Error(listening.problem.message);
    try {
      const url = `${listening.url}/access/v1/evaluation?explain=true`;
      const bundles = [2, 3, 4, 5].map((sequence) => compileBundle(sequence % 2 === 0 ? openCreate : todo.policies, todo.schema, { sequence }));
      const known = new Set([bundle.bundleId, ...bundles.map((b) => b.bundleId)]);
      let stop = false;
      const worker = async () => {
        const seen: { status: number; bundleId: string; decision: boolean }[] = [];
        while (!stop) {
          const r = await postJson(url, create(BETH));
          const body = r.body as { decision: boolean; context: { writ: { bundleId: string } } };
          seen.push({ status: r.status, bundleId: body.context?.writ?.bundleId, decision: body.decision });
        }
        return seen;
      };
      const workers = Array.from({ length: 16 }, worker);
      for (const b of bundles) {
        await new Promise((r) => setTimeout(r, 60));
        const swapped = await fetch(`${listening.url}/v1/bundle`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(b) });
        expect(swapped.status).toBe(200);
      }
      await new Promise((r) => setTimeout(r, 60));
      stop = true;
      const results = (await Promise.all(workers)).flat();
      expect(results.length).toBeGreaterThan(bundles.length * 4);
      expect(results.filter((r) => r.status !== 200)).toEqual([]);
      for (const r of results) {
        expect(known.has(r.bundleId)).toBe(true);
        // The open-create bundles (even sequences) allow, the others deny: never a mix within one decision.
        const sequence = r.bundleId === bundle.bundleId ? 1 : bundles.find((b) => b.bundleId === r.bundleId)!.sequence;
        expect(r.decision).toBe(sequence % 2 === 0);
      }
      expect(new Set(results.map((r) => r.bundleId)).size).toBeGreaterThan(1);
      expect(s.node.snapshot?.bundle.sequence).toBe(5);
    } finally {
      await s.close();
    }
  });
});
