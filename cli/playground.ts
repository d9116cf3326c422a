/**
 * `writ playground`: a tiny static file server for the built playground
 * (`playground/dist`), bound to 127.0.0.1 only.
 *
 * Only GET and HEAD are answered; paths are decoded, normalised and confined to the
 * dist folder (no directory traversal, no symlink escape, no dot-files). Nothing the
 * playground does is sent to this server: shared state lives in the URL fragment.
 */
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { findBuild, MIME_TYPES, resolveStaticPath } from "../server/static-files.js";

export { MIME_TYPES, resolveStaticPath } from "../server/static-files.js";

/** Options of `servePlayground`. */
export interface ServePlaygroundOptions {
  /** TCP port on 127.0.0.1; 0 or absent picks a free port. */
  readonly port?: number;
  /** The built playground folder; by default `playground/dist` of this package. */
  readonly root?: string;
}

/** A running playground server. */
export interface PlaygroundServer {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  /** Stop listening and drop open connections. */
  close(): Promise<void>;
}

/** The default dist folder: `playground/dist` in the nearest ancestor of this module that has one. */
export function defaultPlaygroundRoot(): string | undefined {
  return findBuild(dirname(fileURLToPath(import.meta.url)), "playground");
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(body), "X-Content-Type-Options": "nosniff" });
  res.end(body);
}

function handler(root: string) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      send(res, 405, "method not allowed\n");
      return;
    }
    const file = resolveStaticPath(root, req.url ?? "/");
    if (file === undefined) {
      send(res, 404, "not found\n");
      return;
    }
    const size = statSync(file).size;
    res.writeHead(200, {
      "Content-Type": MIME_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream",
      "Content-Length": size,
      "Cache-Control": "no-cache",
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
    });
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    const stream = createReadStream(file);
    stream.on("error", () => res.destroy());
    stream.pipe(res);
  };
}

/**
 * Serve the built playground on 127.0.0.1. Rejects with a one-line message when the
 * playground has not been built (`npm run build:playground`) or the port is taken.
 */
export function servePlayground(opts: ServePlaygroundOptions = {}): Promise<PlaygroundServer> {
  const root = opts.root ?? defaultPlaygroundRoot();
  if (root === undefined || !existsSync(join(root, "index.html"))) {
    return Promise.reject(new Error("the playground is not built: run `npm run build:playground` first"));
  }
  const absRoot = resolve(root);
  const server = createServer(handler(absRoot));
  return new Promise<PlaygroundServer>((resolvePromise, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) => {
      reject(new Error(e.code === "EADDRINUSE" ? `port ${opts.port ?? 0} on 127.0.0.1 is already in use` : `cannot serve the playground: ${e.message}`));
    });
    server.listen(opts.port ?? 0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolvePromise({
        url: `http://127.0.0.1:${port}/`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
