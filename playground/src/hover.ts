/**
 * Hover information for the policy editor: the policy under the cursor (name and
 * effect) and the type of the innermost expression, inferred from the schema's
 * declarations (attribute types, scope constraints, operator result types).
 *
 * NOTE: this is a light, editor-only inference for display; the compiler's validator
 * is the authority on types and reports every type error as a diagnostic.
 */
import type { EntityRef, Expr, Policy, PolicySet, Scope, SlotRef } from "../../lang/ast.js";
import type { Type as CheckerType } from "../../compiler/types.js";
import type { AttrDecl, TypeExpr } from "../../lang/schema-ast.js";
import { assertNever } from "../../lang/span.js";
import { exprChildren } from "../../lang/parse.js";
import type { HoverResult } from "./protocol.js";
import { typeText, type SchemaModel } from "./schema-summary.js";

type HType =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "entity"; readonly types: readonly string[] }
  | { readonly kind: "record"; readonly attrs: readonly AttrDecl[] }
  | { readonly kind: "set"; readonly element: HType }
  | { readonly kind: "unknown" };

const UNKNOWN: HType = { kind: "unknown" };
const BOOL: HType = { kind: "text", text: "Bool" };
const LONG: HType = { kind: "text", text: "Long" };
const PRIMITIVES: Record<string, string> = { Bool: "Bool", Boolean: "Bool", Long: "Long", String: "String", decimal: "decimal", ipaddr: "ipaddr", datetime: "datetime", duration: "duration" };
const METHOD_RESULTS: Record<string, string> = {
  contains: "Bool", containsAll: "Bool", containsAny: "Bool", isEmpty: "Bool", hasTag: "Bool",
  isIpv4: "Bool", isIpv6: "Bool", isLoopback: "Bool", isMulticast: "Bool", isInRange: "Bool",
  lessThan: "Bool", lessThanOrEqual: "Bool", greaterThan: "Bool", greaterThanOrEqual: "Bool",
  toDate: "datetime", toTime: "duration", offset: "datetime", durationSince: "duration",
  toDays: "Long", toHours: "Long", toMinutes: "Long", toSeconds: "Long", toMilliseconds: "Long",
};

/** Printed form of an inferred type. */
function show(t: HType): string {
  switch (t.kind) {
    case "text":
      return t.text;
    case "entity":
      return t.types.length === 0 ? "Entity" : t.types.join(" | ");
    case "record":
      return `{ ${t.attrs.map((a) => `${a.name}${a.required ? "" : "?"}: ${typeText(a.type)}`).join(", ")} }`;
    case "set":
      return `Set<${show(t.element)}>`;
    case "unknown":
      return "?";
    default:
      return assertNever(t, "hover type");
  }
}

function fromTypeExpr(t: TypeExpr, m: SchemaModel, depth = 0): HType {
  if (depth > 16) return UNKNOWN;
  switch (t.kind) {
    case "setType":
      return { kind: "set", element: fromTypeExpr(t.element, m, depth + 1) };
    case "recordType":
      return { kind: "record", attrs: t.attributes };
    case "namedType": {
      const n = t.name.path.join("::");
      const bare = t.name.path[t.name.path.length - 1] ?? n;
      if (PRIMITIVES[bare] !== undefined && t.name.path.length === 1) return { kind: "text", text: PRIMITIVES[bare]! };
      const entity = m.summary.entityTypes.find((e) => e === n || e.endsWith(`::${n}`));
      if (entity !== undefined) return { kind: "entity", types: [entity] };
      const common = m.commonTypes.get(n);
      if (common !== undefined) return fromTypeExpr(common, m, depth + 1);
      return { kind: "text", text: n };
    }
    default:
      return assertNever(t, "type expression");
  }
}

function refType(r: EntityRef | SlotRef): string | undefined {
  return r.kind === "entityRef" ? r.type.path.join("::") : undefined;
}

function scopeTypes(s: Scope, fallback: readonly string[]): readonly string[] {
  const c = s.constraint;
  switch (c.kind) {
    case "eq": {
      const t = refType(c.target);
      return t === undefined ? fallback : [t];
    }
    case "is":
      return [c.entityType.path.join("::")];
    case "any":
    case "in":
    case "inList":
      return fallback;
    default:
      return assertNever(c, "scope constraint");
  }
}

function attrOf(t: HType, attr: string, m: SchemaModel): HType {
  if (t.kind === "record") {
    const a = t.attrs.find((x) => x.name === attr);
    return a === undefined ? UNKNOWN : fromTypeExpr(a.type, m);
  }
  if (t.kind === "entity") {
    for (const e of t.types) {
      const a = m.entityAttrs.get(e)?.find((x) => x.name === attr);
      if (a !== undefined) return fromTypeExpr(a.type, m);
    }
  }
  return UNKNOWN;
}

function infer(e: Expr, p: Policy, m: SchemaModel): HType {
  switch (e.kind) {
    case "bool":
      return BOOL;
    case "long":
      return LONG;
    case "string":
      return { kind: "text", text: "String" };
    case "entity":
      return { kind: "entity", types: [e.ref.type.path.join("::")] };
    case "var":
      switch (e.name) {
        case "principal":
          return { kind: "entity", types: scopeTypes(p.principal, m.principalTypes) };
        case "resource":
          return { kind: "entity", types: scopeTypes(p.resource, m.resourceTypes) };
        case "action":
          return { kind: "entity", types: ["Action"] };
        case "context":
          return { kind: "record", attrs: m.contextAttrs };
        default:
          return assertNever(e as never, "variable");
      }
    case "slotExpr":
      return { kind: "entity", types: [] };
    case "unary":
      return e.op === "!" ? BOOL : LONG;
    case "binary":
      return e.op === "+" || e.op === "-" || e.op === "*" ? LONG : BOOL;
    case "if":
      return infer(e.then, p, m);
    case "has":
    case "like":
    case "is":
      return BOOL;
    case "getAttr":
      return attrOf(infer(e.target, p, m), e.attr, m);
    case "method": {
      if (e.name === "getTag") {
        const target = infer(e.target, p, m);
        if (target.kind === "entity") for (const t of target.types) {
          const tags = m.entityTags.get(t);
          if (tags !== undefined) return fromTypeExpr(tags, m);
        }
        return UNKNOWN;
      }
      const r = METHOD_RESULTS[e.name];
      return r === undefined ? UNKNOWN : { kind: "text", text: r };
    }
    case "call": {
      const n = e.fn.path[e.fn.path.length - 1] ?? "";
      const ext: Record<string, string> = { ip: "ipaddr", decimal: "decimal", datetime: "datetime", duration: "duration" };
      return ext[n] === undefined ? UNKNOWN : { kind: "text", text: ext[n]! };
    }
    case "set":
      return { kind: "set", element: e.elements.length === 0 ? UNKNOWN : infer(e.elements[0]!, p, m) };
    case "record":
      return { kind: "text", text: "Record" };
    case "quantifier":
      return { kind: "text", text: "Bool" };
    case "boundVar":
      return UNKNOWN;
    default:
      return assertNever(e, "expression");
  }
}


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

/** Printed form of a type from the compiler's validator. */
export function showCheckerType(t: CheckerType): string {
  switch (t.kind) {
    case "never":
      return "Never";
    case "bool":
      return t.value === undefined ? "Bool" : t.value ? "True" : "False";
    case "long":
      return "Long";
    case "string":
      return "String";
    case "entity":
      return t.types.join(" | ");
    case "anyEntity":
      return "Entity";
    case "set":
      return t.element === undefined ? "Set<?>" : `Set<${showCheckerType(t.element)}>`;
    case "record":
      return `{ ${Object.entries(t.attrs).map(([k, a]) => `${k}${a.required ? "" : "?"}: ${showCheckerType(a.type)}`).join(", ")}${t.open ? ", …" : ""} }`;
    case "extension":
      return t.name;
    default:
      return assertNever(t, "checker type");
  }
}

/**
 * Hover for `offset` in the policy text; null when the cursor is outside every policy.
 * The validator's type (`types`) is preferred; without it the type is inferred from the schema.
 */
export function hoverAt(set: PolicySet, offset: number, m: SchemaModel, types?: ReadonlyMap<Expr, CheckerType>): HoverResult | null {
  const index = set.policies.findIndex((p) => contains(p.span, offset));
  if (index < 0) return null;
  const p = set.policies[index]!;
  const lines = [`**${p.effect}** policy \`${policyName(p, index)}\``];
  for (const c of p.conditions) {
    const e = innermost(c.body, offset);
    if (e === undefined) continue;
    const checked = types?.get(e);
    lines.push(`\`${e.kind}\` expression of type \`${checked === undefined ? show(infer(e, p, m)) : showCheckerType(checked)}\``);
    return { contents: lines, start: e.span.start, end: e.span.end };
  }
  return { contents: lines, start: p.span.start, end: p.span.end };
}
