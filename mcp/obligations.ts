/**
 * The obligations the gateway fulfils, as one table of handlers by obligation name. An allow
 * carrying an obligation without a handler is refused (fail closed); a handler that refuses
 * stops the call before it reaches the server. `require_approval` runs first, the others by
 * name. Embedders pass more handlers (or replace
 * these) with `createGateway({ obligations })`.
 *
 * | obligation | schema type | what the gateway does |
 * |---|---|---|
 * | `require_approval` | `Bool` | asks the MCP client to confirm the call (elicitation, form mode), bound to the tool, the arguments' digest, the bundle id and an expiry; no elicitation support, a decline, a cancel or an answer after the expiry refuses the call |
 * | `notify` | `Set<String>` | reports the call to each channel (a line on stderr from `writ mcp`; the `report` callback for embedders) |
 * | `label` | `Set<String>` | counts the call under each label in the session (`context.session.counts`) once it is allowed; a call that fails or is refused is not counted |
 *
 * What a handler returns as `evidence` — fulfilled or refused — is recorded in the call's
 * `verified` lineage event (a declined approval too: its id and the answer).
 *
 * NOTE: a handler never throws into the gateway: a thrown error is a refusal.
 */
import { problem, type Problem, type RecordJson } from "../runtime/index.js";
import type { JsonObject } from "./jsonrpc.js";
import { digestOf } from "./mapping.js";

/** The form of an approval request (`elicitation/create` params, form mode). */
export interface ElicitForm {
  readonly message: string;
  readonly requestedSchema: JsonObject;
}

/** What the client answered to an elicitation (`expired`: no answer before the deadline; `error`: a JSON-RPC error). */
export interface ElicitAnswer {
  readonly action: "accept" | "decline" | "cancel" | "expired" | "error";
  readonly content?: JsonObject;
  readonly detail?: string;
}

/** Something the gateway reports to notify a channel. */
export interface Notification {
  readonly channels: readonly string[];
  readonly tool: string;
  readonly principal: string;
  readonly execution: string;
}

/** What a handler is told about the call (or the session, for `initialize`: `tool` is empty). */
export interface ObligationCall {
  readonly tool: string;
  readonly arguments: JsonObject;
  readonly argumentsDigest: string;
  /** The bundle that decided (from the decision record). */
  readonly bundleId: string;
  readonly execution: string;
  /** The caller, as `Type::"id"`. */
  readonly principal: string;
  readonly server: string;
  /** Ask the MCP client; absent when it cannot be asked (no form elicitation, or not initialized yet). */
  readonly elicit?: (form: ElicitForm, deadline: Date) => Promise<ElicitAnswer>;
  readonly now: () => Date;
  /** How long an approval stays valid. */
  readonly approvalTtlMs: number;
  readonly notify: (n: Notification) => void;
}

/** A handler's answer: fulfilled or refused, with what it did (recorded either way). */
export type ObligationResult =
  | { readonly ok: true; readonly evidence?: RecordJson }
  | { readonly ok: false; readonly problem: Problem; readonly evidence?: RecordJson };

/** Fulfils one obligation of one call. */
export type McpObligationHandler = (value: RecordJson, call: ObligationCall) => ObligationResult | Promise<ObligationResult>;

function refused(code: "W9008" | "W7004", values: Record<string, string>, evidence?: RecordJson): ObligationResult {
  return evidence === undefined ? { ok: false, problem: problem(code, values) } : { ok: false, problem: problem(code, values), evidence };
}

function stringSet(value: RecordJson): readonly string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === "string") ? (value as string[]) : undefined;
}

/** At most this many characters of the arguments are shown in an approval request. */
const SHOWN_ARGUMENTS = 600;

/** `require_approval`: see the module comment. */
export const requireApproval: McpObligationHandler = async (value, call) => {
  if (value === false) return { ok: true };
  if (value !== true) return refused("W7004", { obligation: "require_approval", detail: ": its value must be a Bool" });
  const what = call.tool === "" ? "the session" : call.tool;
  if (call.elicit === undefined) return refused("W9008", { tool: what, detail: "the client cannot be asked (it declared no elicitation support, or the session is not initialized)" });
  const expiresAt = new Date(call.now().getTime() + call.approvalTtlMs);
  const binding = { tool: call.tool, argumentsDigest: call.argumentsDigest, bundleId: call.bundleId, execution: call.execution, expiresAt: expiresAt.toISOString() };
  const approval = digestOf(binding);
  let shown = JSON.stringify(call.arguments);
  if (shown.length > SHOWN_ARGUMENTS) shown = `${shown.slice(0, SHOWN_ARGUMENTS)}…`;
  const message = [
    `Writ: ${call.principal} asks to call \`${call.tool}\` on ${call.server}. Approve this exact call?`,
    `arguments: ${shown}`,
    `arguments digest: ${call.argumentsDigest}`,
    `bundle: ${call.bundleId}`,
    `expires: ${binding.expiresAt}`,
    `approval: ${approval}`,
  ].join("\n");
  const answer = await call.elicit(
    {
      message,
      requestedSchema: {
        type: "object",
        properties: { approve: { type: "boolean", title: "Approve", description: `Run \`${call.tool}\` with exactly these arguments (approval ${approval.slice(0, 19)}…)` } },
        required: ["approve"],
      },
    },
    expiresAt,
  );
  const evidence = { approval, ...binding, answer: answer.action } as RecordJson;
  if (answer.action !== "accept") {
    const why = answer.action === "expired" ? `no answer before ${binding.expiresAt}` : answer.action === "error" ? `the client failed: ${answer.detail ?? "error"}` : `the client answered ${answer.action}`;
    return refused("W9008", { tool: what, detail: why }, evidence);
  }
  if (call.now().getTime() > expiresAt.getTime()) return refused("W9008", { tool: what, detail: `the approval arrived after it expired (${binding.expiresAt})` }, evidence);
  if (answer.content?.["approve"] !== true) return refused("W9008", { tool: what, detail: "the form was submitted without approving" }, evidence);
  return { ok: true, evidence };
};

/** `notify`: see the module comment. */
export const notify: McpObligationHandler = (value, call) => {
  const channels = stringSet(value);
  if (channels === undefined) return refused("W7004", { obligation: "notify", detail: ": its value must be a Set<String>" });
  call.notify({ channels, tool: call.tool, principal: call.principal, execution: call.execution });
  return { ok: true, evidence: { channels: [...channels] } };
};

/** `label`: see the module comment (the gateway counts the labels when the call is allowed; see {@link labelsOf}). */
export const label: McpObligationHandler = (value) => {
  const labels = stringSet(value);
  if (labels === undefined) return refused("W7004", { obligation: "label", detail: ": its value must be a Set<String>" });
  return { ok: true, evidence: { labels: [...labels] } };
};

/** The built-in handlers (the table of the module comment). */
export const BUILTIN_OBLIGATIONS: Readonly<Record<string, McpObligationHandler>> = Object.freeze({
  require_approval: requireApproval,
  notify,
  label,
});

/** The labels an allow will be counted under (from its `label` obligation), before any handler runs. */
export function labelsOf(obligations: Readonly<Record<string, RecordJson>>): readonly string[] {
  return Object.prototype.hasOwnProperty.call(obligations, "label") ? (stringSet(obligations["label"]!) ?? []) : [];
}

/** Run one handler, turning a throw into a refusal. */
export async function runHandler(name: string, handler: McpObligationHandler, value: RecordJson, call: ObligationCall): Promise<ObligationResult> {
  try {
    return await handler(value, call);
  } catch (e) {
    return refused("W7004", { obligation: name, detail: `: ${e instanceof Error ? e.message : String(e)}` });
  }
}
