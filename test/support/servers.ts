/**
 * Servers for tests: an example project compiled into a (signed) bundle, and `writ serve`
 * instances built the way the CLI builds them — in process (`createServer`, reached through
 * `app.inject` or a real socket on 127.0.0.1 with port 0) or as a child process running the
 * real CLI (`spawnServe`), each with its own log directory.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { parsePolicies, parseSchema } from "../../lang/index.js";
import { buildBundle, loadSchema, signBundle, type Bundle } from "../../compiler/index.js";
import { nodeCrypto } from "../../runtime/crypto/node-crypto.js";
import { nodeEd25519 } from "../../runtime/crypto/ed25519-node.js";
import { LineageLog, MemoryLineageStore, nodeSigner } from "../../runtime/index.js";
import { createServer, type ServerOptions, type WritServer } from "../../server/index.js";

/** The project root. */
export const ROOT = resolve(import.meta.dirname, "../..");

/** A fixed bundle signing key for tests (32-byte seed) and its public key. */
export const BUNDLE_SEED = new Uint8Array(32).map((_, i) => (i * 7 + 3) & 0xff);
export const BUNDLE_PUBLIC = nodeEd25519.publicKeyOf(BUNDLE_SEED);

/** An example project's files. */
export function project(name: string): { readonly dir: string; readonly policies: string; readonly schema: string; readonly entities: unknown } {
  const dir = join(ROOT, "examples", name);
  return {
    dir,
    policies: readFileSync(join(dir, "policies.cedar"), "utf8"),
    schema: readFileSync(join(dir, "schema.cedarschema"), "utf8"),
    entities: JSON.parse(readFileSync(join(dir, "entities.json"), "utf8")) as unknown,
  };
}

/** Compile policy and schema text into a bundle (signed with {@link BUNDLE_SEED} unless `signed: false`). */
export function compileBundle(policies: string, schema: string, opts: { readonly sequence?: number; readonly signed?: boolean } = {}): Bundle {
  const p = parsePolicies(policies);
  const s = loadSchema(parseSchema(schema).ast!);
  if (p.ast === undefined || s.schema === undefined) throw new Error("fixture does not parse");
  const b = buildBundle({ policiesAst: p.ast, schema: s.schema, sequence: opts.sequence ?? 1 });
  if (b.bundle === undefined) throw new Error(b.diagnostics.map((d) => `${d.code} ${d.message}`).join("; "));
  const out = opts.signed === false ? b.bundle : signBundle(b.bundle, BUNDLE_SEED, nodeEd25519);
  return JSON.parse(JSON.stringify(out)) as Bundle;
}

/** An example project as a signed bundle plus its entities. */
export function projectBundle(name: string, sequence = 1): { readonly bundle: Bundle; readonly entities: unknown } {
  const p = project(name);
  return { bundle: compileBundle(p.policies, p.schema, { sequence }), entities: p.entities };
}

/** A fresh temporary directory. */
export function tempDir(prefix = "writ-serve-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A server on an in-memory log (or on `dir`'s SQLite log when given), with the bundle key configured. */
export async function testServer(o: ServerOptions & { readonly memory?: boolean } = {}): Promise<WritServer> {
  let extra: ServerOptions = {};
  if (o.memory !== false && o.dir === undefined) {
    const signer = nodeSigner(new Uint8Array(32).fill(9));
    const opened = await LineageLog.open({ store: new MemoryLineageStore(), signer, crypto: nodeCrypto });
    if (!opened.ok) throw new Error(opened.problem.message);
    extra = { log: opened.log, signer };
  }
  const r = await createServer({ bundleKey: BUNDLE_PUBLIC, ...extra, ...o });
  if (!r.ok) throw new Error(`${r.problem.code} ${r.problem.message} ${(r.details ?? []).join("; ")}`);
  return r.server;
}

/** A running `writ serve` child process. */
export interface ServeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Everything written to stdout and stderr so far. */
  readonly output: () => string;
  /** Resolves with the exit code (or signal) when the process ends. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
}

/** Start the real CLI (`bin/writ.js serve …`) in `cwd` and wait for its `listening on` line. */
export async function spawnServe(args: readonly string[], cwd: string, timeoutMs = 30_000): Promise<ServeProcess> {
  const child = spawn(process.execPath, [join(ROOT, "bin", "writ.js"), "serve", "--port", "0", ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  const chunks: string[] = [];
  child.stderr!.setEncoding("utf8").on("data", (d: string) => chunks.push(d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on("exit", (code, signal) => done({ code, signal })));
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`writ serve did not start: ${chunks.join("")}`)), timeoutMs);
    let first = true;
    lines.on("line", (line) => {
      chunks.push(`${line}\n`);
      if (!first) return;
      first = false;
      clearTimeout(timer);
      const m = /^listening on (http:\/\/\S+)$/.exec(line);
      if (m === null) fail(new Error(`unexpected first line: ${line}`));
      else ok(m[1]!);
    });
    void exited.then((e) => {
      clearTimeout(timer);
      fail(new Error(`writ serve exited (${e.code ?? e.signal}): ${chunks.join("")}`));
    });
  });
  return { child, url, output: () => chunks.join(""), exited };
}

/** POST JSON over a real socket; the status, body (parsed when JSON) and headers. */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed, headers: res.headers };
}
