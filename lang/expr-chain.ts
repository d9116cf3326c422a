/**
 * Operator precedence for the flat operator chains of `expr-parser.ts`.
 *
 * The grammar reads `a op b op c …` (binary operators, plus the postfix relations `has`,
 * `like` and `is T`) as one flat list, which keeps the parser's recursion per nesting level
 * small; this module folds the list into a tree by Cedar's precedence, loosest first:
 * `||`, `&&`, relations (`== != < <= > >= in`, `has`, `like`, `is … [in …]`), `+ -`, `*`.
 * All binary operators are left-associative; relations do not chain (reported, W1001).
 */
import type { IToken } from "chevrotain";
import type { BinaryOp, Expr, Name, PatternElem } from "./ast.js";
import { diag, type Diagnostic } from "./diagnostics.js";
import type { Span } from "./span.js";

/** One element after the first operand of a chain. */
export type ChainItem =
  | { readonly kind: "binary"; readonly op: BinaryOp; readonly token: IToken; readonly right: Expr }
  /** `is T in e`: a relation whose right operand is `e` (then `+ - *` may extend `e`). */
  | { readonly kind: "isIn"; readonly token: IToken; readonly entityType: Name; readonly right: Expr }
  | { readonly kind: "has"; readonly token: IToken; readonly path: readonly string[]; readonly quoted: readonly boolean[]; readonly end: number }
  | { readonly kind: "like"; readonly token: IToken; readonly pattern: readonly PatternElem[]; readonly end: number }
  | { readonly kind: "is"; readonly token: IToken; readonly entityType: Name; readonly end: number };

const RELATION = 3;

function precOf(item: ChainItem): number {
  if (item.kind !== "binary") return RELATION;
  switch (item.op) {
    case "||":
      return 1;
    case "&&":
      return 2;
    case "+":
    case "-":
      return 4;
    case "*":
      return 5;
    default:
      return RELATION;
  }
}

function tokSpan(t: IToken): Span {
  return { start: t.startOffset, end: (t.endOffset ?? t.startOffset + t.image.length - 1) + 1 };
}

/**
 * Report relations that Cedar's grammar does not allow: two relations in one `&&`/`||`
 * operand (`1 < 2 < 3`, `a in b has c`), or an arithmetic operator after a postfix
 * relation (`a has b + 1`).
 */
export function checkChain(items: readonly ChainItem[], out: Diagnostic[]): void {
  let relation: ChainItem | undefined;
  let postfix = false;
  for (const item of items) {
    const p = precOf(item);
    if (p < RELATION) {
      relation = undefined;
      postfix = false;
      continue;
    }
    if (postfix || (p === RELATION && relation !== undefined)) {
      const what = p === RELATION ? "relational operators (==, <, in, has, like, is, …) cannot be chained" : `\`${item.token.image}\` cannot follow \`${relation?.token.image ?? ""}\` without parentheses`;
      out.push(diag("W1001", `unexpected \`${item.token.image}\`: ${what}`, tokSpan(item.token), "add parentheses to make the order explicit"));
      return;
    }
    if (p === RELATION) {
      relation = item;
      postfix = item.kind === "has" || item.kind === "like" || item.kind === "is";
    }
  }
}

function join(a: Span, b: Span): Span {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

/** Fold `first item…` into one expression tree by precedence (left-associative). */
export function foldChain(first: Expr, items: readonly ChainItem[]): Expr {
  if (items.length === 0) return first;
  const operands: Expr[] = [first];
  const ops: ChainItem[] = [];
  const reduce = (): void => {
    const op = ops.pop()!;
    const right = operands.pop()!;
    const left = operands.pop()!;
    const span = join(left.span, right.span);
    if (op.kind === "isIn") operands.push({ kind: "is", target: left, entityType: op.entityType, in: right, span });
    else if (op.kind === "binary") operands.push({ kind: "binary", op: op.op, left, right, span });
    else throw new Error(`INVARIANT: postfix ${op.kind} on the operator stack`);
  };
  for (const item of items) {
    const p = precOf(item);
    if (item.kind === "binary" || item.kind === "isIn") {
      while (ops.length > 0 && precOf(ops[ops.length - 1]!) >= p) reduce();
      ops.push(item);
      operands.push(item.right);
      continue;
    }
    while (ops.length > 0 && precOf(ops[ops.length - 1]!) > RELATION) reduce();
    const target = operands.pop()!;
    const span: Span = { start: target.span.start, end: item.end };
    switch (item.kind) {
      case "has":
        operands.push({ kind: "has", target, path: item.path, quoted: item.quoted, span });
        break;
      case "like":
        operands.push({ kind: "like", target, pattern: item.pattern, span });
        break;
      case "is":
        operands.push({ kind: "is", target, entityType: item.entityType, in: undefined, span });
        break;
    }
  }
  while (ops.length > 0) reduce();
  return operands[0]!;
}
