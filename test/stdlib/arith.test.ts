import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EvalError, I64_MAX, I64_MIN, checkedAdd, checkedMul, checkedNeg, checkedSub, inI64, parseDigits } from "../../stdlib/index.js";

/** The result, or the EvalError code it threw. */
function run(f: () => bigint): bigint | string {
  try {
    return f();
  } catch (e) {
    if (e instanceof EvalError) return e.code;
    throw e;
  }
}

const i64 = fc.oneof(
  fc.bigInt({ min: I64_MIN, max: I64_MAX }),
  fc.constantFrom(I64_MIN, I64_MIN + 1n, -1n, 0n, 1n, I64_MAX - 1n, I64_MAX, 2n ** 32n, -(2n ** 32n), 3037000499n, 3037000500n),
  fc.bigInt({ min: -(2n ** 33n), max: 2n ** 33n }),
);

describe("checked arithmetic", () => {
  it.each([
    ["add", () => checkedAdd(I64_MAX, 1n), "W4003"],
    ["add", () => checkedAdd(I64_MIN, -1n), "W4003"],
    ["add", () => checkedAdd(I64_MAX, 0n), I64_MAX],
    ["add", () => checkedAdd(I64_MAX, I64_MIN), -1n],
    ["sub", () => checkedSub(I64_MIN, 1n), "W4003"],
    ["sub", () => checkedSub(0n, I64_MIN), "W4003"],
    ["sub", () => checkedSub(-1n, I64_MIN), I64_MAX],
    ["mul", () => checkedMul(I64_MIN, -1n), "W4003"],
    ["mul", () => checkedMul(3037000500n, 3037000500n), "W4003"],
    ["mul", () => checkedMul(3037000499n, 3037000499n), 9223372030926249001n],
    ["mul", () => checkedMul(I64_MIN, 1n), I64_MIN],
    ["mul", () => checkedMul(-(2n ** 62n), 2n), I64_MIN],
    ["mul", () => checkedMul(2n ** 62n, 2n), "W4003"],
    ["neg", () => checkedNeg(I64_MIN), "W4003"],
    ["neg", () => checkedNeg(I64_MAX), I64_MIN + 1n],
    ["neg", () => checkedNeg(0n), 0n],
  ] as const)("%s edge case %#", (_op, f, want) => {
    expect(run(f)).toBe(want);
  });

  it("agrees with exact bigint arithmetic and errors exactly when out of range", () => {
    const check = (exact: bigint, got: bigint | string) => expect(got).toBe(inI64(exact) ? exact : "W4003");
    fc.assert(
      fc.property(i64, i64, (a, b) => {
        check(a + b, run(() => checkedAdd(a, b)));
        check(a - b, run(() => checkedSub(a, b)));
        check(a * b, run(() => checkedMul(a, b)));
        check(-a, run(() => checkedNeg(a)));
      }),
      { numRuns: 2000 },
    );
  });

  it("names the operation in the overflow message", () => {
    let msg = "";
    try {
      checkedAdd(I64_MAX, 1n);
    } catch (e) {
      msg = (e as EvalError).message;
    }
    expect(msg).toContain("overflow");
    expect(msg).toContain("9223372036854775807 + 1");
  });

  it("parses plain digit strings only", () => {
    expect(parseDigits("0042")).toBe(42n);
    expect(parseDigits("")).toBeUndefined();
    expect(parseDigits("-1")).toBeUndefined();
    expect(parseDigits("1e3")).toBeUndefined();
    expect(parseDigits(" 1")).toBeUndefined();
  });
});
