/**
 * `writ lineage …`: the auditor's commands over the lineage log
 * `.writ/lineage.db` of the working directory (`--dir` to use another):
 *
 * - `verify`: re-hash every stored event, rebuild the tree, check every
 *   checkpoint and their consistency, and hold the log to the last checkpoint this
 *   verifier accepted (the trust file `.writ/lineage.trusted`, or `--trusted <file>`):
 *   a truncated, wiped or forked log fails. Names the first bad entry and exits 1.
 *   On success the default trust file moves to the new checkpoint.
 * - `checkpoint`: print the latest signed checkpoint (to keep elsewhere: an auditor, CI).
 * - `prove <event-id|index> [-o proof.json]`: a self-contained inclusion proof.
 * - `verify-proof <proof.json> [--key k.pub]`: check a proof with no store.
 * - `show <event-id|index> [--dot|--json]`: the execution tree around an event.
 * - `replay [--json]`: re-evaluate every recorded decision with its stored bundle and
 *   entity snapshot.
 * - `export --format in-toto [-o file]`: one DSSE-signed in-toto Statement v1
 *   per decision, as JSON lines.
 *
 * Every command but `export` needs only public material: the log's public key (`--key`,
 * else `.writ/lineage.pub`); none creates or overwrites a key or a log. With `--store
 * postgres://…` they read a mesh's shared log instead (see `mesh.ts`: `--key` is then the
 * mesh operator's public key, and no trust file is kept by default). Show, replay and
 * export read the log through a full verification and use only the entries it re-hashed.
 * Every failure is one line (`file: error Wxxxx: message`) and a non-zero exit.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { canonicalJson, contentId } from "../compiler/canonical.js";
import { keyIdOf } from "../compiler/ids.js";
import type { DiagnosticCode } from "../lang/diagnostics.js";
import { nodeEd25519 } from "../runtime/crypto/ed25519-node.js";
import { publicKeyFile } from "./key-files.js";
import { IN_TOTO_PAYLOAD_TYPE, inTotoStatement, signEnvelope } from "../runtime/lineage/dsse.js";
import { isDecisionPhase } from "../runtime/lineage/events.js";
import { DEFAULT_LINEAGE_DB, nodeSigner, openLocalLog, readLogKey } from "../runtime/lineage/local-log.js";
import { type LineageLog, verifyProof } from "../runtime/lineage/log.js";
import { replayLog } from "../runtime/lineage/replay.js";
import { readVerified, type VerifiedLogView } from "../runtime/lineage/verified-view.js";
import type { VerifyReport } from "../runtime/lineage/verify.js";
import { executionTree, renderDot, renderTree } from "./lineage-tree.js";
import { CliFailure, EXIT_PROBLEMS, STDIO_PATH, fail, problemLine, readTextFile, writeOutputFile, type Output } from "./io.js";
import { readJsonFile } from "./json-files.js";

/** The predicate type of exported decision statements. */
export const DECISION_PREDICATE_TYPE = "https://writ.dev/attestation/decision/v1";

/** Where `writ lineage verify` remembers the last checkpoint it accepted (under the log directory). */
export const TRUST_FILE = join(".writ", "lineage.trusted");

/** Options every lineage command takes. */
export interface LineageDirOptions {
  /** The working directory holding `.writ/` (default: the current directory). */
  readonly dir?: string;
  /** The log's public key file (default `.writ/lineage.pub`); with `store`, the mesh operator's. */
  readonly key?: string;
  /** A mesh's PostgreSQL store instead of the local log (`writ mesh`). */
  readonly store?: string;
  /** The mesh's PostgreSQL schema (with `store`). */
  readonly schema?: string;
}

/** Options of the commands that verify the whole log. */
export interface TrustOptions extends LineageDirOptions {
  /** A checkpoint file the log must extend (default: the trust file, when present). */
  readonly trusted?: string;
}

function dirOf(opts: LineageDirOptions): string {
  return opts.dir ?? process.cwd();
}

/** Open the existing log under `dir` for reading and verifying only (never creates anything). */
export async function openExistingLog(dir: string, keyFile?: string): Promise<LineageLog> {
  const db = join(dir, DEFAULT_LINEAGE_DB);
  if (!existsSync(db)) fail("W5001", "no lineage log here (run a governed execution or `writ demo` first)", { file: db });
  const publicKey = keyFile === undefined ? undefined : publicKeyFile(keyFile);
  const r = await openLocalLog({ dir, readOnly: true, ...(publicKey === undefined ? {} : { publicKey }) });
  if (!r.ok) fail(r.problem.code === "W6106" ? "W5001" : r.problem.code, `cannot open the lineage log: ${r.problem.message}`, { file: db });
  return r.log;
}

async function withLog<T>(opts: LineageDirOptions, fn: (log: LineageLog, dir: string) => Promise<T>): Promise<T> {
  const dir = dirOf(opts);
  if (opts.store !== undefined) return (await import("./mesh.js")).withMeshLog(opts, (log) => fn(log, dir));
  const log = await openExistingLog(dir, opts.key);
  try {
    return await fn(log, dir);
  } finally {
    await log.close().catch(() => undefined);
  }
}

/** The trusted checkpoint to hold the log to: `--trusted`, else the trust file when present. */
function trustedCheckpoint(opts: TrustOptions, dir: string): { note?: string; file?: string; explicit: boolean } {
  if (opts.store !== undefined && opts.trusted === undefined) return { explicit: false };
  const file = opts.trusted ?? join(dir, TRUST_FILE);
  if (opts.trusted === undefined && !existsSync(file)) return { explicit: false, file };
  return { note: readTextFile(file).text, file, explicit: opts.trusted !== undefined };
}

/** The one-line failure of a verification report. */
function reportFailure(report: VerifyReport, answered = false): CliFailure {
  const message =
    report.firstBad !== undefined
      ? `first bad entry: index ${report.firstBad.index}${report.firstBad.id === undefined ? "" : ` (${report.firstBad.id})`}: ${report.firstBad.reason}`
      : (report.error ?? "verification failed");
  const code: DiagnosticCode = report.code ?? "W6201";
  return new CliFailure([problemLine(code, message, { file: DEFAULT_LINEAGE_DB })], EXIT_PROBLEMS, answered);
}

/** Verify the log (held to the trusted checkpoint) and return its verified view. */
async function verifiedView(log: LineageLog, opts: TrustOptions, dir: string): Promise<VerifiedLogView> {
  const trust = trustedCheckpoint(opts, dir);
  const read = await readVerified(log, trust.note === undefined ? {} : { trusted: trust.note });
  if (!read.ok) throw reportFailure(read.report);
  return read.view;
}

/** An event argument: a decimal index or an event id. */
export function eventRef(text: string): string | number {
  if (/^(0|[1-9][0-9]*)$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
  return text;
}

/** A one-line progress bar redrawn in place (`\r`) on a terminal stream; `end` erases it. */
export function progressBar(stream: { write(text: string): unknown }): { update: (done: number, total: number) => void; end: () => void } {
  let shown = false;
  return {
    update(done, total) {
      const width = 30;
      const frac = total === 0 ? 1 : done / total;
      const full = Math.round(frac * width);
      stream.write(`\rverifying [${"#".repeat(full)}${".".repeat(width - full)}] ${Math.floor(frac * 100)}% (${done}/${total})`);
      shown = true;
    },
    end() {
      if (shown) stream.write("\r\x1b[K");
    },
  };
}

/** `writ lineage verify`. */
export async function runLineageVerify(opts: TrustOptions & { readonly json?: boolean }, io: Output): Promise<number> {
  return withLog(opts, async (log, dir) => {
    const trust = trustedCheckpoint(opts, dir);
    const bar = process.stderr.isTTY === true && opts.json !== true ? progressBar(process.stderr) : undefined;
    const report = await log.verify({
      ...(bar === undefined ? {} : { onProgress: bar.update }),
      ...(trust.note === undefined ? {} : { trusted: trust.note }),
    });
    bar?.end();
    if (opts.json === true) io.out(`${JSON.stringify(report, null, 2)}\n`);
    if (!report.ok) throw reportFailure(report, opts.json === true);
    if (report.size > 0 && report.checkpoint === undefined) throw reportFailure({ ...report, ok: false, error: "the log has entries but no checkpoint" }, opts.json === true);
    if (!trust.explicit && trust.file !== undefined && report.checkpoint !== undefined) writeOutputFile(trust.file, report.checkpoint, io);
    if (opts.json !== true) {
      const held = report.trustedSize === undefined ? "" : `, consistent with the trusted checkpoint at size ${report.trustedSize}`;
      io.out(`lineage log ok: ${report.size} events, ${report.checkpoints} checkpoints verified${held} (${log.origin})\n`);
    }
    return 0;
  });
}

/** `writ lineage checkpoint`: the latest signed checkpoint note, as stored (its signature checked). */
export async function runLineageCheckpoint(opts: LineageDirOptions & { readonly output?: string }, io: Output): Promise<number> {
  return withLog(opts, async (log) => {
    const note = log.checkpoint;
    if (note === undefined) throw new CliFailure([problemLine("W6211", "the log has no valid checkpoint yet", { file: DEFAULT_LINEAGE_DB })], EXIT_PROBLEMS);
    if (opts.output === undefined || opts.output === STDIO_PATH) io.out(note);
    else {
      writeOutputFile(opts.output, note, io);
      io.out(`wrote ${opts.output}: checkpoint of ${log.origin} at size ${log.size}\n`);
    }
    return 0;
  });
}

/** `writ lineage prove <event> [-o file]`. */
export async function runLineageProve(event: string, opts: LineageDirOptions & { readonly output?: string }, io: Output): Promise<number> {
  return withLog(opts, async (log) => {
    const r = await log.prove(eventRef(event));
    if (!r.ok) throw new CliFailure([problemLine(r.problem.code, r.problem.message, { file: DEFAULT_LINEAGE_DB })], EXIT_PROBLEMS);
    const text = `${JSON.stringify(r.proof, null, 2)}\n`;
    if (opts.output === undefined || opts.output === STDIO_PATH) io.out(text);
    else {
      writeOutputFile(opts.output, text, io);
      io.out(`wrote ${opts.output}: event ${r.proof.id} (index ${r.proof.index}) in a log of ${r.proof.size} events\n`);
    }
    return 0;
  });
}

/** `writ lineage verify-proof <proof.json> [--key k.pub]`. */
export function runLineageVerifyProof(file: string, opts: { readonly key?: string }, io: Output): number {
  const key = opts.key === undefined ? undefined : publicKeyFile(opts.key);
  const proof = readJsonFile(file);
  // The proof holds only plain JSON: read it with JSON.parse so that numbers stay numbers.
  let json: unknown;
  try {
    json = JSON.parse(proof.file.text);
  } catch {
    json = proof.json;
  }
  const r = verifyProof(json, key, { ed25519: nodeEd25519 });
  if (!r.ok) throw new CliFailure([problemLine(r.problem.code, r.problem.message, { file: proof.file.name })], EXIT_PROBLEMS);
  const pinned = key === undefined ? " (key not pinned: pass --key to check who signed)" : "";
  io.out(`proof ok: event ${r.id} is entry ${r.index} of ${r.origin} at size ${r.size}${pinned}\n`);
  return 0;
}

/** `writ lineage show <event> [--dot|--json]`. */
export async function runLineageShow(event: string, opts: TrustOptions & { readonly dot?: boolean; readonly json?: boolean }, io: Output): Promise<number> {
  if (opts.dot === true && opts.json === true) fail("W5008", "choose one of --dot and --json", { file: "writ" });
  return withLog(opts, async (log, dir) => {
    const view = await verifiedView(log, opts, dir);
    const tree = executionTree(view, eventRef(event));
    if (tree === undefined) throw new CliFailure([problemLine("W6204", `no event ${event} in the log`, { file: DEFAULT_LINEAGE_DB })], EXIT_PROBLEMS);
    io.out(opts.json === true ? `${JSON.stringify(tree, null, 2)}\n` : opts.dot === true ? renderDot(tree) : renderTree(tree));
    return 0;
  });
}

/** `writ lineage replay [--json]`. */
export async function runLineageReplay(opts: TrustOptions & { readonly json?: boolean }, io: Output): Promise<number> {
  return withLog(opts, async (log, dir) => {
    const trust = trustedCheckpoint(opts, dir);
    const report = await replayLog(log, trust.note === undefined ? {} : { trusted: trust.note });
    if (!report.verified.ok) throw reportFailure(report.verified);
    if (opts.json === true) io.out(`${JSON.stringify(report, null, 2)}\n`);
    else {
      for (const i of report.items) {
        const status = i.status === "same" ? "identical" : i.status === "different" ? "DIFFERENT" : "UNAVAILABLE";
        io.out(`#${i.index} ${i.id} ${status}${i.detail === undefined ? "" : `: ${i.detail}`}\n`);
      }
      io.out(`replayed ${report.items.length} decisions: ${report.same} identical, ${report.different} different, ${report.unavailable} unavailable\n`);
    }
    const bad = report.items.filter((i) => i.status !== "same");
    if (bad.length === 0) return 0;
    throw new CliFailure(
      bad.map((i) => problemLine("W6203", `event ${i.index} (${i.id}): ${i.status === "different" ? "re-evaluated record differs" : "cannot replay"}: ${i.detail ?? ""}`, { file: DEFAULT_LINEAGE_DB })),
      EXIT_PROBLEMS,
      opts.json === true,
    );
  });
}

/** `writ lineage export --format in-toto [-o file]`. */
export async function runLineageExport(opts: TrustOptions & { readonly format: string; readonly output?: string }, io: Output): Promise<number> {
  if (opts.format !== "in-toto") fail("W5008", `unknown export format \`${opts.format}\` (expected in-toto)`, { file: "writ" });
  return withLog(opts, async (log, dir) => {
    const key = readLogKey(dir);
    if (!key.ok) fail("W5001", `cannot read the log key (export signs with it): ${key.problem.message}`, { file: join(dir, ".writ", "lineage.key") });
    const signer = nodeSigner(key.value);
    const keyid = keyIdOf(log.publicKey);
    const view = await verifiedView(log, opts, dir);
    const lines: string[] = [];
    for (const entry of view.entries()) {
      const ev = entry.event;
      if (ev === undefined || !isDecisionPhase(ev.phase) || ev.decision === undefined) continue;
      const statement = inTotoStatement(
        [
          { name: `writ-request:${ev.execution}`, digest: { sha256: ev.decision.requestDigest.replace(/^sha256:/, "") } },
          { name: `writ-event:${entry.index}`, digest: { sha256: contentId(JSON.parse(entry.text)).replace(/^sha256:/, "") } },
        ],
        DECISION_PREDICATE_TYPE,
        {
          decision: ev.decision,
          verdict: ev.phase === "authorized" ? "allow" : "deny",
          execution: ev.execution,
          actor: ev.actor,
          node: ev.node,
          recordedAt: ev.recordedAt,
          ...(ev.outcome === undefined ? {} : { outcome: ev.outcome }),
          lineage: { origin: log.origin, index: entry.index, eventId: entry.id, parents: ev.parents },
        },
      );
      const envelope = signEnvelope(IN_TOTO_PAYLOAD_TYPE, new TextEncoder().encode(canonicalJson(statement)), signer, keyid, nodeEd25519);
      lines.push(canonicalJson(envelope));
    }
    const text = lines.length === 0 ? "" : `${lines.join("\n")}\n`;
    if (opts.output === undefined || opts.output === STDIO_PATH) io.out(text);
    else {
      writeOutputFile(opts.output, text, io);
      io.out(`wrote ${opts.output}: ${lines.length} DSSE envelopes (in-toto Statement v1, signed by ${keyid})\n`);
    }
    return 0;
  });
}
