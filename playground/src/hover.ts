/**
 * Hover information for the policy editor: the policy under the cursor (effect and name),
 * the innermost expression with the type the compiler's checker gave it, and for a
 * builtin call its signature and doc from the one builtins table.
 *
 * Types come only from the checker (`policyTypes` of `writ/compiler`, over every request
 * environment the schema allows, joined with `|` when they differ); there is no second
 * inference here. Without a schema that loads, or where the checker gives no type (an
 * error, or a part never evaluated), the hover says so.
 */
import { exprChildren, type Expr, type Policy, type PolicySet } from "../../lang/index.js";
import { policyTypes, showType, type Schema, type Type } from "../../compiler/index.js";
import { BUILTIN_DOCS, BUILTINS, builtinConstructor, builtinMethod, type BuiltinDoc } from "../../stdlib/index.js";
import type { HoverResult } from "./protocol.js";

function contains(s: { start: number; end: number }, offset: number): boolean {
  return s.start <= offset && offset < s.end;
}

/** The innermost expression of `root` containing `offset`. */
export function innermost(root: Expr, offset: number): Expr | undefined {
  if (!contains(root.span, offset)) return undefined;
  for (const c of exprChildren(root)) {
    const hit = innermost(c, offset);
    if (hit !== undefined) return hit;
  }
  return root;
}

/** The policy's display name: `@id` annotation, else `policy<N>` by position. */
export function policyName(p: Policy, index: number): string {
  const id = p.annotations.find((a) => a.name === "id");
  return id?.value ?? `policy${index}`;
}

/** The innermost expression at `offset` among the policy's conditions and obligation values. */
function exprAt(p: Policy, offset: number): Expr | undefined {
  for (const body of [...p.conditions.map((c) => c.body), ...(p.obligations ?? []).map((o) => o.value)]) {
    const e = innermost(body, offset);
    if (e !== undefined) return e;
  }
  return undefined;
}

/** The builtins table's documentation row of the function or method an expression calls, if it is a builtin. */
export function builtinDocOf(e: Expr): BuiltinDoc | undefined {
  const b = e.kind === "method" ? builtinMethod(e.name) : e.kind === "call" ? builtinConstructor(e.fn.path.join("::")) : undefined;
  // INVARIANT: BUILTIN_DOCS is BUILTINS mapped in order, one row per builtin.
  return b === undefined ? undefined : BUILTIN_DOCS[BUILTINS.indexOf(b)];
}

/** The checker's types of a policy's expressions, computed once per policy and schema. */
const typeCache = new WeakMap<Policy, { readonly schema: Schema; readonly types: ReadonlyMap<Expr, readonly Type[]> }>();

function typesOf(p: Policy, schema: Schema): ReadonlyMap<Expr, readonly Type[]> {
  const hit = typeCache.get(p);
  if (hit !== undefined && hit.schema === schema) return hit.types;
  const types = policyTypes(p, schema);
  typeCache.set(p, { schema, types });
  return types;
}

/** The hover line of an expression's type. */
function typeLine(e: Expr, p: Policy, schema: Schema | undefined): string {
  if (schema === undefined) return `\`${e.kind}\` expression (its type needs a schema that loads)`;
  const types = typesOf(p, schema).get(e);
  if (types === undefined || types.length === 0) return `\`${e.kind}\` expression without a type (the checker reports an error here, or never evaluates it)`;
  return `\`${e.kind}\` expression of type \`${types.map(showType).join(" | ")}\``;
}

/**
 * Hover for `offset` in the policy text; null when the cursor is outside every policy.
 * `schema` is the loaded schema (undefined when there is none or it does not load).
 */
export function hoverAt(set: PolicySet, offset: number, schema: Schema | undefined): HoverResult | null {
  const index = set.policies.findIndex((p) => contains(p.span, offset));
  if (index < 0) return null;
  const p = set.policies[index]!;
  const lines = [`**${p.effect}** policy \`${policyName(p, index)}\``];
  const e = exprAt(p, offset);
  if (e === undefined) return { contents: lines, start: p.span.start, end: p.span.end };
  lines.push(typeLine(e, p, schema));
  const doc = builtinDocOf(e);
  if (doc !== undefined) lines.push(`\`${doc.signature}\` — ${doc.doc}`);
  return { contents: lines, start: e.span.start, end: e.span.end };
}
