/**
 * `writ/lang`: text → AST. Parsers for policies and schemas, the AST types, the
 * diagnostic catalog and printer, span helpers and the token table (for editors).
 * Explicit named exports only.
 */
export { exprChildren } from "./ast.js";
export { parsePolicies, lexSource, exprDepth, MAX_SOURCE_LENGTH, MAX_NESTING_DEPTH, MAX_EXPR_DEPTH } from "./policy-parser.js";
export type { ParsePoliciesResult, LexResult } from "./policy-parser.js";
export { parseSchema } from "./schema-parser.js";
export type { ParseSchemaResult } from "./schema-parser.js";
export { formatPolicies } from "./printer.js";
export { formatSchema } from "./schema-printer.js";
export { decodeString, decodePattern, encodeString, encodePattern, isWellFormedText } from "./strings.js";
export type { DecodedString, DecodedPattern, EscapeError } from "./strings.js";
export { MAX_HAS_PATH } from "./ast.js";
export type {
  Annotation,
  BinaryOp,
  Comment,
  Condition,
  EntityRef,
  Expr,
  LinkDecl,
  ExprKind,
  Name,
  PatternElem,
  Policy,
  PolicySet,
  RecordEntry,
  Scope,
  ScopeConstraint,
  SlotRef,
  VarName,
} from "./ast.js";
export type { ActionDecl, ActionRef, AttrDecl, Declaration, EntityDecl, NamespaceDecl, ObligationDecl, SchemaFile, TypeDecl, TypeExpr } from "./schema-ast.js";
export {
  CATALOG,
  diag,
  errorText,
  failure,
  problem,
  didYouMean,
  didYouMeanHelp,
  formatDiagnostic,
  formatDiagnosticLine,
  hasErrors,
  withFile,
} from "./diagnostics.js";
export type { Diagnostic, DiagnosticCode, Failure, Problem, ProblemValues, Severity } from "./diagnostics.js";
export { assertNever, joinSpans, lineAt, lineColOf } from "./span.js";
export type { LineCol, Span } from "./span.js";
export { allTokens, tokenClasses, writLexer, RESERVED_WORDS } from "./tokens.js";
export type { TokenClass } from "./tokens.js";
