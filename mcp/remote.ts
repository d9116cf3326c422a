/**
 * The remote decider: the gateway asks a `writ serve` instead of deciding locally
 * (`writ mcp --server <url> --token <t>`). The decision service owns the bundle, the entity
 * store and the lineage log; the gateway sends each request and reports each outcome.
 *
 * The HTTP contract it assumes (every body JSON, `Authorization: Bearer <token>`):
 *
 * | call | request body | response (2xx) |
 * |---|---|---|
 * | `POST /v1/authorize` | `{ request, parent? }` | `{ decision, execution, authorization, allowed?, authorizedEvent?, events?, obligations? }` |
 * | `POST /v1/executions/{execution}/outcome` | `{ ok, detail?, resultDigest?, obligations, evidence? }` | `{ violation? }` |
 * | `POST /access/v1/evaluations` (AuthZEN) | `{ subject: {type, id}, action: {name}, context, evaluations: [{ resource: {type, id} }] }` | `{ evaluations: [{ decision }] }` |
 *
 * `decision` is the Writ decision record, `authorization` the DSSE envelope of the
 * authorization (kept by the server; not checked here), `authorizedEvent` the event child
 * executions name as parent (the execution id is used when it is absent), `allowed` and
 * `obligations` default to the record's. An error response `{ code, message }` (or
 * `{ error: { code, message } }`) — or no answer within the timeout — is W9007: the call is
 * answered with -32603 and not forwarded. A 403 carrying a decision record is a deny.
 *
 * NOTE: never throws; Node ≥ 18 `fetch`.
 */
import { problem, type DecisionRecord, type Problem, type RecordJson, type RequestJson } from "../runtime/index.js";
import type { Completion, Decider, Verdict } from "./decider.js";
import type { JsonObject } from "./jsonrpc.js";

/** Options of {@link remoteDecider}. */
export interface RemoteOptions {
  /** The service's base URL, e.g. `http://127.0.0.1:8181`. */
  readonly url: string;
  /** The bearer token. */
  readonly token: string;
  /** How long one HTTP call may take (default 10 s). */
  readonly timeoutMs?: number;
  /** The fetch to use (tests). */
  readonly fetch?: typeof fetch;
}

function isObject(x: unknown): x is JsonObject {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

type Answer = { ok: true; status: number; body: JsonObject } | { ok: false; problem: Problem };

function errorOf(body: JsonObject): string | undefined {
  const e = isObject(body["error"]) ? body["error"] : body;
  return typeof e["message"] === "string" ? `${typeof e["code"] === "string" ? `${e["code"]}: ` : ""}${e["message"]}` : undefined;
}

/** The remote decider of the module comment. */
export function remoteDecider(options: RemoteOptions): Decider {
  const base = options.url.replace(/\/+$/, "");
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const pending = new Set<Promise<unknown>>();

  const post = async (path: string, body: unknown): Promise<Answer> => {
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${options.token}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      return { ok: false, problem: problem("W9007", { detail: `POST ${path}: ${e instanceof Error ? e.message : String(e)}` }) };
    }
    let json: unknown;
    try {
      json = await res.json();
    } catch {
      return { ok: false, problem: problem("W9007", { detail: `POST ${path}: HTTP ${res.status} with a body that is not JSON` }) };
    }
    if (!isObject(json)) return { ok: false, problem: problem("W9007", { detail: `POST ${path}: HTTP ${res.status} with a body that is not a JSON object` }) };
    return { ok: true, status: res.status, body: json };
  };
  const track = <T>(p: Promise<T>): Promise<T> => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
    return p;
  };

  return {
    async authorize(request, { parent }) {
      const a = await track(post("/v1/authorize", { request, ...(parent === undefined ? {} : { parent }) }));
      if (!a.ok) return { allowed: false, execution: "", obligations: {}, problem: a.problem };
      const b = a.body;
      const decision = isObject(b["decision"]) ? (b["decision"] as unknown as DecisionRecord) : undefined;
      const execution = typeof b["execution"] === "string" ? b["execution"] : "";
      const denied = a.status === 403 && decision !== undefined;
      if ((a.status < 200 || a.status > 299) && !denied) {
        return { allowed: false, execution, obligations: {}, problem: problem("W9007", { detail: `POST /v1/authorize: HTTP ${a.status}: ${errorOf(b) ?? "no error message"}` }) };
      }
      if (decision === undefined || execution === "") {
        return { allowed: false, execution, obligations: {}, problem: problem("W9007", { detail: "POST /v1/authorize: the answer has no decision record or execution id" }) };
      }
      const allowed = !denied && (typeof b["allowed"] === "boolean" ? b["allowed"] : decision.decision === "allow");
      const events = Array.isArray(b["events"]) ? (b["events"] as JsonObject[]) : [];
      const authorizedEvent =
        typeof b["authorizedEvent"] === "string" ? b["authorizedEvent"] : (events.find((e) => e["phase"] === "authorized")?.["id"] as string | undefined);
      const obligations = (isObject(b["obligations"]) ? b["obligations"] : (decision.obligations ?? {})) as Record<string, RecordJson>;
      const firstIndex = typeof events[0]?.["index"] === "number" ? (events[0]["index"] as number) : undefined;
      return {
        allowed,
        execution,
        decision,
        obligations: allowed ? obligations : {},
        ...(allowed ? { parentEvent: authorizedEvent ?? execution } : {}),
        ...(firstIndex === undefined ? {} : { firstIndex }),
      } satisfies Verdict;
    },
    async complete(verdict, outcome): Promise<Completion> {
      const body = {
        ok: outcome.ok,
        obligations: outcome.obligations,
        ...(outcome.detail === undefined ? {} : { detail: outcome.detail }),
        ...(outcome.resultDigest === undefined ? {} : { resultDigest: outcome.resultDigest }),
        ...(outcome.evidence === undefined || Object.keys(outcome.evidence).length === 0 ? {} : { evidence: outcome.evidence }),
      };
      const a = await track(post(`/v1/executions/${encodeURIComponent(verdict.execution)}/outcome`, body));
      if (!a.ok) return a;
      if (a.status < 200 || a.status > 299) return { ok: false, problem: problem("W9007", { detail: `POST outcome of ${verdict.execution}: HTTP ${a.status}: ${errorOf(a.body) ?? "no error message"}` }) };
      const v = a.body["violation"];
      if (!isObject(v)) return { ok: true };
      const obligation = typeof v["obligation"] === "string" ? v["obligation"] : "(not named)";
      return { ok: true, violation: problem("W7004", { obligation, detail: typeof v["message"] === "string" ? ` (the service says: ${v["message"]})` : "" }) };
    },
    async listable(requests: readonly RequestJson[]) {
      if (requests.length === 0) return [];
      const first = requests[0]! as unknown as { principal: { type: string; id: string }; action: { id: string }; context?: unknown };
      const body = {
        subject: { type: first.principal.type, id: first.principal.id },
        action: { name: first.action.id },
        context: first.context ?? {},
        evaluations: requests.map((r) => {
          const res = (r as unknown as { resource: { type: string; id: string } }).resource;
          return { resource: { type: res.type, id: res.id } };
        }),
      };
      const a = await track(post("/access/v1/evaluations", body));
      if (!a.ok) return a.problem;
      const list = a.body["evaluations"];
      if (a.status < 200 || a.status > 299 || !Array.isArray(list) || list.length !== requests.length) {
        return problem("W9007", { detail: `POST /access/v1/evaluations: HTTP ${a.status}: ${errorOf(a.body) ?? "not one evaluation per tool"}` });
      }
      return list.map((e) => isObject(e) && e["decision"] === true);
    },
    addTools() {
      return undefined;
    },
    async close() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}
