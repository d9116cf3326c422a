/**
 * Learning what changed in a mesh: LISTEN/NOTIFY with a polling fallback. A node subscribes
 * once and is told when the log grew (another node appended: sync, witness) and when the
 * pinned bundle or entity snapshot changed (load, verify, swap — the server's part).
 *
 * Notifications are fast but not guaranteed (a dropped connection loses those sent while it
 * was down), so a poll every `pollMs` compares the log size and the record chain's head with
 * what was last reported; either path runs the same coalesced check, so a change is
 * reported once, in order, whichever path saw it first. A lost listening connection is
 * reopened after `retryMs`; polling goes on meanwhile.
 *
 * NOTE: Node only (the mesh room).
 */
import pg from "pg";
import type { Mesh } from "./mesh.js";
import type { Roster } from "./records.js";

/** What a subscriber is told. */
export interface MeshChanges {
  /** The log's size grew (or changed) to `size`. */
  readonly onLog?: (size: number) => void;
  /** The record chain moved (an enrollment, revocation or pin): the newly verified roster. */
  readonly onRoster?: (roster: Roster) => void;
  /** A check failed (store unreachable, a record that does not verify); the subscription goes on. */
  readonly onError?: (error: string) => void;
}

/** Options of {@link subscribe}. */
export interface SubscribeOptions extends MeshChanges {
  /** The connection string to LISTEN on (the mesh's). */
  readonly url: string;
  /** Poll every this many milliseconds (default 2000). */
  readonly pollMs?: number;
  /** Reopen a lost listening connection after this many milliseconds (default 1000). */
  readonly retryMs?: number;
  /** Listen for notifications (default true; false: polling only). */
  readonly listen?: boolean;
}

/** A running subscription. */
export interface Subscription {
  /** Resolves once the first check ran (and, when listening, the first LISTEN succeeded or failed). */
  readonly ready: Promise<void>;
  /** How many checks ran, and how many were started by a notification. */
  readonly stats: { readonly checks: number; readonly notified: number };
  close(): Promise<void>;
}

/** Subscribe to a mesh's changes (see the module comment). */
export function subscribe(mesh: Mesh, options: SubscribeOptions): Subscription {
  const S = mesh.store.schema;
  let closed = false;
  let lastSize = -1;
  let lastHead = mesh.roster.head.seq;
  let running: Promise<void> | undefined;
  let again = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  const stats = { checks: 0, notified: 0 };

  const checkOnce = async (): Promise<void> => {
    stats.checks++;
    try {
      const size = await mesh.store.size();
      if (size !== lastSize) {
        lastSize = size;
        options.onLog?.(size);
      }
      const head = await mesh.store.query<{ seq: string | null }>(`SELECT max(seq) AS seq FROM ${S}.mesh_records`);
      const seq = Number(head.rows[0]?.seq ?? -1);
      if (seq !== lastHead) {
        const r = await mesh.reload();
        if (!r.ok) throw new Error(r.problem.message);
        lastHead = r.roster.head.seq;
        options.onRoster?.(r.roster);
      }
    } catch (e) {
      options.onError?.(e instanceof Error ? e.message : String(e));
    }
  };
  /** Run a check; one more runs after it if asked meanwhile (changes coalesce, never overlap). */
  const check = (): Promise<void> => {
    if (closed) return Promise.resolve();
    if (running !== undefined) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await checkOnce();
      } while (again && !closed);
      running = undefined;
    })();
    return running;
  };

  const listen = async (): Promise<void> => {
    if (closed || options.listen === false) return;
    const c = new pg.Client({ connectionString: options.url });
    client = c;
    const lost = (): void => {
      if (client !== c || closed) return;
      client = undefined;
      c.end().catch(() => undefined);
      retry = setTimeout(() => void listen(), options.retryMs ?? 1000);
    };
    c.on("error", lost);
    c.on("end", lost);
    c.on("notification", () => {
      stats.notified++;
      void check();
    });
    try {
      await c.connect();
      await c.query(`LISTEN "${S}.log"`);
      await c.query(`LISTEN "${S}.pins"`);
      // Anything that happened before LISTEN took effect is caught by this check.
      await check();
    } catch (e) {
      options.onError?.(`cannot listen for mesh notifications: ${e instanceof Error ? e.message : String(e)}`);
      lost();
    }
  };

  const timer = setInterval(() => void check(), options.pollMs ?? 2000);
  timer.unref();
  const ready = Promise.all([check(), listen()]).then(() => undefined);
  return {
    ready,
    stats,
    async close() {
      closed = true;
      clearInterval(timer);
      if (retry !== undefined) clearTimeout(retry);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
      await running;
    },
  };
}
