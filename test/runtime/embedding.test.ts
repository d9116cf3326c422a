/**
 * The embeddable runtime: bundled with esbuild for Node (`runtime/index.ts`) and for the
 * browser (`runtime/browser.ts`), it contains no parser code, the browser build no `node:`
 * import, and both decide from a bundle file. The example service (examples/embedding) runs
 * against `dist/` (built by `npm test` before the tests).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build, type Metafile } from "esbuild";
import { signBundle } from "../../compiler/bundle.js";
import { nodeEd25519 } from "../../runtime/crypto/ed25519-node.js";
import { publicKeyToPem } from "../../runtime/crypto/pem.js";
import { bundleFrom } from "../support/bundles.js";

const ROOT = process.cwd();
const EXAMPLE = resolve(ROOT, "examples/embedding");
const SEED = new Uint8Array(32).fill(7);
const PUB = nodeEd25519.publicKeyOf(SEED);
const PARSER_MARKERS = ["chevrotain", "EmbeddedActionsParser", "CstParser", "expr-parser", "schema-parser", "writLexer"];
const PARSER_INPUTS = /node_modules\/chevrotain|lang\/(parser|expr-parser|expr-chain|schema-parser|schema-grammar|tokens|parse|printer|schema-printer)\.ts$|compiler\/(lower|typecheck[^/]*|validate|schema|schema-json)\.ts$/;

interface Built {
  readonly text: string;
  readonly inputs: string[];
}

async function bundleEntry(entry: string, platform: "node" | "browser", outfile: string): Promise<Built> {
  const r = await build({ entryPoints: [resolve(ROOT, entry)], bundle: true, platform, format: "esm", outfile, metafile: true, logLevel: "silent", minify: false });
  const meta: Metafile = r.metafile;
  return { text: readFileSync(outfile, "utf8"), inputs: Object.keys(meta.inputs) };
}

let dir = "";
let nodeBuild: Built;
let browserBuild: Built;
let bundlePath = "";
let keyPath = "";

function exampleText(name: string): string {
  return readFileSync(join(EXAMPLE, name), "utf8");
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "writ-embed-"));
  nodeBuild = await bundleEntry("runtime/index.ts", "node", join(dir, "runtime-node.mjs"));
  browserBuild = await bundleEntry("runtime/browser.ts", "browser", join(dir, "runtime-browser.mjs"));
  const bundle = signBundle(bundleFrom(exampleText("policies.cedar"), exampleText("schema.cedarschema"), { sequence: 1 }), SEED, nodeEd25519);
  bundlePath = join(dir, "bundle.json");
  keyPath = join(dir, "signer.pub");
  writeFileSync(bundlePath, JSON.stringify(bundle, null, 2));
  writeFileSync(keyPath, publicKeyToPem(PUB));
}, 120_000);

afterAll(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

describe("runtime bundles", () => {
  it("the Node build contains no parser code", () => {
    expect(nodeBuild.inputs.filter((p) => PARSER_INPUTS.test(p))).toEqual([]);
    for (const m of PARSER_MARKERS) expect(nodeBuild.text.includes(m), m).toBe(false);
    expect(nodeBuild.inputs.some((p) => p.endsWith("runtime/bundle.ts"))).toBe(true);
  });

  it("the browser build contains no parser code and no node: import", () => {
    expect(browserBuild.inputs.filter((p) => PARSER_INPUTS.test(p))).toEqual([]);
    for (const m of PARSER_MARKERS) expect(browserBuild.text.includes(m), m).toBe(false);
    expect(browserBuild.inputs.some((p) => p.startsWith("node:"))).toBe(false);
    expect(browserBuild.text).not.toMatch(/from\s*["']node:|require\(["'](node:)?[a-z_]+["']\)/);
  });

  it("the check detects the parser (it can fail)", async () => {
    const lang = await bundleEntry("lang/index.ts", "node", join(dir, "lang.mjs"));
    expect(lang.inputs.some((p) => PARSER_INPUTS.test(p))).toBe(true);
    expect(PARSER_MARKERS.some((m) => lang.text.includes(m))).toBe(true);
  });

  for (const which of ["node", "browser"] as const) {
    it(`the ${which} build loads the signed bundle file and decides`, async () => {
      const mod = (await import(pathToFileURL(join(dir, `runtime-${which}.mjs`)).href)) as typeof import("../../runtime/index.js");
      const loaded = mod.loadBundle(JSON.parse(readFileSync(bundlePath, "utf8")), { publicKey: PUB });
      expect(loaded.diagnostics).toEqual([]);
      const entities = JSON.parse(exampleText("entities.json")) as import("../../runtime/index.js").EntityJson[];
      const store = mod.loadEntities(loaded.bundle!, entities).store!;
      const record = mod.decide(loaded.bundle!, JSON.parse(exampleText("request.json")), store);
      expect(record.entitiesId).toBe(store.id);
      expect(record.decision).toBe("allow");
      expect(record.reasons.map((r) => r.name)).toEqual(["admins-everything"]);
      expect(record.reasons[0]!.reason).toBe("Admins may call every route");
      const refused = mod.loadBundle(JSON.parse(readFileSync(bundlePath, "utf8")), { publicKey: new Uint8Array(PUB).reverse() });
      expect(refused.bundle).toBeUndefined();
    });
  }
});

describe("examples/embedding/service.mjs (over dist/)", () => {
  const distEntry = resolve(ROOT, "dist/runtime/index.js");
  let child: ChildProcess | undefined;

  beforeAll(() => {
    if (!existsSync(distEntry)) spawnSync(process.execPath, [resolve(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: ROOT });
  }, 180_000);

  afterAll(() => {
    if (child?.pid !== undefined && child.exitCode === null) child.kill();
  });

  it("authorizes on an entity store, updates it, and fails closed on a refused bundle or entities", async () => {
    type Authorizer = {
      ready: boolean;
      reason?: string;
      entitiesId?: string;
      authorize(req: unknown): { decision: string; reasons: { name: string }[]; entitiesId: string };
      updateEntities(c: unknown): { ok: boolean; entitiesId?: string; errors?: string[] };
    };
    const svc = (await import(pathToFileURL(join(EXAMPLE, "service.mjs")).href)) as {
      createAuthorizer(o: { bundleText: string; publicKeyPem: string; entities: unknown }): Authorizer;
    };
    const bundleText = readFileSync(bundlePath, "utf8");
    const pem = readFileSync(keyPath, "utf8");
    const ents = JSON.parse(exampleText("entities.json")) as { uid: { type: string; id: string }; attrs: Record<string, unknown>; parents: unknown[] }[];
    const ok = svc.createAuthorizer({ bundleText, publicKeyPem: pem, entities: ents });
    expect(ok.ready).toBe(true);
    const req = JSON.parse(exampleText("request.json")) as { principal: { id: string } };
    const first = ok.authorize(req);
    expect(first.decision).toBe("allow");
    expect(first.entitiesId).toBe(ok.entitiesId);
    expect(ok.authorize({ ...req, principal: { type: "Api::User", id: "cat" } }).reasons.map((r) => r.name)).toEqual(["inactive-users"]);
    // ann loses her admin role: a new snapshot, and the next decision is made on it.
    const ann = ents.find((e) => e.uid.id === "ann")!;
    const before = ok.entitiesId;
    const u = ok.updateEntities({ upsert: [{ ...ann, parents: [] }] });
    expect(u.ok).toBe(true);
    expect(u.entitiesId).not.toBe(before);
    const after = ok.authorize(req);
    expect(after.decision).toBe("deny");
    expect(after.entitiesId).toBe(u.entitiesId);
    expect(ok.updateEntities({ upsert: [{ uid: { type: "Nope", id: "x" }, attrs: {}, parents: [] }] }).ok).toBe(false);
    const tampered = bundleText.replace('"effect": "forbid"', '"effect": "permit"');
    expect(tampered).not.toBe(bundleText);
    const bad = svc.createAuthorizer({ bundleText: tampered, publicKeyPem: pem, entities: ents });
    expect(bad.ready).toBe(false);
    expect(bad.reason).toMatch(/W6102/);
    expect(bad.authorize(req).decision).toBe("deny");
    const badEntities = svc.createAuthorizer({ bundleText, publicKeyPem: pem, entities: [{ uid: { type: "Nope", id: "x" }, attrs: {}, parents: [] }] });
    expect(badEntities.ready).toBe(false);
    expect(badEntities.reason).toMatch(/W5003/);
  });

  it("serves decisions over HTTP", async () => {
    child = spawn(process.execPath, [join(EXAMPLE, "service.mjs"), "--bundle", bundlePath, "--key", keyPath, "--entities", join(EXAMPLE, "entities.json"), "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
    const url = await new Promise<string>((res, rej) => {
      let out = "";
      child!.stdout!.on("data", (c: Buffer) => {
        out += c.toString();
        const m = /listening on (\S+)/.exec(out);
        if (m) res(m[1]!);
      });
      child!.on("exit", (code) => rej(new Error(`service exited with ${code}`)));
    });
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    const r = await fetch(`${url}/authorize`, {
      method: "POST",
      body: JSON.stringify({ request: JSON.parse(exampleText("request.json")) }),
    });
    const record = (await r.json()) as { format: string; decision: string };
    expect(record.format).toBe("writ-decision/2");
    expect(record.decision).toBe("allow");
  }, 30_000);
});
