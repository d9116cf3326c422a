/**
 * Cedar string-literal decoding: escapes in string literals and in `like` patterns.
 *
 * Escapes: `\n \r \t \\ \0 \' \"`, `\xHH` (HH ≤ 7F) and `\u{H…}` (1–6 hex digits, a Unicode
 * scalar value). In a `like` pattern `\*` is a literal star and a bare `*` is the wildcard (so is
 * a star spelled `\x2a` or `\u{2a}`, as in Cedar).
 * Decoding never throws: invalid escapes are reported as {@link EscapeError}s and skipped.
 */
import type { PatternElem } from "./ast.js";

/** An invalid escape, located relative to the start of the raw token text (quotes included). */
export interface EscapeError {
  /** Offset of the backslash inside the raw token text. */
  readonly offset: number;
  /** Length of the invalid escape in the raw text (at least 1). */
  readonly length: number;
  /** The escape as written, e.g. `\q`. */
  readonly text: string;
}

/** The result of decoding a string literal. */
export interface DecodedString {
  readonly value: string;
  readonly errors: readonly EscapeError[];
}

/** The result of decoding a `like` pattern literal. */
export interface DecodedPattern {
  readonly pattern: readonly PatternElem[];
  readonly errors: readonly EscapeError[];
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  n: "\n",
  r: "\r",
  t: "\t",
  "\\": "\\",
  "0": "\0",
  "'": "'",
  '"': '"',
};

function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9a-fA-F]$/.test(c);
}

/**
 * Decode one escape starting at `raw[i] === "\\"`. Returns the decoded text (undefined when
 * invalid) and the index just after the escape.
 */
function decodeEscape(raw: string, i: number, end: number, pattern: boolean): { text: string | undefined; next: number } {
  const c = raw[i + 1];
  if (c === undefined || i + 1 >= end) return { text: undefined, next: i + 1 };
  const simple = SIMPLE_ESCAPES[c];
  if (simple !== undefined) return { text: simple, next: i + 2 };
  if (c === "*" && pattern) return { text: "*", next: i + 2 };
  if (c === "x") {
    const h1 = raw[i + 2];
    const h2 = raw[i + 3];
    if (i + 3 < end && isHex(h1) && isHex(h2)) {
      const code = parseInt(`${h1}${h2}`, 16);
      if (code <= 0x7f) return { text: String.fromCharCode(code), next: i + 4 };
      return { text: undefined, next: i + 4 };
    }
    return { text: undefined, next: i + 2 };
  }
  if (c === "u") {
    if (raw[i + 2] !== "{") return { text: undefined, next: i + 2 };
    let j = i + 3;
    while (j < end && isHex(raw[j])) j++;
    const digits = raw.slice(i + 3, j);
    if (raw[j] !== "}" || j >= end) return { text: undefined, next: j };
    const next = j + 1;
    if (digits.length === 0 || digits.length > 6) return { text: undefined, next };
    const code = parseInt(digits, 16);
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return { text: undefined, next };
    return { text: String.fromCodePoint(code), next };
  }
  return { text: undefined, next: i + 2 };
}

/** Strip the surrounding quotes of a raw literal (tolerates a missing closing quote). */
function bodyBounds(raw: string): { start: number; end: number } {
  const start = raw.startsWith('"') ? 1 : 0;
  let end = raw.length;
  if (end > start && raw.endsWith('"') && !endsWithEscapedQuote(raw)) end -= 1;
  return { start, end };
}

/** True when the final `"` of `raw` is escaped (an unterminated literal ending in `\"`). */
function endsWithEscapedQuote(raw: string): boolean {
  let backslashes = 0;
  for (let k = raw.length - 2; k >= 1 && raw[k] === "\\"; k--) backslashes++;
  return backslashes % 2 === 1;
}

/**
 * Decode a raw string literal as lexed (with its quotes) into its value.
 * Invalid escapes are reported and dropped from the value.
 */
export function decodeString(raw: string): DecodedString {
  const { start, end } = bodyBounds(raw);
  if (raw.indexOf("\\", start) < 0) return { value: raw.slice(start, end), errors: [] };
  let out = "";
  const errors: EscapeError[] = [];
  let i = start;
  while (i < end) {
    const ch = raw[i]!;
    if (ch !== "\\") {
      out += ch;
      i++;
      continue;
    }
    const { text, next } = decodeEscape(raw, i, end, false);
    if (text === undefined) errors.push({ offset: i, length: Math.max(1, next - i), text: raw.slice(i, Math.max(next, i + 1)) });
    else out += text;
    i = Math.max(next, i + 1);
  }
  return { value: out, errors };
}

/**
 * Decode a raw `like` pattern literal (with its quotes): `*` is a wildcard, `\*` a literal star
 * (a star written as `\x2a` or `\u{2a}` is a wildcard too, as in Cedar).
 * Adjacent literal characters are merged into one literal element; wildcards are kept as written.
 */
export function decodePattern(raw: string): DecodedPattern {
  const { start, end } = bodyBounds(raw);
  const pattern: PatternElem[] = [];
  const errors: EscapeError[] = [];
  let lit = "";
  const flush = (): void => {
    if (lit.length > 0) {
      pattern.push({ kind: "literal", text: lit });
      lit = "";
    }
  };
  let i = start;
  while (i < end) {
    const ch = raw[i]!;
    if (ch === "*") {
      flush();
      pattern.push({ kind: "wildcard" });
      i++;
      continue;
    }
    if (ch !== "\\") {
      lit += ch;
      i++;
      continue;
    }
    const { text, next } = decodeEscape(raw, i, end, true);
    if (text === undefined) errors.push({ offset: i, length: Math.max(1, next - i), text: raw.slice(i, Math.max(next, i + 1)) });
    else if (text === "*" && raw[i + 1] !== "*") {
      // NOTE: as in Cedar, only `\*` is a literal star; a star spelled `\x2a` or `\u{2a}` is a wildcard.
      flush();
      pattern.push({ kind: "wildcard" });
    } else lit += text;
    i = Math.max(next, i + 1);
  }
  flush();
  return { pattern, errors };
}

/**
 * True when `s` is well-formed UTF-16: no unpaired surrogate. Text read from a file never has
 * one (a decoder replaces invalid bytes), but a string handed to the library may; it has no
 * UTF-8 form, so it can be neither hashed into an id nor written to a file.
 */
export function isWellFormedText(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c > 0xdbff) return false;
    const d = s.charCodeAt(i + 1);
    if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
    i++;
  }
  return true;
}

/**
 * Encode a string value as a Cedar string literal (with quotes), escaping what must be escaped.
 * The inverse of {@link decodeString} for every string.
 */
export function encodeString(value: string): string {
  return `"${escapeBody(value, false)}"`;
}

/** Encode a `like` pattern as a Cedar pattern literal (with quotes): literal stars become `\*`. */
export function encodePattern(pattern: readonly PatternElem[]): string {
  let out = "";
  for (const e of pattern) out += e.kind === "wildcard" ? "*" : escapeBody(e.text, true);
  return `"${out}"`;
}

function escapeBody(value: string, pattern: boolean): string {
  let out = "";
  for (const ch of value) {
    switch (ch) {
      case "\\":
        out += "\\\\";
        break;
      case '"':
        out += '\\"';
        break;
      case "\n":
        out += "\\n";
        break;
      case "\r":
        out += "\\r";
        break;
      case "\t":
        out += "\\t";
        break;
      case "\0":
        out += "\\0";
        break;
      case "*":
        out += pattern ? "\\*" : "*";
        break;
      default: {
        const code = ch.codePointAt(0)!;
        out += code < 0x20 || code === 0x7f ? `\\u{${code.toString(16)}}` : ch;
      }
    }
  }
  return out;
}
