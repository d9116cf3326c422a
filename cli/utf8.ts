/**
 * Strict UTF-8 decoding for every file the CLI reads: text that is not UTF-8
 * is refused with the byte offset of the first bad sequence, never read as
 * U+FFFD (so `writ fmt` can never rewrite the bytes of a file it did not decode).
 */

/** The result of decoding bytes as UTF-8. */
export type Utf8Result =
  | { readonly ok: true; readonly text: string }
  | {
      readonly ok: false;
      /** Byte offset of the first byte of the first ill-formed sequence. */
      readonly offset: number;
      /** The text decoded before it (to place the error at a line and column). */
      readonly before: string;
    };

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Offset of the first byte that starts an ill-formed UTF-8 sequence (RFC 3629:
 * no overlong forms, no surrogates, nothing above U+10FFFF, no truncated
 * sequence), or undefined when all of `bytes` is well-formed.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number | undefined {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = i + k < n ? bytes[i + k]! : -1;
      if (c < lo || c > hi) return i;
      lo = 0x80;
      hi = 0xbf;
    }
    i += need + 1;
  }
  return undefined;
}

/** Decode `bytes` as UTF-8, refusing any ill-formed sequence (a leading BOM is kept). */
export function decodeUtf8(bytes: Uint8Array): Utf8Result {
  try {
    return { ok: true, text: strict.decode(bytes) };
  } catch {
    const offset = firstInvalidUtf8(bytes) ?? 0;
    return { ok: false, offset, before: strict.decode(bytes.subarray(0, offset)) };
  }
}
