/**
 * The RFC 3339 UTC text of a time, as `Date.prototype.toISOString` gives it, remembered for
 * the last two times asked. A busy governor stamps several events in the same millisecond
 * (an authorization's `requested` and decision events, its index row, its artifact's expiry),
 * and formatting a date costs more than building the rest of an event.
 *
 * NOTE: a pure function of its argument (the memo only skips repeated work); browser-safe.
 */

let lastMs = Number.NaN;
let lastText = "";
let otherMs = Number.NaN;
let otherText = "";

/**
 * `new Date(ms).toISOString()`.
 * @throws RangeError when `ms` is not a valid time (as `toISOString` does).
 */
export function isoTime(ms: number): string {
  if (ms === lastMs) return lastText;
  if (ms === otherMs) {
    const text = otherText;
    otherMs = lastMs;
    otherText = lastText;
    lastMs = ms;
    lastText = text;
    return text;
  }
  const text = new Date(ms).toISOString();
  otherMs = lastMs;
  otherText = lastText;
  lastMs = ms;
  lastText = text;
  return text;
}
