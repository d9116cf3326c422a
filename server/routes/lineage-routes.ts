/**
 * Lineage reads (scope `read-lineage`). Everything shown is proven first: an event is returned
 * only after its inclusion proof against the latest signed checkpoint verifies.
 *
 * - `GET /v1/lineage/checkpoint` → `{origin, size, checkpoint, verifierKey}` (the signed note);
 * - `GET /v1/lineage/events/:id` → `{id, index, event}` (`:id` an event id or an index);
 * - `GET /v1/lineage/proof/:id` → the proof file, byte for byte what `writ lineage prove` writes;
 * - `GET /v1/lineage/consistency?from=<size>` → a consistency proof to the latest checkpoint;
 * - `GET /v1/lineage/executions?principal=&action=&decision=&after=&limit=` → a page of the
 *   execution index (`principal` and `action` as `Type::"id"`; `after` the `next` of the
 *   previous page).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ed25519, problem, runtimeCrypto, verifyProof, type LineageProof } from "../../runtime/index.js";
import type { RouteContext } from "../app.js";
import { sendProblem } from "../errors.js";
import { checkpointSchema, consistencySchema, eventSchema, executionsSchema, proofSchema } from "../schemas.js";

/** An event reference from a path: a decimal index or an event id. */
function eventRef(text: string): string | number {
  return /^(0|[1-9][0-9]{0,15})$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : text;
}

type ById = FastifyRequest<{ Params: { id: string } }>;

/** The lineage-reads plugin. */
export async function lineageRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const log = ctx.node.log;

  /** A proof of the event, checked against the log's own key before it is shown. */
  const proven = async (id: string, reply: FastifyReply): Promise<LineageProof | undefined> => {
    const r = await log.prove(eventRef(id));
    if (!r.ok) {
      sendProblem(reply, r.problem);
      return undefined;
    }
    const check = verifyProof(r.proof, log.publicKey, { ed25519, hasher: runtimeCrypto.merkle });
    if (!check.ok) {
      sendProblem(reply, problem("W6201", { detail: `the stored event does not verify: ${check.problem.message}` }));
      return undefined;
    }
    return r.proof;
  };

  app.get("/v1/lineage/checkpoint", { schema: checkpointSchema, config: { scope: "read-lineage", name: "lineage" } }, async (_request, reply) => {
    const note = log.checkpoint;
    if (note === undefined) return sendProblem(reply, problem("W6211", { event: "(the log is empty)" }));
    return reply.send({ origin: log.origin, size: log.size, checkpoint: note, verifierKey: log.verifierKey });
  });

  app.get("/v1/lineage/events/:id", { schema: eventSchema, config: { scope: "read-lineage", name: "lineage" } }, async (request: ById, reply) => {
    const proof = await proven(request.params.id, reply);
    if (proof === undefined) return reply;
    return reply.send({ id: proof.id, index: proof.index, event: proof.event });
  });

  app.get("/v1/lineage/proof/:id", { schema: proofSchema, config: { scope: "read-lineage", name: "lineage" } }, async (request: ById, reply) => {
    const proof = await proven(request.params.id, reply);
    if (proof === undefined) return reply;
    return reply.type("application/json; charset=utf-8").send(`${JSON.stringify(proof, null, 2)}\n`);
  });

  app.get("/v1/lineage/consistency", { schema: consistencySchema, config: { scope: "read-lineage", name: "lineage" } }, async (request: FastifyRequest<{ Querystring: { from: string } }>, reply) => {
    const r = await log.consistency(Number(request.query.from));
    if (!r.ok) return sendProblem(reply, r.problem);
    return reply.send(r.proof);
  });

  app.get(
    "/v1/lineage/executions",
    { schema: executionsSchema, config: { scope: "read-lineage", name: "executions" } },
    async (request: FastifyRequest<{ Querystring: { principal?: string; action?: string; decision?: "allow" | "deny"; after?: string; limit?: string } }>, reply) => {
      const q = request.query;
      const page = ctx.node.index.query({
        ...(q.principal === undefined ? {} : { principal: q.principal }),
        ...(q.action === undefined ? {} : { action: q.action }),
        ...(q.decision === undefined ? {} : { decision: q.decision }),
        ...(q.after === undefined ? {} : { after: q.after }),
        ...(q.limit === undefined ? {} : { limit: Number(q.limit) }),
      });
      if ("error" in page) return sendProblem(reply, problem("W8004", { detail: page.error }));
      return reply.send(page);
    },
  );
}
