/**
 * The IR printer: printing a lowered policy and parsing the text back gives a policy with the
 * same id (on generated policies, every example project, every conformance `.cedar` file and
 * the governance extensions), the text is what `writ fmt` would print, and `error` nodes never
 * print as a policy that checks.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lowerPolicies, policyId, printIrPolicies, printIrPolicy, type IrPolicy, type IrTemplate } from "../../compiler/index.js";
import { formatPolicies, parsePolicies } from "../../lang/index.js";
import { arbPolicySetText, arbPolicyText } from "../support/arbitraries.js";

const RUNS = Number(process.env.WRIT_PROP_RUNS ?? 300);
const ROOT = resolve(import.meta.dirname, "../..");
const CONFORMANCE = resolve(ROOT, "../shared/conformance/cedar/tests");

/** Every lowered policy and template of a source text (lowering diagnostics are not our business here). */
function lowered(src: string): (IrPolicy | IrTemplate)[] {
  const r = parsePolicies(src);
  if (r.ast === undefined || r.diagnostics.some((d) => d.severity === "error")) throw new Error(`does not parse: ${r.diagnostics.map((d) => d.message).join("; ")}\n${src}`);
  const ir = lowerPolicies(r.ast).ir;
  return [...ir.policies.filter((p) => !(ir.links ?? []).some((l) => l.name === p.name)), ...(ir.templates ?? [])];
}

function hasError(x: unknown): boolean {
  if (Array.isArray(x)) return x.some(hasError);
  if (x !== null && typeof x === "object") return (x as { kind?: unknown }).kind === "error" || Object.values(x).some(hasError);
  return false;
}

/** Print each policy alone and check the text lowers back to the same id. */
function roundTrips(src: string): number {
  let checked = 0;
  for (const p of lowered(src)) {
    if (hasError(p)) continue;
    const text = printIrPolicy(p);
    const back = lowered(text);
    expect(back, text).toHaveLength(1);
    expect(policyId(back[0]! as IrPolicy), text).toBe(policyId(p as IrPolicy));
    checked++;
  }
  return checked;
}

function cedarFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...cedarFiles(p));
    else if (name.endsWith(".cedar")) out.push(p);
  }
  return out;
}

const GOVERNANCE = [
  `@id("g1") @reason("under an approved plan") @mode("shadow")
permit (principal is Ops::Agent, action in [Ops::Action::"run", Ops::Action::"delegate"], resource)
when { lineage.ancestors.any(a, a.principal is Ops::Human && a.decision == "allow") && lineage.depth <= 2 }
obligations { notify: ["#ops", "#audit"], "max-spend": 100, approve: { by: "human", within: 3600 } };`,
  `forbid (principal, action, resource) when { lineage.ancestors.all(a, a.node != "edge") || context.x has y.z };`,
  `permit (principal == ?principal, action, resource in ?resource) when { resource.tags.contains("x") };`,
  `permit (principal is User in ?principal, action, resource) unless { principal["odd key"] like "a*b\\*c" };`,
  `permit (principal, action == Action::"v", resource is Doc in Folder::"f") when { ip("10.0.0.1").isInRange(ip("10.0.0.0/8")) && decimal("1.50").lessThan(decimal("2.0")) };`,
  `permit (principal, action, resource) when { -(-9223372036854775807) - 1 < 0 && (if context.a then !context.b else -context.c == 3 * -2) };`,
  `permit (principal, action, resource) when { principal in [User::"a", Group::"b"] && { "a b": 1, c: [true] }.c.containsAll([true]) };`,
];

describe("IR printer", () => {
  it("round-trips generated policies (same policy id)", () => {
    fc.assert(
      fc.property(arbPolicyText(), (src) => {
        roundTrips(src);
      }),
      { numRuns: RUNS },
    );
  });

  it("round-trips generated policy sets printed together", () => {
    fc.assert(
      fc.property(arbPolicySetText({ maxPolicies: 4 }), (src) => {
        const ps = lowered(src).filter((p) => !hasError(p));
        const back = lowered(printIrPolicies(ps));
        expect(back.map((p) => policyId(p as IrPolicy))).toEqual(ps.map((p) => policyId(p as IrPolicy)));
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });

  it("round-trips the governance extensions and templates", () => {
    for (const src of GOVERNANCE) expect(roundTrips(src), src).toBe(1);
  });

  it("round-trips every example project's policies", () => {
    let n = 0;
    for (const name of readdirSync(join(ROOT, "examples"))) {
      const file = join(ROOT, "examples", name, "policies.cedar");
      try {
        statSync(file);
      } catch {
        continue;
      }
      n += roundTrips(readFileSync(file, "utf8"));
    }
    expect(n).toBeGreaterThan(20);
  });

  it("round-trips every conformance .cedar file", () => {
    let n = 0;
    for (const f of cedarFiles(CONFORMANCE)) {
      const r = parsePolicies(readFileSync(f, "utf8"));
      if (r.ast === undefined || r.diagnostics.some((d) => d.severity === "error")) continue;
      n += roundTrips(readFileSync(f, "utf8"));
    }
    expect(n).toBeGreaterThan(25);
  });

  it("prints what writ fmt prints for a policy without comments", () => {
    const src = `@id("a")\n@reason("why")\npermit (principal is Ops::Agent, action == Ops::Action::"run", resource)\nwhen { resource.env == "production" && context has step };`;
    const fmt = formatPolicies(parsePolicies(src).ast!, src);
    expect(printIrPolicies(lowered(src))).toBe(fmt);
    expect(fmt).toContain('@reason("why")');
  });

  it("splits a nested has as lowering does, and keeps @id names", () => {
    const text = printIrPolicy(lowered(`@id("n") permit (principal, action, resource) when { context has a.b };`)[0]!);
    expect(text).toContain("context has a && context.a has b");
    expect(text.startsWith('@id("n")\n')).toBe(true);
  });

  it("prints an error node as a call that does not check", () => {
    const [p] = lowered(`permit (principal, action, resource) when { decimal("1.2.3") == decimal("1.0") };`);
    expect(hasError(p)).toBe(true);
    const text = printIrPolicy(p!);
    expect(text).toMatch(/error\(\s*"W4005: /);
    const again = lowerPolicies(parsePolicies(text).ast!);
    expect(again.diagnostics.some((d) => d.code === "W3007")).toBe(true);
  });
});
