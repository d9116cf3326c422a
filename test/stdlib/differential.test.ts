/**
 * Differential checks of extension parsing and methods against Cedar itself
 * (`@cedar-policy/cedar-wasm`): for each generated string, Writ must accept
 * exactly what Cedar accepts and produce the same value.
 *
 * Each batch is one policy set with one policy per case, evaluated in a
 * single authorization call; a policy is satisfied when Cedar's value equals
 * the canonical form of Writ's value, and errors when Cedar rejects the input.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import type { PatternElem } from "../../lang/ast.js";
import { compileLike, Datetime, Decimal, Duration, IpAddr, parseDatetime, parseDecimal, parseDuration, parseIpAddr } from "../../stdlib/index.js";

/** One case: a Cedar condition, and whether Writ expects it to hold (true) or to error (false). */
interface Case {
  readonly input: string;
  readonly condition: string;
  readonly holds: boolean;
}

/** Evaluate all cases with Cedar; return the cases whose outcome differs from Writ's expectation. */
function mismatches(cases: readonly Case[]): string[] {
  const policies = cases.map((c) => `permit(principal, action, resource) when { ${c.condition} };`).join("\n");
  const r = cedar.isAuthorized({
    principal: { type: "U", id: "p" },
    action: { type: "A", id: "a" },
    resource: { type: "R", id: "r" },
    context: {},
    policies: { staticPolicies: policies },
    entities: [],
  });
  if (r.type !== "success") return [`cedar failed: ${JSON.stringify(r.errors)}`];
  const satisfied = new Set(r.response.diagnostics.reason);
  const erroring = new Set(r.response.diagnostics.errors.map((e) => e.policyId));
  const out: string[] = [];
  cases.forEach((c, i) => {
    const id = `policy${i}`;
    const cedarSays = satisfied.has(id) ? "holds" : erroring.has(id) ? "errors" : "false";
    const writSays = c.holds ? "holds" : "errors";
    if (cedarSays !== writSays) out.push(`${JSON.stringify(c.input)}: cedar ${cedarSays}, writ ${writSays} (${c.condition})`);
  });
  return out;
}

const pick = (xs: readonly string[]) => fc.constantFrom(...xs);
const join = (arb: fc.Arbitrary<string[]>, sep = "") => arb.map((xs) => xs.join(sep));

const decimalInput = fc.oneof(
  fc.tuple(pick(["", "-", "+", "--"]), join(fc.array(pick(["0", "1", "9"]), { maxLength: 17 })), pick([".", "", ".."]), join(fc.array(pick(["0", "5", "9"]), { maxLength: 6 }))).map((p) => p.join("")),
  pick(["922337203685477.5807", "922337203685477.5808", "-922337203685477.5808", "-922337203685477.5809", "0.0", "-0.0", "1.0 ", "1e3"]),
  join(fc.array(pick(["-", "+", ".", "0", "1", "e", " "]), { maxLength: 8 })),
);

const v4 = fc
  .tuple(fc.array(pick(["0", "1", "9", "10", "99", "100", "127", "224", "255", "256", "01", "001", "1000", ""]), { minLength: 3, maxLength: 5 }), pick(["", "/0", "/8", "/32", "/33", "/08", "/", "/+8", "/a", "/4", "/24"]))
  .map(([os, p]) => os.join(".") + p);
const v6 = fc
  .tuple(
    fc.array(pick(["0", "1", "ff", "ffff", "FFFF", "abcd", "12345", "g", "0000", "00000", "ff02", "2001", "db8"]), { minLength: 0, maxLength: 9 }),
    fc.option(fc.nat(9), { nil: undefined }),
    pick(["", "/0", "/64", "/128", "/129", "/0128", "/064", "/8", "/7", "/127"]),
  )
  .map(([gs, at, p]) => {
    const parts = [...gs];
    if (at !== undefined) parts.splice(Math.min(at, parts.length), 0, "");
    let s = parts.join(":");
    if (at !== undefined && (s.startsWith(":") || s === "")) s = ":" + s;
    if (at !== undefined && s.endsWith(":")) s += ":";
    return s + p;
  });
const ipInput = fc.oneof(v4, v6, join(fc.array(pick([".", ":", "/", "0", "1", "f", "::", "255"]), { maxLength: 12 })));

const pad = (n: number, w: number) => String(n).padStart(w, "0");
const validDatetime = fc
  .tuple(fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }), fc.constantFrom("Z", "ms", "+", "-", "date"), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
  .map(([ms, form, oh, om]) => {
    const iso = new Date(ms).toISOString();
    if (form === "date") return iso.slice(0, 10);
    if (form === "ms") return iso;
    if (form === "Z") return iso.slice(0, 19) + "Z";
    return `${iso.slice(0, 23)}${form}${pad(oh, 2)}${pad(om, 2)}`;
  });
const datetimeInput = fc.oneof(validDatetime, fc
  .tuple(
    pick(["2024", "0000", "9999", "1900", "2000", "1969", "024", "20245"]),
    pick(["01", "02", "12", "13", "00", "1"]),
    pick(["01", "28", "29", "30", "31", "32", "00"]),
    fc.option(
      fc.tuple(pick(["00", "23", "24", "1"]), pick(["00", "59", "60"]), pick(["00", "59", "60"]), pick(["", ".000", ".999", ".1", ".1234"]), pick(["Z", "z", "+0000", "-2359", "+2400", "+0060", "+01:00", "", "-0130"])),
      { nil: undefined },
    ),
    pick(["-", "-", "-", "/"]),
  )
  .map(([y, m, d, t, sep]) => `${y}${sep}${m}-${d}${t === undefined ? "" : `T${t[0]}:${t[1]}:${t[2]}${t[3]}${t[4]}`}`));

const durationInput = fc
  .tuple(
    pick(["", "", "-", "+"]),
    fc.array(
      fc.tuple(
        pick(["0", "1", "01", "59", "9223372036854775807", "9223372036854775808", "106751991167", "106751991168", "2562047788015", "153722867280912", ""]),
        pick(["d", "h", "m", "s", "ms", "D", "x", ""]),
      ),
      { maxLength: 5 },
    ),
  )
  .map(([sign, parts]) => sign + parts.map(([n, u]) => n + u).join(""));

const SAMPLES = 600;

describe("differential against cedar-wasm", () => {
  it("decimal(…) accepts exactly what Cedar accepts, with the same value", () => {
    const cases = fc.sample(decimalInput, { numRuns: SAMPLES, seed: 1 }).map((s): Case => {
      const d = parseDecimal(s);
      return typeof d === "string"
        ? { input: s, condition: `decimal("${s}") == decimal("${s}")`, holds: false }
        : { input: s, condition: `decimal("${s}") == decimal("${d.text()}")`, holds: true };
    });
    expect(cases.filter((c) => c.holds).length).toBeGreaterThan(50);
    expect(mismatches(cases)).toEqual([]);
  });

  it("ip(…) accepts exactly what Cedar accepts, with the same value and predicates", () => {
    const inputs = fc.sample(ipInput, { numRuns: SAMPLES * 2, seed: 2 });
    const valid: IpAddr[] = [];
    const cases = inputs.flatMap((s): Case[] => {
      const a = parseIpAddr(s);
      if (typeof a === "string") return [{ input: s, condition: `ip("${s}") == ip("${s}")`, holds: false }];
      valid.push(a);
      return [
        { input: s, condition: `ip("${s}") == ip("${a.text()}")`, holds: true },
        { input: s, condition: `ip("${s}").isLoopback() == ${a.isLoopback()} && ip("${s}").isMulticast() == ${a.isMulticast()} && ip("${s}").isIpv4() == ${a.isIpv4()}`, holds: true },
      ];
    });
    expect(valid.length).toBeGreaterThan(100);
    for (let i = 0; i + 1 < valid.length; i++) {
      const [a, b] = [valid[i]!, valid[(i * 7 + 3) % valid.length]!];
      cases.push({ input: `${a.text()} in ${b.text()}`, condition: `ip("${a.text()}").isInRange(ip("${b.text()}")) == ${a.isInRange(b)} && ip("${a.text()}").isInRange(ip("${a.text()}"))`, holds: true });
    }
    expect(mismatches(cases)).toEqual([]);
  });

  it("datetime(…) accepts exactly what Cedar accepts, with the same instant and methods", () => {
    const cases = fc.sample(datetimeInput, { numRuns: SAMPLES, seed: 3 }).flatMap((s): Case[] => {
      const d = parseDatetime(s);
      if (typeof d === "string") return [{ input: s, condition: `datetime("${s}") == datetime("${s}")`, holds: false }];
      const at = (x: Datetime) => `datetime("1970-01-01").offset(duration("${x.ms}ms"))`;
      return [
        { input: s, condition: `datetime("${s}") == ${at(d)}`, holds: true },
        { input: s, condition: `datetime("${s}").toDate() == ${at(d.toDate())} && datetime("${s}").toTime() == duration("${d.toTime().ms}ms")`, holds: true },
      ];
    });
    expect(cases.filter((c) => c.holds).length).toBeGreaterThan(50);
    expect(mismatches(cases)).toEqual([]);
  });

  it("duration(…) accepts exactly what Cedar accepts, with the same value and conversions", () => {
    const cases = fc.sample(durationInput, { numRuns: SAMPLES, seed: 4 }).flatMap((s): Case[] => {
      const d = parseDuration(s);
      if (typeof d === "string") return [{ input: s, condition: `duration("${s}") == duration("${s}")`, holds: false }];
      const conv = (["toDays", "toHours", "toMinutes", "toSeconds", "toMilliseconds"] as const).map((f) => `duration("${s}").${f}() == ${d[f]()}`).join(" && ");
      return [
        { input: s, condition: `duration("${s}") == duration("${d.ms}ms")`, holds: true },
        // Long literals cannot be -2^63 in Cedar source; compare such a value by arithmetic instead.
        { input: s, condition: conv.replace("-9223372036854775808", "(-9223372036854775807 - 1)"), holds: true },
      ];
    });
    expect(cases.filter((c) => c.holds).length).toBeGreaterThan(50);
    expect(mismatches(cases)).toEqual([]);
  });

  it("datetime methods overflow exactly where Cedar's do", () => {
    const edge = ["9223372036854775807ms", "9223372036854775806ms", "1ms", "-1ms", "-9223372036854775808ms", "0ms", "106751991167d"];
    const cases: Case[] = [];
    for (const a of edge) {
      for (const b of edge) {
        const base = new Datetime(Duration.parse(a).ms);
        const by = Duration.parse(b);
        let holds = true;
        let expr = "";
        try {
          expr = `datetime("1970-01-01").offset(duration("${a}")).offset(duration("${b}")) == datetime("1970-01-01").offset(duration("${base.offset(by).ms}ms"))`;
        } catch {
          holds = false;
          expr = `datetime("1970-01-01").offset(duration("${a}")).offset(duration("${b}")) == datetime("1970-01-01")`;
        }
        cases.push({ input: `${a} + ${b}`, condition: expr, holds });
        let since = "";
        try {
          since = `duration("${base.durationSince(new Datetime(by.ms)).ms}ms")`;
        } catch {
          holds = false;
        }
        const sinceExpr = `datetime("1970-01-01").offset(duration("${a}")).durationSince(datetime("1970-01-01").offset(duration("${b}")))`;
        cases.push({ input: `${a} - ${b}`, condition: since === "" ? `${sinceExpr} == duration("0ms")` : `${sinceExpr} == ${since}`, holds: since !== "" });
      }
      let toDate = "";
      try {
        toDate = `datetime("1970-01-01").offset(duration("${new Datetime(Duration.parse(a).ms).toDate().ms}ms"))`;
      } catch {
        /* overflow expected to match Cedar's */
      }
      const dExpr = `datetime("1970-01-01").offset(duration("${a}")).toDate()`;
      cases.push({ input: `toDate ${a}`, condition: toDate === "" ? `${dExpr} == ${dExpr}` : `${dExpr} == ${toDate}`, holds: toDate !== "" });
    }
    expect(mismatches(cases)).toEqual([]);
  });

  it("like agrees with Cedar, including escaped stars", () => {
    // Pattern source: `*` is a wildcard, `\\*` a literal star (as written inside a Cedar string).
    const toElems = (src: string): PatternElem[] => {
      const out: PatternElem[] = [];
      for (let i = 0; i < src.length; i++) {
        if (src[i] === "\\" && src[i + 1] === "*") {
          out.push({ kind: "literal", text: "*" });
          i++;
        } else if (src[i] === "*") out.push({ kind: "wildcard" });
        else out.push({ kind: "literal", text: src[i]! });
      }
      return out;
    };
    const text = join(fc.array(pick(["a", "b", "*", "é"]), { maxLength: 8 }));
    const pattern = join(fc.array(pick(["a", "b", "*", "\\*", "é"]), { maxLength: 6 }));
    const pairs = fc.sample(fc.tuple(text, pattern), { numRuns: SAMPLES, seed: 5 });
    // The matcher the decision path uses (compiler/codegen.ts compiles every pattern with it).
    const cases = pairs.map(([t, p]): Case => {
      const want = compileLike(toElems(p))(t);
      return { input: `${t} like ${p}`, condition: `("${t}" like "${p}") == ${want}`, holds: true };
    });
    expect(cases.filter((c) => c.condition.endsWith("true")).length).toBeGreaterThan(20);
    expect(mismatches(cases)).toEqual([]);
  });

  it("like with a prefix and a suffix agrees with Cedar on every short text (the minimum-length check)", () => {
    // Every text over {a, b} up to length 4 against every `X*Y` (and `X*Z*Y`) with short X, Y:
    // `a*a` must not match "a", where prefix and suffix would overlap.
    const texts = [""];
    for (let n = 1; n <= 4; n++) for (const t of texts.filter((x) => x.length === n - 1)) texts.push(`${t}a`, `${t}b`);
    const ends = ["", "a", "b", "aa", "ab", "ba", "bb"];
    const patterns = [...ends.flatMap((x) => ends.map((y) => `${x}*${y}`)), ...ends.flatMap((x) => ends.map((y) => `${x}*a*${y}`))];
    const cases: Case[] = [];
    for (const p of patterns) {
      const elems = p.split("*").flatMap((lit, i): PatternElem[] => [...(i > 0 ? [{ kind: "wildcard" } as const] : []), ...(lit === "" ? [] : [{ kind: "literal", text: lit } as const])]);
      const m = compileLike(elems);
      for (const t of texts) cases.push({ input: `${t} like ${p}`, condition: `("${t}" like "${p}") == ${m(t)}`, holds: true });
    }
    expect(cases.filter((c) => c.condition.endsWith("false")).length).toBeGreaterThan(100);
    expect(mismatches(cases)).toEqual([]);
  });

  it("decimal comparisons at equality and one unit apart agree with Cedar (deterministic)", () => {
    const values = ["0.0", "-0.0", "1.2", "1.2000", "1.2001", "-1.0", "-1.0001", "922337203685477.5807", "-922337203685477.5808"];
    const methods = ["lessThan", "lessThanOrEqual", "greaterThan", "greaterThanOrEqual"] as const;
    const cases: Case[] = [];
    for (const a of values)
      for (const b of values)
        for (const m of methods) {
          const want = Decimal.parse(a)[m](Decimal.parse(b));
          cases.push({ input: `${a} ${m} ${b}`, condition: `decimal("${a}").${m}(decimal("${b}")) == ${want}`, holds: true });
        }
    // Equal pairs (1.2 and 1.2000, 0.0 and -0.0 among them) are where `>=` and `<=` differ from `>` and `<`.
    expect(cases.filter((c) => c.input.includes("OrEqual") && c.condition.endsWith("true")).length).toBeGreaterThan(40);
    expect(mismatches(cases)).toEqual([]);
  });
});
