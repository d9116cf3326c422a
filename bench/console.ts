/**
 * `npm run bench:console`: the governance console at scale. A lineage log of
 * `WRIT_BENCH_EVENTS` events (default 10⁶) is recorded through the public governed-execution
 * path (`Governor.execute` of `writ/runtime`, the governed-agent example's policies, 64
 * executions in flight, group commit, an in-memory store) — humans approving plans (allowed:
 * five events each), agents acting without an approved plan (denied: three events), and one
 * human-approved plan with 499 agent child executions (a tree of 500). Then `writ serve` opens
 * it (verifying and indexing every entry) and the bench measures:
 *
 * - the explorer's searches over HTTP (`/v1/lineage/executions`: unfiltered, by principal, by
 *   principal and verdict, by action and resource, by node, by a time window, a deep page),
 *   each 20 times: median, p95 and max milliseconds (target: every answer < 300 ms);
 * - `/v1/lineage/tree/:id` of the 500-execution tree;
 * - in Debian's chromium (when installed): the console drawing that tree (fetch, layout and
 *   SVG: target < 1 s) and then checking every event's proof in the browser.
 *
 * Ends with `RATE console-search-p95-ms <x>`, `RATE console-tree-draw-ms <x>`.
 */
import { existsSync } from "node:fs";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildBundle, loadSchema } from "../compiler/index.js";
import { parsePolicies, parseSchema } from "../lang/index.js";
import { Governor, LineageLog, loadBundle, loadEntities, MemoryLineageStore, nodeSigner, runtimeCrypto, type EntityJson } from "../runtime/index.js";
import { createServer } from "../server/index.js";

const EVENTS = Number(process.env["WRIT_BENCH_EVENTS"] ?? "1000000");
const ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");
const PROJECT = join(ROOT, "examples", "governed-agent");
const CHROMIUM = "/usr/bin/chromium";
const TREE = 500;

function project(): { bundle: unknown; entities: unknown } {
  const policies = parsePolicies(readFileSync(join(PROJECT, "policies.cedar"), "utf8")).ast!;
  const schema = loadSchema(parseSchema(readFileSync(join(PROJECT, "schema.cedarschema"), "utf8")).ast!).schema!;
  const built = buildBundle({ policiesAst: policies, schema });
  return { bundle: JSON.parse(JSON.stringify(built.bundle)), entities: JSON.parse(readFileSync(join(PROJECT, "entities.json"), "utf8")) };
}

const human = (k: number) => ({ principal: { type: "Ops::Human", id: `human-${k % 1000}` }, action: { type: "Ops::Action", id: "approve" }, resource: { type: "Ops::Plan", id: `plan-${k}` }, context: {} });
const agent = (k: number, resource: string) => ({ principal: { type: "Ops::Agent", id: `agent-${k % 1000}` }, action: { type: "Ops::Action", id: "run" }, resource: { type: "Ops::Resource", id: resource }, context: { step: `step-${k}` } });

function stats(ms: readonly number[]): { median: number; p95: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, p95: s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)]!, max: s[s.length - 1]! };
}

async function record(governor: Governor, log: LineageLog): Promise<{ root: string; child: string }> {
  // The tree: one approved plan, 499 agent executions under it.
  let child = "";
  const rootRun = await governor.execute(human(-1), async (ctx) => {
    const runs = [];
    for (let i = 0; i < TREE - 1; i++) runs.push(governor.execute(agent(i, i % 2 === 0 ? "ci" : "staging-cluster"), async () => ({ ok: true }), { actor: `agent:${i % 1000}`, parent: ctx.authorizedEvent }));
    const done = await Promise.all(runs);
    child = done[done.length - 1]!.execution;
    return { ok: true };
  }, { actor: "human:root" });
  let k = 0;
  const started = Date.now();
  const worker = async (): Promise<void> => {
    while (log.size < EVENTS) {
      const i = k++;
      if (i % 2 === 0) await governor.execute(human(i), async () => ({ ok: true }), { actor: `human:${i % 1000}` });
      else await governor.execute(agent(i, i % 4 === 1 ? "ci" : "staging-cluster"), async () => ({ ok: true }), { actor: `agent:${i % 1000}` });
      if (i % 20000 === 0 && i > 0) process.stdout.write(`  … ${log.size.toLocaleString("en")} events (${Math.round(log.size / ((Date.now() - started) / 1000)).toLocaleString("en")}/s)\n`);
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  return { root: rootRun.execution, child };
}

async function timed(url: string): Promise<number> {
  const t = performance.now();
  const r = await fetch(url);
  await r.arrayBuffer();
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  return performance.now() - t;
}

async function main(): Promise<void> {
  process.stdout.write(`console bench: ${os.cpus()[0]?.model ?? "cpu"} ×${os.cpus().length}, Node ${process.version}, ${EVENTS.toLocaleString("en")} events\n`);
  const { bundle: json, entities } = project();
  const bundle = loadBundle(json).bundle!;
  const store = loadEntities(bundle, entities as readonly EntityJson[]).store!;
  const signer = nodeSigner(new Uint8Array(32).fill(7));
  const opened = await LineageLog.open({ store: new MemoryLineageStore(), signer, crypto: runtimeCrypto });
  if (!opened.ok) throw new Error(opened.problem.message);
  const log = opened.log;
  const governor = new Governor({ log, bundle, node: "bench-node", entities: store, handlers: { notify: () => true } });
  let t = Date.now();
  const { root, child } = await record(governor, log);
  process.stdout.write(`recorded ${log.size.toLocaleString("en")} events in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
  t = Date.now();
  const created = await createServer({ log, signer, bundle: json, entities, node: "bench-node", console: existsSync(join(ROOT, "console", "dist", "index.html")) ? join(ROOT, "console", "dist") : false });
  if (!created.ok) throw new Error(created.problem.message);
  const server = created.server;
  process.stdout.write(`writ serve opened it (every entry verified, ${server.node.index.size.toLocaleString("en")} executions indexed) in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
  const listening = await server.listen({ host: "127.0.0.1", port: 0 });
  if (!listening.ok) throw new Error(listening.problem.message);
  const base = listening.url;
  const q = (s: string) => `${base}/v1/lineage/executions?${s}`;
  const enc = encodeURIComponent;
  const page = server.node.index.query({ limit: 500 });
  if ("error" in page) throw new Error(page.error);
  const middle = page.executions[page.executions.length - 1]!.execution;
  const lastAt = server.node.index.get(child)!.at!;
  const from = new Date(Date.parse(lastAt) + 5000).toISOString();
  const searches: [string, string][] = [
    ["first page, no filter", q("limit=50")],
    ["principal", q(`principal=${enc('Ops::Agent::"agent-7"')}`)],
    ["principal + deny", q(`principal=${enc('Ops::Agent::"agent-7"')}&decision=deny`)],
    ["action + resource", q(`action=${enc('Ops::Action::"run"')}&resource=${enc('Ops::Resource::"ci"')}`)],
    ["deny, page after 500", q(`decision=deny&after=${enc(middle)}`)],
    ["node + time window", q(`node=bench-node&since=${enc(from)}&until=${enc(new Date(Date.parse(from) + 2000).toISOString())}`)],
    ["rare: principal + allow", q(`principal=${enc('Ops::Human::"human-0"')}&decision=allow&limit=500`)],
  ];
  const all: number[] = [];
  process.stdout.write(`${"search".padEnd(28)}${"median ms".padEnd(11)}${"p95 ms".padEnd(9)}max ms\n`);
  for (const [name, url] of searches) {
    await timed(url);
    const ms: number[] = [];
    for (let i = 0; i < 20; i++) ms.push(await timed(url));
    all.push(...ms);
    const s = stats(ms);
    process.stdout.write(`${name.padEnd(28)}${s.median.toFixed(1).padEnd(11)}${s.p95.toFixed(1).padEnd(9)}${s.max.toFixed(1)}\n`);
  }
  const treeMs: number[] = [];
  for (let i = 0; i < 10; i++) treeMs.push(await timed(`${base}/v1/lineage/tree/${enc(child)}?limit=500`));
  process.stdout.write(`tree of ${TREE} over HTTP: median ${stats(treeMs).median.toFixed(1)} ms\n`);
  let drawn = NaN;
  if (existsSync(CHROMIUM) && existsSync(join(ROOT, "console", "dist", "index.html"))) {
    const { chromium } = await import("playwright-core");
    const profile = mkdtempSync(join(os.tmpdir(), "writ-console-bench-"));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      viewport: { width: 1500, height: 940 },
    });
    try {
      const draws: number[] = [];
      for (let i = 0; i < 5; i++) {
        const page = await context.newPage();
        await page.goto(`${base}/console/#/execution/${enc(root)}`);
        await page.waitForFunction(() => document.body.dataset.treeDrawnMs !== undefined, undefined, { timeout: 60_000 });
        draws.push(Number(await page.evaluate(() => document.body.dataset.treeDrawnMs)));
        const p0 = performance.now();
        await page.waitForFunction(() => document.body.dataset.proofsChecked !== undefined, undefined, { timeout: 120_000 });
        const nodes = await page.locator("#lineage-graph .lineage-node").count();
        const proofs = await page.evaluate(() => document.body.dataset.proofsChecked);
        if (i === 0) process.stdout.write(`browser: ${nodes} executions drawn; ${proofs} event proofs fetched and verified in the browser ${Math.round(performance.now() - p0)} ms after the drawing\n`);
        await page.close();
      }
      const s = stats(draws);
      drawn = s.median;
      process.stdout.write(`browser: tree of ${TREE} fetched, laid out and drawn: median ${s.median} ms, max ${s.max} ms (5 loads)\n`);
      const page = await context.newPage();
      const ms: number[] = [];
      for (const [, url] of searches) {
        await page.goto(`${base}/console/#/explorer?${url.split("?")[1]!.replace(/&?limit=\d+/, "").replace(/&?after=[^&]*/, "")}`);
        await page.waitForFunction(() => document.body.dataset.searchMs !== undefined, undefined, { timeout: 60_000 });
        ms.push(Number(await page.evaluate(() => document.body.dataset.searchMs)));
        await page.evaluate(() => delete document.body.dataset.searchMs);
      }
      process.stdout.write(`browser: explorer searches answered (fetch as the page sees it): ${ms.map((x) => `${x} ms`).join(", ")}\n`);
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  } else process.stdout.write("browser: skipped (no chromium at /usr/bin/chromium, or console/dist not built: npm run build:console)\n");
  await server.close();
  process.stdout.write(`RATE console-search-p95-ms ${stats(all).p95.toFixed(1)}\n`);
  process.stdout.write(`RATE console-tree-draw-ms ${Number.isNaN(drawn) ? "n/a" : drawn}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`console bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
