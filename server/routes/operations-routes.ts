/**
 * Operations (no token needed: orchestrators and scrapers call them):
 *
 * - `GET /healthz` → 200 `{status: "ok"}` while the process serves requests;
 * - `GET /readyz` → 200 with the bundle, entity snapshot and log size once a bundle is loaded
 *   and the lineage log is writable (and `bundleRefused` — when, code, message — while the last
 *   bundle update was refused: the node still decides with the bundle it has); 503 with the
 *   reasons otherwise; both say whether the data routes need a bearer token (`auth`) (fail
 *   closed: with no valid bundle every decision is deny; a mesh node failing closed names the
 *   split view (W8506) or the pins it is behind (W8510));
 * - `GET /metrics` → the Prometheus text of this instance's registry (see `metrics.ts`).
 */
import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../app.js";
import { healthSchema, readySchema } from "../schemas.js";

/** The operations plugin. */
export async function operationsRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  app.get("/healthz", { schema: healthSchema, config: { name: "healthz" } }, async () => ({ status: "ok" }));

  app.get("/readyz", { schema: readySchema, config: { name: "readyz" } }, async (_request, reply) => {
    const s = ctx.node.snapshot;
    const reasons: string[] = [];
    if (s === undefined) reasons.push("no valid bundle is loaded");
    if (!ctx.node.log.writable) reasons.push("the lineage log is not writable");
    if (ctx.closing()) reasons.push("the server is closing");
    const held = ctx.node.held();
    if (held !== undefined) reasons.push(`${held.code} ${held.message}`);
    const log = { size: ctx.node.log.size, origin: ctx.node.log.origin };
    const auth = ctx.tokens ? "bearer" : "none";
    // A mesh node names its mesh, so clients (the console) know to ask GET /v1/mesh.
    const mesh = ctx.mesh === undefined ? {} : { mesh: ctx.mesh.mesh };
    if (reasons.length > 0 || s === undefined) return reply.code(503).send({ status: "not-ready", reasons, log, auth, ...mesh });
    const refused = ctx.node.bundleRefusal;
    return reply.send({ status: "ready", node: ctx.node.name, bundleId: s.bundle.bundleId, sequence: s.bundle.sequence, entitiesId: s.store.id, log, auth, ...mesh, ...(refused === undefined ? {} : { bundleRefused: refused }) });
  });

  app.get("/metrics", { config: { name: "metrics" } }, async (_request, reply) => {
    const text = await ctx.metrics.render();
    return reply.type(ctx.metrics.contentType).send(text);
  });
}
