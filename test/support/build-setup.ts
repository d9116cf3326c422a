/**
 * vitest global setup: build dist/ (tsc and the CLI bundle) when a source file
 * is newer than the last build, so that tests running `bin/writ.js`, the
 * examples and `dist/runtime` never test stale code after a source change —
 * `npx vitest run` alone is enough. `npm test` builds first, so this finds
 * dist/ fresh and does nothing.
 */
import { ensureBuilt } from "../../scripts/build.mjs";

/** Build when stale (vitest calls this once before any test file runs). */
export default async function setup(): Promise<void> {
  const started = Date.now();
  if (await ensureBuilt()) process.stderr.write(`build-setup: sources changed since the last build: rebuilt dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
