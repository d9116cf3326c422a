/**
 * AuthZEN search (subject, resource, action) over a snapshot: the candidates are the entities of
 * the searched type in the entity store (for actions: the schema's actions of the AuthZEN action
 * type), each decided with the rest of the request; the results are those that are allowed (and
 * deliverable to this PEP, see `authzen.ts`), in uid order.
 *
 * - The searched side's `id` and `properties` are ignored; the other sides' properties are
 *   applied once for the whole search.
 * - Paging (AuthZEN § 8.2): `page.limit` (default {@link DEFAULT_SEARCH_PAGE}, at most
 *   {@link MAX_SEARCH_PAGE}; 0 means the default) and `page.token`, an opaque cursor that binds
 *   the rest of the request: a token used with a changed request is refused. The response
 *   always carries `page: {next_token, count, total}` (`next_token` empty on the last page).
 * - The candidate list of a snapshot is built once (entities grouped by type, in a
 *   {@link CandidateCache} the server instance owns) and reused.
 *
 * NOTE: pure over a snapshot; cost is one decision per candidate.
 */
import { contentId, type EntityStore } from "../runtime/index.js";
import { evaluate, storeWith, type AuthzenAction, type AuthzenEntity, type DecideOn } from "./authzen.js";

/** Which side a search enumerates. */
export type SearchKind = "subject" | "resource" | "action";

/** A search request body (parsed). */
export interface SearchRequest {
  readonly subject: AuthzenEntity;
  readonly action?: AuthzenAction;
  readonly resource: AuthzenEntity;
  readonly context?: Readonly<Record<string, unknown>>;
  readonly page?: { readonly token?: string; readonly limit?: number; readonly properties?: unknown };
}

/** A search response. */
export interface SearchResponse {
  readonly page: { readonly next_token: string; readonly count: number; readonly total: number };
  readonly results: readonly ({ readonly type: string; readonly id: string } | { readonly name: string })[];
}

/** Results per page when the request gives no limit. */
export const DEFAULT_SEARCH_PAGE = 100;
/** The largest page. */
export const MAX_SEARCH_PAGE = 1000;

/**
 * The ids of each snapshot's entities by type, in uid order, built once per snapshot. A server
 * instance owns one (no module-level cache).
 */
export class CandidateCache {
  private readonly byStore = new WeakMap<EntityStore, ReadonlyMap<string, readonly string[]>>();

  /** The ids of `store`'s entities of each type. */
  idsOf(store: EntityStore): ReadonlyMap<string, readonly string[]> {
    let m = this.byStore.get(store);
    if (m === undefined) {
      const built = new Map<string, string[]>();
      for (const e of store.toJson() as { uid: { type: string; id: string } }[]) {
        const l = built.get(e.uid.type);
        if (l === undefined) built.set(e.uid.type, [e.uid.id]);
        else l.push(e.uid.id);
      }
      m = built;
      this.byStore.set(store, m);
    }
    return m;
  }
}

/** The digest a page token binds: the request without `page.token`. */
function requestBinding(kind: SearchKind, body: SearchRequest): string {
  const { page, ...rest } = body;
  const limit = page?.limit;
  try {
    return contentId({ kind, request: JSON.parse(JSON.stringify(rest)) as unknown, limit: limit ?? null }).slice(7, 23);
  } catch {
    // A string with a lone surrogate has no canonical JSON: bind to the request's JSON text, where JSON.stringify escapes it.
    return contentId({ kind, text: JSON.stringify(rest), limit: limit ?? null }).slice(7, 23);
  }
}

function encodeToken(cursor: number, binding: string): string {
  return Buffer.from(JSON.stringify({ c: cursor, b: binding }), "utf8").toString("base64url");
}

/** The cursor of a token issued for this request, or why it is refused. */
function decodeToken(token: string, binding: string): number | string {
  let j: unknown;
  try {
    j = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    return "the page token was not issued by this server";
  }
  const o = j as { c?: unknown; b?: unknown } | null;
  if (typeof o !== "object" || o === null || typeof o.c !== "number" || !Number.isSafeInteger(o.c) || o.c < 0 || typeof o.b !== "string") return "the page token was not issued by this server";
  if (o.b !== binding) return "the page token belongs to another request: every value but `page.token` must stay the same across pages";
  return o.c;
}

/**
 * Run a search. Returns the response, or a message for a page token that is refused (400).
 * Without a snapshot (no bundle) every search is empty.
 */
export function search(on: DecideOn | undefined, kind: SearchKind, body: SearchRequest, cache: CandidateCache): SearchResponse | { readonly error: string } {
  const binding = requestBinding(kind, body);
  let start = 0;
  if (body.page?.token !== undefined && body.page.token !== "") {
    const c = decodeToken(body.page.token, binding);
    if (typeof c === "string") return { error: c };
    start = c;
  }
  const limit = Math.min(MAX_SEARCH_PAGE, body.page?.limit === undefined || body.page.limit === 0 ? DEFAULT_SEARCH_PAGE : body.page.limit);
  const allowed = on === undefined ? [] : allowedResults(on, kind, body, cache);
  const slice = allowed.slice(start, start + limit);
  const end = start + slice.length;
  return { page: { next_token: end < allowed.length ? encodeToken(end, binding) : "", count: slice.length, total: allowed.length }, results: slice };
}

/** Every allowed result of a search, in candidate order. */
function allowedResults(on: DecideOn, kind: SearchKind, body: SearchRequest, cache: CandidateCache): SearchResponse["results"] {
  const fixed = kind === "subject" ? [body.resource] : kind === "resource" ? [body.subject] : [body.subject, body.resource];
  const store = storeWith(on.store, fixed);
  if (typeof store === "string" || on.actionType === undefined) return [];
  const at: DecideOn = { ...on, store };
  const out: SearchResponse["results"][number][] = [];
  if (kind === "action") {
    const actions = Object.values(on.bundle.schema.actions)
      .filter((a) => a.type === on.actionType)
      .map((a) => a.id)
      .sort();
    for (const name of actions) {
      if (evaluate(at, { subject: body.subject, action: { name }, resource: body.resource, ...ctx(body) }, false, false).out.decision) out.push({ name });
    }
    return out;
  }
  if (body.action === undefined) return [];
  const type = kind === "subject" ? body.subject.type : body.resource.type;
  for (const id of cache.idsOf(on.store).get(type) ?? []) {
    const candidate = { type, id };
    const item = kind === "subject" ? { subject: candidate, action: body.action, resource: body.resource } : { subject: body.subject, action: body.action, resource: candidate };
    if (evaluate(at, { ...item, ...ctx(body) }, false, false).out.decision) out.push(candidate);
  }
  return out;
}

function ctx(body: SearchRequest): { readonly context?: Readonly<Record<string, unknown>> } {
  return body.context === undefined ? {} : { context: body.context };
}
