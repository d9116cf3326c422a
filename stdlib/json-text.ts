/**
 * JSON text ↔ `JsonValue` without losing 64-bit integers.
 *
 * `JSON.parse` turns `9223372036854775807` into a rounded float; Cedar
 * Longs are exact 64-bit integers. `parseJsonText` is a strict RFC 8259
 * parser that yields a `bigint` for every integer literal outside ±2^53,
 * reports duplicate object keys, limits nesting, and never throws.
 *
 * Numbers: every JSON input of Writ (entities, requests, contexts, test files, bundles) holds
 * integers only, and Cedar refuses a number written with a fraction, an exponent or as `-0`
 * even when its value is whole (`1.0`, `1e2`, `100.000`, `-0` are floats to Cedar's reader). So
 * are they here, with the number as written: once `JSON.parse` has made `1e2` into `100`, no
 * later stage can tell it from `100`.
 *
 * `stringifyJson` writes `JsonValue`s, including `bigint`s.
 */
import type { JsonValue } from "./json.js";

/** Maximum nesting depth accepted by `parseJsonText`. */
export const MAX_JSON_TEXT_DEPTH = 512;

/** Result of `parseJsonText`: the value, or an error with its offset in the text. */
export type JsonTextResult =
  | { readonly ok: true; readonly value: JsonValue }
  | { readonly ok: false; readonly error: string; readonly offset: number };

class ParseFailure {
  constructor(
    readonly message: string,
    readonly offset: number,
  ) {}
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

class Parser {
  pos = 0;
  constructor(readonly text: string) {}

  fail(message: string, at = this.pos): never {
    throw new ParseFailure(message, at);
  }

  ws(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.pos++;
      else break;
    }
  }

  value(depth: number): JsonValue {
    if (depth > MAX_JSON_TEXT_DEPTH) this.fail(`JSON nested deeper than ${MAX_JSON_TEXT_DEPTH}`);
    this.ws();
    const c = this.text[this.pos];
    switch (c) {
      case "{":
        return this.object(depth);
      case "[":
        return this.array(depth);
      case '"':
        return this.string();
      case "t":
        return this.word("true", true);
      case "f":
        return this.word("false", false);
      case "n":
        return this.word("null", null);
      case undefined:
        return this.fail("unexpected end of JSON input");
      default:
        return this.number();
    }
  }

  word<T extends JsonValue>(w: string, v: T): T {
    if (!this.text.startsWith(w, this.pos)) this.fail(`unexpected token in JSON`);
    this.pos += w.length;
    return v;
  }

  number(): number | bigint {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (m === null) this.fail("unexpected token in JSON");
    const written = m[0];
    if (m[1] !== undefined || m[2] !== undefined || written === "-0") {
      const shown = written.length > 40 ? `${written.slice(0, 40)}…` : written;
      this.fail(`number \`${shown}\` is not an integer as written: Cedar JSON numbers are integers without fraction, exponent or minus zero`);
    }
    this.pos += written.length;
    const n = Number(written);
    return Number.isSafeInteger(n) ? n : BigInt(written);
  }

  string(): string {
    const t = this.text;
    const start = this.pos;
    this.pos++;
    let out = "";
    let chunk = this.pos;
    for (;;) {
      if (this.pos >= t.length) this.fail("unterminated string in JSON", start);
      const c = t.charCodeAt(this.pos);
      if (c === 34) {
        out += t.slice(chunk, this.pos);
        this.pos++;
        return out;
      }
      if (c < 32) this.fail("control character in JSON string");
      if (c !== 92) {
        this.pos++;
        continue;
      }
      out += t.slice(chunk, this.pos);
      const e = t[this.pos + 1];
      const simple: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
      if (e !== undefined && simple[e] !== undefined) {
        out += simple[e];
        this.pos += 2;
      } else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(t.slice(this.pos + 2, this.pos + 6))) {
        out += String.fromCharCode(parseInt(t.slice(this.pos + 2, this.pos + 6), 16));
        this.pos += 6;
      } else {
        this.fail("invalid escape in JSON string");
      }
      chunk = this.pos;
    }
  }

  array(depth: number): JsonValue[] {
    this.pos++;
    const out: JsonValue[] = [];
    this.ws();
    if (this.text[this.pos] === "]") {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.text[this.pos];
      this.pos++;
      if (c === "]") return out;
      if (c !== ",") this.fail("expected `,` or `]` in JSON array", this.pos - 1);
    }
  }

  object(depth: number): { [key: string]: JsonValue } {
    this.pos++;
    const out: { [key: string]: JsonValue } = {};
    const seen = new Set<string>();
    this.ws();
    if (this.text[this.pos] === "}") {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.text[this.pos] !== '"') this.fail("expected a string key in JSON object");
      const keyAt = this.pos;
      const key = this.string();
      if (seen.has(key)) this.fail(`duplicate key ${JSON.stringify(key)} in JSON object`, keyAt);
      seen.add(key);
      this.ws();
      if (this.text[this.pos] !== ":") this.fail("expected `:` in JSON object");
      this.pos++;
      const v = this.value(depth + 1);
      Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      this.ws();
      const c = this.text[this.pos];
      this.pos++;
      if (c === "}") return out;
      if (c !== ",") this.fail("expected `,` or `}` in JSON object", this.pos - 1);
    }
  }
}

/** Parse JSON text exactly (big integers as `bigint`); never throws. */
export function parseJsonText(text: string): JsonTextResult {
  const p = new Parser(text);
  try {
    const value = p.value(0);
    p.ws();
    if (p.pos !== text.length) p.fail("unexpected text after the JSON value");
    return { ok: true, value };
  } catch (e) {
    if (e instanceof ParseFailure) return { ok: false, error: e.message, offset: e.offset };
    if (e instanceof RangeError) return { ok: false, error: "JSON nested too deeply", offset: p.pos };
    throw e;
  }
}

/**
 * `JSON.stringify` for `JsonValue`s that may hold `bigint`s (written as
 * plain integer literals). `indent` as in `JSON.stringify` (spaces per level).
 */
export function stringifyJson(value: JsonValue, indent = 0): string {
  const pad = (level: number) => (indent > 0 ? "\n" + " ".repeat(indent * level) : "");
  const write = (v: JsonValue, level: number): string => {
    if (v === null || typeof v === "boolean" || typeof v === "string") return JSON.stringify(v);
    if (typeof v === "bigint") return v.toString();
    if (typeof v === "number") return Number.isFinite(v) ? JSON.stringify(v) : "null";
    if (Array.isArray(v)) {
      if (v.length === 0) return "[]";
      const items = (v as readonly JsonValue[]).map((x) => pad(level + 1) + write(x, level + 1));
      return `[${items.join(",")}${pad(level)}]`;
    }
    const obj = v as { readonly [key: string]: JsonValue };
    const keys = Object.keys(obj);
    if (keys.length === 0) return "{}";
    const sep = indent > 0 ? ": " : ":";
    const items = keys.map((k) => `${pad(level + 1)}${JSON.stringify(k)}${sep}${write(obj[k]!, level + 1)}`);
    return `{${items.join(",")}${pad(level)}}`;
  };
  return write(value, 0);
}
