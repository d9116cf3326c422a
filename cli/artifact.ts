/**
 * `writ artifact verify <file> --key <lineage.pub> [--now <time>] [--json]`: check an
 * authorization artifact offline, as an executor does before it runs an action.
 *
 * `<file>` holds the artifact (the DSSE envelope) or the whole answer of `POST /v1/authorize`
 * (its `artifact` is read). The signature must be by the decision node's key (its
 * `.writ/lineage.pub`), the claims must be an allow, and the artifact must not have expired at
 * `--now` (default: the current time). On success it prints what was authorized and exits 0;
 * an invalid or expired artifact is one line on stderr and exit 1.
 */
import { nodeEd25519 } from "../runtime/crypto/ed25519-node.js";
import { readPublicKey } from "../runtime/keys.js";
import { verifyArtifact } from "../runtime/index.js";
import { CliFailure, EXIT_PROBLEMS, fail, problemLine, readTextFile, type Output } from "./io.js";

/** Options of `writ artifact verify`. */
export interface ArtifactVerifyOptions {
  readonly key: string;
  readonly now?: string;
  readonly json?: boolean;
}

/** Run `writ artifact verify`. */
export function runArtifactVerify(file: string, o: ArtifactVerifyOptions, io: Output): number {
  const key = readPublicKey(o.key);
  if (!key.ok) fail("W5008", `cannot use the public key: ${key.problem.message}`, { file: o.key });
  const text = readTextFile(file);
  let json: unknown;
  try {
    json = JSON.parse(text.text);
  } catch (e) {
    fail("W5002", `malformed JSON: ${e instanceof Error ? e.message : String(e)}`, { file: text.name });
  }
  const envelope = typeof json === "object" && json !== null && "artifact" in json && !("payloadType" in json) ? (json as { artifact: unknown }).artifact : json;
  const now = o.now ?? new Date().toISOString();
  const r = verifyArtifact(envelope, key.value, { now, ed25519: nodeEd25519 });
  if (!r.ok) throw new CliFailure([problemLine(r.problem.code, r.problem.message, { file: text.name })], EXIT_PROBLEMS);
  const c = r.claims;
  if (o.json === true) {
    io.out(`${JSON.stringify({ ok: true, keyId: r.keyId, claims: c }, null, 2)}\n`);
    return 0;
  }
  const obligations = c.obligations.length === 0 ? "none" : c.obligations.join(", ");
  io.out(
    `artifact ok: execution ${c.execution} authorized by node ${c.node} (event ${c.eventId})\n` +
      `bundle ${c.decision.bundleId}, request ${c.decision.requestDigest}\n` +
      `obligations to confirm: ${obligations}; expires ${c.expiresAt}; signed by ${r.keyId}\n`,
  );
  return 0;
}
