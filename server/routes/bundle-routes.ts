/**
 * Live bundles and entities:
 *
 * - `GET /v1/bundle` (scope `read-lineage`): the bundle as accepted (signature included), its id
 *   in `X-Writ-Bundle-Id`;
 * - `PUT /v1/bundle` (scope `admin`): a bundle signed by the key the server was started with
 *   (`--key`); ids and signature re-checked, rollback refused, the entities re-checked against
 *   its schema; swapped atomically (requests in flight finish on the old one);
 * - `PUT /v1/entities` (every entity), `PATCH /v1/entities` (`{upsert?, remove?}`),
 *   `DELETE /v1/entities` (a list of uids) — scope `admin` — each makes a new snapshot and
 *   answers with its id;
 * - `GET /v1/entities/:type/:id` (scope `admin`): one entity in canonical form.
 *
 * Bundles can be larger than decision requests: these routes take the bundle body limit.
 * A mesh node refuses the changing routes (W8016): it decides on the mesh's pins only.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { problem, type EntityChanges, type EntityUidJson } from "../../runtime/index.js";
import type { RouteContext } from "../app.js";
import type { Snapshot, NodeFailure } from "../decision-node.js";
import { sendProblem } from "../errors.js";
import { bundleGetSchema, bundlePutSchema, entitiesDeleteSchema, entitiesPatchSchema, entitiesPutSchema, entityGetSchema } from "../schemas.js";

/** What a snapshot-changing route answers. */
function summary(s: Snapshot): { bundleId: string; sequence: number; entitiesId: string; entities: number } {
  return { bundleId: s.bundle.bundleId, sequence: s.bundle.sequence, entitiesId: s.store.id, entities: s.store.size };
}

/** The bundles-and-entities plugin. */
export async function bundleRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const admin = { bodyLimit: ctx.bundleBodyLimit };
  /** A mesh node decides on the mesh's pins only: local changes would split it from the others. */
  const pinned = (reply: FastifyReply): FastifyReply | undefined =>
    ctx.mesh === undefined ? undefined : sendProblem(reply, problem("W8016", { detail: `this node follows the pins of mesh ${ctx.mesh.mesh}: publish with \`writ mesh publish\`` }));
  const answer = (reply: FastifyReply, r: { readonly ok: true; readonly snapshot: Snapshot } | NodeFailure): FastifyReply => {
    if (!r.ok) return sendProblem(reply, r.problem, r.details);
    ctx.metrics.entitiesLoaded(r.snapshot.store.id);
    return reply.send(summary(r.snapshot));
  };

  app.get("/v1/bundle", { schema: bundleGetSchema, config: { scope: "read-lineage", name: "bundle" } }, async (_request, reply) => {
    const s = ctx.node.snapshot;
    if (s === undefined) return sendProblem(reply, problem("W8008"));
    reply.header("x-writ-bundle-id", s.bundle.bundleId);
    return reply.send(s.bundleJson);
  });

  app.put("/v1/bundle", { ...admin, schema: bundlePutSchema, config: { scope: "admin", name: "bundle" } }, async (request, reply) => {
    if (pinned(reply) !== undefined) return reply;
    if (!ctx.node.acceptsBundleUpdates) {
      return sendProblem(reply, problem("W8016", { detail: "bundle updates must be signed: start writ serve with --key <signer.pub> to accept them" }));
    }
    const r = ctx.node.loadBundle(request.body);
    if (r.ok) {
      ctx.metrics.bundleLoaded(r.snapshot.bundle.bundleId, r.snapshot.bundle.sequence, r.snapshot.bundle.keyId);
      ctx.onBundle(r.snapshot, "api");
    }
    return answer(reply, r);
  });

  app.put("/v1/entities", { ...admin, schema: entitiesPutSchema, config: { scope: "admin", name: "entities" } }, async (request, reply) => pinned(reply) ?? answer(reply, ctx.node.replaceEntities(request.body)));

  app.patch("/v1/entities", { ...admin, schema: entitiesPatchSchema, config: { scope: "admin", name: "entities" } }, async (request, reply) =>
    pinned(reply) ?? answer(reply, ctx.node.updateEntities(request.body as EntityChanges)),
  );

  app.delete("/v1/entities", { ...admin, schema: entitiesDeleteSchema, config: { scope: "admin", name: "entities" } }, async (request, reply) =>
    pinned(reply) ?? answer(reply, ctx.node.updateEntities({ remove: request.body as EntityUidJson[] })),
  );

  app.get("/v1/entities/:type/:id", { schema: entityGetSchema, config: { scope: "admin", name: "entity" } }, async (request: FastifyRequest<{ Params: { type: string; id: string } }>, reply) => {
    const s = ctx.node.snapshot;
    if (s === undefined) return sendProblem(reply, problem("W8008"));
    const e = s.store.get({ type: request.params.type, id: request.params.id });
    if (e === undefined) return sendProblem(reply, problem("W8019", { detail: `no entity ${request.params.type}::${JSON.stringify(request.params.id)} in snapshot ${s.store.id}` }));
    reply.header("x-writ-entities-id", s.store.id);
    return reply.send(e);
  });
}
