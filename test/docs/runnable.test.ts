/**
 * Every command and snippet in README.md and docs/*.md runs as written.
 *
 * Marker convention — the info string of a fenced block, after its language:
 *
 * - ```` ```sh runnable ```` — run by bash (`set -euo pipefail`); it must exit 0, or N
 *   with ```` ```sh runnable exit=N ````. `writ …` and `npx writ …` run this checkout's
 *   bin/writ.js (as `npx writ` does in a project that installed writ).
 * - ```` ```ts runnable ```` — type-checked by tsc (strict, `nodenext`, as a module of a
 *   project that depends on writ: `writ/runtime` and the other entries resolve to the
 *   package's exports and declarations), then run (types stripped by esbuild) with node.
 * - ```` ```js runnable ```` — run with node as an ES module.
 * - ```` ```<any> runnable file=<path> ```` — not run: written to `<path>` for the blocks
 *   after it (a test file, a request).
 * - ```` ```sh not-runnable ```` (or ts, js) — deliberately not run: installing,
 *   the project's own test suite, a server left running; the text around it says why.
 *
 * Every sh/bash/ts/js block carries `runnable` or `not-runnable`: nothing is unchecked by
 * omission. The blocks of one markdown file run in document order in one scratch folder
 * (test-artifacts/docs/<file>/, inside the project, with a copy of examples/), so a block
 * may use what an earlier one wrote (keys, bundles, a lineage log).
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { transformSync } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SCRATCH = join(ROOT, "test-artifacts", "docs");
const CHECKED = new Set(["sh", "bash", "ts", "js"]);

/** A fenced block of a markdown file and its markers. */
interface Block {
  readonly file: string;
  readonly lang: string;
  readonly marker: "runnable" | "not-runnable" | undefined;
  readonly options: ReadonlyMap<string, string>;
  readonly body: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
}

function blocksOf(file: string): Block[] {
  const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)(.*)$/.exec(lines[i]!);
    if (open === null) continue;
    const start = i;
    const words = open[2]!.trim().split(/\s+/).filter((w) => w !== "");
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== "```"; i++) body.push(lines[i]!);
    const marker = words.includes("runnable") ? "runnable" : words.includes("not-runnable") ? "not-runnable" : undefined;
    const options = new Map(words.filter((w) => w.includes("=")).map((w) => w.split("=", 2) as [string, string]));
    out.push({ file, lang: open[1]!, marker, options, body: `${body.join("\n")}\n`, line: start + 1 });
  }
  return out;
}

const FILES = ["README.md", ...readdirSync(join(ROOT, "docs"))
  .filter((f) => f.endsWith(".md"))
  .sort()
  .map((f) => `docs/${f}`)];
const BLOCKS = FILES.flatMap(blocksOf);
const scratchOf = (file: string): string => join(SCRATCH, file.replace(/\.md$/, "").replace(/\//g, "-"));
const tsPath = (b: Block): string => join(scratchOf(b.file), `block-${b.line}.ts`);

const SHELL_PRELUDE = `set -euo pipefail
writ() { node "$WRIT_ROOT/bin/writ.js" "$@"; }
npx() { if [ "\${1:-}" = writ ]; then shift; writ "$@"; else command npx "$@"; fi; }
`;

function run(cmd: string, args: readonly string[], cwd: string): { code: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 120_000, env: { ...process.env, WRIT_ROOT: ROOT, NO_COLOR: "1" } });
  return { code: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error === undefined ? "" : String(r.error)}` };
}

let typeErrors = "";

beforeAll(() => {
  rmSync(SCRATCH, { recursive: true, force: true });
  for (const file of FILES) {
    mkdirSync(scratchOf(file), { recursive: true });
    cpSync(join(ROOT, "examples"), join(scratchOf(file), "examples"), { recursive: true });
  }
  const ts = BLOCKS.filter((b) => b.lang === "ts" && b.marker === "runnable" && !b.options.has("file"));
  if (ts.length === 0) return;
  for (const b of ts) writeFileSync(tsPath(b), b.body);
  writeFileSync(
    join(SCRATCH, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { strict: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", noEmit: true, types: ["node"], skipLibCheck: true }, files: ts.map(tsPath) }),
  );
  const r = run(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", SCRATCH], SCRATCH);
  typeErrors = r.code === 0 ? "" : r.out;
}, 180_000);

describe("fenced blocks are marked", () => {
  it("finds runnable shell and TypeScript/JavaScript blocks", () => {
    const runnable = BLOCKS.filter((b) => b.marker === "runnable");
    expect(runnable.filter((b) => b.lang === "sh").length).toBeGreaterThanOrEqual(5);
    expect(runnable.filter((b) => b.lang === "ts" || b.lang === "js").length).toBeGreaterThanOrEqual(2);
  });

  it.each(BLOCKS.filter((b) => CHECKED.has(b.lang)).map((b) => [`${b.file}:${b.line}`, b] as const))("%s says runnable or not-runnable", (_n, b) => {
    expect(b.marker, `${b.file}:${b.line}: mark the \`\`\`${b.lang} block runnable or not-runnable`).toBeDefined();
  });
});

for (const file of FILES) {
  const blocks = BLOCKS.filter((b) => b.file === file && b.marker === "runnable");
  if (blocks.length === 0) continue;
  describe(`${file}: runnable blocks, in order`, () => {
    for (const b of blocks) {
      const first = b.body.split("\n").find((l) => l.trim() !== "" && !l.startsWith("#") && !l.startsWith("//")) ?? "";
      it(`line ${b.line}: ${b.lang} ${first.slice(0, 60)}`, () => {
        const cwd = scratchOf(file);
        const target = b.options.get("file");
        if (target !== undefined) {
          mkdirSync(dirname(join(cwd, target)), { recursive: true });
          writeFileSync(join(cwd, target), b.body);
          return;
        }
        if (b.lang === "sh") {
          const r = run("bash", ["-c", SHELL_PRELUDE + b.body], cwd);
          expect(r.out).not.toMatch(/internal error|\n\s+at .*\(.*:\d+:\d+\)/);
          expect(r.code, r.out).toBe(Number(b.options.get("exit") ?? 0));
          return;
        }
        if (b.lang === "ts") {
          const mine = typeErrors.split("\n").filter((l) => l.includes(`block-${b.line}.ts`) && l.includes(scratchOf(file).split("/").pop()!));
          expect(mine, typeErrors).toEqual([]);
        }
        const js = b.lang === "ts" ? transformSync(b.body, { loader: "ts", format: "esm", target: "node20" }).code : b.body;
        const script = join(cwd, `block-${b.line}.mjs`);
        writeFileSync(script, js);
        const r = run(process.execPath, [script], cwd);
        expect(r.code, r.out).toBe(0);
      });
    }
  });
}
