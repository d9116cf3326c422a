/**
 * Entry point of the schema parser: `parseSchema(src, file?)` for the human-readable Cedar
 * schema syntax.
 *
 * Declarations are parsed one at a time by the reusable {@link SchemaParser}; namespaces are
 * tracked here. After a syntax error the parser resynchronizes after the next `;`, at the next
 * declaration keyword or `@`, or at the `}` that closes the namespace, so one file reports
 * several errors. Never throws; size and nesting limits answer with W1014 / W1011.
 */
import type { IRecognitionException, IToken } from "chevrotain";
import type { Annotation } from "./ast.js";
import { diag, withFile, type Diagnostic, type DiagnosticCode } from "./diagnostics.js";
import { findTooDeep, hasLexErrorIn, lexSource, MAX_NESTING_DEPTH, MAX_RESYNCS_PER_CHUNK, MAX_SOURCE_LENGTH, sortDiagnostics } from "./policy-parser.js";
import { tokSpan } from "./policy-grammar.js";
import type { Declaration, NamespaceDecl, SchemaFile } from "./schema-ast.js";
import { SchemaParser } from "./schema-grammar.js";
import { lineColOf, type Span } from "./span.js";
import * as T from "./tokens.js";

/** The result of parsing a schema file. */
export interface ParseSchemaResult {
  /** Present unless the input was rejected outright; holds every declaration that parsed. */
  readonly ast: SchemaFile | undefined;
  readonly diagnostics: Diagnostic[];
}

let sharedParser: SchemaParser | undefined;

function parser(): SchemaParser {
  sharedParser ??= new SchemaParser();
  return sharedParser;
}

function errorCode(e: IRecognitionException): DiagnosticCode {
  const stack = e.context?.ruleStack ?? [];
  return stack[stack.length - 1] === "declaration" ? "W1202" : "W1201";
}

/** Parsing state over the token vector of one file. */
class SchemaDriver {
  private readonly p = parser();
  readonly diagnostics: Diagnostic[] = [];
  pos = 0;
  /** End of the `;`-terminated stretch `pos` lies in, and the resynchronizations made inside it. */
  private stretchEnd = 0;
  private resyncs = 0;

  constructor(
    private readonly tokens: readonly IToken[],
    private readonly src: string,
    private readonly lexDiags: readonly Diagnostic[],
  ) {}

  private at(i: number): IToken | undefined {
    return this.tokens[i];
  }

  /** Index of the token after the annotations starting at `i`. */
  private skipAnnotations(i: number): number {
    let k = i;
    while (this.at(k)?.tokenType === T.At) {
      k += 2;
      if (this.at(k)?.tokenType === T.LParen) k += 3;
    }
    return k;
  }

  /** True when a namespace (possibly annotated) starts at `i`. */
  isNamespaceStart(i: number): boolean {
    return this.at(this.skipAnnotations(i))?.tokenType === T.Namespace;
  }

  private spanAtEnd(): Span {
    const last = this.tokens[this.tokens.length - 1];
    const at = last === undefined ? this.src.length : tokSpan(last).end;
    return { start: at, end: at };
  }

  private errorSpan(tok: IToken): Span {
    return Number.isNaN(tok.startOffset) || tok.image === "" ? this.spanAtEnd() : tokSpan(tok);
  }

  /** Is `k` a plausible start of a declaration (resynchronization point)? */
  private isDeclStart(k: number): boolean {
    const t = this.at(k)!.tokenType;
    const next = this.at(k + 1)?.tokenType;
    if (t === T.At) return true;
    if (t === T.Entity || t === T.Namespace) return next !== undefined && next !== T.Colon && next !== T.Question && next !== T.Comma;
    if (t === T.Action) return next === T.StringLiteral || (next !== undefined && next !== T.Colon && next !== T.Question && next !== T.Comma);
    if (t === T.Type) return this.at(k + 2)?.tokenType === T.Equals;
    if (this.at(k)!.image === "obligation") return this.at(k + 2)?.tokenType === T.Colon;
    return false;
  }

  /**
   * Run the parser on tokens `[from, to)` with rule `run`, reporting any error; returns the
   * result (undefined on error) and the index to continue from.
   */
  private runChunk<R>(from: number, to: number, run: () => R, inNamespace: boolean): { result: R | undefined; next: number } {
    const chunk = this.tokens.slice(from, to);
    const p = this.p;
    p.diagnostics = [];
    p.input = chunk;
    let result: R | undefined;
    try {
      result = run();
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      this.diagnostics.push(diag("W1011", "nesting is too deep", tokSpan(chunk[0]!)));
      return { result: undefined, next: to };
    }
    const err = p.errors[0];
    if (err === undefined) {
      for (const x of p.diagnostics) this.diagnostics.push(x);
      return { result, next: to };
    }
    const span = this.errorSpan(err.token);
    for (const x of p.diagnostics.filter((d) => d.span.start <= span.start)) this.diagnostics.push(x);
    const chunkSpan = { start: chunk[0]!.startOffset, end: span.end };
    if (!p.diagnostics.some((d) => d.span.start === span.start) && !hasLexErrorIn(this.lexDiags, chunkSpan)) this.diagnostics.push(diag(errorCode(err), err.message, span));
    let errIdx = chunk.indexOf(err.token);
    if (errIdx < 0 || this.resyncs++ >= MAX_RESYNCS_PER_CHUNK) errIdx = chunk.length;
    let depth = 0;
    for (let k = 0; k < chunk.length; k++) {
      const tt = chunk[k]!.tokenType;
      if (k >= Math.max(errIdx, 1)) {
        if (this.isDeclStart(from + k)) return { result: undefined, next: from + k };
        if (inNamespace && tt === T.RBrace && depth === 0) return { result: undefined, next: from + k };
      }
      if (tt === T.LBrace) depth++;
      else if (tt === T.RBrace) depth = Math.max(0, depth - 1);
    }
    return { result: undefined, next: to };
  }

  /**
   * End (exclusive) of the chunk starting at `i`: through the next `;`, or the end. Positions
   * only move forward, so inside the last stretch found the answer is known (each token is
   * scanned once); a new stretch starts with a fresh resynchronization budget.
   */
  private chunkEnd(i: number): number {
    if (i < this.stretchEnd) return this.stretchEnd;
    let k = i;
    while (k < this.tokens.length && this.tokens[k]!.tokenType !== T.Semicolon) k++;
    this.stretchEnd = Math.min(k + 1, this.tokens.length);
    this.resyncs = 0;
    return this.stretchEnd;
  }

  /** Parse one declaration at `pos`. */
  declaration(inNamespace: boolean): Declaration | undefined {
    const k = this.skipAnnotations(this.pos);
    const isObligation = this.at(k)?.image === "obligation" && this.at(k + 2)?.tokenType === T.Colon;
    const { result, next } = this.runChunk(this.pos, this.chunkEnd(this.pos), () => (isObligation ? this.p.obligationDeclaration() : this.p.declaration()), inNamespace);
    this.pos = next;
    return result;
  }

  /** Parse a namespace at `pos` (annotations, header, declarations, closing brace). */
  namespace(nested: boolean): NamespaceDecl | undefined {
    let open = this.pos;
    while (open < this.tokens.length && this.tokens[open]!.tokenType !== T.LBrace && this.tokens[open]!.tokenType !== T.Semicolon) open++;
    const headerEnd = Math.min(open + 1, this.tokens.length);
    const start = this.pos;
    if (nested) {
      const kw = this.tokens[this.skipAnnotations(start)]!;
      this.diagnostics.push(diag("W1202", "namespaces cannot be nested", tokSpan(kw), "close the enclosing namespace first"));
    }
    const { result: header, next } = this.runChunk(start, headerEnd, () => this.p.namespaceHeader(), false);
    this.pos = next;
    if (header === undefined && this.tokens[open]?.tokenType !== T.LBrace) return undefined;
    this.pos = headerEnd;
    const declarations: Declaration[] = [];
    let close: IToken | undefined;
    while (this.pos < this.tokens.length) {
      const t = this.tokens[this.pos]!;
      if (t.tokenType === T.RBrace) {
        close = t;
        this.pos++;
        break;
      }
      if (this.isNamespaceStart(this.pos)) {
        this.namespace(true);
        continue;
      }
      const d = this.declaration(true);
      if (d !== undefined) declarations.push(d);
    }
    if (close === undefined) {
      const what = header === undefined ? "the namespace" : `namespace \`${header.name.path.join("::")}\``;
      const line = lineColOf(this.src, this.tokens[this.skipAnnotations(start)]!.startOffset).line;
      this.diagnostics.push(diag("W1201", `expected \`}\` to close ${what}, found end of input`, this.spanAtEnd(), `the namespace opens on line ${line}`));
    }
    if (header === undefined || nested) return undefined;
    const end = close === undefined ? this.spanAtEnd().end : tokSpan(close).end;
    const annotations: readonly Annotation[] = header.annotations;
    return { kind: "namespaceDecl", annotations, name: header.name, declarations, span: { start: header.start, end } };
  }
}

/**
 * Parse a human-readable Cedar schema. The AST is present (possibly with fewer declarations)
 * unless the input is rejected outright (too large); diagnostics carry `file` when given.
 */
export function parseSchema(src: string, file?: string): ParseSchemaResult {
  const diagnostics: Diagnostic[] = [];
  const done = (ast: SchemaFile | undefined): ParseSchemaResult => ({ ast, diagnostics: file === undefined ? diagnostics : withFile(diagnostics, file) });
  if (src.length > MAX_SOURCE_LENGTH) {
    diagnostics.push(diag("W1014", `input is too large (${src.length} characters; the limit is ${MAX_SOURCE_LENGTH})`, { start: 0, end: 0 }));
    return done(undefined);
  }
  const lexed = lexSource(src);
  for (const x of lexed.diagnostics) diagnostics.push(x);
  const tokens = lexed.tokens;
  const deep = findTooDeep(tokens, 0, tokens.length, MAX_NESTING_DEPTH, true);
  if (deep >= 0) {
    diagnostics.push(diag("W1011", `nesting is too deep (more than ${MAX_NESTING_DEPTH} levels)`, tokSpan(tokens[deep]!), "split the type into named common types"));
    return done({ kind: "schemaFile", items: [], comments: lexed.comments, span: { start: 0, end: src.length } });
  }
  const driver = new SchemaDriver(tokens, src, lexed.diagnostics);
  const items: (NamespaceDecl | Declaration)[] = [];
  while (driver.pos < tokens.length) {
    const t = tokens[driver.pos]!;
    if (t.tokenType === T.RBrace) {
      driver.diagnostics.push(diag("W1201", "unexpected `}`: no namespace is open", tokSpan(t)));
      driver.pos++;
      continue;
    }
    if (driver.isNamespaceStart(driver.pos)) {
      const ns = driver.namespace(false);
      if (ns !== undefined) items.push(ns);
      continue;
    }
    const d = driver.declaration(false);
    if (d !== undefined) items.push(d);
  }
  for (const x of driver.diagnostics) diagnostics.push(x);
  sortDiagnostics(diagnostics);
  return done({ kind: "schemaFile", items, comments: lexed.comments, span: { start: 0, end: src.length } });
}
