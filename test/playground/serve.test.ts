/**
 * The playground's static server: MIME types, index files, and no way out of the root.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIME_TYPES, resolveStaticPath, servePlayground, type PlaygroundServer } from "../../cli/playground.js";

let base: string;
let root: string;
let server: PlaygroundServer;

/** Raw request (no URL normalisation, unlike fetch). */
function get(path: string, method = "GET"): Promise<{ status: number; type: string | undefined; body: string }> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: res.headers["content-type"], body }));
    });
    req.on("error", reject);
    req.end();
  });
}

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), "writ-serve-"));
  root = join(base, "dist");
  mkdirSync(join(root, "assets"), { recursive: true });
  writeFileSync(join(root, "index.html"), "<!doctype html><title>x</title>");
  writeFileSync(join(root, "assets", "app.js"), "console.log(1)");
  writeFileSync(join(root, "assets", "app.css"), "body{}");
  writeFileSync(join(root, "assets", "font.ttf"), "ttf");
  writeFileSync(join(root, "assets", "blob.bin"), "bin");
  writeFileSync(join(root, ".env"), "hidden");
  writeFileSync(join(base, "secret.txt"), "secret");
  symlinkSync(join(base, "secret.txt"), join(root, "assets", "link.txt"));
  server = await servePlayground({ root });
});

afterAll(async () => {
  await server?.close();
  rmSync(base, { recursive: true, force: true });
});

describe("servePlayground", () => {
  it("listens on 127.0.0.1 only", () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it("serves index.html for / and the right content types", async () => {
    const index = await get("/");
    expect(index.status).toBe(200);
    expect(index.type).toBe(MIME_TYPES[".html"]);
    expect(index.body).toContain("<title>x</title>");
    expect((await get("/assets/app.js")).type).toBe("text/javascript; charset=utf-8");
    expect((await get("/assets/app.css")).type).toBe("text/css; charset=utf-8");
    expect((await get("/assets/font.ttf")).type).toBe("font/ttf");
    expect((await get("/assets/blob.bin")).type).toBe("application/octet-stream");
    expect((await get("/index.html?x=1#y")).status).toBe(200);
  });

  it("answers HEAD without a body and refuses other methods", async () => {
    const head = await get("/assets/app.js", "HEAD");
    expect(head.status).toBe(200);
    expect(head.body).toBe("");
    expect((await get("/", "POST")).status).toBe(405);
  });

  it("never serves anything outside the root, dot-files or escaping symlinks", async () => {
    for (const p of ["/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt", "/assets/%2e%2e/%2e%2e/secret.txt", "/..\\secret.txt", "/.env", "/assets/link.txt", "/%00", "/%zz", "/missing.js"]) {
      const r = await get(p);
      expect(r.status, p).toBe(404);
      expect(r.body, p).not.toContain("secret");
    }
  });

  it("maps paths inside the root and rejects the rest (pure function)", () => {
    expect(resolveStaticPath(root, "/")).toBe(join(root, "index.html"));
    expect(resolveStaticPath(root, "/assets/app.js")).toBe(join(root, "assets", "app.js"));
    expect(resolveStaticPath(root, "/assets/./app.js")).toBe(join(root, "assets", "app.js"));
    expect(resolveStaticPath(root, "/assets/../../secret.txt")).toBeUndefined();
  });

  it("rejects with a clear message when the playground is not built", async () => {
    await expect(servePlayground({ root: join(base, "nowhere") })).rejects.toThrow(/not built: run `npm run build:playground`/);
  });

  it("reports a port in use", async () => {
    const port = Number(new URL(server.url).port);
    await expect(servePlayground({ root, port })).rejects.toThrow(new RegExp(`port ${port} .* already in use`));
  });
});
