/**
 * How the gateway answers a call it does not forward: the JSON-RPC error for a verdict or a
 * problem, with the reasons in `error.data`, and the one-line reports `writ mcp` prints.
 *
 * | why | JSON-RPC code |
 * |---|---|
 * | denied by the policies; an obligation not fulfilled (approval declined, no handler); a tool not listed for the caller; a refused session | -32001 |
 * | the message cannot be mapped to a request, or the request does not conform to the schema | -32602 |
 * | no decision possible (the log cannot record, the decision service fails, no session yet) | -32603 |
 *
 * NOTE: pure functions.
 */
import type { DecisionRecord, Problem } from "../runtime/index.js";
import type { Verdict } from "./decider.js";
import type { GatewayEvent } from "./gateway.js";
import { RPC_ERROR, type JsonObject } from "./jsonrpc.js";

/** A JSON-RPC error to send. */
export interface RpcRefusal {
  readonly code: number;
  readonly message: string;
  readonly data: JsonObject;
}

/** Problems that are refusals of the call (−32001), not failures to decide. */
const REFUSALS: ReadonlySet<string> = new Set(["W7003", "W7004", "W7008", "W9008", "W9009", "W9010"]);

function reasonsOf(d: DecisionRecord): JsonObject[] {
  return d.reasons.map((r) => (r.reason === undefined ? { policy: r.name } : { policy: r.name, reason: r.reason }));
}

/** The error data of a decision record (policies, reasons, errors, bundle). */
function decisionData(d: DecisionRecord): JsonObject {
  return {
    decision: d.decision,
    reasons: reasonsOf(d),
    errors: d.errors.map((e) => ({ policy: e.policy, code: e.code, message: e.message })),
    bundleId: d.bundleId,
  };
}

/** Why a decision denied, in one line. */
export function denialText(d: DecisionRecord): string {
  const inputs = d.errors.filter((e) => e.policy === "");
  if (inputs.length > 0) return inputs.map((e) => e.message).join("; ");
  if (d.reasons.length > 0) return `forbidden by ${d.reasons.map((r) => (r.reason === undefined ? r.name : `${r.name} (${r.reason})`)).join(", ")}`;
  if (d.errors.length > 0) return `policies failed: ${d.errors.map((e) => `${e.policy}: ${e.message}`).join("; ")}`;
  return "no policy permits it";
}

/** The error for a problem that stopped an execution (`execution` when one was recorded). */
export function problemRefusal(p: Problem, what: string, execution?: string, decision?: DecisionRecord): RpcRefusal {
  const data: JsonObject = { code: p.code, ...(execution === undefined || execution === "" ? {} : { execution }), ...(decision === undefined ? {} : decisionData(decision)) };
  if (REFUSALS.has(p.code)) return { code: RPC_ERROR.denied, message: `Writ refused ${what}: ${p.message}`, data };
  return { code: RPC_ERROR.internal, message: `Writ could not decide ${what}: ${p.message}`, data };
}

/** The error for a verdict that is not an allow. */
export function verdictRefusal(v: Verdict, what: string): RpcRefusal {
  const d = v.decision;
  if (d !== undefined && d.decision === "deny") {
    const input = d.errors.some((e) => e.policy === "");
    const data: JsonObject = { code: input ? "W5006" : "W7008", execution: v.execution, ...decisionData(d) };
    if (input) return { code: RPC_ERROR.invalidParams, message: `Writ cannot decide ${what}: the request does not conform to the schema: ${denialText(d)}`, data };
    return { code: RPC_ERROR.denied, message: `Writ denied ${what}: ${denialText(d)}`, data };
  }
  if (v.problem !== undefined) return problemRefusal(v.problem, what, v.execution, d);
  return { code: RPC_ERROR.internal, message: `Writ could not decide ${what}`, data: { execution: v.execution } };
}

/** The error for a message that cannot be mapped to a request. */
export function mappingRefusal(message: string, what: string): RpcRefusal {
  return { code: RPC_ERROR.invalidParams, message: `Writ cannot map ${what}: ${message}`, data: { code: "W9006" } };
}

/** One line (without a newline) describing a gateway event, as `writ mcp` prints it on stderr. */
export function describeEvent(e: GatewayEvent): string {
  switch (e.kind) {
    case "session": {
      const at = e.firstIndex === undefined ? "" : ` (writ lineage show ${e.firstIndex})`;
      return e.allowed ? `session ${e.execution} opened${at}` : `session refused${at}: ${e.detail ?? ""}`;
    }
    case "refused":
      return e.message;
    case "shadow":
      return `shadow policies on ${e.what} (${e.execution}): ${e.policies.join(", ")} — reported, not enforced`;
    case "notify":
      return `notify ${e.notification.channels.join(", ")}: ${e.notification.principal} calls \`${e.notification.tool}\` (${e.notification.execution})`;
    case "listed":
      return `tools/list: ${e.shown} shown${e.hidden.length === 0 ? "" : `, hidden: ${e.hidden.join(", ")}`}`;
    case "malformed":
    case "failure":
      return `${e.problem.code}: ${e.problem.message}`;
    default:
      return assertNever(e);
  }
}

function assertNever(x: never): never {
  throw new Error(`unexpected gateway event ${JSON.stringify(x)}`);
}
