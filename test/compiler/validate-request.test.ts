/**
 * Request validation against a schema (W5006) and schema-directed JSON reading
 * through `entityHintFor` / `contextHintFor`.
 */
import { describe, expect, it } from "vitest";
import { parseSchema } from "../../lang/index.js";
import { loadSchema, type Schema } from "../../compiler/schema.js";
import { contextHintFor, entityHintFor, schemaActionEntities, validateEntities, validateRequest, type RequestValues } from "../../compiler/input-validate.js";
import { entitiesFromJson, valueFromJson, type JsonValue } from "../../stdlib/json.js";
import { EntityUID, RecordValue, SetValue, type Value } from "../../stdlib/value.js";
import { IpAddr } from "../../stdlib/ipaddr.js";

const SRC = `
entity Team;
entity Level enum ["low", "high"];
entity User in [Team] = { name: String, boss?: User, ip: ipaddr, level: Level, teams: Set<Team> };
entity Doc = { owner: User } tags ipaddr;
action view appliesTo { principal: [User], resource: [Doc], context: { ip: ipaddr, n?: Long, who: { id: String } } };
action group;
`;

function schema(): Schema {
  const r = loadSchema(parseSchema(SRC).ast!);
  expect(r.diagnostics).toEqual([]);
  return r.schema!;
}

function rec(fields: Record<string, Value>): RecordValue {
  return new RecordValue(new Map(Object.entries(fields)));
}

const GOOD_CONTEXT = rec({ ip: IpAddr.parse("10.0.0.1"), who: rec({ id: "x" }) });

function request(over: Partial<RequestValues> = {}): RequestValues {
  return {
    principal: new EntityUID("User", "alice"),
    action: new EntityUID("Action", "view"),
    resource: new EntityUID("Doc", "d"),
    context: GOOD_CONTEXT,
    ...over,
  };
}

function messages(r: RequestValues): string[] {
  const d = validateRequest(schema(), r);
  expect(d.every((x) => x.code === "W5006" && x.severity === "error")).toBe(true);
  return d.map((x) => x.message);
}

describe("validateRequest", () => {
  it("accepts a conforming request (optional context attribute absent or present)", () => {
    expect(messages(request())).toEqual([]);
    expect(messages(request({ context: rec({ ip: IpAddr.parse("::1"), n: 3n, who: rec({ id: "y" }) }) }))).toEqual([]);
  });

  it("rejects an unknown action with a suggestion", () => {
    const d = validateRequest(schema(), request({ action: new EntityUID("Action", "veiw") }));
    expect(d.map((x) => x.code)).toEqual(["W5006"]);
    expect(d[0]!.help).toBe('did you mean `Action::"view"`?');
  });

  it("rejects an action that applies to nothing", () => {
    expect(messages(request({ action: new EntityUID("Action", "group") }))).toHaveLength(1);
  });

  it("rejects principal and resource types outside appliesTo", () => {
    const m = messages(request({ principal: new EntityUID("Team", "t"), resource: new EntityUID("User", "u") }));
    expect(m).toHaveLength(2);
    expect(m[0]).toContain("principal");
    expect(m[1]).toContain("resource");
  });

  it("rejects context with a missing, extra or mistyped attribute", () => {
    expect(messages(request({ context: rec({ ip: IpAddr.parse("10.0.0.1") }) }))[0]).toContain("`who`");
    expect(messages(request({ context: rec({ ip: IpAddr.parse("10.0.0.1"), who: rec({ id: "x" }), extra: true }) }))[0]).toContain("`extra`");
    expect(messages(request({ context: rec({ ip: "10.0.0.1", who: rec({ id: "x" }) }) }))[0]).toContain("context.ip");
    expect(messages(request({ context: rec({ ip: IpAddr.parse("10.0.0.1"), who: rec({ id: 1n }) }) }))[0]).toContain("context.who.id");
  });

  it("rejects an id outside an enumerated entity type", () => {
    const r = loadSchema(parseSchema(`entity Level enum ["low"]; action a appliesTo { principal: Level, resource: Level };`).ast!).schema!;
    const base = { action: new EntityUID("Action", "a"), resource: new EntityUID("Level", "low"), context: rec({}) };
    expect(validateRequest(r, { ...base, principal: new EntityUID("Level", "low") })).toEqual([]);
    expect(validateRequest(r, { ...base, principal: new EntityUID("Level", "mid") }).map((d) => d.code)).toEqual(["W5006"]);
  });
});

describe("schema-directed JSON reading", () => {
  it("reads entity references and extension strings in entity attributes and tags", () => {
    const json: JsonValue = [
      { uid: { type: "Team", id: "t" }, attrs: {}, parents: [] },
      {
        uid: { type: "User", id: "alice" },
        attrs: { name: "Alice", ip: "10.1.2.3", level: { type: "Level", id: "low" }, teams: [{ type: "Team", id: "t" }], boss: { type: "User", id: "bob" } },
        parents: [{ type: "Team", id: "t" }],
      },
      { uid: { type: "Doc", id: "d" }, attrs: { owner: { type: "User", id: "alice" } }, parents: [], tags: { net: "192.168.0.0/16" } },
    ];
    const r = entitiesFromJson(json, entityHintFor(schema()));
    expect(r.diagnostics).toEqual([]);
    const alice = r.entities!.attrs(new EntityUID("User", "alice"));
    expect(alice?.get("ip")).toBeInstanceOf(IpAddr);
    expect(alice?.get("level")).toEqual(new EntityUID("Level", "low"));
    const teams = alice?.get("teams");
    expect(teams).toBeInstanceOf(SetValue);
    expect((teams as SetValue).elements[0]).toEqual(new EntityUID("Team", "t"));
    expect(r.entities!.tags(new EntityUID("Doc", "d"))?.get("net")).toBeInstanceOf(IpAddr);
  });

  it("reads a context with the action's hint", () => {
    const r = valueFromJson({ ip: "10.0.0.1", who: { id: "x" } }, contextHintFor(schema(), 'Action::"view"'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect((r.value as RecordValue).get("ip")).toBeInstanceOf(IpAddr);
    expect(validateRequest(schema(), request({ context: r.value as RecordValue }))).toEqual([]);
  });

  it("has no hints for unknown types and actions", () => {
    expect(entityHintFor(schema())("Nope")).toBeUndefined();
    expect(contextHintFor(schema(), 'Action::"nope"')).toBeUndefined();
  });
});

describe("validateEntities and schema action entities", () => {
  function store(json: JsonValue) {
    const r = entitiesFromJson(json, entityHintFor(schema()));
    expect(r.diagnostics).toEqual([]);
    return r.entities!;
  }
  const alice = { uid: { type: "User", id: "alice" }, attrs: { name: "A", ip: "10.0.0.1", level: { type: "Level", id: "low" }, teams: [] }, parents: [{ type: "Team", id: "t" }] };

  it("accepts conforming entities", () => {
    expect(validateEntities(schema(), store([alice, { uid: { type: "Team", id: "t" }, attrs: {}, parents: [] }]))).toEqual([]);
  });

  it("reports undeclared types, bad attributes, bad parents, bad tags and bad enum ids", () => {
    const cases: JsonValue[] = [
      [{ uid: { type: "Usr", id: "x" }, attrs: {}, parents: [] }],
      [{ ...alice, attrs: { ...alice.attrs, name: 1 } }],
      [{ ...alice, attrs: { ...alice.attrs, extra: true } }],
      [{ ...alice, parents: [{ type: "Doc", id: "d" }] }],
      [{ uid: { type: "Team", id: "t" }, attrs: {}, parents: [], tags: { a: "x" } }],
      [{ ...alice, attrs: { ...alice.attrs, level: { type: "Level", id: "mid" } } }],
      [{ uid: { type: "Level", id: "mid" }, attrs: {}, parents: [] }],
    ];
    for (const c of cases) expect(validateEntities(schema(), store(c)).map((d) => d.code), JSON.stringify(c)).toEqual(["W5003"]);
  });

  it("builds action entities with the schema's action groups as parents", () => {
    const s = loadSchema(parseSchema(`action all; action read in [all]; action view in [read];`).ast!).schema!;
    const acts = schemaActionEntities(s);
    expect(acts.map((a) => `${a.uid.key} <- ${a.parents.map((p) => p.key).join(",")}`)).toEqual([
      'Action::"all" <- ',
      'Action::"read" <- Action::"all"',
      'Action::"view" <- Action::"read"',
    ]);
  });
});
