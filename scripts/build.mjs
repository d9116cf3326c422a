/**
 * The build: `tsc -p tsconfig.build.json` (the library entries and their
 * declarations under dist/) and the `writ` command bundled by esbuild into
 * dist/cli-bundle/ (one entry plus a chunk per lazily imported command), which
 * bin/writ.js runs.
 *
 * Why a bundle: Node loads chevrotain's ESM tree (hundreds of small modules)
 * in about 0.5 s, and one bundled file in a few milliseconds; with a chunk per
 * command, `writ --version` loads only commander and the entry.
 *
 * `node scripts/build.mjs` builds everything; `node scripts/build.mjs --if-stale`
 * builds only when a source file is newer than the last build (the test setup
 * uses it, so a test run never exercises stale code). The build writes
 * dist/.build-stamp, whose mtime is the time the build started.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The project root (the folder holding package.json). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const SOURCE_DIRS = ["lang", "stdlib", "compiler", "runtime", "server", "mcp", "mesh", "cli", "bench"];
const SOURCE_FILES = ["package.json", "tsconfig.json", "tsconfig.build.json", "scripts/build.mjs"];
const STAMP = join("dist", ".build-stamp");

/** The options of the CLI bundle (esbuild). */
export function cliBundleOptions(root = ROOT) {
  return {
    entryPoints: { writ: join(root, "cli", "main.ts") },
    outdir: join(root, "dist", "cli-bundle"),
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    // NOTE: better-sqlite3 is a native module, loaded at run time (and optional). The service
    // commands' dependencies (serve, mcp, mesh) stay packages too: only those commands load them.
    external: ["better-sqlite3", "fastify", "@fastify/*", "pg", "prom-client", "@modelcontextprotocol/sdk", "@modelcontextprotocol/sdk/*"],
    chunkNames: "chunks/[name]-[hash]",
    // NOTE: bundled CommonJS dependencies (commander) call require(); ESM output has none.
    banner: { js: 'import { createRequire as __writRequire } from "node:module"; const require = __writRequire(import.meta.url);' },
    legalComments: "none",
    logLevel: "warning",
  };
}

function newestIn(path, newest) {
  let st;
  try {
    st = statSync(path);
  } catch {
    return newest;
  }
  if (!st.isDirectory()) return path.endsWith(".d.ts") || !/\.(ts|mts|mjs|json)$/.test(path) ? newest : Math.max(newest, st.mtimeMs);
  for (const e of readdirSync(path)) if (e !== "node_modules" && !e.startsWith(".")) newest = newestIn(join(path, e), newest);
  return newest;
}

/** The mtime of the newest source file (ms), the one the build must be newer than. */
export function newestSource(root = ROOT) {
  let newest = 0;
  for (const d of SOURCE_DIRS) newest = newestIn(join(root, d), newest);
  for (const f of SOURCE_FILES) newest = Math.max(newest, existsSync(join(root, f)) ? statSync(join(root, f)).mtimeMs : 0);
  return newest;
}

/** True when dist/ is missing or older than a source file. */
export function isStale(root = ROOT) {
  const stamp = join(root, STAMP);
  if (!existsSync(stamp) || !existsSync(join(root, "dist", "cli-bundle", "writ.js"))) return true;
  return statSync(stamp).mtimeMs < newestSource(root);
}

/** Build the CLI bundle only (dist/cli-bundle/). */
export async function buildCli(root = ROOT) {
  const { build } = await import("esbuild");
  const options = cliBundleOptions(root);
  rmSync(options.outdir, { recursive: true, force: true });
  await build(options);
}

/** Build everything: tsc, then the CLI bundle; throws when either fails. */
export async function buildAll(root = ROOT) {
  const started = new Date();
  const tsc = spawnSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"], { cwd: root, encoding: "utf8" });
  if (tsc.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed:\n${tsc.stdout}${tsc.stderr}`);
  await buildCli(root);
  mkdirSync(join(root, "dist"), { recursive: true });
  writeFileSync(join(root, STAMP), `${started.toISOString()}\n`);
  utimesSync(join(root, STAMP), started, started);
}

/** Build when stale; true when it built. */
export async function ensureBuilt(root = ROOT) {
  if (!isStale(root)) return false;
  await buildAll(root);
  return true;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const ifStale = process.argv.includes("--if-stale");
  try {
    if (ifStale) await ensureBuilt();
    else await buildAll();
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
