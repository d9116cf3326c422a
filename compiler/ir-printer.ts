/**
 * The IR printer: policy text from a lowered policy (the IR a bundle stores), for people who
 * read a bundle without its sources — the governance console prints the policies that decided
 * an execution from the bundle named in the log, with their ids.
 *
 * The IR is turned back into a policy AST (the inverse of `lower.ts`) and printed by the
 * canonical printer behind `writ fmt`, so the text is laid out as `writ fmt` lays it out:
 *
 * - a one-level `has` node prints as `e has a` (lowering splits `e has a.b` into
 *   `e has a && e.a has b`, which prints as such and lowers back to the same IR);
 * - `inEntities` prints as `e in [E1, E2]`, `extLit` as `decimal("1.5")`, a method call as
 *   `x.name(…)`;
 * - template scopes print their slots (`principal == ?principal`);
 * - an `error` node (an invalid extension literal or an unknown function in the source) has
 *   no source form left: it prints as a call `error("<code>: <message>")`, which does not
 *   check, so such a policy never reads as a valid one.
 *
 * INVARIANT: for every IR without `error` nodes, parsing and lowering the printed text gives
 * a policy with the same policy id (`test/compiler/ir-printer.test.ts` checks it on generated
 * policies and on every example project).
 *
 * NOTE: parser-free (imports the printer and AST types of `lang/` only), so a browser page can
 * print a bundle's policies without loading the parser.
 */
import type { Annotation, EntityRef, Expr, Name, Policy, RecordEntry, Scope, ScopeConstraint, SlotRef } from "../lang/ast.js";
import { formatPolicies, isIdent } from "../lang/printer.js";
import { assertNever, type Span } from "../lang/span.js";
import type { IrAnnotation, IrEntity, IrExpr, IrPolicy, IrRecordEntry, IrTemplate, IrTemplateScope } from "./ir.js";

const AT: Span = { start: 0, end: 0 };

function nameOf(qualified: string): Name {
  return { kind: "name", path: qualified.split("::"), span: AT };
}

function entityRef(e: IrEntity): EntityRef {
  return { kind: "entityRef", type: nameOf(e.type), id: e.id, span: AT };
}

function slotRef(slot: "principal" | "resource"): SlotRef {
  return { kind: "slot", slot, span: AT };
}

function scopeConstraint(s: IrTemplateScope): ScopeConstraint {
  switch (s.kind) {
    case "any":
      return { kind: "any" };
    case "eq":
      return { kind: "eq", target: entityRef(s.entity) };
    case "in":
      return s.entities.length === 1 ? { kind: "in", target: entityRef(s.entities[0]!) } : { kind: "inList", targets: s.entities.map(entityRef) };
    case "is":
      return { kind: "is", entityType: nameOf(s.entityType), in: s.in === undefined ? undefined : entityRef(s.in) };
    case "slot":
      if (s.op === "eq") return { kind: "eq", target: slotRef(s.slot) };
      if (s.op === "in") return { kind: "in", target: slotRef(s.slot) };
      return { kind: "is", entityType: nameOf(s.entityType ?? ""), in: slotRef(s.slot) };
    default:
      return assertNever(s, "scope");
  }
}

function scope(variable: "principal" | "action" | "resource", s: IrTemplateScope): Scope {
  return { kind: "scope", variable, constraint: scopeConstraint(s), span: AT };
}

function recordEntry(e: IrRecordEntry): RecordEntry {
  return { kind: "recordEntry", key: e.key, quoted: !isIdent(e.key), value: exprAst(e.value), span: AT };
}

function call(fn: string, args: readonly Expr[]): Expr {
  return { kind: "call", fn: nameOf(fn), args, span: AT };
}

/** The AST of one IR expression (see the module comment for `has`, `inEntities`, `extLit`, `error`). */
export function exprAst(e: IrExpr): Expr {
  switch (e.kind) {
    case "bool":
      return { kind: "bool", value: e.value, span: AT };
    case "long":
      return { kind: "long", value: BigInt(e.value), span: AT };
    case "string":
      return { kind: "string", value: e.value, span: AT };
    case "entity":
      return { kind: "entity", ref: entityRef(e.uid), span: AT };
    case "var":
      return { kind: "var", name: e.name, span: AT };
    case "not":
      return { kind: "unary", op: "!", operand: exprAst(e.operand), span: AT };
    case "neg":
      return { kind: "unary", op: "-", operand: exprAst(e.operand), span: AT };
    case "and":
      return { kind: "binary", op: "&&", left: exprAst(e.left), right: exprAst(e.right), span: AT };
    case "or":
      return { kind: "binary", op: "||", left: exprAst(e.left), right: exprAst(e.right), span: AT };
    case "binary":
      return { kind: "binary", op: e.op, left: exprAst(e.left), right: exprAst(e.right), span: AT };
    case "in":
      return { kind: "binary", op: "in", left: exprAst(e.left), right: exprAst(e.right), span: AT };
    case "inEntities": {
      const right: Expr = { kind: "set", elements: e.targets.map((t) => ({ kind: "entity", ref: entityRef(t), span: AT })), span: AT };
      return { kind: "binary", op: "in", left: exprAst(e.left), right, span: AT };
    }
    case "if":
      return { kind: "if", cond: exprAst(e.cond), then: exprAst(e.then), else: exprAst(e.else), span: AT };
    case "has":
      return { kind: "has", target: exprAst(e.target), path: [e.attr], quoted: [!isIdent(e.attr)], span: AT };
    case "getAttr":
      return { kind: "getAttr", target: exprAst(e.target), attr: e.attr, syntax: isIdent(e.attr) ? "dot" : "index", span: AT };
    case "like":
      return { kind: "like", target: exprAst(e.target), pattern: e.pattern, span: AT };
    case "is":
      return { kind: "is", target: exprAst(e.target), entityType: nameOf(e.entityType), in: e.in === undefined ? undefined : exprAst(e.in), span: AT };
    case "call": {
      if (!e.method) return call(e.fn, e.args.map(exprAst));
      const [receiver, ...args] = e.args;
      if (receiver === undefined) return call("error", [{ kind: "string", value: `method ${e.fn} without a receiver`, span: AT }]);
      return { kind: "method", target: exprAst(receiver), name: e.fn, args: args.map(exprAst), span: AT };
    }
    case "extLit":
      return call(e.fn, [{ kind: "string", value: e.arg, span: AT }]);
    case "set":
      return { kind: "set", elements: e.elements.map(exprAst), span: AT };
    case "record":
      return { kind: "record", entries: e.entries.map(recordEntry), span: AT };
    case "quantifier":
      return { kind: "quantifier", quantifier: e.quantifier, target: exprAst(e.target), variable: e.variable, body: exprAst(e.body), span: AT };
    case "boundVar":
      return { kind: "boundVar", name: e.name, span: AT };
    case "error":
      return call("error", [{ kind: "string", value: `${e.code}: ${e.message}`, span: AT }]);
    default:
      return assertNever(e, "IR expression");
  }
}

function annotation(a: IrAnnotation): Annotation {
  return { kind: "annotation", name: a.name, value: a.value ?? undefined, span: AT };
}

/** The policy AST of a lowered policy or template (spans all empty, no comments). */
export function policyAst(p: IrPolicy | IrTemplate): Policy {
  return {
    kind: "policy",
    annotations: p.annotations.map(annotation),
    effect: p.effect,
    principal: scope("principal", p.principal),
    action: scope("action", p.action),
    resource: scope("resource", p.resource),
    conditions: p.conditions.map((c) => ({ kind: "condition", polarity: c.polarity, body: exprAst(c.body), span: AT })),
    ...(p.obligations === undefined ? {} : { obligations: p.obligations.map(recordEntry) }),
    span: AT,
  };
}

/**
 * Policy text of lowered policies (and templates), in the given order, laid out as `writ fmt`
 * lays it out: one blank line between policies, a final newline. Never throws on IR a bundle
 * loader accepted.
 */
export function printIrPolicies(policies: readonly (IrPolicy | IrTemplate)[]): string {
  return formatPolicies({ kind: "policySet", policies: policies.map(policyAst), comments: [], span: AT }, "");
}

/** Policy text of one lowered policy or template (see {@link printIrPolicies}). */
export function printIrPolicy(policy: IrPolicy | IrTemplate): string {
  return printIrPolicies([policy]);
}
