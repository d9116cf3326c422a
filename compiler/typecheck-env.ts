/**
 * Shared state of the type checker: the request environment, capability sets
 * (which attributes and tags are known to be present), expression keys, and
 * the diagnostic sink.
 */
import type { Expr } from "../lang/ast.js";
import { diag, type Diagnostic, type DiagnosticCode } from "../lang/diagnostics.js";
import type { Span } from "../lang/span.js";
import type { RequestEnv, Schema } from "./schema-model.js";
import { isActionType, uidKey } from "./schema-model.js";
import type { Type } from "./types.js";

/**
 * A capability set: keys of attribute accesses (`<expr>.<attr>`) and tag
 * accesses (`<expr>#<key expr>`) known to be safe at a point of the program.
 */
export type Caps = ReadonlySet<string>;

/** The empty capability set. */
export const NO_CAPS: Caps = new Set<string>();

/** The result of checking one expression: its type (undefined after an error) and the capabilities it establishes when true. */
export interface Checked {
  readonly type: Type | undefined;
  readonly caps: Caps;
}

/** Everything the checker needs while checking one policy in one environment. */
export interface CheckContext {
  readonly schema: Schema;
  readonly env: RequestEnv;
  /** Receives every diagnostic (the caller de-duplicates across environments). */
  readonly report: (d: Diagnostic) => void;
  /** Optional side table: the type of each expression node (first environment wins). */
  readonly types?: Map<Expr, Type>;
  /** Types of the variables bound by enclosing quantifiers (Writ extension). */
  readonly bound?: ReadonlyMap<string, Type>;
}

/** Report a diagnostic through the context. */
export function report(ctx: CheckContext, code: DiagnosticCode, message: string, span: Span, help?: string): void {
  ctx.report(diag(code, message, span, help));
}

/** Union of two capability sets. */
export function capsUnion(a: Caps, b: Caps): Caps {
  if (a.size === 0) return b;
  if (b.size === 0) return a;
  const out = new Set(a);
  for (const x of b) out.add(x);
  return out;
}

/** Intersection of two capability sets. */
export function capsIntersect(a: Caps, b: Caps): Caps {
  if (a.size === 0 || b.size === 0) return NO_CAPS;
  const out = new Set<string>();
  for (const x of a) if (b.has(x)) out.add(x);
  return out;
}

/** A capability set with one more key. */
export function capsWith(a: Caps, key: string): Caps {
  const out = new Set(a);
  out.add(key);
  return out;
}

/** The fully-qualified type name written in an entity reference or name node. */
export function nameOf(path: readonly string[]): string {
  return path.join("::");
}

const keyCache = new WeakMap<Expr, string>();

/**
 * A structural key of an expression (spans ignored): two expressions with the
 * same key always evaluate to the same value within one request.
 */
export function exprKey(e: Expr): string {
  const hit = keyCache.get(e);
  if (hit !== undefined) return hit;
  let k: string;
  switch (e.kind) {
    case "var":
      k = e.name;
      break;
    case "getAttr":
      k = `${exprKey(e.target)}.${JSON.stringify(e.attr)}`;
      break;
    case "entity":
      k = uidKey(nameOf(e.ref.type.path), e.ref.id);
      break;
    case "string":
      k = JSON.stringify(e.value);
      break;
    case "long":
      k = `${e.value}L`;
      break;
    case "bool":
      k = String(e.value);
      break;
    default:
      k = JSON.stringify(e, (key, v: unknown) => (key === "span" ? undefined : typeof v === "bigint" ? `${v}L` : v));
  }
  keyCache.set(e, k);
  return k;
}

/** Capability key for `<target>.<attr>` given the key of the target. */
export function attrCapKey(targetKey: string, attr: string): string {
  return `${targetKey}.${JSON.stringify(attr)}`;
}

/** Capability key for a tag `<target>.getTag(<key>)`. */
export function tagCapKey(target: Expr, key: Expr): string {
  return `${exprKey(target)}#${exprKey(key)}`;
}

/**
 * The statically known value of a literal expression, as a comparable key:
 * literals, entity references and the `action` variable (known per environment).
 */
export function literalKey(e: Expr, env: RequestEnv): string | undefined {
  switch (e.kind) {
    case "bool":
      return e.value ? "T" : "F";
    case "long":
      return `L${e.value}`;
    case "string":
      return `S${JSON.stringify(e.value)}`;
    case "entity":
      return `E${uidKey(nameOf(e.ref.type.path), e.ref.id)}`;
    case "var":
      return e.name === "action" ? `E${env.action.key}` : undefined;
    default:
      return undefined;
  }
}

/** The action uid key an expression statically denotes (an action literal or the `action` variable). */
export function actionKeyOf(e: Expr, ctx: CheckContext): string | undefined {
  if (e.kind === "var" && e.name === "action") return ctx.env.action.key;
  if (e.kind === "entity") {
    const t = nameOf(e.ref.type.path);
    if (isActionType(ctx.schema, t)) return uidKey(t, e.ref.id);
  }
  return undefined;
}
