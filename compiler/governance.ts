/**
 * Writ governance extensions shared by the checker, the lowering and the decision
 * function: the type of the `lineage` variable, the obligation merge rules, the
 * `@mode` annotation, and the detection of Writ-only constructs (rejected with W6001
 * in `cedar` semantics).
 *
 * The request's `lineage` field is read here too (`lineageFromJson`).
 *
 * Merge rules over the determining permits of an allow (in policy order; every rule is
 * commutative and associative, so the order never changes the result):
 *   Bool → or; Long, decimal, duration → minimum (the strictest cap); Set<T> → union.
 */
import { diag, type Diagnostic } from "../lang/diagnostics.js";
import { assertNever } from "../lang/span.js";
import { entityUidFromJson, type JsonValue } from "../stdlib/json.js";
import { EvalError, RecordValue, SetValue, type Value } from "../stdlib/value.js";
import type { IrExpr, IrPolicy, IrPolicySet, IrTemplate } from "./ir.js";
import { LONG, recordType, setType, STRING, type Type } from "./types.js";

const ANY_ENTITY: Type = { kind: "anyEntity" };

/** `{ principal, action, resource: <any entity>, decision, bundleId, node: String }`: one execution of the ancestry. */
export const EXECUTION_TYPE: Type = recordType([
  ["principal", { type: ANY_ENTITY, required: true }],
  ["action", { type: ANY_ENTITY, required: true }],
  ["resource", { type: ANY_ENTITY, required: true }],
  ["decision", { type: STRING, required: true }],
  ["bundleId", { type: STRING, required: true }],
  ["node", { type: STRING, required: true }],
]);

/** The type of `lineage`: `{ depth: Long, parent?: Execution, root?: Execution, ancestors: Set<Execution> }`. */
export const LINEAGE_TYPE: Type = recordType([
  ["depth", { type: LONG, required: true }],
  ["parent", { type: EXECUTION_TYPE, required: false }],
  ["root", { type: EXECUTION_TYPE, required: false }],
  ["ancestors", { type: setType(EXECUTION_TYPE), required: true }],
]);

/** The execution mode of a policy from its `@mode` annotation (absent = enforce). */
export type PolicyMode = "enforce" | "shadow";

/** The values `@mode` accepts. */
export const MODE_VALUES: readonly string[] = ["enforce", "shadow"];

/** The mode of an IR policy: `shadow` only for `@mode("shadow")`. */
export function policyMode(p: IrPolicy): PolicyMode {
  return p.annotations.some((a) => a.name === "mode" && a.value === "shadow") ? "shadow" : "enforce";
}

/** The `@reason` text of an IR policy, if any. */
export function policyReason(p: IrPolicy): string | undefined {
  const a = p.annotations.find((x) => x.name === "reason");
  return a === undefined || a.value === null ? undefined : a.value;
}

/** The merge rule of a declared obligation type; undefined when it has none (W6005). */
export function mergeRuleOf(t: Type): "or" | "min" | "union" | undefined {
  switch (t.kind) {
    case "bool": return "or";
    case "long": return "min";
    case "set": return "union";
    case "extension": return t.name === "decimal" || t.name === "duration" ? "min" : undefined;
    default: return undefined;
  }
}

/** `a < b` for two values of one mergeable ordered kind (Long, decimal, duration). */
function lessThan(a: Value, b: Value): boolean {
  if (typeof a === "bigint" && typeof b === "bigint") return a < b;
  if (typeof a === "object" && typeof b === "object" && "compare" in a && typeof (a as { compare?: unknown }).compare === "function") {
    return (a as unknown as { compare(o: Value): number }).compare(b) < 0;
  }
  throw new EvalError("W4002", "obligation values of different types cannot be merged");
}

/**
 * Merge two values of one obligation by the value's runtime kind: booleans → or,
 * Long / decimal / duration → minimum, sets → union. Throws EvalError on a
 * kind without a merge rule or mismatched kinds (the checker rules these out).
 */
export function mergeObligationValue(a: Value, b: Value): Value {
  if (typeof a === "boolean" && typeof b === "boolean") return a || b;
  if (a instanceof SetValue && b instanceof SetValue) return unionSets(a, b);
  if (typeof a === "bigint" || (typeof a === "object" && !(a instanceof SetValue) && "compare" in a)) return lessThan(b, a) ? b : a;
  throw new EvalError("W4002", "this obligation value cannot be merged");
}

function unionSets(a: SetValue, b: SetValue): SetValue {
  const out: Value[] = [...a.elements];
  for (const x of b.elements) if (!a.has(x)) out.push(x);
  return new SetValue(out);
}

/** Every Writ-only construct of an IR policy set as a W6001 diagnostic (for `cedar` semantics). */
export function cedarModeViolations(ir: IrPolicySet): Diagnostic[] {
  const out: Diagnostic[] = [];
  const at = (p: IrPolicy | IrTemplate, span: IrExpr["span"]): { start: number; end: number } => span ?? p.span ?? { start: 0, end: 0 };
  // Templates are checked themselves, their linked policies (the last policies, one per link) not again.
  const statics = ir.policies.slice(0, ir.policies.length - (ir.links?.length ?? 0));
  for (const p of [...statics, ...(ir.templates ?? [])]) {
    const report = (what: string, span: IrExpr["span"]): void => {
      out.push(diag("W6001", `Writ extension not allowed in cedar semantics: ${what} (policy \`${p.name}\`)`, at(p, span), "remove it or compile with the default `fail-closed` semantics"));
    };
    if (p.obligations !== undefined) report("obligations", p.span);
    if (p.annotations.some((a) => a.name === "mode" && a.value === "shadow")) report('`@mode("shadow")`', p.span);
    const walk = (e: IrExpr): void => {
      const kids = irChildren(e);
      if (e.kind === "quantifier") report(`\`.${e.quantifier}(…)\``, e.span);
      else if (e.kind === "var" && e.name === "lineage") report("`lineage`", e.span);
      for (const k of kids) walk(k);
    };
    for (const c of p.conditions) walk(c.body);
    for (const o of p.obligations ?? []) walk(o.value);
  }
  return out;
}

/** The direct sub-expressions of an IR expression. */
export function irChildren(e: IrExpr): readonly IrExpr[] {
  switch (e.kind) {
    case "bool": case "long": case "string": case "entity": case "var": case "extLit": case "error": case "boundVar":
      return [];
    case "not": case "neg":
      return [e.operand];
    case "and": case "or": case "binary": case "in":
      return [e.left, e.right];
    case "inEntities":
      return [e.left];
    case "has": case "getAttr": case "like":
      return [e.target];
    case "if":
      return [e.cond, e.then, e.else];
    case "is":
      return e.in === undefined ? [e.target] : [e.target, e.in];
    case "call":
      return e.args;
    case "set":
      return e.elements;
    case "record":
      return e.entries.map((x) => x.value);
    case "quantifier":
      return [e.target, e.body];
    default:
      return assertNever(e, "IR expression");
  }
}

// ---------------------------------------------------------------------------
// Reading `lineage` from request JSON: entities as `{"type", "id"}` or `{"__entity": {…}}`;
// `depth` defaults to the number of ancestors and `ancestors` to `[]`; unknown fields are rejected.
// ---------------------------------------------------------------------------

const EXECUTION_ENTITY_FIELDS = ["principal", "action", "resource"] as const;
const EXECUTION_STRING_FIELDS = ["decision", "bundleId", "node"] as const;
const LINEAGE_FIELDS = new Set(["depth", "parent", "root", "ancestors"]);

function isObject(j: unknown): j is Readonly<Record<string, unknown>> {
  return typeof j === "object" && j !== null && !Array.isArray(j);
}

/** One execution summary, or an error message. */
function executionFromJson(j: unknown, where: string): RecordValue | string {
  if (!isObject(j)) return `${where} must be an object`;
  const m = new Map<string, Value>();
  for (const k of Object.keys(j)) {
    if (!(EXECUTION_ENTITY_FIELDS as readonly string[]).includes(k) && !(EXECUTION_STRING_FIELDS as readonly string[]).includes(k)) return `${where}: unknown field \`${k}\``;
  }
  for (const f of EXECUTION_ENTITY_FIELDS) {
    const v = j[f];
    if (v === undefined) return `${where}: \`${f}\` is missing`;
    const r = entityUidFromJson(v as JsonValue);
    if (!r.ok) return `${where}: \`${f}\`: ${r.error}`;
    m.set(f, r.uid);
  }
  for (const f of EXECUTION_STRING_FIELDS) {
    const v = j[f];
    if (typeof v !== "string") return `${where}: \`${f}\` must be a string`;
    m.set(f, v);
  }
  return new RecordValue(m);
}

/**
 * Read a request's `lineage` JSON into a record value, or return an error message.
 * Never throws.
 */
export function lineageFromJson(j: unknown): RecordValue | string {
  if (!isObject(j)) return "must be an object";
  for (const k of Object.keys(j)) if (!LINEAGE_FIELDS.has(k)) return `unknown field \`${k}\``;
  const m = new Map<string, Value>();
  const ancestors: Value[] = [];
  const aj = j["ancestors"];
  if (aj !== undefined) {
    if (!Array.isArray(aj)) return "`ancestors` must be an array";
    for (let i = 0; i < aj.length; i++) {
      const e = executionFromJson(aj[i], `\`ancestors[${i}]\``);
      if (typeof e === "string") return e;
      ancestors.push(e);
    }
  }
  const dj = j["depth"];
  if (dj === undefined) m.set("depth", BigInt(ancestors.length));
  else if (typeof dj === "number" && Number.isSafeInteger(dj) && dj >= 0) m.set("depth", BigInt(dj));
  else return "`depth` must be a non-negative integer";
  for (const f of ["parent", "root"] as const) {
    const v = j[f];
    if (v === undefined || v === null) continue;
    const e = executionFromJson(v, `\`${f}\``);
    if (typeof e === "string") return e;
    m.set(f, e);
  }
  m.set("ancestors", new SetValue(ancestors));
  return new RecordValue(m);
}
