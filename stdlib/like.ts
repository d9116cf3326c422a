/**
 * Cedar's `like` operator: a pattern of literal text and `*` wildcards, where
 * `*` matches any sequence of characters (including none) and everything
 * else matches itself exactly. (Escapes such as `\*` are resolved by the
 * parser into literal pattern elements.)
 *
 * Matching never backtracks exponentially: the pattern is split into the
 * literal segments between wildcards; the first segment must be a prefix, the
 * last a suffix, and the middle ones are found left to right at their
 * leftmost position, which is optimal when `*` is the only wildcard. The cost
 * is bounded by a few `indexOf` scans of the text.
 */
import type { PatternElem } from "../lang/ast.js";

/** A compiled matcher for one pattern. */
export type LikeMatcher = (text: string) => boolean;

/** The pattern normalised: literal segments around wildcards. */
interface Segments {
  /** Literal segments; there is a wildcard between each two consecutive ones. */
  readonly parts: readonly string[];
  /** True when the pattern has no wildcard (then `parts` has exactly one element). */
  readonly exact: boolean;
}

function segmentsOf(pattern: readonly PatternElem[]): Segments {
  const parts: string[] = [""];
  let exact = true;
  let afterWildcard = false;
  for (const e of pattern) {
    switch (e.kind) {
      case "literal":
        parts[parts.length - 1] += e.text;
        afterWildcard = false;
        break;
      case "wildcard":
        exact = false;
        // Consecutive wildcards collapse: `**` ≡ `*`.
        if (!afterWildcard) parts.push("");
        afterWildcard = true;
        break;
      default: {
        const never: never = e;
        throw new Error(`INVARIANT: unexpected pattern element ${JSON.stringify(never)}`);
      }
    }
  }
  return { parts, exact };
}

function matchSegments(text: string, parts: readonly string[]): boolean {
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (text.length < first.length + last.length) return false;
  if (!text.startsWith(first)) return false;
  if (!text.endsWith(last)) return false;
  let pos = first.length;
  const end = text.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const p = parts[i]!;
    if (p.length === 0) continue;
    const at = text.indexOf(p, pos);
    if (at < 0 || at + p.length > end) return false;
    pos = at + p.length;
  }
  return true;
}

/** Does `text` match the `like` pattern? */
export function likeMatch(text: string, pattern: readonly PatternElem[]): boolean {
  const s = segmentsOf(pattern);
  return s.exact ? text === s.parts[0] : matchSegments(text, s.parts);
}

/** Compile a pattern once into a fast matcher closure (specialised for common shapes). */
export function compileLike(pattern: readonly PatternElem[]): LikeMatcher {
  const { parts, exact } = segmentsOf(pattern);
  if (exact) {
    const lit = parts[0]!;
    return (text) => text === lit;
  }
  if (parts.length === 2) {
    const [pre, suf] = parts as [string, string];
    if (suf === "") return pre === "" ? () => true : (text) => text.startsWith(pre);
    if (pre === "") return (text) => text.endsWith(suf);
    const min = pre.length + suf.length;
    return (text) => text.length >= min && text.startsWith(pre) && text.endsWith(suf);
  }
  if (parts.length === 3 && parts[0] === "" && parts[2] === "") {
    const mid = parts[1]!;
    return (text) => text.includes(mid);
  }
  return (text) => matchSegments(text, parts);
}
