/**
 * The lineage-log fuzz target: mutated JSON values appended to a fresh log, each value as a
 * batch of its own and, when it is an array, as a batch of its items. The contract: an append
 * never throws or rejects, and either records the whole batch or refuses it with a catalog
 * code (W62xx) and records nothing; the log verifies after every case; every recorded event
 * has a proof that verifies offline under the log's key, through JSON, and reads back as the
 * canonical form of what was appended.
 */
import { expect } from "vitest";
import { canonicalJson } from "../../compiler/canonical.js";
import { nodeCrypto } from "../../runtime/crypto/node-crypto.js";
import { MemoryLineageStore } from "../../runtime/lineage/memory-store.js";
import { verifyProof } from "../../runtime/lineage/proof.js";
import { openTestLog } from "../support/logs.js";

const KEY = new Uint8Array(32).map((_, i) => (i * 7 + 3) & 255);

/** Event values to mutate: governed events, nested values, unicode, numbers at the edges. */
export const EVENT_SEEDS: readonly unknown[] = [
  { kind: "writ-lineage/1", execution: "exec-1", phase: "requested", actor: "agent:a", node: "n", parents: [], recordedAt: "2026-01-01T00:00:00.000Z", request: { principal: { type: "U", id: "a" } } },
  [{ n: 1 }, { n: 2, s: "é✓\u2028" }],
  { deep: { a: [1, [2, [3, { b: null }]]] }, big: 9007199254740991, neg: -0, f: 1.5e-7 },
];

/** Batches recorded and refused so far (a run with none of either would test half the contract). */
export const lineageStats = { recorded: 0, refused: 0 };

/** One case: see the module comment. */
export async function lineageTarget(value: unknown): Promise<void> {
  const opened = await openTestLog({ store: new MemoryLineageStore(), privateKey: KEY });
  if (!opened.ok) throw new Error(opened.problem.message);
  const log = opened.log;
  const batches: unknown[][] = [[value]];
  if (Array.isArray(value) && value.length > 0) batches.push(value as unknown[]);
  const appended: unknown[] = [];
  for (const batch of batches) {
    const before = log.size;
    let r;
    try {
      r = await log.append(batch);
    } catch (e) {
      return expect.fail(`append rejected: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (r.ok) {
      lineageStats.recorded++;
      expect(log.size).toBe(before + batch.length);
      appended.push(...batch);
    } else {
      lineageStats.refused++;
      expect(r.problem.code).toMatch(/^W62\d\d$/);
      expect(log.size).toBe(before);
    }
  }
  const verified = await log.verify();
  expect(verified.ok).toBe(true);
  for (let i = 0; i < log.size; i++) {
    const p = await log.prove(i);
    if (!p.ok) return expect.fail(`no proof of event ${i}: ${p.problem.message}`);
    const offline = verifyProof(JSON.parse(JSON.stringify(p.proof)), log.verifierKey, { ed25519: nodeCrypto.ed25519, hasher: nodeCrypto.merkle });
    expect(offline.ok).toBe(true);
    expect(canonicalJson(p.proof.event as never)).toBe(canonicalJson(appended[i] as never));
  }
  await log.close();
}
