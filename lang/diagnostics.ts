/**
 * The one diagnostic catalog: stable codes, severities and titles, plus the
 * printer that renders `file:line:col: error W1234: message` with the source
 * line and a caret underline.
 *
 * Code ranges: W1xxx policy syntax, W12xx schema syntax, W2xxx schema meaning,
 * W3xxx validation (types), W4xxx evaluation errors, W5xxx inputs (files, JSON,
 * requests, entities), W6xxx governance extensions and bundles, W7xxx governed execution,
 * W80xx the decision service (`writ serve`).
 * NOTE: codes are stable; never renumber, only add.
 */
import { lineAt, lineColOf, type Span } from "./span.js";

export type Severity = "error" | "warning" | "info";

interface CatalogEntry {
  readonly severity: Severity;
  readonly title: string;
  /**
   * The message of a runtime {@link Problem} with this code: `{name}` placeholders are
   * filled from the problem's values (absent: the message is the `detail` value, or the title).
   */
  readonly message?: string;
}

/** Every diagnostic code Writ can emit. */
export const CATALOG = {
  // --- policy syntax ---
  W1001: { severity: "error", title: "unexpected token" },
  W1002: { severity: "error", title: "unterminated string literal" },
  W1003: { severity: "error", title: "invalid escape sequence in string" },
  W1004: { severity: "error", title: "integer literal out of range" },
  W1005: { severity: "error", title: "unexpected character" },
  W1006: { severity: "error", title: "invalid policy scope" },
  W1007: { severity: "error", title: "duplicate annotation" },
  W1008: { severity: "error", title: "reserved word used as an identifier" },
  W1009: { severity: "error", title: "invalid call" },
  W1010: { severity: "error", title: "invalid `is` in the action scope" },
  W1011: { severity: "error", title: "nesting too deep" },
  W1012: { severity: "error", title: "invalid pattern in `like`" },
  W1013: { severity: "error", title: "template slot outside the policy scope" },
  W1014: { severity: "error", title: "input too large" },
  W1015: { severity: "error", title: "duplicate key in record literal" },
  W1016: { severity: "error", title: "invalid attribute path" },
  W1017: { severity: "error", title: "invalid effect" },
  W1018: { severity: "error", title: "invalid variable" },
  W1019: { severity: "error", title: "too many unary operators" },
  W1020: { severity: "error", title: "lone surrogate in a string" },
  W1021: { severity: "error", title: "attribute path too long" },
  // --- Cedar's JSON policy format, policy names (W104x) ---
  W1040: { severity: "error", title: "invalid JSON policy" },
  W1041: { severity: "error", title: "conflicting policy names" },
  // --- schema syntax ---
  W1201: { severity: "error", title: "unexpected token in schema" },
  W1202: { severity: "error", title: "invalid schema declaration" },
  // --- schema meaning ---
  W2001: { severity: "error", title: "unknown type" },
  W2002: { severity: "error", title: "duplicate entity type" },
  W2003: { severity: "error", title: "duplicate action" },
  W2004: { severity: "error", title: "unknown action group" },
  W2005: { severity: "error", title: "cycle in the action hierarchy" },
  W2006: { severity: "error", title: "duplicate or cyclic common type" },
  W2007: { severity: "error", title: "duplicate attribute" },
  W2008: { severity: "error", title: "unknown entity type in the schema" },
  W2009: { severity: "error", title: "invalid schema JSON" },
  W2010: { severity: "error", title: "duplicate namespace" },
  W2011: { severity: "error", title: "schema type nested too deeply" },
  W2012: { severity: "error", title: "schema too large" },
  // --- validation ---
  W3001: { severity: "error", title: "unknown entity type" },
  W3002: { severity: "error", title: "unknown action" },
  W3003: { severity: "error", title: "unknown attribute" },
  W3004: { severity: "error", title: "type mismatch" },
  W3005: { severity: "warning", title: "policy can never apply" },
  W3006: { severity: "error", title: "attribute may be missing" },
  W3007: { severity: "error", title: "unknown function or method" },
  W3008: { severity: "error", title: "wrong number of arguments" },
  W3009: { severity: "error", title: "invalid extension literal" },
  W3010: { severity: "error", title: "incompatible types" },
  W3011: { severity: "error", title: "impossible `is` test" },
  W3012: { severity: "error", title: "invalid tag access" },
  W3013: { severity: "error", title: "empty set literal has no type" },
  W3014: { severity: "error", title: "non-literal extension argument" },
  W3015: { severity: "error", title: "entity does not exist in the schema" },
  W3016: { severity: "warning", title: "policy is always false" },
  W3017: { severity: "warning", title: "extension call errors when evaluated" },
  // --- templates and links (W303x) ---
  W3030: { severity: "info", title: "template not linked" },
  W3031: { severity: "error", title: "invalid template link" },
  // --- evaluation ---
  W4001: { severity: "error", title: "attribute does not exist" },
  W4002: { severity: "error", title: "type error" },
  W4003: { severity: "error", title: "integer overflow" },
  W4004: { severity: "error", title: "entity does not exist" },
  W4005: { severity: "error", title: "extension function error" },
  W4006: { severity: "error", title: "tag does not exist" },
  W4007: { severity: "error", title: "evaluation limit exceeded" },
  // --- inputs ---
  W5001: { severity: "error", title: "cannot read file" },
  W5002: { severity: "error", title: "malformed JSON" },
  W5003: { severity: "error", title: "invalid entities" },
  W5004: { severity: "error", title: "invalid request" },
  W5005: { severity: "error", title: "input too large" },
  W5006: { severity: "error", title: "request does not conform to the schema" },
  W5007: { severity: "error", title: "invalid test file" },
  W5008: { severity: "error", title: "invalid command-line argument" },
  W5040: { severity: "error", title: "entity hierarchy too large" },
  // --- inputs read by the CLI (W5020–W5039) ---
  W5020: { severity: "error", title: "invalid UTF-8" },
  W5021: { severity: "error", title: "no tests found" },
  // --- governance extensions (W60xx) ---
  W6001: { severity: "error", title: "Writ extension not allowed in cedar semantics" },
  W6002: { severity: "error", title: "invalid @mode" },
  W6003: { severity: "error", title: "obligations on forbid" },
  W6004: { severity: "error", title: "unknown obligation" },
  W6005: { severity: "error", title: "obligation type cannot be merged" },
  W6006: { severity: "error", title: "duplicate obligation" },
  // --- bundles (W61xx) ---
  W6101: { severity: "error", title: "bundle id mismatch" },
  W6102: { severity: "error", title: "policy id mismatch" },
  W6103: { severity: "error", title: "missing or invalid bundle signature" },
  W6104: { severity: "error", title: "bundle sequence rollback" },
  W6105: { severity: "error", title: "malformed bundle" },
  // --- lineage (W62xx) ---
  W6201: { severity: "error", title: "lineage verification failed" },
  W6202: { severity: "error", title: "invalid lineage proof" },
  W6203: { severity: "error", title: "replay mismatch" },
  W6204: { severity: "error", title: "unknown lineage event", message: "no event {event} in the lineage log" },
  W6205: { severity: "error", title: "lineage store failure", message: "the lineage store failed: {detail}" },
  W6206: { severity: "error", title: "lineage append refused", message: "the append was refused: {detail}" },
  W6207: { severity: "error", title: "lineage key problem", message: "the lineage key cannot be used: {detail}" },
  W6208: { severity: "error", title: "read-only lineage log", message: "this lineage log was opened without a signer: it can be read and verified, not appended to" },
  W6209: { severity: "error", title: "lineage store conflict", message: "the lineage store refused the batch ({kind}): {detail}" },
  W6210: { severity: "error", title: "stored log does not match its checkpoint", message: "{detail}; appends are refused until `writ lineage verify` passes" },
  W6211: { severity: "error", title: "event not covered by a checkpoint", message: "no checkpoint covers event {event}" },
  W6212: { severity: "error", title: "unsupported lineage store version", message: "{detail}" },
  W6213: { severity: "error", title: "log inconsistent with a trusted checkpoint", message: "{detail}" },
  W6214: { severity: "error", title: "missing or altered content in the log", message: "{detail}" },
  W6215: { severity: "error", title: "invalid signed note or checkpoint", message: "{detail}" },
  W6216: { severity: "error", title: "invalid signed envelope" },
  W6217: { severity: "error", title: "invalid lineage log options", message: "{detail}" },
  // --- keys ---
  W6106: { severity: "error", title: "key file problem", message: "{detail}" },
  W6107: { severity: "error", title: "unusable public key", message: "{detail}" },
  // --- governed execution and entity stores ---
  W7001: { severity: "error", title: "entity store loaded for another schema", message: "the entity store was loaded for schema {storeSchema}, but the bundle's schema is {bundleSchema}" },
  W7002: { severity: "error", title: "unverifiable parent execution", message: "{detail}" },
  W7003: { severity: "error", title: "obligation without a handler", message: "no handler for {obligations}" },
  W7004: { severity: "error", title: "obligation not fulfilled", message: "obligation `{obligation}` was not fulfilled{detail}" },
  W7005: { severity: "error", title: "action failed", message: "the action failed: {detail}" },
  W7006: { severity: "error", title: "recording failed", message: "{detail}" },
  W7007: { severity: "error", title: "governor failure", message: "governor failure: {detail}" },
  W7008: { severity: "error", title: "execution denied", message: "{detail}" },
  W7009: { severity: "error", title: "invalid governed request", message: "{detail}" },
  W7010: { severity: "error", title: "not a loaded bundle", message: "{detail}" },
  W7011: { severity: "error", title: "decision failed", message: "the decision failed: {detail}" },
  // --- the decision service: tokens, bodies, routes, artifacts (W80xx) ---
  W8001: { severity: "error", title: "missing or invalid token", message: "{detail}" },
  W8002: { severity: "error", title: "token lacks the scope", message: "the token `{token}` lacks the scope `{scope}`" },
  W8003: { severity: "error", title: "request body too large", message: "the request body is larger than the limit of {limit} bytes" },
  W8004: { severity: "error", title: "malformed request", message: "{detail}" },
  W8005: { severity: "error", title: "unsupported media type", message: "{detail}" },
  W8006: { severity: "error", title: "unknown route", message: "no route {method} {url}" },
  W8007: { severity: "error", title: "request timed out", message: "{detail}" },
  W8008: { severity: "error", title: "no bundle loaded", message: "no valid bundle is loaded: every decision is deny" },
  W8009: { severity: "error", title: "server busy", message: "{detail}" },
  W8010: { severity: "error", title: "invalid authorization artifact", message: "invalid authorization artifact: {detail}" },
  W8011: { severity: "error", title: "authorization artifact expired", message: "the authorization artifact expired at {expiresAt}" },
  W8012: { severity: "error", title: "invalid tokens file", message: "{detail}" },
  W8013: { severity: "error", title: "unknown execution", message: "{detail}" },
  W8014: { severity: "error", title: "execution already completed", message: "execution {execution} already has an outcome" },
  W8015: { severity: "error", title: "invalid search page token", message: "{detail}" },
  W8016: { severity: "error", title: "bundle updates not accepted", message: "{detail}" },
  W8017: { severity: "error", title: "server configuration problem", message: "{detail}" },
  W8018: { severity: "error", title: "internal server error", message: "internal error (request {requestId})" },
  W8019: { severity: "error", title: "unknown entity", message: "{detail}" },
  // --- MCP gateway (W90xx) ---
  W9001: { severity: "error", title: "schema cannot govern MCP calls", message: "{detail}" },
  W9002: { severity: "error", title: "invalid principal", message: "invalid principal `{text}`: expected an entity uid such as Agent::\"claude\"" },
  W9003: { severity: "error", title: "MCP server exited", message: "the MCP server exited {detail}" },
  W9004: { severity: "error", title: "cannot start the MCP server", message: "cannot start the MCP server `{command}`: {detail}" },
  W9005: { severity: "error", title: "malformed JSON-RPC message", message: "malformed JSON-RPC message from the {side}: {detail}" },
  W9006: { severity: "error", title: "invalid tool mapping", message: "{detail}" },
  W9007: { severity: "error", title: "decision service failure", message: "the decision service failed: {detail}" },
  W9008: { severity: "error", title: "approval not given", message: "approval of `{tool}` not given: {detail}" },
  W9009: { severity: "error", title: "tool not listed for the caller", message: "tool `{tool}` is not listed for {principal}" },
  W9010: { severity: "error", title: "no governed session", message: "{detail}" },
  W9011: { severity: "error", title: "lineage log in use", message: "another writ mcp (pid {pid}) records in {dir}: give each concurrent session its own --dir, or decide with --server" },
  // --- mesh (W85xx) ---
  W8501: { severity: "error", title: "no mesh in this store", message: "{detail}" },
  W8502: { severity: "error", title: "invalid mesh record", message: "mesh record {seq} does not verify: {detail}" },
  W8503: { severity: "error", title: "another mesh", message: "{detail}" },
  W8504: { severity: "error", title: "enrollment refused", message: "{detail}" },
  W8505: { severity: "error", title: "checkpoint not signed by an enrolled node", message: "{detail}" },
  W8506: { severity: "error", title: "split view", message: "split view of {origin}: {detail} (first: {first}; second: {second})" },
  W8507: { severity: "error", title: "invalid cosignature", message: "{detail}" },
  W8508: { severity: "error", title: "publication refused", message: "{detail}" },
  W8509: { severity: "error", title: "checkpoint not witnessed", message: "{detail}" },
  // --- the governance console and its lineage reads (W81xx) ---
  W8101: { severity: "error", title: "object not in the lineage log", message: "{detail}" },
  W8102: { severity: "error", title: "console not built", message: "{detail}" },
  W8510: { severity: "error", title: "behind the mesh's pins", message: "{detail}" },
  W8511: { severity: "error", title: "not enough witnesses", message: "{detail}" },
} as const satisfies Record<string, CatalogEntry>;

/** A stable diagnostic code. */
export type DiagnosticCode = keyof typeof CATALOG;

/** One diagnostic. `file` is filled in by whoever knows the file name. */
export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  readonly span: Span;
  readonly file?: string;
  /** e.g. "did you mean `owner`?" */
  readonly help?: string;
}

/** Values a problem's message is built from. */
export type ProblemValues = Readonly<Record<string, string | number>>;

/**
 * A runtime failure as a value: a catalog code, the values its message needs and the
 * message built from the catalog's template. Servers map codes to statuses, the CLI to
 * exit codes and one-line errors, tests to expectations — none of them parses messages.
 */
export interface Problem {
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly values: ProblemValues;
}

/** A failed runtime result. */
export interface Failure {
  readonly ok: false;
  readonly problem: Problem;
}

/** Build a problem: its message is the catalog's template for `code` filled with `values`. */
export function problem(code: DiagnosticCode, values: ProblemValues = {}): Problem {
  const entry: CatalogEntry = CATALOG[code];
  const template = entry.message;
  const message =
    template === undefined
      ? String(values["detail"] ?? entry.title)
      : template.replace(/\{([a-zA-Z]+)\}/g, (_, name: string) => (values[name] === undefined ? "" : String(values[name])));
  return { code, message, values };
}

/** A failed result with the problem `code` / `values`. */
export function failure(code: DiagnosticCode, values: ProblemValues = {}): Failure {
  return { ok: false, problem: problem(code, values) };
}

/** The message of an unknown thrown value. Never throws (a value whose conversion throws gets a fixed text). */
export function errorText(e: unknown): string {
  try {
    return e instanceof Error ? String(e.message) : String(e);
  } catch {
    return "an exception that cannot be shown";
  }
}

/** Build a diagnostic with the catalog's severity. */
export function diag(code: DiagnosticCode, message: string, span: Span, help?: string, file?: string): Diagnostic {
  const d: { -readonly [K in keyof Diagnostic]: Diagnostic[K] } = { code, severity: CATALOG[code].severity, message, span };
  if (help !== undefined) d.help = help;
  if (file !== undefined) d.file = file;
  return d;
}

/** Attach a file name to diagnostics that have none. */
export function withFile(diags: readonly Diagnostic[], file: string): Diagnostic[] {
  return diags.map((d) => (d.file === undefined ? { ...d, file } : d));
}

/** True when any diagnostic is an error. */
export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === "error");
}

/** Longest word (and candidate) {@link didYouMean} compares: nobody misspells a longer name by a few edits. */
const MAX_SUGGESTION_LENGTH = 64;
/** Most candidates {@link didYouMean} compares per call, so that a suggestion costs a bounded amount of work. */
const MAX_SUGGESTION_CANDIDATES = 2000;

/**
 * The closest candidate to `word` by edit distance, if close enough to suggest.
 * Work per call is bounded: words and candidates longer than 64 characters are skipped, at
 * most 2,000 candidates are compared, and each comparison stops once it cannot beat the best
 * distance so far (a hostile input with many misspellings against a huge schema stays fast).
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  if (word.length > MAX_SUGGESTION_LENGTH) return undefined;
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  let seen = 0;
  for (const c of candidates) {
    if (++seen > MAX_SUGGESTION_CANDIDATES) break;
    if (c.length > MAX_SUGGESTION_LENGTH) continue;
    const limit = Math.max(1, Math.floor(Math.max(w.length, c.length) / 3));
    const bound = Math.min(limit, bestD - 1);
    if (bound < 0 || Math.abs(w.length - c.length) > bound) continue;
    const d = editDistanceWithin(w, c.toLowerCase(), bound);
    if (d <= bound) {
      bestD = d;
      best = c;
      if (d === 0) break;
    }
  }
  return best;
}

/** "did you mean `x`?" help text, or undefined. */
export function didYouMeanHelp(word: string, candidates: Iterable<string>): string | undefined {
  const m = didYouMean(word, candidates);
  return m === undefined ? undefined : `did you mean \`${m}\`?`;
}

/**
 * Optimal string alignment distance (insertions, deletions, substitutions and adjacent swaps
 * cost 1) when it is at most `bound`; otherwise some number above `bound` (the computation
 * stops as soon as a whole row exceeds it).
 */
function editDistanceWithin(a: string, b: string, bound: number): number {
  if (a === b) return 0;
  let prev2 = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > bound) return bound + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[b.length]!;
}

/** One-line form: `file:line:col: error W1234: message`. */
export function formatDiagnosticLine(d: Diagnostic, source: string | undefined): string {
  const pos = source === undefined ? { line: 1, col: 1 } : lineColOf(source, d.span.start);
  const file = d.file ?? "<input>";
  return `${file}:${pos.line}:${pos.col}: ${d.severity} ${d.code}: ${d.message}`;
}

/** Full form: the one-line header, the source line with a caret underline, and help. */
export function formatDiagnostic(d: Diagnostic, source: string | undefined): string {
  const out = [formatDiagnosticLine(d, source)];
  if (source !== undefined && source.length > 0) {
    const { text, start } = lineAt(source, d.span.start);
    const col = Math.max(0, d.span.start - start);
    const width = Math.max(1, Math.min(d.span.end, start + text.length) - d.span.start);
    out.push(`  ${text}`);
    out.push(`  ${" ".repeat(col)}${"^".repeat(width)}`);
  }
  if (d.help !== undefined) out.push(`  help: ${d.help}`);
  return out.join("\n");
}
