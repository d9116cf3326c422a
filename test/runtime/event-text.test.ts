import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { CanonicalJsonError, canonicalBytes } from "../../compiler/canonical.js";
import { eventBytes } from "../../runtime/lineage/event-text.js";
import { conformanceData, describeConformance } from "../support/conformance.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** The outcome of a serializer: its bytes as hex, or the error class and message. */
function outcome(f: (v: unknown) => Uint8Array, v: unknown): string {
  try {
    return hex(f(v));
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
}

/** Strings with escapes, astral characters, lone surrogates and U+2028. */
const oddString = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.constantFrom("\u0000", "\u001f", '"', "\\", "\u2028", "\ud83d\ude00", "\ud800", "x\udc00y", "é", "\u007f"),
);

const jsonish = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    fc.constantFrom(0, -0, 1e21, 1e-7, 5e-324, Number.MAX_SAFE_INTEGER, 0.1 + 0.2),
    oddString,
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(oddString, tie("value"), { maxKeys: 6 }),
  ),
})).value;

describe("eventBytes", () => {
  it("equals canonicalBytes on every JSON-like value, or throws the same error (property)", () => {
    fc.assert(
      fc.property(jsonish, (v) => {
        expect(outcome(eventBytes, v)).toBe(outcome(canonicalBytes, v));
      }),
      { numRuns: 2000, seed: 8785 },
    );
  });

  it("orders keys as canonicalBytes does on short key lists (sorted in place) and long ones (property)", () => {
    const wide = fc.dictionary(oddString, fc.oneof(fc.integer(), oddString, fc.dictionary(oddString, fc.boolean(), { maxKeys: 20 })), { minKeys: 0, maxKeys: 40 });
    fc.assert(
      fc.property(wide, (v) => {
        expect(outcome(eventBytes, v)).toBe(outcome(canonicalBytes, v));
      }),
      { numRuns: 500, seed: 6962 },
    );
  });

  it("gives a plain Uint8Array whose slice() is a copy (stores keep what they copy)", () => {
    const bytes = eventBytes({ a: 1 });
    expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype);
    const kept = bytes.slice();
    bytes[1] = 0x21;
    expect(new TextDecoder().decode(kept)).toBe('{"a":1}');
  });

  it("refuses what canonicalBytes refuses: undefined, NaN, bigint, class instances, toJSON, holes, symbol keys, cycles", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic["self"] = cyclic;
    const bad: unknown[] = [
      { a: undefined },
      [Number.NaN],
      { n: Infinity },
      { b: 1n },
      new Date(0),
      { toJSON: () => 1 },
      // eslint-disable-next-line no-sparse-arrays
      [1, , 2],
      { [Symbol("s")]: 1, a: 1 },
      cyclic,
      { f: () => 1 },
    ];
    for (const v of bad) {
      expect(() => eventBytes(v)).toThrow(CanonicalJsonError);
      expect(outcome(eventBytes, v)).toBe(outcome(canonicalBytes, v));
    }
  });

  it("accepts objects without a prototype, as canonicalBytes does", () => {
    const o = Object.assign(Object.create(null) as Record<string, unknown>, { b: [1, "x"], a: null });
    expect(new TextDecoder().decode(eventBytes(o))).toBe('{"a":null,"b":[1,"x"]}');
    expect(hex(eventBytes(o))).toBe(hex(canonicalBytes(o)));
  });

  it("gives the right bytes for values larger than its scratch buffer, and after one", () => {
    const big = { s: "x".repeat(3 * 1024 * 1024), list: Array.from({ length: 20_000 }, (_, i) => ({ i, t: `é${i}` })) };
    expect(hex(eventBytes(big))).toBe(hex(canonicalBytes(big)));
    const small = { b: "after", a: [1, 2] };
    expect(new TextDecoder().decode(eventBytes(small))).toBe('{"a":[1,2],"b":"after"}');
  });

  it("gives the generic bytes to a call made while it writes (a getter that canonicalizes)", () => {
    const inner = { z: "inner", a: 1 };
    const outer = {
      get b(): string {
        return new TextDecoder().decode(eventBytes(inner));
      },
      a: "first",
      c: ["last"],
    };
    expect(new TextDecoder().decode(eventBytes(outer))).toBe('{"a":"first","b":"{\\"a\\":1,\\"z\\":\\"inner\\"}","c":["last"]}');
    expect(hex(eventBytes(outer))).toBe(hex(canonicalBytes(outer)));
  });

  it("returns arrays that later calls do not overwrite", () => {
    const first = eventBytes({ a: "one" });
    const second = eventBytes({ a: "two" });
    expect(new TextDecoder().decode(first)).toBe('{"a":"one"}');
    expect(new TextDecoder().decode(second)).toBe('{"a":"two"}');
  });

  it("gives the bytes canonicalBytes gives at the depth limit and past it", () => {
    const nest = (n: number): unknown => {
      let v: unknown = 0;
      for (let i = 0; i < n; i++) v = [v];
      return v;
    };
    for (const n of [999, 1000, 1001]) expect(outcome(eventBytes, nest(n))).toBe(outcome(canonicalBytes, nest(n)));
  });
});

const jcs = conformanceData("jcs/testdata");
describeConformance("eventBytes on the RFC 8785 vectors", jcs, () => {
  it("gives each vector's output bytes", () => {
    const names = readdirSync(join(jcs.dir, "input")).filter((f) => f.endsWith(".json"));
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      const input: unknown = JSON.parse(readFileSync(join(jcs.dir, "input", name), "utf8"));
      expect(hex(eventBytes(input))).toBe(hex(new Uint8Array(readFileSync(join(jcs.dir, "output", name)))));
    }
  });
});
