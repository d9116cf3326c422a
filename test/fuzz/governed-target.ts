/**
 * The governed-execution fuzz target: a mutated request, call options and outcome through
 * `Governor.execute`, `authorize` and `complete` on a fresh log. The contract: no call throws
 * or rejects; every stored entry is a well-formed lineage event (what a child's parent check,
 * replay and the server's index read); the log verifies and replays identically; and an
 * execution is recorded as executed only when its action ran.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { Governor, loadEntities, type AuthorizeOptions, type EntityStore, type LoadedBundle, type Outcome, type RequestJson } from "../../runtime/index.js";
import { asLineageEvent } from "../../runtime/lineage/events.js";
import { MemoryLineageStore } from "../../runtime/lineage/memory-store.js";
import { replayLog } from "../../runtime/lineage/replay.js";
import { openTestLog } from "../support/logs.js";

/** Requests to mutate: the doc-sharing example's, the first allowed (so actions run and outcomes are recorded; the suite weights it). */
export const GOVERNED_REQUEST_SEEDS: readonly unknown[] = [
  { principal: { type: "DocShare::User", id: "alice" }, action: { type: "DocShare::Action", id: "view" }, resource: { type: "DocShare::Document", id: "q3-roadmap" }, context: { mfa: true, sourceIp: "10.1.2.3" } },
  { principal: { type: "DocShare::User", id: "alice" }, action: { type: "DocShare::Action", id: "view" }, resource: { type: "DocShare::Document", id: "salaries-2026" }, context: { mfa: true, sourceIp: "203.0.113.7" } },
];

/** Call options to mutate (an actor that is not a string, say). */
export const OPTION_SEEDS: readonly unknown[] = [
  { actor: "agent:a" },
  { actor: "human:b", obligationsBy: "caller" },
  { actor: "svc", invalidInput: "refuse" },
  { actor: "agent:c", parent: `sha256:${"0".repeat(64)}` },
];

/** Outcomes to mutate. */
export const OUTCOME_SEEDS: readonly unknown[] = [{ ok: true }, { ok: false, detail: "timed out" }, { ok: true, obligations: ["notify"], evidence: { notify: { by: "x" } }, resultDigest: "sha256:00" }];

const KEY = new Uint8Array(32).map((_, i) => 255 - i);

/** The doc-sharing example's entities as a store of `bundle` (the target's fixture). */
export function fixtureStore(bundle: LoadedBundle): EntityStore {
  const json = JSON.parse(readFileSync(join(process.cwd(), "examples", "doc-sharing", "entities.json"), "utf8")) as Parameters<typeof loadEntities>[1];
  return loadEntities(bundle, json).store!;
}

async function settled<T>(where: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    return expect.fail(`${where} rejected: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`.slice(0, 500));
  }
}

/** Cases whose action ran (a run where none did would test only refusals). */
export const stats = { ran: 0 };

/** One case: see the module comment. */
export async function governedTarget(request: unknown, options: unknown, outcome: unknown, bundle: LoadedBundle, store: EntityStore): Promise<void> {
  const opened = await openTestLog({ store: new MemoryLineageStore(), privateKey: KEY });
  if (!opened.ok) throw new Error(opened.problem.message);
  const log = opened.log;
  const gov = new Governor({ log, bundle, entities: store, node: "fuzz", handlers: { notify: () => true } });
  let ran = 0;
  const r = await settled("execute", gov.execute(request as RequestJson, () => ++ran, options as AuthorizeOptions));
  expect(ran).toBeLessThanOrEqual(1);
  if (r.ok) expect(ran).toBe(1);
  if (ran === 0) expect(r.events.some((e) => e.phase === "executed")).toBe(false);
  if (ran === 1) stats.ran++;
  const auth = await settled("authorize", gov.authorize(request as RequestJson, options as AuthorizeOptions));
  if (auth.allowed) await settled("complete", gov.complete(auth, outcome as Outcome));
  for (let i = 0; i < log.size; i++) {
    const e = await log.get(i);
    const ev = asLineageEvent(e?.event);
    if (typeof ev === "string") expect.fail(`stored entry ${i} is not a lineage event: ${ev}`);
  }
  const verified = await settled("verify", log.verify());
  expect(verified.ok).toBe(true);
  const replay = await settled("replay", replayLog(log));
  expect([replay.different, replay.unavailable]).toEqual([0, 0]);
  await log.close();
}
