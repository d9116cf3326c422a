/**
 * Browser tests' shared pieces: Debian's chromium driven by playwright-core (headless, no
 * sandbox, no background networking), and a Vite build redone only when its sources are newer.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

const ROOT = resolve(import.meta.dirname, "../..");

/** Debian's chromium. */
export const CHROMIUM = "/usr/bin/chromium";

/** The flags every browser test launches chromium with. */
export const CHROMIUM_ARGS: readonly string[] = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** The newest modification time under `path` (0 when it does not exist). */
export function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** Run `vite build --config <config>` unless `marker` (a built file) is newer than every source (paths from the repository root). */
export function buildIfStale(config: string, marker: string, sources: readonly string[]): void {
  const built = existsSync(join(ROOT, marker)) ? statSync(join(ROOT, marker)).mtimeMs : 0;
  if (built > Math.max(...sources.map((p) => newestMtime(join(ROOT, p))))) return;
  execFileSync(process.execPath, [join(ROOT, "node_modules", "vite", "bin", "vite.js"), "build", "--config", config], { cwd: ROOT, stdio: "pipe", timeout: 240_000 });
}

/** Launch chromium with a fresh profile in `userDataDir` (headless, {@link CHROMIUM_ARGS}). */
export function launchChromium(userDataDir: string, viewport: { readonly width: number; readonly height: number }): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, args: [...CHROMIUM_ARGS], viewport });
}
