/**
 * The policy AST written in Cedar's JSON policy format (the "EST"), as Cedar's
 * `policyToJson` writes it: scalar and entity literals are `Value`s, sets and records are
 * `Set` / `Record` of expressions, `e.contains(x)` and friends are `{left, right}`, other
 * calls are `{name: [receiver?, args…]}`. `like` patterns keep runs of literal text together
 * (Cedar splits them per character; both read either). See `policy-json.ts` for the reverse
 * and for Writ's extension keys.
 *
 * A policy set becomes `{ staticPolicies, templates, templateLinks }` keyed by policy name
 * (`@id`, else `policyN`); two policies with one name cannot be written (W1041). Comments
 * and layout are not kept (they are not in the JSON format). Never throws.
 */
import type { EntityRef, Expr, LinkDecl, Policy, PolicySet, RecordEntry, Scope } from "../lang/ast.js";
import { diag, type Diagnostic } from "../lang/diagnostics.js";
import { assertNever } from "../lang/span.js";
import { isIdent } from "../lang/printer.js";
import { RESERVED_WORDS } from "../lang/tokens.js";
import type { JsonValue } from "../stdlib/index.js";
import { isTemplate, policyName } from "./templates.js";

/** Methods Cedar writes `{name: {left, right}}`. */
export const BINARY_METHODS: ReadonlySet<string> = new Set(["contains", "containsAll", "containsAny", "getTag", "hasTag"]);
/** Methods Cedar writes `{name: {arg}}`. */
export const UNARY_METHODS: ReadonlySet<string> = new Set(["isEmpty"]);

/** Can `s` be written bare (an identifier; a reserved word too when `allowReserved`, as annotation names can)? */
export function isPlainIdent(s: string, allowReserved: boolean): boolean {
  return isIdent(s) && (allowReserved || !RESERVED_WORDS.has(s));
}

type Json = JsonValue;

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A Long as JSON: a number when it is exact as one, else a bigint (write the result with
 * `stringifyJson`, which writes every digit; `JSON.stringify` cannot).
 */
function jsonLong(n: bigint): Json {
  return n >= -SAFE && n <= SAFE ? Number(n) : n;
}

function uid(r: EntityRef): Json {
  return { type: r.type.path.join("::"), id: r.id };
}

function entries(list: readonly RecordEntry[]): Json {
  const out: Record<string, Json> = {};
  for (const e of list) Object.defineProperty(out, e.key, { value: exprToJson(e.value), enumerable: true, writable: true, configurable: true });
  return out;
}

/** One expression in Cedar's JSON form. */
export function exprToJson(e: Expr): Json {
  switch (e.kind) {
    case "bool":
    case "string":
      return { Value: e.value };
    case "long":
      return { Value: jsonLong(e.value) };
    case "entity":
      return { Value: { __entity: uid(e.ref) } };
    case "var":
    case "boundVar":
      return { Var: e.name };
    case "slotExpr":
      return { Slot: `?${e.slot.slot}` };
    case "unary":
      return { [e.op === "!" ? "!" : "neg"]: { arg: exprToJson(e.operand) } };
    case "binary":
      return { [e.op]: { left: exprToJson(e.left), right: exprToJson(e.right) } };
    case "if":
      return { "if-then-else": { if: exprToJson(e.cond), then: exprToJson(e.then), else: exprToJson(e.else) } };
    case "has":
      return { has: { left: exprToJson(e.target), attr: e.path.length === 1 ? e.path[0]! : [...e.path] } };
    case "like":
      return { like: { left: exprToJson(e.target), pattern: e.pattern.map((p) => (p.kind === "wildcard" ? "Wildcard" : { Literal: p.text })) } };
    case "is": {
      const o: Record<string, Json> = { left: exprToJson(e.target), entity_type: e.entityType.path.join("::") };
      if (e.in !== undefined) o["in"] = exprToJson(e.in);
      return { is: o };
    }
    case "getAttr":
      return { ".": { left: exprToJson(e.target), attr: e.attr } };
    case "method":
      if (BINARY_METHODS.has(e.name) && e.args.length === 1) return { [e.name]: { left: exprToJson(e.target), right: exprToJson(e.args[0]!) } };
      if (UNARY_METHODS.has(e.name) && e.args.length === 0) return { [e.name]: { arg: exprToJson(e.target) } };
      return { [e.name]: [exprToJson(e.target), ...e.args.map(exprToJson)] };
    case "call":
      return { [e.fn.path.join("::")]: e.args.map(exprToJson) };
    case "set":
      return { Set: e.elements.map(exprToJson) };
    case "record":
      return { Record: entries(e.entries) };
    case "quantifier":
      return { [e.quantifier]: { left: exprToJson(e.target), variable: e.variable, body: exprToJson(e.body) } };
    default:
      return assertNever(e, "expression");
  }
}

function scopeToJson(s: Scope): Json {
  const c = s.constraint;
  const target = (t: EntityRef | { readonly kind: "slot"; readonly slot: string }): Record<string, Json> => (t.kind === "slot" ? { slot: `?${t.slot}` } : { entity: uid(t) });
  switch (c.kind) {
    case "any":
      return { op: "All" };
    case "eq":
      return { op: "==", ...target(c.target) };
    case "in":
      return { op: "in", ...target(c.target) };
    case "inList":
      // As Cedar writes it: `in [A]` is `in A` (the same IR).
      return c.targets.length === 1 ? { op: "in", entity: uid(c.targets[0]!) } : { op: "in", entities: c.targets.map(uid) };
    case "is":
      return c.in === undefined ? { op: "is", entity_type: c.entityType.path.join("::") } : { op: "is", entity_type: c.entityType.path.join("::"), in: target(c.in) };
    default:
      return assertNever(c, "scope constraint");
  }
}

/** One policy (or template) in Cedar's JSON form; Writ obligations as `"obligations"`. */
export function policyToJson(p: Policy): Json {
  const out: Record<string, Json> = {
    effect: p.effect,
    principal: scopeToJson(p.principal),
    action: scopeToJson(p.action),
    resource: scopeToJson(p.resource),
    conditions: p.conditions.map((c) => ({ kind: c.polarity, body: exprToJson(c.body) })),
  };
  if (p.annotations.length > 0) {
    const anns: Record<string, Json> = {};
    for (const a of p.annotations) Object.defineProperty(anns, a.name, { value: a.value ?? null, enumerable: true, writable: true, configurable: true });
    out["annotations"] = anns;
  }
  if (p.obligations !== undefined) out["obligations"] = entries(p.obligations);
  return out;
}

/** Template links as Cedar writes them: `[{ templateId, newId, values: {"?principal": uid} }]`. */
export function linksToJson(links: readonly LinkDecl[]): Json {
  return links.map((l) => {
    const values: Record<string, Json> = {};
    if (l.values.principal !== undefined) values["?principal"] = uid(l.values.principal);
    if (l.values.resource !== undefined) values["?resource"] = uid(l.values.resource);
    return { templateId: l.template, newId: l.name, values };
  });
}

/** Result of {@link policySetToJson}. */
export interface PolicySetJsonResult {
  readonly json: Json | undefined;
  readonly diagnostics: Diagnostic[];
}

/** A policy set in Cedar's JSON form, keyed by policy name. Two policies with one name are W1041. */
export function policySetToJson(set: PolicySet): PolicySetJsonResult {
  const diagnostics: Diagnostic[] = [];
  const staticPolicies: Record<string, Json> = {};
  const templates: Record<string, Json> = {};
  const seen = new Set<string>();
  set.policies.forEach((p, i) => {
    const name = policyName(p, i);
    if (seen.has(name)) {
      diagnostics.push(diag("W1041", `two policies are named \`${name}\`: the JSON format keys policies by name`, p.span, "give each policy its own `@id`"));
      return;
    }
    seen.add(name);
    Object.defineProperty(isTemplate(p) ? templates : staticPolicies, name, { value: policyToJson(p), enumerable: true, writable: true, configurable: true });
  });
  if (diagnostics.length > 0) return { json: undefined, diagnostics };
  return { json: { staticPolicies, templates, templateLinks: linksToJson(set.links ?? []) }, diagnostics };
}
