/**
 * Input and output of the CLI: output sinks (so tests can capture what a
 * command prints), one-line problems, bounded and strictly decoded file
 * reading (with `-` for standard input), and atomic file writing (with `-` for
 * standard output).
 *
 * Every bad input becomes one line `file:line:col: error W5xxx: message` (or
 * `file: error W5xxx: message` when no position applies) on stderr, never a
 * stack trace. Exit codes are `EXIT_CODES` (documented in docs/cli.md).
 */
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, renameSync, statSync, unlinkSync, writeFileSync, type Stats } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { CATALOG, type Diagnostic, type DiagnosticCode, type Severity } from "../lang/diagnostics.js";
import { lineColOf } from "../lang/span.js";
import { decodeUtf8 } from "./utf8.js";

// --- output ------------------------------------------------------------------

/** Where a command writes: each call writes one chunk of text. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** Whether each stream is a terminal (colour is on by default only there). */
  readonly tty?: { readonly out: boolean; readonly err: boolean };
  /** Whether to colour what goes to each stream (decided once by `runCli`). */
  readonly colour?: { readonly out: boolean; readonly err: boolean };
}

/** The process's stdout and stderr. */
export const processOutput: Output = {
  out: (text) => {
    process.stdout.write(text);
  },
  err: (text) => {
    process.stderr.write(text);
  },
  tty: { out: process.stdout.isTTY === true, err: process.stderr.isTTY === true },
};

/** An output that collects everything in memory (for tests). */
export function memoryOutput(): Output & { readonly stdout: () => string; readonly stderr: () => string } {
  const o: string[] = [];
  const e: string[] = [];
  return {
    out: (t) => {
      o.push(t);
    },
    err: (t) => {
      e.push(t);
    },
    stdout: () => o.join(""),
    stderr: () => e.join(""),
  };
}

/** The decision semantics a command can select (declared once, by the compiler). */
export type { Semantics } from "../compiler/decide.js";

/** A stage result: a value when the stage succeeded, and its diagnostics (with file names attached). */
export interface Staged<T> {
  readonly value: T | undefined;
  readonly diagnostics: readonly Diagnostic[];
  /** The text the diagnostics' spans point into, when there is one. */
  readonly source?: TextFile;
  /** Ready one-line error messages for failures that are not diagnostics (unreadable file, …). */
  readonly failure?: readonly string[];
}

// --- exit codes ----------------------------------------------------------------

/** Exit code when a command ran and found problems. */
export const EXIT_PROBLEMS = 1;
/** Exit code for bad input or usage. */
export const EXIT_BAD_INPUT = 2;
/** Exit code for an internal error (a bug in writ). */
export const EXIT_INTERNAL = 3;

/** Every exit code of `writ` and what it means (docs/cli.md is generated from this table). */
export const EXIT_CODES: readonly { readonly code: number; readonly meaning: string }[] = [
  { code: 0, meaning: "success. For `eval`, allow and deny alike: a deny is an answer, not a failure" },
  { code: EXIT_PROBLEMS, meaning: "the command ran and found problems: diagnostics, failed tests, unformatted files, a changed bundle, a log that does not verify" },
  {
    code: EXIT_BAD_INPUT,
    meaning:
      "bad input or usage: a missing, unreadable, non-UTF-8 or oversized file, malformed JSON, policies or a schema the command needs but cannot use (`check` reports those as findings: exit 1), an unknown command or option",
  },
  { code: EXIT_INTERNAL, meaning: "internal error (a bug in writ; the message says so)" },
];

// --- problems ------------------------------------------------------------------

/** Where a problem is: a file, optionally with the source text and an offset into it. */
export interface ProblemLocation {
  readonly file?: string;
  readonly source?: string;
  readonly offset?: number;
}

/** One problem, as printed on one line and as answered in JSON modes. */
export interface Problem {
  readonly file: string;
  /** 1-based line and column, when a position applies. */
  readonly line?: number;
  readonly column?: number;
  readonly severity: Severity;
  readonly code: DiagnosticCode;
  readonly message: string;
}

/** Render one problem as a single line: `file:line:col: severity code: message` or `file: severity code: message`. */
export function renderProblem(p: Problem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}:${p.column ?? 1}`;
  return `${where}: ${p.severity} ${p.code}: ${p.message}`;
}

/** Render one problem as a single line. */
export function problemLine(code: DiagnosticCode, message: string, at: ProblemLocation = {}): string {
  const oneLine = message.replace(/\s*\n\s*/g, " ");
  const file = at.file ?? "writ";
  const pos = at.offset !== undefined && at.source !== undefined ? lineColOf(at.source, at.offset) : undefined;
  return renderProblem({ file, ...(pos === undefined ? {} : { line: pos.line, column: pos.col }), severity: CATALOG[code].severity, code, message: oneLine });
}

const PROBLEM_LINE = /^(.*?)(?::(\d+):(\d+))?: (error|warning|info) (W\d{4}): (.*)$/s;

/**
 * Read back a line made by `renderProblem` (the inverse for every line it
 * makes whose file name does not itself contain `: error W`); lines of another
 * shape become a problem of `writ` with code W5008.
 */
export function parseProblemLine(line: string): Problem {
  const m = PROBLEM_LINE.exec(line);
  if (m === null || !(m[5]! in CATALOG)) return { file: "writ", severity: "error", code: "W5008", message: line };
  return {
    file: m[1]!,
    ...(m[2] === undefined ? {} : { line: Number(m[2]), column: Number(m[3]) }),
    severity: m[4] as Severity,
    code: m[5] as DiagnosticCode,
    message: m[6]!,
  };
}

/** Render a diagnostic from another stage as one line, with its position when the source is known. */
export function diagnosticLine(d: Diagnostic, source: string | undefined, fallbackFile?: string): string {
  const file = d.file ?? fallbackFile;
  const at: ProblemLocation = source === undefined ? { file } : { file, source, offset: d.span.start };
  const help = d.help === undefined ? "" : ` (${d.help})`;
  return problemLine(d.code, d.message + help, at);
}

/**
 * A user-facing failure. Thrown by the command implementations, caught once by
 * `runCli`, which prints `lines` to stderr (and, in a JSON mode, the problems
 * as JSON on stdout unless `answered`: the command printed its own
 * machine-readable report already) and exits with `exitCode`.
 * NOTE: not an Error subclass on purpose: no stack is captured or printed.
 */
export class CliFailure {
  constructor(
    readonly lines: readonly string[],
    readonly exitCode: number = EXIT_BAD_INPUT,
    readonly answered: boolean = false,
  ) {}

  /** The lines as structured problems. */
  problems(): Problem[] {
    return this.lines.map(parseProblemLine);
  }
}

/** Throw a one-line bad-input failure. */
export function fail(code: DiagnosticCode, message: string, at: ProblemLocation = {}): never {
  throw new CliFailure([problemLine(code, message, at)], EXIT_BAD_INPUT);
}

// --- reading -------------------------------------------------------------------

/** Largest input the CLI reads from one file (or from standard input), in bytes. */
export const MAX_INPUT_BYTES = 10 * 1024 * 1024;

/** The path that means standard input (as an input) or standard output (as an output). */
export const STDIO_PATH = "-";

/** How standard input is named in messages. */
export const STDIN_NAME = "<stdin>";

/** A file read into memory. `name` is how it is shown in messages. */
export interface TextFile {
  readonly path: string;
  readonly name: string;
  readonly text: string;
}

/** How a path is shown in messages: relative to the current directory when below it. */
export function displayName(path: string): string {
  if (path === STDIO_PATH) return STDIN_NAME;
  if (!isAbsolute(path)) return path;
  const rel = relative(process.cwd(), path);
  if (rel === "") return ".";
  const ups = rel.split(/[\\/]/).filter((p) => p === "..").length;
  return ups > 3 || isAbsolute(rel) ? path : rel;
}

/** A human reason for a file-system error code. */
export function ioReason(err: unknown): string {
  const code = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;
  switch (code) {
    case "ENOENT":
      return "no such file or directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "is a directory, expected a file";
    case "ENOTDIR":
      return "a parent of this path is not a directory";
    case "ELOOP":
      return "too many symbolic links";
    default:
      return typeof code === "string" ? code : "unreadable";
  }
}

function kindOfSpecial(st: Stats): string {
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/** Refuse anything that is not a regular file: directories, FIFOs, devices, sockets. */
function requireRegular(st: Stats, name: string): void {
  if (st.isDirectory()) fail("W5001", "cannot read file: is a directory, expected a file", { file: name });
  if (!st.isFile()) fail("W5001", `cannot read file: ${kindOfSpecial(st)}, expected a regular file (use \`-\` to read standard input)`, { file: name });
}

function tooLarge(name: string, size?: number): never {
  const what = size === undefined ? `more than ${MAX_INPUT_BYTES} bytes` : `${size} bytes`;
  fail("W5005", `input too large: ${what} (limit ${MAX_INPUT_BYTES} bytes)`, { file: name });
}

/** Sleep a few milliseconds synchronously (waiting for a non-blocking standard input). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Read at most `MAX_INPUT_BYTES` from an open descriptor; more is refused
 * (the limit counts bytes read, never the size `stat` reports).
 */
function readBounded(fd: number, name: string): Uint8Array {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.min(1 << 16, MAX_INPUT_BYTES + 1 - total));
    let n: number;
    try {
      n = readSync(fd, chunk, 0, chunk.length, null);
    } catch (err) {
      if ((err as { code?: unknown }).code === "EAGAIN") {
        pause(5);
        continue;
      }
      if ((err as { code?: unknown }).code === "EOF") break;
      fail("W5001", `cannot read file: ${ioReason(err)}`, { file: name });
    }
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
    total += n;
    if (total > MAX_INPUT_BYTES) tooLarge(name);
  }
  return Buffer.concat(chunks, total);
}

/** Standard input is read at most once per run (`resetStdin` starts a new run). */
let stdinTaken = false;

/** Forget that standard input was read (called at the start of each CLI run). */
export function resetStdin(): void {
  stdinTaken = false;
}

function readStdinBytes(): Uint8Array {
  if (stdinTaken) fail("W5008", "standard input (`-`) can be read only once per command", { file: "writ" });
  stdinTaken = true;
  return readBounded(0, STDIN_NAME);
}

function readFileBytes(path: string, name: string): Uint8Array {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    fail("W5001", `cannot read file: ${ioReason(err)}`, { file: name });
  }
  requireRegular(st, name);
  if (st.size > MAX_INPUT_BYTES) tooLarge(name, st.size);
  let fd: number;
  try {
    // NOTE: O_NONBLOCK so that a FIFO swapped in after the stat above cannot block the open.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    fail("W5001", `cannot read file: ${ioReason(err)}`, { file: name });
  }
  try {
    requireRegular(fstatSync(fd), name);
    return readBounded(fd, name);
  } finally {
    closeSync(fd);
  }
}

/** Decode bytes as strict UTF-8 (a leading BOM dropped), or fail with W5020 at the first bad byte. */
export function decodeText(bytes: Uint8Array, name: string): string {
  const r = decodeUtf8(bytes);
  if (!r.ok) {
    const bad = bytes[r.offset]!.toString(16).padStart(2, "0");
    fail("W5020", `invalid UTF-8 at byte offset ${r.offset} (byte 0x${bad}): the file must be UTF-8 text`, {
      file: name,
      source: r.before,
      offset: r.before.length,
    });
  }
  return r.text.charCodeAt(0) === 0xfeff ? r.text.slice(1) : r.text;
}

/**
 * Read a UTF-8 text file (`-`: standard input), refusing what is not a regular
 * file (directories, FIFOs, devices), inputs over `MAX_INPUT_BYTES` (counted as
 * read) and bytes that are not UTF-8 (W5020, naming the byte offset).
 */
export function readTextFile(path: string, name: string = path === STDIO_PATH ? STDIN_NAME : path): TextFile {
  const bytes = path === STDIO_PATH ? readStdinBytes() : readFileBytes(path, name);
  return { path, name, text: decodeText(bytes, name) };
}

// --- writing -------------------------------------------------------------------

/** Write a file atomically (temporary file + rename); `-` writes to `io`'s stdout. */
export function writeOutputFile(path: string, text: string, io: Output): void {
  if (path === STDIO_PATH) {
    io.out(text);
    return;
  }
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // NOTE: the temporary file may never have been created.
    }
    fail("W5001", `cannot write file: ${ioReason(err)}`, { file: path });
  }
}

// --- folders -------------------------------------------------------------------

/**
 * The files below `dir` whose names `accept` takes, walked recursively in name
 * order; dot-files, dot-folders and `node_modules` are skipped.
 */
export function walkFolder(dir: string, accept: (name: string) => boolean, out: string[] = []): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    fail("W5001", `cannot read folder: ${ioReason(err)}`, { file: displayName(dir) });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith(".") || e.name === "node_modules") continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) walkFolder(p, accept, out);
    else if (e.isFile() && accept(e.name)) out.push(p);
  }
  return out;
}

/** True when `path` names a folder (false for `-`, files and paths that do not exist). */
export function isFolder(path: string): boolean {
  if (path === STDIO_PATH) return false;
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** True for the file names of policy files (`.cedar`, `.writ`). */
export function isPolicyFileName(name: string): boolean {
  return name.endsWith(".cedar") || name.endsWith(".writ");
}

/**
 * Policy inputs named on a command line: files (and `-`) as given, folders
 * replaced by the policy files below them (`walkFolder`). A folder with no
 * policy file is refused (W5001), so a wrong path never checks nothing.
 */
export function expandPolicyPaths(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (!isFolder(p)) {
      out.push(p);
      continue;
    }
    const found = walkFolder(p, isPolicyFileName);
    if (found.length === 0) fail("W5001", "no policy files (.cedar, .writ) in this folder", { file: displayName(p) });
    out.push(...found);
  }
  return out;
}

// --- processes -----------------------------------------------------------------

/** Resolves on the first SIGINT or SIGTERM (long-running commands stop cleanly then). */
export function untilStopSignal(): Promise<void> {
  return new Promise<void>((done) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      done();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
