/**
 * Known-answer ids: fixed policies, a fixed schema, fixed bundles and fixed requests, each
 * pinned to the content id it has today. Any change of the id scheme — the canonical JSON, the
 * hash, what a policy id leaves out, the schema model's shape, the bundle id's fields, the
 * request digest's canonical forms — fails here, even when every other test (which only
 * compares ids with each other) still passes.
 *
 * Changing an id on purpose: run this file, check that only the ids you meant to change
 * differ, copy the received values into the tables below, and say so in the commit (ids in
 * signed bundles and lineage logs written before the change no longer match).
 */
import { describe, expect, it } from "vitest";
import { parsePolicies, parseSchema } from "../../lang/index.js";
import { buildBundle, bundleId, canonicalJson, contentId, contextHintFor, entityHintFor, keyIdOf, loadSchema, policyId, requestFromJson, schemaId, type Semantics } from "../../compiler/index.js";
import { lowerPolicies } from "../../compiler/lower.js";
import { stripSpans } from "../../compiler/ir.js";
import { entitiesFromJson, type JsonValue } from "../../stdlib/index.js";
import { decide, loadBundle, loadEntities, recordBytes, requestDigest, type EntityJson, type RequestJson } from "../../runtime/index.js";
import { sha256Hex } from "../../compiler/canonical.js";

const POLICIES = `
@id("view-own")
@reason("owners may view their documents")
permit (principal, action == Action::"view", resource is Doc)
when { resource.owner == principal && resource has meta.tags && resource.meta.tags.contains("x") };

forbid (principal in Group::"blocked", action in [Action::"view", Action::"edit"], resource)
unless { context.ip.isInRange(ip("10.0.0.0/8")) || context.level > 3 };

permit (principal is User, action, resource)
when { principal.name like "a*\\*z" && { k: [1, -2], d: decimal("1.5") } has k && datetime("2024-01-01").offset(duration("1d")) > datetime("2024-01-01") }
obligations { approve: true };
`;

const SCHEMA = `
type Meta = { tags: Set<String>, note?: String };
entity Group in [Group];
entity User in [Group] = { name: String };
entity Doc = { owner: User, meta?: Meta } tags Long;
entity Color enum ["red", "blue"];
action all;
action view, edit in [all] appliesTo { principal: User, resource: Doc, context: { ip: ipaddr, level: Long } };
obligation approve: Bool;
namespace N { entity E in [User]; action "x" appliesTo { principal: E, resource: Doc }; }
`;

/** Policy ids of `POLICIES`, in file order. */
const POLICY_IDS = [
  "sha256:cc6aea4efe000f5e771cd0e9b7290d9475fce954bac199360647045a45594d97",
  "sha256:a6d05a51c8d59049fee4fff84928155a6cb02f1a1d4f92d78f5bf9116456b4d9",
  "sha256:fc1078689c9260de47a9f050298d9a0091ecdc5035dbf5d6406a11390c0b1aef",
];
const SCHEMA_ID = "sha256:2918dc2227abe45bafe7eb9e7bbe3b9738eec0a3a45c1c9af0f1dc986d758266";
/** Bundle ids of `SCHEMA` with the first `count` policies of `POLICIES`, by semantics and sequence (cedar semantics allow no obligations). */
const BUNDLE_IDS: readonly (readonly [Semantics, number, number, string])[] = [
  ["fail-closed", 0, 3, "sha256:235a269f9530e016cfb23235502afa42c401e1c8f1c3e353f54ef223a1f733d2"],
  ["fail-closed", 7, 3, "sha256:6ac146c8a0b2e042bf6946ee4180dc81a27ecb21bf8c998a4d56ce055cae9771"],
  ["cedar", 0, 2, "sha256:38e75e1e48939f738f89082c7a89c0629af8acf328b3aa41c5e4d8bbcf61357e"],
];
/** The canonical bytes and content id of a fixed plain value (JCS + SHA-256 themselves). */
const PLAIN = { b: [1, "x", null, true, 2.5, "é\u2028"], a: { "\u20ac": 0, "1": -0, z: {} } };
const PLAIN_JCS = '{"a":{"1":0,"z":{},"€":0},"b":[1,"x",null,true,2.5,"é\u2028"]}';
const PLAIN_ID = "sha256:e1525caaee8ce2cb15099a56c5e97ba975c0ba2ac6db5d20cef75874aad19c30";
/** The key id of the public key whose 32 bytes are 0, 1, …, 31. */
const KEY_ID = "sha256:630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd";

/**
 * RECORD_KNOWN_ANSWERS: the request digest and the decision record of fixed requests decided
 * by the fail-closed bundle above: the entity store's id, the request digest (over the
 * request and that id) and the record's id. Update them when the record format changes;
 * `recordId` also changes with the evaluator version written into every record.
 */
const RECORD_KNOWN_ANSWERS: readonly {
  readonly name: string;
  readonly request: JsonValue;
  readonly entities: JsonValue;
  readonly entitiesId: string;
  readonly requestDigest: string;
  readonly recordId: string;
}[] = [
  {
    name: "owner views own document",
    request: { principal: { type: "User", id: "alice" }, action: { type: "Action", id: "view" }, resource: { type: "Doc", id: "d1" }, context: { ip: "192.168.0.1", level: 1 } },
    entities: [
      { uid: { type: "User", id: "alice" }, attrs: { name: "alice" }, parents: [] },
      { uid: { type: "Doc", id: "d1" }, attrs: { owner: { type: "User", id: "alice" }, meta: { tags: ["x"] } }, parents: [], tags: { n: 1 } },
    ],
    entitiesId: "sha256:7b84af1e5d63b652d6c4f46cc7344180db7a5e96819ccb2886246d21a6404030",
    requestDigest: "sha256:3e0de662fc0e077dd923045102e70e248a4546b70ce05691161f6bb68c3de7ec",
    recordId: "sha256:d627116ac210ec6344e67965bd1a1a4439d8e69d49aa814c69504bf2f8e78ef8",
  },
  {
    name: "blocked member denied, big negative context Long",
    request: { principal: { type: "User", id: "bob" }, action: { type: "Action", id: "edit" }, resource: { type: "Doc", id: "d1" }, context: { ip: "192.168.1.1", level: -9007199254740993n } },
    entities: [
      { uid: { type: "User", id: "bob" }, attrs: { name: "bob" }, parents: [{ type: "Group", id: "blocked" }] },
      { uid: { type: "Group", id: "blocked" }, attrs: {}, parents: [] },
      { uid: { type: "Doc", id: "d1" }, attrs: { owner: { type: "User", id: "alice" } }, parents: [] },
    ],
    entitiesId: "sha256:cd02a3b5cc3f3a451f6ecf22abcc47b825db119c83c2338d18178a78d8f818f1",
    requestDigest: "sha256:a97b01e22c975891af20c946983e3f1f96406e47aaa82500fec8728b3f23cf32",
    recordId: "sha256:2fb84d4f5432cda752c012468e7e32bdbfc1809ef4a022b3d1fb4c5e5cd35f47",
  },
];

function schema() {
  const r = loadSchema(parseSchema(SCHEMA).ast!);
  expect(r.diagnostics).toEqual([]);
  return r.schema!;
}

function bundle(semantics: Semantics, sequence: number, count = 3) {
  const all = parsePolicies(POLICIES).ast!;
  const r = buildBundle({ policiesAst: { ...all, policies: all.policies.slice(0, count) }, schema: schema(), semantics, sequence });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return r.bundle!;
}

describe("known-answer ids (compiler/ids.ts, compiler/canonical.ts)", () => {
  it("canonical JSON and content ids of a fixed value", () => {
    expect(canonicalJson(PLAIN)).toBe(PLAIN_JCS);
    expect(contentId(PLAIN)).toBe(PLAIN_ID);
  });

  it("policy ids", () => {
    const parsed = parsePolicies(POLICIES);
    expect(parsed.diagnostics).toEqual([]);
    const ir = lowerPolicies(parsed.ast!).ir;
    expect(ir.policies.map((p) => policyId(stripSpans(p)))).toEqual(POLICY_IDS);
  });

  it("schema id", () => {
    expect(schemaId(schema())).toBe(SCHEMA_ID);
  });

  it.each(BUNDLE_IDS)("bundle id (%s, sequence %d, %d policies)", (semantics, sequence, count, id) => {
    const b = bundle(semantics, sequence, count);
    expect(b.bundleId).toBe(id);
    expect(bundleId({ semantics, schemaId: b.schemaId, sequence, policies: b.policies })).toBe(id);
    expect(b.schemaId).toBe(SCHEMA_ID);
    expect(b.policies.map((p) => p.id).sort()).toEqual(POLICY_IDS.slice(0, count).sort());
  });

  it("key id", () => {
    expect(keyIdOf(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(KEY_ID);
  });
});

describe("RECORD_KNOWN_ANSWERS (runtime request digests and decision records)", () => {
  const loaded = loadBundle(JSON.parse(JSON.stringify(bundle("fail-closed", 0))));

  it.each(RECORD_KNOWN_ANSWERS)("$name", (row) => {
    expect(loaded.diagnostics).toEqual([]);
    const s = schema();
    const req = requestFromJson(row.request, (key) => contextHintFor(s, key));
    const ents = entitiesFromJson(row.entities, entityHintFor(s));
    expect(req.diagnostics).toEqual([]);
    expect(ents.diagnostics).toEqual([]);
    const store = loadEntities(loaded.bundle!, row.entities as unknown as readonly EntityJson[]).store!;
    expect(store.id).toBe(row.entitiesId);
    const record = decide(loaded.bundle!, row.request as unknown as RequestJson, store);
    expect(record.errors).toEqual([]);
    expect(record.entitiesId).toBe(row.entitiesId);
    expect(record.requestDigest).toBe(row.requestDigest);
    expect(decide(loaded.bundle!, row.request as unknown as RequestJson, row.entities as unknown as readonly EntityJson[]).requestDigest).toBe(row.requestDigest);
    expect(`sha256:${sha256Hex(recordBytes(record))}`).toBe(row.recordId);
    // The digest is over the values as the bundle's schema reads them (not over the JSON text).
    expect(requestDigest(req.request!, store.id)).toBe(row.requestDigest);
  });
});
