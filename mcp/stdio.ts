/**
 * The two ends of the relay over stdio (MCP's stdio transport: one JSON-RPC message per
 * line): the client on this process's stdin/stdout, and the real server as a child process
 * whose stdin/stdout the gateway owns (its stderr goes to ours, as MCP servers log there).
 *
 * A {@link Channel} is what the gateway needs of either end: send a line, receive lines and
 * the end of input. Tests and embedders can pass their own.
 *
 * NOTE: Node only (child processes, streams).
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { LineReader } from "./jsonrpc.js";

/** What a {@link Channel} reports while it reads. */
export interface ChannelHandlers {
  /** One complete line (without its newline). */
  line(text: string): void;
  /** A line longer than the limit was dropped. */
  oversized(bytes: number): void;
  /** End of input (the peer closed its side). */
  end(): void;
}

/** One end of the relay: lines in, lines out. */
export interface Channel {
  /** Start reading; each line and the end of input go to `handlers`. */
  start(handlers: ChannelHandlers): void;
  /** Write one line (a newline is added). Lines written after `close` are dropped. */
  send(line: string): void;
  /** Stop reading and writing. */
  close(): Promise<void>;
}

/** How the server process ended. */
export interface ServerExit {
  /** The exit code, when it exited. */
  readonly code: number | null;
  /** The signal that ended it, when one did. */
  readonly signal: NodeJS.Signals | null;
  /** Why it could not be started (spawn failure: no such command, …). */
  readonly startError?: string;
}

/** The server end: a channel plus the process behind it. */
export interface ServerChannel extends Channel {
  /** Resolves when the server process has ended (or could not start). */
  readonly exited: Promise<ServerExit>;
  /** Resolves once the process is running (undefined), or with why it could not start. */
  readonly started: Promise<string | undefined>;
  /** The process id, once started. */
  readonly pid: number | undefined;
  /** The command line, for messages. */
  readonly command: string;
  /** Send the server SIGTERM now (when the gateway itself is asked to stop). */
  terminate(): void;
}

/** A channel over a readable and a writable stream. */
export function streamChannel(input: Readable, output: Writable): Channel {
  let closed = false;
  let onData: ((chunk: Buffer) => void) | undefined;
  let onEnd: (() => void) | undefined;
  return {
    start(h) {
      const reader = new LineReader(h.line, h.oversized);
      onData = (chunk: Buffer) => reader.push(chunk);
      onEnd = () => {
        reader.end();
        h.end();
      };
      input.on("data", onData);
      input.once("end", onEnd);
      input.once("error", onEnd);
    },
    send(line) {
      if (closed || output.destroyed || output.writableEnded) return;
      output.write(`${line}\n`);
    },
    close() {
      closed = true;
      if (onData !== undefined) input.off("data", onData);
      if (onEnd !== undefined) {
        input.off("end", onEnd);
        input.off("error", onEnd);
      }
      input.pause();
      return Promise.resolve();
    },
  };
}

/** The client end on this process's stdin and stdout. */
export function stdioClientChannel(): Channel {
  return streamChannel(process.stdin, process.stdout);
}

/** Options of {@link spawnServer}. */
export interface SpawnOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Where the server's stderr goes (default: this process's stderr). */
  readonly stderr?: "inherit" | "ignore" | "pipe";
}

/** How long {@link ServerChannel.close} waits after closing the server's stdin before SIGTERM, then SIGKILL. */
const CLOSE_GRACE_MS = 2000;

/**
 * Start the MCP server `command args…` (no shell) with its stdin and stdout piped to the
 * gateway. Never throws: a spawn failure resolves `exited` with `startError`.
 */
export function spawnServer(command: string, args: readonly string[], options: SpawnOptions = {}): ServerChannel {
  let child: ChildProcess | undefined;
  let startError: string | undefined;
  try {
    child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["pipe", "pipe", options.stderr ?? "inherit"],
      shell: false,
      windowsHide: true,
    });
  } catch (e) {
    startError = e instanceof Error ? e.message : String(e);
  }
  const proc = child;
  const exited = new Promise<ServerExit>((resolve) => {
    if (proc === undefined) {
      resolve({ code: null, signal: null, startError: startError ?? "spawn failed" });
      return;
    }
    proc.once("error", (e: NodeJS.ErrnoException) => {
      // `error` without a pid: the process never started.
      if (proc.pid === undefined) resolve({ code: null, signal: null, startError: e.code ?? e.message });
    });
    proc.once("close", (code, signal) => resolve({ code, signal }));
  });
  const started = new Promise<string | undefined>((resolve) => {
    if (proc === undefined) resolve(startError ?? "spawn failed");
    else {
      proc.once("spawn", () => resolve(undefined));
      void exited.then((e) => resolve(e.startError ?? "the process ended at once"));
    }
  });
  // A server that closes its stdin early must not crash the gateway with EPIPE.
  proc?.stdin?.on("error", () => undefined);
  const channel = proc?.stdout !== null && proc?.stdout !== undefined && proc.stdin !== null ? streamChannel(proc.stdout, proc.stdin) : undefined;
  return {
    exited,
    started,
    command: [command, ...args].join(" "),
    get pid() {
      return proc?.pid;
    },
    start(h) {
      if (channel === undefined) return;
      channel.start(h);
    },
    send(line) {
      channel?.send(line);
    },
    terminate() {
      if (proc !== undefined && proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
    },
    async close() {
      if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
      proc.stdin?.end();
      const ended = (ms: number): Promise<boolean> =>
        Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
      if (await ended(CLOSE_GRACE_MS)) return;
      proc.kill("SIGTERM");
      if (await ended(CLOSE_GRACE_MS)) return;
      proc.kill("SIGKILL");
      await exited;
    },
  };
}
