/**
 * `writ/mcp`: the MCP gateway (Node only). Govern an AI agent's MCP tool calls with a Writ
 * bundle: decide every session, tool listing and tool call, fulfil the obligations, record
 * the session as a lineage tree, relay everything else unchanged.
 *
 * ```ts
 * const mapping = createMapping({ schema: bundle.schema });
 * const opened = await openLocalDecider({ dir, bundle, entities });
 * const gateway = createGateway({
 *   client: stdioClientChannel(), server: spawnServer("node", ["server.js"]),
 *   decider: opened.decider, mapping: mapping.mapping,
 *   principal: { type: "Agent", id: "claude" }, serverName: "files",
 * });
 * gateway.start();
 * const end = await gateway.done;          // { exitCode, reason, problem? }
 * ```
 *
 * Pieces: the relay (gateway.ts), the mapping from messages to requests (mapping.ts,
 * overridable per tool), the obligation handlers (obligations.ts, one table), the deciders
 * (decider.ts local, remote.ts over HTTP), the stdio channels (stdio.ts), the streamable HTTP
 * listener (http.ts: one gateway per HTTP session).
 */
export { createGateway, DEFAULT_APPROVAL_TTL_MS, type Gateway, type GatewayEnd, type GatewayEvent, type GatewayOptions } from "./gateway.js";
export {
  checkSchema,
  createMapping,
  digestOf,
  MCP_ACTIONS,
  mcpNames,
  parseEntityUid,
  project,
  readToolRules,
  uidText,
  type Mapped,
  type Mapping,
  type MappingOptions,
  type McpNames,
  type SessionFacts,
  type ToolCall,
  type ToolRule,
  type Uid,
} from "./mapping.js";
export {
  BUILTIN_OBLIGATIONS,
  type ElicitAnswer,
  type ElicitForm,
  type McpObligationHandler,
  type Notification,
  type ObligationCall,
  type ObligationResult,
} from "./obligations.js";
export { localDecider, openLocalDecider, type Completion, type Decider, type ExecutionOutcome, type LocalDeciderOptions, type OpenLocalOptions, type Verdict } from "./decider.js";
export { remoteDecider, type RemoteOptions } from "./remote.js";
export { spawnServer, stdioClientChannel, streamChannel, type Channel, type ChannelHandlers, type ServerChannel, type ServerExit, type SpawnOptions } from "./stdio.js";
export { RPC_ERROR, readMessage, type Incoming } from "./jsonrpc.js";
export { serveHttpGateway, type HttpGateway, type HttpGatewayOptions } from "./http.js";
export { describeEvent } from "./answers.js";
