/**
 * The installable package: `npm pack` ships dist/ (the CLI bundle, runtime,
 * compiler, lang, stdlib), the built playground, the examples and the docs,
 * and nothing else (no tests, bench, sources, CI files). The tarball installs
 * into a fresh project — offline from the tarball and the npm cache, without
 * the optional better-sqlite3, as a runtime-only user would — and there:
 * `writ --version` runs, `writ compile` builds a bundle that `writ/runtime`
 * loads and decides on, strict `nodenext` TypeScript type-checks against the
 * package's types (the browser entry with its own, smaller declarations), a
 * SQLite log says in one line which package it needs, and the CI workflow
 * `writ init` scaffolds runs step by step as written.
 *
 * Also: engines and dependencies agree (no locked package refuses Node 20.19,
 * the `engines` minimum), and README's Node line says the same.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const PKG = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { name: string; version: string; engines: { node: string } };
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
const QUIET = ["--no-audit", "--no-fund", "--loglevel=error"];

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(cmd: string, args: readonly string[], cwd: string, timeout = 300_000): Run {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: "1", npm_config_update_notifier: "false" } });
  return { code: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? `${String(r.error)}` };
}

function ok(r: Run, what: string): Run {
  expect(r.code, `${what}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

let tmp: string;
let tarball: string;
let packed: string[];
let app: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "writ-package-"));
  if (!existsSync(join(ROOT, "playground", "dist", "index.html"))) {
    execFileSync(process.execPath, [join(ROOT, "node_modules", "vite", "bin", "vite.js"), "build", "--config", "playground/vite.config.ts"], { cwd: ROOT, stdio: "pipe", timeout: 240_000 });
  }
  // NOTE: --ignore-scripts: dist/ is already built (the test setup rebuilds it when sources are newer).
  const r = ok(run(NPM, ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp, ...QUIET], ROOT), "npm pack");
  const info = JSON.parse(r.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(tmp, info[0]!.filename);
  packed = info[0]!.files.map((f) => f.path);
  app = join(tmp, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }, null, 2));
  ok(run(NPM, ["install", "--prefer-offline", "--omit=optional", "--ignore-scripts", ...QUIET, tarball], app), "npm install <tarball>");
}, 600_000);

afterAll(() => {
  if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
});

describe("npm pack", () => {
  it("ships the CLI bundle, every library entry with its declarations, the built playground, examples and docs", () => {
    for (const f of [
      "package.json",
      "README.md",
      "bin/writ.js",
      "dist/cli-bundle/writ.js",
      ...["lang", "stdlib", "compiler", "runtime"].flatMap((e) => [`dist/${e}/index.js`, `dist/${e}/index.d.ts`]),
      "dist/runtime/browser.js",
      "dist/runtime/browser.d.ts",
      "playground/dist/index.html",
      "examples/doc-sharing/policies.cedar",
      "docs/cli.md",
    ]) {
      expect(packed, f).toContain(f);
    }
    expect(packed.some((f) => f.startsWith("dist/cli-bundle/chunks/"))).toBe(true);
  });

  it("leaves out tests, the bench, sources, the playground's sources, CI files and build leftovers", () => {
    const unwanted = packed.filter(
      (f) =>
        /^(test|bench|lang|stdlib|compiler|runtime|cli|scripts|\.ci|\.github|playground\/src|playground\/public|node_modules)\//.test(f) ||
        /^dist\/(bench|cli)\//.test(f) ||
        f === "dist/.build-stamp" ||
        /^(tsconfig.*|vitest\.config\.ts|package-lock\.json|\.gitignore)$/.test(f),
    );
    expect(unwanted).toEqual([]);
  });
});

describe("the installed package", () => {
  const bin = (): string => join(app, "node_modules", ".bin", process.platform === "win32" ? "writ.cmd" : "writ");

  it("was installed without the optional better-sqlite3", () => {
    expect(existsSync(join(app, "node_modules", PKG.name, "dist", "cli-bundle", "writ.js"))).toBe(true);
    expect(existsSync(join(app, "node_modules", "better-sqlite3"))).toBe(false);
  });

  it("writ --version prints the package version", () => {
    expect(ok(run(bin(), ["--version"], app), "writ --version").stdout.trim()).toBe(PKG.version);
  });

  it("writ compile builds a bundle that writ/runtime loads and decides on", () => {
    const ex = join(app, "node_modules", PKG.name, "examples", "embedding");
    ok(run(bin(), ["compile", join(ex, "policies.cedar"), "--schema", join(ex, "schema.cedarschema"), "--sequence", "1", "-o", "bundle.json"], app), "writ compile");
    writeFileSync(
      join(app, "decide.mjs"),
      `import { readFileSync } from "node:fs";
import { decide, loadBundle } from "writ/runtime";
const ex = "node_modules/writ/examples/embedding/";
const loaded = loadBundle(JSON.parse(readFileSync("bundle.json", "utf8")));
if (loaded.bundle === undefined) throw new Error(JSON.stringify(loaded.diagnostics));
const record = decide(loaded.bundle, JSON.parse(readFileSync(ex + "request.json", "utf8")), JSON.parse(readFileSync(ex + "entities.json", "utf8")));
process.stdout.write(JSON.stringify({ decision: record.decision, reasons: record.reasons.map((r) => r.name), bundleId: record.bundleId === loaded.bundle.bundleId }));
`,
    );
    const r = ok(run(process.execPath, ["decide.mjs"], app), "node decide.mjs");
    const out = JSON.parse(r.stdout) as { decision: string; reasons: string[]; bundleId: boolean };
    expect(out.decision).toBe("allow");
    expect(out.reasons.length).toBeGreaterThan(0);
    expect(out.bundleId).toBe(true);
  });

  it("a SQLite lineage log without better-sqlite3 is one clear line naming the package", () => {
    writeFileSync(join(app, "sqlite.mjs"), `import { openSqliteStore } from "writ/runtime";\nconst r = openSqliteStore({ dir: "logs" });\nprocess.stdout.write(JSON.stringify(r));\n`);
    const r = ok(run(process.execPath, ["sqlite.mjs"], app), "node sqlite.mjs");
    const opened = JSON.parse(r.stdout) as { ok: boolean; problem?: { code: string; message: string } };
    expect(opened.ok).toBe(false);
    expect(opened.problem?.code).toBe("W6205");
    expect(opened.problem?.message).toContain("the SQLite lineage store needs the optional package better-sqlite3, which is not installed (npm install better-sqlite3)");
    const demo = run(bin(), ["demo"], join(app));
    expect(demo.code).not.toBe(0);
    expect(demo.stderr.trim().split("\n")).toHaveLength(1);
    expect(demo.stderr).toMatch(/better-sqlite3/);
  });

  /** tsc (strict, nodenext) on consumer files named by their contents, in a folder of the consumer project. */
  function typecheck(name: string, sources: Readonly<Record<string, string>>, conditions: readonly string[] = []): Run {
    const dir = join(app, name);
    mkdirSync(dir, { recursive: true });
    for (const [file, source] of Object.entries(sources)) writeFileSync(join(dir, file), source);
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "es2022",
          noEmit: true,
          skipLibCheck: false,
          types: ["node"],
          typeRoots: [join(ROOT, "node_modules", "@types")],
          ...(conditions.length === 0 ? {} : { customConditions: conditions }),
        },
        files: Object.keys(sources),
      }),
    );
    return run(process.execPath, [TSC, "-p", dir], app);
  }

  it("strict nodenext TypeScript type-checks against every entry", () => {
    const r = typecheck("ts-node-entry", {
      "consumer.ts": `import { decide, loadBundle, Governor, type DecisionRecord, type EntityJson, type RequestJson } from "writ/runtime";
import { compile, loadSchema } from "writ/compiler";
import { parsePolicies, parseSchema } from "writ/lang";
import { Entities } from "writ/stdlib";
const parsed = parsePolicies("permit (principal, action, resource);");
const schema = parseSchema("entity User;");
const loaded = loadBundle({});
const request: RequestJson = { principal: { type: "User", id: "alice" }, action: { type: "Action", id: "view" }, resource: { type: "Doc", id: "d1" }, context: { mfa: true, level: 2, tags: ["a"] } };
const entities: EntityJson[] = [{ uid: { type: "User", id: "alice" }, attrs: { name: "Alice" }, parents: [] }];
const record: DecisionRecord | undefined = loaded.bundle === undefined ? undefined : decide(loaded.bundle, request, entities);
export const used = [parsed.ast?.policies.length, schema.ast, loadSchema, compile, Entities, Governor, record?.decision];
`,
    });
    ok(r, "tsc on a strict nodenext consumer");
  });

  it("the inputs of decide and loadEntities are typed: a request or entity of the wrong shape does not type-check", () => {
    const r = typecheck("ts-typed-inputs", {
      "consumer.ts": `import { decide, loadEntities, type LoadedBundle } from "writ/runtime";
declare const bundle: LoadedBundle;
const uid = { type: "User", id: "alice" };
decide(bundle, { principal: uid, action: uid, resource: uid }, []);
decide(bundle, { principal: "alice", action: uid, resource: uid }, []);
decide(bundle, { principal: uid, action: uid }, []);
decide(bundle, { principal: uid, action: uid, resource: uid, context: { when: new Date() } }, []);
loadEntities(bundle, [{ uid, attrs: {} }]);
loadEntities(bundle, [{ uid, attrs: {}, parents: [] }]);
`,
    });
    expect(r.code).not.toBe(0);
    const lines = r.stdout.split("\n").filter((l) => /error TS/.test(l)).map((l) => l.replace(/^ts-typed-inputs\/consumer\.ts\((\d+),\d+\).*$/, "$1"));
    // Lines 5-8 of the file: a string principal, no resource, a Date in the context, an entity without parents.
    expect(lines).toEqual(["5", "6", "7", "8"]);
  });

  it("the browser entry has its own declarations: what it exports type-checks, what it does not is an error", () => {
    const r = typecheck(
      "ts-browser",
      {
        "ok.ts": `import { decide, loadBundle, ed25519 } from "writ/runtime";\nexport const used = [decide, loadBundle, ed25519.verify];\n`,
        "node-only.ts": `import { Governor } from "writ/runtime";\nexport const used = Governor;\n`,
      },
      ["browser"],
    );
    expect(r.code).not.toBe(0);
    const errors = r.stdout.split("\n").filter((l) => /error TS/.test(l));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^ts-browser\/node-only\.ts\(1,10\): error TS2305: Module '"writ\/runtime"' has no exported member 'Governor'/);
  });
});

describe("the CI workflow writ init scaffolds", () => {
  it("runs as written, step by step, in the scaffolded project", () => {
    const project = join(tmp, "policies");
    ok(run(join(app, "node_modules", ".bin", "writ"), ["init", project], tmp), "writ init");
    const pkg = JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
    expect(pkg.devDependencies).toEqual({ writ: `^${PKG.version}` });
    const workflow = readFileSync(join(project, ".github", "workflows", "writ.yml"), "utf8");
    const steps = [...workflow.matchAll(/^\s+- run: (.+)$/gm)].map((m) => m[1]!);
    expect(steps[0]).toBe("npm install --no-audit --no-fund");
    expect(steps.length).toBeGreaterThanOrEqual(4);
    for (const step of steps) {
      // NOTE: writ is not fetched from the registry here: the install step installs the packed
      // tarball (the package.json range above accepts its version); every other step runs verbatim.
      const r = step.startsWith("npm install")
        ? run(NPM, ["install", "--no-save", "--prefer-offline", "--omit=optional", "--ignore-scripts", ...QUIET, tarball], project)
        : run("bash", ["-c", step], project);
      ok(r, `workflow step: ${step}`);
    }
  });
});

describe("engines and dependencies agree", () => {
  const require = createRequire(import.meta.url);
  const semver = require("semver") as { satisfies(v: string, range: string): boolean; minVersion(range: string): { version: string } | null };
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string; engines?: { node?: string } | string[] }> };
  const minimum = semver.minVersion(PKG.engines.node)!.version;

  it("no locked package refuses the oldest Node that engines admits (no EBADENGINE on Node 20)", () => {
    expect(minimum).toMatch(/^20\./);
    const refusing = Object.entries(lock.packages)
      .filter(([path, p]) => path !== "" && !Array.isArray(p.engines) && p.engines?.node !== undefined && !semver.satisfies(minimum, p.engines.node))
      .map(([path, p]) => `${path}@${p.version}: node ${(p.engines as { node: string }).node}`);
    expect(refusing).toEqual([]);
  });

  it("README's Node line states the engines minimum", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const [major, minor] = minimum.split(".");
    expect(readme).toContain(`Node ${major}.${minor} or later`);
  });
});
