/**
 * The AuthZEN interop scenarios over real HTTP against `writ serve` (the CLI, spawned), with
 * each scenario's rules as a Writ project in examples/:
 *
 * - Todo (`../shared/conformance/authzen/todo/decisions.json`): every single evaluation
 *   (40) must answer exactly `{"decision": <expected>}`, every batch (3) exactly
 *   `{"evaluations": <expected>}`;
 * - Search (`../shared/conformance/authzen/search/{subject,resource,action}/results.json`,
 *   198 cases): the results must equal the expected ones, compared as the interop harness
 *   does (both sides sorted), and the page must say there is nothing more.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson, ROOT, spawnServe, tempDir, type ServeProcess } from "../support/servers.js";

const CONFORMANCE = join(ROOT, "..", "shared", "conformance", "authzen");

interface Case<R, E> {
  readonly request: R;
  readonly expected: E;
}

const todo = JSON.parse(readFileSync(join(CONFORMANCE, "todo", "decisions.json"), "utf8")) as {
  evaluation: Case<unknown, boolean>[];
  evaluations: Case<unknown, { decision: boolean }[]>[];
};
type Found = { type?: string; id?: string; name?: string };
const searches = (["subject", "resource", "action"] as const).map((kind) => ({
  kind,
  cases: (JSON.parse(readFileSync(join(CONFORMANCE, "search", kind, "results.json"), "utf8")) as { evaluation: Case<unknown, { results: Found[] }>[] }).evaluation,
}));

function example(name: string): string[] {
  const dir = join(ROOT, "examples", name);
  return ["--policies", join(dir, "policies.cedar"), "--schema", join(dir, "schema.cedarschema"), "--entities", join(dir, "entities.json")];
}

/** The interop harness's comparison: by type then id, or by name. */
function sorted(items: readonly Found[]): Found[] {
  return [...items].sort((a, b) => (a.type !== undefined ? `${a.type}\u0000${a.id}`.localeCompare(`${b.type}\u0000${b.id}`) : String(a.name).localeCompare(String(b.name))));
}

let todoServe: ServeProcess;
let searchServe: ServeProcess;

beforeAll(async () => {
  [todoServe, searchServe] = await Promise.all([spawnServe(example("authzen-todo"), tempDir()), spawnServe(example("authzen-search"), tempDir())]);
}, 120_000);

afterAll(async () => {
  for (const s of [todoServe, searchServe]) {
    if (s === undefined) continue;
    s.child.kill("SIGTERM");
    await s.exited;
  }
});

describe("AuthZEN Todo interop scenario over HTTP", () => {
  it("has the scenario's 40 evaluations and 3 batches", () => {
    expect(todo.evaluation).toHaveLength(40);
    expect(todo.evaluations).toHaveLength(3);
  });

  it("answers every evaluation exactly", async () => {
    const wrong: string[] = [];
    for (const c of todo.evaluation) {
      const r = await postJson(`${todoServe.url}/access/v1/evaluation`, c.request, { "x-request-id": "todo" });
      if (r.status !== 200 || JSON.stringify(r.body) !== JSON.stringify({ decision: c.expected }) || r.headers.get("x-request-id") !== "todo") {
        wrong.push(`${JSON.stringify(c.request)} → ${r.status} ${JSON.stringify(r.body)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("answers every batch exactly", async () => {
    for (const c of todo.evaluations) {
      const r = await postJson(`${todoServe.url}/access/v1/evaluations`, c.request);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ evaluations: c.expected });
    }
  });
});

describe("AuthZEN Search interop scenario over HTTP", () => {
  it("has the scenario's 198 searches", () => {
    expect(searches.reduce((n, s) => n + s.cases.length, 0)).toBe(198);
  });

  for (const { kind, cases } of searches) {
    it(`answers every ${kind} search (${cases.length})`, async () => {
      const wrong: string[] = [];
      for (const c of cases) {
        const r = await postJson(`${searchServe.url}/access/v1/search/${kind}`, c.request);
        const body = r.body as { results?: Found[]; page?: { next_token: string } };
        const same = r.status === 200 && JSON.stringify(sorted(body.results ?? [])) === JSON.stringify(sorted(c.expected.results)) && body.page?.next_token === "";
        if (!same) wrong.push(`${JSON.stringify(c.request)} → ${r.status} ${JSON.stringify(body)}`);
      }
      expect(wrong).toEqual([]);
    });
  }
});
