/**
 * The JSON schemas of every route of `writ serve`, declared once: Fastify validates requests
 * and serializes responses with them, docs/server.md describes them, and the tests read them.
 *
 * Request bodies are checked for shape only (types, required fields); what the schema of the
 * loaded bundle says about a request is checked when deciding. No coercion: a string where a
 * number is expected is a 400. Unknown members are allowed where AuthZEN allows them.
 */
import { ERROR_SCHEMA } from "./errors.js";

const obj = { type: "object" } as const;
const anyObject = { type: "object", additionalProperties: true } as const;
const str = { type: "string" } as const;
const nonEmpty = { type: "string", minLength: 1, maxLength: 4096 } as const;

/** An AuthZEN subject or resource of an evaluation. */
const entity = {
  type: "object",
  required: ["type", "id"],
  properties: { type: nonEmpty, id: { type: "string", maxLength: 4096 }, properties: anyObject },
} as const;

/** A subject or resource whose id may be omitted (the searched side, a batch default). */
const entityMaybeId = { ...entity, required: ["type"] } as const;

const action = { type: "object", required: ["name"], properties: { name: nonEmpty, properties: anyObject } } as const;

const decision = {
  type: "object",
  required: ["decision"],
  properties: { decision: { type: "boolean" }, context: anyObject },
} as const;

const errors = { 400: ERROR_SCHEMA, 401: ERROR_SCHEMA, 403: ERROR_SCHEMA, 404: ERROR_SCHEMA, 409: ERROR_SCHEMA, 413: ERROR_SCHEMA, 415: ERROR_SCHEMA, 503: ERROR_SCHEMA } as const;

const explainQuery = { type: "object", properties: { explain: { type: "string", enum: ["true", "false"] } } } as const;

/** `POST /access/v1/evaluation`. */
export const evaluationSchema = {
  querystring: explainQuery,
  body: { type: "object", required: ["subject", "action", "resource"], properties: { subject: entity, action, resource: entity, context: anyObject } },
  response: { 200: decision, ...errors },
} as const;

/** `POST /access/v1/evaluations`. */
export const evaluationsSchema = {
  querystring: explainQuery,
  body: {
    type: "object",
    properties: {
      subject: entityMaybeId,
      action,
      resource: entityMaybeId,
      context: anyObject,
      evaluations: {
        type: "array",
        maxItems: 1000,
        items: { type: "object", properties: { subject: entityMaybeId, action, resource: entityMaybeId, context: anyObject } },
      },
      options: { type: "object", properties: { evaluations_semantic: { type: "string", enum: ["execute_all", "deny_on_first_deny", "permit_on_first_permit"] } } },
    },
  },
  response: { 200: { type: "object", properties: { decision: { type: "boolean" }, context: anyObject, evaluations: { type: "array", items: decision } } }, ...errors },
} as const;

const page = {
  type: "object",
  properties: { token: { type: "string", maxLength: 2048 }, limit: { type: "integer", minimum: 0 }, properties: anyObject },
} as const;

const pageOut = { type: "object", required: ["next_token"], properties: { next_token: str, count: { type: "integer" }, total: { type: "integer" } } } as const;

/** `POST /access/v1/search/subject` and `/resource`. */
export const entitySearchSchema = {
  body: { type: "object", required: ["subject", "action", "resource"], properties: { subject: entityMaybeId, action, resource: entityMaybeId, context: anyObject, page } },
  response: {
    200: { type: "object", required: ["results"], properties: { page: pageOut, results: { type: "array", items: { type: "object", required: ["type", "id"], properties: { type: str, id: str } } } } },
    ...errors,
  },
} as const;

/** `POST /access/v1/search/action`. */
export const actionSearchSchema = {
  body: { type: "object", required: ["subject", "resource"], properties: { subject: entity, resource: entity, context: anyObject, page } },
  response: {
    200: { type: "object", required: ["results"], properties: { page: pageOut, results: { type: "array", items: { type: "object", required: ["name"], properties: { name: str } } } } },
    ...errors,
  },
} as const;

/** `GET /.well-known/authzen-configuration`. */
export const metadataSchema = {
  response: {
    200: {
      type: "object",
      required: ["policy_decision_point", "access_evaluation_endpoint"],
      properties: {
        policy_decision_point: str,
        access_evaluation_endpoint: str,
        access_evaluations_endpoint: str,
        search_subject_endpoint: str,
        search_resource_endpoint: str,
        search_action_endpoint: str,
        capabilities: { type: "array", items: str },
        supported_obligations: { type: "array", items: str },
      },
    },
  },
} as const;

const uid = { type: "object", properties: { type: str, id: str, __entity: obj } } as const;

/** A Cedar request (shape only; the bundle's schema is checked when deciding). */
const cedarRequest = { type: "object", required: ["principal", "action", "resource"], properties: { principal: uid, action: uid, resource: uid, context: anyObject } } as const;

const decisionRecord = anyObject;
const recordedEvents = { type: "array", items: { type: "object", properties: { phase: str, id: str, index: { type: "integer" }, recordedAt: str } } } as const;
const problemOut = { type: "object", properties: { code: str, message: str } } as const;

/** `POST /v1/decide`. */
export const decideSchema = { body: cedarRequest, response: { 200: decisionRecord, ...errors } } as const;

/** `POST /v1/authorize`. */
export const authorizeSchema = {
  body: { type: "object", required: ["request"], additionalProperties: false, properties: { request: cedarRequest, parent: { type: "string", pattern: "^sha256:[0-9a-f]{64}$" } } },
  response: {
    200: {
      type: "object",
      properties: {
        execution: str,
        allowed: { type: "boolean" },
        decision: decisionRecord,
        events: recordedEvents,
        authorizedEvent: str,
        obligations: anyObject,
        artifact: anyObject,
        expiresAt: str,
        problem: problemOut,
      },
    },
    ...errors,
  },
} as const;

/** `POST /v1/executions/:id/outcome`. */
export const outcomeSchema = {
  params: { type: "object", required: ["id"], properties: { id: { type: "string", minLength: 1, maxLength: 200 } } },
  body: {
    type: "object",
    required: ["ok"],
    additionalProperties: false,
    properties: {
      ok: { type: "boolean" },
      detail: { type: "string", maxLength: 4096 },
      resultDigest: { type: "string", pattern: "^sha256:[0-9a-f]{64}$" },
      obligations: { type: "array", maxItems: 256, items: { type: "string", maxLength: 256 } },
    },
  },
  response: { 200: { type: "object", properties: { execution: str, status: str, events: recordedEvents, violation: problemOut } }, ...errors },
} as const;

const snapshotOut = { type: "object", properties: { bundleId: str, sequence: { type: "integer" }, entitiesId: str, entities: { type: "integer" } } } as const;

/** `GET /v1/bundle`: the bundle as accepted. */
export const bundleGetSchema = { response: { 200: anyObject, ...errors } } as const;
/** `PUT /v1/bundle`: a signed bundle. */
export const bundlePutSchema = { body: obj, response: { 200: snapshotOut, ...errors } } as const;

const entityJson = { type: "object", required: ["uid", "attrs", "parents"], properties: { uid, attrs: anyObject, parents: { type: "array", items: uid }, tags: anyObject } } as const;

/** `PUT /v1/entities`: every entity. */
export const entitiesPutSchema = { body: { type: "array", items: entityJson }, response: { 200: snapshotOut, ...errors } } as const;
/** `PATCH /v1/entities`: entities to add or replace, uids to remove. */
export const entitiesPatchSchema = {
  body: { type: "object", additionalProperties: false, properties: { upsert: { type: "array", items: entityJson }, remove: { type: "array", items: uid } } },
  response: { 200: snapshotOut, ...errors },
} as const;
/** `DELETE /v1/entities`: uids to remove. */
export const entitiesDeleteSchema = { body: { type: "array", items: uid }, response: { 200: snapshotOut, ...errors } } as const;

/** `GET /v1/entities/:type/:id`. */
export const entityGetSchema = {
  params: { type: "object", required: ["type", "id"], properties: { type: nonEmpty, id: str } },
  response: { 200: anyObject, ...errors },
} as const;

const eventRef = { type: "object", required: ["id"], properties: { id: { type: "string", minLength: 1, maxLength: 200 } } } as const;

/** `?witnesses=k`: how many verified cosignatures a checkpoint must carry (mesh nodes). */
const witnessCount = { type: "string", pattern: "^(0|[1-9][0-9]{0,2})$" } as const;

/** `GET /v1/mesh`: the mesh's live state (plain JSON, see docs/mesh.md). */
export const meshSchema = { response: { 200: anyObject, ...errors } } as const;

/** `GET /v1/lineage/checkpoint`. */
export const checkpointSchema = {
  querystring: { type: "object", additionalProperties: false, properties: { format: { type: "string", enum: ["json", "note"] }, witnesses: witnessCount } },
  response: {
    200: {
      type: "object",
      properties: { origin: str, size: { type: "integer" }, checkpoint: str, verifierKey: str, root: str, signer: str, witnesses: { type: "array", items: str }, cosignatures: { type: "integer" }, ageSeconds: { type: "integer" } },
    },
    ...errors,
  },
} as const;
/** `GET /v1/lineage/events/:id` (an event id or an index). */
export const eventSchema = { params: eventRef, response: { 200: { type: "object", properties: { id: str, index: { type: "integer" }, event: anyObject } }, ...errors } } as const;
/** `GET /v1/lineage/proof/:id`. */
export const proofSchema = { params: eventRef, querystring: { type: "object", additionalProperties: false, properties: { witnesses: witnessCount } } } as const;
/** `GET /v1/lineage/consistency?from=<size>`. */
export const consistencySchema = {
  querystring: { type: "object", required: ["from"], properties: { from: { type: "string", pattern: "^(0|[1-9][0-9]{0,15})$" } } },
  response: { 200: anyObject, ...errors },
} as const;

/** `GET /v1/lineage/executions?principal=&action=&resource=&decision=&node=&since=&until=&after=&limit=`. */
export const executionsSchema = {
  querystring: {
    type: "object",
    additionalProperties: false,
    properties: {
      principal: { type: "string", maxLength: 4096 },
      action: { type: "string", maxLength: 4096 },
      decision: { type: "string", enum: ["allow", "deny"] },
      resource: { type: "string", maxLength: 4096 },
      node: { type: "string", maxLength: 200 },
      since: { type: "string", maxLength: 64 },
      until: { type: "string", maxLength: 64 },
      after: { type: "string", maxLength: 200 },
      limit: { type: "string", pattern: "^[1-9][0-9]{0,3}$" },
    },
  },
  response: { 200: { type: "object", properties: { executions: { type: "array", items: anyObject }, next: str } }, ...errors },
} as const;

/** `GET /v1/lineage/tree/:id?limit=`: an execution's ancestors and its root's subtree. */
export const treeSchema = {
  params: eventRef,
  querystring: { type: "object", additionalProperties: false, properties: { limit: { type: "string", pattern: "^[1-9][0-9]{0,3}$" } } },
  response: { 200: { type: "object", properties: { root: str, selected: str, executions: { type: "array", items: anyObject }, truncated: { type: "boolean" } } }, ...errors },
} as const;

/** `POST /v1/lineage/proofs`: proofs of up to 500 events, against one checkpoint. */
export const proofsSchema = {
  body: { type: "object", required: ["ids"], additionalProperties: false, properties: { ids: { type: "array", minItems: 1, maxItems: 500, items: { type: "string", minLength: 1, maxLength: 200 } } } },
  response: { 200: { type: "object", properties: { proofs: { type: "array", items: anyObject } } }, ...errors },
} as const;

/** `GET /v1/lineage/bundles`: the bundles the log's executions were decided with. */
export const bundleUsesSchema = {
  response: {
    200: {
      type: "object",
      properties: {
        active: str,
        bundles: { type: "array", items: { type: "object", properties: { bundleId: str, executions: { type: "integer" }, firstAt: str, lastAt: str } } },
      },
    },
    ...errors,
  },
} as const;

/** `GET /v1/lineage/bundles/:id`: a bundle stored in the log, as stored. */
export const storedBundleSchema = { params: eventRef } as const;

/** `GET /healthz`. */
export const healthSchema = { response: { 200: anyObject } } as const;
/** `GET /readyz` (503 when not ready). */
export const readySchema = { response: { 200: anyObject, 503: anyObject } } as const;
