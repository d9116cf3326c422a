/**
 * AST of the human-readable Cedar schema syntax (`.cedarschema`).
 * Names are unresolved here; the compiler's schema loader resolves them.
 */
import type { Annotation, Comment, Name } from "./ast.js";
import type { Span } from "./span.js";

/** A type expression as written. `Bool`, `Long`, `String`, extension and entity types and common types are all `namedType`. */
export type TypeExpr =
  | { readonly kind: "namedType"; readonly name: Name; readonly span: Span }
  | { readonly kind: "setType"; readonly element: TypeExpr; readonly span: Span }
  | { readonly kind: "recordType"; readonly attributes: readonly AttrDecl[]; readonly span: Span };

/** `name?: Type` inside a record type. `name` is decoded (a quoted name loses its quotes). */
export interface AttrDecl {
  readonly kind: "attrDecl";
  readonly annotations: readonly Annotation[];
  readonly name: string;
  readonly required: boolean;
  readonly type: TypeExpr;
  readonly span: Span;
}

/** `entity A, B in [C] = { … } tags T;` or `entity Color enum ["red", "blue"];` */
export interface EntityDecl {
  readonly kind: "entityDecl";
  readonly annotations: readonly Annotation[];
  readonly names: readonly string[];
  readonly memberOf: readonly Name[];
  /** Attribute record (`= {…}` or `{…}`); undefined when absent. */
  readonly shape: TypeExpr | undefined;
  readonly tags: TypeExpr | undefined;
  /** Enumerated entity ids; undefined unless `enum [...]`. */
  readonly enumValues: readonly string[] | undefined;
  readonly span: Span;
}

/** Reference to an action in `in [...]`: `"view"`, `view`, `Ns::Action::"view"`. */
export interface ActionRef {
  readonly kind: "actionRef";
  /** Qualifying action-entity type, e.g. `Ns::Action`; undefined for a bare name. */
  readonly type: Name | undefined;
  readonly id: string;
  readonly span: Span;
}

/** `action "view", edit in [read] appliesTo { principal: [User], resource: Photo, context: {…} };` */
export interface ActionDecl {
  readonly kind: "actionDecl";
  readonly annotations: readonly Annotation[];
  readonly names: readonly string[];
  readonly memberOf: readonly ActionRef[];
  readonly appliesTo:
    | {
        readonly principals: readonly Name[] | undefined;
        readonly resources: readonly Name[] | undefined;
        readonly context: TypeExpr | undefined;
        readonly span: Span;
      }
    | undefined;
  readonly span: Span;
}

/** `type Name = Type;` (a common type). */
export interface TypeDecl {
  readonly kind: "typeDecl";
  readonly annotations: readonly Annotation[];
  readonly name: string;
  readonly type: TypeExpr;
  readonly span: Span;
}

/** Writ extension: `obligation name: Type;` declares an obligation key (never namespaced). */
export interface ObligationDecl {
  readonly kind: "obligationDecl";
  readonly annotations: readonly Annotation[];
  readonly name: string;
  readonly type: TypeExpr;
  readonly span: Span;
}

export type Declaration = EntityDecl | ActionDecl | TypeDecl | ObligationDecl;

/** `namespace A::B { … }` */
export interface NamespaceDecl {
  readonly kind: "namespaceDecl";
  readonly annotations: readonly Annotation[];
  readonly name: Name;
  readonly declarations: readonly Declaration[];
  readonly span: Span;
}

/** A parsed schema file; top-level declarations live in the empty namespace. */
export interface SchemaFile {
  readonly kind: "schemaFile";
  readonly items: readonly (NamespaceDecl | Declaration)[];
  readonly comments: readonly Comment[];
  readonly span: Span;
}
