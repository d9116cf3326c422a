/**
 * Build of the Writ playground: `vite build --config playground/vite.config.ts`
 * writes static files to `playground/dist` (relative asset URLs, so any static
 * server or sub-path works).
 *
 * NOTE: the pipeline guard lets the playground build while the language core is
 * still being written: when a public entry module (`lang/index.ts`,
 * `compiler/index.ts`, `stdlib/index.ts`) imports a file that does not exist yet,
 * the entry is replaced by an empty module and the playground reports that stage
 * as unavailable. With a complete tree the guard changes nothing.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));
const repo = fileURLToPath(new URL("..", import.meta.url));
const ENTRIES = ["lang/index.ts", "compiler/index.ts", "stdlib/index.ts"].map((p) => resolve(repo, p));
const MISSING = "\0writ-missing-stage";

/** The first relative import reachable from `file` that does not exist, if any. */
function firstMissing(file: string, seen = new Set<string>()): string | undefined {
  if (seen.has(file)) return undefined;
  seen.add(file);
  if (!existsSync(file)) return file;
  const src = readFileSync(file, "utf8");
  const re = /(?:^|[;\s])(?:import|export)\s*(?:type\s)?[^;'"]*?(?:from\s*)?["'](\.{1,2}\/[^"']+)["']/g;
  for (let m = re.exec(src); m !== null; m = re.exec(src)) {
    if (/^\s*(?:import|export)\s+type\s/.test(m[0].replace(/^[;\s]/, ""))) continue; // erased at build time
    const target = resolve(dirname(file), m[1]!);
    const ts = target.replace(/\.js$/, ".ts");
    const hit = existsSync(ts) ? ts : target;
    const missing = firstMissing(hit, seen);
    if (missing !== undefined) return missing;
  }
  return undefined;
}

function pipelineGuard(): Plugin {
  return {
    name: "writ-pipeline-guard",
    enforce: "pre",
    resolveId(source, importer) {
      if (importer === undefined || !importer.endsWith("writ-api.ts")) return null;
      const target = resolve(dirname(importer), source);
      if (!ENTRIES.includes(target)) return null;
      const missing = firstMissing(target);
      if (missing === undefined) return null;
      this.warn(`${target.slice(repo.length)} is incomplete (${missing.slice(repo.length)} is missing): built without it`);
      return MISSING;
    },
    load(id) {
      return id === MISSING ? "export {};" : null;
    },
  };
}

export default defineConfig({
  root,
  base: "./",
  logLevel: "warn",
  plugins: [pipelineGuard()],
  build: {
    outDir: fileURLToPath(new URL("./dist", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 4096,
    reportCompressedSize: false,
  },
  worker: { format: "es", plugins: () => [pipelineGuard()] },
  server: { fs: { allow: [repo] } },
});
