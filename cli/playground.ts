/**
 * `writ playground`: a tiny static file server for the built playground
 * (`playground/dist`), bound to 127.0.0.1 only.
 *
 * Only GET and HEAD are answered; paths are decoded, normalised and confined to the
 * dist folder (no directory traversal, no symlink escape, no dot-files). Nothing the
 * playground does is sent to this server: shared state lives in the URL fragment.
 */
import { createReadStream, existsSync, realpathSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, extname, join, relative, resolve, sep, isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";

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

/** Content types of the files a Vite build emits. */
export const MIME_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".ttf": "font/ttf",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".wasm": "application/wasm",
  ".txt": "text/plain; charset=utf-8",
};

/** The default dist folder: `playground/dist` in the nearest ancestor of this module that has one. */
export function defaultPlaygroundRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "playground", "dist");
    if (existsSync(join(candidate, "index.html"))) return candidate;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * Map a request path to a file inside `root`, or undefined when it must not be served.
 * `/` and directories map to their `index.html`.
 */
export function resolveStaticPath(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.split("?")[0]!.split("#")[0]!);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return undefined;
  const parts = decoded.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.some((p) => p === ".." || p.startsWith("."))) return undefined;
  let file = resolve(root, ...parts);
  const rel = relative(root, file);
  if (rel.startsWith("..") || isAbsolute(rel)) return undefined;
  try {
    if (statSync(file).isDirectory()) file = join(file, "index.html");
    // Refuse symlinks that lead outside the root.
    const real = realpathSync(file);
    const realRoot = realpathSync(root);
    if (real !== realRoot && !real.startsWith(realRoot + sep)) return undefined;
    return statSync(real).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
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
