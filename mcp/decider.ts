/**
 * Who decides for the gateway: a {@link Decider} authorizes one execution (the session, one
 * tool call), records how it ended, and answers which tools may be listed. Two
 * implementations: {@link localDecider} here (a bundle, an entity store and the SQLite
 * lineage log under `<dir>/.writ/`, through `writ/runtime`'s {@link Governor}), and
 * `remoteDecider` (remote.ts: a `writ serve` over HTTP).
 *
 * The local decider uses the governor's split API — `authorize(…, { obligationsBy: "caller" })`,
 * then `complete(…)` — rather than `execute`: the gateway itself fulfils the obligations
 * (an approval is asked of the MCP client while the call waits), the "action" is a message
 * relayed to another process whose answer arrives later, and the remote decider has the same
 * two steps over HTTP, so both deciders share one code path in the gateway. `requested` and
 * the decision are durable before `authorize` resolves; `complete` records `verified` (the
 * obligations the gateway confirmed, with their evidence), `executed` (with the digest of
 * the server's result) or `failed`, and `audited`. Concurrent calls share the log's group
 * commit; an outcome waits up to 10 ms for the next authorization so that both are written in
 * one batch (one fsync per sequential call instead of two).
 *
 * One gateway process writes one log: `openLocalDecider` holds `<dir>/.writ/lineage.lock`
 * while it runs, and a second gateway on the same directory is refused (W9011).
 *
 * NOTE: Node only (the local decider opens SQLite through `openLocalLog`).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  decideMany,
  Governor,
  openLocalLog,
  problem,
  type Authorization,
  type DecisionRecord,
  type EntityJson,
  type EntityStore,
  type GroupCommitOptions,
  type LineageLog,
  type LoadedBundle,
  type Outcome,
  type Problem,
  type RecordJson,
  type RequestJson,
} from "../runtime/index.js";
import type { McpNames } from "./mapping.js";

/** The answer to one authorization. */
export interface Verdict {
  /** True when the execution may go ahead (after its obligations are fulfilled). */
  readonly allowed: boolean;
  readonly execution: string;
  /** The decision record (absent when no decision was possible: see `problem`). */
  readonly decision?: DecisionRecord;
  /** The event child executions name as their parent (allowed executions). */
  readonly parentEvent?: string;
  /** The log index of the execution's first event, when known (for `writ lineage show`). */
  readonly firstIndex?: number;
  /** The obligations the gateway must fulfil before going ahead. */
  readonly obligations: Readonly<Record<string, RecordJson>>;
  /** Why it was refused without a decision, or why recording failed. */
  readonly problem?: Problem;
}

/** How an authorized execution ended, as the gateway reports it. */
export interface ExecutionOutcome {
  readonly ok: boolean;
  readonly detail?: string;
  /** `sha256:` of the server's result. */
  readonly resultDigest?: string;
  /** The obligations the gateway fulfilled. */
  readonly obligations: readonly string[];
  /** What fulfilled each of them (recorded, never evaluated). */
  readonly evidence?: Readonly<Record<string, RecordJson>>;
}

/** The result of recording an outcome. */
export type Completion = { readonly ok: true; readonly violation?: Problem } | { readonly ok: false; readonly problem: Problem };

/** Who decides: see the module comment. Implementations never throw. */
export interface Decider {
  /** Decide and record one execution (a child of `parent` when given). */
  authorize(request: RequestJson, options: { readonly actor: string; readonly parent?: string }): Promise<Verdict>;
  /** Record how an allowed execution ended. */
  complete(verdict: Verdict, outcome: ExecutionOutcome): Promise<Completion>;
  /**
   * Whether each request (tools/list of one tool) is allowed, deciding as a child of
   * `parent` would be decided; nothing is recorded. A problem when no decision is possible.
   */
  listable(requests: readonly RequestJson[], parent: string | undefined): Promise<readonly boolean[] | Problem>;
  /** Make the server and its tools known to the entity store (a tool's parent is its server); a problem when the store refuses them. */
  addTools(names: McpNames, server: string, tools: readonly string[]): Problem | undefined;
  /** Flush and close (pending records are written first). */
  close(): Promise<void>;
}

/** How many listing answers the local decider keeps. */
const LISTINGS = 4096;

/** How long an outcome waits to share a batch with the next authorization (at most). */
const OUTCOME_DELAY_MS = 10;

/** Options of {@link localDecider}. */
export interface LocalDeciderOptions {
  /** The open lineage log (the decider closes it). */
  readonly log: LineageLog;
  readonly bundle: LoadedBundle;
  /** The entity store (default: empty). */
  readonly entities?: EntityStore;
  /** This node's name in lineage events (default `writ-mcp`). */
  readonly node?: string;
}

/** The local decider: see the module comment. */
export function localDecider(options: LocalDeciderOptions): Decider {
  const governor = new Governor({
    log: options.log,
    bundle: options.bundle,
    node: options.node ?? "writ-mcp",
    ...(options.entities === undefined ? {} : { entities: options.entities }),
  });
  const authorizations = new WeakMap<Verdict, Authorization>();
  const pending = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
    return p;
  };
  /** The lineage a child of each parent event gets (verified once per parent). */
  const lineages = new Map<string, Promise<{ ok: true; lineage: unknown } | { ok: false; problem: Problem }>>();
  // Listing answers by bundle, entity snapshot, parent and request: decisions are pure.
  const listings = new Map<string, boolean>();
  // Outcomes wait a moment for the next authorization, so both land in one group-commit batch
  // (one transaction and fsync) — a sequential client would otherwise pay two per call.
  // NOTE: one timer, re-armed with `refresh()` when the first outcome of a batch waits: a
  // sequential client would otherwise create and clear a timer per call. It may fire with
  // nothing waiting (the next authorization flushed first): then it does nothing.
  const deferred: (() => void)[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    if (deferred.length === 0) return;
    for (const start of deferred.splice(0)) start();
  };
  const wait = (start: () => void): void => {
    deferred.push(start);
    if (deferred.length > 1) return;
    if (timer === undefined) timer = setTimeout(flush, OUTCOME_DELAY_MS);
    else timer.refresh();
  };
  // The tools known to be in the governor's entity store (with their server as parent), for that store.
  let known: { readonly names: McpNames; readonly server: string; readonly bundle: LoadedBundle; readonly entities: EntityStore; readonly tools: Set<string> } | undefined;
  const knownFor = (names: McpNames, server: string, bundle: LoadedBundle, entities: EntityStore): Set<string> | undefined =>
    known !== undefined && known.names === names && known.server === server && known.bundle === bundle && known.entities === entities ? known.tools : undefined;
  return {
    async authorize(request, { actor, parent }) {
      flush();
      const auth = await track(governor.authorize(request, { actor, obligationsBy: "caller", ...(parent === undefined ? {} : { parent }) }));
      // NOTE: filled field by field (the same fields, in the same order, as spreading optional parts).
      const verdict: Mutable<Verdict> = { allowed: auth.allowed, execution: auth.execution, obligations: auth.obligations };
      if (auth.decisionRecord !== undefined) verdict.decision = auth.decisionRecord;
      if (auth.authorizedEvent !== undefined) verdict.parentEvent = auth.authorizedEvent;
      if (auth.events[0] !== undefined) verdict.firstIndex = auth.events[0].index;
      if (auth.problem !== undefined) verdict.problem = auth.problem;
      authorizations.set(verdict, auth);
      return verdict;
    },
    async complete(verdict, outcome) {
      const auth = authorizations.get(verdict);
      if (auth === undefined) return { ok: false, problem: problem("W7009", { detail: `execution ${verdict.execution} was not authorized here` }) };
      const told: Mutable<Outcome> = { ok: outcome.ok, obligations: outcome.obligations };
      if (outcome.detail !== undefined) told.detail = outcome.detail;
      if (outcome.resultDigest !== undefined) told.resultDigest = outcome.resultDigest;
      if (outcome.evidence !== undefined) told.evidence = outcome.evidence;
      const record = (): ReturnType<Governor["complete"]> => governor.complete(auth, told);
      const r = await track(
        new Promise<Awaited<ReturnType<Governor["complete"]>>>((resolve) => wait(() => void record().then(resolve))),
      );
      if (!r.ok) return r;
      return r.violation === undefined ? { ok: true } : { ok: true, violation: r.violation };
    },
    async listable(requests, parent) {
      const { bundle, entities } = governor.current;
      const keys = requests.map((r) => `${bundle.bundleId} ${entities.id} ${parent ?? ""} ${JSON.stringify(r)}`);
      const cached = keys.map((k) => listings.get(k));
      if (cached.every((c) => c !== undefined)) return cached as boolean[];
      let lineage: unknown = { depth: 0, ancestors: [] };
      if (parent !== undefined) {
        let check = lineages.get(parent);
        if (check === undefined) {
          check = governor.verifyParent(parent);
          lineages.set(parent, check);
        }
        const c = await check;
        if (!c.ok) return c.problem;
        lineage = c.lineage;
      }
      const records = decideMany(
        bundle,
        requests.map((r) => ({ ...r, lineage }) as RequestJson),
        entities,
      );
      const answers = records.map((r) => r.decision === "allow");
      if (listings.size + keys.length > LISTINGS) listings.clear();
      keys.forEach((k, i) => listings.set(k, answers[i]!));
      return answers;
    },
    addTools(names, server, tools) {
      const { bundle, entities } = governor.current;
      // NOTE: stores are immutable: a tool found (or added) with its server in this store stays there.
      const seen = knownFor(names, server, bundle, entities);
      if (seen !== undefined && tools.every((t) => seen.has(t))) return undefined;
      const types = bundle.schema.entityTypes;
      if (types[names.toolType] === undefined) return undefined;
      const serverUid = { type: names.serverType, id: server };
      const upsert: EntityJson[] = [];
      const withServer = types[names.serverType] !== undefined && (types[names.toolType]?.memberOf ?? []).includes(names.serverType);
      if (withServer && entities.get(serverUid) === undefined) upsert.push({ uid: serverUid, attrs: {}, parents: [] });
      for (const tool of tools) {
        const uid = { type: names.toolType, id: tool };
        const known = entities.get(uid) as unknown as EntityJson | undefined;
        if (known === undefined) upsert.push({ uid, attrs: {}, parents: withServer ? [serverUid] : [] });
        else if (withServer && !known.parents.some((p) => sameUid(p, serverUid))) upsert.push({ ...known, parents: [...known.parents, serverUid] });
      }
      let store = entities;
      if (upsert.length > 0) {
        const next = entities.update({ upsert });
        if (next.store === undefined) {
          const first = next.diagnostics.find((d) => d.severity === "error");
          return problem("W9001", { detail: `the tools of ${server} cannot be added to the entity store: ${first?.message ?? "refused"}` });
        }
        store = next.store;
        governor.update({ entities: store });
      }
      const kept = seen ?? new Set<string>();
      for (const t of tools) kept.add(t);
      known = { names, server, bundle, entities: store, tools: kept };
      return undefined;
    },
    async close() {
      flush();
      if (timer !== undefined) clearTimeout(timer);
      while (pending.size > 0) await Promise.allSettled([...pending]);
      await options.log.close();
    },
  };
}

/** `T` with writable fields (built field by field). */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function sameUid(a: unknown, b: { type: string; id: string }): boolean {
  const x = (typeof a === "object" && a !== null && "__entity" in a ? (a as { __entity: unknown }).__entity : a) as { type?: unknown; id?: unknown };
  return x.type === b.type && x.id === b.id;
}

/** Options of {@link openLocalDecider}. */
export interface OpenLocalOptions extends Omit<LocalDeciderOptions, "log"> {
  /** The directory holding `.writ/` (the log and its key). */
  readonly dir: string;
  readonly groupCommit?: GroupCommitOptions;
}

/** The lock file a gateway holds while it writes the log under a directory (it contains the pid). */
export const LOCK_FILE = join(".writ", "lineage.lock");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Take `<dir>/.writ/lineage.lock` for this process: the log has one writer, so a second
 * gateway on the same directory is refused (W9011) rather than conflicting at its first
 * append. A lock left by a process that no longer runs (kill -9) is taken over.
 */
function lockDir(dir: string): { ok: true; release: () => void } | { ok: false; problem: Problem } {
  const path = join(dir, LOCK_FILE);
  try {
    mkdirSync(join(dir, ".writ"), { recursive: true });
  } catch (e) {
    return { ok: false, problem: problem("W6106", { detail: `cannot create ${join(dir, ".writ")}: ${e instanceof Error ? e.message : String(e)}` }) };
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: "wx" });
      return { ok: true, release: () => rmSync(path, { force: true }) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") return { ok: false, problem: problem("W6106", { detail: `cannot create ${path}: ${e instanceof Error ? e.message : String(e)}` }) };
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(path, "utf8").trim());
    } catch {
      // vanished meanwhile: try again
    }
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) return { ok: false, problem: problem("W9011", { pid: holder, dir }) };
    rmSync(path, { force: true });
  }
  return { ok: false, problem: problem("W9011", { pid: "?", dir }) };
}

/** Lock `dir`, open the lineage log under it and make a local decider on it (closing it releases the lock). Never throws. */
export async function openLocalDecider(options: OpenLocalOptions): Promise<{ ok: true; decider: Decider } | { ok: false; problem: Problem }> {
  const lock = lockDir(options.dir);
  if (!lock.ok) return lock;
  const opened = await openLocalLog({ dir: options.dir, ...(options.groupCommit === undefined ? {} : { groupCommit: options.groupCommit }) });
  if (!opened.ok) {
    lock.release();
    return opened;
  }
  const decider = localDecider({ ...options, log: opened.log });
  return {
    ok: true,
    decider: {
      ...decider,
      close: async () => {
        try {
          await decider.close();
        } finally {
          lock.release();
        }
      },
    },
  };
}
