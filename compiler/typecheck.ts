/**
 * The expression type checker (Cedar strict validation), run once per request
 * environment. Singleton boolean types drive short-circuiting exactly as in
 * Cedar: the right side of `false && e` is never checked, so a policy scope
 * that cannot match an environment makes its body irrelevant there.
 */
import type { Expr } from "../lang/ast.js";
import { assertNever } from "../lang/span.js";
import { checkGetAttr, checkHas, checkIn, checkIs } from "./typecheck-access.js";
import { checkCall, checkMethod } from "./typecheck-calls.js";
import {
  capsIntersect,
  capsUnion,
  literalKey,
  nameOf,
  NO_CAPS,
  report,
  type Caps,
  type CheckContext,
  type Checked,
} from "./typecheck-env.js";
import { actionInfo, entityTypeInfo, isActionType, uidKey, type RequestEnv } from "./schema-model.js";
import { LINEAGE_TYPE } from "./governance.js";
import { BOOL, entityType, FALSE, isSubtype, leastUpperBound, LONG, recordType, setType, showType, STRING, TRUE, type AttrType, type Type } from "./types.js";

/** Checker state types, re-exported for callers of `checkExpr`. */
export type { CheckContext, Checked, Caps } from "./typecheck-env.js";

/** Negate a boolean type (`!True` is `False`, `!Bool` is `Bool`). */
export function negate(t: Type): Type {
  if (t.kind === "bool" && t.value !== undefined) return t.value ? FALSE : TRUE;
  return BOOL;
}

/** Conjunction of two boolean types (singletons fold). */
export function andTypes(a: Type, b: Type): Type {
  if (isFalse(a) || isFalse(b)) return FALSE;
  if (isTrue(a) && isTrue(b)) return TRUE;
  return BOOL;
}

/** True for the singleton type `False`. */
export function isFalse(t: Type | undefined): boolean {
  return t !== undefined && t.kind === "bool" && t.value === false;
}

/** True for the singleton type `True`. */
export function isTrue(t: Type | undefined): boolean {
  return t !== undefined && t.kind === "bool" && t.value === true;
}

function done(ctx: CheckContext, e: Expr, type: Type | undefined, caps: Caps = NO_CAPS): Checked {
  if (type !== undefined && ctx.types !== undefined && !ctx.types.has(e)) ctx.types.set(e, type);
  return { type, caps };
}

/**
 * Check `e` and require its type to be a subtype of `expected`; reports W3004
 * otherwise. Returns the checked result (type undefined on mismatch).
 */
export function expectType(ctx: CheckContext, e: Expr, prior: Caps, expected: Type, what = showType(expected)): Checked {
  const r = checkExpr(ctx, e, prior);
  if (r.type === undefined) return r;
  if (!isSubtype(r.type, expected)) {
    report(ctx, "W3004", `expected ${what} but found ${showType(r.type)}`, e.span);
    return { type: undefined, caps: r.caps };
  }
  return r;
}

/** Check one expression under the capabilities `prior`. Never throws on user input. */
export function checkExpr(ctx: CheckContext, e: Expr, prior: Caps): Checked {
  switch (e.kind) {
    case "bool":
      return done(ctx, e, e.value ? TRUE : FALSE);
    case "long":
      return done(ctx, e, LONG);
    case "string":
      return done(ctx, e, STRING);
    case "entity":
      return done(ctx, e, entityLiteralType(ctx, e.ref.type.path, e.ref.id));
    case "var":
      return done(ctx, e, e.name === "lineage" ? LINEAGE_TYPE : varType(ctx, e.name));
    case "boundVar": {
      const t = ctx.bound?.get(e.name);
      if (t === undefined) report(ctx, "W3004", `\`${e.name}\` is not bound by an enclosing \`.any\` or \`.all\``, e.span);
      return done(ctx, e, t);
    }
    case "quantifier":
      return done(ctx, e, checkQuantifier(ctx, e, prior));
    case "slotExpr":
      return done(ctx, e, { kind: "anyEntity" });
    case "unary": {
      if (e.op === "!") {
        const r = expectType(ctx, e.operand, prior, BOOL);
        return done(ctx, e, r.type === undefined ? undefined : negate(r.type));
      }
      const r = expectType(ctx, e.operand, prior, LONG);
      return done(ctx, e, r.type === undefined ? undefined : LONG);
    }
    case "binary":
      return checkBinary(ctx, e, prior);
    case "if":
      return checkIf(ctx, e, prior);
    case "has":
      return done(ctx, e, ...pair(checkHas(ctx, e, prior)));
    case "like": {
      const r = expectType(ctx, e.target, prior, STRING);
      return done(ctx, e, r.type === undefined ? undefined : BOOL);
    }
    case "is":
      return done(ctx, e, ...pair(checkIs(ctx, e, prior)));
    case "getAttr":
      return done(ctx, e, checkGetAttr(ctx, e, prior));
    case "method":
      return done(ctx, e, ...pair(checkMethod(ctx, e, prior)));
    case "call":
      return done(ctx, e, checkCall(ctx, e, prior));
    case "set":
      return done(ctx, e, checkSetLiteral(ctx, e, prior));
    case "record": {
      const entries: [string, AttrType][] = [];
      let ok = true;
      for (const en of e.entries) {
        const r = checkExpr(ctx, en.value, prior);
        if (r.type === undefined) ok = false;
        else entries.push([en.key, { type: r.type, required: true }]);
      }
      return done(ctx, e, ok ? recordType(entries) : undefined);
    }
    default:
      return assertNever(e, "expression");
  }
}

/**
 * `s.any(x, body)` / `s.all(x, body)`: `s` must be a set, `x` has its element type in
 * `body`, which must be Bool. Capabilities about an outer variable of the same name are
 * dropped inside the body, and none escape the quantifier.
 */
function checkQuantifier(ctx: CheckContext, e: Extract<Expr, { kind: "quantifier" }>, prior: Caps): Type | undefined {
  const s = checkExpr(ctx, e.target, prior);
  if (s.type === undefined) return undefined;
  if (s.type.kind !== "set") {
    report(ctx, "W3004", `expected a set before \`.${e.quantifier}\` but found ${showType(s.type)}`, e.target.span);
    return undefined;
  }
  if (s.type.element === undefined) {
    report(ctx, "W3013", "the element type of this set is unknown", e.target.span);
    return undefined;
  }
  const bound = new Map(ctx.bound ?? []);
  bound.set(e.variable, s.type.element);
  const marker = JSON.stringify({ kind: "boundVar", name: e.variable });
  const inner = new Set([...prior].filter((k) => !k.includes(marker)));
  const r = expectType({ ...ctx, bound }, e.body, inner, BOOL);
  return r.type === undefined ? undefined : BOOL;
}

function pair(c: Checked): [Type | undefined, Caps] {
  return [c.type, c.caps];
}

function entityLiteralType(ctx: CheckContext, path: readonly string[], id: string): Type | undefined {
  const t = nameOf(path);
  if (isActionType(ctx.schema, t)) return actionInfo(ctx.schema, uidKey(t, id)) === undefined ? undefined : entityType(t);
  return entityTypeInfo(ctx.schema, t) === undefined ? undefined : entityType(t);
}

const envVarTypes = new WeakMap<RequestEnv, { readonly principal: Type; readonly resource: Type; readonly action: Type }>();

function varType(ctx: CheckContext, name: "principal" | "action" | "resource" | "context"): Type {
  if (name === "context") return ctx.env.context;
  let vars = envVarTypes.get(ctx.env);
  if (vars === undefined) {
    vars = { principal: entityType(ctx.env.principal), resource: entityType(ctx.env.resource), action: entityType(ctx.env.action.type) };
    envVarTypes.set(ctx.env, vars);
  }
  switch (name) {
    case "principal":
      return vars.principal;
    case "resource":
      return vars.resource;
    case "action":
      return vars.action;
    default:
      return assertNever(name, "variable");
  }
}

function checkBinary(ctx: CheckContext, e: Extract<Expr, { kind: "binary" }>, prior: Caps): Checked {
  switch (e.op) {
    case "&&": {
      const l = expectType(ctx, e.left, prior, BOOL);
      if (isFalse(l.type)) return done(ctx, e, FALSE);
      const r = expectType(ctx, e.right, capsUnion(prior, l.caps), BOOL);
      if (l.type === undefined || r.type === undefined) return done(ctx, e, undefined);
      if (isFalse(r.type)) return done(ctx, e, FALSE);
      return done(ctx, e, andTypes(l.type, r.type), capsUnion(l.caps, r.caps));
    }
    case "||": {
      const l = expectType(ctx, e.left, prior, BOOL);
      if (isTrue(l.type)) return done(ctx, e, TRUE, l.caps);
      const r = expectType(ctx, e.right, prior, BOOL);
      if (l.type === undefined || r.type === undefined) return done(ctx, e, undefined);
      if (isFalse(l.type)) return done(ctx, e, r.type, r.caps);
      if (isTrue(r.type)) return done(ctx, e, TRUE, r.caps);
      if (isFalse(r.type)) return done(ctx, e, l.type, l.caps);
      return done(ctx, e, BOOL, capsIntersect(l.caps, r.caps));
    }
    case "==":
      return done(ctx, e, checkEquality(ctx, e.left, e.right, prior, e.span));
    case "!=": {
      const t = checkEquality(ctx, e.left, e.right, prior, e.span);
      return done(ctx, e, t === undefined ? undefined : negate(t));
    }
    case "<":
    case "<=":
    case ">":
    case ">=":
      return done(ctx, e, checkComparison(ctx, e.left, e.right, prior));
    case "+":
    case "-":
    case "*": {
      const l = expectType(ctx, e.left, prior, LONG);
      const r = expectType(ctx, e.right, prior, LONG);
      return done(ctx, e, l.type === undefined || r.type === undefined ? undefined : LONG);
    }
    case "in":
      return done(ctx, e, checkIn(ctx, e.left, e.right, prior));
    default:
      return assertNever(e.op, "operator");
  }
}

/**
 * `a == b`: literals compare statically; entities of disjoint types are `False`;
 * otherwise the operand types must have a least upper bound (strict mode).
 */
function checkEquality(ctx: CheckContext, left: Expr, right: Expr, prior: Caps, span: Expr["span"]): Type | undefined {
  const l = checkExpr(ctx, left, prior);
  const r = checkExpr(ctx, right, prior);
  if (l.type === undefined || r.type === undefined) return undefined;
  const lk = literalKey(left, ctx.env);
  const rk = literalKey(right, ctx.env);
  if (lk !== undefined && rk !== undefined) return lk === rk ? TRUE : FALSE;
  if (l.type.kind === "entity" && r.type.kind === "entity") {
    const rt = r.type.types;
    if (!l.type.types.some((t) => rt.includes(t))) return FALSE;
  }
  if (leastUpperBound(l.type, r.type) === undefined) {
    report(ctx, "W3010", `cannot compare ${showType(l.type)} with ${showType(r.type)}: the types are not compatible`, span);
    return undefined;
  }
  return BOOL;
}

const ORDERED = "Long, datetime or duration";

function orderedKind(t: Type): string | undefined {
  if (t.kind === "long") return "long";
  if (t.kind === "extension" && (t.name === "datetime" || t.name === "duration")) return t.name;
  return undefined;
}

function checkComparison(ctx: CheckContext, left: Expr, right: Expr, prior: Caps): Type | undefined {
  const l = checkExpr(ctx, left, prior);
  const r = checkExpr(ctx, right, prior);
  let ok = true;
  const lk = l.type === undefined ? undefined : orderedKind(l.type);
  const rk = r.type === undefined ? undefined : orderedKind(r.type);
  if (l.type !== undefined && lk === undefined) {
    report(ctx, "W3004", `expected ${ORDERED} but found ${showType(l.type)}`, left.span);
    ok = false;
  }
  if (r.type !== undefined && rk === undefined) {
    report(ctx, "W3004", `expected ${ORDERED} but found ${showType(r.type)}`, right.span);
    ok = false;
  }
  if (ok && lk !== undefined && rk !== undefined && lk !== rk) {
    report(ctx, "W3004", `expected ${showType(l.type!)} but found ${showType(r.type!)}`, right.span);
    ok = false;
  }
  return ok && l.type !== undefined && r.type !== undefined ? BOOL : undefined;
}

function checkIf(ctx: CheckContext, e: Extract<Expr, { kind: "if" }>, prior: Caps): Checked {
  const c = expectType(ctx, e.cond, prior, BOOL);
  if (c.type === undefined) {
    checkExpr(ctx, e.then, prior);
    checkExpr(ctx, e.else, prior);
    return done(ctx, e, undefined);
  }
  const thenPrior = capsUnion(prior, c.caps);
  if (isTrue(c.type)) {
    const t = checkExpr(ctx, e.then, thenPrior);
    return done(ctx, e, t.type, capsUnion(c.caps, t.caps));
  }
  if (isFalse(c.type)) {
    const f = checkExpr(ctx, e.else, prior);
    return done(ctx, e, f.type, f.caps);
  }
  const t = checkExpr(ctx, e.then, thenPrior);
  const f = checkExpr(ctx, e.else, prior);
  if (t.type === undefined || f.type === undefined) return done(ctx, e, undefined);
  const lub = leastUpperBound(t.type, f.type);
  if (lub === undefined) {
    report(ctx, "W3010", `the branches of \`if\` have incompatible types ${showType(t.type)} and ${showType(f.type)}`, e.span);
    return done(ctx, e, undefined);
  }
  return done(ctx, e, lub, capsIntersect(capsUnion(c.caps, t.caps), f.caps));
}

function checkSetLiteral(ctx: CheckContext, e: Extract<Expr, { kind: "set" }>, prior: Caps): Type | undefined {
  if (e.elements.length === 0) {
    report(ctx, "W3013", "empty set literals are not allowed: their element type is unknown", e.span);
    return undefined;
  }
  let acc: Type | undefined;
  let ok = true;
  for (const el of e.elements) {
    const r = checkExpr(ctx, el, prior);
    if (r.type === undefined) {
      ok = false;
      continue;
    }
    if (acc === undefined) acc = r.type;
    else {
      const lub = leastUpperBound(acc, r.type);
      if (lub === undefined) {
        report(ctx, "W3010", `set elements must all have the same type, found ${showType(acc)} and ${showType(r.type)}`, el.span);
        return undefined;
      }
      acc = lub;
    }
  }
  return ok && acc !== undefined ? setType(acc) : undefined;
}
