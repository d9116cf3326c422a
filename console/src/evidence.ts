/**
 * What the console believes, and why: every event it shows is proven in this browser with
 * `proofSteps` of `writ/runtime` (checkpoint signature, event id, audit path) against the log
 * key the person pinned — or, until one is pinned, the key the log states, shown as such.
 * The server's word is never taken: a proof that does not verify is shown as failed.
 *
 * The pinned key is public (a verifier key, a PEM public key or a `sha256:` key id), so it is
 * kept in localStorage; checkpoint signatures are verified once per checkpoint note.
 */
import { consistencySteps, ed25519, keyIdOf, pinnedKeyBytes, proofSteps, runtimeCrypto, type ConsistencySteps, type EvidencePin, type ProofSteps } from "../../runtime/browser.js";
import { getJson, postJson } from "./api.js";

const PIN_KEY = "writ-console-pinned-key";
const CHUNK = 500;

/** The pin kept for this console (empty when none). */
export function pinnedKey(): string {
  try {
    return localStorage.getItem(PIN_KEY) ?? "";
  } catch {
    return "";
  }
}

/** Keep (or, with an empty text, forget) the pinned key. */
export function setPinnedKey(text: string): void {
  try {
    if (text.trim() === "") localStorage.removeItem(PIN_KEY);
    else localStorage.setItem(PIN_KEY, text.trim());
  } catch {
    // NOTE: storage refused: the pin holds for this page only.
  }
  cache.clear();
}

/** The pin as `proofSteps` takes it: a `sha256:` key id, else a key. */
export function pinOf(text: string): EvidencePin {
  const t = text.trim();
  if (t === "") return {};
  return /^sha256:[0-9a-f]{64}$/.test(t) ? { keyId: t } : { publicKey: t };
}

/** The cryptography of the browser entry. */
export const CRYPTO = { ed25519, hasher: runtimeCrypto.merkle };

const checkpoints = new Set<string>();
const cache = new Map<string, ProofSteps>();

/** Check one proof in this browser (against the pinned key). */
export function check(proof: unknown): ProofSteps {
  return proofSteps(proof, pinOf(pinnedKey()), CRYPTO, checkpoints);
}

/** A proof's outcome and the event it carries, or why it could not be fetched. */
export type Proven = { readonly ok: true; readonly steps: ProofSteps; readonly proof: unknown } | { readonly ok: false; readonly id: string; readonly message: string };

/**
 * Fetch and check the proofs of these events (in batches of 500), remembering the outcomes: an
 * event asked again is not fetched again. Resolves with one entry per id.
 */
export async function proveEvents(ids: readonly string[]): Promise<Map<string, Proven>> {
  const out = new Map<string, Proven>();
  const todo = ids.filter((id) => {
    const hit = cache.get(id);
    if (hit !== undefined) out.set(id, { ok: true, steps: hit, proof: undefined });
    return hit === undefined;
  });
  for (let i = 0; i < todo.length; i += CHUNK) {
    const part = todo.slice(i, i + CHUNK);
    const r = await postJson<{ proofs: unknown[] }>("v1/lineage/proofs", { ids: part });
    if (!r.ok) {
      for (const id of part) out.set(id, { ok: false, id, message: `${r.code}: ${r.message}` });
      continue;
    }
    part.forEach((id, k) => {
      const proof = r.value.proofs[k];
      const steps = check(proof);
      // INVARIANT: the proof must be of the event asked for; a proof of another event does not count.
      const same = steps.id === id || steps.index === Number(id);
      const checked: ProofSteps = same ? steps : { ...steps, ok: false, steps: [...steps.steps, { step: "event-id", status: "fail", detail: `the server sent a proof of ${String(steps.id)} for ${id}` }] };
      cache.set(id, checked);
      out.set(id, { ok: true, steps: checked, proof });
    });
  }
  return out;
}

const SEEN_PREFIX = "writ-console-checkpoint:";

/** The checkpoint as `/v1/lineage/checkpoint` states it. */
export interface StatedCheckpoint {
  readonly origin: string;
  readonly size: number;
  readonly checkpoint: string;
  readonly verifierKey: string;
}

/** What the console holds the log to: the key, and the log checked against the checkpoint it saw before. */
export interface LogTrust {
  /** `sha256:` id of the key the log states. */
  readonly statedKeyId: string;
  /** `sha256:` id of the pinned key, when one is pinned. */
  readonly pinnedKeyId?: string;
  /** The consistency check (absent when no key could be used). */
  readonly consistency?: ConsistencySteps;
  /** The size of the checkpoint seen before, if any. */
  readonly seenSize?: number;
}

/**
 * Check the log against the checkpoint this console saw before (kept per origin in
 * localStorage): a consistency proof from that size, verified here under the pinned key (or the
 * stated one, until a key is pinned). On success the new checkpoint is kept.
 */
export async function checkLog(stated: StatedCheckpoint): Promise<LogTrust> {
  const statedKey = pinnedKeyBytes(stated.verifierKey);
  const statedKeyId = typeof statedKey === "string" ? "?" : keyIdOf(statedKey);
  const pin = pinOf(pinnedKey());
  let key: Uint8Array | undefined = typeof statedKey === "string" ? undefined : statedKey;
  let pinnedKeyId: string | undefined;
  if (pin.publicKey !== undefined) {
    const k = pinnedKeyBytes(pin.publicKey);
    key = typeof k === "string" ? undefined : k;
    pinnedKeyId = typeof k === "string" ? "an unreadable key" : keyIdOf(k);
  } else if (pin.keyId !== undefined) {
    pinnedKeyId = pin.keyId;
    if (pin.keyId !== statedKeyId) key = undefined;
  }
  if (key === undefined) return { statedKeyId, ...(pinnedKeyId === undefined ? {} : { pinnedKeyId }) };
  let seen: string | undefined;
  try {
    seen = localStorage.getItem(SEEN_PREFIX + stated.origin) ?? undefined;
  } catch {
    seen = undefined;
  }
  const seenSize = seen === undefined ? undefined : Number(seen.split("\n")[1]);
  const from = seenSize !== undefined && Number.isSafeInteger(seenSize) && seenSize > 0 ? seenSize : stated.size;
  const r = await getJson<unknown>(`v1/lineage/consistency?from=${from}`);
  const consistency: ConsistencySteps = r.ok ? consistencySteps(r.value, from === seenSize ? seen : undefined, key, stated.origin, CRYPTO) : { ok: false, steps: [{ step: "consistency", status: "fail", detail: `no consistency proof from ${from} events: ${r.code} ${r.message}` }] };
  if (consistency.ok && consistency.checkpoint !== undefined) {
    try {
      localStorage.setItem(SEEN_PREFIX + stated.origin, consistency.checkpoint);
    } catch {
      // NOTE: storage refused: the log is held to this checkpoint for this page only.
    }
  }
  return { statedKeyId, ...(pinnedKeyId === undefined ? {} : { pinnedKeyId }), consistency, ...(seenSize === undefined ? {} : { seenSize }) };
}
