/**
 * JSON parsing with a precise error offset, for markers in the entities and
 * request editors (the engine's `JSON.parse` messages do not always carry one).
 */

/** Parsed JSON, or the offset and message of the first syntax error. */
export type JsonResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly offset: number; readonly message: string };

class JsonSyntaxError {
  constructor(
    readonly offset: number,
    readonly message: string,
  ) {}
}

/** A top-level member of a JSON value: an array element (key undefined) or an object entry. */
export interface TopLevelMember {
  readonly key: string | undefined;
  readonly start: number;
  readonly end: number;
}

/**
 * Throw a JsonSyntaxError at the first syntax error of `text`; return when it is valid.
 * `top` receives the span of each member of the top-level array or object.
 */
function scan(text: string, top?: (m: TopLevelMember) => void): void {
  let i = 0;
  const fail = (msg: string): never => {
    throw new JsonSyntaxError(i, msg);
  };
  const ws = (): void => {
    while (i < text.length && " \t\r\n".includes(text[i]!)) i++;
  };
  const str = (): void => {
    i++; // opening quote
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') {
        i++;
        return;
      }
      if (c === "\\") {
        const n = text[i + 1];
        if (n === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail("invalid \\u escape");
          i += 6;
        } else if (n !== undefined && '"\\/bfnrt'.includes(n)) i += 2;
        else fail("invalid escape in string");
      } else if (c < " ") fail("control character in string");
      else i++;
    }
    fail("unterminated string");
  };
  const value = (depth: number): void => {
    if (depth > 512) fail("nesting too deep");
    ws();
    const c = text[i];
    if (c === undefined) fail("unexpected end of input");
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail("expected a string key");
        const keyStart = i;
        str();
        const key = JSON.parse(text.slice(keyStart, i)) as string;
        ws();
        if (text[i] !== ":") fail("expected `:`");
        i++;
        ws();
        const start = i;
        value(depth + 1);
        if (depth === 0) top?.({ key, start, end: i });
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return;
        }
        fail("expected `,` or `}`");
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") {
        i++;
        return;
      }
      for (;;) {
        ws();
        const start = i;
        value(depth + 1);
        if (depth === 0) top?.({ key: undefined, start, end: i });
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return;
        }
        fail("expected `,` or `]`");
      }
    }
    if (c === '"') return str();
    const lit = /^(?:true|false|null|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)/.exec(text.slice(i, i + 400));
    if (lit === null) fail(`unexpected character \`${c}\``);
    i += lit![0].length;
  };
  value(0);
  ws();
  if (i < text.length) fail("unexpected text after the JSON value");
}

/** Parse JSON text; on failure give the offset of the first error. */
export function parseJson(text: string): JsonResult {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    try {
      scan(text);
    } catch (e) {
      if (e instanceof JsonSyntaxError) return { ok: false, offset: e.offset, message: e.message };
      throw e;
    }
    return { ok: false, offset: 0, message: "malformed JSON" };
  }
}

/** The members of the top-level array or object of valid JSON text (empty for invalid text). */
export function topLevelMembers(text: string): TopLevelMember[] {
  const out: TopLevelMember[] = [];
  try {
    scan(text, (m) => out.push(m));
  } catch (e) {
    if (e instanceof JsonSyntaxError) return [];
    throw e;
  }
  return out;
}
