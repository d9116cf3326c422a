/**
 * Browser test of the playground: builds it when `playground/dist` is missing or
 * older than its sources, serves it with `servePlayground`, and drives Debian's
 * chromium through playwright-core. Screenshots of each step are saved under
 * `test-artifacts/playground/`.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { servePlayground, type PlaygroundServer } from "../../cli/playground.js";
import { format } from "../../playground/src/writ-service.js";

const ROOT = resolve(import.meta.dirname, "../..");
const DIST = join(ROOT, "playground", "dist");
const SHOTS = join(ROOT, "test-artifacts", "playground");
const CHROMIUM = "/usr/bin/chromium";
const SOURCES = ["playground/src", "playground/index.html", "playground/vite.config.ts", "lang", "compiler", "stdlib", "examples"];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

function buildIfStale(): void {
  const built = existsSync(join(DIST, "index.html")) ? statSync(join(DIST, "index.html")).mtimeMs : 0;
  const sources = Math.max(...SOURCES.map((p) => newestMtime(join(ROOT, p))));
  if (built > sources) return;
  execFileSync(process.execPath, [join(ROOT, "node_modules", "vite", "bin", "vite.js"), "build", "--config", "playground/vite.config.ts"], {
    cwd: ROOT,
    stdio: "pipe",
    timeout: 240_000,
  });
}

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
    buildIfStale();
    mkdirSync(SHOTS, { recursive: true });
    server = await servePlayground({ root: DIST });
    userDataDir = mkdtempSync(join(tmpdir(), "writ-playground-"));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      viewport: { width: 1400, height: 860 },
    });
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
      await attr.hover();
      const hover = p.locator(".monaco-hover", { hasText: "expression of type Long" });
      await hover.first().waitFor({ state: "visible", timeout: 15_000 });
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
