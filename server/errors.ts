/**
 * Errors of `writ serve`: one table from catalog codes to HTTP statuses, one JSON body, and the
 * Fastify error and not-found handlers that turn every failure into that body.
 *
 * Body (every error, every route): `{ "error": "<one-line message>", "code": "W8004" }`, plus
 * `"details": [...]` when several problems were found (e.g. every diagnostic of a refused
 * bundle). AuthZEN asks for "an error message string" in a JSON object: `error` is that string.
 * Nothing else leaves the server: no stack, no internal error text on a 500 (the log has it).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { problem, type Problem } from "../runtime/index.js";
import type { RejectReason } from "./metrics.js";

/** HTTP status per catalog code (codes not listed: {@link statusOf}'s fallbacks). */
export const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  W8001: 401,
  W8002: 403,
  W8003: 413,
  W8004: 400,
  W8005: 415,
  W8006: 404,
  W8007: 503,
  W8008: 503,
  W8009: 503,
  W8013: 404,
  W8014: 409,
  W8015: 400,
  W8016: 409,
  W8017: 500,
  W8018: 500,
  W8019: 404,
  W8101: 404,
  W8102: 503,
  W6101: 400,
  W6102: 400,
  W6103: 400,
  W6104: 409,
  W6105: 400,
  W6204: 404,
  W6205: 503,
  W6206: 503,
  W6209: 503,
  W6210: 503,
  W6211: 404,
  W6213: 400,
  W7001: 400,
  W7006: 503,
  W7007: 500,
  W7009: 409,
  W8505: 503,
  W8506: 503,
  W8510: 503,
  W8511: 503,
};

/** The HTTP status of a problem code: the table, else 400 for input codes (W5xxx), else 500. */
export function statusOf(code: string): number {
  return STATUS_BY_CODE[code] ?? (code.startsWith("W5") ? 400 : 500);
}

/** The `reason` label a rejected status is counted under. */
export function rejectReason(status: number): RejectReason {
  switch (status) {
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 408:
      return "timeout";
    case 503:
      return "busy";
    case 409:
      return "conflict";
    case 413:
      return "body_too_large";
    case 415:
      return "unsupported_media_type";
    default:
      return status >= 500 ? "internal" : "bad_request";
  }
}

/** The JSON body of an error. */
export interface ErrorBody {
  readonly error: string;
  readonly code: string;
  readonly details?: readonly string[];
}

/** The body of a problem (and of further details). */
export function errorBody(p: Problem, details?: readonly string[]): ErrorBody {
  return details === undefined || details.length === 0 ? { error: p.message, code: p.code } : { error: p.message, code: p.code, details };
}

/** Send a problem with its status (and extra headers); returns the reply for `return`. */
export function sendProblem(reply: FastifyReply, p: Problem, details?: readonly string[], headers: Readonly<Record<string, string>> = {}): FastifyReply {
  for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  return reply.code(statusOf(p.code)).type("application/json; charset=utf-8").send(errorBody(p, details));
}

function timeoutProblem(): Problem {
  return problem("W8007", { detail: "the request did not complete within the request timeout" });
}

/**
 * Answer a request its handler did not answer within the request timeout (503 W8007): nothing
 * when it was answered meanwhile; a response already started is cut off instead.
 */
export function sendTimeout(reply: FastifyReply): void {
  if (reply.sent) return;
  if (reply.raw.headersSent) {
    reply.raw.destroy();
    return;
  }
  sendProblem(reply, timeoutProblem(), undefined, { "retry-after": "1" });
}

/** The JSON schema of an error body (routes declare it for their error statuses). */
export const ERROR_SCHEMA = {
  type: "object",
  required: ["error", "code"],
  properties: { error: { type: "string" }, code: { type: "string" }, details: { type: "array", items: { type: "string" } } },
} as const;

/** The problem of an error Fastify raised itself (validation, body parsing, limits, timeouts). */
function fastifyProblem(err: FastifyError, request: FastifyRequest, bodyLimit: number): Problem {
  switch (err.code) {
    case "FST_ERR_VALIDATION": {
      const where = (err as FastifyError & { validationContext?: string }).validationContext ?? "body";
      const first = err.validation?.[0];
      const path = first === undefined ? "" : `${where}${first.instancePath === "" ? "" : first.instancePath}`;
      const detail = first === undefined ? err.message : `${path === "" ? where : path} ${first.message ?? "is invalid"}`;
      return problem("W8004", { detail: `invalid request: ${detail}` });
    }
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return problem("W8003", { limit: bodyLimit });
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return problem("W8005", { detail: `unsupported content type ${JSON.stringify(request.headers["content-type"] ?? "")}: send application/json` });
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return problem("W8004", { detail: "the request body is empty: send a JSON object" });
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return problem("W8004", { detail: "the Content-Length does not match the body" });
    default:
      break;
  }
  if (err instanceof SyntaxError || err.code === "FST_ERR_CTP_INVALID_JSON_BODY" || (err.statusCode === 400 && /JSON/i.test(err.message))) {
    return problem("W8004", { detail: `the request body is not valid JSON: ${oneLine(err.message)}` });
  }
  if (err instanceof RangeError) return problem("W8004", { detail: "the request body is nested too deeply" });
  if (err.code === "FST_ERR_HANDLER_TIMEOUT" || err.statusCode === 408) return timeoutProblem();
  if (err.statusCode === 503) return problem("W8009", { detail: "the server is closing" });
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return problem("W8004", { detail: oneLine(err.message) });
  return problem("W8018", { requestId: String(request.id) });
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ").slice(0, 300);
}

/** Fastify's limit on one path value (its default): a longer one is refused before any route runs. */
export const MAX_PATH_VALUE = 100;

/**
 * The answer to an error Fastify's router raises before any route runs — a malformed
 * percent-encoding in the path, a path value over {@link MAX_PATH_VALUE} characters: W8004,
 * like any malformed request (Fastify's own body would leave the server otherwise).
 */
export function frameworkError(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const detail =
    err.code === "FST_ERR_MAX_PARAM_LENGTH"
      ? `a path value is longer than ${MAX_PATH_VALUE} characters`
      : err.code === "FST_ERR_BAD_URL"
        ? "the URL path is not valid (a malformed percent-encoding)"
        : oneLine(err.message);
  void sendProblem(reply, problem("W8004", { detail: `invalid request: ${detail}` }));
}

/**
 * Install the error and not-found handlers on the root instance. `onInternal` sees every
 * unexpected error (to log it); the response names only the request id.
 */
export function installErrorHandlers(app: FastifyInstance, bodyLimit: number, onInternal: (request: FastifyRequest, err: unknown) => void): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const p = fastifyProblem(err, request, bodyLimit);
    if (p.code === "W8018") onInternal(request, err);
    const headers: Record<string, string> = p.code === "W8009" || p.code === "W8007" ? { "retry-after": "1" } : {};
    return sendProblem(reply, p, undefined, headers);
  });
  app.setNotFoundHandler((request, reply) => sendProblem(reply, problem("W8006", { method: request.method, url: request.url.split("?")[0]!.slice(0, 200) })));
}
