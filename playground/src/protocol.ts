/**
 * Messages between the playground page and the Writ web worker.
 *
 * Everything here is plain JSON-compatible data (offsets, strings, numbers):
 * the worker owns the compiler, the page owns the editors, and only these
 * shapes cross the boundary.
 */

import type { Semantics } from "../../compiler/index.js";
import type { DecisionView } from "./shared/decision-view.js";
import type { ProofCheckInfo } from "./shared/lineage-model.js";

export type { DecisionError, DecisionView, DeterminingDetail, ShadowInfo } from "./shared/decision-view.js";
export type { ProofCheckInfo } from "./shared/lineage-model.js";
export type { Semantics } from "../../compiler/index.js";

/** Which editor a marker or a span belongs to. */
export type EditorId = "policies" | "schema" | "entities" | "request";

/** Every editor, in display order. */
export const EDITOR_IDS: readonly EditorId[] = ["policies", "schema", "entities", "request"];

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
  /** Attribute names with their type as the checker prints it, per fully qualified entity type. */
  readonly attributes: Readonly<Record<string, readonly { name: string; type: string; required: boolean }[]>>;
  /** Action references as written in policies, e.g. `Action::"view"`. */
  readonly actions: readonly string[];
  /** Context attributes (union over all actions). */
  readonly contextAttributes: readonly { name: string; type: string; required: boolean }[];
  /** Entity types that may be the principal / the resource of some action. */
  readonly principalTypes: readonly string[];
  readonly resourceTypes: readonly string[];
}

/** Result of analysing the state (live diagnostics). */
export interface AnalyzeResult {
  readonly markers: MarkersByEditor;
  readonly policies: readonly PolicyInfo[];
  readonly schema: SchemaSummary;
}

/**
 * Result of Run: the decision view (absent `decision` when the inputs could not be
 * evaluated, with `problems` saying why) plus what the editors show.
 */
export interface RunResult extends DecisionView {
  /** Spans of the determining policies (the reasons) in the policies editor. */
  readonly determining: readonly PolicyInfo[];
  /** Spans of the policies that raised an evaluation error. */
  readonly erroring: readonly PolicyInfo[];
  readonly markers: MarkersByEditor;
}

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
