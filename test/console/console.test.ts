/**
 * The governance console in Debian's chromium (playwright-core), on a real `writ serve` over
 * the log the governed demo wrote (`writ demo` in a temporary folder), with bearer tokens: the
 * explorer finds the denied deployment and shows its tree, its events proven in the browser
 * and why it was refused; the proof viewer (in the console and as the offline file) fails a
 * tampered proof and passes an artifact with its event's proof; the health page shows the
 * bundle id and turns red when the watched bundle file is replaced by a bad bundle; the bundles
 * page diffs two bundles; keyboard navigation and labels; no console errors. Screenshots are
 * saved under `test-artifacts/console/`.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyIdOf, publicKeyFromPem } from "../../runtime/index.js";
import { newToken, TOKENS_FORMAT } from "../../server/index.js";
import { buildIfStale, CHROMIUM, launchChromium } from "../support/browser.js";
import { compileBundle, project, ROOT, spawnServe, tempDir, type ServeProcess } from "../support/servers.js";

const DIST = join(ROOT, "console", "dist");
const SHOTS = join(ROOT, "test-artifacts", "console");
const SOURCES = ["console/src", "console/index.html", "console/offline.html", "console/vite.config.ts", "playground/src/shared", "compiler", "runtime", "lang", "stdlib"];

let dir: string;
let serve: ServeProcess;
let context: BrowserContext;
let userDataDir: string;
let reader: string;
let admin: string;
let bundleFile: string;
const consoleErrors: string[] = [];

async function api(path: string, init: RequestInit = {}, token = reader): Promise<Response> {
  return fetch(`${serve.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...(init.headers ?? {}) } });
}

async function open(path: string, withToken = true): Promise<Page> {
  const page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => consoleErrors.push(`pageerror: ${e.message}`));
  page.on("response", (r) => {
    if (r.status() >= 400) consoleErrors.push(`http ${r.status()}: ${r.url()}`);
  });
  await page.goto(`${serve.url}${path}`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
  if (withToken && (await page.locator("#token-state").textContent()) !== "token set for this tab") {
    await page.fill("#token", reader);
    await page.press("#token", "Enter");
    await page.waitForSelector("#token-state:text('token set for this tab')");
  }
  return page;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

describe("governance console in chromium", () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`chromium is required for the console browser test but ${CHROMIUM} does not exist: install it with \`apt-get install -y chromium\``);
    buildIfStale("console/vite.config.ts", "console/dist/proof-viewer.html", SOURCES);
    mkdirSync(SHOTS, { recursive: true });
    dir = tempDir("writ-console-");
    execFileSync(process.execPath, [join(ROOT, "bin", "writ.js"), "demo"], { cwd: dir, stdio: "pipe", timeout: 120_000 });
    const p = project("governed-agent");
    bundleFile = join(dir, "bundle.json");
    writeFileSync(bundleFile, JSON.stringify(compileBundle(p.policies, p.schema, { signed: false, sequence: 0 })));
    writeFileSync(join(dir, "entities.json"), JSON.stringify(p.entities));
    const r = newToken("auditor", ["read-lineage"]);
    const a = newToken("ops", ["admin"]);
    reader = r.token;
    admin = a.token;
    writeFileSync(join(dir, "tokens.json"), JSON.stringify({ format: TOKENS_FORMAT, tokens: [r.entry, a.entry] }));
    serve = await spawnServe(["--bundle", bundleFile, "--watch", "--entities", "entities.json", "--tokens", "tokens.json", "--node", "demo-node"], dir);
    userDataDir = tempDir("writ-console-chromium-");
    context = await launchChromium(userDataDir, { width: 1500, height: 940 });
  }, 300_000);

  afterAll(async () => {
    await context?.close();
    serve?.child.kill("SIGTERM");
    await serve?.exited;
    if (userDataDir !== undefined) rmSync(userDataDir, { recursive: true, force: true });
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("asks for a token first, and keeps it in sessionStorage only", async () => {
    const page = await open("/console/", false);
    await page.waitForSelector("text=A token is needed");
    await shot(page, "00-token");
    await page.fill("#token", reader);
    await page.click("form.token button");
    await page.waitForSelector("table#executions");
    const stored = await page.evaluate(() => ({ session: sessionStorage.getItem("writ-console-token"), local: Object.keys(localStorage).filter((k) => k.includes("token")) }));
    expect(stored.session).toBe(reader);
    expect(stored.local).toEqual([]);
    // The auditor compares the key the log states with the node's lineage.pub, then pins it.
    const pem = publicKeyFromPem(readFileSync(join(dir, ".writ", "lineage.pub"), "utf8"));
    if (!pem.ok) throw new Error("lineage.pub does not read");
    await page.waitForSelector(".trust.warn button");
    expect(await page.locator(".trust").textContent()).toContain(keyIdOf(pem.value));
    await page.click(".trust button");
    await page.waitForSelector(".trust.ok");
    expect(await page.locator(".trust").textContent()).toContain(`pinned key ${keyIdOf(pem.value)}`);
    await page.close();
  });

  it("finds the denied deployment, shows its tree, its proven events and why it was refused", async () => {
    const page = await open("/console/#/explorer");
    await page.waitForSelector("table#executions");
    await page.fill("#f-resource", 'Ops::Resource::"prod-cluster"');
    await page.selectOption("#f-decision", "deny");
    await page.click("form.search button[type=submit]");
    await page.waitForFunction(() => document.querySelectorAll("tr.execution-row").length === 1);
    expect(page.url()).toContain("decision=deny");
    await shot(page, "01-explorer-search");
    await page.click("tr.execution-row a.open");
    await page.waitForSelector("#refusal");
    expect(await page.locator("#refusal").textContent()).toContain("page_oncall");
    await page.waitForFunction(() => Number(document.body.dataset.proofsChecked ?? "0") > 0, undefined, { timeout: 30_000 });
    await page.waitForSelector("#decision-view .decision");
    const nodes = await page.locator("#lineage-graph .lineage-node").count();
    expect(nodes).toBe(7);
    expect(await page.locator("#lineage-graph .lineage-node.selected").count()).toBe(1);
    expect(await page.locator('#lineage-graph .lineage-node[data-proofs="verified"]').count()).toBe(7);
    const phases = await page.locator("#events tr.event").evaluateAll((rows) => rows.map((r) => `${(r as HTMLElement).dataset.phase}:${(r as HTMLElement).dataset.proof}`));
    expect(phases).toEqual(["requested:verified", "denied:verified", "audited:verified"]);
    const policies = await page.locator("figure.policy-text").evaluateAll((fs) => fs.map((f) => (f as HTMLElement).dataset.policy));
    expect(policies.sort()).toEqual(["agents-act-under-approved-plan", "production-pages-oncall"]);
    const text = await page.locator('figure.policy-text[data-policy="production-pages-oncall"]').textContent();
    expect(text).toContain("a production change pages the on-call engineer");
    expect(text).toContain("obligations");
    expect(text).toMatch(/sha256:[0-9a-f]{64}/);
    await shot(page, "02-execution-denied-deployment");
    await page.close();
  });

  it("moves through results and the tree with the keyboard; every control has a label", async () => {
    const page = await open("/console/#/explorer");
    await page.waitForSelector("table#executions a.open");
    await page.focus("table#executions a.open");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    const focused = await page.evaluate(() => Array.from(document.querySelectorAll("table#executions a.open")).indexOf(document.activeElement as Element));
    expect(focused).toBe(2);
    await page.keyboard.press("Enter");
    await page.waitForSelector("#lineage-graph .lineage-node");
    await page.focus("#lineage-graph .lineage-node");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#events tr.event");
    const unlabeled = await page.evaluate(() =>
      Array.from(document.querySelectorAll("input, select, textarea, button"))
        .filter((e) => {
          const x = e as HTMLInputElement;
          const named = (x.labels?.length ?? 0) > 0 || x.getAttribute("aria-label") !== null || (x.tagName === "BUTTON" && (x.textContent ?? "").trim() !== "");
          return !named && x.type !== "hidden";
        })
        .map((e) => e.outerHTML.slice(0, 80)),
    );
    expect(unlabeled).toEqual([]);
    const navLabels = await page.locator("nav.pages a").allTextContents();
    expect(navLabels).toEqual(["Lineage explorer", "Health", "Bundles", "Proof viewer"]);
    await page.close();
  });

  it("fails a tampered proof in the proof viewer and passes the original, pinned to the node key", async () => {
    const deny = (await (await api(`/v1/lineage/executions?decision=deny&resource=${encodeURIComponent('Ops::Resource::"prod-cluster"')}`)).json()) as { executions: { events: { phase: string; id: string }[] }[] };
    const eventId = deny.executions[0]!.events.find((e) => e.phase === "denied")!.id;
    const proof = (await (await api(`/v1/lineage/proof/${eventId}`)).json()) as { event: Record<string, unknown> };
    const tampered = { ...proof, event: { ...proof.event, actor: "human:alice" } };
    const pub = readFileSync(join(dir, ".writ", "lineage.pub"), "utf8");
    const page = await open("/console/#/proof");
    await page.fill("#pin", pub.trim());
    await page.fill("#evidence-paste", `${JSON.stringify(proof)}\n${JSON.stringify(tampered)}`);
    await page.click("form.proof-form button[type=submit]");
    await page.waitForSelector("article.evidence >> nth=1");
    const cards = await page.locator("article.evidence").evaluateAll((as) => as.map((a) => (a as HTMLElement).dataset.ok));
    expect(cards).toEqual(["true", "false"]);
    expect(await page.locator("article.evidence >> nth=1 >> li.step.fail").getAttribute("data-step")).toBe("event-id");
    expect(await page.locator("article.evidence >> nth=1 >> .verdict").textContent()).toBe("FAILED");
    await page.locator("article.evidence >> nth=1").scrollIntoViewIfNeeded();
    await shot(page, "03-proof-viewer-tampered");
    await page.close();
  });

  it("the offline proof viewer (one file, no server) checks an artifact with its event's proof", async () => {
    const req = { principal: { type: "Ops::Human", id: "alice" }, action: { type: "Ops::Action", id: "approve" }, resource: { type: "Ops::Plan", id: "release-43" }, context: {} };
    const auth = (await (await api("/v1/authorize", { method: "POST", body: JSON.stringify({ request: req }) }, admin)).json()) as { authorizedEvent: string; artifact: unknown };
    const proof = await (await api(`/v1/lineage/proof/${auth.authorizedEvent}`)).json();
    const file = join(dir, "proof-viewer.html");
    writeFileSync(file, readFileSync(join(DIST, "proof-viewer.html")));
    const page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(`offline console: ${m.text()}`);
    });
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    await page.goto(`file://${file}`);
    await page.waitForSelector("body[data-ready=true]");
    const pub = readFileSync(join(dir, ".writ", "lineage.pub"), "utf8");
    await page.fill("#pin", pub.trim());
    await page.fill("#evidence-paste", JSON.stringify([auth, proof]));
    await page.click("form.proof-form button[type=submit]");
    await page.waitForSelector("article.evidence >> nth=1");
    const cards = await page.locator("article.evidence").evaluateAll((as) => as.map((a) => `${(a as HTMLElement).dataset.kind}:${(a as HTMLElement).dataset.ok}`));
    expect(cards).toEqual(["artifact:true", "proof:true"]);
    expect(await page.locator('article.evidence[data-kind=artifact] li.step[data-step="event"]').getAttribute("data-status")).toBe("pass");
    expect(requests.every((u) => u.startsWith("file:") || u.startsWith("data:"))).toBe(true);
    await shot(page, "04-offline-artifact");
    await page.close();
  });

  it("shows the bundle id on the health page, and turns red when the server is given a bad bundle", async () => {
    const page = await open("/console/#/health");
    const ready = (await (await fetch(`${serve.url}/readyz`)).json()) as { bundleId: string };
    await page.waitForSelector(".node-card[data-state=ok]");
    expect(await page.locator(".node-card dd.bundle").textContent()).toContain(ready.bundleId);
    // Some traffic for the charts: decisions of both verdicts for a few seconds.
    const approve = { principal: { type: "Ops::Human", id: "alice" }, action: { type: "Ops::Action", id: "approve" }, resource: { type: "Ops::Plan", id: "p" }, context: {} };
    const unapproved = { principal: { type: "Ops::Agent", id: "planner" }, action: { type: "Ops::Action", id: "run" }, resource: { type: "Ops::Resource", id: "ci" }, context: { step: "build" } };
    const decide = async (body: unknown): Promise<string> => ((await (await api("/v1/decide", { method: "POST", body: JSON.stringify(body) }, admin)).json()) as { decision: string }).decision;
    expect([await decide(approve), await decide(unapproved)]).toEqual(["allow", "deny"]);
    const until = Date.now() + 6000;
    for (let i = 0; Date.now() < until; i++) {
      await Promise.all([decide(approve), decide(i % 3 === 0 ? unapproved : approve)]);
      await new Promise((r) => setTimeout(r, 20));
    }
    await page.waitForFunction(() => Number.parseFloat(document.querySelector("#decisions-chart .now")?.textContent ?? "0") > 0, undefined, { timeout: 15_000 });
    await page.waitForFunction(() => Number.parseFloat(document.querySelector("#deny-chart .now")?.textContent ?? "0") > 0, undefined, { timeout: 15_000 });
    expect(await page.locator("#latency-chart .now").textContent()).toMatch(/ms/);
    await shot(page, "05-health-ok");
    const bad = JSON.parse(readFileSync(bundleFile, "utf8")) as Record<string, unknown>;
    writeFileSync(bundleFile, JSON.stringify({ ...bad, bundleId: `sha256:${"0".repeat(64)}`, sequence: 1 }));
    await page.waitForSelector(".node-card[data-state=degraded]", { timeout: 20_000 });
    const problems = await page.locator(".node-problems").textContent();
    expect(problems).toContain("refused a bundle");
    expect(problems).toContain(ready.bundleId);
    expect(await page.evaluate(() => getComputedStyle(document.querySelector(".node-card .state")!).backgroundColor)).toBe("rgb(220, 38, 38)");
    await shot(page, "06-health-bad-bundle");
    await page.close();
  });

  it("lists the active bundle's policies and diffs it against the bundle the log was decided with", async () => {
    const p = project("governed-agent");
    const changed = p.policies.replace("lineage.depth > 2", "lineage.depth > 3").replace('@reason("a human may approve a plan")', '@reason("a human may approve any plan")');
    writeFileSync(bundleFile, JSON.stringify(compileBundle(changed, p.schema, { signed: false, sequence: 2 })));
    await expect.poll(async () => ((await (await fetch(`${serve.url}/readyz`)).json()) as { bundleRefused?: unknown }).bundleRefused, { timeout: 15_000 }).toBeUndefined();
    const page = await open("/console/#/bundles");
    await page.waitForSelector("table#policies tbody tr");
    const names = await page.locator("table#policies tbody tr").evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.policy));
    expect(names).toEqual(["agents-act-under-approved-plan", "humans-approve-plans", "no-deep-delegation", "production-pages-oncall"]);
    expect(await page.locator('table#policies tr[data-policy="humans-approve-plans"]').textContent()).toContain("a human may approve any plan");
    await page.waitForSelector("#diff .diff-entry");
    const entries = await page.locator("#diff .diff-entry").evaluateAll((es) => es.map((e) => `${e.className.replace("diff-entry ", "")}:${(e as HTMLElement).dataset.policy}`));
    expect(entries.sort()).toEqual(["changed:humans-approve-plans", "changed:no-deep-delegation"]);
    expect(await page.locator('#diff .diff-entry[data-policy="no-deep-delegation"] pre.new').textContent()).toContain("lineage.depth > 3");
    await page.locator("#diff").scrollIntoViewIfNeeded();
    await shot(page, "07-bundles-diff");
    await page.close();
  });

  it("holds the log to the checkpoint it saw before, and says so in red when it does not extend it", async () => {
    const page = await open("/console/#/explorer");
    await page.waitForSelector(".trust.ok");
    expect(await page.locator(".trust").textContent()).toMatch(/extends the checkpoint this console saw before \(\d+ → \d+ events\)|is the checkpoint this console saw before/);
    // A forged "checkpoint seen before": another root at the same size.
    await page.evaluate(() => {
      const key = Object.keys(localStorage).find((k) => k.startsWith("writ-console-checkpoint:"))!;
      const lines = localStorage.getItem(key)!.split("\n");
      lines[2] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
      localStorage.setItem(key, lines.join("\n"));
    });
    await page.reload();
    await page.waitForSelector(".trust.bad");
    expect(await page.locator(".trust").textContent()).toContain("NOT CONSISTENT");
    await shot(page, "08-log-not-consistent");
    await page.evaluate(() => {
      for (const k of Object.keys(localStorage)) if (k.startsWith("writ-console-checkpoint:")) localStorage.removeItem(k);
    });
    await page.close();
  });

  it("logged no console errors", () => {
    expect(consoleErrors).toEqual([]);
  });
});
