/**
 * JSON-RPC framing and reading (mcp/jsonrpc.ts): lines come out the same however the bytes
 * are chunked, an oversized line is dropped and reading goes on, and every line is read into
 * a classified message without throwing.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CallToolRequestParamsSchema, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";
import { plainCallName } from "../../mcp/jsonrpc.js";
import { LineReader, readMessage, errorLine } from "../../mcp/jsonrpc.js";

function linesOf(chunks: readonly Buffer[], max?: number): { lines: string[]; oversized: number[] } {
  const lines: string[] = [];
  const oversized: number[] = [];
  const r = new LineReader((l) => lines.push(l), (n) => oversized.push(n), max);
  for (const c of chunks) r.push(c);
  r.end();
  return { lines, oversized };
}

describe("LineReader", () => {
  it("splits on \\n, drops a \\r before it and skips blank lines", () => {
    expect(linesOf([Buffer.from('{"a":1}\r\n\n  \n{"b":2}\n{"c"'), Buffer.from(":3}")]).lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  });

  it("drops an oversized line whole and reads the next one", () => {
    const r = linesOf([Buffer.from("x".repeat(30)), Buffer.from("y".repeat(30) + "\nok\n")], 40);
    expect(r).toEqual({ lines: ["ok"], oversized: [60] });
  });

  it("gives the same lines however the bytes are chunked (multi-byte characters included)", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "grapheme", minLength: 1 }).filter((s) => !s.includes("\n") && s.trim() !== "" && !s.endsWith("\r")), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 6 }), (lines, cuts) => {
        const bytes = Buffer.from(lines.map((l) => `${l}\n`).join(""), "utf8");
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let at = 0;
        for (const p of [...points, bytes.length]) {
          chunks.push(bytes.subarray(at, p));
          at = p;
        }
        expect(linesOf(chunks).lines).toEqual(lines);
      }),
    );
  });
});

describe("readMessage", () => {
  it.each([
    ['{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}', { kind: "request", id: 1, method: "tools/call", params: { name: "x" } }],
    ['{"jsonrpc":"2.0","method":"notifications/initialized"}', { kind: "notification", method: "notifications/initialized" }],
    ['{"jsonrpc":"2.0","id":"a","result":{"tools":[]}}', { kind: "result", id: "a", result: { tools: [] } }],
    ['{"jsonrpc":"2.0","id":2,"error":{"code":-32601,"message":"no"}}', { kind: "error", id: 2, error: { code: -32601, message: "no" } }],
    ["not json", { kind: "invalid", code: -32700, id: null }],
    ['{"jsonrpc":"2.0","id":3,"method":7}', { kind: "invalid", code: -32600, id: 3, fromCaller: false }],
    ['{"jsonrpc":"2.0","id":4.5,"method":"ping"}', { kind: "invalid", code: -32600, id: null, fromCaller: true }],
    ['{"jsonrpc":"2.0","id":5,"result":42}', { kind: "invalid", code: -32600, id: 5, fromCaller: false }],
    ['[{"jsonrpc":"2.0","id":1,"method":"ping"}]', { kind: "invalid", code: -32600, id: null }],
    ["null", { kind: "invalid", code: -32600, id: null }],
  ])("%s", (line, expected) => {
    expect(readMessage(line)).toMatchObject({ ...expected, line });
  });

  it("never throws, and a line it accepts keeps its original text", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.jsonValue().map((v) => JSON.stringify(v) ?? "null")), (line) => {
        const m = readMessage(line);
        expect(m.line).toBe(line);
        if (m.kind === "invalid") expect([-32700, -32600]).toContain(m.code);
      }),
    );
  });

  it("accepts exactly the envelopes the MCP SDK's JSONRPCMessageSchema accepts", () => {
    // Integers at and past the safe range: the SDK takes only safe integers as ids and error codes.
    const edge = fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53, -(2 ** 53), 1e21);
    const id = fc.oneof(fc.string(), fc.integer(), edge, fc.double(), fc.constant(null), fc.boolean());
    const plain = fc.dictionary(fc.string().filter((k) => k !== "_meta"), fc.jsonValue(), { maxKeys: 3 });
    const field = <T>(name: string, arb: fc.Arbitrary<T>): fc.Arbitrary<Record<string, T>> => fc.option(arb, { nil: undefined }).map((v) => (v === undefined ? {} : { [name]: v }));
    const message = fc
      .tuple(
        field("jsonrpc", fc.constantFrom("2.0", "1.0", 2)),
        field("id", id),
        field("method", fc.oneof(fc.string(), fc.integer())),
        field("params", fc.oneof(plain, fc.constant(null), fc.array(fc.integer()))),
        field("result", fc.oneof(plain, fc.integer(), fc.array(fc.integer()))),
        field("error", fc.oneof(fc.record({ code: fc.oneof(fc.integer(), edge, fc.double()), message: fc.oneof(fc.string(), fc.integer()) }), fc.string())),
        field("extra", fc.integer()),
      )
      .map((parts) => Object.assign({}, ...parts) as Record<string, unknown>);
    fc.assert(
      fc.property(message, (m) => {
        expect(readMessage(JSON.stringify(m)).kind !== "invalid").toBe(JSONRPCMessageSchema.safeParse(m).success);
      }),
      { numRuns: 2000 },
    );
  });

  it("an error line is a JSON-RPC 2.0 error response", () => {
    expect(JSON.parse(errorLine(null, -32700, "bad", { code: "W9005" }))).toEqual({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "bad", data: { code: "W9005" } } });
    expect(readMessage(errorLine(7, -32001, "denied"))).toMatchObject({ kind: "error", id: 7 });
  });
});

describe("plainCallName (the hand-checked tools/call params)", () => {
  const params = (x: unknown): Record<string, unknown> | undefined => {
    const m = readMessage(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: x }));
    return m.kind === "request" ? m.params : undefined;
  };

  it("reads the plain shape and leaves every other one to the SDK's schema", () => {
    expect(plainCallName(params({ name: "echo", arguments: { message: "hi" } }))).toBe("echo");
    expect(plainCallName(params({ name: "echo" }))).toBe("echo");
    expect(plainCallName(params({ name: "echo", arguments: [] }))).toBeUndefined();
    expect(plainCallName(params({ name: "echo", arguments: null }))).toBeUndefined();
    expect(plainCallName(params({ name: 7 }))).toBeUndefined();
    expect(plainCallName(params({ name: "echo", _meta: { progressToken: 1 } }))).toBeUndefined();
    expect(plainCallName(undefined)).toBeUndefined();
  });

  it("always agrees with CallToolRequestParamsSchema where it answers (parsed JSON params)", () => {
    const key = fc.oneof(fc.constantFrom("name", "arguments", "_meta", "task", "__proto__", "constructor"), fc.string({ maxLength: 4 }));
    const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.dictionary(key, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }));
    const shaped = fc.record({ name: fc.oneof(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 })), arguments: value }, { requiredKeys: [] });
    const extra = fc.dictionary(key, value, { maxKeys: 2 });
    fc.assert(
      fc.property(shaped, extra, fc.boolean(), (a, b, extraFirst) => {
        const p = params(extraFirst ? { ...b, ...a } : { ...a, ...b });
        if (p === undefined) return;
        const fast = plainCallName(p);
        if (fast === undefined) return;
        const slow = CallToolRequestParamsSchema.safeParse(p);
        expect(slow.success).toBe(true);
        expect(slow.success ? slow.data.name : undefined).toBe(fast);
      }),
      { numRuns: 500 },
    );
  });

  it("answers for what clients send", () => {
    fc.assert(
      fc.property(fc.string(), fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }), (name, args) => {
        expect(plainCallName(params({ name, arguments: args }))).toBe(name);
      }),
    );
  });
});
