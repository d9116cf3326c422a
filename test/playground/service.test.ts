/**
 * The playground's language service (what the web worker runs), driven directly:
 * markers with codes, Run with decisions and determining policies, semantics,
 * hover types, formatting and the examples menu.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_STATE } from "../../playground/src/default-example.js";
import { loadExamples } from "../../playground/src/examples.js";
import type { HoverResult, PlaygroundState, TokenDef } from "../../playground/src/protocol.js";
import { analyzeResult, format, handle, run } from "../../playground/src/writ-service.js";

const BOB = JSON.stringify({ principal: { type: "User", id: "bob" }, action: { type: "Action", id: "view" }, resource: { type: "Document", id: "contract" }, context: { authenticated: true } });

function state(patch: Partial<PlaygroundState>): PlaygroundState {
  return { ...DEFAULT_STATE, ...patch };
}

describe("analysis", () => {
  it("reports no errors on the built-in example", () => {
    const r = analyzeResult(DEFAULT_STATE);
    for (const [editor, ms] of Object.entries(r.markers)) expect(ms.filter((m) => m.severity === "error"), editor).toEqual([]);
    expect(r.policies.map((p) => p.name)).toEqual(["owner-access", "public-view", "clearance"]);
    expect(r.schema.entityTypes).toEqual(["Group", "User", "Document"]);
    expect(r.schema.actions).toEqual(['Action::"view"', 'Action::"edit"']);
    expect(r.schema.attributes.Document?.map((a) => a.name)).toEqual(["owner", "classification", "public"]);
    expect(r.schema.contextAttributes).toEqual([{ name: "authenticated", type: "Bool", required: true }]);
    expect(r.schema.principalTypes).toEqual(["User"]);
    expect(r.schema.resourceTypes).toEqual(["Document"]);
  });

  it("marks a syntax error with its code at its position", () => {
    const policies = 'permit (principal, action, resource)\nwhen resource.public };\n';
    const r = analyzeResult(state({ policies }));
    const m = r.markers.policies.find((x) => x.code === "W1001");
    expect(m).toBeDefined();
    expect(policies.slice(m!.start, m!.end)).toBe("resource");
  });

  it("marks an unknown attribute with a did-you-mean help", () => {
    const policies = "permit (principal, action, resource) when { resource.ownr == principal };\n";
    const r = analyzeResult(state({ policies }));
    const m = r.markers.policies.find((x) => x.code === "W3003");
    expect(m?.help).toContain("owner");
  });

  it("marks malformed JSON at the offending character", () => {
    const entities = '[ { "uid": { "type": "User", "id": "x" }, } ]';
    const r = analyzeResult(state({ entities }));
    const m = r.markers.entities.find((x) => x.code === "W5002");
    expect(m).toBeDefined();
    expect(entities[m!.start]).toBe("}");
  });
});

describe("input diagnostics are placed on what they name", () => {
  it("puts an invalid entity's error on that entity", () => {
    const entities = '[\n  { "uid": { "type": "User", "id": "a" }, "attrs": {}, "parents": [] },\n  { "uid": 7, "attrs": {}, "parents": [] }\n]';
    const r = run(state({ entities }));
    expect(r.decision).toBeUndefined();
    const m = r.markers.entities.find((x) => x.code === "W5003");
    expect(m).toBeDefined();
    expect(entities.slice(m!.start, m!.end)).toBe('{ "uid": 7, "attrs": {}, "parents": [] }');
  });

  it("puts a bad request field's error on its value", () => {
    const request = '{ "principal": 5, "action": { "type": "Action", "id": "view" }, "resource": { "type": "Document", "id": "contract" } }';
    const r = run(state({ request }));
    const m = r.markers.request.find((x) => x.code === "W5004");
    expect(m).toBeDefined();
    expect(request.slice(m!.start, m!.end)).toBe("5");
  });
});

describe("run", () => {
  it("allows the owner and names the determining policy with its span", () => {
    const r = run(DEFAULT_STATE);
    expect(r.decision).toBe("allow");
    expect(r.reasons).toEqual(["owner-access"]);
    expect(r.errors).toEqual([]);
    expect(r.determining).toHaveLength(1);
    expect(DEFAULT_STATE.policies.slice(r.determining[0]!.start, r.determining[0]!.end)).toMatch(/^@id\("owner-access"\)\npermit[\s\S]*principal \};?$/);
  });

  it("carries @reason annotations with the policy names", () => {
    const policies = '@id("a")\n@reason("because")\npermit (principal, action, resource);\npermit (principal, action, resource);';
    expect(analyzeResult(state({ policies })).policies.map((p) => [p.name, p.reason])).toEqual([["a", "because"], ["policy1", undefined]]);
  });

  it("denies bob through the clearance forbid", () => {
    const r = run(state({ request: BOB }));
    expect(r.decision).toBe("deny");
    expect(r.reasons).toEqual(["clearance"]);
    expect(r.determining.map((p) => p.effect)).toEqual(["forbid"]);
  });

  it("passes the semantics: an erroring forbid denies when fail-closed and is skipped in cedar mode", () => {
    const policies = `${DEFAULT_STATE.policies}\n@id("risky")\nforbid (principal, action, resource) when { principal.clearance + 9223372036854775807 > 0 };\n`;
    const closed = run(state({ policies, semantics: "fail-closed" }));
    expect(closed.decision).toBe("deny");
    expect(closed.errors.map((e) => [e.policy, e.code])).toEqual([["risky", "W4003"]]);
    expect(closed.erroring.map((p) => policies.slice(p.start, p.start + 12))).toEqual(['@id("risky")']);
    const cedar = run(state({ policies, semantics: "cedar" }));
    expect(cedar.decision).toBe("allow");
    expect(cedar.reasons).toEqual(["owner-access"]);
    expect(cedar.errors.map((e) => e.policy)).toEqual(["risky"]);
  });

  it("gives no decision, with reasons, when an input is broken", () => {
    const r = run(state({ request: '{ "principal": ' }));
    expect(r.decision).toBeUndefined();
    expect(r.problems).toContain("the request JSON is malformed");
    const missing = run(state({ request: '{ "principal": { "type": "User", "id": "bob" } }' }));
    expect(missing.decision).toBeUndefined();
    expect(missing.markers.request.some((m) => m.code === "W5004")).toBe(true);
  });
});

describe("hover, format, tokens, examples", () => {
  it("shows the policy name and the declared type of an attribute", () => {
    const at = DEFAULT_STATE.policies.indexOf("clearance >=") + 2;
    const h = handle({ kind: "hover", id: 1, state: DEFAULT_STATE, offset: at }) as HoverResult;
    expect(h.contents[0]).toBe("**forbid** policy `clearance`");
    expect(h.contents[1]).toBe("`getAttr` expression of type `Long`");
    expect(DEFAULT_STATE.policies.slice(h.start, h.end)).toBe("principal.clearance");
    const owner = DEFAULT_STATE.policies.indexOf("owner ==") + 1;
    expect((handle({ kind: "hover", id: 2, state: DEFAULT_STATE, offset: owner }) as HoverResult).contents[1]).toBe("`getAttr` expression of type `User`");
    expect(handle({ kind: "hover", id: 3, state: DEFAULT_STATE, offset: 0 })).toBeNull(); // inside a comment
  });

  it("formats policies and schemas like writ fmt, idempotently, or says why it cannot", () => {
    const messy = '@id("a")   permit(principal,action,resource)when{resource.public};';
    const r = format("policies", messy);
    expect(r.text).toContain("permit (");
    expect(format("policies", r.text!).text).toBe(r.text);
    const messySchema = "entity   User {name:String};action view appliesTo{principal:User,resource:User};";
    const s = format("schema", messySchema);
    expect(s.text).toContain("entity User");
    expect(format("schema", s.text!).text).toBe(s.text);
    expect(format("policies", "permit (").problem).toBe("the policies do not parse; fix the errors first");
    expect(format("schema", "entity {").problem).toBe("the schema does not parse; fix the errors first");
  });

  it("serialises the lexer table for the highlighter", () => {
    const tokens = handle({ kind: "tokens", id: 4 }) as TokenDef[];
    expect(tokens.find((t) => t.name === "Kw_permit")).toEqual({ name: "Kw_permit", source: "permit", cls: "keyword", wordBoundary: true });
    expect(tokens.find((t) => t.name === "LineComment")?.cls).toBe("comment");
  });

  it("offers the built-in example first and every example of examples/ that runs", () => {
    const examples = loadExamples();
    expect(examples[0]!.label).toBe("built-in: document sharing");
    expect(examples.length).toBeGreaterThan(1);
    for (const ex of examples) {
      const a = analyzeResult(ex.state);
      expect(a.markers.policies.filter((m) => m.severity === "error"), ex.label).toEqual([]);
      expect(a.markers.schema.filter((m) => m.severity === "error"), ex.label).toEqual([]);
      if (ex.expected === undefined) continue;
      const r = run(ex.state);
      expect({ decision: r.decision, reasons: [...r.reasons].sort() }, ex.label).toEqual({ decision: ex.expected.decision, reasons: [...ex.expected.reasons].sort() });
    }
  });
});
