/**
 * Code generation: IR expression → closure. Everything that can be resolved at compile time
 * is resolved here once (constants, extension literals, builtin entries, like matchers,
 * constant sets, entity keys); at decision time only the closures run.
 *
 * INVARIANT: generated closures read nothing but the request and the entity store; they
 * throw only `EvalError` values (plus engine errors such as stack exhaustion, which the
 * decision function catches too).
 */
import type { Span } from "../lang/span.js";
import { assertNever } from "../lang/span.js";
import {
  builtinConstructor,
  builtinMethod,
  checkedAdd,
  checkedMul,
  checkedNeg,
  checkedSub,
  compileLike,
  type Entities,
} from "../stdlib/index.js";
import { EntityUID, EvalError, RecordValue, SetValue, valueEquals, type Value } from "../stdlib/value.js";
import {
  asBool,
  asEntity,
  asLong,
  asSet,
  asString,
  setContains,
  containsAll,
  containsAny,
  getTag,
  hasAttr,
  hasTag,
  hasTypeSig,
  inValue,
  locate,
  typeError,
} from "./codegen-ops.js";
import { genCompare, genGetAttr } from "./codegen-fast.js";
import { irEntityKey, type IrBinaryOp, type IrExpr } from "./ir.js";
import type { Request } from "./request.js";

/** A compiled expression. */
export type Evaluator = (req: Request, es: Entities) => Value;

/** Compile one IR expression to a closure. Throws only on a broken IR invariant. */
export function genExpr(e: IrExpr): Evaluator {
  const span = e.span;
  switch (e.kind) {
    case "bool":
    case "string": {
      const c = e.value;
      return () => c;
    }
    case "long": {
      const c = BigInt(e.value);
      return () => c;
    }
    case "entity": {
      const c = new EntityUID(e.uid.type, e.uid.id);
      return () => c;
    }
    case "var": {
      const name = e.name;
      switch (name) {
        case "principal":
          return (r) => r.principal;
        case "action":
          return (r) => r.action;
        case "resource":
          return (r) => r.resource;
        case "context":
          return (r) => r.context;
        case "lineage":
          return (r) => r.lineage ?? NO_LINEAGE;
        default:
          return assertNever(name, "variable");
      }
    }
    case "not": {
      const f = genExpr(e.operand);
      return (r, es) => !asBool(f(r, es), span);
    }
    case "neg": {
      const f = genExpr(e.operand);
      return (r, es) => {
        const v = asLong(f(r, es), span);
        try {
          return checkedNeg(v);
        } catch (err) {
          throw locate(err, span);
        }
      };
    }
    case "and": {
      const l = genExpr(e.left);
      const rt = genExpr(e.right);
      return (r, es) => asBool(l(r, es), span) && asBool(rt(r, es), span);
    }
    case "or": {
      const l = genExpr(e.left);
      const rt = genExpr(e.right);
      return (r, es) => asBool(l(r, es), span) || asBool(rt(r, es), span);
    }
    case "binary":
      return genBinary(e.op, e.left, e.right, span);
    case "in": {
      const l = genExpr(e.left);
      const rt = genExpr(e.right);
      return (r, es) => {
        const lv = l(r, es);
        const rv = rt(r, es);
        return inValue(asEntity(lv, span), rv, es, span);
      };
    }
    case "inEntities": {
      const l = genExpr(e.left);
      const keys = new Set(e.targets.map(irEntityKey));
      const list = [...keys];
      return (r, es) => {
        const lv = asEntity(l(r, es), span);
        if (keys.has(lv.key)) return true;
        const anc = es.ancestors(lv);
        if (anc.size === 0) return false;
        for (const k of list) if (anc.has(k)) return true;
        return false;
      };
    }
    case "if": {
      const c = genExpr(e.cond);
      const t = genExpr(e.then);
      const f = genExpr(e.else);
      return (r, es) => (asBool(c(r, es), span) ? t(r, es) : f(r, es));
    }
    case "has": {
      const t = genExpr(e.target);
      const a = e.attr;
      return (r, es) => hasAttr(t(r, es), a, es, span);
    }
    case "getAttr":
      return genGetAttr(e.target, e.attr, span, genExpr(e.target));
    case "like": {
      const t = genExpr(e.target);
      const m = compileLike(e.pattern);
      return (r, es) => m(asString(t(r, es), span));
    }
    case "is": {
      const t = genExpr(e.target);
      const ty = e.entityType;
      if (e.in === undefined) return (r, es) => asEntity(t(r, es), span).type === ty;
      const i = genExpr(e.in);
      return (r, es) => {
        const v = asEntity(t(r, es), span);
        return v.type === ty && inValue(v, i(r, es), es, span);
      };
    }
    case "call":
      return genCall(e.fn, e.method, e.args, span);
    case "extLit": {
      const entry = builtinConstructor(e.fn);
      if (entry === undefined) throw new Error(`INVARIANT: unknown extension constructor ${e.fn}`);
      let c: Value;
      try {
        c = (entry.impl as (s: string) => Value)(e.arg);
      } catch (err) {
        const ev = err instanceof EvalError ? err : new EvalError("W4005", `invalid argument to \`${e.fn}\``);
        return () => {
          throw new EvalError(ev.code, ev.message, span);
        };
      }
      return () => c;
    }
    case "set": {
      const fs = e.elements.map(genExpr);
      if (e.elements.every(isConstant)) {
        const c = new SetValue(fs.map((f) => f(undefined as never, undefined as never)));
        c.keyed();
        return () => c;
      }
      return (r, es) => new SetValue(fs.map((f) => f(r, es)));
    }
    case "record": {
      const keys = e.entries.map((en) => en.key);
      const fs = e.entries.map((en) => genExpr(en.value));
      return (r, es) => {
        const m = new Map<string, Value>();
        for (let i = 0; i < fs.length; i++) m.set(keys[i]!, fs[i]!(r, es));
        return new RecordValue(m);
      };
    }
    case "error": {
      const { code, message } = e;
      return () => {
        throw new EvalError(code, message, span);
      };
    }
    case "quantifier":
      return genQuantifier(e, span);
    case "boundVar": {
      const cell = boundCells.get(e.name);
      if (cell === undefined) throw new Error(`INVARIANT: unbound variable ${e.name} in IR`);
      return () => cell.value;
    }
    default:
      return assertNever(e, "IR expression");
  }
}

/** The cell holding the current value of a quantifier's variable while its body runs. */
interface BoundCell {
  value: Value;
}

/**
 * Variables in scope while generating code (compile time only): a quantifier body's
 * closures read the cell of the nearest enclosing quantifier binding that name.
 * NOTE: closures are never re-entered while a quantifier runs (evaluation is synchronous
 * and a closure never contains itself), so one cell per quantifier is enough.
 */
let boundCells = new Map<string, BoundCell>();

/**
 * `s.any(x, body)` / `s.all(x, body)`. The body runs for every element, in the order of
 * the elements' value keys, and any error fails the whole quantifier (the first error in
 * that order), so the result never depends on how the set was built.
 */
function genQuantifier(e: Extract<IrExpr, { kind: "quantifier" }>, span: Span | undefined): Evaluator {
  const target = genExpr(e.target);
  const cell: BoundCell = { value: false };
  const saved = boundCells;
  boundCells = new Map(saved);
  boundCells.set(e.variable, cell);
  let body: Evaluator;
  try {
    body = genExpr(e.body);
  } finally {
    boundCells = saved;
  }
  const isAny = e.quantifier === "any";
  return (r, es) => {
    const s = asSet(target(r, es), span);
    const keyed = [...s.keyed().entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    let found = false;
    for (const [, v] of keyed) {
      cell.value = v;
      const b = asBool(body(r, es), e.body.span ?? span);
      if (b === isAny) found = true;
    }
    return isAny ? found : !found;
  };
}

/** `lineage` when the request carries none: depth 0, no parent or root, no ancestors. */
const NO_LINEAGE = new RecordValue(new Map<string, Value>([["depth", 0n], ["ancestors", new SetValue([])]]));

/** Nodes whose value is known at compile time and never error. */
function isConstant(e: IrExpr): boolean {
  switch (e.kind) {
    case "bool":
    case "long":
    case "string":
    case "entity":
      return true;
    case "set":
      return e.elements.every(isConstant);
    default:
      return false;
  }
}

function genBinary(op: IrBinaryOp, left: IrExpr, right: IrExpr, span: Span | undefined): Evaluator {
  const l = genExpr(left);
  const rt = genExpr(right);
  switch (op) {
    case "==":
    case "!=": {
      const neg = op === "!=";
      const cr = constantPrimitive(right);
      const cl = constantPrimitive(left);
      const lit = cr ?? cl;
      const other = cr !== undefined ? l : rt;
      if (lit !== undefined && (cr === undefined) !== (cl === undefined)) {
        if (lit instanceof EntityUID) {
          const k = lit.key;
          // Still evaluate the other side first for its errors, then compare keys.
          return neg
            ? (r, es) => {
                const v = other(r, es);
                return !(v instanceof EntityUID && v.key === k);
              }
            : (r, es) => {
                const v = other(r, es);
                return v instanceof EntityUID && v.key === k;
              };
        }
        return neg ? (r, es) => other(r, es) !== lit : (r, es) => other(r, es) === lit;
      }
      return neg ? (r, es) => !equalValues(l(r, es), rt(r, es)) : (r, es) => equalValues(l(r, es), rt(r, es));
    }
    case "<":
    case "<=":
    case ">":
    case ">=":
      return genCompare(op, left, right, l, rt, span);
    case "+":
    case "-":
    case "*": {
      const fn = op === "+" ? checkedAdd : op === "-" ? checkedSub : checkedMul;
      return (r, es) => {
        const a = l(r, es);
        const b = rt(r, es);
        const x = asLong(a, span);
        const y = asLong(b, span);
        try {
          return fn(x, y);
        } catch (err) {
          throw locate(err, span);
        }
      };
    }
    default:
      return assertNever(op, "binary operator");
  }
}

/** `valueEquals` with the common entity-vs-entity case inlined. */
function equalValues(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a instanceof EntityUID) return b instanceof EntityUID && a.key === b.key;
  return valueEquals(a, b);
}

/** The compile-time value of a primitive literal (bool, long, string, entity), else undefined. */
function constantPrimitive(e: IrExpr): boolean | bigint | string | EntityUID | undefined {
  switch (e.kind) {
    case "bool":
    case "string":
      return e.value;
    case "long":
      return BigInt(e.value);
    case "entity":
      return new EntityUID(e.uid.type, e.uid.id);
    default:
      return undefined;
  }
}

function genCall(fn: string, method: boolean, args: readonly IrExpr[], span: Span | undefined): Evaluator {
  const fs = args.map(genExpr);
  const [f0, f1] = fs;
  if (method && f0 !== undefined) {
    switch (fn) {
      case "contains": {
        const a = f1!;
        return (r, es) => {
          const s = asSet(f0(r, es), span);
          return setContains(s, a(r, es));
        };
      }
      case "containsAll":
        return (r, es) => {
          const s = f0(r, es);
          return containsAll(s, f1!(r, es), span);
        };
      case "containsAny":
        return (r, es) => {
          const s = f0(r, es);
          return containsAny(s, f1!(r, es), span);
        };
      case "isEmpty":
        return (r, es) => asSet(f0(r, es), span).size === 0;
      case "hasTag":
        return (r, es) => {
          const t = f0(r, es);
          return hasTag(t, f1!(r, es), es, span);
        };
      case "getTag":
        return (r, es) => {
          const t = f0(r, es);
          return getTag(t, f1!(r, es), es, span);
        };
      default:
        break;
    }
  }
  const entry = method ? builtinMethod(fn) : builtinConstructor(fn);
  if (entry === undefined) throw new Error(`INVARIANT: unknown builtin ${fn}`);
  const sigs: readonly string[] = method ? [entry.receiver ?? "Any", ...entry.params] : [...entry.params];
  const withStore = entry.context === "entities";
  const impl = entry.impl as (...a: unknown[]) => Value;
  const fail = (err: unknown): unknown => (err instanceof EvalError ? locate(err, span) : new EvalError("W4005", `error in \`${fn}\``, span));
  if (!withStore && fs.length === 1) {
    const s0 = sigs[0] ?? "Any";
    return (r, es) => {
      const a = f0!(r, es);
      if (!hasTypeSig(a, s0)) throw typeError(s0, a, span);
      try {
        return impl(a);
      } catch (err) {
        throw fail(err);
      }
    };
  }
  if (!withStore && fs.length === 2) {
    const s0 = sigs[0] ?? "Any";
    const s1 = sigs[1] ?? "Any";
    return (r, es) => {
      const a = f0!(r, es);
      const b = f1!(r, es);
      if (!hasTypeSig(a, s0)) throw typeError(s0, a, span);
      if (!hasTypeSig(b, s1)) throw typeError(s1, b, span);
      try {
        return impl(a, b);
      } catch (err) {
        throw fail(err);
      }
    };
  }
  return (r, es) => {
    const vals: Value[] = new Array<Value>(fs.length);
    for (let i = 0; i < fs.length; i++) vals[i] = fs[i]!(r, es);
    for (let i = 0; i < vals.length; i++) {
      const sig = sigs[i] ?? "Any";
      if (!hasTypeSig(vals[i]!, sig)) throw typeError(sig, vals[i]!, span);
    }
    try {
      return withStore ? impl(es, ...vals) : impl(...vals);
    } catch (err) {
      throw fail(err);
    }
  };
}
