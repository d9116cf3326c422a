/**
 * The mapping from MCP messages to Writ requests (mcp/mapping.ts): names from the schema,
 * context typed by the schema (what it does not declare is dropped, at every depth), session
 * counts, per-tool rules, digests — with properties for the "always" claims.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadSchema } from "../../compiler/index.js";
import { parseSchema } from "../../lang/index.js";
import { contentId, runtimeCrypto } from "../../runtime/index.js";
import { createMapping, digestOf, mcpNames, parseEntityUid, project, readToolRules, type Mapping, type SessionFacts, type ToolCall } from "../../mcp/index.js";

function schemaOf(text: string): NonNullable<ReturnType<typeof loadSchema>["schema"]> {
  const ast = parseSchema(text).ast;
  const s = ast === undefined ? undefined : loadSchema(ast).schema;
  if (s === undefined) throw new Error("fixture schema does not load");
  return s;
}

const SCHEMA = schemaOf(`namespace Mcp {
  entity Agent;
  entity Server;
  entity Tool in [Server];
  entity File;
  action "initialize" appliesTo { principal: [Agent], resource: [Server], context: { server: String } };
  action "tools/list" appliesTo { principal: [Agent], resource: [Tool], context: {} };
  action "tools/call" appliesTo {
    principal: [Agent], resource: [Tool],
    context: {
      server: String,
      arguments: { path?: String, opts?: { deep: Bool }, edits?: Set<{ oldText: String }> },
      session: { calls: Long, counts: { delete: Long, secret: Long } },
    }
  };
  action "write" appliesTo { principal: [Agent], resource: [File], context: { arguments: { path: String } } };
}`);

const AGENT = { type: "Mcp::Agent", id: "a" };
const FACTS: SessionFacts = { id: "exec:s", server: "files", calls: 4, counts: new Map([["delete", 2], ["other", 9]]) };

function mapping(tools = {}): Mapping {
  const m = createMapping({ schema: SCHEMA, tools });
  if (!m.ok) throw new Error(m.message);
  return m.mapping;
}

function callOf(tool: string, args: Record<string, unknown>): ToolCall {
  return { tool, arguments: args, argumentsDigest: digestOf(args) };
}

describe("names", () => {
  it("come from the namespace that declares tools/call", () => {
    expect(mcpNames(SCHEMA)).toEqual({ actionType: "Mcp::Action", toolType: "Mcp::Tool", serverType: "Mcp::Server" });
    expect(mcpNames(undefined)).toEqual({ actionType: "Action", toolType: "Tool", serverType: "Server" });
  });

  it("a schema without tools/call, or with it twice, is a message", () => {
    expect(mcpNames(schemaOf("entity A; action view appliesTo { principal: [A], resource: [A] };"))).toMatch(/declares no action "tools\/call"/);
    const two = schemaOf(`namespace X { entity A; action "tools/call" appliesTo { principal: [A], resource: [A] }; }
namespace Y { entity A; action "tools/call" appliesTo { principal: [A], resource: [A] }; }`);
    expect(mcpNames(two)).toMatch(/several namespaces \(X::Action, Y::Action\)/);
  });

  it("principals are entity uids as policies write them", () => {
    expect(parseEntityUid('Agent::"claude"')).toEqual({ type: "Agent", id: "claude" });
    expect(parseEntityUid(' Ns::Agent::"a \\"b\\" c" ')).toEqual({ type: "Ns::Agent", id: 'a "b" c' });
    expect(parseEntityUid('Agent::"\\u{1F600}"')).toEqual({ type: "Agent", id: "\u{1F600}" });
    for (const bad of ["claude", "Agent::claude", '::"x"', 'Agent::"x', '1Agent::"x"', 'Agent::"x" extra']) expect(parseEntityUid(bad), bad).toBeUndefined();
  });
});

describe("requests", () => {
  it("the session is initialize on the server entity", () => {
    const r = mapping().session(AGENT, { ...FACTS, client: "cli" });
    expect(r).toEqual({ ok: true, request: { principal: AGENT, action: { type: "Mcp::Action", id: "initialize" }, resource: { type: "Mcp::Server", id: "files" }, context: { server: "files" } } });
  });

  it("tools/list is one request per tool, with the context its type declares (none here)", () => {
    expect(mapping().list(AGENT, "read", FACTS)).toEqual({ ok: true, request: { principal: AGENT, action: { type: "Mcp::Action", id: "tools/list" }, resource: { type: "Mcp::Tool", id: "read" }, context: {} } });
  });

  it("tools/call keeps what the schema declares, at every depth, and counts exactly the declared labels", () => {
    const args = { path: "a.txt", content: "dropped", opts: { deep: true, extra: 1 }, edits: [{ oldText: "x", newText: "y" }] };
    const r = mapping().call(AGENT, callOf("write_file", args), FACTS);
    expect(r).toEqual({
      ok: true,
      request: {
        principal: AGENT,
        action: { type: "Mcp::Action", id: "tools/call" },
        resource: { type: "Mcp::Tool", id: "write_file" },
        context: { server: "files", arguments: { path: "a.txt", opts: { deep: true }, edits: [{ oldText: "x" }] }, session: { calls: 4, counts: { delete: 2, secret: 0 } } },
      },
    });
  });

  it("without a schema every candidate is passed (arguments whole, every label seen)", () => {
    const m = createMapping({});
    if (!m.ok) throw new Error(m.message);
    const r = m.mapping.call({ type: "Agent", id: "a" }, callOf("t", { x: 1 }), FACTS);
    expect(r.ok && r.request.context).toEqual({ server: "files", arguments: { x: 1 }, argumentsDigest: digestOf({ x: 1 }), session: { id: "exec:s", calls: 4, counts: { delete: 2, other: 9 } } });
  });

  it("a tool rule changes the action and the resource (a template over string arguments)", () => {
    const m = mapping({ write_file: { action: "write", resource: { type: "Mcp::File", id: "{tool}:{arguments.path}" } } });
    const r = m.call(AGENT, callOf("write_file", { path: "notes.md", content: "x" }), FACTS);
    expect(r).toEqual({ ok: true, request: { principal: AGENT, action: { type: "Mcp::Action", id: "write" }, resource: { type: "Mcp::File", id: "write_file:notes.md" }, context: { arguments: { path: "notes.md" } } } });
    expect(m.call(AGENT, callOf("write_file", { path: 3 }), FACTS)).toEqual({ ok: false, message: "the mapping of `write_file` failed: argument `path` of `write_file` is not a string" });
    expect(m.call(AGENT, callOf("other", { path: 3 }), FACTS).ok).toBe(true);
  });

  it("a rule's function may refuse, and its throw is a refusal, never an exception", () => {
    const m = mapping({ a: { resource: () => "no resource for a" }, b: { context: () => { throw new Error("boom"); } } });
    expect(m.call(AGENT, callOf("a", {}), FACTS)).toEqual({ ok: false, message: "no resource for a" });
    expect(m.call(AGENT, callOf("b", {}), FACTS)).toEqual({ ok: false, message: "the mapping of `b` failed: boom" });
  });
});

describe("mapping files", () => {
  it("reads tool rules", () => {
    expect(readToolRules({ tools: { w: { action: "write", resource: { type: "File", id: "{arguments.path}" } } } })).toEqual({ w: { action: "write", resource: { type: "File", id: "{arguments.path}" } } });
    expect(readToolRules({})).toEqual({});
  });

  it.each([
    [[], "the mapping must be a JSON object"],
    [{ tool: {} }, "unknown field `tool` (expected `tools`)"],
    [{ tools: [] }, "`tools` must be an object keyed by tool name"],
    [{ tools: { w: 1 } }, 'tools."w" must be an object'],
    [{ tools: { w: { act: "x" } } }, 'tools."w": unknown field `act` (expected `action` or `resource`)'],
    [{ tools: { w: { action: "" } } }, 'tools."w".action must be a non-empty string (an action id)'],
    [{ tools: { w: { resource: { type: "File" } } } }, 'tools."w".resource must be {"type": "<entity type>", "id": "<template>"}'],
  ])("refuses %j", (json, message) => {
    expect(readToolRules(json)).toBe(message);
  });
});

const ARGS_TYPE = SCHEMA.actions['Mcp::Action::"tools/call"']!.appliesTo!.context.attrs["arguments"]!.type;

describe("properties", () => {
  it("a projected value never holds an attribute its record type does not declare, and projecting twice changes nothing", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.oneof(fc.constantFrom("path", "opts", "edits", "content"), fc.string()), fc.jsonValue()), (args) => {
        const once = project(args, ARGS_TYPE) as Record<string, unknown>;
        for (const k of Object.keys(once)) expect(["path", "opts", "edits"]).toContain(k);
        const opts = once["opts"];
        if (typeof opts === "object" && opts !== null && !Array.isArray(opts)) for (const k of Object.keys(opts)) expect(k).toBe("deep");
        expect(project(once, ARGS_TYPE)).toEqual(once);
      }),
    );
  });

  it("mapping a call never throws, whatever the tool name and arguments", () => {
    const m = mapping({ w: { resource: { type: "Mcp::File", id: "{arguments.path}" } } });
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.constant("w")), fc.dictionary(fc.string(), fc.jsonValue()), (tool, args) => {
        const r = m.call(AGENT, callOf(tool, args), FACTS);
        expect(typeof r.ok).toBe("boolean");
      }),
    );
  });

  it("the arguments digest does not depend on key order, and is the canonical content id", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(digestOf(reversed)).toBe(digestOf(obj));
        expect(digestOf(obj)).toMatch(/^sha256:[0-9a-f]{64}$/);
      }),
    );
    expect(digestOf({ b: 1, a: [true, "x"] })).toBe(contentId({ a: [true, "x"], b: 1 }));
    expect(digestOf({ s: "\ud800" })).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("the digest (hashed by node:crypto) is always the content id, and JSON text's SHA-256 where canonical JSON cannot hold the value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(digestOf(v)).toBe(contentId(v));
      }),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.string({ unit: "binary" }), (obj, s) => {
        const v = { ...obj, lone: `${s}\udc00` };
        expect(digestOf(v)).toBe(`sha256:${Buffer.from(runtimeCrypto.sha256(JSON.stringify(v))).toString("hex")}`);
      }),
    );
  });
});
