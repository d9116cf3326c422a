import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Datetime, Duration, EvalError, I64_MAX, I64_MIN, civilFromDays, daysFromCivil, isLeapYear, parseDatetime, parseDuration } from "../../stdlib/index.js";

const dt = (s: string) => Datetime.parse(s);
const dur = (s: string) => Duration.parse(s);

function evalErrorCode(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof EvalError ? e.code : "not an EvalError";
  }
  return undefined;
}

describe("datetime parsing", () => {
  it.each([
    ["1970-01-01", 0n],
    ["1970-01-02", 86_400_000n],
    ["1969-12-31", -86_400_000n],
    ["2024-10-15", 1_728_950_400_000n],
    ["2024-10-15T11:35:00Z", 1_728_992_100_000n],
    ["2024-10-15T11:35:00.123Z", 1_728_992_100_123n],
    ["2024-10-15T11:35:00+0100", 1_728_988_500_000n],
    ["2024-10-15T11:35:00.000-0000", 1_728_992_100_000n],
    ["2024-10-15T11:35:00-0130", 1_728_997_500_000n],
    ["2024-02-29", 1_709_164_800_000n],
    ["2000-02-29", 951_782_400_000n],
    ["0000-01-01", -62_167_219_200_000n],
    ["9999-12-31T23:59:59.999Z", 253_402_300_799_999n],
    ["0000-03-01", -62_162_035_200_000n],
  ])("accepts %s", (text, ms) => {
    expect(dt(text).ms).toBe(ms);
  });

  it.each([
    "2023-02-29", "1900-02-29", "2024-00-15", "2024-13-01", "2024-04-31", "2024-01-00", "2024-1-15", "+2024-01-15", "24-01-15", "20240115",
    "2024-10-15T24:00:00Z", "2024-10-15T23:60:00Z", "2024-10-15T23:59:60Z", "2024-10-15T11:35:00.1Z", "2024-10-15T11:35:00.12Z",
    "2024-10-15T11:35:00.1234Z", "2024-10-15T11:35Z", "2024-10-15T11:35:00", "2024-10-15t11:35:00Z", "2024-10-15T11:35:00z",
    "2024-10-15 11:35:00Z", "2024-10-15T11:35:00+2400", "2024-10-15T11:35:00+0060", "2024-10-15T11:35:00+01:00", "2024-10-15T11:35:00+01",
    "2024-10-15T", "2024-10-15Z", "", "10000-01-01", "2024-10-15T11:35:00ZZ", "2024-10-15T1:35:00Z",
  ])("rejects %j", (text) => {
    expect(typeof parseDatetime(text)).toBe("string");
  });

  it("agrees with Date.UTC on random instants in years 0–9999", () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }), (ms) => {
        const iso = new Date(ms).toISOString();
        expect(dt(iso).ms).toBe(BigInt(ms));
        expect(new Datetime(BigInt(ms)).text()).toBe(iso);
      }),
    );
  });

  it("knows leap years and the civil calendar", () => {
    expect([1900, 2000, 2023, 2024, 0].map(isLeapYear)).toEqual([false, true, false, true, true]);
    fc.assert(
      fc.property(fc.integer({ min: -1_000_000, max: 1_000_000 }), (days) => {
        const { y, m, d } = civilFromDays(BigInt(days));
        expect(daysFromCivil(Number(y), m, d)).toBe(BigInt(days));
      }),
    );
  });
});

describe("datetime methods", () => {
  it("offset and durationSince (Cedar doc examples)", () => {
    expect(dt("2024-10-15").offset(dur("1d")).equals(dt("2024-10-16"))).toBe(true);
    expect(dt("2024-10-15T11:35:00Z").offset(dur("-1h")).equals(dt("2024-10-15T10:35:00Z"))).toBe(true);
    expect(dt("2024-10-16").durationSince(dt("2024-10-15")).equals(dur("24h"))).toBe(true);
    expect(dt("2024-10-15").durationSince(dt("2024-10-16")).equals(dur("-1d"))).toBe(true);
  });

  it("toDate and toTime round toward negative infinity", () => {
    expect(dt("2024-10-15T11:35:00Z").toDate().equals(dt("2024-10-15"))).toBe(true);
    expect(dt("2024-10-15T11:35:00Z").toTime().equals(dur("11h35m"))).toBe(true);
    expect(dt("1969-12-31T23:00:00Z").toDate().equals(dt("1969-12-31"))).toBe(true);
    expect(dt("1969-12-31T23:00:00Z").toTime().equals(dur("23h"))).toBe(true);
    expect(dt("2024-10-15T11:35:00.123-0130").toTime().equals(dur("13h5m123ms"))).toBe(true);
    expect(dt("1969-12-31").toTime().ms).toBe(0n);
  });

  it("reports overflow at the 64-bit bounds", () => {
    const max = new Datetime(I64_MAX);
    const min = new Datetime(I64_MIN);
    expect(evalErrorCode(() => max.offset(dur("1ms")))).toBe("W4005");
    expect(evalErrorCode(() => min.offset(dur("-1ms")))).toBe("W4005");
    expect(max.offset(dur("-1ms")).ms).toBe(I64_MAX - 1n);
    expect(evalErrorCode(() => max.durationSince(min))).toBe("W4005");
    expect(evalErrorCode(() => min.toDate())).toBe("W4005");
    expect(max.toDate().ms <= I64_MAX).toBe(true);
    expect(min.toTime().ms >= 0n).toBe(true);
  });

  it("prints instants outside years 0–9999 as an offset from the epoch that re-evaluates", () => {
    const far = new Datetime(I64_MAX);
    expect(far.text()).toBeUndefined();
    expect(far.toString()).toBe('datetime("1970-01-01").offset(duration("106751991167d7h12m55s807ms"))');
    expect(dt("1970-01-01").offset(dur("106751991167d7h12m55s807ms")).equals(far)).toBe(true);
  });

  it("compares by instant", () => {
    expect(dt("2024-10-15").compare(dt("2024-10-16"))).toBeLessThan(0);
    expect(dt("2024-10-15T01:00:00+0100").compare(dt("2024-10-15"))).toBe(0);
    expect(dt("2024-10-15T01:00:00+0100").equals(dt("2024-10-15"))).toBe(true);
  });
});

describe("duration", () => {
  it.each([
    ["1d2h3m4s5ms", 93_784_005n],
    ["-1d2h", -93_600_000n],
    ["0ms", 0n],
    ["-0d", 0n],
    ["90m", 5_400_000n],
    ["01h", 3_600_000n],
    ["1ms", 1n],
    ["1m1ms", 60_001n],
    ["9223372036854775807ms", I64_MAX],
    ["-9223372036854775808ms", I64_MIN],
    ["106751991167d", 106_751_991_167n * 86_400_000n],
  ])("accepts %s", (text, ms) => {
    expect(dur(text).ms).toBe(ms);
  });

  it.each([
    "", "-", "1", "d", "1h1d", "1h2h", "1d-2h", "1.5h", "1D", "1H", " 1h", "1h ", "+1h", "--1h", "1hms", "1msms", "1s1m", "1y", "1w",
    "9223372036854775808ms", "-9223372036854775809ms", "106751991168d", "-106751991168d", "1m1m", "1 h",
  ])("rejects %j", (text) => {
    expect(typeof parseDuration(text)).toBe("string");
  });

  it("converts with truncation toward zero", () => {
    const d = dur("1d2h3m4s5ms");
    expect([d.toMilliseconds(), d.toSeconds(), d.toMinutes(), d.toHours(), d.toDays()]).toEqual([93_784_005n, 93_784n, 1_563n, 26n, 1n]);
    const n = dur("-3599s");
    expect([n.toHours(), n.toMinutes()]).toEqual([0n, -59n]);
    expect(dur("-3600001ms").toHours()).toBe(-1n);
  });

  it("prints canonical text that parses back", () => {
    expect(dur("90m").text()).toBe("1h30m");
    expect(dur("-0ms").text()).toBe("0ms");
    expect(dur("1d").toString()).toBe('duration("1d")');
    fc.assert(
      fc.property(fc.bigInt({ min: I64_MIN, max: I64_MAX }), (ms) => {
        expect(dur(new Duration(ms).text()).ms).toBe(ms);
      }),
    );
  });
});
