/**
 * docs/server.md stays true: its routes table lists exactly the routes the app registers, with
 * their scopes, every route has its own section, and the error-status table agrees with
 * `STATUS_BY_CODE`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statusOf, type WritServer } from "../../server/index.js";
import { ROOT, testServer } from "../support/servers.js";

const DOC = readFileSync(join(ROOT, "docs", "server.md"), "utf8");

let s: WritServer;
beforeAll(async () => {
  s = await testServer({});
});
afterAll(async () => s.close());

describe("docs/server.md", () => {
  it("the routes table is the app's routes and scopes", () => {
    const rows = [...DOC.matchAll(/^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \| ([a-z-]+|—) \|$/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
    const routes = s.routes.map((r) => `${r.method} ${r.url} ${r.scope ?? "—"}`);
    expect([...rows].sort()).toEqual([...routes].sort());
  });

  it("every route has a section", () => {
    for (const r of s.routes) expect(DOC, `${r.method} ${r.url}`).toContain(`#### \`${r.method} ${r.url}\``);
  });

  it("the error table gives each code the status the server sends", () => {
    const table = DOC.slice(DOC.indexOf("| status | codes |"), DOC.indexOf("The table is `STATUS_BY_CODE`"));
    let checked = 0;
    for (const line of table.split("\n")) {
      const m = /^\| (\d{3}) \| (.+) \|$/.exec(line);
      if (m === null) continue;
      for (const code of m[2]!.matchAll(/`(W\d{4})`/g)) {
        expect(statusOf(code[1]!), code[1]).toBe(Number(m[1]));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});
