import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  toHex,
  CanonicalJsonError,
  canonicalBytes,
  canonicalJson,
  contentId,
  findLoneSurrogate,
  isContentId,
  sha256Hex,
} from "../../compiler/canonical.js";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { conformanceData, describeConformance } from "../support/conformance.js";

const jcs = conformanceData("jcs/testdata");
const JCS = jcs.dir;
/** Exact number of RFC 8785 vectors in the corpus: a partly missing corpus fails. */
const JCS_VECTORS = 6;
const vectors = jcs.present ? readdirSync(join(JCS, "input")).filter((f) => f.endsWith(".json")).sort() : [];

function hexOf(text: string): Uint8Array {
  const digits = text.trim().split(/\s+/).filter((d) => d !== "");
  return Uint8Array.from(digits.map((d) => parseInt(d, 16)));
}

describeConformance("RFC 8785 conformance vectors", jcs, () => {
  it("finds the vectors", () => {
    expect(vectors.length).toBe(JCS_VECTORS);
  });

  for (const name of vectors) {
    it(`${name}: input canonicalizes to exactly output bytes (and outhex)`, () => {
      const input: unknown = JSON.parse(readFileSync(join(JCS, "input", name), "utf8"));
      const expected = new Uint8Array(readFileSync(join(JCS, "output", name)));
      const expectedHex = hexOf(readFileSync(join(JCS, "outhex", name.replace(/\.json$/, ".txt")), "utf8"));
      expect(expectedHex).toEqual(expected);
      const bytes = canonicalBytes(input);
      expect(Buffer.from(bytes).toString("hex")).toBe(Buffer.from(expected).toString("hex"));
      expect(canonicalJson(input)).toBe(new TextDecoder().decode(expected));
    });
  }
});

describe("toHex", () => {
  it("is two lowercase digits per byte, for any bytes and any view into a larger buffer (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(8), fc.nat(8), (bytes, before, after) => {
        const big = new Uint8Array(before + bytes.length + after).fill(0xee);
        big.set(bytes, before);
        const view = big.subarray(before, before + bytes.length);
        const expected = Array.from(bytes, (b) => (b < 16 ? "0" : "") + b.toString(16)).join("");
        expect(toHex(view)).toBe(expected);
        expect(toHex(bytes)).toBe(expected);
      }),
      { numRuns: 500, seed: 16 },
    );
  });
});

describe("ids", () => {
  it("sha256Hex matches the FIPS 180-2 'abc' vector", () => {
    expect(sha256Hex(new TextEncoder().encode("abc"))).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it("contentId is sha256: + hex of canonical bytes", () => {
    const id = contentId({ b: 1, a: [true, null, "x"] });
    expect(isContentId(id)).toBe(true);
    expect(id).toBe(`sha256:${sha256Hex(new TextEncoder().encode('{"a":[true,null,"x"],"b":1}'))}`);
  });

  it("isContentId rejects malformed ids", () => {
    expect(isContentId("sha256:" + "a".repeat(63))).toBe(false);
    expect(isContentId("sha256:" + "A".repeat(64))).toBe(false);
    expect(isContentId("sha512:" + "a".repeat(64))).toBe(false);
  });
});

describe("values JCS cannot represent are rejected", () => {
  class Thing {
    x = 1;
  }
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const cases: [string, unknown][] = [
    ["bigint", { a: 1n }],
    ["undefined at root", undefined],
    ["undefined member", { a: undefined }],
    ["undefined in array", [1, undefined]],
    ["NaN", [NaN]],
    ["Infinity", { x: Infinity }],
    ["-Infinity", -Infinity],
    ["function", { f: () => 1 }],
    ["symbol", Symbol("s")],
    ["class instance", { t: new Thing() }],
    ["Date", new Date(0)],
    ["Map", new Map()],
    ["cycle", cyclic],
    ["array hole", [1, , 3]],
    ["lone surrogate in string", "\ud800"],
    ["lone surrogate in key", { "\udc00": 1 }],
  ];
  for (const [label, value] of cases) {
    it(label, () => {
      expect(() => canonicalJson(value)).toThrow(CanonicalJsonError);
      expect(() => contentId(value)).toThrow(CanonicalJsonError);
    });
  }

  it("names the path of the offending value", () => {
    try {
      canonicalJson({ a: [0, { "b/c": 2n }] });
      expect.unreachable("should have thrown");
    } catch (e) {
      expect(e).toBeInstanceOf(CanonicalJsonError);
      expect((e as CanonicalJsonError).path).toBe("/a/1/b~1c");
    }
  });

  it("accepts null-prototype objects and shared (non-cyclic) references", () => {
    const shared = { k: 1 };
    const o = Object.create(null) as Record<string, unknown>;
    o.z = shared;
    o.y = shared;
    expect(canonicalJson(o)).toBe('{"y":{"k":1},"z":{"k":1}}');
  });
});

/** Rebuild a JSON value with every object's keys inserted in a permuted order. */
function permuteKeys(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => permuteKeys(v, seed + i + 1));
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    let s = seed >>> 0;
    for (let i = keys.length - 1; i > 0; i--) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const j = s % (i + 1);
      [keys[i], keys[j]] = [keys[j]!, keys[i]!];
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      // defineProperty, not assignment: a "__proto__" key must stay an own property.
      Object.defineProperty(out, k, {
        value: permuteKeys((value as Record<string, unknown>)[k], seed + k.length),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

/** Every path to a leaf (non-container or empty container) of a JSON value. */
function leafPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) {
    if (value.length === 0) return [prefix];
    return value.flatMap((v, i) => leafPaths(v, [...prefix, i]));
  }
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    if (keys.length === 0) return [prefix];
    return keys.flatMap((k) => leafPaths((value as Record<string, unknown>)[k], [...prefix, k]));
  }
  return [prefix];
}

function replaceAt(value: unknown, path: (string | number)[], leaf: unknown): unknown {
  if (path.length === 0) return leaf;
  const [head, ...rest] = path;
  if (Array.isArray(value)) return value.map((v, i) => (i === head ? replaceAt(v, rest, leaf) : v));
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  Object.defineProperty(out, head as string, {
    value: replaceAt(out[head as string], rest, leaf),
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return out;
}

const jsonValue = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const jsonLeaf = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.string(),
);

describe("properties", () => {
  it("an own __proto__ key is data, not a prototype", () => {
    const v = JSON.parse('{"b":1,"__proto__":{"x":2}}') as unknown;
    expect(canonicalJson(v)).toBe('{"__proto__":{"x":2},"b":1}');
    expect(contentId(permuteKeys(v, 3))).toBe(contentId(v));
  });

  it("key insertion order never changes the bytes or the id", () => {
    fc.assert(
      fc.property(jsonValue, fc.integer(), (v, seed) => {
        const p = permuteKeys(v, seed);
        expect(canonicalJson(p)).toBe(canonicalJson(v));
        expect(contentId(p)).toBe(contentId(v));
      }),
      { numRuns: 300 },
    );
  });

  it("canonical text parses back to an equal value and is a fixed point", () => {
    fc.assert(
      fc.property(jsonValue, (v) => {
        const text = canonicalJson(v);
        const back: unknown = JSON.parse(text);
        expect(canonicalJson(back)).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it("changing any leaf value changes the id", () => {
    fc.assert(
      fc.property(jsonValue, fc.nat(), jsonLeaf, (v, pick, leaf) => {
        const paths = leafPaths(v);
        const path = paths[pick % paths.length]!;
        const old = path.reduce<unknown>((node, step) => (node as Record<string | number, unknown>)[step], v);
        // A change of the leaf's JSON meaning (-0 and 0 are the same JSON number) must change the id.
        fc.pre(canonicalJson(leaf) !== canonicalJson(old));
        expect(contentId(replaceAt(v, path, leaf))).not.toBe(contentId(v));
      }),
      { numRuns: 300 },
    );
  });
});

describe("fast paths of the id helpers", () => {
  /** JSON-like values whose strings and keys may hold lone surrogates, and `span` fields. */
  const arbSurrogateString = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.constantFrom("\ud800", "a\udc00b", "\ud83d\ude00"));
  const arbTree = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: "small" },
      arbSurrogateString,
      fc.integer(),
      fc.constant(null),
      fc.array(tie("node"), { maxLength: 4 }),
      fc.dictionary(arbSurrogateString, tie("node"), { maxKeys: 4 }),
      fc.record({ span: fc.record({ start: fc.nat(), end: fc.nat() }), v: tie("node") }),
    ),
  })).node;

  /** Well-formed UTF-16, by an independent oracle: `encodeURIComponent` throws on a lone surrogate. */
  function wf(s: string): boolean {
    try {
      encodeURIComponent(s);
      return true;
    } catch {
      return false;
    }
  }

  /** The definition: every string and key reached without going into a `span`. */
  function illFormedSomewhere(v: unknown): boolean {
    if (typeof v === "string") return !wf(v);
    if (v === null || typeof v !== "object") return false;
    return Object.entries(v).some(([k, x]) => !wf(k) || (k !== "span" && illFormedSomewhere(x)));
  }

  it("findLoneSurrogate finds one exactly when a string or key holds one, and its path leads to it", () => {
    fc.assert(
      fc.property(arbTree, (v) => {
        const at = findLoneSurrogate(v);
        expect(at !== undefined).toBe(illFormedSomewhere(v));
        if (at === undefined) return;
        // Follow the path: its last step is an ill-formed key, or leads to an ill-formed string.
        const steps = at.path.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
        let here: unknown = v;
        for (let i = 0; i < steps.length; i++) {
          const key = steps[i]!;
          if (i === steps.length - 1 && !wf(key)) return;
          here = (here as Record<string, unknown>)[key];
        }
        expect(typeof here === "string" && !wf(here)).toBe(true);
      }),
      { numRuns: 300, seed: 8 },
    );
  });

  it("sha256Hex (native hashing in Node) equals @noble/hashes on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(sha256Hex(bytes)).toBe(Buffer.from(nobleSha256(bytes)).toString("hex"));
      }),
      { numRuns: 200, seed: 9 },
    );
  });
});
