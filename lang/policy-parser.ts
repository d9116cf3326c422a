/**
 * Entry point of the policy parser: `parsePolicies(src, file?)`.
 *
 * Lexes once, then parses the file one policy at a time with a single reusable parser.
 * After a syntax error it resynchronizes at the next `permit` / `forbid` / `@` or after the
 * next `;`, so one file reports several errors. Never throws: input size and nesting depth
 * are limited up front (W1014, W1011), and a stack overflow is reported, not propagated.
 */
import { EOF, type IRecognitionException, type IToken, type TokenType } from "chevrotain";
import { exprChildren, type Comment, type Expr, type Policy, type PolicySet } from "./ast.js";
import { diag, withFile, type Diagnostic, type DiagnosticCode } from "./diagnostics.js";
import { PolicyParser, tokSpan } from "./policy-grammar.js";
import { assertNever, type Span } from "./span.js";
import * as T from "./tokens.js";

/** Largest accepted source, in UTF-16 code units (10 MiB of ASCII). */
export const MAX_SOURCE_LENGTH = 10 * 1024 * 1024;
/**
 * Deepest accepted nesting of brackets and `if`s inside one policy (or schema type).
 * NOTE: chosen well below what the recursive-descent parser survives on a cold (not yet
 * optimized) default Node stack (about 150–250 levels), so the answer never depends on JIT state.
 */
export const MAX_NESTING_DEPTH = 100;

/**
 * Deepest accepted expression tree (long operator or access chains nest too). Later stages
 * walk expressions recursively; this bound keeps them within the stack.
 */
export const MAX_EXPR_DEPTH = 1000;

/**
 * Most resynchronizations inside one `;`-terminated stretch of tokens. Each costs a pass over
 * the rest of the stretch, so without a bound a long stretch with many policy-start tokens
 * (`permit permit permit …`) would take quadratic time. Past the bound, the rest of the
 * stretch is skipped: the file has already failed, only later diagnostics are lost.
 */
export const MAX_RESYNCS_PER_CHUNK = 16;

/** The result of parsing a policy file. */
export interface ParsePoliciesResult {
  /** Present unless the input was rejected outright; holds every policy that parsed. */
  readonly ast: PolicySet | undefined;
  readonly diagnostics: Diagnostic[];
}

/** Tokens and comments of a source, with lexical diagnostics. */
export interface LexResult {
  readonly tokens: IToken[];
  readonly comments: Comment[];
  readonly diagnostics: Diagnostic[];
}

let sharedParser: PolicyParser | undefined;

function parser(): PolicyParser {
  sharedParser ??= new PolicyParser();
  return sharedParser;
}

/**
 * Lex a source with the shared lexer: drops unknown characters (W1005) and turns an
 * unterminated string (W1002) into a string literal so parsing can go on. The diagnostics
 * come sorted by position.
 */
export function lexSource(src: string): LexResult {
  const diagnostics: Diagnostic[] = [];
  const lexed = T.writLexer.tokenize(src);
  for (const e of lexed.errors) {
    diagnostics.push(diag("W1005", `unexpected character \`${src.slice(e.offset, e.offset + Math.max(1, e.length))}\``, { start: e.offset, end: e.offset + Math.max(1, e.length) }));
  }
  let clean = true;
  for (const t of lexed.tokens) {
    if (t.tokenType === T.Unknown || t.tokenType === T.UnterminatedString) {
      clean = false;
      break;
    }
  }
  const groups = lexed.groups["comments"] ?? [];
  const comments: Comment[] = groups.map((c) => ({ kind: "comment", text: c.image, span: tokSpan(c) }));
  if (clean) {
    sortDiagnostics(diagnostics);
    return { tokens: lexed.tokens, comments, diagnostics };
  }
  const tokens: IToken[] = [];
  for (const t of lexed.tokens) {
    if (t.tokenType === T.Unknown) {
      diagnostics.push(diag("W1005", `unexpected character \`${t.image}\``, tokSpan(t)));
      continue;
    }
    if (t.tokenType === T.UnterminatedString) {
      diagnostics.push(diag("W1002", "unterminated string literal", tokSpan(t), 'add the closing `"`'));
      t.tokenType = T.StringLiteral;
      t.tokenTypeIdx = T.StringLiteral.tokenTypeIdx!;
    }
    tokens.push(t);
  }
  sortDiagnostics(diagnostics);
  return { tokens, comments, diagnostics };
}

const OPENERS: ReadonlySet<TokenType> = new Set([T.LParen, T.LBracket, T.LBrace]);
const CLOSERS: ReadonlySet<TokenType> = new Set([T.RParen, T.RBracket, T.RBrace]);

/**
 * The index of the first token in `[from, to)` at which nesting exceeds `limit`, or -1.
 * Brackets nest (with `angles`, also `<` `>` as in `Set<…>`); each `if` nests until its
 * enclosing bracket closes (else-if chains recurse).
 */
export function findTooDeep(tokens: readonly IToken[], from: number, to: number, limit: number, angles = false): number {
  const ifsPerLevel: number[] = [0];
  let depth = 0;
  for (let i = from; i < to; i++) {
    const tt = tokens[i]!.tokenType;
    if (OPENERS.has(tt) || (angles && tt === T.Less)) {
      depth++;
      ifsPerLevel.push(0);
    } else if (CLOSERS.has(tt) || (angles && tt === T.Greater)) {
      if (ifsPerLevel.length > 1) {
        depth -= 1 + ifsPerLevel.pop()!;
      }
    } else if (tt === T.If) {
      depth++;
      ifsPerLevel[ifsPerLevel.length - 1]!++;
    } else continue;
    if (depth > limit) return i;
  }
  return -1;
}

/**
 * True when a lexical diagnostic lies inside `span`: a syntax error there is most likely a
 * consequence (a dropped character, an unterminated string) and is not reported again.
 * `lexDiags` are sorted by position (as {@link lexSource} returns them): bisection, so a file
 * with many lexical and many syntax errors is not quadratic.
 */
export function hasLexErrorIn(lexDiags: readonly Diagnostic[], span: Span): boolean {
  let lo = 0;
  let hi = lexDiags.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (lexDiags[mid]!.span.start < span.start) lo = mid + 1;
    else hi = mid;
  }
  return lo < lexDiags.length && lexDiags[lo]!.span.start <= span.end;
}

/** Sort diagnostics by position, in place (stable for equal positions). */
export function sortDiagnostics(diags: Diagnostic[]): void {
  diags.sort((a, b) => a.span.start - b.span.start);
}


/** The number of nodes on the longest root-to-leaf path of `e` (a literal has depth 1). */
export function exprDepth(e: Expr): number {
  let max = 0;
  const stack: { e: Expr; d: number }[] = [{ e, d: 1 }];
  while (stack.length > 0) {
    const top = stack.pop()!;
    if (top.d > max) max = top.d;
    for (const c of exprChildren(top.e)) stack.push({ e: c, d: top.d + 1 });
  }
  return max;
}

/** The deepest condition of a policy (0 when it has no conditions). */
export function policyExprDepth(p: Policy): number {
  let max = 0;
  for (const c of p.conditions) max = Math.max(max, exprDepth(c.body));
  for (const o of p.obligations ?? []) max = Math.max(max, exprDepth(o.value) + 1);
  return max;
}

/** Tokens at which a new policy may start (resynchronization points). */
function isPolicyStart(t: IToken): boolean {
  return t.tokenType === T.Permit || t.tokenType === T.Forbid || t.tokenType === T.At;
}

function errorCode(e: IRecognitionException): DiagnosticCode {
  const stack = e.context?.ruleStack ?? [];
  const rule = stack[stack.length - 1];
  if (rule === "effect") return "W1017";
  if (rule === "scopeTarget") return "W1006";
  return "W1001";
}

/** The span of an offending token; EOF is placed at the end of the last real token. */
function errorSpan(tok: IToken, tokens: readonly IToken[], end: number, src: string): Span {
  if (tok.tokenType === EOF || Number.isNaN(tok.startOffset)) {
    const last = tokens[end - 1];
    const at = last === undefined ? src.length : tokSpan(last).end;
    return { start: at, end: at };
  }
  return tokSpan(tok);
}

/**
 * Parse a policy file. The AST is present (possibly with fewer policies) unless the input is
 * rejected outright (too large); diagnostics carry `file` when given.
 */
export function parsePolicies(src: string, file?: string): ParsePoliciesResult {
  const diagnostics: Diagnostic[] = [];
  const done = (ast: PolicySet | undefined): ParsePoliciesResult => ({ ast, diagnostics: file === undefined ? diagnostics : withFile(diagnostics, file) });
  if (src.length > MAX_SOURCE_LENGTH) {
    diagnostics.push(diag("W1014", `input is too large (${src.length} characters; the limit is ${MAX_SOURCE_LENGTH})`, { start: 0, end: 0 }));
    return done(undefined);
  }
  const lexed = lexSource(src);
  // NOTE: loops, not `push(...list)`: a spread of a very long list overflows the call stack.
  for (const x of lexed.diagnostics) diagnostics.push(x);
  const tokens = lexed.tokens;
  const p = parser();
  p.source = src;
  const policies: Policy[] = [];
  let start = 0;
  let end = 0;
  let resyncs = 0;
  while (start < tokens.length) {
    if (start >= end) {
      let semi = start;
      while (semi < tokens.length && tokens[semi]!.tokenType !== T.Semicolon) semi++;
      end = Math.min(semi + 1, tokens.length);
      resyncs = 0;
    }
    const deep = findTooDeep(tokens, start, end, MAX_NESTING_DEPTH);
    if (deep >= 0) {
      diagnostics.push(diag("W1011", `nesting is too deep (more than ${MAX_NESTING_DEPTH} levels)`, tokSpan(tokens[deep]!), "split the expression into smaller parts"));
      start = end;
      continue;
    }
    const chunk = tokens.slice(start, end);
    p.diagnostics = [];
    p.input = chunk;
    let policy: Policy | undefined;
    let overflow = false;
    try {
      policy = p.policy();
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      overflow = true;
    }
    const softDiags = p.diagnostics;
    if (overflow) {
      diagnostics.push(diag("W1011", "nesting is too deep", tokSpan(tokens[start]!), "split the expression into smaller parts"));
      start = end;
      continue;
    }
    const err = p.errors[0];
    if (err === undefined && policy !== undefined) {
      for (const x of softDiags) diagnostics.push(x);
      const depth = policyExprDepth(policy);
      if (depth > MAX_EXPR_DEPTH) {
        diagnostics.push(diag("W1011", `expression is too deeply nested (${depth} levels; the limit is ${MAX_EXPR_DEPTH})`, policy.conditions[0]?.span ?? policy.span, "split long chains of operators or accesses into several conditions"));
      } else {
        policies.push(policy);
      }
      start = end;
      continue;
    }
    // A syntax error: keep soft diagnostics reported before the error point.
    const errSpan = err === undefined ? tokSpan(tokens[start]!) : errorSpan(err.token, chunk, chunk.length, src);
    const before = softDiags.filter((d) => d.span.start <= errSpan.start);
    for (const x of before) diagnostics.push(x);
    const chunkSpan = { start: chunk[0]!.startOffset, end: errSpan.end };
    if (!softDiags.some((d) => d.span.start === errSpan.start) && !hasLexErrorIn(lexed.diagnostics, chunkSpan)) {
      diagnostics.push(diag(err === undefined ? "W1001" : errorCode(err), err?.message ?? "invalid policy", errSpan));
    }
    let errIdx = err === undefined ? -1 : chunk.indexOf(err.token);
    if (errIdx < 0) errIdx = chunk.length;
    let next = end;
    const from = resyncs++ < MAX_RESYNCS_PER_CHUNK ? Math.max(errIdx, 1) : chunk.length;
    for (let k = from; k < chunk.length; k++) {
      if (isPolicyStart(chunk[k]!)) {
        next = start + k;
        break;
      }
    }
    start = next;
  }
  sortDiagnostics(diagnostics);
  return done({ kind: "policySet", policies, comments: lexed.comments, span: { start: 0, end: src.length } });
}
