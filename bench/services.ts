/**
 * The services path of `npm run bench`: everything here goes through `writ/runtime`
 * exactly as docs/embedding.md shows it — `loadBundle`, `loadEntities`, `decide` on the
 * store, `store.update`, `openLocalLog` + `Governor.execute` — never through internals.
 *
 * - decisions: a scenario's bundle and store loaded the public way (`loadScenario`), on which
 *   `run.ts` times the public `decide(bundle, requestJson, store)` (request read and validated,
 *   decision, record, request digest) against the internal compiled decision function on the
 *   same requests (`program.decide(requestFromJson(json), entities)`) and against cedar-wasm on
 *   each request's slice of entities;
 * - `loadEntities` of 100,000 entities, and an update of 100 entities of that store;
 * - the public `decide` on that store against a store of only the entities its requests read
 *   (and the handwritten function on the same two entity sets, as the control);
 * - governed executions/s on the SQLite log, with 1 and with 256 concurrent callers;
 * - log bytes per governed execution with 10 and with 10,000 entities in the store.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { buildBundle, loadSchema } from "../compiler/index.js";
import { parsePolicies, parseSchema } from "../lang/index.js";
import { decide, Governor, loadBundle, loadEntities, openLocalLog, type EntityStore, type LoadedBundle } from "../runtime/index.js";
import { docSharing } from "./scenarios/doc-sharing.js";
import { buildHandIndex, keyOf, type EntityJson, type RequestJson, type Scenario, type UidJson } from "./scenarios/rng.js";
import { fmtInt, measurePaired, median } from "./harness.js";

/** A scenario compiled into a loaded bundle and an entity store, through the public API. */
export interface Loaded {
  readonly bundle: LoadedBundle;
  readonly store: EntityStore;
}

/** Compile a scenario's policies into a bundle (cedar semantics, like the other rows) and load it and its entities. */
export function loadScenario(s: Scenario): Loaded {
  const policiesAst = parsePolicies(s.policies, "bench.cedar").ast;
  const schemaAst = parseSchema(s.schema, "bench.cedarschema").ast;
  const schema = schemaAst === undefined ? undefined : loadSchema(schemaAst).schema;
  if (policiesAst === undefined || schema === undefined) throw new Error(`${s.name}: does not parse`);
  const built = buildBundle({ policiesAst, schema, semantics: "cedar" });
  if (built.bundle === undefined) throw new Error(`${s.name}: bundle: ${built.diagnostics.map((d) => d.message).join("; ")}`);
  const loaded = loadBundle(JSON.parse(JSON.stringify(built.bundle)));
  if (loaded.bundle === undefined) throw new Error(`${s.name}: loadBundle: ${loaded.diagnostics.map((d) => d.message).join("; ")}`);
  const store = loadEntities(loaded.bundle, s.entities);
  if (store.store === undefined) throw new Error(`${s.name}: loadEntities: ${store.diagnostics.map((d) => d.message).join("; ")}`);
  return { bundle: loaded.bundle, store: store.store };
}

/** Median milliseconds of `fn` over `rounds` runs. */
async function timed(fn: () => unknown, rounds: number): Promise<number> {
  const ts: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const s = performance.now();
    await fn();
    ts.push(performance.now() - s);
  }
  return median(ts);
}

/** loadEntities of a 100,000-entity store and updates of 100 entities on it. */
async function storeRows(lines: string[]): Promise<void> {
  const big = docSharing({ users: 2000, documents: 97_600 });
  const { bundle } = loadScenario(docSharing());
  let store: EntityStore | undefined;
  const loadMs = await timed(() => {
    const r = loadEntities(bundle, big.entities);
    if (r.store === undefined) throw new Error(`loadEntities: ${r.diagnostics[0]?.message ?? ""}`);
    store = r.store;
  }, 3);
  lines.push(`loadEntities ${fmtInt(store!.size)} entities (read, check against the schema, ancestors, content id): ${loadMs.toFixed(0)} ms median of 3 (target < 2,000 ms)`);
  lines.push(`RATE load-entities-100k-ms ${loadMs.toFixed(0)}`);
  const docs = big.entities.filter((e) => e.uid.type === "Document");
  let k = 0;
  const updateMs = await timed(() => {
    const upsert = Array.from({ length: 100 }, () => {
      const e = docs[(k++ * 7919) % docs.length]!;
      return { ...e, attrs: { ...e.attrs, title: `edited ${k}` } } as EntityJson;
    });
    const r = store!.update({ upsert: upsert as never });
    if (r.store === undefined) throw new Error(`update: ${r.diagnostics[0]?.message ?? ""}`);
    store = r.store;
  }, 41);
  lines.push(`store.update of 100 entities on a ${fmtInt(store!.size)}-entity store (new snapshot, ancestors and id): ${updateMs.toFixed(1)} ms median of 41 (target < 20 ms)`);
  lines.push(`RATE update-100-of-100k-ms ${updateMs.toFixed(1)}`);
  storeSizeRow(lines, bundle, store!, big);
}

/**
 * The cost of a decision against the size of the store: the public `decide` on the
 * 100,000-entity store, and on a store of only the entities its requests read (principals,
 * resources and their ancestors: the scenario's policies read nothing else), the same
 * requests in alternating rounds. A decision reads only the request's entities and their
 * precomputed ancestors; what the larger store can still cost is memory (the same entities
 * spread over a larger heap and larger maps), so the handwritten function is timed on the
 * same two entity sets as the control.
 */
function storeSizeRow(lines: string[], bundle: LoadedBundle, large: EntityStore, s: Scenario): void {
  const needed = withAncestors(s.entities, s.requests.flatMap((q) => [q.principal, q.resource]));
  const r = loadEntities(bundle, [...needed.values()]);
  if (r.store === undefined) throw new Error(`store of the requests' entities: ${r.diagnostics[0]?.message ?? ""}`);
  const slice = r.store;
  const reqs = s.requests;
  const n = reqs.length;
  for (let i = 0; i < n; i++) {
    const a = decide(bundle, reqs[i], large);
    const b = decide(bundle, reqs[i], slice);
    if (a.decision !== b.decision || a.reasons.map((x) => x.name).join(",") !== b.reasons.map((x) => x.name).join(",")) throw new Error(`request ${i}: the large store and its slice decide differently`);
  }
  const handLarge = buildHandIndex(s.entities);
  const handSlice = buildHandIndex([...needed.values()]);
  const paired = measurePaired(
    {
      large: () => {
        for (let i = 0; i < n; i++) decide(bundle, reqs[i], large);
      },
      slice: () => {
        for (let i = 0; i < n; i++) decide(bundle, reqs[i], slice);
      },
      handLarge: () => {
        for (let i = 0; i < n; i++) s.handwritten(reqs[i]!, handLarge);
      },
      handSlice: () => {
        for (let i = 0; i < n; i++) s.handwritten(reqs[i]!, handSlice);
      },
    },
    n,
  );
  const rate = paired.opsPerSec;
  lines.push(
    `public decide on the ${fmtInt(large.size)}-entity store: ${fmtInt(rate.large)}/s; on a store of only the ${fmtInt(slice.size)} entities its ${fmtInt(n)} requests read: ${fmtInt(rate.slice)}/s ` +
      `(the handwritten function on the same two entity sets: ${fmtInt(rate.handLarge)}/s and ${fmtInt(rate.handSlice)}/s)`,
  );
  lines.push(`RATIO runtime-decide-100k-vs-slice ${paired.ratio("large", "slice").toFixed(2)}   (time per decision on the 100,000-entity store ÷ on the slice; 1 = a decision costs the same however large the store)`);
  lines.push(`RATIO handwritten-100k-vs-slice ${paired.ratio("handLarge", "handSlice").toFixed(2)}   (the same for the handwritten function over plain JS objects: what the larger heap alone costs on this machine)`);
}

/** Governed executions on the SQLite log under `dir`; returns executions/s and log bytes per execution. */
async function governed(dir: string, l: Loaded, requests: readonly RequestJson[], callers: number, seconds: number): Promise<{ rate: number; bytesPerExecution: number }> {
  const opened = await openLocalLog({ dir });
  if (!opened.ok) throw new Error(opened.problem.message);
  const log = opened.log;
  const gov = new Governor({ log, bundle: l.bundle, entities: l.store, node: "bench", handlers: {} });
  await gov.execute(requests[0], () => 0, { actor: "warm-up" });
  const sizeBefore = log.size;
  const bytesBefore = await logBytes(log, 0, sizeBefore);
  const run = await executeFor(gov, requests, callers, seconds);
  const bytes = (await logBytes(log, 0, log.size)) - bytesBefore;
  await log.close();
  return { rate: run.rate, bytesPerExecution: bytes / run.executions };
}

/**
 * `Governor.execute` from `callers` concurrent callers for `seconds`, each caller taking every
 * `callers`-th request; executions/s and this process's CPU time (µs) per execution.
 */
export async function executeFor(gov: Governor, requests: readonly RequestJson[], callers: number, seconds: number): Promise<{ executions: number; rate: number; cpuUs: number }> {
  let done = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: callers }, async (_, c) => {
      for (let i = c; performance.now() < end; i += callers) {
        const r = await gov.execute(requests[i % requests.length], () => i, { actor: `agent-${String(c).padStart(3, "0")}` });
        if (r.events.length === 0) throw new Error(`governed execution recorded nothing: ${r.problem?.message ?? ""}`);
        done++;
      }
    }),
  );
  const wall = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  return { executions: done, rate: (done * 1000) / wall, cpuUs: (cpu.user + cpu.system) / Math.max(1, done) };
}

/** Bytes of leaf data of entries [start, end). */
async function logBytes(log: { store: { readRange(a: number, b: number): Promise<{ data: Uint8Array }[]> } }, start: number, end: number): Promise<number> {
  let total = 0;
  for (let i = start; i < end; i += 4096) for (const e of await log.store.readRange(i, Math.min(end, i + 4096))) total += e.data.length;
  return total;
}

/** The entities of `uids` and all their ancestors, by `Type::id` (uids not in `entities` are left out). */
function withAncestors(entities: readonly EntityJson[], uids: readonly UidJson[]): Map<string, EntityJson> {
  const byKey = new Map<string, EntityJson>(entities.map((e) => [keyOf(e.uid), e]));
  const out = new Map<string, EntityJson>();
  const todo = [...uids];
  for (let u = todo.pop(); u !== undefined; u = todo.pop()) {
    const k = keyOf(u);
    const e = byKey.get(k);
    if (e === undefined || out.has(k)) continue;
    out.set(k, e);
    todo.push(...e.parents);
  }
  return out;
}

/**
 * Two stores for the log-bytes comparison: the entities that user0's requests on doc0 need
 * (their groups and folders), padded to 10 entities, and the same plus other documents up
 * to 10,000. The same requests get the same decisions on both, so any difference in bytes
 * per execution would come from the store's size.
 */
function twoStores(l: Loaded, s: Scenario): { small: Loaded; large: Loaded; requests: RequestJson[] } {
  const needed = withAncestors(s.entities, [
    { type: "User", id: "user0" },
    { type: "Document", id: "doc0" },
  ]);
  const rest = s.entities.filter((e) => !needed.has(keyOf(e.uid)));
  const small = [...needed.values(), ...rest.filter((e) => e.uid.type === "Group").slice(0, Math.max(0, 10 - needed.size))];
  const large = [...needed.values(), ...rest.filter((e) => e.uid.type === "Document").slice(0, 10_000 - needed.size)];
  const load = (es: EntityJson[]): Loaded => {
    const r = loadEntities(l.bundle, es);
    if (r.store === undefined) throw new Error(`store: ${r.diagnostics[0]?.message ?? ""}`);
    return { bundle: l.bundle, store: r.store };
  };
  const requests = ["view", "edit", "share", "delete"].flatMap((a) =>
    [true, false].map((mfa) => ({ principal: { type: "User", id: "user0" }, action: { type: "Action", id: a }, resource: { type: "Document", id: "doc0" }, context: { authenticated: true, mfa } })),
  );
  return { small: load(small), large: load(large), requests };
}

/** The services rows (store load/update, governed executions, log bytes); printable lines. */
export async function benchServices(): Promise<string[]> {
  const lines: string[] = [];
  await storeRows(lines);
  const s = docSharing({ users: 2000, documents: 9_000 });
  const base = loadScenario(s);
  const root = mkdtempSync(join(tmpdir(), "writ-bench-services-"));
  try {
    const one = await governed(join(root, "one"), base, s.requests, 1, 3);
    const many = await governed(join(root, "many"), base, s.requests, 256, 5);
    lines.push(`governed executions on SQLite (durable, group commit): ${fmtInt(one.rate)}/s with 1 caller, ${fmtInt(many.rate)}/s with 256 concurrent callers (target ≥ 5,000/s at 256)`);
    lines.push(`RATE governed-1 ${one.rate.toFixed(0)}`);
    lines.push(`RATE governed-256 ${many.rate.toFixed(0)}`);
    const two = twoStores(base, s);
    const small = await governed(join(root, "small"), two.small, two.requests, 16, 2);
    const large = await governed(join(root, "large"), two.large, two.requests, 16, 2);
    lines.push(
      `log bytes per governed execution (events only; each snapshot is stored once by id): ${small.bytesPerExecution.toFixed(0)} with ${fmtInt(two.small.store.size)} entities, ${large.bytesPerExecution.toFixed(0)} with ${fmtInt(two.large.store.size)} (target: equal)`,
    );
    lines.push(`RATIO log-bytes-10k-vs-10 ${(large.bytesPerExecution / small.bytesPerExecution).toFixed(3)}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return lines;
}
