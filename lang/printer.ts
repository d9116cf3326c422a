/**
 * The canonical policy printer behind `writ fmt`.
 *
 * Layout follows `cedar format`: annotations on their own lines, the scope on one
 * line when unconstrained and one element per line otherwise, `when { … }` on one
 * line when it fits in 80 columns, minimal parentheses by Cedar precedence, and a
 * blank line between policies. Every comment is kept (see `CommentMap`).
 *
 * Deliberate exception to minimal parentheses: an `&&` chain inside `||` keeps its
 * parentheses, as `cedar format` output does.
 *
 * INVARIANTS: `formatPolicies` is idempotent, and parsing its output gives the same
 * AST up to spans, with the same comments in the same order. Layout uses a small
 * Wadler-style document algebra (`layout.ts`), shared with the schema printer.
 */
import { exprChildren, type Annotation, type Comment, type Condition, type EntityRef, type Expr, type Name, type PatternElem, type Policy, type PolicySet, type RecordEntry, type Scope, type SlotRef } from "./ast.js";
import { assertNever, firstEndingAfter, type Span } from "./span.js";
import { align, breakParent, group, hardline, hasForcedBreak, join, line, lineSuffix, nest, renderDoc, softline, type Doc } from "./layout.js";

// ---------------------------------------------------------------------------
// Literals
// ---------------------------------------------------------------------------

/** Escape `s` as the body of a Cedar string literal (`inPattern`: also `*` → `\*`). */
export function escapeString(s: string, inPattern = false): string {
  let out = "";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '"': out += '\\"'; break;
      case "\\": out += "\\\\"; break;
      case "\n": out += "\\n"; break;
      case "\r": out += "\\r"; break;
      case "\t": out += "\\t"; break;
      case "\0": out += "\\0"; break;
      case "*": out += inPattern ? "\\*" : "*"; break;
      default:
        out += c < 0x20 || c === 0x7f ? `\\u{${c.toString(16)}}` : ch;
    }
  }
  return out;
}

/** `"…"` with Cedar escapes. */
export function quoteString(s: string): string {
  return `"${escapeString(s)}"`;
}

/** A `like` pattern literal, `*` for wildcards and `\*` for literal stars. */
export function printPattern(pattern: readonly PatternElem[]): string {
  let out = '"';
  for (const el of pattern) {
    switch (el.kind) {
      case "literal": out += escapeString(el.text, true); break;
      case "wildcard": out += "*"; break;
      default: assertNever(el, "pattern element");
    }
  }
  return out + '"';
}

/** A possibly-qualified name as written: `A::B`. */
export function printName(n: Name): string {
  return n.path.join("::");
}

function printEntityRef(r: EntityRef): string {
  return `${printName(r.type)}::${quoteString(r.id)}`;
}

function printTarget(t: EntityRef | SlotRef): string {
  return t.kind === "slot" ? `?${t.slot}` : printEntityRef(t);
}

const IDENT = /^[_a-zA-Z][_a-zA-Z0-9]*$/;

/** True when `s` can be written as a bare identifier. */
export function isIdent(s: string): boolean {
  return IDENT.test(s);
}

// ---------------------------------------------------------------------------
// Comment attachment
// ---------------------------------------------------------------------------

type Node = Expr | RecordEntry | Scope | Condition | Annotation | Policy;

interface Attached {
  readonly leading: Comment[];
  readonly trailing: Comment[];
}

/**
 * Where each comment of a policy goes (decided by `place`, printed by the printers):
 * - a comment on the same line right after an element, separated from it only by the
 *   separator the printer puts there (`,`, an operator, `then`/`else`), stays at the
 *   end of that element's line (trailing);
 * - a comment after the last element of a bracketed list or of a `when { … }` body
 *   is trailing too (the closing bracket goes on the next line);
 * - any other comment is printed on its own line before the next element (leading).
 * INVARIANT: the placement of a comment in the output is the placement a reparse of
 * the output computes, which makes formatting idempotent. Hence a leading comment of
 * an expression's first operand is lifted to the expression itself, and only one
 * trailing comment stays on a line (later ones lead the next element).
 */
class CommentMap {
  private readonly map = new Map<Node, Attached>();
  private readonly triviaEnds = new Map<number, number>();
  constructor(readonly source: string) {}
  /** {@link skipTrivia} from `from`, remembered (asked once per comment of a policy, with the same `from`). */
  triviaEnd(from: number): number {
    const end = this.triviaEnds.get(from) ?? skipTrivia(this.source, from);
    this.triviaEnds.set(from, end);
    return end;
  }
  get(n: Node): Attached | undefined {
    return this.map.get(n);
  }
  private at(n: Node): Attached {
    let a = this.map.get(n);
    if (a === undefined) {
      a = { leading: [], trailing: [] };
      this.map.set(n, a);
    }
    return a;
  }
  leading(n: Node, c: Comment): void {
    this.at(n).leading.push(c);
  }
  trailing(n: Node, c: Comment): void {
    this.at(n).trailing.push(c);
  }
}

function childrenOf(n: Node): readonly Node[] {
  switch (n.kind) {
    case "policy":
      return [...n.annotations, n.principal, n.action, n.resource, ...n.conditions, ...(n.obligations ?? [])];
    case "annotation":
    case "scope":
      return [];
    case "condition":
      return [n.body];
    case "recordEntry":
      return [n.value];
    case "record":
      return n.entries;
    default:
      return exprChildren(n);
  }
}

/** The child printed first, with nothing before it (its leading comments lift to the parent). */
function headOf(n: Node): Node | undefined {
  switch (n.kind) {
    case "binary": return n.left;
    case "has": case "like": case "is": case "getAttr": case "method": case "quantifier": return n.target;
    default: return undefined;
  }
}

/** Nodes whose last child is followed by a closing bracket on its own line when broken. */
function hasCloser(n: Node): boolean {
  switch (n.kind) {
    case "set": case "record": case "call": case "condition": case "quantifier": return true;
    case "method": return n.args.length > 0;
    default: return false;
  }
}

/**
 * Whether a comment on the same line right after child `i` of `n` may stay there:
 * only where the printer puts a line break after that child (list elements, a
 * left operand, an `if` condition or branch, policy elements).
 */
function trailingAllowed(n: Node, i: number): boolean {
  switch (n.kind) {
    case "set": case "record": case "call": case "policy": return true;
    case "method": case "quantifier": return i >= 1;
    case "binary": return i === 0;
    case "if": return i <= 1;
    default: return false;
  }
}

/**
 * `c` trails child `i` of `n`. Only one trailing comment stays on a line: a further
 * one goes before the next child, where a reparse of the output would put it (the
 * resource scope keeps them all: they are printed before the head's `)`).
 */
function trailingOrNext(n: Node, ch: readonly Node[], i: number, c: Comment, cm: CommentMap): void {
  const k = ch[i]!;
  const next = ch[i + 1];
  if (k.kind === "condition" && next === undefined) {
    // After the last condition: inside its braces (a `;` follows on that line).
    cm.trailing(k.body, c);
    return;
  }
  const taken = (cm.get(k)?.trailing.length ?? 0) > 0;
  if (taken && next !== undefined && !(n.kind === "policy" && k === n.resource)) cm.leading(next, c);
  else cm.trailing(k, c);
}

/** True when `gap` (between a child and a comment) is on one line and holds only the separator `n` prints there. */
function onlySeparator(n: Node, gap: string): boolean {
  if (/[\n\r]/.test(gap)) return false;
  const rest = gap.replace(/[\s,)]/g, "");
  if (rest === "") return true;
  return (n.kind === "binary" && rest === n.op) || (n.kind === "if" && (rest === "then" || rest === "else"));
}

function contains(outer: Span, inner: Span): boolean {
  return inner.start >= outer.start && inner.end <= outer.end;
}

type Placed = "done" | "leadingSelf" | "after";

/** True when `source[from, to)` holds only whitespace, `(` and comments (scanning only that run, not the whole range). */
function onlyOpeners(source: string, from: number, to: number): boolean {
  const re = /(?:[\s(]|\/\/[^\n\r]*)*/y;
  re.lastIndex = from;
  return from + (re.exec(source)?.[0].length ?? 0) >= to;
}

function place(n: Node, c: Comment, cm: CommentMap): Placed {
  const ch = childrenOf(n);
  let next: Node | undefined;
  const first = firstEndingAfter(ch, c.span.start); // children are in source order: bisect
  let after = first - 1;
  let fromInside = false;
  for (let i = first; i < ch.length; i++) {
    const k = ch[i]!;
    if (contains(k.span, c.span)) {
      // Only `(` before the comment inside `k`: the comment precedes k's content.
      if (onlyOpeners(cm.source, k.span.start, c.span.start)) {
        next = k;
        break;
      }
      const r = place(k, c, cm);
      if (r === "done") return r;
      if (r === "leadingSelf") next = k;
      else if (trailingAllowed(n, i)) {
        // Keeps source order with later same-line comments after `k`.
        trailingOrNext(n, ch, i, c, cm);
        return "done";
      } else {
        after = i;
        fromInside = true;
        next = ch[i + 1];
      }
      break;
    }
    if (k.span.start >= c.span.end) {
      next = k;
      break;
    }
    after = i;
  }
  const prev = ch[after];
  if (prev !== undefined && !fromInside && trailingAllowed(n, after) && onlySeparator(n, cm.source.slice(prev.span.end, c.span.start))) {
    trailingOrNext(n, ch, after, c, cm);
    return "done";
  }
  if (next !== undefined) {
    if (next === headOf(n)) return "leadingSelf";
    cm.leading(next, c);
    return "done";
  }
  if (after >= 0 && hasCloser(n)) {
    cm.trailing(ch[after]!, c);
    return "done";
  }
  return "after";
}

/** The offset of the first token at or after `from` (skipping whitespace and comments). */
function skipTrivia(source: string, from: number): number {
  const re = /(?:\s|\/\/[^\n\r]*)*/y;
  re.lastIndex = from;
  const m = re.exec(source);
  return from + (m?.[0].length ?? 0);
}

function attachInPolicy(p: Policy, c: Comment, cm: CommentMap): void {
  const lastAnnotation = p.annotations[p.annotations.length - 1];
  if (
    lastAnnotation !== undefined &&
    c.span.start >= lastAnnotation.span.end &&
    c.span.end <= cm.triviaEnd(lastAnnotation.span.end) &&
    /[\n\r]/.test(cm.source.slice(lastAnnotation.span.end, c.span.start))
  ) {
    // Between the annotations and the effect: printed on its own line before the effect.
    cm.leading(p, c);
    return;
  }
  if (c.span.start >= p.resource.span.end && c.span.end <= cm.triviaEnd(p.resource.span.end)) {
    cm.trailing(p.resource, c);
    return;
  }
  const r = place(p, c, cm);
  if (r === "done") return;
  if (r === "leadingSelf") {
    cm.leading(p.principal, c);
    return;
  }
  // After the last element: after the last obligation, else inside the last condition, else after the resource scope.
  const lastObligation = p.obligations?.[p.obligations.length - 1];
  if (lastObligation !== undefined) {
    cm.trailing(lastObligation, c);
    return;
  }
  const last = p.conditions[p.conditions.length - 1];
  cm.trailing(last !== undefined ? last.body : p.resource, c);
}

// ---------------------------------------------------------------------------
// Expressions
// ---------------------------------------------------------------------------

/** Binding strength: if 0, `||` 1, `&&` 2, relations 3, `+ -` 4, `*` 5, unary 6, member 7, primary 8. */
function precOf(e: Expr): number {
  switch (e.kind) {
    case "if": return 0;
    case "binary":
      switch (e.op) {
        case "||": return 1;
        case "&&": return 2;
        case "+": case "-": return 4;
        case "*": return 5;
        default: return 3;
      }
    case "has": case "like": case "is": return 3;
    case "unary": return 6;
    case "long": return e.value < 0n ? 6 : 8;
    case "getAttr": case "method": case "quantifier": return 7;
    default: return 8;
  }
}

function commentDocs(cs: readonly Comment[] | undefined): Doc[] {
  return (cs ?? []).map((c) => [c.text.trimEnd(), hardline]);
}

function trailingDocs(cs: readonly Comment[] | undefined): Doc[] {
  if (cs === undefined || cs.length === 0) return [];
  return [lineSuffix(" " + cs.map((c) => c.text.trimEnd()).join("\n")), breakParent];
}

class ExprPrinter {
  constructor(private readonly cm: CommentMap) {}

  /** `e` in a position that needs at least precedence `min`, with its comments. */
  expr(e: Expr, min: number): Doc {
    let d = this.bare(e);
    if (precOf(e) < min) d = ["(", align(d), ")"];
    const a = this.cm.get(e);
    if (a === undefined) return d;
    return [...commentDocs(a.leading), d, ...trailingDocs(a.trailing)];
  }

  private list(open: string, items: readonly Doc[], close: string): Doc {
    if (items.length === 0) return open + close;
    return group([open, nest(2, [softline, join([",", line], items)]), softline, close]);
  }

  private chain(e: Expr & { kind: "binary" }, level: number): Doc {
    const ops: string[] = [];
    const operands: Expr[] = [];
    const same = (x: Expr): x is Expr & { kind: "binary" } => x.kind === "binary" && precOf(x) === level && this.cm.get(x) === undefined;
    let cur: Expr = e;
    for (let top = true; top || same(cur); top = false) {
      const b = cur as Expr & { kind: "binary" };
      ops.unshift(b.op);
      operands.unshift(b.right);
      cur = b.left;
    }
    operands.unshift(cur);
    // NOTE: `&&` under `||` keeps parentheses for readability (as `cedar format` output does).
    const min = (x: Expr, first: boolean): number => (level === 1 && x.kind === "binary" && x.op === "&&" ? 3 : first ? level : level + 1);
    const parts: Doc[] = [this.expr(operands[0]!, min(operands[0]!, true))];
    for (let i = 0; i < ops.length; i++) parts.push(` ${ops[i]}`, line, this.expr(operands[i + 1]!, min(operands[i + 1]!, false)));
    return align(group(parts));
  }

  private bare(e: Expr): Doc {
    switch (e.kind) {
      case "bool": return e.value ? "true" : "false";
      case "long": return e.value.toString();
      case "string": return quoteString(e.value);
      case "entity": return printEntityRef(e.ref);
      case "var": return e.name;
      case "slotExpr": return `?${e.slot.slot}`;
      case "unary": {
        const o = e.operand;
        // `-5` is one literal token, and Cedar does not mix `!` and `-` in one prefix run.
        const startsWithMinus = (o.kind === "long" && o.value < 0n) || (o.kind === "unary" && o.op === "-");
        const needParens = e.op === "-" ? o.kind === "long" || (o.kind === "unary" && o.op === "!") : startsWithMinus;
        return [e.op, needParens ? ["(", this.expr(o, 0), ")"] : this.expr(o, 6)];
      }
      case "binary": {
        const level = precOf(e);
        // The right operand moves to the next line only when it does not fit after the operator.
        if (level === 3) return [this.expr(e.left, 4), ` ${e.op}`, group(nest(2, [line, this.expr(e.right, 4)]))];
        return this.chain(e, level);
      }
      case "if":
        return group([
          "if", nest(2, [line, this.expr(e.cond, 0)]),
          line, "then", nest(2, [line, this.expr(e.then, 0)]),
          line, "else", nest(2, [line, this.expr(e.else, 0)]),
        ]);
      case "has":
        return [this.expr(e.target, 4), " has", group(nest(2, [line, e.path.map((p, i) => (e.quoted[i] === true || !isIdent(p) ? quoteString(p) : p)).join(".")]))];
      case "like":
        return [this.expr(e.target, 4), " like", group(nest(2, [line, printPattern(e.pattern)]))];
      case "is":
        return [this.expr(e.target, 4), " is ", printName(e.entityType), e.in === undefined ? "" : [" in", group(nest(2, [line, this.expr(e.in, 4)]))]];
      case "getAttr":
        return [this.expr(e.target, 7), e.syntax === "dot" && isIdent(e.attr) ? `.${e.attr}` : `[${quoteString(e.attr)}]`];
      case "method":
        return [this.expr(e.target, 7), `.${e.name}`, this.list("(", e.args.map((a) => this.expr(a, 0)), ")")];
      case "call":
        return [printName(e.fn), this.list("(", e.args.map((a) => this.expr(a, 0)), ")")];
      case "set":
        return this.list("[", e.elements.map((x) => this.expr(x, 0)), "]");
      case "record":
        return this.list("{", e.entries.map((en) => this.entry(en)), "}");
      case "quantifier":
        // The variable stays on the opening line; a long body breaks below it.
        return [this.expr(e.target, 7), `.${e.quantifier}(${e.variable},`, group([nest(2, [line, this.expr(e.body, 0)]), softline, ")"])];
      case "boundVar":
        return e.name;
      default:
        return assertNever(e, "expression");
    }
  }

  /** The `obligations { … }` clause of a policy (without the final `;`). */
  obligations(entries: readonly RecordEntry[]): Doc {
    return ["obligations ", this.list("{", entries.map((en) => this.entry(en)), "}")];
  }

  private entry(en: RecordEntry): Doc {
    const key = en.quoted || !isIdent(en.key) ? quoteString(en.key) : en.key;
    const value = this.expr(en.value, 0);
    // A value with comments before it starts on its own line below the key.
    const d: Doc = this.cm.get(en.value)?.leading.length ? [key, ":", nest(2, [hardline, value])] : [key, ": ", value];
    const a = this.cm.get(en);
    return a === undefined ? d : [...commentDocs(a.leading), d, ...trailingDocs(a.trailing)];
  }
}

/** Print one expression on its own (no comments), e.g. for diagnostics and tests. */
export function formatExpr(e: Expr, width = 80): string {
  return renderDoc(new ExprPrinter(new CommentMap("")).expr(e, 0), width);
}

// ---------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------

const WIDTH = 80;

function scopeDoc(s: Scope): Doc {
  const c = s.constraint;
  switch (c.kind) {
    case "any": return s.variable;
    case "eq": return `${s.variable} == ${printTarget(c.target)}`;
    case "in": return `${s.variable} in ${printTarget(c.target)}`;
    case "inList":
      return [
        `${s.variable} in `,
        c.targets.length === 0 ? "[]" : group(["[", nest(2, [softline, join([",", line], c.targets.map(printEntityRef))]), softline, "]"]),
      ];
    case "is":
      return `${s.variable} is ${printName(c.entityType)}${c.in === undefined ? "" : ` in ${printTarget(c.in)}`}`;
    default:
      return assertNever(c, "scope constraint");
  }
}

function annotationText(a: Annotation): string {
  return a.value === undefined ? `@${a.name}` : `@${a.name}(${quoteString(a.value)})`;
}

function printCondition(cond: Condition, last: boolean, cm: CommentMap, ep: ExprPrinter): string {
  const end = last ? ";" : "";
  const body = ep.expr(cond.body, 0);
  const lead = (cm.get(cond)?.leading ?? []).map((c) => c.text.trimEnd() + "\n").join("");
  if (!hasForcedBreak(body)) {
    const flat = renderDoc(group(body), Number.MAX_SAFE_INTEGER);
    const one = `${cond.polarity} { ${flat} }${end}`;
    if (one.length <= WIDTH) return lead + one;
    const two = `{ ${flat} }${end}`;
    if (two.length <= WIDTH) return `${lead}${cond.polarity}\n${two}`;
  }
  return `${lead}${cond.polarity}\n{\n${renderDoc(body, WIDTH, 2, 2).replace(/^/, "  ")}\n}${end}`;
}

/** Trailing comments after a line's text (the first on that line, any others below it). */
function sameLine(cs: readonly Comment[] | undefined): string {
  return cs === undefined || cs.length === 0 ? "" : " " + cs.map((c) => c.text.trimEnd()).join("\n");
}

function printPolicy(p: Policy, cm: CommentMap): string {
  const ep = new ExprPrinter(cm);
  const out: string[] = [];
  for (const a of p.annotations) {
    for (const c of cm.get(a)?.leading ?? []) out.push(c.text.trimEnd() + "\n");
    out.push(annotationText(a) + sameLine(cm.get(a)?.trailing) + "\n");
  }
  for (const c of cm.get(p)?.leading ?? []) out.push(c.text.trimEnd() + "\n");
  const scopes = [p.principal, p.action, p.resource];
  const anyComments = scopes.some((s) => cm.get(s) !== undefined);
  const isAny = scopes.every((s) => s.constraint.kind === "any");
  if (isAny && !anyComments) out.push(`${p.effect} (principal, action, resource)`);
  else {
    const parts: Doc[] = [];
    scopes.forEach((s, i) => {
      const a = cm.get(s);
      parts.push(hardline, ...commentDocs(a?.leading), scopeDoc(s), i < 2 ? "," : "", ...trailingDocs(a?.trailing));
    });
    out.push(renderDoc([`${p.effect} (`, nest(2, parts), hardline, ")"], WIDTH));
  }
  const obligations = p.obligations;
  if (p.conditions.length === 0 && obligations === undefined) out.push(";");
  p.conditions.forEach((cond, i) => out.push("\n" + printCondition(cond, i === p.conditions.length - 1 && obligations === undefined, cm, ep) + sameLine(cm.get(cond)?.trailing)));
  if (obligations !== undefined) out.push("\n" + renderDoc(ep.obligations(obligations), WIDTH) + ";");
  return out.join("");
}

function hasBlankLine(source: string, from: number, to: number): boolean {
  return /\n[ \t\r\f\v]*\n/.test(source.slice(Math.max(0, from), Math.max(0, to)));
}

/** Comments on their own lines, one blank line kept where the source had one (between them and before `nextStart`). */
function commentBlock(cs: readonly Comment[], source: string, nextStart: number | undefined): string {
  let out = "";
  cs.forEach((c, i) => {
    if (i > 0 && hasBlankLine(source, cs[i - 1]!.span.end, c.span.start)) out += "\n";
    out += c.text.trimEnd() + "\n";
  });
  const last = cs[cs.length - 1];
  if (last !== undefined && nextStart !== undefined && hasBlankLine(source, last.span.end, nextStart)) out += "\n";
  return out;
}

/**
 * Format a policy set in the canonical layout, keeping every comment of
 * `ast.comments` (`source` is the text `ast` was parsed from, used to place comments
 * and keep blank lines between comment blocks). The result ends with a newline
 * (empty input gives the empty string).
 */
export function formatPolicies(ast: PolicySet, source: string): string {
  const cm = new CommentMap(source);
  const policies = ast.policies;
  const before: Comment[][] = policies.map(() => []);
  const after: (Comment | undefined)[] = policies.map(() => undefined);
  const fileEnd: Comment[] = [];
  let pi = 0;
  for (const c of [...ast.comments].sort((a, b) => a.span.start - b.span.start)) {
    while (pi < policies.length && policies[pi]!.span.end <= c.span.start) pi++;
    const p = policies[pi];
    if (p !== undefined && contains(p.span, c.span)) {
      attachInPolicy(p, c, cm);
      continue;
    }
    const prev = policies[pi - 1];
    if (prev !== undefined && after[pi - 1] === undefined && !source.slice(prev.span.end, c.span.start).includes("\n")) {
      after[pi - 1] = c;
      continue;
    }
    if (p !== undefined) before[pi]!.push(c);
    else fileEnd.push(c);
  }
  const chunks: string[] = [];
  policies.forEach((p, i) => {
    const trail = after[i];
    chunks.push(commentBlock(before[i]!, source, p.span.start) + printPolicy(p, cm) + (trail === undefined ? "" : " " + trail.text.trimEnd()) + "\n");
  });
  if (fileEnd.length > 0) chunks.push(commentBlock(fileEnd, source, undefined));
  return chunks.join("\n");
}
