/**
 * JSON-RPC 2.0 as the gateway relays it: newline-delimited framing (MCP's stdio transport),
 * reading one line into a classified message, and the error responses the gateway writes.
 *
 * A line is read with `JSON.parse` and checked against the JSON-RPC 2.0 envelope as the MCP
 * SDK's schemas state it (`jsonrpc: "2.0"`; a request has a string `method` and a string or
 * (safe) integer `id`; a response a `result` object or an `error` with an integer `code` and a string
 * `message`; `params` an object; no other top-level fields) — by hand, as this runs twice per
 * relayed message. A line that is not JSON is a parse error (-32700); JSON that is not a
 * JSON-RPC message is an invalid request (-32600), answered with the message's `id` when it has
 * a usable one. A property test checks that this agrees with the SDK's `JSONRPCMessageSchema`
 * on the envelope. The gateway
 * forwards the *original line* of every message it does not govern, so relayed bytes are
 * unchanged.
 *
 * NOTE: never throws: every input line becomes an {@link Incoming} value.
 */
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
  return typeof x === "string" || (typeof x === "number" && Number.isSafeInteger(x)) ? x : null;
}

const KEYS: Readonly<Record<"request" | "notification" | "result" | "error", readonly string[]>> = {
  request: ["jsonrpc", "id", "method", "params"],
  notification: ["jsonrpc", "method", "params"],
  result: ["jsonrpc", "id", "result"],
  error: ["jsonrpc", "id", "error"],
};

/** Why `m` is not a JSON-RPC 2.0 message of its shape (the SDK's schemas: no other top-level fields), or undefined. */
function envelopeError(m: JsonObject, shape: keyof typeof KEYS): string | undefined {
  if (m["jsonrpc"] !== "2.0") return "`jsonrpc` must be \"2.0\"";
  for (const k of Object.keys(m)) if (!KEYS[shape].includes(k)) return `unexpected field \`${k}\` in a ${shape === "result" || shape === "error" ? "response" : shape}`;
  if ((shape === "request" || shape === "notification") && m["params"] !== undefined && !isObject(m["params"])) return "`params` must be an object";
  return undefined;
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
  if (!isObject(json)) return { kind: "invalid", code: RPC_ERROR.invalidRequest, detail: "not a JSON-RPC 2.0 message (not an object)", id: null, fromCaller: true, line };
  const id = usableId(json["id"]);
  const invalid = (detail: string, fromCaller: boolean): Incoming => ({ kind: "invalid", code: RPC_ERROR.invalidRequest, detail: `not a JSON-RPC 2.0 message (${detail})`, id, fromCaller, line });
  if ("method" in json) {
    if (typeof json["method"] !== "string") return invalid("`method` must be a string", false);
    const shape = "id" in json ? "request" : "notification";
    if (shape === "request" && id === null) return invalid("`id` must be a string or an integer", true);
    const bad = envelopeError(json, shape);
    if (bad !== undefined) return invalid(bad, true);
    const params = isObject(json["params"]) ? json["params"] : undefined;
    return shape === "request" ? { kind: "request", id: id!, method: json["method"], params, line } : { kind: "notification", method: json["method"], params, line };
  }
  if ("error" in json) {
    const e = json["error"];
    if (!isObject(e) || !Number.isSafeInteger(e["code"]) || typeof e["message"] !== "string") return invalid("`error` must be an object with an integer `code` and a string `message`", false);
    const bad = envelopeError(json, "error") ?? (json["id"] !== undefined && id === null ? "`id` must be a string or an integer" : undefined);
    if (bad !== undefined) return invalid(bad, false);
    return { kind: "error", id: id ?? undefined, error: e, line };
  }
  if ("result" in json) {
    if (id === null) return invalid("`id` must be a string or an integer", false);
    if (!isObject(json["result"])) return invalid("`result` must be an object", false);
    const bad = envelopeError(json, "result");
    if (bad !== undefined) return invalid(bad, false);
    return { kind: "result", id, result: json["result"], line };
  }
  return invalid("no `method`, `result` or `error`", false);
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

/**
 * The tool name of tools/call params of the plain shape `{ name: string, arguments?: object }`
 * (what clients send), checked by hand; undefined for anything else, which the SDK's
 * `CallToolRequestParamsSchema` then reads. NOTE: the schema costs ~20 µs a call; a property
 * test holds the two in agreement where this one answers.
 */
export function plainCallName(params: JsonObject | undefined): string | undefined {
  if (params === undefined || Object.getPrototypeOf(params) !== Object.prototype) return undefined;
  const name = params["name"];
  if (typeof name !== "string") return undefined;
  const args = params["arguments"];
  if (args !== undefined && (typeof args !== "object" || args === null || Array.isArray(args) || Object.getPrototypeOf(args) !== Object.prototype)) return undefined;
  for (const k in params) if (k !== "name" && k !== "arguments") return undefined;
  return name;
}
