/**
 * Attribute access and entity tests. `e has a.b` and `e.a` follow Cedar's
 * capability tracking (after `e has a`, `e.a` is safe where the test is known
 * to hold). `e in x` and `e is T [in x]` that cannot hold are typed `False`
 * (not errors), as Cedar does; the action hierarchy is known statically, so
 * `action in …` is decided exactly.
 */
import { MAX_HAS_PATH, type Expr } from "../lang/ast.js";
import { didYouMeanHelp } from "../lang/diagnostics.js";
import { actionIsIn, entityTypeInfo, mayBeIn } from "./schema-model.js";
import { andTypes, checkExpr, isFalse } from "./typecheck.js";
import { actionKeyOf, attrCapKey, capsUnion, capsWith, exprKey, nameOf, NO_CAPS, report, type Caps, type CheckContext, type Checked } from "./typecheck-env.js";
import { attrOf, BOOL, entityTypesOf, FALSE, leastUpperBound, showType, TRUE, type AttrType, type RecordType, type Type } from "./types.js";

/** Where an attribute lives, for messages: `on entity type \`User\``, `in the context of …`. */
function ownerText(ctx: CheckContext, target: Expr | undefined, t: Type): string {
  if (t.kind === "entity") return `on entity type \`${t.types.join("` | `")}\``;
  if (target !== undefined && target.kind === "var" && target.name === "context") return `in the context of action \`${ctx.env.action.key}\``;
  return `in record type \`${showType(t)}\``;
}

/** The declared attributes of each entity type in `types` (undefined entries: attribute not declared). */
function entityAttrs(ctx: CheckContext, types: readonly string[], attr: string): { name: string; attr: AttrType | undefined; record: RecordType | undefined }[] {
  return types.map((name) => {
    const info = entityTypeInfo(ctx.schema, name);
    return { name, attr: info === undefined ? undefined : attrOf(info.attributes, attr), record: info?.attributes };
  });
}

interface HasStep {
  readonly result: Type;
  readonly attrType: Type | undefined;
}

function hasStep(ctx: CheckContext, t: Type, capKey: string, attr: string, caps: Caps, span: Expr["span"]): HasStep | undefined {
  switch (t.kind) {
    case "record": {
      const a = attrOf(t, attr);
      if (a === undefined) return { result: t.open ? BOOL : FALSE, attrType: undefined };
      return { result: a.required || caps.has(capKey) ? TRUE : BOOL, attrType: a.type };
    }
    case "entity": {
      const found = entityAttrs(ctx, t.types, attr);
      const present = found.filter((f) => f.attr !== undefined);
      if (present.length === 0) return { result: FALSE, attrType: undefined };
      let at: Type | undefined = present[0]!.attr!.type;
      for (const p of present.slice(1)) at = at === undefined ? undefined : leastUpperBound(at, p.attr!.type);
      // NOTE: an entity may be missing from the store, so even a required attribute is only `Bool`.
      return { result: caps.has(capKey) ? TRUE : BOOL, attrType: present.length === found.length ? at : undefined };
    }
    case "anyEntity":
      return { result: BOOL, attrType: undefined };
    default:
      report(ctx, "W3004", `\`has\` needs an entity or a record, found ${showType(t)}`, span);
      return undefined;
  }
}

/** `e has a.b.c` ≡ `e has a && e.a has b && e.a.b has c`. */
export function checkHas(ctx: CheckContext, e: Extract<Expr, { kind: "has" }>, prior: Caps): Checked {
  // The parser reports a longer path (W1021) but keeps the policy; each step's capability key grows with the path.
  if (e.path.length > MAX_HAS_PATH) {
    report(ctx, "W1021", `a \`has\` path of ${e.path.length} attributes is too long (the limit is ${MAX_HAS_PATH})`, e.span);
    return { type: undefined, caps: NO_CAPS };
  }
  const target = checkExpr(ctx, e.target, prior);
  if (target.type === undefined) return { type: undefined, caps: NO_CAPS };
  let t: Type | undefined = target.type;
  let key = exprKey(e.target);
  let caps: Caps = NO_CAPS;
  let result: Type = TRUE;
  for (const attr of e.path) {
    if (t === undefined) {
      result = andTypes(result, BOOL);
      break;
    }
    const capKey = attrCapKey(key, attr);
    const step = hasStep(ctx, t, capKey, attr, capsUnion(prior, caps), e.span);
    if (step === undefined) return { type: undefined, caps: NO_CAPS };
    if (isFalse(step.result)) return { type: FALSE, caps: NO_CAPS };
    result = andTypes(result, step.result);
    caps = capsWith(caps, capKey);
    t = step.attrType;
    key = capKey;
  }
  return { type: result, caps };
}

/** `e.a`: the attribute must be declared (W3003) and, when optional, known to be present (W3006). */
export function checkGetAttr(ctx: CheckContext, e: Extract<Expr, { kind: "getAttr" }>, prior: Caps): Type | undefined {
  const target = checkExpr(ctx, e.target, prior);
  const t = target.type;
  if (t === undefined) return undefined;
  let safeMemo: boolean | undefined;
  const isSafe = (): boolean => (safeMemo ??= prior.size > 0 && prior.has(attrCapKey(exprKey(e.target), e.attr)));
  switch (t.kind) {
    case "record": {
      const a = attrOf(t, e.attr);
      if (a === undefined) {
        report(ctx, "W3003", `attribute \`${e.attr}\` not found ${ownerText(ctx, e.target, t)}`, e.span, didYouMeanHelp(e.attr, Object.keys(t.attrs)));
        return undefined;
      }
      if (!a.required && !isSafe()) {
        report(ctx, "W3006", `attribute \`${e.attr}\` ${ownerText(ctx, e.target, t)} is optional and may be missing`, e.span, `test for it first: \`… has ${e.attr} && …\``);
        return undefined;
      }
      return a.type;
    }
    case "entity": {
      let out: Type | undefined;
      let ok = true;
      for (const f of entityAttrs(ctx, t.types, e.attr)) {
        if (f.attr === undefined) {
          const help = f.record === undefined ? undefined : didYouMeanHelp(e.attr, Object.keys(f.record.attrs));
          report(ctx, "W3003", `attribute \`${e.attr}\` not found on entity type \`${f.name}\``, e.span, help);
          ok = false;
          continue;
        }
        if (!f.attr.required && !isSafe()) {
          report(ctx, "W3006", `attribute \`${e.attr}\` of entity type \`${f.name}\` is optional and may be missing`, e.span, `test for it first: \`… has ${e.attr} && …\``);
          ok = false;
          continue;
        }
        if (out === undefined) out = f.attr.type;
        else {
          const lub = leastUpperBound(out, f.attr.type);
          if (lub === undefined) {
            report(ctx, "W3010", `attribute \`${e.attr}\` has incompatible types on the possible entity types`, e.span);
            ok = false;
          } else out = lub;
        }
      }
      return ok ? out : undefined;
    }
    case "anyEntity":
      report(ctx, "W3003", `attribute \`${e.attr}\` of an entity of unknown type cannot be checked`, e.span);
      return undefined;
    default:
      report(ctx, "W3004", `expected an entity or a record before \`.${e.attr}\`, found ${showType(t)}`, e.target.span);
      return undefined;
  }
}

/** Action uid keys denoted by the right side of `in`, when all are statically known. */
function actionKeysOf(ctx: CheckContext, e: Expr): string[] | undefined {
  if (e.kind === "set") {
    const out: string[] = [];
    for (const el of e.elements) {
      const k = actionKeyOf(el, ctx);
      if (k === undefined) return undefined;
      out.push(k);
    }
    return out;
  }
  const k = actionKeyOf(e, ctx);
  return k === undefined ? undefined : [k];
}

/** Type of `left in right` given already-checked operand types (undefined after an error). */
export function inType(ctx: CheckContext, left: Expr, lt: Type | undefined, right: Expr, rt: Type | undefined): Type | undefined {
  let ok = true;
  const lTypes = lt === undefined ? undefined : entityTypesOf(lt);
  if (lt !== undefined && lTypes === undefined) {
    report(ctx, "W3004", `the left side of \`in\` must be an entity, found ${showType(lt)}`, left.span);
    ok = false;
  }
  let rTypes: readonly string[] | "any" | undefined;
  if (rt !== undefined) {
    rTypes = rt.kind === "set" ? (rt.element === undefined ? undefined : entityTypesOf(rt.element)) : entityTypesOf(rt);
    if (rTypes === undefined) {
      if (rt.kind !== "set" || rt.element !== undefined)
        report(ctx, "W3004", `the right side of \`in\` must be an entity or a set of entities, found ${showType(rt)}`, right.span);
      ok = false;
    }
  }
  if (!ok || lTypes === undefined || rTypes === undefined) return undefined;
  const lk = actionKeyOf(left, ctx);
  const rks = lk === undefined ? undefined : actionKeysOf(ctx, right);
  if (lk !== undefined && rks !== undefined) return rks.some((rk) => actionIsIn(ctx.schema, lk, rk)) ? TRUE : FALSE;
  if (lTypes === "any" || rTypes === "any") return BOOL;
  const rList = rTypes;
  return lTypes.some((l) => rList.some((r) => mayBeIn(ctx.schema, l, r))) ? BOOL : FALSE;
}

/** `left in right`. */
export function checkIn(ctx: CheckContext, left: Expr, right: Expr, prior: Caps): Type | undefined {
  const l = checkExpr(ctx, left, prior);
  const r = checkExpr(ctx, right, prior);
  return inType(ctx, left, l.type, right, r.type);
}

/** `e is T` and `e is T in x` (≡ `e is T && e in x`). */
export function checkIs(ctx: CheckContext, e: Extract<Expr, { kind: "is" }>, prior: Caps): Checked {
  const target = checkExpr(ctx, e.target, prior);
  const t = target.type;
  if (t === undefined) {
    if (e.in !== undefined) checkExpr(ctx, e.in, prior);
    return { type: undefined, caps: NO_CAPS };
  }
  const types = entityTypesOf(t);
  if (types === undefined) {
    report(ctx, "W3004", `\`is\` needs an entity, found ${showType(t)}`, e.target.span);
    return { type: undefined, caps: NO_CAPS };
  }
  const name = nameOf(e.entityType.path);
  const isT: Type = types === "any" ? BOOL : !types.includes(name) ? FALSE : types.length === 1 ? TRUE : BOOL;
  if (e.in === undefined || isFalse(isT)) return { type: isT, caps: NO_CAPS };
  const r = checkExpr(ctx, e.in, prior);
  const narrowed: Type = types === "any" || !types.includes(name) ? t : { kind: "entity", types: [name] };
  const inT = inType(ctx, e.target, narrowed, e.in, r.type);
  return { type: inT === undefined ? undefined : andTypes(isT, inT), caps: NO_CAPS };
}
