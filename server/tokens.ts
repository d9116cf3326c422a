/**
 * Bearer tokens of `writ serve`: a tokens file holds, per token, a name, the SHA-256 of the
 * token and its scopes — never the token itself.
 *
 * ```json
 * { "format": "writ-tokens/1",
 *   "tokens": [ { "name": "ci", "sha256": "<64 hex digits>", "scopes": ["decide", "authorize"] } ] }
 * ```
 *
 * - `newToken(name, scopes)` makes a random token (`writ_` + 32 random bytes, base64url) and
 *   the entry to add to the file (`writ token create` prints both; the token is shown once).
 * - `TokenTable.authenticate(header)` hashes the presented token and compares it with every
 *   entry in constant time (no early exit, `timingSafeEqual` on equal-length digests).
 * - Scopes: `decide` (AuthZEN and `/v1/decide`), `authorize` (governed execution),
 *   `read-lineage` (lineage reads and the loaded bundle), `admin` (bundle and entity updates,
 *   entity reads); `admin` implies every other scope.
 *
 * NOTE: Node only (node:crypto).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { problem, type Problem } from "../runtime/index.js";

/** The scopes a token can carry. */
export const SCOPES = ["decide", "authorize", "read-lineage", "admin"] as const;

/** One scope. */
export type Scope = (typeof SCOPES)[number];

/** The format tag of a tokens file. */
export const TOKENS_FORMAT = "writ-tokens/1";

/** One entry of a tokens file. */
export interface TokenEntry {
  readonly name: string;
  /** Lowercase hex SHA-256 of the token's UTF-8 bytes. */
  readonly sha256: string;
  readonly scopes: readonly Scope[];
}

/** A token that authenticated: its name and scopes. */
export interface Caller {
  readonly name: string;
  readonly scopes: ReadonlySet<Scope>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const SCOPE_SET: ReadonlySet<string> = new Set(SCOPES);

function isObject(x: unknown): x is Readonly<Record<string, unknown>> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function bad(detail: string): { readonly ok: false; readonly problem: Problem } {
  return { ok: false, problem: problem("W8012", { detail }) };
}

/** Why `name` is not a valid token name, or undefined. */
export function tokenNameProblem(name: string): string | undefined {
  return NAME.test(name) ? undefined : `invalid token name \`${name}\`: use 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit`;
}

/** The scopes of a comma-separated list, or why it is not one. */
export function parseScopes(text: string): { readonly ok: true; readonly scopes: Scope[] } | { readonly ok: false; readonly problem: Problem } {
  const parts = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (parts.length === 0) return bad(`no scopes given (choose from ${SCOPES.join(", ")})`);
  for (const p of parts) if (!SCOPE_SET.has(p)) return bad(`unknown scope \`${p}\` (choose from ${SCOPES.join(", ")})`);
  return { ok: true, scopes: [...new Set(parts as Scope[])].sort() };
}

/** The lowercase hex SHA-256 of a token. */
export function tokenDigest(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** A new random token and its tokens-file entry. */
export function newToken(name: string, scopes: readonly Scope[]): { readonly token: string; readonly entry: TokenEntry } {
  const token = `writ_${randomBytes(32).toString("base64url")}`;
  return { token, entry: { name, sha256: tokenDigest(token), scopes: [...scopes] } };
}

/** The tokens of a parsed tokens file, in constant-time lookup form. */
export class TokenTable {
  private readonly digests: readonly Buffer[];

  private constructor(private readonly entries: readonly TokenEntry[]) {
    this.digests = entries.map((e) => Buffer.from(e.sha256, "hex"));
  }

  /** Read a parsed tokens file (see the module comment). Never throws. */
  static read(json: unknown): { readonly ok: true; readonly table: TokenTable } | { readonly ok: false; readonly problem: Problem } {
    if (!isObject(json)) return bad("a tokens file is a JSON object {\"format\": \"writ-tokens/1\", \"tokens\": [...]}");
    if (json["format"] !== TOKENS_FORMAT) return bad(`unsupported tokens file format ${JSON.stringify(json["format"])} (expected "${TOKENS_FORMAT}")`);
    const list = json["tokens"];
    if (!Array.isArray(list)) return bad("`tokens` must be an array");
    const entries: TokenEntry[] = [];
    const names = new Set<string>();
    const digests = new Set<string>();
    for (let i = 0; i < list.length; i++) {
      const t: unknown = list[i];
      if (!isObject(t)) return bad(`tokens[${i}] must be an object {name, sha256, scopes}`);
      const unknown = Object.keys(t).filter((k) => k !== "name" && k !== "sha256" && k !== "scopes");
      if (unknown.length > 0) return bad(`tokens[${i}] has an unknown field \`${unknown[0]}\``);
      const { name, sha256, scopes } = t;
      if (typeof name !== "string" || tokenNameProblem(name) !== undefined) return bad(`tokens[${i}]: ${tokenNameProblem(String(name))}`);
      if (typeof sha256 !== "string" || !HEX64.test(sha256)) return bad(`tokens[${i}] (\`${name}\`): \`sha256\` must be 64 lowercase hex digits`);
      if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((s) => typeof s === "string" && SCOPE_SET.has(s))) {
        return bad(`tokens[${i}] (\`${name}\`): \`scopes\` must be a non-empty list of ${SCOPES.join(", ")}`);
      }
      if (names.has(name)) return bad(`two tokens are named \`${name}\``);
      if (digests.has(sha256)) return bad(`tokens[${i}] (\`${name}\`) repeats the digest of another token`);
      names.add(name);
      digests.add(sha256);
      entries.push({ name, sha256, scopes: scopes as Scope[] });
    }
    return { ok: true, table: new TokenTable(entries) };
  }

  /** Number of tokens. */
  get size(): number {
    return this.entries.length;
  }

  /**
   * The caller of an `Authorization` header value (`Bearer <token>`), or undefined. Every entry
   * is compared (in constant time), whether or not an earlier one matched.
   */
  authenticate(header: string | undefined): Caller | undefined {
    if (header === undefined) return undefined;
    const m = /^Bearer[ ]+([\x21-\x7e]{1,512})[ ]*$/i.exec(header);
    if (m === null) return undefined;
    const presented = Buffer.from(tokenDigest(m[1]!), "hex");
    let found: TokenEntry | undefined;
    for (let i = 0; i < this.digests.length; i++) {
      if (timingSafeEqual(presented, this.digests[i]!) && found === undefined) found = this.entries[i];
    }
    if (found === undefined) return undefined;
    return { name: found.name, scopes: new Set(found.scopes) };
  }
}

/** True when `caller` may use a route that needs `scope` (`admin` implies every scope). */
export function hasScope(caller: Caller, scope: Scope): boolean {
  return caller.scopes.has(scope) || caller.scopes.has("admin");
}
