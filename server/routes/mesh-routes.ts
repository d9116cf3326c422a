/**
 * The mesh, as a node sees it (mesh nodes only; scope `read-lineage`):
 *
 * - `GET /v1/mesh` → the mesh's live state, plain JSON: `{mesh, origin, size, checkpoint: {size,
 *   root, age_s, cosignatures, signer}, pins: {bundle, entities}, nodes: [{name, ready, reason?,
 *   bundle, entities, last_seen, size, witnessed, revoked_from?}]}` (see docs/mesh.md). A
 *   server that is not a mesh node answers 404 (W8006).
 */
import type { FastifyInstance } from "fastify";
import { problem } from "../../runtime/index.js";
import type { RouteContext } from "../app.js";
import { sendProblem } from "../errors.js";
import { meshSchema } from "../schemas.js";

/** The mesh plugin. */
export async function meshRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  app.get("/v1/mesh", { schema: meshSchema, config: { scope: "read-lineage", name: "mesh" } }, async (request, reply) => {
    if (ctx.mesh === undefined) return sendProblem(reply, problem("W8006", { method: request.method, url: "/v1/mesh (this server is not a mesh node: start it with --store)" }));
    const r = await ctx.mesh.view();
    if (!r.ok) return sendProblem(reply, r.problem);
    return reply.send(r.view);
  });
}
