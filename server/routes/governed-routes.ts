/**
 * Governed execution over HTTP:
 *
 * - `POST /v1/decide` (scope `decide`): a Cedar request → its decision record; nothing is
 *   recorded. Input that does not fit the bundle's schema is a 400 naming the problem.
 * - `POST /v1/authorize` (scope `authorize`): `{request, parent?}` → `requested` and the decision
 *   are recorded durably; the answer has the decision record, the execution id, the recorded
 *   events and, for an allow, a signed authorization artifact. A deny is a 200 with
 *   `allowed: false` and the problem that says why. The actor recorded is the token's name
 *   (`local` without tokens).
 * - `POST /v1/executions/:id/outcome` (scope `authorize`): `{ok, detail?, resultDigest?,
 *   obligations?}` → `verified`, `executed`/`failed` and `audited` recorded; an obligation the
 *   outcome does not confirm makes it a violation (`failed`, W7004, returned as `violation`).
 *
 * A mesh node failing closed (split view W8506, behind its pins W8510) refuses `decide` and
 * `authorize` with that problem (503) and records nothing; AuthZEN evaluations answer false.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { decide, problem, type RequestJson } from "../../runtime/index.js";
import type { RouteContext } from "../app.js";
import { sendProblem } from "../errors.js";
import { authorizeSchema, decideSchema, outcomeSchema } from "../schemas.js";

/** The actor recorded for requests without tokens. */
export const LOCAL_ACTOR = "local";

/** Serialize an answer with JSON.stringify. */
function plainJson(data: unknown): string {
  return JSON.stringify(data);
}

/** The governed-execution plugin. */
export async function governedRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  app.post("/v1/decide", { schema: decideSchema, config: { scope: "decide", name: "decide" } }, async (request, reply) => {
    const s = ctx.node.snapshot;
    if (s === undefined) return sendProblem(reply, problem("W8008"));
    const held = ctx.node.held();
    if (held !== undefined) return sendProblem(reply, held);
    const record = decide(s.bundle, request.body as RequestJson, s.store);
    const input = record.errors.filter((e) => e.policy === "");
    if (input.length > 0) {
      return sendProblem(
        reply,
        problem("W8004", { detail: `invalid request: ${input[0]!.message}` }),
        input.map((e) => `${e.code}: ${e.message}`),
      );
    }
    ctx.metrics.decision("decide", record.decision === "allow");
    return reply.send(record);
  });

  // NOTE: the answer is built field by field below in the schema's order and its decision and artifact are open objects, so
  // JSON.stringify gives the bytes the schema's compiled serializer gives, with a fraction of its garbage (~5 KB per answer).
  app.post("/v1/authorize", { schema: authorizeSchema, serializerCompiler: () => plainJson, config: { scope: "authorize", name: "authorize" } }, async (request: FastifyRequest<{ Body: { request: unknown; parent?: string } }>, reply) => {
    const actor = request.caller?.name ?? LOCAL_ACTOR;
    const r = await ctx.node.authorize(request.body.request, { actor, ...(request.body.parent === undefined ? {} : { parent: request.body.parent }) });
    if (!r.ok) return sendProblem(reply, r.problem, r.details, r.problem.code === "W8009" ? { "retry-after": "1" } : {});
    const a = r.authorization;
    ctx.metrics.decision("authorize", a.allowed);
    return reply.send({
      execution: a.execution,
      allowed: a.allowed,
      ...(a.decisionRecord === undefined ? {} : { decision: a.decisionRecord }),
      events: a.events,
      ...(a.authorizedEvent === undefined ? {} : { authorizedEvent: a.authorizedEvent, obligations: a.obligations }),
      ...(r.artifact === undefined ? {} : { artifact: r.artifact, expiresAt: r.expiresAt }),
      ...(a.problem === undefined ? {} : { problem: { code: a.problem.code, message: a.problem.message } }),
    });
  });

  app.post(
    "/v1/executions/:id/outcome",
    { schema: outcomeSchema, config: { scope: "authorize", name: "outcome" } },
    async (request: FastifyRequest<{ Params: { id: string }; Body: { ok: boolean; detail?: string; resultDigest?: string; obligations?: string[] } }>, reply) => {
      const r = await ctx.node.complete(request.params.id, request.body);
      if (!r.ok) return sendProblem(reply, r.problem, r.details);
      return reply.send({
        execution: request.params.id,
        status: r.status,
        events: r.events,
        ...(r.violation === undefined ? {} : { violation: { code: r.violation.code, message: r.violation.message } }),
      });
    },
  );
}
