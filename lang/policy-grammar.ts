/**
 * The chevrotain grammar of Cedar policies (embedded actions), building the AST of `ast.ts`:
 * annotations, effect, scope and conditions. Expressions come from {@link ExprParser}.
 *
 * The parser parses one policy at a time (`policy` rule); `policy-parser.ts` drives it over a file,
 * resynchronizes after errors and applies limits. Non-fatal problems (duplicate annotations,
 * invalid scope targets, `is` in the action scope) are pushed to `diagnostics`.
 */
import type { IToken } from "chevrotain";
import type { Annotation, Condition, EntityRef, Policy, RecordEntry, Scope, ScopeConstraint, SlotRef } from "./ast.js";
import { diag } from "./diagnostics.js";
import { ExprParser, spanOf, tokSpan, VARIABLES } from "./expr-parser.js";
import type { Span } from "./span.js";
import * as T from "./tokens.js";

export { tokSpan } from "./expr-parser.js";

/** The target of a scope constraint as written. */
type ScopeTarget =
  | { readonly kind: "ref"; readonly ref: EntityRef | undefined; readonly span: Span }
  | { readonly kind: "slot"; readonly slot: SlotRef; readonly span: Span }
  | { readonly kind: "list"; readonly refs: readonly EntityRef[]; readonly span: Span };

/** The policy parser. Build once and reuse: `parser.input = tokens; parser.policy()`. */
export class PolicyParser extends ExprParser {
  constructor() {
    super();
    this.performSelfAnalysis();
  }

  // ---------------------------------------------------------------- policies

  /** One policy, through its terminating `;`. */
  public policy = this.RULE("policy", (): Policy => {
    const annotations: Annotation[] = [];
    const names = new Set<string>();
    this.MANY(() => {
      const a = this.SUBRULE(this.annotation);
      this.ACTION(() => {
        // A set, not a scan of the list: a policy may carry many thousands of annotations.
        if (names.has(a.name)) this.report("W1007", `duplicate annotation \`@${a.name}\``, a.span, "each annotation may appear once per policy");
        names.add(a.name);
        annotations.push(a);
      });
    });
    const effect = this.SUBRULE(this.effect);
    this.CONSUME(T.LParen);
    const principal = this.SUBRULE(this.scope, { ARGS: ["principal"] });
    this.CONSUME(T.Comma);
    const action = this.SUBRULE2(this.scope, { ARGS: ["action"] });
    this.CONSUME2(T.Comma);
    const resource = this.SUBRULE3(this.scope, { ARGS: ["resource"] });
    this.OPTION(() => this.CONSUME3(T.Comma));
    this.CONSUME(T.RParen);
    const conditions: Condition[] = [];
    this.MANY2(() => {
      const c = this.SUBRULE(this.condition);
      this.ACTION(() => conditions.push(c));
    });
    let obligations: { entries: RecordEntry[]; span: Span } | undefined;
    this.OPTION2({
      GATE: () => this.LA(1).image === "obligations",
      DEF: () => {
      const kw = this.CONSUME(T.Identifier);
      const rec = this.SUBRULE(this.record);
      this.ACTION(() => {
        if (kw.image !== "obligations") this.report("W1001", `expected \`obligations\`, \`when\`, \`unless\` or \`;\`, found \`${kw.image}\``, tokSpan(kw));
        const entries = rec.kind === "record" ? [...rec.entries] : [];
        // Duplicate keys in this record are duplicate obligations (W6006), not W1015.
        this.diagnostics = this.diagnostics.map((d) =>
          d.code === "W1015" && d.span.start >= rec.span.start && d.span.end <= rec.span.end ? diag("W6006", d.message.replace("in record literal", "in obligations"), d.span, "each obligation may be set once per policy") : d,
        );
        obligations = { entries, span: { start: kw.startOffset, end: rec.span.end } };
      });
      },
    });
    const semi = this.CONSUME(T.Semicolon);
    return this.ACTION(() => {
      const start = annotations.length > 0 ? annotations[0]!.span.start : effect.start;
      return {
        kind: "policy",
        annotations,
        effect: effect.effect,
        principal,
        action,
        resource,
        conditions,
        ...(obligations === undefined ? {} : { obligations: obligations.entries, obligationsSpan: obligations.span }),
        span: { start, end: tokSpan(semi).end },
      } satisfies Policy;
    });
  });

  private annotation = this.RULE("annotation", (): Annotation => {
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
    return this.ACTION(() => ({ kind: "annotation", name: name.image, value, span: spanOf(at, this.prev()) }) satisfies Annotation);
  });

  private effect = this.RULE("effect", (): { effect: "permit" | "forbid"; start: number } => {
    const t = this.OR([{ ALT: () => this.CONSUME(T.Permit) }, { ALT: () => this.CONSUME(T.Forbid) }]);
    return this.ACTION(() => ({ effect: t.image === "forbid" ? "forbid" : "permit", start: t.startOffset }));
  });

  private scope = this.RULE("scope", (expected: "principal" | "action" | "resource"): Scope => {
    const v = this.CONSUME(T.AnyIdent);
    let constraint: ScopeConstraint = { kind: "any" };
    this.OPTION(() => {
      this.OR([
        {
          ALT: () => {
            const op = this.CONSUME(T.EqEq);
            const t = this.SUBRULE(this.scopeTarget);
            this.ACTION(() => {
              constraint = this.constraintFor(expected, "eq", t, op);
            });
          },
        },
        {
          ALT: () => {
            const op = this.CONSUME(T.In);
            const t = this.SUBRULE2(this.scopeTarget);
            this.ACTION(() => {
              constraint = this.constraintFor(expected, "in", t, op);
            });
          },
        },
        {
          ALT: () => {
            const op = this.CONSUME(T.Is);
            const type = this.SUBRULE(this.path);
            let target: ScopeTarget | undefined;
            this.OPTION2(() => {
              this.CONSUME2(T.In);
              target = this.SUBRULE3(this.scopeTarget);
            });
            this.ACTION(() => {
              if (expected === "action") {
                this.report("W1010", "`is` cannot appear in the action scope", spanOf(op, this.prev()), "use `action == …` or `action in …`");
                return;
              }
              const inTarget = target === undefined ? undefined : this.constraintFor(expected, "in", target, op);
              const inRef = inTarget?.kind === "in" ? inTarget.target : undefined;
              constraint = { kind: "is", entityType: this.nameOf(type), in: inRef };
            });
          },
        },
      ]);
    });
    return this.ACTION(() => {
      if (v.image !== expected) {
        const help = VARIABLES.has(v.image) ? "the scope lists `principal`, `action` and `resource`, in this order" : undefined;
        this.report("W1006", `expected \`${expected}\` in the policy scope, found \`${v.image}\``, tokSpan(v), help);
      }
      return { kind: "scope", variable: expected, constraint, span: spanOf(v, this.prev()) } satisfies Scope;
    });
  });

  private constraintFor(variable: "principal" | "action" | "resource", op: "eq" | "in", t: ScopeTarget, opTok: IToken): ScopeConstraint {
    const fallback: ScopeConstraint = { kind: "any" };
    switch (t.kind) {
      case "ref":
        if (t.ref === undefined) {
          this.report("W1006", `expected an entity reference after \`${opTok.image}\` in the ${variable} scope, found a type name`, t.span, 'write an entity reference such as `User::"alice"`');
          return fallback;
        }
        return { kind: op, target: t.ref };
      case "slot":
        if (variable === "action") {
          this.report("W1006", "template slots cannot appear in the action scope", t.span);
          return fallback;
        }
        if (t.slot.slot !== variable) {
          this.report("W1006", `expected an entity reference or \`?${variable}\`, found \`?${t.slot.slot}\``, t.span);
          return fallback;
        }
        return { kind: op, target: t.slot };
      case "list":
        if (variable === "action" && op === "in") return { kind: "inList", targets: t.refs };
        this.report("W1006", `a list of entities is only allowed in \`action in [ … ]\``, t.span, variable === "action" ? "use `action in [ … ]`" : `use \`${variable} in …\` with a single entity`);
        return fallback;
    }
  }

  private scopeTarget = this.RULE("scopeTarget", (): ScopeTarget => {
    return this.OR([
      {
        ALT: () => {
          const s = this.CONSUME(T.Slot);
          return this.ACTION(() => {
            const slot: SlotRef = { kind: "slot", slot: s.image === "?principal" ? "principal" : "resource", span: tokSpan(s) };
            return { kind: "slot", slot, span: slot.span } satisfies ScopeTarget;
          });
        },
      },
      {
        ALT: () => {
          const open = this.CONSUME(T.LBracket);
          const refs: EntityRef[] = [];
          this.OPTION(() => {
            const r = this.SUBRULE(this.entityRef);
            this.ACTION(() => refs.push(r));
            this.MANY({
              GATE: () => this.LA(2).tokenType !== T.RBracket,
              DEF: () => {
                this.CONSUME(T.Comma);
                const r2 = this.SUBRULE2(this.entityRef);
                this.ACTION(() => refs.push(r2));
              },
            });
            this.OPTION2(() => this.CONSUME2(T.Comma));
          });
          const close = this.CONSUME(T.RBracket);
          return this.ACTION(() => ({ kind: "list", refs, span: spanOf(open, close) }) satisfies ScopeTarget);
        },
      },
      {
        ALT: () => {
          const first = this.CONSUME(T.AnyIdent);
          const r = this.SUBRULE(this.refTail);
          return this.ACTION(() => {
            const parts = { parts: [first, ...r.parts], id: r.id };
            return { kind: "ref", ref: this.refOf(parts), span: spanOf(first, this.prev()) } satisfies ScopeTarget;
          });
        },
      },
    ]);
  });

  /** An entity reference (a type name without id is reported as W1006 and given an empty id). */
  private entityRef = this.RULE("entityRef", (): EntityRef => {
    const first = this.CONSUME(T.AnyIdent);
    const r = this.SUBRULE(this.refTail);
    return this.ACTION(() => {
      const parts = { parts: [first, ...r.parts], id: r.id };
      const ref = this.refOf(parts);
      if (ref !== undefined) return ref;
      const span = spanOf(first, this.prev());
      this.report("W1006", "expected an entity reference, found a type name", span, 'write an entity reference such as `Action::"view"`');
      return { kind: "entityRef", type: this.nameOf(parts.parts), id: "", span } satisfies EntityRef;
    });
  });

  /** The rest of `A::B::"id"` after the first identifier. */

  private condition = this.RULE("condition", (): Condition => {
    const kw = this.OR([{ ALT: () => this.CONSUME(T.When) }, { ALT: () => this.CONSUME(T.Unless) }]);
    this.CONSUME(T.LBrace);
    const body = this.SUBRULE(this.expr);
    const close = this.CONSUME(T.RBrace);
    return this.ACTION(() => ({ kind: "condition", polarity: kw.image === "unless" ? "unless" : "when", body, span: spanOf(kw, close) }) satisfies Condition);
  });

}
