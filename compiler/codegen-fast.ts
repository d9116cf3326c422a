/**
 * Specialised closures for the hottest IR shapes, chosen at code-generation time:
 * attribute access on a request variable (`principal.attr`, `context.attr`) and the
 * ordering comparisons with a Long fast path. Each one computes exactly what the generic
 * closure in codegen.ts computes (same value, same error, same evaluation order); it only
 * skips a closure call or a generic type dispatch.
 */
import type { Span } from "../lang/span.js";
import { assertNever } from "../lang/span.js";
import type { Entities } from "../stdlib/index.js";
import { EntityUID, EvalError, RecordValue, type Value } from "../stdlib/value.js";
import { compareValues, getAttr } from "./codegen-ops.js";
import type { IrExpr } from "./ir.js";
import type { Request } from "./request.js";

/** A compiled expression (same shape as codegen.ts's `Evaluator`). */
type Evaluator = (req: Request, es: Entities) => Value;

/** `u.attr` for an entity uid: W4004 when the entity is missing, W4001 when the attribute is. */
export function entityAttr(u: EntityUID, attr: string, es: Entities, span: Span | undefined): Value {
  const fields = es.attrFields(u);
  if (fields === undefined) throw new EvalError("W4004", `entity \`${u.key}\` does not exist`, span);
  const v = fields.get(attr);
  if (v === undefined) throw new EvalError("W4001", `\`${u.key}\` does not have the attribute \`${attr}\``, span);
  return v;
}

/**
 * `target.attr`: direct closures when the target is a request variable, else the generic
 * closure over the target's evaluator `t`. A request whose variable has an unexpected shape
 * falls back to the generic `getAttr` (same errors).
 */
export function genGetAttr(target: IrExpr, name: string, span: Span | undefined, t: Evaluator): Evaluator {
  const attr = internalize(name);
  if (target.kind === "var") {
    const v = target.name;
    switch (v) {
      case "principal":
        return (r, es) => {
          const u = r.principal;
          return u instanceof EntityUID ? entityAttr(u, attr, es, span) : getAttr(u, attr, es, span);
        };
      case "resource":
        return (r, es) => {
          const u = r.resource;
          return u instanceof EntityUID ? entityAttr(u, attr, es, span) : getAttr(u, attr, es, span);
        };
      case "action":
        return (r, es) => {
          const u = r.action;
          return u instanceof EntityUID ? entityAttr(u, attr, es, span) : getAttr(u, attr, es, span);
        };
      case "context":
        return (r, es) => {
          const c = r.context;
          if (c instanceof RecordValue) {
            const v = c.fields.get(attr);
            if (v !== undefined) return v;
          }
          return getAttr(c, attr, es, span);
        };
      case "lineage":
        break;
      default:
        return assertNever(v, "variable");
    }
  }
  return (r, es) => getAttr(t(r, es), attr, es, span);
}

/**
 * The same string, as the engine's canonical (internalized) copy: it was used as a property
 * key. Record field maps are keyed by such strings (from JSON), so a lookup with the
 * canonical copy compares by identity instead of by content.
 */
export function internalize(s: string): string {
  return Object.keys({ [s]: true })[0] ?? s;
}

/** The comparison operators. */
export type CompareOp = "<" | "<=" | ">" | ">=";

/** Long literal value of an IR node, else undefined. */
function longLiteral(e: IrExpr): bigint | undefined {
  return e.kind === "long" ? BigInt(e.value) : undefined;
}

/**
 * `left op right` for `< <= > >=`: both sides evaluated left to right, then a direct bigint
 * comparison when both are Longs, else the generic `compareValues` (extension orderings and
 * type errors). A Long literal on the right is folded into the closure.
 */
export function genCompare(op: CompareOp, left: IrExpr, right: IrExpr, l: Evaluator, rt: Evaluator, span: Span | undefined): Evaluator {
  const c = longLiteral(right);
  if (c !== undefined) {
    switch (op) {
      case "<":
        return (r, es) => {
          const a = l(r, es);
          return typeof a === "bigint" ? a < c : compareValues(a, c, span) < 0;
        };
      case "<=":
        return (r, es) => {
          const a = l(r, es);
          return typeof a === "bigint" ? a <= c : compareValues(a, c, span) <= 0;
        };
      case ">":
        return (r, es) => {
          const a = l(r, es);
          return typeof a === "bigint" ? a > c : compareValues(a, c, span) > 0;
        };
      case ">=":
        return (r, es) => {
          const a = l(r, es);
          return typeof a === "bigint" ? a >= c : compareValues(a, c, span) >= 0;
        };
      default:
        return unknownOp(op);
    }
  }
  switch (op) {
    case "<":
      return (r, es) => {
        const a = l(r, es);
        const b = rt(r, es);
        return typeof a === "bigint" && typeof b === "bigint" ? a < b : compareValues(a, b, span) < 0;
      };
    case "<=":
      return (r, es) => {
        const a = l(r, es);
        const b = rt(r, es);
        return typeof a === "bigint" && typeof b === "bigint" ? a <= b : compareValues(a, b, span) <= 0;
      };
    case ">":
      return (r, es) => {
        const a = l(r, es);
        const b = rt(r, es);
        return typeof a === "bigint" && typeof b === "bigint" ? a > b : compareValues(a, b, span) > 0;
      };
    case ">=":
      return (r, es) => {
        const a = l(r, es);
        const b = rt(r, es);
        return typeof a === "bigint" && typeof b === "bigint" ? a >= b : compareValues(a, b, span) >= 0;
      };
    default:
      return unknownOp(op);
  }
}

function unknownOp(op: never): never {
  throw new Error(`INVARIANT: unknown comparison ${String(op)}`);
}
