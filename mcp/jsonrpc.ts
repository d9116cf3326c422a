/**
 * JSON-RPC 2.0 as the gateway relays it: newline-delimited framing (MCP's stdio transport),
 * reading one line into a classified message, and the error responses the gateway writes.
 *
 * A line is read with `JSON.parse` and checked against the MCP SDK's own JSON-RPC schemas
 * (`JSONRPCMessageSchema`), so what the gateway accepts is exactly what the SDK accepts. A line
 * that is not JSON is a parse error (-32700); JSON that is not a JSON-RPC message is an invalid
 * request (-32600), answered with the message's `id` when it has a usable one. The gateway
 * forwards the *original line* of every message it does not govern, so relayed bytes are
 * unchanged.
 *
 * NOTE: never throws: every input line becomes an {@link Incoming} value.
 */
import { JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";

/** The JSON-RPC error codes the gateway answers with. */
export const RPC_ERROR = {
  /** Not JSON. */
  parse: -32700,
  /** JSON, but not a JSON-RPC 2.0 message. */
  invalidRequest: -32600,
  /** A governed call that cannot be mapped to a request, or does not conform to the schema. */
  invalidParams: -32602,
  /** No decision was possible (recording failed, the decision service is down, the server went away). */
  internal: -32603,
  /** Denied by the policies (or an obligation was not fulfilled). */
  denied: -32001,
} as const;

/** A JSON-RPC request id. */
export type RequestId = string | number;

/** A JSON object as parsed. */
export type JsonObject = Record<string, unknown>;

/** One line read from a peer. */
export type Incoming =
  | { readonly kind: "request"; readonly id: RequestId; readonly method: string; readonly params: JsonObject | undefined; readonly line: string }
  | { readonly kind: "notification"; readonly method: string; readonly params: JsonObject | undefined; readonly line: string }
  | { readonly kind: "result"; readonly id: RequestId; readonly result: JsonObject; readonly line: string }
  | { readonly kind: "error"; readonly id: RequestId | undefined; readonly error: JsonObject; readonly line: string }
  | {
      readonly kind: "invalid";
      readonly code: typeof RPC_ERROR.parse | typeof RPC_ERROR.invalidRequest;
      /** What is wrong, in one line. */
      readonly detail: string;
      /** The message's id when it carries a usable one (else the error answers `null`). */
      readonly id: RequestId | null;
      /** True when the message has a `method` (a request or notification), false for what looks like a response. */
      readonly fromCaller: boolean;
      readonly line: string;
    };

function isObject(x: unknown): x is JsonObject {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function usableId(x: unknown): RequestId | null {
  return typeof x === "string" || (typeof x === "number" && Number.isInteger(x)) ? x : null;
}

/** Read one line (without its newline) as a JSON-RPC message. Never throws. */
export function readMessage(line: string): Incoming {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (e) {
    return { kind: "invalid", code: RPC_ERROR.parse, detail: `not JSON (${e instanceof Error ? e.message : String(e)})`, id: null, fromCaller: true, line };
  }
  if (Array.isArray(json)) return { kind: "invalid", code: RPC_ERROR.invalidRequest, detail: "JSON-RPC batches are not part of MCP", id: null, fromCaller: true, line };
  const parsed = JSONRPCMessageSchema.safeParse(json);
  if (!parsed.success || !isObject(json)) {
    const id = isObject(json) ? usableId(json["id"]) : null;
    const fromCaller = isObject(json) && typeof json["method"] === "string";
    const issue = parsed.success ? "not an object" : parsed.error.issues[0];
    const detail =
      typeof issue === "string" ? issue : issue === undefined ? "not a JSON-RPC 2.0 message" : `not a JSON-RPC 2.0 message (${issue.path.join(".") || "message"}: ${issue.message})`;
    return { kind: "invalid", code: RPC_ERROR.invalidRequest, detail, id, fromCaller, line };
  }
  // Read from the original object: the SDK's schemas may strip or default fields.
  const params = isObject(json["params"]) ? json["params"] : undefined;
  if (typeof json["method"] === "string") {
    const id = usableId(json["id"]);
    return id === null ? { kind: "notification", method: json["method"], params, line } : { kind: "request", id, method: json["method"], params, line };
  }
  if (isObject(json["error"])) return { kind: "error", id: usableId(json["id"]) ?? undefined, error: json["error"], line };
  return { kind: "result", id: usableId(json["id"])!, result: json["result"] as JsonObject, line };
}

/** The key of a request id in maps (a string id and a number id never collide). */
export function idKey(id: RequestId): string {
  return typeof id === "number" ? `n:${id}` : `s:${id}`;
}

/** A JSON-RPC error response line. */
export function errorLine(id: RequestId | null, code: number, message: string, data?: unknown): string {
  const error = data === undefined ? { code, message } : { code, message, data };
  return JSON.stringify({ jsonrpc: "2.0", id, error });
}

/** A JSON-RPC request line. */
export function requestLine(id: RequestId, method: string, params: JsonObject): string {
  return JSON.stringify({ jsonrpc: "2.0", id, method, params });
}

/** A JSON-RPC result response line. */
export function resultLine(id: RequestId, result: unknown): string {
  return JSON.stringify({ jsonrpc: "2.0", id, result });
}

/** Largest line accepted from a peer (the MCP SDK's stdio limit). */
export const MAX_LINE_BYTES = 10 * 1024 * 1024;

/**
 * Splits a byte stream into lines (`\n`, an optional `\r` before it dropped). A line longer
 * than `maxBytes` is dropped whole and reported through `onOversized`, and reading goes on
 * after its end.
 */
export class LineReader {
  private parts: Buffer[] = [];
  private size = 0;
  private skipping = false;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onOversized: (bytes: number) => void,
    private readonly maxBytes: number = MAX_LINE_BYTES,
  ) {}

  /** Feed a chunk; calls `onLine` for every complete line in it. */
  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) {
        this.keep(chunk.subarray(start));
        return;
      }
      this.keep(chunk.subarray(start, nl));
      start = nl + 1;
      this.emit();
    }
  }

  /** The end of the stream: a last line without a newline is still a line. */
  end(): void {
    if (this.size > 0 || this.skipping) this.emit();
  }

  private keep(part: Buffer): void {
    if (part.length === 0) return;
    if (this.skipping) {
      this.size += part.length;
      return;
    }
    this.parts.push(part);
    this.size += part.length;
    if (this.size > this.maxBytes) {
      this.parts = [];
      this.skipping = true;
    }
  }

  private emit(): void {
    if (this.skipping) {
      const bytes = this.size;
      this.skipping = false;
      this.size = 0;
      this.onOversized(bytes);
      return;
    }
    let text = this.parts.length === 1 ? this.parts[0]!.toString("utf8") : Buffer.concat(this.parts).toString("utf8");
    this.parts = [];
    this.size = 0;
    if (text.endsWith("\r")) text = text.slice(0, -1);
    if (text.trim() === "") return;
    this.onLine(text);
  }
}
