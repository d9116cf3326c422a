/**
 * The gateway over MCP's streamable HTTP transport: `writ mcp --listen 127.0.0.1:PORT … --
 * <upstream URL>` listens for MCP clients and relays each session to an HTTP MCP server.
 *
 *     client ──HTTP──▶ listener ─▶ one gateway per MCP session ──HTTP──▶ upstream MCP server
 *
 * The caller is authenticated per HTTP request: `Authorization: Bearer <token>` names the
 * principal (`principalOf`); a request without a known token is refused with 401, and a
 * request for a session opened by another principal with 403. Each MCP session (its
 * `Mcp-Session-Id`) gets its own gateway — the same relay, mapping, obligations and
 * lineage as over stdio — on the SDK's streamable HTTP transports, all sharing one decider
 * (one lineage log). JSON-RPC framing and malformed bodies are the SDK transports' business
 * here (they answer with HTTP errors); messages pass between the transports as JSON.
 *
 * NOTE: Node only (node:http, the SDK's Node HTTP transports).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { Decider } from "./decider.js";
import { createGateway, type Gateway, type GatewayOptions } from "./gateway.js";
import { errorLine, RPC_ERROR } from "./jsonrpc.js";
import type { Uid } from "./mapping.js";
import type { Channel, ServerChannel, ServerExit } from "./stdio.js";

/** Options of {@link serveHttpGateway}: those of one gateway, minus the ends and the caller. */
export interface HttpGatewayOptions extends Omit<GatewayOptions, "client" | "server" | "principal" | "decider"> {
  /** Where to listen (port 0: any free port). */
  readonly host: string;
  readonly port: number;
  /** The upstream MCP server's endpoint. */
  readonly upstream: URL;
  /** The principal of a bearer token (undefined: refused with 401). */
  readonly principalOf: (token: string | undefined) => Uid | undefined;
  /** Shared by every session; closed by `close()`. */
  readonly decider: Decider;
}

/** A listening HTTP gateway. */
export interface HttpGateway {
  /** The MCP endpoint, `http://host:port/mcp`. */
  readonly url: string;
  /** Open sessions. */
  readonly sessions: number;
  /** End every session (each recorded as closed), stop listening, close the decider. */
  close(): Promise<void>;
}

function tokenOf(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  return h !== undefined && h.startsWith("Bearer ") ? h.slice("Bearer ".length) : undefined;
}

function refuse(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(errorLine(null, RPC_ERROR.invalidRequest, message));
}

/** The client end of one session on the SDK's server transport (messages as JSON lines). */
function serverTransportChannel(t: StreamableHTTPServerTransport): Channel {
  return {
    start(h) {
      t.onmessage = (m) => h.line(JSON.stringify(m));
      t.onclose = () => h.end();
    },
    send(line) {
      void t.send(JSON.parse(line) as JSONRPCMessage).catch(() => undefined);
    },
    close: () => t.close(),
  };
}

/** The server end on the SDK's client transport to the upstream; a failed send is answered as the server would (-32603). */
function upstreamChannel(url: URL): ServerChannel {
  const t = new StreamableHTTPClientTransport(url);
  let resolveExit!: (e: ServerExit) => void;
  const exited = new Promise<ServerExit>((r) => (resolveExit = r));
  let deliver: ((line: string) => void) | undefined;
  let closing = false;
  let ready: Promise<void> = Promise.resolve();
  return {
    exited,
    started: Promise.resolve(undefined),
    command: url.href,
    pid: undefined,
    start(h) {
      deliver = h.line;
      t.onmessage = (m) => h.line(JSON.stringify(m));
      t.onclose = () => {
        if (!closing) resolveExit({ code: null, signal: null });
      };
      ready = t.start();
    },
    send(line) {
      const m = JSON.parse(line) as { id?: string | number; method?: string };
      void ready
        .then(() => t.send(m as JSONRPCMessage))
        .catch((e: unknown) => {
          if (m.id !== undefined && m.method !== undefined) deliver?.(errorLine(m.id, RPC_ERROR.internal, `the upstream MCP server failed: ${e instanceof Error ? e.message : String(e)}`));
        });
    },
    terminate() {
      void this.close();
    },
    async close() {
      closing = true;
      await t.terminateSession().catch(() => undefined);
      await t.close().catch(() => undefined);
      resolveExit({ code: 0, signal: null });
    },
  };
}

/** Listen for MCP clients over streamable HTTP and relay each session upstream (see the module comment). Rejects when it cannot listen. */
export async function serveHttpGateway(options: HttpGatewayOptions): Promise<HttpGateway> {
  const sessions = new Map<string, { principal: Uid; transport: StreamableHTTPServerTransport; gateway: Gateway }>();
  const shared: Decider = { ...options.decider, close: async () => undefined };
  const same = (a: Uid, b: Uid): boolean => a.type === b.type && a.id === b.id;

  const open = (principal: Uid): StreamableHTTPServerTransport => {
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => globalThis.crypto.randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { principal, transport, gateway });
      },
    });
    const gateway = createGateway({ ...options, decider: shared, principal, client: serverTransportChannel(transport), server: upstreamChannel(options.upstream) });
    gateway.start();
    void gateway.done.then(() => {
      if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
    });
    return transport;
  };

  const server = createServer((req, res) => {
    void (async () => {
      if (new URL(req.url ?? "/", "http://localhost").pathname !== "/mcp") return refuse(res, 404, "not found: the MCP endpoint is /mcp");
      const principal = options.principalOf(tokenOf(req));
      if (principal === undefined) return refuse(res, 401, "unauthorized: a known bearer token is required");
      const id = req.headers["mcp-session-id"];
      if (typeof id === "string") {
        const s = sessions.get(id);
        if (s === undefined) return refuse(res, 404, "unknown MCP session");
        if (!same(s.principal, principal)) return refuse(res, 403, "this MCP session belongs to another principal");
        return s.transport.handleRequest(req, res);
      }
      if (req.method !== "POST") return refuse(res, 400, "no MCP session: initialize first");
      return open(principal).handleRequest(req, res);
    })().catch(() => {
      if (!res.headersSent) refuse(res, 500, "internal error");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/mcp`,
    get sessions() {
      return sessions.size;
    },
    async close() {
      await Promise.allSettled([...sessions.values()].map((s) => s.gateway.close()));
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await options.decider.close();
    },
  };
}
