/**
 * Reading a request's inputs with a schema: the one place where Cedar entities JSON and
 * Cedar request JSON become values, checked the way Cedar checks them when it is given a
 * schema. The CLI, the runtime (decisions, entity stores) and the playground all read
 * their inputs here.
 *
 * - `readEntityRecords` reads entities JSON; with a schema, attributes and tags are read
 *   as the schema types them (`{"type","id"}` objects as entities, plain strings as
 *   extension values where an extension type is declared).
 * - `readEntities` also adds the schema's actions (with their groups as parents) unless
 *   the data declares them itself, builds the store (ancestors computed once) and checks
 *   the data against the schema (W5003).
 * - `readRequest` reads a request, its context typed by the action's declared context,
 *   and with `validate` checks it against the schema (W5006).
 *
 * All never throw: every problem is a diagnostic (W5003 entities, W5004 request,
 * W5006 request against the schema).
 *
 * INVARIANT: parser-free (the runtime imports this module).
 */
import { diag, hasErrors, type Diagnostic } from "../lang/diagnostics.js";
import { Entities, type EntityRecord } from "../stdlib/entities.js";
import { entityRecordsFromJson, type JsonValue } from "../stdlib/json.js";
import { requestFromJson, type Request } from "./request.js";
import { contextHintFor, entityHintFor, schemaActionEntities, validateEntities, validateRequest } from "./input-validate.js";
import type { Schema } from "./schema-model.js";
import { readValidRequest } from "./valid-request.js";

const NOWHERE = { start: 0, end: 0 };

/** Entity records read from JSON (no store built yet), or diagnostics. */
export interface EntityRecordsResult {
  readonly records?: readonly EntityRecord[];
  readonly diagnostics: Diagnostic[];
}

/** An entity store read and checked against a schema, or diagnostics. */
export interface ReadEntitiesResult {
  /** The store (with the schema's action entities added), present when there is no error. */
  readonly entities?: Entities;
  /** The records exactly as the data gave them (without the schema's action entities). */
  readonly given?: readonly EntityRecord[];
  readonly diagnostics: Diagnostic[];
}

/** A request read (and optionally validated) against a schema, or diagnostics. */
export interface ReadRequestResult {
  readonly request?: Request;
  readonly diagnostics: Diagnostic[];
}

function crashed(code: "W5003" | "W5004", e: unknown): Diagnostic {
  return diag(code, e instanceof Error ? e.message : String(e), NOWHERE);
}

/** Read entities JSON into records (schema-directed when a schema is given). Never throws. */
export function readEntityRecords(json: unknown, schema?: Schema): EntityRecordsResult {
  try {
    const r = entityRecordsFromJson(json as JsonValue, schema === undefined ? undefined : entityHintFor(schema));
    return r.records === undefined ? { diagnostics: r.diagnostics } : { records: r.records, diagnostics: r.diagnostics };
  } catch (e) {
    return { diagnostics: [crashed("W5003", e)] };
  }
}

/**
 * Build a store from records: with a schema, its action entities are added (unless the
 * records declare them) and the whole store is checked against it. Never throws.
 */
export function entitiesWithSchema(records: readonly EntityRecord[], schema?: Schema): ReadEntitiesResult {
  try {
    let all: readonly EntityRecord[] = records;
    if (schema !== undefined) {
      const actions = schemaActionEntities(schema);
      const declared = new Set<string>();
      if (actions.length > 0) {
        const keys = new Set(actions.map((a) => a.uid.key));
        for (const r of records) if (keys.has(r.uid.key)) declared.add(r.uid.key);
      }
      const extra = actions.filter((a) => !declared.has(a.uid.key));
      if (extra.length > 0) all = [...records, ...extra];
    }
    const built = Entities.build(all);
    const problems = built.problems.map((p) => diag(p.code, p.message, NOWHERE));
    if (built.entities === undefined) return { diagnostics: problems };
    const checked = schema === undefined ? problems : [...problems, ...validateEntities(schema, built.entities)];
    return hasErrors(checked) ? { diagnostics: checked } : { entities: built.entities, given: records, diagnostics: checked };
  } catch (e) {
    return { diagnostics: [crashed("W5003", e)] };
  }
}

/**
 * Read entities JSON with a schema (or without one: plain Cedar JSON reading) into a checked
 * store. Never throws.
 */
export function readEntities(json: unknown, schema?: Schema): ReadEntitiesResult {
  const r = readEntityRecords(json, schema);
  if (r.records === undefined) return { diagnostics: r.diagnostics };
  const built = entitiesWithSchema(r.records, schema);
  return { ...built, diagnostics: [...r.diagnostics, ...built.diagnostics] };
}

/** Options of {@link readRequest}. */
export interface ReadRequestOptions {
  /** Check the request against the schema (W5006). Default true when a schema is given. */
  readonly validate?: boolean;
}

/**
 * Read a request (Cedar request JSON, with an optional `lineage`), its context directed by
 * the schema's type for the action; with a schema and `validate` (the default), check it
 * against the schema. Never throws.
 */
export function readRequest(json: unknown, schema?: Schema, options: ReadRequestOptions = {}): ReadRequestResult {
  try {
    if (schema !== undefined && options.validate !== false) {
      // The common case, a valid request, in one pass; anything else is read below.
      const request = readValidRequest(json, schema);
      if (request !== undefined) return { request, diagnostics: [] };
    }
    const r = requestFromJson(json, schema === undefined ? undefined : (actionKey: string) => contextHintFor(schema, actionKey));
    let diagnostics: Diagnostic[] = r.diagnostics;
    if (r.request !== undefined && schema !== undefined && options.validate !== false) diagnostics = [...diagnostics, ...validateRequest(schema, r.request)];
    return hasErrors(diagnostics) || r.request === undefined ? { diagnostics } : { request: r.request, diagnostics };
  } catch (e) {
    return { diagnostics: [crashed("W5004", e)] };
  }
}
