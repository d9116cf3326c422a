/**
 * The policy AST: readonly interfaces joined by a string `kind`, every node with a span.
 *
 * INVARIANT: the AST is never mutated after parsing; later stages keep side tables.
 * Parentheses are not represented: the printer re-inserts the minimal ones by precedence.
 */
import { assertNever, type Span } from "./span.js";

/**
 * Most attributes in one `has` path (`e has a.b.c` has three). The IR spells a path of n
 * attributes as n tests on n prefixes (`e has a && e.a has b && e.a.b has c`), about n²/2
 * nodes, so the bound keeps lowered policies (and their ids and bundles) linear in the source.
 */
export const MAX_HAS_PATH = 16;

/** A possibly-qualified name: `Photo`, `PhotoApp::Photo`. `path` has at least one element. */
export interface Name {
  readonly kind: "name";
  readonly path: readonly string[];
  readonly span: Span;
}

/** An entity reference literal: `PhotoApp::User::"alice"` (id is the decoded string). */
export interface EntityRef {
  readonly kind: "entityRef";
  readonly type: Name;
  readonly id: string;
  readonly span: Span;
}

/** A template slot `?principal` or `?resource`. */
export interface SlotRef {
  readonly kind: "slot";
  readonly slot: "principal" | "resource";
  readonly span: Span;
}

/** A `// ...` comment; `text` includes the leading `//`. */
export interface Comment {
  readonly kind: "comment";
  readonly text: string;
  readonly span: Span;
}

/** `@name("value")` or `@name` (value undefined). */
export interface Annotation {
  readonly kind: "annotation";
  readonly name: string;
  readonly value: string | undefined;
  readonly span: Span;
}

/** The constraint on one scope variable in a policy head. */
export type ScopeConstraint =
  | { readonly kind: "any" }
  | { readonly kind: "eq"; readonly target: EntityRef | SlotRef }
  | { readonly kind: "in"; readonly target: EntityRef | SlotRef }
  /** `action in [A, B]` (only for action). */
  | { readonly kind: "inList"; readonly targets: readonly EntityRef[] }
  /** `principal is T` or `principal is T in E` (not for action). */
  | { readonly kind: "is"; readonly entityType: Name; readonly in: EntityRef | SlotRef | undefined };

/** One scope element of the policy head, e.g. `principal in Group::"a"`. */
export interface Scope {
  readonly kind: "scope";
  readonly variable: "principal" | "action" | "resource";
  readonly constraint: ScopeConstraint;
  readonly span: Span;
}

/** A `when { … }` or `unless { … }` clause. */
export interface Condition {
  readonly kind: "condition";
  readonly polarity: "when" | "unless";
  readonly body: Expr;
  readonly span: Span;
}

/** One policy: annotations, effect, head (scope) and conditions. */
export interface Policy {
  readonly kind: "policy";
  readonly annotations: readonly Annotation[];
  readonly effect: "permit" | "forbid";
  readonly principal: Scope;
  readonly action: Scope;
  readonly resource: Scope;
  readonly conditions: readonly Condition[];
  /** Writ extension: the `obligations { key: value, … }` clause after the conditions (permit only). */
  readonly obligations?: readonly RecordEntry[];
  /** Span of the whole `obligations { … }` clause, present with `obligations`. */
  readonly obligationsSpan?: Span;
  readonly span: Span;
}

/**
 * A template link: the policy named `name` made from the template named `template` by
 * filling its slots with entity uids. Links come from links files and JSON policy sets
 * (`templateLinks`), never from policy text.
 */
export interface LinkDecl {
  readonly kind: "link";
  readonly name: string;
  readonly template: string;
  /** The value of each slot the template uses (`?principal`, `?resource`). */
  readonly values: { readonly principal?: EntityRef; readonly resource?: EntityRef };
  readonly span: Span;
}

/** A parsed policy file. `comments` holds every comment of the file in source order. */
export interface PolicySet {
  readonly kind: "policySet";
  /** Static policies and templates (a policy whose scope uses a slot), in source order. */
  readonly policies: readonly Policy[];
  readonly comments: readonly Comment[];
  /** Template links applied to this set (absent for policy text). */
  readonly links?: readonly LinkDecl[];
  readonly span: Span;
}

/** Binary operators, loosest first: `||`, `&&`, relations, `+ -`, `*`. */
export type BinaryOp = "||" | "&&" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "+" | "-" | "*";

/** One element of a `like` pattern: literal text or the `*` wildcard. */
export type PatternElem =
  | { readonly kind: "literal"; readonly text: string }
  | { readonly kind: "wildcard" };

/** A record literal entry; `quoted` remembers `"key": v` vs `key: v` for the printer. */
export interface RecordEntry {
  readonly kind: "recordEntry";
  readonly key: string;
  readonly quoted: boolean;
  readonly value: Expr;
  readonly span: Span;
}

/** Expressions. */
export type Expr =
  | { readonly kind: "bool"; readonly value: boolean; readonly span: Span }
  /** 64-bit signed integer literal (a negated literal is folded in: `-5` is one node). */
  | { readonly kind: "long"; readonly value: bigint; readonly span: Span }
  | { readonly kind: "string"; readonly value: string; readonly span: Span }
  | { readonly kind: "entity"; readonly ref: EntityRef; readonly span: Span }
  | { readonly kind: "var"; readonly name: VarName; readonly span: Span }
  | { readonly kind: "slotExpr"; readonly slot: SlotRef; readonly span: Span }
  /** `!e`, `-e` (repeated prefixes nest). */
  | { readonly kind: "unary"; readonly op: "!" | "-"; readonly operand: Expr; readonly span: Span }
  | { readonly kind: "binary"; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr; readonly span: Span }
  | { readonly kind: "if"; readonly cond: Expr; readonly then: Expr; readonly else: Expr; readonly span: Span }
  /** `e has a` or `e has a.b.c` (Cedar 4 nested has); `path` non-empty (at most {@link MAX_HAS_PATH}), `quoted` per element. */
  | { readonly kind: "has"; readonly target: Expr; readonly path: readonly string[]; readonly quoted: readonly boolean[]; readonly span: Span }
  | { readonly kind: "like"; readonly target: Expr; readonly pattern: readonly PatternElem[]; readonly span: Span }
  | { readonly kind: "is"; readonly target: Expr; readonly entityType: Name; readonly in: Expr | undefined; readonly span: Span }
  /** `e.attr` (syntax "dot") or `e["attr"]` (syntax "index"). */
  | { readonly kind: "getAttr"; readonly target: Expr; readonly attr: string; readonly syntax: "dot" | "index"; readonly span: Span }
  /** `e.name(args)`: contains, containsAll, lessThan, isIpv4, getTag, … */
  | { readonly kind: "method"; readonly target: Expr; readonly name: string; readonly args: readonly Expr[]; readonly span: Span }
  /** `name(args)`: extension constructors `ip(…)`, `decimal(…)`, `datetime(…)`, `duration(…)`; `fn` may be qualified. */
  | { readonly kind: "call"; readonly fn: Name; readonly args: readonly Expr[]; readonly span: Span }
  | { readonly kind: "set"; readonly elements: readonly Expr[]; readonly span: Span }
  | { readonly kind: "record"; readonly entries: readonly RecordEntry[]; readonly span: Span }
  /** Writ extension: `target.any(variable, body)` / `target.all(variable, body)` over a set. */
  | { readonly kind: "quantifier"; readonly quantifier: "any" | "all"; readonly target: Expr; readonly variable: string; readonly body: Expr; readonly span: Span }
  /** Writ extension: a reference to the variable bound by an enclosing quantifier. */
  | { readonly kind: "boundVar"; readonly name: string; readonly span: Span };

/** The built-in variables; `lineage` is a Writ extension (rejected in cedar semantics). */
export type VarName = "principal" | "action" | "resource" | "context" | "lineage";

/** The `kind` of every expression node. */
export type ExprKind = Expr["kind"];

/** The direct sub-expressions of `e`, in source order. */
export function exprChildren(e: Expr): readonly Expr[] {
  switch (e.kind) {
    case "bool":
    case "long":
    case "string":
    case "entity":
    case "var":
    case "slotExpr":
      return [];
    case "unary":
      return [e.operand];
    case "binary":
      return [e.left, e.right];
    case "if":
      return [e.cond, e.then, e.else];
    case "has":
    case "like":
    case "getAttr":
      return [e.target];
    case "is":
      return e.in === undefined ? [e.target] : [e.target, e.in];
    case "method":
      return [e.target, ...e.args];
    case "call":
      return e.args;
    case "set":
      return e.elements;
    case "record":
      return e.entries.map((x) => x.value);
    case "quantifier":
      return [e.target, e.body];
    case "boundVar":
      return [];
    default:
      return assertNever(e, "expression");
  }
}
