import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Decimal, EvalError, I64_MAX, I64_MIN, parseDecimal } from "../../stdlib/index.js";

function scaled(text: string): bigint | string {
  const r = parseDecimal(text);
  return typeof r === "string" ? "error" : r.scaled;
}

describe("decimal parsing", () => {
  it.each([
    ["1.0", 10000n],
    ["1.2345", 12345n],
    ["1.23", 12300n],
    ["-1.5", -15000n],
    ["-0.5", -5000n],
    ["-0.0", 0n],
    ["0.0001", 1n],
    ["001.5", 15000n],
    ["922337203685477.5807", I64_MAX],
    ["-922337203685477.5808", I64_MIN],
  ])("accepts %s", (text, want) => {
    expect(scaled(text)).toBe(want);
  });

  it.each([
    "1", "1.", ".5", "-.5", "+1.0", " 1.0", "1.0 ", "1.23456", "1e3", "1.0e1", "--1.0", "", "-", "1..0", "1.-0", "0x1.0", "١.٠",
    "922337203685477.5808", "-922337203685477.5809", "99999999999999999999.0",
  ])("rejects %j", (text) => {
    expect(scaled(text)).toBe("error");
  });

  it("distinguishes too many digits and overflow in its messages", () => {
    expect(parseDecimal("1.23456")).toMatch(/too many digits/);
    expect(parseDecimal("922337203685477.5808")).toMatch(/overflow/);
  });

  it("throws EvalError W4005 from Decimal.parse", () => {
    let caught: unknown;
    try {
      Decimal.parse("nope");
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(EvalError);
    expect((caught as EvalError).code).toBe("W4005");
    expect(Decimal.tryParse("nope")).toBeUndefined();
  });
});

describe("decimal values", () => {
  it("prints with four fractional digits", () => {
    expect(Decimal.parse("1.23").toString()).toBe('decimal("1.2300")');
    expect(Decimal.parse("-0.5").text()).toBe("-0.5000");
    expect(Decimal.parse("-922337203685477.5808").text()).toBe("-922337203685477.5808");
  });

  it("compares with the four methods (Cedar doc examples)", () => {
    const a = Decimal.parse("1.23");
    const b = Decimal.parse("1.24");
    expect(a.lessThan(b)).toBe(true);
    expect(a.lessThanOrEqual(Decimal.parse("1.2300"))).toBe(true);
    expect(a.greaterThan(b)).toBe(false);
    expect(b.greaterThanOrEqual(a)).toBe(true);
    expect(a.lessThan(a)).toBe(false);
  });

  it("is equal exactly when the scaled values are equal", () => {
    expect(Decimal.parse("1.2").equals(Decimal.parse("1.2000"))).toBe(true);
    expect(Decimal.parse("1.2").equals(Decimal.parse("1.2001"))).toBe(false);
    expect(Decimal.parse("1.2").key()).toBe(Decimal.parse("1.20").key());
  });

  it("round-trips text() through parse for every 64-bit value", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: I64_MIN, max: I64_MAX }), (n) => {
        const d = new Decimal(n);
        expect(scaled(d.text())).toBe(n);
      }),
    );
  });
});
