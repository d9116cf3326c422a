/**
 * Static files of a Vite build, served safely: content types by extension, and request paths
 * decoded, normalised and confined to the build folder (no directory traversal, no symlink
 * escape, no dot-files). Used by `writ playground` and by the console plugin of `writ serve`.
 *
 * NOTE: Node only (node:fs, node:path).
 */
import { existsSync, realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";

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

/** True when `dir` holds a build (an `index.html`). */
export function isBuild(dir: string): boolean {
  return existsSync(join(dir, "index.html"));
}

/** The nearest `<folder>/dist` holding an `index.html`, walking up from `from` (a module's folder). */
export function findBuild(from: string, folder: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = join(dir, folder, "dist");
    if (isBuild(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}
