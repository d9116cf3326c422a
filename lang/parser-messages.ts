/**
 * Human-readable syntax-error messages for the chevrotain parsers: token display names
 * and an error-message provider producing e.g. "expected `;` after policy, found `permit`".
 */
import { EOF, type IParserErrorMessageProvider, type IToken, type TokenType } from "chevrotain";

/** How a token type is named in messages. */
const DISPLAY: Readonly<Record<string, string>> = {
  Identifier: "an identifier",
  AnyIdent: "an identifier",
  ExprIdent: "an expression",
  StringLiteral: "a string literal",
  UnterminatedString: "a string literal",
  Integer: "an integer",
  Slot: "a template slot",
  EOF: "end of input",
  ColonColon: "`::`",
  Colon: "`:`",
  Comma: "`,`",
  Semicolon: "`;`",
  Dot: "`.`",
  LParen: "`(`",
  RParen: "`)`",
  LBrace: "`{`",
  RBrace: "`}`",
  LBracket: "`[`",
  RBracket: "`]`",
  EqEq: "`==`",
  NotEq: "`!=`",
  LessEq: "`<=`",
  GreaterEq: "`>=`",
  Less: "`<`",
  Greater: "`>`",
  AndAnd: "`&&`",
  OrOr: "`||`",
  Bang: "`!`",
  Plus: "`+`",
  Minus: "`-`",
  Star: "`*`",
  Question: "`?`",
  Equals: "`=`",
  At: "`@`",
};

/** The display name of a token type: "`;`", "`permit`", "an identifier", … */
export function displayTokenType(t: TokenType): string {
  const d = DISPLAY[t.name];
  if (d !== undefined) return d;
  if (t.name.startsWith("Kw_")) return `\`${t.name.slice(3)}\``;
  return t.name;
}

/** The display of an actual token: "`permit`", "end of input", a truncated string literal. */
export function displayToken(tok: IToken): string {
  if (tok.tokenType === EOF || tok.image === "") return "end of input";
  const image = tok.image.length > 24 ? `${tok.image.slice(0, 21)}...` : tok.image;
  return `\`${image}\``;
}

/** Extra words after "expected X" for well-known places in the grammar. */
function contextOf(ruleName: string, expected: TokenType): string {
  if (ruleName === "policy") {
    switch (expected.name) {
      case "Semicolon":
        return " after policy";
      case "LParen":
        return " after the effect";
      case "Comma":
        return " between scope elements";
      case "RParen":
        return " to close the policy scope";
      default:
        return "";
    }
  }
  if ((ruleName === "entityDecl" || ruleName === "actionDecl" || ruleName === "typeDecl") && expected.name === "Semicolon") return " after the declaration";
  if (ruleName === "condition" && expected.name === "RBrace") return " to close the condition";
  if (ruleName === "condition" && expected.name === "LBrace") return " after `when`/`unless`";
  return "";
}

/** Rules holding a comma-separated list, by the name of the closing token. */
const LIST_CLOSERS: Readonly<Record<string, string>> = {
  record: "RBrace",
  recordType: "RBrace",
  appliesTo: "RBrace",
  exprList: "RParen",
  scopeTarget: "RBracket",
  typeOrTypes: "RBracket",
  appliesEntry: "RBracket",
  actionDecl: "RBracket",
};

/** What a rule expects when no alternative matched. */
const RULE_EXPECTS: Readonly<Record<string, string>> = {
  primary: "an expression",
  expr: "an expression",
  effect: "`permit` or `forbid`",
  scopeTarget: "an entity reference or a template slot",
  scopeConstraint: "`==`, `in` or `is`",
  recordKey: "a record key (identifier or string)",
  hasAttr: "an attribute name",
  condition: "`when` or `unless`",
  declaration: "a declaration (`entity`, `action`, `type` or `namespace`)",
  typeExpr: "a type",
  actionName: "an action name (identifier or string)",
  attrName: "an attribute name (identifier or string)",
};

function firstTokensOf(paths: readonly (readonly (readonly TokenType[])[])[]): string[] {
  const seen = new Set<string>();
  for (const alt of paths) for (const path of alt) if (path[0] !== undefined) seen.add(displayTokenType(path[0]));
  return [...seen];
}

function oneOf(items: readonly string[]): string {
  if (items.length === 0) return "something else";
  if (items.length === 1) return items[0]!;
  return `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]!}`;
}

/** The error-message provider shared by the policy and schema parsers. */
export const errorMessageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, ruleName }): string {
    const list = LIST_CLOSERS[ruleName];
    if (list !== undefined && expected.name === list) return `expected \`,\` or ${displayTokenType(expected)}, found ${displayToken(actual)}`;
    return `expected ${displayTokenType(expected)}${contextOf(ruleName, expected)}, found ${displayToken(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }): string {
    return `unexpected ${displayToken(firstRedundant)}`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, ruleName }): string {
    const what = RULE_EXPECTS[ruleName] ?? oneOf(firstTokensOf(expectedPathsPerAlt));
    return `expected ${what}, found ${displayToken(actual[0]!)}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, ruleName }): string {
    const what = RULE_EXPECTS[ruleName] ?? oneOf(firstTokensOf([expectedIterationPaths]));
    return `expected ${what}, found ${displayToken(actual[0]!)}`;
  },
};
