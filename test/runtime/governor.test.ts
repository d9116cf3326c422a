/**
 * The governor: allowed, denied, unhandled-obligation, parent-missing, tampered-parent and
 * store-failure paths; lineage built from the verified parent; nothing recorded as executed
 * unless the action ran.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadBundle, loadEntities, type EntityJson, type LoadedBundle, type RequestJson } from "../../runtime/index.js";
import { bundleText } from "../../runtime/bundle.js";
import { withLineage } from "../../runtime/decision-record.js";
import { Governor, type GovernedResult, type GovernorOptions } from "../../runtime/governor.js";
import { canonicalBytes } from "../../compiler/canonical.js";
import { eventIdOf } from "../../runtime/lineage/proof.js";
import { nodeHasher } from "../../runtime/lineage/merkle-node-hasher.js";
import type { LineageLog } from "../../runtime/lineage/log.js";
import { openTestLog } from "../support/logs.js";
import { FlakyStore } from "../support/flaky-store.js";
import { asLineageEvent, type LineageEvent } from "../../runtime/lineage/events.js";
import { replayLog } from "../../runtime/lineage/replay.js";
import { build } from "esbuild";
import { bundleFrom } from "../support/bundles.js";

const DIR = resolve(process.cwd(), "examples/governed-agent");
const read = (f: string): string => readFileSync(resolve(DIR, f), "utf8");
const ENTITIES = JSON.parse(read("entities.json")) as readonly EntityJson[];
const BUNDLE: LoadedBundle = (() => {
  const r = loadBundle(JSON.parse(JSON.stringify(bundleFrom(read("policies.cedar"), read("schema.cedarschema")))));
  if (r.bundle === undefined) throw new Error(r.diagnostics.map((d) => d.message).join("; "));
  return r.bundle;
})();
const STORE = (() => {
  const r = loadEntities(BUNDLE, ENTITIES);
  if (r.store === undefined) throw new Error(r.diagnostics.map((d) => d.message).join("; "));
  return r.store;
})();
const KEY = new Uint8Array(32).map((_, i) => i + 1);
const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);

async function setup(extra: Partial<GovernorOptions> = {}): Promise<{ log: LineageLog; store: FlakyStore; gov: Governor }> {
  const store = new FlakyStore();
  const opened = await openTestLog({ store, privateKey: KEY });
  if (!opened.ok) throw new Error(opened.problem.message);
  let n = 0;
  let t = T0;
  const gov = new Governor({
    log: opened.log,
    bundle: BUNDLE,
    node: "node-a",
    entities: STORE,
    handlers: { notify: () => true },
    clock: () => new Date((t += 1000)),
    newExecutionId: () => `exec-${++n}`,
    ...extra,
  });
  return { log: opened.log, store, gov };
}

const uid = (type: string, id: string): { type: string; id: string } => ({ type, id });
const approve = { principal: uid("Ops::Human", "alice"), action: uid("Ops::Action", "approve"), resource: uid("Ops::Plan", "release-42"), context: {} };
const run = (agent: string, resource: string, step: string): RequestJson => ({
  principal: uid("Ops::Agent", agent),
  action: uid("Ops::Action", "run"),
  resource: uid("Ops::Resource", resource),
  context: { step },
});
const delegate = (from: string, to: string): RequestJson => ({ principal: uid("Ops::Agent", from), action: uid("Ops::Action", "delegate"), resource: uid("Ops::Agent", to), context: {} });

async function eventsOf(log: LineageLog): Promise<LineageEvent[]> {
  const out: LineageEvent[] = [];
  for (let i = 0; i < log.size; i++) {
    const e = await log.get(i);
    const ev = asLineageEvent(e!.event);
    if (typeof ev === "string") throw new Error(ev);
    out.push(ev);
  }
  return out;
}

const phases = (r: GovernedResult<unknown>): string[] => r.events.map((e) => e.phase);

describe("withLineage", () => {
  const key = fc.oneof(fc.string(), fc.constantFrom("__proto__", "lineage", "0", "10", "principal", "constructor"));
  /** The spread it replaces, compared by own keys (in order), values and prototype. */
  const same = (a: object, b: object): void => {
    expect(Reflect.ownKeys(a)).toEqual(Reflect.ownKeys(b));
    for (const k of Reflect.ownKeys(b)) expect(Object.getOwnPropertyDescriptor(a, k)).toEqual(Object.getOwnPropertyDescriptor(b, k));
    expect(Object.getPrototypeOf(a)).toBe(Object.getPrototypeOf(b));
  };

  it("is `{ ...request, lineage }` for every parsed JSON object (own `__proto__`, `lineage` and integer keys included)", () => {
    fc.assert(
      fc.property(fc.dictionary(key, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 8 }), fc.jsonValue({ maxDepth: 2 }), (d, lineage) => {
        const parsed = JSON.parse(JSON.stringify(d)) as Record<string, unknown>;
        same(withLineage(parsed, lineage as never), { ...parsed, lineage });
      }),
      { numRuns: 300 },
    );
  });

  it("is the spread for objects with symbol keys or non-enumerable properties", () => {
    const sym = Symbol("s");
    const o: Record<string | symbol, unknown> = { a: 1, [sym]: 2 };
    Object.defineProperty(o, "hidden", { value: 3, enumerable: false });
    const lineage = { depth: 0, ancestors: [] };
    same(withLineage(o as Record<string, unknown>, lineage), { ...o, lineage });
  });
});

describe("Governor.execute", () => {
  it("runs a permitted action and records requested → authorized → verified → executed → audited", async () => {
    const { log, gov } = await setup();
    let calls = 0;
    const r = await gov.execute(approve, async () => ++calls, { actor: "human:alice" });
    expect(r.allowed).toBe(true);
    expect(r.ok).toBe(true);
    expect(r.result).toBe(1);
    expect(calls).toBe(1);
    expect(phases(r)).toEqual(["requested", "authorized", "verified", "executed", "audited"]);
    expect(r.decisionRecord?.decision).toBe("allow");
    expect(r.decisionRecord?.reasons.map((x) => x.name)).toEqual(["humans-approve-plans"]);
    const evs = await eventsOf(log);
    expect(evs).toHaveLength(5);
    // Each event names the previous one of the execution; the event ids are the log's leaf ids.
    for (let i = 1; i < 5; i++) expect(evs[i]!.parents).toEqual([r.events[i - 1]!.id]);
    for (let i = 0; i < 5; i++) expect(eventIdOf(nodeHasher.leaf(canonicalBytes(evs[i]!)))).toBe(r.events[i]!.id);
    expect(evs[0]!.parents).toEqual([]);
    expect(evs[0]!.request).toMatchObject({ lineage: { depth: 0, ancestors: [] } });
    expect(evs[1]!.decision).toEqual(r.decisionRecord);
    expect(evs.map((e) => e.recordedAt)[0]).toBe(new Date(T0 + 1000).toISOString());
    // Each recorded event carries the time inside it (the clock moves 1 s per read, so each differs).
    expect(r.events.map((e) => e.recordedAt)).toEqual(evs.map((e) => e.recordedAt));
    expect(new Set(r.events.map((e) => e.recordedAt)).size).toBe(5);
    expect(evs.every((e) => e.execution === "exec-1" && e.node === "node-a" && e.actor === "human:alice")).toBe(true);
  });

  it("stores the bundle and the entity snapshot once each by id, and events name them by id", async () => {
    const { log, store, gov } = await setup();
    await gov.execute(approve, async () => undefined, { actor: "human:alice" });
    await gov.execute(approve, async () => undefined, { actor: "human:bob" });
    const text = await store.getObject(BUNDLE.bundleId);
    expect(text).toBe(bundleText(BUNDLE));
    expect(loadBundle(JSON.parse(text!)).bundle?.bundleId).toBe(BUNDLE.bundleId);
    const snapshot = await store.getObject(STORE.id);
    expect(snapshot).toBe(STORE.canonicalText());
    expect(loadEntities(BUNDLE, JSON.parse(snapshot!)).store?.id).toBe(STORE.id);
    expect(store.objects.size).toBe(2);
    const requested = (await eventsOf(log)).filter((e) => e.phase === "requested");
    expect(requested).toHaveLength(2);
    for (const e of requested) {
      expect(e.entitiesId).toBe(STORE.id);
      expect(e.bundleId).toBe(BUNDLE.bundleId);
      expect(e.entities).toBeUndefined();
    }
  });

  it("feeds the verified parent into `lineage`: a child under a human approval is allowed", async () => {
    const { log, gov } = await setup();
    let child: GovernedResult<string> | undefined;
    const root = await gov.execute(approve, async (ctx) => {
      child = await gov.execute(run("planner", "ci", "build"), async () => "built", { actor: "agent:planner", parent: ctx.authorizedEvent });
      return "approved";
    }, { actor: "human:alice" });
    expect(root.ok).toBe(true);
    expect(child?.allowed).toBe(true);
    expect(child?.result).toBe("built");
    expect(child?.decisionRecord?.obligations).toEqual({ notify: ["#agent-activity"] });
    const requested = (await eventsOf(log)).find((e) => e.execution === child!.execution && e.phase === "requested")!;
    expect(requested.parents).toEqual([root.events[1]!.id]);
    const summary = { principal: approve.principal, action: approve.action, resource: approve.resource, decision: "allow", bundleId: BUNDLE.bundleId, node: "node-a" };
    expect(requested.request).toMatchObject({ lineage: { depth: 1, parent: summary, root: summary, ancestors: [summary] } });
  });

  it("denies by policy, records the denial and never runs the action (no human-approved ancestor)", async () => {
    const { log, gov } = await setup();
    let calls = 0;
    const r = await gov.execute(run("planner", "ci", "build"), async () => ++calls, { actor: "agent:planner" });
    expect(r.allowed).toBe(false);
    expect(calls).toBe(0);
    expect(r.decisionRecord?.decision).toBe("deny");
    expect(phases(r)).toEqual(["requested", "denied", "audited"]);
    expect(r.problem?.message).toMatch(/no policy permits it/);
    const evs = await eventsOf(log);
    expect(evs.map((e) => e.phase)).toEqual(["requested", "denied", "audited"]);
    expect(evs.some((e) => e.phase === "executed" || e.phase === "verified")).toBe(false);
  });

  it("denies a delegation chain deeper than 2 through the lineage depth", async () => {
    const { log, gov } = await setup();
    const results: GovernedResult<unknown>[] = [];
    await gov.execute(approve, async (c0) => {
      const d1 = await gov.execute(delegate("planner", "worker"), async (c1) => {
        const d2 = await gov.execute(delegate("worker", "helper"), async (c2) => {
          results.push(await gov.execute(delegate("helper", "planner"), async () => "too deep", { actor: "agent:helper", parent: c2.authorizedEvent }));
        }, { actor: "agent:worker", parent: c1.authorizedEvent });
        results.push(d2);
      }, { actor: "agent:planner", parent: c0.authorizedEvent });
      results.push(d1);
    }, { actor: "human:alice" });
    expect(results.map((r) => r.allowed)).toEqual([false, true, true]);
    expect(results[0]!.decisionRecord?.reasons.map((x) => x.name)).toEqual(["no-deep-delegation"]);
    expect(results[0]!.result).toBeUndefined();
    const evs = await eventsOf(log);
    expect(evs.filter((e) => e.execution === results[0]!.execution).map((e) => e.phase)).toEqual(["requested", "denied", "audited"]);
    expect((evs.find((e) => e.execution === results[0]!.execution)!.request as { lineage: { depth: number } }).lineage.depth).toBe(3);
  });

  it("denies an allow whose obligation has no registered handler, recorded as denied", async () => {
    const { log, gov } = await setup();
    let calls = 0;
    let r: GovernedResult<number> | undefined;
    await gov.execute(approve, async (ctx) => {
      r = await gov.execute(run("planner", "prod-cluster", "deploy"), async () => ++calls, { actor: "agent:planner", parent: ctx.authorizedEvent });
    }, { actor: "human:alice" });
    expect(calls).toBe(0);
    expect(r!.allowed).toBe(false);
    expect(r!.decisionRecord?.decision).toBe("allow");
    expect(r!.decisionRecord?.obligations).toEqual({ notify: ["#agent-activity", "#releases"], page_oncall: true });
    expect(r!.problem?.message).toBe("no handler for obligation `page_oncall`");
    expect(phases(r!)).toEqual(["requested", "denied", "audited"]);
    const evs = (await eventsOf(log)).filter((e) => e.execution === r!.execution);
    expect(evs[1]!.outcome).toEqual({ status: "refused", reason: "no handler for obligation `page_oncall`", code: "W7003" });
  });

  it("runs every handler with its merged value; a refusing handler stops the execution before the action", async () => {
    const seen: [string, unknown][] = [];
    const { log, gov } = await setup({
      handlers: {
        notify: (v) => void seen.push(["notify", v]),
        page_oncall: (v) => (seen.push(["page_oncall", v]), false),
      },
    });
    let calls = 0;
    let r: GovernedResult<number> | undefined;
    await gov.execute(approve, async (ctx) => {
      r = await gov.execute(run("planner", "prod-cluster", "deploy"), async () => ++calls, { actor: "agent:planner", parent: ctx.authorizedEvent });
    }, { actor: "human:alice" });
    expect(seen).toEqual([["notify", ["#agent-activity", "#releases"]], ["page_oncall", true]]);
    expect(calls).toBe(0);
    expect(r!.allowed).toBe(false);
    expect(phases(r!)).toEqual(["requested", "authorized", "failed", "audited"]);
    const evs = (await eventsOf(log)).filter((e) => e.execution === r!.execution);
    expect(evs.some((e) => e.phase === "executed")).toBe(false);
  });

  it("denies when the parent event is not in the log", async () => {
    const { log, gov } = await setup();
    let calls = 0;
    const missing = `sha256:${"ab".repeat(32)}`;
    const r = await gov.execute(run("planner", "ci", "build"), async () => ++calls, { actor: "agent:planner", parent: missing });
    expect(r.allowed).toBe(false);
    expect(calls).toBe(0);
    expect(r.decisionRecord).toBeUndefined();
    expect(r.problem?.message).toBe(`parent event ${missing} is not in the lineage log`);
    const evs = await eventsOf(log);
    expect(evs.map((e) => e.phase)).toEqual(["requested", "denied", "audited"]);
    expect(evs[0]!.parents).toEqual([missing]);
  });

  it("denies when the stored parent was tampered with (its inclusion proof fails)", async () => {
    const { store, gov } = await setup();
    const root = await gov.execute(approve, async () => "ok", { actor: "human:alice" });
    const row = store.rows[root.events[1]!.index]!;
    const text = new TextDecoder().decode(row.data).replace('"decision":"allow"', '"decision":"allox"');
    row.data = new TextEncoder().encode(text);
    let calls = 0;
    const r = await gov.execute(run("planner", "ci", "build"), async () => ++calls, { actor: "agent:planner", parent: root.events[1]!.id });
    expect(calls).toBe(0);
    expect(r.allowed).toBe(false);
    expect(r.problem?.message).toMatch(/^parent event sha256:[0-9a-f]{64} does not verify/);
  });

  it("proves a parent once for all its children; a failed check is not kept", async () => {
    const { store, gov } = await setup();
    const root = await gov.execute(approve, async () => "ok", { actor: "human:alice" });
    const parent = root.events[1]!.id;
    store.failReads = true;
    const refused = await gov.execute(run("planner", "ci", "build"), async () => 0, { actor: "agent:planner", parent });
    expect(refused.allowed).toBe(false);
    store.failReads = false;
    let reads = 0;
    const findById = store.findById.bind(store);
    store.findById = async (id) => {
      reads++;
      return findById(id);
    };
    const first = await gov.execute(run("planner", "ci", "build"), async () => 1, { actor: "agent:planner", parent });
    expect(first.ok).toBe(true);
    const afterFirst = reads;
    expect(afterFirst).toBeGreaterThan(0);
    const second = await gov.execute(run("planner", "ci", "test"), async () => 2, { actor: "agent:planner", parent });
    expect(second.ok).toBe(true);
    expect(reads).toBe(afterFirst);
  });

  it("fails closed when the store refuses a write: no action, nothing recorded", async () => {
    const { log, store, gov } = await setup();
    store.failAppends = true;
    let calls = 0;
    const r = await gov.execute(approve, async () => ++calls, { actor: "human:alice" });
    expect(calls).toBe(0);
    expect(r.allowed).toBe(false);
    expect(r.events).toEqual([]);
    expect(r.problem?.message).toMatch(/cannot record the authorization: .*disk full/);
    expect(log.size).toBe(0);
    store.failAppends = false;
    const again = await gov.execute(approve, async () => ++calls, { actor: "human:alice" });
    expect(again.ok).toBe(true);
    expect(calls).toBe(1);
  });

  it("fails closed when the parent cannot be read: no action, no executed event", async () => {
    const { log, store, gov } = await setup();
    const root = await gov.execute(approve, async () => "ok", { actor: "human:alice" });
    store.failReads = true;
    let calls = 0;
    const r = await gov.execute(run("planner", "ci", "build"), async () => ++calls, { actor: "agent:planner", parent: root.events[1]!.id });
    expect(calls).toBe(0);
    expect(r.allowed).toBe(false);
    expect(r.problem?.message).toMatch(/read error/);
    store.failReads = false;
    expect((await eventsOf(log)).filter((e) => e.phase === "executed")).toHaveLength(1);
  });

  it("a failing action is recorded as failed, never as executed", async () => {
    const { log, gov } = await setup();
    const r = await gov.execute(approve, async () => {
      throw new Error("boom");
    }, { actor: "human:alice" });
    expect(r.allowed).toBe(true);
    expect(r.ok).toBe(false);
    expect(r.problem?.message).toBe("the action failed: boom");
    expect((await eventsOf(log)).map((e) => e.phase)).toEqual(["requested", "authorized", "verified", "failed", "audited"]);
  });

  it("authorize with invalidInput \"refuse\" records nothing for input that does not fit the schema; by default it is a recorded denial", async () => {
    const { log, gov } = await setup();
    const bad = { ...approve, principal: uid("Ops::Robot", "r2") };
    const refused = await gov.authorize(bad, { actor: "alice", invalidInput: "refuse" });
    expect(refused).toMatchObject({ allowed: false, events: [], problem: { code: "W7009" } });
    expect(refused.invalidInput?.length).toBeGreaterThan(0);
    expect(refused.invalidInput?.every((e) => e.policy === "")).toBe(true);
    expect(log.size).toBe(0);
    const recorded = await gov.authorize(bad, { actor: "alice" });
    expect(recorded.invalidInput).toBeUndefined();
    expect(recorded.events.map((e) => e.phase)).toEqual(["requested", "denied", "audited"]);
    const fine = await gov.authorize(approve, { actor: "alice", invalidInput: "refuse" });
    expect(fine).toMatchObject({ allowed: true });
    expect(fine.invalidInput).toBeUndefined();
  });

  it("refuses a request that brings its own lineage", async () => {
    const { gov } = await setup();
    let calls = 0;
    const r = await gov.execute({ ...run("planner", "ci", "x"), lineage: { depth: 1, ancestors: [] } }, async () => ++calls, { actor: "agent:planner" });
    expect(calls).toBe(0);
    expect(r.allowed).toBe(false);
    expect(r.problem?.message).toMatch(/must not carry `lineage`/);
  });

  it("accepts any event of the parent execution as parent: requested, authorized, executed, audited", async () => {
    const { gov } = await setup();
    const root = await gov.execute(approve, async () => "ok", { actor: "human:alice" });
    for (const e of root.events) {
      const r = await gov.execute(run("planner", "ci", `after ${e.phase}`), async () => e.phase, { actor: "agent:planner", parent: e.id });
      expect([e.phase, r.allowed, r.result]).toEqual([e.phase, true, e.phase]);
    }
    const p = await gov.verifyParent(root.events[4]!.id);
    expect(p.ok && p.lineage.depth).toBe(1);
  });

  it("a child of a denied execution sees decision \"deny\" for it and is not human-approved", async () => {
    const { gov } = await setup();
    const denied = await gov.execute(run("planner", "ci", "x"), async () => 1, { actor: "agent:planner" });
    expect(denied.allowed).toBe(false);
    const p = await gov.verifyParent(denied.events[1]!.id);
    expect(p.ok && p.lineage.parent?.decision).toBe("deny");
    const child = await gov.execute(run("worker", "ci", "y"), async () => 1, { actor: "agent:worker", parent: denied.events[1]!.id });
    expect(child.allowed).toBe(false);
  });

  it("runs concurrent executions without mixing their records", async () => {
    const { log, gov } = await setup();
    const rs = await Promise.all([0, 1, 2, 3].map((i) => gov.execute(approve, async () => i, { actor: `human:${i}` })));
    expect(rs.map((r) => [r.ok, r.result])).toEqual([[true, 0], [true, 1], [true, 2], [true, 3]]);
    const evs = await eventsOf(log);
    for (const r of rs) expect(evs.filter((e) => e.execution === r.execution).map((e) => e.phase)).toEqual(["requested", "authorized", "verified", "executed", "audited"]);
    expect((await log.verify()).ok).toBe(true);
  });

  it("replay re-evaluates every recorded decision identically; a changed stored record fails its verification first", async () => {
    const { log, store, gov } = await setup();
    await gov.execute(approve, async (ctx) => {
      await gov.execute(run("planner", "ci", "b"), async () => 1, { actor: "agent:planner", parent: ctx.authorizedEvent });
      await gov.execute(run("planner", "prod-cluster", "d"), async () => 1, { actor: "agent:planner", parent: ctx.authorizedEvent });
    }, { actor: "human:alice" });
    await gov.execute(run("planner", "ci", "x"), async () => 1, { actor: "agent:planner" });
    const clean = await replayLog(log);
    expect(clean.verified.ok).toBe(true);
    expect([clean.same, clean.different, clean.unavailable]).toEqual([4, 0, 0]);
    const denied = clean.items[3]!;
    const row = store.rows[denied.index]!;
    row.data = new TextEncoder().encode(new TextDecoder().decode(row.data).replace('"decision":"deny"', '"decision":"allow"'));
    const after = await replayLog(log);
    expect(after.verified.ok).toBe(false);
    expect(after.verified.firstBad?.index).toBe(denied.index);
    expect(after.items).toEqual([]);
  });

  it("replay reproduces the denial of a request with several problems given in another key order than the log stores", async () => {
    const { log, gov } = await setup();
    // Two values the reader refuses; the log stores the request in canonical key order (a before b).
    const bad = { ...run("planner", "ci", "x"), context: { step: "x", mid: { b: 1.5, a: 2.5 } } } as unknown as RequestJson;
    const r = await gov.execute(bad, async () => 1, { actor: "agent:planner" });
    expect(r.ok).toBe(false);
    expect(r.events.map((e) => e.phase)).toEqual(["requested", "denied", "audited"]);
    const replay = await replayLog(log);
    expect([replay.same, replay.different, replay.unavailable]).toEqual([1, 0, 0]);
  });

  it("replay reports a decision the log's own signer recorded wrongly (signed, but not what the bundle decides)", async () => {
    const { log, gov } = await setup();
    const r = await gov.execute(run("planner", "ci", "x"), async () => 1, { actor: "agent:planner" });
    expect(r.allowed).toBe(false);
    const evs = await eventsOf(log);
    const requested = evs[0]!;
    const forged = { ...evs[1]!, execution: "exec-forged", phase: "authorized", decision: { ...r.decisionRecord!, decision: "allow" }, parents: [] as string[] };
    const req = { ...requested, execution: "exec-forged" };
    const a = await log.append([req]);
    if (!a.ok) throw new Error(a.problem.message);
    const b = await log.append([{ ...forged, parents: [a.entries[0]!.id] }]);
    if (!b.ok) throw new Error(b.problem.message);
    const replay = await replayLog(log);
    expect(replay.verified.ok).toBe(true);
    expect(replay.items.map((i) => i.status)).toEqual(["same", "different"]);
    expect(replay.items[1]!.detail).toBe("differs in decision");
  });

  it("verify names the first event whose entity snapshot or bundle is missing or altered", async () => {
    const { log, store, gov } = await setup();
    await gov.execute(approve, async () => undefined, { actor: "human:alice" });
    expect((await log.verify()).ok).toBe(true);
    const original = store.objects.get(STORE.id)!;
    store.objects.set(STORE.id, original.replace('"alice"', '"mallory"'));
    const altered = await log.verify();
    expect(altered.ok).toBe(false);
    expect(altered.code).toBe("W6214");
    expect(altered.firstBad?.index).toBe(0);
    expect(altered.firstBad?.reason).toMatch(/hashes to sha256:/);
    store.objects.delete(STORE.id);
    const missing = await log.verify();
    expect(missing.firstBad?.reason).toMatch(/is not stored in the log/);
    store.objects.set(STORE.id, original);
    store.objects.delete(BUNDLE.bundleId);
    expect((await log.verify()).firstBad?.reason).toMatch(/bundle sha256:[0-9a-f]+ is not stored/);
  });

  it("verify names the first event naming an altered snapshot, however many events name it and others", async () => {
    const { log, store, gov } = await setup();
    const second = STORE.update({ remove: [ENTITIES[ENTITIES.length - 1]!.uid] }).store!;
    const firstIndex = new Map<string, number>();
    for (const [i, entities] of [STORE, second, STORE, second, STORE].entries()) {
      gov.update({ entities });
      const r = await gov.execute(approve, async () => undefined, { actor: `human:${i}` });
      if (!firstIndex.has(entities.id)) firstIndex.set(entities.id, r.events[0]!.index);
    }
    expect((await log.verify()).ok).toBe(true);
    for (const [snapshot, other] of [[STORE, second], [second, STORE]] as const) {
      const original = store.objects.get(snapshot.id)!;
      // Altered: the other snapshot's text under this one's id.
      store.objects.set(snapshot.id, store.objects.get(other.id)!);
      const report = await log.verify();
      expect(report.code).toBe("W6214");
      expect(report.firstBad?.index).toBe(firstIndex.get(snapshot.id));
      store.objects.set(snapshot.id, original);
    }
  });

  it("the governor, events and DSSE modules bundle for the browser without Node modules", async () => {
    for (const file of ["runtime/governor.ts", "runtime/lineage/events.ts", "runtime/lineage/dsse.ts"]) {
      const result = await build({ entryPoints: [resolve(process.cwd(), file)], bundle: true, platform: "browser", format: "esm", write: false, logLevel: "silent", metafile: true });
      expect(Object.keys(result.metafile.inputs).some((p) => p.startsWith("node:")), file).toBe(false);
    }
  });

  it("is deterministic given the clock and execution ids: same events, same ids", async () => {
    const a = await setup();
    const b = await setup();
    const ra = await a.gov.execute(approve, async () => 1, { actor: "human:alice" });
    const rb = await b.gov.execute(approve, async () => 1, { actor: "human:alice" });
    expect(ra.events).toEqual(rb.events);
  });
});
