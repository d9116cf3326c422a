/**
 * Browser test of the playground: builds it when `playground/dist` is missing or
 * older than its sources, serves it with `servePlayground`, and drives Debian's
 * chromium through playwright-core. Screenshots of each step are saved under
 * `test-artifacts/playground/`.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { servePlayground, type PlaygroundServer } from "../../cli/playground.js";
import { buildBundle, loadSchema } from "../../compiler/index.js";
import { parsePolicies, parseSchema } from "../../lang/index.js";
import { BUILTIN_DOCS } from "../../stdlib/index.js";
import { DEFAULT_STATE } from "../../playground/src/default-example.js";
import { encodeState } from "../../playground/src/share.js";
import { format } from "../../playground/src/writ-service.js";
import { buildIfStale, CHROMIUM, launchChromium } from "../support/browser.js";
import { GOVERNED } from "./governed-fixture.js";

const ROOT = resolve(import.meta.dirname, "../..");
const DIST = join(ROOT, "playground", "dist");
const SHOTS = join(ROOT, "test-artifacts", "playground");
const SOURCES = ["playground/src", "playground/public", "playground/index.html", "playground/vite.config.ts", "lang", "compiler", "stdlib", "runtime", "examples"];
const SAMPLE = join(ROOT, "playground", "public", "lineage-sample");

/** A policy with a syntax error: the `when` clause is missing its opening brace. */
const BROKEN = `@id("owner-access")
permit (principal, action, resource)
when resource.owner == principal };
`;

/** The same policy fixed, plus a forbid rule that does not apply to alice. */
const FIXED = `@id("owner-access")
permit (principal, action, resource)
when { resource.owner == principal };

@id("clearance")
forbid (principal, action, resource)
unless { principal.clearance >= resource.classification };
`;

let server: PlaygroundServer;
let context: BrowserContext;
let userDataDir: string;
const consoleErrors: string[] = [];

/**
 * Hover `target` until `hover` shows (up to 30 s): Monaco asks the worker on the first hover,
 * and on a busy machine that first answer can come after the hover was given up; moving away
 * and back asks again.
 */
async function hoverUntil(page: Page, target: Locator, hover: Locator): Promise<void> {
  const until = Date.now() + 30_000;
  for (;;) {
    await page.mouse.move(5, 5);
    await target.hover();
    try {
      await hover.first().waitFor({ state: "visible", timeout: 3_000 });
      return;
    } catch (e) {
      if (Date.now() > until) throw e;
    }
  }
}

async function open(url: string): Promise<Page> {
  const page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => consoleErrors.push(`pageerror: ${e.message}`));
  page.on("response", (r) => {
    if (r.status() >= 400) consoleErrors.push(`http ${r.status()}: ${r.url()}`);
  });
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
  return page;
}

/** Replace the whole text of one editor the way a user would: select all, then type. */
async function replaceText(page: Page, editor: string, text: string): Promise<void> {
  await page.click(`#editor-${editor} .view-lines`);
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(text);
}

async function analysed(page: Page): Promise<void> {
  await page.waitForFunction(() => /^\d+$/.test(document.body.dataset.analyzed ?? ""), undefined, { timeout: 15_000 });
}

async function editorState(page: Page): Promise<unknown> {
  return page.evaluate(() => (window as unknown as { writPlayground: { state(): unknown } }).writPlayground.state());
}

describe("playground in chromium", () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`chromium is required for the playground browser test but ${CHROMIUM} does not exist: install it with \`apt-get install -y chromium\``);
    }
    buildIfStale("playground/vite.config.ts", "playground/dist/index.html", SOURCES);
    mkdirSync(SHOTS, { recursive: true });
    server = await servePlayground({ root: DIST });
    userDataDir = mkdtempSync(join(tmpdir(), "writ-playground-"));
    context = await launchChromium(userDataDir, { width: 1400, height: 860 });
  }, 300_000);

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (userDataDir !== undefined) rmSync(userDataDir, { recursive: true, force: true });
  });

  it("marks an error, decides once fixed, and shares its state through the URL", async () => {
    const page = await open(server.url);
    try {
      await journey(page);
    } catch (e) {
      await page.screenshot({ path: join(SHOTS, "failure.png") });
      throw e;
    }
  }, 180_000);

  it("completes attributes from the schema and shows types on hover", async () => {
    const page = await open(server.url);
    await shot(page, "assist", async (p) => {
      const attr = p.locator("#editor-policies .view-line span", { hasText: /^clearance$/ }).first();
      const hover = p.locator(".monaco-hover", { hasText: "expression of type Long" });
      await hoverUntil(p, attr, hover);
      expect(await hover.first().textContent()).toContain("forbid policy clearance");
      await p.screenshot({ path: join(SHOTS, "06-hover-type.png") });
      await p.mouse.move(5, 5);

      await p.click("#editor-policies .view-lines");
      await p.keyboard.press("ControlOrMeta+End");
      await p.keyboard.type("\npermit (principal, action, resource) when { resource.");
      const row = p.locator(".suggest-widget .monaco-list-row", { hasText: "classification" });
      await row.first().waitFor({ state: "visible", timeout: 15_000 });
      expect(await p.locator(".suggest-widget .monaco-list-row", { hasText: "owner" }).count()).toBeGreaterThan(0);
      // `resource` is a Document here: a User's attributes are not offered.
      expect(await p.locator(".suggest-widget .monaco-list-row", { hasText: "clearance" }).count()).toBe(0);
      await p.screenshot({ path: join(SHOTS, "07-completion.png") });
      await p.keyboard.press("Escape");
    });
    expect(consoleErrors).toEqual([]);
  }, 120_000);

  it("hovers a builtin method with the checker's type and the builtins table's signature", async () => {
    const state = {
      ...DEFAULT_STATE,
      schema: `${DEFAULT_STATE.schema}\nentity Budget { limit: decimal };\naction spend appliesTo { principal: [User], resource: [Budget] };\n`,
      policies: '@id("under-limit")\npermit (principal, action == Action::"spend", resource)\nwhen { resource.limit.lessThan(decimal("100.00")) };\n',
    };
    const lessThan = BUILTIN_DOCS.find((d) => d.name === "lessThan")!;
    const page = await open(`${server.url}${await encodeState(state)}`);
    await shot(page, "builtin-hover", async (p) => {
      await analysed(p);
      const hover = p.locator(".monaco-hover", { hasText: lessThan.signature });
      await hoverUntil(p, p.locator("#editor-policies .view-line span", { hasText: /lessThan/ }).first(), hover);
      const text = await hover.first().textContent();
      expect(text).toContain("method expression of type Bool");
      expect(text).toContain(lessThan.doc);
      await p.screenshot({ path: join(SHOTS, "06b-builtin-hover.png") });
    });
    expect(consoleErrors).toEqual([]);
  }, 120_000);

  it("formats the policies like writ fmt", async () => {
    const page = await open(server.url);
    const messy = '@id("a")   permit(principal,action,resource)when{resource.public};';
    const expected = format("policies", messy).text;
    expect(expected, "the formatter is available").toBeDefined();
    await shot(page, "format", async (p) => {
      await replaceText(p, "policies", messy);
      await p.click("#format");
      await p.waitForFunction(
        (want) => (window as unknown as { writPlayground: { state(): { policies: string } } }).writPlayground.state().policies === want,
        expected,
        { timeout: 15_000 },
      );
      await p.screenshot({ path: join(SHOTS, "09-formatted.png") });
    });
    expect(consoleErrors).toEqual([]);
  }, 120_000);

  it("shows @reason texts, obligations, shadow results, the bundle id and policy ids", async () => {
    const page = await open(`${server.url}${await encodeState(GOVERNED)}`);
    const schema = loadSchema(parseSchema(GOVERNED.schema).ast!).schema!;
    const bundle = buildBundle({ policiesAst: parsePolicies(GOVERNED.policies).ast!, schema, semantics: "fail-closed" }).bundle!;
    await shot(page, "governance", async (p) => {
      await analysed(p);
      await p.click("#run");
      await p.waitForSelector("#decision", { timeout: 15_000 });
      expect(await p.textContent("#decision")).toBe("ALLOW");
      expect(await p.locator("#reasons li .name").allTextContents()).toEqual(["owners-view", "team-view"]);
      expect(await p.locator("#reasons li .why").allTextContents()).toEqual([" — owners may view their documents", " — the team may view"]);
      const ownerId = bundle.policies.find((x) => x.name === "owners-view")!.id;
      expect(await p.getAttribute('#reasons li[data-policy="owners-view"]', "title")).toBe(`policy id ${ownerId}`);
      expect(await p.locator("#obligations li .name").allTextContents()).toEqual(["audit", "channels", "level"]);
      expect(await p.textContent('#obligations li[data-name="channels"] .value')).toBe('["#docs","#team"]');
      expect(await p.textContent('#obligations li[data-name="level"] .value')).toBe("1");
      expect(await p.textContent('#shadow li[data-policy="try-lockdown"]')).toBe("try-lockdown — would forbid");
      expect(await p.textContent("#bundle-id")).toBe(bundle.bundleId);
      await p.screenshot({ path: join(SHOTS, "10-governance-run.png") });

      // Hover on a policy's head shows its content id.
      const hover = p.locator(".monaco-hover", { hasText: "policy id" });
      await hoverUntil(p, p.locator("#editor-policies .view-line span", { hasText: /team-view/ }).first(), hover);
      expect(await hover.first().textContent()).toContain(bundle.policies.find((x) => x.name === "team-view")!.id);
      await p.screenshot({ path: join(SHOTS, "11-policy-id-hover.png") });
    });
    expect(consoleErrors).toEqual([]);
  }, 120_000);

  it("draws a lineage, shows a node's decision record and checks its proof", async () => {
    const page = await open(server.url);
    const show = JSON.parse(readFileSync(join(SAMPLE, "show.json"), "utf8")) as { execution: string; verdict: string; resource: string; children: unknown[] };
    const all: { execution: string; verdict: string; resource: string }[] = [];
    const walk = (n: { execution: string; verdict: string; resource: string; children: unknown[] }): void => {
      all.push(n);
      for (const c of n.children) walk(c as typeof n);
    };
    walk(show);
    const prod = all.find((n) => n.resource.includes("prod-cluster"))!;
    await shot(page, "lineage", async (p) => {
      await p.click("#open-lineage");
      // The tree alone: every node drawn with its verdict's colour, no proofs yet.
      await p.setInputFiles("#lineage-files", join(SAMPLE, "show.json"));
      await p.waitForSelector("#lineage-svg g.lineage-node", { timeout: 15_000 });
      expect(await p.locator("#lineage-svg g.lineage-node").count()).toBe(all.length);
      expect(await p.locator("#lineage-svg g.lineage-node.allow").count()).toBe(all.filter((n) => n.verdict === "allow").length);
      expect(await p.locator("#lineage-svg g.lineage-node.deny").count()).toBe(all.filter((n) => n.verdict === "deny").length);
      expect(await p.locator("#lineage-svg path.lineage-edge").count()).toBe(all.length - 1);
      const fills = await p.$$eval("#lineage-svg g.lineage-node rect", (rs) => rs.map((r) => `${(r.parentNode as SVGGElement).dataset.tone}:${getComputedStyle(r).fill}`));
      expect(new Set(fills)).toEqual(new Set(["allow:rgb(220, 252, 231)", "deny:rgb(254, 226, 226)"]));
      await p.click(`#lineage-svg g.lineage-node[data-execution="${prod.execution}"]`);
      await p.waitForSelector("#proof-status", { timeout: 15_000 });
      expect(await p.textContent("#proof-status")).toBe("no proof loaded");
      await p.screenshot({ path: join(SHOTS, "12-lineage-tree.png") });

      // The demo sample with a proof of every decision.
      await p.click("#lineage-sample");
      await p.waitForFunction(() => document.querySelector("#lineage-status")?.textContent?.includes("7 proofs") === true, undefined, { timeout: 15_000 });
      expect(await p.locator("#lineage-svg g.lineage-node").count()).toBe(all.length);
      await p.click(`#lineage-svg g.lineage-node[data-execution="${prod.execution}"]`);
      await p.waitForFunction(() => document.querySelector("#proof-status")?.classList.contains("ok") === true, undefined, { timeout: 15_000 });
      expect(await p.textContent("#proof-status")).toMatch(/^proof verifies: event #27 is in the log of 34 events/);
      const record = JSON.parse((await p.textContent("#decision-record"))!) as { format: string; obligations: Record<string, unknown>; reasons: { name: string }[] };
      expect(record.format).toBe("writ-decision/2");
      expect(record.obligations.page_oncall).toBe(true);
      expect(record.reasons.map((r) => r.name)).toEqual(["production-pages-oncall", "agents-act-under-approved-plan"]);
      const summary = await p.locator("#lineage-panel .record-summary dd").allTextContents();
      expect(summary).toContain("page_oncall = true");
      expect(summary).toContain("production-pages-oncall — a production change pages the on-call engineer");
      await p.click("#lineage-panel .record-json summary");
      await p.screenshot({ path: join(SHOTS, "13-lineage-record.png") });

      // A tampered proof (the record's decision flipped) pasted on top does not verify.
      const proof = JSON.parse(readFileSync(join(SAMPLE, "proof-27.json"), "utf8")) as { event: { decision: { decision: string } } };
      proof.event.decision.decision = "deny";
      await p.fill("#lineage-paste", JSON.stringify(proof));
      await p.click("#lineage-load-paste");
      await p.click(`#lineage-svg g.lineage-node[data-execution="${prod.execution}"]`);
      await p.waitForFunction(() => document.querySelector("#proof-status")?.classList.contains("bad") === true, undefined, { timeout: 15_000 });
      expect(await p.textContent("#proof-status")).toBe("proof does NOT verify: event content does not match its id");
      await p.screenshot({ path: join(SHOTS, "14-lineage-tampered.png") });
    });
    expect(consoleErrors).toEqual([]);
  }, 120_000);

  it("loads an example from examples/ and decides it as its test file expects", async () => {
    const page = await open(server.url);
    await shot(page, "example", async (p) => {
      const options = await p.locator("#examples option").allTextContents();
      const label = options.find((o) => o.startsWith("doc-sharing:"));
      expect(label, "examples/doc-sharing is in the menu").toBeDefined();
      await p.selectOption("#examples", { label: label! });
      const expected = await p.locator(".expected").textContent();
      const m = /expects (ALLOW|DENY) \((.*)\)\./.exec(expected ?? "");
      expect(m, `expected text: ${expected}`).not.toBeNull();
      await analysed(p);
      await p.click("#run");
      await p.waitForSelector("#decision", { timeout: 15_000 });
      expect(await p.textContent("#decision")).toBe(m![1]);
      const reasons = m![2] === "no determining policies" ? [] : m![2]!.split(", ");
      expect((await p.locator("#reasons li .name").allTextContents()).sort()).toEqual(reasons.sort());
      await p.screenshot({ path: join(SHOTS, "08-example.png") });
    });
    expect(consoleErrors).toEqual([]);
  }, 120_000);
});

async function shot<T>(page: Page, name: string, steps: (page: Page) => Promise<T>): Promise<T> {
  try {
    return await steps(page);
  } catch (e) {
    await page.screenshot({ path: join(SHOTS, `failure-${name}.png`) });
    throw e;
  }
}

async function journey(page: Page): Promise<void> {
  {
    await page.screenshot({ path: join(SHOTS, "01-loaded.png") });

    // 1. A policy with an error gets a marker with the right code.
    await replaceText(page, "policies", BROKEN);
    await page.waitForSelector('#problems li.problem[data-editor="policies"][data-code="W1001"]', { timeout: 15_000 });
    await page.waitForSelector("#editor-policies .squiggly-error", { timeout: 15_000 });
    const problem = await page.textContent('#problems li.problem[data-code="W1001"]');
    expect(problem).toMatch(/^policies 3:\d+W1001/);
    await page.screenshot({ path: join(SHOTS, "02-error-marker.png") });

    // 2. Fixed, Run decides: alice owns the contract and has clearance.
    await replaceText(page, "policies", FIXED);
    await page.waitForFunction(
      () => /^\d+$/.test(document.body.dataset.analyzed ?? "") && document.querySelectorAll('#problems li.problem[data-editor="policies"]').length === 0,
      undefined,
      { timeout: 15_000 },
    );
    expect(await page.locator("#editor-policies .squiggly-error").count()).toBe(0);
    await page.click("#run");
    await page.waitForSelector("#decision", { timeout: 15_000 });
    expect(await page.textContent("#decision")).toBe("ALLOW");
    expect(await page.locator("#reasons li .name").allTextContents()).toEqual(["owner-access"]);
    expect(await page.locator("#editor-policies .determining-permit").count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, "03-run-allow.png") });

    // bob asks for the same document: not the owner, and the clearance rule forbids it.
    // One line: Monaco's auto-closing and auto-indent act on typed newlines and braces.
    const request = '{ "principal": { "type": "User", "id": "bob" }, "action": { "type": "Action", "id": "view" }, "resource": { "type": "Document", "id": "contract" }, "context": { "authenticated": true } }';
    await replaceText(page, "request", request);
    await analysed(page);
    await page.click("#run");
    await page.waitForFunction(() => document.querySelector("#decision")?.textContent === "DENY", undefined, { timeout: 15_000 });
    expect(await page.locator("#reasons li .name").allTextContents()).toEqual(["clearance"]);
    expect(await page.locator("#editor-policies .determining-forbid").count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, "04-run-deny.png") });

    // 3. The share URL reloads the same state in a fresh page.
    const before = await editorState(page);
    await page.click("#share");
    await page.waitForFunction(() => (document.querySelector("#share-url") as HTMLInputElement | null)?.value.includes("#s1=") === true);
    const url = await page.inputValue("#share-url");
    expect(url.startsWith(server.url)).toBe(true);
    const again = await open(url);
    expect(await editorState(again)).toEqual(before);
    await again.click("#run");
    await again.waitForSelector("#decision", { timeout: 15_000 });
    expect(await again.textContent("#decision")).toBe("DENY");
    expect(await again.locator("#reasons li .name").allTextContents()).toEqual(["clearance"]);
    await again.screenshot({ path: join(SHOTS, "05-shared-url.png") });

    // 4. No console errors on the way.
    expect(consoleErrors).toEqual([]);
  }
}
