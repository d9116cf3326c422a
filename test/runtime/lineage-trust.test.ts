/**
 * Evidence against an adversary who can write the store: a verifier holds the log to the
 * last checkpoint it accepted (truncation, wiping and forks fail), read-only opening needs
 * public material only and never creates or overwrites keys, a corrupt cell is named, and
 * a rewritten stored event id is caught.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { nodeEd25519 } from "../../runtime/crypto/ed25519-node.js";
import { openLocalLog, readLogKey } from "../../runtime/lineage/local-log.js";
import type { LineageLog } from "../../runtime/lineage/log.js";
import { signCheckpoint } from "../../runtime/lineage/checkpoint.js";
import { keyTrust } from "../../runtime/lineage/trust.js";
import { MemoryLineageStore } from "../../runtime/lineage/memory-store.js";
import { openTestLog } from "../support/logs.js";

interface RawDb {
  prepare(sql: string): { run(...a: unknown[]): unknown; get(...a: unknown[]): Record<string, unknown> | undefined };
  exec(sql: string): void;
  close(): void;
}
const Database = createRequire(import.meta.url)("better-sqlite3") as new (path: string) => RawDb;

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "writ-trust-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function must(r: Promise<{ ok: true; log: LineageLog } | { ok: false; problem: { message: string } }>): Promise<LineageLog> {
  const x = await r;
  if (!x.ok) throw new Error(x.problem.message);
  return x.log;
}

/** A local log with `batches` appends of 4 events each; returns the checkpoint after `keepAt` batches. */
async function localLog(dir: string, batches: number, keepAt: number): Promise<string> {
  const log = await must(openLocalLog({ dir }));
  let kept = "";
  for (let b = 0; b < batches; b++) {
    const r = await log.append(Array.from({ length: 4 }, (_, i) => ({ phase: "executed", b, i })));
    if (!r.ok) throw new Error(r.problem.message);
    if (b + 1 === keepAt) kept = r.checkpoint;
  }
  await log.close();
  return kept;
}

function db(dir: string): RawDb {
  return new Database(join(dir, ".writ", "lineage.db"));
}

/** Run one statement on the log's database directly (what anyone holding the file can do). */
function tamper(dir: string, sql: string, ...params: unknown[]): void {
  const raw = db(dir);
  raw.prepare(sql).run(...params);
  raw.close();
}

/** Open the log read-only, verify it and close it. */
async function verifyReadOnly(dir: string): Promise<Awaited<ReturnType<LineageLog["verify"]>>> {
  const log = await must(openLocalLog({ dir, readOnly: true }));
  try {
    return await log.verify();
  } finally {
    await log.close();
  }
}

describe("a verifier holds the log to a trusted checkpoint", () => {
  it("a tail deleted with its checkpoints verifies alone, but not against the trusted checkpoint", async () => {
    const dir = tempDir();
    const trusted = await localLog(dir, 5, 5);
    const raw = db(dir);
    raw.prepare("DELETE FROM entries WHERE idx >= 8").run();
    raw.prepare("DELETE FROM checkpoints WHERE size > 8").run();
    raw.close();
    const log = await must(openLocalLog({ dir, readOnly: true }));
    expect((await log.verify()).ok).toBe(true); // self-consistent: nothing inside the log shows the loss
    const held = await log.verify({ trusted });
    expect(held.ok).toBe(false);
    expect(held.code).toBe("W6213");
    expect(held.error).toMatch(/holds 8 events, fewer than the 20 of the trusted checkpoint/);
    await log.close();
  });

  it("a wiped log fails against the trusted checkpoint", async () => {
    const dir = tempDir();
    const trusted = await localLog(dir, 3, 3);
    const raw = db(dir);
    raw.exec("DELETE FROM entries; DELETE FROM checkpoints; DELETE FROM tiles; DELETE FROM edges; DELETE FROM objects;");
    raw.close();
    const log = await must(openLocalLog({ dir, readOnly: true }));
    expect((await log.verify()).ok).toBe(true);
    const held = await log.verify({ trusted });
    expect(held).toMatchObject({ ok: false, code: "W6213", size: 0 });
    await log.close();
  });

  it("a fork (another history signed with the same key) fails against the trusted checkpoint, and a growing log passes", async () => {
    const key = new Uint8Array(32).fill(5);
    const a = new MemoryLineageStore();
    const logA = await must(openTestLog({ store: a, privateKey: key }));
    for (let i = 0; i < 3; i++) await logA.append([{ n: i }]);
    const trusted = logA.checkpoint!;
    await logA.append([{ n: 3 }]);
    const grown = await logA.verify({ trusted });
    expect(grown).toMatchObject({ ok: true, trustedSize: 3 });
    expect(grown.checkpoint).toBe(logA.checkpoint);
    const b = new MemoryLineageStore();
    const logB = await must(openTestLog({ store: b, privateKey: key }));
    for (let i = 0; i < 4; i++) await logB.append([{ n: i, other: true }]);
    const forked = await logB.verify({ trusted });
    expect(forked.ok).toBe(false);
    expect(forked.code).toBe("W6213");
    expect(forked.error).toMatch(/do not reproduce the root of the trusted checkpoint/);
    const notOurs = await logB.verify({ trusted: trusted.replace(/— (\S+) (\S+)\n$/, (_m, n: string) => `— ${n} ${Buffer.alloc(68, 1).toString("base64")}\n`) });
    expect(notOurs).toMatchObject({ ok: false, code: "W6213" });
    expect(notOurs.error).toMatch(/does not verify with this log's key/);
  });
});

describe("every checkpoint is held to the rebuilt tree", () => {
  it("a checkpoint re-signed with the log's own key over another root is named, from the checkpoint before it", async () => {
    const dir = tempDir();
    await localLog(dir, 5, 5); // checkpoints at 4, 8, 12, 16, 20
    const key = readLogKey(dir);
    if (!key.ok) throw new Error(key.problem.message);
    const raw = db(dir);
    const kept = raw.prepare("SELECT note FROM checkpoints WHERE size = 12").get()!.note as string;
    raw.close();
    const origin = kept.split("\n")[0]!;
    // A root that is not the root of entries 0-11, signed with the log's key: a lie about entries 8-11.
    tamper(dir, "UPDATE checkpoints SET note = ? WHERE size = 12", signCheckpoint({ origin, size: 12, rootHash: Buffer.alloc(32, 3) }, origin, key.value, nodeEd25519));
    const report = await verifyReadOnly(dir);
    expect(report).toMatchObject({ ok: false, code: "W6201", firstBad: { index: 8 } });
    expect(report.firstBad?.reason).toMatch(/do not reproduce the root signed at size 12/);
    tamper(dir, "UPDATE checkpoints SET note = ? WHERE size = 12", kept);
    expect(await verifyReadOnly(dir)).toMatchObject({ ok: true, size: 20, checkpoints: 5 });
  });

  it("entries missing under a checkpoint, and entries no checkpoint covers, are named", async () => {
    const dir = tempDir();
    await localLog(dir, 5, 5); // checkpoints at 4, 8, 12, 16, 20
    tamper(dir, "DELETE FROM checkpoints WHERE size = 20");
    const u = await verifyReadOnly(dir);
    expect(u).toMatchObject({ ok: false, code: "W6201", firstBad: { index: 16 } });
    expect(u.firstBad?.reason).toMatch(/entries from index 16 on are not covered by any checkpoint/);
    tamper(dir, "DELETE FROM entries WHERE idx >= 14");
    const c = await verifyReadOnly(dir);
    expect(c).toMatchObject({ ok: false, code: "W6201", firstBad: { index: 14 } });
    expect(c.firstBad?.reason).toMatch(/the checkpoint at size 16 covers entries from 14 on that are missing/);
  });

  it("a batch committed between reading the size and reading the checkpoints (a live log) is not a missing entry", async () => {
    const key = new Uint8Array(32).fill(6);
    /** A store whose first size read is one batch behind, as if that batch committed right after it. */
    class Late extends MemoryLineageStore {
      behind = 3;
      override async size(): Promise<number> {
        const n = await super.size();
        const late = n - this.behind;
        this.behind = 0;
        return late;
      }
    }
    const store = new Late();
    store.behind = 0;
    const log = await must(openTestLog({ store, privateKey: key }));
    for (let b = 0; b < 3; b++) await log.append([0, 1, 2].map((i) => ({ b, i })));
    store.behind = 3;
    expect(await log.verify()).toMatchObject({ ok: true, size: 9, checkpoints: 3 });
  });

  it("a trusted checkpoint at a size this log never checkpointed is held to the rebuilt root at that size", async () => {
    const key = new Uint8Array(32).fill(8);
    const one = await must(openTestLog({ store: new MemoryLineageStore(), privateKey: key }));
    for (let i = 0; i < 7; i++) await one.append([{ n: i }]);
    const trusted = one.checkpoint!; // size 7
    const batched = await must(openTestLog({ store: new MemoryLineageStore(), privateKey: key }));
    for (let b = 0; b < 3; b++) await batched.append([0, 1, 2].map((i) => ({ n: 3 * b + i }))); // checkpoints at 3, 6, 9
    expect(await batched.verify({ trusted })).toMatchObject({ ok: true, size: 9, trustedSize: 7 });
    const other = await must(openTestLog({ store: new MemoryLineageStore(), privateKey: key }));
    for (let b = 0; b < 3; b++) await other.append([0, 1, 2].map((i) => ({ n: 3 * b + i, other: b === 2 && i === 0 }))); // differs at entry 6
    const forked = await other.verify({ trusted });
    expect(forked).toMatchObject({ ok: false, code: "W6213" });
    expect(forked.error).toMatch(/do not reproduce the root of the trusted checkpoint/);
  });
});

describe("keyTrust.verifyMany", () => {
  it("gives verify's result for each note, in order, good and bad mixed across its windows", async () => {
    const key = new Uint8Array(32).fill(9);
    const other = new Uint8Array(32).fill(10);
    const publicKey = nodeEd25519.publicKeyOf(key);
    const origin = "writ-lineage/0123456789abcdef";
    const trust = keyTrust(origin, publicKey, nodeEd25519);
    const note = (size: number, k = key, o = origin): string => signCheckpoint({ origin: o, size, rootHash: Buffer.alloc(32, size % 251) }, o, k, nodeEd25519);
    const notes = Array.from({ length: 200 }, (_, i) => note(i + 1));
    notes[3] = note(4, other); // another key, under the same name
    notes[70] = note(71, key, "writ-lineage/ffffffffffffffff"); // another origin
    notes[130] = notes[130]!.replace(/ [A-Za-z0-9+/]{10}/, " AAAAAAAAAA"); // a changed signature
    notes[199] = "not a note";
    const many = await trust.verifyMany!(notes);
    expect(many).toEqual(notes.map((n) => trust.verify(n)));
    expect(many.filter((r) => !r.ok).length).toBe(4);
    expect(many[5]).toMatchObject({ ok: true, value: { size: 6 } });
  });
});

describe("onEntry", () => {
  it("sees every entry once, in order, with its text and the text parsed once", async () => {
    const log = await must(openTestLog({ store: new MemoryLineageStore(), privateKey: new Uint8Array(32).fill(4) }));
    await log.append([{ a: 1 }, { b: [2, 3] }]);
    await log.append([{ c: "x" }]);
    const seen: { index: number; id: string; text: string; json: unknown; again: unknown }[] = [];
    const report = await log.verify({ onEntry: (index, id, text, json) => seen.push({ index, id, text, json: json(), again: json() }) });
    expect(report.ok).toBe(true);
    expect(seen.map((e) => e.index)).toEqual([0, 1, 2]);
    const stored = await log.store.readRange(0, 3);
    for (const [i, e] of seen.entries()) {
      expect(e.id).toBe(stored[i]!.id);
      expect(e.text).toBe(new TextDecoder().decode(stored[i]!.data));
      expect(e.json).toEqual(JSON.parse(e.text));
      expect(e.again).toBe(e.json); // parsed once: the same object
    }
  });
});

describe("read-only opening needs public material only", () => {
  it("verifies without lineage.key, creating nothing and overwriting nothing", async () => {
    const dir = tempDir();
    await localLog(dir, 2, 2);
    const pub = readFileSync(join(dir, ".writ", "lineage.pub"), "utf8");
    unlinkSync(join(dir, ".writ", "lineage.key"));
    const log = await must(openLocalLog({ dir, readOnly: true }));
    expect((await log.verify()).ok).toBe(true);
    const r = await log.append([{ x: 1 }]);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem.code).toBe("W6208");
    await log.close();
    expect(existsSync(join(dir, ".writ", "lineage.key"))).toBe(false);
    expect(readFileSync(join(dir, ".writ", "lineage.pub"), "utf8")).toBe(pub);
  });

  it("without lineage.pub it asks for the key; with another pinned key it refuses the log", async () => {
    const dir = tempDir();
    await localLog(dir, 1, 1);
    unlinkSync(join(dir, ".writ", "lineage.pub"));
    const none = await openLocalLog({ dir, readOnly: true });
    expect(none.ok).toBe(false);
    if (!none.ok) expect(none.problem.message).toMatch(/pass the log's public key/);
    expect(existsSync(join(dir, ".writ", "lineage.pub"))).toBe(false);
    const other = await openLocalLog({ dir, readOnly: true, publicKey: nodeEd25519.publicKeyOf(new Uint8Array(32).fill(9)) });
    expect(other.ok).toBe(false);
    if (!other.ok) expect(other.problem).toMatchObject({ code: "W6207" });
    const missing = await openLocalLog({ dir: join(dir, "elsewhere"), readOnly: true, publicKey: nodeEd25519.publicKeyOf(new Uint8Array(32).fill(9)) });
    expect(missing.ok).toBe(false);
    expect(existsSync(join(dir, "elsewhere"))).toBe(false);
  });
});

describe("store corruption names the entry", () => {
  it("a data cell stored with another SQL type is the first bad entry, not 'could not read the store'", async () => {
    const dir = tempDir();
    await localLog(dir, 3, 3);
    for (const value of ["'some text'", "42", "NULL"]) {
      const raw = db(dir);
      const before = raw.prepare("SELECT data FROM entries WHERE idx = 6").get()!.data;
      if (value === "NULL") raw.exec("PRAGMA ignore_check_constraints = 1");
      try {
        raw.exec(`UPDATE entries SET data = ${value} WHERE idx = 6`);
      } catch {
        raw.close();
        continue; // NOT NULL refuses NULL: nothing to test for that value
      }
      raw.close();
      const log = await must(openLocalLog({ dir, readOnly: true }));
      const report = await log.verify();
      expect(report.ok, value).toBe(false);
      expect(report.firstBad?.index, value).toBe(6);
      expect(report.firstBad?.reason, value).toMatch(/not a blob \(SQL type (text|integer)\)/);
      await log.close();
      const fix = db(dir);
      fix.prepare("UPDATE entries SET data = ? WHERE idx = 6").run(before);
      fix.close();
    }
  });

  it("a rewritten stored event id is caught (the stored id is compared with the recomputed one)", async () => {
    const dir = tempDir();
    await localLog(dir, 3, 3);
    const raw = db(dir);
    const other = raw.prepare("SELECT id FROM entries WHERE idx = 2").get()!.id as string;
    raw.prepare("UPDATE entries SET id = ? WHERE idx = 5").run(`${other.slice(0, -1)}${other.endsWith("0") ? "1" : "0"}`);
    raw.close();
    const log = await must(openLocalLog({ dir, readOnly: true }));
    const report = await log.verify();
    expect(report.ok).toBe(false);
    expect(report.firstBad).toMatchObject({ index: 5, reason: "the stored content does not hash to its event id" });
    await log.close();
  });
});
