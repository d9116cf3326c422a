/**
 * AST comparison helpers for tests: drop every `span` (and the comment list) so
 * that two parses of differently laid-out text compare equal when they mean the same.
 */

/** A deep copy of `node` without `span` fields; bigints are kept as bigints. */
export function stripSpans(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripSpans);
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    if (k === "span") continue;
    out[k] = stripSpans(v);
  }
  return out;
}

/** `stripSpans` that also drops the top-level `comments` list (compare comments with `commentTexts`). */
export function stripSpansAndComments(node: unknown): unknown {
  const s = stripSpans(node);
  if (s !== null && typeof s === "object" && !Array.isArray(s)) {
    const { comments: _ignored, ...rest } = s as Record<string, unknown>;
    return rest;
  }
  return s;
}

/** The texts of a file's comments, trailing whitespace removed, in source order. */
export function commentTexts(ast: { readonly comments: readonly { readonly text: string }[] }): string[] {
  return ast.comments.map((c) => c.text.trimEnd());
}
