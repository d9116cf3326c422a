/**
 * The Fastify application of `writ serve`, built from a decision node: one loading order —
 * hooks (request id, tokens and scopes, metrics, one log line per request), the error and
 * not-found handlers, then one plugin per API (operations, AuthZEN, governed execution,
 * bundles and entities, lineage reads, the mesh), and the console's static files.
 *
 * Every route declares its scope and metric name in its `config`; the `onRequest` hook
 * authenticates the bearer token (when the server has tokens) and checks the scope before
 * the body is read. Nothing lives in module globals: the app holds a {@link RouteContext}.
 */
import { randomUUID } from "node:crypto";
import Fastify, { LogController, type FastifyInstance, type FastifyRequest } from "fastify";
import { problem } from "../runtime/index.js";
import { CandidateCache } from "./authzen-search.js";
import type { DecisionNode, Snapshot } from "./decision-node.js";
import { frameworkError, installErrorHandlers, MAX_PATH_VALUE, rejectReason, sendProblem, sendTimeout } from "./errors.js";
import type { ServerMetrics } from "./metrics.js";
import { authzenRoutes } from "./routes/authzen-routes.js";
import { bundleRoutes } from "./routes/bundle-routes.js";
import { consoleRoutes } from "./routes/console-routes.js";
import { governedRoutes } from "./routes/governed-routes.js";
import { lineageRoutes } from "./routes/lineage-routes.js";
import { meshRoutes } from "./routes/mesh-routes.js";
import type { MeshPort } from "./mesh-port.js";
import { operationsRoutes } from "./routes/operations-routes.js";
import { hasScope, type Caller, type Scope, type TokenTable } from "./tokens.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The token that authenticated the request (servers with tokens). */
    caller: Caller | undefined;
    /** `process.hrtime.bigint()` when the request arrived. */
    startedAt: bigint;
    /** The request timeout's timer (cleared when the response is sent). */
    deadline: ReturnType<typeof setTimeout> | undefined;
  }
  interface FastifyContextConfig {
    /** The scope a token needs for this route (absent: public). */
    scope?: Scope;
    /** The route's name in metrics and logs. */
    name?: string;
  }
}

/** What the route plugins share (owned by one server instance). */
export interface RouteContext {
  readonly node: DecisionNode;
  readonly metrics: ServerMetrics;
  readonly candidates: CandidateCache;
  /** The base URL the AuthZEN metadata names (default: from each request). */
  readonly publicUrl: string | undefined;
  /** Body limit of the bundle and entity routes. */
  readonly bundleBodyLimit: number;
  /** True once the server started closing. */
  readonly closing: () => boolean;
  /** Called after a bundle swap (`api` or `watch`). */
  readonly onBundle: (s: Snapshot, source: "api" | "watch") => void;
  /** True when routes with a scope need a bearer token. */
  readonly tokens: boolean;
  /** The mesh, when this server is a mesh node. */
  readonly mesh: MeshPort | undefined;
}

/** One route of the app: method, path and the scope a token needs (none: public). */
export interface RouteInfo {
  readonly method: string;
  readonly url: string;
  readonly scope: Scope | undefined;
}

/** Options of {@link buildApp}. */
export interface AppOptions {
  readonly node: DecisionNode;
  readonly metrics: ServerMetrics;
  readonly tokens: TokenTable | undefined;
  readonly publicUrl: string | undefined;
  readonly trustProxy: boolean | string;
  readonly bodyLimit: number;
  readonly bundleBodyLimit: number;
  readonly requestTimeoutMs: number;
  /** Where JSON log lines go (none: no logging). */
  readonly logStream: { write(line: string): void } | undefined;
  readonly logLevel: string;
  readonly closing: () => boolean;
  readonly onBundle: (s: Snapshot, source: "api" | "watch") => void;
  /** The console build folder; undefined: `/console/` says it is not built; false: no console routes. */
  readonly consoleRoot?: string | false;
  readonly mesh?: MeshPort;
}

const REQUEST_ID = /^[\x20-\x7e]{1,1024}$/;

/** The request id: the caller's `X-Request-ID` (echoed unchanged), else a random UUID. */
function requestId(req: { headers: Record<string, string | string[] | undefined> }): string {
  const h = req.headers["x-request-id"];
  return typeof h === "string" && REQUEST_ID.test(h) ? h : randomUUID();
}

const BEARER = 'Bearer realm="writ"';

/** Build the application (routes registered, not listening). */
export async function buildApp(o: AppOptions): Promise<{ readonly app: FastifyInstance; readonly context: RouteContext; readonly routes: readonly RouteInfo[] }> {
  const app = Fastify({
    logger: o.logStream === undefined ? false : { level: o.logLevel, stream: o.logStream, base: { node: o.node.name } },
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestId,
    bodyLimit: o.bodyLimit,
    requestTimeout: o.requestTimeoutMs,
    trustProxy: o.trustProxy,
    return503OnClosing: true,
    forceCloseConnections: "idle",
    routerOptions: { maxParamLength: MAX_PATH_VALUE },
    // The router's own errors skip every hook: the request id, the counters and the log line are given here.
    frameworkErrors: (err, request, reply) => {
      reply.header("x-request-id", request.id);
      frameworkError(err, request, reply);
      o.metrics.request("unknown", request.method, 400, 0);
      o.metrics.reject(rejectReason(400));
      if (o.logStream !== undefined) logLine(request, 400, 0, "unknown");
    },
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
  });
  const context: RouteContext = {
    node: o.node,
    metrics: o.metrics,
    candidates: new CandidateCache(),
    publicUrl: o.publicUrl,
    bundleBodyLimit: o.bundleBodyLimit,
    closing: o.closing,
    onBundle: o.onBundle,
    tokens: o.tokens !== undefined,
    mesh: o.mesh,
  };
  const routes: RouteInfo[] = [];
  app.addHook("onRoute", (r) => {
    for (const method of Array.isArray(r.method) ? r.method : [r.method]) if (method !== "HEAD") routes.push({ method, url: r.url, scope: r.config?.scope });
  });
  app.decorateRequest("caller", undefined);
  app.decorateRequest("startedAt", 0n);
  app.decorateRequest("deadline", undefined);

  // NOTE: the per-request hooks take a callback instead of returning a promise: one promise and
  // one microtask fewer per hook and request.
  app.addHook("onRequest", (request, reply, done) => {
    request.startedAt = process.hrtime.bigint();
    // Every answer carries the request id (error handlers keep the headers set here; no onSend hook per request).
    reply.header("x-request-id", request.id);
    // NOTE: the request timeout is this timer, not Fastify's `handlerTimeout`, which makes an
    // AbortController per request and aborts it (a DOMException with a stack) when each one closes.
    const deadline = setTimeout(() => sendTimeout(reply), o.requestTimeoutMs);
    deadline.unref();
    request.deadline = deadline;
    const scope = request.routeOptions.config.scope;
    if (scope === undefined || o.tokens === undefined) return done();
    const caller = o.tokens.authenticate(request.headers.authorization);
    // An early answer ends the request: `done` is not called after it.
    if (caller === undefined) {
      const detail = request.headers.authorization === undefined ? "this route needs `Authorization: Bearer <token>`" : "the bearer token is not valid";
      sendProblem(reply, problem("W8001", { detail }), undefined, { "www-authenticate": BEARER });
      return;
    }
    if (!hasScope(caller, scope)) {
      sendProblem(reply, problem("W8002", { token: caller.name, scope }), undefined, { "www-authenticate": `${BEARER}, error="insufficient_scope", scope="${scope}"` });
      return;
    }
    request.caller = caller;
    done();
  });

  app.addHook("onResponse", (request, reply, done) => {
    clearTimeout(request.deadline);
    const seconds = Number(process.hrtime.bigint() - request.startedAt) / 1e9;
    const name = request.routeOptions.config.name ?? "unknown";
    const status = reply.statusCode;
    o.metrics.request(name, request.method, status, seconds);
    if (status >= 400 && !(name === "readyz" && status === 503)) o.metrics.reject(rejectReason(status));
    if (o.logStream !== undefined) logLine(request, status, seconds, name);
    done();
  });

  installErrorHandlers(app, o.bodyLimit, (request, err) => {
    request.log.error({ err: { type: err instanceof Error ? err.name : typeof err, message: err instanceof Error ? err.message : String(err) } }, "internal error");
  });

  await app.register(operationsRoutes, context);
  await app.register(authzenRoutes, context);
  await app.register(governedRoutes, context);
  await app.register(bundleRoutes, context);
  await app.register(lineageRoutes, context);
  if (o.consoleRoot !== false) await app.register(consoleRoutes, { root: o.consoleRoot });
  await app.register(meshRoutes, context);
  return { app, context, routes };
}

/** One structured line per request: method, path, route, status, time, caller (never headers or bodies). */
function logLine(request: FastifyRequest, status: number, seconds: number, route: string): void {
  const path = request.url.split("?")[0]!.slice(0, 512);
  const line = { method: request.method, path, route, status, ms: Math.round(seconds * 1e6) / 1e3, ...(request.caller === undefined ? {} : { caller: request.caller.name }) };
  if (status >= 500) request.log.warn(line, "request");
  else request.log.info(line, "request");
}
