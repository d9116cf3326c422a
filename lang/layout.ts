/**
 * A small Wadler-style document algebra for the printers: `Doc` values built with
 * `group`, `nest`, `line`, … and rendered to text within a width by `renderDoc`.
 * Used by the policy printer (`printer.ts`) and the schema printer (`schema-printer.ts`).
 */
import { assertNever } from "./span.js";

/** A layout document: text, a sequence, or a layout directive. */
export type Doc = string | readonly Doc[] | DocNode;

/** Layout directives of a `Doc`. */
export type DocNode =
  /** A space (or nothing when `soft`) if the enclosing group is flat, else a newline. */
  | { readonly kind: "line"; readonly soft: boolean }
  /** Always a newline; forces every enclosing group to break. */
  | { readonly kind: "hardline" }
  /** Emits nothing; forces every enclosing group to break. */
  | { readonly kind: "breakParent" }
  /** Text deferred to the end of the current line (trailing comments); a `\n` in it continues at the line's indentation. */
  | { readonly kind: "lineSuffix"; readonly text: string }
  | { readonly kind: "nest"; readonly indent: number; readonly doc: Doc }
  /** Indent following lines to the column where this doc starts. */
  | { readonly kind: "align"; readonly doc: Doc }
  /** Lay out flat if it fits in the remaining width, else break its lines. */
  | { readonly kind: "group"; readonly doc: Doc };

/** A line that is a space when flat. */
export const line: Doc = { kind: "line", soft: false };
/** A line that is nothing when flat. */
export const softline: Doc = { kind: "line", soft: true };
/** A forced newline. */
export const hardline: Doc = { kind: "hardline" };
/** Forces the enclosing groups to break. */
export const breakParent: Doc = { kind: "breakParent" };
/** A group: flat if it fits, else broken. */
export function group(doc: Doc): Doc {
  return { kind: "group", doc };
}
/** Indent the lines of `doc` by `indent` more columns. */
export function nest(indent: number, doc: Doc): Doc {
  return { kind: "nest", indent, doc };
}
/** Indent the lines of `doc` to its starting column. */
export function align(doc: Doc): Doc {
  return { kind: "align", doc };
}
/** Text emitted at the end of the current line. */
export function lineSuffix(text: string): Doc {
  return { kind: "lineSuffix", text };
}
/** `docs` separated by `sep`. */
export function join(sep: Doc, docs: readonly Doc[]): Doc[] {
  const out: Doc[] = [];
  docs.forEach((d, i) => {
    if (i > 0) out.push(sep);
    out.push(d);
  });
  return out;
}

const forcedMemo = new WeakMap<object, boolean>();

/** True when `doc` contains a hard line or break marker (so its groups must break). */
export function hasForcedBreak(doc: Doc): boolean {
  if (typeof doc === "string") return false;
  const cached = forcedMemo.get(doc);
  if (cached !== undefined) return cached;
  let r: boolean;
  if (isDocArray(doc)) r = doc.some(hasForcedBreak);
  else {
    switch (doc.kind) {
      case "hardline":
      case "breakParent":
        r = true;
        break;
      case "line":
      case "lineSuffix":
        r = false;
        break;
      case "nest":
      case "align":
      case "group":
        r = hasForcedBreak(doc.doc);
        break;
      default:
        return assertNever(doc, "doc");
    }
  }
  forcedMemo.set(doc, r);
  return r;
}

function isDocArray(d: Doc): d is readonly Doc[] {
  return Array.isArray(d);
}

type Mode = "flat" | "break";
type Cmd = readonly [indent: number, mode: Mode, doc: Doc];

/** A position in a doc array still to be measured by {@link fits}. */
type Cursor = readonly [indent: number, mode: Mode, docs: readonly Doc[], next: number];

function fits(next: Cmd, rest: readonly Cmd[], width: number): boolean {
  // NOTE: arrays are walked through cursors, not pushed whole: `fits` stops after about `width`
  // characters, so its cost must not depend on the length of a long list it starts in.
  const cmds: (Cmd | Cursor)[] = [next];
  let restIdx = rest.length - 1;
  let w = width;
  while (w >= 0) {
    let cmd = cmds.pop();
    if (cmd === undefined) {
      if (restIdx < 0) return true;
      cmd = rest[restIdx--]!;
    }
    if (cmd.length === 4) {
      const [ci, cm, docs, i] = cmd;
      if (i + 1 < docs.length) cmds.push([ci, cm, docs, i + 1]);
      cmds.push([ci, cm, docs[i]!]);
      continue;
    }
    const [ind, mode, d] = cmd;
    if (typeof d === "string") {
      w -= d.length;
      continue;
    }
    if (isDocArray(d)) {
      if (d.length > 0) cmds.push([ind, mode, d, 0]);
      continue;
    }
    switch (d.kind) {
      case "line":
        if (mode === "break") return true;
        if (!d.soft) w -= 1;
        break;
      case "hardline":
        return true;
      case "breakParent":
      case "lineSuffix":
        break;
      case "nest":
      case "align":
        cmds.push([ind, mode, d.doc]);
        break;
      case "group":
        cmds.push([ind, mode === "break" && hasForcedBreak(d.doc) ? "break" : mode, d.doc]);
        break;
      default:
        assertNever(d, "doc");
    }
  }
  return false;
}

/**
 * Render a document into text lines no wider than `width` where possible.
 * Lines never carry trailing spaces; `indent` is the indentation of broken lines.
 */
export function renderDoc(doc: Doc, width = 80, indent = 0, startColumn = 0): string {
  const out: string[] = [];
  let col = startColumn;
  let pendingIndent = -1;
  let suffixes: string[] = [];
  let lineIndent = startColumn;
  const stack: Cmd[] = [[indent, "break", doc]];
  // A suffix may hold several lines; the later ones get the indentation of the current line.
  const flush = (): void => {
    if (suffixes.length > 0) out.push(suffixes.join("").replace(/\n/g, "\n" + " ".repeat(lineIndent)));
    suffixes = [];
  };
  const newline = (ind: number): void => {
    flush();
    out.push("\n");
    pendingIndent = ind;
    lineIndent = ind;
    col = ind;
  };
  while (stack.length > 0) {
    const [ind, mode, d] = stack.pop()!;
    if (typeof d === "string") {
      if (d.length === 0) continue;
      if (pendingIndent >= 0) {
        out.push(" ".repeat(pendingIndent));
        pendingIndent = -1;
      }
      out.push(d);
      col += d.length;
      continue;
    }
    if (isDocArray(d)) {
      for (let i = d.length - 1; i >= 0; i--) stack.push([ind, mode, d[i]!]);
      continue;
    }
    switch (d.kind) {
      case "line":
        if (mode === "flat") {
          if (!d.soft) stack.push([ind, mode, " "]);
        } else newline(ind);
        break;
      case "hardline":
        newline(ind);
        break;
      case "breakParent":
        break;
      case "lineSuffix":
        suffixes.push(d.text);
        break;
      case "nest":
        stack.push([ind + d.indent, mode, d.doc]);
        break;
      case "align":
        stack.push([col, mode, d.doc]);
        break;
      case "group": {
        // A pending trailing comment must end its line at the group's first line break.
        const flat = mode === "flat" || (suffixes.length === 0 && !hasForcedBreak(d.doc) && fits([ind, "flat", d.doc], stack, width - col));
        stack.push([ind, flat ? "flat" : "break", d.doc]);
        break;
      }
      default:
        assertNever(d, "doc");
    }
  }
  flush();
  return out.join("");
}
