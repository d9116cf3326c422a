/**
 * Where a worker thread's script is: the built module under `dist/`, found from wherever this
 * module runs — `dist/runtime/` (the library), `dist/cli-bundle/` or one of its chunks (the
 * `writ` command), or the TypeScript sources (tests, which build `dist/` first).
 *
 * NOTE: Node only.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The path of `dist/<script>` (e.g. `runtime/lineage/sqlite-worker.js`), or undefined when it is not built. */
export function workerScript(script: string): string | undefined {
  for (const prefix of ["../", "../../", "../dist/"]) {
    const path = fileURLToPath(new URL(prefix + script, import.meta.url));
    if (existsSync(path)) return path;
  }
  return undefined;
}
