/**
 * Source spans. Every AST node carries one; spans never enter a hash.
 * Offsets are UTF-16 code-unit indices into the source text, `end` exclusive.
 */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** A 1-based line/column position derived from an offset (only when printing). */
export interface LineCol {
  readonly line: number;
  readonly col: number;
}

/** Convert an offset into a 1-based line and column. */
export function lineColOf(source: string, offset: number): LineCol {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(offset, 0), source.length);
  for (let i = 0; i < end; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: end - lineStart + 1 };
}

/** The full text of the line containing `offset` (without its newline) and its start offset. */
export function lineAt(source: string, offset: number): { text: string; start: number } {
  const o = Math.min(Math.max(offset, 0), source.length);
  const start = source.lastIndexOf("\n", o - 1) + 1;
  let end = source.indexOf("\n", o);
  if (end < 0) end = source.length;
  let text = source.slice(start, end);
  if (text.endsWith("\r")) text = text.slice(0, -1);
  return { text, start };
}

/** A span covering both arguments. */
export function joinSpans(a: Span, b: Span): Span {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

/** Helper for exhaustive switches over discriminated unions. */
export function assertNever(x: never, what = "value"): never {
  throw new Error(`INVARIANT: unexpected ${what}: ${JSON.stringify(x)}`);
}
