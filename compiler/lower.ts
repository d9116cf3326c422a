/**
 * Lowering: policy AST → IR (`compiler/ir.ts`).
 *
 * Resolves everything it can at compile time: qualified entity type names, builtin names
 * (via the stdlib table), nested `has` paths, extension constructors applied to string
 * literals (validated now; an invalid literal becomes an `error` node, which Cedar reports
 * as an evaluation error of that policy), `like` patterns (wildcard runs merged), constant
 * sets of entity literals on the right of `in`.
 *
 * Never throws on any AST; problems are diagnostics plus `error` nodes.
 */
import { MAX_HAS_PATH, type Annotation, type BinaryOp, type EntityRef, type Expr, type Name, type PatternElem, type Policy, type PolicySet, type Scope, type SlotRef } from "../lang/ast.js";
import { assertNever, type Span } from "../lang/span.js";
import { diag, didYouMeanHelp, type Diagnostic } from "../lang/diagnostics.js";
import { BUILTINS, builtinConstructor, builtinMethod, EvalError, I64_MAX, I64_MIN, isExtensionFunction, type Builtin } from "../stdlib/index.js";
import type { IrAnnotation, IrCondition, IrEntity, IrExpr, IrPatternElem, IrPolicy, IrPolicySet, IrScope, IrTemplate, IrTemplateScope } from "./ir.js";
import { IR_VERSION } from "./ir.js";
import { findLoneSurrogate, jsonDepth, MAX_CANONICAL_DEPTH } from "./canonical.js";

/** Deepest lowered policy, as JSON: below the canonical JSON limit its id is computed under, with room to spare. */
const MAX_IR_JSON_DEPTH = MAX_CANONICAL_DEPTH - 10;
import { MODE_VALUES } from "./governance.js";
import { lowerLinks, policyName } from "./templates.js";

/** The result of lowering. */
export interface LowerResult {
  readonly ir: IrPolicySet;
  readonly diagnostics: Diagnostic[];
}

/** Options of {@link lowerPolicies}. */
export interface LowerOptions {
  /**
   * How an extension function or method (`ip`, `decimal`, `isInRange`, …) called with the wrong
   * number of arguments is lowered. `refuse` (the default, for `fail-closed` semantics): W3008,
   * an error. `evaluate` (for `cedar` semantics, as Cedar): the policy still compiles, the call
   * becomes an `error` node — that policy errors whenever it is evaluated — and the W3017
   * warning says so. Wrong arities of the other builtins are W3008 in both (Cedar's parser
   * refuses them).
   */
  readonly extensionArity?: "refuse" | "evaluate";
}

/**
 * Lower a parsed policy set to IR. Never throws. Policy and template names are the `@id`
 * annotation value, else `policyN` by position in the file. A policy whose scope uses a slot
 * becomes a template; each link of the set becomes a linked policy after the static ones.
 */
export function lowerPolicies(policies: PolicySet, options: LowerOptions = {}): LowerResult {
  const diagnostics: Diagnostic[] = [];
  const out: IrPolicy[] = [];
  const templates: IrTemplate[] = [];
  const arity = options.extensionArity ?? "refuse";
  policies.policies.forEach((p, i) => {
    const lowered = lowerPolicy(p, i, diagnostics, arity);
    if (lowered.kind === "template") templates.push(lowered);
    else out.push(lowered);
  });
  const linked = lowerLinks(policies.links ?? [], out, templates, diagnostics);
  const ir: IrPolicySet = {
    kind: "policySet",
    version: IR_VERSION,
    policies: [...out, ...linked.policies],
    ...(templates.length === 0 ? {} : { templates }),
    ...(linked.links.length === 0 ? {} : { links: linked.links }),
  };
  return { ir, diagnostics };
}

function lowerPolicy(p: Policy, index: number, diags: Diagnostic[], arity: "refuse" | "evaluate"): IrPolicy | IrTemplate {
  const cx: Cx = { diags, bound: [], arity };
  const name = policyName(p, index);
  const conditions: IrCondition[] = p.conditions.map((c) => ({ polarity: c.polarity, body: lower(c.body, cx) }));
  checkGovernance(p, diags);
  checkActionScope(p.action, diags);
  reportRepeats(p.annotations, (a) => a.name, diags, (a) => diag("W1007", `duplicate annotation \`@${a.name}\``, a.span));
  reportRepeats(p.obligations ?? [], (o) => o.key, diags, (o) => diag("W6006", `duplicate key \`${o.key}\` in obligations`, o.span));
  const obligations = p.obligations?.map((o) => ({ key: o.key, value: lower(o.value, cx) }));
  const principal = lowerScope(p.principal);
  const resource = lowerScope(p.resource);
  const actionScope = lowerScope(p.action);
  const action: IrScope = actionScope.kind === "slot" ? { kind: "any" } : actionScope;
  if (actionScope.kind === "slot") diags.push(diag("W1006", "a template slot cannot stand in the action scope", p.action.span));
  const rest = { conditions, ...(obligations === undefined ? {} : { obligations }), span: p.span };
  const annotations = p.annotations.map(lowerAnnotation);
  const ir: IrPolicy | IrTemplate =
    principal.kind === "slot" || resource.kind === "slot"
      ? { kind: "template", name, effect: p.effect, annotations, principal, action, resource, ...rest }
      : { kind: "policy", name, effect: p.effect, annotations, principal: principal as IrScope, action, resource: resource as IrScope, ...rest };
  // The id hashes the IR as canonical JSON, which is depth-limited: a call's arguments (an array)
  // and a `has` path's expansion nest deeper than the expression the parser measured.
  const depth = jsonDepth(ir, MAX_IR_JSON_DEPTH);
  if (depth > MAX_IR_JSON_DEPTH)
    diags.push(diag("W1011", `policy nested too deeply once lowered (more than ${MAX_IR_JSON_DEPTH} levels)`, p.conditions[0]?.span ?? p.span, "split long chains of method calls or accesses into several conditions"));
  // A lone surrogate has no UTF-8 form: the policy could not get an id (the parser reports it too, W1020).
  const bad = findLoneSurrogate(ir);
  if (bad !== undefined) diags.push(diag("W1020", `string contains a lone UTF-16 surrogate, which is not valid Unicode text (at ${bad.path || "the policy"})`, bad.span ?? p.span));
  return ir;
}

/**
 * As in Cedar (whose parser rejects it), every entity in the action scope must be an action:
 * its type is `Action`, possibly namespaced (`NS::Action`). W1006 otherwise.
 */
function checkActionScope(s: Scope, diags: Diagnostic[]): void {
  const c = s.constraint;
  const refs = c.kind === "eq" || c.kind === "in" ? (isSlot(c.target) ? [] : [c.target]) : c.kind === "inList" ? c.targets : [];
  for (const r of refs) {
    const path = r.type.path;
    if (path[path.length - 1] !== "Action")
      diags.push(diag("W1006", `expected an entity of type \`Action\` in the action scope, found one of type \`${qualifiedName(r.type)}\``, r.span, 'action entities have the type `Action` (or `NS::Action`), e.g. `Action::"view"`'));
  }
}

/** Writ extension checks that need no schema: `@mode` values (W6002), obligations on forbid (W6003). */
function checkGovernance(p: Policy, diags: Diagnostic[]): void {
  const mode = p.annotations.find((a) => a.name === "mode");
  if (mode !== undefined && (mode.value === undefined || !MODE_VALUES.includes(mode.value)))
    diags.push(diag("W6002", `invalid \`@mode\`${mode.value === undefined ? "" : ` value "${mode.value}"`}`, mode.span, '`@mode("enforce")` (the default) or `@mode("shadow")`'));
  if (p.effect === "forbid" && p.obligations !== undefined)
    diags.push(diag("W6003", "obligations are only allowed on `permit` policies", p.obligationsSpan ?? p.span, "a deny carries no obligations: remove the clause or make the policy a permit"));
}

/**
 * The parser's checks that leave a policy in the AST (repeated annotations, record keys and
 * obligations) are made again here, so that `compile` on an AST that still has parse errors
 * answers with those diagnostics. A set per list keeps it linear.
 */
function reportRepeats<T>(items: readonly T[], keyOf: (x: T) => string, diags: Diagnostic[], report: (x: T) => Diagnostic): void {
  const seen = new Set<string>();
  for (const x of items) {
    const k = keyOf(x);
    if (seen.has(k)) diags.push(report(x));
    seen.add(k);
  }
}

function lowerAnnotation(a: Annotation): IrAnnotation {
  return { name: a.name, value: a.value ?? null };
}

/** The qualified string of a name: `A::B::C`. */
export function qualifiedName(n: Name): string {
  return n.path.join("::");
}

function entityOf(r: EntityRef): IrEntity {
  return { type: qualifiedName(r.type), id: r.id };
}

function lowerScope(s: Scope): IrTemplateScope {
  const c = s.constraint;
  switch (c.kind) {
    case "any":
      return { kind: "any" };
    case "eq":
      return isSlot(c.target) ? { kind: "slot", slot: c.target.slot, op: "eq" } : { kind: "eq", entity: entityOf(c.target) };
    case "in":
      return isSlot(c.target) ? { kind: "slot", slot: c.target.slot, op: "in" } : { kind: "in", entities: [entityOf(c.target)] };
    case "inList":
      return { kind: "in", entities: c.targets.map(entityOf) };
    case "is": {
      const entityType = qualifiedName(c.entityType);
      if (c.in === undefined) return { kind: "is", entityType };
      if (isSlot(c.in)) return { kind: "slot", slot: c.in.slot, op: "is", entityType };
      return { kind: "is", entityType, in: entityOf(c.in) };
    }
    default:
      return assertNever(c, "scope constraint");
  }
}

function isSlot(t: EntityRef | SlotRef): t is SlotRef {
  return t.kind === "slot";
}

/**
 * Lower one expression. Exported for tests and tools. Never throws. `bound` lists the
 * quantifier variables in scope: any other bare name (which the parser reports as W1018 and
 * keeps in the AST) is W1018 again here and an `error` node, so an AST that still has parse
 * errors compiles to diagnostics, never to an internal error.
 */
export function lowerExpr(e: Expr, diags: Diagnostic[], bound: readonly string[] = []): IrExpr {
  return lower(e, { diags, bound, arity: "refuse" });
}

/** What the expression walk carries: the diagnostics sink, the quantifier variables in scope, the arity rule. */
interface Cx {
  readonly diags: Diagnostic[];
  readonly bound: readonly string[];
  readonly arity: "refuse" | "evaluate";
}

function lower(e: Expr, cx: Cx): IrExpr {
  const { diags, bound } = cx;
  const span = e.span;
  switch (e.kind) {
    case "bool":
      return { kind: "bool", value: e.value, span };
    case "long":
      if (e.value < I64_MIN || e.value > I64_MAX) {
        diags.push(diag("W1004", `integer literal \`${e.value}\` is out of range for a 64-bit Long`, span));
        return { kind: "error", code: "W4002", message: "integer literal out of range", span };
      }
      return { kind: "long", value: e.value.toString(), span };
    case "string":
      return { kind: "string", value: e.value, span };
    case "entity":
      return { kind: "entity", uid: entityOf(e.ref), span };
    case "var":
      return { kind: "var", name: e.name, span };
    case "slotExpr":
      // The parser refuses a slot in a condition (W1013); an AST that still has one is refused the same way.
      diags.push(diag("W1013", `template slot \`?${e.slot.slot}\` can only appear in the policy scope`, span));
      return { kind: "error", code: "W4002", message: `template slot ?${e.slot.slot} in a condition`, span };
    case "unary": {
      const operand = lower(e.operand, cx);
      return e.op === "!" ? { kind: "not", operand, span } : { kind: "neg", operand, span };
    }
    case "binary":
      return lowerBinary(e.op, e.left, e.right, span, cx);
    case "if":
      return { kind: "if", cond: lower(e.cond, cx), then: lower(e.then, cx), else: lower(e.else, cx), span };
    case "has": {
      // `e has a.b.c` ≡ `e has a && e.a has b && e.a.b has c`: quadratic in the path, hence the bound.
      if (e.path.length > MAX_HAS_PATH) {
        diags.push(diag("W1021", `a \`has\` path of ${e.path.length} attributes is too long (the limit is ${MAX_HAS_PATH})`, span));
        return { kind: "error", code: "W4002", message: "`has` path too long", span };
      }
      let target = lower(e.target, cx);
      let result: IrExpr | undefined;
      for (const attr of e.path) {
        const test: IrExpr = { kind: "has", target, attr, span };
        result = result === undefined ? test : { kind: "and", left: result, right: test, span };
        target = { kind: "getAttr", target, attr, span };
      }
      return result ?? { kind: "error", code: "W4002", message: "empty attribute path in `has`", span };
    }
    case "like":
      return { kind: "like", target: lower(e.target, cx), pattern: compactPattern(e.pattern), span };
    case "is": {
      const target = lower(e.target, cx);
      const entityType = qualifiedName(e.entityType);
      if (e.in === undefined) return { kind: "is", target, entityType, span };
      return { kind: "is", target, entityType, in: lower(e.in, cx), span };
    }
    case "getAttr":
      return { kind: "getAttr", target: lower(e.target, cx), attr: e.attr, span };
    case "method":
      return lowerMethod(e.name, e.target, e.args, span, cx);
    case "call":
      return lowerCall(e.fn, e.args, span, cx);
    case "set":
      return { kind: "set", elements: e.elements.map((x) => lower(x, cx)), span };
    case "record":
      reportRepeats(e.entries, (en) => en.key, diags, (en) => diag("W1015", `duplicate key \`${en.key}\` in record literal`, en.span));
      return { kind: "record", entries: e.entries.map((en) => ({ key: en.key, value: lower(en.value, cx) })), span };
    case "quantifier":
      return { kind: "quantifier", quantifier: e.quantifier, target: lower(e.target, cx), variable: e.variable, body: lower(e.body, { ...cx, bound: [...bound, e.variable] }), span };
    case "boundVar":
      if (bound.includes(e.name)) return { kind: "boundVar", name: e.name, span };
      diags.push(diag("W1018", `invalid variable \`${e.name}\``, span, "variables are `principal`, `action`, `resource` and `context`, and the variable of an enclosing `.any` or `.all`"));
      return { kind: "error", code: "W4002", message: `unbound variable \`${e.name}\``, span };
    default:
      return assertNever(e, "expression");
  }
}

function lowerBinary(op: BinaryOp, l: Expr, r: Expr, span: Span, cx: Cx): IrExpr {
  const left = lower(l, cx);
  if (op === "in" && r.kind === "set" && r.elements.length > 0 && r.elements.every((x) => x.kind === "entity")) {
    const targets = r.elements.map((x) => (x.kind === "entity" ? entityOf(x.ref) : { type: "", id: "" }));
    return { kind: "inEntities", left, targets, span };
  }
  const right = lower(r, cx);
  switch (op) {
    case "&&":
      return { kind: "and", left, right, span };
    case "||":
      return { kind: "or", left, right, span };
    case "in":
      return { kind: "in", left, right, span };
    case "==":
    case "!=":
    case "<":
    case "<=":
    case ">":
    case ">=":
    case "+":
    case "-":
    case "*":
      return { kind: "binary", op, left, right, span };
    default:
      return assertNever(op, "binary operator");
  }
}

function compactPattern(p: readonly PatternElem[]): IrPatternElem[] {
  const out: IrPatternElem[] = [];
  for (const el of p) {
    const last = out[out.length - 1];
    if (el.kind === "wildcard") {
      if (last?.kind !== "wildcard") out.push({ kind: "wildcard" });
    } else if (el.text.length > 0) {
      if (last?.kind === "literal") out[out.length - 1] = { kind: "literal", text: last.text + el.text };
      else out.push({ kind: "literal", text: el.text });
    }
  }
  return out;
}

function lowerMethod(name: string, target: Expr, args: readonly Expr[], span: Span, cx: Cx): IrExpr {
  const diags = cx.diags;
  const lowered = [lower(target, cx), ...args.map((a) => lower(a, cx))];
  const entry = builtinMethod(name);
  if (entry === undefined) {
    diags.push(diag("W3007", `unknown method \`${name}\``, span, didYouMeanHelp(name, knownMethodNames())));
    return { kind: "error", code: "W4002", message: `unknown method \`${name}\``, span };
  }
  if (args.length !== entry.params.length) return wrongArity(entry, "method", args.length, span, cx);
  return { kind: "call", fn: entry.name, method: true, args: lowered, span };
}

function lowerCall(fn: Name, args: readonly Expr[], span: Span, cx: Cx): IrExpr {
  const diags = cx.diags;
  const name = qualifiedName(fn);
  const entry = fn.path.length === 1 ? builtinConstructor(name) : undefined;
  if (entry === undefined) {
    diags.push(diag("W3007", `unknown function \`${name}\``, span, didYouMeanHelp(name, BUILTINS.filter((b) => b.kind === "constructor").map((b) => b.name))));
    return { kind: "error", code: "W4002", message: `unknown function \`${name}\``, span };
  }
  if (args.length !== entry.params.length) return wrongArity(entry, "function", args.length, span, cx);
  const a0 = args[0];
  if (args.length === 1 && a0 !== undefined && a0.kind === "string") {
    // Parse the literal now; an invalid one errors when the policy is evaluated (as in Cedar).
    try {
      (entry.impl as (s: string) => unknown)(a0.value);
      return { kind: "extLit", fn: entry.name, arg: a0.value, span };
    } catch (err) {
      const message = err instanceof EvalError ? err.message : `invalid argument to \`${name}\``;
      return { kind: "error", code: "W4005", message, span };
    }
  }
  return { kind: "call", fn: entry.name, method: false, args: args.map((a) => lower(a, cx)), span };
}

/**
 * A builtin called with the wrong number of arguments: W3008 (refused), or — for an extension
 * function under {@link LowerOptions.extensionArity} `evaluate` — a W3017 warning and an
 * `error` node, so that only this policy errors, as in Cedar.
 */
function wrongArity(entry: Builtin, what: "method" | "function", got: number, span: Span, cx: Cx): IrExpr {
  const expected = entry.params.length;
  if (cx.arity === "evaluate" && isExtensionFunction(entry)) {
    cx.diags.push(diag("W3017", `${what} \`${entry.name}\` takes ${expected} argument(s), got ${got}: the policy errors whenever it is evaluated`, span, "validation refuses it (W3008); cedar semantics keep it, as Cedar does"));
    return { kind: "error", code: "W4005", message: `wrong number of arguments to the extension ${what} \`${entry.name}\`: expected ${expected}, got ${got}`, span };
  }
  cx.diags.push(diag("W3008", `${what} \`${entry.name}\` takes ${expected} argument(s), got ${got}`, span));
  return { kind: "error", code: "W4002", message: `wrong number of arguments to \`${entry.name}\``, span };
}

function knownMethodNames(): string[] {
  return BUILTINS.filter((b) => b.kind === "method").map((b) => b.name);
}
