/**
 * Lineage reads (scope `read-lineage`). Everything shown is proven first: an event is returned
 * only after its inclusion proof against the latest signed checkpoint verifies.
 *
 * - `GET /v1/lineage/checkpoint` → `{origin, size, checkpoint, verifierKey}` (the signed note);
 *   on a mesh node the store's latest checkpoint with its verified cosignatures appended as
 *   C2SP signature lines, plus `{root, signer, witnesses, cosignatures, ageSeconds}`. The note
 *   alone as text with `?format=note` or `Accept: text/plain`; `?witnesses=k` refuses a
 *   checkpoint with fewer than k verified cosignatures (W8511);
 * - `GET /v1/lineage/events/:id` → `{id, index, event}` (`:id` an event id or an index);
 * - `GET /v1/lineage/proof/:id` → the proof file, byte for byte what `writ lineage prove` writes;
 *   `?witnesses=k` (mesh nodes): the log first catches up with the store, and the proof's
 *   checkpoint carries its cosignatures — refused (W8511) when fewer than k verified;
 * - `GET /v1/lineage/consistency?from=<size>` → a consistency proof to the latest checkpoint;
 * - `GET /v1/lineage/executions?principal=&action=&resource=&decision=&node=&since=&until=&after=&limit=`
 *   → a page of the execution index (entities as `Type::"id"`, times ISO 8601; `after` the
 *   `next` of the previous page);
 * - `GET /v1/lineage/tree/:id?limit=` → the execution's ancestors and its root's subtree (rows
 *   naming their `parent`), at most `limit` (default 500);
 * - `POST /v1/lineage/proofs` `{ids: [...]}` → `{proofs: [...]}`, proofs of up to 500 events
 *   against the latest checkpoint (what the console verifies, event by event, in the browser);
 * - `GET /v1/lineage/bundles` → the bundles the log's executions were decided with (and the
 *   active one); `GET /v1/lineage/bundles/:id` → one of them as the log stores it (a client
 *   re-hashes it: its id is its content).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ed25519, problem, runtimeCrypto, verifyProof, type LineageProof, type Problem } from "../../runtime/index.js";
import type { RouteContext } from "../app.js";
import { sendProblem } from "../errors.js";
import { bundleUsesSchema, checkpointSchema, consistencySchema, eventSchema, executionsSchema, proofSchema, proofsSchema, storedBundleSchema, treeSchema } from "../schemas.js";

/** An event reference from a path: a decimal index or an event id. */
function eventRef(text: string): string | number {
  return /^(0|[1-9][0-9]{0,15})$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : text;
}

type ById = FastifyRequest<{ Params: { id: string } }>;

/** The lineage-reads plugin. */
export async function lineageRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const log = ctx.node.log;

  /**
   * A proof of the event, checked before it is shown: inclusion against its checkpoint, and the
   * checkpoint accepted by the log's trust (the log's own key; on a mesh, any enrolled node).
   */
  const proven = async (id: string, reply: FastifyReply): Promise<LineageProof | undefined> => {
    const r = await log.prove(eventRef(id));
    if (!r.ok) {
      sendProblem(reply, r.problem);
      return undefined;
    }
    const check = verifyProof(r.proof, undefined, { ed25519, hasher: runtimeCrypto.merkle });
    const trusted = check.ok ? await log.trust.verify(r.proof.checkpoint) : check;
    if (!trusted.ok) {
      sendProblem(reply, problem("W6201", { detail: `the stored event does not verify: ${trusted.problem.message}` }));
      return undefined;
    }
    return r.proof;
  };
  const noWitnesses = (k: number): Problem | undefined =>
    k > 0 && ctx.mesh === undefined ? problem("W8511", { detail: `${k} witnesses were asked, and this server is not a mesh node: its checkpoints have none` }) : undefined;

  app.get("/v1/lineage/checkpoint", { schema: checkpointSchema, config: { scope: "read-lineage", name: "lineage" } }, async (request: FastifyRequest<{ Querystring: { format?: "json" | "note"; witnesses?: string } }>, reply) => {
    const k = Number(request.query.witnesses ?? "0");
    const none = noWitnesses(k);
    if (none !== undefined) return sendProblem(reply, none);
    const accept = request.headers.accept ?? "";
    const asNote = request.query.format === "note" || (request.query.format === undefined && accept.includes("text/plain") && !accept.includes("application/json"));
    if (ctx.mesh === undefined) {
      const note = log.checkpoint;
      if (note === undefined) return sendProblem(reply, problem("W6211", { event: "(the log is empty)" }));
      if (asNote) return reply.type("text/plain; charset=utf-8").send(note);
      return reply.send({ origin: log.origin, size: log.size, checkpoint: note, verifierKey: log.verifierKey });
    }
    const r = await ctx.mesh.checkpoint();
    if (!r.ok) return sendProblem(reply, r.problem);
    const c = r.checkpoint;
    if (c === undefined) return sendProblem(reply, problem("W6211", { event: "(the log is empty)" }));
    if (c.witnesses.length < k) return sendProblem(reply, problem("W8511", { detail: `the checkpoint of size ${c.size} has ${c.witnesses.length} verified cosignatures and ${k} were asked` }));
    if (asNote) return reply.type("text/plain; charset=utf-8").send(c.note);
    return reply.send({
      origin: c.origin,
      size: c.size,
      checkpoint: c.note,
      root: c.root,
      ...(c.signer === undefined ? {} : { signer: c.signer }),
      witnesses: c.witnesses,
      cosignatures: c.witnesses.length,
      ageSeconds: c.ageSeconds,
    });
  });

  app.get("/v1/lineage/events/:id", { schema: eventSchema, config: { scope: "read-lineage", name: "lineage" } }, async (request: ById, reply) => {
    const proof = await proven(request.params.id, reply);
    if (proof === undefined) return reply;
    return reply.send({ id: proof.id, index: proof.index, event: proof.event });
  });

  app.get("/v1/lineage/proof/:id", { schema: proofSchema, config: { scope: "read-lineage", name: "lineage" } }, async (request: FastifyRequest<{ Params: { id: string }; Querystring: { witnesses?: string } }>, reply) => {
    const k = Number(request.query.witnesses ?? "0");
    const none = noWitnesses(k);
    if (none !== undefined) return sendProblem(reply, none);
    // The witnesses cosign the store's latest checkpoint: catch up with it first.
    if (k > 0) await log.sync();
    let proof = await proven(request.params.id, reply);
    if (proof === undefined) return reply;
    if (k > 0 && ctx.mesh !== undefined) {
      const w = await ctx.mesh.witnessed(proof, k);
      if (!w.ok) return sendProblem(reply, w.problem);
      proof = w.proof;
    }
    return reply.type("application/json; charset=utf-8").send(`${JSON.stringify(proof, null, 2)}\n`);
  });

  app.get("/v1/lineage/consistency", { schema: consistencySchema, config: { scope: "read-lineage", name: "lineage" } }, async (request: FastifyRequest<{ Querystring: { from: string } }>, reply) => {
    const r = await log.consistency(Number(request.query.from));
    if (!r.ok) return sendProblem(reply, r.problem);
    return reply.send(r.proof);
  });

  type ExecutionsQuery = { principal?: string; action?: string; resource?: string; decision?: "allow" | "deny"; node?: string; since?: string; until?: string; after?: string; limit?: string };
  app.get("/v1/lineage/executions", { schema: executionsSchema, config: { scope: "read-lineage", name: "executions" } }, async (request: FastifyRequest<{ Querystring: ExecutionsQuery }>, reply) => {
    const { limit, ...filters } = request.query;
    const page = ctx.node.index.query({ ...filters, ...(limit === undefined ? {} : { limit: Number(limit) }) });
    if ("error" in page) return sendProblem(reply, problem("W8004", { detail: page.error }));
    return reply.send(page);
  });

  app.get("/v1/lineage/tree/:id", { schema: treeSchema, config: { scope: "read-lineage", name: "executions" } }, async (request: FastifyRequest<{ Params: { id: string }; Querystring: { limit?: string } }>, reply) => {
    const tree = ctx.node.index.tree(request.params.id, request.query.limit === undefined ? undefined : Number(request.query.limit));
    if (tree === undefined) return sendProblem(reply, problem("W8013", { detail: `no execution ${request.params.id} in this node's lineage log` }));
    return reply.send(tree);
  });

  app.post("/v1/lineage/proofs", { schema: proofsSchema, config: { scope: "read-lineage", name: "lineage" } }, async (request: FastifyRequest<{ Body: { ids: string[] } }>, reply) => {
    const proofs: LineageProof[] = [];
    for (const id of request.body.ids) {
      const proof = await proven(id, reply);
      if (proof === undefined) return reply;
      proofs.push(proof);
    }
    return reply.send({ proofs });
  });

  app.get("/v1/lineage/bundles", { schema: bundleUsesSchema, config: { scope: "read-lineage", name: "bundle" } }, async (_request, reply) => {
    const active = ctx.node.snapshot?.bundle.bundleId;
    return reply.send({ ...(active === undefined ? {} : { active }), bundles: ctx.node.index.bundleUses() });
  });

  app.get("/v1/lineage/bundles/:id", { schema: storedBundleSchema, config: { scope: "read-lineage", name: "bundle" } }, async (request: ById, reply) => {
    const id = request.params.id;
    const named = ctx.node.snapshot?.bundle.bundleId === id || ctx.node.index.bundleUses().some((u) => u.bundleId === id);
    // NOTE: only ids the log's executions name (or the active bundle's): the object table also holds entity snapshots.
    const text = named ? await log.store.getObject(id) : undefined;
    const active = ctx.node.snapshot;
    // The active bundle is stored in the log when an execution first uses it; until then it comes from memory.
    if (text === undefined && active?.bundle.bundleId === id) return reply.header("x-writ-bundle-id", id).send(active.bundleJson);
    if (text === undefined) return sendProblem(reply, problem("W8101", { detail: `no bundle ${id} is stored in this node's lineage log` }));
    return reply.type("application/json; charset=utf-8").header("x-writ-bundle-id", id).send(text);
  });
}
