/**
 * Colour on a terminal. `writ` colours diagnostics, test results and summaries
 * when the stream it writes to is a terminal, and never otherwise, unless told:
 *
 * 1. `--color` / `--no-color` on the command line decide;
 * 2. else `FORCE_COLOR` decides (`0` or `false`: no colour; any other value: colour);
 * 3. else a non-empty `NO_COLOR` turns colour off (https://no-color.org);
 * 4. else colour exactly when the stream is a terminal.
 *
 * Painting only adds ANSI SGR sequences around parts of lines that are
 * already complete: removing them gives back the plain text.
 */

/** The environment variables colour reads. */
export interface ColourEnv {
  readonly NO_COLOR?: string | undefined;
  readonly FORCE_COLOR?: string | undefined;
}

/** Whether to colour a stream: `flag` is `--color` (true), `--no-color` (false) or neither (undefined). */
export function colourWanted(isTTY: boolean, flag: boolean | undefined, env: ColourEnv): boolean {
  if (flag !== undefined) return flag;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force.toLowerCase() !== "false";
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  return isTTY;
}

const sgr =
  (open: number, close: number) =>
  (s: string): string =>
    `\x1b[${open}m${s}\x1b[${close}m`;

/** The styles writ uses. */
export const style = {
  bold: sgr(1, 22),
  dim: sgr(2, 22),
  red: sgr(31, 39),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
  cyan: sgr(36, 39),
};

const SEVERITY_STYLE: Record<string, (s: string) => string> = {
  error: (s) => style.bold(style.red(s)),
  warning: (s) => style.bold(style.yellow(s)),
  info: (s) => style.bold(style.cyan(s)),
};

const HEADER = /^(.*?(?::\d+:\d+)?): (error|warning|info) (W\d{4}): (.*)$/;

/** Paint one problem line (`file:line:col: error W1234: message`); other lines are returned unchanged. */
export function paintProblemLine(line: string): string {
  const m = HEADER.exec(line);
  if (m === null) return line;
  return `${style.bold(m[1]!)}: ${SEVERITY_STYLE[m[2]!]!(m[2]!)} ${style.dim(m[3]!)}: ${m[4]}`;
}

/** Paint a full diagnostic (header, source line, caret underline, help) or any text made of such lines. */
export function paintDiagnostics(text: string): string {
  return text
    .split("\n")
    .map((line) => {
      if (/^\s+\^+$/.test(line)) return style.red(line);
      const help = /^(\s+)help: (.*)$/.exec(line);
      if (help !== null) return `${help[1]}${style.cyan("help:")} ${help[2]}`;
      return paintProblemLine(line);
    })
    .join("\n");
}

/** Paint `PASS` and `FAIL` at the start of a test-result line. */
export function paintResult(line: string): string {
  if (line.startsWith("PASS ")) return `${style.green("PASS")}${line.slice(4)}`;
  if (line.startsWith("FAIL ")) return `${style.bold(style.red("FAIL"))}${line.slice(4)}`;
  return line;
}

/** Paint a closing summary: green when nothing failed, red otherwise. */
export function paintSummary(line: string, ok: boolean): string {
  return ok ? style.green(line) : style.bold(style.red(line));
}
