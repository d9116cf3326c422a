/**
 * The policy IR: what the code generator consumes and what bundles will store.
 *
 * Properties:
 * - JSON-serializable: plain objects, arrays, strings, numbers, booleans. No bigint (Long
 *   literals are decimal strings), no class instances, no `undefined` values in arrays.
 * - Names fully resolved: entity types are qualified strings, builtins are named by their
 *   `stdlib` table entry, `.attr` and `["attr"]` are one node kind (`getAttr`).
 * - Enough to evaluate without the AST: the scope is kept as a typed scope per variable.
 *
 * NOTE: spans. Every expression node and every policy may carry an optional `span` field
 * (offsets into the policy source). The hasher MUST drop every `span` field before hashing:
 * use `stripSpans`. Spans are used only to locate evaluation errors.
 */
import type { Span } from "../lang/span.js";
import { uidKey } from "../stdlib/value.js";

/** Version of the IR format; bump on any incompatible change. */
export const IR_VERSION = 1;

/** A resolved entity uid literal. */
export interface IrEntity {
  readonly type: string;
  readonly id: string;
}

/** One element of a pre-compiled `like` pattern: literal text or the `*` wildcard. */
export type IrPatternElem = { readonly kind: "literal"; readonly text: string } | { readonly kind: "wildcard" };

/** Comparison and arithmetic operators kept as binary nodes. */
export type IrBinaryOp = "==" | "!=" | "<" | "<=" | ">" | ">=" | "+" | "-" | "*";

/** A record literal entry. */
export interface IrRecordEntry {
  readonly key: string;
  readonly value: IrExpr;
}

/** IR expressions. */
export type IrExpr =
  | { readonly kind: "bool"; readonly value: boolean; readonly span?: Span }
  /** A Long literal as a decimal string (within i64). */
  | { readonly kind: "long"; readonly value: string; readonly span?: Span }
  | { readonly kind: "string"; readonly value: string; readonly span?: Span }
  | { readonly kind: "entity"; readonly uid: IrEntity; readonly span?: Span }
  | { readonly kind: "var"; readonly name: "principal" | "action" | "resource" | "context" | "lineage"; readonly span?: Span }
  | { readonly kind: "not"; readonly operand: IrExpr; readonly span?: Span }
  | { readonly kind: "neg"; readonly operand: IrExpr; readonly span?: Span }
  | { readonly kind: "and"; readonly left: IrExpr; readonly right: IrExpr; readonly span?: Span }
  | { readonly kind: "or"; readonly left: IrExpr; readonly right: IrExpr; readonly span?: Span }
  | { readonly kind: "binary"; readonly op: IrBinaryOp; readonly left: IrExpr; readonly right: IrExpr; readonly span?: Span }
  /** `left in right` with an arbitrary right side (entity or set of entities at runtime). */
  | { readonly kind: "in"; readonly left: IrExpr; readonly right: IrExpr; readonly span?: Span }
  /** `left in [E1, E2, …]` with a constant set of entity literals (pre-indexed). */
  | { readonly kind: "inEntities"; readonly left: IrExpr; readonly targets: readonly IrEntity[]; readonly span?: Span }
  | { readonly kind: "if"; readonly cond: IrExpr; readonly then: IrExpr; readonly else: IrExpr; readonly span?: Span }
  /** `target has attr` (one level; nested `has a.b` is lowered to a conjunction). */
  | { readonly kind: "has"; readonly target: IrExpr; readonly attr: string; readonly span?: Span }
  | { readonly kind: "getAttr"; readonly target: IrExpr; readonly attr: string; readonly span?: Span }
  | { readonly kind: "like"; readonly target: IrExpr; readonly pattern: readonly IrPatternElem[]; readonly span?: Span }
  /** `target is T` or `target is T in in`. */
  | { readonly kind: "is"; readonly target: IrExpr; readonly entityType: string; readonly in?: IrExpr; readonly span?: Span }
  /** A builtin call (method or function); `args[0]` is the receiver for methods. `fn` is the builtin table name. */
  | { readonly kind: "call"; readonly fn: string; readonly method: boolean; readonly args: readonly IrExpr[]; readonly span?: Span }
  /** An extension constructor applied to a string literal, checked valid at compile time. */
  | { readonly kind: "extLit"; readonly fn: string; readonly arg: string; readonly span?: Span }
  | { readonly kind: "set"; readonly elements: readonly IrExpr[]; readonly span?: Span }
  | { readonly kind: "record"; readonly entries: readonly IrRecordEntry[]; readonly span?: Span }
  /** Writ extension: `target.any(variable, body)` / `target.all(variable, body)` over a set. */
  | { readonly kind: "quantifier"; readonly quantifier: "any" | "all"; readonly target: IrExpr; readonly variable: string; readonly body: IrExpr; readonly span?: Span }
  /** Writ extension: the variable bound by the nearest enclosing quantifier with this name. */
  | { readonly kind: "boundVar"; readonly name: string; readonly span?: Span }
  /** Always fails at evaluation with this error (e.g. an invalid extension literal, a slot in a condition). */
  | { readonly kind: "error"; readonly code: IrErrorCode; readonly message: string; readonly span?: Span };

/** Evaluation error codes an `error` node may carry. */
export type IrErrorCode = "W4002" | "W4005";

/** The `kind` of every IR expression. */
export type IrExprKind = IrExpr["kind"];

/**
 * A typed scope constraint for one request variable.
 * INVARIANT: never a slot. A policy with a slot is an {@link IrTemplate}, which the decision
 * function does not accept: an unlinked template cannot be evaluated.
 */
export type IrScope =
  | { readonly kind: "any" }
  | { readonly kind: "eq"; readonly entity: IrEntity }
  /** Hierarchical membership in any of `entities` (`in E` has one element; `action in [A, B]` several). */
  | { readonly kind: "in"; readonly entities: readonly IrEntity[] }
  /** `is T` optionally followed by `in E`. */
  | { readonly kind: "is"; readonly entityType: string; readonly in?: IrEntity };

/** A template slot in a principal or resource scope: `== ?s`, `in ?s` or `is T in ?s`. */
export interface IrSlotScope {
  readonly kind: "slot";
  readonly slot: "principal" | "resource";
  readonly op: "eq" | "in" | "is";
  /** The type of `is T in ?s` (op "is" only). */
  readonly entityType?: string;
}

/** The scope of a template's principal or resource: a constraint or a slot. */
export type IrTemplateScope = IrScope | IrSlotScope;

/** A slot as Cedar names it in links and JSON: `?principal` or `?resource`. */
export type SlotId = "?principal" | "?resource";

/** The entity uid given to each slot of a template by one link. */
export type IrSlotValues = { readonly [S in SlotId]?: IrEntity };

/** A `when` / `unless` clause. */
export interface IrCondition {
  readonly polarity: "when" | "unless";
  readonly body: IrExpr;
}

/** An annotation; `value` is `null` for a bare `@name`. */
export interface IrAnnotation {
  readonly name: string;
  readonly value: string | null;
}

/** What policies and templates have in common. */
interface IrPolicyParts<S> {
  /** `@id` annotation value, else `policyN` by position in the file (templates share the count with policies). */
  readonly name: string;
  readonly effect: "permit" | "forbid";
  readonly annotations: readonly IrAnnotation[];
  readonly principal: S;
  readonly action: IrScope;
  readonly resource: S;
  readonly conditions: readonly IrCondition[];
  /** Writ extension: obligation key/value expressions (permit only), in source order. */
  readonly obligations?: readonly IrRecordEntry[];
  readonly span?: Span;
}

/** One lowered policy (static, or made from a template by a link). */
export interface IrPolicy extends IrPolicyParts<IrScope> {
  readonly kind: "policy";
}

/**
 * One lowered template: a policy whose principal and/or resource scope is a slot. It never
 * decides anything itself; each link makes an {@link IrPolicy} from it (`compiler/link.ts`).
 */
export interface IrTemplate extends IrPolicyParts<IrTemplateScope> {
  readonly kind: "template";
}

/** One template link: the policy `name` is the template `template` with its slots filled by `values`. */
export interface IrLink {
  readonly name: string;
  readonly template: string;
  readonly values: IrSlotValues;
}

/**
 * A lowered policy set. `policies` holds the static policies in source order, then one
 * linked policy per link (in link order); `templates` and `links` are what they came from.
 */
export interface IrPolicySet {
  readonly kind: "policySet";
  readonly version: number;
  readonly policies: readonly IrPolicy[];
  readonly templates?: readonly IrTemplate[];
  readonly links?: readonly IrLink[];
}

/**
 * A deep copy of any IR value with every `span` field removed: the form to hash.
 * INVARIANT: the result contains only JSON data.
 */
export function stripSpans<T>(ir: T): T {
  return strip(ir) as T;
}

function strip(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(strip);
  if (x !== null && typeof x === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) {
      if (k === "span" || v === undefined) continue;
      out[k] = strip(v);
    }
    return out;
  }
  return x;
}

/** The key of an entity uid literal, equal to `EntityUID.key` of the same uid. */
export function irEntityKey(e: IrEntity): string {
  return uidKey(e.type, e.id);
}
