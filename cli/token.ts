/**
 * `writ token create --name <n> --scopes <s,…> [--json]`: make a bearer token for `writ serve`.
 *
 * Prints the token once (it is stored nowhere) and the entry to add to the `tokens` array of
 * the tokens file, which holds only the token's SHA-256:
 *
 *     token (shown once, store it now): writ_…
 *     add to the "tokens" array of your tokens file:
 *     {"name":"ci","sha256":"…","scopes":["authorize","decide"]}
 *
 * A new tokens file is `{"format": "writ-tokens/1", "tokens": [<entries>]}`. `--json` prints
 * `{"token", "entry"}` instead. A bad name or scope is one line on stderr and exit 2.
 */
import { newToken, parseScopes, tokenNameProblem, TOKENS_FORMAT } from "../server/tokens.js";
import { fail, type Output } from "./io.js";

/** Options of `writ token create`. */
export interface TokenCreateOptions {
  readonly name: string;
  readonly scopes: string;
  readonly json?: boolean;
}

/** Run `writ token create`. */
export function runTokenCreate(o: TokenCreateOptions, io: Output): number {
  const nameProblem = tokenNameProblem(o.name);
  if (nameProblem !== undefined) fail("W8012", nameProblem, { file: "writ" });
  const scopes = parseScopes(o.scopes);
  if (!scopes.ok) fail(scopes.problem.code, scopes.problem.message, { file: "writ" });
  const { token, entry } = newToken(o.name, scopes.scopes);
  if (o.json === true) {
    io.out(`${JSON.stringify({ token, entry })}\n`);
    return 0;
  }
  io.out(`token (shown once, store it now): ${token}\n`);
  io.out(`add to the "tokens" array of your tokens file (a new file is {"format": "${TOKENS_FORMAT}", "tokens": [ … ]}):\n`);
  io.out(`${JSON.stringify(entry)}\n`);
  return 0;
}
