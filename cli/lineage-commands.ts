/**
 * `writ lineage …`: the auditor's commands over the lineage log
 * `.writ/lineage.db` of the working directory (`--dir` to use another):
 *
 * - `verify`: re-hash every stored event, rebuild the tree, check every
 *   checkpoint and their consistency; names the first bad entry (index and id)
 *   and exits 1. A progress bar on stderr when it is a terminal.
 * - `prove <event-id|index> [-o proof.json]`: a self-contained inclusion proof.
 * - `verify-proof <proof.json> [--key k.pub]`: check a proof with no store.
 * - `show <event-id|index> [--dot|--json]`: the execution tree around an event.
 * - `replay [--json]`: re-evaluate every recorded decision with its stored bundle.
 * - `export --format in-toto [-o file]`: one DSSE-signed in-toto Statement v1
 *   per decision, as JSON lines.
 *
 * Every failure is one line (`file: error Wxxxx: message`) and a non-zero exit.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { canonicalJson, contentId } from "../compiler/canonical.js";
import { keyIdOf } from "../compiler/ids.js";
import { nodeEd25519 } from "../runtime/crypto/ed25519-node.js";
import { publicKeyFile } from "./key-files.js";
import { IN_TOTO_PAYLOAD_TYPE, inTotoStatement, signEnvelope } from "../runtime/lineage/dsse.js";
import { asLineageEvent, isDecisionPhase } from "../runtime/lineage/events.js";
import { LineageLog, loadOrCreateLogKey, verifyProof } from "../runtime/lineage/log.js";
import { replayLog } from "../runtime/lineage/replay.js";
import { DEFAULT_LINEAGE_DB } from "../runtime/lineage/sqlite-store.js";
import { executionTree, renderDot, renderTree } from "./lineage-tree.js";
import { CliFailure, EXIT_PROBLEMS, STDIO_PATH, fail, problemLine, writeOutputFile, type Output } from "./io.js";
import { readJsonFile } from "./json-files.js";

/** The predicate type of exported decision statements. */
export const DECISION_PREDICATE_TYPE = "https://writ.dev/attestation/decision/v1";

/** Options every lineage command takes. */
export interface LineageDirOptions {
  /** The working directory holding `.writ/` (default: the current directory). */
  readonly dir?: string;
}

function dirOf(opts: LineageDirOptions): string {
  return opts.dir ?? process.cwd();
}

/** Open the existing log under `dir` (never creates one). */
export async function openExistingLog(dir: string): Promise<LineageLog> {
  const db = join(dir, DEFAULT_LINEAGE_DB);
  if (!existsSync(db)) fail("W5001", "no lineage log here (run a governed execution or `writ demo` first)", { file: db });
  const r = await LineageLog.open({ dir });
  if (!r.ok) fail("W5001", `cannot open the lineage log: ${r.error}`, { file: db });
  return r.log;
}

async function withLog<T>(opts: LineageDirOptions, fn: (log: LineageLog, dir: string) => Promise<T>): Promise<T> {
  const dir = dirOf(opts);
  const log = await openExistingLog(dir);
  try {
    return await fn(log, dir);
  } finally {
    await log.close().catch(() => undefined);
  }
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
export async function runLineageVerify(opts: LineageDirOptions & { readonly json?: boolean }, io: Output): Promise<number> {
  return withLog(opts, async (log) => {
    const bar = process.stderr.isTTY === true && opts.json !== true ? progressBar(process.stderr) : undefined;
    const report = await log.verify(bar === undefined ? {} : { onProgress: bar.update });
    bar?.end();
    if (opts.json === true) io.out(`${JSON.stringify(report, null, 2)}\n`);
    if (report.ok) {
      if (opts.json !== true) io.out(`lineage log ok: ${report.size} events, ${report.checkpoints} checkpoints verified (${log.origin})\n`);
      return 0;
    }
    const where = DEFAULT_LINEAGE_DB;
    const message =
      report.firstBad !== undefined
        ? `first bad entry: index ${report.firstBad.index}${report.firstBad.id === undefined ? "" : ` (${report.firstBad.id})`}: ${report.firstBad.reason}`
        : (report.error ?? "verification failed");
    throw new CliFailure([problemLine("W6201", message, { file: where })], EXIT_PROBLEMS, opts.json === true);
  });
}

/** `writ lineage prove <event> [-o file]`. */
export async function runLineageProve(event: string, opts: LineageDirOptions & { readonly output?: string }, io: Output): Promise<number> {
  return withLog(opts, async (log) => {
    const r = await log.prove(eventRef(event));
    if (!r.ok) {
      const code = /^no event/.test(r.error) ? "W6204" : "W6201";
      throw new CliFailure([problemLine(code, r.error, { file: DEFAULT_LINEAGE_DB })], EXIT_PROBLEMS);
    }
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
  if (!r.ok) throw new CliFailure([problemLine("W6202", r.error, { file: proof.file.name })], EXIT_PROBLEMS);
  const pinned = key === undefined ? " (key not pinned: pass --key to check who signed)" : "";
  io.out(`proof ok: event ${r.id} is entry ${r.index} of ${r.origin} at size ${r.size}${pinned}\n`);
  return 0;
}

/** `writ lineage show <event> [--dot|--json]`. */
export async function runLineageShow(event: string, opts: LineageDirOptions & { readonly dot?: boolean; readonly json?: boolean }, io: Output): Promise<number> {
  if (opts.dot === true && opts.json === true) fail("W5008", "choose one of --dot and --json", { file: "writ" });
  return withLog(opts, async (log) => {
    const tree = await executionTree(log, eventRef(event));
    if (tree === undefined) throw new CliFailure([problemLine("W6204", `no event ${event} in the log`, { file: DEFAULT_LINEAGE_DB })], EXIT_PROBLEMS);
    io.out(opts.json === true ? `${JSON.stringify(tree, null, 2)}\n` : opts.dot === true ? renderDot(tree) : renderTree(tree));
    return 0;
  });
}

/** `writ lineage replay [--json]`. */
export async function runLineageReplay(opts: LineageDirOptions & { readonly json?: boolean }, io: Output): Promise<number> {
  return withLog(opts, async (log) => {
    const report = await replayLog(log, nodeEd25519);
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
export async function runLineageExport(opts: LineageDirOptions & { readonly format: string; readonly output?: string }, io: Output): Promise<number> {
  if (opts.format !== "in-toto") fail("W5008", `unknown export format \`${opts.format}\` (expected in-toto)`, { file: "writ" });
  return withLog(opts, async (log, dir) => {
    const key = loadOrCreateLogKey(dir);
    if (!key.ok) fail("W5001", `cannot read the log key: ${key.error}`, { file: join(dir, ".writ", "lineage.key") });
    const keyid = keyIdOf(log.publicKey);
    const lines: string[] = [];
    const size = log.size;
    for (let i = 0; i < size; i++) {
      const entry = await log.get(i);
      if (entry === undefined) continue;
      const ev = asLineageEvent(entry.event);
      if (typeof ev === "string" || !isDecisionPhase(ev.phase) || ev.decision === undefined) continue;
      const statement = inTotoStatement(
        [
          { name: `writ-request:${ev.execution}`, digest: { sha256: ev.decision.requestDigest.replace(/^sha256:/, "") } },
          { name: `writ-event:${entry.index}`, digest: { sha256: contentId(entry.event).replace(/^sha256:/, "") } },
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
      const envelope = signEnvelope(IN_TOTO_PAYLOAD_TYPE, new TextEncoder().encode(canonicalJson(statement)), key.privateKey, keyid, nodeEd25519);
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
