/**
 * What Linux's `/proc` says of a process, for the `writ serve` benches that watch their server
 * from outside: CPU time per thread and resident memory. Linux only; elsewhere the readers
 * return nothing.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second of `/proc/.../stat` times (USER_HZ, 100 on Linux). */
export const TICKS_PER_SECOND = 100;

/** CPU time (user + system) of each thread of `pid`, in clock ticks, by thread id (empty without `/proc`). */
export function threadTicks(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(Number(tid), Number(fields[11]) + Number(fields[12]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** Resident memory of `pid` in MiB, or undefined without `/proc`. */
export function rssMib(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}
