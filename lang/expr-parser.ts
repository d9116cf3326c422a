/**
 * The expression half of the policy grammar (chevrotain, embedded actions): Cedar's
 * operators with their precedence, literals, entity references, calls and member access.
 * {@link PolicyParser} in `parser.ts` extends it with policies and scopes.
 *
 * Semantic checks that do not stop parsing (reserved words, duplicate keys, literal ranges,
 * escapes, slots in conditions) are pushed to `diagnostics` and parsing goes on.
 * NOTE: every use of a sub-rule's result is wrapped in `ACTION`, because chevrotain runs the
 * rule bodies once with placeholder values while recording the grammar.
 */
import { EmbeddedActionsParser, type IToken, type TokenType } from "chevrotain";
import { MAX_HAS_PATH, type BinaryOp, type EntityRef, type Expr, type Name, type RecordEntry, type SlotRef } from "./ast.js";
import { diag, type Diagnostic, type DiagnosticCode } from "./diagnostics.js";
import { checkChain, foldChain, type ChainItem } from "./expr-chain.js";
import { errorMessageProvider } from "./parser-messages.js";
import type { Span } from "./span.js";
import { decodePattern, decodeString, isWellFormedText } from "./strings.js";
import * as T from "./tokens.js";

/** Largest magnitude of a negative 64-bit literal (2^63). */
const LONG_MIN_MAGNITUDE = 9223372036854775808n;
/** Largest positive 64-bit literal. */
const LONG_MAX = 9223372036854775807n;
/** Cedar accepts at most this many repeated prefix operators. */
const MAX_UNARY = 4;

/** Span of one token. */
export function tokSpan(t: IToken): Span {
  return { start: t.startOffset, end: (t.endOffset ?? t.startOffset + t.image.length - 1) + 1 };
}

/** Span from the start of token `a` to the end of token `b`. */
export function spanOf(a: IToken, b: IToken): Span {
  return { start: a.startOffset, end: (b.endOffset ?? b.startOffset + b.image.length - 1) + 1 };
}

function join(a: Span, b: Span): Span {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

/** A parsed `A::B::"id"` or `A::B` (id undefined). */
export interface RefParts {
  readonly parts: readonly IToken[];
  readonly id: IToken | undefined;
}

/** The four variables of a policy. */
export const VARIABLES: ReadonlySet<string> = new Set(["principal", "action", "resource", "context"]);

/** The expression grammar; subclasses add top-level rules and call `performSelfAnalysis()`. */
export class ExprParser extends EmbeddedActionsParser {
  /** Source text of the current input (for literal checks). */
  source = "";
  /** Non-fatal diagnostics found while parsing. */
  diagnostics: Diagnostic[] = [];

  constructor() {
    super(T.allTokens as TokenType[], { maxLookahead: 3, recoveryEnabled: false, errorMessageProvider });
  }

  protected report(code: DiagnosticCode, message: string, span: Span, help?: string): void {
    this.diagnostics.push(diag(code, message, span, help));
  }

  /** Last consumed token. */
  protected prev(): IToken {
    return this.LA(0);
  }

  protected checkIdent(t: IToken, what: string): void {
    if (T.RESERVED_WORDS.has(t.image)) {
      this.report("W1008", `\`${t.image}\` is a reserved word and cannot be used as ${what}`, tokSpan(t), what === "an attribute name" ? `use the index form \`["${t.image}"]\` or a quoted name instead` : undefined);
    }
  }

  protected decodeStr(t: IToken): string {
    const d = decodeString(t.image);
    for (const e of d.errors) this.report("W1003", `invalid escape sequence \`${e.text}\` in string`, { start: t.startOffset + e.offset, end: t.startOffset + e.offset + e.length }, "valid escapes: \\n \\r \\t \\\\ \\0 \\' \\\" \\xHH \\u{HHHHHH}");
    this.checkWellFormed(t.image, tokSpan(t));
    return d.value;
  }

  /** W1020 when a literal holds a lone surrogate (only possible in text handed to the library). */
  protected checkWellFormed(raw: string, span: Span): void {
    if (!isWellFormedText(raw)) this.report("W1020", "string contains a lone UTF-16 surrogate, which is not valid Unicode text", span, "remove it or write a whole character (`\\u{…}` escapes of surrogates are invalid too)");
  }

  protected nameOf(parts: readonly IToken[]): Name {
    for (const p of parts) this.checkIdent(p, "a name");
    return { kind: "name", path: parts.map((p) => p.image), span: spanOf(parts[0]!, parts[parts.length - 1]!) };
  }

  protected refOf(r: RefParts): EntityRef | undefined {
    if (r.id === undefined) return undefined;
    const type = this.nameOf(r.parts);
    return { kind: "entityRef", type, id: this.decodeStr(r.id), span: spanOf(r.parts[0]!, r.id) };
  }


  protected refTail = this.RULE("refTail", (): RefParts => {
    const parts: IToken[] = [];
    let id: IToken | undefined;
    this.MANY({
      GATE: () => id === undefined,
      DEF: () => {
        this.CONSUME(T.ColonColon);
        this.OR([
          {
            ALT: () => {
              const p = this.CONSUME(T.AnyIdent);
              this.ACTION(() => parts.push(p));
            },
          },
          {
            ALT: () => {
              id = this.CONSUME(T.StringLiteral);
            },
          },
        ]);
      },
    });
    return { parts, id };
  });

  /** A possibly-qualified name `A::B::C`. */
  protected path = this.RULE("path", (): readonly IToken[] => {
    const parts: IToken[] = [this.CONSUME(T.AnyIdent)];
    this.MANY(() => {
      this.CONSUME(T.ColonColon);
      const p = this.CONSUME2(T.AnyIdent);
      this.ACTION(() => parts.push(p));
    });
    return parts;
  });


  // ---------------------------------------------------------------- expressions

  /** `if c then a else b` or an `||` chain. */
  public expr = this.RULE("expr", (): Expr => {
    return this.OR([
      {
        ALT: () => {
          const kw = this.CONSUME(T.If);
          const cond = this.SUBRULE(this.expr);
          this.CONSUME(T.Then);
          const then = this.SUBRULE2(this.expr);
          this.CONSUME(T.Else);
          const els = this.SUBRULE3(this.expr);
          return this.ACTION(() => ({ kind: "if", cond, then, else: els, span: join(tokSpan(kw), els.span) }) satisfies Expr);
        },
      },
      { ALT: () => this.SUBRULE(this.chain) },
    ]);
  });

  /**
   * A flat chain `a op b op c …` of binary operators and postfix relations, folded by
   * precedence in `expr-chain.ts` (one rule instead of one per precedence level keeps the
   * recursion per nesting level small).
   */
  protected chain = this.RULE("chain", (): Expr => {
    const first = this.SUBRULE(this.unary);
    const items: ChainItem[] = [];
    this.MANY(() => {
      this.OR([
        {
          ALT: () => {
            const op = this.OR2([
              { ALT: () => this.CONSUME(T.OrOr) },
              { ALT: () => this.CONSUME(T.AndAnd) },
              { ALT: () => this.CONSUME(T.EqEq) },
              { ALT: () => this.CONSUME(T.NotEq) },
              { ALT: () => this.CONSUME(T.Less) },
              { ALT: () => this.CONSUME(T.LessEq) },
              { ALT: () => this.CONSUME(T.Greater) },
              { ALT: () => this.CONSUME(T.GreaterEq) },
              { ALT: () => this.CONSUME(T.In) },
              { ALT: () => this.CONSUME(T.Plus) },
              { ALT: () => this.CONSUME(T.Minus) },
              { ALT: () => this.CONSUME(T.Star) },
            ]);
            const right = this.SUBRULE2(this.unary);
            this.ACTION(() => items.push({ kind: "binary", op: op.image as BinaryOp, token: op, right }));
          },
        },
        {
          ALT: () => {
            const kw = this.CONSUME(T.Has);
            const first = this.OR3([{ ALT: () => this.CONSUME2(T.AnyIdent) }, { ALT: () => this.CONSUME(T.StringLiteral) }]);
            const rest: IToken[] = [];
            this.MANY2(() => {
              this.CONSUME(T.Dot);
              const p = this.CONSUME3(T.AnyIdent);
              this.ACTION(() => rest.push(p));
            });
            this.ACTION(() => {
              const quotedFirst = first.tokenType === T.StringLiteral;
              if (!quotedFirst) this.checkIdent(first, "an attribute name");
              else if (rest.length > 0) this.report("W1016", "a quoted attribute cannot start a dotted `has` path", spanOf(first, this.prev()), 'test each level separately: `e has "a b" && e["a b"] has c`');
              for (const p of rest) this.checkIdent(p, "an attribute name");
              const path = [quotedFirst ? this.decodeStr(first) : first.image, ...rest.map((p) => p.image)];
              if (path.length > MAX_HAS_PATH) this.report("W1021", `a \`has\` path of ${path.length} attributes is too long (the limit is ${MAX_HAS_PATH})`, spanOf(first, this.prev()), "split it: `e has a.b && e.a.b has c.d`");
              items.push({ kind: "has", token: kw, path, quoted: [quotedFirst, ...rest.map(() => false)], end: tokSpan(this.prev()).end });
            });
          },
        },
        {
          ALT: () => {
            const kw = this.CONSUME(T.Like);
            const pat = this.CONSUME2(T.StringLiteral);
            this.ACTION(() => {
              const d = decodePattern(pat.image);
              this.checkWellFormed(pat.image, tokSpan(pat));
              for (const e of d.errors) this.report("W1003", `invalid escape sequence \`${e.text}\` in pattern`, { start: pat.startOffset + e.offset, end: pat.startOffset + e.offset + e.length }, "in patterns `\\*` is a literal star; other escapes as in strings");
              items.push({ kind: "like", token: kw, pattern: d.pattern, end: tokSpan(pat).end });
            });
          },
        },
        {
          ALT: () => {
            const kw = this.CONSUME(T.Is);
            const type = this.SUBRULE(this.path);
            let right: Expr | undefined;
            this.OPTION(() => {
              this.CONSUME2(T.In);
              right = this.SUBRULE3(this.unary);
            });
            this.ACTION(() => {
              const entityType = this.nameOf(type);
              if (right === undefined) items.push({ kind: "is", token: kw, entityType, end: tokSpan(this.prev()).end });
              else items.push({ kind: "isIn", token: kw, entityType, right });
            });
          },
        },
      ]);
    });
    return this.ACTION(() => {
      checkChain(items, this.diagnostics);
      return foldChain(first, items);
    });
  });

  protected unary = this.RULE("unary", (): Expr => {
    const ops: IToken[] = [];
    this.MANY(() => {
      const op = this.OR([{ ALT: () => this.CONSUME(T.Bang) }, { ALT: () => this.CONSUME(T.Minus) }]);
      this.ACTION(() => ops.push(op));
    });
    const operand = this.SUBRULE(this.member);
    return this.ACTION(() => this.buildUnary(ops, operand));
  });

  protected buildUnary(ops: readonly IToken[], operand: Expr): Expr {
    let e = operand;
    let n = ops.length;
    const bareInt = e.kind === "long" && /[0-9]/.test(this.source[e.span.start] ?? "");
    if (n > 0 && bareInt && ops[n - 1]!.image === "-" && e.kind === "long") {
      // Fold `-N` into one literal so that -9223372036854775808 is representable.
      const value = -e.value;
      if (-value > LONG_MIN_MAGNITUDE) this.report("W1004", `integer literal \`-${e.value}\` is out of range for a 64-bit Long`, join(tokSpan(ops[n - 1]!), e.span));
      e = { kind: "long", value, span: join(tokSpan(ops[n - 1]!), e.span) };
      n--;
    } else if (bareInt && e.kind === "long" && e.value > LONG_MAX) {
      this.report("W1004", `integer literal \`${e.value}\` is out of range for a 64-bit Long`, e.span, "Longs range from -9223372036854775808 to 9223372036854775807");
    }
    if (ops.length > MAX_UNARY) {
      this.report("W1019", `too many occurrences of \`${ops[0]!.image}\` (at most ${MAX_UNARY})`, spanOf(ops[0]!, ops[ops.length - 1]!), "use parentheses");
    } else {
      for (let i = 1; i < ops.length; i++) {
        if (ops[i]!.image !== ops[0]!.image) {
          this.report("W1001", `unexpected \`${ops[i]!.image}\` after \`${ops[0]!.image}\``, tokSpan(ops[i]!), "use parentheses to mix `!` and `-`");
          break;
        }
      }
    }
    for (let i = n - 1; i >= 0; i--) {
      const op = ops[i]!;
      e = { kind: "unary", op: op.image === "!" ? "!" : "-", operand: e, span: join(tokSpan(op), e.span) };
    }
    return e;
  }

  protected member = this.RULE("member", (): Expr => {
    let e = this.SUBRULE(this.primary);
    this.MANY(() => {
      this.OR([
        {
          ALT: () => {
            this.CONSUME(T.Dot);
            const name = this.CONSUME(T.AnyIdent);
            let args: readonly Expr[] | undefined;
            let mark = 0;
            this.OPTION(() => {
              this.CONSUME(T.LParen);
              this.ACTION(() => {
                mark = this.diagnostics.length;
              });
              args = this.SUBRULE(this.exprList, { ARGS: [T.RParen] });
              this.CONSUME(T.RParen);
            });
            e = this.ACTION(() => {
              this.checkIdent(name, args === undefined ? "an attribute name" : "a method name");
              this.checkLongTarget(e);
              const span = join(e.span, tokSpan(this.prev()));
              const q = args === undefined ? undefined : this.quantifierOf(e, name.image, args, span, mark);
              if (q !== undefined) return q;
              return args === undefined
                ? ({ kind: "getAttr", target: e, attr: name.image, syntax: "dot", span } satisfies Expr)
                : ({ kind: "method", target: e, name: name.image, args, span } satisfies Expr);
            });
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.LBracket);
            const key = this.CONSUME(T.StringLiteral);
            const close = this.CONSUME(T.RBracket);
            e = this.ACTION(() => {
              this.checkLongTarget(e);
              return { kind: "getAttr", target: e, attr: this.decodeStr(key), syntax: "index", span: join(e.span, tokSpan(close)) } satisfies Expr;
            });
          },
        },
        {
          ALT: () => {
            const open = this.CONSUME2(T.LParen);
            this.SUBRULE2(this.exprList, { ARGS: [T.RParen] });
            const close = this.CONSUME2(T.RParen);
            this.ACTION(() => {
              this.report("W1009", "function calls must be of the form `name(arg1, arg2, …)`", spanOf(open, close), "only extension functions such as `ip(…)` and methods such as `.contains(…)` can be called");
            });
          },
        },
      ]);
    });
    return e;
  });

  /**
   * `target.any(x, body)` / `target.all(x, body)` (Writ extension): the first argument
   * parsed as an unknown identifier (a `boundVar` with a W1018) becomes the bound variable;
   * the W1018 diagnostics for it and for its uses in `body` are withdrawn. They all come from
   * the arguments, i.e. after index `mark` of `diagnostics`: only that tail is filtered, so a
   * policy with many quantifiers and many diagnostics stays linear.
   */
  protected quantifierOf(target: Expr, name: string, args: readonly Expr[], span: Span, mark: number): Expr | undefined {
    if (name !== "any" && name !== "all") return undefined;
    const v = args[0];
    const body = args[1];
    if (args.length !== 2 || v === undefined || body === undefined || v.kind !== "boundVar") return undefined;
    const bound = (d: Diagnostic): boolean =>
      d.code === "W1018" && d.message === `invalid variable \`${v.name}\`` && ((d.span.start >= body.span.start && d.span.end <= body.span.end) || (d.span.start === v.span.start && d.span.end === v.span.end));
    const tail = this.diagnostics.splice(mark);
    for (const d of tail) if (!bound(d)) this.diagnostics.push(d);
    return { kind: "quantifier", quantifier: name, target, variable: v.name, body, span };
  }

  /** A Long literal of 2^63 is only valid when negated; as the target of an access it is out of range. */
  protected checkLongTarget(e: Expr): void {
    if (e.kind === "long" && e.value > LONG_MAX && /[0-9]/.test(this.source[e.span.start] ?? "")) this.report("W1004", `integer literal \`${e.value}\` is out of range for a 64-bit Long`, e.span);
  }

  /** Comma-separated expressions (trailing comma allowed) up to `closer` (not consumed). */
  protected exprList = this.RULE("exprList", (closer: TokenType): Expr[] => {
    const items: Expr[] = [];
    this.OPTION(() => {
      const first = this.SUBRULE(this.expr);
      this.ACTION(() => items.push(first));
      this.MANY({
        GATE: () => this.LA(2).tokenType !== closer,
        DEF: () => {
          this.CONSUME(T.Comma);
          const next = this.SUBRULE2(this.expr);
          this.ACTION(() => items.push(next));
        },
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    return items;
  });

  protected primary = this.RULE("primary", (): Expr => {
    return this.OR([
      {
        ALT: () => {
          const t = this.CONSUME(T.Integer);
          return this.ACTION(() => {
            const value = BigInt(t.image);
            if (value > LONG_MIN_MAGNITUDE) this.report("W1004", `integer literal \`${t.image}\` is out of range for a 64-bit Long`, tokSpan(t), "Longs range from -9223372036854775808 to 9223372036854775807");
            return { kind: "long", value, span: tokSpan(t) } satisfies Expr;
          });
        },
      },
      {
        ALT: () => {
          const t = this.CONSUME(T.StringLiteral);
          return this.ACTION(() => ({ kind: "string", value: this.decodeStr(t), span: tokSpan(t) }) satisfies Expr);
        },
      },
      {
        ALT: () => {
          const t = this.OR2([{ ALT: () => this.CONSUME(T.True) }, { ALT: () => this.CONSUME(T.False) }]);
          return this.ACTION(() => ({ kind: "bool", value: t.image === "true", span: tokSpan(t) }) satisfies Expr);
        },
      },
      {
        ALT: () => {
          const t = this.CONSUME(T.Slot);
          return this.ACTION(() => {
            const slot: SlotRef = { kind: "slot", slot: t.image === "?principal" ? "principal" : "resource", span: tokSpan(t) };
            this.report("W1013", `template slot \`${t.image}\` can only appear in the policy scope`, slot.span);
            return { kind: "slotExpr", slot, span: slot.span } satisfies Expr;
          });
        },
      },
      {
        ALT: () => {
          const open = this.CONSUME(T.LParen);
          const inner = this.SUBRULE(this.expr);
          const close = this.CONSUME(T.RParen);
          return this.ACTION(() => ({ ...inner, span: spanOf(open, close) }) as Expr);
        },
      },
      {
        ALT: () => {
          const open = this.CONSUME(T.LBracket);
          const elements = this.SUBRULE(this.exprList, { ARGS: [T.RBracket] });
          const close = this.CONSUME(T.RBracket);
          return this.ACTION(() => ({ kind: "set", elements, span: spanOf(open, close) }) satisfies Expr);
        },
      },
      { ALT: () => this.SUBRULE(this.record) },
      {
        ALT: () => {
          const first = this.CONSUME(T.ExprIdent);
          const r = this.SUBRULE(this.refTail);
          let args: readonly Expr[] | undefined;
          this.OPTION(() => {
            this.CONSUME2(T.LParen);
            args = this.SUBRULE2(this.exprList, { ARGS: [T.RParen] });
            this.CONSUME2(T.RParen);
          });
          return this.ACTION(() => this.identExpr(first, r, args));
        },
      },
    ]);
  });

  /** Build a variable, entity literal or call from an identifier-led primary. */
  protected identExpr(first: IToken, r: RefParts, args: readonly Expr[] | undefined): Expr {
    const parts = [first, ...r.parts];
    const span = spanOf(first, this.prev());
    if (args !== undefined) {
      if (r.id !== undefined) {
        this.report("W1009", "function calls must be of the form `name(arg1, arg2, …)`", span);
        return { kind: "entity", ref: this.refOf({ parts, id: r.id })!, span };
      }
      if (parts.length === 1 && VARIABLES.has(first.image)) this.report("W1009", `\`${first.image}\` is a variable, not a function`, span);
      return { kind: "call", fn: this.nameOf(parts), args, span };
    }
    if (r.id !== undefined) {
      const ref = this.refOf({ parts, id: r.id })!;
      return { kind: "entity", ref, span };
    }
    if (parts.length === 1 && VARIABLES.has(first.image)) {
      return { kind: "var", name: first.image as "principal" | "action" | "resource" | "context", span };
    }
    if (parts.length === 1 && first.image === "lineage") return { kind: "var", name: "lineage", span };
    const text = parts.map((p) => p.image).join("::");
    this.report("W1018", `invalid variable \`${text}\``, span, 'variables are `principal`, `action`, `resource` and `context`; entity references need an id, e.g. `User::"alice"`');
    // A single identifier may be a quantifier's variable: `quantifierOf` withdraws the W1018 then.
    if (parts.length === 1) return { kind: "boundVar", name: first.image, span };
    return { kind: "var", name: "context", span };
  }

  protected record = this.RULE("record", (): Expr => {
    const open = this.CONSUME(T.LBrace);
    const entries: RecordEntry[] = [];
    this.OPTION(() => {
      const first = this.SUBRULE(this.recordEntry);
      this.ACTION(() => entries.push(first));
      this.MANY({
        GATE: () => this.LA(2).tokenType !== T.RBrace,
        DEF: () => {
          this.CONSUME(T.Comma);
          const next = this.SUBRULE2(this.recordEntry);
          this.ACTION(() => entries.push(next));
        },
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    const close = this.CONSUME(T.RBrace);
    return this.ACTION(() => {
      const seen = new Set<string>();
      for (const e of entries) {
        if (seen.has(e.key)) this.report("W1015", `duplicate key \`${e.key}\` in record literal`, e.span);
        seen.add(e.key);
      }
      return { kind: "record", entries, span: spanOf(open, close) } satisfies Expr;
    });
  });

  protected recordEntry = this.RULE("recordEntry", (): RecordEntry => {
    const key = this.OR([{ ALT: () => this.CONSUME(T.AnyIdent) }, { ALT: () => this.CONSUME(T.StringLiteral) }]);
    this.CONSUME(T.Colon);
    const value = this.SUBRULE(this.expr);
    return this.ACTION(() => {
      const quoted = key.tokenType === T.StringLiteral;
      if (!quoted) this.checkIdent(key, "a record key");
      return { kind: "recordEntry", key: quoted ? this.decodeStr(key) : key.image, quoted, value, span: join(tokSpan(key), value.span) } satisfies RecordEntry;
    });
  });
}
