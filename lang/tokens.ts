/**
 * The Writ token table: one source of truth for the policy parser, the schema
 * parser and the playground's syntax highlighting.
 *
 * NOTE: every keyword also belongs to the `AnyIdent` category, because Cedar lets
 * most keywords appear as attribute names (`context.entity`, `principal.type`) and
 * schema keywords are ordinary identifiers in policies. Parsers consume `AnyIdent`
 * wherever an identifier is expected and reject reserved words explicitly.
 */
import { createToken, Lexer, type TokenType } from "chevrotain";

/** Category matched by any identifier-shaped token, keywords included. */
export const AnyIdent = createToken({ name: "AnyIdent", pattern: Lexer.NA });

/**
 * Category matched by identifier-shaped tokens that may start an expression: plain
 * identifiers and every keyword except the reserved ones (`if then else in is like has true false`).
 * Reserved words that start an expression (`if`, `true`, `false`) have their own grammar rules.
 */
export const ExprIdent = createToken({ name: "ExprIdent", pattern: Lexer.NA });

/** A plain identifier (keywords are separate tokens with `longer_alt: Identifier`). */
export const Identifier = createToken({
  name: "Identifier",
  pattern: /[_a-zA-Z][_a-zA-Z0-9]*/,
  categories: [AnyIdent, ExprIdent],
});

/** Highlighting class of a token for editors. */
export type TokenClass = "keyword" | "variable" | "type" | "operator" | "punctuation" | "string" | "number" | "comment" | "identifier" | "annotation" | "whitespace";

/** Editor highlighting class per token name (read by the playground). */
export const tokenClasses: Record<string, TokenClass> = {};

function kw(word: string, cls: TokenClass = "keyword"): TokenType {
  const t = createToken({
    name: `Kw_${word}`,
    pattern: new RegExp(word),
    longer_alt: Identifier,
    categories: RESERVED_WORDS.has(word) ? [AnyIdent] : [AnyIdent, ExprIdent],
  });
  tokenClasses[t.name] = cls;
  return t;
}

/**
 * Words that can never be used as an identifier in a policy (Cedar's reserved words).
 * NOTE: `permit`, `forbid`, `when`, `unless` and the variable names are *not* reserved:
 * Cedar accepts them as attribute names, record keys and entity type names.
 */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([
  "true", "false", "if", "then", "else", "in", "is", "like", "has", "__cedar",
]);

// Policy keywords
export const Permit = kw("permit");
export const Forbid = kw("forbid");
export const When = kw("when");
export const Unless = kw("unless");
export const True = kw("true");
export const False = kw("false");
export const If = kw("if");
export const Then = kw("then");
export const Else = kw("else");
export const In = kw("in");
export const Has = kw("has");
export const Like = kw("like");
export const Is = kw("is");
export const Principal = kw("principal", "variable");
export const Action = kw("action", "variable");
export const Resource = kw("resource", "variable");
export const Context = kw("context", "variable");
// Schema keywords (identifiers in policies)
export const Namespace = kw("namespace");
export const Entity = kw("entity");
export const Type = kw("type");
export const AppliesTo = kw("appliesTo");
export const Tags = kw("tags");
export const Enum = kw("enum");

/** Whitespace (skipped). */
export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n\f\v\u00a0\ufeff]+/, group: Lexer.SKIPPED });
/** Comments are kept (in the `comments` group) so that `writ fmt` can re-emit them. */
export const LineComment = createToken({ name: "LineComment", pattern: /\/\/[^\n\r]*/, group: "comments" });

/** String literal with Cedar escapes (decoded by the parser, not the lexer). */
export const StringLiteral = createToken({ name: "StringLiteral", pattern: /"(?:[^"\\]|\\[\s\S])*"/ });
/** Unterminated string: matched so that the error names the string, not a stray quote. */
export const UnterminatedString = createToken({ name: "UnterminatedString", pattern: /"(?:[^"\\\n]|\\[^\n])*/ });
/** A decimal integer literal (the sign is folded in by the parser). */
export const Integer = createToken({ name: "Integer", pattern: /[0-9]+/ });

function punct(name: string, pattern: string | RegExp, cls: TokenClass = "punctuation"): TokenType {
  const t = createToken({ name, pattern });
  tokenClasses[name] = cls;
  return t;
}

/** A template slot: `?principal` or `?resource`. */
export const Slot = createToken({ name: "Slot", pattern: /\?(?:principal|resource)\b/ });
export const At = punct("At", "@", "annotation");
export const ColonColon = punct("ColonColon", "::");
export const Colon = punct("Colon", ":");
export const Comma = punct("Comma", ",");
export const Semicolon = punct("Semicolon", ";");
export const Dot = punct("Dot", ".");
export const LParen = punct("LParen", "(");
export const RParen = punct("RParen", ")");
export const LBrace = punct("LBrace", "{");
export const RBrace = punct("RBrace", "}");
export const LBracket = punct("LBracket", "[");
export const RBracket = punct("RBracket", "]");
export const EqEq = punct("EqEq", "==", "operator");
export const NotEq = punct("NotEq", "!=", "operator");
export const LessEq = punct("LessEq", "<=", "operator");
export const GreaterEq = punct("GreaterEq", ">=", "operator");
export const Less = punct("Less", "<", "operator");
export const Greater = punct("Greater", ">", "operator");
export const AndAnd = punct("AndAnd", "&&", "operator");
export const OrOr = punct("OrOr", "||", "operator");
export const Bang = punct("Bang", "!", "operator");
export const Plus = punct("Plus", "+", "operator");
export const Minus = punct("Minus", "-", "operator");
export const Star = punct("Star", "*", "operator");
export const Question = punct("Question", "?", "operator");
export const Equals = punct("Equals", "=", "operator");
export const Slash = punct("Slash", "/", "operator");
export const Percent = punct("Percent", "%", "operator");
/**
 * Any other printable ASCII character: lexed so the parser can report it with a position.
 * NOTE: deliberately not `[^\s]`: a complement set disables chevrotain's first-character
 * optimization and makes lexing ~5x slower. Other characters surface as lexer errors (W1005).
 */
export const Unknown = createToken({ name: "Unknown", pattern: /[!-~]/ });

tokenClasses[Identifier.name] = "identifier";
tokenClasses[StringLiteral.name] = "string";
tokenClasses[UnterminatedString.name] = "string";
tokenClasses[Integer.name] = "number";
tokenClasses[LineComment.name] = "comment";
tokenClasses[Slot.name] = "variable";
tokenClasses[WhiteSpace.name] = "whitespace";
tokenClasses[Unknown.name] = "operator";

/** All tokens in lexing order (longest / most specific first). */
export const allTokens: readonly TokenType[] = [
  WhiteSpace, LineComment,
  StringLiteral, UnterminatedString, Integer, Slot,
  Permit, Forbid, When, Unless, True, False, If, Then, Else, In, Has, Like, Is,
  Principal, Action, Resource, Context,
  Namespace, Entity, Type, AppliesTo, Tags, Enum,
  Identifier, AnyIdent, ExprIdent,
  At, ColonColon, Colon, Comma, Semicolon, Dot, LParen, RParen, LBrace, RBrace, LBracket, RBracket,
  EqEq, NotEq, LessEq, GreaterEq, Less, Greater, AndAnd, OrOr, Bang, Plus, Minus, Star, Question, Equals, Slash, Percent,
  Unknown,
];

/** The shared lexer (positions tracked as offsets only; lines derived when printing). */
export const writLexer = new Lexer(allTokens as TokenType[], { positionTracking: "onlyOffset", ensureOptimizations: false });
