#!/usr/bin/env node
/**
 * Regenerate `playground/public/lineage-sample/`: run `writ demo` in an empty folder, then
 * `writ lineage show 0 --json` and `writ lineage prove <i>` for every `authorized` /
 * `denied` event of the tree. Run with `npm run sample:lineage` after the event, record or
 * proof format changes (the build must be current: it runs `bin/writ.js`).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const out = join(root, "playground", "public", "lineage-sample");
const work = mkdtempSync(join(tmpdir(), "writ-lineage-sample-"));
const writ = (...args) => execFileSync(process.execPath, [join(root, "bin", "writ.js"), ...args], { cwd: work, encoding: "utf8" });
try {
  writ("demo");
  const show = writ("lineage", "show", "0", "--json");
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "show.json"), show);
  const decisions = [];
  const walk = (n) => {
    for (const e of n.events) if (e.phase === "authorized" || e.phase === "denied") decisions.push(e.index);
    n.children.forEach(walk);
  };
  walk(JSON.parse(show));
  const files = ["show.json"];
  for (const i of decisions.sort((a, b) => a - b)) {
    writ("lineage", "prove", String(i), "-o", join(out, `proof-${i}.json`));
    files.push(`proof-${i}.json`);
  }
  const about = "npm run sample:lineage: writ demo, then writ lineage show 0 --json > show.json and writ lineage prove <i> -o proof-<i>.json for each decision event";
  writeFileSync(join(out, "index.json"), `${JSON.stringify({ about, files }, null, 2)}\n`);
  process.stdout.write(`wrote ${files.length} files to ${out}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
