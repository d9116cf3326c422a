/**
 * A throw-away PostgreSQL cluster from the installed server binaries: a fresh data folder
 * under the system temporary folder, listening on 127.0.0.1 only (a free port, no Unix
 * socket elsewhere than its own folder), trust authentication for the one local user
 * `writ`. Tests, `npm run bench:mesh` and the mesh demo start one and remove it afterwards;
 * nothing here is for production (see docs/mesh.md for running on real machines).
 *
 * Where the binaries are: `initdb` on the PATH, else Debian's layout
 * `/usr/lib/postgresql/<major>/bin` (the `postgresql` package does not put them on the
 * PATH), highest major first. PostgreSQL refuses to run as root: as root the binaries run
 * as the `postgres` system user (created by Debian's package), which owns the folder.
 *
 * NOTE: Node only.
 */
import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A running local cluster. */
export interface LocalPostgres {
  /** `postgres://writ@127.0.0.1:<port>/postgres`. */
  readonly url: string;
  readonly port: number;
  /** The temporary folder holding the data folder, the socket and the server log. */
  readonly dir: string;
  /** The server version line (`postgres --version`). */
  readonly version: string;
  /** Stop the server: `fast` (clients disconnected, clean shutdown) or `immediate` (as a crash: recovery at the next start). */
  stop(mode?: "fast" | "immediate"): Promise<void>;
  /** Start it again on the same port and folder. */
  start(): Promise<void>;
  /** Stop the server and remove the folder. */
  destroy(): Promise<void>;
}

/** Options of {@link startLocalPostgres}. */
export interface LocalPostgresOptions {
  /** Extra server settings (`-c name=value`), e.g. `{ max_connections: "200" }`. */
  readonly settings?: Readonly<Record<string, string>>;
}

/** The folder of the PostgreSQL server binaries (`initdb`, `pg_ctl`, `postgres`), if installed. */
export function findPostgresBin(): string | undefined {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (dir !== "" && existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl"))) return dir;
  }
  const debian = "/usr/lib/postgresql";
  if (!existsSync(debian)) return undefined;
  const majors = readdirSync(debian)
    .filter((d) => /^[0-9]+$/.test(d))
    .sort((a, b) => Number(b) - Number(a));
  for (const m of majors) {
    const bin = join(debian, m, "bin");
    if (existsSync(join(bin, "initdb"))) return bin;
  }
  return undefined;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Numeric uid and gid of a system user, if it exists. */
async function userIds(name: string): Promise<{ uid: number; gid: number } | undefined> {
  try {
    const uid = Number((await run("id", ["-u", name])).stdout.trim());
    const gid = Number((await run("id", ["-g", name])).stdout.trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Create and start a cluster (see the module comment). Rejects with a readable error when
 * no binaries are installed or the server does not start.
 */
export async function startLocalPostgres(options: LocalPostgresOptions = {}): Promise<LocalPostgres> {
  const bin = findPostgresBin();
  if (bin === undefined) throw new Error("no PostgreSQL server binaries found (install Debian's `postgresql` package)");
  const dir = mkdtempSync(join(tmpdir(), "writ-pg-"));
  const data = join(dir, "data");
  const logFile = join(dir, "server.log");
  const asRoot = typeof process.getuid === "function" && process.getuid() === 0;
  let runAs: string | undefined;
  if (asRoot) {
    runAs = (await userIds("postgres")) !== undefined ? "postgres" : "nobody";
    const ids = await userIds(runAs);
    if (ids === undefined) throw new Error(`cannot run PostgreSQL as root and found no ${runAs} user`);
    chownSync(dir, ids.uid, ids.gid);
  }
  const exec = (tool: string, args: readonly string[]) =>
    runAs === undefined ? run(join(bin, tool), [...args]) : run("runuser", ["-u", runAs, "--", join(bin, tool), ...args]);
  const port = await freePort();
  const settings: Record<string, string> = {
    listen_addresses: "127.0.0.1",
    port: String(port),
    unix_socket_directories: dir,
    ...options.settings,
  };
  const serverOptions = Object.entries(settings)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(" ");
  const version = (await exec("postgres", ["--version"])).stdout.trim();
  try {
    await exec("initdb", ["-D", data, "-U", "writ", "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync"]);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${(e as { stderr?: string }).stderr ?? String(e)}`);
  }
  const start = async (): Promise<void> => {
    try {
      await exec("pg_ctl", ["-D", data, "-l", logFile, "-w", "-t", "60", "-o", serverOptions, "start"]);
    } catch (e) {
      throw new Error(`PostgreSQL did not start: ${(e as { stderr?: string }).stderr ?? String(e)} (log: ${logFile})`);
    }
  };
  const stop = async (mode: "fast" | "immediate" = "fast"): Promise<void> => {
    await exec("pg_ctl", ["-D", data, "-m", mode, "-w", "-t", "60", "stop"]).catch(() => undefined);
  };
  await start();
  return {
    url: `postgres://writ@127.0.0.1:${port}/postgres`,
    port,
    dir,
    version,
    stop,
    start,
    async destroy() {
      await stop("fast");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
