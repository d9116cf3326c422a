/**
 * The gateway in front of `@modelcontextprotocol/server-everything`, driven by the MCP SDK's
 * client: allowed calls return exactly what the server returns directly, tools/list is
 * filtered per principal, denied and unlisted calls are JSON-RPC errors with their reasons,
 * obligations (labels and session counts, notify, a missing handler) and shadow policies
 * behave as documented, and the session is recorded as a lineage tree that verifies and
 * replays.
 */
import { CallToolResultSchema, McpError } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { everythingProject, gatewayArgs, LISTED } from "./fixtures/everything-project.js";
import { direct, ensureBuilt, EVERYTHING, sessionTree, throughGateway, writ, refusal, type Connected } from "./support.js";

const SERVER = [EVERYTHING, "stdio"];

describe("writ mcp in front of server-everything", () => {
  let dir: string;
  let gw: Connected;
  let straight: Connected;

  beforeAll(async () => {
    ensureBuilt();
    dir = everythingProject();
    [gw, straight] = await Promise.all([throughGateway(gatewayArgs(dir), SERVER), direct(SERVER)]);
  });

  afterAll(async () => {
    await Promise.allSettled([gw?.close(), straight?.close()]);
  });

  it("tools/list shows exactly the tools the principal may list, each as the server describes it", async () => {
    const [through, all] = await Promise.all([gw.client.listTools(), straight.client.listTools()]);
    expect(through.tools.map((t) => t.name).sort()).toEqual(LISTED);
    expect(through.tools).toEqual(all.tools.filter((t) => LISTED.includes(t.name)));
    expect(all.tools.length).toBeGreaterThan(LISTED.length);
  });

  it("an allowed call returns exactly what the server returns directly", async () => {
    for (const args of [{ message: "hello" }, { message: "ünïcödé ✓ \u{1F600}" }, { message: "" }]) {
      const [a, b] = await Promise.all([gw.client.callTool({ name: "echo", arguments: args }), straight.client.callTool({ name: "echo", arguments: args })]);
      expect(a).toEqual(b);
      expect(a.content).toEqual([{ type: "text", text: `Echo: ${args.message}` }]);
    }
    const [img, imgDirect] = await Promise.all([gw.client.callTool({ name: "get-tiny-image", arguments: {} }), straight.client.callTool({ name: "get-tiny-image", arguments: {} })]);
    expect(img).toEqual(imgDirect);
  });

  it("a denied call is error -32001 with the reasons, and the call's id is answered once", async () => {
    const e = await refusal(gw.client.callTool({ name: "get-env", arguments: {} }));
    expect(e.code).toBe(-32001);
    expect(e.message).toContain("no policy permits it");
    expect(e.data).toMatchObject({ code: "W7008", decision: "deny", reasons: [], errors: [] });
    expect(String((e.data as { execution: string }).execution)).toMatch(/^exec:/);
  });

  it("a call to a tool it would not list is refused whatever it claims", async () => {
    const e = await refusal(gw.client.callTool({ name: "trigger-long-running-operation", arguments: { duration: 1, steps: 1 } }));
    expect(e.code).toBe(-32001);
    expect(e.data).toMatchObject({ code: "W9009" });
    const nope = await refusal(gw.client.callTool({ name: "no-such-tool", arguments: {} }));
    expect(nope.data).toMatchObject({ code: "W9009" });
  });

  it("an argument of the wrong type is -32602 (the request does not conform to the schema)", async () => {
    const e = await refusal(gw.client.callTool({ name: "echo", arguments: { message: 42 } }));
    expect(e.code).toBe(-32602);
    expect(e.data).toMatchObject({ code: "W5006" });
  });

  it("tools/call without a tool name is -32602", async () => {
    const e = await refusal(gw.client.request({ method: "tools/call", params: { arguments: {} } } as never, CallToolResultSchema));
    expect(e.code).toBe(-32602);
    expect(e.data).toMatchObject({ code: "W9006" });
  });

  it("labels count per session: the third sum is denied by the count policy, with its @reason", async () => {
    const one = await gw.client.callTool({ name: "get-sum", arguments: { a: 1, b: 2 } });
    const two = await gw.client.callTool({ name: "get-sum", arguments: { a: 3, b: 4 } });
    expect(one.content).toEqual((await straight.client.callTool({ name: "get-sum", arguments: { a: 1, b: 2 } })).content);
    expect(two.content).toEqual([{ type: "text", text: "The sum of 3 and 4 is 7." }]);
    const e = await refusal(gw.client.callTool({ name: "get-sum", arguments: { a: 5, b: 6 } }));
    expect(e.code).toBe(-32001);
    expect(e.message).toContain("sum-limit (at most two sums per session)");
    expect(e.data).toMatchObject({ reasons: [{ policy: "sum-limit", reason: "at most two sums per session" }] });
  });

  it("an obligation without a handler refuses the call before it reaches the server", async () => {
    const e = await refusal(gw.client.callTool({ name: "toggle-simulated-logging", arguments: {} }));
    expect(e.code).toBe(-32001);
    expect(e.data).toMatchObject({ code: "W7003" });
  });

  it("an approval the client cannot give (no elicitation capability) refuses the call", async () => {
    const e = await refusal(gw.client.callTool({ name: "get-annotated-message", arguments: { messageType: "success" } }));
    expect(e.code).toBe(-32001);
    expect(e.data).toMatchObject({ code: "W9008" });
  });

  it("concurrent calls are all answered correctly", async () => {
    const msgs = Array.from({ length: 24 }, (_, i) => `m${i}`);
    const results = await Promise.all(msgs.map((m) => gw.client.callTool({ name: "echo", arguments: { message: m } })));
    expect(results.map((r) => (r.content as { text: string }[])[0]!.text)).toEqual(msgs.map((m) => `Echo: ${m}`));
  });

  it("reports notify, shadow policies and refusals on stderr (never on stdout, the MCP channel)", () => {
    const err = gw.stderr();
    expect(err).toMatch(/writ mcp: session exec:\S+ opened \(writ lineage show 0\)/);
    expect(err).toContain('writ mcp: notify #ops: Agent::"claude" calls `get-sum`');
    expect(err).toMatch(/writ mcp: shadow policies on tools\/call of `get-tiny-image` \(exec:\S+\): forbid shadow-no-images — reported, not enforced/);
    expect(err).toContain("writ mcp: Writ denied tools/call of `get-env`: no policy permits it");
  });

  it("after the session, the log verifies, replays identically and draws the session as a tree", async () => {
    await gw.close();
    const verify = writ(["lineage", "verify", "--dir", dir]);
    expect(verify.stderr).toBe("");
    expect(verify.code).toBe(0);
    const replay = writ(["lineage", "replay", "--dir", dir]);
    expect(replay.stdout).toMatch(/replayed (\d+) decisions: \1 identical, 0 different, 0 unavailable/);
    const tree = sessionTree(dir);
    expect(tree).toMatchObject({ action: 'Action::"initialize"', resource: 'Server::"everything"', verdict: "allow", outcome: "executed" });
    const kids = tree.children.map((c) => `${c.verdict} ${c.outcome} ${c.action} ${c.resource}`);
    expect(kids.filter((k) => k === 'allow executed Action::"tools/call" Tool::"echo"')).toHaveLength(3 + 24);
    expect(kids).toContain('deny denied Action::"tools/call" Tool::"get-env"');
    expect(kids).toContain('deny denied Action::"tools/list" Tool::"trigger-long-running-operation"');
    expect(kids).toContain('deny denied Action::"tools/call" Tool::"echo"');
    expect(kids).toContain('allow failed Action::"tools/call" Tool::"toggle-simulated-logging"');
    expect(kids).toContain('allow failed Action::"tools/call" Tool::"get-annotated-message"');
    expect(kids.filter((k) => k === 'allow executed Action::"tools/call" Tool::"get-sum"')).toHaveLength(2);
    expect(kids).toContain('deny denied Action::"tools/call" Tool::"get-sum"');
    // Every child names the session as its lineage parent.
    for (const c of tree.children) expect(c.events[0]!.phase).toBe("requested");
    const shown = writ(["lineage", "show", "0", "--dir", dir]);
    expect(shown.stdout.split("\n")[0]).toMatch(/^ALLOW executed Agent::"claude": Agent::"claude" initialize Server::"everything"/);
  });

  it("a refused session never reaches the server and every call in it is refused", async () => {
    const other = everythingProject();
    const m = await throughGateway(gatewayArgs(other, 'Agent::"mallory"'), SERVER).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(m).toBeInstanceOf(McpError);
    expect((m as McpError).code).toBe(-32001);
    expect((m as McpError).message).toContain("no-session-for-mallory");
  });
});
