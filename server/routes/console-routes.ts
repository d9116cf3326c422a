/**
 * The governance console (`console/`, built by `npm run build:console`) served under
 * `/console/`: static files only — the console reads everything else from the lineage, bundle
 * and operations routes with the bearer token a person enters (kept in the tab's
 * sessionStorage), and verifies proofs itself.
 *
 * - `GET /console` → 308 to `/console/`; `GET /console/*` → a file of the build, with its
 *   content type, `nosniff`, no referrer, and a Content-Security-Policy that allows scripts,
 *   styles and requests from this origin only (no inline script, no framing);
 * - hashed assets are cached for a year, everything else revalidated;
 * - `proof-viewer.html` (the offline proof viewer, one self-contained file) is sent as a
 *   download: it is meant to be opened from disk, with no server;
 * - without a build, every console path answers 503 `W8102` with a page that says how to build
 *   it (the rest of the server works without the console).
 *
 * No token is needed for these files (they hold no data).
 */
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { problem } from "../../runtime/index.js";
import { sendProblem } from "../errors.js";
import { MIME_TYPES, resolveStaticPath } from "../static-files.js";

/** The Content-Security-Policy of console pages. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** The file a person downloads to check proofs offline. */
export const OFFLINE_VIEWER = "proof-viewer.html";

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Writ console — not built</title></head>
<body><h1>The Writ console is not built</h1>
<p>This server has no console build to serve. Build it in the Writ package with
<code>npm run build:console</code> and restart <code>writ serve</code>.</p>
<p>Every API route works without it (see docs/server.md).</p></body></html>
`;

/** Options of the console plugin. */
export interface ConsoleRoutesOptions {
  /** The console build folder (`console/dist`), or undefined when there is none. */
  readonly root: string | undefined;
}

function headers(reply: FastifyReply): FastifyReply {
  return reply.header("content-security-policy", CONSOLE_CSP).header("x-content-type-options", "nosniff").header("referrer-policy", "no-referrer").header("x-frame-options", "DENY");
}

/** The console plugin. */
export async function consoleRoutes(app: FastifyInstance, o: ConsoleRoutesOptions): Promise<void> {
  app.get("/console", { config: { name: "console" } }, async (_request, reply) => reply.redirect("/console/", 308));

  app.get("/console/*", { config: { name: "console" } }, async (request: FastifyRequest<{ Params: { "*": string } }>, reply) => {
    if (o.root === undefined) {
      const wantsPage = (request.headers.accept ?? "").includes("text/html");
      if (!wantsPage) return sendProblem(reply, problem("W8102", { detail: "the console is not built: run `npm run build:console` and restart writ serve" }));
      return headers(reply).code(503).type("text/html; charset=utf-8").send(NOT_BUILT);
    }
    const path = request.params["*"];
    const file = resolveStaticPath(o.root, `/${path}`);
    if (file === undefined) return sendProblem(reply, problem("W8006", { method: "GET", url: `/console/${path}`.slice(0, 200) }));
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return sendProblem(reply, problem("W8006", { method: "GET", url: `/console/${path}`.slice(0, 200) }));
    }
    headers(reply).type(MIME_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream");
    reply.header("cache-control", path.startsWith("assets/") ? "public, max-age=31536000, immutable" : "no-cache");
    if (path === OFFLINE_VIEWER) reply.header("content-disposition", `attachment; filename="writ-${OFFLINE_VIEWER}"`);
    return reply.send(body);
  });
}
