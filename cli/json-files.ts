/**
 * JSON inputs of the CLI: exact parsing (64-bit integers kept) with error
 * positions, and positions of keys for structural errors.
 */
import { parseJsonText, type JsonValue } from "../stdlib/index.js";
import { fail, readTextFile, type TextFile } from "./io.js";

/** Parse JSON text exactly (64-bit integers kept), turning a syntax error into a W5002 failure at its line and column. */
export function parseJsonFile(file: TextFile): JsonValue {
  const r = parseJsonText(file.text);
  if (r.ok) return r.value;
  fail("W5002", `malformed JSON: ${r.error}`, { file: file.name, source: file.text, offset: r.offset });
}

/** Read and parse a JSON file (`-`: standard input). */
export function readJsonFile(path: string, name?: string): { file: TextFile; json: JsonValue } {
  const file = readTextFile(path, name);
  return { file, json: parseJsonFile(file) };
}

/** Offset of the first occurrence of `"key"` as an object key in JSON text, for positioning structural errors. */
export function offsetOfKey(text: string, key: string, from = 0): number | undefined {
  const needle = `${JSON.stringify(key)}`;
  let i = text.indexOf(needle, from);
  const colon = /\s*:/y;
  while (i >= 0) {
    colon.lastIndex = i + needle.length;
    if (colon.test(text)) return i;
    i = text.indexOf(needle, i + 1);
  }
  return undefined;
}
