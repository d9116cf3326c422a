#!/usr/bin/env node
/**
 * `npm run fuzz`: the fuzz suite (test/fuzz/fuzz.test.ts) for longer than the slice inside
 * `npm test`. Options: `--runs <n>` (cases per target, default 2000) and `--seed <n>` (default:
 * a fresh one, printed so that a failure can be replayed). The environment variables
 * `WRIT_FUZZ_RUNS` and `WRIT_FUZZ_SEED` work too; options win.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const args = process.argv.slice(2);

function option(name, fallback) {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = args[i + 1];
  if (v === undefined || !/^\d+$/.test(v)) {
    console.error(`writ fuzz: --${name} needs a non-negative integer`);
    process.exit(2);
  }
  return v;
}

const runs = option("runs", process.env.WRIT_FUZZ_RUNS ?? "2000");
const seed = option("seed", process.env.WRIT_FUZZ_SEED ?? String(Date.now() % 2147483647));
console.log(`fuzz: ${runs} runs per target, seed ${seed} (replay: npm run fuzz -- --runs ${runs} --seed ${seed})`);
const r = spawnSync(process.execPath, [join(root, "node_modules", "vitest", "vitest.mjs"), "run", "test/fuzz"], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, WRIT_FUZZ_RUNS: runs, WRIT_FUZZ_SEED: seed },
});
process.exit(r.status ?? 1);
