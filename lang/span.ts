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

/** Line start offsets of the last source asked about (callers print many diagnostics of one source in a row). */
let lineIndex: { readonly source: string; readonly starts: readonly number[] } | undefined;

function lineStarts(source: string): readonly number[] {
  if (lineIndex?.source === source) return lineIndex.starts;
  const starts = [0];
  for (let i = source.indexOf("\n"); i >= 0; i = source.indexOf("\n", i + 1)) starts.push(i + 1);
  lineIndex = { source, starts };
  return starts;
}

/**
 * Convert an offset into a 1-based line and column. The line starts of the source are
 * computed once and searched by bisection, so printing k diagnostics of an n-character
 * source costs O(n + k log n), not O(k·n).
 */
export function lineColOf(source: string, offset: number): LineCol {
  const end = Math.min(Math.max(offset, 0), source.length);
  const starts = lineStarts(source);
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (starts[mid]! <= end) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, col: end - starts[lo]! + 1 };
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

/**
 * The index of the first of `items` (in source order, non-overlapping) that ends after
 * `offset`, by bisection; `items.length` when none does. The printers place each comment
 * among a node's children with it, in logarithmic rather than linear time.
 */
export function firstEndingAfter(items: readonly { readonly span: Span }[], offset: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (items[mid]!.span.end <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A span covering both arguments. */
export function joinSpans(a: Span, b: Span): Span {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

/** Helper for exhaustive switches over discriminated unions. */
export function assertNever(x: never, what = "value"): never {
  throw new Error(`INVARIANT: unexpected ${what}: ${JSON.stringify(x)}`);
}
