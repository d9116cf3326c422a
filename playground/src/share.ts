/**
 * Sharing: the whole playground state, compressed with `CompressionStream("deflate-raw")`
 * and base64url-encoded into the URL fragment. Nothing is sent anywhere: the fragment
 * never leaves the browser.
 */
import type { PlaygroundState, Semantics } from "./protocol.js";

/** Fragment prefix, versioned so the encoding can change later. */
export const SHARE_PREFIX = "#s1=";

function toBase64Url(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Response(new Blob([bytes as BlobPart]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

/** Encode a state as a URL fragment (including the leading `#`). */
export async function encodeState(state: PlaygroundState): Promise<string> {
  const json = JSON.stringify([1, state.policies, state.schema, state.entities, state.request, state.semantics]);
  const packed = await pipe(new TextEncoder().encode(json), new CompressionStream("deflate-raw"));
  return SHARE_PREFIX + toBase64Url(packed);
}

function isSemantics(s: unknown): s is Semantics {
  return s === "fail-closed" || s === "cedar";
}

/** Decode a fragment made by `encodeState`; undefined for any other or damaged fragment. */
export async function decodeState(fragment: string): Promise<PlaygroundState | undefined> {
  if (!fragment.startsWith(SHARE_PREFIX)) return undefined;
  try {
    const bytes = await pipe(fromBase64Url(fragment.slice(SHARE_PREFIX.length)), new DecompressionStream("deflate-raw"));
    const v = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    if (!Array.isArray(v) || v[0] !== 1 || v.length !== 6) return undefined;
    const [, policies, schema, entities, request, semantics] = v as unknown[];
    if (typeof policies !== "string" || typeof schema !== "string" || typeof entities !== "string" || typeof request !== "string" || !isSemantics(semantics)) return undefined;
    return { policies, schema, entities, request, semantics };
  } catch {
    return undefined;
  }
}
