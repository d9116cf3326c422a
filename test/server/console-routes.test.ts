/**
 * What the console reads from `writ serve`: the execution DAG (`/v1/lineage/tree/:id`), proofs
 * in batches, the bundles the log names (each stored bundle re-hashes to its id), searches by
 * resource, node and time, a refused bundle on `/readyz`; and the console's static files with
 * their content types and CSP — or a 503 page that says how to build it.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadBundle, verifyProof } from "../../runtime/index.js";
import { CONSOLE_CSP, type ExecutionTree, type WritServer } from "../../server/index.js";
import { projectBundle, tempDir, testServer } from "../support/servers.js";

const human = { principal: { type: "Ops::Human", id: "alice" }, action: { type: "Ops::Action", id: "approve" }, resource: { type: "Ops::Plan", id: "p1" }, context: {} };
const agent = (resource: string) => ({ principal: { type: "Ops::Agent", id: "planner" }, action: { type: "Ops::Action", id: "run" }, resource: { type: "Ops::Resource", id: resource }, context: { step: resource } });

let s: WritServer;
let root: string;
let child: string;
let grandchildren: string[];
let consoleDir: string;

async function authorize(request: unknown, parent?: string): Promise<{ execution: string; authorizedEvent?: string; allowed: boolean }> {
  const r = await s.app.inject({ method: "POST", url: "/v1/authorize", payload: { request, ...(parent === undefined ? {} : { parent }) } });
  expect(r.statusCode, r.body).toBe(200);
  return r.json();
}

async function get(url: string): Promise<{ status: number; json: () => unknown; body: string; headers: Record<string, unknown> }> {
  const r = await s.app.inject({ method: "GET", url });
  return { status: r.statusCode, json: () => r.json(), body: r.body, headers: r.headers };
}

beforeAll(async () => {
  consoleDir = tempDir("writ-console-dist-");
  mkdirSync(join(consoleDir, "assets"));
  writeFileSync(join(consoleDir, "index.html"), "<!doctype html><title>console</title>");
  writeFileSync(join(consoleDir, "assets", "app-1234.js"), "export {}");
  writeFileSync(join(consoleDir, "proof-viewer.html"), "<!doctype html><title>offline</title>");
  const { bundle, entities } = projectBundle("governed-agent");
  s = await testServer({ bundle, entities, node: "n1", console: consoleDir });
  const a = await authorize(human);
  root = a.execution;
  const b = await authorize(agent("ci"), a.authorizedEvent);
  child = b.execution;
  grandchildren = [];
  for (const r of ["staging-cluster", "prod-cluster"]) grandchildren.push((await authorize(agent(r), b.authorizedEvent)).execution);
  await authorize(agent("ci"));
});

afterAll(async () => s?.close());

describe("the execution DAG", () => {
  it("gives ancestors, the execution and its root's subtree, each row naming its parent", async () => {
    const r = await get(`/v1/lineage/tree/${encodeURIComponent(grandchildren[0]!)}`);
    expect(r.status).toBe(200);
    const t = r.json() as ExecutionTree;
    expect(t.root).toBe(root);
    expect(t.selected).toBe(grandchildren[0]);
    expect(t.truncated).toBe(false);
    const byId = new Map(t.executions.map((e) => [e.execution, e]));
    expect([...byId.keys()].sort()).toEqual([root, child, ...grandchildren].sort());
    expect(byId.get(child)!.parent).toBe(root);
    expect(byId.get(grandchildren[1]!)!.parent).toBe(child);
    expect(byId.get(root)!.parent).toBeUndefined();
    expect(byId.get(child)!.children).toBe(2);
  });

  it("bounds the tree, keeping the ancestors and the execution itself", async () => {
    const t = (await get(`/v1/lineage/tree/${encodeURIComponent(grandchildren[1]!)}?limit=2`)).json() as ExecutionTree;
    expect(t.truncated).toBe(true);
    expect(t.executions.map((e) => e.execution)).toEqual([root, child, grandchildren[1]]);
  });

  it("answers 404 W8013 for an execution it does not know", async () => {
    const r = await get("/v1/lineage/tree/nope");
    expect(r.status).toBe(404);
    expect(r.json()).toMatchObject({ code: "W8013" });
  });
});

describe("searches", () => {
  it("by resource, node and time", async () => {
    const q = async (query: string): Promise<string[]> => ((await get(`/v1/lineage/executions?${query}`)).json() as { executions: { execution: string }[] }).executions.map((e) => e.execution);
    expect(await q(`resource=${encodeURIComponent('Ops::Resource::"prod-cluster"')}`)).toEqual([grandchildren[1]]);
    expect(await q("node=n1")).toHaveLength(5);
    expect(await q("node=elsewhere")).toEqual([]);
    expect(await q(`since=${encodeURIComponent("2000-01-01T00:00:00Z")}&decision=deny`)).toHaveLength(1);
    expect(await q(`until=${encodeURIComponent("2000-01-01T00:00:00Z")}`)).toEqual([]);
    const bad = await get("/v1/lineage/executions?since=yesterday");
    expect(bad.status).toBe(400);
  });
});

describe("proofs and bundles", () => {
  it("proves a batch of events against one checkpoint", async () => {
    const tree = (await get(`/v1/lineage/tree/${encodeURIComponent(root)}`)).json() as ExecutionTree;
    const ids = tree.executions.flatMap((e) => e.events.map((x) => x.id));
    const r = await s.app.inject({ method: "POST", url: "/v1/lineage/proofs", payload: { ids } });
    expect(r.statusCode).toBe(200);
    const proofs = (r.json() as { proofs: { id: string; checkpoint: string }[] }).proofs;
    expect(proofs.map((p) => p.id)).toEqual(ids);
    expect(new Set(proofs.map((p) => p.checkpoint)).size).toBe(1);
    for (const p of proofs) expect(verifyProof(p, s.node.log.publicKey).ok).toBe(true);
    const missing = await s.app.inject({ method: "POST", url: "/v1/lineage/proofs", payload: { ids: [ids[0], "sha256:" + "0".repeat(64)] } });
    expect(missing.statusCode).toBe(404);
  });

  it("lists the bundles the log names and serves each as stored (it re-hashes to its id)", async () => {
    const uses = (await get("/v1/lineage/bundles")).json() as { active: string; bundles: { bundleId: string; executions: number }[] };
    expect(uses.bundles).toHaveLength(1);
    expect(uses.bundles[0]).toMatchObject({ bundleId: uses.active, executions: 5 });
    const stored = await get(`/v1/lineage/bundles/${uses.active}`);
    expect(stored.status).toBe(200);
    expect(loadBundle(stored.json()).bundle?.bundleId).toBe(uses.active);
    const entitiesId = s.node.snapshot!.store.id;
    expect((await get(`/v1/lineage/bundles/${entitiesId}`)).json()).toMatchObject({ code: "W8101" });
  });
});

describe("a refused bundle", () => {
  it("is named on /readyz until a bundle loads; the node keeps deciding with the one it has", async () => {
    const active = s.node.snapshot!.bundle.bundleId;
    const { bundle } = projectBundle("governed-agent", 0);
    const refused = await s.app.inject({ method: "PUT", url: "/v1/bundle", payload: bundle });
    expect(refused.statusCode).toBe(409);
    const ready = (await get("/readyz")).json() as { status: string; bundleId: string; bundleRefused?: { code: string; message: string } };
    expect(ready).toMatchObject({ status: "ready", bundleId: active, bundleRefused: { code: "W6104" } });
    const ok = await s.app.inject({ method: "PUT", url: "/v1/bundle", payload: projectBundle("governed-agent", 2).bundle });
    expect(ok.statusCode).toBe(200);
    expect((await get("/readyz")).json()).not.toHaveProperty("bundleRefused");
  });
});

describe("the console's files", () => {
  it("serves the build with its content type, a strict CSP, and caching by kind", async () => {
    expect((await get("/console")).status).toBe(308);
    const index = await get("/console/");
    expect(index.status).toBe(200);
    expect(index.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(index.headers["content-security-policy"]).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toContain("unsafe");
    expect(index.headers["cache-control"]).toBe("no-cache");
    const js = await get("/console/assets/app-1234.js");
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["cache-control"]).toContain("immutable");
    expect((await get("/console/proof-viewer.html")).headers["content-disposition"]).toContain("attachment");
    for (const bad of ["/console/../package.json", "/console/%2e%2e/package.json", "/console/.env", "/console/nope.js"]) expect((await get(bad)).status, bad).toBe(404);
  });

  it("says how to build it when there is no build (and the API still works)", async () => {
    const bare = await testServer({ console: join(consoleDir, "missing") });
    try {
      const page = await bare.app.inject({ method: "GET", url: "/console/", headers: { accept: "text/html" } });
      expect(page.statusCode).toBe(503);
      expect(page.body).toContain("npm run build:console");
      const api = await bare.app.inject({ method: "GET", url: "/console/" });
      expect(api.json()).toMatchObject({ code: "W8102" });
      expect((await bare.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    } finally {
      await bare.close();
    }
  });
});
