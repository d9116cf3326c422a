/**
 * Input and output of the CLI: output sinks (so tests can capture what a
 * command prints), one-line errors, and bounded file reading with precise
 * JSON error positions.
 *
 * Every bad input becomes one line `file:line:col: error W5xxx: message` (or
 * `file: error W5xxx: message` when no position applies) on stderr, never a
 * stack trace. Exit codes (documented in docs/cli.md):
 *   0 success (for `eval`: allow and deny alike),
 *   1 the command ran and found problems (diagnostics, failed tests, unformatted files),
 *   2 bad input or usage (missing file, malformed JSON, unknown option, …),
 *   3 internal error.
 */
import { readFileSync, statSync } from "node:fs";
import { isAbsolute, relative } from "node:path";
import { CATALOG, type Diagnostic, type DiagnosticCode } from "../lang/diagnostics.js";
import { lineColOf } from "../lang/span.js";
import { parseJsonText, type JsonValue } from "../stdlib/index.js";

// --- output ------------------------------------------------------------------

/** Where a command writes: each call writes one chunk of text. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

/** The process's stdout and stderr. */
export const processOutput: Output = {
  out: (text) => {
    process.stdout.write(text);
  },
  err: (text) => {
    process.stderr.write(text);
  },
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

/** The decision semantics a command can select. */
export type Semantics = "fail-closed" | "cedar";

/** Exit code for an internal error (a bug in writ). */
export const EXIT_INTERNAL = 3;

// --- errors ------------------------------------------------------------------

/** Exit code when a command ran and found problems. */
export const EXIT_PROBLEMS = 1;
/** Exit code for bad input or usage. */
export const EXIT_BAD_INPUT = 2;

/** Where a problem is: a file, optionally with the source text and an offset into it. */
export interface ProblemLocation {
  readonly file?: string;
  readonly source?: string;
  readonly offset?: number;
}

/** Render one problem as a single line. */
export function problemLine(code: DiagnosticCode, message: string, at: ProblemLocation = {}): string {
  const severity = CATALOG[code].severity;
  const oneLine = message.replace(/\s*\n\s*/g, " ");
  const file = at.file ?? "writ";
  if (at.offset !== undefined && at.source !== undefined) {
    const pos = lineColOf(at.source, at.offset);
    return `${file}:${pos.line}:${pos.col}: ${severity} ${code}: ${oneLine}`;
  }
  return `${file}: ${severity} ${code}: ${oneLine}`;
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
 * `main`, which prints `lines` to stderr and exits with `exitCode`.
 * NOTE: not an Error subclass on purpose: no stack is captured or printed.
 */
export class CliFailure {
  constructor(
    readonly lines: readonly string[],
    readonly exitCode: number = EXIT_BAD_INPUT,
  ) {}
}

/** Throw a one-line bad-input failure. */
export function fail(code: DiagnosticCode, message: string, at: ProblemLocation = {}): never {
  throw new CliFailure([problemLine(code, message, at)], EXIT_BAD_INPUT);
}

// --- files -------------------------------------------------------------------

/** Largest input file the CLI accepts, in bytes. */
export const MAX_INPUT_BYTES = 10 * 1024 * 1024;

/** A file read into memory. `name` is how it is shown in messages. */
export interface TextFile {
  readonly path: string;
  readonly name: string;
  readonly text: string;
}

/** How a path is shown in messages: relative to the current directory when below it. */
export function displayName(path: string): string {
  if (!isAbsolute(path)) return path;
  const rel = relative(process.cwd(), path);
  if (rel === "") return ".";
  const ups = rel.split(/[\\/]/).filter((p) => p === "..").length;
  return ups > 3 || isAbsolute(rel) ? path : rel;
}

function ioReason(err: unknown): string {
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
    default:
      return typeof code === "string" ? code : "unreadable";
  }
}

/** Read a UTF-8 text file, refusing directories and files larger than `MAX_INPUT_BYTES`. */
export function readTextFile(path: string, name: string = path): TextFile {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) fail("W5001", "cannot read file: is a directory, expected a file", { file: name });
    size = st.size;
  } catch (err) {
    if (err instanceof CliFailure) throw err;
    fail("W5001", `cannot read file: ${ioReason(err)}`, { file: name });
  }
  if (size > MAX_INPUT_BYTES) {
    fail("W5005", `input too large: ${size} bytes (limit ${MAX_INPUT_BYTES} bytes)`, { file: name });
  }
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    fail("W5001", `cannot read file: ${ioReason(err)}`, { file: name });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { path, name, text };
}


/** Parse JSON text exactly (64-bit integers kept), turning a syntax error into a W5002 failure at its line and column. */
export function parseJsonFile(file: TextFile): JsonValue {
  const r = parseJsonText(file.text);
  if (r.ok) return r.value;
  fail("W5002", `malformed JSON: ${r.error}`, { file: file.name, source: file.text, offset: r.offset });
}

/** Read and parse a JSON file. */
export function readJsonFile(path: string, name?: string): { file: TextFile; json: JsonValue } {
  const file = readTextFile(path, name);
  return { file, json: parseJsonFile(file) };
}

/** Offset of the first occurrence of `"key"` as an object key in JSON text, for positioning structural errors. */
export function offsetOfKey(text: string, key: string, from = 0): number | undefined {
  const needle = `${JSON.stringify(key)}`;
  let i = text.indexOf(needle, from);
  while (i >= 0) {
    const after = text.slice(i + needle.length).match(/^\s*:/);
    if (after !== null) return i;
    i = text.indexOf(needle, i + 1);
  }
  return undefined;
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
