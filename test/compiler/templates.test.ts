/**
 * Templates and links (issue 15, item 1): lowering, the link checks, template and link ids,
 * validation of links, decisions that name links, and the properties: a linked template
 * decides exactly like the equivalent static policy, and like Cedar with the same template
 * and link (`@cedar-policy/cedar-wasm`, cedar semantics).
 *
 * Runs per property: `WRIT_PROP_RUNS` (default 300); `WRIT_PROP_SEED` fixes the seed.
 */
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatPolicies, parsePolicies, parseSchema, type EntityRef, type LinkDecl, type Policy, type PolicySet } from "../../lang/index.js";
import {
  addLink,
  buildDecider,
  compile,
  isTemplate,
  linkId,
  loadSchema,
  lowerPolicies,
  policyId,
  requestFromJson,
  stripSpans,
  templateId,
  validatePolicies,
  type IrPolicy,
  type IrTemplate,
  type Semantics,
} from "../../compiler/index.js";
import { entitiesFromJson, type JsonValue } from "../../stdlib/index.js";
import { arbEntitiesJson, arbPolicySetText, arbRequestJson, UNIVERSE, type EntityJson, type RequestJson } from "../support/arbitraries.js";

const RUNS = Number(process.env["WRIT_PROP_RUNS"] ?? "300");
const SEED = process.env["WRIT_PROP_SEED"] === undefined ? undefined : Number(process.env["WRIT_PROP_SEED"]);
const PROP = { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) };
const TIMEOUT = Math.max(60_000, RUNS * 60);
const NOWHERE = { start: 0, end: 0 };

function parse(src: string): PolicySet {
  const r = parsePolicies(src);
  expect(r.diagnostics).toEqual([]);
  return r.ast!;
}

function ref(type: string, id: string): EntityRef {
  return { kind: "entityRef", type: { kind: "name", path: type.split("::"), span: NOWHERE }, id, span: NOWHERE };
}

function link(name: string, template: string, principal?: [string, string], resource?: [string, string]): LinkDecl {
  const values = { ...(principal === undefined ? {} : { principal: ref(...principal) }), ...(resource === undefined ? {} : { resource: ref(...resource) }) };
  return { kind: "link", name, template, values, span: NOWHERE };
}

function withLinks(set: PolicySet, ...links: LinkDecl[]): PolicySet {
  return { ...set, links };
}

const TEMPLATES = `
@id("share")
permit (principal == ?principal, action == Action::"view", resource in ?resource);

@id("deny-team")
forbid (principal in ?principal, action, resource);

@id("docs-of")
permit (principal is User in ?principal, action, resource is Doc);

permit (principal, action == Action::"view", resource == Doc::"d1");
`;

function request(p: [string, string], a: string, r: [string, string]): RequestJson {
  return { principal: { type: p[0], id: p[1] }, action: { type: "Action", id: a }, resource: { type: r[0], id: r[1] }, context: {} };
}

function decideWrit(set: PolicySet, entities: readonly EntityJson[], req: RequestJson, semantics: Semantics = "cedar") {
  const c = compile(set, { semantics });
  expect(c.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return c.program!.decide(requestFromJson(req as unknown as JsonValue).request!, entitiesFromJson(entities as unknown as JsonValue).entities!);
}

const ENTITIES: EntityJson[] = [
  { uid: { type: "User", id: "alice" }, attrs: {}, parents: [{ type: "Group", id: "staff" }] },
  { uid: { type: "Group", id: "staff" }, attrs: {}, parents: [] },
  { uid: { type: "Doc", id: "d2" }, attrs: {}, parents: [{ type: "Folder", id: "f1" }] },
  { uid: { type: "Folder", id: "f1" }, attrs: {}, parents: [] },
];

describe("templates are not policies", () => {
  it("lower to IrTemplate, never into the policies the decision function takes", () => {
    const ir = lowerPolicies(parse(TEMPLATES)).ir;
    expect(ir.policies.map((p) => p.name)).toEqual(["policy3"]);
    expect(ir.templates?.map((t) => [t.kind, t.name])).toEqual([
      ["template", "share"],
      ["template", "deny-team"],
      ["template", "docs-of"],
    ]);
    expect(ir.templates?.[0]?.principal).toEqual({ kind: "slot", slot: "principal", op: "eq" });
    expect(ir.templates?.[2]?.principal).toEqual({ kind: "slot", slot: "principal", op: "is", entityType: "User" });
  });

  it("an unlinked template never decides, errors or denies (not even a forbid under fail-closed)", () => {
    const d = decideWrit(parse(TEMPLATES), ENTITIES, request(["User", "alice"], "view", ["Doc", "d1"]), "fail-closed");
    expect(d).toMatchObject({ decision: "allow", reasons: ["policy3"], errors: [] });
  });

  it("the decision function's type excludes templates", () => {
    const t: IrTemplate = lowerPolicies(parse(TEMPLATES)).ir.templates![0]!;
    // @ts-expect-error an IrTemplate is not an IrPolicy: its scope may be a slot
    const asPolicy: IrPolicy = t;
    expect(() => buildDecider({ kind: "policySet", version: 1, policies: [asPolicy] }, "cedar")).toThrow(/scope/);
  });
});

describe("links", () => {
  const set = parse(TEMPLATES);

  it("make policies named after the link, after the static ones, and reasons name the link", () => {
    const linked = withLinks(set, link("alice-f1", "share", ["User", "alice"], ["Folder", "f1"]), link("no-staff", "deny-team", ["Group", "staff"]));
    const ir = lowerPolicies(linked).ir;
    expect(ir.policies.map((p) => p.name)).toEqual(["policy3", "alice-f1", "no-staff"]);
    expect(ir.policies[1]).toMatchObject({ principal: { kind: "eq", entity: { type: "User", id: "alice" } }, resource: { kind: "in", entities: [{ type: "Folder", id: "f1" }] } });
    const viewD2 = decideWrit(withLinks(set, link("alice-f1", "share", ["User", "alice"], ["Folder", "f1"])), ENTITIES, request(["User", "alice"], "view", ["Doc", "d2"]));
    expect(viewD2).toMatchObject({ decision: "allow", reasons: ["alice-f1"] });
    expect(decideWrit(linked, ENTITIES, request(["User", "alice"], "view", ["Doc", "d2"]))).toMatchObject({ decision: "deny", reasons: ["no-staff"] });
  });

  it("are checked: the template exists, is a template, and gets exactly its slots; names are unique", () => {
    const codes = (...links: LinkDecl[]): string[] => lowerPolicies(withLinks(set, ...links)).diagnostics.map((d) => `${d.code} ${d.message}`);
    expect(codes(link("x", "shar", ["User", "a"], ["Folder", "f"]))).toEqual(["W3031 link `x`: no template is named `shar`"]);
    expect(codes(link("x", "policy3", ["User", "a"]))).toEqual(["W3031 link `x`: `policy3` is a static policy, not a template"]);
    expect(codes(link("x", "share", ["User", "a"]))).toEqual(["W3031 link `x` of template `share`: no value for `?resource`"]);
    expect(codes(link("x", "deny-team", ["Group", "g"], ["Doc", "d"]))).toEqual(["W3031 link `x` of template `deny-team`: the template has no `?resource` slot"]);
    expect(codes(link("share", "deny-team", ["Group", "g"]))[0]).toMatch(/^W1041 link `share`/);
    expect(codes(link("a", "deny-team", ["Group", "g"]), link("a", "deny-team", ["Group", "h"]))[0]).toMatch(/^W1041 link `a`/);
    expect(compile(withLinks(set, link("x", "shar", ["User", "a"]))).program).toBeUndefined();
  });

  it("a template's Writ extensions are refused under cedar semantics once, linked or not (W6001)", () => {
    const t = parse(`@mode("shadow") permit (principal == ?principal, action, resource);`);
    const w6001 = (s: PolicySet): number => compile(s, { semantics: "cedar" }).diagnostics.filter((d) => d.code === "W6001").length;
    expect(w6001(t)).toBe(1);
    expect(w6001(withLinks(t, link("a", "policy0", ["User", "a"]), link("b", "policy0", ["User", "b"])))).toBe(1);
    expect(compile(t, { semantics: "fail-closed" }).diagnostics).toEqual([]);
  });

  it("addLink is the library API: it checks the link and returns the set with it", () => {
    const ok = addLink(set, { name: "l", template: "deny-team", values: { "?principal": { type: "Group", id: "staff" } } });
    expect(ok.diagnostics).toEqual([]);
    expect(ok.set?.links?.map((l) => l.name)).toEqual(["l"]);
    const bad = addLink(set, { name: "l", template: "deny-team", values: { "?principal": { type: "not a type", id: "x" } } });
    expect(bad.set).toBeUndefined();
    expect(bad.diagnostics.map((d) => d.code)).toEqual(["W3031"]);
  });
});

describe("template and link ids", () => {
  const ids = (src: string, ...links: LinkDecl[]) => {
    const ir = lowerPolicies(withLinks(parse(src), ...links)).ir;
    const t = ir.templates!.map((x) => templateId(stripSpans(x)));
    return { t, l: (ir.links ?? []).map((x) => linkId(t[0]!, x.values)) };
  };
  const T = `permit (principal == ?principal, action, resource) when { context.n > 1 };`;

  it("a template id is the content id of its IR: layout and comments do not change it, meaning does", () => {
    expect(ids(`// c\npermit(\n principal   == ?principal, action, resource)\n when {context.n>1};`).t).toEqual(ids(T).t);
    expect(ids(T.replace("> 1", "> 2")).t).not.toEqual(ids(T).t);
    expect(ids(T.replace("== ?principal", "in ?principal")).t).not.toEqual(ids(T).t);
  });

  it("a template id never equals the policy id of the same body", () => {
    const t = stripSpans(lowerPolicies(parse(T)).ir.templates![0]!);
    expect(templateId(t)).not.toEqual(policyId({ ...t, kind: "policy" } as unknown as IrPolicy));
  });

  it("a link id covers the template id and the slot values, not the link's name", () => {
    const a = ids(T, link("a", "policy0", ["User", "alice"])).l[0];
    expect(ids(T, link("b", "policy0", ["User", "alice"])).l[0]).toBe(a);
    expect(ids(T, link("a", "policy0", ["User", "bob"])).l[0]).not.toBe(a);
    expect(ids(T.replace("> 1", "> 2"), link("a", "policy0", ["User", "alice"])).l[0]).not.toBe(a);
  });
});

describe("validation", () => {
  const schema = loadSchema(
    parseSchema(`entity User in [Team]; entity Team; entity Doc in [Folder] { owner: User }; entity Folder; entity Color enum ["red"];
action view appliesTo { principal: User, resource: [Doc, Folder] };`).ast!,
  ).schema!;
  const set = parse(`@id("t") permit (principal in ?principal, action == Action::"view", resource) when { resource has owner && resource.owner == principal };`);
  const diags = (s: PolicySet): string[] => validatePolicies(s, schema).diagnostics.map((d) => `${d.code} ${d.message}`);

  it("templates validate with their slots", () => {
    expect(diags(set)).toEqual([]);
    expect(diags(parse(`permit (principal == ?principal, action == Action::"view", resource) when { principal.nope };`))[0]).toMatch(/^W3003/);
  });

  it("each link is validated as the policy it stands for, and problems name the link", () => {
    expect(diags(withLinks(set, link("ok", "t", ["Team", "a"])))).toEqual([]);
    expect(diags(withLinks(set, link("bad", "t", ["Teem", "a"])))[0]).toEqual("W3001 link `bad` of template `t`: unknown entity type `Teem`");
    expect(diags(withLinks(set, link("never", "t", ["Folder", "f"])))).toEqual([expect.stringMatching(/^W3005 link `never` of template `t`: this policy applies to no request/)]);
    expect(diags(withLinks(set, link("c", "t", ["Color", "blue"])))[0]).toMatch(/^W3015 link `c` of template `t`/);
    expect(diags(withLinks(set, link("x", "nope", ["Team", "a"])))).toEqual(["W3031 link `x`: no template is named `nope`"]);
  });
});

// ------------------------------------------------------------------ properties

/** Replace the first entity constraint of the principal or resource scope with a slot; undefined when there is none. */
function templatize(p: Policy, which: "principal" | "resource"): { template: Policy; value: EntityRef } | undefined {
  const s = p[which];
  const c = s.constraint;
  const slot = { kind: "slot" as const, slot: which, span: NOWHERE };
  if ((c.kind === "eq" || c.kind === "in") && c.target.kind === "entityRef") return { template: { ...p, [which]: { ...s, constraint: { ...c, target: slot } } }, value: c.target };
  if (c.kind === "is" && c.in !== undefined && c.in.kind === "entityRef") return { template: { ...p, [which]: { ...s, constraint: { ...c, in: slot } } }, value: c.in };
  return undefined;
}

/** A set where some policies became templates (renamed `tN`) and a link named after each original restores it. */
const arbTemplated = fc.tuple(arbPolicySetText({ maxPolicies: 4, annotations: false }), fc.array(fc.boolean(), { minLength: 8, maxLength: 8 })).map(([src, picks]) => {
  const set = parsePolicies(src).ast!;
  const policies: Policy[] = [];
  const links: LinkDecl[] = [];
  set.policies.forEach((p, i) => {
    const pr = picks[2 * i] ? templatize(p, "principal") : undefined;
    const rs = picks[2 * i + 1] ? templatize(pr?.template ?? p, "resource") : undefined;
    if (pr === undefined && rs === undefined) {
      policies.push({ ...p, annotations: [{ kind: "annotation", name: "id", value: `policy${i}`, span: NOWHERE }] });
      return;
    }
    const template = rs?.template ?? pr!.template;
    policies.push({ ...template, annotations: [{ kind: "annotation", name: "id", value: `t${i}`, span: NOWHERE }] });
    links.push({ kind: "link", name: `policy${i}`, template: `t${i}`, values: { ...(pr === undefined ? {} : { principal: pr.value }), ...(rs === undefined ? {} : { resource: rs.value }) }, span: NOWHERE });
  });
  return { src, static: set, templated: { ...set, policies, links } as PolicySet };
});

function outcome(set: PolicySet, entities: readonly EntityJson[], req: RequestJson, semantics: Semantics) {
  const d = decideWrit(set, entities, req, semantics);
  return { decision: d.decision, reasons: [...d.reasons].sort(), errors: d.errors.map((e) => `${e.policy} ${e.code}`).sort() };
}

describe("properties", () => {
  it(
    "a linked template decides exactly like the equivalent static policy (both semantics)",
    () => {
      fc.assert(
        fc.property(arbTemplated, arbEntitiesJson(), arbRequestJson(), fc.constantFrom<Semantics>("cedar", "fail-closed"), (t, es, req, sem) => {
          expect(outcome(t.templated, es, req, sem)).toEqual(outcome(t.static, es, req, sem));
        }),
        PROP,
      );
    },
    TIMEOUT,
  );

  it(
    "linking other values decides like the static policy written with those values",
    () => {
      fc.assert(
        fc.property(arbTemplated, arbEntitiesJson(), arbRequestJson(), fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 8, maxLength: 8 }), (t, es, req, picks) => {
          const links = (t.templated.links ?? []).map((l, i) => {
            const swap = (r: EntityRef | undefined, k: number): EntityRef | undefined => {
              if (r === undefined) return undefined;
              const ids = (UNIVERSE as Record<string, readonly string[]>)[r.type.path.join("::")] ?? [r.id];
              return { ...r, id: ids[picks[k]! % ids.length]! };
            };
            const principal = swap(l.values.principal, 2 * i);
            const resource = swap(l.values.resource, 2 * i + 1);
            return { ...l, values: { ...(principal === undefined ? {} : { principal }), ...(resource === undefined ? {} : { resource }) } };
          });
          const relinked: PolicySet = { ...t.templated, links };
          // The equivalent static set: each template with its slots filled, printed and parsed again.
          const byName = new Map(t.templated.policies.map((p) => [p.annotations.find((a) => a.name === "id")!.value!, p]));
          const statics = t.templated.policies.filter((p) => !isTemplate(p));
          const filled = links.map((l) => {
            const tp = byName.get(l.template)!;
            const fill = (s: Policy["principal"], v: EntityRef | undefined): Policy["principal"] => {
              const c = s.constraint;
              if (v === undefined) return s;
              if ((c.kind === "eq" || c.kind === "in") && c.target.kind === "slot") return { ...s, constraint: { ...c, target: v } };
              if (c.kind === "is" && c.in?.kind === "slot") return { ...s, constraint: { ...c, in: v } };
              return s;
            };
            return { ...tp, annotations: [{ kind: "annotation" as const, name: "id", value: l.name, span: NOWHERE }], principal: fill(tp.principal, l.values.principal), resource: fill(tp.resource, l.values.resource) };
          });
          const text = formatPolicies({ kind: "policySet", policies: [...statics, ...filled], comments: [], span: NOWHERE }, "");
          const equivalent = parse(text);
          expect(outcome(relinked, es, req, "cedar")).toEqual(outcome(equivalent, es, req, "cedar"));
        }),
        PROP,
      );
    },
    TIMEOUT,
  );

  it(
    "Cedar decides the same templates and links the same way (cedar-wasm, cedar semantics)",
    () => {
      let compared = 0;
      let linkedCases = 0;
      fc.assert(
        fc.property(arbTemplated, arbEntitiesJson(), arbRequestJson(), (t, es, req) => {
          const text = (ps: readonly Policy[]) => Object.fromEntries(ps.map((p) => [p.annotations.find((a) => a.name === "id")!.value!, formatPolicies({ kind: "policySet", policies: [p], comments: [], span: NOWHERE }, "")]));
          const templates = t.templated.policies.filter(isTemplate);
          const answer = cedar.isAuthorized({
            principal: req.principal,
            action: req.action,
            resource: req.resource,
            context: req.context as cedar.Context,
            policies: {
              staticPolicies: text(t.templated.policies.filter((p) => !isTemplate(p))),
              templates: text(templates),
              templateLinks: (t.templated.links ?? []).map((l) => ({
                templateId: l.template,
                newId: l.name,
                values: Object.fromEntries(
                  (["principal", "resource"] as const).flatMap((s) => {
                    const v = l.values[s];
                    return v === undefined ? [] : [[`?${s}`, { type: v.type.path.join("::"), id: v.id }]];
                  }),
                ),
              })),
            },
            entities: es as unknown as cedar.Entities,
          });
          if (answer.type === "failure") return;
          compared++;
          if ((t.templated.links ?? []).length > 0) linkedCases++;
          const r = answer.response;
          const ours = outcome(t.templated, es, req, "cedar");
          expect({ decision: ours.decision, reasons: ours.reasons, errors: [...new Set(ours.errors.map((e) => e.split(" ")[0]!))].sort() }).toEqual({
            decision: r.decision,
            reasons: [...r.diagnostics.reason].sort(),
            errors: [...new Set(r.diagnostics.errors.map((e) => e.policyId))].sort(),
          });
        }),
        PROP,
      );
      // The comparison ran (Cedar accepted the inputs) and most cases had links.
      expect(compared).toBeGreaterThan(RUNS * 0.8);
      expect(linkedCases).toBeGreaterThan(RUNS * 0.3);
    },
    TIMEOUT,
  );
});
