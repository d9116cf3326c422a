/**
 * Governance extensions end to end: policies + schema + request (+ lineage) → decision,
 * reasons, determining, obligations, shadow; merge rules; cedar-mode rejection; checker
 * diagnostics (W6001–W6006, W3004); merge order-independence (fast-check).
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile, contextHintFor, loadSchema, requestFromJson, validatePolicies, type Decision, type Schema } from "../../compiler/index.js";
import { parsePolicies, parseSchema } from "../../lang/index.js";
import type { PolicySet } from "../../lang/ast.js";
import { entitiesFromJson, type JsonValue } from "../../stdlib/json.js";
import type { Entities } from "../../stdlib/index.js";

const SCHEMA = `
obligation require_approval: Bool;
obligation max_cost: decimal;
obligation max_calls: Long;
obligation timeout: duration;
obligation notify: Set<String>;
namespace Agents {
  entity Team;
  entity Agent in [Team] = { trusted: Bool, tools: Set<String> };
  entity Tool = { risk: Long };
  action invoke, deploy appliesTo {
    principal: [Agent], resource: [Tool],
    context: { cost: decimal, tags: Set<String>, args: Set<{ name: String, size: Long }> }
  };
}
`;

const ENTITIES: JsonValue = [
  { uid: { type: "Agents::Team", id: "ops" }, attrs: {}, parents: [] },
  { uid: { type: "Agents::Agent", id: "a1" }, attrs: { trusted: true, tools: ["search", "shell"] }, parents: [{ type: "Agents::Team", id: "ops" }] },
  { uid: { type: "Agents::Agent", id: "a2" }, attrs: { trusted: false, tools: [] }, parents: [] },
  { uid: { type: "Agents::Tool", id: "shell" }, attrs: { risk: 9 }, parents: [] },
  { uid: { type: "Agents::Tool", id: "search" }, attrs: { risk: 1 }, parents: [] },
];

function loadTestSchema(): Schema {
  const parsed = parseSchema(SCHEMA);
  expect(parsed.diagnostics).toEqual([]);
  const { schema, diagnostics } = loadSchema(parsed.ast!);
  expect(diagnostics).toEqual([]);
  return schema!;
}

const schema = loadTestSchema();
const entities: Entities = (() => {
  const r = entitiesFromJson(ENTITIES);
  expect(r.diagnostics).toEqual([]);
  return r.entities!;
})();

function parse(src: string): PolicySet {
  const p = parsePolicies(src);
  expect(p.diagnostics).toEqual([]);
  return p.ast!;
}

/** Diagnostic codes of validating + compiling `src` (parse must succeed). */
function codes(src: string, semantics: "cedar" | "fail-closed" = "fail-closed", s: Schema = schema): string[] {
  const ast = parse(src);
  const v = validatePolicies(ast, s).diagnostics.filter((d) => d.severity === "error");
  const c = compile(ast, { semantics }).diagnostics;
  return [...v, ...c].map((d) => d.code).sort();
}

interface Req {
  readonly principal?: string;
  readonly action?: string;
  readonly resource?: string;
  readonly context?: Record<string, JsonValue>;
  readonly lineage?: JsonValue;
}

function request(r: Req): JsonValue {
  const out: Record<string, JsonValue> = {
    principal: { type: "Agents::Agent", id: r.principal ?? "a1" },
    action: { type: "Agents::Action", id: r.action ?? "invoke" },
    resource: { type: "Agents::Tool", id: r.resource ?? "search" },
    context: { cost: "1.50", tags: [], args: [], ...(r.context ?? {}) },
  };
  if (r.lineage !== undefined) out["lineage"] = r.lineage;
  return out;
}

function decide(src: string, r: Req = {}): Decision {
  const ast = parse(src);
  const v = validatePolicies(ast, schema).diagnostics.filter((d) => d.severity === "error");
  expect(v).toEqual([]);
  const { program, diagnostics } = compile(ast);
  expect(diagnostics).toEqual([]);
  const req = requestFromJson(request(r), (k) => contextHintFor(schema, k));
  expect(req.diagnostics).toEqual([]);
  return program!.decide(req.request!, entities);
}

const exec = (principal: string, decision: string, node = "n1"): JsonValue => ({
  principal: { type: "Agents::Agent", id: principal },
  action: { type: "Agents::Action", id: "invoke" },
  resource: { __entity: { type: "Agents::Tool", id: "search" } },
  decision,
  bundleId: "sha256:00",
  node,
});

interface Row {
  readonly name: string;
  readonly policies: string;
  readonly req?: Req;
  readonly decision: "allow" | "deny";
  readonly reasons: readonly string[];
  readonly determining?: readonly { name: string; index: number; reason?: string }[];
  readonly obligations?: Record<string, JsonValue>;
  readonly shadow?: readonly { name: string; effect: "permit" | "forbid"; satisfied: boolean; error?: boolean }[];
  readonly errors?: readonly string[];
}

const ROWS: readonly Row[] = [
  {
    name: "@reason is returned with the determining permit",
    policies: `@id("p") @reason("trusted agents may invoke tools") permit (principal, action, resource) when { principal.trusted };`,
    decision: "allow",
    reasons: ["p"],
    determining: [{ name: "p", index: 0, reason: "trusted agents may invoke tools" }],
    obligations: {},
    shadow: [],
  },
  {
    name: "@reason of a determining forbid; permits' reasons are not reported on a deny",
    policies: `@reason("ok") permit (principal, action, resource);
               @id("no-shell") @reason("shell is too risky") forbid (principal, action, resource == Agents::Tool::"shell");`,
    req: { resource: "shell" },
    decision: "deny",
    reasons: ["no-shell"],
    determining: [{ name: "no-shell", index: 1, reason: "shell is too risky" }],
    obligations: {},
  },
  {
    name: "obligations of one permit",
    policies: `@id("p") permit (principal, action, resource) obligations { require_approval: true, max_cost: decimal("10.00"), notify: ["#ops"] };`,
    decision: "allow",
    reasons: ["p"],
    obligations: { require_approval: true, max_cost: { __extn: { fn: "decimal", arg: "10.0000" } }, notify: ["#ops"] },
  },
  {
    name: "merge: Bool or, decimal/Long/duration minimum, Set union; keys set by one permit only",
    policies: `@id("a") permit (principal, action, resource) obligations { require_approval: false, max_cost: decimal("10.00"), max_calls: 5, notify: ["#ops"], timeout: duration("1h") };
               @id("b") permit (principal, action, resource) when { principal.trusted } obligations { require_approval: true, max_cost: decimal("2.5"), max_calls: 7, notify: ["#sec", "#ops"] };
               @id("c") permit (principal, action, resource) obligations { timeout: duration("90m"), max_calls: -1 };`,
    decision: "allow",
    reasons: ["a", "b", "c"],
    obligations: {
      require_approval: true,
      max_cost: { __extn: { fn: "decimal", arg: "2.5000" } },
      max_calls: -1,
      notify: ["#ops", "#sec"],
      timeout: { __extn: { fn: "duration", arg: "1h" } },
    },
  },
  {
    name: "obligations come only from determining permits (an unsatisfied permit adds none)",
    policies: `@id("a") permit (principal, action, resource) obligations { max_calls: 5 };
               @id("b") permit (principal, action, resource) when { !principal.trusted } obligations { max_calls: 1, require_approval: true };`,
    decision: "allow",
    reasons: ["a"],
    obligations: { max_calls: 5 },
  },
  {
    name: "a deny carries no obligations",
    policies: `permit (principal, action, resource) obligations { require_approval: true };
               @id("f") forbid (principal, action, resource) when { context.cost.greaterThan(decimal("1.00")) };`,
    decision: "deny",
    reasons: ["f"],
    obligations: {},
  },
  {
    name: "an erroring obligation value makes the permit erroring (no allow from it)",
    policies: `@id("bad") permit (principal, action, resource) obligations { max_calls: 9223372036854775807 + 1 };`,
    decision: "deny",
    reasons: [],
    obligations: {},
    errors: ["bad"],
  },
  {
    name: "obligation values may use the request",
    policies: `@id("p") permit (principal, action, resource) obligations { require_approval: !principal.trusted, notify: principal.tools };`,
    req: { principal: "a2" },
    decision: "allow",
    reasons: ["p"],
    obligations: { require_approval: true, notify: [] },
  },
  {
    name: "shadow permit never allows; it is reported",
    policies: `@id("s") @mode("shadow") permit (principal, action, resource);`,
    decision: "deny",
    reasons: [],
    shadow: [{ name: "s", effect: "permit", satisfied: true }],
    obligations: {},
  },
  {
    name: "shadow forbid never denies; erroring shadow forbid does not deny in fail-closed",
    policies: `@id("p") permit (principal, action, resource);
               @id("s1") @mode("shadow") forbid (principal, action, resource);
               @id("s2") @mode("shadow") forbid (principal, action, resource) when { 9223372036854775807 + 1 > 0 };
               @id("s3") @mode("shadow") forbid (principal, action, resource) when { false };`,
    decision: "allow",
    reasons: ["p"],
    errors: [],
    shadow: [
      { name: "s1", effect: "forbid", satisfied: true },
      { name: "s2", effect: "forbid", satisfied: false, error: true },
      { name: "s3", effect: "forbid", satisfied: false },
    ],
  },
  {
    name: "@mode(\"enforce\") is the default",
    policies: `@id("p") @mode("enforce") permit (principal, action, resource);`,
    decision: "allow",
    reasons: ["p"],
    shadow: [],
  },
  {
    name: "lineage absent: depth 0, no parent, no ancestors",
    policies: `@id("top") permit (principal, action, resource) when { lineage.depth == 0 && !(lineage has parent) && lineage.ancestors.isEmpty() };`,
    decision: "allow",
    reasons: ["top"],
  },
  {
    name: "lineage: parent, root, ancestors with quantifiers",
    policies: `@id("chain") permit (principal, action, resource) when {
                 lineage.depth < 3 &&
                 lineage has parent && lineage.parent.decision == "allow" &&
                 lineage has root && lineage.root.principal in Agents::Team::"ops" &&
                 lineage.ancestors.all(e, e.decision == "allow" && e.principal is Agents::Agent) &&
                 !lineage.ancestors.any(e, e.node == "untrusted")
               };`,
    req: { lineage: { depth: 2, parent: exec("a2", "allow"), root: exec("a1", "allow"), ancestors: [exec("a1", "allow"), exec("a2", "allow", "n2")] } },
    decision: "allow",
    reasons: ["chain"],
  },
  {
    name: "lineage: an untrusted ancestor fails the policy",
    policies: `@id("chain") permit (principal, action, resource) when { !lineage.ancestors.any(e, e.node == "untrusted") };`,
    req: { lineage: { ancestors: [exec("a1", "allow"), exec("a2", "allow", "untrusted")] } },
    decision: "deny",
    reasons: [],
  },
  {
    name: "quantifiers: any/all on context sets, empty sets, nesting and shadowing",
    policies: `@id("q") permit (principal, action, resource) when {
                 context.tags.any(t, t == "safe") &&
                 context.args.all(a, a.size < 100 && [a.name].any(a, a like "q*")) &&
                 !principal.tools.any(x, false) && [1].all(x, [2, 3].all(y, x < y))
               };`,
    req: { context: { tags: ["x", "safe"], args: [{ name: "query", size: 10 }, { name: "q2", size: 99 }] } },
    decision: "allow",
    reasons: ["q"],
  },
  {
    name: "quantifiers: any on empty is false, all on empty is true",
    policies: `@id("e") permit (principal, action, resource) when { context.tags.all(t, false) && !context.tags.any(t, true) };`,
    decision: "allow",
    reasons: ["e"],
  },
  {
    name: "quantifier errors if any element errors, even when another element decides",
    policies: `@id("q") permit (principal, action, resource) when { context.args.any(a, a.size == 1 || a.size + 9223372036854775807 > 0) };`,
    req: { context: { args: [{ name: "a", size: 1 }, { name: "b", size: 5 }] } },
    decision: "deny",
    reasons: [],
    errors: ["q"],
  },
];

describe("governance decisions", () => {
  for (const row of ROWS) {
    it(row.name, () => {
      const d = decide(row.policies, row.req);
      expect(d.decision).toBe(row.decision);
      expect(d.reasons).toEqual(row.reasons);
      expect(d.determining.map((x) => x.name)).toEqual(row.reasons);
      if (row.determining !== undefined) expect(d.determining).toEqual(row.determining);
      if (row.obligations !== undefined) expect(d.obligations).toEqual(row.obligations);
      if (row.errors !== undefined) expect(d.errors.map((e) => e.policy)).toEqual(row.errors);
      if (row.shadow !== undefined) {
        expect(d.shadow.map((s) => ({ name: s.name, effect: s.effect, satisfied: s.satisfied, ...(s.error === undefined ? {} : { error: true }) }))).toEqual(row.shadow);
      }
      if (d.decision === "deny") expect(d.obligations).toEqual({});
    });
  }
});

describe("governance diagnostics", () => {
  const OK = `permit (principal, action, resource) obligations { require_approval: true };`;
  const rows: readonly (readonly [string, string, readonly string[], ("cedar" | "fail-closed")?])[] = [
    ["valid obligations", OK, []],
    ["unknown obligation (did-you-mean)", `permit (principal, action, resource) obligations { require_aproval: true };`, ["W6004"]],
    ["wrong obligation type", `permit (principal, action, resource) obligations { max_cost: 10 };`, ["W3004"]],
    ["wrong set element type", `permit (principal, action, resource) obligations { notify: [1] };`, ["W3004"]],
    ["obligations on forbid", `forbid (principal, action, resource) obligations { require_approval: true };`, ["W6003"]],
    ["invalid @mode", `@mode("audit") permit (principal, action, resource);`, ["W6002"]],
    ["bare @mode", `@mode permit (principal, action, resource);`, ["W6002"]],
    ["quantifier over a non-set", `permit (principal, action, resource) when { principal.trusted.any(x, x) };`, ["W3004"]],
    ["quantifier body not Bool", `permit (principal, action, resource) when { principal.tools.all(x, x) };`, ["W3004"]],
    ["lineage field typo", `permit (principal, action, resource) when { lineage.dept == 0 };`, ["W3003"]],
    ["lineage optional parent needs has", `permit (principal, action, resource) when { lineage.parent.decision == "allow" };`, ["W3006"]],
    ["cedar mode: obligations", OK, ["W6001"], "cedar"],
    ["cedar mode: shadow", `@mode("shadow") permit (principal, action, resource);`, ["W6001"], "cedar"],
    ["cedar mode: lineage", `permit (principal, action, resource) when { lineage.depth == 0 };`, ["W6001"], "cedar"],
    ["cedar mode: quantifier", `permit (principal, action, resource) when { principal.tools.any(x, x == "a") };`, ["W6001"], "cedar"],
    ["cedar mode: @reason and @mode(\"enforce\") are fine", `@reason("r") @mode("enforce") permit (principal, action, resource);`, [], "cedar"],
  ];
  for (const [name, src, want, semantics] of rows) {
    it(name, () => {
      expect(codes(src, semantics)).toEqual([...want].sort());
    });
  }

  it("W6004 suggests the closest declared obligation", () => {
    const ast = parse(`permit (principal, action, resource) obligations { require_aproval: true };`);
    const d = validatePolicies(ast, schema).diagnostics.find((x) => x.code === "W6004");
    expect(d?.help).toContain("require_approval");
  });

  it("W6005: obligation types that cannot be merged are schema errors", () => {
    for (const t of ["String", "{ a: Long }", "ipaddr", "datetime", "Agents::Team"]) {
      const src = `namespace Agents { entity Team; }\nobligation o: ${t};\nobligation ok: Set<Set<Long>>;\n`;
      const parsed = parseSchema(src);
      expect(parsed.diagnostics).toEqual([]);
      const r = loadSchema(parsed.ast!);
      expect(r.diagnostics.map((d) => d.code)).toEqual(["W6005"]);
      expect(r.schema).toBeUndefined();
    }
  });

  it("W6006: an obligation declared twice (namespaces do not qualify obligation names)", () => {
    const parsed = parseSchema(`obligation o: Bool;\nnamespace A { obligation o: Long; }\n`);
    expect(loadSchema(parsed.ast!).diagnostics.map((d) => d.code)).toEqual(["W6006"]);
  });

  it("a schema without obligations has no `obligations` field (schema ids unchanged)", () => {
    const r = loadSchema(parseSchema("entity A;").ast!);
    expect(r.schema !== undefined && "obligations" in r.schema).toBe(false);
    expect(Object.keys(schema.obligations ?? {}).sort()).toEqual(["max_calls", "max_cost", "notify", "require_approval", "timeout"]);
  });

  it("an invalid lineage field in a request is W5004", () => {
    for (const lineage of [5, { depth: -1 }, { ancestors: [{ principal: "x" }] }, { extra: 1 }, { parent: { ...(exec("a1", "allow") as object), decision: 3 } }]) {
      const r = requestFromJson({ ...(request({}) as object), lineage });
      expect(r.request).toBeUndefined();
      expect(r.diagnostics.map((d) => d.code)).toEqual(["W5004"]);
    }
  });
});

describe("obligation merging is order-independent", () => {
  const values: Record<string, fc.Arbitrary<string>> = {
    require_approval: fc.boolean().map(String),
    max_calls: fc.integer({ min: -1000, max: 1000 }).map(String),
    max_cost: fc.integer({ min: 0, max: 99999 }).map((n) => `decimal("${Math.floor(n / 100)}.${String(n % 100).padStart(2, "0")}")`),
    timeout: fc.integer({ min: 1, max: 5000 }).map((n) => `duration("${n}s")`),
    notify: fc.array(fc.constantFrom("#a", "#b", "#c", "#d"), { maxLength: 3 }).map((xs) => `[${xs.map((x) => JSON.stringify(x)).join(", ")}]`),
  };
  const permit = fc
    .record({
      cond: fc.constantFrom("true", "principal.trusted", "!principal.trusted", "context.tags.any(t, t == \"x\")"),
      obligations: fc.subarray(Object.keys(values), { minLength: 0 }).chain((keys) => fc.tuple(...keys.map((k) => values[k]!.map((v) => `${k}: ${v}`)))),
    })
    .map(({ cond, obligations }) => `permit (principal, action, resource) when { ${cond} }${obligations.length === 0 ? "" : ` obligations { ${obligations.join(", ")} }`};`);

  it("permuting the policies never changes `obligations` (nor the decision)", () => {
    const req = requestFromJson(request({ context: { tags: ["x"] } }), (k) => contextHintFor(schema, k)).request!;
    fc.assert(
      fc.property(fc.array(permit, { minLength: 1, maxLength: 6 }), fc.infiniteStream(fc.nat()), (policies, rnd) => {
        const shuffled = [...policies];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = rnd.next().value % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        const run = (ps: readonly string[]): Decision => compile(parse(ps.join("\n"))).program!.decide(req, entities);
        const a = run(policies);
        const b = run(shuffled);
        expect(b.decision).toBe(a.decision);
        expect(JSON.stringify(b.obligations)).toBe(JSON.stringify(a.obligations));
      }),
      { numRuns: 150 },
    );
  });
});

describe("examples/agent-governance", () => {
  const dir = new URL("../../examples/agent-governance/", import.meta.url);
  const read = (f: string): string => readFileSync(new URL(f, dir), "utf8");
  interface ExampleCase {
    readonly description: string;
    readonly expect: { readonly decision: string; readonly reasons: readonly string[]; readonly obligations: Record<string, JsonValue>; readonly shadow?: readonly string[] };
  }

  it("validates, and every request of requests.json decides as expected", () => {
    const s = loadSchema(parseSchema(read("schema.cedarschema")).ast!);
    expect(s.diagnostics).toEqual([]);
    const policies = parsePolicies(read("policies.cedar"));
    expect(policies.diagnostics).toEqual([]);
    expect(policies.ast!.policies.length).toBeGreaterThanOrEqual(8);
    expect(validatePolicies(policies.ast!, s.schema!).diagnostics).toEqual([]);
    const { program, diagnostics } = compile(policies.ast!);
    expect(diagnostics).toEqual([]);
    const es = entitiesFromJson(JSON.parse(read("entities.json")) as JsonValue);
    expect(es.diagnostics).toEqual([]);
    const cases = JSON.parse(read("requests.json")) as (ExampleCase & Record<string, JsonValue>)[];
    expect(cases.length).toBeGreaterThanOrEqual(10);
    for (const c of cases) {
      const r = requestFromJson(c, (k) => contextHintFor(s.schema!, k));
      expect(r.diagnostics, c.description).toEqual([]);
      const d = program!.decide(r.request!, es.entities!);
      expect({ description: c.description, decision: d.decision, reasons: d.reasons, obligations: d.obligations }).toEqual({
        description: c.description,
        decision: c.expect.decision,
        reasons: c.expect.reasons,
        obligations: c.expect.obligations,
      });
      expect(d.shadow.filter((x) => x.satisfied).map((x) => x.name), c.description).toEqual(c.expect.shadow ?? []);
    }
  });

  it("is rejected in cedar semantics (W6001)", () => {
    const policies = parsePolicies(read("policies.cedar"));
    const r = compile(policies.ast!, { semantics: "cedar" });
    expect(r.program).toBeUndefined();
    expect(new Set(r.diagnostics.map((d) => d.code))).toEqual(new Set(["W6001"]));
  });
});

describe("docs/governance.md", () => {
  const md = readFileSync(new URL("../../docs/governance.md", import.meta.url), "utf8");
  const blocks = [...md.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, body: m[2]! }));

  it("has a schema block and policy blocks", () => {
    expect(blocks.filter((b) => b.lang === "cedarschema").length).toBe(1);
    expect(blocks.filter((b) => b.lang === "cedar").length).toBeGreaterThanOrEqual(4);
  });

  it("every cedar block parses cleanly and validates against the schema block", () => {
    const schemaBlock = blocks.find((b) => b.lang === "cedarschema")!;
    const parsed = parseSchema(schemaBlock.body);
    expect(parsed.diagnostics).toEqual([]);
    const loaded = loadSchema(parsed.ast!);
    expect(loaded.diagnostics).toEqual([]);
    for (const b of blocks.filter((x) => x.lang === "cedar")) {
      const p = parsePolicies(b.body);
      expect(p.diagnostics, b.body).toEqual([]);
      expect(validatePolicies(p.ast!, loaded.schema!).diagnostics, b.body).toEqual([]);
      expect(compile(p.ast!).diagnostics, b.body).toEqual([]);
    }
  });
});

describe("properties", () => {
  const req = () => requestFromJson(request({ context: { tags: ["x", "y"] } }), (k) => contextHintFor(schema, k)).request!;
  const cond = fc.constantFrom("true", "false", "principal.trusted", "!principal.trusted", "context.tags.any(t, t == \"x\")", "9223372036854775807 + 1 > 0", "principal.tools.all(t, t like \"s*\")");
  const enforced = fc
    .tuple(fc.constantFrom("permit", "forbid"), cond, fc.option(fc.integer({ min: -5, max: 5 }), { nil: undefined }))
    .map(([effect, c, cap]) => `${effect} (principal, action, resource) when { ${c} }${effect === "permit" && cap !== undefined ? ` obligations { max_calls: ${cap} }` : ""};`);
  const shadowed = fc.tuple(fc.constantFrom("permit", "forbid"), cond).map(([effect, c]) => `@mode("shadow") ${effect} (principal, action, resource) when { ${c} };`);

  it("shadow policies never change decision, reasons, errors or obligations", () => {
    const r = req();
    fc.assert(
      fc.property(fc.array(enforced, { minLength: 1, maxLength: 5 }), fc.array(fc.tuple(shadowed, fc.nat()), { maxLength: 4 }), (base, extra) => {
        const mixed = [...base];
        for (const [s, at] of extra) mixed.splice(at % (mixed.length + 1), 0, s);
        // The enforced policies get the same names in both sets.
        const names = (ps: readonly string[]): string[] => {
          let k = 0;
          return ps.map((p) => (p.startsWith("@mode") ? p : `@id("p${k++}") ${p}`));
        };
        const a = compile(parse(names(base).join("\n"))).program!.decide(r, entities);
        const b = compile(parse(names(mixed).join("\n"))).program!.decide(r, entities);
        expect({ d: b.decision, r: b.reasons, e: b.errors.map((x) => x.policy), o: b.obligations }).toEqual({ d: a.decision, r: a.reasons, e: a.errors.map((x) => x.policy), o: a.obligations });
        expect(b.shadow.length).toBe(extra.length);
        expect(a.shadow).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it("a quantifier's result and error do not depend on the order of its set", () => {
    const r = req();
    const elem = fc.oneof(fc.integer({ min: -3, max: 3 }).map(String), fc.constant("9223372036854775807"));
    fc.assert(
      fc.property(fc.array(elem, { minLength: 0, maxLength: 5 }), fc.constantFrom("any", "all"), fc.constantFrom("x > 0", "x + 1 > 0", "x == 2"), (xs, q, body) => {
        const run = (ys: readonly string[]): Decision =>
          compile(parse(`@id("q") permit (principal, action, resource) when { [${ys.join(", ")}].${q}(x, ${body}) };`)).program!.decide(r, entities);
        const a = run(xs);
        const b = run([...xs].reverse());
        expect({ d: b.decision, e: b.errors.map((e) => `${e.code} ${e.message}`) }).toEqual({ d: a.decision, e: a.errors.map((e) => `${e.code} ${e.message}`) });
      }),
      { numRuns: 200 },
    );
  });
});
