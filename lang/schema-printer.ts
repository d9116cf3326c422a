/**
 * The canonical printer of the human-readable Cedar schema syntax (`.cedarschema`).
 *
 * Layout: one declaration per line group, two-space indentation inside
 * `namespace { … }`, entity shapes and type declarations broken one attribute per
 * line, nested record types flat when they fit in 80 columns, `appliesTo` one
 * element per line. Blank lines between declarations are kept where the source had
 * one (namespaces are always separated by one). Every comment is kept: a comment on
 * the same line after an item stays there, any other comment is printed on its own
 * lines before the next item (or before the closing `}` of its block).
 *
 * INVARIANTS: idempotent; parsing the output gives the same AST up to spans.
 */
import type { Annotation, Comment, Name } from "./ast.js";
import { breakParent, group, hardline, join, line, lineSuffix, nest, renderDoc, softline, type Doc } from "./layout.js";
import { isIdent, printName, quoteString } from "./printer.js";
import type { ActionDecl, ActionRef, AttrDecl, Declaration, EntityDecl, NamespaceDecl, SchemaFile, TypeDecl, TypeExpr } from "./schema-ast.js";
import { RESERVED_WORDS } from "./tokens.js";
import { assertNever, firstEndingAfter, type Span } from "./span.js";

type SNode = SchemaFile | NamespaceDecl | Declaration | TypeExpr | AttrDecl | Annotation;

interface Slots {
  readonly leading: Comment[];
  readonly trailing: Comment[];
  /** Comments after the last child of a block, printed before its closing `}`. */
  readonly dangling: Comment[];
}

class SchemaComments {
  private readonly map = new Map<SNode, Slots>();
  private readonly children = new Map<SNode, readonly SNode[]>();
  constructor(private readonly source: string) {}

  /** {@link schemaChildren}, built once per node (every comment of a file walks down from the root). */
  private childrenOf(n: SNode): readonly SNode[] {
    let ch = this.children.get(n);
    if (ch === undefined) {
      ch = schemaChildren(n);
      this.children.set(n, ch);
    }
    return ch;
  }

  get(n: SNode): Slots | undefined {
    return this.map.get(n);
  }
  add(n: SNode, where: keyof Slots, c: Comment): void {
    let s = this.map.get(n);
    if (s === undefined) {
      s = { leading: [], trailing: [], dangling: [] };
      this.map.set(n, s);
    }
    s[where].push(c);
  }

  /** Place `c` inside `n`; false when it belongs after `n` (decided by the parent). */
  place(n: SNode, c: Comment): boolean {
    const ch = this.childrenOf(n);
    // Children are in source order: bisect to the first one that does not end before the comment.
    const first = firstEndingAfter(ch, c.span.start);
    let prev = first - 1;
    let fromInside = false;
    for (let i = first; i < ch.length; i++) {
      const k = ch[i]!;
      if (within(k.span, c.span)) {
        if (this.place(k, c)) return true;
        prev = i;
        fromInside = true;
        break;
      }
      if (k.span.start >= c.span.end) break;
      prev = i;
    }
    const isBlock = n.kind === "schemaFile" || n.kind === "namespaceDecl" || n.kind === "recordType";
    const p = ch[prev];
    if (p !== undefined && p.kind !== "annotation" && !fromInside && isBlock && !this.source.slice(p.span.end, c.span.start).includes("\n")) {
      this.add(p, "trailing", c);
      return true;
    }
    const next = ch[prev + 1];
    if (next !== undefined) {
      this.add(next, "leading", c);
      return true;
    }
    if (isBlock) {
      this.add(n, "dangling", c);
      return true;
    }
    if (n.kind === "entityDecl" || n.kind === "actionDecl" || n.kind === "typeDecl" || n.kind === "obligationDecl" || n.kind === "attrDecl") {
      // After the last part of a declaration: at the end of its line.
      this.add(n, "trailing", c);
      return true;
    }
    return false;
  }
}

function within(outer: Span, inner: Span): boolean {
  return inner.start >= outer.start && inner.end <= outer.end;
}

function schemaChildren(n: SNode): readonly SNode[] {
  switch (n.kind) {
    case "schemaFile": return n.items;
    case "namespaceDecl": return [...n.annotations, ...n.declarations];
    case "entityDecl": return [...n.annotations, ...(n.shape ? [n.shape] : []), ...(n.tags ? [n.tags] : [])];
    case "actionDecl": return [...n.annotations, ...(n.appliesTo?.context ? [n.appliesTo.context] : [])];
    case "typeDecl": return [...n.annotations, n.type];
    case "obligationDecl": return [...n.annotations, n.type];
    case "attrDecl": return [...n.annotations, n.type];
    case "recordType": return n.attributes;
    case "setType": return [n.element];
    case "namedType": case "annotation": return [];
    default: return assertNever(n, "schema node");
  }
}

function hasBlankLine(source: string, from: number, to: number): boolean {
  return from < to && /\n[ \t\r\f\v]*\n/.test(source.slice(from, to));
}

/** An identifier where one is allowed, else a quoted string. */
function nameOrString(s: string): string {
  return isIdent(s) && !RESERVED_WORDS.has(s) ? s : quoteString(s);
}

function annotationDoc(a: Annotation): string {
  return a.value === undefined ? `@${a.name}` : `@${a.name}(${quoteString(a.value)})`;
}

class SchemaPrinter {
  constructor(
    private readonly cm: SchemaComments,
    private readonly source: string,
  ) {}

  private leading(n: SNode): Doc[] {
    const cs = this.cm.get(n)?.leading ?? [];
    return cs.map((c, i) => [i > 0 && hasBlankLine(this.source, cs[i - 1]!.span.end, c.span.start) ? hardline : "", c.text.trimEnd(), hardline]);
  }

  private trailing(n: SNode): Doc[] {
    const cs = this.cm.get(n)?.trailing ?? [];
    return cs.length === 0 ? [] : [lineSuffix(" " + cs.map((c) => c.text.trimEnd()).join("\n")), breakParent];
  }

  private dangling(n: SNode): Doc[] {
    return (this.cm.get(n)?.dangling ?? []).map((c) => [hardline, c.text.trimEnd()]);
  }

  private annotations(as: readonly Annotation[]): Doc[] {
    return as.map((a) => [...this.leading(a), annotationDoc(a), ...this.trailing(a), hardline]);
  }

  /** Where an item's printed block begins in the source (its first leading comment or itself). */
  private blockStart(n: SNode): number {
    const cs = this.cm.get(n)?.leading ?? [];
    return Math.min(n.span.start, ...cs.map((c) => c.span.start));
  }

  /** Items of a block (file or namespace), one per line, keeping single blank lines. */
  items(items: readonly SNode[]): Doc[] {
    const out: Doc[] = [];
    items.forEach((it, i) => {
      if (i > 0) {
        const prev = items[i - 1]!;
        out.push(hardline);
        const blank = prev.kind === "namespaceDecl" || it.kind === "namespaceDecl" || hasBlankLine(this.source, prev.span.end, this.blockStart(it));
        if (blank) out.push(hardline);
      }
      out.push(this.item(it));
    });
    return out;
  }

  private item(n: SNode): Doc {
    let body: Doc;
    switch (n.kind) {
      case "namespaceDecl": body = this.namespace(n); break;
      case "entityDecl": body = this.entity(n); break;
      case "actionDecl": body = this.action(n); break;
      case "typeDecl": body = this.typeDecl(n); break;
      case "obligationDecl": body = [...this.annotations(n.annotations), `obligation ${nameOrString(n.name)}: `, this.type(n.type, false), ";"]; break;
      default: throw new Error(`INVARIANT: unexpected schema item ${n.kind}`);
    }
    const cs = this.cm.get(n)?.leading ?? [];
    const last = cs[cs.length - 1];
    const gap = last !== undefined && hasBlankLine(this.source, last.span.end, n.span.start) ? hardline : "";
    return [...this.leading(n), gap, body, ...this.trailing(n)];
  }

  private namespace(n: NamespaceDecl): Doc {
    const inner = [...this.items(n.declarations), ...this.dangling(n)];
    const head = [...this.annotations(n.annotations), `namespace ${printName(n.name)} {`];
    if (inner.length === 0) return [head, "}"];
    // Dangling comments bring their own line breaks; declarations start on a new line.
    const body = n.declarations.length === 0 ? inner : [hardline, ...inner];
    return [head, nest(2, body), hardline, "}"];
  }

  private entity(n: EntityDecl): Doc {
    const parts: Doc[] = [...this.annotations(n.annotations), "entity ", n.names.join(", ")];
    if (n.enumValues !== undefined) {
      parts.push(" enum ", group(["[", nest(2, [softline, join([",", line], n.enumValues.map(quoteString))]), softline, "]"]), ";");
      return parts;
    }
    if (n.memberOf.length > 0) parts.push(" in ", this.nameList(n.memberOf));
    if (n.shape !== undefined) parts.push(" = ", this.type(n.shape, true));
    if (n.tags !== undefined) parts.push(" tags ", this.type(n.tags, false));
    parts.push(";");
    return parts;
  }

  private nameList(ns: readonly Name[]): Doc {
    return group(["[", nest(2, [softline, join([",", line], ns.map(printName))]), softline, "]"]);
  }

  private actionRef(r: ActionRef): string {
    return r.type === undefined ? nameOrString(r.id) : `${printName(r.type)}::${quoteString(r.id)}`;
  }

  private action(n: ActionDecl): Doc {
    const parts: Doc[] = [...this.annotations(n.annotations), "action ", n.names.map(nameOrString).join(", ")];
    if (n.memberOf.length > 0) {
      const refs = n.memberOf.map((r) => this.actionRef(r));
      parts.push(" in ", group(["[", nest(2, [softline, join([",", line], refs)]), softline, "]"]));
    }
    const at = n.appliesTo;
    if (at !== undefined) {
      const fields: Doc[] = [];
      if (at.principals !== undefined) fields.push(["principal: ", this.nameList(at.principals)]);
      if (at.resources !== undefined) fields.push(["resource: ", this.nameList(at.resources)]);
      if (at.context !== undefined) fields.push(["context: ", this.type(at.context, false)]);
      parts.push(" appliesTo {", fields.length === 0 ? "" : [nest(2, [hardline, join([",", hardline], fields)]), hardline], "}");
    }
    parts.push(";");
    return parts;
  }

  private typeDecl(n: TypeDecl): Doc {
    return [...this.annotations(n.annotations), `type ${n.name} = `, this.type(n.type, true), ";"];
  }

  /** A type expression; `broken` lays a non-empty record out one attribute per line. */
  type(t: TypeExpr, broken: boolean): Doc {
    const d = this.bareType(t, broken);
    const s = this.cm.get(t);
    if (s === undefined) return d;
    return [...this.leading(t), d, ...this.trailing(t)];
  }

  private bareType(t: TypeExpr, broken: boolean): Doc {
    switch (t.kind) {
      case "namedType": return printName(t.name);
      case "setType": return ["Set<", this.type(t.element, false), ">"];
      case "recordType": {
        const dangling = this.dangling(t);
        if (t.attributes.length === 0 && dangling.length === 0) return "{}";
        const attrs: Doc[] = t.attributes.map((a, i) => [
          ...this.leading(a),
          ...this.annotations(a.annotations),
          nameOrString(a.name), a.required ? ": " : "?: ", this.type(a.type, false),
          i < t.attributes.length - 1 ? "," : "",
          ...this.trailing(a),
        ]);
        const body: Doc = [join(line, attrs), ...dangling];
        const doc: Doc = ["{", nest(2, [line, body]), line, "}"];
        return broken ? [breakParent, doc] : group(doc);
      }
      default:
        return assertNever(t, "type expression");
    }
  }
}

/**
 * Format a schema in the canonical layout, keeping every comment of
 * `ast.comments`; `source` is the text `ast` was parsed from. The result ends with
 * a newline (an empty schema gives the empty string).
 */
export function formatSchema(ast: SchemaFile, source: string): string {
  const cm = new SchemaComments(source);
  for (const c of [...ast.comments].sort((a, b) => a.span.start - b.span.start)) cm.place(ast, c);
  const p = new SchemaPrinter(cm, source);
  const dangling = (cm.get(ast)?.dangling ?? []).map((c) => c.text.trimEnd());
  const body = renderDoc(p.items(ast.items), 80);
  let out = body.length > 0 ? body + "\n" : "";
  const lastItem = ast.items[ast.items.length - 1];
  const firstDangling = cm.get(ast)?.dangling[0];
  if (lastItem !== undefined && firstDangling !== undefined && hasBlankLine(source, lastItem.span.end, firstDangling.span.start)) out += "\n";
  if (dangling.length > 0) out += dangling.join("\n") + "\n";
  return out;
}
