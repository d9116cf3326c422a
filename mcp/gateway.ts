/**
 * The MCP gateway: a JSON-RPC relay between an MCP client and a real MCP server that decides
 * the calls it governs with Writ and relays everything else unchanged.
 *
 *     client ──line──▶ gateway ──line──▶ server          (the original line, byte for byte)
 *            ◀─line──         ◀─line──
 *
 * Governed messages (see mapping.ts for the requests they become):
 * - `initialize` opens the session: one root execution (a child of `parent` when given),
 *   decided before the message is forwarded; a refusal answers the client, the server never
 *   sees the session, and every later request but `ping` is refused too.
 * - `tools/list` results are filtered: a tool is shown when `tools/list` on it is allowed.
 * - `tools/call` is a child execution of the session: a tool that would not be listed is
 *   refused (and the refusal recorded), then the call is decided, its obligations fulfilled
 *   (obligations.ts), and only then forwarded; the server's answer is relayed unchanged and
 *   its digest recorded (`executed`, or `failed` for an error or `isError` result).
 * A refused call never reaches the server; see answers.ts for the JSON-RPC errors.
 *
 * Malformed input from either side is answered with a JSON-RPC error (to the side that sent
 * it; a pending client request the server garbled is failed with -32603) and the gateway goes
 * on. The server ending while the client is connected ends the gateway (exit code 1, W9003);
 * the client closing its input ends the session normally (exit code 0).
 *
 * When the schema types `context.session`, the decisions of one session's calls are made one
 * at a time, so the counts a call sees include every call allowed before it.
 *
 * NOTE: never throws into its channels; every failure is an answer or a report.
 */
import { problem, type Problem, type RecordJson } from "../runtime/index.js";
import { CallToolRequestParamsSchema, ListToolsResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { mappingRefusal, problemRefusal, verdictRefusal, type RpcRefusal } from "./answers.js";
import type { Decider, Verdict } from "./decider.js";
import { errorLine, idKey, plainCallName, readMessage, requestLine, RPC_ERROR, type Incoming, type JsonObject, type RequestId } from "./jsonrpc.js";
import { digestOf, uidText, type Mapping, type SessionFacts, type ToolCall, type Uid } from "./mapping.js";
import { BUILTIN_OBLIGATIONS, labelsOf, runHandler, type ElicitAnswer, type ElicitForm, type McpObligationHandler, type Notification, type ObligationCall } from "./obligations.js";
import type { Channel, ServerChannel } from "./stdio.js";

/** Something the gateway reports (rendered as one line by `writ mcp`). */
export type GatewayEvent =
  | { readonly kind: "session"; readonly allowed: boolean; readonly execution: string; readonly firstIndex?: number; readonly detail?: string }
  | { readonly kind: "refused"; readonly what: string; readonly message: string; readonly execution?: string }
  | { readonly kind: "shadow"; readonly what: string; readonly execution: string; readonly policies: readonly string[] }
  | { readonly kind: "notify"; readonly notification: Notification }
  | { readonly kind: "listed"; readonly shown: number; readonly hidden: readonly string[] }
  | { readonly kind: "malformed"; readonly side: "client" | "server"; readonly problem: Problem }
  | { readonly kind: "failure"; readonly problem: Problem };

/** Options of {@link createGateway}. */
export interface GatewayOptions {
  readonly client: Channel;
  readonly server: ServerChannel;
  readonly decider: Decider;
  readonly mapping: Mapping;
  /** The caller every message is decided for. */
  readonly principal: Uid;
  /** The server's name: the id of its `Server` entity. */
  readonly serverName: string;
  /** Who is recorded as asking (default: the principal's text). */
  readonly actor?: string;
  /** An event the session descends from (its lineage parent). */
  readonly parent?: string;
  /** Obligation handlers by name, over the built-in ones. */
  readonly obligations?: Readonly<Record<string, McpObligationHandler>>;
  /** How long an approval is valid (default 2 minutes). */
  readonly approvalTtlMs?: number;
  readonly report?: (event: GatewayEvent) => void;
  /** Wall clock (approval expiry only). */
  readonly clock?: () => Date;
}

/** How the gateway ended. */
export interface GatewayEnd {
  /** 0: the client closed; 1: the server ended first; 2: the server could not start (`problem` says why). */
  readonly exitCode: number;
  readonly reason: "client-closed" | "closed" | "server-exited";
  readonly problem?: Problem;
}

/** A running gateway. */
export interface Gateway {
  /** Start relaying. */
  start(): void;
  /** End the session (as if the client had closed) and resolve when everything is recorded. */
  close(): Promise<GatewayEnd>;
  /** Resolves when the gateway has ended and the log is closed. */
  readonly done: Promise<GatewayEnd>;
}

/** A client request the gateway is waiting on. */
interface Pending {
  readonly id: RequestId;
  readonly kind: "pass" | "initialize" | "list" | "call";
  /** For calls: the verdict, the fulfilled obligations, the labels counted. */
  call?: CallState;
}

interface CallState {
  readonly tool: string;
  stage: "deciding" | "forwarded" | "done";
  cancelled: boolean;
  verdict?: Verdict;
  fulfilled: string[];
  evidence: Record<string, RecordJson>;
  labels: readonly string[];
}

/** The default approval validity. */
export const DEFAULT_APPROVAL_TTL_MS = 120_000;

/** Build a gateway (not yet started): see the module comment. */
export function createGateway(options: GatewayOptions): Gateway {
  return new Relay(options);
}

class Relay implements Gateway {
  private readonly o: GatewayOptions;
  private readonly handlers: Readonly<Record<string, McpObligationHandler>>;
  private readonly actor: string;
  private readonly principalText: string;
  private readonly clock: () => Date;
  private readonly pending = new Map<string, Pending>();
  /** Requests the gateway sent to the client (approvals), by id key. */
  private readonly ours = new Map<string, (a: ElicitAnswer) => void>();
  private readonly ourPrefix = `writ-${globalThis.crypto.randomUUID().slice(0, 8)}-`;
  private ourNext = 0;
  private session: { state: "none" | "deciding" | "open" | "refused"; verdict?: Verdict; fulfilled: string[]; evidence: Record<string, RecordJson> } = {
    state: "none",
    fulfilled: [],
    evidence: {},
  };
  private readonly facts: { id: string; server: string; client?: string; calls: number; counts: Map<string, number> };
  private elicitForm = false;
  private initialized = false;
  /** Serializes call decisions when the schema types `context.session`. */
  private turn: Promise<void> = Promise.resolve();
  private readonly serialized: boolean;
  private readonly background = new Set<Promise<unknown>>();
  private ending: Promise<GatewayEnd> | undefined;
  private resolveDone!: (e: GatewayEnd) => void;
  readonly done: Promise<GatewayEnd>;

  constructor(options: GatewayOptions) {
    this.o = options;
    this.handlers = { ...BUILTIN_OBLIGATIONS, ...(options.obligations ?? {}) };
    this.principalText = uidText(options.principal);
    this.actor = options.actor ?? this.principalText;
    this.clock = options.clock ?? (() => new Date());
    this.facts = { id: "", server: options.serverName, calls: 0, counts: new Map() };
    const probe = options.mapping.call(options.principal, { tool: "", arguments: {}, argumentsDigest: "" }, this.snapshot());
    this.serialized = probe.ok && probe.request.context !== undefined && Object.prototype.hasOwnProperty.call(probe.request.context, "session");
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  start(): void {
    this.o.client.start({
      line: (l) => this.fromClient(l),
      oversized: (n) => this.malformed("client", `a line of ${n} bytes is over the limit`, null, RPC_ERROR.invalidRequest),
      end: () => void this.end("client-closed"),
    });
    this.o.server.start({
      line: (l) => this.fromServer(l),
      oversized: (n) => this.malformed("server", `a line of ${n} bytes is over the limit`, null, RPC_ERROR.invalidRequest),
      end: () => undefined,
    });
    void this.o.server.exited.then((exit) => {
      if (this.ending !== undefined) return;
      const p =
        exit.startError !== undefined
          ? problem("W9004", { command: this.o.server.command, detail: exit.startError })
          : problem("W9003", { detail: exit.signal !== null ? `on signal ${exit.signal}` : `with code ${exit.code ?? "?"}` });
      void this.end("server-exited", p);
    });
  }

  close(): Promise<GatewayEnd> {
    return this.end("closed");
  }

  private report(e: GatewayEvent): void {
    try {
      this.o.report?.(e);
    } catch {
      // a failing reporter must not break the relay
    }
  }

  private snapshot(): SessionFacts {
    return { ...this.facts, counts: new Map(this.facts.counts) };
  }

  private later(p: Promise<unknown>): void {
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
  }

  private answer(id: RequestId | null, r: RpcRefusal): void {
    this.o.client.send(errorLine(id, r.code, r.message, r.data));
  }

  private malformed(side: "client" | "server", detail: string, id: RequestId | null, code: number): void {
    const p = problem("W9005", { side, detail });
    this.report({ kind: "malformed", side, problem: p });
    const line = errorLine(id, code, p.message, { code: "W9005" });
    if (side === "client") this.o.client.send(line);
    else this.o.server.send(line);
  }

  // --- from the client ---------------------------------------------------------------

  private fromClient(line: string): void {
    const m = readMessage(line);
    switch (m.kind) {
      case "invalid":
        this.malformed("client", m.detail, m.id, m.code);
        return;
      case "request":
        if (this.ending !== undefined) {
          this.answer(m.id, { code: RPC_ERROR.internal, message: "Writ: the session is ending", data: { code: "W9010" } });
          return;
        }
        if (this.pending.has(idKey(m.id))) {
          this.answer(m.id, { code: RPC_ERROR.invalidRequest, message: `request id ${JSON.stringify(m.id)} is already in use`, data: { code: "W9005" } });
          return;
        }
        if (this.session.state === "refused" && m.method !== "ping") {
          // A refused session stays closed: nothing but pings reaches the server.
          this.answer(m.id, problemRefusal(problem("W9010", { detail: "the session was refused" }), `\`${m.method}\``));
          return;
        }
        if (m.method === "initialize") this.later(this.openSession(m));
        else if (m.method === "tools/call") this.later(this.call(m));
        else {
          this.pending.set(idKey(m.id), { id: m.id, kind: m.method === "tools/list" ? "list" : "pass" });
          this.o.server.send(line);
        }
        return;
      case "notification":
        if (m.method === "notifications/initialized") this.initialized = true;
        if (m.method === "notifications/cancelled" && !this.cancel(m.params?.["requestId"])) return;
        this.o.server.send(line);
        return;
      case "result":
      case "error": {
        if (typeof m.id === "string" && m.id.startsWith(this.ourPrefix)) {
          const resolve = this.ours.get(idKey(m.id));
          this.ours.delete(idKey(m.id));
          resolve?.(m.kind === "result" ? elicitAnswerOf(m.result) : { action: "error", detail: String(m.error["message"] ?? "error") });
          return;
        }
        this.o.server.send(line);
        return;
      }
    }
  }

  /** A client cancellation: true when it must be forwarded (the server has the request). */
  private cancel(requestId: unknown): boolean {
    if (typeof requestId !== "string" && typeof requestId !== "number") return true;
    const p = this.pending.get(idKey(requestId));
    if (p?.call === undefined) return true;
    p.call.cancelled = true;
    if (p.call.stage !== "forwarded") return false;
    this.pending.delete(idKey(requestId));
    this.later(this.finish(p.call, { ok: false, detail: "cancelled by the client" }));
    return true;
  }

  private obligationCall(verdict: Verdict, call: ToolCall): ObligationCall {
    const canAsk = this.elicitForm && this.initialized;
    return {
      tool: call.tool,
      arguments: call.arguments,
      argumentsDigest: call.argumentsDigest,
      bundleId: verdict.decision?.bundleId ?? "",
      execution: verdict.execution,
      principal: this.principalText,
      server: this.o.serverName,
      now: this.clock,
      approvalTtlMs: this.o.approvalTtlMs ?? DEFAULT_APPROVAL_TTL_MS,
      notify: (n) => this.report({ kind: "notify", notification: n }),
      ...(canAsk ? { elicit: (form: ElicitForm, deadline: Date) => this.elicit(form, deadline) } : {}),
    };
  }

  private elicit(form: ElicitForm, deadline: Date): Promise<ElicitAnswer> {
    const id = `${this.ourPrefix}${++this.ourNext}`;
    return new Promise<ElicitAnswer>((resolve) => {
      const timer = setTimeout(() => {
        this.ours.delete(idKey(id));
        resolve({ action: "expired" });
      }, Math.max(0, deadline.getTime() - this.clock().getTime()));
      timer.unref();
      this.ours.set(idKey(id), (a) => {
        clearTimeout(timer);
        resolve(a);
      });
      this.o.client.send(requestLine(id, "elicitation/create", { mode: "form", ...form }));
    });
  }

  /**
   * Fulfil every obligation of an allow — `require_approval` first (nobody is notified of a
   * call that is then refused), the others by name; the first refusal stops.
   */
  private async fulfil(verdict: Verdict, call: ToolCall, into: { fulfilled: string[]; evidence: Record<string, RecordJson> }): Promise<Problem | undefined> {
    const ctx = this.obligationCall(verdict, call);
    const names = Object.keys(verdict.obligations).sort((a, b) => (a === "require_approval" ? -1 : b === "require_approval" ? 1 : a < b ? -1 : a > b ? 1 : 0));
    for (const name of names) {
      const handler = Object.prototype.hasOwnProperty.call(this.handlers, name) ? this.handlers[name] : undefined;
      if (handler === undefined) return problem("W7003", { obligations: `obligation \`${name}\`` });
      const r = await runHandler(name, handler, verdict.obligations[name]!, ctx);
      if (r.evidence !== undefined) into.evidence[name] = r.evidence;
      if (!r.ok) return r.problem;
      into.fulfilled.push(name);
    }
    return undefined;
  }

  // --- the session ---------------------------------------------------------------------

  private async openSession(m: Extract<Incoming, { kind: "request" }>): Promise<void> {
    if (this.session.state !== "none") {
      this.answer(m.id, { code: RPC_ERROR.invalidRequest, message: "Writ: the session is already initialized (or being decided)", data: { code: "W9010" } });
      return;
    }
    this.session.state = "deciding";
    const params = m.params ?? {};
    const info = params["clientInfo"];
    if (typeof info === "object" && info !== null && typeof (info as JsonObject)["name"] === "string") this.facts.client = (info as JsonObject)["name"] as string;
    const caps = params["capabilities"];
    const elicitation = typeof caps === "object" && caps !== null ? (caps as JsonObject)["elicitation"] : undefined;
    // An empty elicitation capability means form mode (MCP 2025-11-25).
    this.elicitForm = typeof elicitation === "object" && elicitation !== null && ("form" in elicitation || Object.keys(elicitation).length === 0);
    const what = `the session on ${this.o.serverName}`;
    const mapped = this.o.mapping.session(this.o.principal, this.snapshot());
    if (!mapped.ok) {
      this.session.state = "refused";
      this.answer(m.id, mappingRefusal(mapped.message, what));
      return;
    }
    const verdict = await this.o.decider.authorize(mapped.request, { actor: this.actor, ...(this.o.parent === undefined ? {} : { parent: this.o.parent }) });
    let refusal: RpcRefusal | undefined = verdict.allowed ? undefined : verdictRefusal(verdict, what);
    if (verdict.allowed) {
      const stop = await this.fulfil(verdict, { tool: "", arguments: {}, argumentsDigest: digestOf({}) }, this.session);
      if (stop !== undefined) {
        this.later(this.o.decider.complete(verdict, { ok: false, detail: stop.message, obligations: this.session.fulfilled, evidence: this.session.evidence }));
        refusal = problemRefusal(stop, what, verdict.execution, verdict.decision);
      }
    }
    if (refusal !== undefined) {
      this.session.state = "refused";
      this.report({ kind: "session", allowed: false, execution: verdict.execution, ...(verdict.firstIndex === undefined ? {} : { firstIndex: verdict.firstIndex }), detail: refusal.message });
      this.answer(m.id, refusal);
      return;
    }
    this.session = { ...this.session, state: "open", verdict };
    this.facts.id = verdict.execution;
    this.report({ kind: "session", allowed: true, execution: verdict.execution, ...(verdict.firstIndex === undefined ? {} : { firstIndex: verdict.firstIndex }) });
    this.reportShadow(verdict, what);
    this.pending.set(idKey(m.id), { id: m.id, kind: "initialize" });
    this.o.server.send(m.line);
  }

  private reportShadow(v: Verdict, what: string): void {
    const hits = (v.decision?.shadow ?? []).flatMap((x) => {
      const s = (typeof x === "object" && x !== null && !Array.isArray(x) ? x : {}) as { satisfied?: unknown; error?: unknown; effect?: unknown; name?: unknown };
      return s.satisfied === true || s.error !== undefined ? [`${String(s.effect)} ${String(s.name)}${s.error === undefined ? "" : " (error)"}`] : [];
    });
    if (hits.length > 0) this.report({ kind: "shadow", what, execution: v.execution, policies: hits });
  }

  // --- tools/call ----------------------------------------------------------------------

  private async call(m: Extract<Incoming, { kind: "request" }>): Promise<void> {
    const key = idKey(m.id);
    let tool = plainCallName(m.params);
    if (tool === undefined) {
      const parsed = CallToolRequestParamsSchema.safeParse(m.params);
      if (!parsed.success) {
        this.answer(m.id, mappingRefusal(`invalid tools/call params (${parsed.error.issues[0]?.message ?? "malformed"})`, "the call"));
        return;
      }
      tool = parsed.data.name;
    }
    const what = `tools/call of \`${tool}\``;
    const sessionParent = this.session.verdict?.parentEvent;
    if (this.session.state !== "open" || sessionParent === undefined) {
      const detail = this.session.state === "refused" ? "the session was refused" : "no governed session: the client has not initialized one";
      this.answer(m.id, problemRefusal(problem("W9010", { detail }), what));
      return;
    }
    const state: CallState = { tool, stage: "deciding", cancelled: false, fulfilled: [], evidence: {}, labels: [] };
    const pending: Pending = { id: m.id, kind: "call", call: state };
    this.pending.set(key, pending);
    const args = (m.params?.["arguments"] ?? {}) as JsonObject;
    const call: ToolCall = { tool, arguments: args, argumentsDigest: digestOf(args) };
    const refuse = (r: RpcRefusal, execution?: string): void => {
      this.pending.delete(key);
      state.stage = "done";
      this.report({ kind: "refused", what, message: r.message, ...(execution === undefined ? {} : { execution }) });
      if (!state.cancelled) this.answer(m.id, r);
    };

    // One decision at a time when the session's counts are typed (see the module comment).
    let release = (): void => undefined;
    if (this.serialized) {
      const previous = this.turn;
      this.turn = new Promise((r) => (release = r));
      await previous;
    }
    let verdict: Verdict;
    try {
      const listed = await this.gate(tool, sessionParent);
      if (listed !== undefined) return refuse(listed.refusal, listed.execution);
      const mapped = this.o.mapping.call(this.o.principal, call, this.snapshot());
      if (!mapped.ok) return refuse(mappingRefusal(mapped.message, what));
      verdict = await this.o.decider.authorize(mapped.request, { actor: this.actor, parent: sessionParent });
      if (!verdict.allowed) return refuse(verdictRefusal(verdict, what), verdict.execution);
      state.verdict = verdict;
      state.labels = labelsOf(verdict.obligations);
      this.count(state, +1);
    } finally {
      release();
    }
    this.reportShadow(verdict, what);

    const stop = await this.fulfil(verdict, call, state);
    if (stop !== undefined) {
      this.later(this.finish(state, { ok: false, detail: stop.message }));
      refuse(problemRefusal(stop, what, verdict.execution, verdict.decision), verdict.execution);
      return;
    }
    if (state.cancelled || this.ending !== undefined) {
      // Cancelled while waiting (no answer is due), or the session is ending: never forwarded.
      this.later(this.finish(state, { ok: false, detail: state.cancelled ? "cancelled by the client" : "the session ended before the call was forwarded" }));
      this.pending.delete(key);
      return;
    }
    state.stage = "forwarded";
    this.o.server.send(m.line);
  }

  /** Refuse a tool that would not be listed (recording the refusal), or undefined when it is listed. */
  private async gate(tool: string, parent: string): Promise<{ refusal: RpcRefusal; execution?: string } | undefined> {
    const what = `tools/call of \`${tool}\``;
    const added = this.o.decider.addTools(this.o.mapping.names, this.o.serverName, [tool]);
    if (added !== undefined) this.report({ kind: "failure", problem: added });
    const req = this.o.mapping.list(this.o.principal, tool, this.snapshot());
    if (!req.ok) return { refusal: mappingRefusal(req.message, what) };
    const listed = await this.o.decider.listable([req.request], parent);
    if (!Array.isArray(listed)) return { refusal: problemRefusal(listed as Problem, what) };
    if (listed[0] === true) return undefined;
    // Record the refusal as the tools/list execution it is.
    const v = await this.o.decider.authorize(req.request, { actor: this.actor, parent });
    if (v.allowed) {
      this.later(this.o.decider.complete(v, { ok: true, obligations: Object.keys(v.obligations) }));
      return undefined;
    }
    const p = v.decision === undefined && v.problem !== undefined ? v.problem : problem("W9009", { tool, principal: this.principalText });
    return { refusal: problemRefusal(p, what, v.execution, v.decision), execution: v.execution };
  }

  private count(state: CallState, delta: 1 | -1): void {
    this.facts.calls += delta;
    for (const l of state.labels) this.facts.counts.set(l, (this.facts.counts.get(l) ?? 0) + delta);
  }

  /** Record how an allowed call ended (a call that did not succeed is not counted). */
  private async finish(state: CallState, end: { ok: boolean; detail?: string; resultDigest?: string }): Promise<void> {
    if (state.verdict === undefined || state.stage === "done") return;
    state.stage = "done";
    if (!end.ok) this.count(state, -1);
    const r = await this.o.decider.complete(state.verdict, { ...end, obligations: state.fulfilled, evidence: state.evidence });
    if (!r.ok) this.report({ kind: "failure", problem: r.problem });
  }

  // --- from the server -----------------------------------------------------------------

  private fromServer(line: string): void {
    const m = readMessage(line);
    if (m.kind === "invalid") {
      this.malformed("server", m.detail, m.fromCaller ? m.id : null, m.code);
      const p = m.id === null ? undefined : this.pending.get(idKey(m.id));
      if (p !== undefined) {
        this.pending.delete(idKey(m.id!));
        const r = problemRefusal(problem("W9005", { side: "server", detail: m.detail }), "the request");
        this.answer(p.id, { ...r, code: RPC_ERROR.internal });
        if (p.call !== undefined) this.later(this.finish(p.call, { ok: false, detail: `the server answered with a malformed message: ${m.detail}` }));
      }
      return;
    }
    if (m.kind !== "result" && m.kind !== "error") {
      this.o.client.send(line);
      return;
    }
    const p = m.id === undefined ? undefined : this.pending.get(idKey(m.id));
    if (p === undefined) {
      this.o.client.send(line);
      return;
    }
    this.pending.delete(idKey(p.id));
    if (p.kind === "list" && m.kind === "result") {
      this.later(this.filterList(line, m.result, p.id));
      return;
    }
    this.o.client.send(line);
    if (p.call !== undefined) {
      const isError = m.kind === "result" && m.result["isError"] === true;
      const digest = digestOf(m.kind === "result" ? m.result : m.error);
      const end =
        m.kind === "error"
          ? { ok: false, detail: `JSON-RPC error ${String(m.error["code"])}: ${String(m.error["message"])} (${digest})` }
          : isError
            ? { ok: false, detail: `the tool reported an error (result ${digest})` }
            : { ok: true, resultDigest: digest };
      this.later(this.finish(p.call, end));
    }
  }

  private async filterList(line: string, result: JsonObject, id: RequestId): Promise<void> {
    const parsed = ListToolsResultSchema.safeParse(result);
    const tools = Array.isArray(result["tools"]) ? (result["tools"] as JsonObject[]) : undefined;
    if (!parsed.success || tools === undefined) {
      const p = problem("W9005", { side: "server", detail: "a tools/list result that is not a list of tools" });
      this.report({ kind: "malformed", side: "server", problem: p });
      this.answer(id, { code: RPC_ERROR.internal, message: p.message, data: { code: p.code } });
      return;
    }
    const names = tools.map((t) => String(t["name"]));
    const added = this.o.decider.addTools(this.o.mapping.names, this.o.serverName, names);
    if (added !== undefined) this.report({ kind: "failure", problem: added });
    const facts = this.snapshot();
    const requests = names.flatMap((n) => {
      const r = this.o.mapping.list(this.o.principal, n, facts);
      return r.ok ? [r.request] : [];
    });
    const listed = requests.length !== names.length ? problem("W9006", { detail: "a tool cannot be mapped" }) : await this.o.decider.listable(requests, this.session.verdict?.parentEvent);
    if (!Array.isArray(listed)) {
      this.answer(id, problemRefusal(listed as Problem, "tools/list"));
      return;
    }
    const shown = tools.filter((_, i) => listed[i] === true);
    const original = JSON.parse(line) as JsonObject;
    this.o.client.send(JSON.stringify({ ...original, result: { ...result, tools: shown } }));
    this.report({ kind: "listed", shown: shown.length, hidden: names.filter((_, i) => listed[i] !== true) });
  }

  // --- the end -------------------------------------------------------------------------

  private end(reason: GatewayEnd["reason"], why?: Problem): Promise<GatewayEnd> {
    this.ending ??= this.ended(reason, why);
    return this.ending;
  }

  private async ended(reason: GatewayEnd["reason"], why?: Problem): Promise<GatewayEnd> {
    const crashed = reason === "server-exited";
    if (!crashed) await this.o.server.close();
    // Whatever is still waiting will not be answered by the server.
    for (const [key, p] of this.pending) {
      this.pending.delete(key);
      if (crashed) this.answer(p.id, { code: RPC_ERROR.internal, message: `Writ: ${why?.message ?? "the MCP server exited"}`, data: { code: why?.code ?? "W9003" } });
      if (p.call !== undefined) this.later(this.finish(p.call, { ok: false, detail: crashed ? (why?.message ?? "the MCP server exited") : "the session ended before the server answered" }));
    }
    for (const [key, resolve] of this.ours) {
      this.ours.delete(key);
      resolve({ action: "cancel" });
    }
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
    const s = this.session;
    if (s.state === "open" && s.verdict !== undefined) {
      const detail = `${this.facts.calls} tool call(s); ${crashed ? (why?.message ?? "the MCP server exited") : "the client closed the session"}`;
      const r = await this.o.decider.complete(s.verdict, { ok: !crashed, detail, obligations: s.fulfilled, evidence: s.evidence });
      if (!r.ok) this.report({ kind: "failure", problem: r.problem });
    }
    await this.o.decider.close();
    await this.o.client.close();
    // A server that never started is bad input (2); one that ended while the client was connected, 1.
    const end: GatewayEnd = crashed ? { exitCode: why?.code === "W9004" ? 2 : 1, reason, ...(why === undefined ? {} : { problem: why }) } : { exitCode: 0, reason };
    this.resolveDone(end);
    return end;
  }
}

function elicitAnswerOf(result: JsonObject): ElicitAnswer {
  const action = result["action"];
  const content = result["content"];
  if (action !== "accept" && action !== "decline" && action !== "cancel") return { action: "error", detail: "the elicitation result has no valid `action`" };
  return typeof content === "object" && content !== null && !Array.isArray(content) ? { action, content: content as JsonObject } : { action };
}
