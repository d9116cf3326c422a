/**
 * Mutators for the fuzz suite: fast-check arbitraries that take a valid seed (policy text,
 * schema text, a JSON value) and break it a little — or a lot — the way a careless or hostile
 * author would: tokens inserted, ranges deleted, repeated or swapped, lone surrogates and
 * control characters, huge numbers, deep nesting, values replaced at random JSON paths.
 *
 * Everything is a pure function of the fast-check seed, so a failure replays from its seed.
 */
import fc from "fast-check";

/** Tokens and fragments that stress the policy and schema grammars. */
const TOKENS: readonly string[] = [
  "(", ")", "[", "]", "{", "}", '"', "\\", "@", ";", ",", "::", ".", "*", "==", "!=", "<", ">=", "&&", "||", "!", "-", "+",
  "if", "then", "else", "has", "like", "in", "is", "permit", "forbid", "when", "unless", "principal", "action", "resource",
  "context", "lineage", "true", "false", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "0", "1e2",
  'ip("', 'decimal("', 'datetime("', 'duration("', '.any(x, ', ".all(", "x", "?principal", "?resource", "obligations",
  "entity", "namespace", "type", "action", "appliesTo", "principal:", "Set<", "Long", "String", "enum", "tags", "memberOfTypes",
  "__cedar", "__proto__", 'Action::"', 'User::"', ".contains(", ".isInRange(", ".getTag(", "\uD800", "\uDC00", "\u0000",
  "\u2028", "\uFEFF", "😀", "// c\n", "\n", " ", "\\u{D800}", "\\x7f", "\\*",
];

/** One edit of a text; positions are taken modulo the text length when applied. */
type TextEdit =
  | { readonly op: "insert"; readonly at: number; readonly text: string }
  | { readonly op: "delete"; readonly at: number; readonly len: number }
  | { readonly op: "repeat"; readonly at: number; readonly len: number; readonly times: number }
  | { readonly op: "swap"; readonly a: number; readonly b: number; readonly len: number }
  | { readonly op: "nest"; readonly at: number; readonly open: string; readonly close: string; readonly times: number };

const textEdit: fc.Arbitrary<TextEdit> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant("insert" as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 4, unit: "binary" })) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("delete" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 12 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("repeat" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }), times: fc.integer({ min: 2, max: 300 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("swap" as const), a: fc.nat(), b: fc.nat(), len: fc.integer({ min: 1, max: 10 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("nest" as const),
      at: fc.nat(),
      open: fc.constantFrom("(", "[", "{a: ", "if true then ", "!", "-", "Set<"),
      close: fc.constantFrom(")", "]", "}", " else 1", "", ">"),
      times: fc.integer({ min: 1, max: 400 }),
    }),
  },
);

function applyEdit(text: string, e: TextEdit): string {
  const n = text.length;
  const at = (p: number): number => (n === 0 ? 0 : p % (n + 1));
  switch (e.op) {
    case "insert": {
      const p = at(e.at);
      return text.slice(0, p) + e.text + text.slice(p);
    }
    case "delete": {
      const p = at(e.at);
      return text.slice(0, p) + text.slice(p + e.len);
    }
    case "repeat": {
      const p = at(e.at);
      return text.slice(0, p) + text.slice(p, p + e.len).repeat(e.times) + text.slice(p + e.len);
    }
    case "swap": {
      const [a, b] = [at(e.a), at(e.b)].sort((x, y) => x - y) as [number, number];
      if (a + e.len > b) return text;
      return text.slice(0, a) + text.slice(b, b + e.len) + text.slice(a + e.len, b) + text.slice(a, a + e.len) + text.slice(b + e.len);
    }
    case "nest": {
      const p = at(e.at);
      return text.slice(0, p) + e.open.repeat(e.times) + text.slice(p) + e.close.repeat(e.times);
    }
  }
}

/** A seed from `seeds`, then up to `maxEdits` edits (zero edits keeps some inputs valid). */
export function mutatedText(seeds: readonly string[], maxEdits = 6): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom(...seeds), fc.array(textEdit, { maxLength: maxEdits })).map(([seed, edits]) => edits.reduce(applyEdit, seed));
}

/** JSON-ish values that stress readers: wrong types, odd numbers, escapes, big and deep values. */
const ODD_VALUES: readonly unknown[] = [
  null, true, false, 0, -1, 1.5, -0, 2 ** 53 + 2, Number.MAX_SAFE_INTEGER, 9223372036854775808n, -9223372036854775809n, 9223372036854775807n,
  "", "\uD800", "a\u0000b", "😀", "__proto__", "Action", "1.2.3.4", "2024-01-01", "1h", "1.5", {}, [], [[]],
  { __entity: { type: "User", id: "alice" } }, { __entity: { type: "", id: "x" } }, { __entity: "User::\"a\"" },
  { __extn: { fn: "ip", arg: "10.0.0.1" } }, { __extn: { fn: "decimal", arg: "nope" } }, { __extn: { fn: "offset", args: [] } }, { __extn: { fn: "nope", arg: "" } },
  { type: "User", id: "alice" }, { type: "Action", id: "view" }, { type: 1, id: [] }, { __long: "1" },
];

/** An edit of a JSON value at a path of child indices (taken modulo the number of children). */
type JsonEdit = { readonly path: readonly number[]; readonly op: "replace" | "delete" | "duplicate" | "wrap" | "rename" | "deepen"; readonly value: number; readonly key: string };

const jsonEdit: fc.Arbitrary<JsonEdit> = fc.record({
  path: fc.array(fc.nat(), { maxLength: 7 }),
  op: fc.constantFrom("replace", "replace", "replace", "delete", "duplicate", "wrap", "rename", "deepen"),
  value: fc.nat(),
  key: fc.constantFrom("__proto__", "__entity", "__extn", "constructor", "", "uid", "attrs", "parents", "tags", "id", "type", "kind", "\uD800", "extra"),
});

function children(x: unknown): [string | number, unknown][] {
  if (Array.isArray(x)) return x.map((v, i) => [i, v]);
  if (x !== null && typeof x === "object") return Object.entries(x);
  return [];
}

function copyWith(x: unknown, k: string | number, v: unknown, drop = false): unknown {
  if (Array.isArray(x)) {
    const out = [...x];
    if (drop) out.splice(k as number, 1);
    else out[k as number] = v;
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const [key, val] of Object.entries(x as object)) {
    if (key === k && drop) continue;
    Object.defineProperty(out, key, { value: key === k ? v : val, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function applyJsonEdit(x: unknown, e: JsonEdit, depth = 0): unknown {
  const kids = children(x);
  if (depth < e.path.length && kids.length > 0) {
    const [k, v] = kids[e.path[depth]! % kids.length]!;
    if (depth === e.path.length - 1 && (e.op === "delete" || e.op === "duplicate" || e.op === "rename")) {
      if (e.op === "delete") return copyWith(x, k, undefined, true);
      if (e.op === "duplicate") return Array.isArray(x) ? [...x, v] : copyWith(x, k, v);
      if (!Array.isArray(x)) {
        const renamed = copyWith(x, k, undefined, true) as Record<string, unknown>;
        Object.defineProperty(renamed, e.key, { value: v, enumerable: true, writable: true, configurable: true });
        return renamed;
      }
    }
    return copyWith(x, k, applyJsonEdit(v, e, depth + 1));
  }
  switch (e.op) {
    case "wrap":
      return [x];
    case "deepen": {
      let v: unknown = x;
      for (let i = 0; i < 50 + (e.value % 700); i++) v = e.value % 2 === 0 ? [v] : { a: v };
      return v;
    }
    default:
      return ODD_VALUES[e.value % ODD_VALUES.length];
  }
}

/** A seed value, then up to `maxEdits` structural edits. */
export function mutatedJson(seeds: readonly unknown[], maxEdits = 4): fc.Arbitrary<unknown> {
  return fc.tuple(fc.constantFrom(...seeds), fc.array(jsonEdit, { maxLength: maxEdits })).map(([seed, edits]) => edits.reduce((x, e) => applyJsonEdit(x, e), seed));
}

/** JSON text of a value (bigints as plain integers), for the text-level readers. */
export function jsonText(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) => (typeof v === "bigint" ? `@@${v.toString()}@@` : v))?.replace(/"@@(-?\d+)@@"/g, "$1") ?? "null";
}

/** Shapes that go right up to (and past) the parser's and compiler's limits, at random lengths. */
const SHAPES: readonly ((n: number) => string)[] = [
  (n) => `[1]${".isEmpty()".repeat(n)}`,
  (n) => `principal${".a".repeat(n)}`,
  (n) => `principal${".a".repeat(n)} has ${Array.from({ length: 1 + (n % 20) }, (_, i) => `b${i}`).join(".")}`,
  (n) => `${Array(n + 1).fill("1").join(" + ")} == 1`,
  (n) => `${Array(n + 1).fill("true").join(" && ")}`,
  (n) => `${"[".repeat(n % 120)}1${"]".repeat(n % 120)} == 1`,
  (n) => `${"if true then ".repeat(n % 120)}true${" else false".repeat(n % 120)}`,
  (n) => `[${Array.from({ length: n }, (_, i) => `{k${i}: ${i}}`).join(", ")}].contains(1)`,
  (n) => `context${'["x"]'.repeat(n)} like "${"a*".repeat(n % 300)}"`,
  (n) => `[1].any(x, ${"[1].all(y, ".repeat(n % 110)}true${")".repeat(n % 110)})`,
];

/** A policy whose condition is one of {@link SHAPES}, 1 to 1,200 long. */
export const limitPolicy: fc.Arbitrary<string> = fc
  .tuple(fc.nat({ max: SHAPES.length - 1 }), fc.integer({ min: 1, max: 1200 }), fc.constantFrom("permit", "forbid"))
  .map(([k, n, effect]) => `${effect}(principal, action, resource) when { ${SHAPES[k]!(n)} };`);
