/**
 * Method and function calls, typed from the builtin table of stdlib/builtins.ts.
 * Set methods get element-aware typing and tag methods capability tracking here;
 * extension constructors need a literal string argument, which is parsed now.
 */
import type { Expr } from "../lang/ast.js";
import { didYouMeanHelp } from "../lang/diagnostics.js";
import { BUILTINS, builtinConstructor, builtinMethod, type TypeSig } from "../stdlib/builtins.js";
import { entityTypeInfo } from "./schema-model.js";
import { checkExpr, expectType } from "./typecheck.js";
import { capsWith, nameOf, NO_CAPS, report, tagCapKey, type Caps, type CheckContext, type Checked } from "./typecheck-env.js";
import { BOOL, entityTypesOf, extensionType, FALSE, leastUpperBound, LONG, showType, STRING, TRUE, type Type } from "./types.js";

/** The checker type of a concrete builtin signature type (undefined for the polymorphic ones). */
export function typeOfSig(sig: TypeSig): Type | undefined {
  switch (sig) {
    case "Bool":
      return BOOL;
    case "Long":
      return LONG;
    case "String":
      return STRING;
    case "decimal":
    case "ipaddr":
    case "datetime":
    case "duration":
      return extensionType(sig);
    case "Entity":
      return { kind: "anyEntity" };
    case "Set":
    case "Any":
      return undefined;
    default:
      return undefined;
  }
}

function arity(ctx: CheckContext, e: Expr, name: string, expected: number, got: number): boolean {
  if (expected === got) return true;
  report(ctx, "W3008", `\`${name}\` takes ${expected} argument${expected === 1 ? "" : "s"}, found ${got}`, e.span);
  return false;
}

function checkArgs(ctx: CheckContext, args: readonly Expr[], prior: Caps): (Type | undefined)[] {
  return args.map((a) => checkExpr(ctx, a, prior).type);
}

function checkSetMethod(ctx: CheckContext, e: Extract<Expr, { kind: "method" }>, recv: Type, prior: Caps): Type | undefined {
  const argTypes = checkArgs(ctx, e.args, prior);
  const params = e.name === "isEmpty" ? 0 : 1;
  if (!arity(ctx, e, e.name, params, e.args.length)) return undefined;
  if (recv.kind !== "set") {
    report(ctx, "W3004", `\`${e.name}\` needs a set, found ${showType(recv)}`, e.target.span);
    return undefined;
  }
  if (params === 0) return BOOL;
  const at = argTypes[0];
  if (at === undefined || recv.element === undefined) return undefined;
  if (e.name === "contains") {
    if (leastUpperBound(recv.element, at) === undefined) {
      report(ctx, "W3010", `a ${showType(recv)} cannot contain a value of type ${showType(at)}`, e.args[0]!.span);
      return undefined;
    }
    return BOOL;
  }
  if (at.kind !== "set") {
    report(ctx, "W3004", `\`${e.name}\` needs a set argument, found ${showType(at)}`, e.args[0]!.span);
    return undefined;
  }
  if (at.element !== undefined && leastUpperBound(recv, at) === undefined) {
    report(ctx, "W3010", `cannot compare the elements of ${showType(recv)} with those of ${showType(at)}`, e.args[0]!.span);
    return undefined;
  }
  return BOOL;
}

/** The tag type shared by the entity types of `recv`; undefined when some type declares no tags. */
function tagTypeOf(ctx: CheckContext, types: readonly string[]): Type | undefined {
  let out: Type | undefined;
  for (const name of types) {
    const tags = entityTypeInfo(ctx.schema, name)?.tags;
    if (tags === undefined) return undefined;
    out = out === undefined ? tags : leastUpperBound(out, tags);
    if (out === undefined) return undefined;
  }
  return out;
}

function checkTagMethod(ctx: CheckContext, e: Extract<Expr, { kind: "method" }>, recv: Type, prior: Caps): Checked {
  if (!arity(ctx, e, e.name, 1, e.args.length)) {
    checkArgs(ctx, e.args, prior);
    return { type: undefined, caps: NO_CAPS };
  }
  const k = expectType(ctx, e.args[0]!, prior, STRING);
  const types = entityTypesOf(recv);
  if (types === undefined) {
    report(ctx, "W3004", `\`${e.name}\` needs an entity, found ${showType(recv)}`, e.target.span);
    return { type: undefined, caps: NO_CAPS };
  }
  if (k.type === undefined) return { type: undefined, caps: NO_CAPS };
  const cap = tagCapKey(e.target, e.args[0]!);
  const tagType = types === "any" ? undefined : tagTypeOf(ctx, types);
  const shown = types === "any" ? "entity" : `\`${types.join("` | `")}\``;
  if (e.name === "hasTag") {
    if (types !== "any" && tagType === undefined) return { type: FALSE, caps: NO_CAPS };
    return { type: prior.has(cap) ? TRUE : BOOL, caps: capsWith(NO_CAPS, cap) };
  }
  if (tagType === undefined) {
    const why = types !== "any" ? ` (entity type ${shown} declares no tags)` : "";
    report(ctx, "W3012", `cannot access a tag of ${shown} here${why}`, e.span, "guard the access with `e.hasTag(k) && …`");
    return { type: undefined, caps: NO_CAPS };
  }
  if (!prior.has(cap)) {
    report(ctx, "W3012", `the tag may be missing on entity type ${shown}`, e.span, "guard the access with `e.hasTag(k) && …`");
    return { type: undefined, caps: NO_CAPS };
  }
  return { type: tagType, caps: NO_CAPS };
}

const METHOD_NAMES = BUILTINS.filter((b) => b.kind === "method").map((b) => b.name);
const FUNCTION_NAMES = BUILTINS.filter((b) => b.kind === "constructor").map((b) => b.name);

/** `target.name(args)`. */
export function checkMethod(ctx: CheckContext, e: Extract<Expr, { kind: "method" }>, prior: Caps): Checked {
  const b = builtinMethod(e.name);
  const recv = checkExpr(ctx, e.target, prior).type;
  if (b === undefined) {
    checkArgs(ctx, e.args, prior);
    report(ctx, "W3007", `unknown method \`${e.name}\``, e.span, didYouMeanHelp(e.name, METHOD_NAMES));
    return { type: undefined, caps: NO_CAPS };
  }
  if (recv === undefined) {
    checkArgs(ctx, e.args, prior);
    return { type: undefined, caps: NO_CAPS };
  }
  if (b.group === "set") return { type: checkSetMethod(ctx, e, recv, prior), caps: NO_CAPS };
  if (b.group === "tag") return checkTagMethod(ctx, e, recv, prior);
  const want = b.receiver === undefined ? undefined : typeOfSig(b.receiver);
  let ok = true;
  if (want !== undefined && showType(want) !== showType(recv)) {
    report(ctx, "W3004", `\`${e.name}\` needs a receiver of type ${showType(want)}, found ${showType(recv)}`, e.target.span);
    ok = false;
  }
  if (!arity(ctx, e, e.name, b.params.length, e.args.length)) {
    checkArgs(ctx, e.args, prior);
    return { type: undefined, caps: NO_CAPS };
  }
  b.params.forEach((p, i) => {
    const pt = typeOfSig(p);
    const r = pt === undefined ? checkExpr(ctx, e.args[i]!, prior) : expectType(ctx, e.args[i]!, prior, pt);
    if (r.type === undefined) ok = false;
  });
  return { type: ok ? typeOfSig(b.returns) : undefined, caps: NO_CAPS };
}

/** `fn(args)`: an extension constructor applied to a valid string literal. */
export function checkCall(ctx: CheckContext, e: Extract<Expr, { kind: "call" }>, prior: Caps): Type | undefined {
  const name = nameOf(e.fn.path);
  const b = builtinConstructor(name);
  if (b === undefined) {
    checkArgs(ctx, e.args, prior);
    report(ctx, "W3007", `unknown function \`${name}\``, e.fn.span, didYouMeanHelp(name, FUNCTION_NAMES));
    return undefined;
  }
  if (!arity(ctx, e, name, b.params.length, e.args.length)) {
    checkArgs(ctx, e.args, prior);
    return undefined;
  }
  let ok = true;
  e.args.forEach((arg, i) => {
    if (arg.kind !== "string") {
      checkExpr(ctx, arg, prior);
      report(ctx, "W3014", `the argument of \`${name}\` must be a string literal in a validated policy`, arg.span);
      ok = false;
      return;
    }
    const pt = typeOfSig(b.params[i]!);
    const r = pt === undefined ? checkExpr(ctx, arg, prior) : expectType(ctx, arg, prior, pt);
    if (r.type === undefined) ok = false;
  });
  if (!ok) return undefined;
  if (b.context === "pure") {
    try {
      b.impl(...e.args.map((a) => (a as Extract<Expr, { kind: "string" }>).value));
    } catch (err) {
      const msg = err !== null && typeof err === "object" && "message" in err ? String((err as { message: unknown }).message) : String(err);
      report(ctx, "W3009", `invalid \`${name}\` literal: ${msg}`, e.span);
      return undefined;
    }
  }
  return typeOfSig(b.returns);
}

