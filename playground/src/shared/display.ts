/**
 * Helpers for showing things to a person, shared by the views: DOM building (text goes in
 * through `textContent` only, so no input can inject markup) and display text of values
 * and ids (plain JSON from evaluation results — bigint Longs become numbers, or decimal
 * strings beyond 2^53 — shortened content ids, clipped labels).
 */

const SVG_NS = "http://www.w3.org/2000/svg";

/** An HTML element with an optional class list and text. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls !== undefined) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** An SVG element with attributes. */
export function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** A `<dt>`/`<dd>` pair appended to a definition list. */
export function row(dl: HTMLElement, key: string, value: string): void {
  dl.append(el("dt", undefined, key), el("dd", undefined, value));
}

/** A value as plain JSON for display: bigint Longs become numbers (or decimal strings beyond 2^53), Maps objects. */
export function plainJson(v: unknown): unknown {
  if (typeof v === "bigint") return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(plainJson);
  if (v instanceof Map) return Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), plainJson(x)]));
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = plainJson(x);
    return out;
  }
  return v;
}

/** One-line JSON text of a value (through `plainJson`, so bigints never throw). */
export function jsonText(v: unknown): string {
  return JSON.stringify(plainJson(v)) ?? "undefined";
}

/** Indented JSON text of a value, for a `<pre>` (through `plainJson`). */
export function jsonBlock(v: unknown): string {
  return JSON.stringify(plainJson(v), null, 2) ?? "undefined";
}

/** `sha256:0123456789ab…` — enough to tell ids apart; show the full id in a tooltip. */
export function shortId(id: string): string {
  return id.length > 19 ? `${id.slice(0, 19)}…` : id;
}

/** `s` cut to at most `n` characters, ending with `…` when cut. */
export function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
