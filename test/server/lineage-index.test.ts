/**
 * The execution index: rows built from lineage events (requested → decision → outcome →
 * audited), queries by principal, action and verdict with cursor paging, and the property that
 * a query walked page by page returns exactly what a scan of every row filtered by hand returns,
 * whatever the order events of different executions arrive in.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LineageIndex, MAX_PAGE, uidText, type ExecutionRow, type IndexedEvent } from "../../server/lineage-index.js";

const user = (id: string) => ({ type: "User", id });
const act = (id: string) => ({ type: "Action", id });

function chain(execution: string, principal: string, action: string, verdict: "allow" | "deny", start: number, outcome?: "executed" | "failed"): IndexedEvent[] {
  const base = { execution, actor: "svc", node: "n1" };
  const evs: IndexedEvent[] = [
    { ...base, id: `${execution}/r`, index: start, phase: "requested", request: { principal: user(principal), action: act(action), resource: { type: "Doc", id: "d" } } },
    verdict === "allow"
      ? { ...base, id: `${execution}/a`, index: start + 1, phase: "authorized", decision: { obligations: { notify: ["#ops"], approve: true } } }
      : { ...base, id: `${execution}/d`, index: start + 1, phase: "denied", decision: { obligations: {} } },
  ];
  if (verdict === "deny") evs.push({ ...base, id: `${execution}/x`, index: start + 2, phase: "audited" });
  if (verdict === "allow" && outcome !== undefined) {
    evs.push({ ...base, id: `${execution}/v`, index: start + 2, phase: "verified" }, { ...base, id: `${execution}/o`, index: start + 3, phase: outcome }, { ...base, id: `${execution}/z`, index: start + 4, phase: "audited" });
  }
  return evs;
}

/** Executions of a generated log: who asked for what, the verdict and the outcome. */
const execArb = fc.record({
  principal: fc.constantFrom("a", "b", "c"),
  action: fc.constantFrom("view", "edit"),
  verdict: fc.constantFrom("allow" as const, "deny" as const),
  outcome: fc.constantFrom(undefined, "executed" as const, "failed" as const),
});

/** Feed the executions' events to every index, interleaved by `seed` (each execution's own events stay in order). */
function feed(execs: readonly { principal: string; action: string; verdict: "allow" | "deny"; outcome: "executed" | "failed" | undefined }[], seed: number, ...indexes: LineageIndex[]): void {
  const queues = execs.map((e, i) => chain(`x${i}`, e.principal, e.action, e.verdict, i * 10, e.outcome));
  let s = seed >>> 0;
  while (queues.some((q) => q.length > 0)) {
    const live = queues.filter((q) => q.length > 0);
    s = (s * 1103515245 + 12345) >>> 0;
    const e = live[s % live.length]!.shift()!;
    for (const ix of indexes) ix.add(e);
  }
}

describe("LineageIndex rows", () => {
  it("follows an execution from request to audit", () => {
    const ix = new LineageIndex();
    const [req, auth, ...rest] = chain("e1", "alice", "view", "allow", 0, "executed");
    ix.add(req!);
    expect(ix.get("e1")).toMatchObject({ status: "requested", principal: 'User::"alice"', action: 'Action::"view"', resource: 'Doc::"d"', audited: false });
    expect(ix.get("e1")!.decision).toBeUndefined();
    ix.add(auth!);
    expect(ix.get("e1")).toMatchObject({ status: "authorized", decision: "allow", authorizedEvent: "e1/a", obligations: ["approve", "notify"] });
    ix.addAll(rest);
    const row = ix.get("e1")!;
    expect(row).toMatchObject({ status: "executed", audited: true, obligations: [] });
    expect(row.authorizedEvent).toBeUndefined();
    expect(row.events.map((e) => e.phase)).toEqual(["requested", "authorized", "verified", "executed", "audited"]);
  });

  it("records denials and ignores an event it has already indexed", () => {
    const ix = new LineageIndex();
    const evs = chain("e2", "bob", "edit", "deny", 10);
    ix.addAll(evs);
    ix.addAll(evs);
    expect(ix.size).toBe(1);
    expect(ix.get("e2")).toMatchObject({ status: "denied", decision: "deny", audited: true, obligations: [] });
    expect(ix.get("e2")!.events).toHaveLength(3);
  });

  it("reads both spellings of an entity uid and refuses malformed ones", () => {
    expect(uidText({ type: "A::B", id: 'x"y' })).toBe('A::B::"x\\"y"');
    expect(uidText({ __entity: { type: "T", id: "1" } })).toBe('T::"1"');
    expect(uidText({ type: "T" })).toBeUndefined();
    expect(uidText("T::1")).toBeUndefined();
  });
});

describe("LineageIndex queries", () => {
  const ix = new LineageIndex();
  for (let i = 0; i < 30; i++) ix.addAll(chain(`e${i}`, i % 3 === 0 ? "alice" : "bob", i % 2 === 0 ? "view" : "edit", i % 5 === 0 ? "deny" : "allow", i * 10));

  it("filters by principal, action and verdict together", () => {
    const page = ix.query({ principal: 'User::"alice"', action: 'Action::"view"', decision: "deny" });
    expect("error" in page).toBe(false);
    if ("error" in page) return;
    expect(page.executions.map((r) => r.execution)).toEqual(["e0"]);
    expect(page.next).toBeUndefined();
  });

  it("pages with the last execution id as cursor", () => {
    const first = ix.query({ principal: 'User::"bob"', limit: 7 });
    if ("error" in first) throw new Error(first.error);
    expect(first.executions).toHaveLength(7);
    expect(first.next).toBe(first.executions[6]!.execution);
    const second = ix.query({ principal: 'User::"bob"', limit: 7, after: first.next! });
    if ("error" in second) throw new Error(second.error);
    expect(second.executions[0]!.seq).toBeGreaterThan(first.executions[6]!.seq);
  });

  it("refuses a cursor it did not hand out and clamps the page size", () => {
    expect(ix.query({ after: "nope" })).toEqual({ error: "`after` names no execution this index holds: nope" });
    const all = ix.query({ limit: 10_000 });
    if ("error" in all) throw new Error(all.error);
    expect(all.executions).toHaveLength(Math.min(30, MAX_PAGE));
  });

  it("an unknown principal matches nothing", () => {
    expect(ix.query({ principal: 'User::"zed"' })).toEqual({ executions: [] });
  });
});

describe("LineageIndex properties", () => {
  it("paged queries return exactly the rows a full scan filters out, for any arrival order", () => {
    fc.assert(
      fc.property(
        fc.array(execArb, { minLength: 0, maxLength: 25 }),
        fc.integer({ min: 1, max: 6 }),
        fc.record({ principal: fc.option(fc.constantFrom("a", "b", "c", "z"), { nil: undefined }), action: fc.option(fc.constantFrom("view", "edit"), { nil: undefined }), decision: fc.option(fc.constantFrom("allow" as const, "deny" as const), { nil: undefined }) }),
        fc.integer(),
        (execs, limit, filter, seed) => {
          const ix = new LineageIndex();
          feed(execs, seed, ix);
          const all = ix.query({ limit: MAX_PAGE });
          if ("error" in all) throw new Error(all.error);
          const q = { ...(filter.principal === undefined ? {} : { principal: `User::"${filter.principal}"` }), ...(filter.action === undefined ? {} : { action: `Action::"${filter.action}"` }), ...(filter.decision === undefined ? {} : { decision: filter.decision }) };
          const expected = all.executions.filter((r: ExecutionRow) => (q.principal === undefined || r.principal === q.principal) && (q.action === undefined || r.action === q.action) && (q.decision === undefined || r.decision === q.decision));
          const got: ExecutionRow[] = [];
          let after: string | undefined;
          for (let guard = 0; guard < 100; guard++) {
            const page = ix.query({ ...q, limit, ...(after === undefined ? {} : { after }) });
            if ("error" in page) throw new Error(page.error);
            expect(page.executions.length).toBeLessThanOrEqual(limit);
            got.push(...page.executions);
            if (page.next === undefined) break;
            after = page.next;
          }
          expect(got.map((r) => r.execution)).toEqual(expected.map((r) => r.execution));
          expect(all.executions.map((r) => r.seq)).toEqual(all.executions.map((_, i) => i));
        },
      ),
      { seed: 1107, numRuns: 200 },
    );
  });
});

describe("LineageIndex with a limit (a window of the latest executions)", () => {
  it("holds the latest executions, each row as an unbounded index has it, and pages through them alone", () => {
    fc.assert(
      fc.property(fc.array(execArb, { minLength: 0, maxLength: 60 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 7 }), fc.constantFrom(undefined, "a", "b"), fc.integer(), (execs, limit, page, principal, seed) => {
        const window = new LineageIndex({ limit });
        const reference = new LineageIndex();
        feed(execs, seed, window, reference);
        const chunk = Math.max(1, Math.floor(limit / 16));
        expect(window.size).toBeLessThanOrEqual(limit + chunk - 1);
        // Full means at least `limit` (a chunk leaves only when one more arrives).
        expect(window.size).toBe(reference.size < limit ? reference.size : Math.max(limit, window.size));
        const all = (ix: LineageIndex): ExecutionRow[] => {
          const p = ix.query({ limit: MAX_PAGE });
          if ("error" in p) throw new Error(p.error);
          return [...p.executions];
        };
        const kept = all(window);
        // The latest executions, each exactly as the unbounded index has it.
        expect(kept).toEqual(all(reference).slice(reference.size - window.size));
        for (const r of all(reference).slice(0, reference.size - window.size)) {
          if (r.status !== "authorized") expect(window.get(r.execution)).toBeUndefined();
        }
        // Paged queries see the window only.
        const q = principal === undefined ? {} : { principal: `User::"${principal}"` };
        const got: string[] = [];
        let after: string | undefined;
        for (let guard = 0; guard < 200; guard++) {
          const r = window.query({ ...q, limit: page, ...(after === undefined ? {} : { after }) });
          if ("error" in r) throw new Error(r.error);
          got.push(...r.executions.map((x) => x.execution));
          if (r.next === undefined) break;
          after = r.next;
        }
        expect(got).toEqual(kept.filter((r) => q.principal === undefined || r.principal === q.principal).map((r) => r.execution));
      }),
      { seed: 2211, numRuns: 200 },
    );
  });

  it("keeps an execution waiting for its outcome findable after it leaves the window, until the outcome or its time", () => {
    const ix = new LineageIndex({ limit: 2 });
    const at = (i: number): string => `2030-01-01T00:00:${String(i).padStart(2, "0")}.000Z`;
    const waiting = chain("w", "alice", "view", "allow", 0).map((e) => ({ ...e, recordedAt: at(0) }));
    ix.addAll(waiting);
    for (let i = 1; i <= 5; i++) ix.addAll(chain(`d${i}`, "bob", "view", "allow", i * 10, "executed").map((e) => ({ ...e, recordedAt: at(i) })));
    expect(ix.size).toBe(2);
    expect(ix.waitingOutside).toBe(1);
    expect(ix.get("w")).toMatchObject({ status: "authorized", authorizedEvent: "w/a" });
    expect(ix.get("d1")).toBeUndefined();
    const listed = ix.query({ principal: 'User::"alice"' });
    expect(listed).toEqual({ executions: [] });
    // Its outcome arrives: recorded on the row, which then leaves.
    ix.addAll(chain("w", "alice", "view", "allow", 0, "executed").slice(2));
    expect(ix.waitingOutside).toBe(0);
    expect(ix.get("w")).toBeUndefined();
    // Another one never gets an outcome: released once its time has passed.
    ix.addAll(chain("v", "carol", "view", "allow", 100).map((e) => ({ ...e, recordedAt: at(10) })));
    for (let i = 11; i <= 13; i++) ix.addAll(chain(`d${i}`, "bob", "view", "deny", i * 10).map((e) => ({ ...e, recordedAt: at(i) })));
    expect(ix.get("v")).toMatchObject({ status: "authorized" });
    ix.releaseAwaiting(at(10));
    expect(ix.get("v")).toBeDefined();
    ix.releaseAwaiting(at(11));
    expect(ix.get("v")).toBeUndefined();
    expect(ix.waitingOutside).toBe(0);
    // Older than `awaitingSince` when it leaves: not retained at all.
    ix.addAll(chain("u", "dave", "view", "allow", 200).map((e) => ({ ...e, recordedAt: at(5) })));
    for (let i = 20; i <= 22; i++) ix.addAll(chain(`d${i}`, "bob", "view", "deny", i * 10).map((e) => ({ ...e, recordedAt: at(i) })));
    expect(ix.get("u")).toBeUndefined();
    // Without a time its age is unknown: not retained either.
    ix.addAll(chain("t", "erin", "view", "allow", 300));
    for (let i = 30; i <= 32; i++) ix.addAll(chain(`d${i}`, "bob", "view", "deny", i * 10).map((e) => ({ ...e, recordedAt: at(i) })));
    expect(ix.get("t")).toBeUndefined();
    expect(ix.waitingOutside).toBe(0);
    // A later event of an execution that left is not a new execution.
    ix.add({ id: "d1/late", index: 999, execution: "d1", phase: "audited", actor: "svc", node: "n1" });
    expect(ix.get("d1")).toBeUndefined();
    expect(ix.size).toBe(2);
  });

  it("a cursor on an execution that left the window is an error; a limit below one is refused", () => {
    const ix = new LineageIndex({ limit: 1 });
    ix.addAll(chain("a1", "alice", "view", "deny", 0));
    ix.addAll(chain("a2", "alice", "view", "deny", 10));
    expect(ix.query({ after: "a1" })).toEqual({ error: "`after` names no execution this index holds: a1" });
    expect(() => new LineageIndex({ limit: 0 })).toThrow(RangeError);
  });
});

describe("LineageIndex: the DAG, resources, nodes, time and bundles", () => {
  const ev = (execution: string, phase: IndexedEvent["phase"], i: number, extra: Partial<IndexedEvent> = {}): IndexedEvent => ({ id: `${execution}/${phase}`, index: i, execution, phase, actor: "a", node: extra.node ?? "n1", ...extra });
  const req = (resource: string) => ({ principal: user("p"), action: act("run"), resource: { type: "Res", id: resource } });
  const ix = new LineageIndex();
  // root ← c1 ← g1, root ← c2; an unrelated execution on another node, later.
  ix.add(ev("root", "requested", 0, { request: req("a"), recordedAt: "2026-01-01T00:00:00.000Z", bundleId: "b1" }));
  ix.add(ev("root", "authorized", 1, { decision: { obligations: {} } }));
  ix.add(ev("c1", "requested", 2, { request: req("b"), parents: ["root/authorized"], recordedAt: "2026-01-01T00:00:01.000Z", bundleId: "b1" }));
  ix.add(ev("c1", "authorized", 3, { decision: { obligations: {} } }));
  ix.add(ev("g1", "requested", 4, { request: req("b"), parents: ["c1/authorized"], recordedAt: "2026-01-01T00:00:02.000Z", bundleId: "b2" }));
  ix.add(ev("c2", "requested", 5, { request: req("c"), parents: ["root/authorized"], recordedAt: "2026-01-01T00:00:03.000Z", bundleId: "b2" }));
  ix.add(ev("x", "requested", 6, { request: req("a"), node: "n2", recordedAt: "2026-01-02T00:00:00.000Z", bundleId: "b2" }));

  const ids = (q: Parameters<LineageIndex["query"]>[0]): string[] => {
    const r = ix.query(q);
    if ("error" in r) throw new Error(r.error);
    return r.executions.map((e) => e.execution);
  };

  it("links children to parents through the parent's event", () => {
    expect(ix.get("g1")).toMatchObject({ parent: "c1", children: 0, bundleId: "b2", at: "2026-01-01T00:00:02.000Z" });
    expect(ix.get("root")).toMatchObject({ children: 2 });
    expect(ix.get("root")!.parent).toBeUndefined();
  });

  it("gives an execution's ancestors, its descendants, then the rest of its root's tree, bounded", () => {
    const t = ix.tree("c1")!;
    expect(t.root).toBe("root");
    expect(t.executions.map((e) => e.execution)).toEqual(["root", "c1", "g1", "c2"]);
    expect(t.truncated).toBe(false);
    const small = ix.tree("g1", 3)!;
    expect(small.executions.map((e) => e.execution)).toEqual(["root", "c1", "g1"]);
    expect(small.truncated).toBe(true);
    expect(ix.tree("nope")).toBeUndefined();
  });

  it("filters by resource, node and time (a window found by binary search when times are in order)", () => {
    expect(ids({ resource: 'Res::"b"' })).toEqual(["c1", "g1"]);
    expect(ids({ node: "n2" })).toEqual(["x"]);
    expect(ids({ since: "2026-01-01T00:00:01Z", until: "2026-01-01T00:00:02Z" })).toEqual(["c1", "g1"]);
    expect(ids({ since: "2026-01-01T00:00:02.500Z" })).toEqual(["c2", "x"]);
    expect(ids({ until: "2025-12-31T00:00:00Z" })).toEqual([]);
    expect(ix.query({ since: "not a time" })).toEqual({ error: expect.stringContaining("ISO 8601") });
  });

  it("finds the same window by filtering when times arrive out of order", () => {
    const skew = new LineageIndex();
    skew.add(ev("a", "requested", 0, { request: req("a"), recordedAt: "2026-01-01T00:00:05.000Z" }));
    skew.add(ev("b", "requested", 1, { request: req("a"), recordedAt: "2026-01-01T00:00:01.000Z" }));
    skew.add(ev("c", "requested", 2, { request: req("a"), recordedAt: "2026-01-01T00:00:03.000Z" }));
    const r = skew.query({ since: "2026-01-01T00:00:02Z", until: "2026-01-01T00:00:04Z" });
    expect("error" in r ? r : r.executions.map((e) => e.execution)).toEqual(["c"]);
  });

  it("counts the bundles executions were decided with, most recently used first", () => {
    expect(ix.bundleUses()).toEqual([
      { bundleId: "b2", executions: 3, firstAt: "2026-01-01T00:00:02.000Z", lastAt: "2026-01-02T00:00:00.000Z" },
      { bundleId: "b1", executions: 2, firstAt: "2026-01-01T00:00:00.000Z", lastAt: "2026-01-01T00:00:01.000Z" },
    ]);
  });
});
