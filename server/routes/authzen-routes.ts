/**
 * The AuthZEN Authorization API 1.0 routes (scope `decide`; the metadata is public):
 *
 * - `POST /access/v1/evaluation` → a Decision;
 * - `POST /access/v1/evaluations` → `{evaluations: [Decision…]}` (top-level defaults,
 *   `options.evaluations_semantic`), or one Decision when there are no items;
 * - `POST /access/v1/search/{subject,resource,action}` → `{page, results}`;
 * - `GET /.well-known/authzen-configuration` → the PDP metadata.
 *
 * `?explain=true` on the evaluation routes adds `context.writ` (the decision record). The
 * mapping itself is in `authzen.ts` and `authzen-search.ts`.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { problem } from "../../runtime/index.js";
import type { RouteContext } from "../app.js";
import { batchItems, evaluate, evaluateBatch, OBLIGATION_TYPE, OBLIGATIONS_CAPABILITY, type AuthzenEvaluation, type DecideOn, type EvaluationsRequest } from "../authzen.js";
import { search, type SearchKind, type SearchRequest } from "../authzen-search.js";
import { sendProblem } from "../errors.js";
import { actionSearchSchema, entitySearchSchema, evaluationSchema, evaluationsSchema, metadataSchema } from "../schemas.js";

/** The AuthZEN paths (relative to the server's base URL). */
export const AUTHZEN_PATHS = {
  evaluation: "/access/v1/evaluation",
  evaluations: "/access/v1/evaluations",
  subject: "/access/v1/search/subject",
  resource: "/access/v1/search/resource",
  action: "/access/v1/search/action",
  metadata: "/.well-known/authzen-configuration",
} as const;

type Explained = FastifyRequest<{ Querystring: { explain?: string } }>;

/** What to decide on; undefined (every decision false) with no bundle or while the node fails closed. */
function decideOn(ctx: RouteContext): DecideOn | undefined {
  const s = ctx.node.snapshot;
  return s === undefined || ctx.node.held() !== undefined ? undefined : { bundle: s.bundle, store: s.store, actionType: s.actionType };
}

/** The base URL the metadata names: `--public-url`, else the request's scheme and host. */
function baseUrl(ctx: RouteContext, request: FastifyRequest): string {
  if (ctx.publicUrl !== undefined) return ctx.publicUrl.replace(/\/+$/, "");
  return `${request.protocol}://${request.host}`;
}

/** The AuthZEN plugin. */
export async function authzenRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  app.post(AUTHZEN_PATHS.evaluation, { schema: evaluationSchema, config: { scope: "decide", name: "evaluation" } }, async (request: Explained, reply) => {
    const on = decideOn(ctx);
    if (on === undefined) {
      ctx.metrics.decision("evaluation", false);
      return { decision: false };
    }
    const e = evaluate(on, request.body as AuthzenEvaluation, request.query.explain === "true");
    ctx.metrics.decision("evaluation", e.out.decision);
    return reply.send(e.out);
  });

  app.post(AUTHZEN_PATHS.evaluations, { schema: evaluationsSchema, config: { scope: "decide", name: "evaluations" } }, async (request: Explained, reply) => {
    const body = request.body as EvaluationsRequest;
    const batch = batchItems(body);
    if (typeof batch === "string") return sendProblem(reply, problem("W8004", { detail: `invalid request: ${batch}` }));
    const explain = request.query.explain === "true";
    const on = decideOn(ctx);
    if (on === undefined) {
      ctx.metrics.decision("evaluations", false, batch.items.length);
      return batch.single ? { decision: false } : { evaluations: batch.items.map(() => ({ decision: false })) };
    }
    const results = evaluateBatch(on, batch.items, body.options?.evaluations_semantic ?? "execute_all", explain);
    for (const r of results) ctx.metrics.decision("evaluations", r.out.decision);
    return reply.send(batch.single ? results[0]!.out : { evaluations: results.map((r) => r.out) });
  });

  const searchRoute = (kind: SearchKind) => async (request: FastifyRequest, reply: import("fastify").FastifyReply) => {
    const r = search(decideOn(ctx), kind, request.body as SearchRequest, ctx.candidates);
    if ("error" in r) return sendProblem(reply, problem("W8015", { detail: r.error }));
    return reply.send(r);
  };
  app.post(AUTHZEN_PATHS.subject, { schema: entitySearchSchema, config: { scope: "decide", name: "search" } }, searchRoute("subject"));
  app.post(AUTHZEN_PATHS.resource, { schema: entitySearchSchema, config: { scope: "decide", name: "search" } }, searchRoute("resource"));
  app.post(AUTHZEN_PATHS.action, { schema: actionSearchSchema, config: { scope: "decide", name: "search" } }, searchRoute("action"));

  app.get(AUTHZEN_PATHS.metadata, { schema: metadataSchema, config: { name: "metadata" } }, async (request, reply) => {
    const base = baseUrl(ctx, request);
    const obligations = ctx.node.snapshot?.bundle.schema.obligations;
    const hasObligations = obligations !== undefined && Object.keys(obligations).length > 0;
    reply.header("cache-control", "max-age=300");
    if (ctx.publicUrl === undefined) reply.header("vary", "host, x-forwarded-host, x-forwarded-proto");
    return {
      policy_decision_point: base,
      access_evaluation_endpoint: `${base}${AUTHZEN_PATHS.evaluation}`,
      access_evaluations_endpoint: `${base}${AUTHZEN_PATHS.evaluations}`,
      search_subject_endpoint: `${base}${AUTHZEN_PATHS.subject}`,
      search_resource_endpoint: `${base}${AUTHZEN_PATHS.resource}`,
      search_action_endpoint: `${base}${AUTHZEN_PATHS.action}`,
      ...(hasObligations ? { capabilities: [OBLIGATIONS_CAPABILITY], supported_obligations: [OBLIGATION_TYPE] } : {}),
    };
  });
}
