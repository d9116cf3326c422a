/**
 * Fuzz target: `writ serve`'s HTTP routes, in process through `app.inject`, with mutated
 * bodies, query strings and path parameters — the AuthZEN Todo example on an in-memory log,
 * no tokens (every route open), bundle updates signed by the test key.
 *
 * The contract checked on every answer:
 * - never a 5xx: bad input is the caller's problem (4xx), and nothing the input does reaches
 *   a handler's unhandled error;
 * - a 4xx is JSON `{ error, code }` with a catalog code, and no message betrays a leaked
 *   exception;
 * - no single request comes near {@link CASE_LIMIT_MS}.
 *
 * After the run ({@link serverLogCheck}): the log the server wrote verifies, and replaying it
 * gives every recorded decision again, byte for byte — hostile requests do not leave evidence
 * that a later reader cannot reproduce.
 */
import { expect } from "vitest";
import type { WritServer } from "../../server/index.js";
import { replayLog } from "../../runtime/lineage/replay.js";
import { projectBundle, testServer } from "../support/servers.js";
import { jsonText } from "./mutate.js";
import { CASE_LIMIT_MS, expectNoLeak } from "./targets.js";

const RICK = "CiRmZDA2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs";
const MORTY = "CiRmZDE2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs";
const todoRequest = (action: string): unknown => ({
  principal: { type: "user", id: RICK },
  action: { type: "Action", id: action },
  resource: { type: "todo", id: "t1" },
  context: {},
});
const subject = { type: "user", id: MORTY, properties: { roles: ["editor"] } };
const todo = { type: "todo", id: "t1", properties: { ownerID: "morty@the-citadel.com" } };
const fixture = projectBundle("authzen-todo");

/** One kind of call: a method and route, its body and its query or path values (each mutated). */
export interface ServerSeed {
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** The path; `:id` is replaced by the (mutated) `params.id`. */
  readonly path: string;
  readonly body?: unknown;
  readonly query?: Readonly<Record<string, unknown>>;
  readonly params?: { readonly id: unknown };
}

/** The routes and a valid call of each. */
export const SERVER_SEEDS: readonly ServerSeed[] = [
  { method: "POST", path: "/v1/decide", body: { request: todoRequest("can_read_todos") } },
  { method: "POST", path: "/v1/authorize", body: { request: todoRequest("can_update_todo") } },
  { method: "POST", path: "/v1/authorize", body: { request: todoRequest("can_create_todo"), parent: "sha256:00" } },
  { method: "POST", path: "/v1/executions/:id/outcome", params: { id: "exec:1" }, body: { ok: true, detail: "done", obligations: [] } },
  { method: "POST", path: "/access/v1/evaluation", body: { subject, action: { name: "can_update_todo" }, resource: todo, context: {} } },
  { method: "POST", path: "/access/v1/evaluations", body: { subject, evaluations: [{ action: { name: "can_read_todos" }, resource: todo }, { action: { name: "can_delete_todo" }, resource: todo }] } },
  { method: "POST", path: "/access/v1/search/subject", body: { subject: { type: "user" }, action: { name: "can_read_todos" }, resource: todo } },
  { method: "POST", path: "/access/v1/search/resource", body: { subject, action: { name: "can_read_todos" }, resource: { type: "todo" } } },
  { method: "POST", path: "/access/v1/search/action", body: { subject, resource: todo } },
  { method: "POST", path: "/v1/lineage/proofs", body: { ids: ["sha256:00"] } },
  { method: "PATCH", path: "/v1/entities", body: { upsert: [{ uid: { type: "user", id: "new" }, attrs: { email: "n@x", name: "N", roles: [], picture: "" }, parents: [] }], remove: [] } },
  { method: "DELETE", path: "/v1/entities", body: [{ type: "user", id: "new" }] },
  { method: "PUT", path: "/v1/bundle", body: projectBundle("authzen-todo", 2).bundle },
  { method: "GET", path: "/v1/lineage/executions", query: { principal: `user::"${RICK}"`, decision: "allow", limit: 5 } },
  { method: "GET", path: "/v1/lineage/tree/:id", params: { id: "exec:1" }, query: { limit: 3 } },
  { method: "GET", path: "/v1/lineage/events/:id", params: { id: "sha256:00" } },
  { method: "GET", path: "/v1/lineage/proof/:id", params: { id: "sha256:00" } },
  { method: "GET", path: "/v1/lineage/consistency", query: { from: 1 } },
  { method: "GET", path: "/v1/lineage/checkpoint", query: { format: "note" } },
  { method: "GET", path: "/v1/entities/user/:id", params: { id: RICK } },
];

/** Answers by class (a run where every call is refused would test only the validators). */
export const serverStats = { ok: 0, refused: 0 };

let server: Promise<WritServer> | undefined;
/** The execution of the last authorization answered (what the outcome seed reports on). */
let lastExecution: string | undefined;

/** The one server every case talks to (state carries over between cases, as in a service). */
function theServer(): Promise<WritServer> {
  return (server ??= testServer({ bundle: fixture.bundle, entities: fixture.entities }));
}

/** The query string of mutated query values (each turned into text the way a client would). */
function queryText(q: unknown): string {
  if (typeof q !== "object" || q === null) return "";
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) p.append(k, typeof v === "string" ? v : jsonText(v));
  const s = p.toString();
  return s === "" ? "" : `?${s}`;
}

/** `s` with each lone UTF-16 surrogate as U+FFFD. */
function wellFormed(s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}

/** A path value as a client would put it in the URL (a lone surrogate, which no URL can carry, as U+FFFD). */
function segment(v: unknown): string {
  return encodeURIComponent(wellFormed(typeof v === "string" ? v : jsonText(v)));
}

/** Bodies of one seed's route, with the outcome route aimed at a real execution now and then. */
export async function serverTarget(seedIndex: number, body: unknown, query: unknown, params: unknown): Promise<void> {
  const s = await theServer();
  const seed = SERVER_SEEDS[seedIndex % SERVER_SEEDS.length]!;
  let id = (params as { id?: unknown } | null)?.id;
  if (seed.path.includes("/executions/") && id === "exec:1" && lastExecution !== undefined) id = lastExecution;
  const url = (seed.path.includes(":id") ? seed.path.replace(":id", segment(id)) : seed.path) + queryText(seed.query === undefined ? undefined : query);
  const t0 = performance.now();
  const r = await s.app.inject({ method: seed.method, url, ...(seed.body === undefined || body === undefined ? {} : { payload: jsonText(body), headers: { "content-type": "application/json" } }) });
  expect(performance.now() - t0).toBeLessThan(CASE_LIMIT_MS);
  const where = `${seed.method} ${url.slice(0, 200)}`;
  if (seed.path === "/v1/authorize" && r.statusCode === 200) lastExecution = (r.json() as { execution?: string }).execution;
  if (r.statusCode < 300) serverStats.ok++;
  else serverStats.refused++;
  if (r.statusCode >= 500) expect.fail(`${where}: ${r.statusCode} ${r.body.slice(0, 300)}`);
  if (r.statusCode >= 400) {
    let j: { error?: unknown; code?: unknown; details?: unknown };
    try {
      j = r.json();
    } catch {
      return expect.fail(`${where}: ${r.statusCode} with a body that is not JSON: ${r.body.slice(0, 200)}`);
    }
    if (typeof j.error !== "string" || typeof j.code !== "string" || !/^W\d{4}$/.test(j.code)) expect.fail(`${where}: ${r.statusCode} body is not {error, code}: ${r.body.slice(0, 200)}`);
    expectNoLeak([j.error as string, ...(Array.isArray(j.details) ? j.details.map(String) : [])], where);
  }
}

/** After a run: the log the server wrote verifies and replays identically. */
export async function serverLogCheck(): Promise<{ readonly events: number }> {
  const s = await theServer();
  const verified = await s.node.log.verify();
  expect(verified.ok).toBe(true);
  const replay = await replayLog(s.node.log);
  expect(replay.items.filter((i) => i.status !== "same")).toEqual([]);
  return { events: s.node.log.size };
}

/** Close the server (after the run). */
export async function closeServer(): Promise<void> {
  if (server !== undefined) await (await server).close();
  server = undefined;
}
