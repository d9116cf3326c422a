/**
 * The chevrotain grammar of the human-readable Cedar schema syntax (`.cedarschema`),
 * building the AST of `schema-ast.ts` with embedded actions.
 *
 * The driver (`schema-parser.ts`) parses one declaration at a time (`declaration` rule) and
 * handles namespaces itself (`namespaceHeader` rule), so that errors resynchronize per
 * declaration. Non-fatal problems are pushed to `diagnostics`.
 *
 * NOTE: as in `policy-grammar.ts`, sub-rule results are only used inside `ACTION`.
 */
import { EmbeddedActionsParser, type IToken, type TokenType } from "chevrotain";
import type { Annotation, Name } from "./ast.js";
import { diag, type Diagnostic, type DiagnosticCode } from "./diagnostics.js";
import { errorMessageProvider } from "./parser-messages.js";
import type { ActionDecl, ActionRef, AttrDecl, Declaration, EntityDecl, ObligationDecl, TypeDecl, TypeExpr } from "./schema-ast.js";
import type { Span } from "./span.js";
import { decodeString, isWellFormedText } from "./strings.js";
import * as T from "./tokens.js";
import { tokSpan } from "./policy-grammar.js";

function spanOf(a: IToken, b: IToken): Span {
  return { start: a.startOffset, end: (b.endOffset ?? b.startOffset + b.image.length - 1) + 1 };
}

/** The header of `@a namespace A::B {`. */
export interface NamespaceHeader {
  readonly annotations: readonly Annotation[];
  readonly name: Name;
  readonly start: number;
}

/** Names a common type cannot take (Cedar's reserved schema keywords). */
const RESERVED_TYPE_NAMES: ReadonlySet<string> = new Set(["Bool", "Boolean", "Entity", "Extension", "Long", "Record", "Set", "String"]);

/** `principal: …`, `resource: …` or `context: …` inside `appliesTo`, as written. */
interface AppliesEntry {
  readonly key: IToken;
  readonly list: readonly TypeExpr[] | undefined;
  readonly type: TypeExpr | undefined;
  readonly span: Span;
}

/** The schema parser. Build once and reuse: `parser.input = tokens; parser.declaration()`. */
export class SchemaParser extends EmbeddedActionsParser {
  /** Non-fatal diagnostics found while parsing. */
  diagnostics: Diagnostic[] = [];

  constructor() {
    super(T.allTokens as TokenType[], { maxLookahead: 3, recoveryEnabled: false, errorMessageProvider });
    this.performSelfAnalysis();
  }

  private report(code: DiagnosticCode, message: string, span: Span, help?: string): void {
    this.diagnostics.push(diag(code, message, span, help));
  }

  private prev(): IToken {
    return this.LA(0);
  }

  private decodeStr(t: IToken): string {
    const d = decodeString(t.image);
    for (const e of d.errors) this.report("W1003", `invalid escape sequence \`${e.text}\` in string`, { start: t.startOffset + e.offset, end: t.startOffset + e.offset + e.length });
    if (!isWellFormedText(t.image)) this.report("W1020", "string contains a lone UTF-16 surrogate, which is not valid Unicode text", tokSpan(t));
    return d.value;
  }

  /** Report a reserved word used as an identifier (W1008). */
  private checkIdent(t: IToken, what: string): void {
    if (t.image !== "__cedar" && T.RESERVED_WORDS.has(t.image)) this.report("W1008", `\`${t.image}\` is a reserved word and cannot be used as ${what}`, tokSpan(t));
  }

  private nameOf(parts: readonly IToken[]): Name {
    for (const p of parts) this.checkIdent(p, "a name");
    return { kind: "name", path: parts.map((p) => p.image), span: spanOf(parts[0]!, parts[parts.length - 1]!) };
  }

  /** `@a namespace A::B {` (through the brace). */
  public namespaceHeader = this.RULE("namespaceHeader", (): NamespaceHeader => {
    const annotations = this.SUBRULE(this.annotations);
    const kw = this.CONSUME(T.Namespace);
    const path = this.SUBRULE(this.path);
    this.CONSUME(T.LBrace);
    return this.ACTION(() => {
      const name = this.nameOf(path);
      if (name.path.includes("__cedar")) this.report("W1202", "the `__cedar` namespace is reserved", name.span);
      return { annotations, name, start: annotations[0]?.span.start ?? kw.startOffset };
    });
  });

  /** One declaration through its `;`. */
  public declaration = this.RULE("declaration", (): Declaration => {
    const annotations = this.SUBRULE(this.annotations);
    return this.OR([
      { ALT: () => this.SUBRULE(this.entityDecl, { ARGS: [annotations] }) },
      { ALT: () => this.SUBRULE(this.actionDecl, { ARGS: [annotations] }) },
      { ALT: () => this.SUBRULE(this.typeDecl, { ARGS: [annotations] }) },
    ]);
  });

  /** Writ extension: an annotated `obligation name: Type;` (the driver picks this rule when it sees `obligation x :`). */
  public obligationDeclaration = this.RULE("obligationDeclaration", (): ObligationDecl => {
    const annotations = this.SUBRULE(this.annotations);
    return this.SUBRULE(this.obligationDecl, { ARGS: [annotations] });
  });

  /** Writ extension: `obligation name: Type;` (`obligation` is a contextual keyword). */
  private obligationDecl = this.RULE("obligationDecl", (annotations: readonly Annotation[]): ObligationDecl => {
    const kw = this.CONSUME(T.AnyIdent);
    const name = this.CONSUME2(T.AnyIdent);
    this.CONSUME(T.Colon);
    const type = this.SUBRULE(this.typeExpr);
    const semi = this.CONSUME(T.Semicolon);
    return this.ACTION(() => {
      this.checkIdent(name, "an obligation name");
      return { kind: "obligationDecl", annotations, name: name.image, type, span: { start: this.startOf(annotations, kw), end: tokSpan(semi).end } } satisfies ObligationDecl;
    });
  });

  private annotations = this.RULE("annotations", (): Annotation[] => {
    const list: Annotation[] = [];
    const names = new Set<string>();
    this.MANY(() => {
      const at = this.CONSUME(T.At);
      const name = this.CONSUME(T.AnyIdent);
      let value: string | undefined;
      this.OPTION(() => {
        this.CONSUME(T.LParen);
        const s = this.CONSUME(T.StringLiteral);
        this.CONSUME(T.RParen);
        this.ACTION(() => {
          value = this.decodeStr(s);
        });
      });
      this.ACTION(() => {
        const a: Annotation = { kind: "annotation", name: name.image, value, span: spanOf(at, this.prev()) };
        if (names.has(a.name)) this.report("W1007", `duplicate annotation \`@${a.name}\``, a.span);
        names.add(a.name);
        list.push(a);
      });
    });
    return list;
  });

  private startOf(annotations: readonly Annotation[], kw: IToken): number {
    return annotations[0]?.span.start ?? kw.startOffset;
  }

  private entityDecl = this.RULE("entityDecl", (annotations: readonly Annotation[]): EntityDecl => {
    const kw = this.CONSUME(T.Entity);
    const names = this.SUBRULE(this.identList);
    let memberOf: Name[] = [];
    let shape: TypeExpr | undefined;
    let tags: TypeExpr | undefined;
    let enumValues: string[] | undefined;
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Enum);
          this.CONSUME(T.LBracket);
          const values: IToken[] = [this.CONSUME(T.StringLiteral)];
          this.MANY(() => {
            this.CONSUME(T.Comma);
            const v = this.CONSUME2(T.StringLiteral);
            this.ACTION(() => values.push(v));
          });
          this.CONSUME(T.RBracket);
          this.ACTION(() => {
            enumValues = values.map((v) => this.decodeStr(v));
          });
        },
      },
      {
        ALT: () => {
          this.OPTION2(() => {
            this.CONSUME(T.In);
            const types = this.SUBRULE(this.typeOrTypes);
            this.ACTION(() => {
              memberOf = types.flatMap((t) => (t.kind === "namedType" ? [t.name] : []));
            });
          });
          this.OPTION3(() => {
            this.OPTION4(() => this.CONSUME(T.Equals));
            shape = this.SUBRULE(this.recordType);
          });
          this.OPTION5(() => {
            this.CONSUME(T.Tags);
            tags = this.SUBRULE(this.typeExpr);
          });
        },
      },
    ]);
    const semi = this.CONSUME(T.Semicolon);
    return this.ACTION(() => ({
      kind: "entityDecl",
      annotations,
      names: names.map((n) => n.image),
      memberOf,
      shape,
      tags,
      enumValues,
      span: { start: this.startOf(annotations, kw), end: tokSpan(semi).end },
    }) satisfies EntityDecl);
  });

  /** `A, B, C` (identifiers). */
  private identList = this.RULE("identList", (): IToken[] => {
    const list: IToken[] = [this.CONSUME(T.AnyIdent)];
    this.MANY(() => {
      this.CONSUME(T.Comma);
      const t = this.CONSUME2(T.AnyIdent);
      this.ACTION(() => list.push(t));
    });
    this.ACTION(() => {
      for (const t of list) this.checkIdent(t, "an entity type name");
    });
    return list;
  });

  /** `T` or `[T, U]` (entity type names). */
  private typeOrTypes = this.RULE("typeOrTypes", (): TypeExpr[] => {
    return this.OR([
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          const list: TypeExpr[] = [];
          this.OPTION(() => {
            const p = this.SUBRULE(this.path);
            this.ACTION(() => list.push({ kind: "namedType", name: this.nameOf(p), span: this.nameOf(p).span }));
            this.MANY(() => {
              this.CONSUME(T.Comma);
              const q = this.SUBRULE2(this.path);
              this.ACTION(() => list.push({ kind: "namedType", name: this.nameOf(q), span: this.nameOf(q).span }));
            });
          });
          this.CONSUME(T.RBracket);
          return list;
        },
      },
      {
        ALT: () => {
          const p = this.SUBRULE3(this.path);
          return this.ACTION(() => [{ kind: "namedType", name: this.nameOf(p), span: this.nameOf(p).span } satisfies TypeExpr]);
        },
      },
    ]);
  });

  private actionDecl = this.RULE("actionDecl", (annotations: readonly Annotation[]): ActionDecl => {
    const kw = this.CONSUME(T.Action);
    const names: string[] = [];
    const first = this.SUBRULE(this.actionName);
    this.ACTION(() => names.push(first));
    this.MANY(() => {
      this.CONSUME(T.Comma);
      const n = this.SUBRULE2(this.actionName);
      this.ACTION(() => names.push(n));
    });
    let memberOf: ActionRef[] = [];
    this.OPTION(() => {
      this.CONSUME(T.In);
      this.OR([
        {
          ALT: () => {
            this.CONSUME(T.LBracket);
            const r = this.SUBRULE(this.actionRef);
            this.ACTION(() => memberOf.push(r));
            this.MANY2(() => {
              this.CONSUME2(T.Comma);
              const r2 = this.SUBRULE2(this.actionRef);
              this.ACTION(() => memberOf.push(r2));
            });
            this.CONSUME(T.RBracket);
          },
        },
        {
          ALT: () => {
            const r = this.SUBRULE3(this.actionRef);
            this.ACTION(() => {
              memberOf = [r];
            });
          },
        },
      ]);
    });
    let appliesTo: ActionDecl["appliesTo"];
    this.OPTION4(() => {
      appliesTo = this.SUBRULE(this.appliesTo);
    });
    const semi = this.CONSUME(T.Semicolon);
    return this.ACTION(() => ({
      kind: "actionDecl",
      annotations,
      names,
      memberOf,
      appliesTo,
      span: { start: this.startOf(annotations, kw), end: tokSpan(semi).end },
    }) satisfies ActionDecl);
  });

  /** An action name: identifier or string. */
  private actionName = this.RULE("actionName", (): string => {
    const t = this.OR([{ ALT: () => this.CONSUME(T.AnyIdent) }, { ALT: () => this.CONSUME(T.StringLiteral) }]);
    return this.ACTION(() => {
      if (t.tokenType === T.StringLiteral) return this.decodeStr(t);
      this.checkIdent(t, "an action name");
      return t.image;
    });
  });

  /** `"view"`, `view` or `Ns::Action::"view"`. */
  private actionRef = this.RULE("actionRef", (): ActionRef => {
    return this.OR([
      {
        ALT: () => {
          const s = this.CONSUME(T.StringLiteral);
          return this.ACTION(() => ({ kind: "actionRef", type: undefined, id: this.decodeStr(s), span: tokSpan(s) }) satisfies ActionRef);
        },
      },
      {
        ALT: () => {
          const parts: IToken[] = [this.CONSUME(T.AnyIdent)];
          let id: IToken | undefined;
          this.MANY({
            GATE: () => id === undefined,
            DEF: () => {
              this.CONSUME(T.ColonColon);
              this.OR2([
                {
                  ALT: () => {
                    const p = this.CONSUME2(T.AnyIdent);
                    this.ACTION(() => parts.push(p));
                  },
                },
                {
                  ALT: () => {
                    id = this.CONSUME2(T.StringLiteral);
                  },
                },
              ]);
            },
          });
          return this.ACTION(() => {
            const span = spanOf(parts[0]!, this.prev());
            if (id !== undefined) return { kind: "actionRef", type: this.nameOf(parts), id: this.decodeStr(id), span } satisfies ActionRef;
            if (parts.length > 1) this.report("W1202", 'a qualified action reference needs an id, e.g. `Ns::Action::"view"`', span);
            else this.checkIdent(parts[0]!, "an action name");
            return { kind: "actionRef", type: undefined, id: parts[parts.length - 1]!.image, span } satisfies ActionRef;
          });
        },
      },
    ]);
  });

  private appliesTo = this.RULE("appliesTo", (): NonNullable<ActionDecl["appliesTo"]> => {
    const kw = this.CONSUME(T.AppliesTo);
    this.CONSUME(T.LBrace);
    const entries: AppliesEntry[] = [];
    const e = this.SUBRULE(this.appliesEntry);
    this.ACTION(() => entries.push(e));
    this.MANY({
      GATE: () => this.LA(2).tokenType !== T.RBrace,
      DEF: () => {
        this.CONSUME(T.Comma);
        const e2 = this.SUBRULE2(this.appliesEntry);
        this.ACTION(() => entries.push(e2));
      },
    });
    this.OPTION(() => this.CONSUME2(T.Comma));
    const close = this.CONSUME(T.RBrace);
    return this.ACTION(() => this.buildAppliesTo(entries, spanOf(kw, close)));
  });

  private buildAppliesTo(entries: readonly AppliesEntry[], span: Span): NonNullable<ActionDecl["appliesTo"]> {
    let principals: Name[] | undefined;
    let resources: Name[] | undefined;
    let context: TypeExpr | undefined;
    const seen = new Set<string>();
    for (const e of entries) {
      const key = e.key.image;
      if (seen.has(key)) this.report("W1202", `duplicate \`${key}\` in \`appliesTo\``, tokSpan(e.key));
      seen.add(key);
      if (key === "principal" || key === "resource") {
        const types = e.list ?? (e.type === undefined ? [] : [e.type]);
        const names: Name[] = [];
        for (const t of types) {
          if (t.kind === "namedType") names.push(t.name);
          else this.report("W1202", `\`${key}\` takes entity type names`, t.span, `write \`${key}: [User, Group]\``);
        }
        if (names.length === 0 && e.list !== undefined) this.report("W1202", `\`${key}: []\` is invalid: an action must apply to at least one ${key} type`, e.span, "remove the action's `appliesTo` to declare an action that applies to nothing");
        if (key === "principal") principals = names;
        else resources = names;
      } else if (key === "context") {
        if (e.list !== undefined || e.type?.kind === "setType") this.report("W1202", "`context` takes a record type or a common type name", e.span);
        else context = e.type;
      } else {
        this.report("W1202", `unknown \`appliesTo\` field \`${key}\``, tokSpan(e.key), "the fields are `principal`, `resource` and `context`");
      }
    }
    if (principals === undefined) this.report("W1202", "missing `principal` in `appliesTo`", span, "list the principal types, e.g. `principal: [User]`");
    if (resources === undefined) this.report("W1202", "missing `resource` in `appliesTo`", span, "list the resource types, e.g. `resource: [Photo]`");
    return { principals, resources, context, span };
  }

  private appliesEntry = this.RULE("appliesEntry", (): AppliesEntry => {
    const key = this.CONSUME(T.AnyIdent);
    this.CONSUME(T.Colon);
    let list: TypeExpr[] | undefined;
    let type: TypeExpr | undefined;
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          const items: TypeExpr[] = [];
          this.OPTION(() => {
            const t = this.SUBRULE(this.typeExpr);
            this.ACTION(() => items.push(t));
            this.MANY(() => {
              this.CONSUME(T.Comma);
              const t2 = this.SUBRULE2(this.typeExpr);
              this.ACTION(() => items.push(t2));
            });
          });
          this.CONSUME(T.RBracket);
          list = items;
        },
      },
      {
        ALT: () => {
          type = this.SUBRULE3(this.typeExpr);
        },
      },
    ]);
    return this.ACTION(() => ({ key, list, type, span: spanOf(key, this.prev()) }));
  });

  private typeDecl = this.RULE("typeDecl", (annotations: readonly Annotation[]): TypeDecl => {
    const kw = this.CONSUME(T.Type);
    const name = this.CONSUME(T.AnyIdent);
    this.CONSUME(T.Equals);
    const type = this.SUBRULE(this.typeExpr);
    const semi = this.CONSUME(T.Semicolon);
    return this.ACTION(() => {
      this.checkIdent(name, "a type name");
      if (RESERVED_TYPE_NAMES.has(name.image)) this.report("W1202", `\`${name.image}\` is a reserved type name and cannot be declared`, tokSpan(name), "choose another name for the common type");
      return { kind: "typeDecl", annotations, name: name.image, type, span: { start: this.startOf(annotations, kw), end: tokSpan(semi).end } } satisfies TypeDecl;
    });
  });

  /** A type: `Long`, `Ns::T`, `Set<T>`, `{ … }`. */
  public typeExpr = this.RULE("typeExpr", (): TypeExpr => {
    return this.OR([
      { ALT: () => this.SUBRULE(this.recordType) },
      {
        ALT: () => {
          const p = this.SUBRULE(this.path);
          let element: TypeExpr | undefined;
          this.OPTION(() => {
            this.CONSUME(T.Less);
            element = this.SUBRULE(this.typeExpr);
            this.CONSUME(T.Greater);
          });
          return this.ACTION(() => {
            const name = this.nameOf(p);
            if (element === undefined) return { kind: "namedType", name, span: name.span } satisfies TypeExpr;
            const span = spanOf(p[0]!, this.prev());
            if (name.path.length !== 1 || name.path[0] !== "Set") this.report("W1202", `only \`Set\` takes a type argument, found \`${name.path.join("::")}<…>\``, span);
            return { kind: "setType", element, span } satisfies TypeExpr;
          });
        },
      },
    ]);
  });

  private recordType = this.RULE("recordType", (): TypeExpr => {
    const open = this.CONSUME(T.LBrace);
    const attributes: AttrDecl[] = [];
    this.OPTION(() => {
      const a = this.SUBRULE(this.attrDecl);
      this.ACTION(() => attributes.push(a));
      this.MANY({
        GATE: () => this.LA(2).tokenType !== T.RBrace,
        DEF: () => {
          this.CONSUME(T.Comma);
          const a2 = this.SUBRULE2(this.attrDecl);
          this.ACTION(() => attributes.push(a2));
        },
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    const close = this.CONSUME(T.RBrace);
    return this.ACTION(() => ({ kind: "recordType", attributes, span: spanOf(open, close) }) satisfies TypeExpr);
  });

  private attrDecl = this.RULE("attrDecl", (): AttrDecl => {
    const annotations = this.SUBRULE(this.annotations);
    const name = this.SUBRULE(this.attrName);
    let required = true;
    this.OPTION(() => {
      this.CONSUME(T.Question);
      required = false;
    });
    this.CONSUME(T.Colon);
    const type = this.SUBRULE(this.typeExpr);
    return this.ACTION(() => ({
      kind: "attrDecl",
      annotations,
      name: name.tokenType === T.StringLiteral ? this.decodeStr(name) : (this.checkIdent(name, "an attribute name"), name.image),
      required,
      type,
      span: { start: annotations[0]?.span.start ?? name.startOffset, end: type.span.end },
    }) satisfies AttrDecl);
  });

  private attrName = this.RULE("attrName", (): IToken => {
    return this.OR([{ ALT: () => this.CONSUME(T.AnyIdent) }, { ALT: () => this.CONSUME(T.StringLiteral) }]);
  });

  private path = this.RULE("path", (): IToken[] => {
    const parts: IToken[] = [this.CONSUME(T.AnyIdent)];
    this.MANY(() => {
      this.CONSUME(T.ColonColon);
      const p = this.CONSUME2(T.AnyIdent);
      this.ACTION(() => parts.push(p));
    });
    return parts;
  });
}
