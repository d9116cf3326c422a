/**
 * What callers pass the governor: options, authorizations and outcomes of the wrong type are
 * refused before anything is recorded (an event written from them would not be a lineage
 * event later readers can use); a bundle or store that cannot decide is refused at setup; an
 * execution gets one outcome; and replay reports, never skips, a decision event that is not a
 * well-formed lineage event.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadBundle, loadEntities, type EntityJson, type LoadedBundle, type RequestJson } from "../../runtime/index.js";
import { Governor, type AuthorizeOptions, type GovernorOptions, type Outcome } from "../../runtime/governor.js";
import type { LineageLog } from "../../runtime/lineage/log.js";
import { replayLog } from "../../runtime/lineage/replay.js";
import { bundleFrom } from "../support/bundles.js";
import { openTestLog } from "../support/logs.js";
import { FlakyStore } from "../support/flaky-store.js";

const DIR = resolve(process.cwd(), "examples/governed-agent");
const read = (f: string): string => readFileSync(resolve(DIR, f), "utf8");
const ENTITIES = JSON.parse(read("entities.json")) as readonly EntityJson[];
const BUNDLE_JSON = (): unknown => JSON.parse(JSON.stringify(bundleFrom(read("policies.cedar"), read("schema.cedarschema"))));
const BUNDLE = loadBundle(BUNDLE_JSON()).bundle!;
const STORE = loadEntities(BUNDLE, ENTITIES).store!;
const KEY = new Uint8Array(32).map((_, i) => i + 7);
const approve: RequestJson = { principal: { type: "Ops::Human", id: "alice" }, action: { type: "Ops::Action", id: "approve" }, resource: { type: "Ops::Plan", id: "release-42" }, context: {} };

async function setup(extra: Partial<GovernorOptions> = {}): Promise<{ log: LineageLog; store: FlakyStore; gov: Governor }> {
  const store = new FlakyStore();
  const opened = await openTestLog({ store, privateKey: KEY });
  if (!opened.ok) throw new Error(opened.problem.message);
  const gov = new Governor({ log: opened.log, bundle: BUNDLE, node: "node-a", entities: STORE, ...extra });
  return { log: opened.log, store, gov };
}

describe("Governor setup", () => {
  it("refuses a bundle that cannot decide (W7010) and options of the wrong type; a refused update swaps nothing", async () => {
    const json = BUNDLE_JSON() as LoadedBundle;
    for (const bundle of [undefined, null, json]) await expect(setup({ bundle: bundle as unknown as LoadedBundle })).rejects.toThrow(/W7010/);
    await expect(setup({ entities: ENTITIES as never })).rejects.toThrow(/not an entity store.*W7010/);
    await expect(setup({ node: 5 as never })).rejects.toThrow(/`node` must be a string/);
    await expect(setup({ handlers: { notify: true } as never })).rejects.toThrow(/`handlers`/);
    await expect(setup({ clock: "now" as never })).rejects.toThrow(/`clock`/);
    expect(() => new Governor(undefined as never)).toThrow(TypeError);
    expect(() => new Governor({ bundle: BUNDLE, node: "n" } as never)).toThrow(/`log`/);
    const { log, gov } = await setup();
    expect(() => gov.update({ bundle: json, entities: STORE })).toThrow(TypeError);
    expect(() => gov.update({ entities: [] as never })).toThrow(/W7010/);
    expect(gov.current).toEqual({ bundle: BUNDLE, entities: STORE });
    let calls = 0;
    const r = await gov.execute(approve, async () => ++calls, { actor: "human:alice" });
    expect([r.ok, calls, log.size]).toEqual([true, 1, 5]);
  });
});

describe("Governor calls", () => {
  it("refuses options of the wrong type unrecorded (W7009), naming the field; the action never runs", async () => {
    const { log, gov } = await setup();
    const cases: [unknown, RegExp][] = [
      [undefined, /options must be an object/],
      [null, /options must be an object/],
      [{ actor: 5 }, /`actor` must be a string/],
      [{ actor: "a", parent: 5 }, /`parent` must be an event id/],
      [{ actor: "a", entities: ENTITIES }, /`entities` must be an entity store/],
      [{ actor: "a", obligationsBy: "nobody" }, /`obligationsBy`/],
      [{ actor: "a", invalidInput: "ignore" }, /`invalidInput`/],
      [{ actor: "a", onAuthorizing: "hook" }, /`onAuthorizing`/],
    ];
    let calls = 0;
    for (const [options, why] of cases) {
      const r = await gov.execute(approve, async () => ++calls, options as AuthorizeOptions);
      expect([r.allowed, r.ok, r.events.length, r.problem?.code]).toEqual([false, false, 0, "W7009"]);
      expect(r.problem?.message).toMatch(why);
      const a = await gov.authorize(approve, options as AuthorizeOptions);
      expect([a.allowed, a.events.length, a.problem?.code]).toEqual([false, 0, "W7009"]);
    }
    const notRunnable = await gov.execute(approve, 5 as never, { actor: "a" });
    expect(notRunnable.problem?.message).toMatch(/action must be a function/);
    expect([calls, log.size]).toEqual([0, 0]);
  });

  it("complete refuses what is not an allow and outcomes of the wrong shape, unrecorded", async () => {
    const { log, gov } = await setup();
    const auth = await gov.authorize(approve, { actor: "human:alice", obligationsBy: "caller" });
    expect(auth.allowed).toBe(true);
    const size = log.size;
    const bad: [unknown, unknown, RegExp][] = [
      [null, { ok: true }, /not an authorization/],
      [{}, { ok: true }, /not an authorization/],
      [{ ...auth, allowed: false }, { ok: true }, /was not authorized/],
      [auth, null, /outcome must be an object/],
      [auth, { ok: "yes" }, /`ok` must be true or false/],
      [auth, { ok: true, detail: 5 }, /`detail` must be a string/],
      [auth, { ok: true, obligations: "notify" }, /`obligations` must be a list/],
      [auth, { ok: true, evidence: [] }, /`evidence` must be an object/],
      // Strings with no canonical JSON: the events could not be appended (a recording failure, W7006, before).
      [auth, { ok: false, detail: "x\ud800" }, /`detail` holds a string that is not valid Unicode/],
      [auth, { ok: true, resultDigest: "\udc00" }, /`resultDigest` holds a string that is not valid Unicode/],
      [auth, { ok: true, obligations: ["n\ud800"] }, /`obligations` holds a string/],
      [auth, { ok: true, evidence: { "k\ud800": 1 } }, /`evidence` holds a key that is not valid Unicode/],
      [auth, { ok: true, evidence: { notify: { deep: ["\ud800"] } } }, /`evidence` holds a string/],
    ];
    for (const [a, o, why] of bad) {
      const r = await gov.complete(a as typeof auth, o as Outcome);
      expect(r.ok).toBe(false);
      if (!r.ok) expect([r.problem.code, why.test(r.problem.message)]).toEqual(["W7009", true]);
    }
    expect(log.size).toBe(size);
    expect((await gov.complete(auth, { ok: true })).ok).toBe(true);
  });

  it("refuses, unrecorded, an actor or parent (W7009) or a request (W5004) that holds a lone surrogate: no canonical JSON, so no event could hold it", async () => {
    const { log, gov } = await setup();
    const cases: [RequestJson, AuthorizeOptions, RegExp][] = [
      [approve, { actor: "x\ud800" }, /`actor` is not valid Unicode/],
      [approve, { actor: "human:alice", parent: "sha256:\udc00" }, /`parent` is not valid Unicode/],
      [{ ...approve, context: { note: "\ud800" } } as RequestJson, { actor: "human:alice" }, /the request holds a string that is not valid Unicode/],
      [{ ...approve, ["\ud800"]: [{}] } as unknown as RequestJson, { actor: "human:alice" }, /the request holds a key that is not valid Unicode/],
    ];
    const codes = ["W7009", "W7009", "W5004", "W5004"];
    let ran = 0;
    for (const [i, [request, options, why]] of cases.entries()) {
      const r = await gov.execute(request, async () => ++ran, options);
      expect([r.ok, r.problem?.code, why.test(r.problem?.message ?? "")]).toEqual([false, codes[i], true]);
      expect(r.events).toEqual([]);
    }
    expect([ran, log.size]).toEqual([0, 0]);
    // A well-formed pair is fine, and so is a request nested deeper than the readers go (denied, and recorded).
    let deep: unknown = "ok \ud83d\ude00";
    for (let i = 0; i < 250; i++) deep = { a: deep };
    const r = await gov.execute({ ...approve, context: { note: deep } } as RequestJson, async () => ++ran, { actor: "human:alice" });
    expect(r.events.map((e) => e.phase)).toEqual(["requested", "denied", "audited"]);
  });

  it("records one outcome per execution: a second complete, sequential or concurrent, is refused; a failed one can be retried", async () => {
    const { log, store, gov } = await setup();
    const auth = await gov.authorize(approve, { actor: "human:alice", obligationsBy: "caller" });
    store.failAppends = true;
    const failed = await gov.complete(auth, { ok: true });
    expect(failed.ok ? "" : failed.problem.code).toBe("W7006");
    store.failAppends = false;
    const [a, b] = await Promise.all([gov.complete(auth, { ok: true }), gov.complete(auth, { ok: false, detail: "again" })]);
    expect([a.ok, b.ok]).toEqual([true, false]);
    if (!b.ok) expect(b.problem.message).toMatch(/being recorded/);
    const size = log.size;
    const again = await gov.complete(auth, { ok: true });
    expect(again.ok).toBe(false);
    if (!again.ok && a.ok) expect(again.problem.message).toBe(`execution ${auth.execution} already has an outcome (event ${a.events[0]!.id})`);
    // An authorization rebuilt from elsewhere (a copy; another governor on the same log): the log is asked.
    const other = new Governor({ log, bundle: BUNDLE, node: "node-b", entities: STORE });
    for (const [g, copy] of [[gov, { ...auth }], [other, auth]] as const) {
      const r = await g.complete(copy, { ok: true });
      expect(r.ok ? "" : r.problem.message).toBe(`execution ${auth.execution} already has an outcome (event ${a.ok ? a.events[0]!.id : ""})`);
    }
    expect(log.size).toBe(size);
    // A child execution under the authorization is not an outcome of it.
    const parentAuth = await gov.authorize(approve, { actor: "human:alice", obligationsBy: "caller" });
    const child = await gov.execute({ principal: { type: "Ops::Agent", id: "planner" }, action: { type: "Ops::Action", id: "run" }, resource: { type: "Ops::Resource", id: "ci" }, context: { step: "b" } }, async () => 1, { actor: "agent:planner", parent: parentAuth.authorizedEvent! });
    expect(child.events.length).toBeGreaterThan(0);
    expect((await gov.complete(parentAuth, { ok: true })).ok).toBe(true);
  });
});

describe("replay of a malformed decision event", () => {
  it("reports it as unavailable, naming why, instead of skipping it", async () => {
    const { log, gov } = await setup();
    await gov.execute(approve, async () => 1, { actor: "human:alice" });
    const first = await log.get(1);
    // An event written by another writer (or an older Writ) with an `actor` that is not a string.
    const bad = await log.append([{ ...first!.event, execution: "exec-bad", actor: 5, parents: [] }]);
    if (!bad.ok) throw new Error(bad.problem.message);
    const report = await replayLog(log);
    expect(report.verified.ok).toBe(true);
    expect(report.items.map((i) => [i.status, i.execution])).toEqual([["same", expect.any(String)], ["unavailable", "exec-bad"]]);
    expect(report.items[1]!.detail).toBe("the decision event is not a well-formed lineage event: `actor` and `node` must be strings");
    expect(report.unavailable).toBe(1);
  });
});
