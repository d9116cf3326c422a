/**
 * Bundles with templates and links (issue 15): built and loaded without the parser, every id
 * recomputed, decision records that name the link, any tampering refused, bundles without
 * templates unchanged, and bundles of older writ versions that compiled a template as a
 * policy refused rather than loaded with changed decisions.
 */
import { describe, expect, it } from "vitest";
import { parsePolicies, parseSchema, type EntityRef, type LinkDecl, type PolicySet } from "../../lang/index.js";
import { buildBundle, compile, loadSchema, policyId, requestFromJson, type Bundle } from "../../compiler/index.js";
import { bundleId } from "../../compiler/ids.js";
import { signBundle } from "../../compiler/bundle.js";
import { nodeEd25519 } from "../../runtime/crypto/ed25519-node.js";
import { decide, loadBundle } from "../../runtime/index.js";
import { bundleText } from "../../runtime/bundle.js";
import { entitiesFromJson, type JsonValue } from "../../stdlib/index.js";

const NOWHERE = { start: 0, end: 0 };
const SCHEMA = loadSchema(
  parseSchema(`entity User in [Team]; entity Team; entity Doc in [Folder]; entity Folder;
action view, edit appliesTo { principal: User, resource: [Doc, Folder] };`).ast!,
).schema!;
const POLICIES = `
@id("share") @reason("shared with you")
permit (principal == ?principal, action == Action::"view", resource in ?resource);

@id("no-edit")
forbid (principal in ?principal, action == Action::"edit", resource);

@id("static")
permit (principal, action == Action::"edit", resource is Doc);
`;

function ref(type: string, id: string): EntityRef {
  return { kind: "entityRef", type: { kind: "name", path: [type], span: NOWHERE }, id, span: NOWHERE };
}

const LINKS: LinkDecl[] = [
  { kind: "link", name: "alice-f1", template: "share", values: { principal: ref("User", "alice"), resource: ref("Folder", "f1") }, span: NOWHERE },
  { kind: "link", name: "no-edit-staff", template: "no-edit", values: { principal: ref("Team", "staff") }, span: NOWHERE },
];

function set(links: LinkDecl[] = LINKS): PolicySet {
  return { ...parsePolicies(POLICIES).ast!, links };
}

function build(s: PolicySet = set()): Bundle {
  const b = buildBundle({ policiesAst: s, schema: SCHEMA });
  expect(b.diagnostics).toEqual([]);
  return JSON.parse(JSON.stringify(b.bundle)) as Bundle;
}

const ENTITIES = [
  { uid: { type: "User", id: "alice" }, attrs: {}, parents: [{ type: "Team", id: "staff" }] },
  { uid: { type: "Doc", id: "d1" }, attrs: {}, parents: [{ type: "Folder", id: "f1" }] },
];
const req = (action: string, resource = "d1") => ({ principal: { type: "User", id: "alice" }, action: { type: "Action", id: action }, resource: { type: "Doc", id: resource }, context: {} });
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
const codes = (r: { diagnostics: readonly { code: string }[] }): string[] => r.diagnostics.map((d) => d.code);

describe("bundles with templates", () => {
  it("carry templates and links (not linked IR) and load with every id recomputed", () => {
    const b = build();
    expect(b.templates?.map((t) => t.name).sort()).toEqual(["no-edit", "share"]);
    expect(b.links?.map((l) => [l.name, l.template]).sort()).toEqual([
      ["alice-f1", "share"],
      ["no-edit-staff", "no-edit"],
    ]);
    expect(b.policies.map((p) => p.name)).toEqual(["static"]);
    const loaded = loadBundle(b);
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.bundle?.links?.map((l) => l.name).sort()).toEqual(["alice-f1", "no-edit-staff"]);
    expect(loaded.bundle?.bundleId).toBe(b.bundleId);
  });

  it("decide like the compiled policy set, and records name the link with the link id", () => {
    const loaded = loadBundle(build()).bundle!;
    const program = compile(set(), { semantics: "fail-closed" }).program!;
    const es = entitiesFromJson(ENTITIES as unknown as JsonValue).entities!;
    for (const action of ["view", "edit"]) {
      const record = decide(loaded, req(action), ENTITIES);
      const direct = program.decide(requestFromJson(req(action) as unknown as JsonValue).request!, es);
      expect(record.decision).toBe(direct.decision);
      expect(record.reasons.map((r) => r.name)).toEqual(direct.reasons);
    }
    const view = decide(loaded, req("view"), ENTITIES);
    const link = loaded.links!.find((l) => l.name === "alice-f1")!;
    expect(view.reasons).toEqual([{ name: "alice-f1", policyId: link.id, reason: "shared with you" }]);
    expect(decide(loaded, req("edit"), ENTITIES).reasons.map((r) => r.name)).toEqual(["no-edit-staff"]);
  });

  it("refuse any change to a template or a link", () => {
    const b = build();
    const cases: [string, (x: Bundle & Record<string, unknown>) => void, string][] = [
      ["template IR", (x) => ((x.templates![0]!.ir as unknown as Record<string, unknown>)["conditions"] = [{ polarity: "when", body: { kind: "bool", value: false } }]), "W6102"],
      ["template id", (x) => ((x.templates![0] as unknown as Record<string, unknown>)["id"] = b.policies[0]!.id), "W6102"],
      ["link value", (x) => (((x.links![0]!.values as Record<string, Record<string, string>>)["?principal"]!)["id"] = "mallory"), "W6102"],
      ["link templateId", (x) => ((x.links![0] as unknown as Record<string, unknown>)["templateId"] = b.templates![1]!.id), "W6102"],
      ["link to no template", (x) => ((x.links![0] as unknown as Record<string, unknown>)["template"] = "nope"), "W6105"],
      ["link missing a slot", (x) => ((x.links!.find((l) => l.template === "share") as unknown as Record<string, unknown>)["values"] = { "?principal": { type: "User", id: "alice" } }), "W6105"],
      ["link name taken", (x) => ((x.links![0] as unknown as Record<string, unknown>)["name"] = "static"), "W6105"],
      ["templates without links", (x) => delete (x as Record<string, unknown>)["links"], "W6105"],
      ["template without a slot", (x) => ((x.templates![0]!.ir as unknown as Record<string, unknown>)["principal"] = { kind: "any" }), "W6105"],
      ["unknown field", (x) => ((x.links![0] as unknown as Record<string, unknown>)["extra"] = 1), "W6105"],
    ];
    for (const [what, change, code] of cases) {
      const x = clone(b) as Bundle & Record<string, unknown>;
      change(x);
      expect(codes(loadBundle(x)), what).toEqual([code]);
    }
  });

  it("refuse a change of any leaf of `templates` and `links`", () => {
    const b = build();
    const leaves = (x: unknown, path: (string | number)[]): (string | number)[][] =>
      Array.isArray(x) ? x.flatMap((y, i) => leaves(y, [...path, i])) : x !== null && typeof x === "object" ? Object.entries(x).flatMap(([k, v]) => leaves(v, [...path, k])) : [path];
    const paths = [...leaves(b.templates, ["templates"]), ...leaves(b.links, ["links"])];
    expect(paths.length).toBeGreaterThan(30);
    for (const path of paths) {
      const x = clone(b) as unknown as Record<string | number, unknown>;
      let parent = x;
      for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
      const last = path[path.length - 1]!;
      const v = parent[last];
      parent[last] = typeof v === "string" ? `${v}x` : typeof v === "boolean" ? !v : v === null ? "x" : typeof v === "number" ? v + 1 : "x";
      expect(codes(loadBundle(x)).length, path.join("/")).toBe(1);
    }
  });

  it("the bundle id covers templates and links; a signed bundle verifies", () => {
    const other = build(set([LINKS[0]!]));
    expect(other.bundleId).not.toBe(build().bundleId);
    const signed = signBundle(build(), new Uint8Array(32).fill(9), nodeEd25519);
    expect(codes(loadBundle(signed, { publicKey: nodeEd25519.publicKeyOf(new Uint8Array(32).fill(9)) }))).toEqual([]);
  });

  it("write back out (the governor's stored bundle) and load again with the same id", () => {
    const loaded = loadBundle(build()).bundle!;
    const again = loadBundle(JSON.parse(bundleText(loaded)));
    expect(again.diagnostics).toEqual([]);
    expect(again.bundle?.bundleId).toBe(loaded.bundleId);
  });
});

describe("compatibility", () => {
  it("a bundle without templates has no templates or links fields and its id is computed as before", () => {
    const b = build({ ...parsePolicies(`permit (principal, action, resource);`).ast! });
    expect(Object.keys(b)).not.toContain("templates");
    expect(Object.keys(b)).not.toContain("links");
    expect(b.bundleId).toBe(bundleId({ semantics: b.semantics, schemaId: b.schemaId, sequence: b.sequence, policies: b.policies }));
    expect(codes(loadBundle(b))).toEqual([]);
  });

  it("a bundle in which an older writ stored a template as a policy is refused, not loaded with other decisions", () => {
    const b = build();
    const t = b.templates!.find((x) => x.name === "no-edit")!;
    const asPolicy = { ...t.ir, kind: "policy" } as unknown as Bundle["policies"][number]["ir"];
    const old = { ...clone(b), policies: [...b.policies, { name: "no-edit", id: policyId(asPolicy), ir: asPolicy }] } as Record<string, unknown>;
    delete old["templates"];
    delete old["links"];
    const r = loadBundle(old);
    expect(codes(r)).toEqual(["W6105"]);
    expect(r.diagnostics[0]!.message).toMatch(/unlinked template compiled by an older writ/);
  });
});
