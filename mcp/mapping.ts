/**
 * The mapping from MCP messages to Writ requests — documented in docs/mcp.md and overridable
 * per tool:
 *
 * | MCP message | principal | action | resource | context (candidates) |
 * |---|---|---|---|---|
 * | `initialize` (the session) | the caller | `Action::"initialize"` | `Server::"<name>"` | `server`, `client` |
 * | `tools/list` (one decision per tool) | the caller | `Action::"tools/list"` | `Tool::"<tool>"` | `server` |
 * | `tools/call` | the caller | `Action::"tools/call"` | `Tool::"<tool>"` | `server`, `arguments`, `argumentsDigest`, `session` |
 *
 * The caller is `--principal` over stdio. `Action`, `Tool` and `Server` are read in the
 * namespace where the schema declares the action `"tools/call"` (`Mcp::Action::"tools/call"`
 * → `Mcp::Tool`, `Mcp::Server`). A `Tool` entity has its server's entity as parent (the
 * gateway adds both to the entity store).
 *
 * The context is typed by the schema: of the candidates, only the attributes the action's
 * context type declares are passed, at every depth (records keep only declared attributes,
 * sets are read element by element), so a policy sees exactly what the schema types, and an
 * argument the schema does not declare never makes a request invalid. A declared attribute of
 * the wrong type (or a missing required one) makes the request invalid: the call is refused
 * with -32602. `session` is `{ id, calls, counts }`: the session's execution id, its allowed
 * tools/call so far, and per label (from the `label` obligation) how many allowed calls
 * carried it — `counts` holds exactly the labels its declared record type names, 0 when none.
 *
 * A {@link ToolRule} replaces the action (same action type), the resource, or adds context
 * for one tool; `readToolRules` reads them from JSON (`--mapping <file>`).
 *
 * NOTE: pure functions; never throws.
 */
import { canonicalJson, runtimeCrypto, type EntityUidJson, type LoadedBundle, type RequestJson } from "../runtime/index.js";
import type { JsonObject } from "./jsonrpc.js";

type Schema = LoadedBundle["schema"];
type ActionInfo = Schema["actions"][string];
type ContextType = NonNullable<ActionInfo["appliesTo"]>["context"];
/** A type of the bundle's schema (as the runtime carries it). */
export type SchemaType = ContextType["attrs"][string]["type"];

/** The entity and action names the gateway uses, in the schema's namespace. */
export interface McpNames {
  /** The action entity type, e.g. `Action` or `Mcp::Action`. */
  readonly actionType: string;
  readonly toolType: string;
  readonly serverType: string;
}

/** The MCP method ids of the three governed actions. */
export const MCP_ACTIONS = { session: "initialize", list: "tools/list", call: "tools/call" } as const;

/** What the mapping knows of the session when it maps a message. */
export interface SessionFacts {
  /** The session's execution id (empty before the session is authorized). */
  readonly id: string;
  /** The server's name (the `Server` entity id). */
  readonly server: string;
  /** The client's self-reported name (`clientInfo.name`), when known. */
  readonly client?: string;
  /** Allowed tools/call so far. */
  readonly calls: number;
  /** Allowed calls per label so far. */
  readonly counts: ReadonlyMap<string, number>;
}

/** One tools/call as the mapping sees it. */
export interface ToolCall {
  readonly tool: string;
  readonly arguments: JsonObject;
  /** `sha256:` of the arguments as canonical JSON (see {@link digestOf}). */
  readonly argumentsDigest: string;
}

/** A per-tool override of the mapping. */
export interface ToolRule {
  /** The action id instead of `tools/call` (in the same action type). */
  readonly action?: string;
  /** The resource instead of `Tool::"<tool>"` (a function may refuse by returning a message). */
  readonly resource?: EntityUidJson | ((call: ToolCall) => EntityUidJson | string);
  /** Context candidates added to (or replacing) the defaults for this tool, before the schema's projection. */
  readonly context?: (call: ToolCall) => JsonObject;
}

/** A mapped request, or why the message cannot be mapped (answered with -32602). */
export type Mapped = { readonly ok: true; readonly request: RequestJson } | { readonly ok: false; readonly message: string };

/** The mapping the gateway decides with. */
export interface Mapping {
  readonly names: McpNames;
  /** The session (`initialize`). */
  session(principal: EntityUidJson, facts: SessionFacts): Mapped;
  /** Whether `tool` is listed for the principal. */
  list(principal: EntityUidJson, tool: string, facts: SessionFacts): Mapped;
  /** One tools/call. */
  call(principal: EntityUidJson, call: ToolCall, facts: SessionFacts): Mapped;
}

/** Options of {@link createMapping}. */
export interface MappingOptions {
  /** The bundle's schema: names and context types come from it. Without one, the default names and untyped contexts. */
  readonly schema?: Schema;
  /** Per-tool overrides, by tool name. */
  readonly tools?: Readonly<Record<string, ToolRule>>;
}

function isObject(x: unknown): x is JsonObject {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/**
 * `sha256:` of a JSON value as canonical JSON (RFC 8785); for a value canonical JSON cannot
 * hold (a lone surrogate), of its `JSON.stringify` text instead. Key order never matters.
 */
export function digestOf(value: unknown): string {
  // NOTE: `contentId(value)`, hashed by node:crypto (the content id's own hash is portable JS,
  // several times slower on a tool's result); a property test holds the two equal.
  try {
    return runtimeCrypto.sha256Id(canonicalJson(value));
  } catch {
    return runtimeCrypto.sha256Id(JSON.stringify(value) ?? "null");
  }
}

/** An entity uid. */
export interface Uid {
  readonly type: string;
  readonly id: string;
}

/** Read an entity uid written as in policies, `Type::"id"` or `Ns::Type::"id"`; undefined when it is not one. */
export function parseEntityUid(text: string): Uid | undefined {
  const m = /^\s*((?:[A-Za-z_][A-Za-z0-9_]*::)*[A-Za-z_][A-Za-z0-9_]*)::"((?:[^"\\]|\\.)*)"\s*$/.exec(text);
  if (m === null) return undefined;
  try {
    const id = JSON.parse(`"${m[2]!.replace(/\\u\{([0-9a-fA-F]{1,6})\}/g, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))}"`) as string;
    return { type: m[1]!, id };
  } catch {
    return undefined;
  }
}

/** The text of an entity uid, `Type::"id"`. */
export function uidText(uid: Uid): string {
  return `${uid.type}::${JSON.stringify(uid.id)}`;
}

/**
 * The names the gateway uses with `schema`: where it declares the action `"tools/call"` —
 * or the default `Action` / `Tool` / `Server` without a schema. A message when the schema
 * declares it in several namespaces, or not at all.
 */
export function mcpNames(schema: Schema | undefined): McpNames | string {
  if (schema === undefined) return { actionType: "Action", toolType: "Tool", serverType: "Server" };
  const types = Object.values(schema.actions)
    .filter((a) => a.id === MCP_ACTIONS.call)
    .map((a) => a.type);
  if (types.length === 0) return 'the schema declares no action "tools/call" (declare `action "tools/call" appliesTo { … }`; see docs/mcp.md)';
  if (types.length > 1) return `the schema declares the action "tools/call" in several namespaces (${types.join(", ")}): keep one`;
  const actionType = types[0]!;
  const ns = actionType.slice(0, -"Action".length);
  return { actionType, toolType: `${ns}Tool`, serverType: `${ns}Server` };
}

/**
 * Whether the schema can govern MCP messages for `principal`: it declares the actions
 * `initialize` (on the `Server` type), `tools/list` and `tools/call` (on the `Tool` type), each
 * applying to the principal's type. A message naming the first gap, or undefined.
 */
export function checkSchema(schema: Schema, principal: Uid): string | undefined {
  const names = mcpNames(schema);
  if (typeof names === "string") return names;
  const need: readonly (readonly [string, string])[] = [
    [MCP_ACTIONS.session, names.serverType],
    [MCP_ACTIONS.list, names.toolType],
    [MCP_ACTIONS.call, names.toolType],
  ];
  for (const [id, resource] of need) {
    const key = `${names.actionType}::${JSON.stringify(id)}`;
    const at = schema.actions[key]?.appliesTo;
    if (at === undefined) return `the schema declares no action ${key} applying to principals and resources (the gateway decides ${need.map((n) => n[0]).join(", ")}; see docs/mcp.md)`;
    if (!at.principals.includes(principal.type)) return `action ${key} does not apply to principals of type ${principal.type} (it applies to ${at.principals.join(", ") || "none"})`;
    if (!at.resources.includes(resource)) return `action ${key} must apply to resources of type ${resource}`;
  }
  return undefined;
}

/** The context type of an action of the schema (undefined without a schema or for an undeclared action). */
function contextTypeOf(schema: Schema | undefined, actionType: string, id: string): ContextType | undefined {
  return schema?.actions[`${actionType}::${JSON.stringify(id)}`]?.appliesTo?.context;
}

/**
 * Keep of `value` what type `t` declares: records keep only their declared attributes (all of
 * them when the record type is open), sets are read element by element, anything else is
 * passed as it is (its type is checked when deciding).
 */
export function project(value: unknown, t: SchemaType): unknown {
  if (t.kind === "record") {
    if (!isObject(value) || t.open) return value;
    const out: JsonObject = {};
    for (const name of Object.keys(t.attrs)) {
      if (!Object.prototype.hasOwnProperty.call(value, name)) continue;
      out[name] = project(value[name], t.attrs[name]!.type);
    }
    return out;
  }
  if (t.kind === "set" && t.element !== undefined && Array.isArray(value)) {
    const el = t.element;
    return value.map((v) => project(v, el));
  }
  return value;
}

/** The `session` candidate: `counts` names the labels the declared type asks for (every label seen without a type). */
function sessionCandidate(facts: SessionFacts, declared: SchemaType | undefined): JsonObject {
  const countsType = declared?.kind === "record" ? declared.attrs["counts"]?.type : undefined;
  const names = countsType?.kind === "record" ? Object.keys(countsType.attrs) : [...facts.counts.keys()];
  const counts: JsonObject = {};
  for (const n of names) counts[n] = facts.counts.get(n) ?? 0;
  return { id: facts.id, calls: facts.calls, counts };
}

/** The context passed for `candidates` under a declared context type (all of them without one). */
function contextFor(candidates: JsonObject, t: ContextType | undefined): JsonObject {
  return t === undefined ? candidates : (project(candidates, t) as JsonObject);
}

function fillTemplate(template: string, call: ToolCall): string {
  return template.replace(/\{(tool|arguments\.[^{}]+)\}/g, (_, key: string) => {
    if (key === "tool") return call.tool;
    const v = call.arguments[key.slice("arguments.".length)];
    if (typeof v !== "string") throw new TemplateError(`argument \`${key.slice("arguments.".length)}\` of \`${call.tool}\` is not a string`);
    return v;
  });
}

class TemplateError {
  constructor(readonly message: string) {}
}

/** The mapping of the module comment, with the schema's names and context types and the per-tool rules. */
export function createMapping(options: MappingOptions = {}): { ok: true; mapping: Mapping } | { ok: false; message: string } {
  const names = mcpNames(options.schema);
  if (typeof names === "string") return { ok: false, message: names };
  const { schema } = options;
  const rules = options.tools ?? {};
  const action = (id: string): EntityUidJson => ({ type: names.actionType, id });
  // The context type of each action id, looked up once (the schema does not change).
  const contextTypes = new Map<string, ContextType | undefined>();
  const contextType = (id: string): ContextType | undefined => {
    if (contextTypes.has(id)) return contextTypes.get(id);
    const t = contextTypeOf(schema, names.actionType, id);
    contextTypes.set(id, t);
    return t;
  };
  const sessionType = (id: string): SchemaType | undefined => contextType(id)?.attrs["session"]?.type;
  const mapping: Mapping = {
    names,
    session(principal, facts) {
      const candidates: JsonObject = { server: facts.server, ...(facts.client === undefined ? {} : { client: facts.client }) };
      return {
        ok: true,
        request: {
          principal,
          action: action(MCP_ACTIONS.session),
          resource: { type: names.serverType, id: facts.server },
          context: contextFor(candidates, contextType(MCP_ACTIONS.session)) as RequestJson["context"],
        },
      };
    },
    list(principal, tool, facts) {
      return {
        ok: true,
        request: {
          principal,
          action: action(MCP_ACTIONS.list),
          resource: { type: names.toolType, id: tool },
          context: contextFor({ server: facts.server }, contextType(MCP_ACTIONS.list)) as RequestJson["context"],
        },
      };
    },
    call(principal, call, facts) {
      const rule: ToolRule = Object.prototype.hasOwnProperty.call(rules, call.tool) ? rules[call.tool]! : {};
      const actionId = rule.action ?? MCP_ACTIONS.call;
      let resource: EntityUidJson = { type: names.toolType, id: call.tool };
      let extra: JsonObject = {};
      try {
        if (typeof rule.resource === "function") {
          const r = rule.resource(call);
          if (typeof r === "string") return { ok: false, message: r };
          resource = r;
        } else if (rule.resource !== undefined) {
          const r = rule.resource as { type: string; id: string };
          resource = { type: fillTemplate(r.type, call), id: fillTemplate(r.id, call) };
        }
        if (rule.context !== undefined) extra = rule.context(call);
      } catch (e) {
        return { ok: false, message: `the mapping of \`${call.tool}\` failed: ${e instanceof TemplateError || e instanceof Error ? e.message : String(e)}` };
      }
      const candidates: JsonObject = {
        server: facts.server,
        arguments: call.arguments,
        argumentsDigest: call.argumentsDigest,
        session: sessionCandidate(facts, sessionType(actionId)),
        ...extra,
      };
      const t = contextType(actionId);
      return { ok: true, request: { principal, action: action(actionId), resource, context: contextFor(candidates, t) as RequestJson["context"] } };
    },
  };
  return { ok: true, mapping };
}

/**
 * Read per-tool rules from JSON (the `--mapping` file):
 * `{ "tools": { "<tool>": { "action"?: "<id>", "resource"?: { "type": "<T>", "id": "<template>" } } } }`,
 * where a template may use `{tool}` and `{arguments.<name>}` (a string argument).
 * A message naming the first problem when the JSON is not of that shape.
 */
export function readToolRules(json: unknown): Record<string, ToolRule> | string {
  if (!isObject(json)) return "the mapping must be a JSON object";
  for (const k of Object.keys(json)) if (k !== "tools") return `unknown field \`${k}\` (expected \`tools\`)`;
  const tools = json["tools"] ?? {};
  if (!isObject(tools)) return "`tools` must be an object keyed by tool name";
  const out: Record<string, ToolRule> = Object.create(null) as Record<string, ToolRule>;
  for (const [name, rule] of Object.entries(tools)) {
    const at = `tools.${JSON.stringify(name)}`;
    if (!isObject(rule)) return `${at} must be an object`;
    for (const k of Object.keys(rule)) if (k !== "action" && k !== "resource") return `${at}: unknown field \`${k}\` (expected \`action\` or \`resource\`)`;
    const a = rule["action"];
    if (a !== undefined && (typeof a !== "string" || a === "")) return `${at}.action must be a non-empty string (an action id)`;
    const r = rule["resource"];
    if (r !== undefined && !(isObject(r) && typeof r["type"] === "string" && typeof r["id"] === "string" && Object.keys(r).length === 2)) {
      return `${at}.resource must be {"type": "<entity type>", "id": "<template>"}`;
    }
    out[name] = { ...(a === undefined ? {} : { action: a as string }), ...(r === undefined ? {} : { resource: { type: r["type"] as string, id: r["id"] as string } }) };
  }
  return out;
}
