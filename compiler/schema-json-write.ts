/**
 * A parsed schema (`SchemaFile`, from either syntax) written in Cedar's JSON schema format,
 * as Cedar's `schemaToJson` writes it: one object per namespace (`""` for top-level
 * declarations) with `commonTypes`, `entityTypes`, `actions` and `annotations`; every named
 * type is `{"type": "EntityOrCommon", "name": …}` as written (resolution is the loader's
 * job, so JSON and text load to the same schema and the same schema id), `__cedar::Long`,
 * `__cedar::String`, `__cedar::Bool` and `__cedar::<extension>` become `Long`, `String`,
 * `Boolean` and `Extension`. Writ's obligations go into a namespace's `"obligations"`.
 *
 * `entity A, B …` and `action "a", "b" …` become one entry per name. A name declared twice
 * cannot be written (the JSON keys would collide): W2002, W2003, W2006, W6006, W2010. Comments
 * are not kept. Never throws.
 */
import type { Annotation } from "../lang/ast.js";
import { diag, type Diagnostic, type DiagnosticCode } from "../lang/diagnostics.js";
import type { ActionDecl, Declaration, EntityDecl, NamespaceDecl, SchemaFile, TypeExpr } from "../lang/schema-ast.js";
import { assertNever } from "../lang/span.js";
import type { JsonValue } from "../stdlib/index.js";

type Json = JsonValue;
type MutableObj = Record<string, Json>;

const BUILTIN_JSON: Readonly<Record<string, string>> = { Long: "Long", String: "String", Bool: "Boolean" };

function put(o: MutableObj, key: string, value: Json): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function annotations(list: readonly Annotation[]): MutableObj | undefined {
  if (list.length === 0) return undefined;
  const out: MutableObj = {};
  for (const a of list) put(out, a.name, a.value ?? "");
  return out;
}

function withAnnotations(o: MutableObj, list: readonly Annotation[]): MutableObj {
  const a = annotations(list);
  if (a !== undefined) o["annotations"] = a;
  return o;
}

/** One type expression in Cedar's JSON form. */
export function typeToJson(t: TypeExpr): MutableObj {
  switch (t.kind) {
    case "namedType": {
      const p = t.name.path;
      if (p.length === 2 && p[0] === "__cedar") {
        const builtin = BUILTIN_JSON[p[1]!];
        return builtin !== undefined ? { type: builtin } : { type: "Extension", name: p[1]! };
      }
      return { type: "EntityOrCommon", name: p.join("::") };
    }
    case "setType":
      return { type: "Set", element: typeToJson(t.element) };
    case "recordType": {
      const attributes: MutableObj = {};
      for (const a of t.attributes) {
        const o = typeToJson(a.type);
        if (!a.required) o["required"] = false;
        put(attributes, a.name, withAnnotations(o, a.annotations));
      }
      return { type: "Record", attributes };
    }
    default:
      return assertNever(t, "type expression");
  }
}

function entityToJson(d: EntityDecl): MutableObj {
  if (d.enumValues !== undefined) return withAnnotations({ enum: [...d.enumValues] }, d.annotations);
  const o: MutableObj = {};
  if (d.memberOf.length > 0) o["memberOfTypes"] = d.memberOf.map((n) => n.path.join("::"));
  if (d.shape !== undefined) o["shape"] = typeToJson(d.shape);
  if (d.tags !== undefined) o["tags"] = typeToJson(d.tags);
  return withAnnotations(o, d.annotations);
}

function actionToJson(d: ActionDecl): MutableObj {
  const o: MutableObj = {};
  if (d.memberOf.length > 0) o["memberOf"] = d.memberOf.map((r): Json => (r.type === undefined ? { id: r.id } : { id: r.id, type: r.type.path.join("::") }));
  const at = d.appliesTo;
  if (at !== undefined) {
    const a: MutableObj = { principalTypes: (at.principals ?? []).map((n) => n.path.join("::")), resourceTypes: (at.resources ?? []).map((n) => n.path.join("::")) };
    if (at.context !== undefined) a["context"] = typeToJson(at.context);
    o["appliesTo"] = a;
  }
  return withAnnotations(o, d.annotations);
}

/** Result of {@link schemaToJson}. */
export interface SchemaToJsonResult {
  readonly json: Json | undefined;
  readonly diagnostics: Diagnostic[];
}

class NamespaceWriter {
  readonly commonTypes: MutableObj = {};
  readonly entityTypes: MutableObj = {};
  readonly actions: MutableObj = {};
  readonly obligations: MutableObj = {};
  annotations: MutableObj | undefined;

  constructor(private readonly diagnostics: Diagnostic[]) {}

  private add(section: MutableObj, name: string, value: Json, code: DiagnosticCode, what: string, d: Declaration): void {
    if (Object.prototype.hasOwnProperty.call(section, name)) this.diagnostics.push(diag(code, `${what} \`${name}\` is declared twice`, d.span));
    else put(section, name, value);
  }

  declaration(d: Declaration): void {
    switch (d.kind) {
      case "entityDecl":
        for (const n of d.names) this.add(this.entityTypes, n, entityToJson(d), "W2002", "entity type", d);
        return;
      case "actionDecl":
        for (const n of d.names) this.add(this.actions, n, actionToJson(d), "W2003", "action", d);
        return;
      case "typeDecl":
        this.add(this.commonTypes, d.name, withAnnotations(typeToJson(d.type), d.annotations), "W2006", "common type", d);
        return;
      case "obligationDecl":
        this.add(this.obligations, d.name, withAnnotations(typeToJson(d.type), d.annotations), "W6006", "obligation", d);
        return;
      default:
        assertNever(d, "declaration");
    }
  }

  json(): MutableObj {
    const o: MutableObj = {};
    if (Object.keys(this.commonTypes).length > 0) o["commonTypes"] = this.commonTypes;
    o["entityTypes"] = this.entityTypes;
    o["actions"] = this.actions;
    if (this.annotations !== undefined) o["annotations"] = this.annotations;
    if (Object.keys(this.obligations).length > 0) o["obligations"] = this.obligations;
    return o;
  }
}

/** A schema in Cedar's JSON schema format (see the module comment). */
export function schemaToJson(ast: SchemaFile): SchemaToJsonResult {
  const diagnostics: Diagnostic[] = [];
  const spaces = new Map<string, NamespaceWriter>();
  const writer = (name: string): NamespaceWriter => {
    let w = spaces.get(name);
    if (w === undefined) spaces.set(name, (w = new NamespaceWriter(diagnostics)));
    return w;
  };
  const seen = new Set<string>();
  for (const item of ast.items) {
    if (item.kind !== "namespaceDecl") {
      writer("").declaration(item);
      continue;
    }
    const ns: NamespaceDecl = item;
    const name = ns.name.path.join("::");
    if (seen.has(name)) diagnostics.push(diag("W2010", `namespace \`${name}\` is declared twice`, ns.span));
    seen.add(name);
    const w = writer(name);
    w.annotations = annotations(ns.annotations);
    for (const d of ns.declarations) w.declaration(d);
  }
  if (diagnostics.length > 0) return { json: undefined, diagnostics };
  const out: MutableObj = {};
  for (const [name, w] of spaces) put(out, name, w.json());
  return { json: out, diagnostics };
}
