/**
 * Several connections writing one SQLite lineage file: each store keeps the tile rows its last
 * batch wrote and patches them without reading them back only while nothing else was appended
 * since. Whatever the interleaving, the stored perfect-subtree hashes must be exactly those of
 * the stored events, and every log must verify.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nodeCrypto } from "../../runtime/crypto/node-crypto.js";
import { nodeSigner } from "../../runtime/lineage/local-log.js";
import { LineageLog } from "../../runtime/lineage/log.js";
import { bytesEqual, type Hash } from "../../runtime/lineage/merkle.js";
import { openSqliteStore, type SqliteLineageStore } from "../../runtime/lineage/sqlite-store.js";

const hasher = nodeCrypto.merkle;
const signer = nodeSigner(Uint8Array.from({ length: 32 }, (_, i) => i + 7));

function openStore(dir: string): SqliteLineageStore {
  const r = openSqliteStore({ dir });
  if (!r.ok) throw new Error(r.problem.message);
  return r.store;
}

async function openLog(dir: string): Promise<LineageLog> {
  const r = await LineageLog.open({ store: openStore(dir), crypto: nodeCrypto, signer });
  if (!r.ok) throw new Error(r.problem.message);
  return r.log;
}

/** The first stored subtree hash that differs from the one computed from the stored events, if any. */
async function wrongNode(store: SqliteLineageStore): Promise<string | undefined> {
  const size = await store.size();
  let level: Hash[] = (await store.readRange(0, size)).map((e) => hasher.leaf(e.data));
  for (let l = 0; level.length > 0; l++) {
    const stored = await store.readNodes(level.map((_, index) => ({ level: l, index })));
    for (let i = 0; i < level.length; i++) {
      const h = stored[i];
      if (h === undefined || !bytesEqual(h, level[i]!)) return `node (${l}, ${i}) of a log of ${size}`;
    }
    const up: Hash[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) up.push(hasher.node(level[i]!, level[i + 1]!));
    level = up;
  }
  return undefined;
}

describe("several SQLite connections on one lineage file", () => {
  it("property: any interleaving of batches keeps every stored subtree hash right and every log verifiable", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ writer: fc.nat({ max: 2 }), n: fc.integer({ min: 1, max: 70 }), sync: fc.boolean() }), { minLength: 1, maxLength: 12 }),
        async (plan) => {
          const dir = mkdtempSync(join(tmpdir(), "writ-sqlite-writers-"));
          const logs: LineageLog[] = [];
          try {
            for (let k = 0; k < 3; k++) logs.push(await openLog(dir));
            let total = 0;
            for (const [k, step] of plan.entries()) {
              // A log that synced first appends at the current size without a conflict: its store must notice the others' batches by itself.
              if (step.sync) expect(await logs[step.writer]!.sync()).toEqual({ ok: true, size: total });
              const r = await logs[step.writer]!.append(Array.from({ length: step.n }, (_, i) => ({ step: k, i })), { chain: true });
              if (!r.ok) throw new Error(r.problem.message);
              total += step.n;
              expect(r.size).toBe(total);
            }
            const check = openStore(dir);
            try {
              expect(await wrongNode(check)).toBeUndefined();
            } finally {
              await check.close();
            }
            for (const log of logs) {
              expect(await log.sync()).toEqual({ ok: true, size: total });
              expect((await log.verify()).ok).toBe(true);
            }
          } finally {
            for (const log of logs) await log.close();
            rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 12 },
    );
  }, 60_000);
});
