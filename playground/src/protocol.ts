/**
 * Messages between the playground page and the Writ web worker.
 *
 * Everything here is plain JSON-compatible data (offsets, strings, numbers):
 * the worker owns the compiler, the page owns the editors, and only these
 * shapes cross the boundary.
 */

/** Which editor a marker or a span belongs to. */
export type EditorId = "policies" | "schema" | "entities" | "request";

/** Every editor, in display order. */
export const EDITOR_IDS: readonly EditorId[] = ["policies", "schema", "entities", "request"];

/** Evaluation semantics offered by the playground (see the design's "Errors fail closed"). */
export type Semantics = "fail-closed" | "cedar";

/** The whole editable state of the playground; this is what a share URL carries. */
export interface PlaygroundState {
  readonly policies: string;
  readonly schema: string;
  readonly entities: string;
  readonly request: string;
  readonly semantics: Semantics;
}

/** A diagnostic positioned by UTF-16 offsets into one editor's text. */
export interface Marker {
  readonly code: string;
  readonly severity: "error" | "warning" | "info";
  readonly message: string;
  readonly help?: string;
  readonly start: number;
  readonly end: number;
}

/** Markers per editor. */
export type MarkersByEditor = Record<EditorId, Marker[]>;

/** A policy's name and where it is, for highlighting determining policies. */
export interface PolicyInfo {
  readonly name: string;
  readonly effect: "permit" | "forbid";
  /** The `@reason("…")` annotation, when present. */
  readonly reason?: string;
  readonly start: number;
  readonly end: number;
}

/** What the schema declares, for completion in the policy editor. */
export interface SchemaSummary {
  /** Fully qualified entity type names. */
  readonly entityTypes: readonly string[];
  /** Attribute names with their declared type text, per fully qualified entity type. */
  readonly attributes: Readonly<Record<string, readonly { name: string; type: string; required: boolean }[]>>;
  /** Action references as written in policies, e.g. `Action::"view"`. */
  readonly actions: readonly string[];
  /** Context attributes (union over all actions). */
  readonly contextAttributes: readonly { name: string; type: string; required: boolean }[];
  /** Entity types that may be the principal / the resource of some action. */
  readonly principalTypes: readonly string[];
  readonly resourceTypes: readonly string[];
}

/** Which parts of the Writ pipeline the worker could load. */
export interface Capabilities {
  readonly parser: boolean;
  readonly schemaParser: boolean;
  readonly formatter: boolean;
  readonly schemaFormatter: boolean;
  readonly schemaLoader: boolean;
  readonly validator: boolean;
  readonly compiler: boolean;
  readonly entities: boolean;
  readonly request: boolean;
}

/** Result of analysing the state (live diagnostics). */
export interface AnalyzeResult {
  readonly markers: MarkersByEditor;
  readonly policies: readonly PolicyInfo[];
  readonly schema: SchemaSummary;
  readonly capabilities: Capabilities;
}

/** One erroring policy in a decision. */
export interface DecisionError {
  readonly policy: string;
  readonly code: string;
  readonly message: string;
}

/** Result of Run. `decision` is absent when the inputs could not be evaluated. */
export interface RunResult {
  readonly decision?: "allow" | "deny";
  readonly reasons: readonly string[];
  readonly errors: readonly DecisionError[];
  /** Spans of the determining policies (the reasons) in the policies editor. */
  readonly determining: readonly PolicyInfo[];
  /** Spans of the policies that raised an evaluation error. */
  readonly erroring: readonly PolicyInfo[];
  /** Why no decision could be made, one line per problem. */
  readonly problems: readonly string[];
  readonly markers: MarkersByEditor;
  /** The determining policies with their `@reason` text and content id, in decision order. */
  readonly determiningDetails?: readonly DeterminingDetail[];
  /** Merged obligations of an allow (plain JSON; Longs beyond 2^53 as strings). */
  readonly obligations?: Readonly<Record<string, unknown>>;
  /** What every `@mode("shadow")` policy would have said. */
  readonly shadow?: readonly ShadowInfo[];
  /** The content id of the bundle these inputs build (no signing, sequence 0). */
  readonly bundleId?: string;
  /** Why there is no bundle id (no schema, validation errors, …). */
  readonly bundleProblem?: string;
  /** `sha256:…` content id of each policy, by name. */
  readonly policyIds?: Readonly<Record<string, string>>;
}

/** One determining policy of a decision. */
export interface DeterminingDetail {
  readonly name: string;
  readonly reason?: string;
  readonly id?: string;
}

/** One shadow policy's outcome. */
export interface ShadowInfo {
  readonly name: string;
  readonly effect: "permit" | "forbid";
  readonly satisfied: boolean;
  readonly error?: string;
}

/** Outcome of checking a lineage proof. */
export type ProofCheckInfo =
  | { readonly ok: true; readonly id: string; readonly index: number; readonly size: number; readonly origin: string }
  | { readonly ok: false; readonly error: string };

/** Result of Format. `text` is absent when the input does not parse or no formatter exists. */
export interface FormatResult {
  readonly text?: string;
  readonly problem?: string;
}

/** Result of a hover request: markdown lines, or nothing. */
export interface HoverResult {
  readonly contents: readonly string[];
  readonly start: number;
  readonly end: number;
}

/** One token definition of the Writ lexer, serialised for the page's highlighter. */
export interface TokenDef {
  readonly name: string;
  /** RegExp source of the token's pattern. */
  readonly source: string;
  /** Highlighting class from `tokenClasses`. */
  readonly cls: string;
  /** True when the token is a keyword that yields to a longer identifier. */
  readonly wordBoundary: boolean;
}

/** Requests from the page to the worker. */
export type WorkerRequest =
  | { readonly kind: "tokens"; readonly id: number }
  | { readonly kind: "analyze"; readonly id: number; readonly state: PlaygroundState }
  | { readonly kind: "run"; readonly id: number; readonly state: PlaygroundState }
  | { readonly kind: "format"; readonly id: number; readonly target: "policies" | "schema"; readonly text: string }
  | { readonly kind: "hover"; readonly id: number; readonly state: PlaygroundState; readonly offset: number }
  | { readonly kind: "verify-proof"; readonly id: number; readonly proof: unknown };

/** Result payload type per request kind. */
export interface WorkerResults {
  tokens: readonly TokenDef[];
  analyze: AnalyzeResult;
  run: RunResult;
  format: FormatResult;
  hover: HoverResult | null;
  "verify-proof": ProofCheckInfo;
}

/** Replies from the worker: the result of request `id`, or a failure message. */
export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string };

/** Empty markers for every editor. */
export function emptyMarkers(): MarkersByEditor {
  return { policies: [], schema: [], entities: [], request: [] };
}
